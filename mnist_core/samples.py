"""The user's own labelled drawings, kept in SQLite: what "Learn my handwriting" trains on; and
the class's answers: what the network said to every student's drawing, for the class board.

SQLite because it is in Python and safe for many writers: every call opens its own connection,
writes run in one transaction each (so a killed process loses at most the write in flight), and
WAL mode lets pages read while another session saves. A call waits at most `BUSY_SECONDS` for
another session's write, then says the database is busy. The schema is versioned with
`PRAGMA user_version` and migrated forward when the store opens.
"""

from __future__ import annotations

import contextlib
import io
import lzma
import os
import sqlite3
import stat
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_core.data import IMAGE_SHAPE, IMAGE_SIZE, NUM_CLASSES
from mnist_core.errors import SampleStoreBusyError, SampleStoreError
from mnist_core.files import npy_header, open_regular_file

SAMPLES_DB_VARIABLE = "DIGIT_STUDIO_SAMPLES_DB"
DEFAULT_SAMPLES_DB = Path("data", "handwriting.sqlite3")  # in the working directory, as models/
BUSY_SECONDS = 2  # the longest a call waits for another session's write: a page must not hang
MAX_SAMPLES = 60_000  # in one database: a class's handwriting, as many as MNIST's training set
MAX_ANSWERS = 60_000  # the class board's answers, bounded as the samples are
MAX_IMPORT = 10_000  # samples in one imported file: a handwriting set, not a dataset
MAX_IMPORT_BYTES = 64_000_000  # an imported file, and its arrays unpacked: 10,000 float64 images
MAX_IMPORT_ARRAYS = 8  # a samples file holds two, x and y

