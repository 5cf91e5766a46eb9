from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnist_core import adversarial
from mnist_core.adversarial import BUDGETS, NOTICEABLE, attacked, fool
from mnist_core.errors import InvalidImageError
from mnist_core.predict import Classifier, load_classifier

SHIPPED = Path(__file__).parents[1] / "models"


@pytest.fixture(scope="module")
def shipped() -> Classifier:
    return load_classifier(store=SHIPPED)


@pytest.fixture(scope="module")
def perceptron(quick_training) -> Classifier:
    return Classifier(quick_training.model)


def reading(classifier: Classifier, image: np.ndarray) -> int:
    return int(np.argmax(classifier.predict_proba(image[np.newaxis])[0]))


@pytest.mark.parametrize("index", [0, 1, 2])
@pytest.mark.parametrize("pushed", [False, True])
def test_the_fooled_copy_reads_as_another_digit_within_its_budget(shipped, mnist, index, pushed):
    image = mnist.x_test[index] / 255.0
    label = reading(shipped, image)
    target = (label + 1) % 10 if pushed else None
    result = fool(shipped, image, target)
    assert result.succeeded and result.epsilon in BUDGETS
    assert result.original_label == label and result.target == target
    read = reading(shipped, result.fooled)
    assert read == result.fooled_label != label
    if pushed:
        assert read == target
    assert np.abs(result.difference).max() <= result.epsilon + 1e-6
    assert result.fooled.min() >= 0 and result.fooled.max() <= 1
    np.testing.assert_array_equal(result.original, image.astype(np.float32))
    answer = shipped.predict_proba(result.fooled[np.newaxis])
    np.testing.assert_allclose(result.probabilities, answer[0], atol=1e-4)  # batch of one
    assert result.is_digit == bool(shipped.is_digit(answer)[0])
    noticed = np.count_nonzero(np.abs(result.fooled - image) >= NOTICEABLE)
    assert 0 < result.changed_pixels == noticed


@pytest.mark.parametrize("index", range(6))
def test_the_next_smaller_budget_does_not_fool_it(perceptron, mnist, index):
    image = mnist.x_test[index] / 255.0
    label = reading(perceptron, image)
    for target in (None, (label + 5) % 10):
        result = fool(perceptron, image, target)
        assert result.succeeded
        position = BUDGETS.index(result.epsilon)
        if position == 0:
            continue
        smaller = attacked(perceptron, image[np.newaxis], [BUDGETS[position - 1]], target)
        read = reading(perceptron, smaller[0])
        assert read != target if target is not None else read == label
        again = attacked(perceptron, image[np.newaxis], [result.epsilon], target)
        np.testing.assert_array_equal(again[0], result.fooled)


def test_one_step_is_fgsm_on_the_margin_to_the_runner_up(perceptron, mnist):
    images = mnist.x_test[:8] / 255.0
    budgets = np.linspace(0.02, 0.3, len(images))
    weights, bias = (np.asarray(w, np.float64) for w in perceptron.model.layers[-1].weights)
    logits = images.reshape(len(images), -1) @ weights + bias
    order = np.argsort(logits, axis=1)
    best, runner_up = order[:, -1], order[:, -2]
    # The margin's gradient on a linear layer: the runner-up's weights minus the reading's.
    push = np.sign(weights[:, runner_up] - weights[:, best]).T.reshape(images.shape)
    expected = np.clip(images + budgets[:, None, None] * push, 0, 1)
    changed = attacked(perceptron, images, budgets, steps=1)
    np.testing.assert_allclose(changed, expected, atol=1e-6)


def test_a_budget_too_small_is_reported_not_raised(perceptron, mnist, monkeypatch):
    monkeypatch.setattr(adversarial, "BUDGETS", tuple(0.0001 * step for step in range(1, 11)))
    image = mnist.x_test[0] / 255.0
    result = fool(perceptron, image)
    assert not result.succeeded
    assert result.fooled_label == result.original_label == reading(perceptron, image)
    assert result.epsilon == adversarial.BUDGETS[-1]
    assert np.abs(result.difference).max() <= result.epsilon + 1e-7


@pytest.mark.parametrize(
    "image",
    [np.zeros((28, 27)), np.zeros((1, 28, 28)), np.full((28, 28), np.nan), np.full((28, 28), 255)],
    ids=["narrow", "batch", "nan", "uint8 range"],
)
def test_an_unusable_image_raises(perceptron, image):
    with pytest.raises(InvalidImageError):
        fool(perceptron, image)


def test_a_bad_target_raises(perceptron, mnist):
    image = mnist.x_test[0] / 255.0
    for target in (-1, 10):
        with pytest.raises(ValueError, match="0-9"):
            fool(perceptron, image, target)
    with pytest.raises(ValueError, match="already reads"):
        fool(perceptron, image, reading(perceptron, image))
    with pytest.raises(ValueError, match="N budgets"):
        attacked(perceptron, image[np.newaxis], [0.1, 0.2])
