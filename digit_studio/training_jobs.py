"""Training in a worker process, watched by polling: what a web page needs to train live.

A process, not a thread: Streamlit clears Keras' global session after every script run, which
breaks a model being traced in another thread of the server; a process also keeps the server's
interpreter free for predictions, can be killed outright, and returns all its memory when done.
An owner gone for good (a closed tab) ends the job: process killed, files removed.
"""

from __future__ import annotations

import itertools
import queue
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from digit_studio.training_worker import MODEL_FILE, Failed, Order, Tested, Worker
from mnist_core.data import Mnist
from mnist_core.explain import FirstLayerAtEpoch
from mnist_core.progress import (
    BatchEnded,
    EpochEnded,
    TrainingEnded,
    TrainingProgress,
    TrainingStarted,
)
from mnist_core.run import TrainingTask

POLL_SECONDS = 0.2  # how often the collector checks a silent worker is still alive
ABANDON_SECONDS = 30.0  # an owner away this long closed the tab; a Wi-Fi blip is shorter
_numbers = itertools.count(1)


class JobState(Enum):
    QUEUED = "queued"  # waiting for another job to end
    STARTING = "starting"  # the worker is building the network
    RUNNING = "running"
    TESTING = "testing"  # trained; measuring test accuracy
    FINISHED = "finished"
    FAILED = "failed"


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of a job's progress for one redraw."""

    state: JobState
    started: TrainingStarted | None
    batches: list[BatchEnded]
    epochs: list[EpochEnded]
    ended: TrainingEnded | None
    first_layer: FirstLayerAtEpoch | None  # the latest view of the first layer's weights
    stop_requested: bool
    error: str | None

    @property
    def latest(self) -> BatchEnded | None:
        return self.batches[-1] if self.batches else None


def always_present() -> bool:
    """The owner of a job started outside a page: never gone."""
    return True


def _nothing(job: TrainingJob) -> None:
    """What a job does when it ends, unless told otherwise."""


