"""Variants of cross-entropy: label smoothing and the focal loss."""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from xent.symbolic._common import (
    _elementwise_holds,
    _in_probabilities,
    _is_zero,
    _logits,
    _logsumexp,
    _normalise_arguments,
    _normalised,
    _num_classes,
    _probabilities,
    _replace_powers,
    _softmax,
    _vector,
)

__all__ = [
    "BinaryFocalLossGradient",
    "FocalLossGradient",
    "LabelSmoothingGradient",
    "binary_focal_loss_gradient",
    "focal_loss_gradient",
    "label_smoothing_gradient",
]


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
