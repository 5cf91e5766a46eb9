"""The default model committed in models/ is what drawing uses on first launch: check it."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from benchmarks.drawn import drawn_digits
from mnist_core.evaluate import evaluate
from mnist_core.predict import Classifier, load_classifier
from mnist_core.segment import DIGIT_CANVAS
from mnist_core.sketches import paint
from mnist_core.store import DEFAULT_MODELS_DIR, ModelStore

# benchmarks/drawn_digits.py measures 100.0% on 1,000 drawings; issue 4's goal is 98%.
DRAWN_ACCURACY_FLOOR = 0.98


@pytest.fixture(scope="module")
def shipped() -> ModelStore:
    return ModelStore(DEFAULT_MODELS_DIR)


def test_the_default_is_a_small_cnn(shipped):
    name = shipped.default_name()
    assert (DEFAULT_MODELS_DIR / "default.txt").read_text().strip() == name
    info = shipped.info(name)
    assert info.architecture == "cnn"
    assert (DEFAULT_MODELS_DIR / info.file).stat().st_size < 3_000_000


def test_shipped_model_test_accuracy(shipped, mnist):
    model, info = shipped.load()
    result = evaluate(Classifier(model, info), mnist)
    assert result.accuracy >= 0.995
    assert result.accuracy == pytest.approx(info.test_accuracy, abs=1e-4)


def test_shipped_model_reads_drawn_digits(shipped):
    """A fixed sample of the drawn set (not MNIST), as benchmarks/drawn_digits.py measures it."""
    classifier = load_classifier(store=shipped)
    digits = drawn_digits(300, seed=2026)
    accuracy = np.mean([classifier.classify(d.image).label == d.label for d in digits])
    assert accuracy >= DRAWN_ACCURACY_FLOOR


def sketch(*strokes: list[tuple[float, float]], pen: int = 16) -> np.ndarray:
    """Strokes on the Draw page's canvas as it sends them: white ink in alpha."""
    ink = Image.new("L", (DIGIT_CANVAS, DIGIT_CANVAS), 0)
    pencil = ImageDraw.Draw(ink)
    for stroke in strokes:
        if len(stroke) > 1:
            pencil.line(stroke, fill=255, width=pen, joint="curve")
        for x, y in (stroke[0], stroke[-1]):
            pencil.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=255)
    return paint(np.asarray(ink), "ink in alpha")


def circle(cx: float, cy: float, r: float, start: float = 0, end: float = 360):
    angles = np.radians(np.linspace(start, end, 40))
    return [(cx + r * np.cos(a), cy + r * np.sin(a)) for a in angles]


NON_DIGITS = {
    # A circle with eyes and a smile: read as 0 at 100% before issue 14.
    "smiley": sketch(
        circle(140, 140, 100), [(105, 110)], [(175, 110)], circle(140, 150, 50, 20, 160)
    ),
    "letter A": sketch([(60, 240), (140, 40), (220, 240)], [(95, 165), (185, 165)]),
    "dot": sketch([(150, 130)], pen=24),
    "noise": (np.random.default_rng(0).random((280, 280)) * 255).astype(np.uint8),
}


@pytest.mark.parametrize("name", NON_DIGITS)
def test_the_shipped_model_says_what_is_not_a_digit(shipped, name):
    prediction = load_classifier(store=shipped).classify(NON_DIGITS[name])
    assert not prediction.is_digit, (
        f"{name} read as {prediction.label} ({prediction.confidence:.0%})"
    )


def test_the_shipped_model_keeps_real_digits_and_its_confidence_is_honest(shipped, mnist):
    """The goals of issue 14, as benchmarks/not_a_digit.py measures them."""
    classifier = load_classifier(store=shipped)
    assert classifier.rejects_non_digits
    result = evaluate(classifier, mnist)
    # 99.51%: one test digit short of the 99.52% of the model before non-digits (README).
    assert result.accuracy >= 0.995
    assert result.kept.mean() >= 0.995
    assert result.reliability.ece <= 0.02
    drawn = [classifier.classify(d.image) for d in drawn_digits(300, seed=2026)]
    assert np.mean([p.is_digit for p in drawn]) >= 0.99
