"""The user's own labelled drawings, kept in SQLite: what "Learn my handwriting" trains on.

SQLite because it is in Python and safe for many writers: every call opens its own connection,
writes run in one transaction each (so a killed process loses at most the write in flight), and
WAL mode lets pages read while another session saves. The schema is versioned with
`PRAGMA user_version` and migrated forward when the store opens.
"""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_core.errors import SampleStoreError

SAMPLES_DB_VARIABLE = "DIGIT_STUDIO_SAMPLES_DB"
DEFAULT_SAMPLES_DB = Path(__file__).resolve().parent.parent / "data" / "handwriting.sqlite3"
BUSY_SECONDS = 30  # a writer waits this long for another session's write before giving up
MAX_IMPORT = 100_000  # samples in one imported file: a handwriting set, not a dataset
MAX_IMPORT_BYTES = 200_000_000  # unpacked size of an imported file's arrays

# Each step takes the schema from version i to i + 1; a store opened by a newer app is refused.
MIGRATIONS = (
    """CREATE TABLE samples (
        id INTEGER PRIMARY KEY,
        created REAL NOT NULL,
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
        predicted INTEGER CHECK (predicted BETWEEN 0 AND 9),
        model TEXT,
        image BLOB NOT NULL CHECK (length(image) = 784),
        drawing BLOB
    )""",
    """ALTER TABLE samples ADD COLUMN writer TEXT NOT NULL DEFAULT '';
    CREATE INDEX samples_by_writer ON samples (writer, label)""",
)


@dataclass(frozen=True)
class Sample:
    """One labelled drawing. `image` is the 28x28 input the model saw, uint8 0-255."""

    id: int
    created: float  # seconds since the epoch
    label: int
    predicted: int | None  # what the model said, None for an imported sample
    model: str | None
    writer: str
    image: np.ndarray
    drawing_png: bytes | None  # the canvas as drawn


def samples_db_path() -> Path:
    """Where the samples live: $DIGIT_STUDIO_SAMPLES_DB, else data/handwriting.sqlite3."""
    return Path(os.environ.get(SAMPLES_DB_VARIABLE) or DEFAULT_SAMPLES_DB)


