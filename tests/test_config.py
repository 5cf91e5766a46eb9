from __future__ import annotations

import pytest

from mnist_core.config import PRESETS, TrainingConfig, config_from_query, config_to_query
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
