"""The server's trainings: one at a time (on two cores a second would halve both and starve
everyone's predictions), the others queued in order, a warm worker waiting for the next, and the
measured pace of each kind of training, so that buttons and queues can say how long."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence

from digit_studio.training_jobs import ABANDON_SECONDS, JobState, TrainingJob, always_present
from digit_studio.training_worker import Measured, Ready, Worker
from mnist_core.config import PRESETS, TrainingConfig
from mnist_core.data import Mnist
from mnist_core.errors import MnistCoreError
from mnist_core.models import ARCHITECTURES
from mnist_core.run import TrainingTask
from mnist_core.speed import TEST_IMAGES, Speed, SpeedKey, expected_seconds, speed_key

MAX_QUEUE = 40  # a class and its teacher
NEWS_POLL_SECONDS = 1.0


def kinds_to_measure() -> list[TrainingConfig]:
    """Each preset, then each other network on its own: what a worker times while idle."""
    kinds = [preset.config() for preset in PRESETS.values()]
    covered = {config.architecture for config in kinds}
    return kinds + [
        TrainingConfig(architecture=name, augment=False)
        for name in ARCHITECTURES
        if name not in covered
    ]


class ServerBusyError(MnistCoreError):
    """The queue is full, or the owner already has a training running or waiting."""


class TrainingHall:
    """Runs one job at a time, on a warm worker when the server was idle, and queues the rest;
    safe from any thread.

    `measure` lists the kinds of training a second worker times while the server is idle, so
    that the pace of each is known before anyone trains one. It is ended when a training starts
    (a pace timed beside a training would be wrong, and would slow it) and started again for
    the kinds not yet timed when the server is idle again.
    """

    def __init__(self, measure: Sequence[TrainingConfig] = (), max_queue: int = MAX_QUEUE) -> None:
        self._lock = threading.Lock()
        self._max_queue = max_queue
        self._queue: deque[TrainingJob] = deque()
        self._running: TrainingJob | None = None
        self._speeds: dict[SpeedKey, Speed] = {}
        self._closed = False
        self._unmeasured = list(measure)
        self._measurer: Worker | None = None
        self._spare: Worker | None = self._new_worker()
        self._measure()

    def _measure(self) -> None:
        """With the server idle: time the kinds of training not timed yet."""
        if self._unmeasured and self._running is None and not self._closed:
            self._measurer = self._new_worker(self._unmeasured)

    def _new_worker(self, measure: Sequence[TrainingConfig] = ()) -> Worker:
        worker = Worker(measure)
        threading.Thread(
            target=self._listen, args=(worker,), name="training-worker-news", daemon=True
        ).start()
        return worker

    def _listen(self, worker: Worker) -> None:
        """Record what a worker measured until it has an order or is gone."""
        while worker.process.is_alive() and not self._closed:
            item = worker.news_item(NEWS_POLL_SECONDS)
            if isinstance(item, Ready):
                worker.ready.set()
            elif isinstance(item, Measured):
                with self._lock:
                    self._speeds.setdefault(item.key, item.speed)
                    self._unmeasured = [
                        kind for kind in self._unmeasured if speed_key(kind) != item.key
                    ]

    def request(
        self,
        task: TrainingTask,
        owner: str,
        mnist: Mnist | None = None,
        owner_present: Callable[[], bool] = always_present,
        abandon_after: float = ABANDON_SECONDS,
        owner_name: str = "",
    ) -> TrainingJob:
        """A job for `owner`: started now if the server is free, else queued behind the others.
        ServerBusyError if the owner already has one running or waiting, or the queue is full."""
        return self.request_all([task], owner, mnist, owner_present, abandon_after, owner_name)[0]

    def request_all(
        self,
        tasks: Sequence[TrainingTask],
        owner: str,
        mnist: Mnist | None = None,
        owner_present: Callable[[], bool] = always_present,
        abandon_after: float = ABANDON_SECONDS,
        owner_name: str = "",
    ) -> list[TrainingJob]:
        """Jobs for `tasks`, one after the other in the queue, as `request` makes one: a race."""
        jobs = [
            TrainingJob(task, owner, mnist, owner_present, abandon_after, self._ended, owner_name)
            for task in tasks
        ]
        with self._lock:
            self._reap()
            if any(other.owner == owner for other in self._active()):
                raise ServerBusyError("you already have a training running or waiting")
            if len(self._queue) + len(jobs) > self._max_queue:
                raise ServerBusyError(
                    f"{len(self._queue)} trainings are waiting already. Try again later."
                )
            self._queue.extend(jobs)
            self._dispatch()
        return jobs

    def _active(self) -> list[TrainingJob]:
        return [job for job in (self._running, *self._queue) if job is not None]

    def _reap(self) -> None:
        """With the lock held: drop waiting jobs that were cancelled or whose tab has been gone
        for as long as a running job's may be."""
        for job in list(self._queue):
            if job.done or job.abandoned():
                job.cancel()
                self._queue.remove(job)

    def _dispatch(self) -> None:
        """With the lock held: start the first waiting job whose owner is still here."""
        self._reap()
        while self._running is None and self._queue and not self._closed:
            job = self._queue.popleft()
            if self._measurer is not None:
                self._measurer.end()
                self._measurer = None
            worker = self._spare
            if worker is None or not worker.process.is_alive():  # none warm: a cold one
                worker = self._new_worker()
            self._spare = None  # the next one loads once the server is idle: see _ended
            self._running = job
            try:
                job.start(worker)
            except (OSError, RuntimeError) as error:  # no thread or folder to be had
                self._running = None
                job.fail(f"the training could not start: {error}")
                job.discard()

    def _ended(self, job: TrainingJob) -> None:
        with self._lock:
            if self._running is job:
                self._running = None
                if job.outcome is not None:
                    self._learn_pace(job)
            self._dispatch()
            # A worker loads only while no training runs: loading takes ten seconds of CPU,
            # which would slow a training on two cores. A queued job starts cold instead.
            if self._running is None and self._spare is None and not self._closed:
                self._spare = self._new_worker()
            self._measure()

    def _learn_pace(self, job: TrainingJob) -> None:
        """With the lock held: a finished training's own pace replaces the measured one."""
        if not isinstance(job.task, TrainingConfig):
            return
        snapshot = job.snapshot()
        latest, known = snapshot.latest, self._speeds.get(speed_key(job.task))
        # A later epoch's rate: the first one's also counts building the graph.
        if latest is None or latest.epoch == 1 or known is None or snapshot.stop_requested:
            return
        self._speeds[speed_key(job.task)] = Speed(
            latest.images_per_second, known.test_per_second, known.setup_seconds
        )

    def leave(self, job: TrainingJob) -> bool:
        """Take a waiting job out of the queue; False if it has started meanwhile."""
        with self._lock:
            if job not in self._queue:
                return False
            self._queue.remove(job)
            job.cancel()
            return True

    def warm(self, timeout: float = 0.0) -> bool:
        """Whether the next job finds a worker with TensorFlow loaded, waiting up to `timeout`."""
        with self._lock:
            spare = self._spare
        return spare is not None and spare.ready.wait(timeout)

    @property
    def running(self) -> TrainingJob | None:
        with self._lock:
            return self._running

    def busy_for(self, owner: str) -> bool:
        """Whether someone other than `owner` is training on this server right now."""
        with self._lock:
            return self._running is not None and self._running.owner != owner

    def position(self, job: TrainingJob) -> int:
        """How many jobs are ahead of `job`: 0 when it runs or is not waiting."""
        with self._lock:
            self._reap()
            if job not in self._queue:
                return 0
            return self._queue.index(job) + (self._running is not None)

    def waiting(self) -> int:
        with self._lock:
            self._reap()
            return len(self._queue)

    def expected_seconds(self, task: TrainingTask) -> float | None:
        """How long `task` will take from start to tested, from the pace measured here; None
        while that kind of training has not been measured."""
        speed = self._speed_of(task)
        return None if speed is None else expected_seconds(task, speed)  # type: ignore[arg-type]

    def expected_wait(self, job: TrainingJob | None = None) -> float | None:
        """Seconds until `job` (None: a job queued now) would start; None where a job ahead
        has no estimate."""
        with self._lock:
            self._reap()
            ahead = list(self._queue)
            running = self._running
        if job is not None:
            ahead = ahead[: ahead.index(job)] if job in ahead else []
        total = 0.0
        if running is not None:
            left = self.seconds_left(running)
            if left is None:
                return None
            total += left
        for other in ahead:
            seconds = self.expected_seconds(other.task)
            if seconds is None:
                return None
            total += seconds
        return total

    def seconds_left(self, job: TrainingJob) -> float | None:
        """A running job's time to go: its own estimate once it trains, the measured one
        before."""
        snapshot = job.snapshot()
        if snapshot.state is JobState.TESTING or snapshot.state is JobState.FINISHED:
            return 0.0
        latest = snapshot.latest
        if latest is None:
            return self.expected_seconds(job.task)
        speed = self._speed_of(job.task)
        return latest.eta + (0.0 if speed is None else TEST_IMAGES / speed.test_per_second)

    def _speed_of(self, task: TrainingTask) -> Speed | None:
        """The pace of `task`'s kind of training, or of the nearest kind measured: the same
        network and augmentation with another batch size."""
        if not isinstance(task, TrainingConfig):
            return None
        key = speed_key(task)
        with self._lock:
            nearest = [speed for (name, _, augment), speed in self._speeds.items()
                       if (name, augment) == (key[0], key[2])]  # fmt: skip
            return self._speeds.get(key) or (nearest[0] if nearest else None)

    def close(self) -> None:
        """End the workers and every job (a server's workers also end themselves with it)."""
        with self._lock:
            self._closed = True
            jobs = self._active()
            self._queue.clear()
        for job in jobs:
            job.discard()
        for worker in (self._spare, self._measurer):
            if worker is not None:
                worker.end()
