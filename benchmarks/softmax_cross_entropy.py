"""Benchmark: ``xent.softmax_cross_entropy_with_grad`` against SciPy and PyTorch on the CPU.

Run from the repository root (installs torch==2.13.0 first if it is missing)::

    python benchmarks/softmax_cross_entropy.py            # the full run, about 2 minutes
    python benchmarks/softmax_cross_entropy.py --quick    # the target size only

The target: float32 logits of shape (4096, 32000) with integer targets, ``reduction="mean"``,
loss and gradient. Each contender returns a numpy loss and a numpy gradient; every timing is the
best of 5 runs after a warm-up. Peak memory is what tracemalloc sees numpy allocate during one
call of xent (torch's allocator is invisible to tracemalloc, so it is not compared there).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import scipy.special

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    MIB,
    ensure_torch,
    markdown_table,
    memory_bandwidth,
    peak_extra_bytes,
    print_machine,
    timed,
)

import xent  # noqa: E402

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


def torch_cross_entropy(logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """``F.cross_entropy`` + ``backward`` on CPU tensors that share the numpy memory."""
    z = torch.from_numpy(logits).requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(z, torch.from_numpy(target))
    loss.backward()
    return float(loss.item()), z.grad.numpy()


def xent_cross_entropy(logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    loss, grad = xent.softmax_cross_entropy_with_grad(logits, target)
    return float(loss), grad


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


def time_all(logits: np.ndarray, target: np.ndarray) -> dict[str, float]:
    times = {}
    for name, function in (
        ("xent", xent_cross_entropy),
        ("scipy", scipy_cross_entropy),
        ("torch", torch_cross_entropy),
    ):
        times[name] = timed(lambda f=function: f(logits, target))["best"]
    before = os.environ.get("XENT_NUM_THREADS")
    os.environ["XENT_NUM_THREADS"] = "1"
    try:
        times["xent, 1 thread"] = timed(lambda: xent_cross_entropy(logits, target))["best"]
    finally:
        if before is None:
            del os.environ["XENT_NUM_THREADS"]
        else:
            os.environ["XENT_NUM_THREADS"] = before
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the target size only")
    args = parser.parse_args()

    print_machine()
    bandwidth = memory_bandwidth()
    print(
        "- memory bandwidth (numpy, all cores, GB/s): "
        + ", ".join(f"{name} {value:.1f}" for name, value in bandwidth.items())
    )

    logits, target = problem(4096, 32000)
    grad_bytes = logits.nbytes
    print(f"\n## Target size: float32 logits (4096, 32000), {grad_bytes / MIB:.0f} MiB\n")
    print(f"gradients agree with PyTorch to {check_agreement(logits, target):.1e} (relative)\n")
    times = time_all(logits, target)
    peak = peak_extra_bytes(lambda: xent_cross_entropy(logits, target))
    # The floor: read the logits once, write a new gradient once (page faults included).
    floor = 2 * grad_bytes / (bandwidth["fresh_copy"] * 1e9)
    rows = [
        [name, f"{seconds * 1e3:.0f}", f"{times['scipy'] / seconds:.2f}x"]
        for name, seconds in times.items()
    ]
    rows.append(["memory floor (read + new write)", f"{floor * 1e3:.0f}", ""])
    print(markdown_table(["implementation", "time (ms)", "speed-up over SciPy"], rows))
    print(
        f"\nxent is {times['scipy'] / times['xent']:.2f}x faster than SciPy (target >= 2x) and "
        f"{times['torch'] / times['xent']:.2f}x faster than PyTorch (target >= 1x)."
    )
    print(
        f"xent peak extra memory: {peak / MIB:.1f} MiB = gradient {grad_bytes / MIB:.0f} MiB "
        f"+ {(peak - grad_bytes) / MIB:.1f} MiB (target: gradient + 64 MiB)."
    )
    loss_only = peak_extra_bytes(lambda: xent.softmax_cross_entropy(logits, target))
    print(f"Loss alone (softmax_cross_entropy): peak extra memory {loss_only / MIB:.1f} MiB.")
    if args.quick:
        return

    print("\n## Scaling (best of 5, ms; ns per logit in brackets)\n")
    header = ["N", "K", "xent", "xent, 1 thread", "scipy", "torch"]
    rows = []
    shapes = [(n, 32000) for n in (1024, 2048, 4096, 8192)]
    shapes += [(4096, k) for k in (1000, 8000, 64000)]
    for num_rows, num_classes in shapes:
        logits, target = problem(num_rows, num_classes)
        times = time_all(logits, target)
        row = [str(num_rows), str(num_classes)]
        for name in header[2:]:
            seconds = times[name]
            row.append(f"{seconds * 1e3:.1f} ({seconds / logits.size * 1e9:.2f})")
        rows.append(row)
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
