"""xent.symbolic: SymPy proves each claim, and the derived formulas match xent's numerics.

Every test does two things: it asserts that SymPy proved the claim (an identity simplified
to 0, a solved stationary point, a limit), not merely that the derivation ran; and it
lambdifies the derived expressions and holds them against their numeric twin in ``xent``
(or SciPy quadrature, or a complex-step derivative where xent has none) at random points
drawn with a fixed seed, in float64, to a relative tolerance of 1e-10.

The complex step ``Im f(x + ih) / h`` (Squire and Trapp 1998) differentiates a lambdified
loss to machine precision, with no subtractive cancellation, so it can check a symbolic
gradient at 1e-10; central differences (``xent.numerical_gradient``) cannot, and are held
to their own, looser tolerance.

Set ``XENT_SYMBOLIC_REPORT=path.json`` to write the largest relative error of every check.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.integrate
import sympy as sp

import xent
from xent import symbolic

SEED = 20250611
#: Random points per numeric check.
POINTS = 64
#: Relative tolerance of every check against an exact twin (xent, quadrature, complex step).
RTOL = 1e-10
#: Central differences with eps = 1e-6 are accurate to about 1e-9 (rounding over eps);
#: this is their tolerance, relative where the derivative exceeds 1 and absolute below.
FINITE_DIFFERENCE_TOL = 1e-6
#: Step of the complex-step derivative: far below any rounding, so the O(h^2) term vanishes.
COMPLEX_STEP = 1e-30
CLASS_COUNTS = [2, 3, 4, 5, 6]
#: Up to this K, identities in the logits are also checked by plain ``sympy.simplify``, which
#: is independent of xent.symbolic's own prover but too slow for every K.
PLAIN_SIMPLIFY_MAX_K = 3

_WORST: dict[str, float] = {}


# --------------------------------------------------------------------------- helpers
def relative_error(actual: Any, expected: Any) -> float:
    """Largest ``|a - e| / max(|a|, |e|)`` over the entries (0 where both are 0)."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape, f"shapes differ: {a.shape} vs {e.shape}"
    scale = np.maximum(np.abs(a), np.abs(e))
    diff = np.abs(a - e)
    err = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
    return float(np.max(err)) if err.size else 0.0


def _record(label: str, error: float) -> None:
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0].split("::")[-1]
    key = f"{test} [{label}]"
    _WORST[key] = max(_WORST.get(key, 0.0), error)


def assert_close(actual: Any, expected: Any, label: str, rtol: float = RTOL) -> None:
    """Assert a relative error of at most ``rtol`` and record the largest one seen."""
    error = relative_error(actual, expected)
    _record(label, error)
    assert error <= rtol, f"{label}: max relative error {error:.3e} > {rtol:.0e}"


def assert_close_to_finite_difference(actual: Any, numeric: Any, label: str) -> None:
    """Central differences: relative error for derivatives above 1, absolute below."""
    a = np.asarray(actual, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    error = float(np.max(np.abs(a - n) / np.maximum(1.0, np.maximum(np.abs(a), np.abs(n)))))
    _record(label, error)
    assert error <= FINITE_DIFFERENCE_TOL, f"{label}: error {error:.3e}"


def complex_step_gradient(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Gradient of ``f: (..., K) -> (...)`` along the last axis by the complex step."""
    grad = np.empty(x.shape)
    for k in range(x.shape[-1]):
        shifted = x.astype(np.complex128)
        shifted[..., k] += 1j * COMPLEX_STEP
        grad[..., k] = np.imag(f(shifted)) / COMPLEX_STEP
    return grad


def complex_step_derivative(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Derivative of an elementwise ``f`` by the complex step."""
    return np.asarray(np.imag(f(x + 1j * COMPLEX_STEP)) / COMPLEX_STEP)


def at_softmax(expr: Any, result: Any) -> Any:
    """Substitute ``q = softmax(z)`` into an expression written in the probabilities."""
    return sp.sympify(expr).subs(dict(zip(result.probabilities, result.softmax, strict=True)))


def simplify_proves_equal(derived: Any, closed_form: Any, result: Any) -> bool:
    """Plain ``sympy.simplify`` of ``derived - closed_form(q = softmax(z))``, entry by entry."""
    return all(
        sp.simplify(d - at_softmax(c, result)) == 0
        for d, c in zip(list(derived), list(closed_form), strict=True)
    )


def one_hot(indices: np.ndarray, num_classes: int) -> np.ndarray:
    return np.eye(num_classes)[indices]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


@pytest.fixture(scope="module", autouse=True)
def _discrepancy_report() -> Iterator[None]:
    yield
    path = os.environ.get("XENT_SYMBOLIC_REPORT")
    if path:
        Path(path).write_text(json.dumps(_WORST, indent=1, sort_keys=True), encoding="utf8")


def logits_for(rng: np.random.Generator, num_classes: int) -> np.ndarray:
    return rng.normal(scale=2.0, size=(POINTS, num_classes))


def distributions_for(rng: np.random.Generator, num_classes: int) -> np.ndarray:
    return rng.dirichlet(np.ones(num_classes), size=POINTS)


# --------------------------------------------------------------------------- the machinery
def test_to_numpy_unpacks_vectors_along_the_last_axis_and_broadcasts() -> None:
    z1, z2, t = sp.symbols("z1 z2 t", real=True)
    f = symbolic.to_numpy(sp.Matrix([[z1 * t, z2], [0, 1]]), (z1, z2), t)
    out = f(np.ones((3, 2)), 2.0)
    assert out.shape == (3, 2, 2)
    assert out[0].tolist() == [[2.0, 1.0], [0.0, 1.0]]
    assert symbolic.to_numpy([z1, z2 + 1], (z1, z2))(np.zeros(2)).tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match=r"needs shape \(\.\.\., 2\)"):
        f(np.ones((3, 3)), 2.0)


@pytest.mark.parametrize("bad", [1, 0, -3])
def test_class_counts_below_two_are_rejected(bad: int) -> None:
    with pytest.raises(ValueError, match="num_classes must be at least 2"):
        symbolic.softmax_jacobian(bad)


def test_focal_target_outside_the_classes_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"target must be a class index in \[0, 3\)"):
        symbolic.focal_loss_gradient(3, target=3)


