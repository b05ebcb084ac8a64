"""Write tests/data/torch_sample_cases.json: PyTorch's own sample inputs, with PyTorch's answers.

The inputs are the ``sample_inputs`` that PyTorch's OpInfo database feeds its own test suite
for each function xent shares with it (``torch.testing._internal.common_methods_invocations``),
drawn with a fixed seed in float64, plus a few hand-made edge cases (zero total weight, NaN
rows of every length, everything ignored) that the issue tracker found. The outputs are
PyTorch's, in float64; ``grad`` is the gradient of ``output.sum()`` with respect to the first
input. Only this script imports torch; the test suite reads the JSON.

Run (needs ``pip install torch==2.13.0 expecttest``)::

    python tests/data/make_torch_sample_cases.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F
from torch.testing._internal.common_methods_invocations import op_db

OUT = Path(__file__).with_name("torch_sample_cases.json")
OPS = [
    "nn.functional.cross_entropy",
    "nn.functional.nll_loss",
    "nn.functional.binary_cross_entropy",
    "nn.functional.binary_cross_entropy_with_logits",
    "nn.functional.kl_div",
    "logsumexp",
    "softmax",
    "log_softmax",
    "xlogy",
    "special.xlog1py",
    "special.entr",
]


def plain(value: Any) -> Any:
    """Tensors to (nested) lists with their dtype; everything else as it is."""
    if isinstance(value, torch.Tensor):
        kind = "int" if not value.is_floating_point() else "float"
        return {"tensor": value.detach().tolist(), "dtype": kind, "shape": list(value.shape)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, torch.dtype):
        return str(value)
    return value


def run(function: Any, first: torch.Tensor, args: tuple, kwargs: dict) -> dict[str, Any]:
    first = first.detach().clone().requires_grad_(first.is_floating_point())
    try:
        output = function(first, *args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the error is the recorded answer
        return {"error": f"{type(error).__name__}: {error}"}
    grad = None
    if first.requires_grad and output.requires_grad:
        (grad,) = torch.autograd.grad(output.sum(), first, allow_unused=True)
    return {"output": plain(output), "grad": None if grad is None else plain(grad)}


def sample_cases() -> list[dict[str, Any]]:
    ops = {op.name: op for op in op_db if op.name in OPS}
    cases = []
    for name in OPS:
        op = ops[name]
        torch.manual_seed(0)
        for index, sample in enumerate(op.sample_inputs("cpu", torch.float64, requires_grad=True)):
            case = {
                "source": f"opinfo:{name}#{index}",
                "function": name,
                "input": plain(sample.input),
                "args": plain(list(sample.args)),
                "kwargs": {k: plain(v) for k, v in sample.kwargs.items()},
            }
            case.update(run(op.op, sample.input, sample.args, sample.kwargs))
            cases.append(case)
    return cases


def edge_cases() -> list[dict[str, Any]]:
    f64 = torch.float64
    z = torch.tensor([[1.0, 2.0, 0.5], [0.3, 0.1, 2.0], [0.0, 0.0, 0.0]], dtype=f64)
    w = torch.tensor([0.0, 1.0, 2.0], dtype=f64)
    nan = math.nan
    specs: list[tuple[str, str, torch.Tensor, tuple, dict]] = []
    for smoothing in (0.0, 0.1):
        for reduction in ("mean", "sum", "none"):
            specs.append(
                (
                    f"every counted target has class weight 0, label_smoothing={smoothing}",
                    "nn.functional.cross_entropy",
                    z,
                    (torch.tensor([0, 0, 0]),),
                    {"weight": w, "label_smoothing": smoothing, "reduction": reduction},
                )
            )
        specs.append(
            (
                f"weight-0 targets beside an ignored one, label_smoothing={smoothing}",
                "nn.functional.cross_entropy",
                z,
                (torch.tensor([0, -100, 0]),),
                {"weight": w, "label_smoothing": smoothing},
            )
        )
        specs.append(
            (
                f"every target ignored, label_smoothing={smoothing}",
                "nn.functional.cross_entropy",
                z,
                (torch.tensor([-100, -100, -100]),),
                {"label_smoothing": smoothing},
            )
        )
    for length in (1, 2, 3):
        row = torch.zeros((2, length), dtype=f64)
        row[0, 0] = nan
        specs.append(
            (
                f"a NaN logit in a row of length {length}",
                "nn.functional.cross_entropy",
                row,
                (torch.tensor([0, 0]),),
                {"reduction": "none"},
            )
        )
        specs.append(
            (f"logsumexp of a row of length {length} holding NaN", "logsumexp", row, (1,), {})
        )
        specs.append((f"softmax of a row of length {length} holding NaN", "softmax", row, (1,), {}))
    specs.append(
        (
            "a NaN row whose target has class weight 0",
            "nn.functional.cross_entropy",
            torch.tensor([[nan, 1.0, 0.0], [0.0, 1.0, 2.0]], dtype=f64),
            (torch.tensor([0, 1]),),
            {"weight": w, "reduction": "none"},
        )
    )
    specs.append(
        (
            "nll_loss, every counted target of class weight 0",
            "nn.functional.nll_loss",
            torch.log_softmax(z, 1),
            (torch.tensor([0, 0, 0]),),
            {"weight": w},
        )
    )
    cases = []
    functions = {
        "nn.functional.cross_entropy": F.cross_entropy,
        "nn.functional.nll_loss": F.nll_loss,
        "logsumexp": torch.logsumexp,
        "softmax": torch.softmax,
    }
    for index, (what, name, first, args, kwargs) in enumerate(specs):
        case = {
            "source": f"edge#{index}: {what}",
            "function": name,
            "input": plain(first),
            "args": plain(list(args)),
            "kwargs": {k: plain(v) for k, v in kwargs.items()},
        }
        case.update(run(functions[name], first, args, kwargs))
        cases.append(case)
    return cases


def main() -> None:
    data = {
        "about": (
            f"Computed by PyTorch {torch.__version__} (CPU, float64) with "
            "tests/data/make_torch_sample_cases.py: the OpInfo sample inputs of PyTorch's own "
            "test suite (seed 0) and hand-made edge cases. A tensor is {tensor, dtype, shape}; "
            "'args' and 'kwargs' are PyTorch's; 'output' is the result, 'grad' the gradient of "
            "output.sum() with respect to 'input', 'error' PyTorch's error if it raised."
        ),
        "cases": sample_cases() + edge_cases(),
    }
    OUT.write_text(json.dumps(data, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {len(data['cases'])} cases to {OUT}")


if __name__ == "__main__":
    main()
