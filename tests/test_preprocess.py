from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from mnist_core.errors import EmptyImageError, InvalidImageError
from mnist_core.preprocess import (
    centre_by_mass,
    ink_bounding_box,
    ink_map,
    preview,
    read_image,
    remove_specks,
    resize_longest_side,
    stroke_width,
    to_mnist,
)

from conftest import png_bytes


def _close(a: np.ndarray, b: np.ndarray, tolerance: float = 0.08) -> bool:
    """Mean absolute pixel difference within `tolerance` (of the 0-1 range)."""
    return float(np.abs(a - b).mean()) < tolerance


@pytest.fixture
def seven(mnist) -> np.ndarray:
    return mnist.x_test[0]  # a 7


def _canvas(digit: np.ndarray, size: int = 280, scale: int = 8, at: tuple[int, int] = (60, 60)):
    """A black canvas with the MNIST digit drawn larger (white ink) at `at`."""
    big = np.asarray(Image.fromarray(digit).resize((28 * scale, 28 * scale), Image.BILINEAR))
    canvas = np.zeros((size, size), np.uint8)
    top, left = at
    region = canvas[top : top + big.shape[0], left : left + big.shape[1]]
    region[...] = big[: region.shape[0], : region.shape[1]]
    return canvas


def test_centred_mnist_digit_is_unchanged_up_to_interpolation(mnist):
    for image in mnist.x_test[:20]:
        seen = to_mnist(image)
        assert seen.shape == (28, 28) and seen.dtype == np.float32
        assert seen.min() >= 0 and seen.max() == pytest.approx(1.0)
        assert _close(seen, image / 255.0, 0.05)


def test_position_and_size_do_not_matter(seven):
    reference = to_mnist(_canvas(seven, scale=4, at=(80, 80)))
    for scale, at in [(3, (0, 0)), (8, (20, 30)), (2, (200, 210)), (9, (10, 10))]:
        assert _close(to_mnist(_canvas(seven, scale=scale, at=at)), reference)


def test_polarity_and_alpha_ink_give_the_same_input(seven):
    light_on_dark = _canvas(seven)
    dark_on_light = 255 - light_on_dark
    transparent = np.zeros((*light_on_dark.shape, 4), np.uint8)
    transparent[..., :3] = 255  # white strokes...
    transparent[..., 3] = light_on_dark  # ...whose ink is only in the alpha channel
    black_strokes = transparent.copy()
    black_strokes[..., :3] = 0
    reference = to_mnist(light_on_dark)
    for variant in (dark_on_light, transparent, black_strokes):
        assert _close(to_mnist(variant), reference, 0.02)


def test_every_input_kind(tmp_path, seven):
    canvas = _canvas(seven)
    reference = to_mnist(canvas)
    rgb = np.stack([canvas] * 3, axis=-1)
    rgba = np.dstack([rgb, np.full(canvas.shape, 255, np.uint8)])
    variants = [
        Image.fromarray(canvas),
        Image.fromarray(rgb),
        rgb,
        rgba,
        canvas.astype(np.float32) / 255,
        canvas.astype(np.float64),
        canvas.astype(np.uint16) * 257,
        canvas > 127,
    ]
    for format in ("PNG", "JPEG", "BMP", "GIF", "WEBP"):
        data = png_bytes(rgb, format=format)
        variants.append(data)
        path = tmp_path / f"digit.{format.lower()}"
        path.write_bytes(data)
        variants += [path, str(path)]
    for variant in variants:
        assert _close(to_mnist(variant), reference), type(variant)


def test_sixteen_bit_and_cmyk_files(seven):
    canvas = _canvas(seven)
    sixteen = io.BytesIO()
    Image.fromarray(canvas.astype(np.uint16) * 257).save(sixteen, format="PNG")
    cmyk = io.BytesIO()
    Image.fromarray(canvas).convert("CMYK").save(cmyk, format="JPEG")
    reference = to_mnist(canvas)
    assert _close(to_mnist(sixteen.getvalue()), reference)
    assert _close(to_mnist(cmyk.getvalue()), reference)


