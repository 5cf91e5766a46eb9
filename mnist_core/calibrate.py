"""A "% sure" that means what it says, and where "not a digit" begins.

Temperature scaling (Guo et al. 2017) divides a network's logits by one number fitted on held-out
digits, so that of the answers given at 90% about nine in ten are right. The rejection threshold
is the calibrated confidence that `ACCEPT_DIGITS` of those held-out digits reach: a network
trained to spread its probability over all ten digits for non-digits (outlier exposure,
Hendrycks et al. 2019) gives them less than that.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import optimize, special

ACCEPT_DIGITS = 0.997  # of held-out digits kept: the goal is 99.5% of MNIST test, with margin
# of drawn digits kept: the goal is 99%. Their strokes are further from MNIST's, and a child's
# digit turned away is a worse lesson than a scribble read as one.
ACCEPT_DRAWN = 0.995
RELIABILITY_BINS = 10  # confidence bins of the reliability diagram, 10% wide
WEAK_REJECTION = 0.5  # a model turning away less of its taught non-digits is said to be weak
TEMPERATURES = (0.05, 20.0)  # the range searched; a fitted value at either end means trouble


@dataclass(frozen=True)
class Calibration:
    """How a model's logits become honest probabilities and a not-a-digit decision."""

    temperature: float  # logits are divided by this before the softmax
    min_confidence: float  # a calibrated top probability below this: not a digit
    # share of the kinds of non-digits it was taught that it turns away; None: not measured
    non_digits_rejected: float | None = None

    @property
    def rejects(self) -> bool:
        """Whether it turns non-digits away: a model never taught them has no threshold."""
        return self.min_confidence > 0

    def is_digit(self, answers: np.ndarray) -> np.ndarray:
        """(N,) whether each row of calibrated probabilities is sure enough to be a digit."""
        if not self.rejects:
            return np.ones(len(answers), bool)
        return answers.max(axis=1) >= self.min_confidence

    @property
    def rejects_weakly(self) -> bool:
        """Whether it lets most of the non-digits it was taught through: a network too simple
        to learn them (a perceptron turns away few)."""
        rejected = self.non_digits_rejected
        return self.rejects and rejected is not None and rejected < WEAK_REJECTION

    def as_dict(self) -> dict[str, float | None]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Calibration | None:
        """The calibration a model's metadata holds; None for one saved before calibration."""
        try:
            rejected = data.get("non_digits_rejected")
            calibration = cls(
                float(data["temperature"]),
                float(data["min_confidence"]),
                None if rejected is None else float(rejected),
            )
        except (TypeError, KeyError, ValueError, AttributeError):
            return None
        if not (np.isfinite(calibration.temperature) and calibration.temperature > 0):
            return None
        return calibration


def probabilities(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax of `logits` / `temperature`, row by row."""
    return special.softmax(np.asarray(logits, np.float64) / temperature, axis=-1)


def fitted_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of `labels`."""
    logits = np.asarray(logits, np.float64)
    rows = np.arange(len(labels))

    def nll(log_temperature: float) -> float:
        scaled = logits / np.exp(log_temperature)
        return float(np.mean(special.logsumexp(scaled, axis=1) - scaled[rows, labels]))

    low, high = np.log(TEMPERATURES)
    found = optimize.minimize_scalar(nll, bounds=(low, high), method="bounded")
    return float(np.exp(found.x))


def calibration_for(
    logits: np.ndarray,
    labels: np.ndarray,
    drawn_logits: np.ndarray | None = None,
    drawn_labels: np.ndarray | None = None,
    accept: float = ACCEPT_DIGITS,
) -> Calibration:
    """Temperature and threshold fitted on held-out digits' `logits` and `labels`, and on drawn
    digits' where given: the threshold keeps `accept` of the first and ACCEPT_DRAWN of these."""
    if len(labels) == 0:
        raise ValueError("calibration needs held-out digits")
    if drawn_logits is None or drawn_labels is None:
        drawn_logits, drawn_labels = logits[:0], labels[:0]
    temperature = fitted_temperature(
        np.concatenate([logits, drawn_logits]), np.concatenate([labels, drawn_labels])
    )
    threshold = np.quantile(probabilities(logits, temperature).max(axis=1), 1 - accept)
    if len(drawn_labels):
        drawn_confidence = probabilities(drawn_logits, temperature).max(axis=1)
        threshold = min(threshold, np.quantile(drawn_confidence, 1 - ACCEPT_DRAWN))
    return Calibration(temperature, float(threshold))


@dataclass(frozen=True)
class Reliability:
    """A reliability diagram's bins: how often answers given at each confidence were right."""

    edges: np.ndarray  # (bins + 1,) from 0 to 1
    confidence: np.ndarray  # mean confidence in each bin, NaN where empty
    accuracy: np.ndarray  # share right in each bin, NaN where empty
    counts: np.ndarray
    ece: float  # expected calibration error: the count-weighted mean gap


def reliability(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = RELIABILITY_BINS
) -> Reliability:
    """Bin answers by their confidence and compare each bin's confidence with its accuracy."""
    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore"):
        mean_confidence = np.bincount(which, confidence, bins) / counts
        accuracy = np.bincount(which, right, bins) / counts
    gaps = np.nan_to_num(np.abs(mean_confidence - accuracy))
    ece = float((counts * gaps).sum() / max(counts.sum(), 1))
    return Reliability(edges, mean_confidence, accuracy, counts, ece)
