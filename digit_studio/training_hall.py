"""The server's trainings: one at a time (on two cores a second would halve both and starve
everyone's predictions), the others queued in order, a warm worker waiting for the next, and the
measured pace of each kind of training, so that buttons and queues can say how long.

Servers sharing a PostgreSQL database share its queue of training turns: a job here also waits
for its turn there, so that the whole cluster runs `slots` trainings at once, in order."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from digit_studio.training_jobs import ABANDON_SECONDS, JobState, TrainingJob, always_present
from digit_studio.training_worker import Measured, Ready, Worker
from mnist_core.config import PRESETS, TrainingConfig
from mnist_core.data import Mnist
from mnist_core.errors import ConfigError, MnistCoreError, SampleStoreError
from mnist_core.models import ARCHITECTURES
from mnist_core.run import TrainingTask
from mnist_core.samples import SampleStore
from mnist_core.speed import TEST_IMAGES, Speed, SpeedKey, expected_seconds, speed_key

_LOGGER = logging.getLogger(__name__)
MAX_QUEUE = 40  # a class and its teacher
NEWS_POLL_SECONDS = 1.0
SLOTS_VARIABLE = "DIGIT_STUDIO_TRAINING_SLOTS"
DEFAULT_SLOTS = 1  # trainings a cluster runs at once: one per machine of two cores
BEAT_SECONDS = 1.0  # how often a cluster's hall renews its turns and asks for the next


def training_slots() -> int:
    """How many trainings a cluster runs at once: $DIGIT_STUDIO_TRAINING_SLOTS, else 1."""
    value = os.environ.get(SLOTS_VARIABLE) or str(DEFAULT_SLOTS)
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{SLOTS_VARIABLE} must be a whole number of 1 or more, not {value!r}")
    return int(value)


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

    With a `cluster` database every job also takes a turn in its queue and starts only once
    `claim_training` grants it, within `slots` trainings at once across the servers; a thread
    renews this server's turns and asks again every BEAT_SECONDS.
    """

    def __init__(
        self,
        measure: Sequence[TrainingConfig] = (),
        max_queue: int = MAX_QUEUE,
        cluster: SampleStore | None = None,
        slots: int = DEFAULT_SLOTS,
    ) -> None:
        self._lock = threading.Lock()
        self._cluster = cluster
        self._slots = slots
        self._server = f"{socket.gethostname()}:{os.getpid()}"  # who holds a turn, for people
        self._turns: dict[TrainingJob, int] = {}  # each job's turn in the cluster's queue
        self._max_queue = max_queue
        self._queue: deque[TrainingJob] = deque()
        self._running: TrainingJob | None = None
        self._speeds: dict[SpeedKey, Speed] = {}
        self._closed = False
        self._unmeasured = list(measure)
        self._measurer: Worker | None = None
        self._spare: Worker | None = self._new_worker()
        self._measure()
        if cluster is not None:
            threading.Thread(target=self._keep_turns, name="training-turns", daemon=True).start()

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
            if self._cluster is not None:
                try:
                    for job in jobs:
                        self._turns[job] = self._cluster.enqueue_training(self._server, owner)
                except SampleStoreError as error:
                    for job in jobs:
                        self._end_turn(job)
                    raise ServerBusyError(f"the cluster's training queue: {error}") from error
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
                self._end_turn(job)

    def _granted(self, job: TrainingJob) -> bool:
        """With the lock held: whether `job` may start: at once on a server of its own, when
        the database grants its turn in a cluster (else the next beat asks again)."""
        if self._cluster is None:
            return True
        if job not in self._turns:  # its turn could not be taken: the next beat tries again
            return False
        try:
            return self._cluster.claim_training(self._turns[job], self._slots)
        except SampleStoreError:  # busy or out of reach; a lost turn is taken again by a beat
            return False

    def _end_turn(self, job: TrainingJob) -> None:
        """With the lock held: give up `job`'s turn in the cluster, if it has one; one that
        cannot be ended now expires, unrenewed."""
        turn = self._turns.pop(job, None)
        if self._cluster is not None and turn is not None:
            with contextlib.suppress(SampleStoreError):
                self._cluster.end_training(turn)

    def _keep_turns(self) -> None:
        """In a cluster: renew this server's turns, take new ones for those lost (expired while
        the database was out of reach) and start the next job once its turn comes."""
        assert self._cluster is not None  # the thread runs for a cluster only
        while not self._closed:
            time.sleep(BEAT_SECONDS)
            try:
                self._beat()
            except Exception:  # a beat that stops would let every turn here expire unnoticed
                _LOGGER.exception("renewing this server's training turns failed")

    def _beat(self) -> None:
        assert self._cluster is not None
        with self._lock:
            self._reap()
            turns = dict(self._turns)
        try:
            kept = self._cluster.beat_training(*turns.values())
        except SampleStoreError:
            return
        with self._lock:
            waiting = list(self._queue)
            lost = [job for job in waiting if turns.get(job) not in kept or job not in self._turns]
            if lost:
                # Queued again from the first lost one on, in this server's order: the database
                # grants turns oldest first, and this server asks only for its first job's.
                for job in waiting[waiting.index(lost[0]) :]:
                    self._end_turn(job)
                    with contextlib.suppress(SampleStoreError):
                        self._turns[job] = self._cluster.enqueue_training(self._server, job.owner)
            self._dispatch()

    def _dispatch(self) -> None:
        """With the lock held: start the first waiting job whose owner is still here (in a
        cluster, once its turn comes)."""
        self._reap()
        while self._running is None and self._queue and not self._closed:
            if not self._granted(self._queue[0]):
                return
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
                self._end_turn(job)

    def _ended(self, job: TrainingJob) -> None:
        with self._lock:
            self._end_turn(job)
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
            self._end_turn(job)
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

    def _here(self, job: TrainingJob) -> int:
        """How many of this server's own jobs are ahead of `job`."""
        with self._lock:
            if job not in self._queue:
                return 0
            return self._queue.index(job) + (self._running is not None)

    def position(self, job: TrainingJob) -> int:
        """How many jobs are ahead of `job`, in a cluster on every server: 0 when it runs or is
        not waiting."""
        with self._lock:
            self._reap()
            if job not in self._queue:
                return 0
            here = self._queue.index(job) + (self._running is not None)
            turn = self._turns.get(job)
        if self._cluster is None or turn is None:
            return here
        try:
            return max(here, self._cluster.training_position(turn))
        except SampleStoreError:  # out of reach: this server's queue at least
            return here

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
        has no estimate, or (in a cluster) runs or waits on another server."""
        if self._cluster is not None and (job is None or self.position(job) > self._here(job)):
            return None
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
                self._end_turn(job)
        for job in jobs:
            job.discard()
        for worker in (self._spare, self._measurer):
            if worker is not None:
                worker.end()
