"""The image decode path under attack: mutated files of every format Pillow reads, and the worst
image it still accepts.

    python -m benchmarks.fuzz_decode [--seconds 180] [--count N] [--seed 0] [--save-escapes DIR]
    python -m benchmarks.fuzz_decode --large    # peak memory and time of the largest images

Fuzzing: a small digit is saved in every format and mode Pillow can write (and a few it can only
read, built by hand), then bytes are flipped, overwritten with boundary values, inserted, copied
and cut, half the time in the header. Each file goes to `read_image`, `to_mnist` and `preview`:
anything but a well-formed result or an ImageError is an escape, printed with the seed to replay.

--large: images of MAX_PIXELS in the most expensive forms, each read in a fresh process the way
the Upload page reads a file (decoded once, then classified and shown), with its peak memory
(VmHWM) and time, against what 30 students uploading at once may take of the server.
"""

from __future__ import annotations

import argparse
import collections
import io
import math
import struct
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from mnist_core.errors import ImageError
from mnist_core.preprocess import MAX_PIXELS, MAX_SIDE, preview, read_image, to_mnist

SIDE = 48  # fuzzed images are small: a mutated header can still claim up to MAX_PIXELS
# Values that break size and offset arithmetic when they land in a header field.
BOUNDARY_VALUES = [
    0,
    1,
    0x7F,
    0x80,
    0xFF,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x7FFFFFFF,
    0x80000000,
    2**32 - 1,
]
CLASSROOM = 30  # students uploading at once
SERVER_MEMORY_GIB = 24  # the classroom server
SERVER_BASELINE_MB = 700  # the Streamlit process with TensorFlow and a model loaded


def digit(side: int = SIDE, background: int = 235, ink: int = 20) -> Image.Image:
    """A grey 7: dark ink on light paper."""
    image = Image.new("L", (side, side), background)
    scale = side / 48
    points = [(12 * scale, 10 * scale), (36 * scale, 10 * scale), (20 * scale, 40 * scale)]
    ImageDraw.Draw(image).line(points, fill=ink, width=max(1, round(5 * scale)))
    return image


