"""A drawing of a whole number → its digits, left to right, each read like a single digit.

The ink's connected components are the candidates. Pieces of one digit that don't touch (the
bar of a 7, a 5's flag, a broken loop) lie above one another, so components that share most of
their columns are merged, and so is a short stroke right beside a tall one (an open 4). A group
too wide to be one digit is two that touch: cut at the thinnest column of its middle if the ink
there is clearly thinner than elsewhere, or else where the network reads both halves best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from mnist_core.errors import EmptyImageError
from mnist_core.predict import Classifier, Prediction
from mnist_core.preprocess import SOLID_INK, ink_map, read_image, to_mnist

NUMBER_CANVAS = (280, 720)  # the Draw page's canvas for numbers, height and width: 4-5 digits
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
UNSURE_BELOW = 0.8  # a digit read with less confidence than this is marked for the reader


@dataclass(frozen=True)
class DigitBox:
    """Where one digit lies in the drawing, in its pixels; right and bottom exclusive."""

    left: int
    top: int
    right: int
    bottom: int


@dataclass(frozen=True)
class ReadDigit:
    box: DigitBox
    prediction: Prediction
    unsure: bool


@dataclass(frozen=True)
class NumberReading:
    digits: list[ReadDigit]

    @property
    def text(self) -> str:
        """The number read, e.g. "2026"."""
        return "".join(str(digit.prediction.label) for digit in self.digits)

    @property
    def unsure(self) -> bool:
        return any(digit.unsure for digit in self.digits)


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
    cropped to it), left to right. EmptyImageError when there is no ink."""
    ink = ink_map(read_image(image))  # large drawings are shrunk: boxes are scaled back
    scale = np.asarray(image).shape[1] / ink.shape[1]
    solid = ink >= SOLID_INK
    labels, count = ndimage.label(solid, structure=np.ones((3, 3)))
    if count == 0:
        raise EmptyImageError("the image has no ink: write a number")
    pieces = [
        _Group([index + 1], cols.start, cols.stop, rows.start, rows.stop)
        for index, (rows, cols) in enumerate(ndimage.find_objects(labels))
    ]
    tallest = max(piece.height for piece in pieces)
    pieces = [piece for piece in pieces if max(piece.height, piece.width) >= SPECK_HEIGHT * tallest]
    groups = [part for group in _merged(pieces) for part in _split(group, labels)]
    digits = []
    for group in sorted(groups, key=lambda group: group.left + group.right):
        keep = np.isin(labels, group.labels)
        keep[:, : group.left] = False
        keep[:, group.right :] = False
        # The faint anti-aliased rim around the kept strokes belongs to the digit too.
        rim = ndimage.binary_dilation(keep, iterations=2)
        rim[:, : group.left] = False
        rim[:, group.right :] = False
        digit_ink = np.where(rim, ink, 0).astype(np.float32)
        rows = np.flatnonzero(digit_ink.any(axis=1))
        cols = np.flatnonzero(digit_ink.any(axis=0))
        top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        box = DigitBox(
            int(left * scale), int(top * scale), int(np.ceil(right * scale)),
            int(np.ceil(bottom * scale)),
        )  # fmt: skip
        digits.append((box, digit_ink[top:bottom, left:right]))
    return digits


def _merged(pieces: list[_Group]) -> list[_Group]:
    """Pieces that share most of their columns, merged until no two do."""
    groups = sorted(pieces, key=lambda piece: piece.left)
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                a, b = groups[i], groups[j]
                if _one_digit(a, b):
                    groups[i] = _Group(
                        a.labels + b.labels,
                        min(a.left, b.left),
                        max(a.right, b.right),
                        min(a.top, b.top),
                        max(a.bottom, b.bottom),
                    )
                    del groups[j]
                    merged = True
                    break
            if merged:
                break
    return groups


