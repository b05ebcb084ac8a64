"""SciPy's and PyTorch's own test inputs, held against xent.

``tests/data/scipy_cases.json`` holds the inputs of SciPy's tests for the functions xent shares
with it, with SciPy's answers; ``tests/data/torch_sample_cases.json`` holds the sample inputs
PyTorch's OpInfo database feeds its own test suite for its losses and softmax family, with
PyTorch's answers and gradients (and the edge cases issue 15 found). The scripts beside them
say how they were made. Every case either agrees, or is a deliberate difference named in
``DIFFERENCES`` and listed in ``book/differences.md``; SciPy's cases also run live.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats

import xent
from tests.strategies import FAST

DATA = Path(__file__).parent / "data"
SCIPY = json.loads((DATA / "scipy_cases.json").read_text())["cases"]
TORCH = json.loads((DATA / "torch_sample_cases.json").read_text())["cases"]
RTOL = 1e-12

# Deliberate differences, each pinned below and listed in book/differences.md.
UNNORMALISED = "xent requires normalised probability targets and distributions"


def _array(value: Any) -> np.ndarray:
    if isinstance(value, dict) and "array" in value:
        return np.asarray(value["array"], dtype=value["dtype"])
    if isinstance(value, dict) and "tensor" in value:
        dtype = np.int64 if value["dtype"] == "int" else np.float64
        return np.asarray(value["tensor"], dtype=dtype).reshape(value["shape"])
    return np.asarray(value)


def _close(actual: Any, expected: Any, rtol: float = RTOL, atol: float = 1e-300) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)


# --- SciPy ---------------------------------------------------------------------------------


def _scipy_inputs(case: dict[str, Any]) -> tuple[list[np.ndarray], dict[str, Any]]:
    args = [_array(a) for a in case["args"]]
    kwargs = {k: _array(v) if k == "b" else v for k, v in case["kwargs"].items()}
    if isinstance(kwargs.get("axis"), list):
        kwargs["axis"] = tuple(kwargs["axis"])
    return args, kwargs


def _unnormalised(case: dict[str, Any], args: list[np.ndarray], axis: int) -> bool:
    if case["function"] not in ("entropy", "kl_divergence"):
        return False
    return any(not np.allclose(np.sum(a, axis=axis), 1.0) for a in args)


# SciPy's stats.entropy and PyTorch's losses normalise or accept any non-negative target;
# xent refuses what is not a distribution (a row sum, or an entry outside [0, 1]).
NOT_A_DISTRIBUTION = r"must sum to 1|must lie in \[0, 1\]"
# PyTorch's sample inputs draw class weights from a normal distribution; xent refuses a
# negative weight.
NEGATIVE_WEIGHT = "must be finite and non-negative"


@pytest.mark.parametrize(
    "case", SCIPY, ids=[f"{i:02d}-{c['source'].split('::')[-1]}" for i, c in enumerate(SCIPY)]
)
def test_xent_agrees_with_scipys_own_test_cases(case: dict[str, Any]) -> None:
    args, kwargs = _scipy_inputs(case)
    function = getattr(xent, case["function"])
    if _unnormalised(case, args, kwargs.get("axis", -1)):
        with pytest.raises(ValueError, match=NOT_A_DISTRIBUTION):
            function(*args, **kwargs)
        return
    expected = case["scipy"]
    actual = function(*args, **kwargs)
    if isinstance(expected, list):  # (value, sign)
        for got, want in zip(actual, expected, strict=True):
            _close(got, _array(want))
            assert got.dtype == _array(want).dtype
    else:
        _close(actual, _array(expected))
        assert np.asarray(actual).dtype == _array(expected).dtype


@pytest.mark.parametrize(
    "case", SCIPY, ids=[f"{i:02d}-{c['source'].split('::')[-1]}" for i, c in enumerate(SCIPY)]
)
def test_the_installed_scipy_still_gives_the_stored_answers(case: dict[str, Any]) -> None:
    args, kwargs = _scipy_inputs(case)
    with np.errstate(all="ignore"):
        if case["function"] in ("entropy", "kl_divergence"):
            live = stats.entropy(*args, **kwargs)
        else:
            live = getattr(special, case["function"])(*args, **kwargs)
    expected = case["scipy"]
    if isinstance(expected, list):
        for got, want in zip(live, expected, strict=True):
            _close(got, _array(want), rtol=1e-10)
    else:
        _close(live, _array(expected), rtol=1e-10)


# --- PyTorch -------------------------------------------------------------------------------


def _torch_call(case: dict[str, Any]) -> tuple[Any, Any]:
    """Run a PyTorch case through xent: ``(loss or value, gradient of its sum or None)``."""
    name = case["function"]
    first = _array(case["input"])
    args = [_array(a) if isinstance(a, dict) else a for a in case["args"]]
    kwargs = {k: _array(v) if isinstance(v, dict) else v for k, v in case["kwargs"].items()}
    if name in ("nn.functional.cross_entropy", "nn.functional.nll_loss"):
        # PyTorch's class axis is 1 (or 0 for a single unbatched sample).
        kwargs["axis"] = 1 if first.ndim > 1 else 0
        if name == "nn.functional.nll_loss":
            return xent.nll_loss(first, args[0], **kwargs), None
        loss, grad = xent.softmax_cross_entropy_with_grad(first, args[0], **kwargs)
        return loss, grad
    if name == "nn.functional.binary_cross_entropy":
        return xent.binary_cross_entropy_with_grad(first, args[0], **kwargs)
    if name == "nn.functional.binary_cross_entropy_with_logits":
        return xent.binary_cross_entropy_with_logits_with_grad(first, args[0], **kwargs)
    if name == "nn.functional.kl_div":
        # kl_div(log q, p) is p (log p - log q) elementwise: rel_entr(p, q).
        target = np.exp(args[0]) if kwargs["log_target"] else args[0]
        terms = xent.rel_entr(target, np.exp(first))
        reduce = {
            "none": lambda t: t,
            "sum": np.sum,
            "mean": np.mean,
            "batchmean": lambda t: np.sum(t) / t.shape[0],
        }[kwargs["reduction"]]
        return reduce(terms), None
    if name == "logsumexp":
        axis = tuple(args[0]) if isinstance(args[0], list) else args[0]
        return xent.logsumexp(first, axis=axis, keepdims=bool(args[1:] and args[1])), None
    if name in ("softmax", "log_softmax"):
        return getattr(xent, name)(first, axis=args[0]), None
    if name in ("xlogy", "special.xlog1py"):
        function = xent.xlogy if name == "xlogy" else xent.xlog1py
        return function(first, args[0]), None
    if name == "special.entr":
        return xent.entr(first), None
    raise AssertionError(f"no xent counterpart for {name}")


def _soft_target_unnormalised(case: dict[str, Any]) -> bool:
    if case["function"] != "nn.functional.cross_entropy":
        return False
    target = _array(case["args"][0])
    if target.dtype.kind != "f":
        return False
    axis = 1 if target.ndim > 1 else 0
    return not np.allclose(np.sum(target, axis=axis), 1.0)


def _negative_weight(case: dict[str, Any]) -> bool:
    weight = case["kwargs"].get("weight")
    return weight is not None and bool(np.any(_array(weight) < 0))


def _torch_tolerance(case: dict[str, Any]) -> float:
    """PyTorch's own rounding: ``z - lse`` and ``q - p`` lose about ``eps * max |z|``."""
    scale = max(1.0, float(np.nanmax(np.abs(_array(case["input"])), initial=0.0)))
    return 8 * np.finfo(np.float64).eps * scale


