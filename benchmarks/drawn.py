"""A test set of digits drawn the way people draw on the canvas, not taken from MNIST.

Each digit is a pen skeleton (strokes in a unit box) drawn as a thick polyline on a 280x280
RGBA canvas, at a random size, place, tilt, aspect and pen width, with a hand's wobble, in one
of three polarities. The generator is seeded: the same seed gives the same set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from mnist_core.data import Mnist
from mnist_core.segment import DIGIT_CANVAS, NUMBER_CANVAS
from mnist_core.sketches import drawn_digit, paint


@dataclass(frozen=True)
class DrawnDigit:
    image: np.ndarray  # (280, 280, 4) uint8 RGBA, as the canvas sends it
    label: int
    polarity: str
    pen_width: int
    height: int  # the digit's drawn height in canvas pixels


def draw_digit(label: int, rng: np.random.Generator) -> DrawnDigit:
    """One randomly sized, placed, tilted and pen-stroked drawing of `label`."""
    image, polarity, pen, height = drawn_digit(label, rng)
    return DrawnDigit(image, label, polarity, pen, height)


def drawn_digits(count: int = 1000, seed: int = 2026) -> list[DrawnDigit]:
    """`count` drawings, the ten digits in turn; the same seed gives the same set."""
    rng = np.random.default_rng(seed)
    return [draw_digit(index % 10, rng) for index in range(count)]


def mnist_on_canvas(digit: np.ndarray) -> np.ndarray:
    """An MNIST digit as the 280x280 canvas sends it: white ink in alpha, transparent around."""
    ink = np.asarray(Image.fromarray(digit).resize((DIGIT_CANVAS, DIGIT_CANVAS), Image.BILINEAR))
    return paint(ink, "ink in alpha")


@dataclass(frozen=True)
class WrittenNumber:
    image: np.ndarray  # (280, 720, 4) uint8 RGBA, as the number canvas sends it
    text: str
    touching: bool  # two neighbours' strokes overlap
    broken: bool  # one digit is in two pieces that don't touch


def written_number(digits: list[np.ndarray], text: str, rng: np.random.Generator) -> WrittenNumber:
    """`text`'s MNIST digits (28x28 uint8) side by side on the number canvas at a random size,
    height and spacing; in some numbers two neighbours touch, in some one digit is cut across
    into two pieces that don't touch."""
    height_px, width_px = NUMBER_CANVAS
    size = rng.uniform(120, 220)
    gaps = rng.uniform(0.08, 0.35, len(digits) - 1) * size
    touching = len(digits) > 1 and rng.random() < 0.3
    if touching:
        gaps[rng.integers(len(gaps))] = -rng.uniform(0.02, 0.06) * size
    crops = [_ink_crop(digit) for digit in digits]
    widths = [crop.shape[1] * size / crop.shape[0] for crop in crops]
    fit = min(1.0, (width_px - 40) / (sum(widths) + gaps.sum()))
    scaled = [_scaled(crop, size * fit) for crop in crops]
    broken = rng.random() < 0.3
    if broken:  # erase a band across one digit: its two parts lie above one another
        victim = int(rng.integers(len(scaled)))
        band = int(scaled[victim].shape[0] * rng.uniform(0.3, 0.6))
        scaled[victim][band : band + max(4, scaled[victim].shape[0] // 25)] = 0
        broken = ndimage.label(scaled[victim] > 60, structure=np.ones((3, 3)))[1] >= 2
    ink = np.zeros(NUMBER_CANVAS, np.uint8)
    room = width_px - 20 - (sum(d.shape[1] for d in scaled) + gaps.sum() * fit)
    x = rng.uniform(20, max(20, room))
    for index, digit in enumerate(scaled):
        top = int(rng.uniform(10, height_px - 10 - digit.shape[0]))
        left = max(0, round(x))
        region = ink[top : top + digit.shape[0], left : left + digit.shape[1]]
        np.maximum(region, digit[: region.shape[0], : region.shape[1]], out=region)
        x += digit.shape[1] + (gaps[index] * fit if index < len(gaps) else 0)
    return WrittenNumber(paint(ink, "ink in alpha"), text, touching, bool(broken))


def _ink_crop(digit: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(digit.max(axis=1) > 40)
    cols = np.flatnonzero(digit.max(axis=0) > 40)
    return digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _scaled(crop: np.ndarray, height: float) -> np.ndarray:
    width = max(1, round(crop.shape[1] * height / crop.shape[0]))
    return np.asarray(Image.fromarray(crop).resize((width, round(height)), Image.BILINEAR)).copy()


def written_numbers(mnist: Mnist, count: int = 500, seed: int = 2026) -> list[WrittenNumber]:
    """`count` numbers of 2 to 5 digits from MNIST's test set; the same seed gives the same set."""
    rng = np.random.default_rng(seed)
    numbers = []
    for _ in range(count):
        picks = rng.integers(len(mnist.y_test), size=int(rng.integers(2, 6)))
        text = "".join(str(int(mnist.y_test[i])) for i in picks)
        numbers.append(written_number([mnist.x_test[i] for i in picks], text, rng))
    return numbers
