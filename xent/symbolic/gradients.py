"""Gradients of cross-entropy: softmax and binary, with the Hessian and the two-class link."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from xent.symbolic._common import (
    _elementwise_holds,
    _is_zero,
    _logits,
    _logsumexp,
    _normalised,
    _num_classes,
    _outer,
    _probabilities,
    _softmax,
    _variance,
    _vector,
)
from xent.symbolic.softmax import softmax_jacobian

__all__ = [
    "BinaryCrossEntropyGradient",
    "GeneralSoftmaxCrossEntropyGradient",
    "SoftmaxCrossEntropyGradient",
    "SoftmaxCrossEntropyHessian",
    "TwoClassSoftmax",
    "binary_cross_entropy_gradient",
    "softmax_cross_entropy_gradient",
    "softmax_cross_entropy_gradient_general",
    "softmax_cross_entropy_hessian",
    "two_class_softmax",
]


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
