"""A real `streamlit run app.py` on a free port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.serve import CHROMIUM_ARGS, served_app
from mnist_core.samples import SAMPLES_DB_VARIABLE

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed (make test installs it when run as root)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI must run the browser tests")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def app_url(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app, served from this checkout with the shipped models and an empty handwriting
    database, until the session ends."""
    folder = tmp_path_factory.mktemp("server")
    log = folder / "streamlit.log"
    samples = {SAMPLES_DB_VARIABLE: str(folder / "samples.sqlite3")}
    try:
        with served_app(log, environment=samples) as app:
            yield app.url
    except RuntimeError as error:
        pytest.fail(f"{error}: {log}")


@pytest.fixture(scope="session")
def browser(chromium: str):
    from playwright.sync_api import expect, sync_playwright

    # The server's first run imports TensorFlow and loads the model: seconds, not milliseconds.
    expect.set_options(timeout=60_000)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
