"""MNIST offline: the bundled copy (checksummed) or the user's own, splits, tf.data pipelines."""

from __future__ import annotations

import functools
import gzip
import hashlib
import lzma
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

import numpy as np

from mnist_core.errors import ConfigError, DatasetError
from mnist_core.files import npy_header, open_regular_file

if TYPE_CHECKING:
    import tensorflow as tf

IMAGE_SIZE = 28  # MNIST's images are 28x28 pixels
IMAGE_SHAPE = (IMAGE_SIZE, IMAGE_SIZE)
MODEL_INPUT_SHAPE = (*IMAGE_SHAPE, 1)  # what every model takes: one grey channel
NUM_CLASSES = 10  # the digits 0-9
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
# MNIST has 60,000 and 10,000 images; a split of more is not MNIST, so a header claiming more is
# refused before anything is allocated or decompressed (a 3 MB gzip can unpack to 3 GB).
MAX_IMAGES = 70_000
MAX_ARRAY_BYTES = MAX_IMAGES * IMAGE_SIZE**2 + 10_000  # images plus the largest .npy header
MAX_NPZ_BYTES = 4 * MAX_ARRAY_BYTES  # the four arrays stored uncompressed
MAX_ZIP_INDEX_BYTES = 64_000  # the central directory; mnist.npz's four entries take 400 bytes
ZIP_END_RECORD = 22  # bytes of a zip's end-of-central-directory record, its comment excluded
# What reading a damaged or hostile gzip, zip or .npy raises: encrypted zips (RuntimeError),
# unknown compression methods (NotImplementedError), broken deflate streams (zlib.error), ...
READ_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
)

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


def _read_exactly(file: IO[bytes] | gzip.GzipFile, size: int, path: Path) -> bytes:
    content = file.read(size)
    if len(content) != size:
        raise DatasetError(f"{path} is truncated")
    return content


def _check_claim(path: Path, name: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
    """Refuse an array from its header alone, before its memory is allocated."""
    if name.startswith("x"):
        if len(shape) != 3 or shape[1:] != IMAGE_SHAPE or dtype != np.uint8:
            raise DatasetError(f"{path}: {name} is not (N, 28, 28) uint8 images")
    elif len(shape) != 1 or dtype.kind not in "ui":
        raise DatasetError(f"{path}: {name} is not a list of integer labels")
    if shape[0] > MAX_IMAGES:
        raise DatasetError(
            f"{path}: {name} claims {shape[0]:,} images; an MNIST split has at most {MAX_IMAGES:,}"
        )


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    with open_regular_file(path, DatasetError) as file:
        size = os.fstat(file.fileno()).st_size
        if size > MAX_NPZ_BYTES:
            raise DatasetError(f"{path} is {size:,} bytes: too large to be MNIST")
        try:
            _check_central_directory(file, path)
            with zipfile.ZipFile(file) as archive:
                entries = {entry.filename: entry for entry in archive.infolist()}
                missing = [name for name in ARRAY_NAMES if f"{name}.npy" not in entries]
                if missing:
                    raise DatasetError(
                        f"{path} lacks {', '.join(missing)}: not a Keras-style mnist.npz"
                    )
                return {
                    name: _read_npy(archive, entries[f"{name}.npy"], name, path)
                    for name in ARRAY_NAMES
                }
        except READ_ERRORS as error:
            raise DatasetError(f"{path} cannot be read as mnist.npz: {error}") from error


def _check_central_directory(file: BinaryIO, path: Path) -> None:
    """Refuse a zip whose index alone would cost gigabytes to parse (about 8 bytes of memory per
    byte), from the size its end record states (a zip64 marker counts as too large)."""
    file.seek(0, os.SEEK_END)
    tail_start = max(0, file.tell() - ZIP_END_RECORD - 0xFFFF)  # the record, then a comment
    file.seek(tail_start)
    tail = file.read()
    file.seek(0)
    found = tail.rfind(b"PK\x05\x06")
    if found < 0 or len(tail) - found < ZIP_END_RECORD:
        return  # not a zip, or truncated: ZipFile says so
    (index_size,) = struct.unpack_from("<I", tail, found + 12)
    if index_size > MAX_ZIP_INDEX_BYTES:
        raise DatasetError(f"{path} lists far more files than mnist.npz")


def _read_npy(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, name: str, path: Path
) -> np.ndarray:
    """One array of an npz, its header checked before anything is allocated."""
    if entry.file_size > MAX_ARRAY_BYTES:
        raise DatasetError(f"{path}: {name} unpacks to {entry.file_size:,} bytes: not MNIST")
    with archive.open(entry) as member:
        shape, fortran_order, dtype = npy_header(member)
        _check_claim(path, name, shape, dtype)
        content = _read_exactly(member, int(np.prod(shape)) * dtype.itemsize, path)
    return np.frombuffer(content, dtype).reshape(shape, order="F" if fortran_order else "C")


def _read_idx_folder(folder: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for name, stem in IDX_FILES.items():
        candidates = [folder / stem, folder / f"{stem}.gz"]
        found = next((candidate for candidate in candidates if candidate.exists()), None)
        if found is None:
            raise DatasetError(f"{folder} lacks {stem} (or {stem}.gz)")
        arrays[name] = _read_idx(found, name)
    return arrays


def _read_idx(path: Path, name: str) -> np.ndarray:
    """Read one IDX file of unsigned bytes (the format MNIST is published in), gzipped or not;
    a bomb costs no more than the size its header claims."""
    with open_regular_file(path, DatasetError) as raw:
        file = gzip.GzipFile(fileobj=raw) if path.suffix == ".gz" else raw
        try:
            magic = file.read(4)
            if len(magic) != 4 or magic[:3] != b"\x00\x00\x08":
                raise DatasetError(f"{path} is not an IDX file of unsigned bytes")
            dimensions = magic[3]
            shape = struct.unpack(f">{dimensions}I", _read_exactly(file, 4 * dimensions, path))
            _check_claim(path, name, shape, np.dtype(np.uint8))
            content = _read_exactly(file, int(np.prod(shape)), path)
            if file.read(1):
                raise DatasetError(f"{path} has bytes after its {name} array")
        except READ_ERRORS as error:
            raise DatasetError(f"{path} cannot be read: {error}") from error
    return np.frombuffer(content, dtype=np.uint8).reshape(shape)


def _check_arrays(arrays: dict[str, np.ndarray], path: Path) -> None:
    """What the headers could not tell: labels match images, are digits, and there are some."""
    for split, what in (("train", "training"), ("test", "test")):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if labels.shape != (len(images),):
            raise DatasetError(f"{path}: y_{split} does not match x_{split}")
        if not len(images):
            raise DatasetError(f"{path} holds no {what} images")
        if labels.min() < 0 or labels.max() > 9:
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
