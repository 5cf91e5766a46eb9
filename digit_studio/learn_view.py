"""The Learn page's parts: the digit to look at (drawn, or an example), a convolution step by
step, what the network thinks each digit looks like, and a drawing changed to fool it."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from digit_studio.draw_view import drawing_canvas
from digit_studio.resources import (
    cached_first_convolution,
    cached_mnist,
    cached_portraits,
    warm_portrait_painter,
)
from digit_studio.text import plain
from digit_studio.widgets import caption_line
from mnist_core.adversarial import fool
from mnist_core.convolution import ConvolutionWalk, convolution_walk
from mnist_core.convolution_figures import (
    convolution_animation,
    output_figure,
    pooled_figure,
    relu_figure,
    step_grids_figure,
    sum_line,
    window_figure,
)
from mnist_core.data import NUM_CLASSES
from mnist_core.errors import MnistCoreError, NoConvolutionError
from mnist_core.figures import pixelated, weight_grid
from mnist_core.predict import Classifier
from mnist_core.segment import DIGIT_CANVAS
from mnist_core.store import ModelInfo

# The terms the Learn page shows, each explained in its "Words" list.
LEARN_WORDS = (
    "neural network", "model", "MNIST", "test set", "pixel", "layer", "neuron", "weight", "bias",
    "convolution", "filter", "step", "feature map", "ReLU", "pooling", "batch normalization",
    "feature visualization", "probability", "confidence", "adversarial example",
    "not-a-digit", "augmentation",
)  # fmt: skip
LOOKS = ("A convolution, step by step", "What it thinks digits look like", "Fool the network")
FIGURE = {"displayModeBar": False}
LEARN_GENERATION = "learn_canvas_generation"
PORTRAIT_COLUMNS = 5  # two rows of five: each portrait big enough to see its strokes
LEARN_CANVAS_HEIGHT = "16rem"  # small: the views beside it need the room


def example_image(digit: int) -> np.ndarray | None:
    """The first MNIST test image of `digit`, as the model sees it: (28, 28) in [0, 1]; None
    (with a message) when MNIST cannot be read."""
    try:
        mnist = cached_mnist()
    except MnistCoreError as error:
        st.error(plain(error))
        return None
    return mnist.x_test[int(np.flatnonzero(mnist.y_test == digit)[0])] / 255.0


def digit_to_look_at(classifier: Classifier) -> np.ndarray | None:
    """The student's drawing as the network sees it, or an MNIST example until they draw."""
    drawn = drawing_canvas(
        DIGIT_CANVAS,
        DIGIT_CANVAS,
        "learn-canvas",
        max_height=LEARN_CANVAS_HEIGHT,
        generation=LEARN_GENERATION,
    ).image_data
    st.button("Clear", icon=":material/delete:", on_click=_clear, key="learn-clear")
    prediction = classifier.classify_drawing(drawn)
    if prediction is not None:
        st.caption("Your drawing, as the network sees it: 28 × 28 pixels")
        st.image(pixelated(prediction.image, size=112))
        return prediction.image
    example = st.selectbox(
        "Until you draw, an MNIST example of a", list(range(NUM_CLASSES)), index=4,
        key="learn_example",
    )  # fmt: skip
    image = example_image(int(example))
    if image is not None:
        st.image(pixelated(image, size=112), caption="An example from MNIST's test digits")
    return image


def _clear() -> None:
    # Its own counter: clearing here leaves the Draw page's canvas and the class board alone.
    st.session_state[LEARN_GENERATION] = st.session_state.get(LEARN_GENERATION, 0) + 1


def _move_window(place: int, positions: int) -> None:
    st.session_state["conv_position"] = min(max(place, 1), positions)


@st.fragment
def convolution_steps(info: ModelInfo, image: np.ndarray) -> None:
    """One first-layer filter slid over the digit: the numbers under its window, the
    multiply-add, the output map filling in, then ReLU and pooling. A fragment: a step reruns
    only this."""
    started = time.perf_counter()
    try:
        convolution = cached_first_convolution(info)
    except NoConvolutionError as error:
        st.info(str(error))
        return
    if convolution is None:
        return
    st.markdown(
        f"**The first layer: {convolution.description}.** Each filter is a small grid of "
        "weights. It slides over the picture; at each place it multiplies the pixels under it "
        "by its weights, adds them up, and adds one more number, its bias. That is one cell of "
        "its feature map."
    )
    chosen, animate = st.columns([3, 1], vertical_alignment="bottom")
    number = chosen.slider("Filter", 1, convolution.filters, key="conv_filter")
    playing = animate.toggle("Animate", key="conv_animate")
    walk = convolution_walk(convolution, image, number - 1)
    if playing:
        st.plotly_chart(convolution_animation(walk), config=FIGURE, key="conv-animation")
        _later_steps(walk)
    else:
        _one_step(walk)
    for note in convolution.notes:
        st.caption(note)
    st.caption(f"This view took {(time.perf_counter() - started) * 1000:.0f} ms of server time.")


