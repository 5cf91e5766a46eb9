"""Every training setting in one place: each field's default with its reason, its limits and what
the Train page offers. The checks, the CLI's options and a link's parameters are all derived from
these fields, so a new setting is one new field."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from mnist_core.errors import ConfigError
from mnist_core.models import ARCHITECTURES

if TYPE_CHECKING:
    import keras

    from mnist_core.data import Mnist
    from mnist_core.progress import ProgressListener, StopSignal
    from mnist_core.run import Trained

LR_SCHEDULES = ("cosine", "constant", "one-cycle")
MNIST_TRAINING_IMAGES = 60_000  # training and validation are both taken from these
SEED_LIMIT = 2**32  # NumPy's and Keras' global seeds must be below this
MIN_CALIBRATION_DIGITS = 1_000  # fewer put the not-a-digit threshold on a handful of digits
NONE = "none"  # how a setting that can be off or unlimited is switched so, as text


@dataclass(frozen=True)
class Bounds:
    """The numbers from `low` to `high`; `above` and `below` leave out the ends themselves."""

    low: float
    high: float | None = None  # None: no upper limit
    above: bool = False
    below: bool = False

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int | float):
            return False
        over_low = value > self.low if self.above else value >= self.low
        under_high = self.high is None or (value < self.high if self.below else value <= self.high)
        return over_low and under_high

    def __str__(self) -> str:
        if self.high is None:
            return f"{'above' if self.above else 'at least'} {self.low}"
        if self.above and self.below:
            return f"between {self.low} and {self.high}"
        if self.above or self.below:
            return (
                f"{'above' if self.above else 'at least'} {self.low} and "
                f"{'below' if self.below else 'at most'} {self.high}"
            )
        return f"{self.low} to {self.high}"


@dataclass(frozen=True)
class Setting:
    """What a config field means and which values it takes, kept in the field's metadata."""

    help: str  # one line for the CLI's --help
    label: str  # how messages name it
    bounds: Bounds | None = None
    choices: tuple[Any, ...] | None = None
    # What the Train page's widget offers, and so all a link may ask for: a range or the steps
    # of a slider. None: every valid value.
    offered: Bounds | tuple[Any, ...] | None = None
    flag: str | None = None  # the CLI option's name, where it is not the field's
    also_none: str | None = None  # another text that means None, as the CLI has always taken

    def check(self, value: object) -> None:
        """ConfigError unless `value` is one this setting takes (None is checked by the caller)."""
        if self.choices is not None and value not in self.choices:
            known = ", ".join(map(str, self.choices))
            raise ConfigError(f"unknown {self.label} {value!r}; choose one of {known}")
        if self.bounds is not None and value not in self.bounds:
            raise ConfigError(f"{self.label} must be {self.bounds}")


def setting(default: Any, help: str, label: str, **details: Any) -> Any:
    """A config field with its default and its Setting (see Setting for `details`)."""
    return field(default=default, metadata={"setting": Setting(help, label, **details)})


def _seed() -> Any:
    return setting(
        0, "weights, shuffling and augmentation all follow it", "seed",
        bounds=Bounds(0, SEED_LIMIT - 1), offered=Bounds(0, 2**31 - 1),
    )  # fmt: skip


def _learning_rate(default: float, reason: str, **details: Any) -> Any:
    return setting(default, reason, "learning rate", bounds=Bounds(0, 1, above=True), **details)