def test_the_prover_rejects_a_wrong_closed_form() -> None:
    jac = symbolic.softmax_jacobian(3)
    q1 = jac.probabilities[0]
    wrong = q1 + q1**2  # the sign of q q^T flipped
    assert not symbolic._common._holds_in_probabilities(
        jac.jacobian[0, 0], wrong, jac.logits, jac.probabilities
    )
    assert symbolic._common._holds_in_probabilities(
        jac.jacobian[0, 0], jac.closed_form[0, 0], jac.logits, jac.probabilities
    )
    focal = symbolic.focal_loss_gradient(3, target=2)
    wrong_focal = focal.closed_form[0] * (1 - focal.probabilities[2])
    assert not symbolic.variants._focal_holds(
        focal.gradient[0], wrong_focal, focal.logits, focal.probabilities, 2
    )
    assert symbolic.variants._focal_holds(
        focal.gradient[0], focal.closed_form[0], focal.logits, focal.probabilities, 2
    )


# --------------------------------------------------------------------------- 1. entropy
def test_bernoulli_entropy_matches_xent_binary_entropy(rng: np.random.Generator) -> None:
    result = symbolic.bernoulli_entropy()
    t = rng.uniform(0.0, 1.0, POINTS)
    entropy = symbolic.to_numpy(result.expression, result.t)
    assert_close(entropy(t), xent.binary_entropy(t), "H(t) vs xent.binary_entropy")


def test_bernoulli_entropy_derivative_is_log_one_minus_t_over_t(rng: np.random.Generator) -> None:
    result = symbolic.bernoulli_entropy()
    assert result.derivative_closed_form == sp.log((1 - result.t) / result.t)
    assert (
        sp.simplify(sp.expand_log(result.derivative - result.derivative_closed_form, force=True))
        == 0
    )
    assert result.claim_holds
    t = rng.uniform(0.0, 1.0, POINTS)
    closed = symbolic.to_numpy(result.derivative_closed_form, result.t)(t)
    entropy = symbolic.to_numpy(result.expression, result.t)
    assert_close(closed, complex_step_derivative(entropy, t), "H' vs complex step of H")
    numeric = xent.numerical_gradient(lambda x: float(np.sum(xent.binary_entropy(x))), t)
    assert_close_to_finite_difference(closed, numeric, "H' vs numerical_gradient(xent)")


def test_bernoulli_entropy_is_maximal_log_2_only_at_one_half(rng: np.random.Generator) -> None:
    result = symbolic.bernoulli_entropy()
    assert result.stationary_points == (sp.Rational(1, 2),)
    assert result.maximum == sp.log(2)
    assert sp.simplify(result.second_derivative * result.t * (1 - result.t) + 1) == 0
    assert result.boundary_limits == (0, 0)
    assert result.claim_holds
    assert_close(xent.binary_entropy(0.5), float(result.maximum), "H(1/2) vs log 2")
    t = rng.uniform(0.0, 1.0, POINTS)
    assert np.all(xent.binary_entropy(t) < math.log(2))


