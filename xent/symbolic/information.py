"""Entropy: the Bernoulli entropy, ``0 log 0``, and the maximum-entropy distribution."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sympy as sp

from xent.symbolic._common import (
    _is_zero,
    _num_classes,
    _probabilities,
)

__all__ = [
    "BernoulliEntropy",
    "GeneralMaximumEntropy",
    "MaximumEntropy",
    "ZeroLogZero",
    "bernoulli_entropy",
    "maximum_entropy",
    "maximum_entropy_general",
    "zero_log_zero",
]


# --------------------------------------------------------------------------- 1. entropy
@dataclass(frozen=True)
class BernoulliEntropy:
    """The entropy of a coin, its derivative and its maximum (see :func:`bernoulli_entropy`).

    Attributes:
        t: the probability of heads, a positive symbol (meant in ``(0, 1)``).
        expression: ``H(t) = -t log t - (1 - t) log(1 - t)`` in nats.
        derivative: ``dH/dt`` as SymPy differentiates it.
        derivative_closed_form: ``log((1 - t) / t)``.
        second_derivative: ``d^2 H / dt^2``, simplified: ``-1 / (t (1 - t))``.
        stationary_points: the solutions of ``dH/dt = 0`` in ``(0, 1)``: ``(1/2,)``.
        maximiser: ``1/2``.
        maximum: ``H(1/2) = log 2``.
        boundary_limits: ``H(0+)`` and ``H(1-)``, both 0.
        claim_holds: SymPy proved every part of the claim.
    """

    t: sp.Symbol
    expression: sp.Expr
    derivative: sp.Expr
    derivative_closed_form: sp.Expr
    second_derivative: sp.Expr
    stationary_points: tuple[sp.Expr, ...]
    maximiser: sp.Expr
    maximum: sp.Expr
    boundary_limits: tuple[sp.Expr, sp.Expr]
    claim_holds: bool


@functools.cache
def bernoulli_entropy() -> BernoulliEntropy:
    r"""Derive the Bernoulli entropy's derivative and its unique maximum ``log 2`` at ``t = 1/2``.

    .. math::
        H(t) = -t \log t - (1 - t) \log(1 - t), \qquad
        H'(t) = \log \frac{1 - t}{t}, \qquad
        H''(t) = -\frac{1}{t (1 - t)} < 0, \qquad
        \max_{0 \le t \le 1} H(t) = H\bigl(\tfrac12\bigr) = \log 2.

    ``H'' < 0`` makes ``H`` strictly concave on ``(0, 1)``, so the only stationary point is
    the global maximum; the boundary values ``H(0+) = H(1-) = 0`` are below it.

    Returns:
        A :class:`BernoulliEntropy`.

    Examples:
        >>> from xent.symbolic import bernoulli_entropy
        >>> result = bernoulli_entropy()
        >>> result.derivative_closed_form, result.maximiser, result.maximum
        (log((1 - t)/t), 1/2, log(2))
        >>> result.claim_holds
        True

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, 2nd ed.,
        section 2.1. Wiley.
    """
    t = sp.Symbol("t", positive=True)
    expression = -t * sp.log(t) - (1 - t) * sp.log(1 - t)
    derivative = sp.diff(expression, t)
    closed_form = sp.log((1 - t) / t)
    second = sp.simplify(sp.diff(expression, t, 2))
    stationary = sp.solveset(derivative, t, sp.Interval.open(0, 1))
    points = tuple(sorted(stationary, key=sp.default_sort_key)) if stationary.is_FiniteSet else ()
    maximiser = points[0] if len(points) == 1 else sp.nan
    maximum = sp.simplify(expression.subs(t, maximiser))
    limits = (sp.limit(expression, t, 0, "+"), sp.limit(expression, t, 1, "-"))
    claim = (
        # Splitting the log is valid because t and 1 - t are both positive on (0, 1).
        _is_zero(sp.expand_log(derivative - closed_form, force=True))
        and points == (sp.Rational(1, 2),)
        and _is_zero(maximum - sp.log(2))
        and _is_zero(second * t * (1 - t) + 1)
        and limits == (0, 0)
    )
    return BernoulliEntropy(
        t, expression, derivative, closed_form, second, points, maximiser, maximum, limits, claim
    )


@dataclass(frozen=True)
class ZeroLogZero:
    """The limits behind ``0 log 0 = 0`` (see :func:`zero_log_zero`).

    Attributes:
        t: a positive symbol tending to 0.
        c: a positive constant.
        expression: ``t log t``.
        limit: ``lim_{t -> 0+} t log t = 0``.
        relative_entropy_limit: ``lim_{t -> 0+} t log(t / c) = 0``: a ``p_i = 0`` term of a
            KL divergence vanishes.
        divergent_limit: ``lim_{t -> 0+} c log(c / t) = oo``: ``p_i > 0, q_i = 0`` costs
            infinitely much.
        claim_holds: SymPy found the three limits 0, 0 and ``oo``.
    """

    t: sp.Symbol
    c: sp.Symbol
    expression: sp.Expr
    limit: sp.Expr
    relative_entropy_limit: sp.Expr
    divergent_limit: sp.Expr
    claim_holds: bool


@functools.cache
def zero_log_zero() -> ZeroLogZero:
    r"""Justify the convention ``0 log 0 = 0`` as a limit, and ``c log(c/0) = +inf``.

    .. math::
        \lim_{t \to 0^+} t \log t = 0, \qquad
        \lim_{t \to 0^+} t \log \frac{t}{c} = 0, \qquad
        \lim_{t \to 0^+} c \log \frac{c}{t} = +\infty \quad (c > 0).

    The first two limits are why impossible outcomes contribute nothing to an entropy or a
    KL divergence; the third is why ``p > 0, q = 0`` gives an infinite KL divergence.

    Returns:
        A :class:`ZeroLogZero`.

    Examples:
        >>> from xent.symbolic import zero_log_zero
        >>> result = zero_log_zero()
        >>> result.expression, result.limit, result.divergent_limit
        (t*log(t), 0, oo)

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, 2nd ed.,
        section 2.1 (the convention 0 log 0 = 0) and section 2.3. Wiley.
    """
    t = sp.Symbol("t", positive=True)
    c = sp.Symbol("c", positive=True)
    expression = t * sp.log(t)
    limit = sp.limit(expression, t, 0, "+")
    relative = sp.limit(t * sp.log(t / c), t, 0, "+")
    divergent = sp.limit(c * sp.log(c / t), t, 0, "+")
    claim = limit == 0 and relative == 0 and divergent == sp.oo
    return ZeroLogZero(t, c, expression, limit, relative, divergent, bool(claim))


@dataclass(frozen=True)
class MaximumEntropy:
    """The maximum-entropy distribution on ``K`` points (see :func:`maximum_entropy`).

    Attributes:
        probabilities: the symbols ``p1 .. pK`` (positive).
        multiplier: the Lagrange multiplier ``lambda`` of ``sum p = 1``.
        entropy: ``H(p) = -sum_i p_i log p_i``.
        lagrangian: ``H(p) + lambda (sum_i p_i - 1)``.
        stationarity: ``dL/dp_i`` for each ``i``: ``lambda - log p_i - 1``.
        stationary_probabilities: each ``p_i`` solved from its stationarity equation.
        multiplier_value: ``lambda`` solved from the constraint: ``1 - log K``.
        maximiser: the stationary distribution: ``(1/K, ..., 1/K)``.
        maximum: ``H`` at the maximiser: ``log K``.
        hessian: the Hessian of ``H``, ``diag(-1/p_i)``: negative definite.
        claim_holds: SymPy proved every part of the claim.
    """

    probabilities: tuple[sp.Symbol, ...]
    multiplier: sp.Symbol
    entropy: sp.Expr
    lagrangian: sp.Expr
    stationarity: tuple[sp.Expr, ...]
    stationary_probabilities: tuple[sp.Expr, ...]
    multiplier_value: sp.Expr
    maximiser: tuple[sp.Expr, ...]
    maximum: sp.Expr
    hessian: sp.ImmutableMatrix
    claim_holds: bool


def _single_solution(equation: Any, symbol: Any) -> Any:
    solutions = sp.solveset(equation, symbol, sp.S.Reals)
    if not (solutions.is_FiniteSet and len(solutions) == 1):
        raise ArithmeticError(f"expected one real solution of {equation} = 0; got {solutions}")
    return next(iter(solutions))


@functools.cache
def maximum_entropy(num_classes: int) -> MaximumEntropy:
    r"""Derive by Lagrange multipliers that the uniform distribution maximises entropy: ``log K``.

    .. math::
        \mathcal L(p, \lambda) = -\sum_{i=1}^K p_i \log p_i + \lambda \Bigl(\sum_i p_i - 1\Bigr),
        \qquad \frac{\partial \mathcal L}{\partial p_i} = \lambda - \log p_i - 1 = 0
        \;\Rightarrow\; p_i = e^{\lambda - 1} = \frac1K, \qquad H_{\max} = \log K.

    Every ``p_i`` solves the same equation, so the stationary point is uniform; the
    constraint fixes ``lambda = 1 - log K``. The Hessian of ``H`` is ``diag(-1/p_i)``,
    negative definite, so ``H`` is strictly concave and the stationary point is the unique
    global maximum on the simplex.

    Args:
        num_classes: the number of outcomes ``K >= 2``.

    Returns:
        A :class:`MaximumEntropy`.

    Raises:
        ValueError: if ``num_classes < 2``.

    Examples:
        >>> from xent.symbolic import maximum_entropy
        >>> result = maximum_entropy(3)
        >>> result.stationarity[0], result.maximiser, result.maximum
        (lambda - log(p1) - 1, (1/3, 1/3, 1/3), log(3))
        >>> result.claim_holds
        True

    References:
        Jaynes, E. T. (1957). Information theory and statistical mechanics. *Physical
        Review* 106(4).
    """
    size = _num_classes(num_classes)
    p = _probabilities(size, "p")
    multiplier = sp.Symbol("lambda", real=True)
    entropy = -sp.Add(*[pi * sp.log(pi) for pi in p])
    lagrangian = entropy + multiplier * (sp.Add(*p) - 1)
    stationarity = tuple(sp.diff(lagrangian, pi) for pi in p)
    stationary = tuple(_single_solution(eq, pi) for eq, pi in zip(stationarity, p, strict=True))
    multiplier_value = _single_solution(sp.Add(*stationary) - 1, multiplier)
    maximiser = tuple(sp.simplify(s.subs(multiplier, multiplier_value)) for s in stationary)
    maximum = sp.simplify(entropy.subs(dict(zip(p, maximiser, strict=True))))
    hessian = sp.ImmutableMatrix(sp.hessian(entropy, p))
    claim = (
        all(m == sp.Rational(1, size) for m in maximiser)
        and _is_zero(sp.expand_log(maximum - sp.log(size), force=True))
        and hessian.is_diagonal()
        and all(bool(hessian[i, i].is_negative) for i in range(size))
    )
    return MaximumEntropy(
        p,
        multiplier,
        entropy,
        lagrangian,
        stationarity,
        stationary,
        sp.expand_log(multiplier_value, force=True),
        maximiser,
        maximum,
        hessian,
        claim,
    )


@dataclass(frozen=True)
class GeneralMaximumEntropy:
    """Maximum entropy for a symbolic number of outcomes (see :func:`maximum_entropy_general`).

    Attributes:
        num_classes: the symbol ``K`` (a positive integer).
        index: the index symbol ``j`` of the stationarity condition.
        probabilities: ``IndexedBase`` ``p``.
        multiplier: the Lagrange multiplier ``lambda``.
        entropy: ``-Sum(p[i] log p[i], (i, 1, K))``.
        lagrangian: ``H + lambda (Sum(p[i]) - 1)``.
        stationarity: ``dL/dp[j]`` for ``1 <= j <= K``: ``lambda - log p[j] - 1``.
        stationary_probability: ``p[j] = exp(lambda - 1)``, the same for every ``j``.
        multiplier_value: ``1 - log K``.
        maximiser: ``1/K``.
        maximum: ``log K``.
        claim_holds: SymPy proved every part of the claim.
    """

    num_classes: sp.Symbol
    index: sp.Symbol
    probabilities: sp.IndexedBase
    multiplier: sp.Symbol
    entropy: sp.Expr
    lagrangian: sp.Expr
    stationarity: sp.Expr
    stationary_probability: sp.Expr
    multiplier_value: sp.Expr
    maximiser: sp.Expr
    maximum: sp.Expr
    claim_holds: bool


@functools.cache
def maximum_entropy_general() -> GeneralMaximumEntropy:
    r"""Derive the maximum-entropy stationarity condition and its solution for symbolic ``K``.

    .. math::
        \frac{\partial}{\partial p_j}\Bigl[-\sum_{i=1}^K p_i \log p_i
        + \lambda\Bigl(\sum_{i=1}^K p_i - 1\Bigr)\Bigr] = \lambda - \log p_j - 1 = 0
        \;\Rightarrow\; p_j = e^{\lambda - 1}, \quad K e^{\lambda - 1} = 1, \quad
        p_j = \frac1K, \quad H = \log K.

    SymPy differentiates the ``Sum`` with respect to the indexed ``p[j]`` (the Kronecker
    delta picks out term ``j``), solves for ``p[j]``, sums the solution over ``K`` terms to
    solve the constraint for ``lambda``, and evaluates the entropy there.

    Returns:
        A :class:`GeneralMaximumEntropy`.

    Examples:
        >>> from xent.symbolic import maximum_entropy_general
        >>> result = maximum_entropy_general()
        >>> result.stationarity, result.maximiser, result.maximum
        (lambda - log(p[j]) - 1, 1/K, log(K))

    References:
        Jaynes, E. T. (1957). Information theory and statistical mechanics. *Physical
        Review* 106(4).
    """
    size = sp.Symbol("K", integer=True, positive=True)
    i, j = sp.symbols("i j", integer=True, positive=True)
    p = sp.IndexedBase("p", positive=True)
    multiplier = sp.Symbol("lambda", real=True)
    entropy = -sp.Sum(p[i] * sp.log(p[i]), (i, 1, size))
    lagrangian = entropy + multiplier * (sp.Sum(p[i], (i, 1, size)) - 1)
    # The Kronecker deltas of d/dp[j] leave a Piecewise on j <= K; j is a valid index.
    stationarity = sp.refine(sp.diff(lagrangian, p[j]).doit(), sp.Q.le(j, size))
    stationary = _single_solution(stationarity, p[j])
    constraint = sp.Sum(stationary, (i, 1, size)).doit() - 1
    multiplier_value = sp.expand_log(_single_solution(constraint, multiplier), force=True)
    maximiser = sp.simplify(stationary.subs(multiplier, multiplier_value))
    maximum = sp.simplify(
        sp.expand_log(sp.Sum(-maximiser * sp.log(maximiser), (i, 1, size)).doit(), force=True)
    )
    claim = (
        _is_zero(stationarity - (multiplier - sp.log(p[j]) - 1))
        and not stationary.has(j)
        and _is_zero(maximiser - 1 / size)
        and _is_zero(maximum - sp.log(size))
    )
    return GeneralMaximumEntropy(
        size,
        j,
        p,
        multiplier,
        entropy,
        lagrangian,
        stationarity,
        stationary,
        multiplier_value,
        maximiser,
        maximum,
        claim,
    )
