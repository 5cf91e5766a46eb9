from __future__ import annotations

import concurrent.futures
import contextlib
import io
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import psycopg
import pytest

from mnist_core import samples as samples_module
from mnist_core.errors import SampleStoreBusyError, SampleStoreError
from mnist_core.samples import (
    DATABASE_URL_VARIABLE,
    MIGRATIONS,
    SAMPLES_DB_VARIABLE,
    SCHEMA_TABLE,
    WRITE_LOCK,
    SampleStore,
    open_sample_store,
    read_samples_file,
    read_samples_npz,
    samples_database,
)


def digit(value: int = 1) -> np.ndarray:
    image = np.zeros((28, 28), np.uint8)
    image[4:24, 13:15] = 255 // max(1, value)
    return image


def test_a_new_store_has_the_latest_schema_in_wal_mode(tmp_path):
    store = SampleStore(tmp_path / "deep" / "samples.sqlite3")
    assert store.schema_version == len(MIGRATIONS)
    with contextlib.closing(sqlite3.connect(store.path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_path_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(SAMPLES_DB_VARIABLE, str(tmp_path / "from-env.sqlite3"))
    assert SampleStore().path == tmp_path / "from-env.sqlite3"
    assert (tmp_path / "from-env.sqlite3").exists()


def test_without_the_variable_the_path_is_in_the_working_directory(tmp_path, monkeypatch):
    """Not beside the package, which a non-editable install puts in site-packages."""
    monkeypatch.delenv(SAMPLES_DB_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    store = SampleStore()
    assert store.path.resolve() == tmp_path / "data" / "handwriting.sqlite3"
    assert store.path.exists()


def test_an_old_store_is_migrated_and_keeps_its_samples(tmp_path):
    path = tmp_path / "v1.sqlite3"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute(MIGRATIONS[0])
        db.execute(
            "INSERT INTO samples (created, label, predicted, model, image)"
            " VALUES (1, 7, 1, 'm', ?)",
            (digit().tobytes(),),
        )
        db.execute("PRAGMA user_version = 1")
    store = SampleStore(path)
    assert store.schema_version == len(MIGRATIONS)
    (sample,) = store.samples()
    assert (sample.label, sample.predicted, sample.model, sample.writer) == (7, 1, "m", "")
    assert np.array_equal(sample.image, digit())


def test_a_store_from_a_newer_app_is_refused(tmp_path):
    path = tmp_path / "future.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(SampleStoreError, match="newer"):
        SampleStore(path)


def test_samples_round_trip(samples):
    store = samples
    first = store.add(digit(), 1, predicted=7, model="cnn-default", writer="ada", drawing_png=b"P")
    store.add(np.full((28, 28), 0.5, np.float32), 3, writer="bob")
    store.add(digit(2), 1, writer="ada")
    assert store.counts().tolist() == [0, 2, 0, 1, 0, 0, 0, 0, 0, 0]
    assert store.counts("ada").tolist()[1] == 2 and store.writers() == ["ada", "bob"]
    sample = store.samples()[0]
    assert (sample.id, sample.label, sample.predicted, sample.writer) == (first, 1, 7, "ada")
    assert sample.drawing_png == b"P" and np.array_equal(sample.image, digit())
    assert store.samples("bob")[0].image[0, 0] == 128
    images, labels = store.arrays()
    assert images.shape == (3, 28, 28) and labels.tolist() == [1, 3, 1]
    store.delete(first)
    assert [s.label for s in store.samples()] == [3, 1]


@pytest.mark.parametrize(
    ("image", "label"),
    [
        (digit(), 10),
        (digit(), -1),
        (digit(), 2.5),
        (np.zeros((28, 27)), 1),
        (np.full((28, 28), 2.0), 1),
    ],
)
def test_bad_samples_are_refused_and_nothing_is_stored(samples, image, label):
    with pytest.raises(SampleStoreError):
        samples.add(image, label)
    assert samples.counts().sum() == 0


def test_concurrent_writers_lose_nothing(sample_database):
    open_sample_store(sample_database)
    ids: list[int] = []
    errors: list[Exception] = []

    def writer(name: str) -> None:
        try:
            store = open_sample_store(sample_database)  # each session opens its own
            for index in range(40):
                ids.append(store.add(digit(), index % 10, writer=name))
        except Exception as error:  # collected: the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = open_sample_store(sample_database)
    assert len(set(ids)) == 320 and store.counts().sum() == 320
    assert all(store.counts(f"w{n}").sum() == 40 for n in range(8))


WRITER = """
import sys
import numpy as np
from mnist_core.samples import open_sample_store
store = open_sample_store(sys.argv[1])
image = np.full((28, 28), 200, np.uint8)
while True:
    store.add_many(np.stack([image] * 5), [1, 2, 3, 4, 5], writer="killed")
    print(5, flush=True)
"""


def test_a_writer_killed_mid_write_leaves_every_committed_sample(sample_database):
    rng = np.random.default_rng(0)
    committed = 0
    for _ in range(5):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, sample_database], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout.readline().strip() == "5"  # running and writing
        time.sleep(rng.uniform(0.05, 0.5))
        os.kill(writer.pid, signal.SIGKILL)
        reported = 5 + sum(int(line) for line in writer.stdout)
        writer.wait()
        store = open_sample_store(sample_database)
        total = int(store.counts().sum())
        # Every reported batch is there, and at most the one in flight besides; whole batches only.
        assert committed + reported <= total <= committed + reported + 5
        assert total % 5 == 0
        committed = total
        if store.path is not None:
            with contextlib.closing(sqlite3.connect(store.path)) as db:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert all(s.image.shape == (28, 28) and s.image[0, 0] == 200 for s in store.samples())


@pytest.mark.parametrize(
    "content",
    [b"not a database, just some text\n" * 10, b"SQLite format 3\x00" + b"\xff" * 5000],
    ids=["text", "damaged"],
)
def test_a_file_that_is_not_a_good_database_is_refused_and_left_alone(tmp_path, content):
    path = tmp_path / "samples.sqlite3"
    path.write_bytes(content)
    with pytest.raises(SampleStoreError, match=str(path)):
        SampleStore(path)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["samples.sqlite3"]


def test_export_and_import(samples, tmp_path):
    source = samples
    source.add(digit(), 4)
    source.add(digit(3), 9)
    data = source.export_npz()
    target = SampleStore(tmp_path / "b.sqlite3")
    assert target.import_npz(data, writer="imported") == 2
    images, labels = target.arrays("imported")
    assert labels.tolist() == [4, 9] and np.array_equal(images[1], digit(3))


def npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"random bytes", "not a samples .npz"),
        (npz(x=np.zeros((2, 28, 28), np.uint8)), "two arrays"),
        (npz(x=np.zeros((2, 28, 27), np.uint8), y=np.zeros(2)), "28x28"),
        (npz(x=np.zeros((2, 28, 28), np.uint8), y=np.zeros(3)), "one label per image"),
        (npz(x=np.zeros((2, 28, 28), np.uint8), y=np.array([1, 12])), "0-9"),
        (npz(x=np.array([None, None], dtype=object), y=np.zeros(2)), "not a samples .npz"),
    ],
)
def test_a_bad_import_adds_nothing(samples, data, message):
    with pytest.raises(SampleStoreError, match=message):
        samples.import_npz(data)
    assert samples.counts().sum() == 0


