from __future__ import annotations

import contextlib
import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest

from mnist_core.errors import SampleStoreError
from mnist_core.samples import MIGRATIONS, SAMPLES_DB_VARIABLE, SampleStore


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


def test_samples_round_trip(tmp_path):
    store = SampleStore(tmp_path / "s.sqlite3")
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
def test_bad_samples_are_refused_and_nothing_is_stored(tmp_path, image, label):
    store = SampleStore(tmp_path / "s.sqlite3")
    with pytest.raises(SampleStoreError):
        store.add(image, label)
    assert store.counts().sum() == 0


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "busy.sqlite3"
    SampleStore(path)
    ids: list[int] = []
    errors: list[Exception] = []

    def writer(name: str) -> None:
        try:
            store = SampleStore(path)  # each session opens its own
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
    store = SampleStore(path)
    assert len(set(ids)) == 320 and store.counts().sum() == 320
    assert all(store.counts(f"w{n}").sum() == 40 for n in range(8))


WRITER = """
import sys
import numpy as np
from mnist_core.samples import SampleStore
store = SampleStore(sys.argv[1])
image = np.full((28, 28), 200, np.uint8)
while True:
    store.add_many(np.stack([image] * 5), [1, 2, 3, 4, 5], writer="killed")
    print(5, flush=True)
"""


def test_a_writer_killed_mid_write_leaves_every_committed_sample(tmp_path):
    path = tmp_path / "killed.sqlite3"
    rng = np.random.default_rng(0)
    committed = 0
    for _ in range(5):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout.readline().strip() == "5"  # running and writing
        time.sleep(rng.uniform(0.05, 0.5))
        os.kill(writer.pid, signal.SIGKILL)
        reported = 5 + sum(int(line) for line in writer.stdout)
        writer.wait()
        store = SampleStore(path)
        total = int(store.counts().sum())
        # Every reported batch is there, and at most the one in flight besides; whole batches only.
        assert committed + reported <= total <= committed + reported + 5
        assert total % 5 == 0
        committed = total
        with contextlib.closing(sqlite3.connect(path)) as db:
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


def test_export_and_import(tmp_path):
    source = SampleStore(tmp_path / "a.sqlite3")
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
def test_a_bad_import_adds_nothing(tmp_path, data, message):
    store = SampleStore(tmp_path / "s.sqlite3")
    with pytest.raises(SampleStoreError, match=message):
        store.import_npz(data)
    assert store.counts().sum() == 0


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
