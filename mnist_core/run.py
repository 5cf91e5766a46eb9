"""One training run from start to finish: train a new model or fine-tune one, measure it on
MNIST's test digits, describe it for the store. The CLI and the web page's training process
both run it; each kind of task knows how to run itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from mnist_core.data import Mnist, load_mnist
from mnist_core.progress import ProgressListener, StopSignal
from mnist_core.store import ModelInfo

if TYPE_CHECKING:
    import keras

    from mnist_core.finetune import Scores


@dataclass(frozen=True)
class Trained:
    """A finished run: the model to save, its store metadata (test accuracy included) and how
    it ended."""

    model: keras.Model
    info: ModelInfo
    stopped_by_request: bool
    stopped_early: bool
    before: Scores | None = None  # a fine-tuning's accuracies before and after
    after: Scores | None = None
    held_out: int = 0  # personal samples a fine-tuning kept aside to measure them


class TrainingTask(Protocol):
    """What to train: a TrainingConfig (a new model) or a FinetuneTask (a stored one, further)."""

    @property
    def name_stem(self) -> str:
        """The start of the name its model is stored under; a date or time follows."""
        ...

    def run(
        self, mnist: Mnist, on_progress: ProgressListener | None, stop: StopSignal | None,
        callbacks: Sequence[keras.callbacks.Callback],
    ) -> Trained:  # fmt: skip
        """Train, test, describe: what run_training does with this task."""
        ...


def run_training(
    task: TrainingTask, on_progress: ProgressListener | None = None,
    stop: StopSignal | None = None, *, mnist: Mnist | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> Trained:  # fmt: skip
    """Train or fine-tune as `task` says and test the result; `stop.set()` from any thread ends
    training after the current batch. `callbacks` are extra Keras callbacks run after ours."""
    return task.run(mnist or load_mnist(), on_progress, stop, callbacks)
