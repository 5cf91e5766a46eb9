"""Draw a digit and watch the network recognize it, stroke by stroke."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from digit_studio.ui import (
    big_digit,
    cached_classifier,
    cached_inspector,
    caption_line,
    choose_model,
    setup_page,
    show_first_layer,
)
from mnist_core.errors import ImageError
from mnist_core.explain import first_layer
from mnist_core.figures import (
    feature_grid,
    pixelated,
    probability_bars,
    saliency_overlay,
    unit_strip,
)
from mnist_core.predict import Prediction
from mnist_core.store import ModelInfo

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


def inside_the_network(info: ModelInfo, prediction: Prediction) -> None:
    """Saliency for any digit, every layer's output, and the first layer's weights."""
    inspector = cached_inspector(info)
    if inspector is None:
        return
    target = st.segmented_control(
        "Which pixels argued for the digit…",
        list(range(10)),
        default=prediction.label,
        help="Pick another digit to ask: why not this one?",
    )
    target = prediction.label if target is None else target
    saliency, weights = st.columns(2, gap="large")
    saliency.image(
        saliency_overlay(prediction.image, inspector.saliency(prediction.image, target)),
        caption=f"Red: ink that raised the score of {target} (gradient × input)",
    )
    with weights:
        view = first_layer(inspector.model)
        what = "filters (3 x 3 or 5 x 5)" if view.kind == "filters" else "weights, one image a unit"
        show_first_layer(view, f"First layer {what}: red favours ink, blue penalizes it")
    layers = inspector.layer_views(prediction.image)
    if not layers:
        st.caption("This network has no hidden layers: its first layer is all there is.")
    for layer in layers:
        if layer.is_spatial:
            st.image(
                feature_grid(
                    layer.values, columns=16, tile=28 * max(1, 56 // layer.values.shape[0])
                ),
                caption=f"{layer.name}: {layer.values.shape[-1]} feature maps, "
                f"{layer.values.shape[0]} x {layer.values.shape[1]}",
            )
        else:
            st.caption(f"{layer.name}: {len(layer.values)} units")
            st.plotly_chart(unit_strip(layer.values), config={"displayModeBar": False})


with st.expander(
    "Inside the network", icon=":material/neurology:", key="inside", on_change="rerun"
) as inside:
    if inside.open:
        if info is None or prediction is None:
            st.caption("Draw a digit to look inside the network.")
        else:
            inside_the_network(info, prediction)
