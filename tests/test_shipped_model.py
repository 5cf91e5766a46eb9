"""The default model committed in models/ is what drawing uses on first launch: check it."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.drawn import drawn_digits
from mnist_core.evaluate import evaluate
from mnist_core.predict import Classifier, load_classifier
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
