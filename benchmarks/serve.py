"""The app served by a real `streamlit run` on a free loopback port: for browser tests and load
benchmarks, which must see what a classroom sees."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go

ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 90  # a cold start imports TensorFlow
# Debian's Chromium without a display, a sandbox or any call home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class ServedApp:
    url: str
    pid: int  # the server process, for memory readings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served_app(
    log: Path, *options: str, environment: dict[str, str] | None = None
) -> Iterator[ServedApp]:
    """Start the app, wait until it answers its health check, stop it on exit.

    `options` are extra `streamlit run` flags, `environment` extra variables; the server's
    output goes to `log`.
    """
    port = _free_port()
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                "--server.port", str(port),
                "--server.address", "127.0.0.1",
                "--server.headless", "true",
                "--server.fileWatcherType", "none",
                "--browser.gatherUsageStats", "false",
                *options,
            ],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(environment or {})},
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_healthy(url, server)
            yield ServedApp(url, server.pid)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


def _wait_until_healthy(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("streamlit did not start: see its log")
        time.sleep(0.5)


def save_figure(figure: go.Figure, html: Path, size: dict[str, int]) -> Path:
    """The figure as offline HTML, and as a PNG beside it screenshot in headless Chromium."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's chromium: apt-get install -y chromium")
    html.parent.mkdir(parents=True, exist_ok=True)
    figure.write_html(html, include_plotlyjs=True, full_html=True)
    png = html.with_suffix(".png")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=size)
        page.goto(html.resolve().as_uri())
        page.locator(".plotly-graph-div .main-svg").first.wait_for()
        page.locator(".plotly-graph-div").screenshot(path=png)
        browser.close()
    return png
