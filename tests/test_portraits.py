from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from mnist_core.models import ARCHITECTURES, build_model
from mnist_core.portraits import DigitPortraits, PortraitPainter, digit_portraits
from mnist_core.predict import load_classifier

FEW_STEPS = 8  # enough to move every pixel; the shape and determinism tests need no more
CENTRAL_BOX = slice(4, 24)  # MNIST fits each digit in the central 20x20 box of the 28x28


@pytest.fixture(scope="module")
def shipped_model() -> keras.Model:
    return load_classifier(store=Path(__file__).parents[1] / "models").model


@pytest.fixture(scope="module")
def shipped_portraits(shipped_model) -> DigitPortraits:
    return digit_portraits(shipped_model)


def unregularized(model: keras.Model, steps: int = 32, rate: float = 0.05) -> np.ndarray:
    """What plain gradient ascent on the pixels makes of each digit: the noise to compare with."""
    own = tf.one_hot(tf.range(10), 10)

    @tf.function
    def ascend(images: tf.Tensor) -> tf.Tensor:
        for _ in tf.range(steps):
            with tf.GradientTape() as tape:
                tape.watch(images)
                score = tf.reduce_sum(model(images, training=False) * own)
            images = tf.clip_by_value(images + rate * tf.sign(tape.gradient(score, images)), 0, 1)
        return images

    start = np.random.default_rng(0).uniform(0, 0.5, (10, 28, 28, 1)).astype(np.float32)
    return ascend(tf.constant(start)).numpy()[..., 0]


def total_variation(images: np.ndarray) -> np.ndarray:
    """Per image: the mean absolute step between neighbouring pixels, across and down."""
    across = np.abs(np.diff(images, axis=2)).mean((1, 2))
    down = np.abs(np.diff(images, axis=1)).mean((1, 2))
    return (across + down) / 2


def test_portraits_are_mnist_shaped_images_in_0_1(quick_training):
    portraits = PortraitPainter(quick_training.model).paint(steps=FEW_STEPS)
    assert portraits.images.shape == (10, 28, 28) and portraits.images.dtype == np.float32
    assert portraits.images.min() >= 0 and portraits.images.max() <= 1
    assert portraits.logits.shape == (10, 10) and portraits.scores.shape == (10,)


def test_scores_are_the_models_own_reading_of_each_portrait(quick_training):
    model = quick_training.model
    portraits = PortraitPainter(model).paint(steps=FEW_STEPS)
    logits = keras.ops.convert_to_numpy(model(portraits.images[..., None], training=False))
    probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits))
    np.testing.assert_allclose(portraits.logits, logits, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(portraits.scores, np.diag(probabilities), rtol=1e-5, atol=1e-6)


def test_a_seed_gives_the_same_portraits_every_time(quick_training):
    painter = PortraitPainter(quick_training.model)
    first = painter.paint(steps=FEW_STEPS, seed=3)
    np.testing.assert_array_equal(painter.paint(steps=FEW_STEPS, seed=3).images, first.images)
    np.testing.assert_array_equal(
        digit_portraits(quick_training.model, steps=FEW_STEPS, seed=3).images, first.images
    )
    assert not np.allclose(painter.paint(steps=FEW_STEPS, seed=4).images, first.images)


def test_more_steps_raise_every_digits_own_logit(quick_training):
    painter = PortraitPainter(quick_training.model)
    own = np.arange(10)
    start = painter.paint(steps=1).logits[own, own]
    assert np.all(painter.paint(steps=32).logits[own, own] > start)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_architecture_can_be_portrayed(name):
    portraits = PortraitPainter(build_model(name)).paint(steps=2)
    assert portraits.images.shape == (10, 28, 28)
    assert np.all(np.isfinite(portraits.logits))
    assert portraits.images.min() >= 0 and portraits.images.max() <= 1


def test_bad_steps_and_models_without_ten_logits_are_refused(quick_training):
    with pytest.raises(ValueError, match="steps"):
        PortraitPainter(quick_training.model).paint(steps=0)
    three_classes = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    with pytest.raises(ValueError, match="3 outputs"):
        PortraitPainter(three_classes)


def test_the_shipped_model_reads_each_portrait_as_its_digit(shipped_portraits):
    np.testing.assert_array_equal(shipped_portraits.logits.argmax(axis=1), np.arange(10))
    assert shipped_portraits.scores.min() > 0.9


def test_portraits_look_like_drawings_not_noise(shipped_model, shipped_portraits):
    images = shipped_portraits.images
    noise = unregularized(shipped_model)
    # Plain ascent also convinces the model, so the difference lies in the regularization.
    noise_scores = keras.ops.softmax(shipped_model(noise[..., None], training=False))
    assert np.diag(keras.ops.convert_to_numpy(noise_scores)).min() > 0.9
    # Smooth strokes: at most half the pixel-to-pixel change of the noise.
    assert total_variation(images).max() < 0.5 * np.median(total_variation(noise))
    # A black background, like MNIST's (about 80% of its pixels are black).
    black = (images < 0.1).mean(axis=(1, 2))
    assert black.min() > 0.5 and black.mean() > 0.65
    assert black.mean() > (noise < 0.1).mean() + 0.2
    # Ink gathered in the middle, where MNIST centres its digits.
    central = images[:, CENTRAL_BOX, CENTRAL_BOX].sum((1, 2)) / images.sum((1, 2))
    noise_central = noise[:, CENTRAL_BOX, CENTRAL_BOX].sum((1, 2)) / noise.sum((1, 2))
    assert central.min() > 0.5 and central.mean() > noise_central.mean() + 0.15
    # Every portrait holds a stroke at nearly full ink, even the "1" (a blank reads as 1).
    assert images.max(axis=(1, 2)).min() > 0.7
