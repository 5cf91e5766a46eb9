"""The Draw page's saving of a confirmed or corrected drawing, outside the page."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from digit_studio.draw_view import saved_message


def test_the_saved_message_names_a_correction():
    assert saved_message(3, predicted=3) == "Saved as a 3."
    assert saved_message(3, predicted=5) == "Saved as a 3 (the network said 5)."


def save_the_last_drawing():
    import numpy as np
    import streamlit as st

    from digit_studio.draw_view import LastDrawing, save_drawing

    st.session_state.setdefault("canvas_generation", 0)
    image = np.zeros((28, 28), np.float32)  # what the network saw, 0 to 1
    image[10:18, 12:16] = 1.0
    canvas = np.zeros((280, 280, 4), np.uint8)
    st.session_state["last_drawing"] = LastDrawing(image, 1, "mlp", canvas, number=3)
    st.session_state["writer_input"] = " ada "
    st.session_state["saved"] = save_drawing(7)


def test_saving_stores_the_last_drawing_and_clears_the_canvas(samples):
    at = AppTest.from_function(save_the_last_drawing, default_timeout=30).run()
    assert not at.exception
    assert at.session_state["saved"] and at.session_state["canvas_generation"] == 1
    (sample,) = samples.samples()
    assert (sample.label, sample.predicted, sample.model, sample.writer) == (7, 1, "mlp", "ada")
    assert sample.drawing_png.startswith(b"\x89PNG")
    assert at.session_state["board_drawing"] == 1  # the next drawing is a new one on the board


def test_a_busy_board_does_not_save_a_drawing_twice(samples, monkeypatch):
    """The sample is stored, then the board's truth: if only the second fails, the drawing
    counts as saved, so that pressing again does not store it a second time."""
    from mnist_core.errors import SampleStoreBusyError
    from mnist_core.samples import SampleStore

    def busy(*args, **kwargs):
        raise SampleStoreBusyError("busy")

    monkeypatch.setattr(SampleStore, "set_truth", busy)
    at = AppTest.from_function(save_the_last_drawing, default_timeout=30).run()
    assert not at.exception and at.session_state["saved"]
    assert samples.counts().sum() == 1


def test_nothing_to_save_keeps_the_canvas(samples):
    def save_without_a_drawing():
        import streamlit as st

        from digit_studio.draw_view import save_drawing

        st.session_state["canvas_generation"] = 0
        st.session_state["saved"] = save_drawing(7)

    at = AppTest.from_function(save_without_a_drawing, default_timeout=30).run()
    assert not at.exception
    assert not at.session_state["saved"] and at.session_state["canvas_generation"] == 0
    assert samples.counts().sum() == 0
