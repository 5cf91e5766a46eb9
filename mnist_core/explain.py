"""Inside the network: which pixels pushed it to an answer, what each layer computes, and what
its first layer has learned to look for. Works for every architecture in the store, or says why
a view does not apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from mnist_core.data import IMAGE_SHAPE, MODEL_INPUT_SHAPE, NUM_CLASSES


def describe_layer(layer: keras.layers.Layer) -> str:
    """A weighted layer as what it is, not its Keras name: "5×5 filters, 32 of them"."""
    if isinstance(layer, keras.layers.Conv2D):
        height, width = layer.kernel_size
        return f"{height}×{width} filters, {layer.filters} of them"
    if isinstance(layer, keras.layers.Dense):
        return f"a layer of {layer.units} neurons, each looking at every input"
    raise ValueError(f"{layer.name} is neither a convolution nor a dense layer")


@dataclass(frozen=True)
class LayerView:
    """One layer's output for one image, scaled to [0, 1] for display."""

    description: str  # what the layer is, in words: describe_layer
    values: np.ndarray  # (H, W, channels) for convolutions, (units,) for dense layers

    @property
    def is_spatial(self) -> bool:
        return self.values.ndim == 3


@dataclass(frozen=True)
class FirstLayer:
    """What the first weighted layer looks for, as images scaled to [-1, 1] (0 = no weight)."""

    kind: str  # "filters" (a convolution's kernels) or "weights" (a dense unit's 28x28 inputs)
    images: np.ndarray  # (count, height, width)
    description: str  # the layer in words: describe_layer


def _unit_scale(values: np.ndarray) -> np.ndarray:
    top = float(np.max(values)) if values.size else 0.0
    return (values / top if top > 0 else np.zeros_like(values)).astype(np.float32)


class Inspector:
    """Saliency and layer outputs for one model; build once per model, reuse for every drawing."""

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        self.watched = [
            layer
            for layer in model.layers
            if isinstance(layer, keras.layers.Conv2D | keras.layers.Dense)
            and layer is not model.layers[-1]
        ]
        # Conv layers are shown after their activation: the next ReLU layer where there is one.
        outputs = [self._shown_output(layer) for layer in self.watched]
        self._layers = keras.Model(model.inputs[0], outputs) if outputs else None
        self._gradients = tf.function(
            self._input_gradients,
            input_signature=[
                tf.TensorSpec([1, *MODEL_INPUT_SHAPE], tf.float32),
                tf.TensorSpec([], tf.int32),
            ],
        )

    def _shown_output(self, layer: keras.layers.Layer) -> keras.KerasTensor:
        index = self.model.layers.index(layer)
        for following in self.model.layers[index + 1 : index + 3]:
            if isinstance(following, keras.layers.ReLU):
                return following.output
        return layer.output

    def _input_gradients(self, image: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(image)
            logits = self.model(image, training=False)
            chosen = tf.gather(logits[0], target)
        return tape.gradient(chosen, image)

    def saliency(self, image: np.ndarray, target: int) -> np.ndarray:
        """(28, 28) in [0, 1]: how much each pixel's ink raised the `target` digit's score.

        Gradient × input: ink that pushed towards `target`; ink that pushed away counts as 0.
        """
        if not 0 <= target < NUM_CLASSES:
            raise ValueError(f"target must be a digit 0-9, not {target}")
        batch = tf.constant(np.asarray(image, np.float32).reshape(1, *MODEL_INPUT_SHAPE))
        gradient = self._gradients(batch, tf.constant(target, tf.int32)).numpy()[0, ..., 0]
        return _unit_scale(np.maximum(gradient * batch.numpy()[0, ..., 0], 0))

    def layer_views(self, image: np.ndarray) -> list[LayerView]:
        """Each convolution's feature maps and each hidden dense layer's units, for one image."""
        if self._layers is None:
            return []
        batch = np.asarray(image, np.float32).reshape(1, *MODEL_INPUT_SHAPE)
        outputs = self._layers(batch, training=False)
        outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
        return [
            LayerView(describe_layer(layer), _unit_scale(np.maximum(np.asarray(output)[0], 0)))
            for layer, output in zip(self.watched, outputs, strict=True)
        ]


def first_layer(model: keras.Model) -> FirstLayer:
    """The first convolution's kernels, or the first dense layer's weights as 28x28 images."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kernels = np.asarray(layer.kernel)[..., 0, :]  # (k, k, filters): one input channel
            images = _signed_scale(np.moveaxis(kernels, -1, 0))
            return FirstLayer("filters", images, describe_layer(layer))
        if isinstance(layer, keras.layers.Dense):
            weights = np.asarray(layer.kernel)  # (784, units)
            images = _signed_scale(weights.T.reshape(-1, *IMAGE_SHAPE))
            return FirstLayer("weights", images, describe_layer(layer))
    raise ValueError(f"{model.name} has no convolution or dense layer to show")


@dataclass(frozen=True)
class FirstLayerAtEpoch:
    """A training event: the first layer as it is after `epoch` epochs (0 = as initialized)."""

    epoch: int
    view: FirstLayer


class FirstLayerProgress(keras.callbacks.Callback):
    """Reports the first layer at the start and after every epoch, so a class can watch it form."""

    def __init__(self, listener: Callable[[FirstLayerAtEpoch], None]) -> None:
        super().__init__()
        self.listener = listener

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.listener(FirstLayerAtEpoch(0, first_layer(self.model)))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.listener(FirstLayerAtEpoch(epoch + 1, first_layer(self.model)))


def _signed_scale(images: np.ndarray) -> np.ndarray:
    """Each image divided by its largest absolute weight: [-1, 1], 0 stays 0."""
    top = np.abs(images).reshape(len(images), -1).max(axis=1)
    top[top == 0] = 1
    return (images / top[:, None, None]).astype(np.float32)