def _one_digit(a: _Group, b: _Group) -> bool:
    """Whether two pieces are parts of one digit: stacked (a 7's bar, a 5's flag), or a short
    stroke right beside a tall one (an open 4)."""
    shared = min(a.right, b.right) - max(a.left, b.left)
    if shared >= MERGE_OVERLAP * min(a.width, b.width):
        return True
    short, tall = sorted((a, b), key=lambda piece: piece.height)
    return short.height < PART_HEIGHT * tall.height and -shared < PART_GAP * tall.height


def _split(group: _Group, labels: np.ndarray) -> list[_Group]:
    """A group too wide for one digit, cut at a clear valley of ink; recursively."""
    if group.width <= SPLIT_ASPECT * group.height:
        return [group]
    mask = np.isin(labels[group.top : group.bottom, group.left : group.right], group.labels)
    columns = mask.sum(axis=0).astype(np.float32)
    start, stop = (int(fraction * group.width) for fraction in SPLIT_MIDDLE)
    if stop - start < 1 or start < 1:  # a few pixels wide: nothing to cut
        return [group]
    cut = start + int(np.argmin(columns[start:stop]))
    if columns[cut] > SPLIT_VALLEY * np.median(columns[columns > 0]):
        return [group]
    parts = []
    for left, right in ((0, cut), (cut, group.width)):
        rows = np.flatnonzero(mask[:, left:right].any(axis=1))
        if rows.size == 0:
            continue
        part = _Group(
            group.labels,
            group.left + left,
            group.left + right,
            group.top + int(rows[0]),
            group.top + int(rows[-1]) + 1,
        )
        parts += _split(part, labels)
    return parts


def read_number(
    classifier: Classifier, image: np.ndarray, unsure_below: float = UNSURE_BELOW
) -> NumberReading:
    """Every digit of a written number, recognized in one batch; EmptyImageError if no ink.

    A digit wide enough to be two that touch without a clear valley is cut where the network
    reads both halves best, if it reads them better than the whole.
    """
    found = [
        part for box, ink in split_digits(image) for part in _split_by_reading(classifier, box, ink)
    ]
    inputs = np.stack([_mnist_input(ink) for _, ink in found])
    probabilities = classifier.predict_proba(inputs)
    digits = []
    for (box, _), seen, row in zip(found, inputs, probabilities, strict=True):
        label = int(np.argmax(row))
        prediction = Prediction(label, float(row[label]), row, seen)
        digits.append(ReadDigit(box, prediction, prediction.confidence < unsure_below))
    return NumberReading(digits)


def _mnist_input(ink: np.ndarray) -> np.ndarray:
    # A margin of background first: a tight crop of a bold digit is mostly ink, which
    # `to_mnist` would take for the background.
    return to_mnist(np.pad(ink, max(ink.shape) // 2))


def _split_by_reading(
    classifier: Classifier, box: DigitBox, ink: np.ndarray
) -> list[tuple[DigitBox, np.ndarray]]:
    """[(box, ink)], or the two halves of a wide digit the network reads better apart."""
    height, width = ink.shape
    if width <= TRY_SPLIT_ASPECT * height:
        return [(box, ink)]
    cuts, halves = [], []
    for fraction in CUT_CANDIDATES:
        cut = int(fraction * width)
        try:
            pair = [_mnist_input(ink[:, :cut]), _mnist_input(ink[:, cut:])]
        except EmptyImageError:  # all the ink on one side: not a cut between two digits
            continue
        cuts.append(cut)
        halves += pair
    if not cuts:
        return [(box, ink)]
    confidence = classifier.predict_proba(np.stack([_mnist_input(ink), *halves])).max(axis=1)
    pair = np.minimum(confidence[1::2], confidence[2::2])
    best = int(np.argmax(pair))
    if confidence[0] >= SURE_WHOLE or pair[best] <= confidence[0]:
        return [(box, ink)]
    cut = cuts[best]
    scale = (box.right - box.left) / width
    middle = box.left + round(cut * scale)
    return [
        (DigitBox(box.left, box.top, middle, box.bottom), ink[:, :cut]),
        (DigitBox(middle, box.top, box.right, box.bottom), ink[:, cut:]),
    ]