def test_zero_log_zero_is_the_limit_of_t_log_t(rng: np.random.Generator) -> None:
    result = symbolic.zero_log_zero()
    assert result.limit == 0
    assert result.relative_entropy_limit == 0
    assert result.divergent_limit == sp.oo
    assert result.claim_holds
    assert float(xent.entr(0.0)) == 0.0
    assert float(xent.xlogy(0.0, 0.0)) == 0.0
    assert float(xent.rel_entr(0.0, 0.5)) == 0.0
    assert float(xent.rel_entr(0.5, 0.0)) == math.inf
    t = 10.0 ** rng.uniform(-300.0, 0.0, POINTS)
    c = rng.uniform(0.05, 1.0, POINTS)
    t_log_t = symbolic.to_numpy(result.expression, result.t)
    assert_close(t_log_t(t), -xent.entr(t), "t log t vs -xent.entr")
    term = symbolic.to_numpy(sp.Mul(result.t, sp.log(result.t / result.c)), result.t, result.c)
    assert_close(term(t, c), xent.rel_entr(t, c), "t log(t/c) vs xent.rel_entr")


@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_maximum_entropy_is_the_uniform_with_value_log_k(
    num_classes: int, rng: np.random.Generator
) -> None:
    result = symbolic.maximum_entropy(num_classes)
    lam = result.multiplier
    for p_i, condition, solved in zip(
        result.probabilities, result.stationarity, result.stationary_probabilities, strict=True
    ):
        assert sp.simplify(condition - (lam - sp.log(p_i) - 1)) == 0
        assert solved == sp.exp(lam - 1)
    assert sp.simplify(result.multiplier_value - (1 - sp.log(num_classes))) == 0
    assert result.maximiser == (sp.Rational(1, num_classes),) * num_classes
    assert sp.simplify(sp.expand_log(result.maximum - sp.log(num_classes), force=True)) == 0
    assert all(result.hessian[i, i].is_negative for i in range(num_classes))
    assert result.claim_holds
    p = distributions_for(rng, num_classes)
    entropy = symbolic.to_numpy(result.entropy, result.probabilities)
    assert_close(entropy(p), xent.entropy(p), "H(p) vs xent.entropy")
    uniform = np.full(num_classes, 1.0 / num_classes)
    assert_close(xent.entropy(uniform), float(result.maximum), "H(uniform) vs log K")
    assert np.all(xent.entropy(p) <= float(result.maximum))


def test_maximum_entropy_stationarity_holds_for_general_k() -> None:
    result = symbolic.maximum_entropy_general()
    p, j, lam, size = result.probabilities, result.index, result.multiplier, result.num_classes
    assert result.stationarity == lam - sp.log(p[j]) - 1
    assert result.stationary_probability == sp.exp(lam - 1)
    assert sp.simplify(result.multiplier_value - (1 - sp.log(size))) == 0
    assert result.maximiser == 1 / size
    assert result.maximum == sp.log(size)
    assert result.claim_holds
    maximum = symbolic.to_numpy(result.maximum, size)
    counts = np.array(CLASS_COUNTS)
    uniform_entropies = [float(xent.entropy(np.full(k, 1.0 / k))) for k in CLASS_COUNTS]
    assert_close(maximum(counts), uniform_entropies, "log K vs xent.entropy(uniform)")


# --------------------------------------------------------------------------- 2. Gibbs, KL
def test_log_x_at_most_x_minus_1_with_equality_only_at_1(rng: np.random.Generator) -> None:
    result = symbolic.gibbs_inequality(2)
    assert result.stationary_points == (1,)
    assert result.gap_at_one == 0
    assert result.gap_second_derivative == result.x**-2
    assert result.gap_second_derivative.is_positive
    assert result.gap_limits == (sp.oo, sp.oo)
    assert result.claim_holds
    x = np.exp(rng.uniform(-5.0, 5.0, POINTS))
    gap = symbolic.to_numpy(result.gap, result.x)
    assert np.all(gap(x) > 0)
    assert float(gap(1.0)) == 0.0
    derivative = symbolic.to_numpy(result.gap_derivative, result.x)
    assert_close(derivative(x), complex_step_derivative(gap, x), "gap' vs complex step")


@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_kl_is_a_non_negative_sum_of_gibbs_gaps(num_classes: int, rng: np.random.Generator) -> None:
    result = symbolic.gibbs_inequality(num_classes)
    assert sp.simplify(result.kl_minus_gaps - (sum(result.p) - sum(result.q))) == 0
    normalised = {result.p[-1]: 1 - sum(result.p[:-1]), result.q[-1]: 1 - sum(result.q[:-1])}
    assert sp.simplify(result.kl_minus_gaps.subs(normalised)) == 0
    assert result.claim_holds
    p = distributions_for(rng, num_classes)
    q = distributions_for(rng, num_classes)
    as_gaps = symbolic.to_numpy(result.kl_as_gaps, result.p, result.q)(p, q)
    assert_close(as_gaps, xent.kl_divergence(p, q), "sum p gap(q/p) vs xent.kl_divergence")
    kl = symbolic.to_numpy(result.kl_divergence, result.p, result.q)(p, q)
    assert_close(kl, xent.kl_divergence(p, q), "KL vs xent.kl_divergence")
    assert np.all(xent.kl_divergence(p, q) > 0)


