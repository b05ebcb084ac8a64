"""xent.losses: softmax cross-entropy, nll_loss, binary cross-entropy (with logits), gradients.

Worked numbers a reader can check by hand, every edge case of the design, PyTorch's reduction,
weight, ignore_index and label-smoothing semantics (written out below in numpy as
``reference_cross_entropy``, straight from PyTorch's documentation), and hypothesis laws:
reductions, gradients equal finite differences for every option, gradient rows sum to zero.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from strategies import FAST, THOROUGH, distributions, seeds

import xent

INF = np.inf
NAN = np.nan
LN2 = math.log(2)
REDUCTIONS = ["mean", "sum", "none"]


# --- PyTorch's semantics, written out ----------------------------------------------------


def reference_cross_entropy(
    logits: np.ndarray,
    target: np.ndarray,
    *,
    axis: int = -1,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """torch.nn.functional.cross_entropy in numpy (finite logits only)."""
    log_q = scipy.special.log_softmax(np.moveaxis(logits, axis, -1), axis=-1)
    num_classes = log_q.shape[-1]
    w = np.ones(num_classes) if weight is None else np.asarray(weight, dtype=np.float64)
    eps = label_smoothing
    if np.issubdtype(target.dtype, np.integer):
        keep = target != ignore_index
        safe = np.where(keep, target, 0)
        nll = -np.take_along_axis(log_q, safe[..., None], axis=-1)[..., 0] * w[safe]
        smooth = -(log_q * w).sum(axis=-1)
        per_sample = np.where(keep, (1 - eps) * nll + eps / num_classes * smooth, 0.0)
        denominator = np.sum(np.where(keep, w[safe], 0.0))
    else:
        p = (1 - eps) * np.moveaxis(target, axis, -1) + eps / num_classes
        per_sample = -(w * p * log_q).sum(axis=-1)
        denominator = per_sample.size
    if reduction == "none":
        return per_sample
    if reduction == "sum":
        return np.asarray(per_sample.sum())
    return np.asarray(per_sample.sum() / denominator)


def reference_bce_with_logits(
    logits: np.ndarray,
    target: np.ndarray,
    *,
    weight: np.ndarray | None = None,
    pos_weight: np.ndarray | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    """torch.nn.functional.binary_cross_entropy_with_logits in numpy (finite logits)."""
    pw = 1.0 if pos_weight is None else pos_weight
    log_weight = 1 + (pw - 1) * target
    per_element = (1 - target) * logits + log_weight * np.logaddexp(0, -logits)
    if weight is not None:
        per_element = per_element * weight
    return _reduce(per_element, reduction)


def reference_bce(
    probs: np.ndarray,
    target: np.ndarray,
    *,
    weight: np.ndarray | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    """torch.nn.functional.binary_cross_entropy in numpy (probs strictly inside (0, 1))."""
    per_element = -(target * np.log(probs) + (1 - target) * np.log1p(-probs))
    if weight is not None:
        per_element = per_element * weight
    return _reduce(per_element, reduction)


def _reduce(per_element: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return per_element
    if reduction == "sum":
        return np.asarray(per_element.sum())
    return np.asarray(per_element.mean())


def finite_difference_gradient(loss: Any, x: np.ndarray) -> np.ndarray:
    """Central differences of the sum of the loss (the ``"none"`` gradient is that of the sum)."""
    return xent.numerical_gradient(lambda v: float(np.sum(loss(v))), x)


def one_hot(target: np.ndarray, num_classes: int) -> np.ndarray:
    return np.eye(num_classes)[target]


# --- hand-checkable values ---------------------------------------------------------------

COURSE_P = np.array([0.2, 0.3, 0.5])


def test_course_example_loss_is_minus_log_of_the_target_probability() -> None:
    loss = xent.softmax_cross_entropy(np.log([COURSE_P]), np.array([1]))
    assert float(loss) == pytest.approx(-math.log(0.3), rel=1e-15)


def test_course_example_gradient_is_q_minus_p() -> None:
    grad = xent.softmax_cross_entropy_grad(np.log([COURSE_P]), np.array([1]))
    np.testing.assert_allclose(grad, [[0.2, -0.7, 0.5]], rtol=1e-14)


def test_course_example_with_a_one_hot_probability_target_gives_the_same_loss_and_gradient() -> (
    None
):
    loss, grad = xent.softmax_cross_entropy_with_grad(
        np.log([COURSE_P]), np.array([[0.0, 1.0, 0.0]])
    )
    assert float(loss) == pytest.approx(-math.log(0.3), rel=1e-15)
    np.testing.assert_allclose(grad, [[0.2, -0.7, 0.5]], rtol=1e-14)


@pytest.mark.parametrize("num_classes", [2, 10, 1000])
def test_loss_at_chance_is_log_k(num_classes: int) -> None:
    logits = np.zeros((4, num_classes))
    target = np.arange(4) % num_classes
    assert float(xent.softmax_cross_entropy(logits, target)) == pytest.approx(
        math.log(num_classes), rel=1e-14
    )


def test_mean_gradient_is_the_sum_gradient_divided_by_the_batch_size() -> None:
    logits = np.log([COURSE_P, COURSE_P])
    target = np.array([1, 1])
    mean_grad = xent.softmax_cross_entropy_grad(logits, target)
    sum_grad = xent.softmax_cross_entropy_grad(logits, target, reduction="sum")
    np.testing.assert_allclose(sum_grad, [[0.2, -0.7, 0.5]] * 2, rtol=1e-14)
    np.testing.assert_allclose(mean_grad, sum_grad / 2, rtol=1e-15)
    np.testing.assert_allclose(
        xent.softmax_cross_entropy_grad(logits, target, reduction="none"), sum_grad, rtol=1e-15
    )


def test_class_weights_scale_each_sample_and_the_mean_divides_by_the_total_weight() -> None:
    logits = np.zeros((2, 2))
    target = np.array([0, 1])
    weight = np.array([1.0, 3.0])
    none = xent.softmax_cross_entropy(logits, target, weight=weight, reduction="none")
    np.testing.assert_allclose(none, [LN2, 3 * LN2], rtol=1e-15)
    total = xent.softmax_cross_entropy(logits, target, weight=weight, reduction="sum")
    assert float(total) == pytest.approx(4 * LN2, rel=1e-15)
    mean = xent.softmax_cross_entropy(logits, target, weight=weight)
    assert float(mean) == pytest.approx(LN2, rel=1e-15)  # (1 + 3) ln 2 / (1 + 3)


def test_ignored_samples_add_nothing_to_the_loss_the_mean_or_the_gradient() -> None:
    logits = np.log([COURSE_P, [0.6, 0.2, 0.2], [0.1, 0.1, 0.8]])
    target = np.array([1, -100, 2])
    none = xent.softmax_cross_entropy(logits, target, reduction="none")
    np.testing.assert_allclose(none, [-math.log(0.3), 0.0, -math.log(0.8)], rtol=1e-14)
    mean = xent.softmax_cross_entropy(logits, target)
    assert float(mean) == pytest.approx(-(math.log(0.3) + math.log(0.8)) / 2, rel=1e-14)
    grad = xent.softmax_cross_entropy_grad(logits, target)
    np.testing.assert_allclose(grad[1], 0.0, atol=0)
    np.testing.assert_allclose(grad[0], np.array([0.2, -0.7, 0.5]) / 2, rtol=1e-14)


def test_a_non_default_ignore_index_inside_the_class_range_ignores_that_class() -> None:
    logits = np.log([COURSE_P, COURSE_P, COURSE_P])
    target = np.array([0, 1, 2])
    none = xent.softmax_cross_entropy(logits, target, ignore_index=1, reduction="none")
    np.testing.assert_allclose(none, [-math.log(0.2), 0.0, -math.log(0.5)], rtol=1e-14)
    mean = xent.softmax_cross_entropy(logits, target, ignore_index=1)
    assert float(mean) == pytest.approx(-(math.log(0.2) + math.log(0.5)) / 2, rel=1e-14)
    grad = xent.softmax_cross_entropy_grad(logits, target, ignore_index=1)
    np.testing.assert_array_equal(grad[1], 0.0)


def test_an_ignore_index_outside_the_class_range_is_allowed_in_the_target() -> None:
    logits = np.zeros((2, 3))
    loss = xent.softmax_cross_entropy(logits, np.array([7, 0]), ignore_index=7, reduction="none")
    np.testing.assert_allclose(loss, [0.0, math.log(3)], rtol=1e-15)


def test_mean_over_only_ignored_samples_is_nan_as_in_pytorch() -> None:
    loss, grad = xent.softmax_cross_entropy_with_grad(np.zeros((2, 3)), np.array([-100, -100]))
    assert np.isnan(loss)
    assert grad.shape == (2, 3)
    total = xent.softmax_cross_entropy(np.zeros((2, 3)), np.array([-100, -100]), reduction="sum")
    assert float(total) == 0.0


def test_label_smoothing_of_the_two_class_example() -> None:
    # eps = 0.2 over K = 2 turns the target [1, 0] into [0.9, 0.1]
    logits = np.log([[0.8, 0.2]])
    loss, grad = xent.softmax_cross_entropy_with_grad(logits, np.array([0]), label_smoothing=0.2)
    assert float(loss) == pytest.approx(-(0.9 * math.log(0.8) + 0.1 * math.log(0.2)), rel=1e-14)
    np.testing.assert_allclose(grad, [[-0.1, 0.1]], rtol=1e-12)


def test_full_label_smoothing_ignores_the_target() -> None:
    logits = np.log([COURSE_P])
    expected = -np.mean(np.log(COURSE_P))
    for target in (0, 1, 2):
        loss = xent.softmax_cross_entropy(logits, np.array([target]), label_smoothing=1.0)
        assert float(loss) == pytest.approx(expected, rel=1e-14)


def test_label_smoothing_with_class_weights_follows_pytorch() -> None:
    # PyTorch: (1 - eps) w_y (-log q_y) + eps / K * sum_c w_c (-log q_c), mean over sum_n w_{y_n}
    logits = np.log([COURSE_P, [0.1, 0.6, 0.3]])
    target = np.array([1, 2])
    weight = np.array([0.5, 2.0, 1.5])
    eps = 0.3
    log_q = np.log([COURSE_P, [0.1, 0.6, 0.3]])
    per_sample = [
        (1 - eps) * weight[y] * -log_q[n, y] + eps / 3 * -(weight * log_q[n]).sum()
        for n, y in enumerate(target)
    ]
    kwargs = {"weight": weight, "label_smoothing": eps}
    none = xent.softmax_cross_entropy(logits, target, reduction="none", **kwargs)
    np.testing.assert_allclose(none, per_sample, rtol=1e-14)
    mean = xent.softmax_cross_entropy(logits, target, **kwargs)
    assert float(mean) == pytest.approx(sum(per_sample) / (2.0 + 1.5), rel=1e-14)


def test_probability_targets_with_weights_average_over_samples_not_weights() -> None:
    # PyTorch's probability-target "mean" divides by the number of samples
    logits = np.log([COURSE_P, [0.1, 0.6, 0.3]])
    target = np.array([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
    weight = np.array([0.5, 2.0, 1.5])
    per_sample = [2.0 * -math.log(0.3), -(0.5 * 0.5 * math.log(0.1) + 1.5 * 0.5 * math.log(0.3))]
    none = xent.softmax_cross_entropy(logits, target, weight=weight, reduction="none")
    np.testing.assert_allclose(none, per_sample, rtol=1e-14)
    mean = xent.softmax_cross_entropy(logits, target, weight=weight)
    assert float(mean) == pytest.approx(sum(per_sample) / 2, rel=1e-14)


def test_probability_targets_are_smoothed_toward_uniform() -> None:
    logits = np.log([COURSE_P])
    target = np.array([[0.5, 0.5, 0.0]])
    smoothed = 0.7 * target + 0.3 / 3
    loss = xent.softmax_cross_entropy(logits, target, label_smoothing=0.3)
    assert float(loss) == pytest.approx(float(-(smoothed * np.log(COURSE_P)).sum()), rel=1e-14)


def test_nll_loss_picks_minus_the_target_log_probability() -> None:
    log_probs = np.array([[-1.0, -2.0, -3.0], [-0.5, -7.0, -0.25]])
    np.testing.assert_allclose(
        xent.nll_loss(log_probs, np.array([2, 1]), reduction="none"), [3.0, 7.0], rtol=1e-15
    )
    assert float(xent.nll_loss(log_probs, np.array([2, 1]))) == pytest.approx(5.0, rel=1e-15)


def test_nll_loss_weighted_mean_divides_by_the_weights_of_the_kept_targets() -> None:
    log_probs = np.array([[-1.0, -2.0, -3.0], [-0.5, -7.0, -0.25], [-4.0, -4.0, -4.0]])
    weight = np.array([1.0, 2.0, 3.0])
    loss = xent.nll_loss(log_probs, np.array([2, 1, -100]), weight=weight)
    assert float(loss) == pytest.approx((3 * 3.0 + 2 * 7.0) / (3 + 2), rel=1e-15)


def test_binary_cross_entropy_of_the_course_examples() -> None:
    probs = np.array([0.5, 0.8, 0.8, 0.8])
    target = np.array([1.0, 1.0, 0.0, 0.3])
    expected = [LN2, -math.log(0.8), -math.log(0.2), -(0.3 * math.log(0.8) + 0.7 * math.log(0.2))]
    np.testing.assert_allclose(
        xent.binary_cross_entropy(probs, target, reduction="none"), expected, rtol=1e-14
    )
    grad = xent.binary_cross_entropy_grad(probs, target, reduction="sum")
    np.testing.assert_allclose(grad, (probs - target) / (probs * (1 - probs)), rtol=1e-13)


def test_binary_cross_entropy_clamps_the_log_at_minus_100_like_pytorch() -> None:
    probs = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    target = np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    loss = xent.binary_cross_entropy(probs, target, reduction="none")
    np.testing.assert_allclose(loss, [100.0, 100.0, 0.0, 0.0, 30.0], rtol=1e-15)
    assert np.all(np.isfinite(xent.binary_cross_entropy_grad(probs, target)))


def test_binary_cross_entropy_weight_multiplies_each_element_and_mean_counts_elements() -> None:
    probs = np.array([0.5, 0.5])
    target = np.array([1.0, 0.0])
    weight = np.array([1.0, 3.0])
    assert float(xent.binary_cross_entropy(probs, target, weight=weight)) == pytest.approx(
        2 * LN2, rel=1e-15
    )


def test_binary_cross_entropy_with_logits_at_zero_is_log_two_with_gradient_minus_one_half() -> None:
    loss, grad = xent.binary_cross_entropy_with_logits_with_grad(np.array([0.0]), np.array([1.0]))
    assert float(loss) == pytest.approx(LN2, rel=1e-15)
    np.testing.assert_allclose(grad, [-0.5], rtol=1e-15)


def test_pos_weight_multiplies_the_positive_term() -> None:
    # -[pw y log s(z) + (1 - y) log(1 - s(z))] at z = 0, y = 1, pw = 3: 3 ln 2
    loss, grad = xent.binary_cross_entropy_with_logits_with_grad(
        np.array([0.0]), np.array([1.0]), pos_weight=np.array([3.0])
    )
    assert float(loss) == pytest.approx(3 * LN2, rel=1e-15)
    np.testing.assert_allclose(grad, [-1.5], rtol=1e-15)


def test_pos_weight_broadcasts_along_the_last_axis() -> None:
    logits = np.array([[0.0, 0.0], [0.0, 0.0]])
    target = np.ones((2, 2))
    loss = xent.binary_cross_entropy_with_logits(
        logits, target, pos_weight=np.array([1.0, 2.0]), reduction="none"
    )
    np.testing.assert_allclose(loss, [[LN2, 2 * LN2], [LN2, 2 * LN2]], rtol=1e-15)


def test_binary_cross_entropy_with_logits_gradient_is_sigmoid_minus_target() -> None:
    z = np.linspace(-6, 6, 13)
    y = np.linspace(0, 1, 13)
    grad = xent.binary_cross_entropy_with_logits_grad(z, y, reduction="sum")
    np.testing.assert_allclose(grad, scipy.special.expit(z) - y, rtol=1e-13, atol=1e-16)


def test_binary_cross_entropy_with_logits_equals_binary_cross_entropy_of_the_sigmoid() -> None:
    rng = np.random.default_rng(30)
    z = rng.normal(scale=3, size=(4, 3))
    y = rng.uniform(size=(4, 3))
    np.testing.assert_allclose(
        xent.binary_cross_entropy_with_logits(z, y, reduction="none"),
        xent.binary_cross_entropy(xent.sigmoid(z), y, reduction="none"),
        rtol=1e-12,
    )


def test_binary_cross_entropy_with_logits_is_the_two_class_softmax_cross_entropy() -> None:
    rng = np.random.default_rng(31)
    z = rng.normal(scale=3, size=6)
    y = rng.uniform(size=6)
    two_class_logits = np.stack([z, np.zeros_like(z)], axis=-1)
    two_class_target = np.stack([y, 1 - y], axis=-1)
    np.testing.assert_allclose(
        xent.binary_cross_entropy_with_logits(z, y, reduction="none"),
        xent.softmax_cross_entropy(two_class_logits, two_class_target, reduction="none"),
        rtol=1e-13,
    )


# --- edge cases from the design ----------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_zero_probability_target_at_a_minus_infinity_logit_gives_finite_loss_and_zero_gradient(
    reduction: str,
) -> None:
    logits = np.array([[0.0, -INF, math.log(3)], [1.0, 2.0, 3.0]])
    target = np.array([[0.5, 0.0, 0.5], [0.2, 0.3, 0.5]])
    loss, grad = xent.softmax_cross_entropy_with_grad(logits, target, reduction=reduction)
    none = xent.softmax_cross_entropy(logits, target, reduction="none")
    q1 = scipy.special.softmax([1.0, 2.0, 3.0])
    expected_none = [
        -(0.5 * math.log(0.25) + 0.5 * math.log(0.75)),
        -float(np.dot([0.2, 0.3, 0.5], np.log(q1))),
    ]
    np.testing.assert_allclose(none, expected_none, rtol=1e-14)
    assert np.all(np.isfinite(loss))
    scale = 0.5 if reduction == "mean" else 1.0
    expected_grad = scale * np.array([[0.25 - 0.5, 0.0, 0.75 - 0.5], q1 - [0.2, 0.3, 0.5]])
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-13)
    assert grad[0, 1] == 0.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_class_target_with_a_minus_infinity_non_target_logit_gives_finite_loss_and_zero_gradient(
    reduction: str,
) -> None:
    logits = np.array([[0.0, -INF, math.log(3)], [-INF, 2.0, 3.0]])
    target = np.array([2, 1])
    loss, grad = xent.softmax_cross_entropy_with_grad(logits, target, reduction=reduction)
    none = xent.softmax_cross_entropy(logits, target, reduction="none")
    q1 = scipy.special.softmax([2.0, 3.0])
    np.testing.assert_allclose(none, [-math.log(0.75), -math.log(q1[0])], rtol=1e-14)
    assert np.all(np.isfinite(loss))
    scale = 0.5 if reduction == "mean" else 1.0
    expected = scale * np.array([[0.25, 0.0, 0.75 - 1], [0.0, q1[0] - 1, q1[1]]])
    np.testing.assert_allclose(grad, expected, rtol=1e-13)
    assert grad[0, 1] == 0.0 and grad[1, 0] == 0.0


def test_nll_loss_with_minus_infinity_at_a_non_target_class_is_finite() -> None:
    loss = xent.nll_loss(np.array([[-INF, -0.5]]), np.array([1]))
    assert float(loss) == 0.5


@pytest.mark.parametrize("target_kind", ["probabilities", "index"])
def test_positive_target_at_a_minus_infinity_logit_gives_infinite_loss_and_gradient_q_minus_p(
    target_kind: str,
) -> None:
    logits = np.array([[0.0, -INF, math.log(3)]])
    target = np.array([[0.0, 1.0, 0.0]]) if target_kind == "probabilities" else np.array([1])
    loss, grad = xent.softmax_cross_entropy_with_grad(logits, target)
    assert float(loss) == INF
    np.testing.assert_allclose(grad, [[0.25, -1.0, 0.75]], rtol=1e-14)


def test_nll_loss_of_minus_infinity_at_the_target_is_infinite() -> None:
    assert float(xent.nll_loss(np.array([[-INF, 0.0]]), np.array([0]))) == INF


BCE_LIMITS = [
    # (z, y, pos_weight, loss, gradient)
    (INF, 1.0, None, 0.0, 0.0),
    (INF, 0.0, None, INF, 1.0),
    (INF, 0.3, None, INF, 0.7),
    (-INF, 0.0, None, 0.0, 0.0),
    (-INF, 1.0, None, INF, -1.0),
    (-INF, 0.3, None, INF, -0.3),
    (INF, 1.0, 2.0, 0.0, 0.0),
    (INF, 0.3, 2.0, INF, 0.7),
    (-INF, 0.0, 2.0, 0.0, 0.0),
    (-INF, 1.0, 2.0, INF, -2.0),
    (-INF, 0.3, 2.0, INF, -0.6),
]


@pytest.mark.parametrize(
    ("z", "y", "pos_weight", "loss", "gradient"),
    BCE_LIMITS,
    ids=[f"z={z},y={y},pw={pw}" for z, y, pw, _, _ in BCE_LIMITS],
)
def test_binary_cross_entropy_with_logits_has_exact_limits_at_infinite_logits(
    z: float, y: float, pos_weight: float | None, loss: float, gradient: float
) -> None:
    kwargs: dict[str, Any] = {} if pos_weight is None else {"pos_weight": np.array([pos_weight])}
    logits = np.array([z])
    target = np.array([y])
    value, grad = xent.binary_cross_entropy_with_logits_with_grad(logits, target, **kwargs)
    assert float(value) == loss
    np.testing.assert_allclose(grad, [gradient], rtol=1e-15)
    none = xent.binary_cross_entropy_with_logits(logits, target, reduction="none", **kwargs)
    assert float(none[0]) == loss


@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_nan_logit_makes_its_own_sample_nan_and_leaves_the_others_alone(reduction: str) -> None:
    logits = np.array([[1.0, NAN, 0.0], [1.0, 2.0, 0.0]])
    target = np.array([0, 2])
    loss, grad = xent.softmax_cross_entropy_with_grad(logits, target, reduction=reduction)
    assert np.isnan(loss if reduction == "sum" else loss[0])
    assert np.all(np.isnan(grad[0]))
    alone = xent.softmax_cross_entropy_with_grad(logits[1:], target[1:], reduction=reduction)
    np.testing.assert_allclose(grad[1:], alone[1], rtol=1e-15)
    if reduction == "none":
        np.testing.assert_allclose(loss[1:], alone[0], rtol=1e-15)


def test_nan_in_a_probability_target_propagates_into_its_own_sample() -> None:
    logits = np.zeros((2, 3))
    target = np.array([[NAN, 0.5, 0.5], [0.2, 0.3, 0.5]])
    loss = xent.softmax_cross_entropy(logits, target, reduction="none")
    assert np.isnan(loss[0])
    assert float(loss[1]) == pytest.approx(math.log(3), rel=1e-15)


@pytest.mark.parametrize(
    ("function", "args"),
    [
        pytest.param(xent.nll_loss, ([[-1.0, NAN]], [1]), id="nll_loss"),
        pytest.param(xent.binary_cross_entropy, ([NAN, 0.5], [1.0, 1.0]), id="bce probs"),
        pytest.param(xent.binary_cross_entropy, ([0.5, 0.5], [NAN, 1.0]), id="bce target"),
        pytest.param(xent.binary_cross_entropy_grad, ([NAN, 0.5], [1.0, 1.0]), id="bce grad"),
        pytest.param(xent.binary_cross_entropy_with_logits, ([NAN, 0.5], [1.0, 1.0]), id="bcel z"),
        pytest.param(xent.binary_cross_entropy_with_logits, ([0.5, 0.5], [NAN, 1.0]), id="bcel y"),
        pytest.param(
            xent.binary_cross_entropy_with_logits_grad, ([NAN, 0.5], [1.0, 1.0]), id="bcel grad"
        ),
    ],
)
def test_nan_propagates_through_the_other_losses(function, args) -> None:
    result = function(*map(np.asarray, args), reduction="none")
    assert np.isnan(np.ravel(result)[0])
    if np.size(result) > 1:
        assert np.isfinite(np.ravel(result)[1])


# --- dtypes and input forms --------------------------------------------------------------

LOSS_CALLS = {
    "softmax_cross_entropy[index]": lambda z, **kw: xent.softmax_cross_entropy_with_grad(
        z, np.array([0, 2]), **kw
    ),
    "softmax_cross_entropy[probabilities]": lambda z, **kw: xent.softmax_cross_entropy_with_grad(
        z, np.array([[0.5, 0.5, 0.0], [0.25, 0.25, 0.5]], dtype=z.dtype), **kw
    ),
    "binary_cross_entropy_with_logits": lambda z, **kw: (
        xent.binary_cross_entropy_with_logits_with_grad(z, np.full(z.shape, 0.25, z.dtype), **kw)
    ),
}


@pytest.mark.parametrize("name", LOSS_CALLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_and_gradient_keep_the_float_dtype(name: str, dtype: type, reduction: str) -> None:
    z = np.array([[0.5, -1.0, 2.0], [0.0, 1.0, 3.0]], dtype=dtype)
    loss, grad = LOSS_CALLS[name](z, reduction=reduction)
    assert loss.dtype == dtype
    assert grad.dtype == dtype
    assert grad.shape == z.shape


@pytest.mark.parametrize("name", LOSS_CALLS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_float16_losses_are_computed_in_float32_and_returned_as_float16(
    name: str, reduction: str
) -> None:
    z = np.array([[0.5, -1.0, 2.0], [0.0, 1.0, 11.0]], dtype=np.float16)
    loss, grad = LOSS_CALLS[name](z, reduction=reduction)
    assert loss.dtype == np.float16
    assert grad.dtype == np.float16
    loss32, grad32 = LOSS_CALLS[name](z.astype(np.float32), reduction=reduction)
    np.testing.assert_array_equal(loss, loss32.astype(np.float16))
    np.testing.assert_array_equal(grad, grad32.astype(np.float16))


def test_binary_cross_entropy_keeps_float32_and_computes_float16_in_float32() -> None:
    probs = np.array([0.25, 0.5, 0.875])
    target = np.array([1.0, 0.0, 0.5])
    for dtype in (np.float16, np.float32):
        loss, grad = xent.binary_cross_entropy_with_grad(
            probs.astype(dtype), target.astype(dtype), reduction="none"
        )
        assert loss.dtype == dtype and grad.dtype == dtype
    loss16 = xent.binary_cross_entropy(probs.astype(np.float16), target.astype(np.float16))
    loss32 = xent.binary_cross_entropy(probs.astype(np.float32), target.astype(np.float32))
    assert loss16 == loss32.astype(np.float16)


def test_integer_logits_give_float64() -> None:
    loss, grad = xent.softmax_cross_entropy_with_grad(np.array([[1, 2, 3]]), np.array([0]))
    assert loss.dtype == np.float64 and grad.dtype == np.float64
    bce = xent.binary_cross_entropy_with_logits(np.array([0, 1]), np.array([0, 1]))
    assert bce.dtype == np.float64
    assert xent.nll_loss(np.array([[0, -1]]), np.array([1])).dtype == np.float64
    assert xent.binary_cross_entropy(np.array([0, 1]), np.array([0, 1])).dtype == np.float64


def test_python_lists_are_accepted_as_logits_and_targets() -> None:
    assert float(xent.softmax_cross_entropy([[0.0, 0.0]], [1])) == pytest.approx(LN2)
    assert float(xent.softmax_cross_entropy([[0.0, 0.0]], [[0.5, 0.5]])) == pytest.approx(LN2)
    np.testing.assert_allclose(xent.softmax_cross_entropy_grad([[0.0, 0.0]], [1]), [[0.5, -0.5]])
    assert float(xent.nll_loss([[-1.0, -2.0]], [1])) == 2.0
    assert float(xent.binary_cross_entropy([0.5], [1.0])) == pytest.approx(LN2)
    assert float(xent.binary_cross_entropy_with_logits([0.0], [1.0])) == pytest.approx(LN2)
    assert float(xent.binary_cross_entropy_with_logits(0.0, 1.0)) == pytest.approx(LN2)


def test_a_single_sample_without_a_batch_axis_is_accepted() -> None:
    loss = xent.softmax_cross_entropy(np.log(COURSE_P), np.array(1))
    assert float(loss) == pytest.approx(-math.log(0.3), rel=1e-15)
    grad = xent.softmax_cross_entropy_grad(np.log(COURSE_P), np.array(1))
    np.testing.assert_allclose(grad, [0.2, -0.7, 0.5], rtol=1e-14)


@pytest.mark.parametrize(
    "function",
    [xent.softmax_cross_entropy, xent.softmax_cross_entropy_grad, xent.nll_loss],
    ids=lambda f: f.__name__,
)
def test_loss_axis_is_keyword_only(function) -> None:
    with pytest.raises(TypeError):
        function(np.zeros((2, 3)), np.array([0, 1]), 0)


# --- axes --------------------------------------------------------------------------------


@pytest.mark.parametrize("target_kind", ["index", "probabilities"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pytorch_layout_with_axis_one_equals_moving_the_class_axis_last(
    target_kind: str, reduction: str
) -> None:
    rng = np.random.default_rng(32)
    logits = rng.normal(size=(2, 4, 3))  # (N, C, d)
    if target_kind == "index":
        target = np.array([[0, 3, -100], [2, 1, 1]])
        moved_target = target
    else:
        target = rng.dirichlet(np.ones(4), size=(2, 3)).transpose(0, 2, 1)  # (N, C, d)
        moved_target = np.moveaxis(target, 1, -1)
    kwargs = {"weight": np.array([0.5, 1.0, 2.0, 1.5]), "reduction": reduction}
    loss, grad = xent.softmax_cross_entropy_with_grad(logits, target, axis=1, **kwargs)
    moved_loss, moved_grad = xent.softmax_cross_entropy_with_grad(
        np.moveaxis(logits, 1, -1), moved_target, **kwargs
    )
    np.testing.assert_allclose(loss, moved_loss, rtol=1e-14)
    np.testing.assert_allclose(grad, np.moveaxis(moved_grad, -1, 1), rtol=1e-14)
    if reduction == "none":
        assert loss.shape == (2, 3)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_class_axis_zero_equals_the_transposed_problem(reduction: str) -> None:
    rng = np.random.default_rng(33)
    logits = rng.normal(size=(5, 3))  # (K, N)
    target = np.array([4, 0, 2])
    loss, grad = xent.softmax_cross_entropy_with_grad(logits, target, axis=0, reduction=reduction)
    expected_loss, expected_grad = xent.softmax_cross_entropy_with_grad(
        logits.T, target, reduction=reduction
    )
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-14)
    np.testing.assert_allclose(grad, expected_grad.T, rtol=1e-14)
    log_probs = scipy.special.log_softmax(logits, axis=0)
    np.testing.assert_allclose(
        xent.nll_loss(log_probs, target, axis=0, reduction=reduction),
        xent.nll_loss(log_probs.T, target, reduction=reduction),
        rtol=1e-14,
    )


# --- PyTorch semantics over every option (reference written out above) -------------------


@dataclass
class Problem:
    logits: np.ndarray
    target: np.ndarray
    kwargs: dict[str, Any] = field(default_factory=dict)

    def loss(self, logits: np.ndarray | None = None, **override: Any) -> np.ndarray:
        z = self.logits if logits is None else logits
        return xent.softmax_cross_entropy(z, self.target, **{**self.kwargs, **override})

    def grad(self, **override: Any) -> np.ndarray:
        return xent.softmax_cross_entropy_grad(
            self.logits, self.target, **{**self.kwargs, **override}
        )


def make_problem(
    rng: np.random.Generator,
    *,
    target_kind: str,
    weighted: bool,
    ignore_index: int | None,
    label_smoothing: float,
    reduction: str,
    pytorch_layout: bool,
    scale: float = 3.0,
    num_samples: int = 4,
    num_classes: int = 3,
    probabilities: np.ndarray | None = None,
) -> Problem:
    """A random problem; ``probabilities`` (class axis last) replaces the drawn soft target."""
    shape = (num_samples, num_classes, 2) if pytorch_layout else (num_samples, num_classes)
    axis = 1 if pytorch_layout else -1
    logits = rng.normal(scale=scale, size=shape)
    sample_shape = (num_samples, 2) if pytorch_layout else (num_samples,)
    kwargs: dict[str, Any] = {"reduction": reduction, "label_smoothing": label_smoothing}
    if pytorch_layout:
        kwargs["axis"] = 1
    if weighted:
        kwargs["weight"] = rng.uniform(0.25, 2.0, num_classes)
    if target_kind == "index":
        target = rng.integers(0, num_classes, sample_shape)
        if ignore_index is not None:
            kwargs["ignore_index"] = ignore_index
            if ignore_index not in range(num_classes) and target.size > 1:
                target.flat[1] = ignore_index
            target.flat[0] = (ignore_index + 1) % num_classes  # at least one kept sample
    else:
        if probabilities is None:
            probabilities = rng.dirichlet(np.ones(num_classes) * 0.7, size=sample_shape)
        target = np.moveaxis(probabilities, -1, axis)
    return Problem(logits, target, kwargs)


CROSS_ENTROPY_OPTIONS = [
    pytest.param(
        kind,
        weighted,
        ignore,
        smoothing,
        reduction,
        layout,
        id=(
            f"{kind}-{'w' if weighted else 'nw'}-ign{ignore}-ls{smoothing}-{reduction}"
            f"-{'NCd' if layout else 'NC'}"
        ),
    )
    for kind, ignores in [("index", [None, -100, 1]), ("probabilities", [None])]
    for weighted in (False, True)
    for ignore in ignores
    for smoothing in (0.0, 0.3)
    for reduction in REDUCTIONS
    for layout in (False, True)
]


@pytest.mark.parametrize(
    ("target_kind", "weighted", "ignore_index", "label_smoothing", "reduction", "pytorch_layout"),
    CROSS_ENTROPY_OPTIONS,
)
def test_softmax_cross_entropy_follows_pytorch_and_its_gradient_equals_finite_differences(
    target_kind: str,
    weighted: bool,
    ignore_index: int | None,
    label_smoothing: float,
    reduction: str,
    pytorch_layout: bool,
) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{target_kind}{weighted}{ignore_index}".encode()))
    problem = make_problem(
        rng,
        target_kind=target_kind,
        weighted=weighted,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
        reduction=reduction,
        pytorch_layout=pytorch_layout,
    )
    np.testing.assert_allclose(
        problem.loss(),
        reference_cross_entropy(problem.logits, problem.target, **problem.kwargs),
        rtol=1e-13,
        atol=1e-14,
    )
    numeric = finite_difference_gradient(problem.loss, problem.logits)
    np.testing.assert_allclose(problem.grad(), numeric, rtol=1e-6, atol=1e-8)


@st.composite
def cross_entropy_problems(draw: st.DrawFn) -> Problem:
    num_samples = draw(st.integers(1, 4))
    num_classes = draw(st.integers(2, 5))
    pytorch_layout = draw(st.booleans())
    sample_shape = (num_samples, 2) if pytorch_layout else (num_samples,)
    return make_problem(
        np.random.default_rng(draw(seeds)),
        target_kind=draw(st.sampled_from(["index", "probabilities"])),
        weighted=draw(st.booleans()),
        ignore_index=draw(st.sampled_from([None, -100, 0, 2, 5])),
        label_smoothing=draw(st.sampled_from([0.0, 0.1, 1.0]) | st.floats(0.0, 1.0)),
        reduction=draw(st.sampled_from(REDUCTIONS)),
        pytorch_layout=pytorch_layout,
        scale=draw(st.sampled_from([0.1, 3.0, 20.0])),
        num_samples=num_samples,
        num_classes=num_classes,
        # normalised positive floats with exact zeros mixed in
        probabilities=draw(distributions(num_classes=num_classes, batch_shape=sample_shape)),
    )


@THOROUGH
@given(problem=cross_entropy_problems())
def test_softmax_cross_entropy_gradient_equals_finite_differences(problem: Problem) -> None:
    numeric = finite_difference_gradient(problem.loss, problem.logits)
    # atol: the central difference of a loss of a few hundred nats carries ~1e-7 of rounding
    np.testing.assert_allclose(problem.grad(), numeric, rtol=1e-5, atol=1e-6)


@FAST
@given(problem=cross_entropy_problems())
def test_softmax_cross_entropy_with_grad_equals_the_loss_and_the_gradient(problem: Problem) -> None:
    loss, grad = xent.softmax_cross_entropy_with_grad(
        problem.logits, problem.target, **problem.kwargs
    )
    np.testing.assert_allclose(loss, problem.loss(), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(grad, problem.grad(), rtol=1e-13, atol=1e-15)


@THOROUGH
@given(problem=cross_entropy_problems())
def test_sum_is_the_sum_of_none_and_mean_is_pytorchs_weighted_average(problem: Problem) -> None:
    none = problem.loss(reduction="none")
    np.testing.assert_allclose(problem.loss(reduction="sum"), none.sum(), rtol=1e-13, atol=1e-300)
    reference_kwargs = {**problem.kwargs, "reduction": "mean"}
    np.testing.assert_allclose(
        problem.loss(reduction="mean"),
        reference_cross_entropy(problem.logits, problem.target, **reference_kwargs),
        rtol=1e-12,
        atol=1e-14,
    )
    reference_none = reference_cross_entropy(
        problem.logits, problem.target, **{**problem.kwargs, "reduction": "none"}
    )
    # atol: where a loss is tiny the log_softmax reference is the less accurate of the two
    np.testing.assert_allclose(none, reference_none, rtol=1e-12, atol=1e-14)


@THOROUGH
@given(problem=cross_entropy_problems())
def test_gradient_rows_sum_to_zero_for_normalised_targets(problem: Problem) -> None:
    axis = problem.kwargs.get("axis", -1)
    grad = problem.grad(reduction="sum")
    # with class weights the rows still sum to 0; without, the gradient is q - p, in [-1, 1]
    scale = 1.0 + np.max(np.abs(grad))
    np.testing.assert_allclose(grad.sum(axis=axis) / scale, 0.0, atol=1e-14)
    if "weight" not in problem.kwargs:
        assert np.all(np.abs(grad) <= 1.0)


@FAST
@given(problem=cross_entropy_problems(), shift=st.floats(-100.0, 100.0))
def test_loss_and_gradient_are_invariant_to_shifting_the_logits(
    problem: Problem, shift: float
) -> None:
    shifted = Problem(problem.logits + shift, problem.target, problem.kwargs)
    np.testing.assert_allclose(shifted.loss(), problem.loss(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(shifted.grad(), problem.grad(), rtol=1e-9, atol=1e-11)


@FAST
@given(seed=seeds, smoothing=st.floats(0.0, 1.0), weighted=st.booleans())
def test_class_index_targets_equal_their_smoothed_one_hot_probability_targets(
    seed: int, smoothing: float, weighted: bool
) -> None:
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3, size=(4, 5))
    target = rng.integers(0, 5, 4)
    kwargs: dict[str, Any] = {"label_smoothing": smoothing, "reduction": "none"}
    if weighted:
        kwargs["weight"] = rng.uniform(0.2, 2.0, 5)
    np.testing.assert_allclose(
        xent.softmax_cross_entropy(logits, target, **kwargs),
        xent.softmax_cross_entropy(logits, one_hot(target, 5), **kwargs),
        rtol=1e-13,
    )
    np.testing.assert_allclose(
        xent.softmax_cross_entropy_grad(logits, target, **kwargs),
        xent.softmax_cross_entropy_grad(logits, one_hot(target, 5), **kwargs),
        rtol=1e-12,
        atol=1e-14,
    )


@FAST
@given(seed=seeds)
def test_probability_target_loss_is_the_cross_entropy_of_the_softmax(seed: int) -> None:
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3, size=(3, 4))
    target = rng.dirichlet(np.ones(4), size=3)
    np.testing.assert_allclose(
        xent.softmax_cross_entropy(logits, target, reduction="none"),
        xent.cross_entropy(target, xent.softmax(logits)),
        rtol=1e-12,
    )


@FAST
@given(
    seed=seeds,
    weighted=st.booleans(),
    ignore_index=st.sampled_from([-100, 1]),
    reduction=st.sampled_from(REDUCTIONS),
)
def test_nll_loss_of_log_softmax_is_the_softmax_cross_entropy(
    seed: int, weighted: bool, ignore_index: int, reduction: str
) -> None:
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3, size=(5, 4))
    target = rng.integers(0, 4, 5)
    target[0] = ignore_index
    target[1] = 3
    kwargs: dict[str, Any] = {"ignore_index": ignore_index, "reduction": reduction}
    if weighted:
        kwargs["weight"] = rng.uniform(0.2, 2.0, 4)
    np.testing.assert_allclose(
        xent.nll_loss(xent.log_softmax(logits), target, **kwargs),
        xent.softmax_cross_entropy(logits, target, **kwargs),
        rtol=1e-13,
    )


# --- binary losses over every option -----------------------------------------------------

BCE_LOGITS_OPTIONS = [
    pytest.param(weighted, pos_weighted, reduction, id=f"w{weighted}-pw{pos_weighted}-{reduction}")
    for weighted in (False, True)
    for pos_weighted in (False, True)
    for reduction in REDUCTIONS
]


def _binary_problem(
    rng: np.random.Generator, weighted: bool, pos_weighted: bool, reduction: str, scale: float = 4.0
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    logits = rng.normal(scale=scale, size=(3, 2))
    target = rng.uniform(size=(3, 2))
    target[0] = [0.0, 1.0]
    kwargs: dict[str, Any] = {"reduction": reduction}
    if weighted:
        kwargs["weight"] = rng.uniform(0.2, 2.0, (3, 2))
    if pos_weighted:
        kwargs["pos_weight"] = rng.uniform(0.2, 3.0, 2)
    return logits, target, kwargs


@pytest.mark.parametrize(("weighted", "pos_weighted", "reduction"), BCE_LOGITS_OPTIONS)
def test_binary_cross_entropy_with_logits_follows_pytorch_and_its_gradient_is_exact(
    weighted: bool, pos_weighted: bool, reduction: str
) -> None:
    rng = np.random.default_rng(34 + 2 * weighted + pos_weighted)
    logits, target, kwargs = _binary_problem(rng, weighted, pos_weighted, reduction)
    loss, grad = xent.binary_cross_entropy_with_logits_with_grad(logits, target, **kwargs)
    np.testing.assert_allclose(
        loss, reference_bce_with_logits(logits, target, **kwargs), rtol=1e-13
    )
    np.testing.assert_allclose(
        loss, xent.binary_cross_entropy_with_logits(logits, target, **kwargs), rtol=1e-15
    )
    np.testing.assert_allclose(
        grad, xent.binary_cross_entropy_with_logits_grad(logits, target, **kwargs), rtol=1e-15
    )
    numeric = finite_difference_gradient(
        lambda z: xent.binary_cross_entropy_with_logits(z, target, **kwargs), logits
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


@FAST
@given(
    seed=seeds,
    weighted=st.booleans(),
    pos_weighted=st.booleans(),
    reduction=st.sampled_from(REDUCTIONS),
    scale=st.sampled_from([0.1, 4.0, 30.0]),
)
def test_binary_cross_entropy_with_logits_gradient_equals_finite_differences(
    seed: int, weighted: bool, pos_weighted: bool, reduction: str, scale: float
) -> None:
    logits, target, kwargs = _binary_problem(
        np.random.default_rng(seed), weighted, pos_weighted, reduction, scale
    )
    numeric = finite_difference_gradient(
        lambda z: xent.binary_cross_entropy_with_logits(z, target, **kwargs), logits
    )
    grad = xent.binary_cross_entropy_with_logits_grad(logits, target, **kwargs)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)
    none = xent.binary_cross_entropy_with_logits(logits, target, **{**kwargs, "reduction": "none"})
    total = xent.binary_cross_entropy_with_logits(logits, target, **{**kwargs, "reduction": "sum"})
    mean = xent.binary_cross_entropy_with_logits(logits, target, **{**kwargs, "reduction": "mean"})
    np.testing.assert_allclose(total, none.sum(), rtol=1e-13)
    np.testing.assert_allclose(mean, none.sum() / none.size, rtol=1e-13)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_follows_pytorch_and_its_gradient_is_exact(
    weighted: bool, reduction: str
) -> None:
    rng = np.random.default_rng(40 + weighted)
    probs = rng.uniform(0.05, 0.95, size=(3, 2))
    target = rng.uniform(size=(3, 2))
    target[0] = [0.0, 1.0]
    kwargs: dict[str, Any] = {"reduction": reduction}
    if weighted:
        kwargs["weight"] = rng.uniform(0.2, 2.0, (3, 2))
    loss, grad = xent.binary_cross_entropy_with_grad(probs, target, **kwargs)
    np.testing.assert_allclose(loss, reference_bce(probs, target, **kwargs), rtol=1e-13)
    np.testing.assert_allclose(loss, xent.binary_cross_entropy(probs, target, **kwargs), rtol=1e-15)
    np.testing.assert_allclose(
        grad, xent.binary_cross_entropy_grad(probs, target, **kwargs), rtol=1e-15
    )
    numeric = finite_difference_gradient(
        lambda p: xent.binary_cross_entropy(p, target, **kwargs), probs
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


@FAST
@given(
    seed=seeds,
    weighted=st.booleans(),
    reduction=st.sampled_from(REDUCTIONS),
    shape=st.sampled_from([(5,), (3, 2), (2, 2, 2)]),
)
def test_binary_cross_entropy_gradient_equals_finite_differences(
    seed: int, weighted: bool, reduction: str, shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(seed)
    probs = rng.uniform(0.02, 0.98, size=shape)
    target = rng.choice([0.0, 1.0, 0.25], size=shape)
    kwargs: dict[str, Any] = {"reduction": reduction}
    if weighted:
        kwargs["weight"] = rng.uniform(0.2, 2.0, size=shape)
    numeric = finite_difference_gradient(
        lambda p: xent.binary_cross_entropy(p, target, **kwargs), probs
    )
    grad = xent.binary_cross_entropy_grad(probs, target, **kwargs)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)
    none = xent.binary_cross_entropy(probs, target, **{**kwargs, "reduction": "none"})
    np.testing.assert_allclose(
        xent.binary_cross_entropy(probs, target, **{**kwargs, "reduction": "sum"}),
        none.sum(),
        rtol=1e-13,
    )
    np.testing.assert_allclose(
        xent.binary_cross_entropy(probs, target, **{**kwargs, "reduction": "mean"}),
        none.mean(),
        rtol=1e-13,
    )


# --- float32 sums near the top of the range ----------------------------------------------------
#
# Found by a differential fuzz against PyTorch in float64: terms near float32's limit of 3.4e38
# add up beyond it, while the result asked for (a mean, a smoothed row's loss) is a float32
# number. PyTorch's float32 gives inf for these; the right float32 answer is the number.


def test_a_float32_mean_of_losses_near_the_limit_is_that_number_not_inf():
    big = np.float32(3e38)
    z = np.array([[0.0, big], [big, 0.0]], dtype=np.float32)  # each row's loss is 3e38
    y = np.array([0, 1])
    assert np.float32(xent.softmax_cross_entropy(z, y)) == big
    assert np.isinf(xent.softmax_cross_entropy(z, y, reduction="sum"))  # 6e38: inf in float32
    logits = np.full(4, big)  # (1 - t) z = 1.5e38 each, 6e38 together
    bce = xent.binary_cross_entropy_with_logits(logits, np.full(4, 0.5, dtype=np.float32))
    assert bce.dtype == np.float32 and bce == np.float32(1.5e38)
    assert xent.nll_loss(-z, 1 - y) == big  # picks -(-3e38) twice


@pytest.mark.parametrize("weight", [None, [1.5, 0.7, 2.0]])
def test_a_smoothed_rows_loss_near_the_limit_is_that_number_not_inf(weight):
    # row 0: three surprisals of 3e38 (9e38 together), each row's loss below 1.2e38
    z = np.array([[3e38, -1e30, -2e30], [-3.7, -3.2, 5.3], [1.7, 1e38, 2.08]], dtype=np.float32)
    y = np.array([0, 2, 1])
    options = {"weight": weight, "reduction": "none", "label_smoothing": 0.5}
    got = xent.softmax_cross_entropy(z, y, **options)
    assert np.all(np.isfinite(got)), got
    # float64 has room to spare at these magnitudes (and is held to PyTorch elsewhere)
    want = xent.softmax_cross_entropy(z.astype(np.float64), y, **options)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_a_smoothed_row_redone_plainly_sums_in_float64_too():
    # a class of weight 0 at a -inf logit sends the row to the plain version: three
    # surprisals of 1e38 or 2e38 in a loss of 1e37
    z = np.array([[1e38, -1e38, -1e38, -np.inf]], dtype=np.float32)
    options = {"weight": [1.0, 1.0, 1.0, 0.0], "reduction": "none", "label_smoothing": 0.1}
    got = xent.softmax_cross_entropy(z, np.array([0]), **options)
    want = xent.softmax_cross_entropy(z.astype(np.float64), np.array([0]), **options)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_a_weighted_binary_term_beyond_the_range_is_inf_without_a_warning():
    # 1.94 * 3.88 * 0.76 * 1e38 is beyond float32: inf is its value there, said without a warning
    loss = xent.binary_cross_entropy_with_logits(
        np.float32([-1e38]), np.float32([0.76]), weight=[1.94], pos_weight=[3.88], reduction="none"
    )
    assert np.isinf(loss[0])
