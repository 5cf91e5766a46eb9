"""Fooling the network: the smallest change to a digit that makes the network read another one.

Projected gradient ascent under an L∞ budget (Kurakin et al. 2017, Madry et al. 2018): a few
signed-gradient steps, none taking a pixel further than the budget epsilon from where it was. With
one step it is Goodfellow et al.'s FGSM (2015). Each pass tries a row of budgets as one batch; the
answer is the smallest budget on the grid that fools the network.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from mnist_core.data import IMAGE_SHAPE, MODEL_INPUT_SHAPE, NUM_CLASSES
from mnist_core.errors import InvalidImageError
from mnist_core.predict import Classifier

MAX_EPSILON = 0.3  # the classic MNIST bound (Madry et al. 2018); past it a digit may really change
FINEST = 0.01  # the grid's step: budgets closer than this look alike
BUDGETS = tuple(round(FINEST * step, 2) for step in range(1, round(MAX_EPSILON / FINEST) + 1))
COARSE = 5  # the first pass tries every 5th budget (0.05, 0.10, ...), the second the four below
STEPS = 8  # signed-gradient steps per budget; 10 find budgets ~0.002 smaller for ~25% more time
# Each step moves 2.5 epsilon / steps (Madry et al.): the edge of the budget is reached with
# room to turn back; a single step is FGSM's whole epsilon.
STEP_SHARE = 2.5
MARGIN = 0.01  # logits by which the new digit must lead: a near tie is no fooling
NOTICEABLE = 0.02  # a pixel change the eye can tell apart: about 5 of 255 grey levels


@dataclass(frozen=True)
class Fooling:
    """A digit, the copy of it changed within `epsilon` that the network reads otherwise, and
    how that went; when no budget up to MAX_EPSILON fooled it, the copy at MAX_EPSILON."""

    original: np.ndarray  # (28, 28) in [0, 1], as the model sees it
    fooled: np.ndarray  # (28, 28) in [0, 1]
    original_label: int
    fooled_label: int
    epsilon: float  # the budget: no pixel changed by more than this
    probabilities: np.ndarray  # (10,) of the fooled copy, calibrated where the model is
    is_digit: bool  # whether the not-a-digit guard still calls the fooled copy a digit
    succeeded: bool  # it reads another digit (or the target) within MAX_EPSILON
    target: int | None = None  # the digit it was pushed towards; None: any other

    @property
    def difference(self) -> np.ndarray:
        """(28, 28) in [-epsilon, epsilon]: fooled - original."""
        return self.fooled - self.original

    @property
    def changed_pixels(self) -> int:
        """How many pixels changed by a visible amount (NOTICEABLE or more)."""
        return int(np.count_nonzero(np.abs(self.difference) >= NOTICEABLE))


def _leads(logits: tf.Tensor, sources: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """(N,) how far each image is from fooling: the best other digit's logit minus the source's,
    or, where a target is set (not -1), the target's minus the best other's. Above 0: fooled."""
    goals = tf.where(targets >= 0, targets, sources)
    goal_logits = tf.gather(logits, goals, batch_dims=1)
    others = tf.reduce_max(
        tf.where(tf.one_hot(goals, NUM_CLASSES) > 0, -np.inf, logits), axis=1
    )  # the margin loss of Carlini & Wagner (2017): steadier steps than cross-entropy
    return tf.where(targets >= 0, goal_logits - others, others - goal_logits)


def _attack_function(classifier: Classifier) -> Callable[..., tf.Tensor]:
    model = classifier.model

    def attack(
        images: tf.Tensor, budgets: tf.Tensor, targets: tf.Tensor, steps: tf.Tensor
    ) -> tf.Tensor:
        radius = budgets[:, None, None, None]
        stride = tf.minimum(STEP_SHARE / tf.cast(steps, tf.float32), 1.0) * radius
        sources = tf.argmax(model(images, training=False), axis=1, output_type=tf.int32)
        changed = images
        active = tf.range(tf.shape(images)[0])  # the rows still moving
        for _ in tf.range(steps):
            current = tf.gather(changed, active)
            with tf.GradientTape() as tape:
                tape.watch(current)
                logits = model(current, training=False)
                leads = _leads(logits, tf.gather(sources, active), tf.gather(targets, active))
            # An image that fools the network already stays as it is, the least change, and
            # leaves the batch: each step costs only the rows still moving.
            moving = leads <= MARGIN
            moved = current + tf.gather(stride, active) * tf.sign(tape.gradient(leads, current))
            start, reach = tf.gather(images, active), tf.gather(radius, active)
            moved = tf.clip_by_value(tf.clip_by_value(moved, start - reach, start + reach), 0, 1)
            rows = tf.boolean_mask(active, moving)[:, None]
            changed = tf.tensor_scatter_nd_update(changed, rows, tf.boolean_mask(moved, moving))
            active = tf.boolean_mask(active, moving)
            if tf.size(active) == 0:
                break
        return changed

    return tf.function(
        attack,
        input_signature=[
            tf.TensorSpec([None, *MODEL_INPUT_SHAPE], tf.float32),
            tf.TensorSpec([None], tf.float32),
            tf.TensorSpec([None], tf.int32),
            tf.TensorSpec([], tf.int32),
        ],
    )


# One traced attack per classifier, traced on its first use (about a second) and dropped with it.
_attacks: weakref.WeakKeyDictionary[Classifier, Callable[..., tf.Tensor]] = (
    weakref.WeakKeyDictionary()
)


def attacked(
    classifier: Classifier,
    images: np.ndarray,
    budgets: Sequence[float] | np.ndarray,
    target: int | None = None,
    steps: int = STEPS,
) -> np.ndarray:
    """(N, 28, 28) in [0, 1]: each image changed by at most its budget, in `steps` signed-gradient
    steps, towards another digit than the one it is read as now (or `target`); one step is FGSM."""
    images = np.asarray(images, np.float32)
    budgets = np.asarray(budgets, np.float32)
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE or budgets.shape != images.shape[:1]:
        raise ValueError(f"expected (N, 28, 28) images and N budgets, got {images.shape}, "
                         f"{budgets.shape}")  # fmt: skip
    if not np.isfinite(images).all() or not (np.isfinite(budgets) & (budgets >= 0)).all():
        raise ValueError("images and budgets must be finite, budgets at least 0")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, not {steps}")
    _check_target(target)
    attack = _attacks.get(classifier)
    if attack is None:
        attack = _attacks.setdefault(classifier, _attack_function(classifier))
    targets = np.full(len(images), -1 if target is None else target, np.int32)
    changed = attack(
        tf.constant(images[..., np.newaxis]),
        tf.constant(budgets),
        tf.constant(targets),
        tf.constant(steps, tf.int32),
    )
    return changed.numpy()[..., 0]


def fool(classifier: Classifier, image: np.ndarray, target: int | None = None) -> Fooling:
    """The smallest budget on BUDGETS, and the change within it, that makes the network read
    `image` ((28, 28) in [0, 1]) as another digit, or as `target`; says so when none does."""
    original = _checked_image(image)
    _check_target(target)
    original_label = int(np.argmax(classifier.predict_proba(original[np.newaxis])[0]))
    if target == original_label:
        raise ValueError(f"the network already reads this as {target}: choose another digit")
    indices = np.arange(COARSE - 1, len(BUDGETS), COARSE)
    changed, answers, fooled = _tried(classifier, original, original_label, indices, target)
    if fooled.any():
        finer = np.arange(indices[fooled][0] - COARSE + 1, indices[fooled][0])
        fine = _tried(classifier, original, original_label, finer, target)
        if fine[2].any():
            indices, (changed, answers, fooled) = finer, fine
    chosen = int(np.argmax(fooled)) if fooled.any() else len(indices) - 1
    answer = answers[chosen]
    return Fooling(
        original=original,
        fooled=changed[chosen],
        original_label=original_label,
        fooled_label=int(np.argmax(answer)),
        epsilon=BUDGETS[indices[chosen]],
        probabilities=answer,
        is_digit=bool(classifier.is_digit(answer[np.newaxis])[0]),
        succeeded=bool(fooled.any()),
        target=target,
    )


def _tried(
    classifier: Classifier, image: np.ndarray, label: int, indices: np.ndarray, target: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`image` changed within each of these BUDGETS, the classifier's answers for each, and
    which it reads as another digit than `label` (or as `target`)."""
    copies = np.repeat(image[np.newaxis], len(indices), axis=0)
    changed = attacked(classifier, copies, [BUDGETS[index] for index in indices], target)
    answers = classifier.predict_proba(changed)
    labels = answers.argmax(axis=1)
    return changed, answers, labels == target if target is not None else labels != label


def _checked_image(image: np.ndarray) -> np.ndarray:
    original = np.asarray(image, np.float32)
    if original.shape != IMAGE_SHAPE:
        raise InvalidImageError(f"expected a (28, 28) image, got shape {original.shape}")
    if not np.isfinite(original).all():
        raise InvalidImageError("the image holds NaN or infinite values")
    if original.min() < 0 or original.max() > 1:
        raise InvalidImageError("the image's values must lie in [0, 1], as the model sees them")
    return original


def _check_target(target: int | None) -> None:
    if target is not None and target not in range(NUM_CLASSES):
        raise ValueError(f"target must be a digit 0-9, not {target}")
