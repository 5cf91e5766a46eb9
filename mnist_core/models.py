"""The architectures, built by name: (28, 28, 1) floats in [0, 1] in, 10 logits out.

Each builder imports Keras itself, so the registry (and the config, the CLI's `models` and
`--help`) loads without TensorFlow's start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mnist_core.data import MODEL_INPUT_SHAPE, NUM_CLASSES
from mnist_core.errors import ConfigError

if TYPE_CHECKING:
    import keras

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of the training images' pixels, in [0, 1]


def perceptron() -> keras.Model:
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=MODEL_INPUT_SHAPE),
            layers.Flatten(),
            layers.Dense(NUM_CLASSES, name="logits"),
        ],
        name="perceptron",
    )


def mlp() -> keras.Model:
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=MODEL_INPUT_SHAPE),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(NUM_CLASSES, name="logits"),
        ],
        name="mlp",
    )


def cnn_classic() -> keras.Model:
    """The CNN of TensorFlow's "Deep MNIST for experts" tutorial, layer for layer."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=MODEL_INPUT_SHAPE),
            layers.Conv2D(32, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(1024, activation="relu"),
            layers.Dense(NUM_CLASSES, name="logits"),
        ],
        name="cnn-classic",
    )


def cnn_fast() -> keras.Model:
    """The fast-MNIST records' network (tuomaso/train_mnist_fast): two small convolutions, each
    pooled before its ReLU to save work, then one dense layer. A tenth of `cnn`'s arithmetic."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=MODEL_INPUT_SHAPE),
            # MNIST's own mean and spread: inputs near zero mean and unit variance train faster.
            layers.Rescaling(1 / MNIST_STD, offset=-MNIST_MEAN / MNIST_STD),
            layers.Conv2D(24, 5),
            layers.MaxPooling2D(2),
            layers.ReLU(),
            layers.Conv2D(32, 3),
            layers.MaxPooling2D(2),
            layers.ReLU(),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dense(NUM_CLASSES, name="logits"),
        ],
        name="cnn-fast",
    )


def _conv_block(filters: int) -> list[keras.layers.Layer]:
    from keras import layers

    # Batch norm before ReLU, so the convolution needs no bias.
    return [
        layers.Conv2D(filters, 3, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
    ]


def cnn() -> keras.Model:
    """Our default: small 3x3 conv blocks with batch norm, then dropout and one dense layer."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=MODEL_INPUT_SHAPE),
            *_conv_block(32),
            layers.MaxPooling2D(2),
            *_conv_block(64),
            *_conv_block(64),
            layers.MaxPooling2D(2),
            *_conv_block(128),
            # Flatten, not global pooling: where a stroke is on the 7x7 grid tells digits apart.
            layers.Flatten(),
            layers.Dropout(0.4),
            layers.Dense(NUM_CLASSES, name="logits"),
        ],
        name="cnn",
    )


@dataclass(frozen=True)
class Architecture:
    """A buildable model with the one-line description the UI shows."""

    name: str
    description: str
    build: Callable[[], keras.Model]
    parameters: int  # what build().count_params() gives, kept here so listing needs no Keras


ARCHITECTURES: dict[str, Architecture] = {
    architecture.name: architecture
    for architecture in (
        Architecture(
            "perceptron",
            "Single layer (softmax regression): the classic first model",
            perceptron,
            parameters=7_850,
        ),
        Architecture(
            "mlp",
            "Multi-layer perceptron: two hidden layers of 256 and 128",
            mlp,
            parameters=235_146,
        ),
        Architecture(
            "cnn-classic",
            "The classic TensorFlow CNN: two 5x5 conv + pool layers, dense 1024",
            cnn_classic,
            parameters=3_274_634,
        ),
        Architecture(
            "cnn-fast",
            "A small fast CNN: 5x5 and 3x3 conv layers of 24 and 32 filters, dense 256",
            cnn_fast,
            parameters=215_194,
        ),
        Architecture(
            "cnn",
            "Our default: four 3x3 conv layers with batch norm, dropout, augmentation",
            cnn,
            parameters=193_194,
        ),
    )
}


def architecture_named(name: str) -> Architecture:
    """The registry entry of the named architecture; ConfigError naming the choices if unknown."""
    if name not in ARCHITECTURES:
        known = ", ".join(ARCHITECTURES)
        raise ConfigError(f"unknown architecture {name!r}; choose one of {known}")
    return ARCHITECTURES[name]


def build_model(architecture: str) -> keras.Model:
    """A new, untrained model of the named architecture."""
    return architecture_named(architecture).build()


def parameter_count(architecture: str) -> int:
    """Trainable and non-trainable parameters of the named architecture, without building it."""
    return architecture_named(architecture).parameters
