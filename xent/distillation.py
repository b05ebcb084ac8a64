r"""Knowledge distillation: a student's logits fitted to a teacher's softened predictions.

The teacher's logits ``v`` and the student's logits ``z`` are both divided by a temperature
``T`` before the softmax, ``p_T = softmax(v / T)`` and ``q_T = softmax(z / T)``, and the student
is trained on

.. math:: \ell = T^2 \, D_{\mathrm{KL}}(p_T \,\Vert\, q_T)
               = T^2 \bigl[H(p_T, q_T) - H(p_T)\bigr].

The KL form differs from the cross-entropy form ``T^2 H(p_T, q_T)`` of Hinton, Vinyals and
Dean (2015) by ``T^2 H(p_T)``, which does not depend on the student: the two have the same
gradient, and the KL form is 0 exactly when the student matches the teacher. It is the form
PyTorch code usually writes, ``kl_div(log_softmax(z / T), softmax(v / T)) * T**2``.

The gradient in the student's logits is ``T (q_T - p_T)``: the soft-target gradient
``(q_T - p_T) / T`` of the unscaled loss times ``T^2``. For large ``T`` the unscaled gradient
shrinks like ``1 / T^2``; the factor ``T^2`` keeps its size comparable across temperatures, so
that changing ``T`` does not silently change the learning rate.

For ``reduction="none"`` the gradient functions return the gradient of the *sum* of the
per-sample losses: each row holds the gradient of its own loss.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from xent import _validate
from xent._docs import shared_args as _shared_args
from xent.losses import _reduce
from xent.softmax import _logits, _normalizer, _times_probability

__all__ = [
    "distillation_loss",
    "distillation_loss_grad",
    "distillation_loss_with_grad",
]


def _distillation(
    student_logits: ArrayLike,
    teacher_logits: ArrayLike,
    temperature: float,
    axis: int,
    reduction: str,
    need_grad: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    reduction = _validate.reduction(reduction)
    temperature = _validate.positive_number(temperature, "temperature")
    # Shifted by the row maximum: right for every temperature (see softmax._logits)
    z, axis, student_dtype = _logits(
        student_logits, axis, temperature, name="student_logits", shift=True
    )
    v, _, teacher_dtype = _logits(
        teacher_logits, axis, temperature, name="teacher_logits", shift=True
    )
    if z.shape != v.shape:
        raise ValueError(
            "student_logits and teacher_logits must have the same shape; got "
            f"{np.moveaxis(z, -1, axis).shape} and {np.moveaxis(v, -1, axis).shape}"
        )
    dtype = _validate.common_dtype(student_dtype, teacher_dtype)
    work = _validate.working_dtype(dtype)
    z, v = z.astype(work, copy=False), v.astype(work, copy=False)
    student, teacher = _normalizer(z), _normalizer(v)
    with np.errstate(invalid="ignore", over="ignore"):
        log_q = student.shifted - student.log_norm
        log_p = teacher.shifted - teacher.log_norm
        p = teacher.exp_shifted / (1 + teacher.rest)
        # 0 log 0 = 0: a class the teacher rules out (p exactly 0, not an underflow) costs
        # nothing, whatever the student says.
        terms = _times_probability(p, log_p, log_p - log_q)
        kl = np.sum(np.where(log_p == -np.inf, 0, terms), axis=-1)
        close = _close_rows(
            p, teacher.shifted - student.shifted, student.shifted - teacher.log_norm
        )
        if close is not None:
            kl = np.where(close.rows, close.kl, kl)
        # Gibbs' inequality: KL >= 0; a rounding just below 0 is noise (NaN stays NaN).
        # T * (T * KL), not T**2 * KL: T**2 underflows (float32 below T ~ 1e-19) while the
        # KL grows like 1 / T, and the loss, about T times the logit gap, is representable.
        loss = temperature * (temperature * np.maximum(kl, 0))
        grad = None
        if need_grad:
            q = student.exp_shifted / (1 + student.rest)
            difference = q - p
            if close is not None:
                difference = np.where(close.rows[..., None], close.q_minus_p, difference)
            grad = temperature * difference
    if not np.isfinite(loss).all():
        # Finite logits have a finite KL: an infinite or NaN one (inf - inf) means a gap / T,
        # or the loss itself, overflowed the dtype.
        finite = np.ones(loss.shape, dtype=bool)
        for logits in (student_logits, teacher_logits):
            values = np.moveaxis(np.asarray(logits, dtype=np.float64), axis, -1)
            finite &= np.isfinite(values).all(-1)
        if (~np.isfinite(loss) & finite).any():
            remedy = "rescale the logits" if dtype == np.float64 else "pass float64 logits"
            raise ValueError(
                f"{np.dtype(dtype).name} logits at temperature={temperature!r}: a logit gap "
                f"divided by T, or the loss T^2 KL, is beyond the dtype's range; {remedy}"
            )
    reduced, grad = _reduce(loss, grad, reduction, loss.size)
    out_grad = None if grad is None else _validate.cast(np.moveaxis(grad, -1, axis), dtype)
    return _validate.cast(reduced, dtype), out_grad


#: 1 / n! for n = 2, ..., 20: e^-x - 1 + x = x^2 (1/2! - x/3! + x^2/4! - ...),
#: to 1e-25 for |x| <= 1/2.
_SERIES = tuple(1.0 / math.factorial(n) for n in range(2, 21))


class _Close(NamedTuple):
    rows: np.ndarray  # which rows the accurate form serves
    kl: np.ndarray
    q_minus_p: np.ndarray


def _close_rows(p: np.ndarray, delta: np.ndarray, log_p_minus_delta: np.ndarray) -> _Close | None:
    """KL(p || q) and q - p, accurate when the student's softmax is close to the teacher's.

    With ``delta = v / T - z / T`` centred under ``p`` (``x = delta - E_p[delta]``),
    ``KL = log E_p[e^-x] = log1p(E_p[g(x)])`` for ``g(x) = e^-x - 1 + x >= 0``, a sum without
    cancellation, and ``q - p = p expm1(-x - KL)``. The direct form subtracts log-probabilities
    of size ``log K`` to get a KL of size ``(gap / T)^2``: its error grew like ``T^2`` (63 % at
    ``T = 1e4`` in float32). Used on rows of finite logits where ``E_p[g] <= 1``; elsewhere the
    KL is not small and the direct form is accurate. None when no row qualifies.

    ``p e^-x`` is taken as ``e^(log p - delta + E_p[delta])``, with ``log p - delta`` (the
    student's shifted logit less the teacher's log-normaliser) given as computed, never as the
    difference of ``log p`` and ``delta``: for a class the teacher rules out by a gap of 1e30,
    both are near -1e30, their difference lost every digit, and a row far from close passed
    for close with a KL of log 2.
    """
    finite = np.isfinite(delta).all(axis=-1, keepdims=True)
    if not finite.any():
        return None
    total = np.sum(p, axis=-1, keepdims=True)  # 1 up to rounding, divided out below
    d = np.where(finite, delta, 0)
    centre = np.sum(p * d, axis=-1, keepdims=True) / total
    x = d - centre
    log_p_minus_x = log_p_minus_delta + centre
    mean = np.sum(p * x, axis=-1, keepdims=True) / total  # 0 up to rounding
    small = np.abs(x) <= 0.5
    y = -np.where(small, x, 0)
    series = np.zeros_like(y)
    for coefficient in reversed(_SERIES):
        series = series * y + coefficient
    weighted = np.where(small, p * (x * x) * series, np.exp(log_p_minus_x) - p + p * x)
    g_mean = np.sum(np.where(finite, weighted, 0), axis=-1, keepdims=True) / total
    log_mean = np.log1p(g_mean - mean)
    kl = mean + log_mean
    rows = finite & (g_mean <= 1)
    change = np.expm1(-x - log_mean)
    q_minus_p = (p / total) * change
    # a tiny p with a large ratio: the product overflows where q itself is at most 2
    q_minus_p = np.where(np.isfinite(q_minus_p), q_minus_p, np.exp(log_p_minus_x - log_mean) - p)
    return _Close(rows[..., 0], kl[..., 0], q_minus_p)


_DOC_ARGS = """    Args:
        student_logits: the student's logits ``z``, shape ``(..., K)`` (class axis ``axis``).
        teacher_logits: the teacher's logits ``v``, the same shape.
        temperature: ``T > 0`` (keyword-only, required); divides both sets of logits.
        axis: the class axis (keyword-only).
        reduction: ``"mean"`` (over the rows: every position of every axis but the class
            axis; for 2-D logits the ``batchmean`` of PyTorch's ``kl_div``, which divides by
            the first axis only), ``"sum"`` or ``"none"``.

