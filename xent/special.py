"""Elementwise building blocks: ``x log y``, ``x log(1 + y)``, ``-x log x``, ``x log(x / y)``,
softplus and log-sigmoid.

They take the values of their namesakes in :mod:`scipy.special` on finite and special inputs
(0, inf, NaN), and are written so that no ``RuntimeWarning`` escapes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from xent import _validate


def _two_floats(
    x: ArrayLike, y: ArrayLike, name_x: str, name_y: str
) -> tuple[np.ndarray, np.ndarray, np.dtype]:
    x_arr, x_dtype = _validate.float_array(x, name_x)
    y_arr, y_dtype = _validate.float_array(y, name_y)
    out_dtype = _validate.common_dtype(x_dtype, y_dtype)
    work = _validate.working_dtype(out_dtype)
    x_arr, y_arr = _validate.broadcast_pair(x_arr.astype(work), y_arr.astype(work), name_x, name_y)
    return x_arr, y_arr, out_dtype


def _x_times_log(x: ArrayLike, y: ArrayLike, log: np.ufunc) -> np.ndarray:
    """``x * log(y)`` with 0 wherever ``x == 0`` and ``y`` is not NaN (0 log 0 = 0)."""
    x_arr, y_arr, dtype = _two_floats(x, y, "x", "y")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = x_arr * log(y_arr)
    result = np.where((x_arr == 0) & ~np.isnan(y_arr), 0.0, result)
    return _validate.cast(result, dtype)


def xlogy(x: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""Compute ``x * log(y)``, defined as 0 wherever ``x == 0`` (unless ``y`` is NaN).

    .. math::
        \operatorname{xlogy}(x, y) =
        \begin{cases} 0 & x = 0 \\ x \log y & \text{otherwise} \end{cases}

    Follows the convention ``0 log 0 = 0``, which is what makes entropy continuous at the
    edge of the simplex.

    Args:
        x: array of any shape.
        y: array broadcastable with ``x``.

    Returns:
        Array of the broadcast shape.

    Examples:
        >>> import xent
        >>> xent.xlogy([0.0, 2.0], [0.0, np.e]).tolist()
        [0.0, 2.0]

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, §2.1.
    """
    return _x_times_log(x, y, np.log)


