"""Canvases that fit any screen: a phone, a laptop, a projector.

The canvas keeps its pixel size (what the preprocessing is tuned for) and is scaled by CSS to
the width its column gives it, at most `max_height` tall; strokes come back in canvas pixels.
"""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

SCRIPT = Path(__file__).with_name("assets") / "canvas_fit.js"


@functools.cache
def _fitter():
    # Registered once, on first use: registering needs a running Streamlit script.
    return st.components.v2.component(
        "digit_studio.canvas_fit", js=SCRIPT.read_text(), isolate_styles=False
    )


def fit_canvas(key: str, width: int, height: int, max_height: str) -> None:
    """Scale the canvas whose widget key is `key` (`width` x `height` pixels) to its column,
    at most `max_height` (a CSS length, e.g. "calc(100vh - 8rem)") tall."""
    # The canvas's element container is sized to fit its content: let it take the column.
    st.html(
        f"<style>.st-key-{key}, .st-key-{key} .stBidiComponent {{ width: 100% !important; }}"
        "</style>"
    )
    _fitter()(
        data={"key": key, "width": width, "height": height, "maxHeight": max_height},
        key=f"fit-{key}",
    )
