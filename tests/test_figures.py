from __future__ import annotations

import numpy as np
import pytest

from mnist_core.evaluate import evaluate
from mnist_core.figures import (
    ACCENT,
    confusion_change_figure,
    confusion_matrix_figure,
    per_class_figure,
    pixelated,
    probability_bars,
    smoothed,
    training_curves,
)
from mnist_core.predict import Classifier
from mnist_core.progress import BatchEnded, EpochEnded


def test_probability_bars_highlight_the_top_digit_on_a_fixed_axis():
    probabilities = np.full(10, 0.02)
    probabilities[7] = 0.82
    figure = probability_bars(probabilities)
    bar = figure.data[0]
    assert list(bar.x) == [str(d) for d in range(10)]
    assert bar.y[7] == pytest.approx(82)
    assert bar.marker.color[7] == ACCENT and bar.marker.color.count(ACCENT) == 1
    assert figure.layout.yaxis.range == (0, 110)
    empty = probability_bars(None)
    assert ACCENT not in empty.data[0].marker.color and empty.layout.yaxis.range == (0, 110)


def test_pixelated_keeps_hard_edges():
    image = np.zeros((28, 28), np.float32)
    image[3, 5] = 1.0
    big = pixelated(image, 280)
    assert big.shape == (280, 280) and big.dtype == np.uint8
    assert big[30:40, 50:60].min() == 255 and big[29, 50] == 0 and big.sum() == 255 * 100
    assert pixelated(None, 140).shape == (140, 140)


def test_smoothing_follows_a_constant_and_damps_noise():
    assert np.allclose(smoothed([2.0] * 5), 2.0)
    noisy = np.tile([0.0, 1.0], 50)
    assert np.ptp(smoothed(noisy)[20:]) < 0.2


def _batch(epoch, step, loss):
    return BatchEnded(epoch, 2, step, 3, loss, 0.5, 100.0, 1.0, 1.0)


def test_training_curves_per_batch_and_per_epoch():
    batches = [_batch(e, s, 1.0 / (e * s)) for e in (1, 2) for s in (1, 2, 3)]
    epochs = [EpochEnded(e, 2, 0.5, 0.8, 0.6, 0.75, 1.0, 1.0) for e in (1, 2)]
    figure = training_curves(batches, epochs)
    names = [trace.name for trace in figure.data]
    assert names.count("validation, per epoch") == 2  # loss and accuracy
    assert figure.data[0].x[-1] == pytest.approx(2.0)
    assert sum(trace.showlegend for trace in figure.data) == 4
    no_validation = [EpochEnded(1, 2, 0.5, 0.8, None, None, 1.0, 1.0)]
    assert "validation, per epoch" not in [
        t.name for t in training_curves(batches, no_validation).data
    ]
    assert training_curves([], []).data  # an empty chart before the first batch


def test_training_curves_leave_room_for_markers_at_every_edge():
    """The last epoch's markers, and 100% or near-zero loss, must not be cut in half."""
    batches = [_batch(e, s, 0.02 / (e * s)) for e in (1, 2) for s in (1, 2, 3)]
    batches.append(_batch(2, 3, float("nan")))  # a diverged batch leaves the range alone
    epochs = [EpochEnded(e, 2, 0.01, 1.0, 0.005, 1.0, 1.0, 1.0) for e in (1, 2)]
    figure = training_curves(batches, epochs)
    for trace in figure.data:
        if "markers" not in trace.mode:
            continue
        x_axis = figure.layout[f"xaxis{trace.xaxis[1:]}"]
        y_axis = figure.layout[f"yaxis{trace.yaxis[1:]}"]
        for axis, values in ((x_axis, trace.x), (y_axis, trace.y)):
            low, high = axis.range
            room = (high - low) * 0.05
            assert low + room < min(values) and max(values) < high - room, (trace.name, axis)