def _in_mode(image: Image.Image, mode: str) -> Image.Image:
    if mode == "I;16":
        return Image.fromarray(np.asarray(image).astype(np.uint16) * 257)
    if mode == "LAB":
        grey = image.point(lambda value: value * 100 // 255)
        return Image.merge(
            "LAB", [grey, Image.new("L", image.size, 128), Image.new("L", image.size, 128)]
        )
    if mode in ("LA", "RGBA"):
        converted = image.convert(mode)
        converted.putalpha(Image.eval(image, lambda value: 255 - value))  # ink in alpha too
        return converted
    return image.convert(mode)


def _saved(mode: str, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    _in_mode(digit(), mode).save(buffer, format=format, **options)
    return buffer.getvalue()


def _exif_rotated() -> dict:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° to show
    return {"exif": exif}


SAVED: list[tuple[str, str, dict]] = [
    *[("PNG", mode, {}) for mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I")],
    ("PNG", "P", {"transparency": 0}),
    ("PNG", "RGB", _exif_rotated()),
    *[("JPEG", mode, {}) for mode in ("L", "RGB", "CMYK")],
    ("JPEG", "RGB", {"progressive": True}),
    ("JPEG", "RGB", _exif_rotated()),
    ("MPO", "RGB", {"save_all": True, "append_images": [digit().convert("RGB")]}),
    ("GIF", "L", {}),
    ("GIF", "P", {"save_all": True, "append_images": [digit(ink=100)]}),
    *[("BMP", mode, {}) for mode in ("1", "L", "P", "RGB", "RGBA")],
    ("DIB", "RGB", {}),
    *[
        ("TIFF", mode, {})
        for mode in ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "LAB", "YCbCr", "I;16", "I", "F")
    ],
    *[("TIFF", "RGB", {"compression": name}) for name in ("tiff_lzw", "tiff_deflate", "packbits")],
    ("TIFF", "RGB", {"compression": "jpeg"}),
    ("TIFF", "1", {"compression": "group4"}),
    ("TIFF", "RGB", _exif_rotated()),
    ("WEBP", "RGB", {}),
    ("WEBP", "RGBA", {"lossless": True}),
    ("AVIF", "RGB", {}),
    ("AVIF", "RGBA", {}),
    *[("JPEG2000", mode, {}) for mode in ("L", "RGB", "RGBA")],
    ("ICO", "RGBA", {}),
    ("ICNS", "RGBA", {}),
    *[("IM", mode, {}) for mode in ("1", "L", "P", "RGB", "I", "F")],
    ("MSP", "1", {}),
    *[("PCX", mode, {}) for mode in ("1", "L", "P", "RGB")],
    *[("PPM", mode, {}) for mode in ("1", "L", "RGB", "I;16", "F")],
    *[("QOI", mode, {}) for mode in ("RGB", "RGBA")],
    *[("SGI", mode, {}) for mode in ("L", "RGB", "RGBA")],
    ("SPIDER", "F", {}),
    *[("TGA", mode, {}) for mode in ("L", "P", "RGB", "RGBA")],
    ("TGA", "RGB", {"compression": "tga_rle"}),
    ("XBM", "1", {}),
    ("BLP", "P", {}),
    ("BLP", "P", {"blp_version": "BLP1"}),
    *[("DDS", mode, {}) for mode in ("L", "LA", "RGB", "RGBA")],
    *[("DDS", "RGBA", {"pixel_format": name}) for name in ("DXT1", "DXT3", "DXT5")],
    ("DDS", "RGB", {"pixel_format": "BC5"}),
    ("EPS", "RGB", {}),
    ("PDF", "RGB", {}),
]


def _read_only_formats() -> dict[str, Callable[[], bytes]]:
    """Formats Pillow reads but cannot write, built by hand around the same digit."""
    grey = np.asarray(digit())
    height, width = grey.shape

    def sun() -> bytes:
        header = struct.pack(">8I", 0x59A66A95, width, height, 8, grey.size, 1, 0, 0)
        return header + grey.tobytes()

    def fits() -> bytes:
        cards = ["SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 2", f"NAXIS1  = {width}"]
        cards += [f"NAXIS2  = {height}", "END"]
        header = "".join(card.ljust(80) for card in cards).ljust(2880).encode()
        data = grey[::-1].tobytes()
        return header + data + bytes(-len(data) % 2880)

    def gbr() -> bytes:
        name = b"seven\0"
        header = struct.pack(">IIIII", 28 + len(name), 2, width, height, 1) + b"GIMP"
        return header + struct.pack(">I", 10) + name + (255 - grey).tobytes()

    def xpm() -> bytes:
        rows = ['"' + "".join("#" if value < 128 else "." for value in row) + '"' for row in grey]
        lines = ["/* XPM */", "static char *seven[] = {", f'"{width} {height} 2 1",']
        lines += ['". c #FFFFFF",', '"# c #000000",', ",\n".join(rows), "};"]
        return "\n".join(lines).encode()

    def xvthumb() -> bytes:
        header = f"P7 332\n#XVVERSION:Version 2.28\n#END_OF_COMMENTS\n{width} {height} 255\n"
        return header.encode() + (grey & 0b11100000).tobytes()

    def cur() -> bytes:
        icon = _saved("RGBA", "ICO", sizes=[(SIDE, SIDE)], bitmap_format="bmp")
        return icon[:2] + struct.pack("<H", 2) + icon[4:]

    def dcx() -> bytes:
        pcx = _saved("L", "PCX")
        return struct.pack("<III", 987654321, 12, 0) + pcx

    return {
        "SUN L": sun,
        "FITS L": fits,
        "GBR L": gbr,
        "XPM P": xpm,
        "XVTHUMB P": xvthumb,
        "CUR RGBA": cur,
        "DCX L": dcx,
    }


def _option(item: tuple[str, object]) -> str:
    key, value = item
    return f"{key}={value}" if isinstance(value, str | int) else key


def valid_samples() -> dict[str, bytes]:
    """Sample name ("FORMAT mode options") → file bytes, for all this Pillow can write."""
    samples = {}
    makers = {
        " ".join([format, mode, *map(_option, options.items())]): (
            lambda format=format, mode=mode, options=options: _saved(mode, format, **options)
        )
        for format, mode, options in SAVED
    }
    for name, make in {**makers, **_read_only_formats()}.items():
        try:
            samples[name] = make()
        except (OSError, ValueError, KeyError, TypeError, ImportError):
            continue  # a codec or format this build of Pillow lacks
    return samples


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """1-4 random edits: bit flips, random bytes, boundary values, insertions, copies, cuts."""
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        if not out:
            break
        end = min(len(out), 128) if rng.random() < 0.5 else len(out)  # half in the header
        at = int(rng.integers(end))
        kind = int(rng.integers(6))
        if kind == 0:
            out[at] ^= 1 << int(rng.integers(8))
        elif kind == 1:
            out[at] = int(rng.integers(256))
        elif kind == 2:
            width = int(rng.choice([1, 2, 4]))
            value = int(rng.choice(BOUNDARY_VALUES)) & (2 ** (8 * width) - 1)
            order = "little" if rng.random() < 0.5 else "big"
            out[at : at + width] = value.to_bytes(width, order)
        elif kind == 3 and at > 0:
            del out[at:]
        elif kind == 4:
            out[at:at] = rng.bytes(int(rng.integers(1, 64)))
        else:
            start = int(rng.integers(len(out)))
            out[at:at] = out[start : start + int(rng.integers(1, 256))]
    return bytes(out)


def _wrong_result(pixels: np.ndarray, seen: np.ndarray | None, shown: np.ndarray | None) -> str:
    if pixels.dtype != np.float32 or pixels.ndim != 3 or pixels.shape[2] not in (1, 2):
        return f"read_image gave {pixels.dtype} {pixels.shape}"
    if max(pixels.shape[:2]) > MAX_SIDE or not (np.isfinite(pixels).all() and pixels.min() >= 0):
        return f"read_image gave {pixels.shape} from {pixels.min()} to {pixels.max()}"
    if pixels.max() > 1:
        return f"read_image gave values up to {pixels.max()}"
    if seen is not None and (seen.shape != (28, 28) or not 0 <= seen.min() <= seen.max() <= 1):
        return f"to_mnist gave {seen.shape}"
    if shown is not None and (shown.dtype != np.uint8 or shown.ndim != 2):
        return f"preview gave {shown.dtype} {shown.shape}"
    return ""


def outcome(data: bytes) -> str:
    """'read' or 'refused' (an ImageError); anything else raised is an escape of the decode path."""
    try:
        pixels = read_image(data)
    except ImageError:
        pixels = None
    results = []
    for reader in (to_mnist, preview):
        try:
            results.append(reader(data))
        except ImageError:
            results.append(None)
    if pixels is None:
        return "refused"
    wrong = _wrong_result(pixels, *results)
    if wrong:
        raise AssertionError(wrong)
    return "read"


def fuzz(
    samples: dict[str, bytes], count: int, seconds: float, seed: int
) -> dict[str, collections.Counter]:
    """Mutated files round-robin over `samples`: per format, the count read, refused, escaped."""
    names = sorted(samples)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    escapes: list[tuple[int, str, str]] = []
    started = time.perf_counter()
    index = 0
    while index < count and time.perf_counter() - started < seconds:
        name = names[index % len(names)]
        data = mutate(samples[name], np.random.default_rng([seed, index]))
        format = name.split()[0]
        try:
            counts[format][outcome(data)] += 1
        except Exception as error:  # the escapes are what we are looking for
            counts[format]["escaped"] += 1
            escapes.append((index, name, f"{type(error).__name__}: {error}"))
        index += 1
    counts["(all)"]["files"] = index
    counts["(all)"]["seconds"] = round(time.perf_counter() - started)
    counts["(escapes)"] = collections.Counter({f"{i} {n}: {e}": 1 for i, n, e in escapes})
    return counts


MEASURE = """
import sys, time
from mnist_core.preprocess import preview, read_image, to_mnist
def megabytes(key):
    line = next(line for line in open("/proc/self/status") if line.startswith(key))
    return int(line.split()[1]) // 1024
before = megabytes("VmRSS")
started = time.perf_counter()
pixels = read_image(sys.argv[1])  # the Upload page decodes once...
to_mnist(pixels)  # ...classifies...
preview(pixels)  # ...and shows the same pixels
print(time.perf_counter() - started, before, megabytes("VmHWM"))
"""


def _large(kind: str, width: int, height: int, path: Path) -> None:
    image = digit(min(width, height)).resize((width, height), Image.Resampling.NEAREST)
    if kind == "PNG 1-bit":
        image.point(lambda value: 255 if value > 128 else 0).convert("1").save(path, "PNG")
    elif kind == "PNG RGBA":
        _in_mode(image, "RGBA").save(path, "PNG", compress_level=1)
    elif kind == "PNG RGBA, EXIF rotated":
        _in_mode(image, "RGBA").save(path, "PNG", compress_level=1, **_exif_rotated())
    elif kind == "PNG palette + transparency":
        image.convert("P").save(path, "PNG", transparency=0, compress_level=1)
    elif kind == "PNG 16-bit grey":
        _in_mode(image, "I;16").save(path, "PNG", compress_level=1)
    elif kind == "TIFF float":
        image.convert("F").save(path, "TIFF", compression="tiff_deflate")
    elif kind == "JPEG progressive":
        image.convert("RGB").save(path, "JPEG", progressive=True)
    elif kind == "JPEG baseline":
        image.convert("RGB").save(path, "JPEG")


LARGE_KINDS = [
    "PNG 1-bit",
    "PNG RGBA",
    "PNG RGBA, EXIF rotated",
    "PNG palette + transparency",
    "PNG 16-bit grey",
    "TIFF float",
    "JPEG progressive",
    "JPEG baseline",
]


def measure_large() -> list[tuple[str, int, float, int, int]]:
    """(kind, file KB, seconds, MB before, peak MB) of MAX_PIXELS images, each in a new process."""
    width = math.isqrt(MAX_PIXELS * 8 // 5)  # a 8:5 photo-shaped image at the limit
    height = MAX_PIXELS // width
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for kind in LARGE_KINDS:
            path = Path(folder) / "large"
            _large(kind, width, height, path)
            result = subprocess.run(
                [sys.executable, "-c", MEASURE, str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            seconds, before, peak = result.stdout.split()
            rows.append((kind, path.stat().st_size // 1024, float(seconds), int(before), int(peak)))
    print(
        f"Images of {width}x{height} = {width * height / 1e6:.1f} megapixels"
        f" (MAX_PIXELS {MAX_PIXELS:,}):"
    )
    print(f"{'image':<28} {'file KB':>8} {'seconds':>8} {'peak MB':>8} {'+MB':>6}")
    for kind, size, seconds, before, peak in rows:
        print(f"{kind:<28} {size:>8} {seconds:>8.2f} {peak:>8} {peak - before:>6}")
    worst = max(peak - before for *_, before, peak in rows)
    total = SERVER_BASELINE_MB + CLASSROOM * worst
    print(
        f"worst +{worst} MB per decode; {CLASSROOM} at once:"
        f" {SERVER_BASELINE_MB} + {CLASSROOM} x {worst}"
        f" = {total / 1024:.1f} GiB of the server's {SERVER_MEMORY_GIB} GiB"
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180, help="stop fuzzing after this long")
    parser.add_argument("--count", type=int, default=1_000_000, help="stop after this many files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--save-escapes", type=Path, metavar="DIR", help="write escaping files here"
    )
    parser.add_argument("--large", action="store_true", help="measure the largest images instead")
    args = parser.parse_args()
    if args.large:
        measure_large()
        return
    warnings.simplefilter("ignore")  # Pillow warns about damaged files; the outcome is what counts
    samples = valid_samples()
    print(f"{len(samples)} valid samples in {len({name.split()[0] for name in samples})} formats")
    counts = fuzz(samples, args.count, args.seconds, args.seed)
    escapes = counts.pop("(escapes)")
    total = counts.pop("(all)")
    print(f"{'format':<10} {'files':>6} {'read':>6} {'refused':>8} {'escaped':>8}")
    for format, row in sorted(counts.items()):
        print(
            f"{format:<10} {sum(row.values()):>6} {row['read']:>6}"
            f" {row['refused']:>8} {row['escaped']:>8}"
        )
    print(
        f"{total['files']} mutated files in {total['seconds']} s, seed {args.seed}:"
        f" {len(escapes)} escapes"
    )
    for escape in escapes:
        print("ESCAPE", escape)
        if args.save_escapes:
            index, name = escape.split(":")[0].split(" ", 1)
            args.save_escapes.mkdir(parents=True, exist_ok=True)
            data = mutate(samples[name], np.random.default_rng([args.seed, int(index)]))
            (args.save_escapes / f"{index}.bin").write_bytes(data)


if __name__ == "__main__":
    main()
