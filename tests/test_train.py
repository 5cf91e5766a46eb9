from __future__ import annotations

import threading

import keras
import numpy as np
import pytest

from mnist_core.calibrate import Calibration
from mnist_core.config import MIN_CALIBRATION_DIGITS, TrainingConfig
from mnist_core.errors import ConfigError
from mnist_core.models import build_model
from mnist_core.non_digits import training_non_digits
from mnist_core.predict import Classifier
from mnist_core.progress import BatchEnded, EpochEnded, TrainingEnded, TrainingStarted
from mnist_core.train import DigitAccuracy, divergence, targets, train, train_and_test

# No non-digits: six batches of digits an epoch (the tests of non-digits add them).
QUICK = dict(
    architecture="mlp", train_size=600, validation_size=200, batch_size=100, non_digits=0.0
)


def test_progress_events_come_in_order(small_mnist):
    events = []
    result = train(TrainingConfig(epochs=2, **QUICK), small_mnist, on_progress=events.append)

    kinds = [type(event) for event in events]
    assert kinds == [
        TrainingStarted,
        *[BatchEnded] * 6,
        EpochEnded,
        *[BatchEnded] * 6,
        EpochEnded,
        TrainingEnded,
    ]
    assert events[0] == TrainingStarted(
        epochs=2, steps_per_epoch=6, train_size=600, validation_size=200
    )
    batches = [event for event in events if isinstance(event, BatchEnded)]
    assert [(b.epoch, b.step) for b in batches] == [(e, s) for e in (1, 2) for s in range(1, 7)]
    assert all(b.steps == 6 and b.epochs == 2 for b in batches)
    assert all(b.images_per_second > 0 and b.eta >= 0 for b in batches)
    assert batches[-1].eta == 0 and batches[-1].fraction_done == 1
    elapsed = [b.elapsed for b in batches]
    assert elapsed == sorted(elapsed)
    assert all(0 <= b.accuracy <= 1 and np.isfinite(b.loss) for b in batches)

    epochs = [event for event in events if isinstance(event, EpochEnded)]
    assert [e.epoch for e in epochs] == [1, 2] and epochs == result.history
    assert all(e.val_accuracy is not None and e.val_loss is not None for e in epochs)
    # Per-batch values are each batch's own: equal batches average to the epoch's figure.
    first_epoch = [b.loss for b in batches if b.epoch == 1]
    assert np.mean(first_epoch) == pytest.approx(epochs[0].loss, rel=1e-3)
    assert events[-1].epochs_run == 2 and not events[-1].stopped_by_request


def test_stop_request_ends_after_the_current_batch_and_keeps_the_weights(small_mnist):
    stop = threading.Event()
    seen = []

    def listener(event):
        seen.append(event)
        if isinstance(event, BatchEnded) and event.step == 3:
            stop.set()

    result = train(TrainingConfig(epochs=5, **QUICK), small_mnist, on_progress=listener, stop=stop)
    batches = [event for event in seen if isinstance(event, BatchEnded)]
    assert [(b.epoch, b.step) for b in batches] == [(1, 1), (1, 2), (1, 3)]
    # Three of the epoch's six steps: half an epoch, not "1 epoch", and no epoch's figures.
    assert result.stopped_by_request and result.epochs_run == 0.5 and result.history == []
    assert isinstance(seen[-1], TrainingEnded) and seen[-1].stopped_by_request
    assert seen[-1].epochs_run == 0.5 and not any(isinstance(e, EpochEnded) for e in seen)
    # The three steps moved the weights off their seeded initial values, and they are kept.
    keras.utils.set_random_seed(0)
    initial = build_model("mlp").get_weights()
    trained = result.model.get_weights()
    assert not any(np.array_equal(a, b) for a, b in zip(initial, trained, strict=True))
    logits = np.asarray(result.model(small_mnist.x_test[:500, ..., None] / 255.0))
    assert (logits.argmax(axis=1) == small_mnist.y_test[:500]).mean() > 0.15  # chance is 0.1


