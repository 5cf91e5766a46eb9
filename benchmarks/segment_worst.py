"""The whole-number reader on the worst drawings we could make: how long `read_number` takes on
each, how many connected pieces of ink the drawing holds, what was read (or the error that said
why not), and how many calls and images the network was asked.

    python -m benchmarks.segment_worst [--repeats 3] [--case bars]

The CPU column (all threads) is the server's work, less sensitive than the wall clock to other
processes on a shared machine. Every case is a canvas of the Draw page's number canvas
(720 x 280 RGBA, white on black) or of its one-digit canvas (280 x 280). Goal: under 200 ms
of server time for any of them.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from mnist_core.errors import ImageError
from mnist_core.predict import Classifier, load_classifier
from mnist_core.preprocess import SOLID_INK, ink_map, read_image
from mnist_core.segment import NUMBER_CANVAS, read_number

HEIGHT, WIDTH = NUMBER_CANVAS


def as_canvas(ink: np.ndarray) -> np.ndarray:
    """A grey ink array (0-255, white ink) as the canvas's opaque RGBA."""
    rgba = np.zeros((*ink.shape, 4), np.uint8)
    rgba[..., :3] = np.asarray(ink, np.uint8)[..., None]
    rgba[..., 3] = 255
    return rgba


def drawn(draw: Callable[[ImageDraw.ImageDraw], None], size: tuple[int, int] = (WIDTH, HEIGHT)):
    ink = Image.new("L", size, 0)
    draw(ImageDraw.Draw(ink))
    return as_canvas(np.asarray(ink))


def bars(count: int = 200) -> np.ndarray:
    def draw(pen: ImageDraw.ImageDraw) -> None:
        for x in np.linspace(2, WIDTH - 3, count):
            pen.line([(x, 10), (x, HEIGHT - 10)], fill=255, width=1)

    return drawn(draw)


def dashed_bars(count: int = 200, dashes: int = 5) -> np.ndarray:
    """Thin bars, each a stack of dashes: the dashes of a bar merge, the bars never do."""

    def draw(pen: ImageDraw.ImageDraw) -> None:
        step = (HEIGHT - 20) / dashes
        for x in np.linspace(2, WIDTH - 3, count):
            for y in np.arange(10, HEIGHT - 10, step):
                pen.line([(x, y), (x, y + step - 8)], fill=255, width=1)

    return drawn(draw)


def stacked_dashes() -> np.ndarray:
    def draw(pen: ImageDraw.ImageDraw) -> None:
        for y in range(2, HEIGHT - 2, 3):
            for x in range(0, WIDTH - 8, 12):
                shift = (y * 7) % 5
                pen.line([(x + shift, y), (x + shift + 7, y)], fill=255, width=1)

    return drawn(draw)


def dot_grid(step: int, dot: int) -> np.ndarray:
    ink = np.zeros((HEIGHT, WIDTH), np.uint8)
    for y in range(1, HEIGHT - dot, step):
        for x in range(1, WIDTH - dot, step):
            ink[y : y + dot, x : x + dot] = 255
    return as_canvas(ink)