TORCH_IDS = [c["source"].split(":")[0] + "-" + c["source"].split("#")[1][:2] for c in TORCH]


@pytest.mark.parametrize("case", TORCH, ids=TORCH_IDS)
def test_xent_agrees_with_pytorchs_sample_inputs(case: dict[str, Any]) -> None:
    if _negative_weight(case):
        with pytest.raises(ValueError, match=NEGATIVE_WEIGHT):
            _torch_call(case)
        return
    if _soft_target_unnormalised(case):
        with pytest.raises(ValueError, match=NOT_A_DISTRIBUTION):
            _torch_call(case)
        return
    value, grad = _torch_call(case)
    atol = _torch_tolerance(case)
    _close(value, _array(case["output"]), atol=atol)
    if grad is not None and case["grad"] is not None:
        _close(grad, _array(case["grad"]), atol=atol)


LOG_SOFTMAX_CASES = [
    c for c in TORCH if c["function"] == "log_softmax" and np.prod(c["input"]["shape"]) > 1
]


@pytest.mark.parametrize("case", LOG_SOFTMAX_CASES, ids=lambda c: c["source"])
def test_where_xent_and_pytorch_part_xent_matches_mpmath(case: dict[str, Any]) -> None:
    """PyTorch's ``z - lse`` cancels for the top class; xent's ``-log1p(r)`` does not.

    PyTorch's answers are off by up to 3e-12 relative there (within ``_torch_tolerance``);
    xent's are within a few ulp of the exact value.
    """
    mpmath = pytest.importorskip("mpmath")
    logits = np.moveaxis(_array(case["input"]), case["args"][0], -1).reshape(
        -1, case["input"]["shape"][case["args"][0]]
    )
    got = xent.log_softmax(logits)
    with mpmath.workdps(40):
        for row, row_got in zip(logits, got, strict=True):
            lse = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row))
            want = np.array([float(mpmath.mpf(float(v)) - lse) for v in row])
            np.testing.assert_allclose(row_got, want, rtol=10 * np.finfo(float).eps, atol=0)


