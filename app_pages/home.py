"""Digit Studio's home page: what it is, the model in use, and the way to each page."""

import streamlit as st

from digit_studio.join import show_join_code
from digit_studio.navigation import APP_ICON, APP_NAME, PAGES
from digit_studio.resources import model_store
from digit_studio.text import plain
from digit_studio.widgets import describe, page_title
from mnist_core.errors import ModelStoreError

page_title(
    f"{APP_ICON} {APP_NAME}",
    "neural network",
    "model",
    "batch",
    "CNN",
    "convolution",
    "step",
    "score",
    "pixel",
)
st.markdown(
    "Draw a digit and watch a neural network recognize it. "
    "Then train a network yourself and watch it learn, batch by batch."
)

store = model_store()
name = store.default_name()
if name is None:
    st.warning("There is no model yet: train one on the **Train** page.")
else:
    try:
        st.info(f"Recognizing with **{plain(describe(store.info(name)))}**, the default model.")
    except ModelStoreError as error:
        st.error(plain(error))

for page in PAGES[1:]:
    st.page_link(page.file, label=f"**{page.title}**: {page.summary}", icon=page.icon)

st.subheader("Join from a phone or laptop")
show_join_code()
