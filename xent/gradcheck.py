"""Gradient checking by central finite differences, as CS231n teaches it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from xent import _validate


class GradientCheck(NamedTuple):
    """The outcome of :func:`check_gradient`."""

    max_relative_error: float
    """Largest entrywise relative error (see :func:`check_gradient`)."""
    passed: bool
    """Whether ``max_relative_error <= tol``."""
    analytic: np.ndarray
    """The gradient returned by ``grad_f``."""
    numeric: np.ndarray
    """The central-difference estimate."""


def numerical_gradient(
    f: Callable[[np.ndarray], Any], x: ArrayLike, *, eps: float = 1e-6
) -> np.ndarray:
    r"""Estimate the gradient of a scalar function by central differences.

    .. math::
        \frac{\partial f}{\partial x_i}
        \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2 \varepsilon}

    The central difference has error of order ``eps**2`` (the forward difference only
    ``eps``); ``x`` is copied to float64 so the step is not lost to rounding.

    Args:
        f: function of one array returning a scalar (anything ``float()`` accepts).
        x: the point, any shape.
        eps: the step, a positive number.

    Returns:
        float64 array of the same shape as ``x``.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> g = xent.numerical_gradient(lambda v: np.sum(v**3), [1.0, 2.0])
        >>> np.allclose(g, [3.0, 12.0])
        True

    References:
        Karpathy, A. et al. CS231n: Convolutional Neural Networks for Visual Recognition,
        notes on gradient checks (Stanford, 2016-2024).
    """
    eps = _validate.positive_number(eps, "eps")
    point, _ = _validate.float_array(x, "x")
    point = np.array(point, dtype=np.float64)
    grad = np.zeros_like(point)
    flat_point = point.reshape(-1)
    flat_grad = grad.reshape(-1)
    for i in range(flat_point.size):
        original = flat_point[i]
        flat_point[i] = original + eps
        upper = float(f(point))
        flat_point[i] = original - eps
        lower = float(f(point))
        flat_point[i] = original
        flat_grad[i] = (upper - lower) / (2 * eps)
    return grad


def check_gradient(
    f: Callable[[np.ndarray], Any],
    grad_f: Callable[[np.ndarray], ArrayLike],
    x: ArrayLike,
    *,
    eps: float = 1e-6,
    tol: float = 1e-5,
) -> GradientCheck:
    r"""Compare an analytic gradient with central differences by their relative error.

    .. math:: \text{error}_i = \frac{|a_i - n_i|}{\max(|a_i|, |n_i|, s)},
              \qquad s = 10^{-3} \max_j \max(|a_j|, |n_j|)

    The floor ``s`` keeps entries that are zero analytically, where the finite difference
    returns rounding noise of about ``1e-10``, from counting as a 100% error; any entry within
    a thousandth of the largest one is measured against the largest one instead. For smooth
    float64 functions a right gradient gives about ``1e-7`` or less (the default ``tol``
    of ``1e-5`` leaves room for curvature), and a wrong one ``1e-2`` or more.

    Args:
        f: function of one array returning a scalar.
        grad_f: function of the same array returning the analytic gradient, same shape.
        x: the point, any shape.
        eps: finite-difference step.
        tol: largest relative error that passes.

    Returns:
        A :class:`GradientCheck` with the largest relative error, whether it passed, and both
        gradients.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> check = xent.check_gradient(lambda v: np.sum(v**2), lambda v: 2 * v, [0.5, -1.0])
        >>> check.passed, check.max_relative_error < 1e-8
        (True, True)

    References:
        Karpathy, A. et al. CS231n notes on gradient checks (Stanford, 2016-2024).
    """
    tol = _validate.positive_number(tol, "tol")
    point, _ = _validate.float_array(x, "x")
    point = np.array(point, dtype=np.float64)
    analytic = np.asarray(grad_f(point.copy()), dtype=np.float64)
    if analytic.shape != point.shape:
        raise ValueError(
            f"grad_f must return an array of the shape of x {point.shape}; got {analytic.shape}"
        )
    numeric = numerical_gradient(f, point, eps=eps)
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    if scale.size:
        scale = np.maximum(scale, 1e-3 * np.max(scale))
    with np.errstate(invalid="ignore", divide="ignore"):
        errors = np.where(scale > 0, np.abs(analytic - numeric) / scale, 0.0)
    worst = float(np.max(errors)) if errors.size else 0.0
    return GradientCheck(worst, bool(worst <= tol), analytic, numeric)
