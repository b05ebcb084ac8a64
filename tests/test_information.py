"""xent.information: entropy, cross-entropy, KL divergence, binary entropy, units, perplexity.

Hand-checkable values, edge cases from the design, dtypes and axes, the laws of information
theory as hypothesis properties, and scipy.stats.entropy as the reference.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given
from strategies import FAST, THOROUGH, distribution_pairs, distributions, logits

import xent

INF = np.inf
NAN = np.nan
LN2 = math.log(2)


# --- hand-checkable values ---------------------------------------------------------------


def test_entropy_of_a_fair_coin_is_log_two_nats_and_one_bit() -> None:
    assert float(xent.entropy(np.array([0.5, 0.5]))) == pytest.approx(LN2, rel=1e-15)
    assert float(xent.entropy(np.array([0.5, 0.5]), base=2)) == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("num_classes", [1, 2, 3, 10, 1000])
def test_entropy_of_the_uniform_distribution_over_k_outcomes_is_log_k(num_classes: int) -> None:
    p = np.full(num_classes, 1.0 / num_classes)
    assert float(xent.entropy(p)) == pytest.approx(math.log(num_classes), rel=1e-13, abs=1e-15)
    assert float(xent.entropy(p, base=2)) == pytest.approx(math.log2(num_classes), abs=1e-13)


def test_entropy_of_a_fair_die_in_base_ten_is_log10_six() -> None:
    assert float(xent.entropy(np.full(6, 1 / 6), base=10)) == pytest.approx(
        math.log10(6), rel=1e-14
    )


def test_entropy_of_a_certain_outcome_is_zero() -> None:
    assert float(xent.entropy(np.array([0.0, 1.0, 0.0]))) == 0.0


def test_entropy_of_the_course_example() -> None:
    p = np.array([0.2, 0.3, 0.5])
    expected = -(0.2 * math.log(0.2) + 0.3 * math.log(0.3) + 0.5 * math.log(0.5))
    assert float(xent.entropy(p)) == pytest.approx(expected, rel=1e-15)


def test_cross_entropy_of_a_one_hot_is_minus_log_of_the_predicted_probability() -> None:
    p = np.array([0.0, 1.0, 0.0])
    q = np.array([0.2, 0.3, 0.5])
    assert float(xent.cross_entropy(p, q)) == pytest.approx(-math.log(0.3), rel=1e-15)


def test_cross_entropy_of_a_certain_outcome_under_a_fair_coin_is_one_bit() -> None:
    assert float(xent.cross_entropy(np.array([1.0, 0.0]), np.array([0.5, 0.5]), base=2)) == (
        pytest.approx(1.0, rel=1e-15)
    )


def test_kl_divergence_of_the_course_example() -> None:
    p = np.array([0.5, 0.5])
    q = np.array([0.9, 0.1])
    expected = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    assert float(xent.kl_divergence(p, q)) == pytest.approx(expected, rel=1e-14)
    assert float(xent.kl_divergence(p, q, base=2)) == pytest.approx(expected / LN2, rel=1e-14)


def test_kl_divergence_is_not_symmetric() -> None:
    p = np.array([0.5, 0.5])
    q = np.array([0.9, 0.1])
    forward = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    reverse = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)
    assert float(xent.kl_divergence(q, p)) == pytest.approx(reverse, rel=1e-14)
    assert forward != pytest.approx(reverse)


def test_binary_entropy_of_a_fair_coin_is_one_bit() -> None:
    assert float(xent.binary_entropy(0.5)) == pytest.approx(LN2, rel=1e-15)
    assert float(xent.binary_entropy(0.5, base=2)) == pytest.approx(1.0, rel=1e-15)


def test_binary_entropy_of_a_certain_outcome_is_zero() -> None:
    np.testing.assert_array_equal(xent.binary_entropy(np.array([0.0, 1.0])), [0.0, 0.0])


def test_binary_entropy_is_elementwise_and_symmetric() -> None:
    p = np.array([[0.11, 0.3], [0.7, 0.89]])
    expected = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    np.testing.assert_allclose(xent.binary_entropy(p, base=2), expected, rtol=1e-14)
    np.testing.assert_allclose(xent.binary_entropy(p), xent.binary_entropy(1 - p), rtol=1e-14)


def test_binary_entropy_equals_entropy_of_the_two_point_distribution() -> None:
    p = np.linspace(0, 1, 21)
    two_point = np.stack([p, 1 - p], axis=-1)
    np.testing.assert_allclose(xent.binary_entropy(p), xent.entropy(two_point), rtol=1e-14)


def test_entropy_from_logits_of_equal_logits_is_log_k() -> None:
    assert float(xent.entropy_from_logits(np.zeros(7))) == pytest.approx(math.log(7), rel=1e-15)
    assert float(xent.entropy_from_logits(np.zeros(8), base=2)) == pytest.approx(3.0, rel=1e-15)


def test_entropy_from_logits_equals_entropy_of_the_softmax() -> None:
    z = np.random.default_rng(20).normal(scale=3, size=(5, 6))
    np.testing.assert_allclose(
        xent.entropy_from_logits(z), xent.entropy(xent.softmax(z)), rtol=1e-12
    )


def test_perplexity_of_the_uniform_entropy_is_the_number_of_outcomes() -> None:
    assert float(xent.perplexity(math.log(50))) == pytest.approx(50.0, rel=1e-14)
    assert float(xent.perplexity(3.0, base=2)) == pytest.approx(8.0, rel=1e-15)
    assert float(xent.perplexity(2.0, base=10)) == pytest.approx(100.0, rel=1e-14)


def test_perplexity_does_not_depend_on_the_unit() -> None:
    p = np.array([0.1, 0.2, 0.3, 0.4])
    in_nats = xent.perplexity(xent.entropy(p))
    in_bits = xent.perplexity(xent.entropy(p, base=2), base=2)
    assert float(in_nats) == pytest.approx(float(in_bits), rel=1e-14)


def test_perplexity_is_elementwise() -> None:
    losses = np.array([0.0, LN2, math.log(10)])
    np.testing.assert_allclose(xent.perplexity(losses), [1.0, 2.0, 10.0], rtol=1e-14)


def test_one_bit_is_log_two_nats() -> None:
    assert float(xent.nats_to_bits(LN2)) == pytest.approx(1.0, rel=1e-15)
    assert float(xent.bits_to_nats(1.0)) == pytest.approx(LN2, rel=1e-15)


def test_unit_conversions_are_inverse_and_elementwise() -> None:
    x = np.array([[0.0, 0.5], [3.0, 1e-300]])
    np.testing.assert_allclose(xent.bits_to_nats(xent.nats_to_bits(x)), x, rtol=1e-15)
    np.testing.assert_allclose(xent.nats_to_bits(x), x / LN2, rtol=1e-15)


def test_entropy_in_bits_is_entropy_in_nats_converted() -> None:
    p = np.array([0.1, 0.2, 0.7])
    np.testing.assert_allclose(
        xent.entropy(p, base=2), xent.nats_to_bits(xent.entropy(p)), rtol=1e-15
    )


# --- edge cases from the design ----------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "args", "expected"),
    [
        pytest.param(xent.entropy, ([0.5, 0.0, 0.5],), LN2, id="entropy"),
        pytest.param(xent.cross_entropy, ([0.0, 1.0], [0.0, 1.0]), 0.0, id="cross_entropy p=q=0"),
        pytest.param(xent.cross_entropy, ([0.0, 1.0], [0.5, 0.5]), LN2, id="cross_entropy p=0<q"),
        pytest.param(xent.kl_divergence, ([0.0, 1.0], [0.0, 1.0]), 0.0, id="kl p=q=0"),
        pytest.param(xent.kl_divergence, ([0.0, 1.0], [0.5, 0.5]), LN2, id="kl p=0<q"),
        pytest.param(xent.binary_entropy, (0.0,), 0.0, id="binary_entropy(0)"),
        pytest.param(xent.binary_entropy, (1.0,), 0.0, id="binary_entropy(1)"),
        pytest.param(xent.entropy_from_logits, ([0.0, -INF, 0.0],), LN2, id="entropy_from_logits"),
    ],
)
def test_zero_log_zero_is_zero(function, args, expected) -> None:
    result = float(function(*map(np.asarray, args)))
    assert result == pytest.approx(expected, rel=1e-15, abs=0.0)


@pytest.mark.parametrize("function", [xent.cross_entropy, xent.kl_divergence])
def test_positive_p_where_q_is_zero_gives_infinity(function) -> None:
    assert float(function(np.array([0.5, 0.5]), np.array([1.0, 0.0]))) == INF


@pytest.mark.parametrize(
    ("function", "args"),
    [
        pytest.param(xent.entropy, ([[0.5, NAN], [0.5, 0.5]],), id="entropy"),
        pytest.param(xent.cross_entropy, ([[0.5, NAN], [0.5, 0.5]], [[0.5, 0.5]] * 2), id="ce p"),
        pytest.param(xent.cross_entropy, ([[0.5, 0.5]] * 2, [[0.5, NAN], [0.5, 0.5]]), id="ce q"),
        pytest.param(xent.kl_divergence, ([[0.5, NAN], [0.5, 0.5]], [[0.5, 0.5]] * 2), id="kl p"),
        pytest.param(xent.kl_divergence, ([[0.5, 0.5]] * 2, [[0.5, NAN], [0.5, 0.5]]), id="kl q"),
        pytest.param(xent.entropy_from_logits, ([[0.0, NAN], [0.0, 0.0]],), id="from logits"),
    ],
)
def test_nan_propagates_into_its_own_row_only(function, args) -> None:
    result = function(*map(np.asarray, args))
    assert np.isnan(result[0])
    assert np.isfinite(result[1])


@pytest.mark.parametrize(
    "function",
    [xent.binary_entropy, xent.perplexity, xent.nats_to_bits, xent.bits_to_nats],
    ids=lambda f: f.__name__,
)
def test_nan_propagates_through_elementwise_measures(function) -> None:
    result = function(np.array([NAN, 0.5]))
    assert np.isnan(result[0])
    assert np.isfinite(result[1])


def test_entropy_from_logits_of_a_certain_outcome_is_zero() -> None:
    assert float(xent.entropy_from_logits(np.array([-INF, 3.0, -INF]))) == 0.0


# --- dtypes, input forms, axes -----------------------------------------------------------

MEASURES = {
    "entropy": lambda p, **kw: xent.entropy(p, **kw),
    "cross_entropy": lambda p, **kw: xent.cross_entropy(p, p[..., ::-1], **kw),
    "kl_divergence": lambda p, **kw: xent.kl_divergence(p, p[..., ::-1], **kw),
    "entropy_from_logits": lambda p, **kw: xent.entropy_from_logits(p, **kw),
}


@pytest.mark.parametrize("name", MEASURES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_keeps_the_float_dtype(name: str, dtype: type) -> None:
    p = np.array([[0.25, 0.75], [0.5, 0.5]], dtype=dtype)
    assert MEASURES[name](p).dtype == dtype


@pytest.mark.parametrize("name", MEASURES)
def test_float16_is_computed_in_float32_and_returned_as_float16(name: str) -> None:
    p = np.array([[0.25, 0.75], [0.5, 0.5], [0.125, 0.875]], dtype=np.float16)
    result = MEASURES[name](p)
    assert result.dtype == np.float16
    np.testing.assert_array_equal(result, MEASURES[name](p.astype(np.float32)).astype(np.float16))


@pytest.mark.parametrize("function", [xent.binary_entropy, xent.perplexity])
def test_elementwise_measures_compute_float16_in_float32(function) -> None:
    x = np.array([0.0, 0.125, 0.5, 1.0], dtype=np.float16)
    result = function(x)
    assert result.dtype == np.float16
    np.testing.assert_array_equal(result, function(x.astype(np.float32)).astype(np.float16))


def test_mixed_float_inputs_give_the_result_type() -> None:
    p = np.array([0.25, 0.75], dtype=np.float32)
    q = np.array([0.5, 0.5], dtype=np.float64)
    assert xent.cross_entropy(p, q).dtype == np.float64
    assert xent.kl_divergence(q, p).dtype == np.float64


@pytest.mark.parametrize(
    ("function", "args"),
    [
        pytest.param(xent.entropy, (np.array([[0, 1], [1, 0]]),), id="entropy int"),
        pytest.param(xent.entropy, (np.array([[False, True]]),), id="entropy bool"),
        pytest.param(xent.cross_entropy, (np.array([[0, 1]]), np.array([[0, 1]])), id="ce int"),
        pytest.param(xent.kl_divergence, (np.array([[1, 0]]), np.array([[1, 0]])), id="kl int"),
        pytest.param(xent.binary_entropy, (np.array([0, 1]),), id="binary int"),
        pytest.param(xent.entropy_from_logits, (np.array([[0, 0]]),), id="from logits int"),
        pytest.param(xent.perplexity, (np.array([0, 1]),), id="perplexity int"),
        pytest.param(xent.nats_to_bits, (np.array([0, 1]),), id="nats_to_bits int"),
        pytest.param(xent.bits_to_nats, (np.array([True]),), id="bits_to_nats bool"),
    ],
)
def test_integer_and_bool_input_give_float64(function, args) -> None:
    assert function(*args).dtype == np.float64


def test_python_lists_and_scalars_are_accepted() -> None:
    assert float(xent.entropy([0.5, 0.5])) == pytest.approx(LN2)
    assert float(xent.cross_entropy([1, 0], [0.5, 0.5])) == pytest.approx(LN2)
    assert float(xent.kl_divergence([0.5, 0.5], [0.5, 0.5])) == 0.0
    assert float(xent.binary_entropy(0.5)) == pytest.approx(LN2)
    assert float(xent.entropy_from_logits([1.0, 1.0])) == pytest.approx(LN2)
    assert float(xent.perplexity(0)) == 1.0
    assert float(xent.nats_to_bits(0)) == 0.0


@pytest.mark.parametrize("axis", [0, 1, -2])
@pytest.mark.parametrize("name", MEASURES)
def test_another_axis_equals_moving_that_axis_last(name: str, axis: int) -> None:
    rng = np.random.default_rng(21)
    raw = rng.uniform(0.01, 1, size=(3, 4, 5))
    p = raw / raw.sum(axis=axis, keepdims=True)
    p_last = np.moveaxis(p, axis, -1)
    if name == "entropy_from_logits":
        p, p_last = np.log(p), np.log(p_last)
    function = MEASURES[name]
    if name in ("cross_entropy", "kl_divergence"):
        q = np.flip(p, axis=axis)
        expected = getattr(xent, name)(p_last, np.moveaxis(q, axis, -1))
        np.testing.assert_allclose(getattr(xent, name)(p, q, axis=axis), expected, rtol=1e-14)
    else:
        np.testing.assert_allclose(function(p, axis=axis), function(p_last), rtol=1e-14)


def test_entropy_takes_axis_as_a_keyword_only() -> None:
    p = np.array([[0.5, 0.5], [0.25, 0.75]])
    with pytest.raises(TypeError):
        xent.entropy(p, p)
    with pytest.raises(TypeError):
        xent.entropy(p, 0)


@pytest.mark.parametrize("function", [xent.cross_entropy, xent.kl_divergence])
def test_two_distribution_measures_take_axis_as_a_keyword_only(function) -> None:
    p = np.array([[0.5, 0.5], [0.25, 0.75]])
    with pytest.raises(TypeError):
        function(p, p, 0)


def test_base_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        xent.binary_entropy(0.5, 2)
    with pytest.raises(TypeError):
        xent.perplexity(1.0, 2)


# --- hypothesis laws ---------------------------------------------------------------------


@THOROUGH
@given(pair=distribution_pairs(batch_shape=(3,)))
def test_kl_is_zero_only_for_equal_distributions(pair: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pair
    np.testing.assert_array_equal(xent.kl_divergence(p, p), 0.0)
    kl = xent.kl_divergence(p, q)
    # a sum of p log(p / q) terms that cancel: near p == q it may round to -eps
    assert np.all(kl >= -4 * np.finfo(float).eps)
    # Pinsker: KL >= |p - q|_1^2 / 2, so a (near) zero KL forces p (near) equal to q
    l1 = np.abs(p - q).sum(axis=-1)
    assert np.all(kl >= 0.5 * l1**2 * (1 - 1e-12) - 1e-15)


@THOROUGH
@given(pair=distribution_pairs(batch_shape=(3,)))
def test_cross_entropy_is_entropy_plus_kl_divergence(pair: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pair
    np.testing.assert_allclose(
        xent.cross_entropy(p, q),
        xent.entropy(p) + xent.kl_divergence(p, q),
        rtol=1e-12,
        atol=1e-14,
    )


@THOROUGH
@given(p=distributions(batch_shape=(4,)))
def test_entropy_lies_between_zero_and_log_k(p: np.ndarray) -> None:
    h = xent.entropy(p)
    assert np.all(h >= 0)
    assert np.all(h <= math.log(p.shape[-1]) * (1 + 1e-14))


@FAST
@given(pair=distribution_pairs(batch_shape=(3,)))
def test_cross_entropy_is_never_below_entropy(pair: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pair
    assert np.all(xent.cross_entropy(p, q) >= xent.entropy(p) * (1 - 1e-14) - 1e-15)


@FAST
@given(pair=distribution_pairs(batch_shape=(2,)))
def test_base_two_measures_are_the_nat_measures_divided_by_log_two(
    pair: tuple[np.ndarray, np.ndarray],
) -> None:
    p, q = pair
    for name, args in [("entropy", (p,)), ("cross_entropy", (p, q)), ("kl_divergence", (p, q))]:
        function = getattr(xent, name)
        np.testing.assert_allclose(
            function(*args, base=2), function(*args) / LN2, rtol=1e-14, atol=1e-15
        )


@FAST
@given(z=logits(scale=30.0))
def test_entropy_from_logits_is_the_entropy_of_the_softmax(z: np.ndarray) -> None:
    np.testing.assert_allclose(
        xent.entropy_from_logits(z), xent.entropy(xent.softmax(z)), rtol=1e-9, atol=1e-12
    )


# --- SciPy as the reference --------------------------------------------------------------

SPECIAL_P = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5], [NAN, 0.5, 0.5]])
SPECIAL_Q = np.array([[0.5, 0.0, 0.5], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [0.5, 0.0, 0.5]])


@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("base", [None, 2.0])
def test_entropy_equals_scipy_on_special_inputs(axis: int, base: float | None) -> None:
    p = SPECIAL_P if axis == -1 else SPECIAL_P.T
    np.testing.assert_allclose(
        xent.entropy(p, axis=axis, base=base),
        scipy.stats.entropy(p, axis=axis, base=base),
        rtol=1e-15,
    )


@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("base", [None, 2.0])
def test_kl_divergence_equals_scipy_on_special_inputs(axis: int, base: float | None) -> None:
    p, q = (SPECIAL_P, SPECIAL_Q) if axis == -1 else (SPECIAL_P.T, SPECIAL_Q.T)
    np.testing.assert_allclose(
        xent.kl_divergence(p, q, axis=axis, base=base),
        scipy.stats.entropy(p, q, axis=axis, base=base),
        rtol=1e-15,
    )


def test_cross_entropy_equals_the_sum_of_scipy_entr_and_rel_entr_on_special_inputs() -> None:
    expected = np.sum(
        scipy.special.entr(SPECIAL_P) + scipy.special.rel_entr(SPECIAL_P, SPECIAL_Q), -1
    )
    np.testing.assert_allclose(xent.cross_entropy(SPECIAL_P, SPECIAL_Q), expected, rtol=1e-15)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_entropy_and_kl_match_scipy_on_random_distributions(axis: int) -> None:
    rng = np.random.default_rng(22 + axis)
    p = rng.dirichlet(np.ones(6), size=(4, 5))
    q = rng.dirichlet(np.ones(6), size=(4, 5))
    p, q = np.moveaxis(p, -1, axis), np.moveaxis(q, -1, axis)
    np.testing.assert_allclose(
        xent.entropy(p, axis=axis), scipy.stats.entropy(p, axis=axis), rtol=1e-12
    )
    np.testing.assert_allclose(
        xent.kl_divergence(p, q, axis=axis), scipy.stats.entropy(p, q, axis=axis), rtol=1e-12
    )
    np.testing.assert_allclose(
        xent.cross_entropy(p, q, axis=axis),
        scipy.stats.entropy(p, axis=axis) + scipy.stats.entropy(p, q, axis=axis),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        xent.entropy(p, axis=axis, base=2), scipy.stats.entropy(p, axis=axis, base=2), rtol=1e-12
    )
