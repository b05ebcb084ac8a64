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


# --- The classes of silent wrong answer found by running peers' test cases (issue 15) --------

NAN_CALLS: dict[str, Callable[[np.ndarray], Any]] = {
    "logsumexp": xent.logsumexp,
    "logsumexp b": lambda z: xent.logsumexp(z, b=np.ones_like(z)),
    "softmax": xent.softmax,
    "log_softmax": xent.log_softmax,
    "softmax_jacobian": xent.softmax_jacobian,
    "entropy_from_logits": xent.entropy_from_logits,
    "ce index": lambda z: xent.softmax_cross_entropy_with_grad(z, np.zeros(len(z), dtype=int)),
    "ce index weight 0": lambda z: xent.softmax_cross_entropy_with_grad(
        z,
        np.zeros(len(z), dtype=int),
        weight=np.r_[0.0, np.ones(z.shape[1] - 1)],
        reduction="none",
    ),
    "ce probabilities": lambda z: xent.softmax_cross_entropy_with_grad(
        z, np.full(z.shape, 1 / z.shape[1])
    ),
    "focal": lambda z: xent.focal_loss_with_grad(z, np.zeros(len(z), dtype=int)),
    # nll_loss reads only the target's entry (as PyTorch's does): NaN there is NaN.
    "nll_loss": lambda z: xent.nll_loss(z, np.argmax(np.isnan(z), axis=1), reduction="none"),
}


@pytest.mark.parametrize("length", [1, 2, 3, 5])
@pytest.mark.parametrize("name", NAN_CALLS)
def test_a_nan_logit_makes_its_row_nan_at_every_row_length(name: str, length: int) -> None:
    for position in range(length):
        z = np.zeros((2, length))
        z[0, position] = NAN
        outputs = NAN_CALLS[name](z)
        for output in outputs if isinstance(outputs, tuple) else (outputs,):
            first_row = np.asarray(output)[0] if np.ndim(output) else output
            assert np.all(np.isnan(first_row)), (name, length, position, output)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_one_hot_at_the_smallest_normal_temperature(dtype: type) -> None:
    tiny = float(np.finfo(dtype).tiny)
    z = np.array([100.0, 200.0], dtype=dtype)
    for temperature in (tiny, 1e-37 if dtype == np.float32 else 1e-308):
        assert xent.softmax(z, temperature=temperature).tolist() == [0.0, 1.0]
        log_q = xent.log_softmax(z, temperature=temperature)
        assert log_q[1] == 0.0 and log_q[0] == -INF
        assert np.all(np.isfinite(xent.softmax_jacobian(z, temperature=temperature)))
        assert np.all(xent.softmax_jacobian(z, temperature=temperature) == 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_uniform_at_the_largest_temperature(dtype: type) -> None:
    huge = float(np.finfo(dtype).max)
    z = np.array([100.0, 200.0, -300.0], dtype=dtype)
    np.testing.assert_allclose(xent.softmax(z, temperature=huge), np.full(3, 1 / 3), rtol=1e-6)


def test_a_row_with_an_infinite_logit_keeps_its_limit_at_any_temperature() -> None:
    # Dividing [inf, 1e30] by 1e-300 would turn the finite entry into a second +inf.
    z = np.array([INF, 1e30, 0.0])
    assert xent.softmax(z, temperature=1e-300).tolist() == [1.0, 0.0, 0.0]


SUBNORMAL_CASES = [
    ("rel_entr", xent.rel_entr, (2.22e-308, 1e15)),
    ("rel_entr", xent.rel_entr, (1e-300, 1e10)),
    ("rel_entr", xent.rel_entr, (5e-310, 3.0)),
    ("rel_entr", xent.rel_entr, (3.0, 5e-310)),
    ("xlogy", xent.xlogy, (3e-310, 7e-320)),
    ("xlog1py", xent.xlog1py, (2.0, 3e-310)),
    ("entr", xent.entr, (4e-315,)),
]


@pytest.mark.parametrize(("name", "function", "args"), SUBNORMAL_CASES)
def test_special_functions_keep_full_relative_accuracy_at_subnormal_ratios(
    name: str, function: Callable[..., Any], args: tuple[float, ...]
) -> None:
    x = [mpmath.mpf(a) for a in args]
    exact = {
        "rel_entr": lambda: x[0] * mpmath.log(x[0] / x[1]),
        "xlogy": lambda: x[0] * mpmath.log(x[1]),
        "xlog1py": lambda: x[0] * mpmath.log1p(x[1]),
        "entr": lambda: -x[0] * mpmath.log(x[0]),
    }[name]()
    got = float(function(*args))
    if abs(float(exact)) < np.finfo(np.float64).tiny:  # a subnormal answer: absolute ulps
        assert abs(got - float(exact)) <= 2 * np.finfo(np.float64).smallest_subnormal
    else:
        assert abs(got - float(exact)) <= 4 * np.spacing(abs(float(exact)))


WIDENING_CALLS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "bce": lambda kw: xent.binary_cross_entropy(np.full(3, 0.5), np.zeros(3), **kw),
    "bce grad": lambda kw: xent.binary_cross_entropy_grad(np.full(3, 0.5), np.zeros(3), **kw),
    "bce logits": lambda kw: xent.binary_cross_entropy_with_logits(np.zeros(3), np.zeros(3), **kw),
    "bce logits grad": lambda kw: xent.binary_cross_entropy_with_logits_grad(
        np.zeros(3), np.zeros(3), **kw
    ),
}


