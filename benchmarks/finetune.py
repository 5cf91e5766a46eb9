"""What fine-tuning changes for one writer: 300 MNIST training digits turned on their side (a
consistent style no MNIST writer has), the shipped model fine-tuned for 4 epochs on three
quarters of them mixed with MNIST, accuracy before and after on the held-out quarter and on
MNIST test.

    python -m benchmarks.finetune
"""

from __future__ import annotations

import numpy as np

from mnist_core.config import FinetuneConfig
from mnist_core.data import load_mnist
from mnist_core.finetune import finetune
from mnist_core.store import DEFAULT_MODELS_DIR, ModelStore


def main() -> None:
    mnist = load_mnist()
    model, info = ModelStore(DEFAULT_MODELS_DIR).load()
    images = np.rot90(mnist.x_train[-300:], axes=(1, 2))
    result = finetune(model, info, images, mnist.y_train[-300:], mnist, FinetuneConfig(epochs=4))
    print(
        f"{info.name}, 4 epochs on {result.training.train_size} images "
        f"({result.personal_train} of the writer's) in {result.training.seconds:.0f} s"
    )
    print(f"{'accuracy on':<32}{'before':>8}{'after':>8}")
    print(
        f"{f'held-out drawings ({result.personal_held_out})':<32}"
        f"{result.before.personal:>8.1%}{result.after.personal:>8.1%}"
    )
    print(f"{'MNIST test (10,000)':<32}{result.before.mnist:>8.2%}{result.after.mnist:>8.2%}")


if __name__ == "__main__":
    main()
