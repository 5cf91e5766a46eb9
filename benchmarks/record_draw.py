"""Record what a real Chromium sends on the Draw page: the page's first run and one stroke of a
digit, for the load benchmark to replay without browsers.

    python -m benchmarks.record_draw [--digit 7] [--to benchmarks/recordings/draw_page.json]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import shutil
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright, expect

from benchmarks.classroom import ANSWER_SHOWN, CANVAS, ONE_STROKE, draw
from benchmarks.replay import RECORDING, Recording, recording_from_frames
from benchmarks.serve import CHROMIUM_ARGS, served_app
from mnist_core.samples import SAMPLES_DB_VARIABLE


async def record_in_browser(url: str, chromium: str, digit: int = 7) -> Recording:
    """Open the Draw page at `url` in Chromium, draw `digit` in one stroke, and keep what the
    page sent on its websocket and the answer it showed."""
    sent: list[bytes] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(120_000)
        page.on("websocket", lambda socket: socket.on("framesent", frames_into(sent)))
        await page.goto(f"{url}/Draw")
        canvas = page.locator(CANVAS)
        await expect(canvas).to_be_visible(timeout=120_000)
        await expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
        await draw(page, await canvas.bounding_box(), ONE_STROKE[digit])
        shown = await page.wait_for_function(ANSWER_SHOWN, polling=10)
        answer = await shown.json_value()
        await browser.close()
    return recording_from_frames(sent, answer)


def frames_into(sent: list[bytes]):
    """A listener for a websocket's "framesent" events that keeps each frame's bytes in `sent`."""

    def keep(frame: bytes | str) -> None:
        sent.append(frame if isinstance(frame, bytes) else base64.b64decode(frame))

    return keep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digit", type=int, default=7, choices=sorted(ONE_STROKE))
    parser.add_argument("--to", type=Path, default=RECORDING)
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's chromium: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as folder:
        environment = {SAMPLES_DB_VARIABLE: f"{folder}/samples.sqlite3"}
        with served_app(Path(folder) / "streamlit.log", environment=environment) as app:
            recording = asyncio.run(record_in_browser(app.url, chromium, args.digit))
    recording.save(args.to)
    print(f"recorded the Draw page and a {args.digit} (the page showed {recording.answer}) "
          f"to {args.to}")  # fmt: skip


if __name__ == "__main__":
    main()