@pytest.mark.parametrize(
    ("name", "keyword"),
    [(name, "weight") for name in WIDENING_CALLS]
    + [(name, "pos_weight") for name in WIDENING_CALLS if "logits" in name],
)
def test_no_weight_can_broadcast_the_loss_beyond_the_input_shape(name: str, keyword: str) -> None:
    with pytest.raises(ValueError, match=rf"{keyword} must broadcast to the input's shape \(3,\)"):
        WIDENING_CALLS[name]({keyword: np.ones((4, 1))})
    # A weight that broadcasts without widening is fine, and equals its expanded form.
    narrow = WIDENING_CALLS[name]({keyword: np.full((1,), 2.0)})
    full = WIDENING_CALLS[name]({keyword: np.full((3,), 2.0)})
    np.testing.assert_array_equal(narrow, full)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_a_mean_over_zero_total_weight_is_nan_with_nan_gradient_as_in_pytorch(
    smoothing: float,
) -> None:
    z = np.array([[1.0, 2.0, 0.5], [0.3, 0.1, 2.0], [0.0, 0.0, 0.0]])
    weight = np.array([0.0, 1.0, 2.0])
    loss, grad = xent.softmax_cross_entropy_with_grad(
        z, np.array([0, -100, 0]), weight=weight, label_smoothing=smoothing
    )
    assert np.isnan(loss)
    assert np.all(np.isnan(grad[[0, 2]])) and np.all(grad[1] == 0)  # the ignored row: 0
    # Every sample ignored: nan loss, zero gradient (PyTorch's answer too).
    loss, grad = xent.softmax_cross_entropy_with_grad(
        z, np.full(3, -100), label_smoothing=smoothing
    )
    assert np.isnan(loss) and np.all(grad == 0)


NUMBER_ARGUMENTS: dict[str, Callable[[Any], Any]] = {
    "temperature": lambda v: xent.softmax([1.0, 2.0], temperature=v),
    "base": lambda v: xent.entropy([0.5, 0.5], base=v),
    "label_smoothing": lambda v: xent.softmax_cross_entropy([[0.0, 1.0]], [0], label_smoothing=v),
    "gamma": lambda v: xent.focal_loss([[0.0, 1.0]], [0], gamma=v),
}


@pytest.mark.parametrize("value", ["2", b"2", "0.1", [2.0], True, 1j])
@pytest.mark.parametrize("name", NUMBER_ARGUMENTS)
def test_numeric_arguments_refuse_strings_and_other_non_numbers(name: str, value: Any) -> None:
    with pytest.raises(TypeError, match=rf"^{name} must be"):
        NUMBER_ARGUMENTS[name](value)


