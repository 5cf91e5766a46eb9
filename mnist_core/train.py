"""Training with Keras `model.fit`: progress through one listener, stoppable from any thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import keras
import numpy as np
import tensorflow as tf

from mnist_core.augment import drawn_digit_augmentation
from mnist_core.calibrate import Calibration, calibration_for, probabilities
from mnist_core.config import MIN_CALIBRATION_DIGITS, TrainingConfig
from mnist_core.data import (
    NUM_CLASSES,
    Mnist,
    load_mnist,
    make_dataset,
    split_validation,
    to_model_input,
)
from mnist_core.evaluate import evaluate
from mnist_core.models import build_model
from mnist_core.non_digits import FAMILIES, training_non_digits
from mnist_core.predict import Classifier
from mnist_core.progress import (
    BatchEnded,
    EpochEnded,
    ProgressListener,
    StopSignal,
    TrainingEnded,
    TrainingProgress,
    TrainingStarted,
)
from mnist_core.run import Trained
from mnist_core.sketches import calibration_drawings
from mnist_core.store import ModelInfo


@dataclass
class TrainingResult:
    """The trained model (best validation weights restored) and how it got there."""

    model: keras.Model
    config: TrainingConfig
    history: list[EpochEnded]
    seconds: float
    train_size: int
    validation_size: int
    stopped_by_request: bool
    stopped_early: bool
    epochs_run: float  # whole epochs, plus the part of one a stop cut short

    def model_info(
        self,
        test_accuracy: float | None,
        test_loss: float | None = None,
        calibration: Calibration | None = None,
    ) -> ModelInfo:
        """The store's metadata for this run; the name is set when the store saves it."""
        return ModelInfo(
            name="",
            architecture=self.config.architecture,
            parameters=self.model.count_params(),
            hyperparameters=self.config.as_dict(),
            train_size=self.train_size,
            validation_size=self.validation_size,
            epochs_run=self.epochs_run,
            training_seconds=round(self.seconds, 1),
            test_accuracy=test_accuracy,
            test_loss=test_loss,
            calibration=calibration.as_dict() if calibration else None,
            tensorflow_version=tf.__version__,
            keras_version=keras.__version__,
        )


