"""Test functions that exercises pass to a student's function, built from a name and data.

A case such as "the numerical gradient of ``sum(v**3)``" needs a function as an argument, and
functions cannot cross the sandbox's boundary as data. The case sends
``Function("sum_of_cubes")`` instead, and the runner builds the function here, on the student's
side. A student who changes these definitions only changes what their own function is given;
the expected values are computed on the grader's side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from xent.coursework.wire import Function, WireError


def _sum_of_squares() -> Callable[[np.ndarray], float]:
    return lambda v: float(np.sum(np.asarray(v, dtype=np.float64) ** 2))


def _sum_of_cubes() -> Callable[[np.ndarray], float]:
    return lambda v: float(np.sum(np.asarray(v, dtype=np.float64) ** 3))


def _sum_of_sines() -> Callable[[np.ndarray], float]:
    return lambda v: float(np.sum(np.sin(np.asarray(v, dtype=np.float64))))


def _softmax_cross_entropy(target: list[int]) -> Callable[[np.ndarray], float]:
    labels = np.asarray(target, dtype=np.int64)

    def loss(logits: np.ndarray) -> float:
        z = np.asarray(logits, dtype=np.float64)
        shifted = z - z.max(axis=-1, keepdims=True)
        log_q = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        return float(-np.take_along_axis(log_q, labels[:, None], axis=-1).mean())

    return loss


_BUILDERS: dict[str, Callable[..., Callable[[np.ndarray], float]]] = {
    "sum_of_squares": _sum_of_squares,
    "sum_of_cubes": _sum_of_cubes,
    "sum_of_sines": _sum_of_sines,
    "softmax_cross_entropy": _softmax_cross_entropy,
}


def build(function: Function) -> Callable[[np.ndarray], float]:
    """The callable that ``function`` names."""
    if function.name not in _BUILDERS:
        raise WireError(f"unknown test function {function.name!r}")
    params: dict[str, Any] = dict(function.params)
    return _BUILDERS[function.name](**params)
