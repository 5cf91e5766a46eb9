"""Any image of a digit → the 28x28 input MNIST's own digits look like.

MNIST's authors fitted each digit's bounding box into 20x20 pixels, preserving its aspect ratio
with anti-aliasing, then placed it in 28x28 with its centre of mass at the centre. `to_mnist`
does the same, after finding the ink (either polarity, or in the alpha channel), dropping specks,
and bringing the pen width near MNIST's.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from typing import BinaryIO, TypeAlias

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from mnist_core.data import IMAGE_SIZE
from mnist_core.errors import EmptyImageError, ImageError, InvalidImageError
from mnist_core.files import open_regular_file

ImageInput: TypeAlias = "Image.Image | np.ndarray | str | os.PathLike[str] | bytes"

DIGIT_BOX = 20  # MNIST fits every digit into 20x20 and centres it in 28x28
MNIST_CENTRE = 14.0  # where MNIST's centres of mass sit (mean over its test set: 13.99, 14.00)
# Larger images are refused: 24-megapixel photos pass, and decoding one takes at most ~220 MB
# (benchmarks/fuzz_decode.py --large), so 30 uploads at once leave the server room to spare.
MAX_PIXELS = 25_000_000
MAX_SIDE = 560  # larger images are shrunk first; a digit needs no more and it bounds the work
# PIL modes whose pixels can be averaged as they are; others (palette, 1-bit...) are converted first
AVERAGEABLE_MODES = frozenset({"L", "LA", "La", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "I", "F"})
MIN_CONTRAST = 0.15  # ink must differ from the background by this much of the full range
NOISE_FLOOR = 0.12  # ink fainter than this share of the strongest ink is paper texture or noise
SOLID_INK = 0.25  # ink at least this strong counts when finding strokes and specks
SPECK_EXTENT = 0.15  # a blob smaller than this share of the digit's size is a speck...
SPECK_STROKES = 2.0  # ...and so is a dot no longer than two pen widths
WORK_SCALE = 4  # pen width is adjusted with the digit at 4x its final size (80 px)
MNIST_STROKE = 3.0  # MNIST's median pen width in final pixels (2·area/perimeter at SOLID_INK)
STROKE_TOLERANCE = 1.5  # pens within this factor of MNIST's are left as they are
SPECK_SIZE = 0.15  # a drawing spanning less of the image's longer side is a speck...
SPECK_PENS = 2.5  # ...and so is one spanning fewer pen widths: a dot, not a digit


def to_mnist(image: ImageInput) -> np.ndarray:
    """The (28, 28) float32 image in [0, 1], white ink on black, that a model sees.

    Raises EmptyImageError when there is no ink and InvalidImageError when the image can't be read.
    """
    return fit_to_mnist(digit_ink(image))


def digit_ink(image: ImageInput) -> np.ndarray:
    """The image's ink in [0, 1] at its own size, stray specks beside the drawing removed."""
    return remove_specks(ink_map(read_image(image)))


def fit_to_mnist(ink: np.ndarray) -> np.ndarray:
    """Ink as MNIST draws a digit: in a 20x20 box, its pen about MNIST's, centred by mass."""
    top, left, bottom, right = ink_bounding_box(ink)
    digit = ink[top:bottom, left:right]
    digit = resize_longest_side(digit, DIGIT_BOX * WORK_SCALE)
    digit = normalize_stroke_width(digit, MNIST_STROKE * WORK_SCALE)
    digit = resize_longest_side(digit, DIGIT_BOX)
    return centre_by_mass(digit / digit.max(), IMAGE_SIZE)


def is_speck(ink: np.ndarray, canvas: bool = False) -> bool:
    """Whether the ink is only a speck, not a digit: a dot or a pixel, and on a drawing
    `canvas` (whose size is known, unlike a photo's framing) a short dash too.

    Size is the one sign left after `to_mnist` scales everything to MNIST's box, where a dot
    becomes a filled 0 and a dash a 1. Measured limits: drawn digits span at least 27% of the
    canvas and 4.6 pen widths, MNIST's 2.8 pen widths; a round dot spans 2.
    """
    top, left, bottom, right = ink_bounding_box(ink)
    extent = max(bottom - top, right - left)
    pen = stroke_width(ink >= SOLID_INK)
    return extent < SPECK_PENS * pen or (canvas and extent < SPECK_SIZE * max(ink.shape))