@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_cross_entropy_is_entropy_plus_kl(num_classes: int, rng: np.random.Generator) -> None:
    result = symbolic.cross_entropy_decomposition(num_classes)
    assert result.residual == 0
    assert (
        sp.simplify(sp.expand_log(result.cross_entropy - result.entropy - result.kl_divergence))
        == 0
    )
    assert result.claim_holds
    p = distributions_for(rng, num_classes)
    q = distributions_for(rng, num_classes)
    args = (result.p, result.q)
    cross = symbolic.to_numpy(result.cross_entropy, *args)(p, q)
    entropy = symbolic.to_numpy(result.entropy, *args)(p, q)
    kl = symbolic.to_numpy(result.kl_divergence, *args)(p, q)
    assert_close(cross, xent.cross_entropy(p, q), "H(p, q) vs xent.cross_entropy")
    assert_close(entropy, xent.entropy(p), "H(p) vs xent.entropy")
    assert_close(kl, xent.kl_divergence(p, q), "KL vs xent.kl_divergence")
    assert_close(
        xent.entropy(p) + xent.kl_divergence(p, q), xent.cross_entropy(p, q), "xent: H + KL vs CE"
    )


def test_cross_entropy_is_entropy_plus_kl_for_general_k(rng: np.random.Generator) -> None:
    result = symbolic.cross_entropy_decomposition_general()
    assert result.residual == 0
    assert result.claim_holds
    size = next(s for s in result.entropy.free_symbols if s.name == "K")
    num_classes = 4
    p_entries = [result.p[i] for i in range(1, num_classes + 1)]
    q_entries = [result.q[i] for i in range(1, num_classes + 1)]
    p = distributions_for(rng, num_classes)
    q = distributions_for(rng, num_classes)
    for expr, twin, label in [
        (result.cross_entropy, xent.cross_entropy(p, q), "H(p, q) at K=4 vs xent"),
        (result.kl_divergence, xent.kl_divergence(p, q), "KL at K=4 vs xent"),
    ]:
        instance = expr.subs(size, num_classes).doit()
        assert_close(symbolic.to_numpy(instance, p_entries, q_entries)(p, q), twin, label)


def test_gaussian_kl_closed_form_matches_quadrature(rng: np.random.Generator) -> None:
    result = symbolic.gaussian_kl()
    assert result.moments[0] == 1
    assert result.moments[1] == result.mu1
    assert sp.expand(result.moments[2] - (result.mu1**2 + result.sigma1**2)) == 0
    assert sp.simplify(sp.expand_log(result.divergence - result.closed_form)) == 0
    assert result.claim_holds
    params = (result.mu1, result.sigma1, result.mu2, result.sigma2)
    closed = symbolic.to_numpy(result.closed_form, *params)
    # A scalar (math-module) integrand: quad calls it hundreds of times per point.
    log_ratio = sp.lambdify((result.x, *params), result.log_ratio, modules="math")
    mu1 = rng.uniform(-3.0, 3.0, POINTS)
    sigma1 = np.exp(rng.uniform(-1.0, 1.0, POINTS))
    mu2 = mu1 + rng.choice([-1.0, 1.0], POINTS) * rng.uniform(0.5, 3.0, POINTS)
    sigma2 = np.exp(rng.uniform(-1.0, 1.0, POINTS))
    numeric = np.empty(POINTS)
    for n in range(POINTS):
        theta = (mu1[n], sigma1[n], mu2[n], sigma2[n])

        def integrand(u: float, theta: tuple[float, ...] = theta) -> float:
            # In u = (x - mu1) / sigma1 the density's peak sits at 0 whatever the parameters.
            x = theta[0] + theta[1] * u
            return float(math.exp(-0.5 * u * u) / math.sqrt(2 * math.pi) * log_ratio(x, *theta))

        # Beyond 40 standard deviations the density is below e^-800: nothing to integrate.
        value, _ = scipy.integrate.quad(
            integrand, -40.0, 40.0, points=[0.0], epsabs=0.0, epsrel=1e-13, limit=200
        )
        numeric[n] = value
    assert_close(closed(mu1, sigma1, mu2, sigma2), numeric, "closed form vs scipy quad")


