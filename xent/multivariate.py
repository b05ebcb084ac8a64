r"""Information measures of two variables from their joint probability table.

A joint table has shape ``(..., |X|, |Y|)``: the **rows** (axis ``-2``) are the values of
``X``, the **columns** (axis ``-1``) the values of ``Y``, and ``joint[..., i, j]`` is
``P(X = x_i, Y = y_j)``. Any leading axes are a batch of tables. Every table must have
entries in ``[0, 1]`` that sum to 1 over its last two axes. To swap the roles of ``X`` and
``Y``, pass ``np.swapaxes(joint, -1, -2)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from xent import _validate
from xent.special import entr, rel_entr

__all__ = ["conditional_entropy", "joint_entropy", "mutual_information"]


def _joint_table(joint: ArrayLike, name: str = "joint") -> tuple[np.ndarray, np.dtype[Any]]:
    """Refuse anything that is not a batch of joint probability tables ``(..., |X|, |Y|)``.

    The validators of ``_validate`` check one axis at a time; a joint table sums to 1 over two.
    """
    array, dtype = _validate.float_array(joint, name)
    if array.ndim < 2:
        raise ValueError(
            f"{name} must be a table with at least two dimensions (rows x, columns y); "
            f"got shape {array.shape}"
        )
    if array.shape[-2] == 0 or array.shape[-1] == 0:
        raise ValueError(f"{name} has an empty row or column axis (shape {array.shape})")
    _validate.in_unit_interval(array, name)
    sums = np.asarray(np.sum(array, axis=(-2, -1), dtype=np.float64))
    with np.errstate(invalid="ignore"):
        bad = np.abs(sums - 1.0) > _validate.sum_tolerance(dtype)
    if np.any(bad):
        if sums.ndim == 0:
            raise ValueError(
                f"{name} must sum to 1 over its last two axes (x, y); it sums to "
                f"{float(sums):.6g}"
            )
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must sum to 1 over its last two axes (x, y); table {index} sums to "
            f"{float(sums[index]):.6g}"
        )
    return array, dtype


def _in_units(nats: np.ndarray, base: float | None, dtype: np.dtype[Any]) -> np.ndarray:
    log_base = _validate.log_base(base)
    result = nats if log_base is None else nats / log_base
    return _validate.cast(result, dtype)


def joint_entropy(joint: ArrayLike, *, base: float | None = None) -> np.ndarray:
    r"""Joint entropy ``H(X, Y)``: the entropy of the pair, read from its joint table.

    .. math:: H(X, Y) = -\sum_{x, y} p(x, y) \log p(x, y)

    The entropy of the table seen as one distribution over ``|X| |Y|`` outcomes. Follows the
    convention ``0 log 0 = 0``.

    Args:
        joint: joint probabilities, shape ``(..., |X|, |Y|)``: rows ``x``, columns ``y``,
            summing to 1 over the last two axes.
        base: ``None`` for nats, ``2`` for bits, or any other base ``> 0``, ``!= 1``.

    Returns:
        Array of shape ``(...)``.

    Raises:
        ValueError: if ``joint`` has fewer than two dimensions, an empty axis, entries outside
            ``[0, 1]``, or a table that does not sum to 1.
        TypeError: for complex, string or object input.

    Examples:
        >>> import xent
        >>> float(xent.joint_entropy([[0.25, 0.25], [0.25, 0.25]], base=2))  # two fair coins
        2.0
        >>> float(xent.joint_entropy([[0.5, 0.0], [0.0, 0.5]], base=2))  # one coin, copied
        1.0

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, 2nd ed., §2.2.
    """
    array, dtype = _joint_table(joint)
    return _in_units(np.sum(entr(array), axis=(-2, -1)), base, dtype)


def conditional_entropy(
    joint: ArrayLike, *, given: str = "x", base: float | None = None
) -> np.ndarray:
    r"""Conditional entropy ``H(Y | X)``: the uncertainty left in ``Y`` once ``X`` is known.

    .. math::
        H(Y \mid X) = -\sum_{x, y} p(x, y) \log \frac{p(x, y)}{p(x)}
        = H(X, Y) - H(X)

    The average, over ``x ~ p(x)``, of the entropy of the row ``p(y | x)``; rows with
    ``p(x) = 0`` contribute nothing. With ``given="y"`` it is ``H(X | Y)`` instead, the
    average entropy of the columns. It is computed from the formula on the left, not as a
    difference of two entropies, so a small value keeps its relative accuracy. Never
    negative, at most ``H(Y)``.

    Args:
        joint: joint probabilities, shape ``(..., |X|, |Y|)``: rows ``x``, columns ``y``,
            summing to 1 over the last two axes.
        given: ``"x"`` for ``H(Y | X)`` (condition on the rows), ``"y"`` for ``H(X | Y)``
            (condition on the columns); keyword-only.
        base: ``None`` for nats, ``2`` for bits, or any other base ``> 0``, ``!= 1``.

    Returns:
        Array of shape ``(...)``.

    Raises:
        ValueError: if ``joint`` is not a joint probability table, or ``given`` is neither
            ``"x"`` nor ``"y"``.
        TypeError: for complex, string or object input.

    Examples:
        >>> import xent
        >>> table = [[0.5, 0.0], [0.25, 0.25]]  # X = 0 fixes Y; X = 1 leaves a fair coin
        >>> float(xent.conditional_entropy(table, base=2))  # H(Y | X): half a bit
        0.5
        >>> round(float(xent.conditional_entropy(table, given="y", base=2)), 6)  # H(X | Y)
        0.688722

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, 2nd ed., §2.2.
    """
    if given not in ("x", "y"):
        raise ValueError(f'given must be "x" or "y"; got {given!r}')
    array, dtype = _joint_table(joint)
    axis = -1 if given == "x" else -2
    marginal = np.sum(array, axis=axis, keepdims=True)
    # p(x, y) <= p(x) holds in floating point too (a rounded sum of non-negative terms is at
    # least each term), so every term is <= 0 and the result cannot come out negative.
    terms = rel_entr(array, np.broadcast_to(marginal, array.shape))
    # The largest entry t of each slice, with r the sum of the others: log(t / p(x)) is
    # -log1p(r / t), which the rounding of p(x) = t + r never enters. Through p(x), a nearly
    # certain slice ([0.5 - a, a] for a = 1e-12) lost six digits of a tiny entropy.
    top_index = np.argmax(array, axis=axis, keepdims=True)
    top = np.take_along_axis(array, top_index, axis=axis)
    others = array.copy()
    np.put_along_axis(others, top_index, 0.0, axis=axis)
    rest = np.sum(others, axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        top_term = np.where(top > 0, -top * np.log1p(rest / top), 0.0).astype(terms.dtype)
    np.put_along_axis(terms, top_index, top_term, axis=axis)
    return _in_units(-np.sum(terms, axis=(-2, -1)) + 0.0, base, dtype)


def mutual_information(joint: ArrayLike, *, base: float | None = None) -> np.ndarray:
    r"""Mutual information ``I(X; Y)``: the KL divergence of the joint from the marginals' product.

    .. math::
        I(X; Y) = \sum_{x, y} p(x, y) \log \frac{p(x, y)}{p(x)\, p(y)}
        = D_{\mathrm{KL}}\big(p(x, y) \,\|\, p(x)\, p(y)\big) = H(Y) - H(Y \mid X)

    Symmetric in ``X`` and ``Y``, never negative, and zero exactly when the table is the
    outer product of its marginals (``X`` and ``Y`` independent). It is computed as the
    divergence, not as a difference of entropies, so a small value keeps its relative
    accuracy. Follows the convention ``0 log 0 = 0``.

    Args:
        joint: joint probabilities, shape ``(..., |X|, |Y|)``: rows ``x``, columns ``y``,
            summing to 1 over the last two axes.
        base: ``None`` for nats, ``2`` for bits, or any other base ``> 0``, ``!= 1``.

    Returns:
        Array of shape ``(...)``.

    Raises:
        ValueError: if ``joint`` is not a joint probability table.
        TypeError: for complex, string or object input.

    Examples:
        >>> import xent
        >>> float(xent.mutual_information([[0.5, 0.0], [0.0, 0.5]], base=2))  # Y copies X
        1.0
        >>> float(xent.mutual_information([[0.125, 0.375], [0.125, 0.375]]))  # independent
        0.0

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, 2nd ed., §2.4.
    """
    array, dtype = _joint_table(joint)
    p_x = np.sum(array, axis=-1, keepdims=True)
    p_y = np.sum(array, axis=-2, keepdims=True)
    product = p_x * p_y
    terms = rel_entr(array, product)
    # p(x) p(y) can underflow where p(x, y) > 0 (it is at least p(x, y)^2): there the ratio is
    # taken as a difference of logarithms, all finite, instead of dividing by 0 (+inf).
    underflow = (product < np.finfo(product.dtype).tiny) & (array > 0)
    if underflow.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(array) - np.log(p_x) - np.log(p_y)
            terms = np.where(underflow, array * logs, terms)
    # Terms of both signs cancel to about -1e-17 for an independent table; I is never negative.
    information = np.maximum(np.sum(terms, axis=(-2, -1)), 0.0)
    return _in_units(information, base, dtype)
