"""Draw a digit and watch the network recognize it, stroke by stroke."""

import streamlit as st

from digit_studio.draw_view import DRAW_WORDS, digit_and_inside, presenter, whole_number
from digit_studio.lesson import presenting, shows, start_presenting
from digit_studio.widgets import words_on_this_page

st.session_state.setdefault("canvas_generation", 0)
if presenting():
    presenter()
    st.stop()

title, words, present = st.columns([2.4, 0.8, 1.2], vertical_alignment="center")
title.title("Draw a digit")
with words, st.container(key="draw-words"):
    words_on_this_page(*DRAW_WORDS)
present.button(
    "Present to the class",
    icon=":material/co_present:",
    on_click=start_presenting,
    help="A big canvas and answer for a projector, with nothing else on screen",
    key="present",
)
mode = (
    st.radio(
        "What to draw",
        ["One digit", "A whole number"],
        horizontal=True,
        key="draw_mode",
        label_visibility="collapsed",
    )
    if shows("mode")
    else "One digit"
)
st.caption(
    "Draw one digit from 0 to 9 with the mouse, a finger or a pen. "
    "The network answers each time you lift the pen."
    if mode == "One digit"
    else "Write a number, such as 2026, digits side by side. Each digit is found, boxed and read."
)

if mode == "One digit":
    digit_and_inside()
else:
    whole_number()
