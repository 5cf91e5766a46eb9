"""Drawings that are not digits, in families, drawn as people draw on the canvas.

What a class draws to test the network: letters, shapes, scribbles, doodles, partial strokes,
two digits drawn over each other, specks and noise. Training on some families and testing on
the others (`benchmarks/not_a_digit.py`) measures rejection of things the network never saw.
Letters and shapes that are also read as digits (O, I, l, S, Z, B, G, a plain circle) are left out.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from mnist_core.data import IMAGE_SHAPE
from mnist_core.errors import EmptyImageError
from mnist_core.preprocess import SPECK_SIZE, to_mnist
from mnist_core.segment import DIGIT_CANVAS
from mnist_core.sketches import SKELETONS, Stroke, arc, draw_strokes, paint, painted

Sketch = list[Stroke]

LETTERS: dict[str, Sketch] = {
    "A": [[(0.0, 1.0), (0.5, 0.0), (1.0, 1.0)], [(0.22, 0.6), (0.78, 0.6)]],
    "E": [[(0.9, 0.0), (0.1, 0.0), (0.1, 1.0), (0.9, 1.0)], [(0.1, 0.5), (0.7, 0.5)]],
    "F": [[(0.9, 0.0), (0.1, 0.0), (0.1, 1.0)], [(0.1, 0.5), (0.7, 0.5)]],
    "H": [[(0.1, 0.0), (0.1, 1.0)], [(0.9, 0.0), (0.9, 1.0)], [(0.1, 0.5), (0.9, 0.5)]],
    "K": [[(0.15, 0.0), (0.15, 1.0)], [(0.85, 0.0), (0.15, 0.55)], [(0.35, 0.4), (0.9, 1.0)]],
    "L": [[(0.15, 0.0), (0.15, 1.0), (0.9, 1.0)]],
    "M": [[(0.05, 1.0), (0.15, 0.0), (0.5, 0.6), (0.85, 0.0), (0.95, 1.0)]],
    "N": [[(0.1, 1.0), (0.1, 0.0), (0.9, 1.0), (0.9, 0.0)]],
    "R": [
        [(0.15, 1.0), (0.15, 0.0), *arc(0.45, 0.25, 0.4, 0.25, -90, 90), (0.15, 0.5)],
        [(0.45, 0.5), (0.9, 1.0)],
    ],
    "T": [[(0.0, 0.0), (1.0, 0.0)], [(0.5, 0.0), (0.5, 1.0)]],
    "U": [[(0.1, 0.0), *arc(0.5, 0.6, 0.4, 0.4, 180, 0), (0.9, 0.0)]],
    "V": [[(0.0, 0.0), (0.5, 1.0), (1.0, 0.0)]],
    "W": [[(0.0, 0.0), (0.25, 1.0), (0.5, 0.35), (0.75, 1.0), (1.0, 0.0)]],
    "X": [[(0.0, 0.0), (1.0, 1.0)], [(1.0, 0.0), (0.0, 1.0)]],
    "Y": [[(0.0, 0.0), (0.5, 0.5), (1.0, 0.0)], [(0.5, 0.5), (0.5, 1.0)]],
    "e": [[(0.1, 0.55), (0.9, 0.55), *arc(0.5, 0.6, 0.4, 0.4, 0, -300)]],
    "h": [
        [(0.15, 0.0), (0.15, 1.0)],
        [(0.15, 0.7), *arc(0.5, 0.65, 0.35, 0.3, 200, 360), (0.85, 1.0)],
    ],
    "m": [
        [(0.05, 1.0), (0.05, 0.35)],
        [(0.05, 0.55), *arc(0.27, 0.55, 0.22, 0.2, 180, 360), (0.49, 1.0)],
        [(0.49, 0.55), *arc(0.71, 0.55, 0.22, 0.2, 180, 360), (0.93, 1.0)],
    ],
    "n": [[(0.1, 1.0), (0.1, 0.2)], [(0.1, 0.45), *arc(0.5, 0.45, 0.4, 0.3, 180, 360), (0.9, 1.0)]],
    "r": [[(0.2, 1.0), (0.2, 0.1)], [(0.2, 0.45), *arc(0.6, 0.45, 0.4, 0.3, 180, 290)]],
    "w": [[(0.0, 0.2), (0.22, 1.0), (0.5, 0.4), (0.78, 1.0), (1.0, 0.2)]],
}


def _polygon(sides: int, turn: float = 0.0, step: int = 1) -> Sketch:
    corners = [
        (0.5 + 0.5 * math.sin(turn + 2 * math.pi * k * step / sides),
         0.5 - 0.5 * math.cos(turn + 2 * math.pi * k * step / sides))
        for k in range(sides + 1)
    ]  # fmt: skip
    return [corners]


def _heart() -> Sketch:
    return [[*arc(0.27, 0.3, 0.25, 0.25, 135, 360), *arc(0.73, 0.3, 0.25, 0.25, 180, 405),
             (0.5, 1.0), (0.1, 0.48)]]  # fmt: skip


SHAPES: dict[str, Callable[[np.random.Generator], Sketch]] = {
    "triangle": lambda rng: _polygon(3, rng.uniform(-0.3, 0.3)),
    "square": lambda rng: _polygon(4, math.pi / 4 + rng.uniform(-0.2, 0.2)),
    "diamond": lambda rng: _polygon(4, rng.uniform(-0.2, 0.2)),
    "star": lambda rng: _polygon(5, rng.uniform(-0.3, 0.3), step=2),
    "hexagon": lambda rng: _polygon(6, rng.uniform(0, 1)),
    "heart": lambda rng: _heart(),
    "plus": lambda rng: [[(0.5, 0.0), (0.5, 1.0)], [(0.0, 0.5), (1.0, 0.5)]],
    "arrow": lambda rng: [[(0.0, 0.5), (1.0, 0.5)], [(0.65, 0.15), (1.0, 0.5), (0.65, 0.85)]],
}


def _scribble(rng: np.random.Generator) -> Sketch:
    points = rng.uniform(0, 1, (int(rng.integers(6, 14)), 2))
    path = []
    for a, b in itertools.pairwise(points):
        path += [tuple(a + (b - a) * t) for t in np.linspace(0, 1, 6)[:-1]]
    return [_smoothed(path)]


def _smoothed(path: list, passes: int = 3) -> Stroke:
    points = np.asarray(path, dtype=float)
    for _ in range(passes):
        points[1:-1] = (points[:-2] + 2 * points[1:-1] + points[2:]) / 4
    return [(float(x), float(y)) for x, y in points]


def _zigzag(rng: np.random.Generator) -> Sketch:
    turns = int(rng.integers(4, 9))
    return [[(k / turns, float(k % 2) * rng.uniform(0.6, 1.0)) for k in range(turns + 1)]]


def _spiral(rng: np.random.Generator) -> Sketch:
    turns = rng.uniform(1.8, 3.5)
    steps = np.linspace(0, turns * 2 * math.pi, int(turns * 24))
    return [[(0.5 + 0.5 * t / steps[-1] * math.cos(t), 0.5 + 0.5 * t / steps[-1] * math.sin(t))
             for t in steps]]  # fmt: skip


def _hatching(rng: np.random.Generator) -> Sketch:
    lines = int(rng.integers(4, 9))
    slant = rng.uniform(-0.4, 0.4)
    return [[(k / lines, 0.0), (k / lines + slant, 1.0)] for k in range(lines + 1)]


def _loops(rng: np.random.Generator) -> Sketch:
    count = int(rng.integers(3, 7))
    steps = np.linspace(0, count * 2 * math.pi, count * 20)
    return [[(t / steps[-1] + 0.12 * math.sin(t), 0.5 - 0.45 * math.cos(t)) for t in steps]]


SCRIBBLES: dict[str, Callable[[np.random.Generator], Sketch]] = {
    "scribble": _scribble,
    "zigzag": _zigzag,
    "spiral": _spiral,
    "hatching": _hatching,
    "loops": _loops,
}


def _circle(cx: float, cy: float, r: float) -> Stroke:
    return arc(cx, cy, r, r, 0, 360)


def _dot(x: float, y: float) -> Stroke:
    return [(x, y)]


def _face(rng: np.random.Generator) -> Sketch:
    """A smiley, a frown or a surprised face: eyes, maybe a nose, a mouth, in a round outline.
    The doodle a class draws first, and a 0 with marks inside to the network: drawn most."""
    height = rng.uniform(0.3, 0.42)
    gap = rng.uniform(0.13, 0.2)
    eyes: Sketch
    kind = rng.integers(4)
    if kind == 0:  # dots
        eyes = [_dot(0.5 - gap, height), _dot(0.5 + gap, height)]
    elif kind == 1:  # small rings
        eyes = [_circle(0.5 - gap, height, 0.06), _circle(0.5 + gap, height, 0.06)]
    elif kind == 2:  # upright dashes
        eyes = [[(0.5 + side * gap, height - 0.06), (0.5 + side * gap, height + 0.06)]
                for side in (-1, 1)]  # fmt: skip
    else:  # crosses
        eyes = [line for side in (-1, 1) for line in (
            [(0.5 + side * gap - 0.05, height - 0.05), (0.5 + side * gap + 0.05, height + 0.05)],
            [(0.5 + side * gap + 0.05, height - 0.05), (0.5 + side * gap - 0.05, height + 0.05)],
        )]  # fmt: skip
    mouths = (
        arc(0.5, 0.55, rng.uniform(0.18, 0.3), rng.uniform(0.1, 0.2), 20, 160),  # smile
        arc(0.5, 0.82, 0.22, 0.12, 200, 340),  # frown
        [(0.32, 0.72), (0.68, 0.72)],  # straight
        _circle(0.5, 0.72, 0.08),  # surprised
    )
    mouth = mouths[rng.choice(4, p=[0.6, 0.15, 0.1, 0.15])]
    nose = [[(0.5, 0.45), (0.5, 0.58)]] if rng.random() < 0.3 else []
    outline = arc(0.5, 0.5, 0.5, rng.uniform(0.45, 0.55), 0, 360 + rng.uniform(0, 15))
    return [outline, *eyes, *nose, mouth]


def _sun(rng: np.random.Generator) -> Sketch:
    rays = int(rng.integers(6, 11))
    angles = np.linspace(0, 2 * math.pi, rays, endpoint=False) + rng.uniform(0, 1)
    return [_circle(0.5, 0.5, 0.25)] + [
        [(0.5 + 0.33 * math.cos(a), 0.5 + 0.33 * math.sin(a)),
         (0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a))]
        for a in angles
    ]  # fmt: skip


def _flower(rng: np.random.Generator) -> Sketch:
    petals = int(rng.integers(5, 8))
    sketch = [_circle(0.5, 0.35, 0.1)]
    for a in np.linspace(0, 2 * math.pi, petals, endpoint=False):
        cx, cy = 0.5 + 0.22 * math.cos(a), 0.35 + 0.22 * math.sin(a)
        sketch.append(arc(cx, cy, 0.12, 0.12, 0, 360))
    return [*sketch, [(0.5, 0.47), (0.5, 1.0)], arc(0.62, 0.8, 0.12, 0.06, 180, 360)]


def _house(rng: np.random.Generator) -> Sketch:
    return [[(0.1, 0.45), (0.1, 1.0), (0.9, 1.0), (0.9, 0.45), (0.1, 0.45), (0.5, 0.0),
             (0.9, 0.45)], [(0.42, 1.0), (0.42, 0.72), (0.58, 0.72), (0.58, 1.0)]]  # fmt: skip


def _stick_figure(rng: np.random.Generator) -> Sketch:
    return [_circle(0.5, 0.12, 0.12), [(0.5, 0.24), (0.5, 0.65)], [(0.15, 0.4), (0.85, 0.4)],
            [(0.2, 1.0), (0.5, 0.65), (0.8, 1.0)]]  # fmt: skip


def _cat(rng: np.random.Generator) -> Sketch:
    return [_circle(0.5, 0.58, 0.42), [(0.15, 0.35), (0.2, 0.0), (0.4, 0.18)],
            [(0.6, 0.18), (0.8, 0.0), (0.85, 0.35)], _dot(0.37, 0.5), _dot(0.63, 0.5),
            [(0.05, 0.68), (0.35, 0.7)], [(0.65, 0.7), (0.95, 0.68)]]  # fmt: skip


def _fish(rng: np.random.Generator) -> Sketch:
    return [[*arc(0.42, 0.5, 0.4, 0.3, 30, 330), (1.0, 0.2), (1.0, 0.8),
             *arc(0.42, 0.5, 0.4, 0.3, 30, 31)], _dot(0.22, 0.42)]  # fmt: skip


def _tree(rng: np.random.Generator) -> Sketch:
    return [[(0.42, 1.0), (0.42, 0.6)], [(0.58, 1.0), (0.58, 0.6)],
            [*arc(0.5, 0.35, 0.45, 0.3, 100, 440)]]  # fmt: skip


DOODLES: dict[str, Callable[[np.random.Generator], Sketch]] = {
    "sun": _sun,
    "flower": _flower,
    "house": _house,
    "stick figure": _stick_figure,
    "cat": _cat,
    "fish": _fish,
    "tree": _tree,
}


def _arc_piece(rng: np.random.Generator) -> Sketch:
    start = rng.uniform(0, 360)
    return [arc(0.5, 0.5, 0.5, 0.5, start, start + rng.uniform(90, 200))]


def _check_mark(rng: np.random.Generator) -> Sketch:
    return [[(0.0, 0.55), (0.35, 1.0), (1.0, 0.0)]]


def _caret(rng: np.random.Generator) -> Sketch:
    corner = [(0.0, 1.0), (0.5, 0.0), (1.0, 1.0)]
    turn = int(rng.integers(4))  # ^, >, v, <
    for _ in range(turn):
        corner = [(1 - y, x) for x, y in corner]
    return [corner]


def _wave(rng: np.random.Generator) -> Sketch:
    waves = rng.uniform(1, 2.5)
    return [[(t, 0.5 + 0.5 * math.sin(2 * math.pi * waves * t)) for t in np.linspace(0, 1, 40)]]


PARTIAL_STROKES: dict[str, Callable[[np.random.Generator], Sketch]] = {
    "arc": _arc_piece,
    "check mark": _check_mark,
    "caret": _caret,
    "wave": _wave,
}


def _random_strokes(rng: np.random.Generator) -> Sketch:
    """Rubbish (Bromley & Denker 1993): one to four strokes, each a zigzag, a curve or an arc at
    random. No family in particular: what the network is taught so it refuses what it never saw."""
    sketch: Sketch = []
    count = int(rng.choice([1, 2, 3, 4], p=[0.2, 0.35, 0.3, 0.15]))
    for _ in range(count):
        kind = rng.integers(3)
        if kind == 0:  # a zigzag: one stroke alone has at least two sharp turns
            corners = int(rng.integers(3 if count > 1 else 4, 7))
            sketch.append([tuple(point) for point in rng.uniform(0, 1, (corners, 2))])
        elif kind == 1:
            sketch.append(_smoothed(_scribble(rng)[0][: int(rng.integers(8, 30))]))
        else:
            start = rng.uniform(0, 360)
            centre, radii = rng.uniform(0.25, 0.75, 2), rng.uniform(0.15, 0.5, 2)
            sketch.append(
                arc(centre[0], centre[1], radii[0], radii[1], start, start + rng.uniform(60, 300))
            )
    return sketch


def _overlapping(rng: np.random.Generator) -> Sketch:
    """Two different digits (no 1s: a 1 inside another digit is still read as one) half apart."""
    first, second = rng.choice(np.arange(2, 10), size=2, replace=False)
    shift = rng.uniform(0.3, 0.55)
    drop = rng.uniform(-0.15, 0.15)
    strokes_a = SKELETONS[int(first)][rng.integers(len(SKELETONS[int(first)]))]
    strokes_b = SKELETONS[int(second)][rng.integers(len(SKELETONS[int(second)]))]
    moved = [[(x + shift, y + drop) for x, y in stroke] for stroke in strokes_b]
    return [[(x / (1 + shift), y) for x, y in stroke] for stroke in [*strokes_a, *moved]]


# family: (the sketches it draws, their width over height)
SKETCH_FAMILIES: dict[str, tuple[Callable[[np.random.Generator], Sketch], tuple[float, float]]] = {
    "letters": (lambda rng: LETTERS[list(LETTERS)[rng.integers(len(LETTERS))]], (0.6, 1.0)),
    "shapes": (lambda rng: _pick(SHAPES, rng), (0.8, 1.2)),
    "scribbles": (lambda rng: _pick(SCRIBBLES, rng), (0.6, 1.5)),
    "doodles": (lambda rng: _face(rng) if rng.random() < 0.4 else _pick(DOODLES, rng), (0.8, 1.2)),
    "partial strokes": (lambda rng: _pick(PARTIAL_STROKES, rng), (0.5, 1.3)),
    "overlapping digits": (_overlapping, (0.9, 1.2)),
    "random strokes": (_random_strokes, (0.6, 1.4)),
}
FAMILIES = (*SKETCH_FAMILIES, "specks", "noise")


def _pick(sketches: dict[str, Callable[[np.random.Generator], Sketch]],
          rng: np.random.Generator) -> Sketch:  # fmt: skip
    return list(sketches.values())[rng.integers(len(sketches))](rng)


def non_digit(family: str, rng: np.random.Generator) -> np.ndarray:
    """One random drawing of `family` as the 280x280 RGBA canvas sends it."""
    if family in SKETCH_FAMILIES:
        sketch, aspect = SKETCH_FAMILIES[family]
        ink, _, _ = draw_strokes(sketch(rng), rng, aspect=aspect)
        return painted(ink, rng)[0]
    if family == "specks":
        return painted(_speck(rng), rng)[0]
    if family == "noise":
        return _noise(rng)
    raise ValueError(f"unknown family of non-digits: {family!r}; known: {', '.join(FAMILIES)}")


def _speck(rng: np.random.Generator) -> np.ndarray:
    """A dot, a single pixel or a dash shorter than SPECK_SIZE of the canvas, anywhere on it."""
    kind = rng.integers(3)
    ink = Image.new("L", (DIGIT_CANVAS, DIGIT_CANVAS), 0)
    x, y = rng.uniform(40, DIGIT_CANVAS - 40, 2)
    if kind == 1:
        ink.putpixel((int(x), int(y)), 255)
        return np.asarray(ink)
    pen = rng.uniform(6, 30)
    longest = SPECK_SIZE * DIGIT_CANVAS - pen - 2
    length = 0.0 if kind == 0 else rng.uniform(0, max(0.0, longest))
    angle = rng.uniform(0, math.pi)
    end = (x + length * math.cos(angle), y + length * math.sin(angle))
    pencil = ImageDraw.Draw(ink)
    pencil.line([(x, y), end], fill=255, width=round(pen))
    for cx, cy in ((x, y), end):
        pencil.ellipse((cx - pen / 2, cy - pen / 2, cx + pen / 2, cy + pen / 2), fill=255)
    return np.asarray(ink)


def _noise(rng: np.random.Generator) -> np.ndarray:
    """Random pixels, blotches or speckle over the canvas, in one of its polarities."""
    kind = rng.integers(3)
    side = int(rng.choice([7, 14, 28, 70]))  # from coarse blocks to fine grain
    grain: np.ndarray
    if kind == 0:
        grain = rng.uniform(0, 255, (side, side))
    elif kind == 1:
        grain = (rng.random((side, side)) < rng.uniform(0.05, 0.5)) * 255.0
    else:
        grain = rng.normal(128, 60, (side, side)).clip(0, 255)
    ink = np.kron(grain, np.ones((DIGIT_CANVAS // side, DIGIT_CANVAS // side))).astype(np.uint8)
    return paint(ink, ("light on dark", "dark on light")[rng.integers(2)])


def non_digit_images(
    families: Sequence[str], count: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(images, family index): `count` drawings from `families` in turn, as the network sees
    them after `to_mnist`: uint8 (N, 28, 28). A drawing with no ink left is drawn again."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, *IMAGE_SHAPE), np.uint8)
    kinds = np.arange(count) % len(families)
    for index, kind in enumerate(kinds):
        while True:
            try:
                seen = to_mnist(non_digit(families[int(kind)], rng))
                break
            except EmptyImageError:
                continue
        images[index] = np.round(seen * 255)
    return images, kinds


BANK = Path(__file__).parent / "data" / "non_digits.npz"
BANK_PER_FAMILY = 2_000  # drawings of each family in the bank...
BANK_ORDER = (*FAMILIES, "random strokes", "random strokes")  # ...and thrice the rubbish
BANK_SEED = 0  # the benchmark draws its test drawings with other seeds


def write_bank(path: Path = BANK, per_family: int = BANK_PER_FAMILY, seed: int = BANK_SEED) -> None:
    """Draw the non-digits training mixes in, once: `to_mnist` on 22,000 canvases takes two
    minutes, longer than the demo training they are mixed into."""
    images, order = non_digit_images(BANK_ORDER, per_family * len(BANK_ORDER), seed)
    kinds = np.array([FAMILIES.index(family) for family in BANK_ORDER], np.uint8)[order]
    np.savez_compressed(path, images=images, families=kinds)


@functools.cache
def bank() -> tuple[np.ndarray, np.ndarray]:
    """The shipped non-digits as (images, family index): uint8 (N, 28, 28) and (N,)."""
    with np.load(BANK) as stored:
        return stored["images"], stored["families"]


def training_non_digits(count: int, seed: int, families: Sequence[str] = FAMILIES) -> np.ndarray:
    """`count` non-digits from the bank's `families`, picked at random as `seed` says."""
    if count == 0:
        return np.zeros((0, *IMAGE_SHAPE), np.uint8)
    images, kinds = bank()
    pool = np.flatnonzero(np.isin(kinds, [FAMILIES.index(family) for family in families]))
    rng = np.random.default_rng(seed)
    return images[rng.choice(pool, count, replace=count > len(pool))]


if __name__ == "__main__":
    write_bank()
