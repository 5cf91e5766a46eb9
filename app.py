"""Digit Studio's entrypoint (`streamlit run app.py`): registers every page, sets the browser
tab's title and runs the page asked for."""

# Streamlit runs this file as __main__; a training worker's spawned process imports it again as
# __mp_main__, where no page must run and nothing heavy must load: that import runs before the
# worker lowers its priority, and would take the CPU from the server and from training.
if __name__ == "__main__":
    import streamlit as st

    from digit_studio.lesson import presenting, stop_presenting
    from digit_studio.navigation import APP_NAME, PAGES
    from digit_studio.resources import training_hall
    from digit_studio.style import apply_style

    # Page links along the top: a sidebar takes a third of a projector's 1024 pixels and covers
    # a phone held sideways. The presenter view has none: only what the class should see.
    present = presenting()
    current = st.navigation(
        [page.streamlit_page() for page in PAGES], position="hidden" if present else "top"
    )
    st.set_page_config(
        page_title=f"{current.title} · {APP_NAME}",
        page_icon=current.icon,
        layout="wide",
        initial_sidebar_state="collapsed" if present else "auto",
        menu_items={},
    )
    apply_style(present)
    if present and current.url_path != "Draw":  # the Draw page's presenter view has its own
        st.button("Leave the presenter view", icon=":material/close:", on_click=stop_presenting)
    training_hall()  # its worker loads TensorFlow now, so that a first Start is quick
    current.run()
