"""How fast this machine trains and tests each kind of network, measured, and how long a training
will take from that: what an honest "about a minute" on a button needs."""

from __future__ import annotations

import time
from dataclasses import dataclass

from mnist_core.config import MNIST_TRAINING_IMAGES, TrainingConfig
from mnist_core.data import MODEL_INPUT_SHAPE, Mnist
from mnist_core.models import build_model

TEST_IMAGES = 10_000  # every run is tested on all of MNIST's test digits
MEASURED_STEPS = 5  # optimizer steps timed after the first, which traces the graph

SpeedKey = tuple[str, int, bool]  # architecture, batch size, augmentation: what sets the pace


@dataclass(frozen=True)
class Speed:
    """Measured rates of one kind of training on this machine."""

    train_per_second: float  # training images per second
    test_per_second: float  # images per second when validating or testing
    setup_seconds: float  # building, compiling and tracing before the first step ends


def speed_key(config: TrainingConfig) -> SpeedKey:
    return (config.architecture, config.batch_size, config.augment)


def expected_seconds(config: TrainingConfig, speed: Speed) -> float:
    """Start to tested: setting up, every epoch's training and validation, then the test."""
    validation = config.validation_size
    train_size = config.train_size or MNIST_TRAINING_IMAGES - validation
    non_digits = round(config.non_digits * train_size)
    return (
        speed.setup_seconds
        + config.epochs * (train_size + non_digits) / speed.train_per_second
        + (config.epochs * validation + TEST_IMAGES) / speed.test_per_second
    )


def warm_up() -> None:
    """Import TensorFlow and Keras and train a tiny network one step: what every training's
    first second would otherwise spend starting them."""
    import numpy as np

    import mnist_core.finetune  # noqa: F401 - imported now, not when a fine-tuning starts
    from mnist_core.train import compile_model, targets

    config = TrainingConfig(architecture="perceptron", epochs=1, batch_size=8)
    model = build_model(config.architecture)
    compile_model(model, config, 1)
    model.train_on_batch(np.zeros((8, *MODEL_INPUT_SHAPE), np.float32), targets(np.zeros(8)))


def measure_speed(config: TrainingConfig, mnist: Mnist) -> Speed:
    """Time a few optimizer steps and a test pass of `config`'s network on `mnist`: about one to
    three seconds."""
    import keras

    from mnist_core.augment import drawn_digit_augmentation
    from mnist_core.data import make_dataset, to_model_input
    from mnist_core.train import compile_model, targets

    started = time.perf_counter()
    images = mnist.x_train[: (MEASURED_STEPS + 1) * config.batch_size]
    labels = targets(mnist.y_train[: len(images)])
    augment = drawn_digit_augmentation(config.seed) if config.augment else None
    batches = iter(make_dataset(images, labels, config.batch_size, augment=augment))
    model = build_model(config.architecture)
    compile_model(model, config, MEASURED_STEPS + 1)
    model.train_on_batch(*next(batches))
    setup = time.perf_counter() - started

    started = time.perf_counter()
    trained = 0
    for x, y in batches:
        model.train_on_batch(x, y)
        trained += len(y)
    train_seconds = time.perf_counter() - started

    test = to_model_input(mnist.x_test[:1_000])
    model(test[:100], training=False)  # the first call traces; the next is the pace
    started = time.perf_counter()
    keras.ops.convert_to_numpy(model(test, training=False))
    test_seconds = time.perf_counter() - started
    return Speed(trained / train_seconds, len(test) / test_seconds, setup)
