"""How a teacher tailors the app from a link: `?present=1` for the presenter view, `?hide=...`
for the controls a lesson leaves out (TensorFlow Playground's idea)."""

from __future__ import annotations

import streamlit as st

# What a link can hide, and what each is on screen.
HIDEABLE = {
    "mode": "the choice between one digit and a whole number",
    "model": "the model chooser (the default model answers)",
    "pen": "the pen width",
    "name": "the name field",
    "teach": "Was it right? (Yes / No, I drew a…)",
    "inside": "Inside the network",
    "seen": "what the network sees (28 × 28 pixels)",
    "bars": "every digit's chance",
    "join": "the QR code to join",
}


def hidden_from(text: str) -> frozenset[str]:
    """The controls a `hide=` value names (comma-separated, any case); unknown names are
    ignored, so an old or mistyped link still opens the app."""
    names = {name.strip().lower() for name in text.split(",")}
    return frozenset(names & HIDEABLE.keys())


def hidden() -> frozenset[str]:
    """The controls this session's link hides; kept for the session once a link says so."""
    if "hide" in st.query_params:
        st.session_state["lesson_hidden"] = hidden_from(st.query_params["hide"])
    return st.session_state.get("lesson_hidden", frozenset())


def shows(control: str) -> bool:
    """Whether the page shows `control` (one of HIDEABLE)."""
    return control not in hidden()


def presenting() -> bool:
    """The presenter view: a link with `present=1`, or the Present button."""
    return st.query_params.get("present") == "1"


def start_presenting() -> None:
    st.query_params["present"] = "1"


def stop_presenting() -> None:
    st.query_params.pop("present", None)
