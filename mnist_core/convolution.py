"""A network's first convolution, step by step: one filter's window slid over one drawing, with
the numbers it multiplies and adds, then ReLU and max pooling, as CNN Explainer shows them.

The numbers are the network's own: layers before the convolution (rescaling) are applied to the
picture, a batch normalization right after it is folded into the weights and biases, so one
multiply-add per position gives what the network computes there before its ReLU.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mnist_core.errors import NoConvolutionError

# Layers that leave a picture unchanged when the network answers (they act only in training).
_INFERENCE_IDENTITY = (
    keras.layers.InputLayer,
    keras.layers.Dropout,
    keras.layers.SpatialDropout2D,
    keras.layers.GaussianNoise,
    keras.layers.GaussianDropout,
    keras.layers.RandomFlip,
    keras.layers.RandomRotation,
    keras.layers.RandomTranslation,
    keras.layers.RandomZoom,
    keras.layers.RandomContrast,
    keras.layers.RandomBrightness,
)
NO_FILTERS = (
    "This network has no filters that slide over the picture: each neuron of its first layer "
    "looks at all 784 pixels at once. Pick a model that is a CNN to see one."
)
NOT_RELU = "This network's first filters are not followed by a ReLU, which this view shows next."


@dataclass(frozen=True)
class FirstConvolution:
    """A network's first convolution as it is applied: weights and biases with any batch norm
    folded in, the picture's rescaling before it, and the max pooling after it (if any)."""

    layer_name: str
    image_shape: tuple[int, int]  # the picture the network takes, (28, 28)
    kernel_size: tuple[int, int]
    strides: tuple[int, int]
    padding: str  # "same": zeros around the picture keep the map its size; "valid": no padding
    weights: np.ndarray  # (filters, kernel height, kernel width), float64
    biases: np.ndarray  # (filters,)
    input_scale: float = 1.0  # the convolution sees pixel * input_scale + input_offset
    input_offset: float = 0.0
    batch_norm_folded: bool = False
    pool_size: tuple[int, int] | None = None  # the max pooling right after, None if there is none
    pool_strides: tuple[int, int] | None = None
    pool_padding: str = "valid"
    pools_before_relu: bool = False  # cnn-fast: pooling first saves work, the numbers are equal

    @property
    def filters(self) -> int:
        return len(self.weights)

    @property
    def rescaled(self) -> bool:
        return (self.input_scale, self.input_offset) != (1.0, 0.0)

    @property
    def description(self) -> str:
        """In plain words, e.g. "5×5 filters, 32 of them"."""
        height, width = self.kernel_size
        return f"{height}×{width} filters, {self.filters} of them"

    @property
    def notes(self) -> list[str]:
        """What was done so that the numbers shown are the network's own, one sentence each."""
        notes = []
        if self.rescaled:
            paper, ink = self.input_offset, self.input_scale + self.input_offset
            sign = "+" if self.input_offset >= 0 else "−"
            notes.append(
                f"The network rescales the pixels before its filters (pixel × "
                f"{self.input_scale:.3g} {sign} {abs(self.input_offset):.3g}): blank paper "
                f"becomes {paper:.2f} and full ink {ink:.2f}."
            )
        if self.padding == "same":
            notes.append("A border of zeros around the picture lets the window reach its edges.")
        if self.batch_norm_folded:
            notes.append(
                "The batch normalization after the filters is folded into their weights and "
                "biases: one multiply-add gives the value the network has before its ReLU."
            )
        if self.pools_before_relu:
            notes.append(
                "This network pools before its ReLU to save work; ReLU then max gives the same "
                "numbers as max then ReLU."
            )
        return notes


@dataclass(frozen=True)
class ConvolutionStep:
    """The window at one position: the numbers under it, times the weights, plus the bias."""

    position: int
    row: int  # of the output map
    col: int
    top: int  # where the window's top-left corner sits in the walk's `input`
    left: int
    window: np.ndarray  # (kernel height, kernel width): the numbers the filter sees
    weights: np.ndarray  # same shape: the filter
    products: np.ndarray  # window * weights
    bias: float

    @property
    def total(self) -> float:
        """The sum of the products plus the bias: the output map's value at (row, col)."""
        return float(self.products.sum() + self.bias)


