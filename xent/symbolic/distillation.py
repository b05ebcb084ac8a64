r"""Cross-entropy at work: knowledge distillation and contrastive learning (InfoNCE).

- :func:`distillation_gradient`: the gradient ``T (q_T - p_T)`` of the distillation loss
  ``T^2 KL(p_T || q_T)``, the constant ``T^2 H(p_T)`` between its KL and cross-entropy forms,
  and the large-``T`` expansion that explains the factor ``T^2``;
- :func:`info_nce_gradient`: InfoNCE over a batch of ``N`` similarities, its gradient
  ``(softmax - I) / (N tau)`` and its value ``log N`` at chance;
- :func:`gaussian_critic`: the optimal critic of a correlated Gaussian pair (its log density
  ratio) and its mean, the mutual information ``-1/2 log(1 - rho^2)``.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import Any

import sympy as sp

from xent.symbolic._common import _is_zero, _num_classes, _vector

__all__ = [
    "DistillationGradient",
    "GaussianCritic",
    "InfoNCEGradient",
    "distillation_gradient",
    "gaussian_critic",
    "info_nce_gradient",
]


def _tempered_softmax(logits: tuple[Any, ...], temperature: Any) -> tuple[Any, ...]:
    normaliser = sp.Add(*[sp.exp(z / temperature) for z in logits])
    return tuple(sp.exp(z / temperature) / normaliser for z in logits)


def _tempered_log_softmax(logits: tuple[Any, ...], temperature: Any) -> tuple[Any, ...]:
    log_normaliser = sp.log(sp.Add(*[sp.exp(z / temperature) for z in logits]))
    return tuple(z / temperature - log_normaliser for z in logits)


# --------------------------------------------------------------------------- distillation
@dataclass(frozen=True)
class DistillationGradient:
    """The distillation loss, its gradient and its large-temperature limit.

    See :func:`distillation_gradient`.

    Attributes:
        student_logits: the symbols ``z1 .. zK`` (real).
        teacher_logits: the symbols ``v1 .. vK`` (real).
        temperature: the symbol ``T`` (positive).
        inverse_temperature: the symbol ``epsilon = 1 / T`` of the large-``T`` expansion.
        student: ``q_T = softmax(z / T)``, one expression per class.
        teacher: ``p_T = softmax(v / T)``, one expression per class.
        loss: the KL form ``T^2 sum_i p_i (log p_i - log q_i)``.
        cross_entropy_loss: the cross-entropy form ``-T^2 sum_i p_i log q_i``.
        teacher_entropy: ``H(p_T) = -sum_i p_i log p_i``.
        gradient: ``d loss / d z_j`` for each ``j``, as SymPy differentiates it.
        unscaled_gradient: ``(q_T - p_T) / T``, the gradient of ``H(p_T, q_T)`` without
            ``T^2``.
        closed_form: ``T (q_T - p_T)``.
        unscaled_expansion: the unscaled gradient to order ``epsilon^2`` (``epsilon = 1/T``):
            ``epsilon^2 ((z_j - mean z) - (v_j - mean v)) / K``.
        limit: the scaled gradient as ``T -> oo``, ``((z_j - mean z) - (v_j - mean v)) / K``:
            independent of ``T``.
        claim_holds: the gradient equals the closed form; the two forms differ by
            ``T^2 H(p_T)``; the unscaled gradient's expansion starts at ``1/T^2`` with the
            stated coefficient; the scaled gradient's limit is the stated one.
    """

    student_logits: tuple[sp.Symbol, ...]
    teacher_logits: tuple[sp.Symbol, ...]
    temperature: sp.Symbol
    inverse_temperature: sp.Symbol
    student: tuple[sp.Expr, ...]
    teacher: tuple[sp.Expr, ...]
    loss: sp.Expr
    cross_entropy_loss: sp.Expr
    teacher_entropy: sp.Expr
    gradient: tuple[sp.Expr, ...]
    unscaled_gradient: tuple[sp.Expr, ...]
    closed_form: tuple[sp.Expr, ...]
    unscaled_expansion: tuple[sp.Expr, ...]
    limit: tuple[sp.Expr, ...]
    claim_holds: bool


@functools.cache
def distillation_gradient(num_classes: int) -> DistillationGradient:
    r"""Derive the distillation gradient ``T (q_T - p_T)`` and why the loss is scaled by ``T^2``.

    .. math::
        \ell = T^2 \sum_i p_i \log\frac{p_i}{q_i}, \qquad
        \frac{\partial \ell}{\partial z_j} = T^2 \cdot \frac{q_j - p_j}{T} = T (q_j - p_j),
        \qquad
        \frac{q_j - p_j}{T} = \frac{1}{K T^2}\bigl((z_j - \bar z) - (v_j - \bar v)\bigr)
        + O(T^{-3})

    with ``p = softmax(v / T)`` (teacher) and ``q = softmax(z / T)`` (student). The
    cross-entropy form ``-T^2 sum p_i log q_i`` is larger by ``T^2 H(p)``, which does not
    involve ``z``: same gradient. The unscaled gradient fades like ``1 / T^2`` as the
    temperature grows, so ``T^2`` keeps the soft targets' gradient the same size at every
    high temperature; its limit is the gradient of ``(1 / 2K) ||(z - z_bar) - (v - v_bar)||^2``,
    the logit matching of Bucilua et al. (2006) (Hinton et al. 2015, section 2.1).

    Args:
        num_classes: the number of classes ``K >= 2``.

    Returns:
        A :class:`DistillationGradient`.

    Raises:
        ValueError: if ``num_classes < 2``.
        TypeError: if ``num_classes`` is not an integer.

    Examples:
        >>> from xent.symbolic import distillation_gradient
        >>> result = distillation_gradient(2)
        >>> result.limit
        (-v1/4 + v2/4 + z1/4 - z2/4, v1/4 - v2/4 - z1/4 + z2/4)
        >>> result.claim_holds
        True

    References:
        Hinton, G., Vinyals, O. and Dean, J. (2015). Distilling the knowledge in a neural
        network. arXiv:1503.02531.
        Bucilua, C., Caruana, R. and Niculescu-Mizil, A. (2006). Model compression. *KDD*.
    """
    size = _num_classes(num_classes)
    z = _vector("z", size, real=True)
    v = _vector("v", size, real=True)
    temperature = sp.Symbol("T", positive=True)
    epsilon = sp.Symbol("epsilon", positive=True)
    q = _tempered_softmax(z, temperature)
    p = _tempered_softmax(v, temperature)
    log_q = _tempered_log_softmax(z, temperature)
    log_p = _tempered_log_softmax(v, temperature)
    square = temperature**2
    loss = square * sp.Add(*[pi * (lp - lq) for pi, lp, lq in zip(p, log_p, log_q, strict=True)])
    ce_loss = -square * sp.Add(*[pi * lq for pi, lq in zip(p, log_q, strict=True)])
    entropy = -sp.Add(*[pi * lp for pi, lp in zip(p, log_p, strict=True)])
    gradient = tuple(sp.diff(loss, zj) for zj in z)
    closed = tuple(temperature * (qi - pi) for qi, pi in zip(q, p, strict=True))
    unscaled = tuple((qi - pi) / temperature for qi, pi in zip(q, p, strict=True))
    z_bar, v_bar = sp.Add(*z) / size, sp.Add(*v) / size
    limit = tuple(
        sp.expand(((zj - z_bar) - (vj - v_bar)) / size) for zj, vj in zip(z, v, strict=True)
    )
    # Taylor in epsilon = 1/T: (q - p)/T = epsilon f(epsilon) with f = q - p, so its terms up
    # to epsilon^2 are epsilon f(0) + epsilon^2 f'(0) (sympy.series gives the same, slowly).
    differences = [(qi - pi).subs(temperature, 1 / epsilon) for qi, pi in zip(q, p, strict=True)]
    expansion = tuple(
        sp.expand(
            epsilon * sp.simplify(f.subs(epsilon, 0))
            + epsilon**2 * sp.simplify(sp.diff(f, epsilon).subs(epsilon, 0))
        )
        for f in differences
    )
    # T^2 times the expansion: the scaled gradient tends to the epsilon^2 coefficient.
    scaled_limits = tuple(sp.expand(e / epsilon**2).subs(epsilon, 0) for e in expansion)
    claim = (
        # cancel after together: a rational identity in exp(z_i / T), exp(v_i / T).
        all(sp.cancel(sp.together(g - c)) == 0 for g, c in zip(gradient, closed, strict=True))
        and _is_zero(sp.expand(ce_loss - loss - square * entropy))
        and all(_is_zero(e - epsilon**2 * lim) for e, lim in zip(expansion, limit, strict=True))
        and all(_is_zero(s - lim) for s, lim in zip(scaled_limits, limit, strict=True))
    )
    return DistillationGradient(
        z,
        v,
        temperature,
        epsilon,
        q,
        p,
        loss,
        ce_loss,
        entropy,
        gradient,
        unscaled,
        closed,
        expansion,
        limit,
        claim,
    )


# --------------------------------------------------------------------------- InfoNCE
@dataclass(frozen=True)
class InfoNCEGradient:
    """InfoNCE over a batch of ``N`` pairs and its gradient (see :func:`info_nce_gradient`).

    Attributes:
        similarities: the ``N x N`` matrix of symbols ``s_ij`` (real): query ``i``, key ``j``.
        temperature: the symbol ``tau`` (positive).
        loss: ``(1/N) sum_i [lse_j(s_ij / tau) - s_ii / tau]``.
        gradient: ``d loss / d s_ij``, an ``N x N`` matrix as SymPy differentiates it.
        closed_form: ``(softmax(s_i. / tau)_j - [i = j]) / (N tau)``.
        chance_value: the loss when every similarity is equal: ``log N``.
        claim_holds: the gradient equals the closed form, every row of it sums to 0, and the
            loss at chance is ``log N``.
    """

    similarities: sp.ImmutableMatrix
    temperature: sp.Symbol
    loss: sp.Expr
    gradient: sp.ImmutableMatrix
    closed_form: sp.ImmutableMatrix
    chance_value: sp.Expr
    claim_holds: bool


@functools.cache
def info_nce_gradient(batch_size: int) -> InfoNCEGradient:
    r"""Derive InfoNCE's gradient ``(softmax(S / tau) - I) / (N tau)`` and its value at chance.

    .. math::
        L = \frac1N \sum_{i=1}^N \Bigl[\log \sum_{j=1}^N e^{s_{ij}/\tau}
            - \frac{s_{ii}}{\tau}\Bigr], \qquad
        \frac{\partial L}{\partial s_{ij}} = \frac{1}{N \tau}
            \Bigl(\frac{e^{s_{ij}/\tau}}{\sum_k e^{s_{ik}/\tau}} - [i = j]\Bigr)

    Each row is the softmax cross-entropy gradient ``q - p`` of chapter 6 with the one-hot
    target on the diagonal: the positive pair is pulled up, every negative pushed down in
    proportion to how much probability it steals.

    Args:
        batch_size: the number of pairs ``N >= 2``.

    Returns:
        An :class:`InfoNCEGradient`.

    Raises:
        ValueError: if ``batch_size < 2``.
        TypeError: if ``batch_size`` is not an integer.

    Examples:
        >>> from xent.symbolic import info_nce_gradient
        >>> result = info_nce_gradient(2)
        >>> result.chance_value
        log(2)
        >>> result.claim_holds
        True

    References:
        van den Oord, A., Li, Y. and Vinyals, O. (2018). Representation learning with
        contrastive predictive coding. arXiv:1807.03748.
    """
    if isinstance(batch_size, bool):
        raise TypeError(f"batch_size must be an integer; got {batch_size!r}")
    try:
        size = operator.index(batch_size)
    except TypeError:
        raise TypeError(f"batch_size must be an integer; got {batch_size!r}") from None
    if size < 2:
        raise ValueError(f"batch_size must be at least 2; got {size}")
    tau = sp.Symbol("tau", positive=True)
    s = sp.Matrix(size, size, lambda i, j: sp.Symbol(f"s{i + 1}{j + 1}", real=True))
    rows = [tuple(s[i, j] for j in range(size)) for i in range(size)]
    softmax_rows = [_tempered_softmax(row, tau) for row in rows]
    log_softmax_rows = [_tempered_log_softmax(row, tau) for row in rows]
    loss = -sp.Add(*[log_softmax_rows[i][i] for i in range(size)]) / size
    gradient = sp.Matrix(size, size, lambda i, j: sp.diff(loss, s[i, j]))
    closed = sp.Matrix(
        size,
        size,
        lambda i, j: (softmax_rows[i][j] - (1 if i == j else 0)) / (size * tau),
    )
    equal = {entry: 0 for entry in s}
    chance = sp.simplify(loss.subs(equal))
    claim = (
        all(_is_zero(gradient[i, j] - closed[i, j]) for i in range(size) for j in range(size))
        and all(_is_zero(sp.Add(*[closed[i, j] for j in range(size)])) for i in range(size))
        and _is_zero(chance - sp.log(size))
    )
    return InfoNCEGradient(
        sp.ImmutableMatrix(s),
        tau,
        loss,
        sp.ImmutableMatrix(gradient),
        sp.ImmutableMatrix(closed),
        chance,
        claim,
    )


# --------------------------------------------------------------------------- Gaussian critic
@dataclass(frozen=True)
class GaussianCritic:
    """The optimal critic of a correlated Gaussian pair (see :func:`gaussian_critic`).

    Attributes:
        x: the first variable (real).
        y: the second variable (real).
        rho: the correlation, meant in ``(-1, 1)``.
        joint_log_density: ``log p(x, y)`` of the standard bivariate normal with correlation
            ``rho``.
        marginal_log_density: ``log p(x) + log p(y)``.
        log_density_ratio: ``log p(x, y) / (p(x) p(y))``, the optimal critic.
        separable_critic: the same critic without its terms in ``x`` alone, which cancel in
            InfoNCE's softmax over keys: ``(rho x y - rho^2 y^2 / 2) / (1 - rho^2)``.
        mutual_information: ``E[log_density_ratio]`` under the joint, by the moments
            ``E[x^2] = E[y^2] = 1``, ``E[x y] = rho``.
        closed_form: ``-1/2 log(1 - rho^2)``.
        claim_holds: the log ratio minus the separable critic depends on ``x`` only, and the
            mutual information equals the closed form.
    """

    x: sp.Symbol
    y: sp.Symbol
    rho: sp.Symbol
    joint_log_density: sp.Expr
    marginal_log_density: sp.Expr
    log_density_ratio: sp.Expr
    separable_critic: sp.Expr
    mutual_information: sp.Expr
    closed_form: sp.Expr
    claim_holds: bool


@functools.cache
def gaussian_critic() -> GaussianCritic:
    r"""Derive the optimal InfoNCE critic of a Gaussian pair and its mutual information.

    .. math::
        f^*(x, y) = \log\frac{p(x, y)}{p(x)\,p(y)}
        = -\tfrac12 \log(1 - \rho^2) - \frac{x^2 - 2\rho x y + y^2}{2 (1 - \rho^2)}
          + \frac{x^2 + y^2}{2}, \qquad
        I(X; Y) = \mathbb E[f^*] = -\tfrac12 \log(1 - \rho^2)

    for standard normal ``X``, ``Y`` with correlation ``rho``. The critic is a polynomial of
    degree 2, so its mean under the joint needs only the moments ``E[x^2] = E[y^2] = 1`` and
    ``E[x y] = rho``.

    Returns:
        A :class:`GaussianCritic`.

    Examples:
        >>> from xent.symbolic import gaussian_critic
        >>> result = gaussian_critic()
        >>> result.closed_form
        -log(1 - rho**2)/2
        >>> result.claim_holds
        True

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, 2nd ed.,
        example 8.5.1. Poole, B. et al. (2019). On variational bounds of mutual information.
        *ICML*.
    """
    x, y = sp.symbols("x y", real=True)
    rho = sp.Symbol("rho", real=True)
    one_minus = 1 - rho**2
    joint = (
        -sp.log(2 * sp.pi)
        - sp.log(one_minus) / 2
        - (x**2 - 2 * rho * x * y + y**2) / (2 * one_minus)
    )
    marginals = -sp.log(2 * sp.pi) - (x**2 + y**2) / 2
    ratio = sp.expand(joint - marginals)
    separable = (rho * x * y - rho**2 * y**2 / 2) / one_minus
    rest = sp.simplify(ratio - separable)
    # E[ratio] by linearity: replace each monomial of degree 2 by its moment.
    polynomial = sp.Poly(sp.expand(ratio * one_minus), x, y)
    moments = {(0, 0): 1, (1, 0): 0, (0, 1): 0, (2, 0): 1, (0, 2): 1, (1, 1): rho}
    mean = sp.simplify(
        sp.Add(
            *[c * moments[m] for m, c in zip(polynomial.monoms(), polynomial.coeffs(), strict=True)]
        )
        / one_minus
    )
    closed = -sp.log(one_minus) / 2
    claim = not rest.has(y) and polynomial.total_degree() <= 2 and _is_zero(mean - closed)
    return GaussianCritic(x, y, rho, joint, marginals, ratio, separable, mean, closed, claim)
