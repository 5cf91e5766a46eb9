from __future__ import annotations

import contextlib
import csv
import io
import itertools
import sqlite3
import time
import types

import numpy as np
import pytest
from test_samples import digit

from mnist_core import samples as samples_module
from mnist_core.class_board import (
    NOT_A_DIGIT_COLUMN,
    DigitScore,
    Misreading,
    StudentCount,
    answers_csv,
    answers_npz,
    class_board,
    class_training_set,
    hardest_digits,
    misreadings,
    student_counts,
)
from mnist_core.errors import SampleStoreError
from mnist_core.samples import MIGRATIONS, Answer, SampleStore, open_sample_store


def time_module(wall_time):
    """samples.py's `time` with the wall clock replaced; its waits keep the real clock."""
    return types.SimpleNamespace(time=wall_time, monotonic=time.monotonic, sleep=time.sleep)


def answer(
    truth: int | None = None,
    predicted: int = 1,
    is_digit: bool = True,
    writer: str = "",
    image: np.ndarray | None = None,
    answer_id: int = 1,
    model: str | None = "cnn-default",
) -> Answer:
    return Answer(
        id=answer_id,
        created=0.0,
        updated=1_700_000_000.0,
        session="s",
        drawing=answer_id,
        writer=writer,
        model=model,
        predicted=predicted,
        is_digit=is_digit,
        confidence=0.75,
        truth=truth,
        image=image,
    )


@pytest.fixture
def clock(monkeypatch):
    """The store's time.time(): 100, 200, 300, ... one tick per call."""
    ticks = itertools.count(100, 100)
    monkeypatch.setattr(samples_module, "time", time_module(lambda: next(ticks)))


@pytest.fixture
def store(sample_database) -> SampleStore:
    return open_sample_store(sample_database)


