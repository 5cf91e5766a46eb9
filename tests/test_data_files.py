"""Hostile MNIST files given to --mnist or $MNIST_PATH: a clear DatasetError, bounded memory,
no hang. Each file is made small here; what it claims or unpacks to is large."""

from __future__ import annotations

import gzip
import io
import os
import resource
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from mnist_core import data
from mnist_core.data import Mnist, load_mnist
from mnist_core.errors import DatasetError

MB = 1 << 20
PEAK_LIMIT_MB = 250  # python + numpy + one real MNIST array is about 120 MB


pytestmark = pytest.mark.usefixtures("fresh_mnist_cache")


def _idx_header(shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, 8, len(shape)]) + b"".join(size.to_bytes(4, "big") for size in shape)


def _idx_folder(folder, mnist: Mnist):
    """The four IDX files of `mnist`, uncompressed, in `folder`."""
    folder.mkdir(exist_ok=True)
    for name, stem in data.IDX_FILES.items():
        array = getattr(mnist, name)
        (folder / stem).write_bytes(_idx_header(array.shape) + array.tobytes())
    return folder


def _gzip_bomb(header: bytes, unpacked_mb: int) -> bytes:
    """`header` then `unpacked_mb` MB of zeros, as gzip members: a few hundred KB on disk."""
    zeros = gzip.compress(bytes(32 * MB))
    return gzip.compress(header) + zeros * (unpacked_mb // 32)


def _npy_header(shape: tuple[int, ...]) -> bytes:
    """A valid .npy header of uint8 `shape`, with no data after it."""
    buffer = io.BytesIO()
    header = {"descr": "|u1", "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _npz(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(f"{name}.npy", content)


def _small_members(mnist: Mnist) -> dict[str, bytes]:
    return {name: _npy(getattr(mnist, name)) for name in data.ARRAY_NAMES}


PEAK_MEMORY = """
import sys
from mnist_core.data import load_mnist
from mnist_core.errors import DatasetError
try:
    load_mnist(sys.argv[1])
    print("loaded")
except DatasetError as error:
    print("DatasetError:", error)
hiwater = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(int(hiwater.split()[1]) // 1024)
"""


def _limit_memory() -> None:
    # The old code read bombs whole: keep that from taking the test machine down with it.
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def _load_in_subprocess(path) -> tuple[str, int]:
    """What load_mnist(path) says in a fresh process, and that process's peak memory in MB."""
    result = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY, str(path)],
        capture_output=True,
        text=True,
        timeout=20,
        preexec_fn=_limit_memory,
        check=False,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    outcome, peak = result.stdout.strip().rsplit("\n", 1)
    return outcome, int(peak)


@pytest.mark.parametrize(
    ("images", "unpacked_mb", "refusal"),
    [
        # A gzip bomb behind an honest header: read no further than the header claims.
        (60_000, 3072, "bytes after its x_train array"),
        # A header claiming more than MNIST: refused before the data is read.
        (1_000_000, 800, "claims 1,000,000 images"),
    ],
    ids=["gzip_bomb", "too_many_images"],
)
def test_a_hostile_gzipped_idx_file_costs_no_memory(
    tmp_path, small_mnist, images, unpacked_mb, refusal
):
    folder = _idx_folder(tmp_path / "idx", small_mnist)
    stem = data.IDX_FILES["x_train"]
    (folder / stem).unlink()
    (folder / f"{stem}.gz").write_bytes(_gzip_bomb(_idx_header((images, 28, 28)), unpacked_mb))
    outcome, peak = _load_in_subprocess(folder)
    assert outcome.startswith("DatasetError") and refusal in outcome
    assert peak < PEAK_LIMIT_MB


def test_an_npz_header_claiming_terabytes_is_refused(tmp_path, small_mnist):
    members = _small_members(small_mnist)
    # 1.4 TB claimed over a few bytes: numpy would try to allocate it all.
    members["x_train"] = _npy_header((1_800_000_000, 28, 28)) + bytes(784)
    _npz(tmp_path / "huge.npz", members)
    with pytest.raises(DatasetError, match="claims 1,800,000,000 images"):
        load_mnist(tmp_path / "huge.npz")


def test_an_npz_deflate_bomb_costs_no_memory(tmp_path, small_mnist):
    members = _small_members(small_mnist)
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("x_train.npy", "w", force_zip64=True) as member:
            member.write(_npy_header((600_000, 28, 28)))  # 470 MB, all of it there
            for _ in range(600_000 * 784 // (8 * MB) + 1):
                member.write(bytes(8 * MB))
        for name in ("y_train", "x_test", "y_test"):
            archive.writestr(f"{name}.npy", members[name])
    outcome, peak = _load_in_subprocess(path)
    assert outcome.startswith("DatasetError") and "x_train" in outcome
    assert peak < PEAK_LIMIT_MB


def test_a_zip_index_of_a_million_entries_is_not_parsed(tmp_path):
    entry = struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", *[0] * 11, 1, *[0] * 6) + b"a"
    index = entry * 1_500_000  # 70 MB that zipfile would turn into 1.5 million objects
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, len(index), 0, 0)
    first = struct.pack("<4s5H3L2H", b"PK\x03\x04", *[0] * 8, 1, 0) + b"a"  # what np.load checks
    (tmp_path / "index.npz").write_bytes(first + index + end)
    outcome, peak = _load_in_subprocess(tmp_path / "index.npz")
    assert outcome.startswith("DatasetError") and "lists far more files" in outcome
    assert peak < PEAK_LIMIT_MB


def _corrupt_gzip_folder(tmp_path, small_mnist):
    folder = _idx_folder(tmp_path / "idx", small_mnist)
    stem = data.IDX_FILES["x_test"]
    packed = bytearray(gzip.compress((folder / stem).read_bytes()))
    packed[10] |= 0b110  # the first deflate block's type: 3 is reserved, "invalid block type"
    (folder / stem).unlink()
    (folder / f"{stem}.gz").write_bytes(packed)
    return folder


def _corrupt_npz(tmp_path, small_mnist):
    path = tmp_path / "corrupt.npz"
    _npz(path, _small_members(small_mnist))
    content = bytearray(path.read_bytes())
    start = content.index(b"x_test.npy") + 200  # inside that member's deflate stream
    content[start : start + 64] = bytes(range(64))
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("make", [_corrupt_gzip_folder, _corrupt_npz])
def test_a_corrupt_deflate_stream_is_a_dataset_error(tmp_path, small_mnist, make):
    with pytest.raises(DatasetError, match="cannot be read"):
        load_mnist(make(tmp_path, small_mnist))


def test_a_zip_of_an_unknown_compression_method_is_a_dataset_error(tmp_path, small_mnist):
    path = tmp_path / "method.npz"
    _npz(path, _small_members(small_mnist))
    content = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = content.index(signature)
        content[at + offset : at + offset + 2] = (99).to_bytes(2, "little")
    path.write_bytes(content)
    with pytest.raises(DatasetError, match="cannot be read"):
        load_mnist(path)


def test_devices_are_refused(tmp_path, small_mnist):
    folder = _idx_folder(tmp_path / "idx", small_mnist)
    (folder / data.IDX_FILES["y_train"]).unlink()
    (folder / data.IDX_FILES["y_train"]).symlink_to("/dev/zero")
    outcome, peak = _load_in_subprocess(folder)
    assert outcome.startswith("DatasetError") and "is not a regular file" in outcome
    assert peak < PEAK_LIMIT_MB
    with pytest.raises(DatasetError, match="/dev/zero is not a regular file"):
        load_mnist("/dev/zero")


def test_fifos_are_refused_without_blocking(tmp_path, small_mnist):
    fifo = tmp_path / "mnist.npz"
    os.mkfifo(fifo)
    folder = _idx_folder(tmp_path / "idx", small_mnist)
    (folder / data.IDX_FILES["x_test"]).unlink()
    os.mkfifo(folder / data.IDX_FILES["x_test"])
    for path in (fifo, folder):
        outcome, _ = _load_in_subprocess(path)  # a blocked open would time out
        assert outcome.startswith("DatasetError") and "is not a regular file" in outcome


def test_a_folder_where_a_file_belongs_is_refused(tmp_path, small_mnist):
    folder = _idx_folder(tmp_path / "idx", small_mnist)
    (folder / data.IDX_FILES["y_test"]).unlink()
    (folder / data.IDX_FILES["y_test"]).mkdir()
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte is not a regular file"):
        load_mnist(folder)


@pytest.mark.parametrize("split", ["train", "test"])
def test_a_split_without_images_is_refused(tmp_path, small_mnist, split):
    arrays = {name: getattr(small_mnist, name) for name in data.ARRAY_NAMES}
    arrays[f"x_{split}"], arrays[f"y_{split}"] = arrays[f"x_{split}"][:0], arrays[f"y_{split}"][:0]
    np.savez_compressed(tmp_path / "empty.npz", **arrays)
    what = "training" if split == "train" else "test"
    with pytest.raises(DatasetError, match=f"holds no {what} images"):
        load_mnist(tmp_path / "empty.npz")


def test_a_file_too_large_to_be_mnist_is_refused_unread(tmp_path):
    path = tmp_path / "large.npz"
    with path.open("wb") as file:
        file.truncate(data.MAX_NPZ_BYTES + 1)  # sparse: no disk space used
    with pytest.raises(DatasetError, match="too large to be MNIST"):
        load_mnist(path)


def test_real_formats_still_load(tmp_path, small_mnist):
    """Both .npy header versions, Fortran order and big-endian labels: what numpy may write."""
    members = _small_members(small_mnist)
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asfortranarray(small_mnist.x_test), version=(2, 0))
    members["x_test"] = buffer.getvalue()
    members["y_train"] = _npy(small_mnist.y_train.astype(">i8"))
    _npz(tmp_path / "mixed.npz", members)
    loaded = load_mnist(tmp_path / "mixed.npz")
    for name in data.ARRAY_NAMES:
        assert np.array_equal(getattr(loaded, name), getattr(small_mnist, name))
    assert loaded.y_train.dtype == np.uint8
