"""Start-up of the commands that need no network, against TensorFlow's own import, in one run.

    python -m benchmarks.import_time [--repeats 5]

Each command runs in a fresh interpreter `--repeats` times, interleaved so that a busy machine
slows all of them alike; the median wall time of each is printed, and its ratio to
`python -c "import tensorflow"`. Goal: `mnist-core --help` and `mnist-core models` under 0.3x.
Exits 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL = 0.3  # the largest ratio to TensorFlow's import the two commands may take
SHIPPED_MODELS = Path(__file__).resolve().parents[1] / "models"
MNIST_CORE = [sys.executable, "-m", "mnist_core"]  # what the mnist-core script runs
COMMANDS = {
    'python -c "import tensorflow"': [sys.executable, "-c", "import tensorflow"],
    "mnist-core --help": [*MNIST_CORE, "--help"],
    "mnist-core models": [*MNIST_CORE, "--models-dir", str(SHIPPED_MODELS), "models"],
}


def seconds_to_run(command: list[str]) -> float:
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=environment)
    return time.perf_counter() - started


def main(repeats: int) -> int:
    times: dict[str, list[float]] = {label: [] for label in COMMANDS}
    for _ in range(repeats):
        for label, command in COMMANDS.items():
            times[label].append(seconds_to_run(command))
    medians = {label: statistics.median(runs) for label, runs in times.items()}
    reference = next(iter(medians.values()))
    print(f"median of {repeats} runs each; ratio to TensorFlow's import")
    for label, seconds in medians.items():
        print(f"{label:<32}{seconds:>7.2f} s{seconds / reference:>7.2f}x")
    met = all(seconds / reference < GOAL for seconds in list(medians.values())[1:])
    print(f"goal, both commands under {GOAL}x: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    sys.exit(main(parser.parse_args().repeats))
