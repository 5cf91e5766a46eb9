"""Digit Studio's entrypoint (`streamlit run app.py`): registers every page, sets the browser
tab's title and runs the page asked for."""

# Streamlit runs this file as __main__; a training worker's spawned process imports it again as
# __mp_main__, where no page must run and nothing heavy must load: that import runs before the
# worker lowers its priority, and would take the CPU from the server and from training.
if __name__ == "__main__":
    import streamlit as st

    from digit_studio.navigation import APP_ICON, APP_NAME, PAGES
    from digit_studio.resources import training_hall

    current = st.navigation([page.streamlit_page() for page in PAGES])
    st.set_page_config(
        page_title=f"{current.title} · {APP_NAME}",
        page_icon=current.icon,
        layout="wide",
        menu_items={},
    )
    st.sidebar.caption(f"{APP_ICON} {APP_NAME}: see how a neural network reads handwriting.")
    training_hall()  # its worker loads TensorFlow now, so that a first Start is quick
    current.run()
