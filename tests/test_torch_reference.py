"""xent's losses agree with PyTorch 2.13 (float64) on the 120 stored reference cases.

tests/data/torch_reference_cases.json holds inputs, keyword arguments, outputs and (for the
reduced losses) the gradient with respect to the first input, computed by
torch.nn.functional. Cases with a ``note`` use PyTorch's (N, C, d) layout: xent reads them
with ``axis=1``. No test imports torch: the stored numbers are the reference.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import xent

DATA = Path(__file__).parent / "data" / "torch_reference_cases.json"
CASES: list[dict[str, Any]] = json.loads(DATA.read_text())["cases"]
RTOL = 1e-12


def _case_id(index: int, case: dict[str, Any]) -> str:
    kwargs = ",".join(
        f"{key}={value}" if not isinstance(value, list) else f"{key}=[...]"
        for key, value in sorted(case["kwargs"].items())
    )
    layout = ",NCd" if "note" in case else ""
    function = case["function"].replace("[", "(").replace("]", ")")
    return f"{index:03d}-{function}-{kwargs}{layout}"


def _xent_call(case: dict[str, Any]) -> tuple[Any, Any, tuple[np.ndarray, ...], dict[str, Any]]:
    """The xent loss and gradient functions, positional inputs and keyword arguments of a case."""
    function = case["function"]
    inputs = case["inputs"]
    kwargs = {
        key: np.asarray(value) if isinstance(value, list) else value
        for key, value in case["kwargs"].items()
    }
    if "note" in case:
        assert "(N, C, d)" in case["note"] and "axis=1" in case["note"]
        kwargs["axis"] = 1
    if function == "cross_entropy[class indices]":
        args = (np.asarray(inputs["logits"]), np.asarray(inputs["target"], dtype=np.int64))
        return xent.softmax_cross_entropy, xent.softmax_cross_entropy_grad, args, kwargs
    if function == "cross_entropy[probabilities]":
        args = (np.asarray(inputs["logits"]), np.asarray(inputs["target"], dtype=np.float64))
        return xent.softmax_cross_entropy, xent.softmax_cross_entropy_grad, args, kwargs
    if function == "nll_loss":
        args = (np.asarray(inputs["log_probs"]), np.asarray(inputs["target"], dtype=np.int64))
        return xent.nll_loss, None, args, kwargs
    if function == "binary_cross_entropy_with_logits":
        args = (np.asarray(inputs["logits"]), np.asarray(inputs["target"], dtype=np.float64))
        return (
            xent.binary_cross_entropy_with_logits,
            xent.binary_cross_entropy_with_logits_grad,
            args,
            kwargs,
        )
    if function == "binary_cross_entropy":
        args = (np.asarray(inputs["probs"]), np.asarray(inputs["target"], dtype=np.float64))
        return xent.binary_cross_entropy, xent.binary_cross_entropy_grad, args, kwargs
    raise AssertionError(f"unknown function {function!r} in the reference data")


def test_the_reference_data_holds_120_cases_of_every_function() -> None:
    assert len(CASES) == 120
    functions = {case["function"] for case in CASES}
    assert functions == {
        "cross_entropy[class indices]",
        "cross_entropy[probabilities]",
        "nll_loss",
        "binary_cross_entropy_with_logits",
        "binary_cross_entropy",
    }
    assert sum("grad_wrt_first_input" in case for case in CASES) > 50


@pytest.mark.parametrize(
    "case", CASES, ids=[_case_id(index, case) for index, case in enumerate(CASES)]
)
def test_loss_and_gradient_equal_pytorch(case: dict[str, Any]) -> None:
    loss_function, grad_function, args, kwargs = _xent_call(case)
    loss = loss_function(*args, **kwargs)
    expected = np.asarray(case["output"])
    assert np.shape(loss) == expected.shape
    np.testing.assert_allclose(loss, expected, rtol=RTOL, atol=0)
    if "grad_wrt_first_input" in case:
        assert grad_function is not None
        grad = grad_function(*args, **kwargs)
        expected_grad = np.asarray(case["grad_wrt_first_input"])
        assert grad.shape == args[0].shape
        # exact zeros (ignored samples) must stay exact; the rest to PyTorch's rounding
        np.testing.assert_allclose(grad, expected_grad, rtol=RTOL, atol=1e-300)