def test_bernoulli_kl_closed_form_matches_xent_kl_divergence(rng: np.random.Generator) -> None:
    result = symbolic.bernoulli_kl()
    assert sp.simplify(sp.expand_log(result.divergence - result.closed_form, force=True)) == 0
    assert result.claim_holds
    a, b = rng.uniform(0.0, 1.0, size=(2, 4 * POINTS))
    # Nearly equal coins have a tiny divergence that every formula computes by cancellation.
    far_apart = np.abs(a - b) > 0.05
    a, b = a[far_apart][:POINTS], b[far_apart][:POINTS]
    assert a.size == POINTS
    twin = xent.kl_divergence(np.stack([a, 1 - a], -1), np.stack([b, 1 - b], -1))
    closed = symbolic.to_numpy(result.closed_form, result.a, result.b)
    summed = symbolic.to_numpy(result.divergence, result.a, result.b)
    via_entropies = symbolic.to_numpy(result.cross_entropy_minus_entropy, result.a, result.b)
    assert_close(closed(a, b), twin, "closed form vs xent.kl_divergence")
    assert_close(summed(a, b), twin, "sum over {0, 1} vs xent.kl_divergence")
    assert_close(via_entropies(a, b), twin, "H(p, q) - H(p) vs xent.kl_divergence")


# --------------------------------------------------------------------------- 3. softmax
@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_softmax_jacobian_is_diag_q_minus_q_qT(num_classes: int, rng: np.random.Generator) -> None:
    result = symbolic.softmax_jacobian(num_classes)
    q = sp.Matrix(result.probabilities)
    assert result.closed_form == sp.diag(*result.probabilities) - q * q.T
    assert simplify_proves_equal(result.jacobian, result.closed_form, result)
    assert result.claim_holds
    z = logits_for(rng, num_classes)
    twin = xent.softmax_jacobian(z)
    probs = xent.softmax(z)
    softmax = symbolic.to_numpy(result.softmax, result.logits)(z)
    jacobian = symbolic.to_numpy(result.jacobian, result.logits)(z)
    closed = symbolic.to_numpy(result.closed_form, result.probabilities)(probs)
    assert_close(softmax, probs, "softmax vs xent.softmax")
    assert_close(jacobian, twin, "d softmax / dz vs xent.softmax_jacobian")
    assert_close(closed, twin, "diag(q) - q q^T at xent.softmax vs xent.softmax_jacobian")


def test_softmax_jacobian_is_diag_q_minus_q_qT_for_general_k(rng: np.random.Generator) -> None:
    result = symbolic.softmax_jacobian_general()
    assert sp.simplify(result.derivative - result.closed_form) == 0
    assert result.claim_holds
    num_classes = 3
    i, j = result.indices
    entries = [result.logits[k] for k in range(1, num_classes + 1)]
    z = logits_for(rng, num_classes)
    derived = np.empty((POINTS, num_classes, num_classes))
    for row in range(num_classes):
        for col in range(num_classes):
            instance = result.derivative.subs(
                {result.num_classes: num_classes, i: row + 1, j: col + 1}
            ).doit()
            derived[:, row, col] = symbolic.to_numpy(instance, entries)(z)
    assert_close(derived, xent.softmax_jacobian(z), "general K at K=3 vs xent.softmax_jacobian")


@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_softmax_cross_entropy_gradient_is_q_minus_p_for_soft_targets(
    num_classes: int, rng: np.random.Generator
) -> None:
    result = symbolic.softmax_cross_entropy_gradient(num_classes)
    p_sum = sum(result.targets)
    for c, q_i, p_i in zip(result.closed_form, result.probabilities, result.targets, strict=True):
        assert c == p_sum * q_i - p_i
    assert result.normalised_closed_form == tuple(
        q_i - p_i for q_i, p_i in zip(result.probabilities, result.targets, strict=True)
    )
    assert simplify_proves_equal(result.shortcut_route, result.closed_form, result)
    if num_classes <= PLAIN_SIMPLIFY_MAX_K:
        assert simplify_proves_equal(result.jacobian_route, result.closed_form, result)
    assert result.claim_holds
    z = logits_for(rng, num_classes)
    p = distributions_for(rng, num_classes)
    args = (result.logits, result.targets)
    twin = xent.softmax_cross_entropy_grad(z, p, reduction="sum")
    jacobian_route = symbolic.to_numpy(result.jacobian_route, *args)(z, p)
    shortcut_route = symbolic.to_numpy(result.shortcut_route, *args)(z, p)
    q_minus_p = symbolic.to_numpy(
        result.normalised_closed_form, result.probabilities, result.targets
    )(xent.softmax(z), p)
    assert_close(jacobian_route, twin, "Jacobian route vs xent grad (float targets)")
    assert_close(shortcut_route, twin, "log-sum-exp route vs xent grad (float targets)")
    assert_close(q_minus_p, twin, "q - p at xent.softmax vs xent grad")
    loss = symbolic.to_numpy(result.loss, *args)
    assert_close(
        loss(z, p),
        xent.softmax_cross_entropy(z, p, reduction="none"),
        "loss vs xent.softmax_cross_entropy",
    )
    # Targets that do not sum to 1 (even negative ones): only the complex step can check.
    unnormalised = rng.uniform(-1.0, 2.0, size=(POINTS, num_classes))
    assert_close(
        symbolic.to_numpy(result.jacobian_route, *args)(z, unnormalised),
        complex_step_gradient(lambda x: loss(x, unnormalised), z),
        "(sum p) q - p vs complex step, unnormalised p",
    )
    numeric = np.stack(
        [
            xent.numerical_gradient(
                lambda x, n=n: float(xent.softmax_cross_entropy(x, p[n], reduction="sum")), z[n]
            )
            for n in range(POINTS)
        ]
    )
    assert_close_to_finite_difference(jacobian_route, numeric, "vs numerical_gradient(xent)")


