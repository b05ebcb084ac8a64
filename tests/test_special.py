"""xent.special: xlogy, entr, rel_entr, softplus, log_sigmoid.

Hand-checkable values, the 0 log 0 convention, NaN propagation, dtypes, and SciPy as the
reference on special inputs (identical values) and on random finite ones (rtol 1e-12).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.special

import xent

INF = np.inf
NAN = np.nan
SPECIAL_VALUES = [0.0, -0.0, 0.5, 1.0, 2.5, -1.0, INF, -INF, NAN]
SPECIAL_PAIRS = np.array(list(itertools.product(SPECIAL_VALUES, repeat=2))).T


# --- hand-checkable values ---------------------------------------------------------------


def test_xlogy_of_two_and_e_is_two() -> None:
    assert float(xent.xlogy(2.0, math.e)) == pytest.approx(2.0, rel=1e-15)


def test_entr_of_one_half_is_half_log_two() -> None:
    assert float(xent.entr(0.5)) == pytest.approx(0.5 * math.log(2), rel=1e-15)


def test_entr_of_one_is_zero() -> None:
    assert float(xent.entr(1.0)) == 0.0


def test_rel_entr_of_one_half_and_one_quarter_is_half_log_two() -> None:
    assert float(xent.rel_entr(0.5, 0.25)) == pytest.approx(0.5 * math.log(2), rel=1e-15)


def test_rel_entr_of_equal_arguments_is_exactly_zero() -> None:
    x = np.array([1e-300, 0.1, 0.3, 0.7, 1.0, 5.0])
    np.testing.assert_array_equal(xent.rel_entr(x, x), np.zeros_like(x))


def test_softplus_of_zero_is_log_two() -> None:
    assert float(xent.softplus(0.0)) == pytest.approx(math.log(2), rel=1e-15)


def test_log_sigmoid_of_zero_is_minus_log_two() -> None:
    assert float(xent.log_sigmoid(0.0)) == pytest.approx(-math.log(2), rel=1e-15)


def test_softplus_difference_is_the_identity() -> None:
    # softplus(z) - softplus(-z) = z: log(1 + e^z) - log(1 + e^-z) = log e^z
    z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(xent.softplus(z) - xent.softplus(-z), z, rtol=1e-13, atol=1e-13)


def test_log_sigmoid_is_minus_softplus_of_minus_z() -> None:
    z = np.linspace(-50, 50, 101)
    np.testing.assert_array_equal(xent.log_sigmoid(z), -xent.softplus(-z))


def test_softplus_is_the_identity_for_huge_positive_z_and_zero_for_huge_negative_z() -> None:
    np.testing.assert_array_equal(xent.softplus(np.array([1e300, 1e4])), [1e300, 1e4])
    np.testing.assert_array_equal(xent.softplus(np.array([-1e300, -1e4])), [0.0, 0.0])


# --- edge cases from the design ----------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "args", "expected"),
    [
        pytest.param(xent.xlogy, (0.0, 0.0), 0.0, id="xlogy(0, 0)"),
        pytest.param(xent.xlogy, (0.0, 0.3), 0.0, id="xlogy(0, 0.3)"),
        pytest.param(xent.entr, (0.0,), 0.0, id="entr(0)"),
        pytest.param(xent.rel_entr, (0.0, 0.0), 0.0, id="rel_entr(0, 0)"),
        pytest.param(xent.rel_entr, (0.0, 0.3), 0.0, id="rel_entr(0, 0.3)"),
    ],
)
def test_zero_log_zero_is_zero(function, args, expected) -> None:
    assert float(function(*args)) == expected


def test_rel_entr_is_infinite_where_p_is_positive_and_q_is_zero() -> None:
    assert float(xent.rel_entr(0.5, 0.0)) == INF


def test_xlogy_is_minus_infinity_where_x_is_positive_and_y_is_zero() -> None:
    assert float(xent.xlogy(0.5, 0.0)) == -INF


@pytest.mark.parametrize(
    ("function", "args"),
    [
        pytest.param(xent.xlogy, (NAN, 0.5), id="xlogy(nan, .5)"),
        pytest.param(xent.xlogy, (0.5, NAN), id="xlogy(.5, nan)"),
        pytest.param(xent.xlogy, (0.0, NAN), id="xlogy(0, nan)"),
        pytest.param(xent.entr, (NAN,), id="entr(nan)"),
        pytest.param(xent.rel_entr, (NAN, 0.5), id="rel_entr(nan, .5)"),
        pytest.param(xent.rel_entr, (0.5, NAN), id="rel_entr(.5, nan)"),
        pytest.param(xent.softplus, (NAN,), id="softplus(nan)"),
        pytest.param(xent.log_sigmoid, (NAN,), id="log_sigmoid(nan)"),
    ],
)
def test_nan_propagates_through_elementwise_functions(function, args) -> None:
    assert np.isnan(function(*args))


def test_nan_in_one_element_leaves_the_others_alone() -> None:
    x = np.array([0.5, NAN, 0.25])
    np.testing.assert_array_equal(xent.entr(x), [0.5 * math.log(2), NAN, 0.25 * math.log(4)])


# --- dtypes and input forms --------------------------------------------------------------

UNARY = [xent.entr, xent.softplus, xent.log_sigmoid]
BINARY = [xent.xlogy, xent.rel_entr]


@pytest.mark.parametrize("function", UNARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_functions_keep_the_float_dtype(function, dtype) -> None:
    x = np.array([0.0, 0.25, 0.5, 2.0], dtype=dtype)
    assert np.asarray(function(x)).dtype == dtype


@pytest.mark.parametrize("function", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_functions_keep_the_float_dtype(function, dtype) -> None:
    x = np.array([0.0, 0.25, 0.5, 2.0], dtype=dtype)
    assert np.asarray(function(x, x[::-1])).dtype == dtype


def test_binary_functions_return_the_result_type_of_their_float_inputs() -> None:
    x32 = np.array([0.25, 0.5], dtype=np.float32)
    x64 = np.array([0.5, 0.25])
    assert xent.rel_entr(x32, x64).dtype == np.float64
    assert xent.xlogy(x64, x32).dtype == np.float64


@pytest.mark.parametrize("function", UNARY, ids=lambda f: f.__name__)
def test_float16_input_is_computed_in_float32_and_returned_as_float16(function) -> None:
    x = np.array([0.0, 1e-3, 0.25, 0.5, 2.0, 11.0], dtype=np.float16)
    result = function(x)
    assert result.dtype == np.float16
    np.testing.assert_array_equal(result, function(x.astype(np.float32)).astype(np.float16))


@pytest.mark.parametrize("function", BINARY, ids=lambda f: f.__name__)
def test_binary_float16_input_is_computed_in_float32(function) -> None:
    x = np.array([0.0, 1e-3, 0.25, 0.5], dtype=np.float16)
    y = np.array([0.5, 0.25, 1e-3, 0.5], dtype=np.float16)
    result = function(x, y)
    assert result.dtype == np.float16
    expected = function(x.astype(np.float32), y.astype(np.float32)).astype(np.float16)
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("function", UNARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "values", [np.array([0, 1, 2]), np.array([False, True])], ids=["int", "bool"]
)
def test_integer_and_bool_input_give_float64(function, values) -> None:
    result = function(values)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, function(values.astype(np.float64)))


def test_binary_functions_accept_integers_and_give_float64() -> None:
    assert xent.xlogy(np.array([0, 2]), np.array([0, 1])).dtype == np.float64
    np.testing.assert_array_equal(xent.rel_entr(np.array([0, 1]), np.array([1, 1])), [0.0, 0.0])


def test_python_scalars_and_lists_are_accepted() -> None:
    assert float(xent.entr(0.5)) == pytest.approx(0.5 * math.log(2))
    np.testing.assert_allclose(xent.entr([0.5, 1.0]), [0.5 * math.log(2), 0.0])
    np.testing.assert_allclose(xent.xlogy([0, 1], [0, 2]), [0.0, math.log(2)])
    np.testing.assert_allclose(xent.rel_entr([0.5], [0.25]), [0.5 * math.log(2)])
    np.testing.assert_allclose(xent.softplus([0, 0.0]), [math.log(2)] * 2)
    np.testing.assert_allclose(xent.log_sigmoid(0), -math.log(2))


def test_binary_functions_broadcast_like_numpy() -> None:
    x = np.array([[0.0], [0.5]])
    y = np.array([0.25, 0.5, 1.0])
    assert xent.rel_entr(x, y).shape == (2, 3)
    np.testing.assert_allclose(xent.rel_entr(x, y), scipy.special.rel_entr(x, y), rtol=1e-15)


# --- SciPy as the reference --------------------------------------------------------------


def test_xlogy_equals_scipy_on_special_inputs() -> None:
    x, y = SPECIAL_PAIRS
    np.testing.assert_array_equal(xent.xlogy(x, y), scipy.special.xlogy(x, y))


def test_rel_entr_equals_scipy_on_special_inputs() -> None:
    x, y = SPECIAL_PAIRS
    np.testing.assert_array_equal(xent.rel_entr(x, y), scipy.special.rel_entr(x, y))


def test_entr_equals_scipy_on_special_inputs() -> None:
    x = np.array(SPECIAL_VALUES)
    np.testing.assert_array_equal(xent.entr(x), scipy.special.entr(x))


def test_log_sigmoid_equals_scipy_log_expit_on_special_inputs() -> None:
    z = np.array([0.0, -0.0, INF, -INF, NAN, 800.0, -800.0, 1e300, -1e300])
    np.testing.assert_array_equal(xent.log_sigmoid(z), scipy.special.log_expit(z))


def test_softplus_equals_minus_scipy_log_expit_of_minus_z_on_special_inputs() -> None:
    z = np.array([0.0, INF, -INF, NAN, 800.0, -800.0, 1e300, -1e300])
    np.testing.assert_array_equal(xent.softplus(z), -scipy.special.log_expit(-z))


def test_xlogy_matches_scipy_on_random_finite_inputs() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-3, 3, 1000)
    y = rng.uniform(1e-6, 5, 1000)
    np.testing.assert_allclose(xent.xlogy(x, y), scipy.special.xlogy(x, y), rtol=1e-12)


def test_entr_matches_scipy_on_random_finite_inputs() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 3, 1000)
    np.testing.assert_allclose(xent.entr(x), scipy.special.entr(x), rtol=1e-12)


def test_rel_entr_matches_scipy_on_random_finite_inputs() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, 1000)
    y = rng.uniform(0, 1, 1000)
    # Keep away from x ~ y, where SciPy's log(x / y) is the less accurate of the two.
    y = np.where(np.abs(x / y - 1) < 1e-2, y * 1.5, y)
    np.testing.assert_allclose(xent.rel_entr(x, y), scipy.special.rel_entr(x, y), rtol=1e-12)


def test_log_sigmoid_matches_scipy_on_random_finite_inputs() -> None:
    rng = np.random.default_rng(4)
    z = np.concatenate([rng.normal(0, 5, 500), rng.uniform(-700, 700, 500)])
    np.testing.assert_allclose(xent.log_sigmoid(z), scipy.special.log_expit(z), rtol=1e-12)


def test_softplus_matches_scipy_on_random_finite_inputs() -> None:
    rng = np.random.default_rng(5)
    z = np.concatenate([rng.normal(0, 5, 500), rng.uniform(-700, 700, 500)])
    np.testing.assert_allclose(xent.softplus(z), -scipy.special.log_expit(-z), rtol=1e-12)
