"""MNIST offline: the bundled copy (checksummed) or the user's own, splits, tf.data pipelines."""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_core.errors import ConfigError, DatasetError

if TYPE_CHECKING:
    import tensorflow as tf

BUNDLED_MNIST = Path(__file__).parent / "data" / "mnist.npz"
# sha256 over x_train, y_train, x_test, y_test bytes (see array_checksum): the standard MNIST.
MNIST_SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"
MNIST_PATH_VARIABLE = "MNIST_PATH"
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
ARRAY_NAMES = tuple(IDX_FILES)

# A batch of (N, 28, 28, 1) images in [0, 1] in, the same shape out.
Augmentation = Callable[["tf.Tensor"], "tf.Tensor"]


@dataclass(frozen=True)
class Mnist:
    """The MNIST images (N, 28, 28) uint8, 0 = background, and their uint8 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclass(frozen=True)
class Split:
    """Training and validation arrays cut from the MNIST training set."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def array_checksum(arrays: Mapping[str, np.ndarray]) -> str:
    """sha256 of the four arrays' bytes in a fixed order: independent of how the file was zipped."""
    digest = hashlib.sha256()
    for name in ARRAY_NAMES:
        digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    return digest.hexdigest()


def load_mnist(path: str | os.PathLike[str] | None = None) -> Mnist:
    """Load MNIST from `path`, else $MNIST_PATH, else the copy bundled with the package.

    `path` may be a Keras-style mnist.npz or a folder with the four IDX files (gzipped or not).
    Arrays are cached and read-only, so callers share one copy.
    """
    chosen = path if path is not None else os.environ.get(MNIST_PATH_VARIABLE) or BUNDLED_MNIST
    return _load_cached(Path(chosen).expanduser().resolve())


@functools.lru_cache(maxsize=2)
def _load_cached(path: Path) -> Mnist:
    if not path.exists():
        raise DatasetError(f"MNIST not found at {path}")
    arrays = _read_idx_folder(path) if path.is_dir() else _read_npz(path)
    _check_arrays(arrays, path)
    if path == BUNDLED_MNIST.resolve() and array_checksum(arrays) != MNIST_SHA256:
        raise DatasetError(
            f"{path} is damaged or was replaced: its checksum is not MNIST's. "
            "Reinstall the package or rebuild it with scripts/build_mnist_npz.py."
        )
    for array in arrays.values():
        array.setflags(write=False)
    return Mnist(**arrays)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [name for name in ARRAY_NAMES if name not in archive.files]
            if missing:
                raise DatasetError(
                    f"{path} lacks {', '.join(missing)}: not a Keras-style mnist.npz"
                )
            return {name: archive[name] for name in ARRAY_NAMES}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DatasetError(f"{path} cannot be read as mnist.npz: {error}") from error


def _read_idx_folder(folder: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for name, stem in IDX_FILES.items():
        candidates = [folder / stem, folder / f"{stem}.gz"]
        found = next((candidate for candidate in candidates if candidate.exists()), None)
        if found is None:
            raise DatasetError(f"{folder} lacks {stem} (or {stem}.gz)")
        arrays[name] = _read_idx(found)
    return arrays


def _read_idx(path: Path) -> np.ndarray:
    """Read one IDX file of unsigned bytes (the format MNIST is published in)."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as file:
            content = file.read()
    except (OSError, EOFError) as error:
        raise DatasetError(f"{path} cannot be read: {error}") from error
    if len(content) < 4 or content[:2] != b"\x00\x00" or content[2] != 0x08:
        raise DatasetError(f"{path} is not an IDX file of unsigned bytes")
    dimensions = content[3]
    header = 4 + 4 * dimensions
    shape = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(dimensions))
    if len(content) != header + int(np.prod(shape)):
        raise DatasetError(f"{path} is truncated or has trailing bytes")
    return np.frombuffer(content, dtype=np.uint8, offset=header).reshape(shape).copy()


def _check_arrays(arrays: dict[str, np.ndarray], path: Path) -> None:
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise DatasetError(f"{path}: x_{split} is not (N, 28, 28) uint8 images")
        if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
            raise DatasetError(f"{path}: y_{split} does not match x_{split}")
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise DatasetError(f"{path}: y_{split} holds labels outside 0-9")
        arrays[f"y_{split}"] = labels.astype(np.uint8)


def split_validation(
    mnist: Mnist, validation_size: int = 10_000, train_size: int | None = None
) -> Split:
    """Hold out the last `validation_size` training images; keep the first `train_size` of the rest.

    MNIST's training order is already mixed across classes, so a prefix is a fair small subset.
    """
    available = len(mnist.x_train) - validation_size
    if not 0 <= validation_size < len(mnist.x_train):
        raise ConfigError(f"validation size must be 0 to {len(mnist.x_train) - 1}")
    if train_size is not None and not 1 <= train_size <= available:
        raise ConfigError(f"training-set size must be 1 to {available} with this validation size")
    end = available if train_size is None else train_size
    return Split(
        x_train=mnist.x_train[:end],
        y_train=mnist.y_train[:end],
        x_val=mnist.x_train[available:],
        y_val=mnist.y_train[available:],
    )


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) → float32 (N, 28, 28, 1) in [0, 1], what every model takes."""
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., np.newaxis]


def make_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int = 128,
    shuffle_seed: int | None = None,
    augment: Augmentation | None = None,
) -> tf.data.Dataset:
    """A batched, prefetched tf.data pipeline; shuffled each epoch when a seed is given."""
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(images), seed=shuffle_seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(
        lambda x, y: (tf.cast(x, tf.float32)[..., tf.newaxis] / 255.0, y),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    if augment is not None:
        # Not parallel: random state must be drawn in batch order for a seeded run to repeat.
        dataset = dataset.map(lambda x, y: (augment(x), y))
    return dataset.prefetch(tf.data.AUTOTUNE)