class ProgressReporter(keras.callbacks.Callback):
    """Turns Keras callback hooks into TrainingProgress events, and honours a stop request."""

    def __init__(
        self,
        listener: ProgressListener,
        stop: StopSignal,
        epochs: int,
        train_size: int,
        batch_size: int,
        validation_size: int,
        non_digits: int = 0,
    ) -> None:
        super().__init__()
        self.non_digits = non_digits
        self.listener = listener
        self.stop = stop
        self.epochs = epochs
        self.train_size = train_size
        self.batch_size = batch_size
        self.validation_size = validation_size
        self.steps = -(-train_size // batch_size)
        self.history: list[EpochEnded] = []
        self.stopped_by_request = False
        self.cut_short = False  # a stop ended the last epoch before its last step
        self.step = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.started = time.perf_counter()
        self.first_step_done = 0.0
        self.listener(
            TrainingStarted(
                self.epochs, self.steps, self.train_size, self.validation_size, self.non_digits
            )
        )

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch + 1
        self.epoch_started = time.perf_counter()
        self.step = 0
        self.previous_loss_sum = 0.0
        self.previous_correct = 0.0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        step = self.step = batch + 1
        seen = min(step * self.batch_size, self.train_size)
        batch_images = seen - min(batch * self.batch_size, self.train_size)
        # Keras logs the epoch's running means; recover this batch's own values from them.
        loss_sum, correct = logs["loss"] * seen, logs["accuracy"] * seen
        loss = (loss_sum - self.previous_loss_sum) / batch_images
        accuracy = (correct - self.previous_correct) / batch_images
        self.previous_loss_sum, self.previous_correct = loss_sum, correct

        now = time.perf_counter()
        elapsed = now - self.started
        done = (self.epoch - 1) * self.steps + step
        if done == 1:
            self.first_step_done = now
        # The pace since the first step: that one also traced the graph, seconds on its own.
        pace = elapsed / done if done == 1 else (now - self.first_step_done) / (done - 1)
        self.listener(
            BatchEnded(
                epoch=self.epoch,
                epochs=self.epochs,
                step=step,
                steps=self.steps,
                loss=float(loss),
                accuracy=float(min(max(accuracy, 0.0), 1.0)),
                images_per_second=seen / max(now - self.epoch_started, 1e-9),
                elapsed=elapsed,
                eta=pace * (self.epochs * self.steps - done),
            )
        )
        if self.stop.is_set():
            self.stopped_by_request = True
            self.cut_short = step < self.steps
            self.model.stop_training = True

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        # Keras validates even an epoch cut short by a stop: one batch of it is enough.
        if self.cut_short:
            self.model.stop_evaluating = True

    @property
    def epochs_run(self) -> float:
        return len(self.history) + (self.step / self.steps if self.cut_short else 0.0)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        # An epoch a stop cut short (ours, or another callback's) is not an epoch: its part
        # shows in the batches and in epochs_run.
        self.cut_short = self.cut_short or (self.model.stop_training and self.step < self.steps)
        if self.cut_short:
            return
        logs = logs or {}
        elapsed = time.perf_counter() - self.started
        event = EpochEnded(
            epoch=self.epoch,
            epochs=self.epochs,
            loss=float(logs["loss"]),
            accuracy=float(logs["accuracy"]),
            val_loss=_optional_float(logs.get("val_loss")),
            val_accuracy=_optional_float(logs.get("val_accuracy")),
            elapsed=elapsed,
            eta=elapsed / self.epoch * (self.epochs - self.epoch),
        )
        self.history.append(event)
        self.listener(event)


class PreciseBatchNorm(keras.callbacks.Callback):
    """Before each validation and when training ends, recompute batch-norm statistics exactly.

    The moving averages lag the weights (after a 10-second demo they are still near their
    initial values, and the model answers at random) and were measured on augmented images.
    Averaging over clean batches with the current weights fixes both ("precise BN", Wu &
    Johnson 2021), for a second of forward passes.
    """

    def __init__(self, images: np.ndarray, batches: int = 25, batch_size: int = 128) -> None:
        super().__init__()
        self.images = images[: batches * batch_size]
        self.batch_size = batch_size

    def on_test_begin(self, logs: dict | None = None) -> None:
        if not self.model.stop_training:  # a stop skips validation: no need to be precise
            self.on_train_end()

    def on_train_end(self, logs: dict | None = None) -> None:
        norms = [
            layer
            for layer in self.model.layers
            if isinstance(layer, keras.layers.BatchNormalization)
        ]
        if not norms:
            return
        momentum = norms[0].momentum
        for index, start in enumerate(range(0, len(self.images), self.batch_size)):
            for layer in norms:
                layer.momentum = index / (index + 1)  # a running mean of the batch statistics
            self.model(to_model_input(self.images[start : start + self.batch_size]), training=True)
        for layer in norms:
            layer.momentum = momentum


def _optional_float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _ignore(event: TrainingProgress) -> None:
    """The listener used when the caller passes none."""


ONE_CYCLE_WARMUP = 0.3  # share of the steps spent rising to the peak learning rate
ONE_CYCLE_START = 25  # the rise starts at the peak divided by this


def optimizer_for(config: TrainingConfig, steps_per_epoch: int) -> keras.optimizers.Adam:
    """Adam with the configured learning-rate schedule over all of the run's steps."""
    steps = config.epochs * steps_per_epoch
    if config.lr_schedule == "cosine":
        return keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=steps)
        )
    if config.lr_schedule == "one-cycle":
        # Smith & Topin's one cycle as PyTorch's OneCycleLR does it: cosine up, cosine down,
        # with the momenta the fast-MNIST records found best for a two-epoch run.
        warmup = int(ONE_CYCLE_WARMUP * steps)
        schedule = keras.optimizers.schedules.CosineDecay(
            config.learning_rate / ONE_CYCLE_START,
            decay_steps=max(steps - warmup, 1),
            warmup_target=config.learning_rate,
            warmup_steps=warmup,
        )
        return keras.optimizers.Adam(schedule, beta_1=0.7, beta_2=0.9)
    return keras.optimizers.Adam(config.learning_rate)


