"""What one rerun of the My handwriting page costs when the samples database is large: the page
run under AppTest against a database of N drawings (MNIST test digits, repeated), median of five
reruns after a warm-up, and the memory the rerun's objects take; and what building the export
costs.

    python -m benchmarks.samples_page [--samples 20000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from streamlit.testing.v1 import AppTest

from mnist_core.data import load_mnist
from mnist_core.samples import SAMPLES_DB_VARIABLE, SampleStore

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000, help="drawings in the database")
    parser.add_argument("--reruns", type=int, default=5, help="timed reruns after a warm-up")
    args = parser.parse_args()
    mnist = load_mnist()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["MNIST_MODELS_DIR"] = str(Path(folder) / "models")
        os.environ[SAMPLES_DB_VARIABLE] = str(Path(folder) / "samples.sqlite3")
        store = SampleStore()
        for start in range(0, args.samples, 5_000):
            count = min(5_000, args.samples - start)
            indices = [(start + i) % len(mnist.x_test) for i in range(count)]
            store.add_many(mnist.x_test[indices], mnist.y_test[indices], writer="class")
        page = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        page = (
            page.run().switch_page("app_pages/my_handwriting.py").run()
        )  # warm-up: imports, caches
        assert not page.exception, page.exception
        seconds = []
        for _ in range(args.reruns):
            started = time.perf_counter()
            page.run()
            seconds.append(time.perf_counter() - started)
        tracemalloc.start()
        page.run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        started = time.perf_counter()
        exported = store.export_npz()
        export_seconds = time.perf_counter() - started
    print(
        f"My handwriting, {args.samples:,} drawings: a rerun takes "
        f"{statistics.median(seconds):.3f} s (median of {args.reruns}, "
        f"min {min(seconds):.3f}, max {max(seconds):.3f}); "
        f"peak Python allocations during a rerun {peak / 1e6:.1f} MB"
    )
    print(
        f"the export (built once, when asked): {export_seconds:.2f} s, {len(exported) / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
