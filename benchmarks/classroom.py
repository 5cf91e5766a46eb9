"""A classroom on one server: sessions draw digits on the Draw page at once, first alone, then
while one more session trains. Prints latency from mouse-up to the answer on screen and the
server's part of it (from the drawing leaving the browser to the answer arriving, timed by the
browser's network stack), wrong answers, errors, where the CPU went and the server's memory;
then opens and closes 100 sessions, ten at a time, and prints the server's memory after each.

    python -m benchmarks.classroom [--sessions 30] [--seconds 60] [--churn 100] [--server-core]
                                   [--board 30]

With `--board N`, N more sessions then watch the Class board (it redraws every 2 s) while the
class draws again: the server's CPU with and without them is what the board costs.

Every session is its own browser context (its own Streamlit session) in one headless Chromium.
Each draws the digits in turn, starting from a different one, with a mouse in one stroke (4 is
left out: it takes two, and the answer after its first stroke would be timed), and checks the
answer against the digit it drew: another session's result would show as a wrong answer.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import itertools
import math
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from playwright.async_api import async_playwright, expect

from benchmarks.serve import CHROMIUM_ARGS, served_app
from mnist_core.samples import SAMPLES_DB_VARIABLE
from mnist_core.segment import DIGIT_CANVAS
from mnist_core.sketches import SKELETONS

# Thirty pages share two cores: a page the browser thinks is in the background must not be
# throttled, or the benchmark would time the browser's sleep instead of the server.
BROWSER_ARGS = [
    *CHROMIUM_ARGS,
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
ONE_STROKE = {
    digit: next(strokes[0] for strokes in variants if len(strokes) == 1)
    for digit, variants in SKELETONS.items()
    if any(len(strokes) == 1 for strokes in variants)
}
BOX = (80, 40, 120, 200)  # where a digit is drawn on the 280x280 canvas: left, top, width, height
PEN_STEP = 6  # pixels between the mouse events of a stroke, as a hand reports them
ANSWER_TIMEOUT_MS = 20_000
THINK_SECONDS = 1.0  # between a clear canvas and the next digit: a quick student, not a robot
TRAINING = "arch=cnn&epochs=30&train=59000&val=1000&patience=none"  # the longest it offers
CANVAS = "[class*=st-key-canvas-] canvas.upper-canvas"  # one at a time: Clear gives a new key
CANVAS_HAS_INK = """() => {
    const canvas = document.querySelector('[class*=st-key-canvas-] canvas.lower-canvas');
    if (!canvas) return false;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    return pixels.some((value, index) => index % 4 === 0 && value > 128);
}"""
ANSWER_SHOWN = """() => {
    const answer = document.querySelector('.st-key-prediction .big-digit');
    return answer && /^[0-9]$/.test(answer.textContent) ? answer.textContent : null;
}"""


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, mouse-up to answer shown
    server_latencies: list[float] = field(default_factory=list)  # drawing sent to answer got
    wrong: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu: str = ""
    lost_strokes: int = 0  # drawn while the canvas was being replaced: the pen drew on nothing


def memory_mb(pid: int, key: str = "VmRSS") -> float:
    """A process's resident memory (VmRSS) or its peak so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no {key} for process {pid}")


def processes() -> list[tuple[int, str, list[str]]]:
    """Every process as (pid, name, the /proc stat fields after the name)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # it ended meanwhile
            continue
        name, fields = text.split("(", 1)[1].rsplit(")", 1)
        found.append((int(stat.parent.name), name, fields.split()))
    return found


def chromium_pids() -> list[int]:
    return [pid for pid, name, _ in processes() if name.startswith("chrom")]


def give_the_server_its_own_core(server: int) -> str:
    """Pin the server (and the training it starts) to core 0 and Chromium, whose new tabs fork
    from processes already running, to the others: the server's share as on its own machine."""
    others = set(range(1, os.cpu_count())) or {0}
    os.sched_setaffinity(server, {0})
    for pid in chromium_pids():
        with contextlib.suppress(OSError):
            os.sched_setaffinity(pid, others)
    os.sched_setaffinity(0, others)  # this benchmark drives the browsers: their side too
    return f"server on core 0, Chromium and the benchmark on cores {sorted(others)}"


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time used so far by process `pid` and its children, or (None) by every Chromium
    process: where a phase's time went."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for process, name, fields in processes():
        parent = int(fields[1])
        own = process == pid or (pid is not None and parent == pid)
        if own or (pid is None and name.startswith("chrom")):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


async def draw(page, box: dict, stroke: list[tuple[float, float]]) -> None:
    """One stroke with the mouse; returns right after the mouse-up."""
    left, top, width, height = BOX
    scale = box["width"] / DIGIT_CANVAS  # the canvas is scaled to its column

    def at(point: tuple[float, float]) -> tuple[float, float]:
        x, y = left + point[0] * width, top + point[1] * height
        return box["x"] + x * scale, box["y"] + y * scale

    x, y = at(stroke[0])
    await page.mouse.move(x, y)
    await page.mouse.down()
    for point in stroke[1:]:
        nx, ny = at(point)
        await page.mouse.move(nx, ny, steps=max(1, int(math.hypot(nx - x, ny - y) / PEN_STEP)))
        x, y = nx, ny
    await page.mouse.up()