# Each step takes the schema from version i to i + 1; a store opened by a newer app is refused.
MIGRATIONS = (
    f"""CREATE TABLE samples (
        id INTEGER PRIMARY KEY,
        created REAL NOT NULL,
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
        predicted INTEGER CHECK (predicted BETWEEN 0 AND 9),
        model TEXT,
        image BLOB NOT NULL CHECK (length(image) = {IMAGE_SIZE**2}),
        drawing BLOB
    )""",
    """ALTER TABLE samples ADD COLUMN writer TEXT NOT NULL DEFAULT '';
    CREATE INDEX samples_by_writer ON samples (writer, label)""",
    f"""CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        session TEXT NOT NULL,
        drawing INTEGER NOT NULL,
        writer TEXT NOT NULL DEFAULT '',
        model TEXT,
        predicted INTEGER NOT NULL CHECK (predicted BETWEEN 0 AND 9),
        is_digit INTEGER NOT NULL CHECK (is_digit IN (0, 1)),
        confidence REAL NOT NULL,
        truth INTEGER CHECK (truth BETWEEN 0 AND 9),
        image BLOB NOT NULL CHECK (length(image) = {IMAGE_SIZE**2}),
        UNIQUE (session, drawing)
    );
    CREATE INDEX answers_by_updated ON answers (updated);
    CREATE TABLE class_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)""",
)
COLUMNS = "id, created, label, predicted, model, writer, image, drawing"
ANSWER_COLUMNS = (
    "id, created, updated, session, drawing, writer, model, predicted, is_digit, confidence, truth"
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


@dataclass(frozen=True)
class Answer:
    """What the network said to one drawing of a student's session, for the class board."""

    id: int
    created: float  # the first answer to this drawing, seconds since the epoch
    updated: float  # the latest answer to it
    session: str  # a random id of the browser session
    drawing: int  # which drawing of that session: the canvas number
    writer: str  # "" unless the student gave a name
    model: str | None
    predicted: int  # the network's digit; its best guess when it said "not a digit"
    is_digit: bool
    confidence: float
    truth: int | None  # what the student said it was, None until they say
    image: np.ndarray | None  # the 28x28 uint8 input; None when loaded without images


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

    def _refuse_special_file(self) -> None:
        """The path must be a regular file or absent: SQLite would hang opening a FIFO and
        write its journal beside a device (`/dev/null-journal`)."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return
        except OSError as error:
            raise SampleStoreError(
                f"cannot use {self.path} as the samples database: {error.strerror}"
            ) from error
        if not stat.S_ISREG(mode):
            raise SampleStoreError(
                f"{self.path} is not a regular file; point {SAMPLES_DB_VARIABLE} at a database file"
            )

    def _check_file(self) -> None:
        """Refuse a file that is not a sound SQLite database before anything writes to it: it
        is never overwritten. Read through SQLite, never `open()`: closing another handle on
        the file would drop the POSIX locks of this process's connections and let two writers
        corrupt it."""
        self._refuse_special_file()
        if not self.path.exists():
            return
        uri = self.path.absolute().as_uri() + "?mode=ro"  # as_uri escapes '?', '#' and '%'
        try:
            with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS)) as db:
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
                version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as error:
            if _result_code(error) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise self._busy() from error
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
        self._refuse_special_file()
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
        except sqlite3.Error as error:
            raise self._database_error(error) from error
        finally:
            db.close()

    def _busy(self) -> SampleStoreBusyError:
        return SampleStoreBusyError(
            f"the samples database {self.path} is busy: another session is writing to it; "
            "try again in a moment"
        )

    def _database_error(self, error: sqlite3.Error) -> SampleStoreError:
        """Ours for SQLite's: busy is worth a retry, only a damaged file needs moving away."""
        code = _result_code(error)
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return self._busy()
        if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            return SampleStoreError(
                f"the samples database {self.path} is damaged ({error}); "
                f"move it away or point {SAMPLES_DB_VARIABLE} elsewhere"
            )
        if code == sqlite3.SQLITE_CONSTRAINT:
            return SampleStoreError(f"the samples database {self.path} refused it: {error}")
        return SampleStoreError(f"cannot use the samples database {self.path}: {error}")

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = _user_version(db)
        if version < len(MIGRATIONS):  # else no write lock to wait for: other writers go on
            with _transaction(db):  # one session migrates; the others wait, then see it done
                version = _user_version(db)
                for number in range(version, len(MIGRATIONS)):
                    for statement in MIGRATIONS[number].split(";"):
                        db.execute(statement)
                    db.execute(f"PRAGMA user_version = {number + 1}")
        if version > len(MIGRATIONS):
            raise SampleStoreError(
                f"{self.path} was written by a newer Digit Studio (schema {version})"
            )

    @property
    def schema_version(self) -> int:
        with self._connect() as db:
            return _user_version(db)

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
        predicted = None if predicted is None else _as_label(predicted)
        now = time.time()
        rows = [
            (now, label, predicted, model, writer.strip()[:64], image.tobytes(), drawing_png)
            for image, label in zip(pixels, labels, strict=True)
        ]
        with self._connect() as db, _transaction(db):
            held = db.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
            if held + len(rows) > MAX_SAMPLES:
                raise SampleStoreError(
                    f"the samples database holds {held:,} drawings and keeps at most "
                    f"{MAX_SAMPLES:,}: no room for {len(rows):,} more; export them and "
                    f"point {SAMPLES_DB_VARIABLE} at a new file"
                )
            return [
                _inserted_id(
                    db.execute(
                        "INSERT INTO samples (created, label, predicted, model, writer, image,"
                        " drawing) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        row,
                    )
                )
                for row in rows
            ]

    def restore(self, sample: Sample) -> int:
        """Put a deleted sample back as it was, under its old id unless that has been reused."""
        with self._connect() as db, _transaction(db):
            taken = db.execute("SELECT 1 FROM samples WHERE id = ?", (sample.id,)).fetchone()
            return _inserted_id(
                db.execute(
                    f"INSERT INTO samples ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        None if taken else sample.id,
                        sample.created,
                        _as_label(sample.label),
                        None if sample.predicted is None else _as_label(sample.predicted),
                        sample.model,
                        sample.writer,
                        _as_pixels(sample.image).tobytes(),
                        sample.drawing_png,
                    ),
                )
            )

    def samples(self, writer: str | None = None) -> list[Sample]:
        """Every sample, oldest first; only `writer`'s when given."""
        where, arguments = _only(writer)
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {COLUMNS} FROM samples{where} ORDER BY id", arguments
            ).fetchall()
        return [_sample(row) for row in rows]

    def newest(self, writer: str | None = None, count: int = 50, skip: int = 0) -> list[Sample]:
        """Up to `count` samples, newest first, after the `skip` newest: a page of the gallery."""
        where, arguments = _only(writer)
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {COLUMNS} FROM samples{where} ORDER BY id DESC LIMIT ? OFFSET ?",
                (*arguments, max(0, int(count)), max(0, int(skip))),
            ).fetchall()
        return [_sample(row) for row in rows]

    def arrays(self, writer: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(N, 28, 28) uint8 images and (N,) labels, ready to train on."""
        where, arguments = _only(writer)
        with self._connect() as db:
            rows = db.execute(
                f"SELECT label, image FROM samples{where} ORDER BY id", arguments
            ).fetchall()
        pixels = np.frombuffer(b"".join(row[1] for row in rows), np.uint8)
        return pixels.reshape(-1, *IMAGE_SHAPE).copy(), np.array([row[0] for row in rows], np.uint8)

    def counts(self, writer: str | None = None) -> np.ndarray:
        """How many samples of each digit, as a (10,) array."""
        where, arguments = _only(writer)
        with self._connect() as db:
            rows = db.execute(
                f"SELECT label, COUNT(*) FROM samples{where} GROUP BY label", arguments
            ).fetchall()
        counts = np.zeros(NUM_CLASSES, np.int64)
        for label, count in rows:
            counts[label] = count
        return counts

    def writers(self) -> list[str]:
        with self._connect() as db:
            return [row[0] for row in db.execute("SELECT DISTINCT writer FROM samples ORDER BY 1")]

    def delete(self, sample_id: int) -> Sample | None:
        """Remove one sample; returns it, for `restore`, or None if it was already gone."""
        with self._connect() as db, _transaction(db):
            row = db.execute(
                f"SELECT {COLUMNS} FROM samples WHERE id = ?", (int(sample_id),)
            ).fetchone()
            db.execute("DELETE FROM samples WHERE id = ?", (int(sample_id),))
        return None if row is None else _sample(row)

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

    def record_answer(
        self,
        session: str,
        drawing: int,
        image: np.ndarray,
        predicted: int,
        is_digit: bool,
        confidence: float,
        model: str | None = None,
        writer: str = "",
    ) -> int:
        """Keep the network's answer to a drawing; returns its id. A later answer to the same
        drawing replaces it, keeping when it was first answered and what the student said."""
        pixels = _as_pixels(image)
        if pixels.shape != IMAGE_SHAPE:
            raise SampleStoreError(f"an answer's image must be 28x28, not {pixels.shape}")
        confidence = float(confidence)
        if not 0 <= confidence <= 1:  # also refuses NaN
            raise SampleStoreError(f"confidence {confidence} is not a probability 0-1")
        key = (str(session), int(drawing))
        now = time.time()
        row = (
            *key,
            now,
            now,
            writer.strip()[:64],
            model,
            _as_label(predicted),
            int(bool(is_digit)),
            confidence,
            pixels.tobytes(),
        )
        with self._connect() as db, _transaction(db):
            held, replacing = db.execute(
                "SELECT COUNT(*), EXISTS (SELECT 1 FROM answers WHERE session = ? AND drawing = ?)"
                " FROM answers",
                key,
            ).fetchone()
            if held >= MAX_ANSWERS and not replacing:
                raise SampleStoreError(
                    f"the class board holds {held:,} answers and keeps at most {MAX_ANSWERS:,}; "
                    "export them and clear the class to make room"
                )
            rows = db.execute(
                "INSERT INTO answers (session, drawing, created, updated, writer, model,"
                " predicted, is_digit, confidence, image) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (session, drawing) DO UPDATE SET updated = excluded.updated,"
                " writer = excluded.writer, model = excluded.model,"
                " predicted = excluded.predicted, is_digit = excluded.is_digit,"
                " confidence = excluded.confidence, image = excluded.image"
                " RETURNING id",
                row,
            ).fetchall()  # all, not one: the statement must be finished before COMMIT
            return rows[0][0]

    def set_truth(self, session: str, drawing: int, truth: int) -> bool:
        """Keep what the student said the drawing was; False when it has no answer."""
        with self._connect() as db, _transaction(db):
            cursor = db.execute(
                "UPDATE answers SET truth = ? WHERE session = ? AND drawing = ?",
                (_as_label(truth), str(session), int(drawing)),
            )
            return cursor.rowcount > 0

    def class_answers(self, with_images: int | None = 24) -> list[Answer]:
        """Every answer, newest first, with the images of the `with_images` newest only (None:
        all). One query, so a whole board refresh reads one consistent snapshot."""
        limit = None if with_images is None else max(0, int(with_images))
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {ANSWER_COLUMNS}, CASE WHEN ?1 IS NULL"
                " OR ROW_NUMBER() OVER (ORDER BY updated DESC, id DESC) <= ?1 THEN image END"
                " FROM answers ORDER BY updated DESC, id DESC",
                (limit,),
            ).fetchall()
        return [_answer(row) for row in rows]

    def clear_answers(self) -> int:
        """Delete every answer on the class board; returns how many there were."""
        with self._connect() as db, _transaction(db):
            return db.execute("DELETE FROM answers").rowcount

    def class_setting(self, name: str, default: str = "") -> str:
        """A setting the teacher chose for the class board, `default` when never set."""
        with self._connect() as db:
            row = db.execute("SELECT value FROM class_settings WHERE name = ?", (name,)).fetchone()
        return default if row is None else row[0]

    def set_class_setting(self, name: str, value: str) -> None:
        """Keep a class board setting for every session: the last value set wins."""
        with self._connect() as db, _transaction(db):
            db.execute(
                "INSERT INTO class_settings (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction. On an error it is rolled back, and the error is what is raised."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # SQLite rolls back by itself after some errors (full disk, I/O)
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        raise


def _result_code(error: sqlite3.Error) -> int:
    """SQLite's primary result code (SQLITE_BUSY, ...) of an error; 0 when it carries none."""
    return (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF


def _user_version(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def _only(writer: str | None) -> tuple[str, tuple]:
    """The WHERE clause that keeps `writer`'s samples, or every sample for None."""
    return ("", ()) if writer is None else (" WHERE writer = ?", (writer,))


def _sample(row: tuple) -> Sample:
    return Sample(
        id=row[0],
        created=row[1],
        label=row[2],
        predicted=row[3],
        model=row[4],
        writer=row[5],
        image=np.frombuffer(row[6], np.uint8).reshape(IMAGE_SHAPE),
        drawing_png=row[7],
    )


def _answer(row: tuple) -> Answer:
    """An Answer from a row of ANSWER_COLUMNS and the image, or NULL for none."""
    return Answer(
        id=row[0],
        created=row[1],
        updated=row[2],
        session=row[3],
        drawing=row[4],
        writer=row[5],
        model=row[6],
        predicted=row[7],
        is_digit=bool(row[8]),
        confidence=row[9],
        truth=row[10],
        image=None if row[11] is None else np.frombuffer(row[11], np.uint8).reshape(IMAGE_SHAPE),
    )


def drawing_png(rgba: np.ndarray) -> bytes:
    """The canvas as drawn, as PNG bytes: kept with a sample to see what was really drawn."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(rgba, np.uint8)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def read_samples_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a samples file to import: only a regular file of a samples file's size."""
    with open_regular_file(path, SampleStoreError) as file:
        if os.fstat(file.fileno()).st_size > MAX_IMPORT_BYTES:
            raise SampleStoreError(_too_large(os.fspath(path)))
        try:
            return file.read(MAX_IMPORT_BYTES + 1)
        except OSError as error:
            raise SampleStoreError(f"cannot read {os.fspath(path)}: {error.strerror}") from error


def read_samples_npz(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """x and y from a samples `.npz`, checked: SampleStoreError says what is wrong.

    Sizes are checked from the zip directory and the array headers before anything is unpacked.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise SampleStoreError(_too_large("the file"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_IMPORT_ARRAYS:
                raise SampleStoreError(
                    f"the file holds {len(entries)} arrays; a samples file holds two, x and y"
                )
            if sum(entry.file_size for entry in entries) > MAX_IMPORT_BYTES:
                raise SampleStoreError(_too_large("the file unpacked"))
            if sum(_claimed_bytes(archive, entry) for entry in entries) > MAX_IMPORT_BYTES:
                raise SampleStoreError(_too_large("the file's arrays"))
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            if "x" not in archive or "y" not in archive:
                raise SampleStoreError("the file needs two arrays: x (images) and y (labels)")
            images, labels = archive["x"], archive["y"]
    # What a damaged zip or compressed stream raises: zlib, bz2 (OSError) and lzma errors,
    # a bad CRC, an unsupported method (NotImplementedError) or an encrypted member.
    except (
        OSError,
        ValueError,
        EOFError,
        RuntimeError,
        zipfile.BadZipFile,
        zlib.error,
        lzma.LZMAError,
    ) as error:
        raise SampleStoreError(f"not a samples .npz file: {error}") from error
    except MemoryError as error:  # a header claiming a huge shape in a small file
        raise SampleStoreError(_too_large("the file's arrays")) from error
    if not isinstance(images, np.ndarray) or not isinstance(labels, np.ndarray):
        raise SampleStoreError("x and y must be numpy arrays (.npy members of the .npz)")
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise SampleStoreError(f"x must hold 28x28 images, not an array of shape {images.shape}")
    if labels.shape != (len(images),):
        raise SampleStoreError(f"y must hold one label per image: {labels.shape} for {len(images)}")
    if len(images) > MAX_IMPORT:
        raise SampleStoreError(f"{len(images):,} samples: at most {MAX_IMPORT:,} in one file")
    return _as_pixels(images), np.array([_as_label(label) for label in labels], np.uint8)


def _too_large(what: str) -> str:
    return f"{what} is too large for a samples file (at most {MAX_IMPORT_BYTES // 1_000_000} MB)"


def _claimed_bytes(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> int:
    """The size an array's header claims, read before numpy allocates it."""
    if not entry.filename.endswith(".npy"):
        return 0
    with archive.open(entry) as member:
        shape, _, dtype = npy_header(member)
    return int(np.prod(shape, dtype=np.float64) * dtype.itemsize)


def _as_pixels(images: np.ndarray) -> np.ndarray:
    """uint8 0-255 images from uint8 or from floats in [0, 1] (what `to_mnist` gives)."""
    array = np.asarray(images)
    if array.shape[-2:] != IMAGE_SHAPE:
        raise SampleStoreError(f"a sample must be a 28x28 image, not {array.shape}")
    if array.dtype == np.uint8:
        return array
    if not np.issubdtype(array.dtype, np.floating) or not np.isfinite(array).all():
        raise SampleStoreError("images must be uint8 or floats in [0, 1]")
    if array.size and (array.min() < 0 or array.max() > 1):
        raise SampleStoreError("float images must lie in [0, 1]")
    return np.round(array * 255).astype(np.uint8)


def _inserted_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row the INSERT just run on `cursor` added."""
    if cursor.lastrowid is None:  # SQLite sets it on every INSERT; None only after other statements
        raise SampleStoreError("the samples database added no row")
    return cursor.lastrowid


def _as_label(label: object) -> int:
    shown = label.item() if isinstance(label, np.generic) else label  # 12, not np.int64(12)
    try:
        value = int(label)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError) as error:
        raise SampleStoreError(f"label {shown!r} is not a digit") from error
    if not 0 <= value <= 9 or value != label:
        raise SampleStoreError(f"label {shown!r} is not a digit 0-9")
    return value
