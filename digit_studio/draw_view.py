"""The Draw page's parts: the canvas, the answer for one digit or a whole number, saving a
confirmed or corrected drawing, and the inside of the network."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from digit_studio.resources import cached_classifier, cached_inspector, sample_store
from digit_studio.text import plain
from digit_studio.widgets import (
    big_digit,
    caption_line,
    choose_model,
    current_writer,
    rejection_note,
    show_answer,
    show_first_layer,
    writer_name,
)
from mnist_core.data import NUM_CLASSES
from mnist_core.errors import EmptyImageError, ImageError, MnistCoreError
from mnist_core.explain import first_layer
from mnist_core.figures import (
    feature_grid,
    number_boxes,
    pixelated,
    probability_bars,
    saliency_overlay,
    unit_strip,
)
from mnist_core.predict import Prediction
from mnist_core.samples import drawing_png
from mnist_core.segment import DIGIT_CANVAS, NUMBER_CANVAS, NumberReading, read_number
from mnist_core.store import ModelInfo


@dataclass(frozen=True)
class LastDrawing:
    """The drawing just answered, kept until the user says what it was."""

    image: np.ndarray  # the 28 x 28 input the network saw
    predicted: int
    model: str
    drawing: np.ndarray  # the canvas as drawn (RGBA), encoded only if saved


def saved_message(label: int, predicted: int) -> str:
    """What the toast says once a drawing is saved."""
    return f"Saved as a {label}" + (
        "." if label == predicted else f" (the network said {predicted})."
    )


def clear_canvas() -> None:
    # A new key gives a fresh, empty canvas.
    st.session_state.canvas_generation += 1


def drawing_canvas(width: int, key: str):
    """The pen-width slider and the canvas, white ink on black like MNIST; `key` changes
    when it is cleared."""
    # Imported here: the component registers itself on import, which needs a running Streamlit.
    from streamlit_drawable_canvas import st_canvas

    pen_width = st.slider("Pen width", min_value=6, max_value=45, value=22, key="pen_width")
    return st_canvas(
        stroke_width=pen_width,
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=width,
        height=DIGIT_CANVAS,
        drawing_mode="freedraw",
        update_streamlit=True,
        return_image_data=True,
        key=f"{key}-{st.session_state.canvas_generation}",
    )


def save_drawing(label: int) -> bool:
    """Store the last drawing with the digit the user says it is, then clear the canvas.
    False when it could not be stored: the drawing stays, to try again."""
    store = sample_store()
    drawn: LastDrawing | None = st.session_state.get("last_drawing")
    if store is None or drawn is None:
        return False
    try:
        store.add(
            drawn.image,
            label,
            predicted=drawn.predicted,
            model=drawn.model,
            writer=current_writer(),
            drawing_png=drawing_png(drawn.drawing),
        )
    except MnistCoreError as error:  # busy (another session saving) or unusable: said, kept
        st.session_state["save_error"] = str(error)
        return False
    st.toast(saved_message(label, drawn.predicted), icon=":material/check_circle:")
    clear_canvas()
    return True


def save_confirmed(label: int) -> None:
    """The Yes button: the drawing saved as the digit the network said."""
    save_drawing(label)


def save_picked(key: str) -> None:
    """The digit picked under "No, I drew a…": the drawing saved as that one."""
    if st.session_state.get(key) is not None and not save_drawing(int(st.session_state[key])):
        st.session_state[key] = None  # unpicked, so that picking the digit again retries


def teach(prediction: Prediction, drawing: np.ndarray, model: str) -> None:
    """Confirm or correct the answer: each one is saved for the My handwriting page."""
    st.session_state["last_drawing"] = LastDrawing(
        prediction.image, prediction.label, model, drawing
    )
    if "save_error" in st.session_state:
        st.error(plain(st.session_state.pop("save_error")))
    with st.container(key="teach", border=True):
        st.markdown("**Was it right?** Each answer helps teach a network your handwriting.")
        yes, fix = st.columns([1, 2], vertical_alignment="bottom")
        if prediction.is_digit:
            yes.button(
                f"Yes, it's a {prediction.label}",
                icon=":material/check:",
                on_click=save_confirmed,
                args=(prediction.label,),
            )
        key = f"fix-{st.session_state.canvas_generation}"
        fix.pills(
            "No, I drew a…" if prediction.is_digit else "It is a digit: I drew a…",
            list(range(NUM_CLASSES)),
            key=key,
            on_change=save_picked,
            args=(key,),
        )


def one_digit() -> tuple[ModelInfo | None, Prediction | None]:
    """The canvas beside the answer: the digit, what the network saw, every digit's chance."""
    drawing, answer = st.columns([1, 1.4], gap="large")
    with drawing:
        canvas = drawing_canvas(DIGIT_CANVAS, "canvas")
        st.button("Clear the canvas", icon=":material/delete:", on_click=clear_canvas)
        writer_name()
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
            show_answer(prediction, "draw a digit")
        with seen:
            image = pixelated(prediction.image if prediction else None, size=196)
            st.image(image, caption="What the network sees: 28 × 28 pixels")
        st.plotly_chart(
            probability_bars(
                prediction.probabilities if prediction else None,
                is_digit=prediction is None or prediction.is_digit,
            ),
            key="probabilities",
            config={"displayModeBar": False},
        )
        if classifier is not None:
            rejection_note(classifier)
        if prediction is not None and info is not None and sample_store() is not None:
            teach(prediction, canvas.image_data, info.name)
    return info, prediction


