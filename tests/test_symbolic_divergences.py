"""xent.symbolic.divergences_family: SymPy proves each claim of chapter 11, and the formulas it
derives match xent (and SciPy) at random points.

As in tests/test_symbolic.py, every test asserts that SymPy proved the claim, then lambdifies
the derived expressions and holds them against a numeric twin, in float64, at points drawn
with a fixed seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats
import sympy as sp

import xent
from xent import symbolic
from xent.symbolic import to_numpy

SEED = 20261201
POINTS = 64
RTOL = 1e-10


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


def _coins(a: np.ndarray) -> np.ndarray:
    return np.stack([a, 1 - a], axis=-1)


# --- Gaussian differential entropy -----------------------------------------------------------


def test_gaussian_differential_entropy_is_proved() -> None:
    result = symbolic.gaussian_differential_entropy()
    assert result.claim_holds
    assert result.moments == (1, result.sigma**2)
    assert result.scaled_minus_original == sp.log(result.scale)


def test_gaussian_differential_entropy_matches_scipy_and_quadrature(
    rng: np.random.Generator,
) -> None:
    result = symbolic.gaussian_differential_entropy()
    closed = to_numpy(result.closed_form, result.sigma)
    derived = to_numpy(result.entropy, result.sigma)
    sigmas = np.exp(rng.uniform(-4.0, 3.0, POINTS))
    mus = rng.normal(0.0, 5.0, POINTS)
    expected = scipy.stats.norm(mus, sigmas).entropy()
    np.testing.assert_allclose(closed(sigmas), expected, rtol=RTOL)
    np.testing.assert_allclose(derived(sigmas), expected, rtol=RTOL)
    for mu, sigma in zip(mus[:8], sigmas[:8], strict=True):
        density = scipy.stats.norm(mu, sigma)

        def integrand(x: float, density: object = density) -> float:
            return float(-density.pdf(x) * density.logpdf(x))  # type: ignore[attr-defined]

        value, _ = scipy.integrate.quad(integrand, mu - 40 * sigma, mu + 40 * sigma,
                                        epsabs=1e-13, epsrel=1e-12, limit=200)
        assert value == pytest.approx(float(closed(sigma)), rel=1e-9, abs=1e-11)


def test_gaussian_differential_entropy_is_zero_at_the_derived_width() -> None:
    result = symbolic.gaussian_differential_entropy()
    (zero,) = result.zero_at
    sigma_zero = float(zero)
    assert sigma_zero == pytest.approx(1 / math.sqrt(2 * math.pi * math.e), rel=1e-15)
    assert float(scipy.stats.norm(0.0, sigma_zero).entropy()) == pytest.approx(0.0, abs=1e-15)
    assert float(scipy.stats.norm(0.0, 0.9 * sigma_zero).entropy()) < 0


def test_discretised_gaussian_entropy_plus_log_width_tends_to_the_closed_form() -> None:
    result = symbolic.gaussian_differential_entropy()
    sigma = 1.7
    exact = float(to_numpy(result.closed_form, result.sigma)(sigma))
    errors = []
    for width in (0.5, 0.1, 0.02):
        edges = np.arange(-40 * sigma, 40 * sigma + width, width)
        mass = np.diff(scipy.stats.norm(0.0, sigma).cdf(edges))
        discrete = float(xent.entropy(mass / mass.sum()))
        errors.append(abs(discrete + math.log(width) - exact))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-4


def test_scaling_adds_log_a_numerically(rng: np.random.Generator) -> None:
    result = symbolic.gaussian_differential_entropy()
    closed = to_numpy(result.closed_form, result.sigma)
    sigmas = np.exp(rng.uniform(-2.0, 2.0, POINTS))
    scales = np.exp(rng.uniform(-3.0, 3.0, POINTS))
    np.testing.assert_allclose(closed(scales * sigmas) - closed(sigmas), np.log(scales),
                               rtol=1e-9, atol=1e-13)


# --- binary Pinsker --------------------------------------------------------------------------


def test_binary_pinsker_is_proved() -> None:
    result = symbolic.binary_pinsker()
    assert result.claim_holds
    assert result.gap_at_equal == 0


def test_binary_pinsker_kl_and_tv_match_xent(rng: np.random.Generator) -> None:
    result = symbolic.binary_pinsker()
    a = rng.uniform(0.001, 0.999, POINTS)
    b = rng.uniform(0.001, 0.999, POINTS)
    kl = to_numpy(result.kl, result.a, result.b)(a, b)
    tv = to_numpy(result.total_variation, result.a, result.b)(a, b)
    np.testing.assert_allclose(kl, xent.kl_divergence(_coins(a), _coins(b)), rtol=RTOL)
    np.testing.assert_allclose(tv, xent.total_variation(_coins(a), _coins(b)), rtol=RTOL)


def test_binary_pinsker_gap_is_non_negative_and_its_derivative_has_the_sign_of_b_minus_a(
    rng: np.random.Generator,
) -> None:
    result = symbolic.binary_pinsker()
    a = rng.uniform(0.001, 0.999, 4 * POINTS)
    b = rng.uniform(0.001, 0.999, 4 * POINTS)
    gap = to_numpy(result.gap, result.a, result.b)(a, b)
    assert np.all(gap >= -1e-15)
    derivative = to_numpy(result.gap_derivative, result.a, result.b)(a, b)
    factored = to_numpy(result.factored_derivative, result.a, result.b)(a, b)
    np.testing.assert_allclose(derivative, factored, rtol=1e-9, atol=1e-12)
    assert np.all(np.sign(factored[np.abs(b - a) > 1e-6]) == np.sign((b - a)[np.abs(b - a) > 1e-6]))
    # the derivative against a central difference of xent's KL
    h = 1e-6
    numeric = (
        xent.kl_divergence(_coins(a), _coins(b + h)) - 2 * (a - b - h) ** 2
        - xent.kl_divergence(_coins(a), _coins(b - h)) + 2 * (a - b + h) ** 2
    ) / (2 * h)
    mask = (b > 0.01) & (b < 0.99)
    np.testing.assert_allclose(numeric[mask], derivative[mask], rtol=1e-5, atol=1e-6)


# --- JS <= log 2 -----------------------------------------------------------------------------


def test_jensen_shannon_bound_is_proved() -> None:
    result = symbolic.jensen_shannon_bound()
    assert result.claim_holds
    assert result.bracket_at_ends == (2 * sp.log(2), 2 * sp.log(2))


def test_jensen_shannon_terms_sum_to_xent(rng: np.random.Generator) -> None:
    result = symbolic.jensen_shannon_bound()
    term = to_numpy(result.term, result.p, result.q)
    t = sp.Symbol("t", positive=True)
    generator = to_numpy(result.generator, t)
    p = rng.dirichlet(np.ones(5), size=POINTS)
    q = rng.dirichlet(np.ones(5), size=POINTS)
    expected = xent.js_divergence(p, q)
    np.testing.assert_allclose(term(p, q).sum(axis=-1), expected, rtol=RTOL)
    np.testing.assert_allclose((q * generator(p / q)).sum(axis=-1), expected, rtol=1e-9)
    assert np.all(expected <= math.log(2))


def test_jensen_shannon_bracket_is_at_most_two_log_two_on_the_interval() -> None:
    result = symbolic.jensen_shannon_bound()
    bracket = to_numpy(result.bracket, result.d)
    d = np.linspace(-1 + 1e-12, 1 - 1e-12, 2001)
    values = bracket(d)
    assert np.all(values <= 2 * math.log(2) + 1e-12)
    assert np.all(values >= -1e-15)  # rounding near d = 0, where phi(d) ~ d^2
    assert values.max() == pytest.approx(2 * math.log(2), rel=1e-9)


def test_disjoint_supports_reach_the_bound() -> None:
    p = np.array([0.3, 0.7, 0.0, 0.0])
    q = np.array([0.0, 0.0, 0.5, 0.5])
    assert float(xent.js_divergence(p, q)) == pytest.approx(math.log(2), rel=1e-15)
