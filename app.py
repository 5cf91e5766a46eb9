"""Digit Studio's entrypoint (`streamlit run app.py`): registers every page, sets the browser
tab's title and runs the page asked for."""

import streamlit as st

from digit_studio.navigation import APP_ICON, APP_NAME, PAGES

# Streamlit runs this file as __main__; a training job's spawned process imports it again as
# __mp_main__, where no page must run.
if __name__ == "__main__":
    current = st.navigation([page.streamlit_page() for page in PAGES])
    st.set_page_config(
        page_title=f"{current.title} · {APP_NAME}",
        page_icon=current.icon,
        layout="wide",
        menu_items={},
    )
    st.sidebar.caption(f"{APP_ICON} {APP_NAME}: see how a neural network reads handwriting.")
    current.run()
