from __future__ import annotations

import numpy as np

from mnist_core.evaluate import evaluate
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
