"""The model store: `.keras` files and JSON metadata in one folder, crash-safe writes.

Each model is `<name>.json` (its metadata, naming its weights file) and `<name>.<hash>.keras`.
The JSON is the commit point: a save writes the new `.keras` file beside the old one, then
atomically replaces the JSON, then removes the old file. A crash at any moment leaves either the
old model or the new one whole; a reader racing a save gets one of the two, never an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from mnist_core.data import MODEL_INPUT_SHAPE, NUM_CLASSES
from mnist_core.errors import (
    InvalidModelNameError,
    ModelLoadError,
    ModelNotFoundError,
    ModelStoreError,
)
from mnist_core.files import open_regular
from mnist_core.models import ARCHITECTURES

if TYPE_CHECKING:
    import keras

MODELS_DIR_VARIABLE = "MNIST_MODELS_DIR"
# In the working directory, not beside the package (which an install puts in site-packages):
# `make run` and the CLI started in the repository find the shipped model in models/.
DEFAULT_MODELS_DIR = Path("models")
DEFAULT_FILE = "default.txt"
MAX_UNPACKED = 200_000_000  # bytes; our largest model, cnn-classic, unpacks to about 13 MB
FILE_MODE = 0o644  # mkstemp's 0600 would hide models from other users of a shared server
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
WEIGHTS_PATTERN = re.compile(rf"(?P<name>{NAME_PATTERN.pattern})\.[0-9a-f]{{12}}\.keras")
# What tempfile.mkstemp names our temporary files: ".tmp-" + 8 of [a-z0-9_] + our suffix.
TEMPORARY_PATTERN = re.compile(r"\.tmp-[a-z0-9_]{8}\.(keras|json|txt|probe)")
# Leftovers of a crashed save older than this are removed; younger ones may be a save in flight.
STALE_SECONDS = 600
MAX_METADATA = 1_000_000  # bytes; ours are about 1 KB
MIN_FREE_BYTES = 50_000_000  # a few times our largest model file (cnn-classic, about 13 MB)
# A load retries this often when a save replaces the model between reading metadata and weights.
LOAD_ATTEMPTS = 5
# What each write error means for the user, and what they can do about it.
WRITE_ERRORS = {
    errno.ENOSPC: ("disk full", "free some space"),
    errno.EDQUOT: ("disk quota used up", "free some space"),
    errno.EFBIG: ("file too large for this system", "raise the file size limit"),
    errno.EROFS: ("read-only file system", "mount it writable"),
    errno.EACCES: ("permission denied", "make the folder writable"),
    errno.EPERM: ("permission denied", "make the folder writable"),
    errno.EEXIST: ("a file is in the way of the folder", "move that file away"),
    errno.ENOTDIR: ("a file is in the way of the folder", "move that file away"),
    errno.EISDIR: ("a folder is in the way of a file", "move that folder away"),
}

T = TypeVar("T")


@dataclass(frozen=True)
class ModelInfo:
    """What the store knows about a model, shown by the Models page and `mnist-core models`."""

    name: str
    architecture: str
    parameters: int
    hyperparameters: dict[str, Any]
    train_size: int
    validation_size: int
    epochs_run: float  # whole epochs, plus the part of one a stop cut short
    training_seconds: float
    test_accuracy: float | None
    test_loss: float | None = None
    # temperature and rejection threshold (mnist_core.calibrate); None: saved before them
    calibration: dict[str, float | None] | None = None
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    tensorflow_version: str = ""
    keras_version: str = ""
    file: str = ""  # the .keras file in the store, set on save

    @property
    def calibration_digits(self) -> int:
        """How many of MNIST's last training digits calibrated it: its validation digits, or
        for a fine-tuned model those of the model it came from."""
        return int(self.hyperparameters.get("calibration_digits", self.validation_size))

    @property
    def rejects_non_digits(self) -> bool:
        """Whether the model says "not a digit": calibrated, and taught non-digits."""
        from mnist_core.calibrate import Calibration

        calibration = Calibration.from_dict(self.calibration)
        return calibration is not None and calibration.rejects

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelInfo:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


def validate_name(name: str) -> str:
    """Return `name` if it is 1-64 letters, digits, - and _, starting with a letter or digit."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InvalidModelNameError(
            f"invalid model name {name!r}: use 1-64 letters, digits, '-' and '_', "
            "starting with a letter or digit"
        )
    return name


