"""A drawing of a whole number → its digits, left to right, each read like a single digit.

The ink's connected components are the candidates. Pieces of one digit that don't touch (the
bar of a 7, a 5's flag, a broken loop) lie above one another, so components that share most of
their columns are merged, and so is a short stroke right beside a tall one (an open 4). A group
too wide to be one digit is two that touch: cut at the thinnest column of its middle if the ink
there is clearly thinner than elsewhere, or else where the network reads both halves best.
The work is bounded whatever is drawn: the largest MAX_PIECES pieces, merged in one sweep,
at most MAX_DIGITS digits, at most two batches for the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from mnist_core.errors import EmptyImageError, InvalidImageError
from mnist_core.predict import Classifier, Prediction
from mnist_core.preprocess import (
    SOLID_INK,
    ink_map,
    is_speck,
    read_image,
    resize_longest_side,
    to_mnist,
)

# The Draw page's canvases; the drawn-digit generator (benchmarks/drawn.py) draws on the same.
DIGIT_CANVAS = 280  # the one-digit canvas's side: ten times MNIST's 28 pixels
NUMBER_CANVAS = (280, 720)  # the canvas for numbers, height and width: 4-5 digits
MERGE_OVERLAP = 0.5  # pieces sharing this share of the narrower one's columns are one digit
PART_HEIGHT = 0.7  # a piece this much shorter than its neighbour...
PART_GAP = 0.15  # ...and closer to it than this share of the neighbour's height is its part
SPECK_HEIGHT = 0.12  # a piece smaller than this share of the tallest piece is a speck
SPLIT_ASPECT = 1.2  # a group wider than this times its height holds touching digits
SPLIT_MIDDLE = (0.25, 0.75)  # a cut is looked for in this part of the group's width...
SPLIT_VALLEY = 0.6  # ...at a column with at most this share of the group's median ink
TRY_SPLIT_ASPECT = 0.9  # a digit this wide may be two that touch: the network is asked...
CUT_CANDIDATES = np.linspace(0.3, 0.7, 9)  # ...to read the halves cut at each of these places
SURE_WHOLE = 0.9  # ...unless it reads the whole as one digit with this confidence
RIM = 2  # pixels of faint anti-aliased rim kept around a digit's solid strokes
# Bounds on the work, whatever is drawn (benchmarks/segment_worst.py): the canvas holds 4-5 digits.
MAX_PIECES = 60  # only the largest pieces of ink are considered: a dozen digits of a few each
MAX_DIGITS = 12  # a drawing of more digits (or separate marks) is too busy to read as a number
DIGIT_SIDE = 96  # a larger digit is shrunk to this first: `to_mnist` works at 80 pixels
MAX_READ_SPLITS = 1  # only the least sure wide digit is tried cut by reading: 18 images


@dataclass(frozen=True)
class DigitBox:
    """Where one digit lies in the drawing, in its pixels; right and bottom exclusive."""

    left: int
    top: int
    right: int
    bottom: int


@dataclass(frozen=True)
class ReadDigit:
    """One piece of the drawing and what the network read in it, a digit or not."""

    box: DigitBox
    prediction: Prediction

    @property
    def unsure(self) -> bool:
        return self.prediction.unsure


@dataclass(frozen=True)
class NumberReading:
    digits: list[ReadDigit]  # every piece read, left to right, digits or not

    @property
    def text(self) -> str:
        """The number read from the pieces that are digits, e.g. "2026"."""
        return "".join(
            str(digit.prediction.label) for digit in self.digits if digit.prediction.is_digit
        )

    @property
    def unsure(self) -> bool:
        return any(digit.unsure for digit in self.digits)

    @property
    def non_digits(self) -> int:
        """Pieces that do not look like digits, left out of `text`."""
        return sum(not digit.prediction.is_digit for digit in self.digits)


@dataclass
class _Group:
    labels: list[int]  # the connected components it holds
    left: int  # columns [left, right) of the ink map
    right: int
    top: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


def split_digits(image: np.ndarray) -> list[tuple[DigitBox, np.ndarray]]:
    """Each digit's box in `image` (a canvas array) and its ink (a float map, light on dark,
    cropped to it), left to right. EmptyImageError when there is no ink, InvalidImageError
    when the drawing holds more than MAX_DIGITS digits."""
    ink = ink_map(read_image(image))  # large drawings are shrunk: boxes are scaled back
    scale = np.asarray(image).shape[1] / ink.shape[1]
    solid = ink >= SOLID_INK
    labels, count = ndimage.label(solid, structure=np.ones((3, 3)))
    if count == 0:
        raise EmptyImageError("the image has no ink: write a number")
    pieces = _pieces(labels)
    groups = _merged(pieces)
    _check_count(len(groups))
    owner = np.zeros(count + 1, np.int32)  # label → its group's number, 0 for specks
    for number, group in enumerate(groups, start=1):
        owner[group.labels] = number
    owners = owner[labels]
    digits = []
    for number, group in sorted(
        _split(groups, owners), key=lambda found: (found[1].left + found[1].right, found[1].top)
    ):
        top, left = max(group.top - RIM, 0), group.left
        keep = owners[top : group.bottom + RIM, left : group.right] == number
        # The faint anti-aliased rim around the kept strokes belongs to the digit too.
        rim = ndimage.binary_dilation(keep, iterations=RIM)
        digit_ink = np.where(rim, ink[top : group.bottom + RIM, left : group.right], 0)
        rows = np.flatnonzero(digit_ink.any(axis=1))
        cols = np.flatnonzero(digit_ink.any(axis=0))
        bottom, right = top + rows[-1] + 1, left + cols[-1] + 1
        top, left = top + rows[0], left + cols[0]
        box = DigitBox(
            int(left * scale), int(top * scale), int(np.ceil(right * scale)),
            int(np.ceil(bottom * scale)),
        )  # fmt: skip
        digit = digit_ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        digits.append((box, digit.astype(np.float32)))
    return digits


def _pieces(labels: np.ndarray) -> list[_Group]:
    """The labelled pieces that are not specks, at most MAX_PIECES of them, the largest.

    Boxes come from one sort of the ink's pixels: `ndimage.find_objects` takes a second on
    a canvas of 12,000 dots."""
    flat = labels.ravel()
    where = np.flatnonzero(flat)
    order = np.argsort(flat[where], kind="stable")
    owners = flat[where][order]
    rows, cols = np.divmod(where[order], labels.shape[1])
    starts = np.flatnonzero(np.diff(owners, prepend=0))  # labels are 1..count, each with ink
    top, bottom = rows[starts], np.maximum.reduceat(rows, starts) + 1
    left, right = np.minimum.reduceat(cols, starts), np.maximum.reduceat(cols, starts) + 1
    height, area = bottom - top, np.diff(starts, append=len(owners))
    kept = np.flatnonzero(np.maximum(height, right - left) >= SPECK_HEIGHT * height.max())
    kept = np.sort(kept[np.argsort(-area[kept], kind="stable")[:MAX_PIECES]])
    return [
        _Group([int(i) + 1], int(left[i]), int(right[i]), int(top[i]), int(bottom[i])) for i in kept
    ]


def _check_count(count: int) -> None:
    if count > MAX_DIGITS:
        raise InvalidImageError(
            f"the drawing holds more than {MAX_DIGITS} digits or separate marks: "
            "too many to read as a number; clear the canvas and write fewer"
        )


def _merged(pieces: list[_Group]) -> list[_Group]:
    """Pieces that are parts of one digit merged, in one sweep from left to right: each piece
    joins the groups before it for as long as it and the last of them are one digit."""
    groups: list[_Group] = []
    for piece in sorted(pieces, key=lambda piece: piece.left):
        while groups and _one_digit(groups[-1], piece):
            other = groups.pop()
            piece = _Group(
                other.labels + piece.labels,
                min(other.left, piece.left),
                max(other.right, piece.right),
                min(other.top, piece.top),
                max(other.bottom, piece.bottom),
            )
        groups.append(piece)
    return groups


def _one_digit(a: _Group, b: _Group) -> bool:
    """Whether two pieces are parts of one digit: stacked (a 7's bar, a 5's flag), or a short
    stroke right beside a tall one (an open 4)."""
    shared = min(a.right, b.right) - max(a.left, b.left)
    if shared >= MERGE_OVERLAP * min(a.width, b.width):
        return True
    short, tall = sorted((a, b), key=lambda piece: piece.height)
    return short.height < PART_HEIGHT * tall.height and -shared < PART_GAP * tall.height


def _split(groups: list[_Group], owners: np.ndarray) -> list[tuple[int, _Group]]:
    """(group number, part) for every part of the groups once those too wide for one digit are
    cut at clear valleys of ink; InvalidImageError past MAX_DIGITS parts, which bounds the cuts."""
    done: list[tuple[int, _Group]] = []
    todo = list(enumerate(groups, start=1))
    while todo:
        number, group = todo.pop()
        mask = owners[group.top : group.bottom, group.left : group.right] == number
        parts = _valley_cut(group, mask)
        if parts is None:
            done.append((number, group))
        else:
            todo += [(number, part) for part in parts]
        _check_count(len(done) + len(todo))
    return done


def _valley_cut(group: _Group, mask: np.ndarray) -> list[_Group] | None:
    """The two sides of a group too wide for one digit, cut at a clear valley of its ink
    (`mask`, the group's box); None if it is not too wide or has no clear valley."""
    if group.width <= SPLIT_ASPECT * group.height:
        return None
    columns = mask.sum(axis=0).astype(np.float32)
    start, stop = (int(fraction * group.width) for fraction in SPLIT_MIDDLE)
    if stop - start < 1 or start < 1:  # a few pixels wide: nothing to cut
        return None
    cut = start + int(np.argmin(columns[start:stop]))
    if columns[cut] > SPLIT_VALLEY * np.median(columns[columns > 0]):
        return None
    parts = []
    for left, right in ((0, cut), (cut, group.width)):
        rows = np.flatnonzero(mask[:, left:right].any(axis=1))
        if rows.size == 0:
            continue
        parts.append(
            _Group(
                group.labels,
                group.left + left,
                group.left + right,
                group.top + int(rows[0]),
                group.top + int(rows[-1]) + 1,
            )
        )
    return parts


def read_number(classifier: Classifier, image: np.ndarray) -> NumberReading:
    """Every digit of a written number, recognized in at most two batches; EmptyImageError if
    there is no ink, InvalidImageError if it holds more than MAX_DIGITS digits.

    A digit wide enough to be two that touch, and not read surely as one, is cut where the
    network reads both halves best, if it reads them better than the whole.
    """
    found = split_digits(image)
    inputs = [_mnist_input(ink) for _, ink in found]
    rows = classifier.predict_proba(np.stack(inputs))
    specks = [is_speck(ink) for _, ink in found]  # a lone dot: no digit, whatever the model
    readings = [[(box, seen, row)] for (box, _), seen, row in zip(found, inputs, rows, strict=True)]
    unsure_wide = [
        index
        for index, (_, ink) in enumerate(found)
        if ink.shape[1] > TRY_SPLIT_ASPECT * ink.shape[0]
        and rows[index].max() < SURE_WHOLE
        and not specks[index]
    ]
    tried = sorted(unsure_wide, key=lambda index: rows[index].max())[:MAX_READ_SPLITS]
    trials = [(index, *_cut_trials(found[index][1])) for index in tried]
    halves = [half for _, _, pairs in trials for half in pairs]
    if halves:
        half_rows = classifier.predict_proba(np.stack(halves))
        start = 0
        for index, cuts, pairs in trials:
            box, ink = found[index]
            pair_rows = half_rows[start : start + len(pairs)]
            apart = _read_apart(box, ink.shape[1], rows[index].max(), cuts, pairs, pair_rows)
            readings[index] = apart or readings[index]
            start += len(pairs)
    pieces = [reading for parts in readings for reading in parts]
    speck = [specks[index] for index, parts in enumerate(readings) for _ in parts]
    is_digit = classifier.is_digit(np.stack([row for _, _, row in pieces])) & ~np.array(speck)
    digits = []
    for (box, seen, row), digit in zip(pieces, is_digit, strict=True):
        label = int(np.argmax(row))
        digits.append(ReadDigit(box, Prediction(label, float(row[label]), row, seen, bool(digit))))
    return NumberReading(digits)


def _mnist_input(ink: np.ndarray) -> np.ndarray:
    if max(ink.shape) > DIGIT_SIDE:  # reads the same, and bounds the work of a huge one
        ink = resize_longest_side(ink, DIGIT_SIDE)
    # A margin of background first: a tight crop of a bold digit is mostly ink, which
    # `to_mnist` would take for the background.
    return to_mnist(np.pad(ink, max(ink.shape) // 2))


def _cut_trials(ink: np.ndarray) -> tuple[list[int], list[np.ndarray]]:
    """The columns a wide digit is tried cut at, and the inputs of both halves at each cut."""
    cuts, halves = [], []
    for fraction in CUT_CANDIDATES:
        cut = int(fraction * ink.shape[1])
        try:
            pair = [_mnist_input(ink[:, :cut]), _mnist_input(ink[:, cut:])]
        except EmptyImageError:  # all the ink on one side: not a cut between two digits
            continue
        cuts.append(cut)
        halves += pair
    return cuts, halves


def _read_apart(
    box: DigitBox,
    width: int,
    whole: float,
    cuts: list[int],
    halves: list[np.ndarray],
    half_rows: np.ndarray,
) -> list[tuple[DigitBox, np.ndarray, np.ndarray]] | None:
    """(box, input, probabilities) of both halves of the cut whose worse half the network reads
    best, if it reads that half better than the whole (`whole`, its confidence); else None."""
    if not cuts:
        return None
    confidence = half_rows.max(axis=1)
    pair = np.minimum(confidence[0::2], confidence[1::2])
    best = int(np.argmax(pair))
    if pair[best] <= whole:
        return None
    middle = box.left + round(cuts[best] * (box.right - box.left) / width)
    return [
        (DigitBox(box.left, box.top, middle, box.bottom), halves[2 * best], half_rows[2 * best]),
        (DigitBox(middle, box.top, box.right, box.bottom), halves[2 * best + 1],
         half_rows[2 * best + 1]),
    ]  # fmt: skip
