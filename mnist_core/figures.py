"""Plotly figures and display images, built from core results; pages only show them."""

from __future__ import annotations

import functools
import io
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont
from plotly.subplots import make_subplots

from mnist_core.class_board import WallLabel
from mnist_core.data import IMAGE_SHAPE, NUM_CLASSES
from mnist_core.progress import BatchEnded, EpochEnded

if TYPE_CHECKING:  # both import TensorFlow; a figure only reads their results
    from mnist_core.calibrate import Reliability
    from mnist_core.evaluate import EvaluationResult
    from mnist_core.segment import NumberReading

DIGITS = [str(digit) for digit in range(NUM_CLASSES)]
ACCENT = "#ff4b4b"  # Streamlit's primary red: the winning class
MUTED = "#8c9bb0"
INK = "#31333f"  # Streamlit's text colour: 12.5:1 on white
INK_RGB = (49, 51, 63)
TRAIN_COLOUR = "#1f77b4"
VALIDATION_COLOUR = "#ff7f0e"
SURE_COLOUR = (33, 195, 84)  # a digit read with confidence
UNSURE_COLOUR = (255, 170, 0)  # a digit the model is unsure of
NOT_DIGIT_COLOUR = (230, 70, 70)  # a piece that does not look like a digit, left out
SMOOTHING = 0.9  # exponential moving average weight for per-batch curves
MARKER_ROOM = 0.08  # of an axis's span, beyond each end: a marker's radius on a 210 px chart
FONT = {"size": 16}  # readable from the back of a classroom


def classroom_layout(figure: go.Figure, height: int) -> go.Figure:
    """Every figure's frame: its height, slim margins, a font the back row can read."""
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        font=FONT,
        showlegend=False,
    )
    return figure


def probability_bars(
    probabilities: np.ndarray | None,
    height: int = 300,
    is_digit: bool = True,
    font_size: int | None = None,
) -> go.Figure:
    """Per-digit probabilities in %, the top one highlighted, on a fixed 0-100 axis; all muted
    for an input that is not a digit: only best guesses.

    None draws the empty chart, so the layout does not jump when the first digit arrives;
    `font_size` enlarges every label (the presenter view's, read across a room).
    """
    values = np.zeros(10) if probabilities is None else np.asarray(probabilities) * 100
    top = int(np.argmax(values)) if probabilities is not None and is_digit else -1
    bar: dict[str, object] = {
        "type": "bar",
        "x": DIGITS,
        "y": values,
        "marker": {"color": [ACCENT if digit == top else MUTED for digit in range(NUM_CLASSES)]},
        "text": [f"{value:.0f}%" if value >= 1 else "" for value in values],
        "textposition": "outside",
        "hovertemplate": "digit %{x}: %{y:.2f}%<extra></extra>",
    }
    if font_size is not None:  # set on each label: Streamlit's theme sets small, pale ticks
        bar["textfont"] = {"size": font_size, "color": INK}
    # Drawn on every answer: plotly's validation of a figure built by update_* calls cost more
    # CPU (~10 ms) than the network's answer. The layout is validated once, the bar is plain.
    return go.Figure({"data": [bar], "layout": _bars_layout(height, font_size)}, _validate=False)


@functools.cache
def _validated_bars_layout(height: int, font_size: int | None) -> str:
    figure = go.Figure()
    figure.update_yaxes(range=[0, 110], ticksuffix="%", fixedrange=True, dtick=25)
    # Every digit labelled, even where large labels would have plotly show every other one.
    figure.update_xaxes(type="category", fixedrange=True, title_text="digit", dtick=1)
    classroom_layout(figure, height)
    if font_size is not None:
        label = {"size": font_size, "color": INK}
        figure.update_xaxes(tickfont=label, title_font=label)
        figure.update_yaxes(tickfont=label)
    return json.dumps(figure.layout.to_plotly_json())


def _bars_layout(height: int, font_size: int | None) -> dict:
    """The bars' layout, a fresh copy each time: a caller may change its figure."""
    return json.loads(_validated_bars_layout(height, font_size))


def pixelated(image: np.ndarray | None, size: int = 280) -> np.ndarray:
    """A (28, 28) float image in [0, 1] as uint8, enlarged with hard pixel edges; None is black."""
    if image is None:
        image = np.zeros(IMAGE_SHAPE, np.float32)
    return _enlarge(np.clip(np.asarray(image) * 255, 0, 255).astype(np.uint8), size)


