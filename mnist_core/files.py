"""Reading a file a user named: only a regular file, never waiting on a FIFO, and an array's
header read before its data."""

from __future__ import annotations

import errno
import os
import stat
from typing import IO, BinaryIO

import numpy as np

from mnist_core.errors import MnistCoreError


class NotRegularFileError(OSError):
    """A FIFO, device, socket or folder where a file's bytes were expected."""


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """`path` opened to read bytes; NotRegularFileError, at once, for anything but a regular
    file (a FIFO would block, `/dev/zero` would be read forever), OSError as `open` raises."""
    # Non-blocking, so that opening a FIFO with no writer returns instead of waiting.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise NotRegularFileError(errno.EINVAL, "not a regular file", os.fspath(path))
    return os.fdopen(descriptor, "rb")


def open_regular_file(path: str | os.PathLike[str], error: type[MnistCoreError]) -> BinaryIO:
    """`open_regular`, with `error`, naming the file, for each way it fails."""
    label = os.fspath(path)
    try:
        return open_regular(path)
    except FileNotFoundError as cause:
        raise error(f"{label}: no such file") from cause
    except NotRegularFileError as cause:
        raise error(f"{label} is not a regular file") from cause
    except OSError as cause:
        raise error(f"{label} cannot be opened: {cause.strerror}") from cause


def npy_header(stream: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    """The shape, Fortran order and dtype a `.npy` stream's header claims, read before its data:
    what the array would cost is known before anything is allocated. ValueError if unreadable."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(stream)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(stream)
    raise ValueError(f".npy format version {version[0]}.{version[1]} is not one this reader knows")
