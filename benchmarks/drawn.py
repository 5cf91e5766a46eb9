"""A test set of digits drawn the way people draw on the canvas, not taken from MNIST.

Each digit is a pen skeleton (strokes in a unit box) drawn as a thick polyline on a 280x280
RGBA canvas, at a random size, place, tilt, aspect and pen width, with a hand's wobble, in one
of three polarities. The generator is seeded: the same seed gives the same set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from mnist_core.data import Mnist
from mnist_core.segment import DIGIT_CANVAS, NUMBER_CANVAS

POLARITIES = ("light on dark", "dark on light", "ink in alpha")

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Stroke:
    """Points along an ellipse from `start` to `end` degrees (0 = right, 90 = down)."""
    count = max(4, int(abs(end - start) / 10))
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in np.linspace(start, end, count)
    ]


# Pen skeletons of each digit in a unit box (x right, y down), a few common ways to write each.
SKELETONS: dict[int, list[list[Stroke]]] = {
    0: [[_arc(0.5, 0.5, 0.4, 0.5, -90, 270)], [_arc(0.5, 0.5, 0.33, 0.5, -100, 265)]],
    1: [
        [[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.25, 0.22), (0.55, 0.0), (0.55, 1.0)]],
        [[(0.3, 0.2), (0.55, 0.0), (0.55, 1.0)], [(0.25, 1.0), (0.85, 1.0)]],
    ],
    2: [
        [[*_arc(0.5, 0.28, 0.38, 0.28, 190, 360), (0.85, 0.35), (0.1, 1.0), (0.92, 1.0)]],
        [
            [
                *_arc(0.5, 0.3, 0.4, 0.3, 200, 380),
                *_arc(0.1, 1.1, 0.8, 0.6, -40, -90)[1:],
                (0.1, 1.0),
                (0.9, 0.97),
            ]
        ],
    ],
    3: [
        [_arc(0.45, 0.25, 0.38, 0.25, 200, 450) + _arc(0.45, 0.74, 0.42, 0.26, -90, 160)],
        [[(0.1, 0.0), (0.85, 0.0), (0.4, 0.42), *_arc(0.45, 0.7, 0.42, 0.3, -80, 160)]],
    ],
    4: [
        [[(0.6, 0.0), (0.05, 0.68), (0.95, 0.68)], [(0.7, 0.3), (0.7, 1.0)]],
        [[(0.15, 0.0), (0.1, 0.55), (0.9, 0.55)], [(0.75, 0.0), (0.75, 1.0)]],
    ],
    5: [
        [[(0.85, 0.0), (0.2, 0.0), (0.15, 0.42), *_arc(0.45, 0.68, 0.42, 0.32, -130, 150)]],
        [
            [(0.2, 0.0), (0.15, 0.45), *_arc(0.45, 0.7, 0.42, 0.3, -130, 155)],
            [(0.2, 0.0), (0.85, 0.02)],
        ],
    ],
    6: [
        [[*_arc(0.9, 0.55, 0.75, 0.55, 240, 180), *_arc(0.5, 0.72, 0.38, 0.28, 180, 540)]],
        [[(0.75, 0.0), (0.2, 0.55), *_arc(0.5, 0.72, 0.36, 0.28, 200, 560)]],
    ],
    7: [
        [[(0.05, 0.0), (0.95, 0.0), (0.35, 1.0)]],
        [[(0.05, 0.05), (0.95, 0.0), (0.4, 1.0)], [(0.3, 0.5), (0.8, 0.5)]],
    ],
    8: [
        [_arc(0.5, 0.25, 0.3, 0.25, 90, 450) + _arc(0.5, 0.74, 0.38, 0.26, -90, 270)],
        [
            [
                *_arc(0.5, 0.25, 0.32, 0.25, 30, 330),
                *_arc(0.5, 0.73, 0.36, 0.27, -90, 270),
                (0.78, 0.12),
            ]
        ],
    ],
    9: [
        [[*_arc(0.45, 0.28, 0.38, 0.28, 0, 360), (0.83, 0.28), (0.8, 1.0)]],
        [[*_arc(0.5, 0.27, 0.38, 0.27, 20, 380), (0.86, 0.3), (0.55, 1.0)]],
    ],
}


@dataclass(frozen=True)
class DrawnDigit:
    image: np.ndarray  # (280, 280, 4) uint8 RGBA, as the canvas sends it
    label: int
    polarity: str
    pen_width: int
    height: int  # the digit's drawn height in canvas pixels


def draw_digit(label: int, rng: np.random.Generator) -> DrawnDigit:
    """One randomly sized, placed, tilted and pen-stroked drawing of `label`."""
    strokes = SKELETONS[label][rng.integers(len(SKELETONS[label]))]
    height = int(rng.uniform(70, 230))
    width = height * rng.uniform(0.55, 0.8) * (0.35 if label == 1 else 1.0)
    angle = math.radians(rng.uniform(-12, 12))
    pen = int(rng.uniform(6, min(36, height / 4.5)))  # a marker on a small digit fills it in
    margin = pen * 0.75 + 4  # room for the pen's radius and the hand's wobble
    tilted = [
        [
            (
                (x - 0.5) * width * math.cos(angle) - (y - 0.5) * height * math.sin(angle),
                (x - 0.5) * width * math.sin(angle) + (y - 0.5) * height * math.cos(angle),
            )
            for x, y in stroke
        ]
        for stroke in strokes
    ]
    xs = [x for stroke in tilted for x, _ in stroke]
    ys = [y for stroke in tilted for _, y in stroke]
    room = DIGIT_CANVAS - 2 * margin
    fit = min(1.0, room / (max(xs) - min(xs) + 1e-9), room / (max(ys) - min(ys) + 1e-9))
    left = rng.uniform(margin - fit * min(xs), DIGIT_CANVAS - margin - fit * max(xs))
    top = rng.uniform(margin - fit * min(ys), DIGIT_CANVAS - margin - fit * max(ys))

    def place(x: float, y: float) -> tuple[float, float]:
        wobble = rng.normal(0, pen * 0.08, 2)
        return left + fit * x + wobble[0], top + fit * y + wobble[1]

    ink = Image.new("L", (DIGIT_CANVAS, DIGIT_CANVAS), 0)
    pencil = ImageDraw.Draw(ink)
    for stroke in tilted:
        points = [place(x, y) for x, y in stroke]
        pencil.line(points, fill=255, width=pen, joint="curve")
        for x, y in (points[0], points[-1]):  # round pen ends
            pencil.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=255)
    image, polarity = _painted(np.asarray(ink), rng)
    return DrawnDigit(image, label, polarity, pen, round(height * fit))


def drawn_digits(count: int = 1000, seed: int = 2026) -> list[DrawnDigit]:
    """`count` drawings, the ten digits in turn; the same seed gives the same set."""
    rng = np.random.default_rng(seed)
    return [draw_digit(index % 10, rng) for index in range(count)]


def mnist_on_canvas(digit: np.ndarray) -> np.ndarray:
    """An MNIST digit as the 280x280 canvas sends it: white ink in alpha, transparent around."""
    ink = np.asarray(Image.fromarray(digit).resize((DIGIT_CANVAS, DIGIT_CANVAS), Image.BILINEAR))
    return _paint(ink, "ink in alpha")


def _painted(ink: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    polarity = POLARITIES[rng.integers(len(POLARITIES))]
    return _paint(ink, polarity), polarity


def _paint(ink: np.ndarray, polarity: str) -> np.ndarray:
    """An ink map as an RGBA canvas in one of POLARITIES."""
    rgba = np.zeros((*ink.shape, 4), np.uint8)
    if polarity == "light on dark":
        rgba[..., :3] = ink[..., None]
        rgba[..., 3] = 255
    elif polarity == "dark on light":
        rgba[..., :3] = 255 - ink[..., None]
        rgba[..., 3] = 255
    else:
        rgba[..., :3] = 255
        rgba[..., 3] = ink
    return rgba


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
    return WrittenNumber(_paint(ink, "ink in alpha"), text, touching, bool(broken))


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
