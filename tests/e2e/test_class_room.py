"""The class in a real Chromium: three students draw, the board shows them all; the presenter
view read from the back of a room."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from digit_studio.board_view import FINDINGS_SECONDS

from e2e.strokes import DIGIT_STROKES, draw_with_mouse
from e2e.test_browser import wait_until_idle
from e2e.test_room_layout import fitted_canvas, is_on_top

BOARD_SECONDS = 5  # the promise: a drawing is on the board within five seconds

# Every piece of visible text in the page, charts' SVG labels included: its size in px and its
# contrast with what is behind it (WCAG 2's formula, colours alpha-blended down to the first
# opaque background; an SVG label's colour is its fill).
TEXTS = """() => {
    const parse = (c) => { const m = c.match(/[\\d.]+/g).map(Number);
                           return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
    const over = (top, bottom) =>
        top.slice(0, 3).map((v, i) => v * top[3] + bottom[i] * (1 - top[3]));
    const background = (element) => {
        const layers = [];
        for (let e = element; e; e = e.parentElement || e.getRootNode().host) {
            const c = parse(getComputedStyle(e).backgroundColor);
            if (c[3] > 0) layers.push(c);
            if (c[3] === 1) break;
        }
        return layers.reverse().reduce((below, c) => over(c, below), [255, 255, 255]);
    };
    const luminance = (rgb) => { const [r, g, b] = rgb.map((v) => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement;
        const text = node.textContent.trim();
        if (!text || !element || element.closest('style, script, [aria-hidden=true]')) continue;
        const box = element.getBoundingClientRect();
        const style = getComputedStyle(element);
        if (!box.width || !box.height || style.visibility === 'hidden') continue;
        if (style.opacity === '0') continue;
        const back = background(element);
        const svg = element.closest('svg') !== null;
        const colour = over(parse(svg ? style.fill : style.color), back);
        const [light, dark] = [luminance(colour), luminance(back)].sort((a, b) => b - a);
        found.push({text: text.slice(0, 40), size: parseFloat(style.fontSize),
                    contrast: (light + 0.05) / (dark + 0.05)});
    }
    return found;
}"""


def test_three_students_draw_and_the_board_shows_them_all(browser, app_url, artifacts):
    teacher = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    teacher.goto(f"{app_url}/Class_board")
    expect(teacher.get_by_role("heading", name="Class board")).to_be_visible()
    # The drawings other tests made so far, once the wall shows them (none: no count at all).
    count = teacher.get_by_test_id("stMetricValue").first
    try:
        count.wait_for(timeout=15_000)
        before = int(count.inner_text().replace(",", ""))
    except PlaywrightTimeoutError:
        before = 0
    students = []
    for name in ("Ada", "Ben", "Cleo"):
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{app_url}/Draw")
        field = page.get_by_role("textbox", name="Your name (optional)")
        field.fill(name)
        field.press("Enter")
        students.append((name, page, fitted_canvas(page, "canvas-0")))
    for _, page, canvas in students:
        draw_with_mouse(page, canvas.bounding_box(), DIGIT_STROKES["7"])
        expect(page.locator(".st-key-prediction .big-digit")).to_have_text("7")
        wait_until_idle(page)
    drawn = time.perf_counter()
    # The wall is one picture of the drawings, counted above it; the names are in a table
    # the board redraws less often.
    expect(count).to_have_text(str(before + 3), timeout=BOARD_SECONDS * 1000)
    expect(teacher.get_by_test_id("stImage")).to_have_count(1)
    assert time.perf_counter() - drawn <= BOARD_SECONDS
    who_drew = teacher.get_by_test_id("stTable")
    for name, _, _ in students:
        expect(who_drew.get_by_role("row").filter(has_text=name)).to_have_count(
            1, timeout=(FINDINGS_SECONDS + BOARD_SECONDS) * 1000
        )
    teacher.screenshot(path=artifacts / "class-board.png", full_page=True)
    for _, page, _ in students:
        page.context.close()
    teacher.context.close()


@pytest.mark.parametrize("viewport", [(1024, 768), (1920, 1080)])
def test_the_presenter_view_reads_from_the_back_of_the_room(browser, app_url, artifacts, viewport):
    width, height = viewport
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{app_url}/Draw?present=1")
    canvas = fitted_canvas(page, "canvas-0")
    assert is_on_top(canvas)
    assert canvas.bounding_box()["height"] >= 0.7 * height  # as tall as the screen allows
    expect(page.get_by_role("link", name="Train")).to_have_count(0)  # no page links
    draw_with_mouse(page, canvas.bounding_box(), DIGIT_STROKES["7"])
    answer = page.locator(".st-key-prediction .big-digit")
    expect(answer).to_have_text("7")
    wait_until_idle(page)
    assert is_on_top(answer)
    assert is_on_top(page.locator(".st-key-present-clear button"), rounded=True)
    assert is_on_top(page.locator(".st-key-probabilities"))
    page.screenshot(path=artifacts / f"presenter-{width}x{height}.png")
    texts = page.evaluate(TEXTS)
    assert {"Clear", "7", "9", "100%"} <= {t["text"] for t in texts}  # the chart's labels too
    small = [t for t in texts if t["size"] < 20]
    faint = [t for t in texts if t["contrast"] < 4.5]
    assert (small, faint) == ([], [])
    page.context.close()