# Registered, so that a compiled model can be cloned or its compile settings read back.
@keras.saving.register_keras_serializable(package="mnist_core")
class DigitAccuracy(keras.metrics.MeanMetricWrapper):
    """Accuracy on the digits of a batch only: a non-digit's target has no right answer."""

    def __init__(self, name: str = "accuracy", dtype: object = None) -> None:
        super().__init__(_digit_hits, name=name, dtype=dtype)

    def get_config(self) -> dict[str, object]:
        return {"name": self.name, "dtype": self.dtype}

    def update_state(self, y_true: tf.Tensor, y_pred: tf.Tensor, sample_weight: None = None):
        is_digit = tf.cast(tf.reduce_max(y_true, axis=-1) > 0.5, self.dtype)
        return super().update_state(y_true, y_pred, sample_weight=is_digit)


def _digit_hits(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    return tf.cast(tf.argmax(y_true, axis=-1) == tf.argmax(y_pred, axis=-1), tf.float32)


def targets(labels: np.ndarray, non_digits: int = 0) -> np.ndarray:
    """One-hot targets for `labels`, then `non_digits` uniform ones: no digit in particular."""
    one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[np.asarray(labels, np.int64)]
    uniform = np.full((non_digits, NUM_CLASSES), 1 / NUM_CLASSES, np.float32)
    return np.concatenate([one_hot, uniform])


@keras.saving.register_keras_serializable(package="mnist_core")
def divergence(y_true: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Cross-entropy from logits less the target's own entropy (the KL divergence): a digit's
    loss as before, a non-digit's zero when its probabilities are all equal, not log 10."""
    entropy = -tf.reduce_sum(y_true * tf.math.log(tf.maximum(y_true, 1e-12)), axis=-1)
    return keras.losses.categorical_crossentropy(y_true, logits, from_logits=True) - entropy


def compile_model(model: keras.Model, config: TrainingConfig, steps_per_epoch: int) -> None:
    """Adam on `divergence` from `targets`, with the configured learning-rate schedule."""
    model.compile(
        optimizer=optimizer_for(config, steps_per_epoch),
        loss=divergence,
        metrics=[DigitAccuracy()],
    )


def train(
    config: TrainingConfig | None = None,
    mnist: Mnist | None = None,
    on_progress: ProgressListener | None = None,
    stop: StopSignal | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    non_digit_families: Sequence[str] = FAMILIES,
) -> TrainingResult:
    """Train a new model as `config` says; `stop.set()` from any thread ends it after the batch.

    `callbacks` are extra Keras callbacks (a checkpoint, a measurement) run after ours; the
    non-digits mixed in are drawn from `non_digit_families` (the benchmark holds some out).
    """
    config = config or TrainingConfig()
    split = split_validation(mnist or load_mnist(), config.validation_size, config.train_size)
    keras.utils.set_random_seed(config.seed)
    model = build_model(config.architecture)
    return fit(
        model, config, split.x_train, split.y_train, split.x_val, split.y_val,
        on_progress, stop, callbacks, non_digit_families,
    )  # fmt: skip


def train_and_test(
    config: TrainingConfig,
    mnist: Mnist,
    on_progress: ProgressListener | None = None,
    stop: StopSignal | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> Trained:
    """Train a new model as `config` says, calibrate it on the validation digits, then measure
    it on MNIST's test digits."""
    result = train(config, mnist, on_progress, stop, callbacks)
    split = split_validation(mnist, config.validation_size, config.train_size)
    classifier = Classifier(result.model)  # one traced graph to calibrate and to test
    calibration = calibrated(classifier, split.x_val, split.y_val, config.rejects_non_digits)
    classifier.calibration = calibration
    evaluation = evaluate(classifier, mnist)
    return Trained(
        result.model,
        result.model_info(evaluation.accuracy, evaluation.loss, calibration),
        result.stopped_by_request,
        result.stopped_early,
    )


REJECTION_SAMPLE = 2_000  # non-digits of the bank a trained model is checked on


def calibrated(
    classifier: Classifier, images: np.ndarray, labels: np.ndarray, rejects: bool
) -> Calibration | None:
    """The calibration of `classifier`'s model fitted on held-out digits (None with too few to
    fit on); with no rejection threshold unless the model was taught non-digits, and then the
    share of the taught kinds it turns away."""
    if len(images) < MIN_CALIBRATION_DIGITS:
        return None
    drawn_images, drawn_labels = calibration_drawings()
    calibration = calibration_for(
        classifier.logits(images / 255.0), labels, classifier.logits(drawn_images), drawn_labels
    )
    if not rejects:
        return replace(calibration, min_confidence=0.0)
    shown = training_non_digits(REJECTION_SAMPLE, seed=0) / 255.0
    answers = probabilities(classifier.logits(shown), calibration.temperature)
    rejected = 1 - calibration.is_digit(answers).mean()
    return replace(calibration, non_digits_rejected=round(float(rejected), 4))


def fit(
    model: keras.Model,
    config: TrainingConfig,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    on_progress: ProgressListener | None = None,
    stop: StopSignal | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    non_digit_families: Sequence[str] = FAMILIES,
) -> TrainingResult:
    """Compile `model` as `config` says and fit it on these images: what training a new model
    and fine-tuning one share. Batch-norm statistics come from the first training images."""
    train_size, validation_size = len(x_train), len(x_val)
    extra = training_non_digits(
        round(config.non_digits * train_size), config.seed, non_digit_families
    )
    reporter = ProgressReporter(
        on_progress or _ignore,
        stop or threading.Event(),
        config.epochs,
        train_size + len(extra),
        config.batch_size,
        validation_size,
        len(extra),
    )
    compile_model(model, config, reporter.steps)

    all_callbacks: list[keras.callbacks.Callback] = [reporter]
    early_stopping = None
    validation = None
    if validation_size:
        validation = make_dataset(x_val, targets(y_val), batch_size=1000)
        if config.early_stopping_patience is not None:
            early_stopping = keras.callbacks.EarlyStopping(
                monitor="val_accuracy",
                mode="max",  # our accuracy metric is a class: Keras can't tell its direction
                patience=config.early_stopping_patience,
                restore_best_weights=True,
            )
            all_callbacks.append(early_stopping)

    # After early stopping's on_train_end has restored the best weights.
    all_callbacks.append(PreciseBatchNorm(x_train))
    augment = drawn_digit_augmentation(config.seed) if config.augment else None
    training = make_dataset(
        np.concatenate([x_train, extra]),
        targets(y_train, len(extra)),
        config.batch_size,
        shuffle_seed=config.seed,
        augment=augment,
    )
    started = time.perf_counter()
    model.fit(
        training,
        epochs=config.epochs,
        validation_data=validation,
        callbacks=[*all_callbacks, *callbacks],
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=0,
    )
    seconds = time.perf_counter() - started
    stopped_early = early_stopping is not None and early_stopping.stopped_epoch > 0
    reporter.listener(
        TrainingEnded(reporter.epochs_run, seconds, reporter.stopped_by_request, stopped_early)
    )
    return TrainingResult(
        model=model,
        config=config,
        history=reporter.history,
        seconds=seconds,
        train_size=train_size,
        validation_size=validation_size,
        stopped_by_request=reporter.stopped_by_request,
        stopped_early=stopped_early,
        epochs_run=reporter.epochs_run,
    )
