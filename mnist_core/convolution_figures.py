"""Plotly figures of a convolution walk: the window on the picture, the numbers it multiplies,
the output map filling in, ReLU and pooling, and a client-side animation of the whole walk."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from mnist_core.figures import ACCENT, INK, MUTED, classroom_layout

if TYPE_CHECKING:  # imports Keras; a figure only reads the walk
    from mnist_core.convolution import ConvolutionStep, ConvolutionWalk

GREYS = [[0, "black"], [1, "white"]]  # ink light on dark, as the Draw page shows a digit
# Red where positive, blue where negative, white at zero: as the first-layer weight tiles.
DIVERGING = [[0, "#2166ac"], [0.5, "#ffffff"], [1, "#b2182b"]]
ANIMATION_FRAMES = 56  # a 28x28 map in steps of 14 positions: half a row a frame, ~250 KB
FRAME_MS = 150  # how long each frame shows while playing
GAP = 0.04  # between grids side by side, of the figure's width
NOT_YET = "#e0e0e0"  # behind the output map's cells not computed yet: neither white (0) nor blue


def window_figure(walk: ConvolutionWalk, step: ConvolutionStep, height: int = 420) -> go.Figure:
    """The grid the filter slides over, the picture's edge dashed when padded, the window red."""
    return _figure(
        [_input_heatmap(walk)],
        _grid_axes(walk.input.shape),
        [*_image_edge(walk), _rectangle(step.top, step.left, step.window.shape, ACCENT)],
        height,
        title="the window on the picture",
    )


def step_grids_figure(walk: ConvolutionWalk, step: ConvolutionStep, height: int = 320) -> go.Figure:
    """The numbers under the window, the filter's weights and their products, each cell labelled."""
    grids = (
        ("what the window sees", step.window, GREYS, _picture_range(walk)),
        ("× the filter's weights", step.weights, DIVERGING, _symmetric(step.weights)),
        ("= products", step.products, DIVERGING, _symmetric(step.products)),
    )
    data, layout, titles = [], {}, []
    for place, (title, values, colours, (low, high)) in enumerate(grids):
        axis = "" if place == 0 else str(place + 1)
        data.append(
            {
                "type": "heatmap", "z": values, "colorscale": colours, "zmin": low, "zmax": high,
                "showscale": False, "texttemplate": "%{z:.2f}", "textfont": {"size": 16},
                "hovertemplate": "%{z:.4f}<extra></extra>", "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
            }
        )  # fmt: skip
        domain = _domain(place, len(grids))
        layout.update(_grid_axes(values.shape, axis, domain))
        titles.append(_subplot_title(title, domain))
    return _figure(data, {**layout, "annotations": titles}, [], height)


def sum_line(step: ConvolutionStep) -> str:
    """The multiply-add in words, e.g. "1.23 (sum of the 9 products) − 0.45 (bias) = 0.78"."""
    sign = "+" if step.bias >= 0 else "−"
    return (
        f"{step.products.sum():.2f} (sum of the {step.products.size} products) "
        f"{sign} {abs(step.bias):.2f} (bias) = {step.total:.2f}"
    )


def output_figure(walk: ConvolutionWalk, step: ConvolutionStep, height: int = 420) -> go.Figure:
    """The output map filled in up to and including `step`, blank beyond, its cell outlined."""
    return _figure(
        [_output_heatmap(walk, _filled(walk, step.position))],
        {**_grid_axes(walk.output.shape), "plot_bgcolor": NOT_YET},
        [
            _rectangle(0, 0, walk.output.shape, MUTED, width=1),
            _rectangle(step.row, step.col, (1, 1), ACCENT),
        ],
        height,
        title="the output map, before ReLU",
    )


def relu_figure(walk: ConvolutionWalk, height: int = 420) -> go.Figure:
    """The output map after ReLU: negatives become 0 (white), same colours as the output map."""
    return _map_figure(walk, walk.relu, "after ReLU: negatives become 0", height)


def pooled_figure(walk: ConvolutionWalk, height: int = 420) -> go.Figure:
    """The ReLU map max-pooled: each block keeps its largest number. ValueError if no pooling."""
    if walk.pooled is None or walk.convolution.pool_size is None:
        raise ValueError("this network does not pool right after its first convolution")
    size = "×".join(str(side) for side in walk.convolution.pool_size)
    return _map_figure(walk, walk.pooled, f"after {size} max pooling", height)


