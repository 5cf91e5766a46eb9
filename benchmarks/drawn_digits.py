"""Accuracy on drawn digits (not MNIST): naive canvas resize against `to_mnist`, every model.

    python -m benchmarks.drawn_digits [--count 1000] [--seed 2026]

The drawings come from benchmarks.drawn: pen skeletons of each digit drawn as thick strokes on
a 280x280 canvas at random size, place, tilt and pen width, in three polarities.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

from benchmarks.drawn import DrawnDigit, drawn_digits
from mnist_core.predict import Classifier
from mnist_core.preprocess import resize_whole_canvas, to_mnist
from mnist_core.sketches import POLARITIES
from mnist_core.store import ModelStore

PEN_BUCKETS = {"fine pen (< 14 px)": (0, 14), "marker (14 px and up)": (14, 1000)}
Preprocess = Callable[[np.ndarray], np.ndarray]


def correct(classifier: Classifier, digits: list[DrawnDigit], preprocess: Preprocess) -> np.ndarray:
    images = np.stack([preprocess(digit.image) for digit in digits])
    labels = np.array([digit.label for digit in digits])
    return np.argmax(classifier.predict_proba(images), axis=1) == labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    digits = drawn_digits(args.count, args.seed)
    groups = {"all": np.ones(len(digits), bool)}
    for polarity in POLARITIES:
        groups[polarity] = np.array([digit.polarity == polarity for digit in digits])
    for name, (low, high) in PEN_BUCKETS.items():
        groups[name] = np.array([low <= digit.pen_width < high for digit in digits])

    store = ModelStore()
    print(f"{len(digits)} drawn digits, seed {args.seed}; accuracy in %")
    header = f"{'model':<22}{'preprocessing':<16}" + "".join(f"{g[:14]:>16}" for g in groups)
    print(header)
    for info in store.list_models():
        model, _ = store.load(info.name)
        classifier = Classifier(model, info)
        for label, preprocess in (("naive resize", resize_whole_canvas), ("to_mnist", to_mnist)):
            hits = correct(classifier, digits, preprocess)
            cells = "".join(f"{100 * hits[mask].mean():>16.1f}" for mask in groups.values())
            print(f"{info.name:<22}{label:<16}{cells}")
    print("groups: " + ", ".join(f"{g} ({mask.sum()})" for g, mask in groups.items()))


if __name__ == "__main__":
    main()