"""


@_shared_args(_DOC_ARGS)
def distillation_loss(
    student_logits: ArrayLike,
    teacher_logits: ArrayLike,
    *,
    temperature: float,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Distillation loss ``T^2 KL(softmax(v / T) || softmax(z / T))`` per sample.

    .. math:: \ell_n = T^2 \sum_c p_{T,n,c} \bigl(\log p_{T,n,c} - \log q_{T,n,c}\bigr),
              \qquad p_T = \operatorname{softmax}(v / T), \; q_T = \operatorname{softmax}(z / T)

    The KL form: it is ``>= 0`` and 0 exactly when the student's softened prediction equals the
    teacher's. The cross-entropy form ``T^2 H(p_T, q_T)`` of Hinton et al. (2015) is larger by
    ``T^2 H(p_T)``, a constant for the student, so both give the same gradient. Follows
    ``0 log 0 = 0``: a class the teacher rules out (a ``-inf`` logit) costs nothing. The usual
    recipe adds the ordinary cross-entropy on the hard labels,
    ``alpha * distillation_loss(z, v, temperature=T) + (1 - alpha) * softmax_cross_entropy(z,
    y)``.

    The KL of two nearly equal predictions, written directly, is a small difference of terms of
    size ``log K``: in float32 a loss of ``3e-7`` came out 30 % off, and at ``T = 1e4`` a loss of
    9 came out 63 % off (the error grows like ``T^2``; PyTorch's ``kl_div(...) * T**2`` does the
    same). Where the student's prediction is close to the teacher's, this function uses a form
    without that cancellation (see the source): both losses are right to ``3e-5`` relative in
    float32, ``1e-13`` in float64. What remains is the rounding of the logits themselves.

    {args}
    Returns:
        The loss in nats: a 0-d array, or shape ``student_logits.shape`` without ``axis`` for
        ``"none"``.

    Raises:
        ValueError: shapes that differ, a temperature that is not positive and finite (or so
            small that a gap between finite logits divided by it overflows the dtype), an
            unknown ``reduction``, zero classes.
        TypeError: complex, object or string input.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> teacher = np.array([[2.0, 1.0, 0.0]])
        >>> float(xent.distillation_loss(teacher, teacher, temperature=4.0))
        0.0
        >>> round(float(xent.distillation_loss([[0.0, 0.0, 0.0]], teacher, temperature=1.0)), 6)
        0.266217

    References:
        Hinton, G., Vinyals, O. and Dean, J. (2015). Distilling the knowledge in a neural
        network. arXiv:1503.02531.
        Bucilua, C., Caruana, R. and Niculescu-Mizil, A. (2006). Model compression. *KDD*.
    """
    loss, _ = _distillation(student_logits, teacher_logits, temperature, axis, reduction, False)
    return loss


