"""The app's few stylesheet rules, written once: what Streamlit's theme cannot say."""

from __future__ import annotations

import streamlit as st

from digit_studio.widgets import MUTED_TEXT
from mnist_core.figures import INK

# Streamlit stacks columns at this width and below: a phone.
NARROW = "(max-width: 640px)"

EVERY_PAGE = f"""
/* Captions are pale grey by default: on a projector they wash out. */
.stApp [data-testid="stCaptionContainer"] {{ color: {MUTED_TEXT}; }}
/* Less white space under the page links: the canvas and its answer fit a 768-pixel screen. */
.stApp [data-testid="stMainBlockContainer"] {{ padding-top: 4.5rem; }}
/* The ten "No, I drew a…" choices wrap onto a second row instead of scrolling out of sight. */
.st-key-teach [data-testid="stButtonGroup"] > div {{ flex-wrap: wrap; overflow: visible; }}
/* The compact answer under the canvas is for phones; beside the canvas the big one answers. */
@media not all and {NARROW} {{ .st-key-answer-compact {{ display: none; }} }}
/* On a phone the presenter button is no use, and its row (and the Draw page's words beside it)
   would push the answer off screen: the other pages keep their words. */
@media {NARROW} {{ .st-key-prediction, .st-key-present, .st-key-draw-words {{ display: none; }} }}
"""

# Legible from the back of a room: body text at least 20 px, every text 4.5:1 or better.
PRESENTER = f"""
html {{ font-size: 22px; }}
/* The presenter view has no compact answer: its big one shows on any screen. */
.stApp .st-key-prediction {{ display: flex; }}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {{
    font-size: 1rem; color: {INK};
}}
.stApp button p {{ font-size: 1rem; }}
.st-key-present-clear button {{ min-height: 4rem; }}
.st-key-present-clear button p {{ font-size: 1.6rem; }}
[data-testid="stHeader"] {{ display: none; }}
.stApp [data-testid="stMainBlockContainer"] {{ padding: 1.5rem 1.5rem 1rem; }}
"""


def apply_style(presenting: bool) -> None:
    """Add the app's rules, and the presenter view's when presenting, to this page."""
    st.html(f"<style>{EVERY_PAGE}{PRESENTER if presenting else ''}</style>")
