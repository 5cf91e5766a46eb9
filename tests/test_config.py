from __future__ import annotations

import pytest

from mnist_core.config import (
    PRESETS,
    FinetuneConfig,
    TrainingConfig,
    config_from_query,
    config_to_query,
)
from mnist_core.errors import ConfigError


def test_a_link_carries_the_exact_experiment():
    config = TrainingConfig(
        architecture="mlp",
        epochs=4,
        batch_size=64,
        learning_rate=3e-3,
        lr_schedule="constant",
        augment=False,
        train_size=2000,
        validation_size=1000,
        early_stopping_patience=None,
        seed=42,
    )
    query = config_to_query(config)
    assert query["arch"] == "mlp" and query["train"] == "2000" and query["patience"] == "none"
    assert config_from_query(query) == config
    assert config_from_query(config_to_query(TrainingConfig())) == TrainingConfig()


def test_missing_parameters_keep_their_defaults():
    assert config_from_query({}) == TrainingConfig()
    assert config_from_query({"epochs": "3"}) == TrainingConfig(epochs=3)


@pytest.mark.parametrize(
    "query",
    [
        {"epochs": "many"},
        {"augment": "maybe"},
        {"arch": "resnet"},
        {"lr": "-1"},
        {"train": "0"},
        # valid configs, but more than the Train page's widgets offer: refused, not crashed on
        {"train": "60000"},
        {"epochs": "100"},
        {"val": "30000"},
        {"batch": "100"},
        {"lr": "0.005"},
        {"patience": "50"},
        # each in range, but together more than MNIST's 60,000 training images
        {"train": "59000", "val": "20000"},
        {"train": "50001"},
    ],
)
def test_bad_links_raise_config_errors(query):
    with pytest.raises(ConfigError):
        config_from_query(query)


def test_presets_are_valid_configs():
    for preset in PRESETS.values():
        TrainingConfig(
            train_size=preset.train_size,
            validation_size=preset.validation_size,
            epochs=preset.epochs,
        )
    assert PRESETS["full"].train_size is None and PRESETS["full"].validation_size == 10_000


@pytest.mark.parametrize("seed", [-1, 2**32, 2**64])
def test_seeds_numpy_cannot_take_are_refused_before_training(seed):
    with pytest.raises(ConfigError, match="seed"):
        TrainingConfig(seed=seed)
    with pytest.raises(ConfigError, match="seed"):
        FinetuneConfig(seed=seed)


def test_the_largest_seed_is_accepted():
    assert TrainingConfig(seed=2**32 - 1).seed == FinetuneConfig(seed=2**32 - 1).seed


@pytest.mark.parametrize(
    "settings", [{"learning_rate": 0}, {"learning_rate": 2}, {"batch_size": 0}]
)
def test_fine_tuning_settings_are_checked_before_training(settings):
    with pytest.raises(ConfigError):
        FinetuneConfig(**settings)


def test_a_link_to_all_of_mnist_is_accepted():
    config = config_from_query({"train": "50000", "val": "10000"})
    assert config.train_size + config.validation_size == 60_000
