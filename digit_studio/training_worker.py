"""A training process started before anyone asks for it: TensorFlow imported and MNIST loaded
while nobody waits, so that Start shows the first batch within seconds, not after the 15-30 s a
fresh process needs. Each worker runs one training and exits, returning all its memory.

A spawned process, not a fork of the server: forking after TensorFlow has started its threads
can deadlock the child.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mnist_core.config import TrainingConfig
from mnist_core.data import Mnist
from mnist_core.errors import MnistCoreError
from mnist_core.run import TrainingTask
from mnist_core.speed import Speed, SpeedKey
from mnist_core.store import ModelInfo

if TYPE_CHECKING:
    from mnist_core.finetune import Scores

MODEL_FILE = "model.keras"
CHILD_NICENESS = 10  # training takes the CPU only when no one is waiting for a prediction
PARENT_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Ready:
    """The worker has TensorFlow and MNIST loaded and waits for its task."""


@dataclass(frozen=True)
class Measured:
    """How fast one kind of training runs here, timed by an idle worker."""

    key: SpeedKey
    speed: Speed


@dataclass(frozen=True)
class Order:
    """What a worker is to do: the task, where to save the model, MNIST if not the bundled one."""

    task: TrainingTask
    folder: str
    mnist: Mnist | None = None


@dataclass(frozen=True)
class Tested:
    """The worker's last message: where the model is and what it scored."""

    info: ModelInfo
    stopped_by_request: bool
    stopped_early: bool
    before: Scores | None = None  # a fine-tuning's accuracies before and after
    after: Scores | None = None


@dataclass(frozen=True)
class Failed:
    message: str


def _serve(
    orders: multiprocessing.Queue,
    news: multiprocessing.Queue,
    events: multiprocessing.Queue,
    stop: threading.Event,
    measure: Sequence[TrainingConfig],
    server: int,
) -> None:
    """The worker process: load and say so; then either time the kinds of training in `measure`
    and exit, or run one order and report its every event on `events`."""
    os.nice(CHILD_NICENESS)
    threading.Thread(target=_exit_with, args=(server,), daemon=True).start()
    from mnist_core.data import load_mnist
    from mnist_core.explain import FirstLayerProgress
    from mnist_core.non_digits import bank
    from mnist_core.run import run_training
    from mnist_core.sketches import calibration_drawings
    from mnist_core.speed import measure_speed, speed_key, warm_up

    mnist: Mnist | None
    try:
        mnist = load_mnist()
    except MnistCoreError:
        mnist = None  # the order loads it again, and reports why it can't
    warm_up()
    if not measure:  # a training worker: its non-digits loaded, its calibration digits drawn
        bank()
        calibration_drawings()
    news.put(Ready())
    if measure:
        for config in measure:
            if mnist is not None:
                news.put(Measured(speed_key(config), measure_speed(config, mnist)))
        return
    order: Order | None = orders.get()
    if order is None:
        return
    try:
        callbacks = [FirstLayerProgress(events.put)]
        trained = run_training(
            order.task, events.put, stop, mnist=order.mnist or mnist, callbacks=callbacks
        )
        trained.model.save(Path(order.folder) / MODEL_FILE)
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


def _exit_with(server: int) -> None:
    """End this process once the server that started it is gone (even before this ran): a
    server stopped with a signal skips the clean-up that kills its daemon processes."""
    while os.getppid() == server:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


class Worker:
    """One spare training process and the queues to talk to it; given kinds of training to
    `measure`, it times them instead and exits."""

    def __init__(self, measure: Sequence[TrainingConfig] = ()) -> None:
        context = multiprocessing.get_context("spawn")  # see the module's docstring
        self.orders: multiprocessing.Queue = context.Queue()
        self.news: multiprocessing.Queue = context.Queue()
        self.events: multiprocessing.Queue = context.Queue()
        self.stop = context.Event()
        self.ready = threading.Event()  # set by whoever reads its Ready
        self.process = context.Process(
            target=_serve,
            args=(self.orders, self.news, self.events, self.stop, list(measure), os.getpid()),
            name="training-worker",
            daemon=True,
        )
        self.process.start()

    def give(self, order: Order) -> None:
        self.orders.put(order)

    def news_item(self, timeout: float) -> Ready | Measured | None:
        """The worker's next Ready or Measured, or None if there is none within `timeout`."""
        try:
            return self.news.get(timeout=timeout)
        except queue.Empty:
            return None

    def end(self) -> None:
        """Kill the process, whatever it is doing."""
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