def smoothed(values: Sequence[float], weight: float = SMOOTHING) -> np.ndarray:
    """Exponential moving average with bias correction (as TensorBoard smooths)."""
    result = np.empty(len(values))
    average = 0.0
    for index, value in enumerate(values):
        average = weight * average + (1 - weight) * value
        result[index] = average / (1 - weight ** (index + 1))
    return result


def _with_marker_room(low: float, high: float) -> list[float]:
    """An axis range from `low` to `high`, widened so markers at either end are drawn whole."""
    room = (high - low) * MARKER_ROOM
    return [low - room, high + room]


def training_curves(
    batches: Sequence[BatchEnded], epochs: Sequence[EpochEnded], height: int = 600
) -> go.Figure:
    """Loss above accuracy: smoothed per batch, and per epoch for training against validation.

    Stacked, not side by side: the Train page gives the chart as little as 210 px.
    """
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.14,
        subplot_titles=("Loss", "Accuracy"),
    )
    x = [b.epoch - 1 + b.step / b.steps for b in batches]
    epoch_x = [e.epoch for e in epochs]
    for row, metric in ((1, "loss"), (2, "accuracy")):
        raw = [getattr(b, metric) for b in batches]
        validation = [getattr(e, f"val_{metric}") for e in epochs]
        traces = [
            go.Scatter(
                x=x,
                y=raw,
                mode="lines",
                opacity=0.25,
                hoverinfo="skip",
                line={"color": TRAIN_COLOUR, "width": 1},
                name="each batch",
            ),
            go.Scatter(
                x=x,
                y=smoothed(raw),
                mode="lines",
                line={"color": TRAIN_COLOUR},
                name="training, smoothed",
            ),
            go.Scatter(
                x=epoch_x,
                y=[getattr(e, metric) for e in epochs],
                mode="markers",
                marker={"color": TRAIN_COLOUR, "size": 10},
                cliponaxis=False,
                name="training, per epoch",
            ),
        ]
        if any(value is not None for value in validation):
            traces.append(
                go.Scatter(
                    x=epoch_x,
                    y=validation,
                    mode="lines+markers",
                    line={"color": VALIDATION_COLOUR},
                    marker={"color": VALIDATION_COLOUR, "size": 10, "symbol": "diamond"},
                    cliponaxis=False,
                    name="validation, per epoch",
                )
            )
        for trace in traces:
            # One legend for both charts: the second repeats the first's entries.
            trace.update(legendgroup=trace.name, showlegend=row == 1)
            figure.add_trace(trace, row=row, col=1)
    total_epochs = batches[-1].epochs if batches else 1
    figure.update_xaxes(range=_with_marker_room(0, total_epochs))
    figure.update_xaxes(title_text="epoch", row=2, col=1)
    losses = np.array([b.loss for b in batches] + [e.loss for e in epochs], float)
    losses = np.append(losses, [e.val_loss for e in epochs if e.val_loss is not None])
    highest_loss = losses[np.isfinite(losses)].max(initial=0.0)
    figure.update_yaxes(rangemode="tozero", row=1, col=1)
    if highest_loss > 0:
        figure.update_yaxes(range=_with_marker_room(0, highest_loss), row=1, col=1)
    figure.update_yaxes(
        range=_with_marker_room(0, 1), tickvals=[0, 0.5, 1], tickformat=".0%", row=2, col=1
    )
    # Measured from the bottom of the figure, so the legend never lands on the epoch axis.
    figure.update_layout(
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"}
    )
    return classroom_layout(figure, height).update_layout(showlegend=True)


def race_curves(runs: Sequence[tuple[str, Sequence[BatchEnded]]], height: int = 420) -> go.Figure:
    """Several networks' training accuracy, smoothed per batch, on one chart: a race."""
    figure = go.Figure()
    for name, batches in runs:
        figure.add_trace(
            go.Scatter(
                x=[b.epoch - 1 + b.step / b.steps for b in batches],
                y=smoothed([b.accuracy for b in batches]),
                mode="lines",
                name=name,
            )
        )
    epochs = max((batches[-1].epochs for _, batches in runs if batches), default=1)
    figure.update_xaxes(range=[0, epochs], title_text="epoch")
    figure.update_yaxes(range=[0, 1.02], tickformat=".0%", title_text="accuracy, training")
    figure.update_layout(
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"}
    )
    return classroom_layout(figure, height).update_layout(showlegend=True)


