"""How a returned value is compared with the expected one, and how values are shown.

One definition, used by the self-check in the notebook and by the grader alike, so a case
that passes in practice passes at grade time.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def same(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    """True when ``got`` has the expected shape and values (NaN matches NaN, inf matches inf)."""
    try:
        got_array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return False
    expected_array = np.asarray(expected, dtype=np.float64)
    if got_array.shape != expected_array.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=True))


#: Said of an edge case (an expected error or infinite value, :func:`registry.is_edge`) that
#: was right while the exercise's first ordinary case was not; the grader and the exports alike.
EDGE_RULE = "an error or an infinite value counts once the function gets an ordinary case right"


def show(value: Any, width: int = 80) -> str:
    """A short, one-line text for a value."""
    if isinstance(value, np.ndarray) and value.ndim and (
        value.size > width or math.prod(max(n, 1) for n in value.shape) > width
    ):
        # listing a large (or a large empty) array only to cut the text short would be slow
        text = f"array of shape {value.shape} and dtype {value.dtype}"
    elif isinstance(value, np.ndarray):
        text = repr(value.tolist())
    else:
        text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def label(case: Any) -> str:
    """How a case's call is shown: its label, or its arguments."""
    if case.label:
        return str(case.label)
    parts = [show(a) for a in case.args] + [f"{k}={show(v)}" for k, v in case.kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def tolerance(case: Any, exercise: Any) -> tuple[float, float]:
    """(rtol, atol) of a case: its own where it sets them, else the exercise's."""
    rtol = exercise.rtol if case.rtol is None else case.rtol
    atol = exercise.atol if case.atol is None else case.atol
    return float(rtol), float(atol)
