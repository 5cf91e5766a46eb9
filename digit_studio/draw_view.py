"""The Draw page's parts: the canvas, the answer for one digit or a whole number, saving a
confirmed or corrected drawing, and the inside of the network."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from digit_studio.canvas_fit import fit_canvas
from digit_studio.glossary import help_for
from digit_studio.join import show_join_code
from digit_studio.lesson import shows, stop_presenting
from digit_studio.resources import cached_classifier, cached_inspector, model_store, sample_store
from digit_studio.session import session_id
from digit_studio.text import plain
from digit_studio.widgets import (
    big_digit,
    caption_line,
    choose_model,
    current_writer,
    describe,
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
from mnist_core.predict import Classifier, Prediction, compare_on_drawing
from mnist_core.samples import drawing_png
from mnist_core.segment import DIGIT_CANVAS, NUMBER_CANVAS, NumberReading, read_number
from mnist_core.store import ModelInfo, one_of_each_architecture

# The terms the Draw page shows, each explained in its "Words" list.
DRAW_WORDS = (
    "neural network", "model", "pixel", "probability", "confidence", "not-a-digit", "label",
    "perceptron", "MLP", "CNN", "layer", "neuron", "weight", "filter", "feature map", "saliency",
)  # fmt: skip


@dataclass(frozen=True)
class LastDrawing:
    """The drawing just answered, kept until the user says what it was."""

    image: np.ndarray  # the 28 x 28 input the network saw
    predicted: int
    model: str
    drawing: np.ndarray  # the canvas as drawn (RGBA), encoded only if saved
    number: int  # which of this session's drawings: its answer on the class board


def saved_message(label: int, predicted: int) -> str:
    """What the toast says once a drawing is saved."""
    return f"Saved as a {label}" + (
        "." if label == predicted else f" (the network said {predicted})."
    )


def clear_canvas() -> None:
    # A new key gives a fresh, empty canvas.
    st.session_state.canvas_generation += 1
    new_board_drawing()


def new_board_drawing() -> None:
    """The next answer is a new drawing on the class board, not a change to the last one."""
    st.session_state["board_drawing"] = st.session_state.get("board_drawing", 0) + 1
    st.session_state.pop("on_the_board", None)


# The canvas at most this tall on screen: beside the answer on a landscape phone, a laptop, or a
# projector, with room above it for the page's header.
CANVAS_MAX_HEIGHT = "calc(100vh - 7rem)"
PEN_WIDTH = 22  # canvas pixels: MNIST's stroke, about a tenth of the digit's height
MOST_COMPARED = 4  # answers side by side: four columns still fit a 1024-pixel projector


def drawing_canvas(
    height: int,
    width: int,
    key: str,
    max_height: str = CANVAS_MAX_HEIGHT,
    generation: str = "canvas_generation",
):
    """The canvas, white ink on black like MNIST, `width` x `height` canvas pixels scaled to its
    column (strokes come back in canvas pixels); its key changes with the `generation` counter
    in session state, which clearing it counts up."""
    # Imported here: the component registers itself on import, which needs a running Streamlit.
    from streamlit_drawable_canvas import st_canvas

    full_key = f"{key}-{st.session_state.setdefault(generation, 0)}"
    canvas = st_canvas(
        stroke_width=st.session_state.get("pen", PEN_WIDTH),
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=width,
        height=height,
        drawing_mode="freedraw",
        update_streamlit=True,
        return_image_data=True,
        key=full_key,
    )
    fit_canvas(full_key, width, height, max_height)
    return canvas


def pen_width_slider() -> None:
    """The pen's width in canvas pixels: the canvas reads it on the next run. Kept apart from
    the widget's own key, which Streamlit drops on a view without the slider (the presenter's)."""
    st.session_state.setdefault("pen_width", st.session_state.get("pen", PEN_WIDTH))
    st.slider("Pen width", min_value=6, max_value=45, key="pen_width", on_change=_keep_pen)


def _keep_pen() -> None:
    st.session_state["pen"] = st.session_state["pen_width"]


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
    # The board's truth, once the drawing is safe: a busy moment here must not save it twice.
    with contextlib.suppress(MnistCoreError):
        store.set_truth(session_id(), drawn.number, label)
    # Shown by the next run of the canvas's fragment: an element drawn from a callback of a
    # fragment would land at the top of the page.
    st.session_state["saved_note"] = saved_message(label, drawn.predicted)
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
        prediction.image, prediction.label, model, drawing, st.session_state.get("board_drawing", 0)
    )
    if "save_error" in st.session_state:
        st.error(plain(st.session_state.pop("save_error")))
    with st.container(key="teach", border=True):
        st.markdown("**Was it right?** Each answer helps teach a network your handwriting.")
        # One above the other: side by side, a narrow column cut both short.
        if prediction.is_digit:
            st.button(
                f"Yes, it's a {prediction.label}",
                icon=":material/check:",
                on_click=save_confirmed,
                args=(prediction.label,),
            )
        key = f"fix-{st.session_state.canvas_generation}"
        st.pills(
            "No, I drew a…" if prediction.is_digit else "It is a digit: I drew a…",
            list(range(NUM_CLASSES)),
            key=key,
            on_change=save_picked,
            args=(key,),
        )


def answer(
    classifier: Classifier | None, drawing: np.ndarray | None, model: str
) -> Prediction | None:
    """The network's answer for the canvas's drawing (RGBA; None while empty), put on the class
    board; None before one (or with a message)."""
    if classifier is None:
        return None
    try:
        prediction = classifier.classify_drawing(drawing)
    except ImageError as error:
        st.error(str(error))
        return None
    if prediction is not None:
        to_the_board(prediction, model)
    elif "on_the_board" in st.session_state:  # emptied by the canvas's own reset: a new one next
        new_board_drawing()
    return prediction


def to_the_board(prediction: Prediction, model: str) -> None:
    """Record the answer for the class board, once per change of the drawing: a rerun for a
    slider or a name does not write again."""
    store = sample_store()
    drawing = st.session_state.setdefault("board_drawing", 0)
    seen = (drawing, prediction.image.tobytes(), model)
    if store is None or st.session_state.get("on_the_board") == seen:
        return
    try:
        store.record_answer(
            session_id(),
            drawing,
            prediction.image,
            prediction.label,
            prediction.is_digit,
            prediction.confidence,
            model=model,
            writer=current_writer(),
        )
    except MnistCoreError:
        return  # the board misses one drawing (a busy or full database); drawing goes on
    st.session_state["on_the_board"] = seen


def one_digit() -> tuple[ModelInfo | None, Prediction | None, np.ndarray | None]:
    """The canvas beside the answer: the digit, what the network saw, every digit's chance.

    On a phone the columns stack: a compact answer right under the canvas stays in view."""
    if note := st.session_state.pop("saved_note", None):
        st.toast(note, icon=":material/check_circle:")
    drawing, answering = st.columns([1, 1.2], gap="medium")
    with drawing:
        # Decoded once: the canvas sends its drawing as a PNG, decoded on each read of image_data.
        drawn = drawing_canvas(DIGIT_CANVAS, DIGIT_CANVAS, "canvas").image_data
        compact = st.container(key="answer-compact")
        st.button("Clear the canvas", icon=":material/delete:", on_click=clear_canvas, key="clear")
        if shows("pen"):
            pen_width_slider()
        if shows("name"):
            writer_name()
    with answering:
        info = choose_model(chooser=shows("model"))
        classifier = cached_classifier(info) if info else None
        prediction = answer(classifier, drawn, info.name if info else "")
        with compact:
            show_answer(prediction, "draw a digit", size="compact")
        digit, seen = st.columns(2) if shows("seen") else (st.container(), None)
        with digit, st.container(key="prediction"):
            show_answer(prediction, "draw a digit")
        if seen is not None:
            image = pixelated(prediction.image if prediction else None, size=196)
            seen.image(image, caption="What the network sees: 28 × 28 pixels")
        if shows("bars"):
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
        if (
            prediction is not None
            and info is not None
            and shows("teach")
            and sample_store() is not None
        ):
            teach(prediction, drawn, info.name)
    return info, prediction, drawn


@st.fragment
def digit_and_inside() -> None:
    """The canvas, its answer and the inside of the network. A fragment: a stroke reruns only
    this, not the page around it (every element a rerun sends costs the server CPU)."""
    info, prediction, drawn = one_digit()
    if shows("model"):
        with st.expander(
            "Side by side: other models, same drawing",
            icon=":material/compare:",
            key="side-by-side",
            on_change="rerun",
        ) as side:
            if side.open:
                side_by_side(info, drawn)
    if not shows("inside"):
        return
    with st.expander(
        "Inside the network", icon=":material/neurology:", key="inside", on_change="rerun"
    ) as inside:
        if inside.open:
            if info is None or prediction is None:
                st.caption("Draw a digit to look inside the network.")
            else:
                inside_the_network(info, prediction)


def _keep_compared() -> None:
    st.session_state["compared_models"] = st.session_state["compared"]


def side_by_side(chosen: ModelInfo | None, drawn: np.ndarray | None) -> None:
    """The drawing through two to four models at once, each answer with its bars, and the
    server time the answers took."""
    infos = {info.name: info for info in model_store().list_models()}
    if len(infos) < 2:
        st.caption("Comparing needs two models or more: train another on the Train page.")
        return
    # Kept apart from the widget's key, which Streamlit drops while the expander is closed.
    if "compared_models" not in st.session_state:
        st.session_state["compared_models"] = one_of_each_architecture(
            list(infos.values()), chosen, MOST_COMPARED
        )
    st.session_state["compared"] = [
        name for name in st.session_state["compared_models"] if name in infos
    ]
    names = st.multiselect(
        "Models",
        list(infos),
        key="compared",
        max_selections=MOST_COMPARED,
        format_func=lambda name: describe(infos[name]),
        help="Up to four. A perceptron, an MLP and a CNN often disagree on a sloppy digit.",
        on_change=_keep_compared,
    )
    loaded = {name: cached_classifier(infos[name]) for name in names}  # None: its error shown
    ready = {name: classifier for name, classifier in loaded.items() if classifier is not None}
    names = list(ready)
    comparison = (
        compare_on_drawing(list(ready.values()), drawn) if ready and drawn is not None else None
    )
    if comparison is None:
        st.caption("Draw a digit and pick models to see each one's answer.")
        return
    for column, name, prediction in zip(
        st.columns(len(names)), names, comparison.predictions, strict=True
    ):
        with column:
            st.markdown(f"**{plain(name)}**")
            st.caption(plain(describe(infos[name])))
            show_answer(prediction, "", size="compact")
            st.plotly_chart(
                probability_bars(
                    prediction.probabilities, height=200, is_digit=prediction.is_digit
                ),
                config={"displayModeBar": False},
                key=f"compared-{name}",
            )
    st.caption(
        f"{len(names)} models answered in {comparison.milliseconds:.0f} ms of this server's "
        "time: the drawing prepared once, then one call to each model."
    )


@st.fragment
def presenter() -> None:
    """The Draw page for a projector: a canvas as tall as the screen, the answer and its bars
    big beside it, one big Clear; what a lesson's link hides stays hidden."""
    # Wide enough for the canvas to fill a 4:3 projector's height, the answer beside it.
    drawing, answering = st.columns([1.8, 1], gap="medium")
    with drawing:
        drawn = drawing_canvas(
            DIGIT_CANVAS, DIGIT_CANVAS, "canvas", max_height="calc(100vh - 7.5rem)"
        ).image_data
        st.button(
            "Clear",
            icon=":material/delete:",
            on_click=clear_canvas,
            use_container_width=True,
            key="present-clear",
        )
    with answering:
        info = choose_model(chooser=False)
        classifier = cached_classifier(info) if info else None
        prediction = answer(classifier, drawn, info.name if info else "")
        with st.container(key="prediction"):
            show_answer(prediction, "draw a digit", size="presenter")
        if shows("bars"):
            st.plotly_chart(
                probability_bars(
                    prediction.probabilities if prediction else None,
                    height=320,
                    is_digit=prediction is None or prediction.is_digit,
                    font_size=22,
                ),
                key="probabilities",
                config={"displayModeBar": False},
            )
        join, leave = st.columns(2)
        if shows("join"):
            with join.popover("Join on a phone", icon=":material/qr_code_2:"):
                show_join_code()
        if leave.button("Leave the presenter view", icon=":material/close:", key="leave-present"):
            stop_presenting()
            st.rerun()  # the whole page, not this fragment: its layout is the presenter's


