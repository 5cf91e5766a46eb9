from __future__ import annotations

import numpy as np
import pytest

from mnist_core.config import TrainingConfig
from mnist_core.explain import FirstLayerAtEpoch, FirstLayerProgress, Inspector, first_layer
from mnist_core.figures import feature_grid, saliency_overlay, unit_strip, weight_grid
from mnist_core.models import ARCHITECTURES, build_model
from mnist_core.train import train


@pytest.fixture(scope="module")
def trained_cnn(small_mnist):
    config = TrainingConfig(
        architecture="cnn", epochs=2, train_size=2500, validation_size=500, augment=False
    )
    return train(config, small_mnist).model


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_views_have_the_right_shapes_and_ranges_for_every_architecture(name, mnist):
    model = build_model(name)
    inspector = Inspector(model)
    image = mnist.x_test[0] / 255.0
    for target in (0, 9):
        saliency = inspector.saliency(image, target)
        assert saliency.shape == (28, 28) and saliency.dtype == np.float32
        assert saliency.min() >= 0 and saliency.max() <= 1
    views = inspector.layer_views(image)
    if name == "perceptron":
        assert views == []  # no hidden layer: the view says so on the page
    for view in views:
        assert view.values.min() >= 0 and view.values.max() <= 1
        assert view.values.ndim == (3 if view.is_spatial else 1)
    weights = first_layer(model)
    assert weights.images.min() >= -1 and weights.images.max() <= 1
    if name.startswith("cnn"):
        assert weights.kind == "filters" and [v.is_spatial for v in views].count(True) >= 2
    else:
        assert weights.kind == "weights" and weights.images.shape[1:] == (28, 28)
    if name == "perceptron":
        assert len(weights.images) == 10  # one weight image per digit


def test_cnn_feature_maps_match_the_layers(trained_cnn, mnist):
    views = Inspector(trained_cnn).layer_views(mnist.x_test[0] / 255.0)
    assert [v.values.shape for v in views] == [
        (28, 28, 32),
        (14, 14, 64),
        (14, 14, 64),
        (7, 7, 128),
    ]
    assert all(v.values.max() == pytest.approx(1.0) for v in views)


def test_saliency_points_at_the_ink_that_decided(trained_cnn, mnist):
    inspector = Inspector(trained_cnn)
    rng = np.random.default_rng(0)
    drops_salient, drops_random = [], []
    for image, label in zip(mnist.x_test[:30] / 255.0, mnist.y_test[:30], strict=True):
        saliency = inspector.saliency(image, int(label))
        ink = image > 0.5
        assert saliency[ink].mean() >= 5 * saliency[~ink].mean()
        # Removing the most salient fifth of the ink hurts the answer more than a random fifth.
        count = ink.sum() // 5
        ink_pixels = np.flatnonzero(ink)
        salient = ink_pixels[np.argsort(-saliency.ravel()[ink_pixels])[:count]]
        random = rng.choice(ink_pixels, count, replace=False)

        def score(erased, image=image, label=label):
            copy = image.ravel().copy()
            copy[erased] = 0
            logits = trained_cnn(copy.reshape(1, 28, 28, 1), training=False)
            return float(np.asarray(logits)[0, label])

        full = score([])
        drops_salient.append(full - score(salient))
        drops_random.append(full - score(random))
    assert np.mean(drops_salient) > 1.5 * np.mean(drops_random)


def test_first_layer_progress_reports_the_start_and_each_epoch(small_mnist):
    events: list[FirstLayerAtEpoch] = []
    config = TrainingConfig(architecture="perceptron", epochs=2, train_size=500, validation_size=0)
    train(config, small_mnist, callbacks=[FirstLayerProgress(events.append)])
    assert [e.epoch for e in events] == [0, 1, 2]
    assert not np.array_equal(events[0].view.images, events[-1].view.images)


def test_display_images(mnist):
    image = mnist.x_test[0] / 255.0
    overlay = saliency_overlay(image, np.where(image > 0.5, 1.0, 0.0), size=196)
    assert overlay.shape == (196, 196, 3) and overlay.dtype == np.uint8
    assert overlay[..., 0].max() > overlay[..., 2].max()  # salient ink is red
    grid = feature_grid(np.random.default_rng(0).random((7, 7, 20)), columns=8, tile=42)
    assert grid.shape == (3 * 44, 8 * 44)
    weights = weight_grid(np.stack([np.ones((5, 5)), -np.ones((5, 5))]), columns=2, tile=50)
    assert tuple(weights[0, 0]) == (255, 0, 0) and tuple(weights[0, 60]) == (0, 0, 255)
    assert unit_strip(np.linspace(0, 1, 64)).data[0].z[0][-1] == 1


def test_layers_are_described_as_what_they_are_not_by_keras_names(mnist):
    cnn = build_model("cnn-classic")
    views = Inspector(cnn).layer_views(mnist.x_test[0] / 255)
    assert [view.description for view in views] == [
        "5×5 filters, 32 of them",
        "5×5 filters, 64 of them",
        "a layer of 1024 neurons, each looking at every input",
    ]
    assert first_layer(cnn).description == "5×5 filters, 32 of them"
    assert first_layer(build_model("perceptron")).description.startswith("a layer of 10 neurons")
