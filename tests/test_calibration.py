"""Calibration: reliability curve, expected calibration error, temperature scaling."""

from __future__ import annotations

import numpy as np
import pytest

import xent


def _sample_labels(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    cumulative = np.cumsum(xent.softmax(logits), axis=-1)
    return (rng.random((logits.shape[0], 1)) > cumulative).sum(axis=-1)


def test_ece_matches_a_hand_computation() -> None:
    # Bin (0.8, 0.9]: confidences 0.9, 0.9, one right: gap |0.5 - 0.9| = 0.4, weight 2/5.
    # Bin (0.6, 0.7]: confidence 0.7, right: gap 0.3, weight 1/5.
    # Bin (0.5, 0.6]: confidences 0.6, 0.6, both right: gap 0.4, weight 2/5.
    probs = [[0.9, 0.1], [0.1, 0.9], [0.7, 0.3], [0.6, 0.4], [0.4, 0.6]]
    labels = [0, 0, 0, 0, 1]
    expected = 2 / 5 * 0.4 + 1 / 5 * 0.3 + 2 / 5 * 0.4
    assert xent.expected_calibration_error(probs, labels, n_bins=10) == pytest.approx(expected)


def test_reliability_curve_bins_hold_the_right_counts_and_means() -> None:
    probs = [[0.9, 0.1], [0.1, 0.9], [0.7, 0.3], [0.6, 0.4], [0.4, 0.6]]
    curve = xent.reliability_curve(probs, [0, 0, 0, 0, 1], n_bins=10)
    assert curve.counts.tolist() == [0, 0, 0, 0, 0, 2, 1, 0, 2, 0]
    assert curve.confidence[5] == pytest.approx(0.6)
    assert curve.accuracy[8] == pytest.approx(0.5)
    assert np.isnan(curve.accuracy[0]) and np.isnan(curve.confidence[0])
    assert curve.bin_edges.tolist() == pytest.approx(np.linspace(0, 1, 11).tolist())


def test_ece_is_zero_for_a_perfectly_calibrated_bin() -> None:
    probs = np.tile([0.75, 0.25], (4, 1))
    assert xent.expected_calibration_error(probs, [0, 0, 0, 1]) == pytest.approx(0.0)


def test_confidence_of_exactly_one_falls_in_the_last_bin_and_zero_bins_hold_nothing() -> None:
    curve = xent.reliability_curve([[1.0, 0.0]], [0], n_bins=4)
    assert curve.counts.tolist() == [0, 0, 0, 1]


def test_temperature_scaling_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(7)
    logits = 2 * rng.normal(size=(4000, 4))
    labels = _sample_labels(logits, rng)
    for factor in (0.5, 1.0, 3.0):
        assert xent.fit_temperature(factor * logits, labels) == pytest.approx(factor, rel=0.1)


def test_temperature_scaling_minimises_the_held_out_loss() -> None:
    rng = np.random.default_rng(3)
    logits = 5 * rng.normal(size=(1000, 3))
    labels = _sample_labels(logits / 2.5, rng)
    t = xent.fit_temperature(logits, labels)
    best = float(xent.softmax_cross_entropy(logits / t, labels))
    for other in (0.9 * t, 1.1 * t):
        assert best < float(xent.softmax_cross_entropy(logits / other, labels))


def test_temperature_scaling_never_changes_accuracy_and_improves_ece() -> None:
    rng = np.random.default_rng(11)
    logits = 2 * rng.normal(size=(3000, 5))
    labels = _sample_labels(logits, rng)
    overconfident = 3 * logits
    t = xent.fit_temperature(overconfident, labels)
    before = xent.softmax(overconfident)
    after = xent.softmax(overconfident, temperature=t)
    assert np.array_equal(before.argmax(-1), after.argmax(-1))
    assert xent.expected_calibration_error(after, labels) < xent.expected_calibration_error(
        before, labels
    )


def test_a_model_right_everywhere_gets_the_lower_bound() -> None:
    logits = np.array([[5.0, 0.0], [0.0, 5.0]])
    assert xent.fit_temperature(logits, [0, 1], bounds=(0.1, 10.0)) == 0.1


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: xent.expected_calibration_error([[0.5, 0.6]], [0]), ValueError, "probs"),
        (lambda: xent.expected_calibration_error([[0.5, 0.5]], [2]), IndexError, "labels"),
        (lambda: xent.expected_calibration_error([[0.5, 0.5]], [0.0]), TypeError, "labels"),
        (lambda: xent.expected_calibration_error([[0.5, 0.5]], [0, 1]), ValueError, "labels"),
        (lambda: xent.reliability_curve([[0.5, 0.5]], [0], n_bins=0), ValueError, "n_bins"),
        (lambda: xent.fit_temperature([[np.nan, 0.0]], [0]), ValueError, "logits"),
        (lambda: xent.fit_temperature([[1.0, 0.0]], [0], bounds=(2, 1)), ValueError, "bounds"),
        (lambda: xent.fit_temperature([[1.0, 0.0]], [-100]), IndexError, "labels"),
    ],
)
def test_calibration_rejects_bad_input(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()