class TrainingJob:
    """One training run, queued until `start` gives it a worker; `snapshot()` is safe to call
    from any thread.

    `owner_present` is asked while the job runs; once it has said no for `abandon_after`
    seconds in a row the job is killed and its files removed. `on_end` is called with the job
    once it has finished or failed, from the collector thread.
    """

    def __init__(
        self,
        task: TrainingTask,
        owner: str,
        mnist: Mnist | None = None,
        owner_present: Callable[[], bool] = always_present,
        abandon_after: float = ABANDON_SECONDS,
        on_end: Callable[[TrainingJob], None] = _nothing,
        owner_name: str = "",
    ) -> None:
        self.task = task
        self.owner = owner
        self._owner_present = owner_present
        self._abandon_after = abandon_after
        self._on_end = on_end
        self.owner_name = owner_name  # what the owner calls themselves, if anything: user text
        self._mnist = mnist
        self.number = next(_numbers)  # tells jobs apart, for caches of what they show
        self.created = time.time()
        self.folder: Path | None = None
        self._worker: Worker | None = None
        self._lock = threading.Lock()
        self._state = JobState.QUEUED
        self._started: TrainingStarted | None = None
        self._batches: list[BatchEnded] = []
        self._epochs: list[EpochEnded] = []
        self._ended: TrainingEnded | None = None
        self._first_layer: FirstLayerAtEpoch | None = None
        self._error: str | None = None
        self._stop_requested = False
        self.outcome: Tested | None = None
        self._collector = threading.Thread(target=self._collect, name=f"collector-{owner}")
        self._collector.daemon = True
        self._finalizer: weakref.finalize | None = None
        self._over = threading.Event()  # finished, failed or cancelled
        self._last_present = time.monotonic()

    def owner_present(self) -> bool:
        return self._owner_present()

    def abandoned(self) -> bool:
        """Whether the owner has been away for `abandon_after` seconds: asked while it waits."""
        now = time.monotonic()
        if self._owner_present():
            self._last_present = now
        return now - self._last_present > self._abandon_after

    def start(self, worker: Worker) -> None:
        """Hand the task to `worker` and collect its events from a thread."""
        self.folder = Path(tempfile.mkdtemp(prefix="digit-studio-training-"))
        # A job dropped with its session (a closed tab) must not leave a process or files behind.
        self._finalizer = weakref.finalize(self, _clean_up, worker, self.folder)
        self._worker = worker
        with self._lock:
            self._state = JobState.STARTING
            if self._stop_requested:
                worker.stop.set()
        worker.give(Order(self.task, str(self.folder), self._mnist))
        self._collector.start()

    def _collect(self) -> None:
        worker = self._worker
        assert worker is not None  # started only by start()
        last_present = time.monotonic()
        try:
            while True:
                if self._owner_present():
                    last_present = time.monotonic()
                elif time.monotonic() - last_present > self._abandon_after:
                    self.discard()  # before fail(): a join() returns once it has failed
                    self.fail("stopped: the page that started it was closed")
                    return
                try:
                    event = worker.events.get(timeout=POLL_SECONDS)
                except queue.Empty:
                    if worker.process.is_alive():
                        continue
                    try:  # its last message may have come just before it exited
                        event = worker.events.get(timeout=POLL_SECONDS)
                    except queue.Empty:
                        self.fail("the training process ended unexpectedly")
                        return
                if isinstance(event, Failed):
                    self.fail(event.message)
                    return
                self._record(event)
                if isinstance(event, Tested):
                    return
        finally:
            self._over.set()
            self._on_end(self)

    def _record(self, event: TrainingProgress | FirstLayerAtEpoch | Tested) -> None:
        with self._lock:
            if isinstance(event, FirstLayerAtEpoch):
                self._first_layer = event
            elif isinstance(event, BatchEnded):
                self._batches.append(event)
                self._state = JobState.RUNNING
            elif isinstance(event, EpochEnded):
                self._epochs.append(event)
            elif isinstance(event, TrainingStarted):
                self._started = event
                self._state = JobState.RUNNING
            elif isinstance(event, TrainingEnded):
                self._ended = event
                self._state = JobState.TESTING
            elif isinstance(event, Tested):
                self.outcome = event
                self._state = JobState.FINISHED

    def fail(self, message: str) -> None:
        """End the job with `message`, whatever it was doing (its process is the caller's)."""
        with self._lock:
            self._error = message
            self._state = JobState.FAILED
        self._over.set()

    def stop(self) -> None:
        """Ask training to end after the current batch; what was learned is kept."""
        with self._lock:
            self._stop_requested = True
            if self._worker is not None:
                self._worker.stop.set()

    def cancel(self) -> None:
        """End a job that has not started: it never will."""
        with self._lock:
            if self._state is JobState.QUEUED:
                self._error = "left the queue"
                self._state = JobState.FAILED
                self._over.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the job is finished or failed, queued time included."""
        self._over.wait(timeout)

    @property
    def done(self) -> bool:
        with self._lock:  # no snapshot: the page asks twice a second
            return self._state in (JobState.FINISHED, JobState.FAILED)

    @property
    def suggested_name(self) -> str:
        """A store name for the result: what it is and when it was started."""
        return f"{self.task.name_stem}-{int(self.created)}"

    @property
    def model_file(self) -> Path:
        """The trained `.keras` file, once the job is finished."""
        if self.folder is None:
            raise RuntimeError("a job that never started has no model")
        return self.folder / MODEL_FILE

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            return JobSnapshot(
                state=self._state,
                started=self._started,
                batches=list(self._batches),
                epochs=list(self._epochs),
                ended=self._ended,
                first_layer=self._first_layer,
                stop_requested=self._stop_requested,
                error=self._error,
            )

    def discard(self) -> None:
        """End the job: out of the queue, or its process killed and its files deleted."""
        self.cancel()
        if self._finalizer is not None:
            self._finalizer()


def _clean_up(worker: Worker, folder: Path) -> None:
    worker.end()
    shutil.rmtree(folder, ignore_errors=True)
