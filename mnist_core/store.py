"""The model store: `.keras` files and JSON metadata in one folder, crash-safe writes.

Each model is `<name>.json` (its metadata, naming its weights file) and `<name>.<hash>.keras`.
The JSON is the commit point: a save writes the new `.keras` file beside the old one, then
atomically replaces the JSON, then removes the old file. A crash at any moment leaves either the
old model or the new one whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mnist_core.errors import (
    InvalidModelNameError,
    ModelLoadError,
    ModelNotFoundError,
    ModelStoreError,
)

if TYPE_CHECKING:
    import keras

MODELS_DIR_VARIABLE = "MNIST_MODELS_DIR"
DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_FILE = "default.txt"
MAX_UNPACKED = 200_000_000  # bytes; our largest model, cnn-classic, unpacks to about 13 MB
FILE_MODE = 0o644  # mkstemp's 0600 would hide models from other users of a shared server
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# Leftovers of a crashed save older than this are removed; younger ones may be a save in flight.
STALE_SECONDS = 600


@dataclass(frozen=True)
class ModelInfo:
    """What the store knows about a model, shown by the Models page and `mnist-core models`."""

    name: str
    architecture: str
    parameters: int
    hyperparameters: dict[str, Any]
    train_size: int
    validation_size: int
    epochs_run: int
    training_seconds: float
    test_accuracy: float | None
    test_loss: float | None = None
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    tensorflow_version: str = ""
    keras_version: str = ""
    file: str = ""  # the .keras file in the store, set on save

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
            data = json.loads(path.read_text(encoding="utf-8"))
            info = ModelInfo.from_json(data)
        except FileNotFoundError as error:
            raise ModelNotFoundError(f"no model named {name!r} in {self.root}") from error
        except (OSError, ValueError, TypeError, AttributeError) as error:
            raise ModelLoadError(f"{path} is not valid model metadata: {error}") from error
        if info.name != name or not info.file or Path(info.file).name != info.file:
            raise ModelLoadError(f"{path} does not describe a model named {name!r}")
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
        with contextlib.suppress(OSError):
            marked = (self.root / DEFAULT_FILE).read_text(encoding="utf-8").strip()
            if marked in self._names():
                return marked
        infos = self.list_models()
        if not infos:
            return None
        return max(infos, key=lambda info: info.test_accuracy or 0.0).name

    def set_default(self, name: str) -> None:
        self.info(name)
        _atomic_write(self.root / DEFAULT_FILE, lambda file: file.write(name.encode()))

    def weights_path(self, name: str) -> Path:
        """The model's `.keras` file, for downloading."""
        return self.root / self.info(name).file

    def load(self, name: str | None = None) -> tuple[keras.Model, ModelInfo]:
        """The model (safe mode, not compiled) and its metadata; None loads the default."""
        import keras

        if name is None:
            name = self.default_name()
            if name is None:
                raise ModelNotFoundError(f"no models in {self.root}: train one first")
        info = self.info(name)
        path = self.root / info.file
        if not path.is_file():
            raise ModelLoadError(f"{path} is missing: the store lists {name!r} but has no weights")
        _check_archive(path)
        try:
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
        except Exception as error:  # Keras raises many types for corrupt or foreign files
            raise ModelLoadError(f"{path} cannot be loaded: {error}") from error
        if tuple(model.input_shape) != (None, 28, 28, 1) or tuple(model.output_shape) != (None, 10):
            raise ModelLoadError(
                f"{path} is not an MNIST classifier: it maps {model.input_shape} "
                f"to {model.output_shape}, not (28, 28, 1) images to 10 classes"
            )
        return model, info

    def save(self, name: str, model: keras.Model | Path, info: ModelInfo) -> ModelInfo:
        """Store `model`, or a `.keras` file, under `name` (replacing that name's), atomically."""
        validate_name(name)
        self.root.mkdir(parents=True, exist_ok=True)
        self._remove_leftovers()
        previous = None
        with contextlib.suppress(ModelStoreError):
            previous = self.info(name).file

        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".keras")
        os.fchmod(handle, FILE_MODE)
        os.close(handle)
        try:
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
            with contextlib.suppress(FileNotFoundError):
                (self.root / previous).unlink()
        return saved

    def delete(self, name: str) -> None:
        info = self.info(name)
        self._metadata_path(name).unlink()
        _fsync_directory(self.root)
        with contextlib.suppress(FileNotFoundError):
            (self.root / info.file).unlink()

    def _remove_leftovers(self) -> None:
        """Delete temporary and unreferenced weights files that a crashed save left behind."""
        referenced = set()
        for name in self._names():
            with contextlib.suppress(ModelStoreError):
                referenced.add(self.info(name).file)
        cutoff = time.time() - STALE_SECONDS
        for path in [*self.root.glob(".tmp-*"), *self.root.glob("*.keras")]:
            with contextlib.suppress(FileNotFoundError):
                if path.name not in referenced and path.stat().st_mtime < cutoff:
                    path.unlink()


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
