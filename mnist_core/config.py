"""Training defaults in one place, each with its reason; the CLI and Train page override them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from mnist_core.errors import ConfigError
from mnist_core.models import ARCHITECTURES

LR_SCHEDULES = ("cosine", "constant")


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that decides a training run; a run is reproducible from it."""

    architecture: str = "cnn"  # see mnist_core.models.ARCHITECTURES
    epochs: int = 12  # the cosine schedule decays to zero over exactly these
    batch_size: int = 128  # the classic recipe's batch
    learning_rate: float = 1e-3  # Adam's usual start, the classic recipe's
    lr_schedule: str = "cosine"  # "constant" = the classic recipe; cosine reaches higher accuracy
    augment: bool = True  # shifts, tilts, sizes, pen widths: what drawn digits add to MNIST
    train_size: int | None = None  # None = every training image not held out for validation
    validation_size: int = 10_000  # the last 10,000 training images, MNIST's usual split
    early_stopping_patience: int | None = 3  # epochs without val-accuracy gain; None = never
    seed: int = 0  # weights, shuffling and augmentation all follow it

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            known = ", ".join(ARCHITECTURES)
            raise ConfigError(f"unknown architecture {self.architecture!r}; choose one of {known}")
        if not 1 <= self.epochs <= 1000:
            raise ConfigError("epochs must be 1 to 1000")
        if not 1 <= self.batch_size <= 60_000:
            raise ConfigError("batch size must be 1 to 60000")
        if not 0 < self.learning_rate <= 1:
            raise ConfigError("learning rate must be above 0 and at most 1")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"learning-rate schedule must be one of {', '.join(LR_SCHEDULES)}")
        if self.train_size is not None and self.train_size < 1:
            raise ConfigError("training-set size must be at least 1")
        if not 0 <= self.validation_size < 60_000:
            raise ConfigError("validation size must be 0 to 59999")
        if self.early_stopping_patience is not None and self.early_stopping_patience < 1:
            raise ConfigError("early-stopping patience must be at least 1 epoch")
        if self.seed < 0:
            raise ConfigError("seed must be 0 or more")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Preset:
    """A training-set size and epoch count that fits a known amount of time."""

    label: str
    train_size: int | None
    validation_size: int
    epochs: int


PRESETS: dict[str, Preset] = {
    "quick": Preset("Quick demo, about 10 seconds", 2_000, 1_000, 3),
    "short": Preset("Short, about a minute", 10_000, 2_000, 5),
    "full": Preset("Full 60,000 (50,000 train + 10,000 validation)", None, 10_000, 12),
}

# URL query parameter → TrainingConfig field, so a link can carry an experiment.
QUERY_FIELDS = {
    "arch": "architecture",
    "epochs": "epochs",
    "batch": "batch_size",
    "lr": "learning_rate",
    "schedule": "lr_schedule",
    "augment": "augment",
    "train": "train_size",
    "val": "validation_size",
    "patience": "early_stopping_patience",
    "seed": "seed",
}
_NONE = "none"


def config_to_query(config: TrainingConfig) -> dict[str, str]:
    """The URL query parameters that reproduce `config`."""
    values = config.as_dict()
    return {
        key: _NONE if values[name] is None else str(values[name]).lower()
        for key, name in QUERY_FIELDS.items()
    }


def config_from_query(params: Mapping[str, str]) -> TrainingConfig:
    """A config from URL query parameters; missing ones keep their defaults, bad ones raise."""
    defaults = TrainingConfig().as_dict()
    values: dict[str, object] = {}
    for key, name in QUERY_FIELDS.items():
        if key not in params:
            continue
        text = str(params[key]).strip().lower()
        try:
            if text == _NONE and name in ("train_size", "early_stopping_patience"):
                values[name] = None
            elif name == "augment":
                if text not in ("true", "false"):
                    raise ValueError(text)
                values[name] = text == "true"
            elif name in ("architecture", "lr_schedule"):
                values[name] = text
            elif name == "learning_rate":
                values[name] = float(text)
            else:
                values[name] = int(text)
        except ValueError as error:
            raise ConfigError(f"the link's {key}={params[key]!r} is not a valid value") from error
    return TrainingConfig(**{**defaults, **values})
