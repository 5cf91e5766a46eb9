"""Loads and downloads from the model store while another process saves the same model over and
over. Prints how many loads, downloads and saves ran and every load that failed: a reader must
see the old model or the new one, never an error.

    python -m benchmarks.store_race [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from mnist_core.errors import ModelStoreError
from mnist_core.store import ModelStore

SAVER = textwrap.dedent(
    """
    import sys
    from mnist_core.models import build_model
    from mnist_core.store import ModelInfo, ModelStore

    store = ModelStore(sys.argv[1])
    models = [build_model("perceptron"), build_model("mlp")]
    info = ModelInfo("", "perceptron", 0, {}, 1, 0, 1, 0.0, 0.5)
    for round in range(1_000_000_000):
        store.save("m", models[round % 2], info)
        print("saved", flush=True)
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to load")
    seconds = parser.parse_args().seconds
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "models"
        saver = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(root)], stdout=subprocess.PIPE, text=True
        )
        assert saver.stdout is not None
        saver.stdout.readline()  # one whole save before the first load
        store, loads, downloads, failures = ModelStore(root), 0, 0, []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                store.load("m")
                loads += 1
                if hasattr(store, "read_weights"):  # absent before the fix
                    store.read_weights("m")
                    downloads += 1
            except ModelStoreError as error:
                failures.append(str(error))
        saver.kill()
        saves = 1 + sum(line == "saved\n" for line in saver.stdout)
        saver.wait()
    print(f"{seconds:.0f} s: {loads} loads, {downloads} downloads, {saves} saves meanwhile")
    print(f"{len(failures)} failed" + "".join(f"\n  {failure}" for failure in failures[:10]))


if __name__ == "__main__":
    main()
