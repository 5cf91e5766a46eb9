"""What the network thinks each digit looks like: for every digit, the input that most raises its
score, regularized so that it reads as a drawing rather than noise.

Feature visualization after Olah et al., "Feature Visualization" (Distill, 2017): a smooth,
multi-scale parameterization, random jitter at every step, and penalties that ask for MNIST's
look (a black background, ink near the centre, at least one real stroke). Pure optimization
from a dim grey start: no MNIST image is used, so a portrait shows only what the network
learned. All ten digits are optimized together, as one batch, in one traced loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from mnist_core.data import IMAGE_SIZE, NUM_CLASSES

STEPS = 64  # Adam steps: all ten portraits of the default CNN in about a second on two cores
LEARNING_RATE = 0.2  # Adam's step on the sigmoid logits of the pixels
PYRAMID_SIZES = (7, 14, IMAGE_SIZE)  # grids summed into the image: coarse strokes settle first
START_LOGIT = -1.0  # every pixel starts at sigmoid(-1) = 0.27, a dim grey with no shape
START_NOISE = 0.1  # seeded noise on that start: the seed picks one of many possible portraits
JITTER = 2  # pixels of random shift per step: a stroke must work anywhere near, not at one pixel
BLUR_SIGMA = 0.7  # pixels: soft stroke edges like MNIST's anti-aliased scans, no pixel noise
BLUR_RADIUS = 2  # the blur kernel is 5x5: three sigmas
INK_WEIGHT = 5.0  # penalty on mean ink: a black background, ink only where it earns its place
EDGE_WEIGHT = 2.0  # penalty on ink by squared distance from the centre, as MNIST centres digits
STROKE_PIXELS = 40  # the brightest this many pixels, a short stroke, must average at least ...
STROKE_INK = 0.6  # ... this much ink: an empty canvas already reads as "1" to our default CNN
STROKE_WEIGHT = 1.0  # enough to leave the empty canvas; inactive once a stroke is there
ADAM_BETAS = (0.9, 0.999)  # Keras' defaults
ADAM_EPSILON = 1e-7  # Keras' default


@dataclass(frozen=True)
class DigitPortraits:
    """One portrait per digit, and how the model reads each of them."""

    images: np.ndarray  # (10, 28, 28) float32 in [0, 1], white ink on black like MNIST
    logits: np.ndarray  # (10, 10): row d is the model's logits for the portrait of digit d
    scores: np.ndarray  # (10,): the probability the model gives each portrait for its own digit


class PortraitPainter:
    """Paints the ten portraits for one model; build once per model, reuse for every seed."""

    def __init__(self, model: keras.Model) -> None:
        outputs = model.outputs[0].shape[-1] if getattr(model, "outputs", None) else None
        if outputs not in (None, NUM_CLASSES):
            raise ValueError(f"{model.name} gives {outputs} outputs, not one logit per digit")
        self.model = model
        self._blur = tf.constant(_gaussian_kernel(BLUR_SIGMA, BLUR_RADIUS))
        distance = (np.arange(IMAGE_SIZE) - (IMAGE_SIZE - 1) / 2) / ((IMAGE_SIZE - 1) / 2)
        squared = distance[:, None] ** 2 + distance[None, :] ** 2  # 0 at the centre, 2 at corners
        self._edge_cost = tf.constant(squared[None, :, :, None], tf.float32)
        self._optimize = tf.function(self._optimized)

    def paint(self, steps: int = STEPS, seed: int = 0) -> DigitPortraits:
        """The ten portraits after `steps` steps of optimization; the same for the same seed."""
        if steps < 1:
            raise ValueError(f"steps must be at least 1, not {steps}")
        random = np.random.default_rng(seed)
        start = [
            START_NOISE * random.standard_normal((NUM_CLASSES, size, size, 1))
            for size in PYRAMID_SIZES
        ]
        start[-1] += START_LOGIT  # the grey lives in the full-size grid, the coarse ones add shape
        images = self._optimize(
            [tf.constant(grid, tf.float32) for grid in start],
            tf.constant(steps, tf.int32),
            tf.constant(seed, tf.int64),
        )
        # Read outside the traced loop: one eager call costs less than tracing the model again.
        logits = np.asarray(self.model(images, training=False))
        own = np.arange(NUM_CLASSES)
        scores = tf.nn.softmax(logits).numpy()[own, own]
        return DigitPortraits(images.numpy()[..., 0], logits, scores)

    def _image(self, grids: list[tf.Tensor]) -> tf.Tensor:
        """Pixel logits summed over the upsampled grids, squashed into [0, 1] and blurred."""
        full = (IMAGE_SIZE, IMAGE_SIZE)
        pixel_logits = tf.add_n([tf.image.resize(grid, full) for grid in grids])
        # A blur of values in [0, 1] with weights summing to 1 stays in [0, 1].
        return tf.nn.conv2d(tf.sigmoid(pixel_logits), self._blur, strides=1, padding="SAME")

    def _loss(self, grids: list[tf.Tensor], shift: tf.Tensor) -> tf.Tensor:
        image = self._image(grids)
        # tf.roll wraps around, which only moves black border onto black border.
        logits = self.model(tf.roll(image, shift, axis=[1, 2]), training=False)
        own = tf.one_hot(tf.range(NUM_CLASSES), NUM_CLASSES)
        # The own logit against the other nine's mean: what makes this digit, not any digit.
        contrast = tf.reduce_sum(logits * own, 1) - tf.reduce_sum(logits * (1 - own), 1) / (
            NUM_CLASSES - 1
        )
        ink = tf.reduce_mean(image, [1, 2, 3])
        penalty = (
            INK_WEIGHT * ink
            + EDGE_WEIGHT * tf.reduce_mean(image * self._edge_cost, [1, 2, 3])
            + STROKE_WEIGHT * tf.nn.relu(STROKE_INK - _brightest_mean(image, STROKE_PIXELS))
        )
        return tf.reduce_sum(penalty - contrast)

    def _optimized(self, grids: list[tf.Tensor], steps: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """The (10, 28, 28, 1) portraits after `steps` Adam steps."""
        beta1, beta2 = ADAM_BETAS
        # Adam written out: the loop carries plain tensors, so one traced graph serves every call.
        means = [tf.zeros_like(grid) for grid in grids]
        squares = [tf.zeros_like(grid) for grid in grids]
        for step in tf.range(steps):
            shift = tf.random.stateless_uniform(
                [2], tf.stack([seed, tf.cast(step, tf.int64)]), -JITTER, JITTER + 1, tf.int32
            )
            with tf.GradientTape() as tape:
                tape.watch(grids)
                loss = self._loss(grids, shift)
            gradients = tape.gradient(loss, grids)
            count = tf.cast(step + 1, tf.float32)
            means = [beta1 * m + (1 - beta1) * g for m, g in zip(means, gradients, strict=True)]
            squares = [
                beta2 * s + (1 - beta2) * g * g for s, g in zip(squares, gradients, strict=True)
            ]
            grids = [
                grid
                - LEARNING_RATE
                * (m / (1 - beta1**count))
                / (tf.sqrt(s / (1 - beta2**count)) + ADAM_EPSILON)
                for grid, m, s in zip(grids, means, squares, strict=True)
            ]
        return self._image(grids)


def digit_portraits(model: keras.Model, steps: int = STEPS, seed: int = 0) -> DigitPortraits:
    """The ten portraits for `model`, tracing its graph first: use a PortraitPainter to reuse it."""
    return PortraitPainter(model).paint(steps, seed)


def _brightest_mean(images: tf.Tensor, count: int) -> tf.Tensor:
    """The mean of each image's `count` brightest pixels."""
    pixels = tf.reshape(images, [tf.shape(images)[0], -1])
    return tf.reduce_mean(tf.math.top_k(pixels, count).values, 1)


def _gaussian_kernel(sigma: float, radius: int) -> np.ndarray:
    """A (2r+1, 2r+1, 1, 1) Gaussian blur kernel whose weights sum to 1."""
    offsets = np.arange(-radius, radius + 1)
    line = np.exp(-(offsets**2) / (2 * sigma**2))
    kernel = np.outer(line, line)
    return (kernel / kernel.sum())[:, :, None, None].astype(np.float32)