def _batch_size(default: int, reason: str, **details: Any) -> Any:
    return setting(
        default, reason, "batch size", bounds=Bounds(1, MNIST_TRAINING_IMAGES), **details
    )


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that decides a training run; a run is reproducible from it."""

    architecture: str = setting(
        "cnn", "the network, one of `mnist-core models`' architectures", "architecture",
        choices=tuple(ARCHITECTURES),
    )  # fmt: skip
    epochs: int = setting(
        12, "passes over the training images; the cosine schedule decays to zero over these",
        "epochs", bounds=Bounds(1, 1000), offered=Bounds(1, 30),
    )  # fmt: skip
    batch_size: int = _batch_size(
        128, "images per optimizer step; 128 is the classic recipe's",
        offered=(16, 32, 64, 128, 256, 512),
    )  # fmt: skip
    learning_rate: float = _learning_rate(
        1e-3, "Adam's step size at the start; 1e-3 is its usual one, the classic recipe's",
        offered=(1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2),
    )  # fmt: skip
    lr_schedule: str = setting(
        "cosine", "constant is the classic recipe; cosine reaches higher accuracy; one-cycle "
        "(up for the first 30%, then down, Adam's momentum lowered) reaches it in fewest "
        "epochs", "learning-rate schedule", choices=LR_SCHEDULES,
    )  # fmt: skip
    augment: bool = setting(
        True, "drawn-digit augmentation: shifts, tilts, sizes, pen widths, what drawn digits "
        "add to MNIST", "augmentation",
    )  # fmt: skip
    train_size: int | None = setting(
        None, "train on the first N images only; none: every one not held out for validation",
        "training-set size", bounds=Bounds(1), offered=Bounds(100, 59_000),
    )  # fmt: skip
    validation_size: int = setting(
        10_000, "training images held out to validate on; the last 10,000 are MNIST's usual "
        "split", "validation size", bounds=Bounds(0, MNIST_TRAINING_IMAGES - 1),
        offered=Bounds(0, 20_000),
    )  # fmt: skip
    non_digits: float = setting(
        0.5, "non-digit drawings (letters, shapes, scribbles, doodles, rubbish) mixed in, as a "
        "share of the training digits, each taught as no digit in particular: what lets the "
        "model say \"that is not a digit\"; 0.5 rejects more unseen kinds than 0.2 "
        "(benchmarks/not_a_digit.py); 0 turns it off", "non-digit share", bounds=Bounds(0, 1),
        offered=(0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0),
    )  # fmt: skip
    early_stopping_patience: int | None = setting(
        3, "early-stopping patience in epochs without a validation-accuracy gain; 0 or none "
        "turns it off", "early-stopping patience", bounds=Bounds(1), offered=Bounds(1, 10),
        flag="patience", also_none="0",
    )  # fmt: skip
    seed: int = _seed()

    def __post_init__(self) -> None:
        check_settings(self)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @property
    def name_stem(self) -> str:
        return self.architecture

    @property
    def rejects_non_digits(self) -> bool:
        """Whether the model will say "not a digit": it is taught non-digits, and enough
        validation digits are held out to set its threshold on."""
        return self.non_digits > 0 and self.validation_size >= MIN_CALIBRATION_DIGITS

    def run(
        self, mnist: Mnist, on_progress: ProgressListener | None, stop: StopSignal | None,
        callbacks: Sequence[keras.callbacks.Callback],
    ) -> Trained:  # fmt: skip
        """Train a new model with these settings and test it."""
        from mnist_core.train import train_and_test  # Keras loads when training starts

        return train_and_test(self, mnist, on_progress, stop, callbacks)


@dataclass(frozen=True)
class FinetuneConfig:
    """How to fine-tune; each default with its reason."""

    epochs: int = setting(
        5, "a few passes: the model already reads digits", "fine-tuning epochs",
        bounds=Bounds(1, 100), offered=Bounds(1, 30),
    )  # fmt: skip
    learning_rate: float = _learning_rate(
        3e-4, "a third of training's: nudge the weights, don't retrain them"
    )
    batch_size: int = _batch_size(64, "images per optimizer step")
    mnist_per_sample: int = setting(
        4, "MNIST images mixed in per personal one, so MNIST isn't forgotten",
        "MNIST images per sample", bounds=Bounds(0),
    )  # fmt: skip
    min_mnist: int = setting(
        2_000, "however few the personal samples, at least this many MNIST images",
        "MNIST minimum", bounds=Bounds(0),
    )  # fmt: skip
    holdout: float = setting(
        0.25, "share of the personal samples kept aside to measure before and after",
        "held-out share", bounds=Bounds(0, 1, above=True, below=True),
    )  # fmt: skip
    augment: bool = setting(
        True, "shifted, tilted, thicker and thinner copies: a few samples go further",
        "augmentation",
    )  # fmt: skip
    seed: int = _seed()

    def __post_init__(self) -> None:
        check_settings(self)


SettingsConfig = TrainingConfig | FinetuneConfig


def settings_of(config_type: type) -> dict[str, Setting]:
    """Each field of `config_type` by name, with its Setting, in the order they are declared."""
    return {item.name: item.metadata["setting"] for item in fields(config_type)}


def value_types(config_type: type) -> dict[str, tuple[type, bool]]:
    """Each field's type of value, and whether it may be None."""
    found = {}
    for name, hint in typing.get_type_hints(config_type).items():
        kinds = [kind for kind in typing.get_args(hint) if kind is not type(None)] or [hint]
        found[name] = (kinds[0], type(None) in typing.get_args(hint))
    return found