def whole_number() -> None:
    """A wide canvas for a number: each digit found, boxed, read and charted."""
    canvas = drawing_canvas(NUMBER_CANVAS[1], "number")
    clear, chooser = st.columns([1, 2], vertical_alignment="bottom")
    clear.button("Clear the canvas", icon=":material/delete:", on_click=clear_canvas)
    with chooser:
        info = choose_model()
    classifier = cached_classifier(info) if info else None
    if classifier is None or canvas.image_data is None:
        return
    try:
        reading = read_number(classifier, canvas.image_data)
    except EmptyImageError:
        big_digit("write a number", muted=True)
        return
    except ImageError as error:
        st.error(str(error))
        return
    with st.container(key="number"):
        if reading.text:
            big_digit(reading.text)
        else:
            big_digit("no digits found", muted=True)
        caption_line(number_caption(reading))
    st.image(number_boxes(canvas.image_data, reading), caption="The pieces found, left to right")
    columns = st.columns(len(reading.digits))
    for index, (column, digit) in enumerate(zip(columns, reading.digits, strict=True)):
        with column:
            prediction = digit.prediction
            st.markdown(piece_title(prediction))
            st.image(pixelated(prediction.image, size=112))
            st.plotly_chart(
                probability_bars(
                    prediction.probabilities, height=180, is_digit=prediction.is_digit
                ),
                config={"displayModeBar": False},
                key=f"digit-{index}",
            )
    rejection_note(classifier)


def number_caption(reading: NumberReading) -> str:
    """What the boxes' colours mean, as far as this reading has them."""
    notes = []
    if reading.non_digits:
        notes.append("Red boxes with × don't look like digits: they are left out.")
    if reading.unsure:
        notes.append("Amber boxes with a ? are digits the network is unsure of.")
    return " ".join(notes) or "The network is sure of every digit."


def piece_title(prediction: Prediction) -> str:
    """One piece's heading under a number: its digit and how sure, or that it is none."""
    if not prediction.is_digit:
        return f"**×** · not a digit (best guess {prediction.label})"
    mark = " ?" if prediction.unsure else ""
    return f"**{prediction.label}{mark}** · {prediction.confidence:.0%} sure"


def inside_the_network(info: ModelInfo, prediction: Prediction) -> None:
    """Saliency for any digit, every layer's output, and the first layer's weights."""
    inspector = cached_inspector(info)
    if inspector is None:
        return
    target = st.segmented_control(
        "Which pixels argued for the digit…",
        list(range(NUM_CLASSES)),
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