class ModelStore:
    """Lists, loads, saves, deletes and picks the default among the models in one folder."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        chosen = root or os.environ.get(MODELS_DIR_VARIABLE) or DEFAULT_MODELS_DIR
        self.root = Path(chosen).expanduser()

    def _metadata_path(self, name: str) -> Path:
        return self.root / f"{validate_name(name)}.json"

    def info(self, name: str) -> ModelInfo:
        """The metadata of one model; ModelNotFoundError if absent, ModelLoadError if unreadable."""
        path = self._metadata_path(name)
        try:
            data = json.loads(_read_small(path, MAX_METADATA).decode("utf-8"))
            info = ModelInfo.from_json(data)
        except FileNotFoundError as error:
            raise ModelNotFoundError(f"no model named {name!r} in {self.root}") from error
        except (OSError, ValueError, TypeError, AttributeError) as error:
            raise ModelLoadError(f"{path} is not valid model metadata: {error}") from error
        weights = WEIGHTS_PATTERN.fullmatch(info.file) if isinstance(info.file, str) else None
        if info.name != name or weights is None or weights["name"] != name:
            raise ModelLoadError(
                f"{path} does not describe a model named {name!r} with weights of its own"
            )
        return info

    def list_models(self) -> list[ModelInfo]:
        """Every readable model, by name; unreadable entries are in `broken_models()`."""
        infos = []
        for name in self._names():
            with contextlib.suppress(ModelStoreError):
                infos.append(self.info(name))
        return infos

    def broken_models(self) -> dict[str, str]:
        """Name → the reason, for each metadata file that cannot be read."""
        broken = {}
        for name in self._names():
            try:
                self.info(name)
            except ModelStoreError as error:
                broken[name] = str(error)
        return broken

    def _names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            path.stem for path in self.root.glob("*.json") if NAME_PATTERN.fullmatch(path.stem)
        )

    def default_name(self) -> str | None:
        """The model marked default; if none is (or it was deleted), the most accurate one."""
        marked = self._marked_default()
        if marked in self._names():
            return marked
        infos = self.list_models()
        if not infos:
            return None
        return max(infos, key=lambda info: info.test_accuracy or 0.0).name

    def _marked_default(self) -> str | None:
        """The name in default.txt; None when it is absent or unreadable (not text, a folder)."""
        try:
            return _read_small(self.root / DEFAULT_FILE, 1024).decode("utf-8").strip()
        except (OSError, ValueError):
            return None

    def _unmark_default(self, name: str) -> None:
        if self._marked_default() == name:
            with contextlib.suppress(FileNotFoundError):
                (self.root / DEFAULT_FILE).unlink()

    def set_default(self, name: str) -> None:
        """Mark `name` as the model every page starts with."""
        self.info(name)
        with self._writing():
            _atomic_write(self.root / DEFAULT_FILE, lambda file: file.write(name.encode()))

    def check_writable(self) -> None:
        """ModelStoreError unless the folder can be made and written, with room for a model.

        Called before training, so that minutes of training are not lost to a failing save.
        """
        with self._writing():
            self.root.mkdir(parents=True, exist_ok=True)
            handle, probe = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".probe")
            try:
                os.write(handle, b"probe")
                os.fsync(handle)
            finally:
                os.close(handle)
                os.unlink(probe)
            space = os.statvfs(self.root)
            free = space.f_bavail * space.f_frsize
            if space.f_blocks and free < MIN_FREE_BYTES:
                raise OSError(errno.ENOSPC, f"only {free / 1e6:.0f} MB free")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Turn an OSError while writing into a ModelStoreError that says what to do."""
        try:
            yield
        except OSError as error:
            reason, action = WRITE_ERRORS.get(error.errno or 0, (str(error), "check the folder"))
            if error.errno in WRITE_ERRORS and error.strerror != os.strerror(error.errno):
                reason = f"{reason} ({error.strerror})"  # our own detail, like the space left
            raise ModelStoreError(
                f"cannot write to the model store {self.root}: {reason} — {action} "
                f"or set {MODELS_DIR_VARIABLE} to another folder"
            ) from error

    def read_weights(self, name: str) -> bytes:
        """The bytes of the model's `.keras` file, for downloading."""
        return self._with_weights(name, _read_weights)[0]

    def resolve(self, name: str | None) -> str:
        """`name`, or for None the default model's; ModelNotFoundError when there is none."""
        if name is not None:
            return name
        default = self.default_name()
        if default is None:
            raise ModelNotFoundError(f"no models in {self.root}: train one first")
        return default

    def load(self, name: str | None = None) -> tuple[keras.Model, ModelInfo]:
        """The model (safe mode, not compiled) and its metadata; None loads the default."""
        model, info = self._with_weights(self.resolve(name), _load_keras)
        path = self.root / info.file
        shapes = (tuple(model.input_shape), tuple(model.output_shape))
        if shapes != ((None, *MODEL_INPUT_SHAPE), (None, NUM_CLASSES)):
            raise ModelLoadError(
                f"{path} is not an MNIST classifier: it maps {model.input_shape} "
                f"to {model.output_shape}, not (28, 28, 1) images to 10 classes"
            )
        return model, info

    def _with_weights(self, name: str, use: Callable[[Path], T]) -> tuple[T, ModelInfo]:
        """`use` applied to the model's weights file, and the metadata naming it.

        A save that replaces the model between our reading its metadata and its weights removes
        the weights we were about to read: then read the new metadata and try again.
        """
        info = self.info(name)
        for _ in range(LOAD_ATTEMPTS - 1):
            try:
                return _use_weights(self.root / info.file, name, use), info
            except ModelLoadError:
                latest = self.info(name)
                if latest.file == info.file:
                    raise
                info = latest
        return _use_weights(self.root / info.file, name, use), info

    def save(self, name: str, model: keras.Model | Path, info: ModelInfo) -> ModelInfo:
        """Store `model`, or a `.keras` file, under `name` (replacing that name's), atomically."""
        validate_name(name)
        with self._writing():
            self.root.mkdir(parents=True, exist_ok=True)
        self._remove_leftovers()
        previous = None
        with contextlib.suppress(ModelStoreError):
            previous = self.info(name).file

        with self._writing():
            if not self._metadata_path(name).exists():
                self._unmark_default(name)  # a mark left by an older version must not adopt it
            handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".keras")
            try:
                os.fchmod(handle, FILE_MODE)
                os.close(handle)
                if isinstance(model, Path):
                    shutil.copyfile(model, temporary)
                else:
                    model.save(temporary)
                digest = _fsync_and_hash(Path(temporary))
                weights = self.root / f"{name}.{digest[:12]}.keras"
                os.replace(temporary, weights)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
            saved = dataclasses.replace(info, name=name, file=weights.name)
            content = json.dumps(dataclasses.asdict(saved), indent=2).encode()
            _atomic_write(self._metadata_path(name), lambda file: file.write(content))
        if previous and previous != weights.name:
            with contextlib.suppress(OSError):  # committed: a failure here leaves a leftover
                (self.root / previous).unlink()
        return saved

    def delete(self, name: str) -> None:
        """Remove the model, its weights, and its mark as the default."""
        info = self.info(name)
        with self._writing():
            self._unmark_default(name)
            self._metadata_path(name).unlink()
            _fsync_directory(self.root)
            with contextlib.suppress(FileNotFoundError):
                (self.root / info.file).unlink()

    def _remove_leftovers(self) -> None:
        """Delete, once stale, files that are provably leftovers of this store's crashed saves.

        Provably: a temporary file by the names our saves give them (`TEMPORARY_PATTERN`), or
        `<name>.<hash>.keras` whose `<name>.json` reads as valid metadata naming another file.
        Weights whose metadata is absent or unreadable are kept: it may be mid-copy or mid-edit.
        """
        cutoff = time.time() - STALE_SECONDS
        with contextlib.suppress(OSError), os.scandir(self.root) as entries:
            for entry in entries:
                weights = WEIGHTS_PATTERN.fullmatch(entry.name)
                if weights:
                    try:
                        if self.info(weights["name"]).file == entry.name:
                            continue
                    except ModelStoreError:
                        continue
                elif not TEMPORARY_PATTERN.fullmatch(entry.name):
                    continue
                with contextlib.suppress(OSError):
                    if (
                        entry.is_file(follow_symlinks=False)
                        and entry.stat(follow_symlinks=False).st_mtime < cutoff
                    ):
                        os.unlink(entry.path)


