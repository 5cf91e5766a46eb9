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
    train_size: int
    validation_size: int


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
    epochs_run: int
    elapsed: float
    stopped_by_request: bool  # the user asked to stop
    stopped_early: bool  # early stopping saw no more validation gain


TrainingProgress = TrainingStarted | BatchEnded | EpochEnded | TrainingEnded
ProgressListener = Callable[[TrainingProgress], None]


class StopSignal(Protocol):
    """A threading.Event, or a multiprocessing one when training runs in a child process."""

    def is_set(self) -> bool: ...


def clock(seconds: float) -> str:
    """Seconds as m:ss, how the CLI and the Train page show elapsed time and ETA."""
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"
