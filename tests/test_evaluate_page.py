"""The Evaluate page explored: a confusion-matrix cell's digits, page by page, and two models
side by side with their difference."""

from __future__ import annotations

import numpy as np
import plotly.io
import pytest

from mnist_core.evaluate import digits_where, evaluate
from mnist_core.predict import load_classifier

from conftest import chart_array
from test_pages import page


def captions(at) -> list[str]:
    """The gallery's captions in reading order (the page lays them out in eight columns, which
    AppTest walks one column at a time)."""
    shown = [image.proto.imgs[0].caption for image in at.get("image")]
    per_column = [-(-(len(shown) - column) // 8) for column in range(8)]
    starts = np.cumsum([0, *per_column])
    return [shown[starts[i % 8] + i // 8] for i in range(len(shown))]


@pytest.fixture
def evaluation(store, stored_model, mnist):
    return evaluate(load_classifier(store=store), mnist)


def test_a_chosen_cell_shows_its_digits_a_page_at_a_time(evaluation, mnist):
    at = page("app_pages/evaluate.py").run()
    assert not at.exception
    misread = digits_where(evaluation)
    assert captions(at) == [
        f"{evaluation.labels[i]} read as {evaluation.predictions[i]} "
        f"({evaluation.probabilities[i, evaluation.predictions[i]]:.0%})"
        for i in misread[:24]
    ]
    # The most misread digit, then its most common wrong answer: the cell a teacher clicks.
    true = int(np.argmax(evaluation.confusion.sum(axis=1) - np.diag(evaluation.confusion)))
    row = evaluation.confusion[true].copy()
    row[true] = -1
    answered = int(np.argmax(row))
    at.pills(key="cell_true").set_value(true).run()
    at.pills(key="cell_answered").set_value(answered).run()
    cell = digits_where(evaluation, true, answered)
    assert len(cell) == evaluation.confusion[true, answered]
    assert all(text.startswith(f"{true} read as {answered} (") for text in captions(at))
    assert len(captions(at)) == min(24, len(cell))
    title = next(m.value for m in at.markdown if "most confident first" in m.value)
    assert title.startswith(f"**{len(cell):,} test {true}s read as {answered}**")

    at.pills(key="cell_answered").set_value(None).run()  # every misread `true`, many pages
    shown = digits_where(evaluation, true)
    assert len(shown) > 24
    at.button(key="gallery-next").click().run()
    assert not at.exception
    second_page = shown[24:48]
    assert len(captions(at)) == len(second_page)
    assert at.button(key="gallery-back").disabled is False
    assert any(c.value == f"Page 2 of {-(-len(shown) // 24)}" for c in at.caption)

    at.pills(key="cell_answered").set_value(true).run()  # the diagonal: digits read right
    assert all(text == f"{true} ({text.split('(')[1]}" for text in captions(at))
    assert at.session_state["gallery_page"] == 0  # a new choice starts at its first page


def test_two_models_side_by_side_with_their_difference(store, stored_model, weaker_training):
    store.save("weaker", weaker_training.model, weaker_training.model_info(0.5))
    at = page("app_pages/evaluate.py").run()
    at.selectbox(key="compare_with").set_value("weaker").run()
    assert not at.exception
    charts = [plotly.io.from_json(chart.proto.spec) for chart in at.get("plotly_chart")]
    mine, theirs, change = (chart.data[0] for chart in charts[:3])
    difference = chart_array(theirs.text) - chart_array(mine.text)
    assert difference.any() and difference.sum() == 0  # the same 10,000 digits, moved
    shown = [[int(text) if text else 0 for text in row] for row in change.text]
    assert np.array_equal(shown, difference)
    per_digit = [chart for chart in charts if chart.data[0].name == "precision"]
    assert len(per_digit) == 2
    assert all(tuple(chart.layout.yaxis.range) == (0, 100) for chart in per_digit)
