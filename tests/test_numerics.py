"""Numerics that matter: no overflow, full relative accuracy in the confident regime, no warnings.

Exact values come from mpmath at 50 significant digits, computed from the very float64 inputs
xent sees, so the comparison measures xent's rounding error alone.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import pytest

import xent

INF = np.inf
NAN = np.nan
mpmath.mp.dps = 50


def exact_log1p_of_non_target_mass(row: np.ndarray, target: int) -> mpmath.mpf:
    """-log softmax(z)_y = log(1 + sum_{j != y} exp(z_j - z_y)), exactly."""
    z_y = mpmath.mpf(float(row[target]))
    rest = mpmath.fsum(
        mpmath.exp(mpmath.mpf(float(v)) - z_y) for j, v in enumerate(row) if j != target
    )
    return mpmath.log1p(rest)


def exact_log_softmax(row: np.ndarray) -> list[mpmath.mpf]:
    """log softmax(z), exactly: log1p keeps the tiny non-top mass that 1 + s would round away."""
    values = [mpmath.mpf(float(v)) for v in row]
    top = max(values)
    top_index = values.index(top)
    rest = mpmath.fsum(mpmath.exp(v - top) for j, v in enumerate(values) if j != top_index)
    log_total = mpmath.log1p(rest)
    return [v - top - log_total for v in values]


def exact_softmax(row: np.ndarray) -> list[mpmath.mpf]:
    return [mpmath.exp(v) for v in exact_log_softmax(row)]


def relative_error(actual: float, exact: mpmath.mpf) -> float:
    return float(abs((mpmath.mpf(float(actual)) - exact) / exact))


# --- no overflow, no NaN, at huge logits -------------------------------------------------

HUGE = {np.float32: 1e4, np.float64: 1e300}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_softmax_family_does_not_overflow_at_huge_logits(dtype: type) -> None:
    big = HUGE[dtype]
    z = np.array([[big, -big, 0.0], [-big, -big, -big], [big, big, big]], dtype=dtype)
    expected_lse = np.array([big, -big + math.log(3), big + math.log(3)], dtype=dtype)
    np.testing.assert_allclose(xent.logsumexp(z), expected_lse, rtol=1e-7)
    q = xent.softmax(z)
    assert q.dtype == dtype
    np.testing.assert_allclose(q, [[1, 0, 0], [1 / 3] * 3, [1 / 3] * 3], rtol=1e-6)
    log_q = xent.log_softmax(z)
    assert np.all(np.isfinite(log_q))
    np.testing.assert_allclose(log_q[0], [0.0, -2 * big, -big], rtol=1e-6)
    jac = xent.softmax_jacobian(z)
    assert np.all(np.isfinite(jac))
    np.testing.assert_allclose(jac[0], 0.0, atol=1e-30)
    entropy = xent.entropy_from_logits(z)
    np.testing.assert_allclose(entropy, [0.0, math.log(3), math.log(3)], rtol=1e-6, atol=1e-30)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_and_gradients_do_not_overflow_at_huge_logits(dtype: type, reduction: str) -> None:
    big = HUGE[dtype]
    z = np.array([[big, -big, 0.0], [-big, big, big]], dtype=dtype)
    loss, grad = xent.softmax_cross_entropy_with_grad(z, np.array([1, 0]), reduction=reduction)
    assert loss.dtype == dtype and grad.dtype == dtype
    expected_none = np.array([2 * big, 2 * big + math.log(2)])
    expected = {
        "none": expected_none,
        "sum": expected_none.sum(),
        "mean": expected_none.mean(),
    }[reduction]
    np.testing.assert_allclose(loss, expected, rtol=1e-7)
    scale = 0.5 if reduction == "mean" else 1.0
    np.testing.assert_allclose(grad, scale * np.array([[1, -1, 0], [-1, 0.5, 0.5]]), rtol=1e-6)

    soft_target = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]], dtype=dtype)
    loss, grad = xent.softmax_cross_entropy_with_grad(z, soft_target, reduction="none")
    np.testing.assert_allclose(loss, [big, math.log(2)], rtol=1e-7)
    assert np.all(np.isfinite(grad))

    logits = np.array([big, -big, big, -big], dtype=dtype)
    target = np.array([0.0, 1.0, 1.0, 0.0], dtype=dtype)
    loss, grad = xent.binary_cross_entropy_with_logits_with_grad(logits, target, reduction="none")
    np.testing.assert_allclose(loss, [big, big, 0.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(grad, [1.0, -1.0, 0.0, 0.0], atol=1e-30)


def test_float32_logits_of_ten_thousand_give_the_exact_float32_loss() -> None:
    z = np.array([[1e4, 0.0, -1e4]], dtype=np.float32)
    loss = xent.softmax_cross_entropy(z, np.array([2]))
    assert loss.dtype == np.float32
    assert float(loss) == 2e4


def test_elementwise_functions_do_not_overflow_at_huge_arguments() -> None:
    z = np.array([1e300, -1e300, 1e308, -1e308])
    np.testing.assert_array_equal(xent.softplus(z), [1e300, 0.0, 1e308, 0.0])
    np.testing.assert_array_equal(xent.log_sigmoid(z), [0.0, -1e300, 0.0, -1e308])
    np.testing.assert_array_equal(xent.sigmoid(z), [1.0, 0.0, 1.0, 0.0])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_float16_with_70000_classes_gives_a_finite_correct_loss(reduction: str) -> None:
    rng = np.random.default_rng(60)
    num_classes = 70_000
    # near-equal logits: sum_j exp(z_j - max) is about 70,000, beyond float16's 65,504
    logits16 = rng.uniform(-0.01, 0.01, size=(3, num_classes)).astype(np.float16)
    logits16[2] = rng.normal(scale=3, size=num_classes).astype(np.float16)
    target = np.array([5, 69_999, 123])
    loss, grad = xent.softmax_cross_entropy_with_grad(logits16, target, reduction=reduction)
    assert loss.dtype == np.float16 and grad.dtype == np.float16
    z = logits16.astype(np.float64)
    lse = np.log(np.sum(np.exp(z - z.max(axis=-1, keepdims=True)), axis=-1)) + z.max(axis=-1)
    per_sample = lse - z[np.arange(3), target]
    expected = per_sample.mean() if reduction == "mean" else per_sample.sum()
    assert np.isfinite(loss)
    assert float(loss) == pytest.approx(expected, rel=2e-3)
    assert np.all(np.isfinite(grad))
    q = np.exp(z - lse[:, None])
    expected_grad = q.copy()
    expected_grad[np.arange(3), target] -= 1
    if reduction == "mean":
        expected_grad /= 3
    np.testing.assert_allclose(grad.astype(np.float64), expected_grad, rtol=2e-3, atol=1e-7)


def test_float16_logsumexp_and_softmax_over_70000_classes_are_finite_and_correct() -> None:
    logits16 = np.zeros(70_000, dtype=np.float16)
    assert float(xent.logsumexp(logits16)) == pytest.approx(math.log(70_000), rel=1e-3)
    q = xent.softmax(logits16)
    assert q.dtype == np.float16
    np.testing.assert_allclose(q.astype(np.float64), 1 / 70_000, rtol=2e-2)


# --- the confident regime ----------------------------------------------------------------

MARGINS = [1.0, 5.0, 20.0, 36.5, 40.0, 100.0, 300.25, 600.0, 680.0, 690.0]


def _confident_logits(margin: float, num_classes: int, target: int) -> np.ndarray:
    """Target logit 0, the others at -margin, -margin - 0.5, -margin - 1, ..."""
    row = -margin - 0.5 * np.arange(num_classes - 1)
    return np.insert(row, target, 0.0)


@pytest.mark.parametrize("num_classes", [2, 5, 1000])
def test_confident_loss_has_full_relative_accuracy_down_to_1e_300(num_classes: int) -> None:
    target = np.array([min(1, num_classes - 1)] * len(MARGINS))
    logits = np.stack([_confident_logits(m, num_classes, int(target[0])) for m in MARGINS])
    loss = xent.softmax_cross_entropy(logits, target, reduction="none")
    for row, value, y in zip(logits, loss, target, strict=True):
        exact = exact_log1p_of_non_target_mass(row, int(y))
        assert relative_error(value, exact) <= 1e-13, (row[:3], value, exact)
    assert float(loss.min()) < 1e-298  # the smallest loss really is down near 1e-300


@pytest.mark.parametrize("num_classes", [2, 5, 1000])
def test_confident_gradient_at_the_target_is_minus_the_non_target_mass(num_classes: int) -> None:
    for margin in MARGINS:
        logits = _confident_logits(margin, num_classes, 0)[None, :]
        _, grad = xent.softmax_cross_entropy_with_grad(logits, np.array([0]), reduction="sum")
        q = exact_softmax(logits[0])
        exact_target = -mpmath.fsum(q[1:])
        assert relative_error(grad[0, 0], exact_target) <= 1e-13, (margin, grad[0, 0])
        for j in range(1, num_classes):
            if q[j] > 1e-300:  # beyond, the exact value underflows float64
                assert relative_error(grad[0, j], q[j]) <= 1e-12, (margin, j)
        assert grad[0, 0] < 0


@pytest.mark.parametrize("margin", MARGINS)
def test_confident_loss_with_a_probability_target_is_as_accurate(margin: float) -> None:
    logits = _confident_logits(margin, 4, 2)[None, :]
    loss = xent.softmax_cross_entropy(logits, np.array([[0.0, 0.0, 1.0, 0.0]]))
    exact = exact_log1p_of_non_target_mass(logits[0], 2)
    assert relative_error(float(loss), exact) <= 1e-13


@pytest.mark.parametrize("margin", MARGINS)
def test_log_softmax_of_the_dominant_logit_is_accurate(margin: float) -> None:
    logits = _confident_logits(margin, 5, 0)
    exact = -exact_log1p_of_non_target_mass(logits, 0)
    assert relative_error(xent.log_softmax(logits)[0], exact) <= 1e-13
    nll = xent.nll_loss(xent.log_softmax(logits)[None, :], np.array([0]))
    assert relative_error(float(nll), -exact) <= 1e-13


LARGE_LOGITS = [5.0, 30.0, 37.5, 50.0, 100.0, 300.0, 700.0]


@pytest.mark.parametrize("z", LARGE_LOGITS)
@pytest.mark.parametrize("label", [0.0, 1.0])
def test_binary_cross_entropy_with_logits_is_accurate_when_confidently_right(
    z: float, label: float
) -> None:
    logit = z if label == 1.0 else -z  # the right side, by a margin of z
    loss, grad = xent.binary_cross_entropy_with_logits_with_grad(
        np.array([logit]), np.array([label]), reduction="sum"
    )
    exact_loss = mpmath.log1p(mpmath.exp(-mpmath.mpf(z)))
    assert relative_error(float(loss), exact_loss) <= 1e-13
    # sigma(z) - y: minus (or plus) the probability of the wrong label, 1 / (1 + e^z)
    exact_grad = (-1 if label == 1.0 else 1) / (1 + mpmath.exp(mpmath.mpf(z)))
    assert relative_error(grad[0], exact_grad) <= 1e-13


@pytest.mark.parametrize("z", LARGE_LOGITS)
def test_pos_weight_keeps_the_confident_positive_loss_accurate(z: float) -> None:
    loss = xent.binary_cross_entropy_with_logits(
        np.array([z]), np.array([1.0]), pos_weight=np.array([2.5])
    )
    exact = 2.5 * mpmath.log1p(mpmath.exp(-mpmath.mpf(z)))
    assert relative_error(float(loss), exact) <= 1e-13


@pytest.mark.parametrize("z", LARGE_LOGITS)
def test_binary_cross_entropy_with_logits_is_accurate_when_confidently_wrong(z: float) -> None:
    loss = xent.binary_cross_entropy_with_logits(np.array([z]), np.array([0.0]))
    exact = mpmath.mpf(z) + mpmath.log1p(mpmath.exp(-mpmath.mpf(z)))
    assert relative_error(float(loss), exact) <= 1e-15


def test_softplus_log_sigmoid_and_sigmoid_match_mpmath_across_the_float64_range() -> None:
    rng = np.random.default_rng(61)
    z = np.concatenate(
        [
            [-700.0, -100.0, -37.0, -1e-10, 0.0, 1e-10, 37.0, 100.0, 700.0],
            rng.uniform(-700, 700, 100),
            rng.normal(0, 10, 100),
        ]
    )
    softplus = xent.softplus(z)
    log_sigmoid = xent.log_sigmoid(z)
    sigmoid = xent.sigmoid(z)
    for value, sp, ls, sg in zip(z, softplus, log_sigmoid, sigmoid, strict=True):
        x = mpmath.mpf(float(value))
        assert relative_error(sp, mpmath.log1p(mpmath.exp(x))) <= 1e-13, value
        assert relative_error(ls, -mpmath.log1p(mpmath.exp(-x))) <= 1e-13, value
        assert relative_error(sg, 1 / (1 + mpmath.exp(-x))) <= 1e-14, value


@pytest.mark.parametrize("delta", [1e-3, 1e-6, 1e-9, 1e-12, -1e-9, -1e-14])
@pytest.mark.parametrize("x", [0.3, 1e-5, 0.9])
def test_rel_entr_is_accurate_when_p_is_close_to_q(x: float, delta: float) -> None:
    y = x * (1 + delta)
    exact = mpmath.mpf(x) * mpmath.log(mpmath.mpf(x) / mpmath.mpf(y))
    assert relative_error(xent.rel_entr(x, y), exact) <= 1e-13


@pytest.mark.parametrize("margin", [5.0, 20.0, 40.0, 100.0, 300.0, 690.0])
@pytest.mark.parametrize("num_classes", [2, 10])
def test_entropy_from_logits_is_accurate_when_the_entropy_is_tiny(
    margin: float, num_classes: int
) -> None:
    logits = _confident_logits(margin, num_classes, 0)
    log_q = exact_log_softmax(logits)
    exact = -mpmath.fsum(mpmath.exp(v) * v for v in log_q)
    assert relative_error(xent.entropy_from_logits(logits), exact) <= 1e-12
    exact_bits = exact / mpmath.log(2)
    assert relative_error(xent.entropy_from_logits(logits, base=2), exact_bits) <= 1e-12


# --- no RuntimeWarning escapes -----------------------------------------------------------

Z_NASTY = {
    "zeros": np.zeros((2, 3)),
    "+inf": np.array([[INF, 0.0, 1.0]]),
    "two +inf": np.array([[INF, INF, 0.0]]),
    "-inf": np.array([[-INF, 0.0, 1.0]]),
    "all -inf": np.array([[-INF, -INF, -INF]]),
    "+inf and -inf": np.array([[INF, -INF, 0.0]]),
    "nan": np.array([[NAN, 0.0, 1.0]]),
    "1e308 spread": np.array([[1e308, -1e308, 0.0]]),
    "float32 extremes": np.array([[3e38, -3e38, 0.0]], dtype=np.float32),
    "float16 extremes": np.array([[60000.0, -60000.0, 0.0]], dtype=np.float16),
}
LOGIT_FUNCTIONS: dict[str, Callable[[np.ndarray], Any]] = {
    "logsumexp": xent.logsumexp,
    "softmax": xent.softmax,
    "log_softmax": xent.log_softmax,
    "softmax at temperature 1e-300": lambda z: xent.softmax(z, temperature=1e-300),
    "log_softmax at temperature 1e300": lambda z: xent.log_softmax(z, temperature=1e300),
    "softmax_jacobian": xent.softmax_jacobian,
    "sigmoid": xent.sigmoid,
    "softplus": xent.softplus,
    "log_sigmoid": xent.log_sigmoid,
    "entropy_from_logits": xent.entropy_from_logits,
    "ce index": lambda z: xent.softmax_cross_entropy_with_grad(z, np.zeros(len(z), dtype=int)),
    "ce index none": lambda z: xent.softmax_cross_entropy_with_grad(
        z, np.full(len(z), 2), reduction="none", label_smoothing=0.1
    ),
    "ce index grad": lambda z: xent.softmax_cross_entropy_grad(z, np.full(len(z), 1)),
    "ce probabilities": lambda z: xent.softmax_cross_entropy_with_grad(
        z, np.tile([0.0, 0.5, 0.5], (len(z), 1)), weight=np.array([1.0, 2.0, 3.0])
    ),
    "nll_loss": lambda z: xent.nll_loss(z, np.zeros(len(z), dtype=int)),
    "bce with logits": lambda z: xent.binary_cross_entropy_with_logits_with_grad(
        z, np.tile([0.0, 1.0, 0.3], (len(z), 1)), pos_weight=np.array([2.0, 0.5, 1.0])
    ),
    "bce with logits none": lambda z: xent.binary_cross_entropy_with_logits(
        z, np.tile([1.0, 0.0, 0.5], (len(z), 1)), reduction="none"
    ),
}


@pytest.mark.parametrize("inputs", Z_NASTY)
@pytest.mark.parametrize("name", LOGIT_FUNCTIONS)
def test_no_runtime_warning_escapes_from_functions_of_logits(name: str, inputs: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LOGIT_FUNCTIONS[name](Z_NASTY[inputs])


DISTRIBUTION_CALLS: dict[str, Callable[[], Any]] = {
    "entropy with zeros": lambda: xent.entropy(np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])),
    "cross_entropy q = 0 < p": lambda: xent.cross_entropy([0.5, 0.5], [1.0, 0.0]),
    "cross_entropy p = q = 0": lambda: xent.cross_entropy([1.0, 0.0], [1.0, 0.0]),
    "kl q = 0 < p": lambda: xent.kl_divergence([0.5, 0.5], [1.0, 0.0]),
    "kl p = q = 0": lambda: xent.kl_divergence([0.0, 1.0], [0.0, 1.0]),
    "kl nan": lambda: xent.kl_divergence([NAN, 0.5], [0.5, 0.5]),
    "entropy nan": lambda: xent.entropy([NAN, 0.5]),
    "binary_entropy ends": lambda: xent.binary_entropy(np.array([0.0, 1.0, NAN])),
    "perplexity huge": lambda: xent.perplexity(np.array([1000.0, 1e308, INF, NAN])),
    "perplexity bits huge": lambda: xent.perplexity(np.array([2000.0, INF]), base=2),
    "nats_to_bits inf": lambda: xent.nats_to_bits(np.array([INF, -INF, NAN, 1e308])),
    "bits_to_nats inf": lambda: xent.bits_to_nats(np.array([INF, -INF, NAN, 1e308])),
    "xlogy": lambda: xent.xlogy(np.array([0.0, 1.0, 0.0, INF, -1.0]), np.array([0, 0, -1, 0, 2])),
    "entr": lambda: xent.entr(np.array([0.0, -1.0, INF, NAN])),
    "rel_entr": lambda: xent.rel_entr(
        np.array([0.0, 1.0, -1.0, INF, 1.0, 0.0]), np.array([0.0, 0.0, 1.0, INF, INF, -1.0])
    ),
    "bce probs 0 and 1": lambda: xent.binary_cross_entropy_with_grad(
        np.array([0.0, 1.0, 0.0, 1.0, 0.0]), np.array([0.0, 1.0, 1.0, 0.0, 0.3])
    ),
    "bce grad at the ends": lambda: xent.binary_cross_entropy_grad(
        np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0, 0.0]), reduction="none"
    ),
    "ce all ignored": lambda: xent.softmax_cross_entropy_with_grad(
        np.zeros((2, 3)), np.array([-100, -100])
    ),
    "ce all ignored, weighted": lambda: xent.softmax_cross_entropy_with_grad(
        np.zeros((2, 3)), np.array([1, 1]), ignore_index=1, weight=np.ones(3)
    ),
    "ce zero weights": lambda: xent.softmax_cross_entropy_with_grad(
        np.zeros((2, 3)), np.array([0, 1]), weight=np.zeros(3)
    ),
    "nll all ignored": lambda: xent.nll_loss(np.zeros((2, 3)), np.array([-100, -100])),
    "nll -inf": lambda: xent.nll_loss(np.array([[-INF, 0.0]]), np.array([0])),
    "check_gradient zero": lambda: xent.check_gradient(lambda v: 0.0, np.zeros_like, [1.0, 2.0]),
    "numerical_gradient inf": lambda: xent.numerical_gradient(lambda v: INF, [1.0]),
}


@pytest.mark.parametrize("name", DISTRIBUTION_CALLS)
def test_no_runtime_warning_escapes_from_the_other_functions(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DISTRIBUTION_CALLS[name]()
