"""Draw a digit and watch the network recognize it, stroke by stroke."""

import streamlit as st

from digit_studio.draw_view import inside_the_network, one_digit, whole_number

st.session_state.setdefault("canvas_generation", 0)
st.title("Draw a digit")
mode = st.radio("What to draw", ["One digit", "A whole number"], horizontal=True, key="draw_mode")
st.caption(
    "Draw one digit from 0 to 9 with the mouse, a finger or a pen. "
    "The network answers each time you lift the pen."
    if mode == "One digit"
    else "Write a number, such as 2026, digits side by side. Each digit is found, boxed and read."
)

if mode == "One digit":
    info, prediction = one_digit()
    with st.expander(
        "Inside the network", icon=":material/neurology:", key="inside", on_change="rerun"
    ) as inside:
        if inside.open:
            if info is None or prediction is None:
                st.caption("Draw a digit to look inside the network.")
            else:
                inside_the_network(info, prediction)
else:
    whole_number()
