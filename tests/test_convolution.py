from __future__ import annotations

import dataclasses
import time

import keras
import numpy as np
import pytest

from mnist_core.convolution import (
    NO_FILTERS,
    ConvolutionWalk,
    FirstConvolution,
    convolution_walk,
    first_convolution,
)
from mnist_core.convolution_figures import (
    convolution_animation,
    output_figure,
    pooled_figure,
    relu_figure,
    step_grids_figure,
    sum_line,
    window_figure,
)
from mnist_core.errors import NoConvolutionError
from mnist_core.models import build_model
from mnist_core.predict import load_classifier
from mnist_core.store import DEFAULT_MODELS_DIR

# Which layers of each architecture give the map before ReLU, after ReLU, and after pooling
# (None: Keras has no layer with that map).
KERAS_MAPS: dict[str, dict[str, int | None]] = {
    "cnn": {"output": 1, "relu": 2, "pooled": 3},  # conv, batch norm, ReLU, pool
    "cnn-fast": {"output": 1, "relu": None, "pooled": 3},  # rescale, conv, pool, ReLU
    "cnn-classic": {"output": None, "relu": 0, "pooled": 1},  # conv with its ReLU, pool
}


@pytest.fixture(scope="module")
def image(mnist) -> np.ndarray:
    return mnist.x_test[0] / 255.0


@pytest.fixture(scope="module")
def shipped() -> keras.Model:
    return load_classifier(store=DEFAULT_MODELS_DIR).model


def with_random_weights(model: keras.Model) -> keras.Model:
    """Every weight random, batch norm's statistics too: folding and biases are really tested."""
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            size = layer.gamma.shape[0]
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, size),  # gamma
                    rng.uniform(-0.5, 0.5, size),  # beta
                    rng.uniform(-0.3, 0.3, size),  # moving mean
                    rng.uniform(0.05, 2.0, size),  # moving variance
                ]
            )
        elif isinstance(layer, keras.layers.Conv2D) and layer.use_bias:
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, rng.uniform(-0.2, 0.2, bias.shape)])
    return model


def keras_maps(
    model: keras.Model, image: np.ndarray, indices: dict[str, int | None]
) -> dict[str, np.ndarray]:
    """The named layers' outputs for one image, (H, W, filters) each."""
    chosen = {name: index for name, index in indices.items() if index is not None}
    probe = keras.Model(model.inputs[0], [model.layers[index].output for index in chosen.values()])
    outputs = probe(image.reshape(1, 28, 28, 1).astype(np.float32), training=False)
    return {name: np.asarray(output)[0] for name, output in zip(chosen, outputs, strict=True)}


def every_filter(convolution: FirstConvolution, image: np.ndarray) -> dict[str, np.ndarray]:
    """Our maps of every filter, stacked as Keras stacks them: (H, W, filters)."""
    walks = [convolution_walk(convolution, image, index) for index in range(convolution.filters)]
    return {
        name: np.stack([getattr(walk, name) for walk in walks], axis=-1)
        for name in ("output", "relu", "pooled")
    }


@pytest.mark.parametrize("name", list(KERAS_MAPS))
def test_maps_equal_what_the_network_computes(name, image):
    model = with_random_weights(build_model(name))
    ours = every_filter(first_convolution(model), image)
    theirs = keras_maps(model, image, KERAS_MAPS[name])
    assert theirs  # at least pooling is compared for every architecture
    for stage, values in theirs.items():
        np.testing.assert_allclose(ours[stage], values, atol=1e-4, err_msg=stage)
    # ReLU is not its own layer everywhere: check it against the map before it
    np.testing.assert_array_equal(ours["relu"], np.maximum(ours["output"], 0))


def test_the_shipped_model_with_its_trained_batch_norm(shipped, image):
    convolution = first_convolution(shipped)
    assert convolution.batch_norm_folded and convolution.description == "3×3 filters, 32 of them"
    ours = every_filter(convolution, image)
    for stage, values in keras_maps(shipped, image, KERAS_MAPS["cnn"]).items():
        np.testing.assert_allclose(ours[stage], values, atol=1e-4, err_msg=stage)


