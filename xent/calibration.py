r"""Calibration: does a predicted confidence of 80% come true 80% of the time?

A classifier is calibrated when, among the predictions made with confidence ``c``, a fraction
``c`` is right. The reliability curve bins predictions by confidence and compares each bin's
accuracy with its mean confidence; the expected calibration error (ECE) averages the gaps.
Temperature scaling divides every logit by one number ``T`` fitted on held-out data: it moves
the confidences but never the argmax, so accuracy cannot change.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from xent import _validate
from xent.softmax import softmax


class ReliabilityCurve(NamedTuple):
    """Per-bin statistics of :func:`reliability_curve` (empty bins hold NaN and count 0)."""

    bin_edges: np.ndarray
    """``n_bins + 1`` equally spaced edges from 0 to 1."""
    confidence: np.ndarray
    """Mean confidence of the predictions in each bin, shape ``(n_bins,)``."""
    accuracy: np.ndarray
    """Fraction of the predictions in each bin that are right, shape ``(n_bins,)``."""
    counts: np.ndarray
    """Number of predictions in each bin, shape ``(n_bins,)``."""


def _predictions(
    probs: ArrayLike, labels: ArrayLike, axis: int
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence (top probability) and correctness of each prediction."""
    array, dtype = _validate.float_array(probs, "probs")
    index = _validate.class_axis(array, axis, "probs")
    _validate.distribution(array, index, "probs", dtype, axis_label=axis)
    if np.isnan(array).any():
        # the argmax of a NaN row is the NaN's index: it would be binned as a right answer
        raise ValueError("probs must not contain NaN: a prediction needs a confidence")
    array = np.moveaxis(array, index, -1).reshape(-1, array.shape[index])
    if array.shape[0] == 0:
        raise ValueError("probs holds no predictions: calibration needs at least one")
    label_array = _validate.labels(labels, array.shape[0], array.shape[1])
    return array.max(axis=-1).astype(np.float64), array.argmax(axis=-1) == label_array


