r"""The softmax family on logits: log-sum-exp, softmax, log-softmax, their Jacobian, the sigmoid.

All of them rest on one decomposition of a row of logits ``z`` with maximum ``m`` at index
``top``:

.. math:: \operatorname{lse}(z) = m + \log\Bigl(1 + \sum_{j \ne \mathrm{top}} e^{z_j - m}\Bigr)
          = m + \operatorname{log1p}(r).

Shifting by the maximum means no exponential can overflow; keeping the top entry's exact 1 out
of the sum ``r`` means ``log1p(r)`` stays accurate when the row is confident and ``r`` is far
below machine epsilon (Blanchard, Higham and Higham 2021).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from xent import _validate


class _Normalizer(NamedTuple):
    """Pieces of ``lse`` for rows along the last axis (all with keepdims)."""

    row_max: np.ndarray  # max_j z_j, shape (..., 1); may be +-inf or NaN
    max: np.ndarray  # m: the row maximum where finite, else 0, shape (..., 1)
    shifted: np.ndarray  # z - m, shape (..., K)
    exp_shifted: np.ndarray  # e^{z - m}, shape (..., K); exactly 1 at the top entry
    top: np.ndarray  # index of the maximum, shape (..., 1)
    rest: np.ndarray  # r = sum of e^{z_j - m} over j != top, shape (..., 1)
    log_norm: np.ndarray  # log1p(r), shape (..., 1)


def _normalizer(z: np.ndarray) -> _Normalizer:
    """Decompose rows of ``z`` (class axis last, working dtype) as ``lse = m + log1p(r)``."""
    with np.errstate(invalid="ignore", over="ignore"):
        row_max = np.max(z, axis=-1, keepdims=True)
        finite_max = np.isfinite(row_max)
        if finite_max.all():
            safe_max = row_max
            shifted = z - row_max
        else:
            safe_max = np.where(finite_max, row_max, 0).astype(z.dtype)
            shifted = z - safe_max
            # A +inf logit takes all the mass (shared equally among tied +inf entries); a row
            # of only -inf logits has no softmax at all, which NaN says.
            shifted = np.where(row_max == np.inf, np.where(z == np.inf, 0, -np.inf), shifted)
            shifted = np.where((row_max == -np.inf) | np.isnan(row_max), np.nan, shifted)
            shifted = shifted.astype(z.dtype, copy=False)
        exp_shifted = np.exp(shifted)
        top = np.argmax(shifted, axis=-1, keepdims=True)
        top_value = np.take_along_axis(exp_shifted, top, axis=-1)
        np.put_along_axis(exp_shifted, top, 0, axis=-1)
        rest = np.sum(exp_shifted, axis=-1, keepdims=True)
        np.put_along_axis(exp_shifted, top, top_value, axis=-1)
        log_norm = np.log1p(rest)
    return _Normalizer(row_max, safe_max, shifted, exp_shifted, top, rest, log_norm)


def _logits(
    z: ArrayLike, axis: int, temperature: float = 1.0, name: str = "z"
) -> tuple[np.ndarray, int, np.dtype]:
    """Validate logits and move the class axis last; returns (array, axis, output dtype)."""
    array, dtype = _validate.float_array(z, name)
    axis = _validate.class_axis(array, axis, name)
    temperature = _validate.positive_number(temperature, "temperature")
    array = np.moveaxis(array, axis, -1)
    if temperature != 1.0:
        # Divide in float64: a temperature such as 1e-300 is 0 in float32, and z / T may
        # overflow to +-inf, which the softmax reads as its T -> 0 limit (the argmax).
        with np.errstate(over="ignore"):
            array = (array.astype(np.float64) / temperature).astype(array.dtype)
    return array, axis, dtype


def logsumexp(z: ArrayLike, *, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    r"""Log-sum-exp ``log(sum_j e^{z_j})`` along ``axis``, without overflow.

    .. math:: \operatorname{lse}(z) = m + \log \sum_j e^{z_j - m}, \qquad m = \max_j z_j

    It is equivariant, not invariant, under shifts: ``lse(z + c) = lse(z) + c``.

    Args:
        z: logits, shape ``(..., K)`` (class axis ``axis``).
        axis: the axis to reduce (keyword-only).
        keepdims: keep the reduced axis with length 1.

    Returns:
        Array of shape ``(...)`` (or with the axis kept).

    Examples:
        >>> import xent
        >>> float(xent.logsumexp([1000.0, 1000.0]))  # 1000 + log 2
        1000.6931471805599

    References:
        Blanchard, P., Higham, D. J. and Higham, N. J. (2021). Accurately computing the
        log-sum-exp and softmax functions. *IMA Journal of Numerical Analysis* 41(4).
    """
    array, axis, dtype = _logits(z, axis)
    parts = _normalizer(array)
    with np.errstate(invalid="ignore"):
        result = parts.max + parts.log_norm
    result = np.where(np.isinf(parts.row_max), parts.row_max, result)
    result = np.moveaxis(result, -1, axis)
    if not keepdims:
        result = np.squeeze(result, axis=axis)
    return _validate.cast(result, dtype)


def softmax(z: ArrayLike, *, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    r"""Softmax ``e^{z_i / T} / sum_j e^{z_j / T}`` along ``axis``: logits to probabilities.

    .. math:: \operatorname{softmax}(z)_i = \frac{e^{(z_i - m)/T}}{\sum_j e^{(z_j - m)/T}}

    Subtracting the maximum ``m`` changes nothing mathematically (softmax is shift-invariant)
    and keeps every exponential at most 1. ``T -> 0`` tends to the one-hot argmax, ``T -> inf``
    to the uniform distribution.

    Args:
        z: logits, shape ``(..., K)``.
        axis: the class axis (keyword-only).
        temperature: ``T > 0``; divides the logits.

    Returns:
        Probabilities, same shape as ``z``, non-negative and summing to 1 along ``axis``.

    Examples:
        >>> import xent
        >>> xent.softmax([123.0, 456.0, 789.0]).tolist()
        [5.752744056979149e-290, 2.398487868841356e-145, 1.0]

    References:
        Bridle, J. S. (1990). Probabilistic interpretation of feedforward classification
        network outputs, with relationships to statistical pattern recognition.
    """
    array, axis, dtype = _logits(z, axis, temperature)
    parts = _normalizer(array)
    result: np.ndarray = parts.exp_shifted / (1 + parts.rest)
    return _validate.cast(np.moveaxis(result, -1, axis), dtype)


def log_softmax(z: ArrayLike, *, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    r"""Log-probabilities ``z_i / T - lse(z / T)``, accurate even where softmax rounds to 0 or 1.

    .. math:: \log \operatorname{softmax}(z)_i
              = (z_i - m) - \operatorname{log1p}\Bigl(\sum_{j \ne \mathrm{top}} e^{z_j - m}\Bigr)

    Args:
        z: logits, shape ``(..., K)``.
        axis: the class axis (keyword-only).
        temperature: ``T > 0``; divides the logits.

    Returns:
        Log-probabilities, same shape as ``z``, all ``<= 0``.

    Examples:
        >>> import xent
        >>> xent.log_softmax([0.0, -800.0]).tolist()  # softmax would give [1.0, 0.0]
        [0.0, -800.0]

    References:
        Goodfellow, I., Bengio, Y. and Courville, A. (2016). *Deep Learning*, §6.2.2.3.
    """
    array, axis, dtype = _logits(z, axis, temperature)
    parts = _normalizer(array)
    with np.errstate(invalid="ignore"):
        result: np.ndarray = parts.shifted - parts.log_norm
    return _validate.cast(np.moveaxis(result, -1, axis), dtype)


def softmax_jacobian(z: ArrayLike, *, temperature: float = 1.0) -> np.ndarray:
    r"""Jacobian of the softmax, ``d q_i / d z_j = (q_i [i = j] - q_i q_j) / T``.

    .. math:: \frac{\partial q}{\partial z}
              = \frac{1}{T}\left(\operatorname{diag}(q) - q q^\top\right)

    Symmetric, with rows summing to 0 (adding a constant to every logit changes nothing).

    Args:
        z: logits, shape ``(..., K)``; the class axis is the last.
        temperature: ``T > 0``.

    Returns:
        Array of shape ``(..., K, K)``.

    Examples:
        >>> import xent
        >>> xent.softmax_jacobian([0.0, 0.0]).tolist()
        [[0.25, -0.25], [-0.25, 0.25]]

    References:
        Bishop, C. M. (2006). *Pattern Recognition and Machine Learning*, eq. (4.106).
    """
    array, _, dtype = _logits(z, -1, temperature)
    parts = _normalizer(array)
    q = parts.exp_shifted / (1 + parts.rest)
    # 1 - q_top is the non-top mass r / (1 + r): q_top - q_top**2 would round it to 0.
    not_q = 1 - q
    np.put_along_axis(not_q, parts.top, parts.rest / (1 + parts.rest), axis=-1)
    jac: np.ndarray = -q[..., :, None] * q[..., None, :]
    diagonal = np.einsum("...ii->...i", jac)
    diagonal[...] = q * not_q
    with np.errstate(over="ignore"):
        jac /= np.asarray(temperature, dtype=array.dtype)
    return _validate.cast(jac, dtype)


def sigmoid(z: ArrayLike) -> np.ndarray:
    r"""The logistic sigmoid ``1 / (1 + e^{-z})``, without overflow for any ``z``.

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}} = \frac{e^{z}}{1 + e^{z}}

    The first form is used for ``z >= 0`` and the second for ``z < 0``, so the exponential
    is always of a non-positive number.

    Args:
        z: array of any shape.

    Returns:
        Array of the same shape with values in [0, 1].

    Examples:
        >>> import xent
        >>> xent.sigmoid([-1000.0, 0.0, 1000.0]).tolist()
        [0.0, 0.5, 1.0]

    References:
        Goodfellow, I., Bengio, Y. and Courville, A. (2016). *Deep Learning*, §3.10.
    """
    z_arr, dtype = _validate.float_array(z, "z")
    with np.errstate(invalid="ignore"):
        e = np.exp(-np.abs(z_arr))
        result = np.where(z_arr >= 0, 1 / (1 + e), e / (1 + e))
    return _validate.cast(result, dtype)