@dataclass(frozen=True)
class ConvolutionWalk:
    """One filter slid over one picture, every position computed at once; `step` only slices.

    `pooled` is ReLU then max pooling even where the network pools first (cnn-fast): ReLU never
    puts a smaller number above a larger one, so the two orders give the same numbers."""

    convolution: FirstConvolution
    filter_index: int
    input: np.ndarray  # the grid the window slides over: the rescaled picture and its padding
    image_origin: tuple[int, int]  # where the picture's top-left pixel sits in `input`
    output: np.ndarray  # (rows, cols): each position's multiply-add, before ReLU
    relu: np.ndarray
    pooled: np.ndarray | None  # the ReLU map max-pooled; None where no pooling follows

    @property
    def weights(self) -> np.ndarray:
        return self.convolution.weights[self.filter_index]

    @property
    def bias(self) -> float:
        return float(self.convolution.biases[self.filter_index])

    @property
    def positions(self) -> int:
        """How many places the window stops at, row by row."""
        return self.output.size

    def step(self, position: int) -> ConvolutionStep:
        """The window at `position` (0 is the top-left; positions run row by row)."""
        if not 0 <= position < self.positions:
            raise ValueError(f"position must be 0-{self.positions - 1}, not {position}")
        row, col = divmod(position, self.output.shape[1])
        stride_rows, stride_cols = self.convolution.strides
        height, width = self.convolution.kernel_size
        top, left = row * stride_rows, col * stride_cols
        window = self.input[top : top + height, left : left + width]
        return ConvolutionStep(
            position, row, col, top, left, window, self.weights, window * self.weights, self.bias
        )


def first_convolution(model: keras.Model) -> FirstConvolution:
    """The model's first convolution as applied to a picture; NoConvolutionError (with a sentence
    for the class) for a network without one or with one this view cannot show honestly."""
    layers = list(model.layers)
    scale, offset = 1.0, 0.0
    for index, layer in enumerate(layers):
        if isinstance(layer, keras.layers.Conv2D):
            return _applied(layer, layers[index + 1 :], _image_shape(model), scale, offset)
        if isinstance(layer, keras.layers.Flatten | keras.layers.Dense):
            raise NoConvolutionError(NO_FILTERS)
        if isinstance(layer, keras.layers.Rescaling | keras.layers.Normalization):
            layer_scale, layer_offset = _affine(layer)
            scale, offset = scale * layer_scale, offset * layer_scale + layer_offset
        elif not isinstance(layer, _INFERENCE_IDENTITY):
            raise NoConvolutionError(
                f"This network changes the picture with a {type(layer).__name__} layer before its "
                "first filters, which this view cannot show step by step."
            )
    raise NoConvolutionError(NO_FILTERS)


def convolution_walk(
    convolution: FirstConvolution, image: np.ndarray, filter_index: int
) -> ConvolutionWalk:
    """Filter `filter_index` slid over `image` ((28, 28) floats in [0, 1], as the model takes it):
    the whole output map, its ReLU and its pooling, computed once."""
    if not 0 <= filter_index < convolution.filters:
        raise ValueError(f"filter must be 0-{convolution.filters - 1}, not {filter_index}")
    picture = np.asarray(image, np.float64)
    if picture.shape != convolution.image_shape:
        raise ValueError(f"image must be {convolution.image_shape}, not {picture.shape}")
    if not np.isfinite(picture).all():
        raise ValueError("image holds values that are not numbers")
    picture = picture * convolution.input_scale + convolution.input_offset
    grid, origin = _padded(
        picture, convolution.kernel_size, convolution.strides, convolution.padding
    )
    weights = convolution.weights[filter_index]
    windows = _windows(grid, convolution.kernel_size, convolution.strides)
    output = np.einsum("ijab,ab->ij", windows, weights) + convolution.biases[filter_index]
    relu = np.maximum(output, 0)
    pooled = None
    if convolution.pool_size is not None and convolution.pool_strides is not None:
        pooled = _max_pooled(
            relu, convolution.pool_size, convolution.pool_strides, convolution.pool_padding
        )
    return ConvolutionWalk(convolution, filter_index, grid, origin, output, relu, pooled)


def _image_shape(model: keras.Model) -> tuple[int, int]:
    height, width, channels = model.inputs[0].shape[1:]
    if channels != 1 or height is None or width is None:
        raise NoConvolutionError(
            "This view shows networks that take one grey picture of a fixed size."
        )
    return int(height), int(width)


def _affine(layer: keras.layers.Layer) -> tuple[float, float]:
    """(scale, offset) of a Rescaling or (not inverted) Normalization layer on one channel."""
    if isinstance(layer, keras.layers.Rescaling):
        return float(np.ravel(layer.scale)[0]), float(np.ravel(layer.offset)[0])
    if layer.invert:
        raise NoConvolutionError(
            "This network undoes a normalization before its first filters, which this view "
            "cannot show step by step."
        )
    spread = max(float(np.sqrt(np.ravel(layer.variance)[0])), keras.backend.epsilon())
    return 1 / spread, -float(np.ravel(layer.mean)[0]) / spread


