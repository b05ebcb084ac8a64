"""What the test cells of the nbgrader and otter-grader exports call: one case, true or false.

An exported test cell reads ``case(entropy, ARGS, KWARGS, EXPECTED, ...)``: the arguments and
the expected value are plain data (:mod:`xent.coursework.wire`) written into the cell when the
course was exported, so the cell needs nothing but this function at grading time. The
comparison is the built-in grader's (:func:`xent.coursework.compare.same`), so the three
graders agree on every case.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from xent.coursework import wire
from xent.coursework.compare import EDGE_RULE, same


def case(
    function: Callable[..., Any],
    args: str,
    kwargs: str,
    expected: str,
    *,
    rtol: float,
    atol: float,
    raises: str | None = None,
    hint: str = "",
    anchor: tuple[str, str, str, float, float] | None = None,
) -> bool:
    """Call ``function`` on one case; True when it returns the expected value (or raises the
    expected exception). A wrong value prints the hint and returns False.

    ``anchor`` (an edge case's: an expected error or infinite value) is the exercise's first
    ordinary case, ``(args, kwargs, expected, rtol, atol)``: the edge case passes only if that
    one does too, so a stub that always raises or returns ``inf`` earns nothing.
    """
    if anchor is not None:
        anchor_args, anchor_kwargs, anchor_expected, anchor_rtol, anchor_atol = anchor
        if not case(
            function, anchor_args, anchor_kwargs, anchor_expected,
            rtol=anchor_rtol, atol=anchor_atol, hint=hint,
        ):
            print(EDGE_RULE)
            return False
    call_args = wire.decode(json.loads(args), functions=True)
    call_kwargs = wire.decode(json.loads(kwargs), functions=True)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = function(*call_args, **call_kwargs)
    except Exception as error:  # noqa: BLE001  (a student's bug fails the case, nothing more)
        if raises is not None and raises in {c.__name__ for c in type(error).__mro__}:
            return True
        print(f"raised {type(error).__name__}: {error}. Hint: {hint}")
        return False
    if raises is not None:
        print(f"expected {raises} to be raised. Hint: {hint}")
        return False
    if same(got, wire.decode(json.loads(expected)), rtol, atol):
        return True
    print(f"wrong value. Hint: {hint}")
    return False