AXIS_CALLS: dict[str, Callable[[np.ndarray], Any]] = {
    "entropy": lambda p: xent.entropy(p, axis=1),
    "cross_entropy": lambda p: xent.cross_entropy(p, p, axis=1),
    "kl_divergence": lambda p: xent.kl_divergence(p, p, axis=1),
    "softmax_cross_entropy": lambda p: xent.softmax_cross_entropy(np.zeros(p.shape), p, axis=1),
    "expected_calibration_error": lambda p: xent.expected_calibration_error(p, [0, 1], axis=1),
}


@pytest.mark.parametrize("name", AXIS_CALLS)
def test_errors_name_the_axis_the_caller_passed(name: str) -> None:
    with pytest.raises(ValueError, match=r"must sum to 1 along axis 1;"):
        AXIS_CALLS[name](np.full((2, 3), 0.2))


def test_ignore_index_with_probability_targets_is_refused_not_ignored() -> None:
    z, p = np.zeros((2, 3)), np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match="ignore_index=0 with a target of probabilities"):
        xent.softmax_cross_entropy_grad(z, p, ignore_index=0)
    # The default ignore_index is no request at all.
    assert np.isclose(float(xent.softmax_cross_entropy(z, p)), np.log(3))


# --- SciPy's call: b=, return_sign=, several axes, 0-d and empty inputs ---------------------


def test_logsumexp_takes_scipys_b_and_return_sign() -> None:
    value, sign = xent.logsumexp([1.0, 1.0, 1.0], b=[1.0, -1.0, -1.0], return_sign=True)
    assert float(value) == 1.0 and float(sign) == -1.0
    assert np.isnan(xent.logsumexp([1.0, 1.0, 1.0], b=[1.0, -1.0, -1.0]))  # negative sum
    value, sign = xent.logsumexp([1.0, 1.0], b=[1.0, -1.0], return_sign=True)
    assert float(value) == -INF and float(sign) == 0.0
    assert float(xent.logsumexp([1.0, 10000.0], b=[1.0, 0.0])) == 1.0  # b = 0 drops the term
    # ... even the only term, where e^z overflows (SciPy 1.17: 0 * inf = NaN): an empty sum
    value, sign = xent.logsumexp([710.0], b=[0.0], return_sign=True)
    assert float(value) == -INF and float(sign) == 0.0


def test_logsumexp_with_b_keeps_a_tiny_rest_that_one_plus_it_would_round_away() -> None:
    # log(2 e^0 + e^-40) = log 2 + log1p(e^-40 / 2)
    got = float(xent.logsumexp([0.0, -40.0], b=[2.0, 1.0]))
    exact = float(mpmath.log(2 + mpmath.exp(-40)))
    assert abs(got - exact) <= np.spacing(exact)


def test_axis_none_and_tuples_reduce_several_axes_at_once() -> None:
    z = np.arange(24.0).reshape(2, 3, 4) / 7
    wide = np.moveaxis(z, 1, -1).reshape(2, 4 * 3)  # axes (0, 2) gathered last
    np.testing.assert_allclose(
        xent.logsumexp(z, axis=(0, 2)),
        [
            float(
                mpmath.log(
                    mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in z[:, k, :].ravel())
                )
            )
            for k in range(3)
        ],
        rtol=1e-15,
    )
    assert xent.logsumexp(z, axis=(0, 2), keepdims=True).shape == (1, 3, 1)
    q = xent.softmax(z, axis=(1, 2))
    np.testing.assert_allclose(q.sum(axis=(1, 2)), 1.0, rtol=1e-15)
    np.testing.assert_allclose(xent.softmax(z, axis=None).sum(), 1.0, rtol=1e-15)
    assert wide.shape == (2, 12)
    with pytest.raises(ValueError, match="names an axis of z twice"):
        xent.softmax(z, axis=(1, -2))


def test_a_zero_dimensional_input_is_one_entry() -> None:
    assert float(xent.logsumexp(3.0)) == 3.0
    assert float(xent.softmax(1000.0)) == 1.0
    assert float(xent.log_softmax(1.0)) == 0.0
    assert xent.logsumexp(3.0, axis=(0,), keepdims=True).shape == ()
