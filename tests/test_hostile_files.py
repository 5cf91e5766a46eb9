"""Files people find: each gets a clear message, the good ones are still read, nothing crashes."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from digit_studio.text import plain
from mnist_core.cli import main

from conftest import png_bytes


def _encoded(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, **options)
    return buffer.getvalue()


def _turned(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation  # EXIF Orientation, as phones write it
    return exif


@pytest.fixture(scope="module")
def hostile(mnist) -> dict[str, tuple[bytes, str | None]]:
    """File name → (content, the label expected, or None where an error message is expected)."""
    seven = np.kron(mnist.x_test[0], np.ones((4, 4), np.uint8))
    png = png_bytes(seven)
    jpeg = png_bytes(seven, format="JPEG")
    frames = [Image.fromarray(seven), Image.new("L", seven.shape[::-1], 0)]
    lab = Image.merge(
        "LAB", [Image.fromarray(255 - seven // 3)] + [Image.new("L", frames[1].size, 128)] * 2
    )
    return {
        "random.png": (np.random.default_rng(0).bytes(5000), None),
        "truncated.png": (png[: len(png) // 2], None),
        "truncated.jpg": (jpeg[: len(jpeg) // 2], None),
        "bomb.png": (_encoded(Image.new("1", (30_000, 30_000)), format="PNG"), None),
        "drawing.svg.png": (
            b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>',
            None,
        ),
        "scan.pdf.png": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", None),
        "animated.gif": (
            _encoded(frames[0], format="GIF", save_all=True, append_images=frames[1:]),
            "7",
        ),
        "sixteen-bit.png": (
            _encoded(Image.fromarray(seven.astype(np.uint16) * 257), format="PNG"),
            "7",
        ),
        "cmyk.jpg": (_encoded(Image.fromarray(seven).convert("CMYK"), format="JPEG"), "7"),
        "lab-tiff.png": (_encoded(lab, format="TIFF"), None),
        "sideways.jpg": (
            _encoded(
                Image.fromarray(seven).rotate(90, expand=True), format="JPEG", exif=_turned(6)
            ),
            "7",
        ),
        "good.png": (png, "7"),
    }


def test_the_cli_reports_each_bad_file_in_one_line(tmp_path, store, stored_model, hostile, capsys):
    paths = []
    for name, (content, _) in hostile.items():
        (tmp_path / name).write_bytes(content)
        paths.append(str(tmp_path / name))
    assert main(["predict", *paths]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    errors = dict(line.split(": error: ", 1) for line in captured.err.splitlines())
    results = dict(line.split(": ", 1) for line in captured.out.splitlines())
    for name, (_, label) in hostile.items():
        path = str(tmp_path / name)
        if label is None:
            assert path in errors and path not in results, name
        else:
            assert results[path].startswith(f"{label} ("), name
    assert "too many pixels" in errors[str(tmp_path / "bomb.png")]


PEAK_MEMORY = """
import sys
from mnist_core.cli import main
status = main(["predict", sys.argv[1]])
hiwater = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(status, int(hiwater.split()[1]) // 1024)
"""


def _predict_peak_mb(path) -> tuple[int, int]:
    """Exit status and peak resident memory (MB) of `mnist-core predict path` in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        check=True,
    )
    status, peak = result.stdout.splitlines()[-1].split()
    return int(status), int(peak)


def test_a_decompression_bomb_costs_no_memory(tmp_path, store, stored_model, hostile):
    bomb, good = tmp_path / "bomb.png", tmp_path / "good.png"
    bomb.write_bytes(hostile["bomb.png"][0])
    good.write_bytes(hostile["good.png"][0])
    bomb_status, bomb_peak = _predict_peak_mb(bomb)
    good_status, good_peak = _predict_peak_mb(good)
    assert (bomb_status, good_status) == (1, 0)
    # Decoding 900 megapixels would take 900 MB or more; refusing it costs next to nothing.
    assert bomb_peak < good_peak + 50


def test_the_upload_page_keeps_serving(store, stored_model, hostile):
    from test_pages import page

    at = page("app_pages/upload.py").run()
    at.file_uploader[0].set_value(
        [(name, content, "application/octet-stream") for name, (content, _) in hostile.items()]
    ).run()
    assert not at.exception
    bad = [name for name, (_, label) in hostile.items() if label is None]
    assert sorted(e.value.split("**")[1] for e in at.error) == sorted(map(plain, bad))
    headings = [m.value for m in at.markdown if m.value.startswith("### ") and ": **" in m.value]
    assert len(headings) == len(hostile) - len(bad)