def test_migrating_from_schema_2_loses_no_sample(tmp_path):
    path = tmp_path / "v2.sqlite3"
    rows = [
        (1, 10.5, 7, 1, "cnn-default", "ada", digit().tobytes(), b"PNG1"),
        (2, 11.25, 3, None, None, "", digit(3).tobytes(), None),
        (5, 12.0, 0, 0, "mlp", "bob", np.arange(784, dtype=np.uint8).tobytes(), b"PNG2"),
    ]
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        for migration in MIGRATIONS[:2]:
            for statement in migration.split(";"):
                db.execute(statement)
        db.execute("PRAGMA user_version = 2")
        db.executemany(
            "INSERT INTO samples (id, created, label, predicted, model, writer, image, drawing)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    store = SampleStore(path)
    assert store.schema_version == len(MIGRATIONS) == 4
    kept = [
        (s.id, s.created, s.label, s.predicted, s.model, s.writer, s.image.tobytes(), s.drawing_png)
        for s in store.samples()
    ]
    assert kept == rows
    assert store.record_answer("tab", 1, digit(), 7, True, 0.9) > 0  # and the new table works


def test_a_later_answer_replaces_the_first_but_keeps_when_and_what_the_student_said(store, clock):
    first = store.record_answer("tab", 1, digit(), 7, True, 0.9, model="a", writer="ada")
    assert store.set_truth("tab", 1, 7)
    again = store.record_answer("tab", 1, digit(2), 1, False, 0.3, model="b", writer="  bob  ")
    (kept,) = store.class_answers()
    assert again == first == kept.id
    assert (kept.created, kept.updated, kept.truth) == (100, 200, 7)
    assert (kept.predicted, kept.is_digit, kept.confidence) == (1, False, 0.3)
    assert (kept.model, kept.writer, kept.session, kept.drawing) == ("b", "bob", "tab", 1)
    assert kept.image is not None and np.array_equal(kept.image, digit(2))


def test_each_drawing_of_each_session_is_its_own_answer(store):
    ids = {
        store.record_answer("tab-1", 1, digit(), 1, True, 0.9),
        store.record_answer("tab-1", 2, digit(), 1, True, 0.9),
        store.record_answer("tab-2", 1, digit(), 1, True, 0.9),
    }
    assert len(ids) == 3 and len(store.class_answers()) == 3


def test_a_long_name_is_cut_to_64_characters(store):
    store.record_answer("tab", 1, digit(), 1, True, 0.9, writer="x" * 100)
    assert store.class_answers()[0].writer == "x" * 64


def test_the_truth_of_a_drawing_without_an_answer_is_not_kept(store):
    store.record_answer("tab", 1, digit(), 4, True, 0.8)
    assert store.set_truth("tab", 2, 4) is False
    assert store.set_truth("other", 1, 4) is False
    assert store.class_answers()[0].truth is None
    assert store.set_truth("tab", 1, 9) is True
    assert store.class_answers()[0].truth == 9


@pytest.mark.parametrize(
    "call",
    [
        lambda store: store.record_answer("tab", 1, np.stack([digit(), digit()]), 1, True, 0.9),
        lambda store: store.record_answer("tab", 1, np.zeros((28, 27), np.uint8), 1, True, 0.9),
        lambda store: store.record_answer("tab", 1, digit(), 10, True, 0.9),
        lambda store: store.record_answer("tab", 1, digit(), 1, True, float("nan")),
        lambda store: store.record_answer("tab", 1, digit(), 1, True, 1.5),
    ],
    ids=["two-images", "not-28x28", "predicted-10", "nan-confidence", "confidence-over-1"],
)
def test_a_bad_answer_is_refused_and_nothing_is_stored(store, call):
    with pytest.raises(SampleStoreError):
        call(store)
    assert store.class_answers() == []


def test_a_truth_that_is_not_a_digit_is_refused(store):
    store.record_answer("tab", 1, digit(), 4, True, 0.8)
    with pytest.raises(SampleStoreError, match="not a digit"):
        store.set_truth("tab", 1, 10)
    assert store.class_answers()[0].truth is None


def test_a_full_board_refuses_a_new_drawing_but_takes_a_new_answer_to_an_old_one(
    store, monkeypatch
):
    monkeypatch.setattr(samples_module, "MAX_ANSWERS", 2)
    store.record_answer("tab", 1, digit(), 1, True, 0.9)
    store.record_answer("tab", 2, digit(), 2, True, 0.9)
    with pytest.raises(SampleStoreError, match="clear the class"):
        store.record_answer("tab", 3, digit(), 3, True, 0.9)
    store.record_answer("tab", 1, digit(), 7, True, 0.9)
    assert sorted(a.predicted for a in store.class_answers()) == [2, 7]


def test_the_newest_answers_come_first_and_only_the_newest_carry_images(store, clock):
    for drawing in range(1, 6):
        store.record_answer("tab", drawing, digit(drawing), drawing, True, 0.9)
    store.record_answer("tab", 2, digit(2), 8, True, 0.9)  # answered again: now the newest
    answers = store.class_answers(with_images=2)
    assert [a.drawing for a in answers] == [2, 5, 4, 3, 1]
    assert [a.image is not None for a in answers] == [True, True, False, False, False]
    assert np.array_equal(answers[1].image, digit(5))
    assert all(a.image is not None for a in store.class_answers(with_images=None))
    assert all(a.image is None for a in store.class_answers(with_images=0))


def test_answers_given_at_the_same_moment_come_newest_id_first(store, monkeypatch):
    monkeypatch.setattr(samples_module, "time", time_module(lambda: 5.0))
    ids = [store.record_answer("tab", drawing, digit(), 1, True, 0.9) for drawing in range(3)]
    assert [a.id for a in store.class_answers(with_images=1)] == ids[::-1]
    assert [a.image is not None for a in store.class_answers(with_images=1)] == [True, False, False]


def test_the_whole_board_is_read_with_one_query(tmp_path, monkeypatch):
    store = SampleStore(tmp_path / "class.sqlite3")  # SQLite's trace shows its statements
    for drawing in range(30):
        store.record_answer("tab", drawing, digit(), 1, True, 0.9)
    statements: list[str] = []
    connect = sqlite3.connect

    def traced_connect(*args, **kwargs):
        db = connect(*args, **kwargs)
        db.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr(sqlite3, "connect", traced_connect)
    answers = store.class_answers(with_images=24)
    queries = [s for s in statements if not s.lstrip().upper().startswith("PRAGMA")]
    assert len(queries) == 1 and "FROM answers" in queries[0], statements
    assert len(answers) == 30 and sum(a.image is not None for a in answers) == 24


def test_clearing_the_class_deletes_every_answer_and_no_sample(store):
    store.add(digit(), 1)
    for drawing in range(3):
        store.record_answer("tab", drawing, digit(), 1, True, 0.9)
    assert store.clear_answers() == 3
    assert store.class_answers() == []
    assert store.clear_answers() == 0
    assert store.counts().sum() == 1


def test_class_settings_round_trip_and_outlive_the_store_object(store):
    assert store.class_setting("model") == ""
    assert store.class_setting("model", "cnn-default") == "cnn-default"
    store.set_class_setting("model", "mlp")
    store.set_class_setting("model", "cnn-wide")
    store.set_class_setting("title", "Class 4B")
    again = open_sample_store(store.url or store.path)
    assert again.class_setting("model", "cnn-default") == "cnn-wide"
    assert again.class_setting("title") == "Class 4B"


def test_the_confusion_matrix_counts_checked_answers_with_a_not_a_digit_column():
    answers = [
        answer(truth=7, predicted=1),
        answer(truth=7, predicted=1),
        answer(truth=7, predicted=7),
        answer(truth=4, predicted=4, is_digit=False),  # its best guess was right, yet "no digit"
        answer(truth=None, predicted=3),
    ]
    board = class_board(answers, taken=123.0)
    assert board.confusion.shape == (10, 11) and board.confusion.dtype == np.int64
    assert board.confusion[7, 1] == 2 and board.confusion[7, 7] == 1
    assert board.confusion[4, NOT_A_DIGIT_COLUMN] == 1 and board.confusion[4, 4] == 0
    assert board.confusion.sum() == 4
    assert (board.checked, board.right, board.taken) == (4, 1, 123.0)


def test_the_wall_holds_the_answers_loaded_with_their_image_newest_first():
    answers = [
        answer(answer_id=3, image=digit()),
        answer(answer_id=2, image=digit()),
        answer(answer_id=1),
    ]
    board = class_board(answers, taken=0.0)
    assert [a.id for a in board.answers] == [3, 2, 1]
    assert [a.id for a in board.wall] == [3, 2]


def test_misreadings_are_the_commonest_off_diagonal_cells_in_sentences():
    confusion = np.zeros((10, 11), np.int64)
    confusion[7, 1] = 3
    confusion[4, NOT_A_DIGIT_COLUMN] = 2
    confusion[9, 4] = 2  # as common as the 4s: the smaller truth digit comes first
    confusion[2, 3] = 1
    confusion[5, 5] = 40  # read right: never a misreading
    found = misreadings(confusion, limit=4)
    assert found == [
        Misreading(7, 1, 3),
        Misreading(4, None, 2),
        Misreading(9, 4, 2),
        Misreading(2, 3, 1),
    ]
    assert [m.sentence() for m in found] == [
        "The network reads our 7s as 1s (3 times).",
        "The network said our 4s were not digits (2 times).",
        "The network reads our 9s as 4s (2 times).",
        "The network reads our 2s as 3s (1 time).",
    ]
    assert misreadings(confusion) == found[:3]
    assert misreadings(np.diag(np.ones(10, np.int64))) == []


def test_the_hardest_digits_are_ranked_by_share_then_count_of_wrong_readings():
    confusion = np.zeros((10, 11), np.int64)
    confusion[1, 1], confusion[1, 7] = 1, 1  # half wrong, 1 of 2
    confusion[8, 8], confusion[8, 3], confusion[8, NOT_A_DIGIT_COLUMN] = 2, 1, 1  # 2 of 4
    confusion[0, 0] = 5  # never wrong
    confusion[6, 5] = 1  # always wrong
    assert hardest_digits(confusion) == [
        DigitScore(digit=6, wrong=1, checked=1),
        DigitScore(digit=8, wrong=2, checked=4),
        DigitScore(digit=1, wrong=1, checked=2),
        DigitScore(digit=0, wrong=0, checked=5),
    ]


def test_student_counts_list_named_students_only_the_busiest_first():
    answers = [
        answer(writer="bob", truth=3, predicted=3),
        answer(writer="bob", truth=3, predicted=3, is_digit=False),  # said "not a digit": wrong
        answer(writer="ada", truth=2, predicted=2),
        answer(writer="ada", truth=5, predicted=6),
        answer(writer="cy"),
        answer(writer="", truth=1, predicted=1),
        answer(writer="", truth=1, predicted=1),
        answer(writer="", truth=1, predicted=1),
    ]
    assert student_counts(answers) == [
        StudentCount("ada", drawings=2, checked=2, right=1),
        StudentCount("bob", drawings=2, checked=2, right=1),
        StudentCount("cy", drawings=1, checked=0, right=0),
    ]


def test_the_csv_reads_back_and_no_text_starts_a_formula():
    answers = [
        answer(answer_id=1, writer="=cmd()", truth=7, predicted=1, model="-model"),
        answer(answer_id=2, writer='Zoë, "the" best', truth=None, is_digit=False, model=None),
        answer(answer_id=3, writer="@home", model="+1"),
        answer(answer_id=4, writer="\tx"),
    ]
    data = answers_csv(answers)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ["id", "time", "writer", "model", "said", "is_digit", "confidence", "truth"]
    assert rows[1] == [
        "1",
        "2023-11-14T22:13:20+00:00",
        "'=cmd()",
        "'-model",
        "1",
        "1",
        "0.7500",
        "7",
    ]
    assert rows[2] == [
        "2",
        "2023-11-14T22:13:20+00:00",
        'Zoë, "the" best',
        "",
        "1",
        "0",
        "0.7500",
        "",
    ]
    assert [row[2:4] for row in rows[3:]] == [["'@home", "'+1"], ["'\tx", "cnn-default"]]
    assert len(rows) == 5


def test_the_npz_holds_every_answer_and_reads_back():
    answers = [
        answer(answer_id=1, image=digit(1), truth=7, predicted=1),
        answer(answer_id=2, image=digit(2), truth=None, predicted=4, is_digit=False),
    ]
    with np.load(io.BytesIO(answers_npz(answers)), allow_pickle=False) as archive:
        assert archive["x"].dtype == np.uint8 and archive["x"].shape == (2, 28, 28)
        assert np.array_equal(archive["x"][1], digit(2))
        assert archive["said"].dtype == np.int8 and archive["said"].tolist() == [1, 4]
        assert archive["is_digit"].dtype == bool and archive["is_digit"].tolist() == [True, False]
        assert archive["truth"].dtype == np.int8 and archive["truth"].tolist() == [7, -1]
        assert archive["confidence"].dtype == np.float32
        assert archive["confidence"].tolist() == [0.75, 0.75]


def test_an_empty_class_exports_empty_arrays():
    with np.load(io.BytesIO(answers_npz([])), allow_pickle=False) as archive:
        assert archive["x"].shape == (0, 28, 28) and archive["truth"].shape == (0,)
    images, labels = class_training_set([])
    assert images.shape == (0, 28, 28) and labels.shape == (0,)


def test_an_answer_loaded_without_its_image_cannot_be_exported():
    answers = [answer(answer_id=1, image=digit()), answer(answer_id=2, truth=3)]
    with pytest.raises(ValueError, match=r"answer 2 .*with_images=None"):
        answers_npz(answers)
    with pytest.raises(ValueError, match="answer 2"):
        class_training_set(answers)


def test_the_class_training_set_is_the_checked_drawings_labelled_by_their_students(store):
    store.record_answer("tab", 1, digit(1), 1, True, 0.9)
    store.record_answer("tab", 2, digit(2), 1, True, 0.9)
    store.record_answer("tab", 3, digit(3), 5, False, 0.2)
    store.set_truth("tab", 2, 7)
    store.set_truth("tab", 3, 5)
    images, labels = class_training_set(store.class_answers(with_images=None))
    assert images.dtype == np.uint8 and labels.dtype == np.uint8
    assert sorted(zip(labels.tolist(), (image[10, 13] for image in images), strict=True)) == [
        (5, 255 // 3),
        (7, 255 // 2),
    ]
