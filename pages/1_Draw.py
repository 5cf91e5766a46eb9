"""Draw a digit and watch the network recognize it, stroke by stroke."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from digit_studio.ui import big_digit, cached_classifier, caption_line, choose_model, setup_page
from mnist_core.errors import ImageError
from mnist_core.figures import pixelated, probability_bars

CANVAS_SIZE = 280  # ten times MNIST's 28 pixels

setup_page("Draw")
st.session_state.setdefault("canvas_generation", 0)


def clear_canvas() -> None:
    # A new key gives a fresh, empty canvas.
    st.session_state.canvas_generation += 1


st.title("Draw a digit")
st.caption(
    "Draw one digit from 0 to 9 with the mouse, a finger or a pen. "
    "The network answers each time you lift the pen."
)

drawing, answer = st.columns([1, 1.4], gap="large")
with drawing:
    pen_width = st.slider("Pen width", min_value=6, max_value=45, value=22, key="pen_width")
    canvas = st_canvas(
        stroke_width=pen_width,
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=CANVAS_SIZE,
        height=CANVAS_SIZE,
        drawing_mode="freedraw",
        update_streamlit=True,
        return_image_data=True,
        key=f"canvas-{st.session_state.canvas_generation}",
    )
    st.button("Clear the canvas", icon=":material/delete:", on_click=clear_canvas)

with answer:
    info = choose_model()
    classifier = cached_classifier(info) if info else None
    prediction = None
    if classifier is not None:
        try:
            prediction = classifier.classify_drawing(canvas.image_data)
        except ImageError as error:
            st.error(str(error))

    digit, seen = st.columns(2)
    with digit, st.container(key="prediction"):
        if prediction is None:
            big_digit("draw a digit", muted=True)
            caption_line("&nbsp;")
        else:
            big_digit(str(prediction.label))
            caption_line(f"{prediction.confidence:.1%} sure")
    with seen:
        image = pixelated(prediction.image if prediction else None, size=196)
        st.image(image, caption="What the network sees: 28 × 28 pixels")
    st.plotly_chart(
        probability_bars(prediction.probabilities if prediction else None),
        key="probabilities",
        config={"displayModeBar": False},
    )
