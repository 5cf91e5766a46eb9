"""The Class board: every drawing of the class, live, and what the class's corrections show."""

import streamlit as st

from digit_studio.board_view import live_board, teacher_actions
from digit_studio.resources import sample_store
from digit_studio.teacher import teacher_sign_in
from digit_studio.widgets import page_title

page_title(
    "Class board", "neural network", "model", "accuracy", "confusion matrix", "not-a-digit", "label"
)
st.caption(
    "Every digit drawn on the Draw page, one at a time, with what the network said; where a "
    "student pressed Yes or No, the truth too. Drawings are anonymous unless a student typed a "
    "name. (Whole numbers and uploaded files are not shown.)"
)
store = sample_store()
if store is None:
    st.stop()

with st.expander("For the teacher", icon=":material/school:"):
    teacher = teacher_sign_in()
    if teacher:
        teacher_actions(store)

live_board(teacher)
