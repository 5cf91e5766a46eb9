"""Decoding image files: every failure is an ImageError, phone photos upright, transparency read
as a whole, large images cheap, special files refused without waiting."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import struct
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digit_studio.text import plain
from mnist_core.cli import main
from mnist_core.errors import ImageError, InvalidImageError
from mnist_core.predict import load_classifier
from mnist_core.preprocess import MAX_PIXELS, MAX_SIDE, preview, read_image, to_mnist
from mnist_core.store import DEFAULT_MODELS_DIR

from conftest import png_bytes

ROOT = Path(__file__).resolve().parent.parent
FUZZ_FILES = 200  # benchmarks/fuzz_decode.py runs the same for minutes


def _fuzz_decode():
    """benchmarks/fuzz_decode.py, whose samples and mutations the fuzz test shares."""
    spec = importlib.util.spec_from_file_location("fuzz_decode", ROOT / "benchmarks/fuzz_decode.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def _close(a: np.ndarray, b: np.ndarray, tolerance: float) -> bool:
    return float(np.abs(a - b).mean()) < tolerance


def _large_digit(digit: np.ndarray, side: int = 280) -> np.ndarray:
    return np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR))


@pytest.fixture(scope="module")
def shipped():
    return load_classifier(store=DEFAULT_MODELS_DIR)


@pytest.fixture(scope="module")
def lab_tiff() -> bytes:
    grey = Image.new("L", (64, 64), 90)
    ImageDraw.Draw(grey).line([(15, 12), (48, 12), (26, 54)], fill=10, width=6)
    neutral = Image.new("L", grey.size, 128)
    return _encoded(Image.merge("LAB", [grey, neutral, neutral]), "TIFF")


def _unknown_dds() -> bytes:
    """A DDS file whose pixel format flags are 0: Pillow raises NotImplementedError."""
    data = bytearray(_encoded(Image.new("RGBA", (16, 16), "white"), "DDS", pixel_format="DXT1"))
    data[80:84] = bytes(4)
    return bytes(data)


def _unknown_blp() -> bytes:
    """A BLP1 file with compression 5: Pillow raises BLPFormatError."""
    data = bytearray(_encoded(Image.new("P", (16, 16)), "BLP", blp_version="BLP1"))
    data[4:8] = struct.pack("<I", 5)
    return bytes(data)


# --- every decoding or conversion error is an ImageError ---------------------------------------


@pytest.mark.parametrize("kind", ["lab", "dds", "blp"])
def test_files_pillow_opens_but_cannot_convert_are_image_errors(kind, lab_tiff, tmp_path):
    data = {"lab": lab_tiff, "dds": _unknown_dds(), "blp": _unknown_blp()}[kind]
    path = tmp_path / f"{kind}.png"
    path.write_bytes(data)
    for source in (data, path, str(path)):
        for reader in (read_image, to_mnist, preview):
            with pytest.raises(InvalidImageError, match=r"cannot be decoded|damaged"):
                reader(source)


def test_mutated_files_of_every_format_give_a_result_or_an_image_error():
    fuzz = _fuzz_decode()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about damaged files and deprecated formats
        samples = fuzz.valid_samples()
        counts = fuzz.fuzz(samples, count=FUZZ_FILES, seconds=60, seed=2026)
    assert len({name.split()[0] for name in samples}) >= 25  # formats, written and hand-built
    escapes = counts.pop("(escapes)")
    assert counts.pop("(all)")["files"] == FUZZ_FILES
    assert not escapes, list(escapes)
    assert sum(row["read"] for row in counts.values()) > 0
    assert sum(row["refused"] for row in counts.values()) > 0


def test_the_upload_page_reports_a_bad_file_and_classifies_the_others(
    store, stored_model, lab_tiff, mnist
):
    from test_pages import page

    link = "[sign in](https://evil.example/login).png"
    at = page("app_pages/upload.py").run()
    at.file_uploader[0].set_value(
        [
            ("lab.png", lab_tiff, "image/png"),
            (link, _unknown_dds(), "image/png"),
            ("seven.png", png_bytes(mnist.x_test[0]), "image/png"),
        ]
    ).run()
    assert not at.exception
    assert [error.value.split(": ", 1)[0] for error in at.error] == [
        f"**{plain('lab.png')}**",
        f"**{plain(link)}**",
    ]
    assert "](" not in " ".join(error.value for error in at.error)  # no live link
    headings = [m.value for m in at.markdown if m.value.startswith("### ") and ": **" in m.value]
    assert len(headings) == 1 and headings[0].startswith(f"### {plain('seven.png')}: **7**")


def test_the_upload_page_decodes_each_file_once(store, stored_model, mnist, monkeypatch):
    from test_pages import page

    files = [(f"{index}.png", png_bytes(mnist.x_test[index]), "image/png") for index in range(3)]
    decoded = []
    real_open = Image.open

    def counting_open(source, *args, **kwargs):
        if isinstance(source, io.BytesIO) and source.getvalue() in [data for _, data, _ in files]:
            decoded.append(source.getvalue())
        return real_open(source, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counting_open)
    at = page("app_pages/upload.py").run()
    at.file_uploader[0].set_value(files).run()
    assert not at.exception and not at.error
    assert len(decoded) == len(files)


# --- EXIF orientation --------------------------------------------------------------------------

# EXIF orientation → the turn that undoes what the viewer does to show the stored pixels.
STORED_TURN = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}


# TIFF: Pillow itself turns it when loading; the case checks it is not turned twice.
@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP", "TIFF"])
@pytest.mark.parametrize("orientation", sorted(STORED_TURN))
def test_photos_are_read_as_shown_by_their_exif_orientation(format, orientation, mnist, shipped):
    exif = Image.Exif()
    exif[0x0112] = orientation
    labels, references, files = [], [], []
    for index in range(10):
        upright = Image.fromarray(255 - _large_digit(mnist.x_test[index], 112))  # dark on paper
        stored = upright.transpose(STORED_TURN[orientation])
        files.append(_encoded(stored, format, exif=exif))
        references.append(to_mnist(np.asarray(upright)))
        labels.append(int(mnist.y_test[index]))
    seen = [to_mnist(data) for data in files]
    assert all(_close(a, b, 0.06) for a, b in zip(seen, references, strict=True))
    assert [shipped.classify(image).label for image in seen] == labels
    opened = Image.open(io.BytesIO(files[0]))  # an opened file passed as a PIL image
    assert _close(to_mnist(opened), references[0], 0.06)


@pytest.mark.parametrize("as_file", [True, False])
def test_a_damaged_exif_block_reads_the_pixels_as_stored(as_file, mnist, monkeypatch):
    def damaged(*args, **kwargs):
        raise SyntaxError("not a TIFF file")  # what Pillow's EXIF parser raises on garbage

    monkeypatch.setattr("PIL.ImageOps.exif_transpose", damaged)
    data = png_bytes(mnist.x_test[0])
    image = data if as_file else Image.open(io.BytesIO(data))
    assert _close(to_mnist(image), to_mnist(mnist.x_test[0]), 0.01)


# --- transparency ------------------------------------------------------------------------------


def _rounded_card(ink: np.ndarray, radius: int = 48) -> np.ndarray:
    """Dark ink on an opaque white card whose rounded corners are transparent (a screenshot)."""
    mask = Image.new("L", ink.shape[::-1], 0)
    ImageDraw.Draw(mask).rounded_rectangle([(0, 0), mask.size], radius=radius, fill=255)
    card = np.zeros((*ink.shape, 4), np.uint8)  # transparent black around the card
    card[..., :3] = (255 - ink)[..., None]
    card[..., 3] = np.asarray(mask)
    card[card[..., 3] == 0] = 0
    return card


def _transparent(ink: np.ndarray, colour: int, alpha: np.ndarray) -> np.ndarray:
    rgba = np.empty((*ink.shape, 4), np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = alpha
    return rgba


@pytest.fixture
def light_on_dark(mnist) -> np.ndarray:
    return np.pad(_large_digit(mnist.x_test[0], 224), 28)  # a 7 on 280x280 black


def test_a_dark_digit_on_a_card_with_transparent_corners_is_read(light_on_dark, shipped):
    card = _rounded_card(light_on_dark)
    assert card[0, 0, 3] == 0 and card[140, 140, 3] == 255
    seen = to_mnist(png_bytes(card))
    assert _close(seen, to_mnist(light_on_dark), 0.02)
    assert shipped.classify(seen).label == 7


def test_ink_in_colour_with_a_transparent_border(light_on_dark):
    rgba = np.dstack([np.stack([light_on_dark] * 3, -1), np.full(light_on_dark.shape, 255)])
    rgba = np.pad(rgba.astype(np.uint8), ((20, 20), (20, 20), (0, 0)))  # transparent border...
    noise = np.random.default_rng(0).integers(0, 256, (*rgba.shape[:2], 3), dtype=np.uint8)
    rgba[..., :3] = np.where(rgba[..., 3:] == 0, noise, rgba[..., :3])  # ...of random colours
    assert _close(to_mnist(rgba), to_mnist(light_on_dark), 0.02)


@pytest.mark.parametrize(
    "variant",
    [
        "white ink in alpha",
        "black ink in alpha",
        "stencil",
        "half-transparent ink",
        "half-transparent white ink",
        "half-transparent paper",
    ],
)
def test_ink_in_alpha_and_semi_transparent_ink(variant, light_on_dark):
    ink = light_on_dark.astype(np.float64)
    rgba = {
        "white ink in alpha": lambda: _transparent(ink, 255, ink),
        "black ink in alpha": lambda: _transparent(ink, 0, ink),
        "stencil": lambda: _transparent(ink, 255, 255 - ink),  # a white card, the digit cut out
        "half-transparent ink": lambda: _transparent(ink, 0, ink / 2),
        "half-transparent white ink": lambda: _transparent(ink, 255, ink / 2),
        "half-transparent paper": lambda: _transparent(ink, 255, 128 + ink / 2),
    }[variant]()
    assert _close(to_mnist(rgba.round().astype(np.uint8)), to_mnist(light_on_dark), 0.03)


# --- large images ------------------------------------------------------------------------------

PEAK = """
import sys
from mnist_core.preprocess import to_mnist
def megabytes(key):
    line = next(line for line in open("/proc/self/status") if line.startswith(key))
    return int(line.split()[1]) / 1024
