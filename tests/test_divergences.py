"""xent.divergences: Jensen-Shannon, total variation, Hellinger, chi-squared and f_divergence.

Hand-checkable values, the edge cases of the design (zeros, q = 0 < p, NaN, dtypes, axes),
SciPy's Jensen-Shannon distance and a 50-digit mpmath sum as references, the generators
``sum q f(p / q)`` as an independent formula, and the laws of the family as hypothesis
properties: symmetry where it holds, bounds, Pinsker's inequality, metric properties.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import pytest
import scipy.spatial.distance
from hypothesis import given
from hypothesis import strategies as st
from strategies import FAST, THOROUGH, distribution_pairs, distributions

import xent

LN2 = math.log(2)
KINDS = tuple(xent.F_DIVERGENCES)
SYMMETRIC = ("js", "total_variation", "squared_hellinger")
RNG_SEED = 20261201


def _generator(kind: str, t: np.ndarray) -> np.ndarray:
    """The generator ``f`` of each f-divergence, written independently of xent."""
    if kind == "kl":
        return t * np.log(t)
    if kind == "reverse_kl":
        return -np.log(t)
    if kind == "js":
        return (t * np.log(t) - (1 + t) * np.log((1 + t) / 2)) / 2
    if kind == "total_variation":
        return np.abs(t - 1) / 2
    if kind == "chi2":
        return (t - 1) ** 2
    return (np.sqrt(t) - 1) ** 2 / 2


def _random_pairs(size: int, num_classes: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(RNG_SEED)
    return (
        rng.dirichlet(np.ones(num_classes), size=size),
        rng.dirichlet(np.ones(num_classes), size=size),
    )


# --- hand-checkable values ---------------------------------------------------------------


def test_js_of_disjoint_distributions_is_log_two_nats_and_one_bit() -> None:
    assert float(xent.js_divergence([1.0, 0.0], [0.0, 1.0])) == pytest.approx(LN2, rel=1e-15)
    assert float(xent.js_divergence([0.5, 0.5, 0, 0], [0, 0, 0.2, 0.8], base=2)) == (
        pytest.approx(1.0, rel=1e-15)
    )


def test_js_of_a_certain_and_a_fair_coin_by_hand() -> None:
    # m = (3/4, 1/4): JS = 1/2 [log(4/3)] + 1/2 [1/2 log(2/3) + 1/2 log 2]
    expected = 0.5 * math.log(4 / 3) + 0.5 * (0.5 * math.log(2 / 3) + 0.5 * math.log(2))
    assert float(xent.js_divergence([1.0, 0.0], [0.5, 0.5])) == pytest.approx(expected, rel=1e-15)


def test_total_variation_is_half_the_l1_distance() -> None:
    assert float(xent.total_variation([0.5, 0.5], [0.9, 0.1])) == pytest.approx(0.4, rel=1e-15)
    assert float(xent.total_variation([0.2, 0.3, 0.5], [0.5, 0.3, 0.2])) == pytest.approx(0.3)


def test_hellinger_distance_by_hand() -> None:
    # 1 - sum sqrt(p q) = 1 - 2 sqrt(3/16) = 1 - sqrt(3)/2
    expected = math.sqrt(1 - math.sqrt(3) / 2)
    value = float(xent.hellinger_distance([0.25, 0.75], [0.75, 0.25]))
    assert value == pytest.approx(expected, rel=1e-14)


def test_chi2_divergence_by_hand() -> None:
    # (0.4^2 / 0.9) + (0.4^2 / 0.1) = 0.16 / 0.9 + 1.6
    assert float(xent.chi2_divergence([0.5, 0.5], [0.9, 0.1])) == pytest.approx(
        0.16 / 0.9 + 1.6, rel=1e-14
    )


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (xent.js_divergence, LN2),
        (xent.total_variation, 1.0),
        (xent.hellinger_distance, 1.0),
        (xent.chi2_divergence, np.inf),
    ],
)
def test_disjoint_supports_give_the_largest_value(
    function: Callable[..., np.ndarray], expected: float
) -> None:
    assert float(function([0.0, 0.3, 0.7], [1.0, 0.0, 0.0])) == pytest.approx(expected)


@pytest.mark.parametrize("kind", KINDS)
def test_f_divergence_matches_sum_of_q_times_generator_of_the_ratio(kind: str) -> None:
    p, q = _random_pairs(2000)
    by_generator = np.sum(q * _generator(kind, p / q), axis=-1)
    np.testing.assert_allclose(xent.f_divergence(p, q, kind), by_generator, rtol=1e-12)


@pytest.mark.parametrize(
    ("kind", "named"),
    [
        ("kl", lambda p, q: xent.kl_divergence(p, q)),
        ("reverse_kl", lambda p, q: xent.kl_divergence(q, p)),
        ("js", lambda p, q: xent.js_divergence(p, q)),
        ("total_variation", lambda p, q: xent.total_variation(p, q)),
        ("chi2", lambda p, q: xent.chi2_divergence(p, q)),
        ("squared_hellinger", lambda p, q: xent.hellinger_distance(p, q) ** 2),
    ],
)
def test_f_divergence_dispatches_to_the_named_function(
    kind: str, named: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> None:
    p, q = _random_pairs(200)
    np.testing.assert_allclose(xent.f_divergence(p, q, kind), named(p, q), rtol=1e-14)


# --- references ----------------------------------------------------------------------------


def test_js_is_the_square_of_scipys_jensen_shannon_distance() -> None:
    p, q = _random_pairs(5000, num_classes=7)
    scipy_distance = scipy.spatial.distance.jensenshannon(p, q, axis=-1)
    np.testing.assert_allclose(xent.js_divergence(p, q), scipy_distance**2, rtol=1e-12)
    scipy_bits = scipy.spatial.distance.jensenshannon(p, q, base=2, axis=-1)
    np.testing.assert_allclose(xent.js_divergence(p, q, base=2), scipy_bits**2, rtol=1e-12)


def test_js_matches_scipy_with_zeros() -> None:
    p = np.array([0.5, 0.5, 0.0, 0.0])
    q = np.array([0.0, 0.25, 0.25, 0.5])
    expected = scipy.spatial.distance.jensenshannon(p, q) ** 2
    assert float(xent.js_divergence(p, q)) == pytest.approx(expected, rel=1e-13)


def _js_mpmath(p: np.ndarray, q: np.ndarray) -> float:
    with mpmath.workdps(60):
        total = mpmath.mpf(0)
        for a, b in zip(p.tolist(), q.tolist(), strict=True):
            a, b = mpmath.mpf(a), mpmath.mpf(b)
            m = (a + b) / 2
            total += (a * mpmath.log(a / m) + b * mpmath.log(b / m)) / 2
        return float(total)


@pytest.mark.parametrize("gap", [1e-3, 1e-6, 1e-9, 1e-12])
def test_js_keeps_full_relative_accuracy_for_close_distributions(gap: float) -> None:
    p = np.array([0.3, 0.2, 0.5])
    q = np.array([0.3 + gap, 0.2 - gap, 0.5])
    exact = _js_mpmath(p, q)
    assert exact > 0
    assert float(xent.js_divergence(p, q)) == pytest.approx(exact, rel=1e-13)


def test_js_with_tiny_and_huge_ratios_is_accurate() -> None:
    p = np.array([1e-300, 1e-20, 1.0 - 1e-20 - 1e-300])
    q = np.array([0.5, 1e-200, 0.5 - 1e-200])
    assert float(xent.js_divergence(p, q)) == pytest.approx(_js_mpmath(p, q), rel=1e-13)


def _squared_hellinger_mpmath(p: np.ndarray, q: np.ndarray) -> mpmath.mpf:
    """sum (sqrt p - sqrt q)^2 / 2, to 60 digits, from the very floats of p and q."""
    with mpmath.workdps(60):
        return sum(
            (mpmath.sqrt(mpmath.mpf(float(a))) - mpmath.sqrt(mpmath.mpf(float(b)))) ** 2
            for a, b in zip(np.ravel(p).tolist(), np.ravel(q).tolist(), strict=True)
        ) / 2


@pytest.mark.parametrize(
    ("dtype", "gap"),
    [(np.float64, g) for g in (1e-3, 1e-6, 1e-10, 1e-14)]
    + [(np.float32, g) for g in (1e-3, 1e-6)],
)
def test_hellinger_keeps_full_relative_accuracy_for_close_distributions(
    dtype: type, gap: float
) -> None:
    # sqrt(p) - sqrt(q) cancels for close p and q (it was 8 % off in float64 and up to 3x in
    # float32); (p - q) / (sqrt(p) + sqrt(q)) keeps every digit.
    p = np.array([0.3, 0.7], dtype=dtype)
    q = (p + np.array([gap, -gap])).astype(dtype)
    assert not np.array_equal(p, q)
    squared = _squared_hellinger_mpmath(p, q)
    eps = float(np.finfo(dtype).eps)
    assert float(xent.f_divergence(p, q, "squared_hellinger")) == pytest.approx(
        float(squared), rel=16 * eps
    )
    assert float(xent.hellinger_distance(p, q)) == pytest.approx(
        float(mpmath.sqrt(squared)), rel=16 * eps
    )


@pytest.mark.parametrize(
    ("p", "q", "expected"),
    [
        # (p - q)**2 / q underflowed: 0 / 0 where q is 0, and 0 for two different distributions
        (np.float32([1e-25, 1]), np.float32([0, 1]), math.inf),
        ([1e-300, 1.0], [0.0, 1.0], math.inf),
        (np.float32([1e-25, 1]), np.float32([1e-35, 1]), 1e-15),
        ([1e-200, 1.0], [1e-300, 1.0], 1e-100),
        # d / q overflows while d**2 / q does not
        ([1e-5, 1 - 1e-5], [1e-314, 1 - 1e-314], 1e-10 / 1e-314),
        ([0.5, 0.5], [1.0, 5e-324], math.inf),
    ],
)
def test_chi2_keeps_tiny_and_huge_terms(p: Any, q: Any, expected: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = float(xent.chi2_divergence(p, q))
        assert float(xent.f_divergence(p, q, "chi2")) == got
    assert got == expected if math.isinf(expected) else math.isclose(got, expected, rel_tol=1e-6)


@pytest.mark.parametrize(
    ("p", "q"),
    [
        ([5e-324, 1.0], [0.0, 1.0]),
        (np.float32([1e-45, 1]), np.float32([0, 1])),
        ([1e-200, 1.0], [0.0, 1.0]),
    ],
)
def test_a_hellinger_distance_is_not_lost_with_its_square(p: Any, q: Any) -> None:
    # d_H = sqrt(sum (sqrt p - sqrt q)^2 / 2): the square underflowed where the distance does not
    exact = mpmath.sqrt(_squared_hellinger_mpmath(np.asarray(p), np.asarray(q)))
    got = float(xent.hellinger_distance(p, q))
    assert math.isclose(got, float(exact), rel_tol=1e-6), (got, exact)


# --- edge cases ----------------------------------------------------------------------------


def test_equal_distributions_give_zero_for_every_kind() -> None:
    p = np.array([0.2, 0.0, 0.8])
    for kind in KINDS:
        assert float(xent.f_divergence(p, p, kind)) == 0.0, kind
    assert float(xent.hellinger_distance(p, p)) == 0.0


def test_classes_where_both_are_zero_contribute_nothing() -> None:
    p = np.array([0.5, 0.5, 0.0])
    q = np.array([0.25, 0.75, 0.0])
    for kind in KINDS:
        without = xent.f_divergence(p[:2], q[:2], kind)
        assert float(xent.f_divergence(p, q, kind)) == pytest.approx(float(without)), kind


def test_q_zero_where_p_is_positive_is_infinite_only_for_kl_and_chi2() -> None:
    p, q = np.array([0.5, 0.5]), np.array([1.0, 0.0])
    values = {kind: float(xent.f_divergence(p, q, kind)) for kind in KINDS}
    assert values["kl"] == np.inf and values["chi2"] == np.inf
    assert values["reverse_kl"] == pytest.approx(LN2)  # q log(q / p) over q's support
    assert all(np.isfinite(values[kind]) for kind in SYMMETRIC)


def test_nan_propagates() -> None:
    p = np.array([[np.nan, 0.5], [0.5, 0.5]])
    q = np.array([[0.5, 0.5], [0.9, 0.1]])
    for kind in KINDS:
        result = xent.f_divergence(p, q, kind)
        assert np.isnan(result[0]) and np.isfinite(result[1]), kind
    assert np.isnan(xent.hellinger_distance(p, q)[0])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("kind", KINDS)
def test_output_keeps_the_input_float_dtype(kind: str, dtype: type) -> None:
    p = np.array([0.25, 0.75], dtype=dtype)
    q = np.array([0.5, 0.5], dtype=dtype)
    result = xent.f_divergence(p, q, kind)
    assert result.dtype == dtype
    exact = xent.f_divergence(p.astype(np.float64), q.astype(np.float64), kind)
    assert float(result) == pytest.approx(float(exact), rel=float(np.finfo(dtype).eps) * 8)


def test_integer_input_gives_float64() -> None:
    assert xent.total_variation([1, 0], [0, 1]).dtype == np.float64
    assert xent.hellinger_distance([1, 0], [0, 1]).dtype == np.float64


def test_axis_selects_the_class_axis_and_batches_broadcast() -> None:
    p, q = _random_pairs(6, num_classes=4)
    for kind in KINDS:
        by_rows = xent.f_divergence(p, q, kind)
        by_columns = xent.f_divergence(p.T, q.T, kind, axis=0)
        np.testing.assert_allclose(by_columns, by_rows, rtol=1e-15)
        one_q = xent.f_divergence(p, q[0], kind)
        assert one_q.shape == (6,)
        np.testing.assert_allclose(one_q[0], by_rows[0], rtol=1e-15)


def test_base_changes_the_unit_of_the_logarithmic_members() -> None:
    p, q = _random_pairs(50)
    for kind in ("kl", "reverse_kl", "js"):
        np.testing.assert_allclose(
            xent.f_divergence(p, q, kind, base=2), xent.f_divergence(p, q, kind) / LN2,
            rtol=1e-14,
        )


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_rows_that_do_not_sum_to_one_are_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="q must sum to 1"):
        xent.f_divergence([0.5, 0.5], [0.5, 0.4], kind)
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        xent.f_divergence([1.5, -0.5], [0.5, 0.5], kind)


@pytest.mark.parametrize(
    "function",
    [xent.js_divergence, xent.total_variation, xent.hellinger_distance, xent.chi2_divergence],
)
def test_named_functions_refuse_bad_input(function: Callable[..., np.ndarray]) -> None:
    with pytest.raises(ValueError, match="p must sum to 1"):
        function([0.5, 0.6], [0.5, 0.5])
    with pytest.raises(ValueError, match="matching shapes"):
        function([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(TypeError, match="real-valued"):
        function(np.array([0.5, 0.5], dtype=complex), [0.5, 0.5])
    with pytest.raises(ValueError, match="zero classes"):
        function(np.zeros((2, 0)), np.zeros((2, 0)))
    with pytest.raises(ValueError, match="out of range"):
        function([0.5, 0.5], [0.5, 0.5], axis=1)


def test_unknown_kind_is_refused_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="kind must be one of 'kl', 'reverse_kl'"):
        xent.f_divergence([0.5, 0.5], [0.5, 0.5], "hellinger")


def test_base_for_a_divergence_not_measured_in_nats_is_refused() -> None:
    with pytest.raises(ValueError, match="base applies only to"):
        xent.f_divergence([0.5, 0.5], [0.9, 0.1], "total_variation", base=2)
    with pytest.raises(ValueError, match="base must not be 1"):
        xent.js_divergence([0.5, 0.5], [0.9, 0.1], base=1)


# --- laws (hypothesis) ---------------------------------------------------------------------


@FAST
@given(distribution_pairs(batch_shape=(3,)))
def test_every_member_is_non_negative_and_zero_on_the_diagonal(
    pair: tuple[np.ndarray, np.ndarray],
) -> None:
    p, q = pair
    for kind in KINDS:
        assert np.all(xent.f_divergence(p, q, kind) >= 0), kind
        assert np.all(xent.f_divergence(p, p, kind) == 0), kind


@FAST
@given(distribution_pairs(batch_shape=(3,)))
def test_js_tv_and_hellinger_are_symmetric_kl_and_chi2_need_not_be(
    pair: tuple[np.ndarray, np.ndarray],
) -> None:
    p, q = pair
    for kind in SYMMETRIC:
        np.testing.assert_allclose(
            xent.f_divergence(p, q, kind), xent.f_divergence(q, p, kind), rtol=1e-12, atol=1e-15
        )


def test_kl_and_chi2_are_not_symmetric() -> None:
    p, q = np.array([0.5, 0.5]), np.array([0.9, 0.1])
    for kind in ("kl", "chi2"):
        assert not np.isclose(xent.f_divergence(p, q, kind), xent.f_divergence(q, p, kind))


@THOROUGH
@given(distribution_pairs(batch_shape=(4,)))
def test_bounds_js_at_most_log_two_tv_and_hellinger_at_most_one(
    pair: tuple[np.ndarray, np.ndarray],
) -> None:
    p, q = pair
    assert np.all(xent.js_divergence(p, q) <= LN2 * (1 + 1e-15))
    assert np.all(xent.js_divergence(p, q, base=2) <= 1 + 1e-15)
    assert np.all(xent.total_variation(p, q) <= 1 + 1e-15)
    assert np.all(xent.hellinger_distance(p, q) <= 1 + 1e-15)


@THOROUGH
@given(distribution_pairs(batch_shape=(4,)))
def test_pinsker_total_variation_at_most_root_half_kl(pair: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pair
    tv = xent.total_variation(p, q)
    assert np.all(tv <= np.sqrt(xent.kl_divergence(p, q) / 2) + 1e-12)
    assert np.all(tv <= np.sqrt(xent.kl_divergence(q, p) / 2) + 1e-12)


@THOROUGH
@given(distribution_pairs(batch_shape=(4,)))
def test_chain_hellinger_squared_tv_and_kl_chi2(pair: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pair
    h2 = xent.hellinger_distance(p, q) ** 2
    tv = xent.total_variation(p, q)
    # H^2 <= TV <= sqrt(2) H (Le Cam), and KL <= log(1 + chi2)
    assert np.all(h2 <= tv + 1e-12)
    assert np.all(tv <= math.sqrt(2) * np.sqrt(h2) + 1e-12)
    kl = xent.kl_divergence(p, q)
    assert np.all(kl <= np.log1p(xent.chi2_divergence(p, q)) + 1e-12)


@THOROUGH
@given(st.integers(2, 6).flatmap(lambda k: st.tuples(*(distributions(num_classes=k),) * 3)))
def test_root_js_hellinger_and_tv_obey_the_triangle_inequality(
    triple: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    p, m, r = triple
    for distance in (
        lambda a, b: np.sqrt(xent.js_divergence(a, b)),
        xent.hellinger_distance,
        xent.total_variation,
    ):
        assert distance(p, r) <= distance(p, m) + distance(m, r) + 1e-12


def test_kl_js_and_chi2_break_the_triangle_inequality() -> None:
    p, m, r = np.array([0.1, 0.9]), np.array([0.5, 0.5]), np.array([0.9, 0.1])
    for kind in ("kl", "js", "chi2", "squared_hellinger"):
        direct = float(xent.f_divergence(p, r, kind))
        detour = float(xent.f_divergence(p, m, kind) + xent.f_divergence(m, r, kind))
        assert direct > detour, kind
