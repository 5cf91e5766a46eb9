from __future__ import annotations

import gzip

import numpy as np
import pytest

from mnist_core import data
from mnist_core.data import (
    BUNDLED_MNIST,
    Mnist,
    array_checksum,
    load_mnist,
    make_dataset,
    split_validation,
)
from mnist_core.errors import ConfigError, DatasetError

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


pytestmark = pytest.mark.usefixtures("fresh_mnist_cache")


def test_bundled_mnist_is_the_standard_set():
    mnist = load_mnist()
    assert mnist.x_train.shape == (60_000, 28, 28)
    assert mnist.x_test.shape == (10_000, 28, 28)
    assert mnist.x_train.dtype == mnist.y_train.dtype == np.uint8
    assert mnist.y_test.dtype == np.uint8
    assert np.bincount(mnist.y_train).tolist() == TRAIN_COUNTS
    assert mnist.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert array_checksum(vars(mnist)) == data.MNIST_SHA256
    assert BUNDLED_MNIST.stat().st_size < 12_000_000


def test_arrays_are_shared_and_read_only():
    assert load_mnist() is load_mnist()
    with pytest.raises(ValueError, match="read-only"):
        load_mnist().x_train[0, 0, 0] = 1


def _write_npz(path, mnist: Mnist) -> None:
    np.savez_compressed(path, **vars(mnist))


def test_damaged_bundled_file_is_refused(tmp_path, monkeypatch, small_mnist):
    damaged = tmp_path / "mnist.npz"
    _write_npz(damaged, small_mnist)
    monkeypatch.setattr(data, "BUNDLED_MNIST", damaged)
    with pytest.raises(DatasetError, match=r"mnist\.npz is damaged or was replaced"):
        load_mnist()


def test_truncated_file_gets_a_clear_error(tmp_path):
    broken = tmp_path / "mnist.npz"
    broken.write_bytes(BUNDLED_MNIST.read_bytes()[:5000])
    with pytest.raises(DatasetError, match="cannot be read"):
        load_mnist(broken)


def test_npz_without_the_arrays_is_refused(tmp_path):
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(DatasetError, match="lacks x_train"):
        load_mnist(other)


def test_mnist_path_names_a_keras_npz(tmp_path, monkeypatch, small_mnist):
    own = tmp_path / "mnist.npz"
    _write_npz(own, small_mnist)
    monkeypatch.setenv("MNIST_PATH", str(own))
    loaded = load_mnist()
    assert np.array_equal(loaded.x_train, small_mnist.x_train)
    assert np.array_equal(loaded.y_test, small_mnist.y_test)


def _idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(
        size.to_bytes(4, "big") for size in array.shape
    )
    return header + array.astype(np.uint8).tobytes()


@pytest.mark.parametrize("gzipped", [True, False])
def test_idx_folder_loads(tmp_path, small_mnist, gzipped):
    for name, stem in data.IDX_FILES.items():
        content = _idx_bytes(getattr(small_mnist, name))
        if gzipped:
            (tmp_path / f"{stem}.gz").write_bytes(gzip.compress(content))
        else:
            (tmp_path / stem).write_bytes(content)
    loaded = load_mnist(tmp_path)
    for name in data.ARRAY_NAMES:
        assert np.array_equal(getattr(loaded, name), getattr(small_mnist, name))


def test_idx_folder_with_a_bad_file(tmp_path, small_mnist):
    for name, stem in data.IDX_FILES.items():
        (tmp_path / stem).write_bytes(_idx_bytes(getattr(small_mnist, name)))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"not an idx file")
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte is not an IDX file"):
        load_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetError, match="lacks t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)


def test_mismatched_labels_are_refused(tmp_path, small_mnist):
    bad = Mnist(
        small_mnist.x_train, small_mnist.y_train[:10], small_mnist.x_test, small_mnist.y_test
    )
    _write_npz(tmp_path / "bad.npz", bad)
    with pytest.raises(DatasetError, match="y_train does not match"):
        load_mnist(tmp_path / "bad.npz")


def test_missing_path():
    with pytest.raises(DatasetError, match="not found"):
        load_mnist("/nonexistent/mnist.npz")


def test_validation_split_takes_the_last_images(mnist):
    split = split_validation(mnist, validation_size=10_000)
    assert len(split.x_train) == 50_000 and len(split.x_val) == 10_000
    assert np.array_equal(split.x_val, mnist.x_train[50_000:])
    subset = split_validation(mnist, validation_size=1000, train_size=3000)
    assert len(subset.x_train) == 3000 and np.array_equal(subset.x_train, mnist.x_train[:3000])
    assert np.array_equal(subset.y_val, mnist.y_train[59_000:])


@pytest.mark.parametrize(("validation", "train_size"), [(60_000, None), (-1, None), (10, 59_991)])
def test_impossible_splits(mnist, validation, train_size):
    with pytest.raises(ConfigError):
        split_validation(mnist, validation, train_size)


def test_pipeline_batches_scales_and_shuffles_reproducibly(small_mnist):
    x, y = small_mnist.x_train[:300], small_mnist.y_train[:300]
    batches = list(make_dataset(x, y, batch_size=128).as_numpy_iterator())
    assert [len(b[0]) for b in batches] == [128, 128, 44]
    images, labels = batches[0]
    assert images.shape == (128, 28, 28, 1) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    assert np.allclose(images[..., 0], x[:128] / 255) and np.array_equal(labels, y[:128])

    def first_labels(seed):
        dataset = make_dataset(x, y, batch_size=300, shuffle_seed=seed)
        return next(dataset.as_numpy_iterator())[1]

    assert np.array_equal(first_labels(1), first_labels(1))
    assert not np.array_equal(first_labels(1), y)


def test_pipeline_applies_the_augmentation_hook(small_mnist):
    dataset = make_dataset(
        small_mnist.x_train[:64], small_mnist.y_train[:64], batch_size=64, augment=lambda x: 1 - x
    )
    images, _ = next(dataset.as_numpy_iterator())
    assert np.allclose(images[..., 0], 1 - small_mnist.x_train[:64] / 255)