def preview(image: ImageInput, longest: int = 280) -> np.ndarray:
    """The image as we read it, in grey on white paper, as uint8 for display.

    Goes through the same checked decoding as `to_mnist`, so any file that can be classified
    can be shown (16-bit, CMYK, palette, transparent) and a hostile one raises our error.
    """
    pixels = read_image(image)
    grey = pixels[..., 0]
    if pixels.shape[2] == 2:  # transparent parts show as white paper
        grey = grey * pixels[..., 1] + (1 - pixels[..., 1])
    shown = resize_longest_side(grey, min(longest, max(grey.shape)))
    return (shown * 255).round().astype(np.uint8)


def resize_whole_canvas(image: ImageInput) -> np.ndarray:
    """The baseline most digit demos use: the whole image's ink squeezed to 28x28.

    Kept to measure `to_mnist` against (benchmarks/drawn_digits.py): polarity is handled the
    same way, so the difference is MNIST's box fitting and centring alone.
    """
    ink = ink_map(read_image(image))
    return _resize(ink, (IMAGE_SIZE, IMAGE_SIZE))


def read_image(image: ImageInput) -> np.ndarray:
    """Decode any input to float32 (H, W, C) in [0, 1], upright; C is 1 (grey) or 2 (grey, alpha).

    The one checked decoding every reader uses: any failure to decode or convert a file raises
    InvalidImageError, and a large image is decoded reduced, so the work and memory stay bounded.
    """
    if isinstance(image, np.ndarray):
        pixels = _array_channels(image)
    elif isinstance(image, Image.Image):
        with _decoding("the image"):
            _check_size(image.width, image.height, "the image")
            pixels = _pil_channels(_upright(image), "the image")
    elif isinstance(image, bytes | bytearray | memoryview):
        pixels = _decode(io.BytesIO(image), "the uploaded data")
    elif isinstance(image, str | os.PathLike):
        label = os.fspath(image)
        with open_regular_file(image, InvalidImageError) as file:
            pixels = _decode(file, label)
    else:
        raise InvalidImageError(f"cannot read an image from a {type(image).__name__}")
    return _shrink(pixels)


def _decode(source: BinaryIO, label: str) -> np.ndarray:
    with _decoding(label), Image.open(source) as opened:
        _check_size(opened.width, opened.height, label)
        opened.draft(None, (MAX_SIDE, MAX_SIDE))  # JPEG: decode at 1/2 to 1/8 scale when large
        with contextlib.suppress(Exception):  # a damaged EXIF block: read the pixels as stored
            ImageOps.exif_transpose(opened, in_place=True)  # phone photos: read as shown
        return _pil_channels(opened, label)


