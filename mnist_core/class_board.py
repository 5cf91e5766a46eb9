"""What the class board shows, computed from the class's answers: the wall of recent drawings,
the confusion matrix of the checked ones, the network's commonest misreadings, and the exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from mnist_core.data import IMAGE_SHAPE, NUM_CLASSES
from mnist_core.samples import Answer

NOT_A_DIGIT_COLUMN = 10  # the confusion matrix's last column: the network said "not a digit"
CSV_HEADER = ("id", "time", "writer", "model", "said", "is_digit", "confidence", "truth")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula


@dataclass(frozen=True)
class ClassBoard:
    """One refresh of the board: every answer and what is computed from them."""

    taken: float  # time.time() of the query
    answers: tuple[Answer, ...]  # all of them, newest first
    wall: tuple[Answer, ...]  # the newest ones, those loaded with their image
    confusion: np.ndarray  # (10, 11) int64: rows the truth, columns what the network said

    @property
    def checked(self) -> int:
        """How many answers the students said were right or wrong."""
        return int(self.confusion.sum())

    @property
    def right(self) -> int:
        """How many checked answers read the digit the student drew."""
        return int(np.trace(self.confusion[:, :NUM_CLASSES]))


@dataclass(frozen=True)
class Misreading:
    """A digit the network read as another, or as no digit (`said` None), `count` times."""

    truth: int
    said: int | None
    count: int

    def sentence(self) -> str:
        times = "1 time" if self.count == 1 else f"{self.count} times"
        if self.said is None:
            return f"The network said our {self.truth}s were not digits ({times})."
        return f"The network reads our {self.truth}s as {self.said}s ({times})."


@dataclass(frozen=True)
class DigitScore:
    """How many of the checked drawings of `digit` the network got wrong."""

    digit: int
    wrong: int
    checked: int


@dataclass(frozen=True)
class StudentCount:
    """One named student's drawings: how many, how many checked, how many read right."""

    writer: str
    drawings: int
    checked: int
    right: int


def class_board(answers: Sequence[Answer], taken: float) -> ClassBoard:
    """The board for `answers` (newest first, as `SampleStore.class_answers` gives them)."""
    confusion = np.zeros((NUM_CLASSES, NOT_A_DIGIT_COLUMN + 1), np.int64)
    for answer in answers:
        if answer.truth is not None:
            confusion[answer.truth, _said_column(answer)] += 1
    confusion.flags.writeable = False  # a board may be cached and shared between sessions
    return ClassBoard(
        taken=taken,
        answers=tuple(answers),
        wall=tuple(answer for answer in answers if answer.image is not None),
        confusion=confusion,
    )


@dataclass(frozen=True)
class WallLabel:
    """What the wall says under a drawing: who drew it, what the network said, and whether that
    was right (None until the student pressed Yes or No)."""

    writer: str
    verdict: str
    right: bool | None


def wall_label(answer: Answer) -> WallLabel:
    """The label under one drawing on the wall."""
    said = str(answer.predicted) if answer.is_digit else "not a digit"
    if answer.truth is None:
        return WallLabel(answer.writer, f"said {said}", None)
    if _is_right(answer):
        return WallLabel(answer.writer, f"{said}, right", True)
    return WallLabel(answer.writer, f"said {said}, was {answer.truth}", False)


def misreadings(confusion: np.ndarray, limit: int = 3) -> list[Misreading]:
    """The `limit` commonest misreadings in a confusion matrix, commonest first."""
    found = [
        Misreading(truth, None if said == NOT_A_DIGIT_COLUMN else said, int(count))
        for (truth, said), count in np.ndenumerate(confusion)
        if truth != said and count > 0
    ]
    found.sort(key=lambda misreading: (-misreading.count, misreading.truth))
    return found[: max(0, limit)]


def hardest_digits(confusion: np.ndarray) -> list[DigitScore]:
    """Each checked digit's score, the most often misread first (by share, then by count)."""
    scores = [
        DigitScore(digit, int(row.sum() - row[digit]), int(row.sum()))
        for digit, row in enumerate(confusion)
        if row.sum() > 0
    ]
    return sorted(scores, key=lambda score: (-score.wrong / score.checked, -score.wrong))


def student_counts(answers: Sequence[Answer]) -> list[StudentCount]:
    """Each named student's counts, the most drawings first; anonymous drawings are not listed."""
    by_writer: dict[str, list[Answer]] = {}
    for answer in answers:
        if answer.writer:
            by_writer.setdefault(answer.writer, []).append(answer)
    students = [
        StudentCount(
            writer,
            drawings=len(theirs),
            checked=sum(answer.truth is not None for answer in theirs),
            right=sum(_is_right(answer) for answer in theirs),
        )
        for writer, theirs in by_writer.items()
    ]
    return sorted(students, key=lambda student: (-student.drawings, student.writer))


def answers_csv(answers: Sequence[Answer]) -> bytes:
    """The answers as a UTF-8 CSV file, safe to open in a spreadsheet: no text runs as a formula."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(CSV_HEADER)
    for answer in answers:
        writer.writerow(
            (
                answer.id,
                datetime.fromtimestamp(answer.updated, UTC).isoformat(timespec="seconds"),
                _inert(answer.writer),
                _inert(answer.model or ""),
                answer.predicted,
                int(answer.is_digit),
                f"{answer.confidence:.4f}",
                "" if answer.truth is None else answer.truth,
            )
        )
    return text.getvalue().encode("utf-8")


def answers_npz(answers: Sequence[Answer]) -> bytes:
    """The answers as a `.npz` file's bytes: x (N, 28, 28) uint8, said (N,) int8, is_digit (N,)
    bool, truth (N,) int8 with -1 where unknown, confidence (N,) float32."""
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        x=_images(answers),
        said=np.array([answer.predicted for answer in answers], np.int8),
        is_digit=np.array([answer.is_digit for answer in answers], bool),
        truth=np.array([-1 if a.truth is None else a.truth for a in answers], np.int8),
        confidence=np.array([answer.confidence for answer in answers], np.float32),
    )
    return buffer.getvalue()


def class_training_set(answers: Sequence[Answer]) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) uint8 images and (N,) uint8 labels of the checked answers: the whole class's
    drawings, labelled by their students, to fine-tune a network on."""
    checked = [answer for answer in answers if answer.truth is not None]
    return _images(checked), np.array([answer.truth for answer in checked], np.uint8)


def _said_column(answer: Answer) -> int:
    return answer.predicted if answer.is_digit else NOT_A_DIGIT_COLUMN


def _is_right(answer: Answer) -> bool:
    return answer.is_digit and answer.predicted == answer.truth


def _inert(text: str) -> str:
    """`text` with a leading apostrophe where a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _images(answers: Sequence[Answer]) -> np.ndarray:
    """The answers' images as one (N, 28, 28) uint8 array; each answer must carry its image."""
    images = []
    for answer in answers:
        if answer.image is None:
            raise ValueError(
                f"answer {answer.id} was loaded without its image: "
                "load them with class_answers(with_images=None)"
            )
        images.append(answer.image)
    return np.array(images, np.uint8).reshape(-1, *IMAGE_SHAPE)
