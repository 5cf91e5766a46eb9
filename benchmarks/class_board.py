"""What the Class board costs the server: one reading at a classroom's size, and how many
readings thirty watchers cause when each redraws every two seconds.

    python -m benchmarks.class_board [--students 30] [--drawings 50] [--watchers 30] [--seconds 10]

Prints the time of one reading (the query, what the board computes from it, its pictures and
chart, all shared by every watcher) beside the time
of one `classify` of a drawing in the same run, and the readings counted while the watchers'
threads ask for the board through the cache every page shares (`cached_class_board`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from unittest import mock

import numpy as np

from digit_studio.board_view import REFRESH_SECONDS
from digit_studio.resources import (
    BOARD_SECONDS,
    WALL_SIZE,
    cached_class_board,
    forget_class_board,
)
from mnist_core.class_board import class_board
from mnist_core.data import load_mnist
from mnist_core.predict import load_classifier
from mnist_core.samples import SAMPLES_DB_VARIABLE, SampleStore
from mnist_core.store import ModelStore


def filled_store(path: Path, students: int, drawings: int) -> SampleStore:
    """A class's answers: every student's drawings of MNIST test digits, a third checked."""
    store = SampleStore(path)
    mnist = load_mnist()
    rng = np.random.default_rng(0)
    for student in range(students):
        for drawing in range(drawings):
            index = int(rng.integers(len(mnist.y_test)))
            label = int(mnist.y_test[index])
            said = label if rng.random() < 0.9 else int(rng.integers(10))
            store.record_answer(
                f"session-{student}", drawing, mnist.x_test[index], said, True, 0.9,
                model="cnn-default", writer=f"student {student}",
            )  # fmt: skip
            if drawing % 3 == 0:
                store.set_truth(f"session-{student}", drawing, label)
    return store


def timed(function, repeats: int = 20) -> float:
    """The median seconds of `function()`."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def watchers_readings(store: SampleStore, watchers: int, seconds: float) -> int:
    """How many times the database is read while `watchers` threads each ask for the board
    every REFRESH_SECONDS, starting at different moments, for `seconds`."""
    reads = 0
    read = SampleStore.class_answers
    lock = threading.Lock()

    def counted(self, *args, **kwargs):
        nonlocal reads
        with lock:
            reads += 1
        return read(self, *args, **kwargs)

    until = time.monotonic() + seconds

    def watch(offset: float) -> None:
        time.sleep(offset)
        while time.monotonic() < until:
            if cached_class_board() is None:
                raise RuntimeError("the board could not be read")
            time.sleep(REFRESH_SECONDS)

    with mock.patch.object(SampleStore, "class_answers", counted):
        threads = [
            threading.Thread(target=watch, args=(REFRESH_SECONDS * i / watchers,))
            for i in range(watchers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return reads


def main(students: int, drawings: int, watchers: int, seconds: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="class-board-"))
    path = folder / "samples.sqlite3"
    os.environ[SAMPLES_DB_VARIABLE] = str(path)
    store = filled_store(path, students, drawings)
    answers = store.class_answers(WALL_SIZE)
    print(f"{len(answers):,} answers from {students} students, {WALL_SIZE} on the wall")

    query = timed(lambda: class_board(store.class_answers(WALL_SIZE), time.time()))
    reading = timed(lambda: (forget_class_board(), cached_class_board()))
    models = ModelStore()
    classifier = load_classifier(models.default_name() or "", models)
    image = load_mnist().x_test[0]
    classify = timed(lambda: classifier.classify(image))
    print(
        f"one board reading: {reading * 1000:.1f} ms (its query and counts {query * 1000:.1f} ms, "
        f"the rest the wall's pictures and the confusion matrix); one classify in the same run: "
        f"{classify * 1000:.1f} ms (ratio {reading / classify:.2f})"
    )

    reads = watchers_readings(store, watchers, seconds)
    asked = watchers * seconds / REFRESH_SECONDS
    print(
        f"{watchers} watchers redrawing every {REFRESH_SECONDS:g} s for {seconds:g} s: asked "
        f"about {asked:.0f} times, read the database {reads} times "
        f"({reads / seconds:.2f} a second; shared for {BOARD_SECONDS:g} s)"
    )
    print(
        f"server time for the board: about {reads / seconds * reading * 1000:.1f} ms a second "
        f"for {watchers} watchers"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--drawings", type=int, default=50)
    parser.add_argument("--watchers", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=10)
    arguments = parser.parse_args()
    main(arguments.students, arguments.drawings, arguments.watchers, arguments.seconds)
