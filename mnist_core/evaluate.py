"""A model's test-set results as data for pages to draw: accuracy, per-class scores, mistakes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_core.calibrate import Reliability, reliability
from mnist_core.data import NUM_CLASSES, Mnist, load_mnist, to_model_input
from mnist_core.predict import Classifier


@dataclass(frozen=True)
class EvaluationResult:
    accuracy: float
    loss: float  # mean cross-entropy
    confusion: np.ndarray  # (10, 10) counts, rows = true digit, columns = predicted
    precision: np.ndarray  # (10,) per predicted class; NaN where a class was never predicted
    recall: np.ndarray  # (10,) per true class
    misclassified: np.ndarray  # indices into the test set, most confident mistakes first
    labels: np.ndarray  # (N,) true labels
    predictions: np.ndarray  # (N,) predicted labels
    probabilities: np.ndarray  # (N, 10), calibrated where the model is
    kept: np.ndarray  # (N,) bool: taken for digits, not rejected as non-digits

    @property
    def size(self) -> int:
        return len(self.labels)

    @property
    def reliability(self) -> Reliability:
        """How often answers at each "% sure" were right: the reliability diagram's data."""
        return reliability(self.probabilities, self.labels)


def evaluate(classifier: Classifier, mnist: Mnist | None = None) -> EvaluationResult:
    """Classify the MNIST test set once and derive every figure from that one pass."""
    mnist = mnist or load_mnist()
    return evaluate_arrays(classifier, mnist.x_test, mnist.y_test)


def evaluate_arrays(
    classifier: Classifier, images: np.ndarray, labels: np.ndarray
) -> EvaluationResult:
    """The same, on any uint8 (N, 28, 28) images and their labels."""
    probabilities = classifier.predict_proba(to_model_input(images))
    labels = np.asarray(labels, dtype=np.int64)
    predictions = np.argmax(probabilities, axis=1)
    true_probability = probabilities[np.arange(len(labels)), labels]
    loss = float(-np.mean(np.log(np.clip(true_probability, 1e-7, 1.0))))
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    correct = np.diag(confusion).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = correct / confusion.sum(axis=0)
        recall = correct / confusion.sum(axis=1)
    wrong = np.flatnonzero(predictions != labels)
    misclassified = wrong[np.argsort(-probabilities[wrong, predictions[wrong]], kind="stable")]
    return EvaluationResult(
        accuracy=float(np.mean(predictions == labels)),
        loss=loss,
        confusion=confusion,
        precision=precision,
        recall=recall,
        misclassified=misclassified,
        labels=labels,
        predictions=predictions,
        probabilities=probabilities,
        kept=classifier.is_digit(probabilities),
    )


def digits_where(
    result: EvaluationResult, true: int | None = None, answered: int | None = None
) -> np.ndarray:
    """Test-set indices of the digits that were `true` and read as `answered`, the most
    confident answers first: one confusion-matrix cell when both are given, otherwise the
    misread digits, all or only those of one true digit or one answer."""
    for digit in (true, answered):
        if digit is not None and not 0 <= digit < NUM_CLASSES:
            raise ValueError(f"a digit is 0-9, not {digit}")
    if true is None or answered is None:
        # The misread digits are sorted already: a filter keeps their order.
        misread = result.misclassified
        keep = np.ones(len(misread), bool)
        if true is not None:
            keep &= result.labels[misread] == true
        if answered is not None:
            keep &= result.predictions[misread] == answered
        return misread[keep]
    cell = np.flatnonzero((result.labels == true) & (result.predictions == answered))
    return cell[np.argsort(-result.probabilities[cell, answered], kind="stable")]


def page_of(indices: np.ndarray, page: int, size: int) -> np.ndarray:
    """The `page`-th (from 0) run of `size` indices; pages past the end are clamped to the last."""
    if size < 1:
        raise ValueError(f"a page holds at least one digit, not {size}")
    last = max(0, (len(indices) - 1) // size)
    start = min(max(page, 0), last) * size
    return indices[start : start + size]


def page_count(indices: np.ndarray, size: int) -> int:
    """How many pages of `size` the indices fill (at least one, possibly empty)."""
    return max(1, -(-len(indices) // size))


def confusion_change(before: EvaluationResult, after: EvaluationResult) -> np.ndarray:
    """(10, 10) counts of `after` minus `before`, both scored on the same test digits."""
    if before.size != after.size or not np.array_equal(before.labels, after.labels):
        raise ValueError("the two results were scored on different test digits")
    return after.confusion - before.confusion
