"""Latency of one interactive prediction: `classify` against `model.predict`, same model and inputs,
then the Draw page's whole server-side work after a mouse-up, step by step (goal: under 50 ms).

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
import plotly.io
from PIL import Image

from benchmarks.drawn import mnist_on_canvas
from mnist_core.data import load_mnist
from mnist_core.explain import Inspector, first_layer
from mnist_core.figures import (
    feature_grid,
    pixelated,
    probability_bars,
    saliency_overlay,
    unit_strip,
    weight_grid,
)
from mnist_core.predict import Prediction, load_classifier
from mnist_core.preprocess import to_mnist


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


if __name__ == "__main__":
    main()
