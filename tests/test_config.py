from __future__ import annotations

import pytest

from mnist_core.config import (
    PRESETS,
    Bounds,
    FinetuneConfig,
    TrainingConfig,
    parse_setting,
    preset_for,
    race,
    settings_of,
)
from mnist_core.errors import ConfigError


def test_presets_are_valid_configs():
    assert PRESETS["full"].config() == TrainingConfig()
    demo = PRESETS["demo"].config()
    assert demo.architecture == "cnn-fast" and demo.lr_schedule == "one-cycle"
    assert not demo.augment and demo.epochs == 2
    assert PRESETS["demo"].config(epochs=3).epochs == 3


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


def test_preset_for_finds_the_recipe_a_config_follows():
    assert preset_for(TrainingConfig()) is PRESETS["full"]
    demo = PRESETS["demo"]
    assert preset_for(demo.config(epochs=5, seed=3)) is demo  # whatever its epochs and seed
    assert preset_for(demo.config(batch_size=128)) is None
    assert preset_for(TrainingConfig(train_size=1234, validation_size=0)) is None


@pytest.mark.parametrize(
    ("bounds", "inside", "outside", "text"),
    [
        (Bounds(1, 1000), [1, 1000], [0, 1001], "1 to 1000"),
        (Bounds(1), [1, 10**9], [0], "at least 1"),
        (Bounds(0, 1, above=True), [1e-9, 1], [0, 1.5], "above 0 and at most 1"),
        (Bounds(0, 1, above=True, below=True), [0.5], [0, 1], "between 0 and 1"),
    ],
)
def test_bounds_hold_their_values_and_say_which(bounds, inside, outside, text):
    assert all(value in bounds for value in inside)
    assert not any(value in bounds for value in outside)
    assert str(bounds) == text


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"epochs": 0}, "epochs must be 1 to 1000"),
        ({"learning_rate": 0}, "learning rate must be above 0 and at most 1"),
        ({"architecture": "resnet"}, "unknown architecture 'resnet'; choose one of"),
        ({"lr_schedule": "step"}, "unknown learning-rate schedule 'step'"),
        ({"early_stopping_patience": 0}, "early-stopping patience must be at least 1"),
        ({"epochs": None}, "epochs must be set"),
    ],
)
def test_a_bad_setting_is_named_with_its_limits(settings, message):
    with pytest.raises(ConfigError, match=message):
        TrainingConfig(**settings)


def test_every_setting_says_what_it_is_and_has_a_label():
    for config_type in (TrainingConfig, FinetuneConfig):
        for name, spec in settings_of(config_type).items():
            assert spec.help and spec.label, name
            default = getattr(config_type(), name)
            if spec.offered is not None and default is not None:
                assert default in spec.offered, name  # the page can show the default


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("epochs", " 7 ", 7),
        ("learning_rate", "3E-3", 3e-3),
        ("architecture", "MLP", "mlp"),
        ("augment", "false", False),
        ("train_size", "none", None),
        ("early_stopping_patience", "none", None),
        ("early_stopping_patience", "0", None),  # as the CLI's --patience 0 always did
    ],
)
def test_a_setting_is_read_from_text(name, text, value):
    assert parse_setting(TrainingConfig, name, text) == value


@pytest.mark.parametrize(
    ("name", "text"), [("epochs", "many"), ("augment", "maybe"), ("validation_size", "none")]
)
def test_text_that_is_no_value_of_the_setting_is_refused(name, text):
    with pytest.raises(ValueError, match=r"invalid literal|neither true nor false"):
        parse_setting(TrainingConfig, name, text)


def test_a_race_is_the_same_settings_for_each_network():
    config = TrainingConfig(epochs=3, train_size=1000, batch_size=64)
    contestants = race(config)
    assert [c.architecture for c in contestants] == ["perceptron", "mlp", "cnn-fast"]
    assert {(c.epochs, c.train_size, c.batch_size) for c in contestants} == {(3, 1000, 64)}
