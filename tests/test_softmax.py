"""xent.softmax: logsumexp, softmax, log_softmax, softmax_jacobian, sigmoid.

Hand-checkable values, edge cases, dtypes and axes, hypothesis laws (shift invariance,
normalisation) and SciPy as the reference with explicit axes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from strategies import FAST, logits

import xent

INF = np.inf
NAN = np.nan


# --- hand-checkable values ---------------------------------------------------------------


def test_logsumexp_of_two_zeros_is_log_two() -> None:
    assert float(xent.logsumexp(np.zeros(2))) == pytest.approx(math.log(2), rel=1e-15)


def test_logsumexp_of_two_thousands_is_a_thousand_plus_log_two() -> None:
    assert float(xent.logsumexp(np.array([1000.0, 1000.0]))) == pytest.approx(
        1000 + math.log(2), rel=1e-15
    )


def test_softmax_of_zero_and_log_three_is_one_quarter_and_three_quarters() -> None:
    np.testing.assert_allclose(xent.softmax(np.array([0.0, math.log(3)])), [0.25, 0.75], rtol=1e-15)


def test_softmax_of_log_probabilities_gives_the_probabilities_back() -> None:
    p = np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(xent.softmax(np.log(p)), p, rtol=1e-15)
    np.testing.assert_allclose(xent.log_softmax(np.log(p)), np.log(p), rtol=1e-15)


def test_softmax_of_equal_logits_is_uniform() -> None:
    np.testing.assert_allclose(
        xent.softmax(np.full((2, 4), 7.5)), np.full((2, 4), 0.25), rtol=1e-15
    )


def test_temperature_two_halves_the_logits() -> None:
    z = np.array([0.0, 2 * math.log(3)])
    np.testing.assert_allclose(xent.softmax(z, temperature=2.0), [0.25, 0.75], rtol=1e-15)
    np.testing.assert_allclose(
        xent.log_softmax(z, temperature=2.0), np.log([0.25, 0.75]), rtol=1e-15
    )


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0, 3.0, 100.0])
def test_softmax_with_temperature_is_softmax_of_scaled_logits(temperature: float) -> None:
    z = np.random.default_rng(10).normal(size=(3, 5))
    np.testing.assert_allclose(
        xent.softmax(z, temperature=temperature), xent.softmax(z / temperature), rtol=1e-13
    )
    np.testing.assert_allclose(
        xent.log_softmax(z, temperature=temperature),
        xent.log_softmax(z / temperature),
        rtol=1e-13,
        atol=1e-14,
    )


def test_sigmoid_of_zero_is_one_half_and_of_log_three_is_three_quarters() -> None:
    assert float(xent.sigmoid(0.0)) == 0.5
    assert float(xent.sigmoid(math.log(3))) == pytest.approx(0.75, rel=1e-15)


def test_sigmoid_is_the_two_class_softmax() -> None:
    z = np.linspace(-20, 20, 41)
    two_class = xent.softmax(np.stack([z, np.zeros_like(z)], axis=-1))[:, 0]
    np.testing.assert_allclose(xent.sigmoid(z), two_class, rtol=1e-14)


def test_log_softmax_is_logits_minus_logsumexp() -> None:
    z = np.random.default_rng(11).normal(size=(4, 6)) * 5
    np.testing.assert_allclose(
        xent.log_softmax(z), z - xent.logsumexp(z, keepdims=True), rtol=1e-14, atol=1e-14
    )


def test_logsumexp_keepdims_keeps_a_length_one_class_axis() -> None:
    z = np.zeros((2, 3, 4))
    assert xent.logsumexp(z).shape == (2, 3)
    assert xent.logsumexp(z, keepdims=True).shape == (2, 3, 1)
    assert xent.logsumexp(z, axis=1, keepdims=True).shape == (2, 1, 4)
    np.testing.assert_allclose(xent.logsumexp(z, axis=1), np.full((2, 4), math.log(3)))


# --- the softmax Jacobian ----------------------------------------------------------------


def test_softmax_jacobian_of_the_course_example_is_diag_q_minus_q_q_transpose() -> None:
    q = np.array([0.2, 0.3, 0.5])
    expected = np.array(
        [
            [0.2 - 0.04, -0.06, -0.10],
            [-0.06, 0.3 - 0.09, -0.15],
            [-0.10, -0.15, 0.5 - 0.25],
        ]
    )
    np.testing.assert_allclose(xent.softmax_jacobian(np.log(q)), expected, rtol=1e-13, atol=1e-15)


def test_softmax_jacobian_equals_finite_differences_of_softmax() -> None:
    z = np.random.default_rng(12).normal(size=5)
    jac = xent.softmax_jacobian(z)
    for i in range(5):
        numeric = xent.numerical_gradient(lambda v, i=i: float(xent.softmax(v)[i]), z)
        np.testing.assert_allclose(jac[i], numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_softmax_jacobian_with_temperature_is_divided_by_temperature(temperature: float) -> None:
    z = np.random.default_rng(13).normal(size=4)
    q = xent.softmax(z / temperature)
    expected = (np.diag(q) - np.outer(q, q)) / temperature
    np.testing.assert_allclose(
        xent.softmax_jacobian(z, temperature=temperature), expected, rtol=1e-13, atol=1e-15
    )


def test_softmax_jacobian_is_batched_over_leading_axes() -> None:
    z = np.random.default_rng(14).normal(size=(2, 3, 4))
    jac = xent.softmax_jacobian(z)
    assert jac.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(jac[1, 2], xent.softmax_jacobian(z[1, 2]), rtol=1e-15)


def test_softmax_jacobian_is_symmetric_with_rows_summing_to_zero() -> None:
    jac = xent.softmax_jacobian(np.random.default_rng(15).normal(size=(3, 5)))
    np.testing.assert_allclose(jac, np.swapaxes(jac, -1, -2), rtol=1e-15)
    np.testing.assert_allclose(jac.sum(axis=-1), 0.0, atol=1e-15)
    assert np.all(np.linalg.eigvalsh(jac) >= -1e-15)


# --- edge cases --------------------------------------------------------------------------


def test_minus_infinity_logits_get_zero_probability() -> None:
    z = np.array([[0.0, -INF, math.log(3)]])
    np.testing.assert_allclose(xent.softmax(z), [[0.25, 0.0, 0.75]], rtol=1e-15)
    np.testing.assert_allclose(
        xent.log_softmax(z), [[np.log(0.25), -INF, np.log(0.75)]], rtol=1e-15
    )
    assert float(xent.logsumexp(z)[0]) == pytest.approx(math.log(4), rel=1e-15)


def test_logsumexp_of_all_minus_infinity_is_minus_infinity() -> None:
    assert float(xent.logsumexp(np.array([-INF, -INF]))) == -INF


def test_logsumexp_with_a_plus_infinity_is_plus_infinity() -> None:
    assert float(xent.logsumexp(np.array([INF, 0.0, -INF]))) == INF


def test_sigmoid_has_exact_limits_at_infinity() -> None:
    np.testing.assert_array_equal(xent.sigmoid(np.array([INF, -INF])), [1.0, 0.0])


@pytest.mark.parametrize("nan_position", [0, 1, 2])
@pytest.mark.parametrize(
    "function",
    [xent.logsumexp, xent.softmax, xent.log_softmax, xent.softmax_jacobian],
    ids=lambda f: f.__name__,
)
def test_a_nan_logit_makes_its_whole_row_nan_and_leaves_other_rows_alone(
    function, nan_position: int
) -> None:
    z = np.array([[1.0, 2.0, 0.0], [1.0, 2.0, 0.0]])
    z[0, nan_position] = NAN
    result = function(z)
    assert np.all(np.isnan(result[0]))
    np.testing.assert_array_equal(result[1], function(z[1]))


def test_sigmoid_of_nan_is_nan() -> None:
    np.testing.assert_array_equal(xent.sigmoid(np.array([NAN, 0.0])), [NAN, 0.5])


# --- dtypes and input forms --------------------------------------------------------------

FAMILY = [xent.logsumexp, xent.softmax, xent.log_softmax, xent.softmax_jacobian, xent.sigmoid]


@pytest.mark.parametrize("function", FAMILY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_keeps_the_float_dtype(function, dtype) -> None:
    z = np.array([[0.5, -1.0, 2.0]], dtype=dtype)
    assert function(z).dtype == dtype


@pytest.mark.parametrize("function", FAMILY, ids=lambda f: f.__name__)
def test_float16_is_computed_in_float32_and_returned_as_float16(function) -> None:
    z = np.array([[0.5, -1.0, 2.0, 11.0], [-3.0, 0.0, 0.25, 60000.0]], dtype=np.float16)
    result = function(z)
    assert result.dtype == np.float16
    np.testing.assert_array_equal(result, function(z.astype(np.float32)).astype(np.float16))


def test_float16_logsumexp_of_large_logits_does_not_overflow() -> None:
    # exp(12) is already beyond float16's 65504; shifted by the max it is fine
    z = np.array([60000.0, 60000.0], dtype=np.float16)
    assert xent.logsumexp(z).dtype == np.float16
    assert float(xent.logsumexp(z)) == 60000.0


@pytest.mark.parametrize("function", FAMILY, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "values", [np.array([[0, 1, 2]]), np.array([[True, False, True]])], ids=["int", "bool"]
)
def test_integer_and_bool_input_give_float64(function, values) -> None:
    result = function(values)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, function(values.astype(np.float64)))


def test_python_lists_and_scalars_are_accepted() -> None:
    np.testing.assert_allclose(xent.softmax([0.0, math.log(3)]), [0.25, 0.75], rtol=1e-15)
    np.testing.assert_allclose(xent.log_softmax([[0, 0]]), [[-math.log(2)] * 2], rtol=1e-15)
    assert float(xent.logsumexp([0, 0])) == pytest.approx(math.log(2))
    assert float(xent.sigmoid(0)) == 0.5
    assert xent.softmax_jacobian([0.0, 0.0]).shape == (2, 2)


# --- axes --------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, -2])
def test_softmax_along_another_axis_equals_moving_that_axis_last(axis: int) -> None:
    z = np.random.default_rng(16).normal(size=(3, 4, 5))
    for function in (xent.softmax, xent.log_softmax):
        moved = np.moveaxis(function(np.moveaxis(z, axis, -1)), -1, axis)
        np.testing.assert_allclose(function(z, axis=axis), moved, rtol=1e-14)
    np.testing.assert_allclose(
        xent.logsumexp(z, axis=axis), xent.logsumexp(np.moveaxis(z, axis, -1)), rtol=1e-14
    )


@pytest.mark.parametrize("function", [xent.logsumexp, xent.softmax, xent.log_softmax])
def test_axis_is_keyword_only(function) -> None:
    with pytest.raises(TypeError):
        function(np.zeros((2, 3)), 0)


# --- hypothesis laws ---------------------------------------------------------------------


@FAST
@given(z=logits(), shift=st.floats(-1000, 1000))
def test_softmax_is_invariant_to_shifting_the_logits(z: np.ndarray, shift: float) -> None:
    np.testing.assert_allclose(xent.softmax(z + shift), xent.softmax(z), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        xent.log_softmax(z + shift), xent.log_softmax(z), rtol=1e-9, atol=1e-9
    )


@FAST
@given(z=logits(), shift=st.floats(-1000, 1000))
def test_logsumexp_of_shifted_logits_is_shifted(z: np.ndarray, shift: float) -> None:
    np.testing.assert_allclose(
        xent.logsumexp(z + shift), xent.logsumexp(z) + shift, rtol=1e-12, atol=1e-10
    )


@FAST
@given(z=logits(scale=700.0))
def test_softmax_rows_are_distributions(z: np.ndarray) -> None:
    q = xent.softmax(z)
    assert np.all((q >= 0) & (q <= 1))
    np.testing.assert_allclose(q.sum(axis=-1), 1.0, rtol=1e-14)
    assert np.all(xent.log_softmax(z) <= 0)


@FAST
@given(z=logits(scale=700.0))
def test_logsumexp_lies_between_the_max_and_the_max_plus_log_k(z: np.ndarray) -> None:
    lse = xent.logsumexp(z)
    top = z.max(axis=-1)
    assert np.all(lse >= top)
    assert np.all(lse <= top + math.log(z.shape[-1]) * (1 + 1e-15) + 1e-12)


# --- SciPy as the reference --------------------------------------------------------------

SPECIAL_ROWS = {
    "zeros": [0.0, 0.0, 0.0],
    "one -inf": [0.0, -INF, 1.0],
    "two -inf": [-INF, -INF, 2.0],
    "nan first": [NAN, 0.0, 1.0],
    "nan last": [0.0, 1.0, NAN],
    "nan and -inf": [NAN, -INF, 1.0],
    "huge": [1e300, -1e300, 0.0],
    "all hugely negative": [-1e300, -1e300, -1e300],
}
LOGSUMEXP_ONLY_ROWS = {
    "+inf": [INF, 0.0, -INF],
    "all -inf": [-INF, -INF, -INF],
    "two +inf": [INF, INF, 0.0],
}


@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize(
    "row",
    list({**SPECIAL_ROWS, **LOGSUMEXP_ONLY_ROWS}.values()),
    ids=list({**SPECIAL_ROWS, **LOGSUMEXP_ONLY_ROWS}),
)
def test_logsumexp_equals_scipy_on_special_inputs(row: list[float], axis: int) -> None:
    z = np.array([row, [0.5, 1.5, -2.0]])
    z = z if axis == -1 else z.T
    # nan, +-inf and exact zeros must coincide (assert_allclose has atol=0); the rest to rounding
    np.testing.assert_allclose(
        xent.logsumexp(z, axis=axis), scipy.special.logsumexp(z, axis=axis), rtol=1e-15
    )


@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("row", list(SPECIAL_ROWS.values()), ids=list(SPECIAL_ROWS))
def test_softmax_and_log_softmax_equal_scipy_on_special_inputs(row: list[float], axis: int) -> None:
    z = np.array([row, [0.5, 1.5, -2.0]])
    z = z if axis == -1 else z.T
    np.testing.assert_allclose(
        xent.softmax(z, axis=axis), scipy.special.softmax(z, axis=axis), rtol=1e-15
    )
    np.testing.assert_allclose(
        xent.log_softmax(z, axis=axis), scipy.special.log_softmax(z, axis=axis), rtol=1e-15
    )


def test_sigmoid_equals_scipy_expit_on_special_inputs() -> None:
    z = np.array([0.0, -0.0, INF, -INF, NAN, 800.0, -800.0, 1e300, -1e300])
    np.testing.assert_array_equal(xent.sigmoid(z), scipy.special.expit(z))


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_softmax_family_matches_scipy_on_random_logits(axis: int) -> None:
    z = np.random.default_rng(17 + axis).normal(scale=10, size=(4, 5, 6))
    np.testing.assert_allclose(
        xent.logsumexp(z, axis=axis), scipy.special.logsumexp(z, axis=axis), rtol=1e-12
    )
    np.testing.assert_allclose(
        xent.logsumexp(z, axis=axis, keepdims=True),
        scipy.special.logsumexp(z, axis=axis, keepdims=True),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        xent.softmax(z, axis=axis), scipy.special.softmax(z, axis=axis), rtol=1e-12
    )
    np.testing.assert_allclose(
        xent.log_softmax(z, axis=axis),
        scipy.special.log_softmax(z, axis=axis),
        rtol=1e-12,
        # near 0, SciPy's z - m - log(s) loses relative accuracy (xent is the more accurate)
        atol=1e-15,
    )


def test_sigmoid_matches_scipy_expit_on_random_logits() -> None:
    rng = np.random.default_rng(18)
    z = np.concatenate([rng.normal(0, 5, 500), rng.uniform(-700, 700, 500)])
    np.testing.assert_allclose(xent.sigmoid(z), scipy.special.expit(z), rtol=1e-12)


@pytest.mark.parametrize(
    ("z", "b", "expected", "sign"),
    [
        ([85059.4, 23840.3], [np.inf, np.inf], np.inf, 1.0),  # inf * e^(z - m) underflowed: NaN
        ([0.0, 3.0], [np.inf, 1.0], np.inf, 1.0),
        ([0.0, 3.0], [1.0, -np.inf], np.inf, -1.0),  # log |sum| = inf, the sum is negative
        ([0.0, 3.0], [np.inf, -np.inf], np.nan, np.nan),  # inf - inf
        ([700.0, 0.0, 3.0, np.inf], [1.0, np.inf, -np.inf, 1.0], np.nan, np.nan),
    ],
)
def test_an_infinite_scale_factor_makes_an_infinite_term(z, b, expected, sign) -> None:
    value, got_sign = xent.logsumexp(z, b=b, return_sign=True)
    np.testing.assert_equal([float(value), float(got_sign)], [expected, sign])
    with np.errstate(all="ignore"):
        np.testing.assert_equal(
            float(value), float(scipy.special.logsumexp(z, b=b, return_sign=True)[0])
        )