def test_another_programs_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "theirs.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE t (x)")
        db.commit()
    content = path.read_bytes()
    with pytest.raises(SampleStoreError, match="another program"):
        SampleStore(path)
    assert path.read_bytes() == content


def test_a_path_with_uri_characters_is_checked_as_itself(tmp_path):
    path = tmp_path / "a#b?c%d.sqlite3"
    path.write_text("not a database")
    with pytest.raises(SampleStoreError, match="not a usable samples database"):
        SampleStore(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a#b?c%d.sqlite3"]
    assert SampleStore(tmp_path / "ok#1.sqlite3").counts().sum() == 0


def test_an_import_whose_header_claims_a_huge_array_is_refused_before_allocating(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": (400_000_000, 28, 28)}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.npy", header.getvalue() + bytes(100))
        labels = io.BytesIO()
        np.save(labels, np.zeros(3, np.uint8))
        archive.writestr("y.npy", labels.getvalue())
    store = SampleStore(tmp_path / "s.sqlite3")
    with pytest.raises(SampleStoreError, match="too large"):
        store.import_npz(buffer.getvalue())


def finished_within(seconds: float, call) -> object:
    """What `call()` returned or raised, failing the test if it runs longer (a hang)."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # handed to the test below
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still running after {seconds} s"
    return outcome[0]


def wal_store_held(path, *statements: str) -> sqlite3.Connection:
    """A store in WAL mode, and a second connection holding it with `statements`."""
    SampleStore(path).add(digit(), 1)
    other = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        other.execute(statement)
    return other


@pytest.mark.parametrize(
    "statements",
    [
        ("BEGIN IMMEDIATE",),
        ("PRAGMA locking_mode=EXCLUSIVE", "BEGIN EXCLUSIVE"),
    ],
    ids=["immediate", "exclusive-locking-mode"],
)
def test_a_write_held_by_another_connection_is_busy_after_a_short_wait(tmp_path, statements):
    path = tmp_path / "held.sqlite3"
    store = SampleStore(path)
    with contextlib.closing(wal_store_held(path, *statements)):
        started = time.monotonic()
        with pytest.raises(SampleStoreBusyError, match=r"busy.*try again") as raised:
            store.add(digit(), 2)
        assert time.monotonic() - started < 5
        assert "damaged" not in str(raised.value) and "move it away" not in str(raised.value)
    assert store.add(digit(), 2) > 0  # released: the same call now works


def test_opening_while_another_connection_writes_does_not_wait(tmp_path):
    path = tmp_path / "held.sqlite3"
    with contextlib.closing(wal_store_held(path, "BEGIN IMMEDIATE")):
        started = time.monotonic()
        assert SampleStore(path).counts().sum() == 1  # WAL: readers go on beside a writer
        assert time.monotonic() - started < 1


def test_an_exclusive_lock_on_a_rollback_journal_database_is_busy_not_unusable(tmp_path):
    path = tmp_path / "journal.sqlite3"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        for migration in MIGRATIONS:
            for statement in migration.split(";"):
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        with pytest.raises(SampleStoreBusyError, match="busy") as raised:
            SampleStore(path)
        assert time.monotonic() - started < 5 and "move it away" not in str(raised.value)
    assert SampleStore(path).counts().sum() == 0


def test_a_constraint_error_is_not_called_damage(tmp_path):
    store = SampleStore(tmp_path / "s.sqlite3")
    with contextlib.closing(sqlite3.connect(store.path)) as db:
        db.execute(
            "CREATE TRIGGER full BEFORE INSERT ON samples"
            " BEGIN SELECT RAISE(ABORT, 'no more drawings today'); END"
        )
    with pytest.raises(SampleStoreError, match="refused it: no more drawings today") as raised:
        store.add(digit(), 3)
    assert "damaged" not in str(raised.value)


def test_a_failed_migration_reports_its_own_error_not_the_rollbacks(tmp_path, monkeypatch):
    path = tmp_path / "s.sqlite3"
    SampleStore(path)
    # A step that fails after its transaction has ended: ROLLBACK would fail too.
    broken = "CREATE TABLE extra (a); COMMIT; SELECT a FROM nowhere"
    monkeypatch.setattr(samples_module, "MIGRATIONS", (*MIGRATIONS, broken))
    with pytest.raises(SampleStoreError, match="no such table: nowhere") as raised:
        SampleStore(path)
    assert "rollback" not in str(raised.value) and "damaged" not in str(raised.value)


def special_files(tmp_path) -> dict:
    """A directory, a FIFO and a socket: paths that exist but are not files."""
    import socket

    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "folder").mkdir()
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock"))
    return {"fifo": tmp_path / "fifo", "folder": tmp_path / "folder", "sock": tmp_path / "sock"}


def test_a_database_path_that_is_not_a_regular_file_is_refused_quickly(tmp_path):
    specials = special_files(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    journals = [Path("/dev/null-journal"), Path("/dev/null-wal")]
    existed = [journal.exists() for journal in journals]
    for path in [*specials.values(), Path("/dev/null")]:
        outcome = finished_within(10, lambda path=path: SampleStore(path))
        assert isinstance(outcome, SampleStoreError), (path, outcome)
        assert "not a regular file" in str(outcome)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert [journal.exists() for journal in journals] == existed


def test_an_import_that_is_not_a_regular_file_is_refused_without_reading(tmp_path):
    specials = special_files(tmp_path)
    for path in [specials["fifo"], specials["folder"], Path("/dev/zero")]:
        outcome = finished_within(10, lambda path=path: read_samples_file(path))
        assert isinstance(outcome, SampleStoreError), (path, outcome)
        assert "not a regular file" in str(outcome)
    huge = tmp_path / "huge.npz"
    with huge.open("wb") as file:
        file.truncate(10**12)  # sparse: a terabyte that takes no room
    outcome = finished_within(10, lambda: read_samples_file(huge))
    assert isinstance(outcome, SampleStoreError) and "too large" in str(outcome)


def test_a_samples_file_is_read_whole(tmp_path):
    path = tmp_path / "mine.npz"
    path.write_bytes(npz(x=np.stack([digit(), digit(2)]), y=np.array([3, 4])))
    assert read_samples_file(path) == path.read_bytes()


def compressed(method: int) -> bytes:
    """A samples .npz whose members are compressed with `method`."""
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, array in (
            ("x", rng.integers(0, 3, (50, 28, 28), np.uint8)),
            ("y", np.arange(50) % 10),
        ):
            member = io.BytesIO()
            np.save(member, array)
            archive.writestr(f"{name}.npy", member.getvalue())
    return buffer.getvalue()


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_a_damaged_compressed_stream_is_a_sample_store_error(method):
    data = compressed(method)
    read_samples_npz(data)  # sound as written
    rng = np.random.default_rng(1)
    for _ in range(300):
        damaged = bytearray(data)
        at, length = rng.integers(30, len(data) // 2), rng.integers(1, 40)
        damaged[at : at + length] = rng.integers(0, 256, length, np.uint8).tobytes()
        with contextlib.suppress(SampleStoreError):  # anything else fails the test
            read_samples_npz(bytes(damaged))


def test_an_npz_of_raw_members_or_many_members_is_refused():
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as archive:
        archive.writestr("x", b"not an array")
        archive.writestr("y", b"nor this")
    with pytest.raises(SampleStoreError, match="numpy arrays"):
        read_samples_npz(raw.getvalue())
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for index in range(1000):
            archive.writestr(f"a{index}.npy", b"")
    with pytest.raises(SampleStoreError, match="1000 arrays"):
        read_samples_npz(many.getvalue())


def test_a_member_claiming_a_huge_unpacked_size_is_refused_before_reading():
    data = bytearray(npz(x=np.zeros((2, 28, 28), np.uint8), y=np.zeros(2, np.uint8)))
    directory = data.rfind(b"PK\x01\x02")  # the central directory entry of the first member
    data[directory + 24 : directory + 28] = (2**32 - 1).to_bytes(4, "little")
    with pytest.raises(SampleStoreError, match="too large"):
        read_samples_npz(bytes(data))


def test_imports_and_the_database_are_capped(samples, monkeypatch):
    store = samples
    too_many = npz(x=np.zeros((10_001, 28, 28), np.uint8), y=np.zeros(10_001, np.uint8))
    with pytest.raises(SampleStoreError, match="at most 10,000 in one file"):
        store.import_npz(too_many)
    monkeypatch.setattr(samples_module, "MAX_SAMPLES", 5)
    store.add_many(np.stack([digit()] * 4), [1] * 4)
    with pytest.raises(SampleStoreError, match="at most 5"):
        store.add_many(np.stack([digit()] * 2), [2, 3])
    assert store.counts().sum() == 4
    store.add(digit(), 4)
    with pytest.raises(SampleStoreError, match="no room"):
        store.add(digit(), 5)


@pytest.mark.parametrize(
    ("labels", "shown"),
    [(np.array([1, 12]), "label 12 is"), (np.array([1.0, 2.5]), "label 2.5 is")],
)
def test_labels_in_messages_are_plain_numbers(labels, shown):
    data = npz(x=np.zeros((2, 28, 28), np.uint8), y=labels)
    with pytest.raises(SampleStoreError, match=shown) as raised:
        read_samples_npz(data)
    assert "np." not in str(raised.value)


def test_pages_of_the_newest_and_undoing_a_delete(samples):
    store = samples
    ids = store.add_many(np.stack([digit(n + 1) for n in range(7)]), list(range(7)), writer="ada")
    store.add(digit(), 9, writer="bob")
    assert [s.label for s in store.newest(count=3)] == [9, 6, 5]
    assert [s.label for s in store.newest("ada", count=3, skip=3)] == [3, 2, 1]
    assert store.newest("ada", count=3, skip=6)[0].id == ids[0]
    original = store.samples()[2]
    deleted = store.delete(original.id)
    assert (deleted.id, deleted.created) == (original.id, original.created)
    assert store.delete(original.id) is None
    assert store.restore(deleted) == original.id
    (back,) = [s for s in store.samples() if s.id == original.id]
    assert (back.label, back.writer, back.created) == (original.label, "ada", original.created)
    assert np.array_equal(back.image, original.image)
    newest = store.newest(count=1)[0]
    store.delete(newest.id)
    added = store.add(digit(), 1)  # SQLite hands the freed id out again, PostgreSQL a new one
    restored = store.restore(newest)  # under its old id unless that was handed out again
    assert restored != added and (restored == newest.id) == (added != newest.id)
    assert store.counts().sum() == 9


@contextlib.contextmanager
def write_held(store: SampleStore) -> Iterator[None]:
    """Another session holding the store's write lock for as long as the block runs."""
    if store.url is None:
        with contextlib.closing(sqlite3.connect(store.path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            yield
    else:
        with psycopg.connect(store.url, autocommit=True) as other:
            other.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))  # until it disconnects
            yield


def test_a_new_store_has_the_latest_schema(samples):
    assert samples.schema_version == len(MIGRATIONS)


def test_stores_opened_at_once_migrate_once(sample_database):
    """Servers starting together: one store migrates, the others wait and find it done."""
    start = threading.Barrier(6)

    def opened(_: int) -> SampleStore:
        start.wait()
        return open_sample_store(sample_database)

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        stores = list(pool.map(opened, range(6)))  # raises what any of them raised
    assert {store.schema_version for store in stores} == {len(MIGRATIONS)}
    stores[0].add(digit(), 1)
    assert stores[-1].counts().sum() == 1
    if stores[0].url is not None:
        with psycopg.connect(stores[0].url) as db:
            assert db.execute(f"SELECT version FROM {SCHEMA_TABLE}").fetchall() == [(4,)]


def test_a_new_sqlite_file_opened_at_once_is_never_refused(tmp_path):
    """Six stores switching a new file to WAL together: SQLite refuses all but one at once, with
    no wait; before the retry, about one round in ten raised "busy" here."""
    for round in range(30):
        start = threading.Barrier(6)
        path = tmp_path / f"samples-{round}.sqlite3"

        def opened(_: int, path=path, start=start) -> SampleStore:
            start.wait()
            return open_sample_store(str(path))

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            assert len(list(pool.map(opened, range(6)))) == 6  # raises what any raised


# PostgreSQL's own: the environment choosing it, its failures as our typed errors.


def test_the_database_url_in_the_environment_chooses_postgresql(
    postgres_database, tmp_path, monkeypatch
):
    file = tmp_path / "samples.sqlite3"
    monkeypatch.setenv(SAMPLES_DB_VARIABLE, str(file))
    monkeypatch.setenv(DATABASE_URL_VARIABLE, postgres_database)
    assert samples_database() == postgres_database
    for store in (open_sample_store(), SampleStore()):
        assert (store.url, store.path) == (postgres_database, None)
        store.add(digit(), 3)
    assert open_sample_store().counts()[3] == 2 and not file.exists()
    password = urlsplit(postgres_database).password
    assert password and password not in store.location and "127.0.0.1" in store.location
    assert open_sample_store(tmp_path / "given.sqlite3").path == tmp_path / "given.sqlite3"
    monkeypatch.delenv(DATABASE_URL_VARIABLE)
    assert samples_database() == str(file) and open_sample_store().path == file


@pytest.mark.parametrize("url", ["mysql://127.0.0.1/digits", "/var/lib/samples.sqlite3"])
def test_a_database_url_that_is_not_postgresql_is_refused(url, monkeypatch):
    monkeypatch.setenv(DATABASE_URL_VARIABLE, url)
    with pytest.raises(SampleStoreError, match=DATABASE_URL_VARIABLE):
        open_sample_store()


def test_a_database_server_that_is_down_is_a_sample_store_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))  # a port of ours that nothing listens on
        url = f"postgresql://nobody:secret@127.0.0.1:{probe.getsockname()[1]}/digits"
        started = time.monotonic()
        with pytest.raises(SampleStoreError, match="cannot reach the samples database") as raised:
            SampleStore(url=url)
    assert time.monotonic() - started < 5
    assert not isinstance(raised.value, SampleStoreBusyError) and "secret" not in str(raised.value)
    assert "\n" not in str(raised.value)  # one line for the CLI


