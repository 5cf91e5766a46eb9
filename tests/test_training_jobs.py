"""Trainings on the server: warm workers, one job at a time, a queue, stops and closed tabs."""

from __future__ import annotations

import multiprocessing
import queue
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from digit_studio import training_hall
from digit_studio.training_hall import ServerBusyError, TrainingHall
from digit_studio.training_jobs import JobState, TrainingJob
from digit_studio.training_worker import Failed, Order
from mnist_core.config import TrainingConfig, race
from mnist_core.errors import ConfigError
from mnist_core.samples import open_sample_store

TINY = TrainingConfig(
    architecture="perceptron",
    epochs=2,
    train_size=500,
    validation_size=200,
    batch_size=100,
    learning_rate=1e-2,
    augment=False,
    non_digits=0.0,  # five batches of digits an epoch
)
LONG = TrainingConfig(
    architecture="mlp", epochs=50, train_size=2000, validation_size=200, batch_size=50
)


@pytest.fixture(scope="module")
def hall() -> Iterator[TrainingHall]:
    hall = TrainingHall(measure=[TINY])
    yield hall
    hall.close()


def leftovers() -> set[str]:
    return {path.name for path in Path(tempfile.gettempdir()).glob("digit-studio-training-*")}


def measured(hall: TrainingHall, config: TrainingConfig, timeout: float = 120) -> bool:
    """Whether the hall knows how long `config` takes, waiting up to `timeout` for its timing."""
    deadline = time.monotonic() + timeout
    while hall.expected_seconds(config) is None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def first_batch(job: TrainingJob, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not job.snapshot().batches and time.monotonic() < deadline and not job.done:
        time.sleep(0.05)
    assert job.snapshot().batches, job.snapshot().error


def test_a_warm_worker_takes_the_job_and_the_next_loads_once_it_ends(hall, small_mnist):
    # Once it has timed TINY it waits idle, as a server's worker does between lessons.
    assert hall.warm(timeout=120) and measured(hall, TINY)
    spare = hall._spare
    job = hall.request(TINY, owner="alice", mnist=small_mnist)
    first_batch(job)
    # The warm one trains (how fast: python -m benchmarks.trainer_latency).
    assert job._worker is spare
    # No worker loads beside a training (ten seconds of CPU it would take from it) ...
    assert not hall.warm()
    job.join(timeout=120)
    job.discard()
    assert hall.warm(timeout=120)  # ... but one does as soon as the server is idle


def test_jobs_run_one_at_a_time_and_the_next_starts_by_itself(hall, small_mnist, store):
    first = hall.request(TINY, owner="alice", mnist=small_mnist)
    assert hall.busy_for("bob") and not hall.busy_for("alice")
    second = hall.request(TINY, owner="bob", mnist=small_mnist)
    assert second.snapshot().state is JobState.QUEUED and hall.position(second) == 1
    with pytest.raises(ServerBusyError, match="already have"):
        hall.request(TINY, owner="bob", mnist=small_mnist)
    first.join(timeout=120)
    second.join(timeout=120)

    snapshot = first.snapshot()
    assert snapshot.state is JobState.FINISHED and first.done
    assert [(b.epoch, b.step) for b in snapshot.batches] == [
        (e, s) for e in (1, 2) for s in range(1, 6)
    ]
    assert [e.epoch for e in snapshot.epochs] == [1, 2]
    assert snapshot.ended is not None and snapshot.ended.epochs_run == 2
    info = first.outcome.info
    assert info.architecture == "perceptron" and info.epochs_run == 2 and info.train_size == 500
    assert 0.3 < info.test_accuracy <= 1
    # The second started when the first ended, without anyone pressing anything.
    assert second.snapshot().state is JobState.FINISHED
    assert second.snapshot().batches[0].elapsed >= 0 and hall.running is None

    store.save("from-job", first.model_file, info)
    model, loaded = store.load("from-job")
    assert loaded.test_accuracy == info.test_accuracy and model.count_params() == 7850
    for job in (first, second):
        job.discard()
        assert not job.folder.exists()


def test_a_queue_says_where_you_are_and_leaving_it_lets_the_next_one_in(hall, small_mnist):
    running = hall.request(LONG, owner="carol", mnist=small_mnist)
    second = hall.request(TINY, owner="dave", mnist=small_mnist)
    third = hall.request(TINY, owner="erin", mnist=small_mnist)
    assert (hall.position(second), hall.position(third), hall.waiting()) == (1, 2, 2)
    hall.leave(second)
    assert hall.position(third) == 1 and second.done
    running.stop()
    third.join(timeout=120)
    assert third.snapshot().state is JobState.FINISHED and not second.snapshot().batches
    for job in (running, second, third):
        job.discard()


def test_a_stop_ends_training_in_its_epoch_and_keeps_what_was_learned(hall, small_mnist):
    job = hall.request(LONG, owner="carol", mnist=small_mnist)
    first_batch(job)
    job.stop()  # how fast: python -m benchmarks.trainer_latency
    job.join(timeout=120)
    snapshot = job.snapshot()
    assert snapshot.state is JobState.FINISHED and snapshot.stop_requested
    # Stopped in its first epoch: a part of one, reported as such.
    assert job.outcome.stopped_by_request and job.outcome.info.epochs_run < 1
    assert snapshot.ended.epochs_run == job.outcome.info.epochs_run
    assert job.model_file.exists()
    job.discard()


def test_a_failing_job_reports_its_error(hall):
    import numpy as np

    from mnist_core.data import Mnist

    broken = Mnist(
        np.zeros((10, 28, 28), np.uint8),
        np.zeros(10, np.uint8),
        np.zeros((0, 28, 28), np.uint8),
        np.zeros(0, np.uint8),
    )
    config = TrainingConfig(architecture="perceptron", epochs=1, validation_size=100)
    job = hall.request(config, "dave", broken)
    job.join(timeout=120)
    snapshot = job.snapshot()
    assert snapshot.state is JobState.FAILED and "validation size" in snapshot.error
    assert not hall.busy_for("someone")
    job.discard()


def test_a_job_whose_owner_left_is_killed_and_leaves_nothing(hall, small_mnist):
    before = leftovers()
    tab_open = threading.Event()
    tab_open.set()
    job = hall.request(
        LONG, owner="erin", mnist=small_mnist, owner_present=tab_open.is_set, abandon_after=1.0
    )
    gone = hall.request(
        TINY, owner="gone", mnist=small_mnist, owner_present=lambda: False, abandon_after=0.5
    )
    first_batch(job)
    assert leftovers() - before == {job.folder.name}
    pid = job._worker.process.pid
    tab_open.clear()  # the tab is closed
    job.join(timeout=30)

    snapshot = job.snapshot()
    assert snapshot.state is JobState.FAILED and "closed" in snapshot.error
    assert snapshot.batches[-1].epoch < 50
    assert not any(child.pid == pid for child in multiprocessing.active_children())
    # The queued job's owner is gone too: it never starts, and the server is free.
    gone.join(timeout=30)
    assert gone.snapshot().state is JobState.FAILED and gone.folder is None
    deadline = time.monotonic() + 10
    while hall.busy_for("frank") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers() == before and not hall.busy_for("frank")


def test_the_hall_times_each_kind_of_training_and_says_how_long(hall, small_mnist):
    assert measured(hall, TINY)
    expected = hall.expected_seconds(TINY)
    assert expected is not None and expected > 0
    # A config of the same network and augmentation, other batch size: the nearest pace.
    assert hall.expected_seconds(TrainingConfig("perceptron", 2, 50, augment=False)) is not None
    assert hall.expected_seconds(TrainingConfig("cnn")) is None  # not measured here
    bigger = TrainingConfig(**{**TINY.as_dict(), "epochs": 20})
    assert hall.expected_seconds(bigger) > expected
    assert hall.expected_wait() == 0.0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")
def test_workers_do_not_outlive_a_server_killed_outright():
    import os
    import signal
    import subprocess
    import sys

    server = subprocess.Popen(
        [sys.executable, "-c", "from digit_studio.training_hall import TrainingHall\n"
         "import time\nhall = TrainingHall()\nprint(hall._spare.process.pid, flush=True)\n"
         "time.sleep(600)"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    worker = int(server.stdout.readline())
    os.kill(server.pid, signal.SIGKILL)  # no clean-up of any kind runs
    server.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not running(worker):
            return
        time.sleep(0.2)
    os.kill(worker, signal.SIGKILL)
    pytest.fail("the worker outlived its server")


def running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_race_runs_three_networks_one_after_another(hall, small_mnist):
    jobs = hall.request_all(race(TINY), owner="racer", mnist=small_mnist)
    assert [hall.position(job) for job in jobs] == [0, 1, 2]
    with pytest.raises(ServerBusyError, match="already have"):
        hall.request(TINY, owner="racer", mnist=small_mnist)
    jobs[-1].join(timeout=300)
    assert [job.snapshot().state for job in jobs] == [JobState.FINISHED] * 3
    assert [job.outcome.info.architecture for job in jobs] == ["perceptron", "mlp", "cnn-fast"]
    assert all(job.outcome.info.train_size == TINY.train_size for job in jobs)
    for job in jobs:
        job.discard()


def test_a_waiting_job_whose_tab_is_gone_leaves_the_queue(hall, small_mnist):
    running = hall.request(LONG, owner="carol", mnist=small_mnist)
    gone = hall.request(
        TINY, owner="gone", mnist=small_mnist, owner_present=lambda: False, abandon_after=0.3
    )
    assert hall.waiting() == 1
    time.sleep(0.5)
    assert hall.waiting() == 0 and gone.done and hall.position(gone) == 0
    running.stop()
    running.join(timeout=120)
    running.discard()


# Servers sharing a database: one queue of trainings for all (no TensorFlow: workers faked).


class FakeProcess:
    def __init__(self) -> None:
        self.alive = True

    def is_alive(self) -> bool:
        return self.alive


class FakeWorker:
    """A worker without a process: a job it was given ends when the test says so."""

    def __init__(self, measure: object = ()) -> None:
        self.events: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.process = FakeProcess()

    def give(self, order: Order) -> None:
        pass

    def news_item(self, timeout: float) -> None:
        time.sleep(timeout)

    def end(self) -> None:
        self.process.alive = False


def started(job: TrainingJob, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while job.snapshot().state is JobState.QUEUED and time.monotonic() < deadline:
        time.sleep(0.02)
    return job.snapshot().state is not JobState.QUEUED


def finish(job: TrainingJob) -> None:
    assert job._worker is not None
    job._worker.events.put(Failed("over"))  # type: ignore[attr-defined]
    job.join(timeout=10)


def test_halls_sharing_a_database_train_one_at_a_time_in_order(postgres_database, monkeypatch):
    monkeypatch.setattr(training_hall, "Worker", FakeWorker)
    monkeypatch.setattr(training_hall, "BEAT_SECONDS", 0.05)
    one, two = (TrainingHall(cluster=open_sample_store(postgres_database)) for _ in range(2))
    try:
        first = one.request(TINY, owner="ada")
        second = two.request(TINY, owner="bo")
        third = one.request(TINY, owner="cy")
        assert started(first) and not started(second, timeout=0.5)
        assert two.running is None  # the cluster's one slot is taken on the other server
        assert [two.position(second), one.position(third)] == [1, 2]
        finish(first)
        assert started(second)  # the other server's turn came first
        assert not started(third, timeout=0.5) and one.position(third) == 1
        finish(second)
        assert started(third) and one.position(third) == 0
        finish(third)
    finally:
        one.close()
        two.close()
    store = open_sample_store(postgres_database)
    assert store.beat_training(*range(1, 10)) == set()  # every turn ended


@pytest.mark.parametrize(("value", "slots"), [(None, 1), ("", 1), ("3", 3)])
def test_the_slots_come_from_the_environment(value, slots, monkeypatch):
    if value is None:
        monkeypatch.delenv(training_hall.SLOTS_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(training_hall.SLOTS_VARIABLE, value)
    assert training_hall.training_slots() == slots


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_slots_that_are_not_a_count_are_refused(value, monkeypatch):
    monkeypatch.setenv(training_hall.SLOTS_VARIABLE, value)
    with pytest.raises(ConfigError, match="whole number"):
        training_hall.training_slots()


def test_a_lost_turn_is_taken_again_without_stalling_the_cluster(postgres_database, monkeypatch):
    """A turn that expired (its server lost the database a while) is taken again; the
    server's later jobs must queue again behind it, or the database would grant a later job's
    turn while the server asks only for its first job's, and no one would ever start."""
    monkeypatch.setattr(training_hall, "Worker", FakeWorker)
    monkeypatch.setattr(training_hall, "BEAT_SECONDS", 0.05)
    one, two = (TrainingHall(cluster=open_sample_store(postgres_database)) for _ in range(2))
    try:
        running = two.request(TINY, owner="ada")
        assert started(running)
        first = one.request(TINY, owner="bo")
        second = one.request(TINY, owner="cy")
        lost = one._turns[first]
        open_sample_store(postgres_database).end_training(lost)  # as an expired turn is
        deadline = time.monotonic() + 10
        while one._turns.get(first) in (lost, None) and time.monotonic() < deadline:
            time.sleep(0.02)
        finish(running)
        assert started(first)
        assert not started(second, timeout=0.3)
        finish(first)
        assert started(second)
        finish(second)
    finally:
        one.close()
        two.close()