def noise(density: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return as_canvas((rng.random((HEIGHT, WIDTH)) < density) * 255)


def checkerboard(cell: int) -> np.ndarray:
    rows, cols = np.indices((HEIGHT, WIDTH)) // cell
    return as_canvas(((rows + cols) % 2) * 255)


def specks(count: int, size: int, seed: int = 0) -> np.ndarray:
    """Tiny specks scattered over the canvas, plus one real digit they must not hide."""
    rng = np.random.default_rng(seed)
    ink = Image.new("L", (WIDTH, HEIGHT), 0)
    pen = ImageDraw.Draw(ink)
    for x, y in zip(rng.integers(0, WIDTH, count), rng.integers(0, HEIGHT, count), strict=True):
        pen.rectangle([x, y, x + size - 1, y + size - 1], fill=255)
    pen.line([(360, 40), (360, 240)], fill=255, width=18)
    return as_canvas(np.asarray(ink))


def scribble(points: int, pen_width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    path = [(float(x), float(y)) for x, y in rng.random((points, 2)) * (WIDTH, HEIGHT)]
    return drawn(lambda pen: pen.line(path, fill=255, width=pen_width, joint="curve"))


def tiny_digits(count: int = 50) -> np.ndarray:
    """Little 0s, 1s and 7s, in rows across the canvas."""

    def draw(pen: ImageDraw.ImageDraw) -> None:
        per_row = 25
        for index in range(count):
            x, y = 8 + (index % per_row) * 28, 30 + (index // per_row) * 120
            kind = index % 3
            if kind == 0:
                pen.ellipse([x, y, x + 12, y + 20], outline=255, width=2)
            elif kind == 1:
                pen.line([(x + 6, y), (x + 6, y + 20)], fill=255, width=2)
            else:
                pen.line([(x, y), (x + 12, y), (x + 4, y + 20)], fill=255, width=2)

    return drawn(draw)


def comb(teeth: int, both_sides: bool) -> np.ndarray:
    """One connected piece: a bar with thin teeth, a valley between every two of them."""

    def draw(pen: ImageDraw.ImageDraw) -> None:
        pen.line([(5, HEIGHT // 2), (WIDTH - 5, HEIGHT // 2)], fill=255, width=4)
        for x in np.linspace(5, WIDTH - 5, teeth):
            pen.line([(x, 10), (x, HEIGHT // 2)], fill=255, width=2)
            if both_sides:
                pen.line([(x + 3, HEIGHT // 2), (x + 3, HEIGHT - 10)], fill=255, width=2)

    return drawn(draw)


def staircase() -> np.ndarray:
    """Short strokes, each beside and a little shorter than the last: 'a part of its neighbour'
    at every step, the chain that made merging cubic."""

    def draw(pen: ImageDraw.ImageDraw) -> None:
        x, height = 4.0, HEIGHT - 20.0
        while x < WIDTH - 4 and height > 4:
            pen.line([(x, HEIGHT - 10 - height), (x, HEIGHT - 10)], fill=255, width=2)
            x += 4
            height *= 0.985

    return drawn(draw)


def blobs(count: int = 12) -> np.ndarray:
    """Filled blobs, each a 'digit' a little wider than tall: the boldest strokes to thin."""

    def draw(pen: ImageDraw.ImageDraw) -> None:
        width = (WIDTH - 10) / count
        for index in range(count):
            x = 5 + index * width
            pen.ellipse([x, 100, x + width - 6, 100 + (width - 6) * 0.9], fill=255)

    return drawn(draw)


def a_number() -> np.ndarray:
    """A plainly written 2-digit-ish number, to see ordinary drawings stay as fast."""

    def draw(pen: ImageDraw.ImageDraw) -> None:
        pen.line([(150, 40), (150, 240)], fill=255, width=18)
        pen.ellipse([340, 40, 460, 240], outline=255, width=18)
        pen.line([(520, 50), (650, 50), (570, 240)], fill=255, width=18)

    return drawn(draw)


CASES: dict[str, Callable[[], np.ndarray]] = {
    "a number (107)": a_number,
    "200 bars": bars,
    "bars of stacked dashes": dashed_bars,
    "80 bars of 3 dashes": lambda: dashed_bars(80, 3),
    "stacked dashes": stacked_dashes,
    "dot grid 2px/4": lambda: dot_grid(4, 2),
    "dot grid 3px/8": lambda: dot_grid(8, 3),
    "noise 1%": lambda: noise(0.01),
    "noise 5%": lambda: noise(0.05),
    "noise 20%": lambda: noise(0.2),
    "noise 45%": lambda: noise(0.45),
    "checkerboard 1": lambda: checkerboard(1),
    "checkerboard 3": lambda: checkerboard(3),
    "checkerboard 12": lambda: checkerboard(12),
    "2000 specks + a 1": lambda: specks(2000, 2),
    "300 specks 6px + a 1": lambda: specks(300, 6),
    "huge scribble": lambda: scribble(60, 30),
    "thin scribble": lambda: scribble(200, 2),
    "50 tiny digits": tiny_digits,
    "12 filled blobs": blobs,
    "5 filled blobs": lambda: blobs(5),
    "comb 90 teeth": lambda: comb(90, both_sides=False),
    "double comb 60": lambda: comb(60, both_sides=True),
    "staircase": staircase,
    "one-digit canvas noise": lambda: noise(0.1)[:, :HEIGHT],
    "one-digit canvas bars": lambda: bars(80)[:, :HEIGHT],
}


class CountingClassifier:
    """The shipped classifier, counting its calls and the images it was asked about."""

    def __init__(self, inner: Classifier) -> None:
        self.inner, self.info, self.calls, self.images = inner, inner.info, 0, 0

    def predict_proba(self, batch: np.ndarray) -> np.ndarray:
        self.calls += 1
        self.images += len(batch)
        return self.inner.predict_proba(batch)

    def is_digit(self, answers: np.ndarray) -> np.ndarray:
        return self.inner.is_digit(answers)


def pieces(image: np.ndarray) -> int:
    """Connected pieces of solid ink the reader starts from."""
    try:
        return int(ndimage.label(ink_map(read_image(image)) >= SOLID_INK, np.ones((3, 3)))[1])
    except ImageError:
        return 0


def main(repeats: int, only: str | None) -> None:
    classifier = load_classifier()
    read_number(classifier, a_number())  # trace the model's graph once
    print(f"{'case':<24}{'pieces':>7}{'read':>18}{'calls':>6}{'images':>7}{'ms':>9}{'cpu ms':>8}")
    worst = worst_cpu = 0.0
    for name, make in CASES.items():
        if only and only not in name:
            continue
        image = make()
        counting = CountingClassifier(classifier)
        timings, cpu = [], []
        for _ in range(repeats):
            counting.calls = counting.images = 0
            started, started_cpu = time.perf_counter(), time.process_time()
            try:
                read = read_number(counting, image).text
            except ImageError as error:
                read = type(error).__name__
            timings.append(1000 * (time.perf_counter() - started))
            cpu.append(1000 * (time.process_time() - started_cpu))
        ms, cpu_ms = float(np.median(timings)), float(np.median(cpu))
        worst, worst_cpu = max(worst, ms), max(worst_cpu, cpu_ms)
        shown = f"{len(read)} digits" if read.isdigit() and len(read) > 11 else read[:17]
        print(
            f"{name:<24}{pieces(image):>7}{shown:>18}{counting.calls:>6}"
            f"{counting.images:>7}{ms:>9.1f}{cpu_ms:>8.1f}",
            flush=True,
        )
    print(f"worst: {worst:.1f} ms, {worst_cpu:.1f} ms of CPU (median of {repeats} per case)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--case", help="only the cases whose name holds this text")
    arguments = parser.parse_args()
    main(arguments.repeats, arguments.case)