def test_a_write_held_by_another_session_on_postgresql_is_busy_after_a_short_wait(
    postgres_database,
):
    store = SampleStore(url=postgres_database)
    with write_held(store):
        started = time.monotonic()
        with pytest.raises(SampleStoreBusyError, match=r"busy.*try again"):
            store.add(digit(), 2)
        assert time.monotonic() - started < 5
        assert store.counts().sum() == 0  # readers go on beside a writer
    assert store.add(digit(), 2) > 0  # released: the same call now works


def test_a_postgresql_constraint_error_is_refused_not_unusable(postgres_database):
    store = SampleStore(url=postgres_database)
    with psycopg.connect(postgres_database, autocommit=True) as db:
        db.execute("ALTER TABLE samples ADD CONSTRAINT no_sevens CHECK (label <> 7)")
    with pytest.raises(SampleStoreError, match=r"refused it.*no_sevens"):
        store.add(digit(), 7)
    assert store.add(digit(), 6) > 0  # the connection is still good


def test_a_postgresql_database_from_a_newer_app_is_refused(postgres_database):
    SampleStore(url=postgres_database)
    with psycopg.connect(postgres_database, autocommit=True) as db:
        db.execute(f"UPDATE {SCHEMA_TABLE} SET version = %s", (len(MIGRATIONS) + 1,))
    with pytest.raises(SampleStoreError, match="newer"):
        SampleStore(url=postgres_database)


