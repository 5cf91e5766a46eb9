"""The Train page's loss and accuracy charts, measured in a real browser at classroom widths:
no label on the other chart, no text on text, no marker cut off at the plot's edge."""

from __future__ import annotations

import itertools
import time

from playwright.sync_api import expect

from e2e.test_browser import wait_until_idle

TINY_RUN = "arch=perceptron&train=2000&val=1000&epochs=2&patience=none"
VIEWPORTS = ((1024, 768), (1280, 800), (1920, 1080))
SUBPLOTS = {"xy": ("x", "y"), "x2y2": ("x2", "y2")}  # subplot: its x and y axes
SLACK = 0.5  # px: boxes may touch, and browsers round

# Every box the checks need, as [left, top, right, bottom] in page pixels.
CHART_BOXES = """(plot, subplots) => {
    const box = (element) => {
        const r = element.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom];
    };
    const texts = (selector) => [...plot.querySelectorAll(selector)]
        .filter((element) => element.textContent.trim() !== "")
        .map((element) => ({text: element.textContent, box: box(element)}));
    const result = {chart: box(plot.querySelector(".main-svg")), subplots: {}};
    const legend = plot.querySelector(".legend .bg");
    result.legend = legend ? box(legend) : null;
    result.legendTexts = texts(".legend .legendtext");
    result.subplotTitles = texts(".infolayer .annotation-text");
    for (const [name, [x, y]] of Object.entries(subplots)) {
        const subplot = plot.querySelector(`.cartesianlayer .subplot.${name}`);
        result.subplots[name] = {
            area: box(plot.querySelector(`.draglayer .${name} .nsewdrag`)),
            labels: [
                ...texts(`.cartesianlayer .subplot.${name} .xaxislayer-above text`),
                ...texts(`.cartesianlayer .subplot.${name} .yaxislayer-above text`),
                ...texts(`.infolayer .g-${x}title text`),
                ...texts(`.infolayer .g-${y}title text`),
            ],
            markers: [...subplot.querySelectorAll(".scatterlayer .trace .points path")].map(box),
        };
    }
    return result;
}"""


def overlap(a: list[float], b: list[float]) -> bool:
    """Whether two boxes share more than a sliver."""
    return min(a[2], b[2]) - max(a[0], b[0]) > SLACK and min(a[3], b[3]) - max(a[1], b[1]) > SLACK


def inside(inner: list[float], outer: list[float]) -> bool:
    return (
        inner[0] >= outer[0] - SLACK
        and inner[1] >= outer[1] - SLACK
        and inner[2] <= outer[2] + SLACK
        and inner[3] <= outer[3] + SLACK
    )


def settled_chart(page):
    """The chart once it has re-laid itself out for the viewport: its width unchanged for 1 s."""
    plot = page.locator(".js-plotly-plot").first
    expect(plot).to_be_attached()
    widths = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        widths.append(
            plot.evaluate("(p) => p.querySelector('.main-svg').getBoundingClientRect().width")
        )
        if len(widths) >= 5 and len(set(widths[-5:])) == 1:
            return plot
        time.sleep(0.25)
    raise AssertionError(f"the chart kept resizing: widths {widths[-5:]}")


def layout_problems(boxes: dict) -> list[str]:
    """What overlaps or is cut off in the chart, in words; empty when the layout is clean."""
    problems = []
    subplots = boxes["subplots"]
    for name, other in itertools.permutations(subplots, 2):
        for label in subplots[name]["labels"]:
            if overlap(label["box"], subplots[other]["area"]):
                problems.append(f"{name}'s label {label['text']!r} lies on {other}'s plot")
    labels = [label for s in subplots.values() for label in s["labels"]] + boxes["subplotTitles"]
    texts = labels + boxes["legendTexts"]
    for a, b in itertools.combinations(texts, 2):
        if overlap(a["box"], b["box"]):
            problems.append(f"{a['text']!r} overlaps {b['text']!r}")
    for text in texts:
        if not inside(text["box"], boxes["chart"]):
            problems.append(f"{text['text']!r} is cut off at the chart's edge")
    if boxes["legend"] is not None:
        for label in labels:
            if overlap(boxes["legend"], label["box"]):
                problems.append(f"the legend covers {label['text']!r}")
    for name, subplot in subplots.items():
        cut = [m for m in subplot["markers"] if not inside(m, subplot["area"])]
        if cut:
            problems.append(f"{len(cut)} of {name}'s markers are cut at the plot's edge: {cut}")
    return problems


def test_training_charts_are_laid_out_cleanly_at_classroom_widths(browser, app_url, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{app_url}/Train?{TINY_RUN}")
        page.get_by_role("button", name="Start").click()
        expect(page.get_by_text("test digits recognized")).to_be_visible(timeout=180_000)
        wait_until_idle(page)
        problems = []
        for width, height in VIEWPORTS:
            page.set_viewport_size({"width": width, "height": height})
            plot = settled_chart(page)
            plot.scroll_into_view_if_needed()
            boxes = plot.evaluate(CHART_BOXES, SUBPLOTS)
            assert all(s["markers"] for s in boxes["subplots"].values()), "no per-epoch markers"
            page.screenshot(path=artifacts / f"train-charts-{width}.png", full_page=True)
            problems += [f"at {width} px: {problem}" for problem in layout_problems(boxes)]
        assert not problems, "\n".join(problems)
    finally:
        context.close()
