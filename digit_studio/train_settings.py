"""The Train page's settings: the ranges and steps its widgets offer, and the link that carries
an experiment (a TrainingConfig as URL query parameters and back), all read from the config's
fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mnist_core.config import (
    PRESETS,
    Bounds,
    TrainingConfig,
    check_fits_mnist,
    parse_setting,
    preset_for,
    setting_text,
    settings_of,
)
from mnist_core.errors import ConfigError

# Short names for the query, kept from the first links people shared; any other setting is
# named as its field.
SHORT_NAMES = {
    "architecture": "arch",
    "batch_size": "batch",
    "learning_rate": "lr",
    "lr_schedule": "schedule",
    "train_size": "train",
    "validation_size": "val",
    "early_stopping_patience": "patience",
}


def offered_range(name: str, config: type = TrainingConfig) -> tuple[Any, Any]:
    """The lowest and highest value the page's widget for `config`'s setting `name` offers."""
    offered = settings_of(config)[name].offered
    if not isinstance(offered, Bounds):
        raise TypeError(f"the Train page offers steps, not a range, for {name}")
    return offered.low, offered.high


def offered_steps(name: str) -> tuple[Any, ...]:
    """The values the Train page's slider for setting `name` steps through."""
    offered = settings_of(TrainingConfig)[name].offered
    if not isinstance(offered, tuple):
        raise TypeError(f"the Train page offers a range, not steps, for {name}")
    return offered


def query_name(setting: str) -> str:
    """The query parameter that carries the TrainingConfig field `setting`."""
    return SHORT_NAMES.get(setting, setting)


def config_to_query(config: TrainingConfig) -> dict[str, str]:
    """The URL query parameters that reproduce `config`."""
    return {query_name(name): setting_text(value) for name, value in config.as_dict().items()}


def config_from_query(params: Mapping[str, str]) -> TrainingConfig:
    """A config from URL query parameters; missing ones keep their defaults, bad ones raise."""
    values: dict[str, Any] = {}
    for name in settings_of(TrainingConfig):
        key = query_name(name)
        if key not in params:
            continue
        try:
            values[name] = parse_setting(TrainingConfig, name, params[key])
        except ValueError as error:
            raise ConfigError(f"the link's {key}={params[key]!r} is not a valid value") from error
    config = TrainingConfig(**values)
    if "non_digits" not in values:  # a link from before non-digits: its preset's share
        config = _with_preset_share(config)
    check_offered(config)
    return config


def _with_preset_share(config: TrainingConfig) -> TrainingConfig:
    for preset in PRESETS.values():
        candidate = replace(config, non_digits=preset.config().non_digits)
        if preset_for(candidate) is preset:
            return candidate
    return config


def check_offered(config: TrainingConfig) -> None:
    """ConfigError unless the Train page's widgets can show every setting of `config`."""
    for name, spec in settings_of(TrainingConfig).items():
        value = getattr(config, name)
        if spec.offered is None or value is None or value in spec.offered:
            continue
        if isinstance(spec.offered, Bounds):
            raise ConfigError(
                f"the link's {spec.label} {value} is not between {spec.offered.low} and "
                f"{spec.offered.high}"
            )
        raise ConfigError(f"the link's {spec.label} {value:g} is not one the page offers")
    check_fits_mnist(config)