def test_batch_norm_is_folded_into_weights_and_biases():
    model = with_random_weights(build_model("cnn"))
    conv, batch_norm = model.layers[0], model.layers[1]
    gamma, beta, mean, variance = batch_norm.get_weights()
    scale = gamma / np.sqrt(variance + batch_norm.epsilon)
    convolution = first_convolution(model)
    raw = np.moveaxis(conv.get_weights()[0][:, :, 0, :], -1, 0)
    np.testing.assert_allclose(convolution.weights, raw * scale[:, None, None], rtol=1e-6)
    np.testing.assert_allclose(convolution.biases, beta - mean * scale, rtol=1e-6)
    assert any("folded" in note for note in convolution.notes)


def test_a_normalization_before_strided_same_convolution_and_pooling(image):
    """The general case: a Normalization layer, stride 2 and odd "same" pooling, as TF pads."""
    model = with_random_weights(
        keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                keras.layers.Normalization(mean=0.2, variance=0.09),
                keras.layers.Conv2D(4, 3, strides=2, padding="same"),
                keras.layers.Activation("relu"),
                keras.layers.MaxPooling2D(3, strides=2, padding="same"),
                keras.layers.Flatten(),
                keras.layers.Dense(10),
            ]
        )
    )
    convolution = first_convolution(model)
    assert convolution.rescaled and convolution.input_scale == pytest.approx(1 / 0.3)
    ours = every_filter(convolution, image)
    theirs = keras_maps(model, image, {"output": 1, "relu": 2, "pooled": 3})
    assert ours["output"].shape == (14, 14, 4) and ours["pooled"].shape == (7, 7, 4)
    for stage, values in theirs.items():
        np.testing.assert_allclose(ours[stage], values, atol=1e-4, err_msg=stage)


def test_padding_same_surrounds_the_picture_with_zeros_and_valid_shrinks_the_map(image):
    classic = convolution_walk(first_convolution(build_model("cnn-classic")), image, 0)
    assert classic.input.shape == (32, 32) and classic.output.shape == (28, 28)
    assert classic.image_origin == (2, 2) and classic.positions == 28 * 28
    np.testing.assert_array_equal(classic.input[2:30, 2:30], image)
    inside = np.zeros((32, 32), bool)
    inside[2:30, 2:30] = True
    assert not classic.input[~inside].any()

    fast = convolution_walk(first_convolution(build_model("cnn-fast")), image, 0)
    convolution = fast.convolution
    assert fast.input.shape == (28, 28) and fast.output.shape == (24, 24)
    assert fast.pooled is not None and fast.pooled.shape == (12, 12)
    # The window sees the picture as the network rescaled it, not the raw pixels.
    np.testing.assert_allclose(
        fast.input, image * convolution.input_scale + convolution.input_offset
    )
    assert convolution.pools_before_relu and convolution.description == "5×5 filters, 24 of them"
    assert any("blank paper becomes -0.42" in note.replace("−", "-") for note in convolution.notes)


@pytest.mark.parametrize("position", [0, 29, 400, 783])
def test_each_step_is_one_multiply_add_of_the_map(shipped, image, position):
    walk = convolution_walk(first_convolution(shipped), image, 5)
    step = walk.step(position)
    assert (step.row, step.col) == (step.top, step.left) == divmod(position, 28)
    np.testing.assert_array_equal(step.window, walk.input[step.top :, step.left :][:3, :3])
    np.testing.assert_array_equal(step.products, step.window * walk.weights)
    assert step.total == pytest.approx(step.products.sum() + walk.bias)
    assert step.total == pytest.approx(walk.output[step.row, step.col], abs=1e-12)


