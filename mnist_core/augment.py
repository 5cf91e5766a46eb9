"""Augmentation for drawn input: the shifts, tilts, sizes and pen widths people add to MNIST."""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras
from keras import layers

from mnist_core.data import Augmentation

if TYPE_CHECKING:
    import tensorflow as tf

MAX_ROTATION_DEGREES = 15  # people tilt digits by about this much
MAX_ZOOM = 0.1  # ±10% size, on top of the 20x20 box preprocessing fits a digit into
MAX_SHIFT = 0.1  # ±10% of 28 pixels, about what centre-of-mass placement leaves off-centre
THICKER_RATE = 0.2  # share of images whose strokes grow by a pixel (thick marker pens)
THINNER_RATE = 0.1  # share whose strokes shrink by a pixel (fine pens)


def drawn_digit_augmentation(seed: int | None = None) -> Augmentation:
    """A batch augmentation for tf.data: random rotation, zoom, shift and stroke thickness."""
    # One seed per layer: layers sharing a seed draw the same numbers, so the largest tilt
    # would always come with the largest zoom and shift, cropping digits.
    seeds = [None] * 4 if seed is None else [seed + offset for offset in range(4)]
    geometric = keras.Sequential(
        [
            layers.RandomRotation(MAX_ROTATION_DEGREES / 360, fill_mode="constant", seed=seeds[0]),
            layers.RandomZoom((-MAX_ZOOM, MAX_ZOOM), fill_mode="constant", seed=seeds[1]),
            layers.RandomTranslation(MAX_SHIFT, MAX_SHIFT, fill_mode="constant", seed=seeds[2]),
        ],
        name="drawn_digit_augmentation",
    )

    def augment(images: tf.Tensor) -> tf.Tensor:
        return random_stroke_thickness(geometric(images, training=True), seeds[3])

    return augment


def random_stroke_thickness(images: tf.Tensor, seed: int | None = None) -> tf.Tensor:
    """Dilate or erode each image's strokes by one pixel (grey-level max/min filters) at random."""
    import tensorflow as tf

    thicker = tf.nn.max_pool2d(images, ksize=2, strides=1, padding="SAME")
    thinner = -tf.nn.max_pool2d(-images, ksize=2, strides=1, padding="SAME")
    draw = tf.random.uniform([tf.shape(images)[0], 1, 1, 1], seed=seed)
    return tf.where(
        draw < THICKER_RATE, thicker, tf.where(draw > 1 - THINNER_RATE, thinner, images)
    )
