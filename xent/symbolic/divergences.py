"""KL divergence: Gibbs' inequality, the cross-entropy decomposition, Gaussian and Bernoulli KL."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sympy as sp

from xent.symbolic._common import (
    _is_zero,
    _normalised,
    _num_classes,
    _probabilities,
)

__all__ = [
    "BernoulliKL",
    "CrossEntropyDecomposition",
    "GaussianKL",
    "GibbsInequality",
    "bernoulli_kl",
    "cross_entropy_decomposition",
    "cross_entropy_decomposition_general",
    "gaussian_kl",
    "gibbs_inequality",
]


# --------------------------------------------------------------------------- 2. KL, Gibbs
@dataclass(frozen=True)
class GibbsInequality:
    """``log x <= x - 1`` and the step to ``KL >= 0`` (see :func:`gibbs_inequality`).

    Attributes:
        x: a positive symbol.
        gap: ``x - 1 - log x``, the slack of ``log x <= x - 1``.
        gap_derivative: ``1 - 1/x``.
        gap_second_derivative: ``1/x^2``, positive: the gap is strictly convex.
        stationary_points: the solutions of ``gap' = 0`` for ``x > 0``: ``(1,)``.
        gap_at_one: 0.
        gap_limits: ``gap`` at ``x -> 0+`` and ``x -> oo``: both ``oo``.
        p: the symbols ``p1 .. pK`` (positive).
        q: the symbols ``q1 .. qK`` (positive).
        kl_divergence: ``sum_i p_i log(p_i / q_i)``.
        kl_as_gaps: ``sum_i p_i gap(q_i / p_i)``, a sum of non-negative terms.
        kl_minus_gaps: ``kl_divergence - kl_as_gaps`` before normalisation:
            ``sum p - sum q``, which vanishes for distributions.
        claim_holds: SymPy proved every part of the claim.
    """

    x: sp.Symbol
    gap: sp.Expr
    gap_derivative: sp.Expr
    gap_second_derivative: sp.Expr
    stationary_points: tuple[sp.Expr, ...]
    gap_at_one: sp.Expr
    gap_limits: tuple[sp.Expr, sp.Expr]
    p: tuple[sp.Symbol, ...]
    q: tuple[sp.Symbol, ...]
    kl_divergence: sp.Expr
    kl_as_gaps: sp.Expr
    kl_minus_gaps: sp.Expr
    claim_holds: bool


@functools.cache
def gibbs_inequality(num_classes: int) -> GibbsInequality:
    r"""Prove ``log x <= x - 1`` (equality only at ``x = 1``) and from it Gibbs' ``KL >= 0``.

    .. math::
        g(x) = x - 1 - \log x \ge 0, \qquad g'(x) = 1 - \frac1x, \qquad
        g''(x) = \frac{1}{x^2} > 0, \qquad g(1) = 0,

    so ``g`` is strictly convex with its only stationary point, a zero, at ``x = 1``. Then,
    for distributions ``p`` and ``q`` with ``p_i > 0``,

    .. math::
        D_{\mathrm{KL}}(p \,\|\, q) = \sum_i p_i \log\frac{p_i}{q_i}
        = \sum_i p_i\, g\Bigl(\frac{q_i}{p_i}\Bigr) + \sum_i p_i - \sum_i q_i
        = \sum_i p_i\, g\Bigl(\frac{q_i}{p_i}\Bigr) \ge 0,

    with equality only if every ``q_i / p_i = 1``.

    Args:
        num_classes: the number of outcomes ``K >= 2`` for the KL step.

    Returns:
        A :class:`GibbsInequality`.

    Raises:
        ValueError: if ``num_classes < 2``.

    Examples:
        >>> from xent.symbolic import gibbs_inequality
        >>> result = gibbs_inequality(2)
        >>> result.gap, result.stationary_points, result.gap_second_derivative
        (x - log(x) - 1, (1,), x**(-2))
        >>> result.kl_minus_gaps
        p1 + p2 - q1 - q2
        >>> result.claim_holds
        True

    References:
        Gibbs, J. W. (1902). *Elementary Principles in Statistical Mechanics*, chapter XI.
        Scribner. Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*,
        2nd ed., theorem 2.6.3. Wiley.
    """
    size = _num_classes(num_classes)
    x = sp.Symbol("x", positive=True)
    gap = x - 1 - sp.log(x)
    derivative = sp.diff(gap, x)
    second = sp.diff(gap, x, 2)
    stationary = sp.solveset(derivative, x, sp.Interval.open(0, sp.oo))
    points = tuple(stationary) if stationary.is_FiniteSet else ()
    at_one = gap.subs(x, 1)
    limits = (sp.limit(gap, x, 0, "+"), sp.limit(gap, x, sp.oo))
    p = _probabilities(size, "p")
    q = _probabilities(size, "q")
    kl = sp.Add(*[pi * sp.log(pi / qi) for pi, qi in zip(p, q, strict=True)])
    as_gaps = sp.Add(*[pi * gap.subs(x, qi / pi) for pi, qi in zip(p, q, strict=True)])
    residual = sp.simplify(sp.expand_log(kl - as_gaps))
    normalised = {**_normalised(p), **_normalised(q)}
    claim = (
        points == (1,)
        and at_one == 0
        and bool(second.is_positive)
        and limits == (sp.oo, sp.oo)
        and _is_zero(residual - (sp.Add(*p) - sp.Add(*q)))
        and _is_zero(residual.subs(normalised))
    )
    return GibbsInequality(
        x,
        gap,
        derivative,
        second,
        points,
        at_one,
        limits,
        p,
        q,
        kl,
        as_gaps,
        residual,
        claim,
    )


@dataclass(frozen=True)
class CrossEntropyDecomposition:
    """``H(p, q) = H(p) + KL(p || q)`` (see :func:`cross_entropy_decomposition`).

    Attributes:
        p: the symbols ``p1 .. pK`` (positive), or an ``IndexedBase`` for symbolic ``K``.
        q: the symbols ``q1 .. qK`` (positive), or an ``IndexedBase`` for symbolic ``K``.
        entropy: ``H(p) = -sum p_i log p_i``.
        cross_entropy: ``H(p, q) = -sum p_i log q_i``.
        kl_divergence: ``KL(p || q) = sum p_i log(p_i / q_i)``.
        residual: ``H(p, q) - H(p) - KL(p || q)``, simplified: 0.
        claim_holds: SymPy simplified the residual to 0.
    """

    p: tuple[sp.Symbol, ...] | sp.IndexedBase
    q: tuple[sp.Symbol, ...] | sp.IndexedBase
    entropy: sp.Expr
    cross_entropy: sp.Expr
    kl_divergence: sp.Expr
    residual: sp.Expr
    claim_holds: bool


@functools.cache
def cross_entropy_decomposition(num_classes: int) -> CrossEntropyDecomposition:
    r"""Prove ``H(p, q) = H(p) + KL(p || q)`` for ``K``-vectors of positive symbols.

    .. math::
        -\sum_{i=1}^K p_i \log q_i
        = -\sum_{i=1}^K p_i \log p_i + \sum_{i=1}^K p_i \log \frac{p_i}{q_i}

    The identity needs no normalisation: it holds term by term.

    Args:
        num_classes: the number of outcomes ``K >= 2``.

    Returns:
        A :class:`CrossEntropyDecomposition`.

    Raises:
        ValueError: if ``num_classes < 2``.

    Examples:
        >>> from xent.symbolic import cross_entropy_decomposition
        >>> result = cross_entropy_decomposition(2)
        >>> result.cross_entropy
        -p1*log(q1) - p2*log(q2)
        >>> result.residual, result.claim_holds
        (0, True)

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, 2nd ed.,
        section 2.3. Wiley.
    """
    size = _num_classes(num_classes)
    p = _probabilities(size, "p")
    q = _probabilities(size, "q")
    entropy = -sp.Add(*[pi * sp.log(pi) for pi in p])
    cross = -sp.Add(*[pi * sp.log(qi) for pi, qi in zip(p, q, strict=True)])
    kl = sp.Add(*[pi * sp.log(pi / qi) for pi, qi in zip(p, q, strict=True)])
    residual = sp.simplify(sp.expand_log(cross - entropy - kl))
    return CrossEntropyDecomposition(p, q, entropy, cross, kl, residual, residual == 0)


@functools.cache
def cross_entropy_decomposition_general() -> CrossEntropyDecomposition:
    r"""Prove ``H(p, q) = H(p) + KL(p || q)`` for a symbolic number of outcomes ``K``.

    .. math::
        -\sum_{i=1}^K p_i \log q_i
        = -\sum_{i=1}^K p_i \log p_i + \sum_{i=1}^K p_i \log \frac{p_i}{q_i}

    The three sums are SymPy ``Sum`` objects over ``IndexedBase`` vectors; SymPy combines
    them into one sum whose summand cancels.

    Returns:
        A :class:`CrossEntropyDecomposition` whose ``p`` and ``q`` are ``IndexedBase``.

    Examples:
        >>> from xent.symbolic import cross_entropy_decomposition_general
        >>> result = cross_entropy_decomposition_general()
        >>> result.kl_divergence
        Sum(log(p[i]/q[i])*p[i], (i, 1, K))
        >>> result.residual, result.claim_holds
        (0, True)

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, 2nd ed.,
        section 2.3. Wiley.
    """
    size = sp.Symbol("K", integer=True, positive=True)
    i = sp.Symbol("i", integer=True, positive=True)
    p = sp.IndexedBase("p", positive=True)
    q = sp.IndexedBase("q", positive=True)
    entropy = -sp.Sum(p[i] * sp.log(p[i]), (i, 1, size))
    cross = -sp.Sum(p[i] * sp.log(q[i]), (i, 1, size))
    kl = sp.Sum(p[i] * sp.log(p[i] / q[i]), (i, 1, size))
    residual = sp.simplify(cross - entropy - kl)
    return CrossEntropyDecomposition(p, q, entropy, cross, kl, residual, residual == 0)


@dataclass(frozen=True)
class GaussianKL:
    """KL divergence between two univariate Gaussians (see :func:`gaussian_kl`).

    Attributes:
        x: the real integration variable.
        mu1: mean of ``p``.
        sigma1: standard deviation of ``p`` (positive).
        mu2: mean of ``q``.
        sigma2: standard deviation of ``q`` (positive).
        density: the density of ``p = N(mu1, sigma1^2)`` at ``x``.
        log_ratio: ``log p(x) - log q(x)``, a quadratic polynomial in ``x``.
        moments: ``(E_p[1], E_p[x], E_p[x^2])``, each by ``sympy.integrate`` over the line.
        divergence: ``E_p[log p - log q]`` assembled from the moments.
        closed_form: ``log(sigma2/sigma1) + (sigma1^2 + (mu1 - mu2)^2) / (2 sigma2^2) - 1/2``.
        claim_holds: ``E_p[1] = 1`` and the divergence simplified to the closed form.
    """

    x: sp.Symbol
    mu1: sp.Symbol
    sigma1: sp.Symbol
    mu2: sp.Symbol
    sigma2: sp.Symbol
    density: sp.Expr
    log_ratio: sp.Expr
    moments: tuple[sp.Expr, sp.Expr, sp.Expr]
    divergence: sp.Expr
    closed_form: sp.Expr
    claim_holds: bool


def _gaussian_log_density(x: Any, mean: Any, std: Any) -> Any:
    return -sp.log(std) - sp.log(2 * sp.pi) / 2 - (x - mean) ** 2 / (2 * std**2)


@functools.cache
def gaussian_kl() -> GaussianKL:
    r"""Derive ``KL(N(mu1, sigma1^2) || N(mu2, sigma2^2))`` in closed form by integration.

    .. math::
        D_{\mathrm{KL}}(p \,\|\, q) = \int_{-\infty}^{\infty} p(x)
        \log\frac{p(x)}{q(x)}\, dx
        = \log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2}
        - \frac12

    The log-ratio of two Gaussian densities is a quadratic polynomial in ``x``, so the
    integral is a combination of the first three moments of ``p``; SymPy integrates each
    moment over the real line and simplifies the combination to the closed form.

    Returns:
        A :class:`GaussianKL`.

    Examples:
        >>> from xent.symbolic import gaussian_kl
        >>> result = gaussian_kl()
        >>> result.moments[1:]
        (mu1, mu1**2 + sigma1**2)
        >>> result.claim_holds
        True

    References:
        Kullback, S. and Leibler, R. A. (1951). On information and sufficiency. *Annals of
        Mathematical Statistics* 22(1). Bishop, C. M. (2006). *Pattern Recognition and
        Machine Learning*, exercise 1.30. Springer.
    """
    x = sp.Symbol("x", real=True)
    mu1, mu2 = sp.symbols("mu1 mu2", real=True)
    sigma1, sigma2 = sp.symbols("sigma1 sigma2", positive=True)
    log_p = _gaussian_log_density(x, mu1, sigma1)
    density = sp.exp(log_p)
    log_ratio = sp.expand(log_p - _gaussian_log_density(x, mu2, sigma2))
    moments = tuple(sp.simplify(sp.integrate(x**k * density, (x, -sp.oo, sp.oo))) for k in range(3))
    coefficients = sp.Poly(log_ratio, x).all_coeffs()[::-1]
    divergence = sp.Add(*[c * m for c, m in zip(coefficients, moments, strict=True)])
    closed = (
        sp.log(sigma2 / sigma1)
        + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2)
        - sp.Rational(1, 2)
    )
    claim = moments[0] == 1 and _is_zero(sp.expand_log(divergence - closed))
    return GaussianKL(
        x,
        mu1,
        sigma1,
        mu2,
        sigma2,
        density,
        log_ratio,
        (moments[0], moments[1], moments[2]),
        sp.simplify(divergence),
        closed,
        claim,
    )


@dataclass(frozen=True)
class BernoulliKL:
    """KL divergence between two Bernoulli distributions (see :func:`bernoulli_kl`).

    Attributes:
        a: the probability of a one under ``p`` (positive, meant in ``(0, 1)``).
        b: the probability of a one under ``q`` (positive, meant in ``(0, 1)``).
        x: the outcome, summed over ``{0, 1}``.
        divergence: ``sum_x p(x) log(p(x) / q(x))`` as SymPy sums it.
        closed_form: ``a log(a/b) + (1 - a) log((1 - a)/(1 - b))``.
        cross_entropy_minus_entropy: ``H(p, q) - H(p)`` for the two coins.
        claim_holds: the sum, the closed form and ``H(p, q) - H(p)`` agree.
    """

    a: sp.Symbol
    b: sp.Symbol
    x: sp.Symbol
    divergence: sp.Expr
    closed_form: sp.Expr
    cross_entropy_minus_entropy: sp.Expr
    claim_holds: bool


@functools.cache
def bernoulli_kl() -> BernoulliKL:
    r"""Derive ``KL(Bernoulli(a) || Bernoulli(b))`` in closed form by summing over outcomes.

    .. math::
        D_{\mathrm{KL}} = \sum_{x \in \{0, 1\}} a^x (1 - a)^{1 - x}
        \log\frac{a^x (1 - a)^{1 - x}}{b^x (1 - b)^{1 - x}}
        = a \log\frac{a}{b} + (1 - a) \log\frac{1 - a}{1 - b}

    Returns:
        A :class:`BernoulliKL`.

    Examples:
        >>> from xent.symbolic import bernoulli_kl
        >>> result = bernoulli_kl()
        >>> result.closed_form
        a*log(a/b) + (1 - a)*log((1 - a)/(1 - b))
        >>> result.claim_holds
        True

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, 2nd ed.,
        section 2.3, example 2.3.1. Wiley.
    """
    a, b = sp.symbols("a b", positive=True)
    x = sp.Symbol("x", integer=True, nonnegative=True)
    p = a**x * (1 - a) ** (1 - x)
    q = b**x * (1 - b) ** (1 - x)
    divergence = sp.summation(p * sp.log(p / q), (x, 0, 1))
    closed = a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b))
    cross = -(a * sp.log(b) + (1 - a) * sp.log(1 - b))
    entropy = -(a * sp.log(a) + (1 - a) * sp.log(1 - a))
    # Splitting the logs is valid because a, b, 1 - a and 1 - b are all positive.
    claim = _is_zero(sp.expand_log(divergence - closed, force=True)) and _is_zero(
        sp.expand_log(cross - entropy - closed, force=True)
    )
    return BernoulliKL(a, b, x, divergence, closed, cross - entropy, claim)
