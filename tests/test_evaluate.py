from __future__ import annotations

import numpy as np
import pytest

from mnist_core.evaluate import (
    confusion_change,
    digits_where,
    evaluate,
    evaluate_arrays,
    page_count,
    page_of,
)
from mnist_core.predict import Classifier


def test_evaluation_figures_agree(quick_training, small_mnist):
    result = evaluate(Classifier(quick_training.model), small_mnist)
    assert result.size == 500
    assert result.confusion.shape == (10, 10) and result.confusion.sum() == 500
    assert np.array_equal(
        result.confusion.sum(axis=1), np.bincount(small_mnist.y_test, minlength=10)
    )
    assert result.accuracy == np.trace(result.confusion) / 500
    assert 0.5 < result.accuracy <= 1 and 0 < result.loss < 3
    assert np.allclose(result.recall, np.diag(result.confusion) / result.confusion.sum(axis=1))
    predicted = result.confusion.sum(axis=0)
    expected_precision = np.diag(result.confusion)[predicted > 0] / predicted[predicted > 0]
    assert np.allclose(result.precision[predicted > 0], expected_precision)

    wrong = result.misclassified
    assert len(wrong) == 500 - np.trace(result.confusion)
    assert np.all(result.predictions[wrong] != result.labels[wrong])
    confidence = result.probabilities[wrong, result.predictions[wrong]]
    assert np.all(np.diff(confidence) <= 0)  # most confident mistakes first


def test_digits_where_picks_a_cell_or_misread_digits(quick_training, small_mnist):
    result = evaluate(Classifier(quick_training.model), small_mnist)
    assert np.array_equal(digits_where(result), result.misclassified)
    for true, answered in [(4, 9), (3, 3), (7, 1)]:
        cell = digits_where(result, true, answered)
        assert len(cell) == result.confusion[true, answered]
        assert set(result.labels[cell]) <= {true} and set(result.predictions[cell]) <= {answered}
        confidence = result.probabilities[cell, answered]
        assert np.all(np.diff(confidence) <= 0)
    misread_fours = digits_where(result, true=4)
    assert len(misread_fours) == result.confusion[4].sum() - result.confusion[4, 4]
    said_nine = digits_where(result, answered=9)
    assert len(said_nine) == result.confusion[:, 9].sum() - result.confusion[9, 9]
    with pytest.raises(ValueError, match="0-9"):
        digits_where(result, true=10)


def test_pages_of_a_gallery():
    indices = np.arange(50)
    assert page_count(indices, 24) == 3 and page_count(indices[:0], 24) == 1
    assert list(page_of(indices, 2, 24)) == [48, 49]
    assert list(page_of(indices, 9, 24)) == [48, 49]  # past the end: the last page
    assert list(page_of(indices, -1, 24)) == list(range(24))
    with pytest.raises(ValueError, match="at least one"):
        page_of(indices, 0, 0)


def test_confusion_change_needs_the_same_test_digits(quick_training, small_mnist):
    classifier = Classifier(quick_training.model)
    result = evaluate(classifier, small_mnist)
    assert not confusion_change(result, result).any()
    fewer = evaluate_arrays(classifier, small_mnist.x_test[:100], small_mnist.y_test[:100])
    with pytest.raises(ValueError, match="different test digits"):
        confusion_change(result, fewer)