def _counts_heatmap(
    shade: np.ndarray, counts: np.ndarray, said: list[str], axes: tuple[str, str], height: int
) -> go.Figure:
    """Counts in a grid, rows the true digit, columns what was said, shaded by `shade`; `axes`
    names the columns and the rows."""
    figure = go.Figure(
        go.Heatmap(
            z=shade,
            x=said,
            y=DIGITS,
            text=counts,
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
            hovertemplate=f"{axes[1]} %{{y}}, {axes[0]} %{{x}}: %{{text}}<extra></extra>",
        )
    )
    figure.update_xaxes(title_text=axes[0], side="top", type="category")
    figure.update_yaxes(title_text=axes[1], autorange="reversed", type="category")
    return classroom_layout(figure, height)


def confusion_matrix_figure(
    result: EvaluationResult,
    height: int = 520,
    picked: tuple[int, int] | None = None,
    clickable: bool = True,
) -> go.Figure:
    """The confusion matrix as a heatmap: rows the true digit, columns the prediction. Each cell
    also holds an invisible point, so a click on it selects (true, answered): Streamlit's chart
    selections see points, not heatmap cells. `picked` is outlined."""
    counts = result.confusion
    # Log colour scale, so the few mistakes show next to the ~1,000 correct per digit.
    figure = _counts_heatmap(
        np.log10(counts + 1), counts, DIGITS, ("answered", "true digit"), height
    )
    figure.update_traces(hoverinfo="skip", hovertemplate=None)
    true, answered = np.divmod(np.arange(NUM_CLASSES * NUM_CLASSES), NUM_CLASSES)
    figure.add_trace(
        go.Scatter(
            x=[DIGITS[digit] for digit in answered],
            y=[DIGITS[digit] for digit in true],
            customdata=counts.ravel(),
            mode="markers",
            marker={"size": 34, "symbol": "square", "opacity": 0},
            selected={"marker": {"opacity": 0}},
            unselected={"marker": {"opacity": 0}},
            hovertemplate="a true %{y} read as %{x}: %{customdata} digits"
            + ("<br>click to see them" if clickable else "")
            + "<extra></extra>",
        )
    )
    if picked is not None:
        true_digit, answered_digit = picked
        figure.add_shape(
            type="rect",
            x0=answered_digit - 0.5,
            x1=answered_digit + 0.5,
            y0=true_digit - 0.5,
            y1=true_digit + 0.5,
            line={"color": ACCENT, "width": 4},
        )
    return figure.update_layout(clickmode="event+select", dragmode=False)


def confusion_change_figure(
    change: np.ndarray, names: tuple[str, str], height: int = 520
) -> go.Figure:
    """How a second model's confusion matrix differs from a first's: green where it is better
    (fewer mistakes off the diagonal, more right on it), red where it is worse."""
    better = change.astype(float)
    better[~np.eye(NUM_CLASSES, dtype=bool)] *= -1  # off the diagonal, fewer is better
    top = max(1.0, float(np.abs(better).max()))
    figure = go.Figure(
        go.Heatmap(
            z=better,
            x=DIGITS,
            y=DIGITS,
            text=[[f"{value:+d}" if value else "" for value in row] for row in change],
            texttemplate="%{text}",
            colorscale=[[0, "#c62828"], [0.5, "#ffffff"], [1, "#1b7f3b"]],
            zmin=-top,
            zmax=top,
            showscale=False,
            customdata=[[_more_or_fewer(value) for value in row] for row in change],
            hovertemplate=f"true %{{y}} read as %{{x}}: %{{customdata}} with {names[1]} "
            f"than with {names[0]}<extra></extra>",
        )
    )
    figure.update_xaxes(title_text="answered", side="top", type="category")
    figure.update_yaxes(title_text="true digit", autorange="reversed", type="category")
    return classroom_layout(figure, height)


def _more_or_fewer(count: int) -> str:
    return "as many" if count == 0 else f"{abs(count)} {'more' if count > 0 else 'fewer'}"


RIGHT_COLOUR = (27, 127, 59)  # a checked answer the network got right: 5.3:1 on white
WRONG_COLOUR = (198, 40, 40)  # one it got wrong: 5.6:1 on white