def _one_step(walk: ConvolutionWalk) -> None:
    """The window at one place: the picture and the map beside each other, the buttons that move
    it right under them, then the numbers it multiplies and their sum."""
    rows, columns = walk.output.shape
    # Counted from 1, as the animation's slider counts; the middle of the map, where ink is.
    st.session_state.setdefault("conv_position", (rows // 2) * columns + columns // 2 + 1)
    place = min(st.session_state["conv_position"], walk.positions)
    st.session_state["conv_position"] = place
    step = walk.step(place - 1)
    picture, output = st.columns(2)
    picture.plotly_chart(window_figure(walk, step, height=280), config=FIGURE, key="conv-window")
    output.plotly_chart(output_figure(walk, step, height=280), config=FIGURE, key="conv-output")
    back, forward, down = st.columns(3)
    back.button(
        "One step back", icon=":material/chevron_left:", on_click=_move_window,
        args=(place - 1, walk.positions), key="conv-back", width="stretch",
    )  # fmt: skip
    forward.button(
        "One step", icon=":material/chevron_right:", on_click=_move_window,
        args=(place + 1, walk.positions), key="conv-step", width="stretch",
    )  # fmt: skip
    down.button(
        "One row down", icon=":material/keyboard_arrow_down:", on_click=_move_window,
        args=(place + columns, walk.positions), key="conv-row", width="stretch",
    )  # fmt: skip
    caption_line(sum_line(step))
    st.plotly_chart(step_grids_figure(walk, step, height=240), config=FIGURE, key="conv-grids")
    st.slider("Window position", 1, walk.positions, key="conv_position")
    _later_steps(walk)


def _later_steps(walk: ConvolutionWalk) -> None:
    """ReLU and pooling on the whole map."""
    relu, pooled = st.columns(2)
    relu.plotly_chart(relu_figure(walk, height=300), config=FIGURE, key="conv-relu")
    relu.caption("ReLU: every negative number becomes 0; the rest stay.")
    if walk.pooled is not None:
        pooled.plotly_chart(pooled_figure(walk, height=300), config=FIGURE, key="conv-pooled")
        height, width = walk.convolution.pool_size or (1, 1)
        pooled.caption(
            f"Pooling: each {height} × {width} square keeps only its biggest number, so the map "
            f"is {height} times smaller each way."
        )


def fooled_drawing(classifier: Classifier, image: np.ndarray) -> None:
    """The smallest change to the digit that makes the network read another one, beside the
    digit, with the change itself: red where ink was added, blue where it was taken away."""
    target = st.pills(
        "Make the network read",
        list(range(NUM_CLASSES)),
        key="fool_target",
        help="Leave it empty for any digit but the one it reads now.",
    )
    started = time.perf_counter()
    reading = classifier.classify_seen(image).label
    if target is not None and int(target) == reading:
        st.info(f"The network already reads a {reading}: pick another digit.")
        return
    fooling = fool(classifier, image, None if target is None else int(target))
    before, after, change = st.columns(3)
    before.image(
        pixelated(fooling.original, size=168),
        caption=f"It reads {fooling.original_label}",
        width="stretch",
    )
    chance = fooling.probabilities[fooling.fooled_label]
    after.image(
        pixelated(fooling.fooled, size=168),
        caption=f"After the change it reads {fooling.fooled_label} ({chance:.0%} sure)"
        if fooling.succeeded
        else f"It reads {fooling.fooled_label} ({chance:.0%} sure)",
        width="stretch",
    )
    scale = max(fooling.epsilon, 1e-6)
    change.image(
        weight_grid(fooling.difference[np.newaxis] / scale, columns=1, tile=168),
        caption=f"The change, {1 / scale:.0f} times stronger so that you can see it: red ink "
        "added, blue taken away",
        width="stretch",
    )
    if fooling.succeeded:
        st.markdown(
            f"No pixel changed by more than **{fooling.epsilon:.0%}** of the way from black to "
            f"white: a faint haze over {fooling.changed_pixels} of the 784 pixels. To you it is "
            f"still a {fooling.original_label}; the network reads {fooling.fooled_label}. "
            "This is an adversarial example."
        )
    else:
        goal = "another digit" if fooling.target is None else f"a {fooling.target}"
        st.markdown(
            f"Changing each pixel by up to {fooling.epsilon:.0%} did not make it read {goal}. "
            "Past that, the drawing itself would start to change."
        )
    if classifier.rejects_non_digits:
        st.caption(
            "The not-a-digit guard turns the changed drawing away."
            if not fooling.is_digit
            else "The not-a-digit guard is fooled too: it still calls the changed drawing a digit."
        )
    st.caption(f"This view took {(time.perf_counter() - started) * 1000:.0f} ms of server time.")


def digit_portraits(info: ModelInfo) -> None:
    """For each digit, the picture the network is surest of: painted on demand, once per model
    and start for the whole server."""
    st.markdown(
        "**What does the network think a 7 looks like?** Start from a grey smudge and change "
        "its pixels, little by little, to make the network as sure as it can be that it is a "
        "7. Small random shifts and a soft blur at each step keep it looking like a drawing. "
        "This is feature visualization."
    )
    asked = st.session_state.setdefault("portraits_asked", set())
    if info.name not in asked:  # on demand: a second or two of the server's time, per model
        warm_portrait_painter(info)
        st.button(
            "Paint what it thinks each digit looks like",
            icon=":material/palette:",
            on_click=asked.add,
            args=(info.name,),
            key="paint",
        )
        return
    seed = st.session_state.setdefault("portrait_seed", 0)
    painted = cached_portraits(info, seed)
    if painted is None:
        return
    portraits = painted.portraits
    columns = st.columns(PORTRAIT_COLUMNS)
    for digit in range(NUM_CLASSES):
        columns[digit % PORTRAIT_COLUMNS].image(
            pixelated(portraits.images[digit], size=112),
            caption=f"{digit}: {painted.sure[digit]:.0%} sure",
        )
    st.button(
        "Paint again from another smudge",
        icon=":material/refresh:",
        on_click=st.session_state.update,
        kwargs={"portrait_seed": seed + 1},
        key="paint-again",
    )
    st.caption(
        f"Painted in {painted.seconds:.1f} s of this server's time, once for every student: "
        "each start gives a different picture the network is just as sure of."
    )
