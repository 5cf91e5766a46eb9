"""Teach a trained model someone's handwriting: a few gentle epochs on their labelled drawings
mixed with MNIST, so it learns their style without forgetting everyone else's.

A part of the person's samples is held out, never trained on: the accuracy on it before and
after is the honest measure of what fine-tuning changed, next to MNIST test accuracy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import keras
import numpy as np

from mnist_core.calibrate import Calibration
from mnist_core.config import FinetuneConfig, TrainingConfig
from mnist_core.data import NUM_CLASSES, Mnist
from mnist_core.errors import ConfigError
from mnist_core.evaluate import evaluate_arrays
from mnist_core.predict import Classifier
from mnist_core.progress import ProgressListener, StopSignal
from mnist_core.run import Trained
from mnist_core.store import ModelInfo, ModelStore
from mnist_core.train import TrainingResult, calibrated, fit

MIN_SAMPLES = 20  # fewer leave too little to both train on and measure


@dataclass(frozen=True)
class FinetuneTask:
    """A fine-tuning job's order, sent to the training process: which stored model, on which
    samples, how."""

    base_name: str
    models_dir: str  # the store's folder
    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray
    config: FinetuneConfig = field(default_factory=FinetuneConfig)

    @property
    def name_stem(self) -> str:
        return f"{self.base_name}-mine"

    def run(
        self, mnist: Mnist, on_progress: ProgressListener | None, stop: StopSignal | None,
        callbacks: Sequence[keras.callbacks.Callback],
    ) -> Trained:  # fmt: skip
        """Load the base model, fine-tune it and score it before and after."""
        model, base = ModelStore(self.models_dir).load(self.base_name)
        tuned = finetune(
            model, base, self.images, self.labels, mnist, self.config,
            on_progress, stop, callbacks,
        )  # fmt: skip
        return Trained(
            model,
            tuned.model_info(),
            tuned.training.stopped_by_request,
            stopped_early=False,
            before=tuned.before,
            after=tuned.after,
            held_out=tuned.personal_held_out,
        )


@dataclass(frozen=True)
class Scores:
    personal: float  # accuracy on the held-out personal samples
    mnist: float  # accuracy on MNIST's 10,000 test digits


@dataclass(frozen=True)
class FinetuneResult:
    training: TrainingResult
    before: Scores
    after: Scores
    base: str  # the name of the model it started from
    personal_train: int
    personal_held_out: int
    calibration: Calibration | None = None  # refitted on the base model's calibration digits
    calibration_digits: int = 0  # the last ones of MNIST's training set, left out of the mix

    def model_info(self) -> ModelInfo:
        """The store's metadata: scored on MNIST test, with where it came from."""
        info = self.training.model_info(self.after.mnist, calibration=self.calibration)
        return dataclasses.replace(
            info,
            hyperparameters={
                **info.hyperparameters,
                "fine_tuned_from": self.base,
                "personal_samples": self.personal_train + self.personal_held_out,
                "personal_accuracy_before": round(self.before.personal, 4),
                "personal_accuracy_after": round(self.after.personal, 4),
                "calibration_digits": self.calibration_digits,
            },
        )


def held_out_split(
    labels: np.ndarray, holdout: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices to train on and to hold out, the same share of every digit where possible."""
    rng = np.random.default_rng(seed)
    train, held = [], []
    for digit in range(NUM_CLASSES):
        members = rng.permutation(np.flatnonzero(labels == digit))
        count = max(1, round(holdout * len(members))) if len(members) > 1 else 0
        held += members[:count].tolist()
        train += members[count:].tolist()
    return np.array(sorted(train), np.int64), np.array(sorted(held), np.int64)


def scores(classifier: Classifier, images: np.ndarray, labels: np.ndarray, mnist: Mnist) -> Scores:
    return Scores(
        personal=evaluate_arrays(classifier, images, labels).accuracy,
        mnist=evaluate_arrays(classifier, mnist.x_test, mnist.y_test).accuracy,
    )


def finetune(
    model: keras.Model,
    base: ModelInfo,
    images: np.ndarray,
    labels: np.ndarray,
    mnist: Mnist,
    config: FinetuneConfig | None = None,
    on_progress: ProgressListener | None = None,
    stop: StopSignal | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> FinetuneResult:
    """Fine-tune `model` (changed in place) on the personal (N, 28, 28) uint8 `images`."""
    config = config or FinetuneConfig()
    images, labels = np.asarray(images, np.uint8), np.asarray(labels, np.uint8)
    if len(images) < MIN_SAMPLES:
        raise ConfigError(
            f"fine-tuning needs at least {MIN_SAMPLES} labelled drawings; there are {len(images)}"
        )
    train_index, held_index = held_out_split(labels, config.holdout, config.seed)
    held_x, held_y = images[held_index], labels[held_index]
    before = scores(Classifier(model), held_x, held_y, mnist)

    rng = np.random.default_rng(config.seed)
    # The digits the base model was calibrated on are kept out, to calibrate the tuned one on.
    pool = len(mnist.x_train) - base.calibration_digits
    mnist_count = min(pool, max(config.min_mnist, config.mnist_per_sample * len(train_index)))
    from_mnist = rng.choice(pool, mnist_count, replace=False)
    # Shuffled once here too: batch-norm statistics are taken from the first images.
    order = rng.permutation(len(train_index) + mnist_count)
    mixed_x = np.concatenate([images[train_index], mnist.x_train[from_mnist]])[order]
    mixed_y = np.concatenate([labels[train_index], mnist.y_train[from_mnist]])[order]

    settings = TrainingConfig(
        architecture=base.architecture,
        epochs=config.epochs,
        batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        augment=config.augment,
        train_size=len(mixed_x),
        validation_size=len(held_x),
        # Taught non-digits only where the base was: it is calibrated again below.
        non_digits=TrainingConfig().non_digits if base.rejects_non_digits else 0.0,
        early_stopping_patience=None,
        seed=config.seed,
    )
    keras.utils.set_random_seed(config.seed)
    training = fit(model, settings, mixed_x, mixed_y, held_x, held_y, on_progress, stop, callbacks)
    tuned = Classifier(model)
    after = scores(tuned, held_x, held_y, mnist)
    calibration = calibrated(
        tuned, mnist.x_train[pool:], mnist.y_train[pool:], base.rejects_non_digits
    )
    return FinetuneResult(
        training, before, after, base.name, len(train_index), len(held_x), calibration,
        base.calibration_digits,
    )  # fmt: skip
