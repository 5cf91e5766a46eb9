"""`digit_studio.text.plain`: text from users shows as exactly its characters, nothing rendered."""

from __future__ import annotations

import html
import re
import string

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from digit_studio.text import plain

# CommonMark with GitHub's tables and strikethrough: what Streamlit's renderer adds to it
# (directives, math, bare-URL links) is checked by `unescaped_markup` instead.
MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
HOSTILE = [
    "[Click here to sign in again](https://evil.example/login)",
    "![x](https://evil.example/p.png)",
    "<https://evil.example/login>",
    "https://evil.example/login and www.evil.example",
    ":red[x] :blue-background[y] :rainbow[z]",
    ":material/home: :smile:",
    "$x^2$ and $$\\int x$$",
    "<img src=x onerror=alert(1)> <b>bold</b> <script>alert(1)</script>",
    "&lt;b&gt; &amp; &#65;",
    "x-_y_ __init__ *a* **b** ~~c~~ `d`",
    "# heading",
    "- item",
    "1. item",
    "> quote",
    "| a | b |",
    "line one\nline two\r\n\u2028# three",
    "back\\slash \\[not a link\\](x) \\",
    "[a]: https://evil.example/ref [a]",
]


def rendered(body: str) -> tuple[str, str]:
    """The HTML CommonMark makes of `body`, and the text a reader sees in it."""
    markup = MARKDOWN.render(body)
    return markup, html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


def unescaped_markup(body: str) -> list[str]:
    """The ASCII punctuation in `body` that no backslash escapes: what Markdown could act on."""
    found, position = [], 0
    while position < len(body):
        character = body[position]
        if character == "\\":
            position += 2
            continue
        if character in string.punctuation:
            found.append(character)
        position += 1
    return found


def flat(text: str) -> str:
    return re.sub(r"[\r\n\u2028\u2029]+", " ", text)


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_text_renders_as_its_own_characters(text):
    body = plain(text)
    assert unescaped_markup(body) == []
    assert "\n" not in body and "\r" not in body
    markup, seen = rendered(body)
    assert markup.startswith("<p>") and markup.count("<") == 2  # one paragraph, no other tags
    assert seen == flat(text).strip()


def test_plain_leaves_ordinary_text_alone_and_accepts_any_object():
    assert plain("Ada Lovelace 1815") == "Ada Lovelace 1815"
    assert plain("é ü 漢字 ✍️") == "é ü 漢字 ✍️"
    assert plain(ValueError("bad [x](y)")) == "bad \\[x\\]\\(y\\)"
    assert plain(7) == "7"


def test_plain_text_stays_inert_inside_the_pages_markdown():
    for text in HOSTILE:
        markup, seen = rendered(f"**{plain(text)}**: saved")
        assert markup.count("<strong>") == 1 and markup.count("<") == 4
        assert seen == f"{flat(text).strip()}: saved"


def script_showing_hostile_text() -> None:
    import streamlit as st

    from digit_studio.text import plain

    for text in st.session_state["hostile"]:
        st.markdown(plain(text))
        st.warning(plain(text))
        st.error(plain(text))
        st.info(plain(text))
        st.caption(plain(text))


def test_streamlit_elements_carry_the_escaped_text_unchanged():
    """AppTest sees what the browser gets: the body Streamlit's Markdown renderer is given."""
    app = AppTest.from_function(script_showing_hostile_text, default_timeout=30)
    app.session_state["hostile"] = HOSTILE
    app.run()
    assert not app.exception
    for elements in (app.markdown, app.warning, app.error, app.info, app.caption):
        assert len(elements) == len(HOSTILE)
        for element, text in zip(elements, HOSTILE, strict=True):
            assert element.value == plain(text)
            assert unescaped_markup(element.value) == []
            assert rendered(element.value)[1] == flat(text).strip()