@pytest.mark.parametrize(
    "empty",
    [
        np.zeros((280, 280), np.uint8),
        np.full((280, 280), 255, np.uint8),
        np.zeros((280, 280, 4), np.uint8),  # a cleared transparent canvas
        np.full((1, 1), 200, np.uint8),
        np.random.default_rng(0).integers(0, 20, (100, 100)).astype(np.uint8),  # faint noise
    ],
)
def test_no_ink_raises_empty_image_error(empty):
    with pytest.raises(EmptyImageError, match="no ink"):
        to_mnist(empty)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b"definitely not an image", "not an image we can read"),
        (b"", "not an image we can read"),
        (png_bytes(np.zeros((50, 50), np.uint8))[:60], "damaged or truncated"),
        ("/nonexistent/digit.png", "no such file"),
        (np.zeros((4, 4, 4, 4)), "must be"),
        (np.zeros((0, 10)), "no pixels"),
        (np.full((10, 10), np.nan), "NaN"),
        (np.zeros((10, 10), dtype=complex), "cannot be read"),
        (12345, "cannot read an image from a int"),
    ],
)
def test_unreadable_input_raises_invalid_image_error(bad, message):
    with pytest.raises(InvalidImageError, match=message):
        to_mnist(bad)


def test_decompression_bomb_is_refused():
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG")
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(InvalidImageError, match="too large"):
        to_mnist(bomb.getvalue())


def test_a_stray_speck_does_not_move_the_digit(seven):
    canvas = _canvas(seven, scale=6, at=(40, 40))
    with_speck = canvas.copy()
    with_speck[265:270, 5:10] = 255
    assert _close(to_mnist(with_speck), to_mnist(canvas), 0.01)


def test_a_thin_one_stays_narrow():
    canvas = np.zeros((280, 280), np.uint8)
    canvas[40:240, 130:146] = 255  # a vertical bar, 16 px pen
    seen = to_mnist(canvas)
    columns = np.flatnonzero(seen.max(axis=0) > 0.3)
    rows = np.flatnonzero(seen.max(axis=1) > 0.3)
    assert len(rows) >= 19 and len(columns) <= 4
    assert abs(np.mean(columns) - 13.5) <= 1


def test_a_marker_stroke_is_thinned_towards_mnist_pens(seven):
    thin = _canvas(seven, scale=8)
    from scipy import ndimage

    thick = ndimage.grey_dilation(thin, footprint=np.ones((17, 17), bool))
    assert stroke_width(to_mnist(thick) >= 0.25) < 4.5
    assert _close(to_mnist(thick), to_mnist(thin), 0.12)


def test_steps(seven):
    ink = ink_map(read_image(_canvas(seven, at=(10, 20))))
    assert ink.shape == (280, 280) and ink.max() == pytest.approx(1.0)
    top, left, bottom, right = ink_bounding_box(ink)
    assert top >= 10 and left >= 20 and bottom <= 234 and right <= 244
    assert resize_longest_side(np.ones((100, 10), np.float32), 20).shape == (20, 2)
    field = centre_by_mass(np.ones((4, 4), np.float32))
    rows, cols = np.nonzero(field)
    assert rows.mean() == pytest.approx(14, abs=0.5) and cols.mean() == pytest.approx(14, abs=0.5)
    specked = ink.copy()
    specked[270:273, 270:273] = 1
    assert ink_bounding_box(remove_specks(specked)) == (top, left, bottom, right)


def test_preview_shows_any_readable_image_in_grey(seven):
    canvas = _canvas(seven)
    transparent = np.zeros((*canvas.shape, 4), np.uint8)
    transparent[..., 3] = canvas  # black ink only in alpha: shows as black on white
    for image in (canvas, canvas.astype(np.uint16) * 257, transparent):
        shown = preview(image, longest=140)
        assert shown.shape == (140, 140) and shown.dtype == np.uint8
    assert preview(transparent)[0, 0] == 255 and preview(transparent).min() < 50
    assert preview(np.zeros((10, 20), np.uint8)).shape == (10, 20)  # never enlarged
    with pytest.raises(InvalidImageError):
        preview(b"not an image")
