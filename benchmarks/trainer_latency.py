"""Start and Stop on the server's trainer: the demo's first batch after the request, and its end
after a stop, against a cold process's first batch, measured in one run.

    python -m benchmarks.trainer_latency [--rounds 3]

The issue's goals: the first batch within 3 s of Start, a stop within 2 s. A browser adds its
own page reruns (tests/e2e/test_browser.py drives the same path).
"""

from __future__ import annotations

import argparse
import statistics
import time

from digit_studio.training_hall import TrainingHall
from digit_studio.training_jobs import TrainingJob
from mnist_core.config import PRESETS

STOP_AFTER_SECONDS = 3.0  # of training, before Stop is pressed


def until(done, timeout: float = 300.0) -> float:
    """Seconds until `done()` is true."""
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > timeout:
            raise TimeoutError("no answer from the trainer")
        time.sleep(0.01)
    return time.monotonic() - started


def start_and_stop(hall: TrainingHall, owner: str) -> tuple[float, float]:
    """Seconds from the request to the first batch, and from Stop to the training's end."""
    job: TrainingJob = hall.request(PRESETS["demo"].config(), owner=owner)
    first = until(lambda: bool(job.snapshot().batches) or job.done)
    time.sleep(STOP_AFTER_SECONDS)
    job.stop()
    stopped = until(lambda: job.snapshot().ended is not None or job.done)
    job.join()
    job.discard()
    return first, stopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # Cold, as every Start was before: the request comes as the process starts loading.
    cold = TrainingHall()
    try:
        cold_first, _ = start_and_stop(cold, "cold")
    finally:
        cold.close()
    print(f"cold process: first batch {cold_first:.2f} s after the request")
    hall = TrainingHall()
    firsts, stops = [], []
    try:
        for round_ in range(args.rounds):
            hall.warm(timeout=300)
            first, stopped = start_and_stop(hall, f"warm-{round_}")
            firsts.append(first)
            stops.append(stopped)
            print(f"warm worker: first batch {first:.2f} s, stopped {stopped:.2f} s after Stop")
    finally:
        hall.close()
    first, stopped = statistics.median(firsts), statistics.median(stops)
    print(
        f"median of {args.rounds}: first batch {first:.2f} s ({first / cold_first:.2f}x the cold "
        f"process's), stop {stopped:.2f} s; goals 3 s and 2 s"
    )


if __name__ == "__main__":
    main()