def test_another_programs_postgresql_tables_are_refused_and_left_alone(postgres_database):
    with psycopg.connect(postgres_database, autocommit=True) as db:
        db.execute("CREATE TABLE samples (x INTEGER)")
    with pytest.raises(SampleStoreError, match="another program"):
        SampleStore(url=postgres_database)
    with psycopg.connect(postgres_database) as db:
        assert db.execute("SELECT to_regclass('answers')").fetchone() == (None,)


def test_a_store_reconnects_after_its_connections_are_cut(postgres_database):
    """A database server restarted under a running app: the next call works."""
    store = SampleStore(url=postgres_database)
    store.add(digit(), 1)
    with psycopg.connect(postgres_database, autocommit=True) as admin:
        others = "datname = current_database() AND pid <> pg_backend_pid()"
        admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {others}")
        while admin.execute(f"SELECT count(*) FROM pg_stat_activity WHERE {others}").fetchone()[0]:
            time.sleep(0.01)
    assert store.counts().sum() == 1


# The cluster's training queue: one turn per training of any server, started in order.


def test_training_turns_start_in_order_within_the_slots(sample_database):
    store = open_sample_store(sample_database)
    first, second, third = (store.enqueue_training(s, "me") for s in ("a", "b", "c"))
    assert [store.training_position(turn) for turn in (first, second, third)] == [0, 1, 2]
    assert not store.claim_training(second, slots=1)  # not its turn yet
    assert store.claim_training(first, slots=1) and store.claim_training(first, slots=1)
    assert not store.claim_training(second, slots=1)  # the one slot is taken
    assert store.claim_training(second, slots=2) and not store.claim_training(third, slots=2)
    assert [store.training_position(turn) for turn in (first, second, third)] == [0, 0, 2]
    store.end_training(first)
    assert store.training_position(third) == 1
    assert store.claim_training(third, slots=2)
    assert store.beat_training(first, second, third) == {second, third}
    later = store.enqueue_training("b", "me")  # its server is training already
    assert not store.claim_training(later, slots=3)
    store.end_training(second)
    assert store.claim_training(later, slots=3)
    with pytest.raises(SampleStoreError, match="no longer queued"):
        store.claim_training(first)


