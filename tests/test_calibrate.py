from __future__ import annotations

import numpy as np
import pytest

from mnist_core.calibrate import (
    Calibration,
    calibration_for,
    fitted_temperature,
    probabilities,
    reliability,
)


def sampled(temperature: float, count: int = 20_000, seed: int = 0):
    """Logits, and labels drawn from softmax(logits / temperature): calibrated at that one."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 4, (count, 10))
    chances = probabilities(logits, temperature)
    labels = np.array([rng.choice(10, p=row) for row in chances])
    return logits, labels


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.5])
def test_the_fitted_temperature_is_the_one_the_labels_follow(temperature):
    logits, labels = sampled(temperature)
    assert fitted_temperature(logits, labels) == pytest.approx(temperature, rel=0.08)


def test_calibration_makes_an_overconfident_model_honest():
    logits, labels = sampled(2.0)
    before = reliability(probabilities(logits), labels).ece
    calibration = calibration_for(logits, labels)
    after = reliability(probabilities(logits, calibration.temperature), labels).ece
    assert before > 0.1 and after < 0.02


def test_the_threshold_keeps_the_share_of_digits_asked_for():
    logits, labels = sampled(1.0, seed=1)
    calibration = calibration_for(logits, labels, accept=0.99)
    confidence = probabilities(logits, calibration.temperature).max(axis=1)
    assert np.mean(confidence >= calibration.min_confidence) == pytest.approx(0.99, abs=0.001)


def test_reliability_bins_count_every_answer():
    chances = np.array([[0.95, 0.05], [0.95, 0.05], [0.55, 0.45], [0.2, 0.8]])
    curve = reliability(chances, np.array([0, 1, 0, 1]), bins=10)
    assert curve.counts.sum() == 4 and curve.counts[9] == 2 and curve.counts[5] == 1
    assert curve.accuracy[9] == 0.5 and curve.confidence[9] == pytest.approx(0.95)
    # gaps: 0.45 on two answers, 0.45 on one, 0.2 on one
    assert curve.ece == pytest.approx((2 * 0.45 + 0.45 + 0.2) / 4)


@pytest.mark.parametrize(
    "stored", [None, {}, {"temperature": "hot"}, {"temperature": 0, "min_confidence": 0.5},
               {"temperature": float("nan"), "min_confidence": 0.5}, [1, 2]],
)  # fmt: skip
def test_a_missing_or_broken_calibration_reads_as_none(stored):
    assert Calibration.from_dict(stored) is None


def test_a_calibration_survives_the_metadata():
    for calibration in (Calibration(1.3, 0.42), Calibration(1.3, 0.42, 0.93)):
        assert Calibration.from_dict(calibration.as_dict()) == calibration


def test_a_model_that_turns_few_non_digits_away_is_called_weak():
    assert Calibration(1.0, 0.4, non_digits_rejected=0.1).rejects_weakly
    assert not Calibration(1.0, 0.4, non_digits_rejected=0.9).rejects_weakly
    assert not Calibration(1.0, 0.4).rejects_weakly  # not measured
    assert not Calibration(1.0, 0.0, non_digits_rejected=0.0).rejects_weakly  # no rejection
