"""Pen strokes of digits in 280x280 canvas coordinates, and ways to draw them in a page."""

from __future__ import annotations

import itertools
import math

Stroke = list[tuple[float, float]]

DIGIT_STROKES: dict[str, list[Stroke]] = {
    "1": [[(140, 45), (140, 140), (140, 235)]],
    "7": [[(75, 60), (140, 60), (205, 60), (170, 140), (130, 235)]],
    "0": [
        [
            (140 + 55 * math.sin(2 * math.pi * t / 36), 140 - 90 * math.cos(2 * math.pi * t / 36))
            for t in range(37)
        ]
    ],
}

# A circle with eyes and a smile: what a class draws first to test the network.
SMILEY: list[Stroke] = [
    [
        (140 + 100 * math.cos(2 * math.pi * t / 40), 140 + 100 * math.sin(2 * math.pi * t / 40))
        for t in range(41)
    ],
    [(105, 105), (105, 120)],
    [(175, 105), (175, 120)],
    [(140 + 55 * math.cos(math.radians(a)), 145 + 45 * math.sin(math.radians(a)))
     for a in range(20, 161, 10)],
]  # fmt: skip


def interpolate(stroke: Stroke, step: float = 6.0) -> Stroke:
    """Points every `step` pixels along the stroke, as a hand would report them."""
    points = [stroke[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
        count = max(1, int(math.hypot(x1 - x0, y1 - y0) / step))
        points += [
            (x0 + (x1 - x0) * i / count, y0 + (y1 - y0) * i / count) for i in range(1, count + 1)
        ]
    return points


def draw_with_mouse(page, canvas_box: dict, strokes: list[Stroke]) -> None:
    for stroke in strokes:
        points = interpolate(stroke)
        x, y = canvas_box["x"], canvas_box["y"]
        page.mouse.move(x + points[0][0], y + points[0][1])
        page.mouse.down()
        for px, py in points[1:]:
            page.mouse.move(x + px, y + py)
        page.mouse.up()


def draw_with_touch(page, canvas_box: dict, strokes: list[Stroke]) -> None:
    """Real touch events through the DevTools protocol, as a finger on a tablet sends them."""
    session = page.context.new_cdp_session(page)
    for stroke in strokes:
        points = interpolate(stroke)
        x, y = canvas_box["x"], canvas_box["y"]
        kinds = ["touchStart"] + ["touchMove"] * (len(points) - 1)
        for kind, (px, py) in zip(kinds, points, strict=True):
            session.send(
                "Input.dispatchTouchEvent",
                {"type": kind, "touchPoints": [{"x": x + px, "y": y + py}]},
            )
        session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