class CountsValidationBatches(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.batches += 1


def test_a_stop_does_not_wait_for_a_whole_validation(small_mnist):
    stop = threading.Event()
    counter = CountsValidationBatches()

    def listener(event):
        if isinstance(event, BatchEnded) and event.epoch == 2 and event.step == 1:
            stop.set()

    config = TrainingConfig(epochs=3, **{**QUICK, "validation_size": 2_000})
    result = train(config, small_mnist, listener, stop, callbacks=[counter])
    # Epoch 1 validated on both batches of 1,000; the stop in epoch 2 on one only.
    assert counter.batches == 2 + 1
    assert result.epochs_run == pytest.approx(1 + 1 / 6)
    assert [e.epoch for e in result.history] == [1]


def test_same_seed_same_model(small_mnist):
    config = TrainingConfig(epochs=1, seed=7, **QUICK)
    first = train(config, small_mnist).model.get_weights()
    second = train(config, small_mnist).model.get_weights()
    other = train(TrainingConfig(epochs=1, seed=8, **QUICK), small_mnist).model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_without_validation_there_is_no_early_stopping(small_mnist):
    config = TrainingConfig(
        architecture="perceptron", epochs=2, train_size=500, validation_size=0, batch_size=250
    )
    result = train(config, small_mnist)
    assert result.epochs_run == 2 and result.validation_size == 0
    assert result.history[-1].val_accuracy is None


def test_early_stopping_restores_the_best_epoch(small_mnist):
    # A huge learning rate makes validation accuracy fall after the first epoch.
    config = TrainingConfig(
        architecture="mlp",
        epochs=8,
        learning_rate=0.5,
        lr_schedule="constant",
        augment=False,
        early_stopping_patience=1,
        train_size=600,
        validation_size=300,
        batch_size=100,
    )
    result = train(config, small_mnist)
    if not result.stopped_early:
        pytest.fail(f"expected early stopping, got {[e.val_accuracy for e in result.history]}")
    assert result.epochs_run < 8


def test_model_info_describes_the_run(small_mnist):
    result = train(TrainingConfig(epochs=1, **QUICK), small_mnist)
    info = result.model_info(test_accuracy=0.5, test_loss=1.2)
    assert info.architecture == "mlp" and info.parameters == result.model.count_params()
    assert info.train_size == 600 and info.validation_size == 200 and info.epochs_run == 1
    assert info.hyperparameters["batch_size"] == 100 and info.hyperparameters["seed"] == 0
    assert info.tensorflow_version and info.keras_version and info.created


@pytest.mark.parametrize(
    "settings",
    [
        {"epochs": 0},
        {"batch_size": 0},
        {"learning_rate": 0},
        {"lr_schedule": "step"},
        {"architecture": "resnet"},
        {"early_stopping_patience": 0},
        {"validation_size": 60_000},
    ],
)
def test_bad_settings_are_refused(settings):
    with pytest.raises(ConfigError):
        TrainingConfig(**settings)


def test_non_digits_are_mixed_in_and_taught_as_no_digit(small_mnist):
    events = []
    config = TrainingConfig(
        epochs=8, learning_rate=3e-3, lr_schedule="constant", **{**QUICK, "non_digits": 0.5}
    )
    result = train(config, small_mnist, on_progress=events.append)
    started = events[0]
    assert (started.train_size, started.non_digits, started.steps_per_epoch) == (900, 300, 9)
    assert result.train_size == 600
    non_digits = training_non_digits(50, seed=3) / 255.0
    spread = Classifier(result.model).predict_proba(non_digits).max(axis=1)
    digits = Classifier(result.model).predict_proba(small_mnist.x_test[:50] / 255.0).max(axis=1)
    assert np.median(spread) < 0.5 < np.median(digits), (np.median(spread), np.median(digits))


def test_accuracy_counts_digits_only_and_a_uniform_answer_costs_nothing():
    y_true = targets(np.array([3, 5]), non_digits=2)
    assert y_true.shape == (4, 10) and np.allclose(y_true[2:], 0.1)
    logits = np.zeros((4, 10), np.float32)
    logits[0, 3] = logits[1, 7] = 10.0  # the first digit right, the second wrong
    metric = DigitAccuracy()
    metric.update_state(y_true, logits)
    assert float(metric.result()) == pytest.approx(0.5)
    loss = keras.ops.convert_to_numpy(divergence(y_true, logits))
    assert loss[2:] == pytest.approx([0, 0], abs=1e-5)  # all ten equal: nothing to learn
    assert loss[0] < 0.01 < 5 < loss[1]


@pytest.mark.parametrize(
    ("changes", "rejects"),
    [({}, True), ({"non_digits": 0.0}, False), ({"validation_size": 0}, None),
     ({"validation_size": MIN_CALIBRATION_DIGITS - 1}, None)],
)  # fmt: skip
def test_a_trained_model_is_calibrated_on_its_validation_digits(small_mnist, changes, rejects):
    settings = {**QUICK, "validation_size": MIN_CALIBRATION_DIGITS, "non_digits": 0.2}
    config = TrainingConfig(epochs=1, **{**settings, **changes})
    trained = train_and_test(config, small_mnist)
    calibration = Calibration.from_dict(trained.info.calibration)
    if rejects is None:  # too few digits held out to calibrate on
        assert calibration is None and not config.rejects_non_digits
        return
    assert calibration.temperature > 0
    assert (calibration.min_confidence > 0) == rejects == config.rejects_non_digits
    assert (calibration.non_digits_rejected is not None) == rejects
    classifier = Classifier(trained.model, trained.info)
    assert classifier.rejects_non_digits == rejects
    # Test digits, not the validation digits the threshold was set to keep 99.7% of.
    kept = classifier.is_digit(classifier.predict_proba(small_mnist.x_test / 255.0))
    assert kept.mean() >= 0.97
