r"""Symbolic derivations of the course's key results, done by SymPy.

Every function derives one result and returns a frozen dataclass of SymPy objects: the
expressions a chapter displays (``.expression``, ``.gradient``, ``.closed_form``, ...) and
``.claim_holds``, which is ``True`` only if SymPy proved the claim stated in the docstring
(an identity simplified to 0, a stationary point solved for, a limit evaluated).
:func:`to_numpy` turns any of the expressions into a vectorised numpy function, which is how
the tests hold each derivation against its numeric twin in :mod:`xent`.

Results about ``K`` classes are derived for a concrete ``num_classes`` (logits ``z1 .. zK``,
probabilities ``q1 .. qK``) and, where SymPy can do it, for a symbolic ``K`` with
``IndexedBase`` and ``Sum`` (the ``*_general`` functions). Identities in the logits are
proved by rewriting them in the probabilities: :math:`e^{z_i} = T q_i` with :math:`T` the
softmax normaliser and :math:`\sum_i q_i = 1`, after which they are rational identities
(up to a few named powers and logarithms) that SymPy cancels exactly.

Derivations are cached: each runs once per process and argument, and returns the same
(immutable) object afterwards.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

__all__ = [
    "BernoulliEntropy",
    "BernoulliKL",
    "BinaryCrossEntropyGradient",
    "BinaryFocalLossGradient",
    "CrossEntropyDecomposition",
    "FocalLossGradient",
    "GaussianKL",
    "GeneralMaximumEntropy",
    "GeneralSoftmaxCrossEntropyGradient",
    "GeneralSoftmaxJacobian",
    "GibbsInequality",
    "LabelSmoothingGradient",
    "LogSumExpCurvature",
    "MaximumEntropy",
    "SoftmaxCrossEntropyGradient",
    "SoftmaxCrossEntropyHessian",
    "SoftmaxJacobian",
    "TwoClassSoftmax",
    "ZeroLogZero",
    "bernoulli_entropy",
    "bernoulli_kl",
    "binary_cross_entropy_gradient",
    "binary_focal_loss_gradient",
    "cross_entropy_decomposition",
    "cross_entropy_decomposition_general",
    "focal_loss_gradient",
    "gaussian_kl",
    "gibbs_inequality",
    "label_smoothing_gradient",
    "logsumexp_curvature",
    "maximum_entropy",
    "maximum_entropy_general",
    "softmax_cross_entropy_gradient",
    "softmax_cross_entropy_gradient_general",
    "softmax_cross_entropy_hessian",
    "softmax_jacobian",
    "softmax_jacobian_general",
    "to_numpy",
    "two_class_softmax",
    "zero_log_zero",
]

#: The softmax normaliser :math:`T = \sum_j e^{z_j}` in proofs that rewrite logits as
#: probabilities (:math:`e^{z_i} = T q_i`).
_NORMALISER = sp.Symbol("T", positive=True)


# --------------------------------------------------------------------------- helpers
def _num_classes(num_classes: int) -> int:
    if isinstance(num_classes, bool):
        raise TypeError(f"num_classes must be an integer; got {num_classes!r}")
    try:
        value = operator.index(num_classes)
    except TypeError:
        raise TypeError(f"num_classes must be an integer; got {num_classes!r}") from None
    if value < 2:
        raise ValueError(f"num_classes must be at least 2; got {value}")
    return value


def _vector(name: str, size: int, **assumptions: bool) -> tuple[Any, ...]:
    return tuple(sp.symbols(f"{name}1:{size + 1}", **assumptions))


def _logits(num_classes: int) -> tuple[Any, ...]:
    return _vector("z", num_classes, real=True)


def _probabilities(num_classes: int, name: str = "q") -> tuple[Any, ...]:
    return _vector(name, num_classes, positive=True)


def _softmax(logits: Sequence[Any]) -> tuple[Any, ...]:
    normaliser = sp.Add(*[sp.exp(z) for z in logits])
    return tuple(sp.exp(z) / normaliser for z in logits)


def _logsumexp(logits: Sequence[Any]) -> Any:
    return sp.log(sp.Add(*[sp.exp(z) for z in logits]))


def _is_zero(expr: Any) -> bool:
    """Whether SymPy proves ``expr == 0``: by expansion, by cancellation, else by ``simplify``."""
    # simplify is slow and heuristic: the exact, cheap rewrites go first.
    return bool(sp.expand(expr) == 0 or sp.cancel(expr) == 0 or sp.simplify(expr) == 0)


def _normalise_arguments(expr: Any) -> Any:
    """Cancel inside logarithms and powers with a symbolic exponent, so equal ones look equal.

    Integer powers need no such care: the final ``cancel`` of a rational function sees
    through them.
    """

    def needs_cancel(node: Any) -> bool:
        return isinstance(node, sp.log) or bool(node.is_Pow and not node.exp.is_Integer)

    def cancelled(node: Any) -> Any:
        return node.func(*[sp.cancel(arg) for arg in node.args])

    return expr.replace(needs_cancel, cancelled)


def _in_probabilities(
    expr: Any, logits: Sequence[Any], probabilities: Sequence[Any], keep: int | None = None
) -> Any:
    """Rewrite ``expr`` in the softmax probabilities: ``sum_j e^{z_j} = T``, ``e^{z_i} = T q_i``.

    One probability (the last one, or the first when ``keep`` is the last index) is
    eliminated as ``1 - sum(others)``; ``keep`` names a probability that must survive because
    it is the base of a power or the argument of a logarithm that the caller replaces.
    """
    expr = sp.sympify(expr)
    if logits:
        expr = expr.subs(sp.Add(*[sp.exp(z) for z in logits]), _NORMALISER)
        # exp(z1 + z2) must become exp(z1) exp(z2) before z_i = log(T q_i) can cancel the exp.
        expr = sp.expand_power_exp(expr).subs(
            {z: sp.log(_NORMALISER * q) for z, q in zip(logits, probabilities, strict=True)}
        )
    last = len(probabilities) - 1
    eliminated = 0 if keep == last else last
    others = [q for i, q in enumerate(probabilities) if i != eliminated]
    expr = expr.subs(probabilities[eliminated], 1 - sp.Add(*others))
    return sp.expand_log(_normalise_arguments(expr))


def _replace_powers(expr: Any, exponent: Any, powers: dict[Any, Any]) -> Any:
    """Write every ``base**(exponent + c)`` as ``symbol * base**c`` for ``base -> symbol``.

    SymPy keeps ``(1 - q)**gamma`` and ``(1 - q)**(gamma - 1)`` apart, so an identity
    between them (true for ``1 - q > 0``) only cancels once both are written through one
    symbol standing for ``(1 - q)**gamma``.
    """

    def matches(node: Any) -> bool:
        return bool(node.is_Pow and node.exp.has(exponent) and node.base in powers)

    def rewritten(node: Any) -> Any:
        return powers[node.base] * node.base ** sp.expand(node.exp - exponent)

    return expr.replace(matches, rewritten)


def _holds_in_probabilities(
    derived: Any,
    closed_form: Any,
    logits: Sequence[Any],
    probabilities: Sequence[Any],
) -> bool:
    """Whether ``derived`` (in the logits) equals ``closed_form`` (in the probabilities)."""
    difference = _in_probabilities(derived, logits, probabilities) - _in_probabilities(
        closed_form, (), probabilities
    )
    return _is_zero(difference)


def _elementwise_holds(
    derived: Sequence[Any] | Any,
    closed_form: Sequence[Any] | Any,
    logits: Sequence[Any],
    probabilities: Sequence[Any],
) -> bool:
    return all(
        _holds_in_probabilities(d, c, logits, probabilities)
        for d, c in zip(list(derived), list(closed_form), strict=True)
    )


def _normalised(probabilities: Sequence[Any]) -> dict[Any, Any]:
    """Substitution that makes ``probabilities`` sum to 1 by eliminating the last one."""
    return {probabilities[-1]: 1 - sp.Add(*probabilities[:-1])}


def _outer(column: Sequence[Any], row: Sequence[Any]) -> Any:
    return sp.Matrix(column) * sp.Matrix(row).T


# --------------------------------------------------------------------------- numpy bridge
def to_numpy(
    expr: sp.Basic | sp.MatrixBase | Sequence[sp.Basic], *args: sp.Basic | Sequence[sp.Basic]
) -> Callable[..., np.ndarray]:
    r"""Turn a SymPy expression into a vectorised numpy function (``sympy.lambdify``).

    .. math:: f(a_1, \dots, a_n) = \mathrm{expr}\big|_{\mathrm{args}_k = a_k}

    Each argument of the returned function matches one entry of ``args``: a single symbol
    takes an array of any shape, a sequence of ``K`` symbols (a vector such as the logits)
    takes an array of shape ``(..., K)`` whose last axis is unpacked into the symbols. All
    arguments broadcast against each other. Complex input is passed through, so the result
    can be differentiated by the complex step.

    Args:
        expr: a SymPy expression, a sequence of expressions of length ``m``, or a matrix of
            shape ``(m, n)``.
        *args: the free symbols, each a symbol or a sequence of symbols.

    Returns:
        A function of ``len(args)`` arrays returning an array of shape ``(...)`` for an
        expression, ``(..., m)`` for a sequence and ``(..., m, n)`` for a matrix, where
        ``...`` is the broadcast batch shape of the arguments.

    Raises:
        ValueError: (when called) if a vector argument's last axis does not have one entry
            per symbol.

    Examples:
        >>> import numpy as np
        >>> import sympy as sp
        >>> from xent.symbolic import to_numpy
        >>> z1, z2 = sp.symbols("z1 z2", real=True)
        >>> f = to_numpy(sp.exp(z1) / (sp.exp(z1) + sp.exp(z2)), (z1, z2))
        >>> f(np.array([[0.0, 0.0], [np.log(3.0), 0.0]])).round(12).tolist()
        [0.5, 0.75]

    References:
        Meurer, A. et al. (2017). SymPy: symbolic computing in Python. *PeerJ Computer
        Science* 3:e103.
    """
    vector_sizes = [len(arg) if isinstance(arg, (tuple, list)) else None for arg in args]
    groups = [
        list(arg) if size is not None else arg for arg, size in zip(args, vector_sizes, strict=True)
    ]
    if isinstance(expr, sp.MatrixBase):
        out_shape: tuple[int, ...] = tuple(expr.shape)
        entries = list(expr)
    elif isinstance(expr, (tuple, list)):
        out_shape = (len(expr),)
        entries = list(expr)
    else:
        out_shape = ()
        entries = [expr]
    # No docstring: printing a large expression a second time costs more than compiling it.
    function = sp.lambdify(groups, entries, modules="numpy", cse=True, docstring_limit=0)

    def evaluate(*values: Any) -> np.ndarray:
        if len(values) != len(groups):
            raise TypeError(f"expected {len(groups)} arguments; got {len(values)}")
        unpacked = []
        batch_shapes = []
        for value, size in zip(values, vector_sizes, strict=True):
            array = np.asarray(value)
            if array.dtype.kind in "biu":
                array = array.astype(np.float64)
            if size is None:
                unpacked.append(array)
                batch_shapes.append(array.shape)
                continue
            if array.ndim == 0 or array.shape[-1] != size:
                raise ValueError(
                    f"a vector argument of {size} symbols needs shape (..., {size}); "
                    f"got {array.shape}"
                )
            unpacked.append(np.moveaxis(array, -1, 0))
            batch_shapes.append(array.shape[:-1])
        batch = np.broadcast_shapes(*batch_shapes)
        results = [np.broadcast_to(np.asarray(r), batch) for r in function(*unpacked)]
        stacked = np.stack(results, axis=-1) if results else np.empty(batch + (0,))
        return np.asarray(stacked.reshape(batch + out_shape))

    return evaluate


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


# --------------------------------------------------------------------------- 3. softmax
@dataclass(frozen=True)
class SoftmaxJacobian:
    """The Jacobian of the softmax (see :func:`softmax_jacobian`).

    Attributes:
        logits: the symbols ``z1 .. zK`` (real).
        probabilities: the symbols ``q1 .. qK`` standing for ``softmax(z)``.
        softmax: ``exp(z_i) / sum_j exp(z_j)`` for each ``i``.
        jacobian: ``d softmax_i / d z_j`` as SymPy differentiates it (the quotient rule,
            unsimplified), shape ``(K, K)``.
        closed_form: ``diag(q) - q q^T`` in the probabilities, shape ``(K, K)``.
        claim_holds: every entry of ``jacobian`` equals the closed form at ``q = softmax(z)``.
    """

    logits: tuple[sp.Symbol, ...]
    probabilities: tuple[sp.Symbol, ...]
    softmax: tuple[sp.Expr, ...]
    jacobian: sp.ImmutableMatrix
    closed_form: sp.ImmutableMatrix
    claim_holds: bool


@functools.cache
def softmax_jacobian(num_classes: int) -> SoftmaxJacobian:
    r"""Derive the softmax Jacobian ``diag(q) - q q^T`` for ``K`` logits.

    .. math::
        q_i = \frac{e^{z_i}}{\sum_k e^{z_k}}, \qquad
        \frac{\partial q_i}{\partial z_j} = q_i (\delta_{ij} - q_j), \qquad
        J = \operatorname{diag}(q) - q q^\top

    Args:
        num_classes: the number of classes ``K >= 2``.

    Returns:
        A :class:`SoftmaxJacobian`.

    Raises:
        ValueError: if ``num_classes < 2``.

    Examples:
        >>> from xent.symbolic import softmax_jacobian
        >>> result = softmax_jacobian(2)
        >>> result.closed_form
        Matrix([
        [-q1**2 + q1,      -q1*q2],
        [     -q1*q2, -q2**2 + q2]])
        >>> result.claim_holds
        True

    References:
        Bridle, J. S. (1990). Probabilistic interpretation of feedforward classification
        network outputs. *Neurocomputing* (NATO ASI Series F68). Goodfellow, I., Bengio, Y.
        and Courville, A. (2016). *Deep Learning*, section 6.2.2.3. MIT Press.
    """
    size = _num_classes(num_classes)
    z = _logits(size)
    q = _probabilities(size)
    softmax = _softmax(z)
    jacobian = sp.ImmutableMatrix(sp.Matrix(softmax).jacobian(z))
    closed = sp.ImmutableMatrix(sp.diag(*q) - _outer(q, q))
    claim = _elementwise_holds(jacobian, closed, z, q)
    return SoftmaxJacobian(z, q, softmax, jacobian, closed, claim)


@dataclass(frozen=True)
class GeneralSoftmaxJacobian:
    """The softmax Jacobian for symbolic ``K`` (see :func:`softmax_jacobian_general`).

    Attributes:
        num_classes: the symbol ``K``.
        indices: the index symbols ``(i, j)``.
        logits: ``IndexedBase`` ``z``.
        softmax: ``q_i = exp(z[i]) / Sum(exp(z[k]), (k, 1, K))``.
        derivative: ``d q_i / d z[j]`` for ``1 <= j <= K``.
        closed_form: ``KroneckerDelta(i, j) q_i - q_i q_j``.
        claim_holds: SymPy simplified the difference to 0.
    """

    num_classes: sp.Symbol
    indices: tuple[sp.Symbol, sp.Symbol]
    logits: sp.IndexedBase
    softmax: sp.Expr
    derivative: sp.Expr
    closed_form: sp.Expr
    claim_holds: bool


@functools.cache
def softmax_jacobian_general() -> GeneralSoftmaxJacobian:
    r"""Derive ``d q_i / d z_j = q_i (delta_ij - q_j)`` for a symbolic number of classes ``K``.

    .. math::
        \frac{\partial}{\partial z_j} \frac{e^{z_i}}{\sum_{k=1}^K e^{z_k}}
        = \delta_{ij} \frac{e^{z_i}}{\sum_k e^{z_k}}
        - \frac{e^{z_i} e^{z_j}}{\bigl(\sum_k e^{z_k}\bigr)^2}
        = q_i (\delta_{ij} - q_j)

    Returns:
        A :class:`GeneralSoftmaxJacobian`.

    Examples:
        >>> from xent.symbolic import softmax_jacobian_general
        >>> softmax_jacobian_general().claim_holds
        True

    References:
        Bridle, J. S. (1990). Probabilistic interpretation of feedforward classification
        network outputs. *Neurocomputing* (NATO ASI Series F68).
    """
    size = sp.Symbol("K", integer=True, positive=True)
    i, j, k = sp.symbols("i j k", integer=True, positive=True)
    z = sp.IndexedBase("z", real=True)
    normaliser = sp.Sum(sp.exp(z[k]), (k, 1, size))
    q_i = sp.exp(z[i]) / normaliser
    q_j = sp.exp(z[j]) / normaliser
    # The Kronecker deltas of d/dz[j] leave a Piecewise on j <= K; j is a valid index.
    derivative = sp.refine(sp.diff(q_i, z[j]).doit(), sp.Q.le(j, size))
    closed = sp.KroneckerDelta(i, j) * q_i - q_i * q_j
    claim = _is_zero(derivative - closed)
    return GeneralSoftmaxJacobian(size, (i, j), z, q_i, derivative, closed, claim)


# --------------------------------------------------------------------------- 4. CE gradient
@dataclass(frozen=True)
class SoftmaxCrossEntropyGradient:
    """The gradient of softmax cross-entropy with soft targets.

    See :func:`softmax_cross_entropy_gradient`.

    Attributes:
        logits: the symbols ``z1 .. zK`` (real).
        targets: the symbols ``p1 .. pK`` (real, not assumed to sum to 1).
        probabilities: the symbols ``q1 .. qK`` standing for ``softmax(z)``.
        softmax: ``exp(z_i) / sum_j exp(z_j)`` for each ``i``.
        loss: ``-sum_i p_i log softmax(z)_i``.
        logsumexp_loss: the same loss as ``(sum_i p_i) lse(z) - sum_i p_i z_i``.
        jacobian_route: the gradient as ``J^T (dL/dq)``, a vector-Jacobian product.
        shortcut_route: the gradient of ``logsumexp_loss``.
        closed_form: ``(sum_j p_j) q_i - p_i`` for each ``i``.
        normalised_closed_form: ``q_i - p_i``, the closed form when ``sum p = 1``.
        claim_holds: both routes equal the closed form, the two losses are equal, and the
            closed form is ``q - p`` for normalised targets.
    """

    logits: tuple[sp.Symbol, ...]
    targets: tuple[sp.Symbol, ...]
    probabilities: tuple[sp.Symbol, ...]
    softmax: tuple[sp.Expr, ...]
    loss: sp.Expr
    logsumexp_loss: sp.Expr
    jacobian_route: tuple[sp.Expr, ...]
    shortcut_route: tuple[sp.Expr, ...]
    closed_form: tuple[sp.Expr, ...]
    normalised_closed_form: tuple[sp.Expr, ...]
    claim_holds: bool


@functools.cache
def softmax_cross_entropy_gradient(num_classes: int) -> SoftmaxCrossEntropyGradient:
    r"""Derive the softmax cross-entropy gradient ``(sum p) q - p`` (``q - p`` when ``sum p = 1``).

    .. math::
        L(z) = -\sum_{i=1}^K p_i \log q_i(z)
             = \Bigl(\sum_i p_i\Bigr) \log\sum_k e^{z_k} - \sum_i p_i z_i, \qquad
        \nabla_z L = J^\top \Bigl(-\frac{p}{q}\Bigr) = \Bigl(\sum_i p_i\Bigr) q - p

    Two routes give the same gradient: the Jacobian route multiplies ``dL/dq_i = -p_i/q_i``
    by the softmax Jacobian ``diag(q) - q q^T`` (a vector-Jacobian product); the shortcut
    route differentiates the log-sum-exp form of the loss. The targets are soft (any real
    ``p``); with ``sum p = 1`` the gradient is ``q - p``.

    Args:
        num_classes: the number of classes ``K >= 2``.

    Returns:
        A :class:`SoftmaxCrossEntropyGradient`.

    Raises:
        ValueError: if ``num_classes < 2``.

    Examples:
        >>> from xent.symbolic import softmax_cross_entropy_gradient
        >>> result = softmax_cross_entropy_gradient(3)
        >>> result.closed_form[0]
        -p1 + q1*(p1 + p2 + p3)
        >>> result.normalised_closed_form
        (-p1 + q1, -p2 + q2, -p3 + q3)
        >>> result.claim_holds
        True

    References:
        Bridle, J. S. (1990). Training stochastic model recognition algorithms as networks
        can lead to maximum mutual information estimation of parameters. *NeurIPS* 2.
        Goodfellow, I., Bengio, Y. and Courville, A. (2016). *Deep Learning*, section 6.2.2.3.
        MIT Press.
    """
    size = _num_classes(num_classes)
    z = _logits(size)
    p = _vector("p", size, real=True)
    q = _probabilities(size)
    softmax = _softmax(z)
    loss = -sp.Add(*[pi * sp.log(si) for pi, si in zip(p, softmax, strict=True)])
    lse_loss = sp.Add(*p) * _logsumexp(z) - sp.Add(*[pi * zi for pi, zi in zip(p, z, strict=True)])
    jacobian = softmax_jacobian(size).jacobian
    loss_in_q = -sp.Add(*[pi * sp.log(qi) for pi, qi in zip(p, q, strict=True)])
    at_softmax = dict(zip(q, softmax, strict=True))
    outer_gradient = sp.Matrix([sp.diff(loss_in_q, qi).subs(at_softmax) for qi in q])
    jacobian_route = tuple(jacobian.T * outer_gradient)
    shortcut_route = tuple(sp.diff(lse_loss, zj) for zj in z)
    closed = tuple(sp.Add(*p) * qi - pi for qi, pi in zip(q, p, strict=True))
    normalised = tuple(qi - pi for qi, pi in zip(q, p, strict=True))
    claim = (
        # log(e^{z_i} / T) = z_i - log T because e^{z_i} and T are positive.
        _is_zero(sp.expand_log(loss - lse_loss, force=True))
        and _elementwise_holds(jacobian_route, closed, z, q)
        and _elementwise_holds(shortcut_route, closed, z, q)
        and all(
            _is_zero((c - n).subs(_normalised(p))) for c, n in zip(closed, normalised, strict=True)
        )
    )
    return SoftmaxCrossEntropyGradient(
        z, p, q, softmax, loss, lse_loss, jacobian_route, shortcut_route, closed, normalised, claim
    )


@dataclass(frozen=True)
class GeneralSoftmaxCrossEntropyGradient:
    """The softmax cross-entropy gradient for symbolic ``K``.

    See :func:`softmax_cross_entropy_gradient_general`.

    Attributes:
        num_classes: the symbol ``K``.
        index: the index symbol ``j`` of the gradient entry.
        logits: ``IndexedBase`` ``z``.
        targets: ``IndexedBase`` ``p`` (soft targets, not assumed to sum to 1).
        loss: ``-Sum(p[i] log softmax(z)_i, (i, 1, K))``.
        gradient: ``dL/dz[j]`` for ``1 <= j <= K``, simplified.
        closed_form: ``Sum(p[i], (i, 1, K)) q_j - p[j]``.
        claim_holds: SymPy simplified ``gradient - closed_form`` to 0.
    """

    num_classes: sp.Symbol
    index: sp.Symbol
    logits: sp.IndexedBase
    targets: sp.IndexedBase
    loss: sp.Expr
    gradient: sp.Expr
    closed_form: sp.Expr
    claim_holds: bool


@functools.cache
def softmax_cross_entropy_gradient_general() -> GeneralSoftmaxCrossEntropyGradient:
    r"""Derive the softmax cross-entropy gradient ``(sum p) q - p`` for symbolic ``K``.

    .. math::
        \frac{\partial}{\partial z_j}\Bigl[-\sum_{i=1}^K p_i
        \log\frac{e^{z_i}}{\sum_{k=1}^K e^{z_k}}\Bigr]
        = \Bigl(\sum_{i=1}^K p_i\Bigr) q_j - p_j

    Returns:
        A :class:`GeneralSoftmaxCrossEntropyGradient`.

    Examples:
        >>> from xent.symbolic import softmax_cross_entropy_gradient_general
        >>> softmax_cross_entropy_gradient_general().claim_holds
        True

    References:
        Bridle, J. S. (1990). Training stochastic model recognition algorithms as networks
        can lead to maximum mutual information estimation of parameters. *NeurIPS* 2.
    """
    size = sp.Symbol("K", integer=True, positive=True)
    i, j, k = sp.symbols("i j k", integer=True, positive=True)
    z = sp.IndexedBase("z", real=True)
    p = sp.IndexedBase("p", real=True)
    normaliser = sp.Sum(sp.exp(z[k]), (k, 1, size))
    loss = -sp.Sum(p[i] * sp.log(sp.exp(z[i]) / normaliser), (i, 1, size))
    # The Kronecker deltas of d/dz[j] leave a Piecewise on j <= K; j is a valid index.
    gradient = sp.simplify(sp.refine(sp.diff(loss, z[j]).doit(), sp.Q.le(j, size)))
    closed = sp.Sum(p[i], (i, 1, size)) * sp.exp(z[j]) / normaliser - p[j]
    claim = _is_zero(gradient - closed)
    return GeneralSoftmaxCrossEntropyGradient(size, j, z, p, loss, gradient, closed, claim)


@dataclass(frozen=True)
class SoftmaxCrossEntropyHessian:
    """The Hessian of softmax cross-entropy in the logits.

    See :func:`softmax_cross_entropy_hessian`.

    Attributes:
        logits: the symbols ``z1 .. zK`` (real).
        targets: the symbols ``p1 .. pK`` (real).
        probabilities: the symbols ``q1 .. qK`` standing for ``softmax(z)``.
        softmax: ``exp(z_i) / sum_j exp(z_j)`` for each ``i``.
        loss: ``(sum p) lse(z) - sum p_i z_i``, the cross-entropy on logits.
        hessian: ``d^2 L / dz_i dz_j`` as SymPy differentiates it, shape ``(K, K)``.
        closed_form: ``(sum p) (diag(q) - q q^T)``, shape ``(K, K)``.
        normalised_closed_form: ``diag(q) - q q^T``, the Hessian when ``sum p = 1``.
        direction: the symbols ``v1 .. vK`` of a direction in logit space.
        quadratic_form: ``v^T (diag(q) - q q^T) v``.
        variance: ``Var_q(v) = sum_i q_i (v_i - sum_j q_j v_j)^2``, a sum of non-negative terms.
        example_probabilities: a concrete ``q`` (proportional to ``1, 2, ..., K``).
        example_eigenvalues: the exact eigenvalues of ``diag(q) - q q^T`` at that ``q``.
        claim_holds: the Hessian equals the closed form; the quadratic form equals the variance
            when ``sum q = 1``; the example's eigenvalues are all ``>= 0`` with exactly one 0
            (the direction ``v = (1, ..., 1)`` of shift invariance).
    """

    logits: tuple[sp.Symbol, ...]
    targets: tuple[sp.Symbol, ...]
    probabilities: tuple[sp.Symbol, ...]
    softmax: tuple[sp.Expr, ...]
    loss: sp.Expr
    hessian: sp.ImmutableMatrix
    closed_form: sp.ImmutableMatrix
    normalised_closed_form: sp.ImmutableMatrix
    direction: tuple[sp.Symbol, ...]
    quadratic_form: sp.Expr
    variance: sp.Expr
    example_probabilities: tuple[sp.Expr, ...]
    example_eigenvalues: tuple[sp.Expr, ...]
    claim_holds: bool


def _variance(weights: Sequence[Any], values: Sequence[Any]) -> Any:
    mean = sp.Add(*[w * v for w, v in zip(weights, values, strict=True)])
    return sp.Add(*[w * (v - mean) ** 2 for w, v in zip(weights, values, strict=True)])


@functools.cache
def softmax_cross_entropy_hessian(num_classes: int) -> SoftmaxCrossEntropyHessian:
    r"""Derive the loss Hessian in the logits, ``diag(q) - q q^T``, and prove it is PSD.

    .. math::
        \nabla_z^2 L = \Bigl(\sum_i p_i\Bigr) \bigl(\operatorname{diag}(q) - q q^\top\bigr),
        \qquad
        v^\top \bigl(\operatorname{diag}(q) - q q^\top\bigr) v
        = \sum_i q_i v_i^2 - \Bigl(\sum_i q_i v_i\Bigr)^2
        = \operatorname{Var}_{i \sim q}(v_i) \ge 0

    The Hessian does not depend on the targets beyond their sum, and the quadratic form is
    a variance, so cross-entropy is convex in the logits (for non-negative targets). The
    variance is 0 only for constant ``v``: adding a constant to every logit changes nothing.

    Args:
        num_classes: the number of classes ``K >= 2``.

    Returns:
        A :class:`SoftmaxCrossEntropyHessian`.

    Raises:
        ValueError: if ``num_classes < 2``.

    Examples:
        >>> from xent.symbolic import softmax_cross_entropy_hessian
        >>> result = softmax_cross_entropy_hessian(2)
        >>> result.example_probabilities, result.example_eigenvalues
        ((1/3, 2/3), (0, 4/9))
        >>> result.claim_holds
        True

    References:
        Boyd, S. and Vandenberghe, L. (2004). *Convex Optimization*, section 3.1.5 (log-sum-exp
        is convex). Cambridge University Press.
    """
    size = _num_classes(num_classes)
    z = _logits(size)
    p = _vector("p", size, real=True)
    q = _probabilities(size)
    v = _vector("v", size, real=True)
    softmax = _softmax(z)
    loss = sp.Add(*p) * _logsumexp(z) - sp.Add(*[pi * zi for pi, zi in zip(p, z, strict=True)])
    hessian = sp.ImmutableMatrix(sp.hessian(loss, z))
    normalised = sp.ImmutableMatrix(sp.diag(*q) - _outer(q, q))
    closed = sp.ImmutableMatrix(sp.Add(*p) * normalised)
    quadratic = sp.expand((sp.Matrix(v).T * normalised * sp.Matrix(v))[0, 0])
    variance = _variance(q, v)
    example = tuple(sp.Rational(2 * (i + 1), size * (size + 1)) for i in range(size))
    example_matrix = (sp.diag(*q) - _outer(q, q)).subs(dict(zip(q, example, strict=True)))
    eigenvalues = tuple(sp.Poly(example_matrix.charpoly().as_expr()).real_roots())
    claim = (
        _elementwise_holds(hessian, closed, z, q)
        and _is_zero(sp.expand((quadratic - variance).subs(_normalised(q))))
        and len(eigenvalues) == size
        and all(bool(e >= 0) for e in eigenvalues)
        and sum(1 for e in eigenvalues if e == 0) == 1
    )
    return SoftmaxCrossEntropyHessian(
        z,
        p,
        q,
        softmax,
        loss,
        hessian,
        closed,
        normalised,
        v,
        quadratic,
        variance,
        example,
        eigenvalues,
        claim,
    )


# --------------------------------------------------------------------------- 5. binary
@dataclass(frozen=True)
class BinaryCrossEntropyGradient:
    """The gradient of sigmoid binary cross-entropy (see :func:`binary_cross_entropy_gradient`).

    Attributes:
        logit: the real symbol ``z``.
        target: the real symbol ``y`` (a label in ``{0, 1}`` or a probability).
        sigmoid: ``1 / (1 + exp(-z))``.
        loss: ``-(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z)))``.
        softplus_loss: the same loss as ``log(1 + exp(z)) - y z``.
        gradient: ``dL/dz`` as SymPy differentiates ``loss``, simplified.
        closed_form: ``sigmoid(z) - y``.
        claim_holds: the two losses are equal and the gradient equals the closed form.
    """

    logit: sp.Symbol
    target: sp.Symbol
    sigmoid: sp.Expr
    loss: sp.Expr
    softplus_loss: sp.Expr
    gradient: sp.Expr
    closed_form: sp.Expr
    claim_holds: bool


@functools.cache
def binary_cross_entropy_gradient() -> BinaryCrossEntropyGradient:
    r"""Derive the sigmoid binary cross-entropy gradient ``sigma(z) - y``.

    .. math::
        L(z) = -y \log\sigma(z) - (1 - y) \log\bigl(1 - \sigma(z)\bigr)
             = \log(1 + e^z) - y z, \qquad
        \frac{dL}{dz} = \sigma(z) - y

    Returns:
        A :class:`BinaryCrossEntropyGradient`.

    Examples:
        >>> from xent.symbolic import binary_cross_entropy_gradient
        >>> result = binary_cross_entropy_gradient()
        >>> result.closed_form, result.claim_holds
        (-y + 1/(1 + exp(-z)), True)

    References:
        Bishop, C. M. (2006). *Pattern Recognition and Machine Learning*, section 4.3.2.
        Springer.
    """
    z = sp.Symbol("z", real=True)
    y = sp.Symbol("y", real=True)
    sigmoid = 1 / (1 + sp.exp(-z))
    loss = -(y * sp.log(sigmoid) + (1 - y) * sp.log(1 - sigmoid))
    softplus_loss = sp.log(1 + sp.exp(z)) - y * z
    gradient = sp.simplify(sp.diff(loss, z))
    closed = sigmoid - y
    # Splitting the logs is valid: sigma(z), 1 - sigma(z) and 1 + e^z are positive.
    claim = _is_zero(sp.expand_log(sp.simplify(loss - softplus_loss), force=True)) and _is_zero(
        gradient - closed
    )
    return BinaryCrossEntropyGradient(z, y, sigmoid, loss, softplus_loss, gradient, closed, claim)


@dataclass(frozen=True)
class TwoClassSoftmax:
    """Two-class softmax as a sigmoid (see :func:`two_class_softmax`).

    Attributes:
        logits: the symbols ``(z1, z2)`` (real).
        softmax: the two softmax probabilities.
        sigmoid_of_difference: ``(sigmoid(z1 - z2), sigmoid(z2 - z1))``.
        claim_holds: SymPy simplified both differences to 0.
    """

    logits: tuple[sp.Symbol, sp.Symbol]
    softmax: tuple[sp.Expr, sp.Expr]
    sigmoid_of_difference: tuple[sp.Expr, sp.Expr]
    claim_holds: bool


@functools.cache
def two_class_softmax() -> TwoClassSoftmax:
    r"""Prove that the two-class softmax is the sigmoid of the logit difference.

    .. math::
        \frac{e^{z_1}}{e^{z_1} + e^{z_2}} = \frac{1}{1 + e^{-(z_1 - z_2)}} = \sigma(z_1 - z_2)

    So a binary classifier with one logit ``z1 - z2`` and sigmoid cross-entropy is the same
    model as a two-class softmax classifier.

    Returns:
        A :class:`TwoClassSoftmax`.

    Examples:
        >>> from xent.symbolic import two_class_softmax
        >>> result = two_class_softmax()
        >>> result.sigmoid_of_difference[0], result.claim_holds
        (1/(exp(-z1 + z2) + 1), True)

    References:
        Bishop, C. M. (2006). *Pattern Recognition and Machine Learning*, section 4.2.
        Springer.
    """
    z1, z2 = sp.symbols("z1 z2", real=True)
    softmax = _softmax((z1, z2))
    sigmoids = (1 / (1 + sp.exp(-(z1 - z2))), 1 / (1 + sp.exp(-(z2 - z1))))
    claim = all(_is_zero(s - t) for s, t in zip(softmax, sigmoids, strict=True))
    return TwoClassSoftmax((z1, z2), (softmax[0], softmax[1]), sigmoids, claim)


# --------------------------------------------------------------------------- 6. variants
@dataclass(frozen=True)
class LabelSmoothingGradient:
    """The gradient of label-smoothed cross-entropy (see :func:`label_smoothing_gradient`).

    Attributes:
        logits: the symbols ``z1 .. zK`` (real).
        targets: the symbols ``y1 .. yK`` (real: a one-hot label or a distribution).
        smoothing: the symbol ``epsilon``.
        probabilities: the symbols ``q1 .. qK`` standing for ``softmax(z)``.
        softmax: ``exp(z_i) / sum_j exp(z_j)`` for each ``i``.
        smoothed_targets: ``(1 - epsilon) y_i + epsilon / K`` for each ``i``.
        loss: ``-sum_i smoothed_i log softmax(z)_i``.
        mixture_loss: ``(1 - epsilon) CE(y, q) + epsilon CE(uniform, q)``, PyTorch's form.
        gradient: ``dL/dz_i`` with ``y`` normalised (``sum y = 1``).
        closed_form: ``q_i - ((1 - epsilon) y_i + epsilon / K)``.
        claim_holds: the two losses are equal and the gradient equals the closed form.
    """

    logits: tuple[sp.Symbol, ...]
    targets: tuple[sp.Symbol, ...]
    smoothing: sp.Symbol
    probabilities: tuple[sp.Symbol, ...]
    softmax: tuple[sp.Expr, ...]
    smoothed_targets: tuple[sp.Expr, ...]
    loss: sp.Expr
    mixture_loss: sp.Expr
    gradient: tuple[sp.Expr, ...]
    closed_form: tuple[sp.Expr, ...]
    claim_holds: bool


@functools.cache
def label_smoothing_gradient(num_classes: int) -> LabelSmoothingGradient:
    r"""Derive the label-smoothing gradient ``q - ((1 - eps) y + eps / K)``.

    .. math::
        \tilde y_i = (1 - \varepsilon)\, y_i + \frac{\varepsilon}{K}, \qquad
        L = -\sum_i \tilde y_i \log q_i
          = (1 - \varepsilon)\, H(y, q) + \varepsilon\, H(u, q), \qquad
        \frac{\partial L}{\partial z_i} = q_i - \tilde y_i

    The smoothed target still sums to 1 when ``y`` does, so the soft-target gradient
    ``q - p`` applies with ``p = y~``.

    Args:
        num_classes: the number of classes ``K >= 2``.

    Returns:
        A :class:`LabelSmoothingGradient`.

    Raises:
        ValueError: if ``num_classes < 2``.

    Examples:
        >>> from xent.symbolic import label_smoothing_gradient
        >>> result = label_smoothing_gradient(2)
        >>> result.closed_form[0]
        -epsilon/2 + q1 - y1*(1 - epsilon)
        >>> result.claim_holds
        True

    References:
        Szegedy, C., Vanhoucke, V., Ioffe, S., Shlens, J. and Wojna, Z. (2016). Rethinking the
        Inception architecture for computer vision. *CVPR*. Muller, R., Kornblith, S. and
        Hinton, G. (2019). When does label smoothing help? *NeurIPS*.
    """
    size = _num_classes(num_classes)
    z = _logits(size)
    y = _vector("y", size, real=True)
    q = _probabilities(size)
    epsilon = sp.Symbol("epsilon", real=True)
    softmax = _softmax(z)
    smoothed = tuple((1 - epsilon) * yi + epsilon / size for yi in y)
    log_softmax = [zi - _logsumexp(z) for zi in z]
    loss = -sp.Add(*[t * ls for t, ls in zip(smoothed, log_softmax, strict=True)])
    mixture = (1 - epsilon) * -sp.Add(*[yi * ls for yi, ls in zip(y, log_softmax, strict=True)])
    mixture += epsilon * -sp.Add(*[ls / size for ls in log_softmax])
    normalised = _normalised(y)
    gradient = tuple(sp.diff(loss, zi).subs(normalised) for zi in z)
    closed = tuple(qi - t for qi, t in zip(q, smoothed, strict=True))
    claim = _is_zero(sp.expand(loss - mixture)) and _elementwise_holds(
        gradient, [c.subs(normalised) for c in closed], z, q
    )
    return LabelSmoothingGradient(
        z, y, epsilon, q, softmax, smoothed, loss, mixture, gradient, closed, claim
    )


@dataclass(frozen=True)
class FocalLossGradient:
    """The focal loss of a softmax classifier and its gradient (see :func:`focal_loss_gradient`).

    Attributes:
        logits: the symbols ``z1 .. zK`` (real).
        target: the class index ``y`` (an ``int`` in ``[0, K)``).
        gamma: the focusing parameter, a non-negative symbol.
        probabilities: the symbols ``q1 .. qK`` standing for ``softmax(z)``.
        softmax: ``exp(z_i) / sum_j exp(z_j)`` for each ``i``.
        loss: ``-(1 - q_y)^gamma log q_y`` in the logits.
        loss_in_probabilities: the same loss in the probability symbols.
        gradient: ``dL/dz_j`` for each ``j`` as SymPy differentiates ``loss``.
        modulating_factor: ``g = (1 - q_y)^gamma - gamma (1 - q_y)^(gamma - 1) q_y log q_y``.
        closed_form: ``g (q_j - [j = y])`` for each ``j``.
        claim_holds: every entry of ``gradient`` equals the closed form at ``q = softmax(z)``.
    """

    logits: tuple[sp.Symbol, ...]
    target: int
    gamma: sp.Symbol
    probabilities: tuple[sp.Symbol, ...]
    softmax: tuple[sp.Expr, ...]
    loss: sp.Expr
    loss_in_probabilities: sp.Expr
    gradient: tuple[sp.Expr, ...]
    modulating_factor: sp.Expr
    closed_form: tuple[sp.Expr, ...]
    claim_holds: bool


def _focal_holds(
    derived: Any, closed_form: Any, logits: Sequence[Any], probabilities: Sequence[Any], target: int
) -> bool:
    gamma = _focal_gamma()
    modulated = sp.Symbol("M", positive=True)
    base = 1 - probabilities[target]
    difference = _in_probabilities(derived, logits, probabilities, keep=target)
    difference -= _in_probabilities(closed_form, (), probabilities, keep=target)
    difference = _replace_powers(difference, gamma, {base: modulated})
    return _is_zero(difference)


def _focal_gamma() -> Any:
    return sp.Symbol("gamma", nonnegative=True)


@functools.cache
def focal_loss_gradient(num_classes: int, target: int = 0) -> FocalLossGradient:
    r"""Derive the gradient of the focal loss of a softmax classifier in closed form.

    .. math::
        \mathrm{FL}(z) = -(1 - q_y)^\gamma \log q_y, \qquad
        \frac{\partial\,\mathrm{FL}}{\partial z_j} = g\, (q_j - \delta_{jy}), \qquad
        g = (1 - q_y)^\gamma - \gamma\, (1 - q_y)^{\gamma - 1}\, q_y \log q_y

    The gradient has the cross-entropy's direction ``q - e_y``, scaled by ``g``: for
    ``gamma = 0`` it is 1 (the cross-entropy), and for a confident correct prediction
    (``q_y -> 1``) it vanishes like ``(1 - q_y)^gamma``. SymPy differentiates the loss in the
    logits; the proof rewrites the result in the probabilities and writes both
    ``(1 - q_y)^gamma`` and ``(1 - q_y)^(gamma - 1)`` through one symbol.

    Args:
        num_classes: the number of classes ``K >= 2``.
        target: the class index ``y`` in ``[0, K)``.

    Returns:
        A :class:`FocalLossGradient`.

    Raises:
        ValueError: if ``num_classes < 2`` or ``target`` is outside ``[0, K)``.

    Examples:
        >>> from xent.symbolic import focal_loss_gradient
        >>> result = focal_loss_gradient(2, target=0)
        >>> result.modulating_factor
        -gamma*q1*(1 - q1)**(gamma - 1)*log(q1) + (1 - q1)**gamma
        >>> result.claim_holds
        True

    References:
        Lin, T.-Y., Goyal, P., Girshick, R., He, K. and Dollar, P. (2017). Focal loss for dense
        object detection. *ICCV*.
    """
    size = _num_classes(num_classes)
    target = operator.index(target)
    if not 0 <= target < size:
        raise ValueError(f"target must be a class index in [0, {size}); got {target}")
    z = _logits(size)
    q = _probabilities(size)
    gamma = _focal_gamma()
    softmax = _softmax(z)
    loss = -((1 - softmax[target]) ** gamma) * sp.log(softmax[target])
    loss_in_q = -((1 - q[target]) ** gamma) * sp.log(q[target])
    gradient = tuple(sp.diff(loss, zj) for zj in z)
    factor = (1 - q[target]) ** gamma - gamma * (1 - q[target]) ** (gamma - 1) * q[target] * sp.log(
        q[target]
    )
    closed = tuple(factor * (qj - (1 if j == target else 0)) for j, qj in enumerate(q))
    claim = all(_focal_holds(d, c, z, q, target) for d, c in zip(gradient, closed, strict=True))
    return FocalLossGradient(
        z, target, gamma, q, softmax, loss, loss_in_q, gradient, factor, closed, claim
    )


@dataclass(frozen=True)
class BinaryFocalLossGradient:
    """The binary (sigmoid) focal loss and its gradient (see :func:`binary_focal_loss_gradient`).

    Attributes:
        logit: the real symbol ``z``.
        target: the real symbol ``y``: a label in ``{0, 1}`` (values between mix the two terms).
        gamma: the focusing parameter, a non-negative symbol.
        probability: the symbol ``s`` standing for ``sigmoid(z)``.
        sigmoid: ``1 / (1 + exp(-z))``.
        loss: ``-y (1 - s)^gamma log s - (1 - y) s^gamma log(1 - s)`` at ``s = sigmoid(z)``.
        gradient: ``dL/dz`` as SymPy differentiates ``loss``.
        closed_form: ``y (1 - s)^gamma (gamma s log s + s - 1)
            + (1 - y) s^gamma (s - gamma (1 - s) log(1 - s))``.
        claim_holds: the gradient equals the closed form at ``s = sigmoid(z)``.
    """

    logit: sp.Symbol
    target: sp.Symbol
    gamma: sp.Symbol
    probability: sp.Symbol
    sigmoid: sp.Expr
    loss: sp.Expr
    gradient: sp.Expr
    closed_form: sp.Expr
    claim_holds: bool


@functools.cache
def binary_focal_loss_gradient() -> BinaryFocalLossGradient:
    r"""Derive the gradient of the binary (sigmoid) focal loss in closed form.

    .. math::
        \mathrm{FL}(z) = -y (1 - s)^\gamma \log s - (1 - y)\, s^\gamma \log(1 - s),
        \quad s = \sigma(z), \\
        \frac{d\,\mathrm{FL}}{dz} = y (1 - s)^\gamma (\gamma s \log s + s - 1)
        + (1 - y)\, s^\gamma \bigl(s - \gamma (1 - s) \log(1 - s)\bigr)

    For ``gamma = 0`` this is ``s - y``, the gradient of binary cross-entropy.

    Returns:
        A :class:`BinaryFocalLossGradient`.

    Examples:
        >>> import sympy as sp
        >>> from xent.symbolic import binary_focal_loss_gradient
        >>> result = binary_focal_loss_gradient()
        >>> sp.simplify(result.closed_form.subs(result.gamma, 0))
        s - y
        >>> result.claim_holds
        True

    References:
        Lin, T.-Y., Goyal, P., Girshick, R., He, K. and Dollar, P. (2017). Focal loss for dense
        object detection. *ICCV*.
    """
    z = sp.Symbol("z", real=True)
    y = sp.Symbol("y", real=True)
    s = sp.Symbol("s", positive=True)
    gamma = _focal_gamma()
    sigmoid = 1 / (1 + sp.exp(-z))
    loss_in_s = -y * (1 - s) ** gamma * sp.log(s) - (1 - y) * s**gamma * sp.log(1 - s)
    loss = loss_in_s.subs(s, sigmoid)
    gradient = sp.diff(loss, z)
    closed = y * (1 - s) ** gamma * (gamma * s * sp.log(s) + s - 1) + (1 - y) * s**gamma * (
        s - gamma * (1 - s) * sp.log(1 - s)
    )
    # z enters the derivative only through e^{-z}, and e^{-z} = (1 - s) / s is sigma(z) = s.
    in_s = _normalise_arguments(sp.expand_power_exp(gradient).subs(sp.exp(-z), (1 - s) / s))
    powers = {s: sp.Symbol("S", positive=True), 1 - s: sp.Symbol("R", positive=True)}
    difference = _replace_powers(sp.expand_log(in_s - closed), gamma, powers)
    claim = _is_zero(difference)
    return BinaryFocalLossGradient(z, y, gamma, s, sigmoid, loss, gradient, closed, claim)


# --------------------------------------------------------------------------- 7. curvature
@dataclass(frozen=True)
class LogSumExpCurvature:
    """Log-sum-exp along a line: slope = mean, curvature = variance.

    See :func:`logsumexp_curvature`.

    Attributes:
        logits: the symbols ``z1 .. zK`` (real).
        direction: the symbols ``v1 .. vK`` (real).
        step: the real symbol ``t``.
        probabilities: the symbols ``q1 .. qK`` standing for ``softmax(z)``.
        softmax: ``exp(z_i) / sum_j exp(z_j)`` for each ``i``.
        along_line: ``lse(z + t v)``.
        first_derivative: ``d/dt lse(z + t v)`` at ``t = 0``.
        second_derivative: ``d^2/dt^2 lse(z + t v)`` at ``t = 0``.
        mean: ``E_q[v] = sum_i q_i v_i``.
        variance: ``Var_q[v] = sum_i q_i (v_i - E_q[v])^2``.
        claim_holds: the slope is the mean and the curvature is the variance under softmax.
    """

    logits: tuple[sp.Symbol, ...]
    direction: tuple[sp.Symbol, ...]
    step: sp.Symbol
    probabilities: tuple[sp.Symbol, ...]
    softmax: tuple[sp.Expr, ...]
    along_line: sp.Expr
    first_derivative: sp.Expr
    second_derivative: sp.Expr
    mean: sp.Expr
    variance: sp.Expr
    claim_holds: bool


@functools.cache
def logsumexp_curvature(num_classes: int) -> LogSumExpCurvature:
    r"""Derive that log-sum-exp's second derivative along a direction is a variance under softmax.

    .. math::
        f(t) = \log\sum_{i=1}^K e^{z_i + t v_i}, \qquad
        f'(0) = \sum_i q_i v_i = \mathbb E_q[v], \qquad
        f''(0) = \sum_i q_i v_i^2 - \Bigl(\sum_i q_i v_i\Bigr)^2 = \operatorname{Var}_q[v] \ge 0

    So log-sum-exp is convex, its gradient is the softmax, and its Hessian is the softmax
    covariance ``diag(q) - q q^T`` (the Jacobian of the softmax).

    Args:
        num_classes: the number of classes ``K >= 2``.

    Returns:
        A :class:`LogSumExpCurvature`.

    Raises:
        ValueError: if ``num_classes < 2``.

    Examples:
        >>> from xent.symbolic import logsumexp_curvature
        >>> result = logsumexp_curvature(2)
        >>> result.variance
        q1*(-q1*v1 - q2*v2 + v1)**2 + q2*(-q1*v1 - q2*v2 + v2)**2
        >>> result.claim_holds
        True

    References:
        Boyd, S. and Vandenberghe, L. (2004). *Convex Optimization*, example 3.14 (log-sum-exp).
        Cambridge University Press.
    """
    size = _num_classes(num_classes)
    z = _logits(size)
    v = _vector("v", size, real=True)
    q = _probabilities(size)
    t = sp.Symbol("t", real=True)
    along_line = _logsumexp([zi + t * vi for zi, vi in zip(z, v, strict=True)])
    first = sp.diff(along_line, t).subs(t, 0)
    second = sp.diff(along_line, t, 2).subs(t, 0)
    mean = sp.Add(*[qi * vi for qi, vi in zip(q, v, strict=True)])
    variance = _variance(q, v)
    claim = _holds_in_probabilities(first, mean, z, q) and _holds_in_probabilities(
        second, variance, z, q
    )
    return LogSumExpCurvature(
        z, v, t, q, _softmax(z), along_line, first, second, mean, variance, claim
    )
