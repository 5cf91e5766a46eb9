"""Why `cnn` is the default: test accuracy against training time, `cnn-classic` beside it, one run.

    python -m benchmarks.default_choice [--classic-epochs 12] [--cnn-epochs 12]

cnn-classic trains with the classic recipe (constant Adam 1e-3, no augmentation); cnn with its
defaults (cosine schedule, drawn-digit augmentation). Both on 50,000 images with 10,000 held out;
test accuracy is measured after every epoch and its cost left out of the training time.
"""

from __future__ import annotations

import argparse
import time

import keras

from mnist_core.config import TrainingConfig
from mnist_core.data import load_mnist
from mnist_core.evaluate import evaluate
from mnist_core.predict import Classifier
from mnist_core.train import train


class TestAccuracyPerEpoch(keras.callbacks.Callback):
    """Prints test accuracy and the training seconds so far after each epoch."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label
        self.mnist = load_mnist()
        self.measuring = 0.0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        began = time.perf_counter()
        training_seconds = began - self.started - self.measuring
        accuracy = evaluate(Classifier(self.model), self.mnist).accuracy
        self.measuring += time.perf_counter() - began
        print(
            f"{self.label:12s} epoch {epoch + 1:2d}  {training_seconds:7.1f} s  "
            f"val {logs['val_accuracy']:.4f}  test {accuracy:.4f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classic-epochs", type=int, default=12)
    parser.add_argument("--cnn-epochs", type=int, default=12)
    parser.add_argument("--only", choices=["cnn-classic", "cnn"], help="run one of the two")
    args = parser.parse_args()
    runs = {
        "cnn-classic": TrainingConfig(
            architecture="cnn-classic",
            epochs=args.classic_epochs,
            lr_schedule="constant",
            augment=False,
            early_stopping_patience=None,
        ),
        "cnn": TrainingConfig(
            architecture="cnn", epochs=args.cnn_epochs, early_stopping_patience=None
        ),
    }
    for label, config in runs.items():
        if args.only in (None, label):
            train(config, callbacks=[TestAccuracyPerEpoch(label)])


if __name__ == "__main__":
    main()
