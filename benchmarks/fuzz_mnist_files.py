"""Fuzz the MNIST reader: mutated .npz files (compressed and not) and gzipped IDX folders made
from a small slice of MNIST. Every failure must be a DatasetError; prints how many files loaded,
how many were refused, anything else that escaped, and the process's peak memory.

    python -m benchmarks.fuzz_mnist_files [--seconds 120] [--seed 0]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import io
import tempfile
import time
from pathlib import Path

import numpy as np

from mnist_core import data
from mnist_core.errors import DatasetError


def _mutated(content: bytes, rng: np.random.Generator) -> bytes:
    """Flip, overwrite, cut or repeat a few bytes, as damage or a hostile edit would."""
    mutable = bytearray(content)
    for _ in range(rng.integers(1, 8)):
        at = int(rng.integers(0, len(mutable)))
        choice = rng.integers(0, 4)
        if choice == 0:
            mutable[at] ^= 1 << int(rng.integers(0, 8))
        elif choice == 1:
            mutable[at : at + 4] = rng.bytes(4)
        elif choice == 2:
            del mutable[at : at + int(rng.integers(1, 64))]
        else:
            mutable[at:at] = mutable[at : at + int(rng.integers(1, 64))]
    return bytes(mutable)


def _peak_mb() -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM"))
    return int(line.split()[1]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    mnist = data.load_mnist()
    arrays = {
        "x_train": mnist.x_train[:2000],
        "y_train": mnist.y_train[:2000],
        "x_test": mnist.x_test[:500],
        "y_test": mnist.y_test[:500],
    }
    seeds: dict[str, bytes] = {}
    for name, save in (("compressed", np.savez_compressed), ("stored", np.savez)):
        buffer = io.BytesIO()
        save(buffer, **arrays)
        seeds[name] = buffer.getvalue()
    idx = {
        stem: gzip.compress(
            bytes([0, 0, 8, arrays[name].ndim])
            + b"".join(size.to_bytes(4, "big") for size in arrays[name].shape)
            + arrays[name].tobytes()
        )
        for name, stem in data.IDX_FILES.items()
    }
    outcomes: collections.Counter[str] = collections.Counter()
    escaped: dict[str, str] = {}
    end = time.monotonic() + args.seconds
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        while time.monotonic() < end:
            kind = ("compressed", "stored", "idx")[int(rng.integers(0, 3))]
            if kind == "idx":
                target = root / f"idx{outcomes.total()}"
                target.mkdir()
                victim = list(idx)[int(rng.integers(0, 4))]
                for stem, content in idx.items():
                    mutated = _mutated(content, rng) if stem == victim else content
                    (target / f"{stem}.gz").write_bytes(mutated)
            else:
                target = root / f"file{outcomes.total()}.npz"
                target.write_bytes(_mutated(seeds[kind], rng))
            data._load_cached.cache_clear()
            try:
                data.load_mnist(target)
                outcomes[f"{kind}: loaded"] += 1
            except DatasetError:
                outcomes[f"{kind}: refused"] += 1
            except Exception as error:  # what the fuzzing is looking for
                name = f"{kind}: {type(error).__name__}"
                outcomes[name] += 1
                escaped.setdefault(name, str(error)[:200])
    print(f"{outcomes.total()} mutated files in {args.seconds:.0f} s, peak memory {_peak_mb()} MB")
    for name, count in sorted(outcomes.items()):
        print(f"  {name}: {count}")
    for name, message in escaped.items():
        print(f"ESCAPED {name}: {message}")


if __name__ == "__main__":
    main()