def test_softmax_cross_entropy_gradient_holds_for_general_k(rng: np.random.Generator) -> None:
    result = symbolic.softmax_cross_entropy_gradient_general()
    assert sp.simplify(result.gradient - result.closed_form) == 0
    assert result.claim_holds
    num_classes = 4
    z_entries = [result.logits[k] for k in range(1, num_classes + 1)]
    p_entries = [result.targets[k] for k in range(1, num_classes + 1)]
    z = logits_for(rng, num_classes)
    p = distributions_for(rng, num_classes)
    derived = np.empty((POINTS, num_classes))
    for col in range(num_classes):
        instance = result.gradient.subs({result.num_classes: num_classes, result.index: col + 1})
        derived[:, col] = symbolic.to_numpy(instance.doit(), z_entries, p_entries)(z, p)
    twin = xent.softmax_cross_entropy_grad(z, p, reduction="sum")
    assert_close(derived, twin, "general K at K=4 vs xent grad (float targets)")


@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_softmax_cross_entropy_hessian_is_diag_q_minus_q_qT_and_psd(
    num_classes: int, rng: np.random.Generator
) -> None:
    result = symbolic.softmax_cross_entropy_hessian(num_classes)
    q = result.probabilities
    normalised = {q[-1]: 1 - sum(q[:-1])}
    assert sp.expand((result.quadratic_form - result.variance).subs(normalised)) == 0
    assert len(result.example_eigenvalues) == num_classes
    assert all(e >= 0 for e in result.example_eigenvalues)
    assert sum(1 for e in result.example_eigenvalues if e == 0) == 1
    if num_classes <= PLAIN_SIMPLIFY_MAX_K:
        assert simplify_proves_equal(result.hessian, result.closed_form, result)
    assert result.claim_holds
    z = logits_for(rng, num_classes)
    p = distributions_for(rng, num_classes)
    twin = xent.softmax_jacobian(z)
    hessian = symbolic.to_numpy(result.hessian, result.logits, result.targets)(z, p)
    assert_close(hessian, twin, "Hessian of the loss vs xent.softmax_jacobian")
    v = rng.normal(size=(POINTS, num_classes))
    quadratic = np.einsum("ni,nij,nj->n", v, twin, v)
    variance = symbolic.to_numpy(result.variance, q, result.direction)(xent.softmax(z), v)
    assert_close(quadratic, variance, "v^T J v (xent) vs Var_q(v)")
    eigenvalues = np.linalg.eigvalsh(twin)
    assert np.all(eigenvalues >= -1e-15)
    example = np.array([float(x) for x in result.example_probabilities])
    numeric = np.linalg.eigvalsh(np.diag(example) - np.outer(example, example))
    exact = np.sort([float(e) for e in result.example_eigenvalues])
    assert abs(numeric[0]) < 1e-15 and exact[0] == 0.0
    assert_close(numeric[1:], exact[1:], "exact example eigenvalues vs numpy eigvalsh")


# --------------------------------------------------------------------------- 4. binary
def test_sigmoid_binary_cross_entropy_gradient_is_sigma_minus_y(
    rng: np.random.Generator,
) -> None:
    result = binary = symbolic.binary_cross_entropy_gradient()
    assert sp.simplify(result.gradient - (result.sigmoid - result.target)) == 0
    assert result.claim_holds
    z = rng.normal(scale=4.0, size=POINTS)
    y = rng.uniform(0.0, 1.0, POINTS)
    args = (binary.logit, binary.target)
    gradient = symbolic.to_numpy(binary.gradient, *args)(z, y)
    twin = xent.binary_cross_entropy_with_logits_grad(z, y, reduction="sum")
    assert_close(gradient, twin, "sigma(z) - y vs xent BCE-with-logits grad")
    loss = symbolic.to_numpy(binary.softplus_loss, *args)(z, y)
    twin_loss = xent.binary_cross_entropy_with_logits(z, y, reduction="none")
    assert_close(loss, twin_loss, "softplus form vs xent BCE with logits")
    sigmoid = symbolic.to_numpy(binary.sigmoid, binary.logit)(z)
    assert_close(sigmoid, xent.sigmoid(z), "1 / (1 + e^-z) vs xent.sigmoid")


