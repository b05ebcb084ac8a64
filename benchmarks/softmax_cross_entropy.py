"""Benchmark: ``xent.softmax_cross_entropy_with_grad`` against SciPy and PyTorch on the CPU.

Run from the repository root (installs torch==2.13.0 first if it is missing)::

    python benchmarks/softmax_cross_entropy.py            # the full run, about 4 minutes
    python benchmarks/softmax_cross_entropy.py --quick    # the target size only

The target: float32 logits of shape (4096, 32000) with integer targets, ``reduction="mean"``,
loss and gradient. Each contender returns a numpy loss and a numpy gradient. The floor is a fresh
copy of the logits, ``z.copy()``: one read of them and one write of a new array, as the gradient
needs. Every contender, the floor included, runs once per round, round after round, and the best
round is kept, so a busy machine slows all of them alike. Peak memory is what tracemalloc sees
numpy allocate during one call of xent (torch's allocator is invisible to tracemalloc).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.special

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    CPU_SECONDS,
    MIB,
    ensure_torch,
    interleaved,
    markdown_table,
    memory_bandwidth,
    peak_extra_bytes,
    print_machine,
)

import xent  # noqa: E402
from xent import _rows  # noqa: E402

torch = ensure_torch()


def scipy_cross_entropy(logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """The straightforward formulation: log_softmax, gather, mean; exp(log_probs) - one_hot."""
    rows = np.arange(len(target))
    log_probs = scipy.special.log_softmax(logits, axis=-1)
    loss = -np.mean(log_probs[rows, target])
    grad = np.exp(log_probs)
    grad[rows, target] -= 1
    grad /= len(target)
    return float(loss), grad


def scipy_loss(logits: np.ndarray, target: np.ndarray) -> float:
    """The loss alone: logsumexp minus the target logit, averaged."""
    rows = np.arange(len(target))
    return float(np.mean(scipy.special.logsumexp(logits, axis=-1) - logits[rows, target]))


def torch_cross_entropy(logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """``F.cross_entropy`` + ``backward`` on CPU tensors that share the numpy memory."""
    z = torch.from_numpy(logits).requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(z, torch.from_numpy(target))
    loss.backward()
    return float(loss.item()), z.grad.numpy()


def torch_loss(logits: np.ndarray, target: np.ndarray) -> float:
    """``F.cross_entropy`` alone, without autograd."""
    with torch.no_grad():
        return float(
            torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(target))
        )


def xent_cross_entropy(logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    loss, grad = xent.softmax_cross_entropy_with_grad(logits, target)
    return float(loss), grad


def xent_loss(logits: np.ndarray, target: np.ndarray) -> float:
    return float(xent.softmax_cross_entropy(logits, target))


def problem(num_rows: int, num_classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((num_rows, num_classes), dtype=np.float32) * 3
    return logits, rng.integers(0, num_classes, num_rows)


def check_agreement(logits: np.ndarray, target: np.ndarray) -> float:
    """Largest gradient difference between the three, relative to the largest entry."""
    _, reference = torch_cross_entropy(logits, target)
    scale = float(np.abs(reference).max())
    worst = 0.0
    for contender in (xent_cross_entropy, scipy_cross_entropy):
        _, grad = contender(logits, target)
        worst = max(worst, float(np.abs(grad - reference).max()) / scale)
    return worst


def one_thread(function: Callable[[], Any]) -> Callable[[], Any]:
    """``function`` with xent's kernel on one thread (the others keep theirs)."""

    def run() -> Any:
        before = xent.get_num_threads()
        xent.set_num_threads(1)
        try:
            return function()
        finally:
            xent.set_num_threads(before)

    return run


def numpy_kernel(function: Callable[[], Any]) -> Callable[[], Any]:
    """``function`` with xent's numpy kernel, as on a machine without numba."""

    def run() -> Any:
        saved = _rows._compiled_kernel()
        _rows._compiled = None
        try:
            return function()
        finally:
            _rows._compiled = saved

    return run


def contenders(logits: np.ndarray, target: np.ndarray) -> dict[str, Callable[[], Any]]:
    """Everything timed at one size, the floor first; all are timed in turn, round by round."""

    def grad() -> Any:
        return xent_cross_entropy(logits, target)

    def loss() -> Any:
        return xent_loss(logits, target)

    return {
        "floor: z.copy()": logits.copy,
        "xent": grad,
        "scipy": lambda: scipy_cross_entropy(logits, target),
        "torch": lambda: torch_cross_entropy(logits, target),
        "xent, 1 thread": one_thread(grad),
        "xent, numpy kernel (no numba)": numpy_kernel(grad),
        "xent loss": loss,
        "scipy loss": lambda: scipy_loss(logits, target),
        "torch loss": lambda: torch_loss(logits, target),
        "xent loss, numpy kernel": numpy_kernel(loss),
    }