def _upright(image: Image.Image) -> Image.Image:
    """A copy of `image` as shown (phone photos carry an EXIF orientation), or as stored."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a damaged EXIF block is no reason to refuse the pixels
        return image


@contextlib.contextmanager
def _decoding(label: str) -> Iterator[None]:
    """Whatever decoding or converting `label` raises becomes an InvalidImageError."""
    try:
        yield
    except ImageError:
        raise
    except Image.DecompressionBombError as error:
        raise InvalidImageError(f"{label} has too many pixels: too large for a digit") from error
    except UnidentifiedImageError as error:
        raise InvalidImageError(
            f"{label} is not an image we can read (PNG, JPEG, BMP, GIF, WebP)"
        ) from error
    except MemoryError as error:
        raise InvalidImageError(f"{label} is too large to decode") from error
    except (OSError, SyntaxError, EOFError) as error:
        raise InvalidImageError(f"{label} is damaged or truncated: {_detail(error)}") from error
    except Exception as error:  # Pillow's many decoders and converters raise any kind of error
        raise InvalidImageError(f"{label} cannot be decoded: {_detail(error)}") from error


def _detail(error: Exception) -> str:
    return str(error) or type(error).__name__


def _check_size(width: int, height: int, label: str) -> None:
    if width < 1 or height < 1:
        raise InvalidImageError(f"{label} has no pixels")
    if width * height > MAX_PIXELS:
        raise InvalidImageError(f"{label} is {width}x{height} pixels: too large for a digit")


def _pil_channels(image: Image.Image, label: str) -> np.ndarray:
    """Grey (+ alpha) channels of a loaded PIL image, averaged down first when it is large."""
    _check_size(image.width, image.height, label)  # some formats choose their size when loading
    sixteen_bit = image.mode.startswith("I;16")
    if sixteen_bit:
        image = image.convert("I")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    target = image.mode if image.mode in ("I", "F") else "LA" if has_alpha else "L"
    if image.mode not in AVERAGEABLE_MODES or "transparency" in image.info:
        image = image.convert(target)
    factor = max(image.size) // MAX_SIDE
    if factor > 1:
        image = image.reduce(factor)  # converting after, at this size, costs next to nothing
    if image.mode != target:
        image = image.convert(target)
    dtype = np.uint16 if sixteen_bit else np.float64 if target in ("I", "F") else np.uint8
    return _array_channels(np.asarray(image, dtype=dtype))


def _array_channels(array: np.ndarray) -> np.ndarray:
    """Grey (+ alpha) float32 channels in [0, 1] from a grey, grey+alpha, RGB or RGBA array."""
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[..., np.newaxis]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4):
        raise InvalidImageError(
            f"an image array must be (H, W) or (H, W, 1-4 channels), not {array.shape}"
        )
    _check_size(array.shape[1], array.shape[0], "the image")
    values = _unit_range(array)
    if values.shape[2] >= 3:
        # ITU-R 601 luma, as PIL's convert("L") computes it
        grey = values[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        channels = [grey] if values.shape[2] == 3 else [grey, values[..., 3]]
        values = np.stack(channels, axis=-1)
    return values.astype(np.float32, copy=False)


def _unit_range(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if np.issubdtype(array.dtype, np.integer):
        top = 255 if array.max(initial=0) <= 255 else 65535 if array.max() <= 65535 else array.max()
        return np.clip(array.astype(np.float32) / top, 0, 1)
    if not np.issubdtype(array.dtype, np.floating):
        raise InvalidImageError(f"an image array of {array.dtype} values cannot be read")
    if not np.isfinite(array).all():
        raise InvalidImageError("the image array holds NaN or infinite values")
    top = 1.0 if array.max() <= 1 else 255.0 if array.max() <= 255 else float(array.max())
    return np.clip(array.astype(np.float32) / top, 0, 1)


def _shrink(pixels: np.ndarray) -> np.ndarray:
    height, width = pixels.shape[:2]
    if max(height, width) <= MAX_SIDE:
        return pixels
    factor = MAX_SIDE / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.stack([_resize(pixels[..., c], size) for c in range(pixels.shape[2])], axis=-1)


def ink_map(pixels: np.ndarray) -> np.ndarray:
    """Ink strength in [0, 1] per pixel, whatever the polarity; transparency counts as background.

    The background is the median grey of the visible pixels (digits cover far less than half an
    image) and ink is what differs from it, darker or lighter. Only where the visible colour is
    uniform (a canvas of one pen colour, a stencil) does the alpha channel carry the ink.
    """
    grey = pixels[..., 0]
    if pixels.shape[2] == 2 and pixels[..., 1].min() < 0.98:
        alpha = pixels[..., 1]
        visible = alpha >= 0.5
        ink = _contrast(grey, grey[visible]) * alpha if visible.any() else np.zeros_like(grey)
        if _robust_peak(np.clip(ink, 0, 1)) < MIN_CONTRAST:
            ink = np.abs(alpha - np.median(alpha))
    else:
        ink = _contrast(grey, grey)
    ink = np.clip(ink, 0, 1)
    peak = _robust_peak(ink)
    if peak < MIN_CONTRAST:
        raise EmptyImageError("the image has no ink: draw or upload a digit")
    ink = np.clip(ink / peak, 0, 1)
    ink[ink < NOISE_FLOOR] = 0
    return ink


def _contrast(values: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """How far each value lies from the background (the median of `sample`), towards the ink."""
    background = float(np.median(sample))
    return background - values if background > 0.5 else values - background


def _robust_peak(ink: np.ndarray) -> float:
    """The strong ink's level, not one hot pixel's: the 99th percentile of the upper half."""
    top = float(ink.max())
    if top <= 0:
        return 0.0
    return float(np.percentile(ink[ink >= top / 2], 99))


def stroke_width(mask: np.ndarray) -> float:
    """Mean pen width of a binary drawing, as 2·area/perimeter (exact for long strokes)."""
    area = int(mask.sum())
    perimeter = int((mask & ~ndimage.binary_erosion(mask)).sum())
    return 2 * area / perimeter if perimeter else 0.0


def remove_specks(ink: np.ndarray) -> np.ndarray:
    """Drop blobs too small to be part of the digit, so a stray dot does not move its box."""
    solid = ink >= SOLID_INK
    labels, count = ndimage.label(solid, structure=np.ones((3, 3)))
    if count == 0:
        raise EmptyImageError("the image has no ink: draw or upload a digit")
    if count == 1:
        return ink
    boxes = ndimage.find_objects(labels)
    extents = np.array(
        [max(rows.stop - rows.start, cols.stop - cols.start) for rows, cols in boxes]
    )
    areas = ndimage.sum_labels(solid, labels, index=np.arange(1, count + 1))
    main = int(np.argmax(areas))
    pen = stroke_width(labels == main + 1)
    smallest = max(SPECK_EXTENT * extents[main], SPECK_STROKES * pen)
    kept = np.flatnonzero(extents >= smallest) + 1
    keep = np.isin(labels, kept)
    # Keep the faint anti-aliased rim around kept strokes, drop faint ink anywhere else.
    return np.where(ndimage.binary_dilation(keep, iterations=2), ink, 0).astype(np.float32)


def ink_bounding_box(ink: np.ndarray) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of the ink, bottom and right exclusive."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        raise EmptyImageError("the image has no ink: draw or upload a digit")
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def resize_longest_side(image: np.ndarray, longest: int) -> np.ndarray:
    """Scale so the longer side is `longest` pixels, keeping the aspect ratio: a 1 stays thin."""
    height, width = image.shape
    factor = longest / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return _resize(image, size)


def _resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    # Area averaging when shrinking is the anti-aliasing MNIST's grey levels come from.
    shrinking = size[0] < image.shape[1] or size[1] < image.shape[0]
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    resized = Image.fromarray(image.astype(np.float32), mode="F").resize(size, method)
    return np.clip(np.asarray(resized, dtype=np.float32), 0, 1)


def normalize_stroke_width(digit: np.ndarray, target: float) -> np.ndarray:
    """Thin a marker's strokes or thicken a fine pen's towards `target` pixels wide."""
    width = stroke_width(digit >= SOLID_INK)
    if width == 0 or 1 / STROKE_TOLERANCE <= width / target <= STROKE_TOLERANCE:
        return digit
    radius = round(abs(width - target) / 2)
    if radius == 0:
        return digit
    thinning = width > target
    grow = ndimage.grey_erosion if thinning else ndimage.grey_dilation
    changed = digit
    # A disk of this radius as alternating 3x3 crosses and squares (an octagon): O(radius) per
    # pixel where one disk footprint costs O(radius²), 20-35 ms for a marker's blob-like digit.
    for step in range(radius):
        changed = grow(changed, footprint=ndimage.generate_binary_structure(2, 1 + step % 2))
    # Never erode a stroke away entirely: keep the original where erosion leaves no ink.
    if thinning and changed.max() < SOLID_INK:
        return digit
    return changed


def centre_by_mass(digit: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """Place `digit` in a size x size field with its centre of mass at MNIST's centre."""
    height, width = digit.shape
    centre_row, centre_col = ndimage.center_of_mass(digit)
    top = int(np.clip(round(MNIST_CENTRE - centre_row), 0, size - height))
    left = int(np.clip(round(MNIST_CENTRE - centre_col), 0, size - width))
    field = np.zeros((size, size), dtype=np.float32)
    field[top : top + height, left : left + width] = digit
    return field