def convolution_animation(
    walk: ConvolutionWalk, frames: int = ANIMATION_FRAMES, height: int = 460
) -> go.Figure:
    """The window sliding and the output map filling in, played by the browser: Play, Pause and a
    slider over at most `frames` frames, so animating costs the server nothing per frame."""
    if frames < 1:
        raise ValueError(f"frames must be at least 1, not {frames}")
    per_frame = -(-walk.positions // frames)  # positions the window moves on each frame
    shown = [*range(per_frame - 1, walk.positions - 1, per_frame), walk.positions - 1]
    left, right = _domain(0, 2), _domain(1, 2)
    layout = {
        **_grid_axes(walk.input.shape, "", left),
        **_grid_axes(walk.output.shape, "2", right),
        "plot_bgcolor": NOT_YET,
        "annotations": [
            _subplot_title("the window on the picture", left),
            _subplot_title("the output map, before ReLU", right),
        ],
    }
    layout.update(_animation_controls(shown, walk.positions))
    figure = _figure(
        [_input_heatmap(walk), *_animated_traces(walk, walk.step(shown[0]))],
        layout,
        _image_edge(walk),
        height,
        frames=[
            {"name": str(position), "traces": [1, 2, 3],
             "data": _animated_traces(walk, walk.step(position))}
            for position in shown
        ],
    )  # fmt: skip
    return figure.update_layout(margin={"b": 90})


def _animation_controls(shown: list[int], positions: int) -> dict:
    """Play and Pause buttons, and a slider with one stop per frame."""
    still = {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
             "transition": {"duration": 0}}  # fmt: skip
    playing = {"frame": {"duration": FRAME_MS, "redraw": True}, "transition": {"duration": 0},
               "fromcurrent": True}  # fmt: skip
    buttons = {
        "type": "buttons", "direction": "left", "showactive": False,
        "x": 0, "y": 0, "xanchor": "left", "yanchor": "top", "pad": {"t": 10},
        "buttons": [
            {"label": "▶ Play", "method": "animate", "args": [None, playing]},
            {"label": "❚❚ Pause", "method": "animate", "args": [[None], still]},
        ],
    }  # fmt: skip
    slider = {
        "x": 0.22, "len": 0.78, "y": 0, "yanchor": "top", "pad": {"t": 10},
        "font": {"color": "rgba(0,0,0,0)"},  # one tick per frame: too many labels to read
        "currentvalue": {"prefix": "window position ", "font": {"size": 16, "color": INK}},
        "steps": [
            {"label": f"{position + 1} of {positions}", "method": "animate",
             "args": [[str(position)], still]}
            for position in shown
        ],
    }  # fmt: skip
    return {"updatemenus": [buttons], "sliders": [slider]}


def _figure(
    data: list[dict],
    layout: dict,
    shapes: list[dict],
    height: int,
    title: str | None = None,
    frames: list[dict] | None = None,
) -> go.Figure:
    """One figure built from plain dicts and validated once: building it a property at a time
    (update_layout, add_shape) cost ten times as much, on every click of "next step"."""
    spec: dict = {"data": data, "layout": {**layout, "shapes": shapes}}
    if title is not None:
        spec["layout"]["title"] = {"text": title}
    if frames is not None:
        spec["frames"] = frames
    return classroom_layout(go.Figure(spec), height)


def _animated_traces(walk: ConvolutionWalk, step: ConvolutionStep) -> list[dict]:
    """What changes from frame to frame: the window, the filled map (float32: half the bytes),
    the current cell. Outlines are line traces: traces animate where layout shapes may not."""
    return [
        _square(step.top, step.left, step.window.shape, ""),
        _output_heatmap(walk, _filled(walk, step.position).astype(np.float32), "2"),
        _square(step.row, step.col, (1, 1), "2"),
    ]


def _square(top: int, left: int, size: tuple[int, ...], axis: str) -> dict:
    x0, x1, y0, y1 = _corners(top, left, size)
    return {
        "type": "scatter", "x": [x0, x1, x1, x0, x0], "y": [y0, y0, y1, y1, y0], "mode": "lines",
        "line": {"color": ACCENT, "width": 4}, "hoverinfo": "skip",
        "xaxis": f"x{axis}", "yaxis": f"y{axis}",
    }  # fmt: skip


def _input_heatmap(walk: ConvolutionWalk) -> dict:
    low, high = _picture_range(walk)
    return {
        "type": "heatmap", "z": walk.input.astype(np.float32), "colorscale": GREYS,
        "zmin": low, "zmax": high, "showscale": False,
        "hovertemplate": "row %{y}, column %{x}: %{z:.2f}<extra></extra>",
    }  # fmt: skip


def _output_heatmap(walk: ConvolutionWalk, values: np.ndarray, axis: str = "") -> dict:
    low, high = _symmetric(walk.output)  # the whole map's: colours hold still while it fills
    return {
        "type": "heatmap", "z": values, "colorscale": DIVERGING, "zmin": low, "zmax": high,
        "showscale": False, "hovertemplate": "row %{y}, column %{x}: %{z:.2f}<extra></extra>",
        "xaxis": f"x{axis}", "yaxis": f"y{axis}",
    }  # fmt: skip


def _map_figure(walk: ConvolutionWalk, values: np.ndarray, title: str, height: int) -> go.Figure:
    return _figure(
        [_output_heatmap(walk, values)], _grid_axes(values.shape), [], height, title=title
    )


def _filled(walk: ConvolutionWalk, position: int) -> np.ndarray:
    """The output map up to and including `position`; NaN (drawn blank) beyond."""
    values = walk.output.copy()
    values.flat[position + 1 :] = np.nan
    return values


def _picture_range(walk: ConvolutionWalk) -> tuple[float, float]:
    """Blank paper to full ink as the filters see them, widened to hold the padding's zeros."""
    scale, offset = walk.convolution.input_scale, walk.convolution.input_offset
    paper, ink = sorted((offset, scale + offset))
    return min(paper, 0.0), max(ink, 0.0)


def _symmetric(values: np.ndarray) -> tuple[float, float]:
    """A colour range centred on 0, so white is always zero."""
    top = max(float(np.abs(values).max()), 1e-6)
    return -top, top


def _domain(place: int, count: int) -> list[float]:
    """The share of the figure's width of grid `place` of `count` side by side."""
    width = (1 - GAP * (count - 1)) / count
    return [place * (width + GAP), place * (width + GAP) + width]


def _grid_axes(shape: tuple[int, ...], axis: str = "", domain: list[float] | None = None) -> dict:
    """Square cells, row 0 at the top, no ticks: a grid of numbers, not a chart."""
    rows, cols = shape
    common = {"visible": False, "fixedrange": True, "constrain": "domain"}
    x_axis = {**common, "range": [-0.5, cols - 0.5], "domain": domain or [0, 1]}
    if axis:
        x_axis["anchor"] = f"y{axis}"
    y_axis = {
        **common,
        "range": [rows - 0.5, -0.5],
        "scaleanchor": f"x{axis}",
        "anchor": f"x{axis}",
    }
    return {f"xaxis{axis}": x_axis, f"yaxis{axis}": y_axis}


def _subplot_title(text: str, domain: list[float]) -> dict:
    return {
        "text": text, "x": sum(domain) / 2, "y": 1, "xref": "paper", "yref": "paper",
        "xanchor": "center", "yanchor": "bottom", "showarrow": False,
    }  # fmt: skip


def _corners(top: int, left: int, size: tuple[int, ...]) -> tuple[float, float, float, float]:
    """x0, x1, y0, y1 of the cells' outer edges: cell centres sit on whole numbers."""
    height, width = size
    return left - 0.5, left + width - 0.5, top - 0.5, top + height - 0.5


def _rectangle(
    top: int,
    left: int,
    size: tuple[int, ...],
    colour: str,
    width: int = 4,
    dash: str = "solid",
) -> dict:
    """A rectangle around cells, on the figure's first grid."""
    x0, x1, y0, y1 = _corners(top, left, size)
    return {
        "type": "rect", "x0": x0, "x1": x1, "y0": y0, "y1": y1, "xref": "x", "yref": "y",
        "line": {"color": colour, "width": width, "dash": dash},
    }  # fmt: skip


def _image_edge(walk: ConvolutionWalk) -> list[dict]:
    """A dashed line around the picture itself where the border of zeros surrounds it."""
    if walk.input.shape == walk.convolution.image_shape:
        return []
    return [_rectangle(*walk.image_origin, walk.convolution.image_shape, MUTED, 2, dash="dash")]
