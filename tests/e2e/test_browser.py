"""The app in a real headless Chromium: draw with a mouse and a finger, upload, train."""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import expect

from digit_studio.training_jobs import ABANDON_SECONDS

from conftest import png_bytes
from e2e.strokes import DIGIT_STROKES, SMILEY, draw_with_mouse, draw_with_touch

PREDICTION = ".st-key-prediction"


def wait_until_idle(page) -> None:
    """Until the script run ends: Streamlit's running indicator is gone."""
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)


def empty_canvas(page, clears: int = 0):
    """The Draw page's canvas after `clears` clears: Clear gives the canvas a new key."""
    canvas = page.locator(f".st-key-canvas-{clears} canvas.upper-canvas")
    expect(page.locator(PREDICTION)).to_contain_text("draw a digit")
    expect(canvas).to_be_visible()
    wait_until_idle(page)
    canvas.scroll_into_view_if_needed()
    return canvas


def a_seven_drawn(page, app_url: str) -> None:
    """The Draw page with a 7 drawn by mouse on its fresh canvas, and read as a 7."""
    page.goto(f"{app_url}/Draw")
    canvas = empty_canvas(page)
    draw_with_mouse(page, canvas.bounding_box(), DIGIT_STROKES["7"])
    expect(page.locator(f"{PREDICTION} .big-digit")).to_have_text("7")


def test_drawn_digits_are_recognized(page, app_url, artifacts):
    page.goto(f"{app_url}/Draw")
    expect(page).to_have_title("Draw · Digit Studio")
    expect(page.get_by_role("link", name="Home", exact=True)).to_be_visible()
    for clears, (digit, strokes) in enumerate(DIGIT_STROKES.items()):
        canvas = empty_canvas(page, clears)
        draw_with_mouse(page, canvas.bounding_box(), strokes)
        expect(page.locator(f"{PREDICTION} .big-digit")).to_have_text(digit)
        expect(page.locator(PREDICTION)).to_contain_text("sure")
        wait_until_idle(page)
        page.screenshot(path=artifacts / f"draw-{digit}.png", full_page=True)
        page.get_by_role("button", name="Clear the canvas").click()


def test_a_smiley_is_not_a_digit(page, app_url, artifacts):
    page.goto(f"{app_url}/Draw")
    canvas = empty_canvas(page)
    draw_with_mouse(page, canvas.bounding_box(), SMILEY)
    wait_until_idle(page)
    expect(page.locator(PREDICTION)).to_contain_text("That doesn't look like a digit")
    expect(page.locator(PREDICTION)).to_contain_text(re.compile(r"Best guesses: \d \(\d+%\)"))
    expect(page.locator(f"{PREDICTION} .big-digit")).not_to_have_text(re.compile(r"^\d$"))
    page.screenshot(path=artifacts / "draw-smiley.png", full_page=True)


def test_inside_the_network_after_drawing(page, app_url, artifacts):
    a_seven_drawn(page, app_url)
    page.get_by_text("Inside the network").click()
    expect(
        page.get_by_text("Saliency, in red: the ink that made the network more sure it is a 7")
    ).to_be_visible()
    layer = re.compile(r"Layer 1, 3×3 filters, 32 of them: the 32 feature maps of your drawing")
    expect(page.get_by_text(layer)).to_be_visible()
    wait_until_idle(page)
    page.screenshot(path=artifacts / "draw-inside-the-network.png", full_page=True)


def test_drawing_with_a_finger_on_a_phone(browser, app_url, artifacts):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{app_url}/Draw")
        canvas = empty_canvas(page)
        draw_with_touch(page, canvas.bounding_box(), DIGIT_STROKES["7"])
        expect(page.locator(f"{PREDICTION} .big-digit")).to_have_text("7")
        wait_until_idle(page)
        page.screenshot(path=artifacts / "draw-touch-phone.png", full_page=True)
    finally:
        context.close()


def test_uploaded_file_is_labelled(page, app_url, artifacts, tmp_path, mnist):
    image = tmp_path / "digit.png"
    image.write_bytes(png_bytes(255 - np.kron(mnist.x_test[0], np.ones((8, 8), np.uint8))))
    page.goto(f"{app_url}/Upload")
    page.locator("input[type=file]").set_input_files(image)
    expect(page.get_by_role("heading", name=re.compile(r"digit\.png: 7"))).to_be_visible()
    wait_until_idle(page)
    page.screenshot(path=artifacts / "upload.png", full_page=True)


def warm_trainer(page, url: str) -> None:
    """Open `url` once the server's trainer has TensorFlow loaded."""
    loading = page.get_by_text("The trainer is still loading TensorFlow")
    start = page.get_by_role("button", name="Start")
    deadline = time.monotonic() + 120
    page.goto(url)
    expect(start).to_be_visible()  # the page has run: the caption is there if it is due
    wait_until_idle(page)
    while loading.count() and time.monotonic() < deadline:
        time.sleep(2)
        page.reload()
        expect(start).to_be_visible()
        wait_until_idle(page)
    expect(loading).to_have_count(0)


