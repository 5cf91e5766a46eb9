from __future__ import annotations

import numpy as np
import pytest

from mnist_core.config import FinetuneConfig
from mnist_core.errors import ConfigError
from mnist_core.finetune import finetune, held_out_split
from mnist_core.store import DEFAULT_MODELS_DIR, ModelStore


def on_their_side(images: np.ndarray) -> np.ndarray:
    """A writer whose digits all lie on their side: a consistent style no MNIST writer has.

    (A strong slant is not enough: the shipped model, trained with tilts, reads digits leaning
    by 50 degrees 88% right.)"""
    return np.rot90(images, axes=(1, 2))


def test_held_out_split_keeps_every_digit_on_both_sides():
    labels = np.repeat(np.arange(10), 8)
    train, held = held_out_split(labels, 0.25)
    assert len(held) == 20 and len(train) == 60 and not set(train) & set(held)
    assert np.bincount(labels[held]).tolist() == [2] * 10


def test_too_few_samples_are_refused(mnist):
    model, info = ModelStore(DEFAULT_MODELS_DIR).load()
    with pytest.raises(ConfigError, match="at least 20"):
        finetune(model, info, mnist.x_test[:5], mnist.y_test[:5], mnist)


def test_finetuning_learns_a_writer_without_forgetting_mnist(mnist):
    model, base = ModelStore(DEFAULT_MODELS_DIR).load()
    personal_x = on_their_side(mnist.x_train[-300:])
    personal_y = mnist.y_train[-300:]
    events = []
    result = finetune(
        model, base, personal_x, personal_y, mnist, FinetuneConfig(epochs=4), events.append
    )
    assert result.personal_train + result.personal_held_out == 300
    assert 70 <= result.personal_held_out <= 80  # a quarter of each digit
    assert result.before.personal < 0.5  # the style is hard for the shipped model (29%)
    assert result.after.personal >= result.before.personal + 0.3  # measured: 88%
    assert result.after.mnist >= result.before.mnist - 0.01
    assert len(result.training.history) == 4 and events
    info = result.model_info()
    assert info.hyperparameters["fine_tuned_from"] == "cnn-default"
    assert info.test_accuracy == result.after.mnist
    # Calibrated again on the base's validation digits, which the fine-tuning left out of its
    # mix; a fine-tuning of the fine-tuned model leaves out the same ones.
    assert info.rejects_non_digits and result.calibration is not None
    assert info.calibration_digits == base.validation_size >= 1000
    assert info.hyperparameters["non_digits"] > 0