def _check_archive(path: Path) -> None:
    """Refuse what is not a zip archive, or one that would unpack to more than MAX_UNPACKED."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ModelLoadError(f"{path} is not a .keras file: {error}") from error
    if unpacked > MAX_UNPACKED:
        raise ModelLoadError(
            f"{path} would unpack to {unpacked / 1e6:,.0f} MB: refused (a zip bomb?)"
        )


def _use_weights(path: Path, name: str, use: Callable[[Path], T]) -> T:
    if not path.is_file():
        raise ModelLoadError(
            f"{path} is missing: the store lists {name!r} but has no weights; "
            "delete it and save it again"
        )
    return use(path)


def _load_keras(path: Path) -> keras.Model:
    import keras

    _check_archive(path)
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for corrupt or foreign files
        raise ModelLoadError(f"{path} cannot be loaded: {error}") from error


def _read_weights(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ModelLoadError(f"{path} cannot be read: {error}") from error


def _read_small(path: Path, limit: int) -> bytes:
    """A regular file's bytes, at most `limit`; OSError for others (a FIFO does not block)."""
    with open_regular(path) as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit:,} bytes")
    return data


def _fsync_and_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
        os.fsync(file.fileno())
    return digest.hexdigest()


def _fsync_directory(directory: Path) -> None:
    """Make renames in `directory` durable (no-op where directories can't be opened)."""
    with contextlib.suppress(OSError):
        handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write through a temporary file in the same folder, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.fchmod(handle, FILE_MODE)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    _fsync_directory(path.parent)


def one_of_each_architecture(
    infos: list[ModelInfo], chosen: ModelInfo | None, limit: int
) -> list[str]:
    """Up to `limit` model names to compare: `chosen` and the first model of each other
    architecture, simplest first (a perceptron, an MLP, a CNN: why convolutions exist)."""
    order = list(ARCHITECTURES)
    picked = {chosen.architecture: chosen.name} if chosen else {}
    for info in infos:
        picked.setdefault(info.architecture, info.name)
    ranked = sorted(
        picked.items(),
        key=lambda item: order.index(item[0]) if item[0] in order else len(order),
    )
    return [name for _, name in ranked][:limit]
