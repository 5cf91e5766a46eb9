"""Seconds per 60,000-image epoch and images/s for each architecture on this machine, one run.

    python -m benchmarks.train_speed [--images 10000]

Each architecture trains one warm-up epoch on a small slice (tracing, memory), then one timed
epoch on `--images` images with its own pipeline, as `mnist-core train` runs it.
"""

from __future__ import annotations

import argparse

from mnist_core.config import TrainingConfig
from mnist_core.data import load_mnist
from mnist_core.models import ARCHITECTURES
from mnist_core.train import BatchEnded, train


def timed_epoch(config: TrainingConfig) -> float:
    """Images per second over one epoch, from the first to the last batch."""
    batches: list[BatchEnded] = []
    train(config, load_mnist(), on_progress=batches.append)
    steps = [event for event in batches if isinstance(event, BatchEnded)]
    images = config.batch_size * (len(steps) - 1)  # the first batch starts the clock
    return images / (steps[-1].elapsed - steps[0].elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    args = parser.parse_args()
    print(f"{'architecture':<14}{'augment':<9}{'params':>10}{'images/s':>10}{'s/epoch':>9}")
    for name in ARCHITECTURES:
        for augment in (False, True) if name == "cnn" else (False,):
            config = TrainingConfig(
                architecture=name,
                epochs=1,
                augment=augment,
                train_size=args.images,
                validation_size=0,
            )
            timed_epoch(TrainingConfig(**{**config.as_dict(), "train_size": 512}))
            rate = timed_epoch(config)
            params = f"{ARCHITECTURES[name].build().count_params():,}"
            print(f"{name:<14}{augment!s:<9}{params:>10}{rate:>10.0f}{60_000 / rate:>9.1f}")


if __name__ == "__main__":
    main()