def _applied(
    conv: keras.layers.Conv2D,
    following: list[keras.layers.Layer],
    image_shape: tuple[int, int],
    input_scale: float,
    input_offset: float,
) -> FirstConvolution:
    """The convolution with a batch norm right after it folded in, and the pooling after it."""
    if conv.data_format != "channels_last" or tuple(conv.dilation_rate) != (1, 1):
        raise NoConvolutionError(
            "This network's first filters skip pixels or read the picture in another order, "
            "which this view cannot show step by step."
        )
    relu_at = 0 if _is_relu(conv.activation) else None  # the conv's own ReLU comes first
    if relu_at is None and conv.activation is not keras.activations.linear:
        raise NoConvolutionError(NOT_RELU)
    kernel = np.asarray(conv.kernel, np.float64)[:, :, 0, :]  # one grey input channel
    weights = np.moveaxis(kernel, -1, 0)
    biases = np.asarray(conv.bias, np.float64) if conv.use_bias else np.zeros(len(weights))
    batch_norm = (
        relu_at is None
        and bool(following)
        and isinstance(following[0], keras.layers.BatchNormalization)
    )
    if batch_norm:
        weights, biases = _folded(following[0], weights, biases)
        following = following[1:]
    # What comes next, up to the first layer that is neither ReLU nor max pooling.
    pooling, pool_at = None, 0
    for place, layer in enumerate(following, start=1):
        if relu_at is None and _is_relu_layer(layer):
            relu_at = place
        elif pooling is None and isinstance(layer, keras.layers.MaxPooling2D):
            pooling, pool_at = layer, place
        else:
            break
    if relu_at is None:
        raise NoConvolutionError(NOT_RELU)
    return FirstConvolution(
        layer_name=conv.name,
        image_shape=image_shape,
        kernel_size=_pair(conv.kernel_size),
        strides=_pair(conv.strides),
        padding=conv.padding,
        weights=weights,
        biases=biases,
        input_scale=input_scale,
        input_offset=input_offset,
        batch_norm_folded=batch_norm,
        pool_size=None if pooling is None else _pair(pooling.pool_size),
        pool_strides=None if pooling is None else _pair(pooling.strides),
        pool_padding="valid" if pooling is None else pooling.padding,
        # ReLU never lowers a larger number below a smaller one, so it commutes with max.
        pools_before_relu=pooling is not None and pool_at < relu_at,
    )


def _folded(
    batch_norm: keras.layers.BatchNormalization, weights: np.ndarray, biases: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """At inference batch norm is per-filter affine: scale = gamma / sqrt(variance + epsilon),
    so w' = w * scale and b' = beta + (b - mean) * scale."""
    if batch_norm.axis not in (-1, 3, [-1], [3]):
        raise NoConvolutionError("This network normalizes its filters' maps along another axis.")
    mean = np.asarray(batch_norm.moving_mean, np.float64)
    variance = np.asarray(batch_norm.moving_variance, np.float64)
    gamma = np.asarray(batch_norm.gamma, np.float64) if batch_norm.scale else 1.0
    beta = np.asarray(batch_norm.beta, np.float64) if batch_norm.center else 0.0
    scale = gamma / np.sqrt(variance + batch_norm.epsilon)
    return weights * scale[:, None, None], beta + (biases - mean) * scale


def _is_relu(activation: object) -> bool:
    return activation is keras.activations.relu


def _is_relu_layer(layer: keras.layers.Layer) -> bool:
    if isinstance(layer, keras.layers.Activation):
        return _is_relu(layer.activation)
    return (
        isinstance(layer, keras.layers.ReLU)
        and layer.max_value is None
        and layer.negative_slope == 0
        and layer.threshold == 0
    )


def _pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    height, width = (value, value) if isinstance(value, int) else value
    return int(height), int(width)


def _padded(
    values: np.ndarray,
    window: tuple[int, int],
    strides: tuple[int, int],
    padding: str,
    fill: float = 0.0,
) -> tuple[np.ndarray, tuple[int, int]]:
    """`values` with the border TensorFlow adds for `padding`, and where the values start in it."""
    if padding == "valid":
        return values, (0, 0)
    (top, bottom), (left, right) = (
        _same_border(size, length, stride)
        for size, length, stride in zip(values.shape, window, strides, strict=True)
    )
    return np.pad(values, ((top, bottom), (left, right)), constant_values=fill), (top, left)


def _same_border(size: int, window: int, stride: int) -> tuple[int, int]:
    """Cells before and after along one axis for "same": enough for one output per stride, the
    odd one after, as TensorFlow pads."""
    total = max((-(-size // stride) - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def _windows(grid: np.ndarray, size: tuple[int, int], strides: tuple[int, int]) -> np.ndarray:
    """(rows, cols, height, width): the window at each position, a view without copying."""
    return sliding_window_view(grid, size)[:: strides[0], :: strides[1]]


def _max_pooled(
    values: np.ndarray, size: tuple[int, int], strides: tuple[int, int], padding: str
) -> np.ndarray:
    grid, _ = _padded(values, size, strides, padding, fill=-np.inf)  # the border never wins
    return _windows(grid, size, strides).max(axis=(-2, -1))