def test_two_class_softmax_is_sigmoid_of_the_difference(rng: np.random.Generator) -> None:
    result = symbolic.two_class_softmax()
    for s, t in zip(result.softmax, result.sigmoid_of_difference, strict=True):
        assert sp.simplify(s - t) == 0
    assert result.claim_holds
    z = logits_for(rng, 2)
    via_sigmoid = symbolic.to_numpy(list(result.sigmoid_of_difference), result.logits)(z)
    assert_close(xent.softmax(z), via_sigmoid, "xent.softmax vs sigma(z1 - z2)")
    assert_close(
        xent.softmax(z)[:, 0], xent.sigmoid(z[:, 0] - z[:, 1]), "xent.softmax vs xent.sigmoid"
    )


# --------------------------------------------------------------------------- 5. variants
@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_label_smoothing_gradient_is_q_minus_smoothed_target(
    num_classes: int, rng: np.random.Generator
) -> None:
    result = symbolic.label_smoothing_gradient(num_classes)
    eps, y = result.smoothing, result.targets
    for c, q_i, y_i in zip(result.closed_form, result.probabilities, y, strict=True):
        assert sp.expand(c - (q_i - ((1 - eps) * y_i + eps / num_classes))) == 0
    assert sp.expand(result.loss - result.mixture_loss) == 0
    if num_classes <= PLAIN_SIMPLIFY_MAX_K:
        normalised = {y[-1]: 1 - sum(y[:-1])}
        closed = [c.subs(normalised) for c in result.closed_form]
        assert simplify_proves_equal(result.gradient, closed, result)
    assert result.claim_holds
    z = logits_for(rng, num_classes)
    labels = rng.integers(0, num_classes, POINTS)
    soft = distributions_for(rng, num_classes)
    closed = symbolic.to_numpy(result.closed_form, result.probabilities, y, eps)
    gradient = symbolic.to_numpy(result.gradient, result.logits, y, eps)
    loss = symbolic.to_numpy(result.loss, result.logits, y, eps)
    for smoothing in [0.0, 0.05, 0.1, 0.3, 1.0]:
        twin = xent.softmax_cross_entropy_grad(
            z, labels, label_smoothing=smoothing, reduction="sum"
        )
        hard = one_hot(labels, num_classes)
        assert_close(closed(xent.softmax(z), hard, smoothing), twin, "closed form vs xent (labels)")
        assert_close(gradient(z, hard, smoothing), twin, "d/dz vs xent grad (labels)")
        twin_loss = xent.softmax_cross_entropy(
            z, labels, label_smoothing=smoothing, reduction="none"
        )
        assert_close(loss(z, hard, smoothing), twin_loss, "loss vs xent (labels)")
        soft_twin = xent.softmax_cross_entropy_grad(
            z, soft, label_smoothing=smoothing, reduction="sum"
        )
        assert_close(gradient(z, soft, smoothing), soft_twin, "d/dz vs xent grad (soft targets)")


@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_focal_loss_gradient_is_g_times_q_minus_e_y(
    num_classes: int, rng: np.random.Generator
) -> None:
    for target in sorted({0, num_classes - 1}):
        result = symbolic.focal_loss_gradient(num_classes, target)
        q, gamma = result.probabilities, result.gamma
        q_y = q[target]
        factor = (1 - q_y) ** gamma - gamma * (1 - q_y) ** (gamma - 1) * q_y * sp.log(q_y)
        assert result.modulating_factor == factor
        for j, c in enumerate(result.closed_form):
            assert c == factor * (q[j] - (1 if j == target else 0))
        if num_classes == 2:
            assert simplify_proves_equal(result.gradient, result.closed_form, result)
        assert result.claim_holds
        z = logits_for(rng, num_classes)
        gammas = rng.uniform(0.0, 5.0, POINTS)
        loss = symbolic.to_numpy(result.loss, result.logits, gamma)
        gradient = symbolic.to_numpy(result.gradient, result.logits, gamma)(z, gammas)

        def focal(x: np.ndarray, loss: Any = loss, gammas: np.ndarray = gammas) -> np.ndarray:
            return np.asarray(loss(x, gammas))

        closed = symbolic.to_numpy(result.closed_form, q, gamma)(xent.softmax(z), gammas)
        assert_close(closed, gradient, "g (q - e_y) at xent.softmax vs d/dz FL")
        stepped = complex_step_gradient(focal, z)
        assert_close(gradient, stepped, "d/dz FL vs complex step of FL")
        numeric = np.stack(
            [
                xent.numerical_gradient(
                    lambda x, n=n, loss=loss, gammas=gammas: float(loss(x, gammas[n])), z[n]
                )
                for n in range(POINTS)
            ]
        )
        assert_close_to_finite_difference(gradient, numeric, "d/dz FL vs numerical_gradient")