def target_size(repeat: int) -> None:
    logits, target = problem(4096, 32000)
    grad_bytes = logits.nbytes
    print(f"\n## Target size: float32 logits (4096, 32000), {grad_bytes / MIB:.0f} MiB\n")
    print(f"gradients agree with PyTorch to {check_agreement(logits, target):.1e} (relative)\n")
    rounds = interleaved(contenders(logits, target), repeat=repeat)
    best = {name: min(times) for name, times in rounds.items()}
    floor = best["floor: z.copy()"]
    rows = []
    for name, seconds in best.items():
        peer = "scipy loss" if "loss" in name else "scipy"
        torch_name = "torch loss" if "loss" in name else "torch"
        rows.append(
            [
                name,
                f"{seconds * 1e3:.0f}",
                f"{statistics.median(rounds[name]) * 1e3:.0f}",
                f"{floor / seconds:.0%}",
                f"{best[peer] / seconds:.2f}x",
                f"{best[torch_name] / seconds:.2f}x",
            ]
        )
    header = ["implementation", "best (ms)", "median (ms)", "of the floor", "vs SciPy", "vs torch"]
    print(markdown_table(header, rows))
    print(
        "\nProcessor time of the same calls (best round, all threads added up, ms), which a busy "
        "machine inflates much less than wall time:\n"
    )
    cpu = {name: min(CPU_SECONDS[name][-repeat:]) for name in best}
    cpu_rows = [
        [name, f"{seconds * 1e3:.0f}", f"{cpu['floor: z.copy()'] / seconds:.0%}"]
        for name, seconds in cpu.items()
    ]
    print(markdown_table(["implementation", "processor time (ms)", "floor / it"], cpu_rows))
    print(
        f"\nBest of {repeat} rounds; in each round every contender runs once, in the order above."
    )
    for name in ("xent", "xent loss"):
        seconds = best[name]
        peers = ("scipy loss", "torch loss") if "loss" in name else ("scipy", "torch")
        print(
            f"{name}: {floor / seconds:.0%} of the floor (target >= 70%), "
            f"{best[peers[0]] / seconds:.2f}x SciPy and {best[peers[1]] / seconds:.2f}x PyTorch "
            "(targets >= 4x)."
        )
    peak = peak_extra_bytes(lambda: xent_cross_entropy(logits, target))
    print(
        f"xent peak extra memory: {peak / MIB:.1f} MiB = gradient {grad_bytes / MIB:.0f} MiB "
        f"+ {(peak - grad_bytes) / MIB:.1f} MiB."
    )
    loss_only = peak_extra_bytes(lambda: xent_loss(logits, target))
    print(f"Loss alone (softmax_cross_entropy): peak extra memory {loss_only / MIB:.1f} MiB.")


def other_inputs(repeat: int) -> None:
    """float64 logits and probability targets, beside the float32 integer-target case."""
    print("\n## Beside it: float64 logits, probability targets (4096, 32000)\n")
    logits, target = problem(4096, 32000)
    logits64 = logits.astype(np.float64)
    probs = np.zeros_like(logits)
    probs[np.arange(len(target)), target] = 0.9
    probs += 0.1 / logits.shape[1]

    def soft_scipy() -> Any:
        log_probs = scipy.special.log_softmax(logits, axis=-1)
        loss = -np.mean(np.sum(probs * log_probs, axis=-1))
        return loss, (np.exp(log_probs) - probs) / len(target)

    def soft_torch() -> Any:
        z = torch.from_numpy(logits).requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(z, torch.from_numpy(probs))
        loss.backward()
        return float(loss.item()), z.grad.numpy()

    functions = {
        "floor: z.copy(), float32": logits.copy,
        "floor: z.copy(), float64": logits64.copy,
        "xent float64, integer targets": lambda: xent_cross_entropy(logits64, target),
        "scipy float64, integer targets": lambda: scipy_cross_entropy(logits64, target),
        "torch float64, integer targets": lambda: torch_cross_entropy(logits64, target),
        "xent float32, probability targets": lambda: xent.softmax_cross_entropy_with_grad(
            logits, probs
        ),
        "scipy float32, probability targets": soft_scipy,
        "torch float32, probability targets": soft_torch,
    }
    rounds = interleaved(functions, repeat=repeat)
    best = {name: min(times) for name, times in rounds.items()}
    rows = []
    for name, seconds in best.items():
        floor = best["floor: z.copy(), float64" if "64" in name else "floor: z.copy(), float32"]
        rows.append([name, f"{seconds * 1e3:.0f}", f"{floor / seconds:.0%}"])
    print(markdown_table(["implementation", "best (ms)", "of its floor"], rows))


def scaling(repeat: int) -> None:
    print(f"\n## Scaling (best of {repeat}, ms; ns per logit in brackets)\n")
    names = ["floor: z.copy()", "xent", "xent, 1 thread", "scipy", "torch"]
    rows = []
    shapes = [(n, 32000) for n in (1024, 2048, 4096, 8192)]
    shapes += [(4096, k) for k in (1000, 8000, 64000)]
    for num_rows, num_classes in shapes:
        logits, target = problem(num_rows, num_classes)
        every = contenders(logits, target)
        rounds = interleaved({name: every[name] for name in names}, repeat=repeat)
        row = [str(num_rows), str(num_classes)]
        for name in names:
            seconds = min(rounds[name])
            row.append(f"{seconds * 1e3:.1f} ({seconds / logits.size * 1e9:.2f})")
        rows.append(row)
    print(markdown_table(["N", "K", *names], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the target size only")
    parser.add_argument(
        "--no-scaling", action="store_true", help="the target size and the float64 and soft cases"
    )
    parser.add_argument("--repeat", type=int, default=7, help="rounds (best of them is kept)")
    args = parser.parse_args()

    print_machine()
    print(f"- load average when starting: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    bandwidth = memory_bandwidth()
    print(
        "- memory bandwidth (numpy, all cores, GB/s): "
        + ", ".join(f"{name} {value:.1f}" for name, value in bandwidth.items())
    )
    xent_cross_entropy(*problem(64, 32000))  # numba's import, outside every timing
    target_size(args.repeat)
    if args.quick:
        return
    other_inputs(args.repeat)
    if not args.no_scaling:
        scaling(max(3, args.repeat // 2))
    print(f"\n- load average when done: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
