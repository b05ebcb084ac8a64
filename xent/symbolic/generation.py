"""Generation: how the temperature of a softmax moves its entropy and its loss (chapter 12)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from xent.symbolic._common import _is_zero, _logits, _num_classes

__all__ = [
    "TemperatureEntropy",
    "TemperatureLoss",
    "temperature_entropy",
    "temperature_loss",
]


def _tempered_softmax(
    logits: tuple[sp.Symbol, ...], temperature: sp.Symbol
) -> tuple[tuple[sp.Expr, ...], sp.Expr]:
    """``softmax(z / T)`` and its log-normaliser ``log sum_j exp(z_j / T)``."""
    normaliser = sp.Add(*[sp.exp(z / temperature) for z in logits])
    probs = tuple(sp.exp(z / temperature) / normaliser for z in logits)
    return probs, sp.log(normaliser)


@dataclass(frozen=True)
class TemperatureEntropy:
    """The entropy of ``softmax(z / T)`` as a function of ``T`` (see :func:`temperature_entropy`).

    Attributes:
        logits: the symbols ``z1 .. zK`` (real).
        temperature: the symbol ``T`` (positive).
        probabilities: ``softmax(z / T)``, one expression per class.
        entropy: ``H(T) = -sum_i q_i log q_i`` in nats.
        derivative: ``dH / dT`` as SymPy differentiates it.
        closed_form: ``Var_q(z) / T**3 = (E_q[z**2] - E_q[z]**2) / T**3``.
        claim_holds: ``derivative`` equals ``closed_form`` identically.
    """

    logits: tuple[sp.Symbol, ...]
    temperature: sp.Symbol
    probabilities: tuple[sp.Expr, ...]
    entropy: sp.Expr
    derivative: sp.Expr
    closed_form: sp.Expr
    claim_holds: bool


@functools.cache
def temperature_entropy(num_classes: int) -> TemperatureEntropy:
    r"""Derive ``dH/dT = Var_q(z) / T^3`` for ``q = softmax(z / T)``: the entropy rises with ``T``.

    .. math::
        q_i = \frac{e^{z_i / T}}{\sum_j e^{z_j / T}}, \qquad
        H(T) = -\sum_i q_i \log q_i = \log \sum_j e^{z_j / T} - \frac{1}{T} \sum_i q_i z_i,
        \qquad
        \frac{dH}{dT} = \frac{\operatorname{Var}_q(z)}{T^3} \ge 0

    A variance is non-negative, so the entropy of the sampling distribution never falls as
    the temperature rises, and rises strictly unless all logits are equal.

    Args:
        num_classes: the number of classes ``K >= 2``.

    Returns:
        A :class:`TemperatureEntropy`.

    Raises:
        ValueError: if ``num_classes < 2``.

    Examples:
        >>> from xent.symbolic import temperature_entropy
        >>> result = temperature_entropy(2)
        >>> result.claim_holds
        True

    References:
        Jaynes, E. T. (1957). Information theory and statistical mechanics. *Physical Review*
        106(4) (the same identity is the heat capacity of a canonical ensemble).
    """
    size = _num_classes(num_classes)
    z = _logits(size)
    temperature = sp.Symbol("T", positive=True)
    probs, log_normaliser = _tempered_softmax(z, temperature)
    # log q_i = z_i / T - log Z, written out so that SymPy need not expand log(exp(.) / Z).
    entropy = -sp.Add(
        *[q * (zi / temperature - log_normaliser) for q, zi in zip(probs, z, strict=True)]
    )
    derivative = sp.diff(entropy, temperature)
    mean = sp.Add(*[q * zi for q, zi in zip(probs, z, strict=True)])
    second = sp.Add(*[q * zi**2 for q, zi in zip(probs, z, strict=True)])
    closed = (second - mean**2) / temperature**3
    claim = _is_zero(derivative - closed)
    return TemperatureEntropy(z, temperature, probs, entropy, derivative, closed, claim)


@dataclass(frozen=True)
class TemperatureLoss:
    """The loss ``-log softmax(z / T)_y`` as a function of ``T`` (see :func:`temperature_loss`).

    Attributes:
        logits: the symbols ``z1 .. zK`` (real).
        temperature: the symbol ``T`` (positive).
        target: the class ``y`` (an index into ``logits``).
        loss: ``-log softmax(z / T)_y`` in nats.
        derivative: ``d loss / dT`` as SymPy differentiates it.
        closed_form: ``(z_y - E_q[z]) / T**2`` with ``q = softmax(z / T)``.
        claim_holds: ``derivative`` equals ``closed_form`` identically.
    """

    logits: tuple[sp.Symbol, ...]
    temperature: sp.Symbol
    target: int
    loss: sp.Expr
    derivative: sp.Expr
    closed_form: sp.Expr
    claim_holds: bool


@functools.cache
def temperature_loss(num_classes: int, target: int = 0) -> TemperatureLoss:
    r"""Derive ``d/dT [-log softmax(z/T)_y] = (z_y - E_q[z]) / T^2``.

    .. math::
        \ell(T) = \log \sum_j e^{z_j / T} - \frac{z_y}{T}, \qquad
        \frac{d\ell}{dT} = \frac{z_y - \mathbb{E}_q[z]}{T^2}

    Averaged over a data set, the loss is flat in ``T`` where the average true logit equals
    the average logit the model expects, :math:`\overline{z_y} = \overline{\mathbb E_q[z]}`:
    the temperature that minimises the loss (temperature scaling) is the one at which the
    model's own expectation of its logit matches the data's.

    Args:
        num_classes: the number of classes ``K >= 2``.
        target: the true class ``y`` in ``[0, K)``.

    Returns:
        A :class:`TemperatureLoss`.

    Raises:
        ValueError: if ``num_classes < 2`` or ``target`` is outside ``[0, K)``.

    Examples:
        >>> from xent.symbolic import temperature_loss
        >>> temperature_loss(3, target=1).claim_holds
        True

    References:
        Guo, C., Pleiss, G., Sun, Y. and Weinberger, K. Q. (2017). On calibration of modern
        neural networks. *ICML 2017*.
    """
    size = _num_classes(num_classes)
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < size:
        raise ValueError(f"target must be a class index in [0, {size}); got {target!r}")
    z = _logits(size)
    temperature = sp.Symbol("T", positive=True)
    probs, log_normaliser = _tempered_softmax(z, temperature)
    loss = log_normaliser - z[target] / temperature
    derivative = sp.diff(loss, temperature)
    mean = sp.Add(*[q * zi for q, zi in zip(probs, z, strict=True)])
    closed = (z[target] - mean) / temperature**2
    claim = _is_zero(derivative - closed)
    return TemperatureLoss(z, temperature, target, loss, derivative, closed, claim)
