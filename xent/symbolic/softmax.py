"""The softmax: its Jacobian, and the curvature of log-sum-exp."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from xent.symbolic._common import (
    _elementwise_holds,
    _holds_in_probabilities,
    _is_zero,
    _logits,
    _logsumexp,
    _num_classes,
    _outer,
    _probabilities,
    _softmax,
    _variance,
    _vector,
)

__all__ = [
    "GeneralSoftmaxJacobian",
    "LogSumExpCurvature",
    "SoftmaxJacobian",
    "logsumexp_curvature",
    "softmax_jacobian",
    "softmax_jacobian_general",
]


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