def drawing_wall(
    images: Sequence[np.ndarray], labels: Sequence[WallLabel], columns: int = 10
) -> np.ndarray:
    """The class's drawings in one picture, each (28, 28) uint8 image above its label: who drew
    it, what the network said, green when right, red when wrong. One picture, encoded once,
    is what every watcher of the board fetches."""
    tile, text, gap = 112, 40, 10
    rows = max(1, math.ceil(len(images) / columns))
    picture = Image.new("RGB", (columns * (tile + gap), rows * (tile + text + gap)), "white")
    pencil = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=15)
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        left = (index % columns) * (tile + gap)
        top = (index // columns) * (tile + text + gap)
        picture.paste(Image.fromarray(pixelated(image / 255, size=tile)), (left, top))
        colour = {True: RIGHT_COLOUR, False: WRONG_COLOUR, None: INK_RGB}[label.right]
        name = label.writer if len(label.writer) <= 14 else label.writer[:13] + "…"
        pencil.text((left, top + tile + 2), name or "anonymous", fill=INK_RGB, font=font)
        pencil.text((left, top + tile + 20), label.verdict, fill=colour, font=font)
    return np.asarray(picture)


def png(picture: np.ndarray) -> bytes:
    """A picture (uint8, grey or RGB) as PNG bytes: encoded once, shown by many sessions."""
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()


def class_confusion_figure(confusion: np.ndarray, height: int = 440) -> go.Figure:
    """The class's checked drawings as a heatmap: rows what was drawn, columns what the network
    said, the last column "not a digit"."""
    said = [*DIGITS, "not a digit"][: confusion.shape[1]]
    return _counts_heatmap(confusion, confusion, said, ("the network said", "we drew"), height)


def per_class_figure(result: EvaluationResult, height: int = 320) -> go.Figure:
    """Precision and recall per digit, side by side, each bar labelled, every digit on the axis.
    The axis is fixed at 0-100%, so two models' charts compare at a glance."""
    figure = go.Figure(
        [
            go.Bar(
                x=DIGITS,
                y=values * 100,
                name=name,
                marker_color=colour,
                text=[f"{value:.1%}" if np.isfinite(value) else "–" for value in values],
                textposition="inside",
                insidetextanchor="end",
                textangle=-90,
                textfont={"color": "white", "size": 13},
            )
            for name, values, colour in (
                ("precision", result.precision, TRAIN_COLOUR),
                ("recall", result.recall, VALIDATION_COLOUR),
            )
        ]
    )
    figure.update_yaxes(range=[0, 100], ticksuffix="%", dtick=20)
    figure.update_xaxes(type="category", title_text="digit", dtick=1)
    return classroom_layout(figure, height).update_layout(
        showlegend=True, barmode="group", uniformtext={"minsize": 11, "mode": "show"}
    )


def reliability_figure(curve: Reliability, height: int = 360) -> go.Figure:
    """A reliability diagram: in each confidence bin, how often the answers were right, against
    the diagonal a perfectly calibrated model would follow."""
    centres = (curve.edges[:-1] + curve.edges[1:]) / 2 * 100
    shown = curve.counts > 0
    figure = go.Figure(
        [
            go.Scatter(
                x=[0, 100], y=[0, 100], mode="lines", name="perfectly calibrated",
                line={"color": MUTED, "dash": "dash"}, hoverinfo="skip",
            ),
            go.Bar(
                x=centres[shown], y=curve.accuracy[shown] * 100, width=100 / len(centres) * 0.9,
                name="share right", marker_color=TRAIN_COLOUR, customdata=curve.counts[shown],
                hovertemplate="said %{x:.0f}% sure: right %{y:.1f}% of %{customdata} "
                "times<extra></extra>",
            ),
        ]
    )  # fmt: skip
    figure.update_xaxes(range=[0, 100], ticksuffix="%", title_text="how sure the model said it was")
    figure.update_yaxes(range=[0, 101], ticksuffix="%", title_text="how often it was right")
    figure.update_layout(title_text=f"expected calibration error {curve.ece:.1%}")
    return classroom_layout(figure, height).update_layout(showlegend=True)


def roc_figure(curves: Sequence[tuple[str, tuple[np.ndarray, np.ndarray]]]) -> go.Figure:
    """ROC curves of telling digits from non-digits: digits kept against non-digits let through."""
    figure = go.Figure(
        [
            go.Scatter(x=false * 100, y=true * 100, mode="lines", name=name)
            for name, (false, true) in curves
        ]
    )
    figure.update_xaxes(ticksuffix="%", title_text="non-digits accepted as digits", type="log")
    figure.update_yaxes(ticksuffix="%", title_text="digits kept", range=[90, 100.2])
    return classroom_layout(figure, 620).update_layout(
        showlegend=True, legend={"x": 0.99, "xanchor": "right", "y": 0.02, "yanchor": "bottom"}
    )


def saliency_overlay(image: np.ndarray, saliency: np.ndarray, size: int = 196) -> np.ndarray:
    """The digit in grey with the pixels that drove the answer in red, enlarged: RGB uint8."""
    grey = np.clip(np.asarray(image), 0, 1)[..., None] * 0.55
    red = np.array([1.0, 0.18, 0.18])
    weight = np.clip(np.asarray(saliency), 0, 1)[..., None]
    rgb = grey * (1 - weight) + red * weight
    return _enlarge((rgb * 255).astype(np.uint8), size)


def feature_grid(maps: np.ndarray, columns: int = 8, tile: int = 42) -> np.ndarray:
    """A convolution's (H, W, channels) feature maps in [0, 1] as one grey image, a tile each."""
    cells = [(maps[..., index] * 255).astype(np.uint8) for index in range(maps.shape[-1])]
    return _tiled(cells, columns, tile, background=70)


def weight_grid(
    images: np.ndarray, columns: int = 8, tile: int = 56, limit: int = 64
) -> np.ndarray:
    """Weight images in [-1, 1] as RGB tiles: red where positive, blue where negative."""
    cells = []
    for weights in images[:limit]:
        positive, negative = np.clip(weights, 0, 1), np.clip(-weights, 0, 1)
        rgb = np.stack([1 - negative, 1 - positive - negative, 1 - positive], axis=-1)
        cells.append((np.clip(rgb, 0, 1) * 255).astype(np.uint8))
    return _tiled(cells, columns, tile, background=255)


def _tiled(cells: list[np.ndarray], columns: int, tile: int, background: int) -> np.ndarray:
    """Small images enlarged to `tile` pixels and laid out in rows of `columns`, 2 px apart."""
    step = tile + 2
    rows = -(-len(cells) // columns)
    grid = np.full((rows * step, columns * step, *cells[0].shape[2:]), background, np.uint8)
    for index, cell in enumerate(cells):
        row, column = divmod(index, columns)
        big = _enlarge(cell, tile)
        grid[
            row * step : row * step + big.shape[0], column * step : column * step + big.shape[1]
        ] = big
    return grid


def unit_strip(values: np.ndarray, height: int = 90) -> go.Figure:
    """A dense layer's unit activations as one strip of cells, brighter = more active."""
    figure = go.Figure(
        go.Heatmap(z=[values], colorscale="Greys", reversescale=True, showscale=False,
                   zmin=0, zmax=1, hovertemplate="unit %{x}: %{z:.2f}<extra></extra>")
    )  # fmt: skip
    figure.update_xaxes(showticklabels=False, fixedrange=True)
    figure.update_yaxes(showticklabels=False, fixedrange=True)
    figure.update_layout(height=height, margin={"l": 0, "r": 0, "t": 0, "b": 0})
    return figure


def _enlarge(image: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour enlargement to about `size` pixels on the longer side."""
    scale = max(1, size // max(image.shape[:2]))
    return image.repeat(scale, axis=0).repeat(scale, axis=1)


def number_boxes(drawing: np.ndarray, reading: NumberReading) -> np.ndarray:
    """The RGBA drawing, ink white on black, with each piece's box and label: green when the model
    is sure, amber with a "?" when not, red with a "×" for a piece that is not a digit."""
    rgba = np.asarray(drawing, np.float32)
    ink = rgba[..., :3].mean(axis=2) * rgba[..., 3] / 255  # composited over black
    if np.median(ink) > 127:  # dark ink on light paper: show it like the canvas does
        ink = 255 - ink
    picture = Image.fromarray(np.asarray(ink, np.uint8)).convert("RGB")
    pencil = ImageDraw.Draw(picture)
    font_size = max(16, picture.height // 9)
    font = ImageFont.load_default(size=font_size)
    for digit in reading.digits:
        box = digit.box
        if not digit.prediction.is_digit:
            colour, label = NOT_DIGIT_COLOUR, "×"
        elif digit.unsure:
            colour, label = UNSURE_COLOUR, f"{digit.prediction.label}?"
        else:
            colour, label = SURE_COLOUR, str(digit.prediction.label)
        pencil.rectangle(
            (box.left, box.top, box.right - 1, box.bottom - 1), outline=colour, width=3
        )
        pencil.text((box.left + 4, max(0, box.top - font_size - 4)), label, fill=colour, font=font)
    return np.asarray(picture)


def sample_counts(counts: np.ndarray, height: int = 260) -> go.Figure:
    """How many labelled drawings of each digit: where more would help."""
    figure = go.Figure(
        go.Bar(
            x=DIGITS,
            y=np.asarray(counts),
            marker_color=TRAIN_COLOUR,
            text=[str(count) for count in counts],
            textposition="outside",
            hovertemplate="digit %{x}: %{y} drawings<extra></extra>",
        )
    )
    figure.update_xaxes(type="category", fixedrange=True, title_text="digit")
    figure.update_yaxes(fixedrange=True, rangemode="tozero", tickformat="d")
    return classroom_layout(figure, height)
