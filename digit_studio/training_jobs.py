"""Training in a child process, watched by polling: what a web page needs to train live.

A process, not a thread: Streamlit clears Keras' global session after every script run, which
breaks a model being traced in another thread of the server; a process also keeps the server's
interpreter free for predictions, can be killed outright, and returns all its memory when done.
An owner gone for good (a closed tab) ends the job: process killed, files removed.
"""

from __future__ import annotations

import multiprocessing
import os
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
from typing import TYPE_CHECKING

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
from mnist_core.store import ModelInfo

if TYPE_CHECKING:
    from mnist_core.finetune import Scores

MODEL_FILE = "model.keras"
POLL_SECONDS = 0.2  # how often the collector checks a silent child is still alive
ABANDON_SECONDS = 30.0  # an owner away this long closed the tab; a Wi-Fi blip is shorter
CHILD_NICENESS = 10  # training takes the CPU only when no one is waiting for a prediction


class JobState(Enum):
    STARTING = "starting"  # the child process is importing TensorFlow and loading MNIST
    RUNNING = "running"
    TESTING = "testing"  # trained; measuring test accuracy
    FINISHED = "finished"
    FAILED = "failed"


@dataclass(frozen=True)
class Tested:
    """The child's last message: where the model is and what it scored."""

    info: ModelInfo
    stopped_by_request: bool
    stopped_early: bool
    before: Scores | None = None  # a fine-tuning's accuracies before and after
    after: Scores | None = None


@dataclass(frozen=True)
class Failed:
    message: str


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


def _train_in_child(
    task: TrainingTask,
    mnist: Mnist | None,
    events: multiprocessing.Queue,
    stop: threading.Event,
    folder: str,
) -> None:
    """The child process: run the task, report every event, save the model and its scores."""
    os.nice(CHILD_NICENESS)
    try:
        from mnist_core.explain import FirstLayerProgress
        from mnist_core.run import run_training

        callbacks = [FirstLayerProgress(events.put)]
        trained = run_training(task, events.put, stop, mnist=mnist, callbacks=callbacks)
        trained.model.save(Path(folder) / MODEL_FILE)
        events.put(
            Tested(
                trained.info,
                trained.stopped_by_request,
                trained.stopped_early,
                trained.before,
                trained.after,
            )
        )
    except Exception as error:  # reported to the page; the server keeps serving
        events.put(Failed(str(error) or type(error).__name__))


def always_present() -> bool:
    """The owner of a job started outside a page: never gone."""
    return True


def _nothing(job: TrainingJob) -> None:
    """What a job does when it ends, unless told otherwise."""


class TrainingJob:
    """One training run in a child process; `snapshot()` is safe to call from any thread.

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
    ) -> None:
        self.task = task
        self.owner = owner
        self._owner_present = owner_present
        self._abandon_after = abandon_after
        self._on_end = on_end
        self.created = time.time()
        self.folder = Path(tempfile.mkdtemp(prefix="digit-studio-training-"))
        context = multiprocessing.get_context("spawn")  # fork is unsafe with TensorFlow loaded
        self._events = context.Queue()
        self._stop = context.Event()
        self._process = context.Process(
            target=_train_in_child,
            args=(task, mnist, self._events, self._stop, str(self.folder)),
            name=f"training-{owner}",
            daemon=True,
        )
        self._lock = threading.Lock()
        self._state = JobState.STARTING
        self._started: TrainingStarted | None = None
        self._batches: list[BatchEnded] = []
        self._epochs: list[EpochEnded] = []
        self._ended: TrainingEnded | None = None
        self._first_layer: FirstLayerAtEpoch | None = None
        self._error: str | None = None
        self.outcome: Tested | None = None
        self._collector = threading.Thread(target=self._collect, name=f"collector-{owner}")
        self._collector.daemon = True
        # A job dropped with its session (a closed tab) must not leave a process or files behind.
        self._finalizer = weakref.finalize(self, _clean_up, self._process, self.folder)

    def start(self) -> None:
        """Start the child process and the thread that collects its events."""
        self._process.start()
        self._collector.start()

    def _collect(self) -> None:
        last_present = time.monotonic()
        try:
            while True:
                if self._owner_present():
                    last_present = time.monotonic()
                elif time.monotonic() - last_present > self._abandon_after:
                    self._fail("stopped: the page that started it was closed")
                    self.discard()
                    return
                try:
                    event = self._events.get(timeout=POLL_SECONDS)
                except queue.Empty:
                    if self._process.is_alive():
                        continue
                    try:  # its last message may have come just before it exited
                        event = self._events.get(timeout=POLL_SECONDS)
                    except queue.Empty:
                        self._fail("the training process ended unexpectedly")
                        return
                if isinstance(event, Failed):
                    self._fail(event.message)
                    return
                self._record(event)
                if isinstance(event, Tested):
                    return
        finally:
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

    def _fail(self, message: str) -> None:
        with self._lock:
            self._error = message
            self._state = JobState.FAILED

    def stop(self) -> None:
        """Ask training to end after the current batch; what was learned is kept."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the job is finished or failed."""
        self._collector.join(timeout)

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
                stop_requested=self._stop.is_set(),
                error=self._error,
            )

    def discard(self) -> None:
        """End the process if it still runs and delete its files."""
        self._finalizer()


def _clean_up(process: multiprocessing.process.BaseProcess, folder: Path) -> None:
    if process.is_alive():
        process.kill()
        process.join(5)
    shutil.rmtree(folder, ignore_errors=True)
