r"""Differential entropy and the divergence family (chapter 11).

The Gaussian's differential entropy by integration, with its scaling law and the width at
which it crosses zero; Pinsker's inequality for two coins, by the sign of a derivative; and
the bound ``JS <= log 2``, from the convexity of one function on ``[-1, 1]``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from xent.symbolic._common import _is_zero

__all__ = [
    "BinaryPinsker",
    "GaussianDifferentialEntropy",
    "JensenShannonBound",
    "binary_pinsker",
    "gaussian_differential_entropy",
    "jensen_shannon_bound",
]


# --------------------------------------------------------------------------- differential entropy
@dataclass(frozen=True)
class GaussianDifferentialEntropy:
    """Differential entropy of ``N(mu, sigma^2)`` (see :func:`gaussian_differential_entropy`).

    Attributes:
        x: the real integration variable.
        mu: the mean (real).
        sigma: the standard deviation (positive).
        scale: a positive factor ``a`` for the scaling law.
        density: the density of ``N(mu, sigma^2)`` at ``x``.
        moments: ``(E[1], E[(x - mu)^2])``, each by ``sympy.integrate`` over the line.
        entropy: ``E[-log p(x)]`` assembled from the moments.
        closed_form: ``log(2 pi e sigma^2) / 2``.
        scaled_minus_original: ``h(a X) - h(X)`` with ``a X ~ N(a mu, a^2 sigma^2)``: ``log a``.
        zero_at: the ``sigma > 0`` where the entropy is 0: ``(1 / sqrt(2 pi e),)``.
        claim_holds: the integral equals the closed form, scaling adds ``log a``, and the
            only zero is at ``sigma = 1 / sqrt(2 pi e)``.
    """

    x: sp.Symbol
    mu: sp.Symbol
    sigma: sp.Symbol
    scale: sp.Symbol
    density: sp.Expr
    moments: tuple[sp.Expr, sp.Expr]
    entropy: sp.Expr
    closed_form: sp.Expr
    scaled_minus_original: sp.Expr
    zero_at: tuple[sp.Expr, ...]
    claim_holds: bool


@functools.cache
def gaussian_differential_entropy() -> GaussianDifferentialEntropy:
    r"""Derive ``h(N(mu, sigma^2)) = log(2 pi e sigma^2) / 2`` and how it changes with scale.

    .. math::
        h(X) = -\int p(x) \log p(x)\, dx
        = \log \sigma + \tfrac12 \log 2\pi + \frac{\mathbb{E}[(x - \mu)^2]}{2\sigma^2}
        = \tfrac12 \log(2\pi e \sigma^2)

    ``-log p(x)`` is a quadratic polynomial in ``x - mu``, so its average needs only the
    moments ``E[1] = 1`` and ``E[(x - mu)^2] = sigma^2``, which SymPy integrates. Scaling
    ``X`` by ``a > 0`` scales ``sigma`` by ``a`` and adds ``log a``; the entropy is negative
    for ``sigma < 1 / sqrt(2 pi e)``, about 0.242.

    Returns:
        A :class:`GaussianDifferentialEntropy`.

    Examples:
        >>> from xent.symbolic import gaussian_differential_entropy
        >>> result = gaussian_differential_entropy()
        >>> result.scaled_minus_original, result.zero_at
        (log(a), (sqrt(2)*exp(-1/2)/(2*sqrt(pi)),))
        >>> result.claim_holds
        True

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, 2nd ed.,
        example 8.1.2 and theorem 8.6.4. Wiley.
    """
    x = sp.Symbol("x", real=True)
    mu = sp.Symbol("mu", real=True)
    sigma, scale = sp.symbols("sigma a", positive=True)
    log_density = -sp.log(sigma) - sp.log(2 * sp.pi) / 2 - (x - mu) ** 2 / (2 * sigma**2)
    density = sp.exp(log_density)
    moments = tuple(
        sp.simplify(sp.integrate((x - mu) ** k * density, (x, -sp.oo, sp.oo))) for k in (0, 2)
    )
    # -log p = [log sigma + log(2 pi) / 2] * 1 + (x - mu)^2 / (2 sigma^2)
    entropy = (sp.log(sigma) + sp.log(2 * sp.pi) / 2) * moments[0] + moments[1] / (2 * sigma**2)
    closed = sp.log(2 * sp.pi * sp.E * sigma**2) / 2
    scaled = sp.simplify(sp.expand_log(closed.subs(sigma, scale * sigma) - closed, force=True))
    zeros = sp.solveset(closed, sigma, sp.Interval.open(0, sp.oo))
    zero_at = tuple(zeros) if zeros.is_FiniteSet else ()
    claim = (
        moments[0] == 1
        and _is_zero(sp.expand_log(entropy - closed, force=True))
        and _is_zero(scaled - sp.log(scale))
        and len(zero_at) == 1
        and _is_zero(zero_at[0] - 1 / sp.sqrt(2 * sp.pi * sp.E))
    )
    return GaussianDifferentialEntropy(
        x, mu, sigma, scale, density, (moments[0], moments[1]), sp.simplify(entropy), closed,
        scaled, zero_at, bool(claim),
    )


# --------------------------------------------------------------------------- Pinsker
@dataclass(frozen=True)
class BinaryPinsker:
    """Pinsker's inequality for two coins (see :func:`binary_pinsker`).

    Attributes:
        a: heads probability of ``p`` (in (0, 1)).
        b: heads probability of ``q`` (in (0, 1)).
        kl: ``a log(a/b) + (1 - a) log((1 - a)/(1 - b))``.
        total_variation: ``|a - b|``.
        gap: ``kl - 2 (a - b)^2``, the slack of ``TV <= sqrt(KL / 2)``.
        gap_derivative: ``d gap / d b``.
        factored_derivative: ``(b - a) (1 - 2 b)^2 / (b (1 - b))``, which has the sign of
            ``b - a``.
        gap_at_equal: the gap at ``b = a``: 0.
        claim_holds: the derivative equals its factored form and the gap vanishes at
            ``b = a``, so the gap is smallest there and never negative.
    """

    a: sp.Symbol
    b: sp.Symbol
    kl: sp.Expr
    total_variation: sp.Expr
    gap: sp.Expr
    gap_derivative: sp.Expr
    factored_derivative: sp.Expr
    gap_at_equal: sp.Expr
    claim_holds: bool


@functools.cache
def binary_pinsker() -> BinaryPinsker:
    r"""Prove ``KL(Ber(a) || Ber(b)) >= 2 (a - b)^2``: Pinsker's inequality for two coins.

    .. math::
        g(b) = a \log\frac{a}{b} + (1 - a) \log\frac{1 - a}{1 - b} - 2 (a - b)^2, \qquad
        g'(b) = \frac{(b - a)(1 - 2b)^2}{b (1 - b)}

    For fixed ``a``, ``g'`` is negative for ``b < a`` and non-negative for ``b > a``, so ``g``
    is smallest at ``b = a``, where it is 0. With ``TV = |a - b|`` for two coins this is
    ``TV <= sqrt(KL / 2)``; the general inequality follows by applying it to the two-outcome
    coarsening ``{p > q}``, ``{p <= q}`` (data processing).

    Returns:
        A :class:`BinaryPinsker`.

    Examples:
        >>> from xent.symbolic import binary_pinsker
        >>> result = binary_pinsker()
        >>> result.factored_derivative
        (1 - 2*b)**2*(-a + b)/(b*(1 - b))
        >>> result.gap_at_equal, result.claim_holds
        (0, True)

    References:
        Pinsker, M. S. (1964). *Information and Information Stability of Random Variables and
        Processes*. Holden-Day. Cover, T. M. and Thomas, J. A. (2006). *Elements of
        Information Theory*, 2nd ed., lemma 11.6.1. Wiley.
    """
    a, b = sp.symbols("a b", positive=True)
    kl = a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b))
    gap = kl - 2 * (a - b) ** 2
    derivative = sp.diff(gap, b)
    factored = (b - a) * (1 - 2 * b) ** 2 / (b * (1 - b))
    at_equal = sp.simplify(gap.subs(b, a))
    claim = _is_zero(sp.together(derivative - factored)) and at_equal == 0
    return BinaryPinsker(
        a, b, kl, sp.Abs(a - b), gap, sp.simplify(derivative), factored, at_equal, bool(claim)
    )


# --------------------------------------------------------------------------- JS <= log 2
@dataclass(frozen=True)
class JensenShannonBound:
    """The bound ``JS <= log 2`` (see :func:`jensen_shannon_bound`).

    Attributes:
        p: one class's probability under ``p`` (positive).
        q: the same class's probability under ``q`` (positive).
        d: the relative difference ``(p - q) / (p + q)``, in ``[-1, 1]``.
        term: the class's contribution ``(p log(2p/(p+q)) + q log(2q/(p+q))) / 2``.
        bracket: ``phi(d) = (1 + d) log(1 + d) + (1 - d) log(1 - d)``, with
            ``term = (p + q) / 4 * phi(d)``.
        bracket_derivative: ``log((1 + d) / (1 - d))`` (up to SymPy's form).
        bracket_second_derivative: ``2 / (1 - d^2)``, positive: ``phi`` is convex.
        bracket_at_ends: ``phi`` at ``d -> -1+`` and ``d -> 1-``: both ``2 log 2``.
        bracket_at_zero: ``phi(0) = 0``.
        generator: ``f(t) = (t log t - (1 + t) log((1 + t)/2)) / 2``, with
            ``term = q f(p / q)``.
        claim_holds: the term is ``(p + q)/4 phi(d)`` and ``q f(p/q)``, ``phi`` is convex with
            the value ``2 log 2`` at both ends; summing ``(p_k + q_k)/4 * 2 log 2`` over the
            classes gives ``log 2``.
    """

    p: sp.Symbol
    q: sp.Symbol
    d: sp.Symbol
    term: sp.Expr
    bracket: sp.Expr
    bracket_derivative: sp.Expr
    bracket_second_derivative: sp.Expr
    bracket_at_ends: tuple[sp.Expr, sp.Expr]
    bracket_at_zero: sp.Expr
    generator: sp.Expr
    claim_holds: bool


@functools.cache
def jensen_shannon_bound() -> JensenShannonBound:
    r"""Prove ``JS(p, q) <= log 2``, with equality exactly for disjoint supports.

    .. math::
        \mathrm{JS}(p, q) = \sum_k \frac{p_k + q_k}{4}\, \varphi(d_k), \qquad
        d_k = \frac{p_k - q_k}{p_k + q_k}, \qquad
        \varphi(d) = (1 + d)\log(1 + d) + (1 - d)\log(1 - d)

    ``phi'' = 2 / (1 - d^2) > 0``, so ``phi`` is convex on ``[-1, 1]`` and at most its value
    at the ends, ``2 log 2``; since ``sum_k (p_k + q_k) = 2``, ``JS <= log 2``. Equality needs
    ``d_k = +-1`` in every class: no class has mass under both. The same per-class term is
    ``q f(p / q)`` for the generator ``f`` listed in ``xent.F_DIVERGENCES["js"]``.

    Returns:
        A :class:`JensenShannonBound`.

    Examples:
        >>> from xent.symbolic import jensen_shannon_bound
        >>> result = jensen_shannon_bound()
        >>> result.bracket_second_derivative, result.bracket_at_ends
        (2/(1 - d**2), (2*log(2), 2*log(2)))
        >>> result.claim_holds
        True

    References:
        Lin, J. (1991). Divergence measures based on the Shannon entropy. *IEEE Transactions
        on Information Theory* 37(1).
    """
    p, q = sp.symbols("p q", positive=True)
    d = sp.Symbol("d", real=True)
    t = sp.Symbol("t", positive=True)
    term = (p * sp.log(2 * p / (p + q)) + q * sp.log(2 * q / (p + q))) / 2
    bracket = (1 + d) * sp.log(1 + d) + (1 - d) * sp.log(1 - d)
    first = sp.simplify(sp.diff(bracket, d))
    second = sp.simplify(sp.diff(bracket, d, 2))
    ends = (sp.limit(bracket, d, -1, "+"), sp.limit(bracket, d, 1, "-"))
    at_zero = bracket.subs(d, 0)
    generator = (t * sp.log(t) - (1 + t) * sp.log((1 + t) / 2)) / 2
    as_bracket = (p + q) / 4 * bracket.subs(d, (p - q) / (p + q))
    as_generator = q * generator.subs(t, p / q)

    def same(lhs: sp.Expr, rhs: sp.Expr) -> bool:
        difference = sp.expand_log(sp.expand(lhs - rhs), force=True)
        return _is_zero(sp.expand_log(sp.simplify(difference), force=True))

    claim = (
        same(term, as_bracket)
        and same(term, as_generator)
        and _is_zero(sp.together(second - 2 / (1 - d**2)))
        and all(_is_zero(end - 2 * sp.log(2)) for end in ends)
        and at_zero == 0
    )
    return JensenShannonBound(
        p, q, d, term, bracket, first, 2 / (1 - d**2), ends, at_zero, generator, bool(claim)
    )