@_shared_args(_DOC_ARGS)
def distillation_loss_grad(
    student_logits: ArrayLike,
    teacher_logits: ArrayLike,
    *,
    temperature: float,
    axis: int = -1,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Gradient of :func:`distillation_loss` in the student's logits: ``T (q_T - p_T)`` per row.

    .. math:: \frac{\partial \ell_n}{\partial z_n}
              = T^2 \cdot \frac{q_{T,n} - p_{T,n}}{T} = T\,(q_{T,n} - p_{T,n})

    The inner ``(q_T - p_T) / T`` is the soft-target gradient ``q - p`` of the softmax
    cross-entropy, times ``1 / T`` from the chain rule through ``z / T``. Scaled like the loss
    by the number of samples for ``"mean"``; for ``"none"`` it is the gradient of the sum of the
    per-sample losses. The teacher is a constant: no gradient flows to it.

    {args}
    Returns:
        Array of the shape of ``student_logits``.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> grad = xent.distillation_loss_grad([[0.0, 0.0]], [[np.log(3.0), 0.0]], temperature=1.0)
        >>> grad.round(12).tolist()  # q - p = [0.5, 0.5] - [0.75, 0.25]
        [[-0.25, 0.25]]

    References:
        Hinton, G., Vinyals, O. and Dean, J. (2015). Distilling the knowledge in a neural
        network. arXiv:1503.02531, section 2.1.
    """
    _, grad = _distillation(student_logits, teacher_logits, temperature, axis, reduction, True)
    assert grad is not None
    return grad


@_shared_args(_DOC_ARGS)
def distillation_loss_with_grad(
    student_logits: ArrayLike,
    teacher_logits: ArrayLike,
    *,
    temperature: float,
    axis: int = -1,
    reduction: str = "mean",
) -> tuple[np.ndarray, np.ndarray]:
    r"""Loss and gradient of :func:`distillation_loss` together, each softmax computed once.

    .. math:: \bigl(\ell, \; \partial \ell / \partial z\bigr)

    {args}
    Returns:
        ``(loss, grad)`` as from :func:`distillation_loss` and :func:`distillation_loss_grad`.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> loss, grad = xent.distillation_loss_with_grad(
        ...     np.zeros((1, 2)), [[np.log(3.0), 0.0]], temperature=2.0)
        >>> round(float(loss), 6), grad.round(6).tolist()
        (0.145363, [[-0.267949, 0.267949]])

    References:
        Hinton, G., Vinyals, O. and Dean, J. (2015). Distilling the knowledge in a neural
        network. arXiv:1503.02531.
    """
    loss, grad = _distillation(student_logits, teacher_logits, temperature, axis, reduction, True)
    assert grad is not None
    return loss, grad
