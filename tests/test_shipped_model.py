"""The default model committed in models/ is what drawing uses on first launch: check it."""

from __future__ import annotations

import pytest

from mnist_core.evaluate import evaluate
from mnist_core.predict import Classifier
from mnist_core.store import DEFAULT_MODELS_DIR, ModelStore


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

