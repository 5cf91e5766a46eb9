"""Pen strokes drawn the way people draw on the canvas: digit skeletons and the hand that draws.

A sketch is strokes in a unit box (x right, y down). `draw_strokes` draws one as thick polylines
on a 280x280 canvas at a random size, place, tilt, aspect and pen width, with a hand's wobble;
`paint` gives the ink one of the canvas's polarities. The drawn-digit benchmark and the
non-digit generator both draw this way, so what the network is tested on looks alike.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from PIL import Image, ImageDraw

from mnist_core.segment import DIGIT_CANVAS

POLARITIES = ("light on dark", "dark on light", "ink in alpha")
DIGIT_ASPECT = (0.55, 0.8)  # width over height of a drawn digit
DIGIT_HEIGHTS = (70, 230)  # canvas pixels: a small careful digit to one filling the canvas
CALIBRATION_DRAWINGS = 1_000  # drawn digits each trained model is calibrated on, ~5 s
CALIBRATION_SEED = 7  # not the drawn-digit benchmark's 2026

Stroke = list[tuple[float, float]]


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Stroke:
    """Points along an ellipse from `start` to `end` degrees (0 = right, 90 = down)."""
    count = max(4, int(abs(end - start) / 10))
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in np.linspace(start, end, count)
    ]


# Pen skeletons of each digit in a unit box (x right, y down), a few common ways to write each.
SKELETONS: dict[int, list[list[Stroke]]] = {
    0: [[arc(0.5, 0.5, 0.4, 0.5, -90, 270)], [arc(0.5, 0.5, 0.33, 0.5, -100, 265)]],
    1: [
        [[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.25, 0.22), (0.55, 0.0), (0.55, 1.0)]],
        [[(0.3, 0.2), (0.55, 0.0), (0.55, 1.0)], [(0.25, 1.0), (0.85, 1.0)]],
    ],
    2: [
        [[*arc(0.5, 0.28, 0.38, 0.28, 190, 360), (0.85, 0.35), (0.1, 1.0), (0.92, 1.0)]],
        [
            [
                *arc(0.5, 0.3, 0.4, 0.3, 200, 380),
                *arc(0.1, 1.1, 0.8, 0.6, -40, -90)[1:],
                (0.1, 1.0),
                (0.9, 0.97),
            ]
        ],
    ],
    3: [
        [arc(0.45, 0.25, 0.38, 0.25, 200, 450) + arc(0.45, 0.74, 0.42, 0.26, -90, 160)],
        [[(0.1, 0.0), (0.85, 0.0), (0.4, 0.42), *arc(0.45, 0.7, 0.42, 0.3, -80, 160)]],
    ],
    4: [
        [[(0.6, 0.0), (0.05, 0.68), (0.95, 0.68)], [(0.7, 0.3), (0.7, 1.0)]],
        [[(0.15, 0.0), (0.1, 0.55), (0.9, 0.55)], [(0.75, 0.0), (0.75, 1.0)]],
    ],
    5: [
        [[(0.85, 0.0), (0.2, 0.0), (0.15, 0.42), *arc(0.45, 0.68, 0.42, 0.32, -130, 150)]],
        [
            [(0.2, 0.0), (0.15, 0.45), *arc(0.45, 0.7, 0.42, 0.3, -130, 155)],
            [(0.2, 0.0), (0.85, 0.02)],
        ],
    ],
    6: [
        [[*arc(0.9, 0.55, 0.75, 0.55, 240, 180), *arc(0.5, 0.72, 0.38, 0.28, 180, 540)]],
        [[(0.75, 0.0), (0.2, 0.55), *arc(0.5, 0.72, 0.36, 0.28, 200, 560)]],
    ],
    7: [
        [[(0.05, 0.0), (0.95, 0.0), (0.35, 1.0)]],
        [[(0.05, 0.05), (0.95, 0.0), (0.4, 1.0)], [(0.3, 0.5), (0.8, 0.5)]],
    ],
    8: [
        [arc(0.5, 0.25, 0.3, 0.25, 90, 450) + arc(0.5, 0.74, 0.38, 0.26, -90, 270)],
        [
            [
                *arc(0.5, 0.25, 0.32, 0.25, 30, 330),
                *arc(0.5, 0.73, 0.36, 0.27, -90, 270),
                (0.78, 0.12),
            ]
        ],
    ],
    9: [
        [[*arc(0.45, 0.28, 0.38, 0.28, 0, 360), (0.83, 0.28), (0.8, 1.0)]],
        [[*arc(0.5, 0.27, 0.38, 0.27, 20, 380), (0.86, 0.3), (0.55, 1.0)]],
    ],
}


def draw_strokes(
    strokes: list[Stroke],
    rng: np.random.Generator,
    aspect: tuple[float, float] = DIGIT_ASPECT,
    squeeze: float = 1.0,
    heights: tuple[float, float] = DIGIT_HEIGHTS,
) -> tuple[np.ndarray, int, int]:
    """(ink, pen width, drawn height): `strokes` drawn at random on a canvas, ink uint8 0-255."""
    height = int(rng.uniform(*heights))
    width = height * rng.uniform(*aspect) * squeeze
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
        if len(points) > 1:
            pencil.line(points, fill=255, width=pen, joint="curve")
        for x, y in (points[0], points[-1]):  # round pen ends; a one-point stroke is a dot
            pencil.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=255)
    return np.asarray(ink), pen, round(height * fit)


def drawn_digit(label: int, rng: np.random.Generator) -> tuple[np.ndarray, str, int, int]:
    """(canvas, polarity, pen width, height): one random drawing of `label` as the canvas sends
    it, RGBA uint8."""
    strokes = SKELETONS[label][rng.integers(len(SKELETONS[label]))]
    ink, pen, height = draw_strokes(strokes, rng, squeeze=0.35 if label == 1 else 1.0)
    image, polarity = painted(ink, rng)
    return image, polarity, pen, height


@functools.cache
def calibration_drawings(count: int = CALIBRATION_DRAWINGS) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels): `count` drawn digits as the network sees them, float (N, 28, 28), with
    their own seed: what the not-a-digit threshold must keep besides MNIST's digits."""
    from mnist_core.preprocess import to_mnist

    rng = np.random.default_rng(CALIBRATION_SEED)
    labels = np.arange(count) % 10
    images = np.stack([to_mnist(drawn_digit(int(label), rng)[0]) for label in labels])
    return images, labels


def painted(ink: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """The ink as an RGBA canvas in a random one of POLARITIES, and which."""
    polarity = POLARITIES[rng.integers(len(POLARITIES))]
    return paint(ink, polarity), polarity


def paint(ink: np.ndarray, polarity: str) -> np.ndarray:
    """An ink map (uint8) as an RGBA canvas in one of POLARITIES."""
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
