"""Every room fits: a projector at 1024x768, laptops, a phone held either way. Checked
geometrically in a real Chromium (boxes, clipping, what is on top), with a screenshot of each
in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e.strokes import DIGIT_STROKES, draw_with_mouse, draw_with_touch
from e2e.test_browser import wait_until_idle

PHONE = {"is_mobile": True, "has_touch": True, "device_scale_factor": 3}
ROOMS = {
    "projector": ((1024, 768), {}),
    "laptop": ((1280, 800), {}),
    "full-hd": ((1920, 1080), {}),
    "phone": ((390, 844), PHONE),
    "phone-landscape": ((844, 390), PHONE),
}
NARROW = 640  # Streamlit stacks columns below this width

# Whether the element is what the browser shows at each inner corner of its box: not scrolled
# away, cut off by its container or covered (by the sidebar, a header, the canvas's own hidden
# toolbar). A canvas lives in a shadow root: its root is asked.
ON_TOP = """([element, share]) => {
    const root = element.getRootNode();
    const r = element.getBoundingClientRect();
    const inset = Math.max(3, share * Math.min(r.width, r.height));
    const corners = [[r.left + inset, r.top + inset], [r.right - inset, r.top + inset],
                     [r.left + inset, r.bottom - inset], [r.right - inset, r.bottom - inset]];
    return corners.every(([x, y]) => {
        if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return false;
        const hit = root.elementFromPoint(x, y);
        return hit === element || element.contains(hit);
    });
}"""

# Text cut short: an element whose content is wider than its box (an ellipsis, a hidden strip).
CUT_TEXT = """(root) => [...root.querySelectorAll('button, button *')]
    .filter((e) => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
    .map((e) => e.textContent.trim()).filter((text) => text !== '')"""


def room_page(browser, room: str):
    (width, height), options = ROOMS[room]
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def draw(page, canvas, strokes, pixels: int = 280) -> None:
    touch = page.context.browser is not None and page.viewport_size["width"] in (390, 844)
    (draw_with_touch if touch else draw_with_mouse)(page, canvas.bounding_box(), strokes, pixels)


def is_on_top(locator, rounded: bool = False) -> bool:
    """Whether `locator` shows whole; a `rounded` one (a pill) is probed inside its corners."""
    return locator.evaluate(f"(element) => ({ON_TOP})([element, {0.3 if rounded else 0}])")


def fitted_canvas(page, key: str):
    """The canvas under widget key `key`, once it is scaled to its column."""
    canvas = page.locator(f".st-key-{key} canvas.upper-canvas")
    expect(canvas).to_be_visible()
    expect(page.locator(f".st-key-{key} style[data-canvas-fit]")).to_have_count(1)
    wait_until_idle(page)
    canvas.scroll_into_view_if_needed()
    return canvas


@pytest.mark.parametrize("room", ROOMS)
def test_the_draw_page_fits_the_room(browser, app_url, artifacts, room):
    page = room_page(browser, room)
    page.goto(f"{app_url}/Draw")
    canvas = fitted_canvas(page, "canvas-0")
    assert is_on_top(canvas), f"{room}: the canvas is not all on screen"

    draw(page, canvas, DIGIT_STROKES["7"])
    narrow = page.viewport_size["width"] < NARROW
    shown = page.locator(
        ".st-key-answer-compact .big-digit" if narrow else ".st-key-prediction .big-digit"
    )
    expect(shown).to_have_text("7")
    wait_until_idle(page)
    assert is_on_top(shown), f"{room}: the answer is off screen after drawing"
    page.screenshot(path=artifacts / f"room-{room}.png")

    main = page.get_by_test_id("stMain")
    assert main.evaluate(CUT_TEXT) == [], f"{room}: buttons cut short"
    choices = page.locator(".st-key-teach [data-testid=stButtonGroup] button")
    expect(choices).to_have_count(10)
    for index in range(10):
        choices.nth(index).scroll_into_view_if_needed()
        assert is_on_top(choices.nth(index), rounded=True), f"{room}: the choice {index} is hidden"
    page.context.close()


@pytest.mark.parametrize("room", ["projector", "phone"])
def test_a_narrow_number_canvas_still_reads_four_digits(browser, app_url, artifacts, room):
    page = room_page(browser, room)
    page.goto(f"{app_url}/Draw")
    page.get_by_text("A whole number").click()
    canvas = fitted_canvas(page, "number-0")
    assert is_on_top(canvas), f"{room}: the number canvas is not all on screen"
    for place, digit in enumerate("1701"):
        strokes = [[(x + 170 * place, y) for x, y in stroke] for stroke in DIGIT_STROKES[digit]]
        draw(page, canvas, strokes, pixels=720)
        # A hand between digits: the next stroke once this one is read (mid-rerun it is lost).
        expect(page.locator(".st-key-number .big-digit")).to_have_text("1701"[: place + 1])
    page.screenshot(path=artifacts / f"room-{room}-number.png", full_page=True)
    page.context.close()