def test_the_stored_cases_cover_every_shared_function() -> None:
    scipy_functions = {c["function"] for c in SCIPY}
    torch_functions = {c["function"] for c in TORCH}
    assert scipy_functions == {
        "logsumexp",
        "softmax",
        "log_softmax",
        "xlogy",
        "xlog1py",
        "entr",
        "rel_entr",
        "entropy",
        "kl_divergence",
    }
    assert {
        "nn.functional.cross_entropy",
        "nn.functional.nll_loss",
        "nn.functional.kl_div",
        "nn.functional.binary_cross_entropy",
        "nn.functional.binary_cross_entropy_with_logits",
    } <= torch_functions


# --- a differential property test against the installed SciPy ------------------------------

_SPECIAL_VALUES = [0.0, -0.0, 1.0, 0.5, 1e-300, 5e-324, 1e300, np.inf, -np.inf, np.nan]


@st.composite
def _arrays(draw: st.DrawFn, finite: bool) -> np.ndarray:
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    size = int(np.prod(shape))
    element = st.floats(min_value=-800, max_value=800, allow_nan=False)
    if not finite:
        element = st.one_of(element, st.sampled_from([-np.inf]))
    return np.array(draw(st.lists(element, min_size=size, max_size=size))).reshape(shape)


@st.composite
def _axes(draw: st.DrawFn, ndim: int) -> int | tuple[int, ...] | None:
    choice = draw(st.sampled_from(["none", "one", "tuple"]))
    if choice == "none":
        return None
    if choice == "one":
        return draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.sets(st.integers(0, ndim - 1), min_size=1))
    return tuple(sorted(chosen))


@FAST
@given(data=st.data())
def test_logsumexp_matches_scipy_on_random_axes_scales_and_signs(data: st.DataObject) -> None:
    z = data.draw(_arrays(finite=False))
    axis = data.draw(_axes(z.ndim))
    keepdims = data.draw(st.booleans())
    b = None
    if data.draw(st.booleans()):
        b = np.array(
            data.draw(st.lists(st.floats(-3, 3), min_size=z.size, max_size=z.size))
        ).reshape(z.shape)
    got, got_sign = xent.logsumexp(z, axis=axis, b=b, keepdims=keepdims, return_sign=True)
    # xent leaves the entries with b = 0 out of the sum, as documented; SciPy multiplies their
    # e^z by 0, which overflows to inf * 0 = NaN from z = 710. Both sum the same terms once
    # those entries are e^-inf = 0 for SciPy too.
    if b is not None:
        z = np.where(b == 0, -np.inf, z)
    with np.errstate(all="ignore"):
        want, want_sign = special.logsumexp(z, axis=axis, b=b, keepdims=keepdims, return_sign=True)
        size = special.logsumexp(
            z, axis=axis, b=None if b is None else np.abs(b), keepdims=keepdims
        )
    assert got.shape == np.shape(want) and got_sign.shape == np.shape(want_sign)
    # Where the terms cancel, the answer is rounding error in SciPy and xent alike: compare
    # only sums that keep at least e^-5 of their terms' size (then the log loses < 150 eps).
    with np.errstate(invalid="ignore"):
        kept = ~(np.asarray(want) < np.asarray(size) - 5)
    scale = 1 + float(np.max(np.abs(np.where(np.isfinite(z), z, 0))))
    _close(np.asarray(got)[kept], np.asarray(want)[kept], rtol=1e-12, atol=1e-12 * scale)
    _close(np.asarray(got_sign)[kept], np.asarray(want_sign)[kept])


@FAST
@given(data=st.data(), log=st.booleans())
def test_softmax_and_log_softmax_match_scipy_on_random_axes(data: st.DataObject, log: bool) -> None:
    z = data.draw(_arrays(finite=True))
    axis = data.draw(_axes(z.ndim))
    name = "log_softmax" if log else "softmax"
    want = getattr(special, name)(z, axis=axis)
    got = getattr(xent, name)(z, axis=axis)
    scale = 1 + float(np.max(np.abs(z)))
    _close(got, want, rtol=1e-12 * scale, atol=1e-15 * scale if log else 1e-300)


@FAST
@given(
    x=st.lists(st.sampled_from(_SPECIAL_VALUES) | st.floats(-10, 10), min_size=1, max_size=8),
    y=st.lists(st.sampled_from(_SPECIAL_VALUES) | st.floats(-10, 10), min_size=1, max_size=8),
)
def test_elementwise_functions_match_scipy_on_special_values(
    x: list[float], y: list[float]
) -> None:
    size = min(len(x), len(y))
    xs, ys = np.array(x[:size]), np.array(y[:size])
    with np.errstate(all="ignore"):
        for name in ("xlogy", "xlog1py", "rel_entr"):
            _close(getattr(xent, name)(xs, ys), getattr(special, name)(xs, ys), rtol=1e-13)
        _close(xent.entr(xs), special.entr(xs), rtol=1e-13)
