"""xent.sampling: temperature, top-k and top-p filtering, and the seeded sampler."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

import xent

NEG_INF = -np.inf


# --------------------------------------------------------------------------- hand-computed values
def test_temperature_divides_the_logits_and_keeps_minus_inf() -> None:
    assert xent.apply_temperature([2.0, -1.0, NEG_INF], temperature=0.5).tolist() == [
        4.0,
        -2.0,
        NEG_INF,
    ]
    assert xent.apply_temperature([2.0, -1.0], temperature=4.0).tolist() == [0.5, -0.25]


def test_temperature_one_changes_nothing() -> None:
    z = np.array([[0.3, -1.2, 2.5], [1.0, 1.0, NEG_INF]])
    np.testing.assert_array_equal(xent.apply_temperature(z, temperature=1.0), z)


def test_top_k_keeps_the_k_largest_by_hand() -> None:
    z = np.array([0.5, 3.0, -1.0, 2.0, 1.0])
    assert xent.top_k_filter(z, 2).tolist() == [NEG_INF, 3.0, NEG_INF, 2.0, NEG_INF]
    assert xent.top_k_filter(z, 3).tolist() == [NEG_INF, 3.0, NEG_INF, 2.0, 1.0]


def test_top_p_keeps_the_entry_that_crosses_p_by_hand() -> None:
    # sorted probabilities 0.5, 0.3, 0.15, 0.05; cumulative 0.5, 0.8, 0.95, 1.0
    z = np.log([0.15, 0.5, 0.05, 0.3])
    assert np.isfinite(xent.top_p_filter(z, 0.4)).tolist() == [False, True, False, False]
    assert np.isfinite(xent.top_p_filter(z, 0.5)).tolist() == [False, True, False, False]
    assert np.isfinite(xent.top_p_filter(z, 0.6)).tolist() == [False, True, False, True]
    assert np.isfinite(xent.top_p_filter(z, 0.9)).tolist() == [True, True, False, True]
    assert np.isfinite(xent.top_p_filter(z, 0.96)).tolist() == [True, True, True, True]


def test_sampling_probs_renormalise_the_kept_entries_by_hand() -> None:
    z = np.log([0.5, 0.3, 0.2])
    np.testing.assert_allclose(xent.sampling_probs(z, top_k=2), [0.625, 0.375, 0.0])
    np.testing.assert_allclose(xent.sampling_probs(z, top_p=0.75), [0.625, 0.375, 0.0])
    # T = 1/2 squares the probabilities before renormalising: 0.25, 0.09, 0.04 over 0.38
    np.testing.assert_allclose(
        xent.sampling_probs(z, temperature=0.5), np.array([0.25, 0.09, 0.04]) / 0.38
    )


def test_temperature_comes_before_top_p() -> None:
    # At T = 1 the top entry holds 0.5 < 0.6, so two survive; at T = 1/4 it holds 0.87.
    z = np.log([0.5, 0.3, 0.2])
    assert np.count_nonzero(xent.sampling_probs(z, top_p=0.6)) == 2
    assert np.count_nonzero(xent.sampling_probs(z, temperature=0.25, top_p=0.6)) == 1


# --------------------------------------------------------------------------- properties
logit_rows = st.lists(
    st.floats(min_value=-30, max_value=30, allow_nan=False), min_size=1, max_size=12
).map(np.array)


@settings(max_examples=60, deadline=None)
@given(logit_rows, st.integers(min_value=1, max_value=15), st.floats(0.01, 1.0))
def test_filtered_probabilities_sum_to_one_and_vanish_where_removed(
    z: np.ndarray, k: int, p: float
) -> None:
    for filtered in (xent.top_k_filter(z, k), xent.top_p_filter(z, p)):
        probs = xent.softmax(filtered)
        assert np.isclose(probs.sum(), 1.0)
        assert np.all(probs[np.isneginf(filtered)] == 0)
        kept = np.isfinite(filtered)
        np.testing.assert_array_equal(filtered[kept], z[kept])
        # renormalised: the kept entries keep their ratios
        np.testing.assert_allclose(probs[kept], xent.softmax(z[kept]), rtol=1e-12, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(logit_rows, st.integers(min_value=1, max_value=15))
def test_top_k_keeps_at_least_k_entries_and_only_the_largest(z: np.ndarray, k: int) -> None:
    kept = np.isfinite(xent.top_k_filter(z, k))
    assert kept.sum() >= min(k, len(z))
    if (~kept).any():
        assert z[kept].min() > z[~kept].max()


@settings(max_examples=60, deadline=None)
@given(logit_rows, st.floats(0.01, 1.0))
# Found by a run: the kept mass without the least probable entry (1 - 1.16e-16) is below p,
# but summed from its large terms it rounds to p itself; in tail masses it is exact enough.
@example(np.array([0.0, 27.0, -10.0, -11.0]), 0.9999999999999999)
def test_top_p_keeps_the_smallest_set_reaching_p(z: np.ndarray, p: float) -> None:
    probs = xent.softmax(z)
    kept = np.isfinite(xent.top_p_filter(z, p))
    assert kept[np.argmax(probs)]
    # Judged in tail masses, sums of small numbers (accurate to a few ulps), not as sums of
    # the kept probabilities, which round near 1 to a spacing of 1.1e-16, as wide as 1 - p.
    removed = math.fsum(probs[~kept])
    assert removed <= (1.0 - p) * (1 + 1e-12)  # the kept set reaches p
    if (~kept).any():
        assert probs[kept].min() > probs[~kept].max()
        # without its least probable (group of tied) entries, the kept set falls short of p
        smallest = probs[kept].min()
        assert removed + math.fsum(probs[probs == smallest]) > (1.0 - p) * (1 - 1e-12)


def test_top_k_one_is_the_argmax_and_the_sampler_always_draws_it() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(50, 7)) * 3
    filtered = xent.top_k_filter(z, 1)
    np.testing.assert_array_equal(np.argmax(filtered, axis=1), np.argmax(z, axis=1))
    assert np.all(np.isfinite(filtered).sum(axis=1) == 1)
    np.testing.assert_array_equal(xent.sample(z, seed=1, top_k=1), np.argmax(z, axis=1))


def test_top_p_one_keeps_every_entry_even_tiny_ones() -> None:
    # (-800 and -5000: probabilities that underflow to 0 in float64, positive all the same)
    z = np.array([[40.0, 0.0, -5.0, NEG_INF, -800.0], [1.0, 2.0, 3.0, 4.0, -5000.0]])
    filtered = xent.top_p_filter(z, 1.0)
    np.testing.assert_array_equal(filtered, z)
    assert xent.softmax(z)[0, 1] < 1e-17  # below float64's spacing at 1: a cumsum would drop it


def test_top_k_at_least_the_number_of_classes_keeps_all() -> None:
    z = np.array([0.1, -2.0, 3.0])
    np.testing.assert_array_equal(xent.top_k_filter(z, 3), z)
    np.testing.assert_array_equal(xent.top_k_filter(z, 100), z)


def test_ties_at_the_boundary_are_all_kept_whatever_their_order() -> None:
    z = np.array([1.0, 2.0, 2.0, 0.0])
    assert np.isfinite(xent.top_k_filter(z, 1)).tolist() == [False, True, True, False]
    assert np.isfinite(xent.top_k_filter(z[::-1], 1)).tolist() == [False, True, True, False]
    uniform = np.zeros(4)
    assert np.isfinite(xent.top_p_filter(uniform, 0.3)).all()
    assert np.isfinite(xent.top_k_filter(uniform, 2)).all()


def test_minus_inf_logits_stay_removed_and_are_never_sampled() -> None:
    z = np.array([NEG_INF, 0.0, NEG_INF, 1.0])
    assert xent.top_k_filter(z, 3).tolist() == [NEG_INF, 0.0, NEG_INF, 1.0]
    assert np.isneginf(xent.top_p_filter(z, 1.0)[[0, 2]]).all()
    draws = xent.sample(np.tile(z, (2000, 1)), seed=3, temperature=5.0)
    assert set(np.unique(draws).tolist()) == {1, 3}


def test_filters_work_row_by_row_on_batches_and_keep_float32() -> None:
    z = np.array([[[3.0, 1.0, 2.0]], [[0.0, 5.0, 4.0]]], dtype=np.float32)
    out = xent.top_k_filter(z, 1)
    assert out.dtype == np.float32 and out.shape == (2, 1, 3)
    assert np.isfinite(out).reshape(2, 3).tolist() == [[True, False, False], [False, True, False]]
    assert xent.sample(z, seed=0).shape == (2, 1)
    assert xent.sample(z[0, 0], seed=0).shape == ()


# --------------------------------------------------------------------------- the sampler
def test_sampling_frequencies_match_the_probabilities_chi_square() -> None:
    probs = np.array([0.05, 0.1, 0.15, 0.3, 0.4])
    n = 20_000
    draws = xent.sample(np.tile(np.log(probs), (n, 1)), seed=12)
    counts = np.bincount(draws, minlength=5)
    statistic, p_value = stats.chisquare(counts, n * probs)
    assert p_value > 1e-3, (counts, statistic)


def test_sampling_after_top_p_matches_the_renormalised_nucleus() -> None:
    probs = np.array([0.4, 0.3, 0.2, 0.1])
    n = 20_000
    draws = xent.sample(np.tile(np.log(probs), (n, 1)), seed=5, top_p=0.8)
    counts = np.bincount(draws, minlength=4)
    assert counts[3] == 0
    statistic, p_value = stats.chisquare(counts[:3], n * probs[:3] / 0.9)
    assert p_value > 1e-3, (counts, statistic)


def test_the_same_seed_gives_the_same_draws_and_rng_advances() -> None:
    z = np.log(np.full((100, 6), 1 / 6))
    np.testing.assert_array_equal(xent.sample(z, seed=7), xent.sample(z, seed=7))
    rng = np.random.default_rng(7)
    first = xent.sample(z, rng=rng)
    np.testing.assert_array_equal(first, xent.sample(z, seed=7))
    assert not np.array_equal(first, xent.sample(z, rng=rng))


def test_low_temperature_samples_the_argmax_high_temperature_is_near_uniform() -> None:
    z = np.tile(np.array([1.0, 2.0, 0.5]), (5000, 1))
    assert np.all(xent.sample(z, seed=0, temperature=0.01) == 1)
    counts = np.bincount(xent.sample(z, seed=0, temperature=1e6), minlength=3)
    assert stats.chisquare(counts).pvalue > 1e-3


def test_entropy_of_the_sampling_distribution_grows_with_temperature() -> None:
    z = np.array([2.0, 1.0, 0.0, -1.0, -3.0])
    temperatures = np.geomspace(0.05, 50, 40)
    entropies = [xent.entropy(xent.sampling_probs(z, temperature=t)) for t in temperatures]
    assert np.all(np.diff(entropies) > 0)
    assert entropies[0] < 1e-6 and np.isclose(entropies[-1], np.log(5), atol=1e-2)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("temperature", [0.0, -1.0, np.inf, np.nan])
def test_a_temperature_that_is_not_positive_and_finite_is_refused(temperature: float) -> None:
    with pytest.raises(ValueError, match="temperature"):
        xent.apply_temperature([1.0, 2.0], temperature=temperature)
    with pytest.raises(ValueError, match="temperature"):
        xent.sample([1.0, 2.0], seed=0, temperature=temperature)


def test_a_temperature_so_small_that_logits_overflow_is_refused() -> None:
    with pytest.raises(ValueError, match="temperature"):
        xent.apply_temperature([1.0, 2.0], temperature=1e-320)
    with pytest.raises(ValueError, match="temperature"):  # every logit would become -inf
        xent.apply_temperature([-1e300, -2e300], temperature=1e-10)


@pytest.mark.parametrize(
    ("dtype", "temperature"), [(np.float32, 1e-39), (np.float16, 1e-5), (np.float64, 1e-320)]
)
@pytest.mark.parametrize("logits", [[1.0, 2.0], [-1.0, -2.0]])
def test_the_overflow_is_judged_in_the_dtype_returned(
    dtype: type, temperature: float, logits: list[float]
) -> None:
    # z / T fits float64 but not float32 or float16: the result would be +-inf, never a logit
    with pytest.raises(ValueError, match=f"too small.*{np.dtype(dtype).name}"):
        xent.apply_temperature(np.array(logits, dtype=dtype), temperature=temperature)


@pytest.mark.parametrize(
    ("dtype", "temperature"), [(np.float32, 1e-39), (np.float16, 1e-5), (np.float64, 1e-320)]
)
@pytest.mark.parametrize(
    ("logits", "limit"),
    [
        ([1.0, 2.0], [0.0, 1.0]),
        ([-1.0, -2.0], [1.0, 0.0]),
        ([3.0, 1.0, 3.0, NEG_INF], [0.5, 0.0, 0.5, 0.0]),  # tied maxima share the mass
    ],
)
def test_a_tiny_temperature_samples_the_argmax_in_every_dtype(
    dtype: type, temperature: float, logits: list[float], limit: list[float]
) -> None:
    z = np.array(logits, dtype=dtype)
    for options in ({}, {"top_k": 2}, {"top_p": 0.9}):
        probs = xent.sampling_probs(z, temperature=temperature, **options)
        assert probs.dtype == dtype
        np.testing.assert_array_equal(probs, np.array(limit, dtype=dtype))
    draws = xent.sample(np.tile(z, (200, 1)), seed=3, temperature=temperature)
    assert set(draws.tolist()) == {k for k, p in enumerate(limit) if p > 0}


@pytest.mark.parametrize(
    ("top_k", "error"), [(0, ValueError), (-2, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_a_bad_top_k_is_refused(top_k: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="top_k"):
        xent.top_k_filter([1.0, 2.0], top_k)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("top_p", "error"),
    [(0.0, ValueError), (1.5, ValueError), (-0.1, ValueError), ("half", TypeError)],
)
def test_a_bad_top_p_is_refused(top_p: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="top_p"):
        xent.top_p_filter([1.0, 2.0], top_p)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("logits", "message"),
    [
        ([1.0, np.nan], "NaN"),
        ([1.0, np.inf], r"\+inf"),
        ([[0.0, 1.0], [NEG_INF, NEG_INF]], r"row 1 is all -inf"),
        ([NEG_INF, NEG_INF], r"at least one finite entry; all are -inf"),
        (np.zeros((3, 0)), "logits"),
    ],
)
def test_bad_logits_are_refused_with_the_reason(logits: object, message: str) -> None:
    for call in (
        lambda: xent.top_k_filter(logits, 1),  # type: ignore[arg-type]
        lambda: xent.top_p_filter(logits, 0.5),  # type: ignore[arg-type]
        lambda: xent.sample(logits, seed=0),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValueError, match=message):
            call()


def test_string_logits_are_a_type_error() -> None:
    with pytest.raises(TypeError, match="logits"):
        xent.top_k_filter(np.array(["a", "b"]), 1)


def test_the_sampler_needs_exactly_one_source_of_randomness() -> None:
    with pytest.raises(ValueError, match="rng= .* seed="):
        xent.sample([0.0, 1.0])
    with pytest.raises(ValueError, match="exactly one"):
        xent.sample([0.0, 1.0], rng=np.random.default_rng(0), seed=0)
    with pytest.raises(TypeError, match="rng"):
        xent.sample([0.0, 1.0], rng=np.random.RandomState(0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seed"):
        xent.sample([0.0, 1.0], seed=1.5)  # type: ignore[arg-type]
