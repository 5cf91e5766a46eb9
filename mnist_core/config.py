"""Training defaults in one place, each with its reason; the CLI and Train page override them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from mnist_core.errors import ConfigError
from mnist_core.models import ARCHITECTURES

LR_SCHEDULES = ("cosine", "constant")
MNIST_TRAINING_IMAGES = 60_000  # training and validation are both taken from these
SEED_LIMIT = 2**32  # NumPy's and Keras' global seeds must be below this


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
        _check_seed(self.seed)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class FinetuneConfig:
    """How to fine-tune; each default with its reason."""

    epochs: int = 5  # a few passes: the model already reads digits
    learning_rate: float = 3e-4  # a third of training's: nudge the weights, don't retrain them
    batch_size: int = 64
    mnist_per_sample: int = 4  # MNIST images mixed in per personal one, so MNIST isn't forgotten
    min_mnist: int = 2_000  # however few the personal samples, at least this much MNIST
    holdout: float = 0.25  # share of the personal samples kept aside to measure before/after
    augment: bool = True  # shifted, tilted, thicker and thinner copies: a few samples go further
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.epochs <= 100:
            raise ConfigError("fine-tuning epochs must be 1 to 100")
        if not 0 < self.learning_rate <= 1:
            raise ConfigError("learning rate must be above 0 and at most 1")
        if not 1 <= self.batch_size <= MNIST_TRAINING_IMAGES:
            raise ConfigError(f"batch size must be 1 to {MNIST_TRAINING_IMAGES}")
        if not 0 < self.holdout < 1:
            raise ConfigError("the held-out share must be between 0 and 1")
        if self.mnist_per_sample < 0 or self.min_mnist < 0:
            raise ConfigError("the MNIST share can't be negative")
        _check_seed(self.seed)


def _check_seed(seed: int) -> None:
    if not 0 <= seed < SEED_LIMIT:
        raise ConfigError(f"seed must be 0 to {SEED_LIMIT - 1}")


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

# What the Train page offers, and so all a link to it may ask for.
EPOCHS_RANGE = (1, 30)
TRAIN_SIZE_RANGE = (100, 59_000)
VALIDATION_SIZE_RANGE = (0, 20_000)
PATIENCE_RANGE = (1, 10)
SEED_RANGE = (0, 2**31 - 1)
BATCH_SIZES = (16, 32, 64, 128, 256, 512)
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)

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
    config = TrainingConfig(**{**defaults, **values})
    _check_page_offers(config)
    return config


def _check_page_offers(config: TrainingConfig) -> None:
    """ConfigError unless the Train page's widgets can show every setting of `config`."""
    ranges = {
        "epochs": (config.epochs, EPOCHS_RANGE),
        "training size": (config.train_size, TRAIN_SIZE_RANGE),
        "validation size": (config.validation_size, VALIDATION_SIZE_RANGE),
        "patience": (config.early_stopping_patience, PATIENCE_RANGE),
        "seed": (config.seed, SEED_RANGE),
    }
    for what, (value, (low, high)) in ranges.items():
        if value is not None and not low <= value <= high:
            raise ConfigError(f"the link's {what} {value} is not between {low} and {high}")
    check_fits_mnist(config)
    if config.batch_size not in BATCH_SIZES:
        raise ConfigError(f"the link's batch size {config.batch_size} is not one the page offers")
    if config.learning_rate not in LEARNING_RATES:
        raise ConfigError(
            f"the link's learning rate {config.learning_rate:g} is not one the page offers"
        )


def check_fits_mnist(config: TrainingConfig) -> None:
    """ConfigError unless the training and validation images fit in MNIST's training set."""
    if config.train_size is not None and (
        config.train_size + config.validation_size > MNIST_TRAINING_IMAGES
    ):
        raise ConfigError(
            f"{config.train_size} training and {config.validation_size} validation images "
            f"add up to more than MNIST's {MNIST_TRAINING_IMAGES:,}"
        )