@st.fragment
def whole_number() -> None:
    """A wide canvas for a number: each digit found, boxed, read and charted; a fragment, as
    `digit_and_inside` is."""
    drawn = drawing_canvas(*NUMBER_CANVAS, "number").image_data  # decoded once
    st.button(
        "Clear the canvas", icon=":material/delete:", on_click=clear_canvas, key="clear-number"
    )
    if shows("pen"):
        pen_width_slider()
    info = choose_model(chooser=shows("model"))
    classifier = cached_classifier(info) if info else None
    if classifier is None or drawn is None:
        return
    try:
        reading = read_number(classifier, drawn)
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
    st.image(number_boxes(drawn, reading), caption="The pieces found, left to right")
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
        help=help_for("saliency", "gradient × input")
        + "\n\nPick another digit to ask: why not this one?",
    )
    target = prediction.label if target is None else target
    saliency, weights = st.columns(2, gap="large")
    saliency.image(
        saliency_overlay(prediction.image, inspector.saliency(prediction.image, target)),
        caption=f"Saliency, in red: the ink that made the network more sure it is a {target}",
    )
    with weights:
        view = first_layer(inspector.model)
        what = "looks for" if view.kind == "filters" else "weighs, one picture a neuron"
        show_first_layer(
            view,
            f"What the first layer {what} ({view.description}): red counts ink for, "
            "blue counts it against",
        )
    layers = inspector.layer_views(prediction.image)
    if not layers:
        st.caption(
            "This network has no hidden layers: each of its ten answers weighs every pixel "
            "directly, with the weights above."
        )
    for number, layer in enumerate(layers, start=1):
        if layer.is_spatial:
            height, width, maps = layer.values.shape
            st.image(
                feature_grid(layer.values, columns=16, tile=28 * max(1, 56 // height)),
                caption=f"Layer {number}, {layer.description}: the {maps} feature maps of your "
                f"drawing, {height} × {width} each. Bright: where a filter found its pattern.",
            )
        else:
            st.caption(
                f"Layer {number}, {layer.description}: how strongly each of its "
                f"{len(layer.values)} neurons lights up"
            )
            st.plotly_chart(unit_strip(layer.values), config={"displayModeBar": False})
