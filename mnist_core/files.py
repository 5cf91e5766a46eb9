"""Opening a file a user named: only a regular file, and never waiting on a FIFO."""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from mnist_core.errors import MnistCoreError


def open_regular_file(path: str | os.PathLike[str], error: type[MnistCoreError]) -> BinaryIO:
    """`path` opened to read bytes; `error`, naming it, when it is missing, unreadable, or a FIFO,
    device, socket or folder (a FIFO would block, `/dev/zero` would be read forever)."""
    label = os.fspath(path)
    try:
        # Non-blocking, so that opening a FIFO with no writer returns instead of waiting.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError as cause:
        raise error(f"{label}: no such file") from cause
    except OSError as cause:
        raise error(f"{label} cannot be opened: {cause.strerror}") from cause
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise error(f"{label} is not a regular file")
    return os.fdopen(descriptor, "rb")
