from __future__ import annotations

import numpy as np
import pytest
from keras import layers

from mnist_core.config import TrainingConfig
from mnist_core.errors import ConfigError
from mnist_core.models import ARCHITECTURES, build_model, parameter_count
from mnist_core.train import train


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_architecture_maps_images_to_ten_logits(name):
    model = build_model(name)
    logits = np.asarray(model(np.zeros((3, 28, 28, 1), np.float32), training=False))
    assert logits.shape == (3, 10)
    assert model.layers[-1].activation.__name__ == "linear"  # logits, not probabilities
    assert parameter_count(name) == model.count_params() > 0
    assert ARCHITECTURES[name].description


def test_perceptron_is_softmax_regression():
    assert parameter_count("perceptron") == 28 * 28 * 10 + 10


def test_cnn_classic_is_the_classic_tensorflow_cnn():
    model = build_model("cnn-classic")
    convs = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
    assert [(c.filters, c.kernel_size, c.padding) for c in convs] == [
        (32, (5, 5), "same"),
        (64, (5, 5), "same"),
    ]
    pools = [layer for layer in model.layers if isinstance(layer, layers.MaxPooling2D)]
    assert [p.pool_size for p in pools] == [(2, 2), (2, 2)]
    dense = [layer for layer in model.layers if isinstance(layer, layers.Dense)]
    assert [d.units for d in dense] == [1024, 10]
    assert model.count_params() == 3_274_634


def test_unknown_architecture():
    with pytest.raises(ConfigError, match="unknown architecture 'resnet'"):
        build_model("resnet")


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_architecture_trains_a_few_steps(name, small_mnist):
    config = TrainingConfig(
        architecture=name,
        epochs=2,
        train_size=512,
        validation_size=256,
        batch_size=64,
        learning_rate=3e-3,
        lr_schedule="constant",
        augment=False,
    )
    result = train(config, small_mnist)
    first, last = result.history[0], result.history[-1]
    assert result.epochs_run == 2
    assert np.isfinite(last.loss) and last.loss < first.loss
    assert last.val_accuracy is not None
    assert last.accuracy > 0.2  # chance is 0.1