def test_the_demo_starts_moves_and_stops_mid_epoch(page, app_url, artifacts):
    warm_trainer(page, f"{app_url}/Train")
    expect(page.get_by_text("Demo: a small fast network to 99%")).to_be_visible()
    page.get_by_role("button", name="Start").click()
    status = page.get_by_text(re.compile(r"Epoch 1/2 · step \d+/\d+"))
    expect(status).to_be_visible()
    first = status.inner_text()
    page.screenshot(path=artifacts / "train-running.png", full_page=True)
    expect(status).not_to_have_text(first)  # the progress advances without a click
    expect(page.locator(".js-plotly-plot .scatterlayer .trace").first).to_be_visible()

    page.get_by_role("button", name="Stop").click()
    stopped = page.get_by_text(re.compile(r"Stopped at epoch 1/2 · step \d+/\d+: 0\.\d\d of"))
    expect(stopped).to_be_visible()
    result = page.get_by_text(re.compile(r"stopped on request after 0\.\d\d of an epoch"))
    expect(result).to_be_visible(timeout=120_000)
    expect(page.get_by_text("to go")).to_have_count(0)  # no ETA left over
    page.screenshot(path=artifacts / "train-stopped.png", full_page=True)


def test_closing_the_tab_ends_its_training(browser, app_url):
    def leftovers() -> set[Path]:
        return set(Path(tempfile.gettempdir()).glob("digit-studio-training-*"))

    before = leftovers()
    trainer = browser.new_context()
    page = trainer.new_page()
    page.goto(f"{app_url}/Train?arch=cnn&epochs=30&train=59000&val=1000&patience=none")
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_text(re.compile(r"Epoch \d+/30 · step"))).to_be_visible()
    (folder,) = leftovers() - before
    trainer.close()

    classmate = browser.new_context()
    other = classmate.new_page()
    busy = other.get_by_text("The server is training a model for someone else")
    other.goto(f"{app_url}/Train")
    expect(busy).to_be_visible()
    # The classmate watches it move, and could queue behind it.
    watched = other.get_by_text(re.compile(r"Epoch \d+/30 · step \d+"))
    expect(watched).to_be_visible()
    first = watched.inner_text()
    expect(watched).not_to_have_text(first)
    expect(other.get_by_role("button", name="Start")).to_be_enabled()
    deadline = time.monotonic() + ABANDON_SECONDS + 60
    while busy.count() and time.monotonic() < deadline:
        time.sleep(5)
        other.reload()
        expect(other.get_by_role("button", name="Start")).to_be_visible()
        wait_until_idle(other)
    expect(busy).to_have_count(0)
    assert folder not in leftovers()
    classmate.close()


def test_a_corrected_drawing_shows_in_the_gallery(page, app_url, artifacts):
    a_seven_drawn(page, app_url)
    wait_until_idle(page)
    name = page.get_by_role("textbox", name="Your name (optional)")
    name.fill("Ada")
    name.press("Enter")
    wait_until_idle(page)
    teach = page.locator(".st-key-teach")
    teach.get_by_role("radio", name="1", exact=True).click()
    expect(page.get_by_text("Saved as a 1 (the network said 7)")).to_be_visible()
    empty_canvas(page, clears=1)  # cleared for the next digit
    page.screenshot(path=artifacts / "draw-corrected.png", full_page=True)

    page.get_by_role("link", name="My handwriting").click()
    expect(page.get_by_text("1 drawing", exact=True)).to_be_visible()
    expect(page.get_by_text("1 (read 7)")).to_be_visible()
    page.get_by_role("combobox", name="Whose drawings").click()
    expect(page.get_by_role("option", name="Ada")).to_be_visible()
    page.keyboard.press("Escape")
    wait_until_idle(page)
    page.screenshot(path=artifacts / "my-handwriting.png", full_page=True)


def test_a_whole_number_is_read_digit_by_digit(page, app_url, artifacts):
    page.goto(f"{app_url}/Draw")
    page.get_by_text("A whole number").click()
    canvas = page.locator(".st-key-number-0 canvas.upper-canvas")
    expect(canvas).to_be_visible()
    wait_until_idle(page)
    box = canvas.bounding_box()
    for place, digit in enumerate("170"):
        strokes = [[(x + 230 * place, y) for x, y in stroke] for stroke in DIGIT_STROKES[digit]]
        draw_with_mouse(page, box, strokes, pixels=720)
    wait_until_idle(page)
    page.screenshot(path=artifacts / "draw-number.png", full_page=True)


def test_the_presenter_view_answers_and_is_left_for_the_whole_page(page, app_url):
    """The presenter view is a fragment, as the Draw page's canvas is: a stroke reruns only it,
    and leaving it must redraw the whole page, not the fragment alone."""
    page.goto(f"{app_url}/Draw?present=1")
    canvas = empty_canvas(page)
    draw_with_mouse(page, canvas.bounding_box(), DIGIT_STROKES["7"])
    expect(page.locator(f"{PREDICTION} .big-digit")).to_have_text("7")
    expect(page.get_by_role("heading", name="Draw a digit")).to_have_count(0)
    page.get_by_role("button", name="Leave the presenter view").click()
    expect(page.get_by_role("heading", name="Draw a digit")).to_be_visible()
    expect(page.get_by_role("button", name="Present to the class")).to_be_visible()
    assert "present" not in page.url
