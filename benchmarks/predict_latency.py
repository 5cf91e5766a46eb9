"""Latency of one interactive prediction: `classify` against `model.predict`, same model and inputs,
then the Draw page's whole server-side work after a mouse-up, step by step (goal: under 50 ms),
and each "learn by looking" view (goal: under 300 ms; the portraits under 2 s).

    python -m benchmarks.predict_latency [--model NAME] [--repeats 200]

Inputs are 280x280 RGBA canvases holding MNIST test digits drawn large, as the Draw page gets
them: a PNG data URL from streamlit-drawable-canvas, decoded to RGBA as the component does; then
preprocessing, classification, the bar chart and the pixelated view, and the chart's JSON as
st.plotly_chart serializes it.
"""

from __future__ import annotations

import argparse
import base64
import io
import time
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go
import plotly.io
from PIL import Image

from benchmarks.drawn import mnist_on_canvas
from mnist_core.adversarial import fool
from mnist_core.convolution import convolution_walk, first_convolution
from mnist_core.convolution_figures import (
    convolution_animation,
    output_figure,
    pooled_figure,
    relu_figure,
    step_grids_figure,
    sum_line,
    window_figure,
)
from mnist_core.data import load_mnist
from mnist_core.errors import NoConvolutionError
from mnist_core.explain import Inspector, first_layer
from mnist_core.figures import (
    feature_grid,
    pixelated,
    probability_bars,
    saliency_overlay,
    unit_strip,
    weight_grid,
)
from mnist_core.portraits import PortraitPainter
from mnist_core.predict import Classifier, Prediction, compare_on_drawing, load_classifier
from mnist_core.preprocess import to_mnist
from mnist_core.store import ModelStore


def latencies_ms(work: Callable[[np.ndarray], object], inputs: list[np.ndarray], repeats: int):
    for image in inputs[:5]:
        work(image)  # warm-up: tracing and caches
    times = []
    for index in range(repeats):
        started = time.perf_counter()
        work(inputs[index % len(inputs)])
        times.append((time.perf_counter() - started) * 1000)
    return np.percentile(times, [50, 95])


def data_url(rgba: np.ndarray) -> str:
    """The canvas's message: its drawing as a PNG data URL."""
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def decode(url: str) -> np.ndarray:
    """What streamlit-drawable-canvas does to give the page `image_data`."""
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def print_table(title: str, rows: dict[str, np.ndarray]) -> None:
    print(f"\n{title:<44}{'p50 ms':>8}{'p95 ms':>8}")
    for label, (p50, p95) in rows.items():
        print(f"{label:<44}{p50:>8.1f}{p95:>8.1f}")