@dataclass
class Session:
    """One student: a browser context on the Draw page, and its websocket frames as the
    browser's network stack saw them (type, timestamp, payload)."""

    context: object
    page: object
    frames: list[tuple[str, float, bytes]] = field(default_factory=list)

    async def listen(self) -> None:
        cdp = await self.context.new_cdp_session(self.page)
        for event, kind in (("webSocketFrameSent", "sent"), ("webSocketFrameReceived", "got")):
            cdp.on(f"Network.{event}", functools.partial(self._record, kind))
        await cdp.send("Network.enable")

    def _record(self, kind: str, event: dict) -> None:
        response = event["response"]
        payload = response["payloadData"]
        data = base64.b64decode(payload) if response["opcode"] == 2 else payload.encode()
        self.frames.append((kind, event["timestamp"], data))

    def server_seconds(self, since: int) -> float | None:
        """From the first message sent after frame `since` (the drawing) to the first received
        after it that holds the answer: the server's time plus the loopback, without the
        browser's rendering and the canvas's debounce."""
        frames = self.frames[since:]
        sent = next((at for kind, at, _ in frames if kind == "sent"), None)
        answer = next(
            (
                at
                for kind, at, data in frames
                if kind == "got" and sent is not None and at > sent
                and b"big-digit" in data and b"draw a digit" not in data
            ),
            None,
        )  # fmt: skip
        return None if sent is None or answer is None else answer - sent


async def draw_and_time(session: Session, digit: int, tally: Tally) -> None:
    """Draw `digit` on a fresh canvas, time the answer, then clear the canvas."""
    page = session.page
    canvas = page.locator(CANVAS)
    await expect(page.locator(".st-key-prediction")).to_contain_text("draw a digit")
    await expect(canvas).to_have_count(1)  # the cleared canvas may linger while the new one comes
    await expect(canvas).to_be_visible()
    await expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    await asyncio.sleep(THINK_SECONDS)
    while True:
        since = len(session.frames)
        await draw(page, await canvas.bounding_box(), ONE_STROKE[digit])
        mouse_up = time.perf_counter()
        try:
            shown = await page.wait_for_function(
                ANSWER_SHOWN, polling=10, timeout=ANSWER_TIMEOUT_MS
            )
            break
        except PlaywrightTimeoutError:
            if await page.evaluate(CANVAS_HAS_INK):
                raise
            tally.lost_strokes += 1  # the canvas was replaced under the pen: draw again
            await expect(canvas).to_have_count(1)
    tally.latencies.append(time.perf_counter() - mouse_up)
    server = session.server_seconds(since)
    if server is not None:
        tally.server_latencies.append(server)
    answer = await shown.json_value()
    if answer != str(digit):
        tally.wrong.append(f"drew {digit}, shown {answer}")
    if await page.get_by_test_id("stException").count():
        tally.errors.append("an exception shown on the page")
    await expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    await page.get_by_role("button", name="Clear the canvas").click()


async def ready_draw_page(browser, url: str, tally: Tally):
    """A new session on the Draw page, once its canvas can be drawn on; its time to get there."""
    started = time.perf_counter()
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(120_000)
    page.on("pageerror", lambda error: tally.errors.append(f"page error: {error}"))
    session = Session(context, page)
    await session.listen()
    await page.goto(f"{url}/Draw")
    await expect(page.locator(CANVAS)).to_be_visible()
    await expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    return session, time.perf_counter() - started


async def keep_drawing(session: Session, first: int, until: float, tally: Tally) -> None:
    """Draw digit after digit, starting from the `first`-th, until the clock says stop."""
    digits = itertools.islice(itertools.cycle(ONE_STROKE), first % len(ONE_STROKE), None)
    try:
        while True:  # at least once
            await draw_and_time(session, next(digits), tally)
            if time.monotonic() > until:
                break
    except Exception as error:  # a timeout or a lost page is what this benchmark counts
        tally.errors.append(f"session {first}: {type(error).__name__}: {str(error)[:200]}")


async def classroom(sessions: list[Session], seconds: float, server: int) -> Tally:
    """Every session draws for `seconds`; the tally includes where the CPU time went."""
    tally = Tally()
    until = time.monotonic() + seconds
    server_cpu, browser_cpu, started = cpu_seconds(server), cpu_seconds(), time.monotonic()
    await asyncio.gather(
        *(keep_drawing(session, index, until, tally) for index, session in enumerate(sessions))
    )
    wall = time.monotonic() - started
    used_by_server = cpu_seconds(server) - server_cpu
    used_by_browser = cpu_seconds() - browser_cpu
    tally.cpu = (
        f"CPU over {wall:.0f} s: server (with any training) {used_by_server:.0f} s, "
        f"Chromium {used_by_browser:.0f} s, of {wall * os.cpu_count():.0f} s"
    )
    return tally


