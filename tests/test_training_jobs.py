from __future__ import annotations

import threading
from pathlib import Path

import pytest

from digit_studio.training_jobs import JobState
from digit_studio.training_slot import ServerBusyError, busy_for, start_training
from mnist_core.config import TrainingConfig
from mnist_core.progress import BatchEnded

TINY = TrainingConfig(
    architecture="perceptron",
    epochs=2,
    train_size=500,
    validation_size=200,
    batch_size=100,
    learning_rate=1e-2,
    augment=False,
)


def test_a_job_trains_in_a_child_process_and_reports_everything(small_mnist, store):
    job = start_training(TINY, owner="alice", mnist=small_mnist)
    assert busy_for("bob") and not busy_for("alice")
    with pytest.raises(ServerBusyError, match="another user"):
        start_training(TINY, owner="bob", mnist=small_mnist)
    with pytest.raises(ServerBusyError, match="for you"):
        start_training(TINY, owner="alice", mnist=small_mnist)
    job.join(timeout=120)

    snapshot = job.snapshot()
    assert snapshot.state is JobState.FINISHED and job.done
    assert [(b.epoch, b.step) for b in snapshot.batches] == [
        (e, s) for e in (1, 2) for s in range(1, 6)
    ]
    assert [e.epoch for e in snapshot.epochs] == [1, 2]
    assert snapshot.ended is not None and snapshot.ended.epochs_run == 2
    info = job.outcome.info
    assert info.architecture == "perceptron" and info.epochs_run == 2 and info.train_size == 500
    assert 0.3 < info.test_accuracy <= 1
    assert not busy_for("bob")

    store.save("from-job", job.model_file, info)
    model, loaded = store.load("from-job")
    assert loaded.test_accuracy == info.test_accuracy and model.count_params() == 7850

    job.discard()
    assert not job.folder.exists()


def test_stop_keeps_what_was_learned(small_mnist):
    config = TrainingConfig(
        architecture="mlp", epochs=50, train_size=2000, validation_size=200, batch_size=50
    )
    job = start_training(config, owner="carol", mnist=small_mnist)
    while not any(isinstance(b, BatchEnded) for b in job.snapshot().batches):
        job.join(timeout=0.2)
    job.stop()
    job.join(timeout=120)
    snapshot = job.snapshot()
    assert snapshot.state is JobState.FINISHED and snapshot.stop_requested
    assert job.outcome.stopped_by_request and job.outcome.info.epochs_run < 50
    assert job.model_file.exists()
    job.discard()


def test_a_failing_job_reports_its_error(store):
    import numpy as np

    from mnist_core.data import Mnist

    broken = Mnist(
        np.zeros((10, 28, 28), np.uint8),
        np.zeros(10, np.uint8),
        np.zeros((0, 28, 28), np.uint8),
        np.zeros(0, np.uint8),
    )
    job = start_training(
        TrainingConfig(architecture="perceptron", epochs=1, validation_size=100), "dave", broken
    )
    job.join(timeout=120)
    snapshot = job.snapshot()
    assert snapshot.state is JobState.FAILED and "validation size" in snapshot.error
    assert not busy_for("someone")
    job.discard()


def test_a_job_whose_owner_left_is_killed_and_leaves_nothing(small_mnist):
    import multiprocessing
    import tempfile

    def leftovers() -> set[str]:
        return {path.name for path in Path(tempfile.gettempdir()).glob("digit-studio-training-*")}

    before = leftovers()
    config = TrainingConfig(
        architecture="mlp", epochs=50, train_size=2000, validation_size=200, batch_size=50
    )
    tab_open = threading.Event()
    tab_open.set()
    job = start_training(
        config, owner="erin", mnist=small_mnist, owner_present=tab_open.is_set, abandon_after=1.0
    )
    while not job.snapshot().batches:
        job.join(timeout=0.2)
    assert leftovers() - before == {job.folder.name}
    tab_open.clear()  # the tab is closed
    job.join(timeout=30)

    snapshot = job.snapshot()
    assert snapshot.state is JobState.FAILED and "closed" in snapshot.error
    assert snapshot.batches[-1].epoch < 50
    assert not any(child.name == "training-erin" for child in multiprocessing.active_children())
    assert leftovers() == before
    assert not busy_for("frank")