def test_a_turn_not_renewed_expires_and_no_longer_blocks_the_queue(sample_database, monkeypatch):
    store = open_sample_store(sample_database)
    dead, alive = store.enqueue_training("dead", "ada"), store.enqueue_training("alive", "bo")
    assert store.claim_training(dead) and not store.claim_training(alive)
    monkeypatch.setattr(samples_module, "TURN_EXPIRY_SECONDS", 0.3)
    time.sleep(0.2)
    assert store.beat_training(alive) == {alive}  # its server is still there
    time.sleep(0.2)
    assert store.training_position(alive) == 0  # the dead server's no longer counts
    assert store.claim_training(alive)
    assert store.beat_training(dead) == set()  # dropped by the claim
    with pytest.raises(SampleStoreError, match="no longer queued"):
        store.claim_training(dead)


@pytest.mark.parametrize("slots", [1, 2])
def test_servers_racing_for_turns_never_run_more_than_the_slots(postgres_database, slots):
    """Two servers (two stores) on one database, three trainings each, claiming at once."""
    servers = [open_sample_store(postgres_database) for _ in range(2)]
    turns = {
        turn: server
        for turn, server in sorted(
            (server.enqueue_training(f"s{n}", f"u{n}-{k}"), server)
            for n, server in enumerate(servers)
            for k in range(3)
        )
    }
    started: list[int] = []
    running: set[int] = set()
    most = 0
    guard = threading.Lock()
    errors: list[Exception] = []

    def train(turn: int, server: SampleStore) -> None:
        nonlocal most
        try:
            while not server.claim_training(turn, slots):
                time.sleep(0.005)
            with guard:
                started.append(turn)
                running.add(turn)
                most = max(most, len(running))
            time.sleep(0.05)
            with guard:
                running.discard(turn)
            server.end_training(turn)  # after leaving `running`: the next may start now
        except Exception as error:  # collected: the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=train, args=item) for item in turns.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert most == slots
    if slots == 1:
        assert started == sorted(turns)  # first come, first served across servers
    assert servers[0].beat_training(*turns) == set()
