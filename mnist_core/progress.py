"""Training's typed progress events and how to listen to them: what the CLI, the charts and the
web job read, without importing TensorFlow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TrainingStarted:
    epochs: int
    steps_per_epoch: int
    train_size: int  # images per epoch, non-digits included
    validation_size: int
    non_digits: int = 0  # of the train_size, the non-digits mixed in


@dataclass(frozen=True)
class BatchEnded:
    """One optimizer step; `loss` and `accuracy` are this batch's own, not the epoch's mean."""

    epoch: int  # 1-based
    epochs: int
    step: int  # 1-based, within the epoch
    steps: int
    loss: float
    accuracy: float
    images_per_second: float
    elapsed: float  # seconds since training started
    eta: float  # seconds still to go, at the pace so far

    @property
    def fraction_done(self) -> float:
        return ((self.epoch - 1) * self.steps + self.step) / (self.epochs * self.steps)


@dataclass(frozen=True)
class EpochEnded:
    epoch: int  # 1-based
    epochs: int
    loss: float
    accuracy: float
    val_loss: float | None  # None when no validation set is held out
    val_accuracy: float | None
    elapsed: float
    eta: float


@dataclass(frozen=True)
class TrainingEnded:
    epochs_run: float  # whole epochs, plus the part of one a stop cut short
    elapsed: float
    stopped_by_request: bool  # the user asked to stop
    stopped_early: bool  # early stopping saw no more validation gain


TrainingProgress = TrainingStarted | BatchEnded | EpochEnded | TrainingEnded
ProgressListener = Callable[[TrainingProgress], None]


class StopSignal(Protocol):
    """A threading.Event, or a multiprocessing one when training runs in a child process."""

    def is_set(self) -> bool: ...


def epochs_text(epochs: float) -> str:
    """How many epochs a run did, in words: "2 epochs", "1 epoch", "0.41 of an epoch"."""
    if epochs < 1:
        return f"{epochs:.2f} of an epoch"
    if epochs == int(epochs):
        return f"{int(epochs)} epoch{'' if epochs == 1 else 's'}"
    return f"{epochs:.2f} epochs"


def duration_text(seconds: float) -> str:
    """A time to come, rounded as people say it: "about 45 seconds", "about 3 minutes"."""
    if seconds < 90:
        return f"about {max(5, round(seconds / 5) * 5)} seconds"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} minutes"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes:02d} min"


def clock(seconds: float) -> str:
    """Seconds as m:ss, how the CLI and the Train page show elapsed time and ETA."""
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"
