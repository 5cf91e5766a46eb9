"""One training per server at a time: on two cores a second one would halve both and starve
everyone's predictions. The job belongs to the owner that started it; others are told the
server is busy."""

from __future__ import annotations

import threading
from collections.abc import Callable

from digit_studio.training_jobs import ABANDON_SECONDS, TrainingJob, always_present
from mnist_core.data import Mnist
from mnist_core.errors import MnistCoreError
from mnist_core.run import TrainingTask


class ServerBusyError(MnistCoreError):
    """Another user's training is running on this server."""


_slot_lock = threading.Lock()
_running: TrainingJob | None = None


def start_training(
    task: TrainingTask,
    owner: str,
    mnist: Mnist | None = None,
    owner_present: Callable[[], bool] = always_present,
    abandon_after: float = ABANDON_SECONDS,
) -> TrainingJob:
    """Start a training or fine-tuning job for `owner`; ServerBusyError while any other job is
    training."""
    global _running
    with _slot_lock:
        if _running is not None:
            who = "you" if _running.owner == owner else "another user"
            raise ServerBusyError(
                f"the server is busy training a model for {who}: one training runs at a time. "
                "Try again when it finishes."
            )
        job = TrainingJob(task, owner, mnist, owner_present, abandon_after, on_end=_release)
        _running = job
    try:
        job.start()
    except (OSError, RuntimeError) as error:  # no process or thread to be had: free the slot
        _release(job)
        job.discard()
        raise MnistCoreError(f"the training could not start: {error}") from error
    return job


def busy_for(owner: str) -> bool:
    """Whether someone other than `owner` is training on this server right now."""
    with _slot_lock:
        return _running is not None and _running.owner != owner


def _release(job: TrainingJob) -> None:
    global _running
    with _slot_lock:
        if _running is job:
            _running = None