def check_settings(config: SettingsConfig) -> None:
    """ConfigError naming the first setting of `config` out of its bounds or choices."""
    kinds = value_types(type(config))
    for name, spec in settings_of(type(config)).items():
        value = getattr(config, name)
        if value is None:
            if not kinds[name][1]:
                raise ConfigError(f"{spec.label} must be set")
        else:
            spec.check(value)


def parse_setting(config_type: type[SettingsConfig], name: str, text: str) -> object:
    """A setting's value from text, a CLI option's or a link's; ValueError if it is none.

    Its bounds are checked when the config is made, so that the message names them.
    """
    kind, optional = value_types(config_type)[name]
    text = str(text).strip().lower()
    if optional and text in (NONE, settings_of(config_type)[name].also_none):
        return None
    if kind is bool:
        if text not in ("true", "false"):
            raise ValueError(f"{text!r} is neither true nor false")
        return text == "true"
    return kind(text)


def setting_text(value: object) -> str:
    """How parse_setting's text writes `value`."""
    return NONE if value is None else str(value).lower()


@dataclass(frozen=True)
class Preset:
    """A named recipe: the settings it fixes; the rest keep TrainingConfig's defaults."""

    name: str
    label: str
    settings: dict[str, Any]

    def config(self, **changes: Any) -> TrainingConfig:
        return TrainingConfig(**{**self.settings, **changes})


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        # The fast-MNIST records' recipe (tuomaso/train_mnist_fast): a small network, big
        # batches, a one-cycle schedule, no augmentation; 99% of the test digits in two epochs.
        # Fewer non-digits than the default: each one is a step of a lesson's minute.
        Preset(
            "demo",
            "Demo: a small fast network to 99%",
            {
                "architecture": "cnn-fast",
                "epochs": 2,
                "batch_size": 256,
                "learning_rate": 1e-2,
                "lr_schedule": "one-cycle",
                "augment": False,
                "non_digits": 0.2,
                "early_stopping_patience": None,
            },
        ),
        Preset("full", "Full: our best network, 50,000 images, augmented", {}),
    )
}


RACE_ARCHITECTURES = ("perceptron", "mlp", "cnn-fast")  # why convolutions exist, in one chart


def race(config: TrainingConfig) -> list[TrainingConfig]:
    """`config` for each network of the race: the same images, epochs and recipe."""
    return [replace(config, architecture=name) for name in RACE_ARCHITECTURES]


def preset_for(config: TrainingConfig) -> Preset | None:
    """The preset whose recipe `config` follows, if any; epochs and seed may differ."""
    free = {"epochs", "seed"}
    for preset in PRESETS.values():
        recipe = preset.config()
        if all(
            getattr(config, name) == getattr(recipe, name)
            for name in settings_of(TrainingConfig)
            if name not in free
        ):
            return preset
    return None


def check_fits_mnist(config: TrainingConfig) -> None:
    """ConfigError unless the training and validation images fit in MNIST's training set."""
    if config.train_size is not None and (
        config.train_size + config.validation_size > MNIST_TRAINING_IMAGES
    ):
        raise ConfigError(
            f"{config.train_size} training and {config.validation_size} validation images "
            f"add up to more than MNIST's {MNIST_TRAINING_IMAGES:,}"
        )