@pytest.mark.skipif(not hasattr(xent, "focal_loss"), reason="xent has no focal_loss yet")
@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_focal_loss_derivation_matches_xent_focal_loss(
    num_classes: int, rng: np.random.Generator
) -> None:
    for target in sorted({0, num_classes - 1}):
        result = symbolic.focal_loss_gradient(num_classes, target)
        z = logits_for(rng, num_classes)
        labels = np.full(POINTS, target)
        loss = symbolic.to_numpy(result.loss, result.logits, result.gamma)
        gradient = symbolic.to_numpy(result.gradient, result.logits, result.gamma)
        for gamma in [0.0, 0.5, 1.0, 2.0, 3.7]:
            twin = xent.focal_loss(z, labels, gamma=gamma, reduction="none")
            assert_close(loss(z, gamma), twin, "FL vs xent.focal_loss")
            twin_grad = xent.focal_loss_grad(z, labels, gamma=gamma, reduction="sum")
            assert_close(gradient(z, gamma), twin_grad, "d/dz FL vs xent.focal_loss_grad")


def test_binary_focal_loss_gradient_closed_form(rng: np.random.Generator) -> None:
    result = symbolic.binary_focal_loss_gradient()
    s, y, gamma = result.probability, result.target, result.gamma
    assert sp.simplify(result.closed_form.subs(gamma, 0) - (s - y)) == 0
    assert result.claim_holds
    z = rng.normal(scale=3.0, size=POINTS)
    labels = rng.integers(0, 2, POINTS).astype(np.float64)
    gammas = rng.uniform(0.0, 5.0, POINTS)
    args = (result.logit, y, gamma)
    loss = symbolic.to_numpy(result.loss, *args)
    gradient = symbolic.to_numpy(result.gradient, *args)(z, labels, gammas)
    closed = symbolic.to_numpy(result.closed_form, s, y, gamma)(xent.sigmoid(z), labels, gammas)
    assert_close(closed, gradient, "closed form at xent.sigmoid vs d/dz FL")
    stepped = complex_step_derivative(lambda x: loss(x, labels, gammas), z)
    assert_close(gradient, stepped, "d/dz FL vs complex step of FL")


@pytest.mark.skipif(not hasattr(xent, "focal_loss"), reason="xent has no focal_loss yet")
def test_binary_focal_loss_is_two_class_focal_loss_on_logits_0_z(
    rng: np.random.Generator,
) -> None:
    result = symbolic.binary_focal_loss_gradient()
    z = rng.normal(scale=3.0, size=POINTS)
    labels = rng.integers(0, 2, POINTS)
    args = (result.logit, result.target, result.gamma)
    loss = symbolic.to_numpy(result.loss, *args)
    gradient = symbolic.to_numpy(result.gradient, *args)
    two_class = np.stack([np.zeros(POINTS), z], axis=-1)
    for gamma in [0.0, 0.5, 2.0, 3.7]:
        twin = xent.focal_loss(two_class, labels, gamma=gamma, reduction="none")
        assert_close(loss(z, labels, gamma), twin, "binary FL vs xent.focal_loss on (0, z)")
        twin_grad = xent.focal_loss_grad(two_class, labels, gamma=gamma, reduction="sum")
        assert_close(gradient(z, labels, gamma), twin_grad[:, 1], "binary dFL/dz vs xent grad")


# --------------------------------------------------------------------------- 6. curvature
@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_logsumexp_second_directional_derivative_is_softmax_variance(
    num_classes: int, rng: np.random.Generator
) -> None:
    result = symbolic.logsumexp_curvature(num_classes)
    assert simplify_proves_equal([result.first_derivative], [result.mean], result)
    if num_classes <= PLAIN_SIMPLIFY_MAX_K:
        assert simplify_proves_equal([result.second_derivative], [result.variance], result)
    assert result.claim_holds
    z = logits_for(rng, num_classes)
    v = rng.normal(size=(POINTS, num_classes))
    t = rng.uniform(-1.0, 1.0, POINTS)
    args = (result.logits, result.direction)
    along_line = symbolic.to_numpy(result.along_line, *args, result.step)
    assert_close(
        along_line(z, v, t), xent.logsumexp(z + t[:, None] * v), "lse(z + t v) vs xent.logsumexp"
    )
    probs = xent.softmax(z)
    first = symbolic.to_numpy(result.first_derivative, *args)(z, v)
    assert_close(first, np.sum(probs * v, axis=-1), "f'(0) vs E_q[v] at xent.softmax")
    second = symbolic.to_numpy(result.second_derivative, *args)(z, v)
    quadratic = np.einsum("ni,nij,nj->n", v, xent.softmax_jacobian(z), v)
    assert_close(second, quadratic, "f''(0) vs v^T xent.softmax_jacobian v")
    variance = symbolic.to_numpy(result.variance, result.probabilities, result.direction)
    assert_close(second, variance(probs, v), "f''(0) vs Var_q[v] at xent.softmax")