async def watch_board(browser, url: str):
    """A session on the Class board, once its live part has drawn; its browser context."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(120_000)
    await page.goto(f"{url}/Class_board")
    await expect(page.get_by_role("heading", name="The latest drawings")).to_be_visible()
    return context


async def start_training(browser, url: str):
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(120_000)
    await page.goto(f"{url}/Train?{TRAINING}")
    await page.get_by_role("button", name="Start").click()
    await expect(page.get_by_text("· step")).to_be_visible(timeout=120_000)
    return context, page


async def stop_training(context, page) -> None:
    await page.get_by_role("button", name="Stop").click()
    await expect(page.get_by_text("test digits recognized")).to_be_visible(timeout=300_000)
    await context.close()


async def churn(browser, url: str, pid: int, total: int, at_once: int = 10) -> list[float]:
    """Open and close `total` sessions, `at_once` at a time, each drawing one digit; the
    server's memory after each group."""
    readings = []
    for group in range(0, total, at_once):
        tally = Tally()

        async def one(index: int, tally: Tally = tally) -> None:
            session, _ = await ready_draw_page(browser, url, tally)
            try:
                await draw_and_time(session, list(ONE_STROKE)[index % len(ONE_STROKE)], tally)
            finally:
                await session.context.close()

        await asyncio.gather(*(one(group + i) for i in range(at_once)))
        readings.append(memory_mb(pid))
    return readings


def percentiles(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    if not ordered:
        return "none"
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return (
        f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms"
    )


def report(title: str, tally: Tally, pid: int) -> None:
    print(f"\n{title}: {len(tally.latencies)} answers")
    print(f"  mouse-up to answer shown: {percentiles(tally.latencies)}")
    print(f"  drawing sent to answer received (server): {percentiles(tally.server_latencies)}")
    print(f"  wrong answers: {len(tally.wrong)} {tally.wrong[:5]}")
    print(f"  errors: {len(tally.errors)} {tally.errors[:3]}")
    print(f"  strokes lost (drawn again): {tally.lost_strokes}")
    if tally.cpu:
        print(f"  {tally.cpu}")
    print(f"  server memory now {memory_mb(pid):.0f} MB, peak {memory_mb(pid, 'VmHWM'):.0f} MB")


async def main(sessions: int, seconds: float, total: int, own_core: bool, board: int) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's chromium: apt-get install -y chromium")
    folder = Path(tempfile.mkdtemp(prefix="classroom-"))
    log = folder / "streamlit.log"
    expect.set_options(timeout=120_000)  # a loaded page may wait its turn this long: counted
    with served_app(log, environment={SAMPLES_DB_VARIABLE: str(folder / "samples.sqlite3")}) as app:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
            print(f"server log: {log}; server memory at start {memory_mb(app.pid):.0f} MB")
            if own_core:
                print(give_the_server_its_own_core(app.pid))
            warm_up = Tally()
            session, seconds_to_ready = await ready_draw_page(browser, app.url, warm_up)
            await keep_drawing(session, 0, time.monotonic() + 10, warm_up)
            await session.context.close()
            print(
                f"first session ready in {seconds_to_ready:.1f} s (loads TensorFlow and the model)"
            )
            report("one session alone, for 10 s", warm_up, app.pid)

            opening = Tally()
            sessions_ready = await asyncio.gather(
                *(ready_draw_page(browser, app.url, opening) for _ in range(sessions))
            )
            waits = sorted(ready for _, ready in sessions_ready)
            p50, longest, errors = statistics.median(waits), waits[-1], len(opening.errors)
            print(
                f"\n{sessions} sessions opened at once: ready in p50 {p50:.1f} s, "
                f"max {longest:.1f} s; errors {errors}"
            )
            students = [session for session, _ in sessions_ready]
            tally = await classroom(students, seconds, app.pid)
            report(f"{sessions} sessions drawing for {seconds:.0f} s", tally, app.pid)

            if board:
                watchers = await asyncio.gather(
                    *(watch_board(browser, app.url) for _ in range(board))
                )
                tally = await classroom(students, seconds, app.pid)
                report(f"{sessions} sessions drawing while {board} watch the board", tally, app.pid)
                for watcher in watchers:
                    await watcher.close()

            trainer = await start_training(browser, app.url)
            tally = await classroom(students, seconds, app.pid)
            report(f"{sessions} sessions drawing while one trains", tally, app.pid)
            await stop_training(*trainer)
            for student in students:
                await student.context.close()

            before = memory_mb(app.pid)
            readings = await churn(browser, app.url, app.pid, total)
            print(f"\n{total} sessions opened and closed, ten at a time: server memory (MB)")
            after = ", ".join(f"{reading:.0f}" for reading in readings)
            print(f"  before {before:.0f}, after each ten: {after}")
            await browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--churn", type=int, default=100, help="sessions opened and closed")
    parser.add_argument(
        "--server-core",
        action="store_true",
        help="pin the server to core 0 and the browsers to the rest, as if on separate machines",
    )
    parser.add_argument("--board", type=int, default=0, help="sessions watching the Class board")
    arguments = parser.parse_args()
    asyncio.run(
        main(
            arguments.sessions,
            arguments.seconds,
            arguments.churn,
            arguments.server_core,
            arguments.board,
        )
    )