before = megabytes("VmRSS")
seen = to_mnist(sys.argv[1])
print(megabytes("VmHWM") - before, float(seen.max()))
"""


def _decoding_megabytes(path: Path) -> float:
    """What reading `path` adds to a fresh process's peak memory, in MB."""
    result = subprocess.run(
        [sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True, check=True
    )
    growth, seen_max = map(float, result.stdout.split())
    assert seen_max == pytest.approx(1.0)
    return growth


@pytest.fixture(scope="module")
def seven_at(mnist):
    def draw(width: int, height: int, mode: str) -> Image.Image:
        side = min(width, height)
        digit = Image.fromarray(255 - mnist.x_test[0]).resize((side, side))
        image = Image.new("L", (width, height), 255)
        image.paste(digit, ((width - side) // 2, 0))
        return image.convert(mode, dither=Image.Dither.NONE)

    return draw


def test_a_large_png_is_decoded_in_bounded_memory(tmp_path, seven_at):
    """A 1-bit PNG at the pixel limit, as in the issue: +460 MB before, now 2 bytes a pixel."""
    width = 8000
    image = seven_at(width, MAX_PIXELS // width, "1")
    path = tmp_path / "large.png"
    image.save(path)
    assert path.stat().st_size < 1_000_000
    assert _decoding_megabytes(path) < 3 * MAX_PIXELS / 2**20


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(tmp_path, seven_at):
    image = seven_at(6000, 4000, "L")
    path = tmp_path / "large.jpg"
    image.save(path, quality=90)
    # Decoded at 1/4 scale: well under the 24 MB of its full-size pixels.
    assert _decoding_megabytes(path) < 12
    assert max(read_image(path).shape) == MAX_SIDE


# --- special files -----------------------------------------------------------------------------


def _read_within(path: str, seconds: float = 10) -> BaseException | None:
    """read_image(path) in a thread; what it raised, failing the test if it does not return."""
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            read_image(path)
            outcome.append(None)
        except BaseException as error:  # handed to the test to check
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(seconds)
    if reader.is_alive():
        with contextlib.suppress(OSError):  # give a reader waiting on a FIFO its end of file
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"reading {path} did not return within {seconds} s")
    return outcome[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_a_folder_and_a_device_are_refused_at_once(tmp_path):
    fifo = tmp_path / "digit.png"
    os.mkfifo(fifo)
    for path in (str(fifo), str(tmp_path), os.devnull, "/dev/zero"):
        error = _read_within(path)
        assert isinstance(error, InvalidImageError) and "not a regular file" in str(error), path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_predict_reports_a_fifo_in_one_line_and_reads_the_rest(
    tmp_path, store, stored_model, mnist, capsys
):
    fifo, good = tmp_path / "fifo.png", tmp_path / "good.png"
    os.mkfifo(fifo)
    good.write_bytes(png_bytes(mnist.x_test[0]))
    assert isinstance(_read_within(str(fifo)), InvalidImageError)  # fail here, not hang below
    assert main(["predict", str(fifo), str(good)]) == 1
    captured = capsys.readouterr()
    assert len(captured.err.splitlines()) == 1 and "not a regular file" in captured.err
    assert len(captured.out.splitlines()) == 1 and str(good) in captured.out


def test_image_errors_are_the_only_errors_of_special_paths(tmp_path):
    for path in (tmp_path / "missing.png", tmp_path):
        with pytest.raises(ImageError):
            read_image(path)