def learning_views(
    classifier: Classifier,
    predictions: list[Prediction],
    inputs: list[np.ndarray],
    measure: Callable[[Callable, list], np.ndarray],
) -> dict[str, np.ndarray]:
    """Each learning view's server work with its figures serialized, as the pages do it."""
    stored = {info.name for info in ModelStore().list_models()}
    others = [
        load_classifier(name)
        for name in ("perceptron", "mlp")
        if name in stored and classifier.info is not None and name != classifier.info.name
    ]
    compared = [*others, classifier]

    def side_by_side(image: np.ndarray) -> object:
        comparison = compare_on_drawing(compared, image)
        return [
            plotly.io.to_json(probability_bars(p.probabilities)) for p in comparison.predictions
        ]

    rows = {f"side by side ({len(compared)} models, bars to JSON)": measure(side_by_side, inputs)}
    try:
        convolution = first_convolution(classifier.model)
    except NoConvolutionError:
        convolution = None

    def one_step(prediction: Prediction) -> object:
        walk = convolution_walk(convolution, prediction.image, 0)
        step = walk.step(walk.positions // 2)
        figures = (
            window_figure(walk, step), output_figure(walk, step), step_grids_figure(walk, step),
            relu_figure(walk), pooled_figure(walk) if walk.pooled is not None else go.Figure(),
        )  # fmt: skip
        return [plotly.io.to_json(figure) for figure in figures], sum_line(step)

    def animation(prediction: Prediction) -> object:
        walk = convolution_walk(convolution, prediction.image, 0)
        return plotly.io.to_json(convolution_animation(walk))

    def fooled(prediction: Prediction) -> object:
        fooling = fool(classifier, prediction.image)
        return pixelated(fooling.fooled, 168), weight_grid(fooling.difference[np.newaxis], 1, 168)

    if convolution is not None:
        rows["a convolution, one step (5 figures to JSON)"] = measure(one_step, predictions)
        rows["a convolution, the animation (to JSON)"] = measure(animation, predictions)
    rows["fool the network (search and images)"] = measure(fooled, predictions)
    started = time.perf_counter()
    painter = PortraitPainter(classifier.model)
    painter.paint()
    first = (time.perf_counter() - started) * 1000
    # Painting takes about a second: a handful of calls, each a new start, not `repeats`.
    warm = latencies_ms(lambda seed: painter.paint(seed=int(seed)), list(range(1, 11)), 10)
    rows["portraits of the ten digits, warm"] = warm
    rows["portraits, first call (tracing included)"] = np.array([first, first])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model name (default: the default model)")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    classifier = load_classifier(args.model)
    inputs = [mnist_on_canvas(digit) for digit in load_mnist().x_test[:50]]
    seen = [to_mnist(image) for image in inputs]
    urls = [data_url(image) for image in inputs]
    predictions = [classifier.classify(image) for image in inputs]

    def with_model_predict(image: np.ndarray) -> object:
        return classifier.model.predict(to_mnist(image)[np.newaxis, ..., np.newaxis], verbose=0)

    def figures(prediction: Prediction) -> object:
        return probability_bars(prediction.probabilities), pixelated(prediction.image, 196)

    def draw_round(url: str) -> object:
        prediction = classifier.classify_drawing(decode(url))
        chart, _ = figures(prediction)
        return plotly.io.to_json(chart)

    def measure(work: Callable, items: list) -> np.ndarray:
        return latencies_ms(work, items, args.repeats)

    prediction_rows = {
        "to_mnist (preprocess only)": measure(to_mnist, inputs),
        "classify (preprocess + direct call)": measure(classifier.classify, inputs),
        "preprocess + model.predict": measure(with_model_predict, inputs),
        "predict_proba on a 28x28 (model only)": measure(
            lambda image: classifier.predict_proba(image[np.newaxis]), seen
        ),
    }
    draw_rows = {
        "decode the canvas PNG": measure(decode, urls),
        "classify_drawing": measure(classifier.classify_drawing, inputs),
        "bar chart and pixelated view": measure(figures, predictions),
        "chart to JSON": measure(
            lambda p: plotly.io.to_json(probability_bars(p.probabilities)), predictions
        ),
        "whole round after a mouse-up": measure(draw_round, urls),
    }
    inspector = Inspector(classifier.model)

    def inside(prediction: Prediction) -> object:
        saliency = inspector.saliency(prediction.image, prediction.label)
        overlay = saliency_overlay(prediction.image, saliency)
        grids = [
            feature_grid(view.values) if view.is_spatial else unit_strip(view.values)
            for view in inspector.layer_views(prediction.image)
        ]
        return overlay, grids, weight_grid(first_layer(inspector.model).images)

    inside_rows = {
        "saliency (gradient x input)": measure(
            lambda p: inspector.saliency(p.image, p.label), predictions
        ),
        "every layer's output": measure(lambda p: inspector.layer_views(p.image), predictions),
        "whole section, images included": measure(inside, predictions),
    }
    learn_rows = learning_views(classifier, predictions, inputs, measure)
    info = classifier.info
    print(f"model {info.name} ({info.architecture}), {args.repeats} calls each")
    print_table("one prediction", prediction_rows)
    ratio = (
        prediction_rows["preprocess + model.predict"][0]
        / prediction_rows["classify (preprocess + direct call)"][0]
    )
    print(f"classify is {ratio:.1f}x faster than model.predict at the median")
    print_table("the Draw page's server work", draw_rows)
    print_table("inside the network (Draw page, when open)", inside_rows)
    print_table("learn by looking (each view, server work)", learn_rows)
    print(
        "each view against one classify_drawing: "
        + ", ".join(
            f"{label.split(' (')[0]} {times[0] / draw_rows['classify_drawing'][0]:.1f}x"
            for label, times in learn_rows.items()
        )
    )


if __name__ == "__main__":
    main()