def test_training_curves_stack_loss_above_accuracy():
    """One above the other, so neither chart's labels can reach into the other on a narrow
    page, and the legend is placed from the figure's bottom, below the epoch axis."""
    layout = training_curves([_batch(1, 1, 1.0)], []).layout
    assert layout.xaxis.domain == layout.xaxis2.domain
    (loss_bottom, _), (_, accuracy_top) = layout.yaxis.domain, layout.yaxis2.domain
    assert loss_bottom - accuracy_top >= 0.1  # room for the Accuracy title
    assert layout.xaxis2.title.text == "epoch" and not layout.xaxis.title.text
    assert layout.legend.yref == "container" and layout.legend.yanchor == "bottom"


def test_evaluation_figures(quick_training, small_mnist):
    result = evaluate(Classifier(quick_training.model), small_mnist)
    heatmap = confusion_matrix_figure(result).data[0]
    assert np.array_equal(np.asarray(heatmap.text), result.confusion)
    bars = per_class_figure(result).data
    assert [b.name for b in bars] == ["precision", "recall"]
    assert np.allclose(bars[1].y, result.recall * 100)
    assert list(bars[1].text) == [f"{value:.1%}" for value in result.recall]
    assert tuple(per_class_figure(result).layout.yaxis.range) == (0, 100)  # fixed: comparable


def test_a_confusion_matrix_cell_can_be_clicked(quick_training, small_mnist):
    """Streamlit selects chart points, not heatmap cells: one point sits on each cell."""
    result = evaluate(Classifier(quick_training.model), small_mnist)
    figure = confusion_matrix_figure(result, picked=(4, 9))
    points = figure.data[1]
    cells = list(zip(points.y, points.x, points.customdata, strict=True))
    assert len(cells) == 100
    assert all(result.confusion[int(y), int(x)] == count for y, x, count in cells)
    (outline,) = figure.layout.shapes
    assert (outline.x0 + 0.5, outline.y0 + 0.5) == (9, 4)
    assert figure.layout.clickmode == "event+select"


def test_the_change_between_two_confusion_matrices_is_green_where_better():
    change = np.zeros((10, 10), int)
    change[4, 4], change[4, 9], change[7, 1] = 3, -3, 2  # more 4s right, fewer as 9, more 7→1
    heatmap = confusion_change_figure(change, ("a", "b")).data[0]
    better = np.asarray(heatmap.z)
    assert better[4, 4] > 0 and better[4, 9] > 0 and better[7, 1] < 0
    assert heatmap.text[4][9] == "-3" and heatmap.text[0][0] == ""


def test_race_curves_draw_one_line_per_network():
    from mnist_core.figures import race_curves
    from mnist_core.progress import BatchEnded

    def batches(accuracy: float) -> list[BatchEnded]:
        return [BatchEnded(1, 2, step, 4, 0.5, accuracy, 100.0, 1.0, 1.0) for step in (1, 2)]

    figure = race_curves([("perceptron", batches(0.8)), ("cnn-fast", batches(0.99))])
    assert [trace.name for trace in figure.data] == ["perceptron", "cnn-fast"]
    assert list(figure.data[1].x) == [0.25, 0.5] and figure.layout.xaxis.range == (0, 2)


def test_probability_bars_are_a_valid_figure_whose_layout_is_its_own():
    """The bars are built without plotly's validation (it cost more than the answer): plotly
    must still accept every property, and one figure's change must not reach the next."""
    import plotly.graph_objects as go

    for probabilities, font_size in ((None, None), (np.full(10, 0.1), 22)):
        figure = probability_bars(probabilities, height=320, font_size=font_size)
        validated = go.Figure(figure.to_plotly_json())  # raises on an invalid property
        assert validated.to_plotly_json() == figure.to_plotly_json()
        assert validated.layout.height == 320 and list(validated.layout.yaxis.range) == [0, 110]
    figure.update_layout(height=100)
    assert probability_bars(None, height=320, font_size=22).layout.height == 320
