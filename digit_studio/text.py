"""Text from users (links, file names, writer names, error messages quoting them) made inert.

Streamlit renders Markdown in `st.markdown`, `st.error`, `st.warning`, `st.caption` and the
like: a link, an image that the browser fetches, `:red[...]` or `:material/...:` directives.
Every piece of text a user controls goes through `plain` before it reaches one of those.
"""

from __future__ import annotations

import re

# CommonMark lets any ASCII punctuation be escaped with a backslash; escaping all of it also
# breaks GFM's bare-URL autolinks, Streamlit's ":colour[...]" / ":material/...:" directives
# and "$...$" math, whose markers are punctuation too.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def plain(text: object) -> str:
    """`text` as Markdown that shows exactly those characters on one line, nothing rendered."""
    flat = _LINE_BREAKS.sub(" ", str(text))
    return _PUNCTUATION.sub(r"\\\1", flat)
