"""Coding exercises of chapter 5, Softmax."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from xent.coursework import families
from xent.coursework.registry import Case, exercise, hidden

# The reference values come from xent itself, computed when the check runs (outside the
# watch for forbidden calls), so no reference implementation is written out here.
from xent.softmax import log_softmax as reference_log_softmax
from xent.softmax import logsumexp as reference_logsumexp
from xent.softmax import softmax as reference_softmax

_NEG_INF = -np.inf
_BATCH = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 0.0], [-5.0, 0.0, 5.0]])
_BATCH_LABEL = "a batch of 3 rows, shape (3, 3), one row with logits of 1000"
_BATCH_HINT = (
    "one distribution per row: take the max, the exponentials and the sum along axis=-1 "
    "with keepdims=True, so a (3, 3) input gives a (3, 3) output"
)
_OVERFLOW_HINT = (
    "np.exp(1000) is inf and inf / inf is nan: subtract the row maximum first "
    "(softmax(z - m) = softmax(z)), so every exponent is <= 0"
)


@exercise(
    "5.2",
    "A softmax that never overflows",
    points=2,
    function="softmax",
    forbidden=families.numpy_only(),
)
def _softmax() -> list[Case]:
    hint = "softmax(z)_i = exp(z_i) / sum_j exp(z_j) along the last axis"
    return [
        Case(([1.0, 2.0, 3.0],), lambda: reference_softmax([1.0, 2.0, 3.0]), hint),
        Case(([0.0, 0.0, 0.0, 0.0],), lambda: np.full(4, 0.25), "equal logits give 1/K each"),
        Case(([1000.0, 1000.0],), lambda: np.array([0.5, 0.5]), _OVERFLOW_HINT),
        Case(
            ([123.0, 456.0, 789.0],),
            lambda: reference_softmax([123.0, 456.0, 789.0]),
            _OVERFLOW_HINT + "; CS231n's example: exp(789) overflows float64",
        ),
        Case(
            ([-1000.0, -1000.0],),
            lambda: np.array([0.5, 0.5]),
            "np.exp(-1000) is 0 and 0 / 0 is nan: after subtracting the maximum the largest "
            "exponential is exactly 1, so the denominator is at least 1",
        ),
        Case(
            ([_NEG_INF, 0.0, 1.0],),
            lambda: reference_softmax([_NEG_INF, 0.0, 1.0]),
            "a logit of -inf is a class with probability exactly 0 (exp(-inf) = 0); the "
            "maximum is finite, so the other classes are unaffected",
            label="([-inf, 0.0, 1.0])",
        ),
        Case(
            (_BATCH,),
            lambda: reference_softmax(_BATCH),
            _BATCH_HINT,
            label=_BATCH_LABEL,
        ),
    ]


@exercise(
    "5.4",
    "Log-sum-exp with the maximum shifted out",
    points=2,
    function="logsumexp",
    forbidden=families.numpy_only(),
)
def _logsumexp() -> list[Case]:
    hint = "lse(z) = m + log(sum_j exp(z_j - m)) with m = max_j z_j, along the last axis"
    return [
        Case(([0.0, 0.0],), lambda: np.log(2.0), hint + "; lse([0, 0]) = log 2"),
        Case(([1.0, 2.0, 3.0],), lambda: reference_logsumexp([1.0, 2.0, 3.0]), hint),
        Case(
            ([1000.0, 1000.0],),
            lambda: 1000.0 + np.log(2.0),
            "np.exp(1000) is inf: " + hint,
        ),
        Case(
            ([-1000.0, -1000.0],),
            lambda: -1000.0 + np.log(2.0),
            "np.exp(-1000) is 0 and log(0) is -inf: " + hint,
        ),
        Case(
            ([0.0, _NEG_INF],),
            lambda: 0.0,
            "exp(-inf) = 0 adds nothing to the sum",
            label="([0.0, -inf])",
        ),
        Case(
            ([_NEG_INF, _NEG_INF],),
            lambda: _NEG_INF,
            "every exponential is 0, so lse = log 0 = -inf; but with m = -inf, z - m is "
            "-inf - (-inf) = nan: shift by 0 instead when the maximum is not finite",
            label="([-inf, -inf])",
        ),
        Case(
            (_BATCH,),
            lambda: reference_logsumexp(_BATCH),
            "one value per row: reduce along axis=-1, so a (3, 3) input gives shape (3,)",
            label=_BATCH_LABEL,
        ),
    ]


@exercise(
    "5.5",
    "Log-softmax without log(softmax)",
    points=2,
    function="log_softmax",
    forbidden=families.numpy_only(),
)
def _log_softmax() -> list[Case]:
    hint = "log softmax(z)_i = z_i - lse(z) = (z_i - m) - log(sum_j exp(z_j - m))"
    return [
        Case(([1.0, 2.0, 3.0],), lambda: reference_log_softmax([1.0, 2.0, 3.0]), hint),
        Case(
            ([0.0, -800.0],),
            lambda: np.array([0.0, -800.0]),
            "softmax gives exactly 0 for the second class (exp(-800) underflows) and "
            "log(0) = -inf; the log-probability z_i - lse(z) is -800",
        ),
        Case(
            ([1000.0, 0.0],),
            lambda: np.array([0.0, -1000.0]),
            "np.exp(1000) is inf: subtract the maximum before exponentiating",
        ),
        Case(
            (_BATCH,),
            lambda: reference_log_softmax(_BATCH),
            "one row at a time: the maximum and the sum along axis=-1 with keepdims=True",
            label=_BATCH_LABEL,
        ),
    ]


def _hidden_logits(rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    k = int(rng.integers(3, 9))
    with_inf = rng.normal(size=k)
    with_inf[int(rng.integers(k))] = -np.inf
    return [
        ("random logits", rng.normal(0, 3, size=k)),
        ("logits of size 1e4", rng.normal(0, 1e4, size=k)),
        ("very negative logits (-1e4)", -1e4 + rng.normal(size=k)),
        ("ties", np.full(k, float(rng.normal()))),
        ("a -inf logit", with_inf),
        ("large K (10,000)", rng.normal(0, 5, size=10_000)),
        ("a batch of rows", rng.normal(0, 50, size=(4, k))),
        ("float32 logits", rng.normal(0, 30, size=k).astype(np.float32)),
    ]


def _hidden_cases(
    rng: np.random.Generator, reference: Callable[[np.ndarray], np.ndarray]
) -> list[Case]:
    cases = []
    for category, z in _hidden_logits(rng):
        # A float32 input may be answered in float32: compare to its precision.
        single = z.dtype == np.float32
        exact = np.asarray(z, dtype=np.float64)
        cases.append(
            Case(
                (z,),
                partial(reference, exact),
                "",
                category=category,
                rtol=1e-5 if single else None,
                atol=1e-6 if single else None,
            )
        )
    return cases


@hidden("5.2")
def _softmax_hidden(rng: np.random.Generator) -> list[Case]:
    return _hidden_cases(rng, reference_softmax)


@hidden("5.4")
def _logsumexp_hidden(rng: np.random.Generator) -> list[Case]:
    return _hidden_cases(rng, reference_logsumexp)


@hidden("5.5")
def _log_softmax_hidden(rng: np.random.Generator) -> list[Case]:
    return _hidden_cases(rng, reference_log_softmax)