def test_networks_without_filters_say_so():
    for name in ("perceptron", "mlp"):
        with pytest.raises(NoConvolutionError, match="no filters that slide over the picture"):
            first_convolution(build_model(name))
    assert "784 pixels" in NO_FILTERS
    tanh = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3, activation="tanh")]
    )
    with pytest.raises(NoConvolutionError, match="not followed by a ReLU"):
        first_convolution(tanh)


def test_out_of_range_filter_position_and_image_are_refused(shipped, image):
    convolution = first_convolution(shipped)
    for index in (-1, convolution.filters):
        with pytest.raises(ValueError, match="filter must be 0-31"):
            convolution_walk(convolution, image, index)
    with pytest.raises(ValueError, match="image must be"):
        convolution_walk(convolution, image[:27], 0)
    walk = convolution_walk(convolution, image, 0)
    for position in (-1, walk.positions):
        with pytest.raises(ValueError, match="position must be 0-783"):
            walk.step(position)


@pytest.fixture(scope="module")
def walk(shipped, image) -> ConvolutionWalk:
    return convolution_walk(first_convolution(shipped), image, 3)


def test_figures_hold_the_step_and_the_maps(walk):
    step = walk.step(400)
    window = window_figure(walk, step)
    np.testing.assert_array_equal(window.data[0].z, walk.input.astype(np.float32))
    edge, frame = window.layout.shapes  # the picture's edge, dashed, then the window
    assert edge.line.dash == "dash" and (edge.x0, edge.y0) == (0.5, 0.5)
    assert (step.top, step.left) == (14, 8)  # 400 = 14 rows of 28, and 8
    assert (frame.x0, frame.x1, frame.y0, frame.y1) == (7.5, 10.5, 13.5, 16.5)

    grids = step_grids_figure(walk, step)
    for trace, values in zip(grids.data, (step.window, step.weights, step.products), strict=True):
        np.testing.assert_array_equal(trace.z, values)
        assert trace.texttemplate == "%{z:.2f}"

    filled = np.asarray(output_figure(walk, step).data[0].z, float)
    assert np.isfinite(filled).sum() == step.position + 1
    np.testing.assert_array_equal(filled.flat[: step.position + 1], walk.output.flat[:401])

    np.testing.assert_array_equal(relu_figure(walk).data[0].z, walk.relu)
    np.testing.assert_array_equal(pooled_figure(walk).data[0].z, walk.pooled)
    line = sum_line(step)
    assert f"= {step.total:.2f}" in line and "(bias)" in line


def test_pooled_figure_needs_pooling(walk, image):
    unpooled = dataclasses.replace(walk.convolution, pool_size=None, pool_strides=None)
    with pytest.raises(ValueError, match="does not pool"):
        pooled_figure(convolution_walk(unpooled, image, 0))


def test_animation_plays_in_the_browser_and_stays_small(walk):
    figure = convolution_animation(walk)
    assert len(figure.frames) == 56  # 784 positions, 14 a frame
    assert [frame.name for frame in figure.frames[:2]] == ["13", "27"]
    maps = [np.asarray(frame.data[1].z, float) for frame in figure.frames]
    assert [np.isfinite(values).sum() for values in maps[:2]] == [14, 28]
    np.testing.assert_allclose(maps[-1], walk.output, atol=1e-5)  # the whole map in the end
    assert len(figure.layout.sliders[0].steps) == 56
    assert [button.label for button in figure.layout.updatemenus[0].buttons] == [
        "▶ Play",
        "❚❚ Pause",
    ]
    assert len(figure.to_json()) < 500_000
    assert len(convolution_animation(walk, frames=10).frames) == 10


def test_a_step_and_all_its_figures_are_quick(walk):
    """Run on every click of "next step": the best of three tries stays far below a second."""
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        step = walk.step(500)
        shown = [window_figure(walk, step), step_grids_figure(walk, step)]
        shown += [output_figure(walk, step), relu_figure(walk), pooled_figure(walk)]
        assert sum_line(step) and len(shown) == 5
        timings.append(time.perf_counter() - start)
    print(f"step and figures: {min(timings) * 1000:.0f} ms at best")
    assert min(timings) < 1.0