def xlog1py(x: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""Compute ``x * log1p(y)``, defined as 0 wherever ``x == 0`` (unless ``y`` is NaN).

    .. math::
        \operatorname{xlog1py}(x, y) =
        \begin{cases} 0 & x = 0 \\ x \log(1 + y) & \text{otherwise} \end{cases}

    As :func:`scipy.special.xlog1py`. ``log1p`` keeps full accuracy for small ``y``, where
    ``log(1 + y)`` would lose the digits of ``y`` that ``1 + y`` rounds away: the term
    ``(1 - p) log(1 - p)`` of the binary entropy is ``xlog1py(1 - p, -p)``.

    Args:
        x: array of any shape.
        y: array broadcastable with ``x``; ``y < -1`` gives NaN (a log of a negative number).

    Returns:
        Array of the broadcast shape.

    Examples:
        >>> import xent
        >>> xent.special.xlog1py([0.0, 2.0], [-1.0, 1e-20]).tolist()
        [0.0, 2e-20]

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, §2.1.
    """
    return _x_times_log(x, y, np.log1p)


def entr(x: ArrayLike) -> np.ndarray:
    r"""Elementwise entropy term ``-x log x``, with ``entr(0) = 0`` and ``-inf`` for ``x < 0``.

    .. math::
        \operatorname{entr}(x) =
        \begin{cases} -x \log x & x > 0 \\ 0 & x = 0 \\ -\infty & x < 0 \end{cases}

    Follows the convention ``0 log 0 = 0``.

    Args:
        x: array of any shape.

    Returns:
        Array of the same shape; ``entropy(p)`` is ``entr(p).sum(axis)``.

    Examples:
        >>> import xent
        >>> xent.entr([0.0, 0.5, 1.0]).round(6).tolist()
        [0.0, 0.346574, -0.0]

    References:
        Shannon, C. E. (1948). A mathematical theory of communication.
    """
    x_arr, dtype = _validate.float_array(x, "x")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = -x_arr * np.log(x_arr)
    result = np.where(x_arr == 0, 0.0, result)
    result = np.where(x_arr < 0, -np.inf, result)
    return _validate.cast(result, dtype)


def rel_entr(x: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""Elementwise relative-entropy term ``x log(x / y)``, summing to the KL divergence.

    .. math::
        \operatorname{rel\_entr}(x, y) = \begin{cases}
        x \log(x / y) & x > 0, y > 0 \\ 0 & x = 0, y \ge 0 \\ +\infty & \text{otherwise}
        \end{cases}

    Where ``x`` and ``y`` are close, ``log(x / y)`` is computed as ``log1p((x - y) / y)``:
    ``x - y`` is exact there, while ``x / y`` would round to a number near 1 whose logarithm
    keeps only the rounding error. Where ``x / y`` overflows or underflows, ``log x - log y``
    is used instead; so it is where ``x / y`` is subnormal, which keeps fewer significant bits
    than its operands.

    Args:
        x: array of any shape (the distribution ``p``).
        y: array broadcastable with ``x`` (the distribution ``q``).

    Returns:
        Array of the broadcast shape; ``kl_divergence(p, q)`` is its sum along the class axis.

    Examples:
        >>> import xent
        >>> xent.rel_entr([0.5, 0.5, 0.0], [0.25, 0.75, 0.5]).round(6).tolist()
        [0.346574, -0.202733, 0.0]

    References:
        Kullback, S. and Leibler, R. A. (1951). On information and sufficiency.
    """
    x_arr, y_arr, dtype = _two_floats(x, y, "x", "y")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = x_arr / y_arr
        close = (ratio > 0.5) & (ratio < 2.0)
        extreme = (np.abs(ratio) < np.finfo(ratio.dtype).tiny) | np.isinf(ratio)
        log_ratio = np.where(close, np.log1p((x_arr - y_arr) / y_arr), np.log(ratio))
        log_ratio = np.where(extreme, np.log(x_arr) - np.log(y_arr), log_ratio)
        result = x_arr * log_ratio
    both_positive = (x_arr > 0) & (y_arr > 0)
    result = np.where(both_positive, result, np.inf)
    result = np.where((x_arr == 0) & (y_arr >= 0), 0.0, result)
    result = np.where(np.isnan(x_arr) | np.isnan(y_arr), np.nan, result)
    return _validate.cast(result, dtype)


def softplus(z: ArrayLike) -> np.ndarray:
    r"""Softplus ``log(1 + e^z)``, computed without overflow for any ``z``.

    .. math:: \operatorname{softplus}(z) = \log(1 + e^{z}) = \max(z, 0) + \log(1 + e^{-|z|})

    The right-hand form never exponentiates a positive number, so it is exact for large
    ``|z|``; ``log1p`` keeps it accurate when ``e^{-|z|}`` is tiny.

    Args:
        z: array of any shape.

    Returns:
        Array of the same shape, positive.

    Examples:
        >>> import xent
        >>> xent.softplus([-1000.0, 0.0, 1000.0]).round(6).tolist()
        [0.0, 0.693147, 1000.0]

    References:
        Goodfellow, I., Bengio, Y. and Courville, A. (2016). *Deep Learning*, §3.10.
    """
    z_arr, dtype = _validate.float_array(z, "z")
    with np.errstate(invalid="ignore"):
        result = np.maximum(z_arr, 0) + np.log1p(np.exp(-np.abs(z_arr)))
    return _validate.cast(result, dtype)


def log_sigmoid(z: ArrayLike) -> np.ndarray:
    r"""Logarithm of the sigmoid, ``log(1 / (1 + e^{-z})) = -softplus(-z)``, stable for any ``z``.

    .. math:: \log \sigma(z) = \min(z, 0) - \log(1 + e^{-|z|})

    Args:
        z: array of any shape.

    Returns:
        Array of the same shape, non-positive.

    Examples:
        >>> import xent
        >>> xent.log_sigmoid([-1000.0, 0.0, 1000.0]).round(6).tolist()
        [-1000.0, -0.693147, 0.0]

    References:
        Goodfellow, I., Bengio, Y. and Courville, A. (2016). *Deep Learning*, §6.2.2.2.
    """
    z_arr, dtype = _validate.float_array(z, "z")
    with np.errstate(invalid="ignore"):
        result = np.minimum(z_arr, 0) - np.log1p(np.exp(-np.abs(z_arr)))
    return _validate.cast(result, dtype)
