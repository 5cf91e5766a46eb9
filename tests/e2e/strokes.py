"""Pen strokes of digits in 280x280 canvas coordinates, and ways to draw them in a page.

The page scales a canvas to the width it is given: a stroke's canvas pixels are mapped onto the
canvas's box on screen (`pixels`: the canvas's width in canvas pixels)."""

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


def on_screen(canvas_box: dict, stroke: Stroke, pixels: int) -> Stroke:
    """A stroke's points in page coordinates, on a canvas `pixels` wide shown in `canvas_box`."""
    scale = canvas_box["width"] / pixels
    return [(canvas_box["x"] + x * scale, canvas_box["y"] + y * scale) for x, y in stroke]


def draw_with_mouse(page, canvas_box: dict, strokes: list[Stroke], pixels: int = 280) -> None:
    for stroke in strokes:
        points = on_screen(canvas_box, interpolate(stroke), pixels)
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def draw_with_touch(page, canvas_box: dict, strokes: list[Stroke], pixels: int = 280) -> None:
    """Real touch events through the DevTools protocol, as a finger on a tablet sends them."""
    session = page.context.new_cdp_session(page)
    for stroke in strokes:
        points = on_screen(canvas_box, interpolate(stroke), pixels)
        kinds = ["touchStart"] + ["touchMove"] * (len(points) - 1)
        for kind, (x, y) in zip(kinds, points, strict=True):
            session.send(
                "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]}
            )
        session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
