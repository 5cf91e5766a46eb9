"""The Train page's settings: what its widgets offer and the links that carry them."""

from __future__ import annotations

import pytest

from digit_studio.train_settings import (
    config_from_query,
    config_to_query,
    offered_range,
    offered_steps,
    query_name,
)
from mnist_core.config import PRESETS, Bounds, TrainingConfig, preset_for, settings_of
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


def test_a_link_to_all_of_mnist_is_accepted():
    config = config_from_query({"train": "50000", "val": "10000"})
    assert config.train_size + config.validation_size == 60_000


def test_every_setting_travels_in_a_link_under_its_old_name():
    query = config_to_query(TrainingConfig())
    assert set(query) == {query_name(name) for name in settings_of(TrainingConfig)}
    assert {"arch", "epochs", "batch", "lr", "schedule", "augment", "train", "val"} < set(query)
    assert {"patience", "seed"} < set(query)


def test_the_page_offers_ranges_and_steps_inside_the_configs_bounds():
    assert offered_range("epochs") == (1, 30)
    assert offered_range("train_size") == (100, 59_000)
    assert offered_steps("batch_size") == (16, 32, 64, 128, 256, 512)
    for name, spec in settings_of(TrainingConfig).items():
        offered = spec.offered or ()
        ends = (offered.low, offered.high) if isinstance(offered, Bounds) else offered
        for value in ends:
            TrainingConfig(**{name: value})  # a value the page offers is a valid one


def test_a_range_is_not_steps():
    with pytest.raises(TypeError):
        offered_steps("epochs")
    with pytest.raises(TypeError):
        offered_range("batch_size")


def test_a_link_from_before_non_digits_keeps_its_preset():
    """Links shared before issue 14 have no non_digits: a demo link still opens the demo."""
    for preset in PRESETS.values():
        query = config_to_query(preset.config(seed=5))
        del query["non_digits"]
        config = config_from_query(query)
        assert preset_for(config) is preset and config.seed == 5
    custom = config_to_query(TrainingConfig(epochs=3, architecture="mlp"))
    del custom["non_digits"]
    assert config_from_query(custom).non_digits == TrainingConfig().non_digits
