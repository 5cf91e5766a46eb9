"""run_training: one pipeline, train or fine-tune then test, for the CLI and the web job alike."""

from __future__ import annotations

import subprocess
import sys
import threading

from mnist_core.config import FinetuneConfig, TrainingConfig
from mnist_core.finetune import FinetuneTask, held_out_split
from mnist_core.progress import BatchEnded, TrainingEnded
from mnist_core.run import run_training

# Ten batches of a perceptron in two epochs: a real run in a second.
TINY = TrainingConfig(
    "perceptron", 2, 100, 1e-2, augment=False, train_size=500, validation_size=200, non_digits=0.0
)


def test_a_new_model_is_trained_tested_and_described(small_mnist):
    events = []
    trained = run_training(TINY, events.append, mnist=small_mnist)
    assert [type(event) for event in events].count(BatchEnded) == 10
    assert isinstance(events[-1], TrainingEnded)
    info = trained.info
    assert info.architecture == "perceptron" and info.epochs_run == 2 and info.train_size == 500
    assert 0.3 < info.test_accuracy <= 1 and info.test_loss > 0
    assert info.parameters == trained.model.count_params() == 7850
    assert not trained.stopped_by_request and trained.before is None and trained.after is None
    assert TINY.name_stem == "perceptron"


def test_a_stored_model_is_fine_tuned_and_scored_before_and_after(store, stored_model, mnist):
    task = FinetuneTask(
        stored_model,
        str(store.root),
        mnist.x_train[-40:],
        mnist.y_train[-40:],
        FinetuneConfig(epochs=1, min_mnist=200),
    )
    stop = threading.Event()
    trained = run_training(task, stop=stop, mnist=mnist)
    assert task.name_stem == f"{stored_model}-mine"
    assert trained.before is not None and trained.after is not None
    assert trained.held_out == len(held_out_split(task.labels, task.config.holdout)[1])
    assert trained.info.hyperparameters["fine_tuned_from"] == stored_model
    assert trained.info.test_accuracy == trained.after.mnist and trained.info.epochs_run == 1


def test_a_stop_asked_for_before_the_first_batch_ends_training_after_it(small_mnist):
    stop = threading.Event()
    stop.set()
    trained = run_training(TINY, stop=stop, mnist=small_mnist)
    # One step of the first epoch's five, reported as the fifth of an epoch it is.
    assert trained.stopped_by_request and trained.info.epochs_run == 0.2


def test_events_settings_and_links_do_not_import_tensorflow():
    modules = (
        "mnist_core.progress, mnist_core.run, mnist_core.config, mnist_core.figures, "
        "digit_studio.train_settings"
    )
    check = f"import sys, {modules}; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