def reliability_curve(
    probs: ArrayLike, labels: ArrayLike, *, n_bins: int = 15, axis: int = -1
) -> ReliabilityCurve:
    r"""Bin predictions by confidence and measure each bin's accuracy.

    .. math:: \mathrm{acc}(B_b) = \frac{1}{|B_b|} \sum_{n \in B_b} [\hat y_n = y_n], \qquad
              \mathrm{conf}(B_b) = \frac{1}{|B_b|} \sum_{n \in B_b} \max_k q_{n,k}

    Bin ``b`` holds the confidences in ``((b - 1) / n_bins, b / n_bins]`` (the first bin also
    holds 0). A calibrated model has ``acc = conf`` in every bin: the diagonal of a
    reliability diagram.

    Args:
        probs: predicted probabilities, shape ``(N, K)``.
        labels: true class indices, shape ``(N,)``.
        n_bins: number of equal-width bins.
        axis: the class axis of ``probs`` (keyword-only).

    Returns:
        A :class:`ReliabilityCurve` of arrays of length ``n_bins`` (and ``n_bins + 1`` edges).

    Examples:
        >>> import xent
        >>> curve = xent.reliability_curve([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]], [0, 1, 1],
        ...                                n_bins=2)
        >>> curve.counts.tolist(), curve.accuracy.tolist()
        ([0, 3], [nan, 0.6666666666666666])

    References:
        Guo, C., Pleiss, G., Sun, Y. and Weinberger, K. Q. (2017). On calibration of modern
        neural networks. *ICML*.
    """
    n_bins = _validate.integer(n_bins, "n_bins")
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1; got {n_bins}")
    confidence, correct = _predictions(probs, labels, axis)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    counts = np.bincount(which, minlength=n_bins)
    conf_sum = np.bincount(which, weights=confidence, minlength=n_bins)
    right_sum = np.bincount(which, weights=correct.astype(np.float64), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.where(counts > 0, conf_sum / counts, np.nan)
        accuracy = np.where(counts > 0, right_sum / counts, np.nan)
    return ReliabilityCurve(edges, mean_conf, accuracy, counts)


def expected_calibration_error(
    probs: ArrayLike, labels: ArrayLike, *, n_bins: int = 15, axis: int = -1
) -> float:
    r"""Expected calibration error: the count-weighted mean gap between accuracy and confidence.

    .. math:: \mathrm{ECE} = \sum_{b=1}^{B} \frac{|B_b|}{N}
              \bigl|\mathrm{acc}(B_b) - \mathrm{conf}(B_b)\bigr|

    0 for a perfectly calibrated model; at most 1. It depends on the binning, so compare ECEs
    computed with the same ``n_bins``.

    Args:
        probs: predicted probabilities, shape ``(N, K)``.
        labels: true class indices, shape ``(N,)``.
        n_bins: number of equal-width confidence bins (15 as in Guo et al. 2017).
        axis: the class axis of ``probs`` (keyword-only).

    Returns:
        The ECE, a float in [0, 1].

    Examples:
        >>> import xent
        >>> probs = [[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]]
        >>> round(xent.expected_calibration_error(probs, [0, 1, 0, 0], n_bins=10), 6)
        0.4

    References:
        Naeini, M. P., Cooper, G. F. and Hauskrecht, M. (2015). Obtaining well calibrated
        probabilities using Bayesian binning. *AAAI*.
    """
    curve = reliability_curve(probs, labels, n_bins=n_bins, axis=axis)
    filled = curve.counts > 0
    gaps = np.abs(curve.accuracy[filled] - curve.confidence[filled])
    return float(np.sum(curve.counts[filled] * gaps) / np.sum(curve.counts))


def fit_temperature(
    logits: ArrayLike,
    labels: ArrayLike,
    *,
    axis: int = -1,
    bounds: tuple[float, float] = (1e-2, 1e2),
) -> float:
    r"""Fit the temperature ``T`` that minimises the cross-entropy of ``softmax(logits / T)``.

    .. math:: T^\star = \arg\min_{T > 0} \frac{1}{N} \sum_n
              -\log \operatorname{softmax}(z_n / T)_{y_n}

    With ``beta = 1 / T`` the loss is convex in ``beta`` (a log-sum-exp of linear functions
    minus a linear function), and its derivative ``mean(E_q[z] - z_y)`` increases with
    ``beta``; the root is found by bisection on ``log beta``. Use held-out data, never the
    training set, where a network is already overconfident.

    Args:
        logits: held-out logits, shape ``(N, K)``.
        labels: their true class indices, shape ``(N,)``.
        axis: the class axis (keyword-only).
        bounds: the range searched for ``T``; the result is clipped to it (a model that is
            right on every held-out sample wants ``T -> 0``).

    Returns:
        The fitted temperature, a float.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> rng = np.random.default_rng(0)
        >>> logits = 2 * rng.normal(size=(2000, 3))
        >>> cumulative = np.cumsum(xent.softmax(logits), axis=1)
        >>> labels = (rng.random((2000, 1)) > cumulative).sum(axis=1)  # drawn from softmax
        >>> round(xent.fit_temperature(4 * logits, labels), 1)  # undoes the factor 4
        4.0

    References:
        Guo, C., Pleiss, G., Sun, Y. and Weinberger, K. Q. (2017). On calibration of modern
        neural networks. *ICML*.
    """
    array, _ = _validate.float_array(logits, "logits")
    axis = _validate.class_axis(array, axis, "logits")
    array = np.moveaxis(array, axis, -1).astype(np.float64)
    array = array.reshape(-1, array.shape[-1])
    if not np.all(np.isfinite(array)):
        raise ValueError("logits must be finite to fit a temperature")
    if array.shape[0] == 0:
        raise ValueError("logits holds no samples: a temperature is fitted to at least one")
    label_array = _validate.labels(labels, array.shape[0], array.shape[1])
    try:
        low, high = bounds
    except (TypeError, ValueError):
        raise TypeError(
            f"bounds must be a pair (low, high) of positive numbers; got {bounds!r}"
        ) from None
    low, high = _validate.positive_number(low, "bounds"), _validate.positive_number(high, "bounds")
    if not low < high:
        raise ValueError(f"bounds must be (low, high) with low < high; got {bounds!r}")
    target_logit = np.take_along_axis(array, label_array[..., None], axis=-1)[..., 0]

    def slope(log_beta: float) -> float:
        probs = softmax(array * np.exp(log_beta))
        return float(np.mean(np.sum(probs * array, axis=-1) - target_logit))

    lo, hi = np.log(1 / high), np.log(1 / low)
    if slope(hi) <= 0:
        return low
    if slope(lo) >= 0:
        return high
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if slope(mid) > 0:
            hi = mid
        else:
            lo = mid
    return float(1 / np.exp(0.5 * (lo + hi)))
