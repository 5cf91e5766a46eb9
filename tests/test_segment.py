from __future__ import annotations

import contextlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from benchmarks.drawn import written_numbers
from mnist_core import segment
from mnist_core.calibrate import Calibration
from mnist_core.errors import EmptyImageError, InvalidImageError
from mnist_core.figures import NOT_DIGIT_COLOUR, number_boxes
from mnist_core.predict import Classifier, load_classifier
from mnist_core.segment import NUMBER_CANVAS, read_number, split_digits


@pytest.fixture(scope="module")
def shipped():
    return load_classifier()


def canvas(*strokes: list[tuple[float, float]], pen: int = 18) -> np.ndarray:
    """White strokes on the black number canvas, in its pixels, as RGBA."""
    ink = Image.new("L", NUMBER_CANVAS[::-1], 0)
    pencil = ImageDraw.Draw(ink)
    for stroke in strokes:
        pencil.line(stroke, fill=255, width=pen, joint="curve")
    rgba = np.zeros((*NUMBER_CANVAS, 4), np.uint8)
    rgba[..., :3] = np.asarray(ink)[..., None]
    rgba[..., 3] = 255
    return rgba


def ellipse(cx: float, cy: float, rx: float, ry: float) -> list[tuple[float, float]]:
    angles = np.linspace(0, 2 * np.pi, 48)
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]


def test_an_empty_drawing_has_no_digits(shipped):
    with pytest.raises(EmptyImageError):
        split_digits(canvas())
    with pytest.raises(EmptyImageError):
        read_number(shipped, canvas())


def test_one_digit_is_one_digit(shipped):
    reading = read_number(shipped, canvas([(420, 40), (420, 240)]))
    assert reading.text == "1"
    box = reading.digits[0].box
    assert box.left < 420 < box.right and box.top <= 40 and box.bottom >= 240


def test_digits_are_read_left_to_right_with_their_boxes(shipped):
    one, zero = [(150, 40), (150, 240)], ellipse(400, 140, 60, 100)
    reading = read_number(shipped, canvas(zero, one))
    assert reading.text == "10"
    assert [d.box.left < d.box.right for d in reading.digits] == [True, True]
    assert reading.digits[0].box.right < reading.digits[1].box.left


def test_touching_digits_are_cut_at_a_valley(shipped):
    zero = ellipse(260, 140, 60, 100)
    seven = [(320, 50), (470, 50), (380, 240)]  # its bar starts on the 0
    touching = canvas(zero, seven)
    assert len(split_digits(touching)) == 2
    assert read_number(shipped, touching).text == "07"


def test_a_digit_in_two_strokes_that_dont_touch_stays_one(shipped):
    seven = canvas([(300, 50), (420, 50)], [(400, 75), (330, 240)])  # bar lifted off the stem
    assert len(split_digits(seven)) == 1
    open_four = canvas([(300, 40), (290, 150), (390, 150)], [(420, 40), (420, 240)])
    assert read_number(shipped, open_four).text == "4"


def test_an_unsure_digit_is_marked(shipped):
    scribble = canvas([(300, 60), (500, 220), (300, 220), (500, 60), (400, 30)])
    doubtful = Classifier(shipped.model, calibration=Calibration(50.0, 0.0))  # all near 10%
    reading = read_number(doubtful, scribble)
    assert reading.unsure and all(digit.unsure for digit in reading.digits)
    certain = Classifier(shipped.model, calibration=Calibration(0.05, 0.0))
    assert not read_number(certain, canvas([(420, 40), (420, 240)])).unsure


def test_a_piece_that_is_not_a_digit_is_boxed_apart_and_left_out(shipped):
    one = [(150, 40), (150, 240)]
    letter_a = [[(290, 230), (360, 50), (430, 230)], [(315, 165), (405, 165)]]
    seven = [(520, 50), (660, 50), (580, 240)]
    drawing = canvas(one, *letter_a, seven)
    reading = read_number(shipped, drawing)
    assert [d.prediction.is_digit for d in reading.digits] == [True, False, True]
    assert reading.text == "17" and reading.non_digits == 1
    boxes = number_boxes(drawing, reading)
    assert (boxes == NOT_DIGIT_COLOUR).all(axis=-1).any()


def test_a_lone_dot_is_no_digit_even_for_a_model_that_cannot_reject(shipped):
    uncalibrated = Classifier(shipped.model)
    dot = canvas()
    rows, columns = np.ogrid[: NUMBER_CANVAS[0], : NUMBER_CANVAS[1]]
    dot[(rows - 140) ** 2 + (columns - 400) ** 2 <= 15**2, :3] = 255
    reading = read_number(uncalibrated, dot)
    assert len(reading.digits) == 1 and not reading.digits[0].prediction.is_digit
    assert reading.text == "" and reading.non_digits == 1


