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

from typing import Any, Literal, NamedTuple, overload

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
        # A row with NaN, or with only -inf, has no normaliser. Saying so in r (not only in
        # the shifted logits) carries the NaN into everything built on it, a row of length 1
        # included, whose r is an empty sum.
        rest = np.where(np.isnan(row_max) | (row_max == -np.inf), np.nan, rest).astype(z.dtype)
        log_norm = np.log1p(rest)
    return _Normalizer(row_max, safe_max, shifted, exp_shifted, top, rest, log_norm)


def _times_probability(q: np.ndarray, log_q: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``q * factor`` for ``q = e^{log q}``, accurate where ``q`` is subnormal.

    A subnormal ``q`` carries few significant bits (``e^-745`` rounds to twice its value), and
    ``factor`` (a surprisal of hundreds of nats) would multiply that error past the smallest
    subnormal; ``e^{log q + log |factor|}`` rounds only once, at the end.
    """
    product: np.ndarray = q * factor
    tiny = np.log(np.finfo(product.dtype).tiny)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        small = (log_q < tiny) & (factor != 0) & np.isfinite(factor)
        if np.any(small):
            size = np.exp(log_q + np.log(np.abs(factor)))
            product = np.where(small, np.copysign(size, factor), product).astype(product.dtype)
    return product


def _non_top_mass(rest: np.ndarray) -> np.ndarray:
    """``1 - q_top = r / (1 + r)``, exactly: ``1 - q_top`` itself rounds to 0 when r < eps."""
    mass: np.ndarray = rest / (1 + rest)
    return mass


def _top_entry(total: Any, off_top: Any, rest: np.ndarray) -> np.ndarray:
    """The top entry of a gradient ``A q - P``: ``A q_top - P_top`` as ``(A - P_top) - A s``.

    ``total`` is ``A`` (the row's target mass), ``off_top`` is ``A - P_top`` (the target mass
    away from the top class) and ``s = r / (1 + r)``. In a confident row ``q_top`` rounds to
    1 and ``A q_top - P_top`` would lose ``s`` entirely: the gradient at a confidently right
    target is minus the non-target mass, not 0. Used by the losses and their row kernel.
    """
    entry: np.ndarray = off_top - total * _non_top_mass(rest)
    return entry


def _logits(
    z: ArrayLike, axis: int, temperature: float = 1.0, name: str = "z", shift: bool = False
) -> tuple[np.ndarray, int, np.dtype]:
    """Validate logits and move the class axis last; returns (array, axis, output dtype).

    With ``shift=True`` the rows come back as ``(z - max z) / T`` rather than ``z / T``: equal
    under softmax, and right for every temperature (see :func:`_divide_by_temperature`).
    """
    array, axis, dtype = _validate.logits(z, axis, name)
    temperature = _validate.positive_number(temperature, "temperature")
    if temperature != 1.0:
        array = _divide_by_temperature(array, temperature, shift)
    return array, axis, dtype


def _divide_by_temperature(array: np.ndarray, temperature: float, shift: bool) -> np.ndarray:
    """Rows of ``array`` (class axis last) divided by ``T``, in float64, cast back.

    In float64 because a temperature such as 1e-300 is 0 in float32. Unshifted, ``z / T`` can
    overflow: ``[100, 200] / 1e-37`` is ``[inf, inf]`` in float32, a tie, so the softmax would
    say [0.5, 0.5] where the answer is [0, 1]. Shifted, the top entry is 0 and only the others
    can overflow, to -inf, which is their true limit. A row whose maximum is not finite is left
    as it is: dividing by ``T > 0`` changes none of its infinities, and would turn its finite
    entries into spurious ones.
    """
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        wide = array.astype(np.float64)
        if shift and wide.size:
            row_max = np.max(wide, axis=-1, keepdims=True)
            finite = np.isfinite(row_max)
            scaled = (wide - np.where(finite, row_max, 0)) / temperature
            wide = np.where(finite, scaled, wide)
        else:
            wide = wide / temperature
        return wide.astype(array.dtype)


def _gather(
    z: ArrayLike, axis: int | tuple[int, ...] | None, name: str
) -> tuple[np.ndarray, np.dtype, tuple[int, ...], tuple[int, ...]]:
    """Validate logits and flatten the axes SciPy's ``axis`` names into one last axis.

    Returns ``(array of shape (kept..., n), output dtype, the reduced axes, the input shape)``.
    A 0-d input is one entry; an empty axis is allowed (SciPy's ``logsumexp([])`` is -inf).
    """
    array, dtype = _validate.float_array(z, name)
    axes = _validate.reduction_axes(array, axis, name)
    kept = [d for d in range(array.ndim) if d not in axes]
    size = int(np.prod([array.shape[d] for d in axes], dtype=np.int64))
    moved = np.transpose(array, kept + list(axes)).reshape(
        tuple(array.shape[d] for d in kept) + (size,)
    )
    return moved, dtype, axes, array.shape


def _scatter(rows: np.ndarray, axes: tuple[int, ...], shape: tuple[int, ...]) -> np.ndarray:
    """Undo :func:`_gather` for a result of the input's shape."""
    kept = [d for d in range(len(shape)) if d not in axes]
    order = kept + list(axes)
    array = rows.reshape(tuple(shape[d] for d in order))
    return np.transpose(array, np.argsort(order))


@overload
def logsumexp(
    z: ArrayLike,
    *,
    axis: int | tuple[int, ...] | None = -1,
    keepdims: bool = False,
    b: ArrayLike | None = None,
    return_sign: Literal[False] = False,
) -> np.ndarray: ...


@overload
def logsumexp(
    z: ArrayLike,
    *,
    axis: int | tuple[int, ...] | None = -1,
    keepdims: bool = False,
    b: ArrayLike | None = None,
    return_sign: Literal[True],
) -> tuple[np.ndarray, np.ndarray]: ...


def logsumexp(
    z: ArrayLike,
    *,
    axis: int | tuple[int, ...] | None = -1,
    keepdims: bool = False,
    b: ArrayLike | None = None,
    return_sign: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    r"""Log-sum-exp ``log(sum_j b_j e^{z_j})`` along ``axis``, without overflow.

    .. math:: \operatorname{lse}(z) = m + \log \sum_j b_j e^{z_j - m}, \qquad m = \max_j z_j

    It is equivariant, not invariant, under shifts: ``lse(z + c) = lse(z) + c``. The call is
    SciPy's (:func:`scipy.special.logsumexp`) except that ``axis`` defaults to the last axis,
    as everywhere in xent, rather than to all of them (pass ``axis=None`` for SciPy's default).
    An empty sum is 0, so an empty axis gives ``-inf``; a 0-d ``z`` is one entry.

    Args:
        z: logits, any shape.
        axis: the axis to reduce (keyword-only), a tuple of axes, or ``None`` for all.
        keepdims: keep the reduced axes with length 1.
        b: optional scale factors, broadcastable with ``z``; entries with ``b = 0`` are left
            out (even at ``z = inf``), and negative ones may make the sum negative.
        return_sign: also return the sign of the sum (+1, -1, or 0 for a zero sum). Without
            it, a negative sum gives NaN, as in SciPy.

    Returns:
        Array of the shape of ``z`` (broadcast with ``b``) without the reduced axes (or with
        them kept), or the pair ``(log |sum|, sign)`` for ``return_sign=True``.

    Examples:
        >>> import xent
        >>> float(xent.logsumexp([1000.0, 1000.0]))  # 1000 + log 2
        1000.6931471805599
        >>> value, sign = xent.logsumexp([0.0, 0.0], b=[1.0, -2.0], return_sign=True)
        >>> float(value), float(sign)  # log |1 - 2| = 0, and the sum is negative
        (0.0, -1.0)
        >>> float(xent.logsumexp([[0.0, 0.0], [0.0, 0.0]], axis=None))  # log 4
        1.3862943611198906

    References:
        Blanchard, P., Higham, D. J. and Higham, N. J. (2021). Accurately computing the
        log-sum-exp and softmax functions. *IMA Journal of Numerical Analysis* 41(4).
    """
    if b is None:
        array, dtype, axes, _ = _gather(z, axis, "z")
        result, sign = _logsumexp_rows(array)
    else:
        z_arr, z_dtype = _validate.float_array(z, "z")
        b_arr, b_dtype = _validate.float_array(b, "b")
        dtype = _validate.common_dtype(z_dtype, b_dtype)
        work = _validate.working_dtype(dtype)
        z_arr, b_arr = _validate.broadcast_pair(z_arr.astype(work), b_arr.astype(work), "z", "b")
        array, _, axes, _ = _gather(z_arr, axis, "z")
        scale, _, _, _ = _gather(b_arr, axis, "b")
        result, sign = _scaled_logsumexp_rows(array, scale)
    if not return_sign:
        # A negative sum has no real logarithm.
        result = np.where(sign < 0, np.nan, result)
    if keepdims:
        result, sign = np.expand_dims(result, axes), np.expand_dims(sign, axes)
    if return_sign:
        return _validate.cast(result, dtype), _validate.cast(sign, dtype)
    return _validate.cast(result, dtype)


def _logsumexp_rows(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lse, sign)`` of each row of ``array`` (reduced axis last, maybe empty)."""
    if array.shape[-1] == 0:
        empty = np.full(array.shape[:-1], -np.inf, dtype=array.dtype)
        return empty, np.zeros_like(empty)
    parts = _normalizer(array)
    with np.errstate(invalid="ignore"):
        result = parts.max + parts.log_norm
    result = np.where(np.isinf(parts.row_max), parts.row_max, result)[..., 0]
    sign = np.where(result == -np.inf, 0.0, np.where(np.isnan(result), np.nan, 1.0))
    return result, sign.astype(array.dtype)


def _scaled_logsumexp_rows(z: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log |sum_j b_j e^{z_j}|, sign of the sum)`` of each row, the reduced axis last.

    The top term ``b_top e^0 = b_top`` is kept out of the rest, as in :func:`_normalizer`:
    ``log |b_top| + log1p(rest / b_top)`` stays accurate when the rest is tiny.
    """
    if z.shape[-1] == 0:
        return _logsumexp_rows(z)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore", under="ignore"):
        # SciPy's rule: a term with b = 0 is absent, even at z = inf.
        z = np.where(b == 0, -np.inf, z)
        top = np.argmax(z, axis=-1)[..., None]
        row_max = np.take_along_axis(z, top, axis=-1)
        finite_max = np.isfinite(row_max)
        terms = b * np.exp(z - np.where(finite_max, row_max, 0))
        b_top = np.take_along_axis(b, top, axis=-1)
        np.put_along_axis(terms, top, 0, axis=-1)
        rest = np.sum(terms, axis=-1, keepdims=True)
        ratio = rest / b_top
        total = b_top + rest
        small = np.abs(ratio) <= 1
        log_abs = np.where(small, np.log(np.abs(b_top)) + np.log1p(ratio), np.log(np.abs(total)))
        result = row_max + log_abs
        sign = np.sign(total)
        # An infinite term, b_j e^{z_j} with z_j = +inf or b_j = +-inf (and z_j > -inf): the
        # sum is +-inf with the sign of those b's, or NaN if they disagree; only -inf or
        # dropped terms: an empty sum.
        at_inf = (z == np.inf) | (np.isinf(b) & (z > -np.inf))
        positive = np.any(at_inf & (b > 0), axis=-1, keepdims=True)
        negative = np.any(at_inf & (b < 0), axis=-1, keepdims=True)
        infinite = positive | negative
        inf_sign = np.where(positive & negative, np.nan, np.where(negative, -1.0, 1.0))
        result = np.where(infinite, np.where(positive & negative, np.nan, np.inf), result)
        sign = np.where(infinite, inf_sign, sign)
        result = np.where(row_max == -np.inf, -np.inf, result)
        sign = np.where(row_max == -np.inf, 0.0, sign)
        nan_row = np.isnan(row_max) | np.any(np.isnan(b), axis=-1, keepdims=True)
        result = np.where(nan_row, np.nan, result)
        sign = np.where(nan_row, np.nan, sign)
    return result[..., 0], sign[..., 0].astype(z.dtype)


def _rows(
    z: ArrayLike, axis: int | tuple[int, ...] | None, temperature: float
) -> tuple[np.ndarray, np.dtype, tuple[int, ...], tuple[int, ...]]:
    """Logits gathered as rows (:func:`_gather`) and divided by the temperature."""
    temperature = _validate.positive_number(temperature, "temperature")
    array, dtype, axes, shape = _gather(z, axis, "z")
    if temperature != 1.0:
        array = _divide_by_temperature(array, temperature, shift=True)
    return array, dtype, axes, shape


def softmax(
    z: ArrayLike, *, axis: int | tuple[int, ...] | None = -1, temperature: float = 1.0
) -> np.ndarray:
    r"""Softmax ``e^{z_i / T} / sum_j e^{z_j / T}`` along ``axis``: logits to probabilities.

    .. math:: \operatorname{softmax}(z)_i = \frac{e^{(z_i - m)/T}}{\sum_j e^{(z_j - m)/T}}

    Subtracting the maximum ``m`` changes nothing mathematically (softmax is shift-invariant)
    and keeps every exponential at most 1. ``T -> 0`` tends to the one-hot argmax, ``T -> inf``
    to the uniform distribution; the shift comes before the division, so every temperature
    from the smallest normal number to the largest gets its right answer.

    As :func:`scipy.special.softmax`, with the last axis as default: ``axis=None`` or a tuple
    normalises over several axes at once, a 0-d ``z`` is one entry (softmax 1), and an empty
    ``z`` gives an empty result.

    Args:
        z: logits, shape ``(..., K)``.
        axis: the class axis (keyword-only), a tuple of axes, or ``None`` for all.
        temperature: ``T > 0``; divides the logits.

    Returns:
        Probabilities, same shape as ``z``, non-negative and summing to 1 along ``axis``.

    Examples:
        >>> import xent
        >>> xent.softmax([123.0, 456.0, 789.0]).tolist()
        [5.752744056979149e-290, 2.398487868841356e-145, 1.0]
        >>> xent.softmax([[0.0, 0.0], [0.0, 0.0]], axis=None).tolist()  # SciPy's default
        [[0.25, 0.25], [0.25, 0.25]]
        >>> xent.softmax([100.0, 200.0], temperature=1e-300).tolist()  # the T -> 0 limit
        [0.0, 1.0]

    References:
        Bridle, J. S. (1990). Probabilistic interpretation of feedforward classification
        network outputs, with relationships to statistical pattern recognition.
    """
    array, dtype, axes, shape = _rows(z, axis, temperature)
    if array.size == 0:
        return _validate.cast(np.zeros(shape, dtype=array.dtype), dtype)
    parts = _normalizer(array)
    result: np.ndarray = parts.exp_shifted / (1 + parts.rest)
    return _validate.cast(_scatter(result, axes, shape), dtype)


def log_softmax(
    z: ArrayLike, *, axis: int | tuple[int, ...] | None = -1, temperature: float = 1.0
) -> np.ndarray:
    r"""Log-probabilities ``z_i / T - lse(z / T)``, accurate even where softmax rounds to 0 or 1.

    .. math:: \log \operatorname{softmax}(z)_i
              = (z_i - m) - \operatorname{log1p}\Bigl(\sum_{j \ne \mathrm{top}} e^{z_j - m}\Bigr)

    The axes, 0-d and empty inputs are read as in :func:`softmax`.

    Args:
        z: logits, shape ``(..., K)``.
        axis: the class axis (keyword-only), a tuple of axes, or ``None`` for all.
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
    array, dtype, axes, shape = _rows(z, axis, temperature)
    if array.size == 0:
        return _validate.cast(np.zeros(shape, dtype=array.dtype), dtype)
    parts = _normalizer(array)
    with np.errstate(invalid="ignore"):
        result: np.ndarray = parts.shifted - parts.log_norm
    return _validate.cast(_scatter(result, axes, shape), dtype)


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
    array, _, dtype = _logits(z, -1, temperature, shift=True)
    parts = _normalizer(array)
    q = parts.exp_shifted / (1 + parts.rest)
    # 1 - q_top is the non-top mass r / (1 + r): q_top - q_top**2 would round it to 0.
    not_q = 1 - q
    np.put_along_axis(not_q, parts.top, _non_top_mass(parts.rest), axis=-1)
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