class SampleStore:
    """The samples database at `path` (default: $DIGIT_STUDIO_SAMPLES_DB, else data/)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else samples_db_path()
        self._check_file()
        with self._connect() as db:
            self._migrate(db)

    def _check_file(self) -> None:
        """Refuse a file that is not a sound SQLite database before anything writes to it: it
        is never overwritten. Read through SQLite, never `open()`: closing another handle on
        the file would drop the POSIX locks of this process's connections and let two writers
        corrupt it."""
        if not self.path.exists():
            return
        uri = self.path.absolute().as_uri() + "?mode=ro"  # as_uri escapes '?', '#' and '%'
        try:
            with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS)) as db:
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
                version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise SampleStoreError(
                f"{self.path} is not a usable samples database ({error}); "
                f"move it away or point {SAMPLES_DB_VARIABLE} elsewhere"
            ) from error
        if tables and "samples" not in tables and version == 0:
            raise SampleStoreError(
                f"{self.path} is another program's database; "
                f"point {SAMPLES_DB_VARIABLE} at a file of its own"
            )

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise SampleStoreError(
                f"cannot open the samples database {self.path}: {error}"
            ) from error
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL stays consistent; a power cut may lose only the last writes.
            db.execute("PRAGMA synchronous=NORMAL")
            yield db
        except sqlite3.DatabaseError as error:
            raise SampleStoreError(
                f"the samples database {self.path} is damaged: {error}"
            ) from error
        finally:
            db.close()

    def _migrate(self, db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")  # one session migrates; the others wait, then see it done
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise SampleStoreError(
                    f"{self.path} was written by a newer Digit Studio (schema {version})"
                )
            for number in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[number].split(";"):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        with self._connect() as db:
            return db.execute("PRAGMA user_version").fetchone()[0]

    def add(
        self,
        image: np.ndarray,
        label: int,
        predicted: int | None = None,
        model: str | None = None,
        writer: str = "",
        drawing_png: bytes | None = None,
    ) -> int:
        """Store one labelled drawing; returns its id."""
        return self.add_many(
            _as_pixels(image)[np.newaxis], [label], predicted, model, writer, drawing_png
        )[0]

    def add_many(
        self,
        images: np.ndarray,
        labels: list[int] | np.ndarray,
        predicted: int | None = None,
        model: str | None = None,
        writer: str = "",
        drawing_png: bytes | None = None,
    ) -> list[int]:
        """Store several samples in one transaction: all of them or, on any error, none."""
        pixels = _as_pixels(images)
        labels = [_as_label(label) for label in labels]
        if len(labels) != len(pixels):
            raise SampleStoreError(f"{len(pixels)} images but {len(labels)} labels")
        now = time.time()
        rows = [
            (now, label, predicted, model, writer.strip()[:64], image.tobytes(), drawing_png)
            for image, label in zip(pixels, labels, strict=True)
        ]
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                ids = [
                    db.execute(
                        "INSERT INTO samples (created, label, predicted, model, writer, image,"
                        " drawing) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        row,
                    ).lastrowid
                    for row in rows
                ]
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return [int(row_id) for row_id in ids]

    def samples(self, writer: str | None = None) -> list[Sample]:
        """Every sample, oldest first; only `writer`'s when given."""
        query = "SELECT id, created, label, predicted, model, writer, image, drawing FROM samples"
        arguments: tuple = ()
        if writer is not None:
            query += " WHERE writer = ?"
            arguments = (writer,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id", arguments).fetchall()
        return [
            Sample(
                id=row[0],
                created=row[1],
                label=row[2],
                predicted=row[3],
                model=row[4],
                writer=row[5],
                image=np.frombuffer(row[6], np.uint8).reshape(28, 28),
                drawing_png=row[7],
            )
            for row in rows
        ]

    def arrays(self, writer: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(N, 28, 28) uint8 images and (N,) labels, ready to train on."""
        found = self.samples(writer)
        images = np.stack([s.image for s in found]) if found else np.zeros((0, 28, 28), np.uint8)
        return images, np.array([s.label for s in found], np.uint8)

    def counts(self, writer: str | None = None) -> np.ndarray:
        """How many samples of each digit, as a (10,) array."""
        query, arguments = "SELECT label, COUNT(*) FROM samples", ()
        if writer is not None:
            query, arguments = query + " WHERE writer = ?", (writer,)
        with self._connect() as db:
            rows = db.execute(query + " GROUP BY label", arguments).fetchall()
        counts = np.zeros(10, np.int64)
        for label, count in rows:
            counts[label] = count
        return counts

    def writers(self) -> list[str]:
        with self._connect() as db:
            return [row[0] for row in db.execute("SELECT DISTINCT writer FROM samples ORDER BY 1")]

    def delete(self, sample_id: int) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM samples WHERE id = ?", (int(sample_id),))

    def export_npz(self, writer: str | None = None) -> bytes:
        """The samples as a `.npz` file's bytes: x (N, 28, 28) uint8, y (N,) uint8."""
        images, labels = self.arrays(writer)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, x=images, y=labels)
        return buffer.getvalue()

    def import_npz(self, data: bytes, writer: str = "") -> int:
        """Add the samples of a `.npz` file (as `export_npz` writes); returns how many.

        The file is checked whole before anything is stored: a bad one adds nothing.
        """
        images, labels = read_samples_npz(data)
        self.add_many(images, labels, writer=writer)
        return len(labels)


def drawing_png(rgba: np.ndarray) -> bytes:
    """The canvas as drawn, as PNG bytes: kept with a sample to see what was really drawn."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(rgba, np.uint8)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def read_samples_npz(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """x and y from a samples `.npz`, checked: SampleStoreError says what is wrong."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(entry.file_size for entry in archive.infolist()) > MAX_IMPORT_BYTES:
                raise SampleStoreError("the file unpacks to more than a samples set can hold")
            if (
                sum(_claimed_bytes(archive, entry) for entry in archive.infolist())
                > MAX_IMPORT_BYTES
            ):
                raise SampleStoreError("the file's arrays are too large for a samples set")
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            if "x" not in archive or "y" not in archive:
                raise SampleStoreError("the file needs two arrays: x (images) and y (labels)")
            images, labels = archive["x"], archive["y"]
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise SampleStoreError(f"not a samples .npz file: {error}") from error
    except MemoryError as error:  # a header claiming a huge shape in a small file
        raise SampleStoreError("the file's arrays are too large for a samples set") from error
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise SampleStoreError(f"x must hold 28x28 images, not an array of shape {images.shape}")
    if labels.shape != (len(images),):
        raise SampleStoreError(f"y must hold one label per image: {labels.shape} for {len(images)}")
    if len(images) > MAX_IMPORT:
        raise SampleStoreError(f"{len(images)} samples: at most {MAX_IMPORT} in one file")
    return _as_pixels(images), np.array([_as_label(label) for label in labels], np.uint8)


def _claimed_bytes(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> int:
    """The size an array's header claims, read before numpy allocates it."""
    if not entry.filename.endswith(".npy"):
        return 0
    with archive.open(entry) as member:
        version = np.lib.format.read_magic(member)
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, _, dtype = read_header(member)
    return int(np.prod(shape, dtype=np.float64) * dtype.itemsize)


def _as_pixels(images: np.ndarray) -> np.ndarray:
    """uint8 0-255 images from uint8 or from floats in [0, 1] (what `to_mnist` gives)."""
    array = np.asarray(images)
    if array.shape[-2:] != (28, 28):
        raise SampleStoreError(f"a sample must be a 28x28 image, not {array.shape}")
    if array.dtype == np.uint8:
        return array
    if not np.issubdtype(array.dtype, np.floating) or not np.isfinite(array).all():
        raise SampleStoreError("images must be uint8 or floats in [0, 1]")
    if array.size and (array.min() < 0 or array.max() > 1):
        raise SampleStoreError("float images must lie in [0, 1]")
    return np.round(array * 255).astype(np.uint8)


def _as_label(label: object) -> int:
    try:
        value = int(label)  # type: ignore[call-overload]
    except (TypeError, ValueError) as error:
        raise SampleStoreError(f"label {label!r} is not a digit") from error
    if not 0 <= value <= 9 or value != label:
        raise SampleStoreError(f"label {label!r} is not a digit 0-9")
    return value