def test_written_numbers_are_read(shipped, mnist):
    """A margin below what `python -m benchmarks.numbers` measures on 500 (README): 89%
    of numbers, 76% with two digits touching, 83% with a digit in two pieces."""
    numbers = written_numbers(mnist, 150, seed=7)
    read = [read_number(shipped, number.image).text for number in numbers]
    whole = np.mean([r == n.text for r, n in zip(read, numbers, strict=True)])
    assert whole >= 0.84
    touching = [r == n.text for r, n in zip(read, numbers, strict=True) if n.touching]
    broken = [r == n.text for r, n in zip(read, numbers, strict=True) if n.broken]
    assert len(touching) >= 20 and np.mean(touching) >= 0.65
    assert len(broken) >= 20 and np.mean(broken) >= 0.72


def test_a_drawing_a_few_pixels_wide_is_not_cut_forever():
    tiny = np.zeros((280, 280, 4), np.uint8)
    tiny[..., 3] = 255
    for row, column in [(5, 4), (4, 5), (5, 5), (4, 6), (5, 6)]:
        tiny[row, column, :3] = 255
    assert len(split_digits(tiny)) == 1


class CountingClassifier:
    """A classifier that counts its calls and the images it is asked about."""

    def __init__(self, inner) -> None:
        self.inner, self.calls, self.images = inner, 0, 0

    def predict_proba(self, batch: np.ndarray) -> np.ndarray:
        self.calls += 1
        self.images += len(batch)
        return self.inner.predict_proba(batch)

    def is_digit(self, answers: np.ndarray) -> np.ndarray:
        return self.inner.is_digit(answers)


def bars(count: int, width: int = NUMBER_CANVAS[1]) -> np.ndarray:
    return canvas(*[[(x, 10), (x, 270)] for x in np.linspace(2, width - 3, count)], pen=1)[
        :, :width
    ]


def staircase() -> np.ndarray:
    """Strokes each a little shorter than the last: every one 'a part of' a neighbour."""
    heights = 260 * 0.985 ** np.arange(178)
    return canvas(*[[(4 + 4 * i, 270 - h), (4 + 4 * i, 270)] for i, h in enumerate(heights)], pen=2)


def scribble() -> np.ndarray:
    points = np.random.default_rng(0).random((60, 2)) * NUMBER_CANVAS[::-1]
    return canvas([tuple(point) for point in points], pen=30)


def blobs() -> np.ndarray:
    """Twelve filled blobs a little wider than tall: the most work for `to_mnist`."""
    ink = Image.new("L", NUMBER_CANVAS[::-1], 0)
    for i in range(12):
        ImageDraw.Draw(ink).ellipse([5 + 59 * i, 100, 58 + 59 * i, 148], fill=255)
    rgba = canvas()
    rgba[..., :3] = np.asarray(ink)[..., None]
    return rgba


def counted(monkeypatch, name: str) -> list:
    """Wrap `segment.<name>` to log each call; the log."""
    calls, original = [], getattr(segment, name)

    def logged(*args):
        calls.append(len(args))
        return original(*args)

    monkeypatch.setattr(segment, name, logged)
    return calls


@pytest.mark.parametrize(
    "drawing",
    [bars(200), bars(31, width=280), staircase(), scribble(), blobs()],
    ids=["200 bars", "31 bars on the one-digit canvas", "staircase", "huge scribble", "blobs"],
)
def test_a_crafted_drawing_is_read_with_bounded_work(shipped, monkeypatch, drawing):
    """Old code read 200, 31, 143 and 14 digits and asked the network 6 times about the
    scribble, taking seconds (benchmarks/segment_worst.py). Now at most 12 digits and one
    wide one tried cut at 9 places: 12 + 9 * 2 = 30 images in at most 2 calls."""
    prepared = counted(monkeypatch, "to_mnist")
    comparisons = counted(monkeypatch, "_one_digit")
    counting = CountingClassifier(shipped)
    with contextlib.suppress(InvalidImageError):  # "too busy to read" is a fine answer
        assert len(read_number(counting, drawing).digits) <= 13  # one of 12 may be cut in two
    assert counting.calls <= 2
    assert counting.images <= 30 and len(prepared) <= 30
    assert len(comparisons) <= 200


def test_a_drawing_of_many_bars_is_too_busy_to_read(shipped):
    with pytest.raises(InvalidImageError, match="more than 12 digits"):
        read_number(shipped, bars(200))


def test_specks_around_a_digit_do_not_hide_it(shipped):
    rng = np.random.default_rng(1)
    drawing = canvas([(360, 40), (360, 240)])
    for x, y in zip(rng.integers(0, 718, 2000), rng.integers(0, 278, 2000), strict=True):
        drawing[y : y + 2, x : x + 2, :3] = 255
    assert read_number(shipped, drawing).text == "1"
