"""Benchmark: ``xent.linear_cross_entropy_with_grad`` against the naive logits-in-memory version.

Run from the repository root::

    python benchmarks/linear_cross_entropy.py            # the full run, about 5 minutes
    python benchmarks/linear_cross_entropy.py --quick    # skip the 8 GiB naive run

The target: hidden (8192, 512) and weight (128000, 512) in float32, loss and the gradients for
hidden and weight. The naive version builds the (N, V) logits, takes
``softmax_cross_entropy_with_grad`` of them and multiplies the gradient back; at the target size
that is 4 GiB of logits and 4 GiB of gradient. Peak memory is measured with tracemalloc. It
counts the returned gradients: d_weight alone is V x D x 4 bytes = 250 MiB.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MIB, markdown_table, peak_extra_bytes, print_machine, timed  # noqa: E402

import xent  # noqa: E402


def problem(
    num_rows: int, vocab: int, width: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    hidden = rng.standard_normal((num_rows, width), dtype=np.float32)
    weight = rng.standard_normal((vocab, width), dtype=np.float32) / np.float32(np.sqrt(width))
    return hidden, weight, rng.integers(0, vocab, num_rows)


def naive(hidden: np.ndarray, weight: np.ndarray, target: np.ndarray) -> tuple[Any, ...]:
    logits = hidden @ weight.T
    loss, grad = xent.softmax_cross_entropy_with_grad(logits, target)
    return loss, grad @ weight, grad.T @ hidden


def chunked(hidden: np.ndarray, weight: np.ndarray, target: np.ndarray) -> tuple[Any, ...]:
    loss, (d_hidden, d_weight, _) = xent.linear_cross_entropy_with_grad(hidden, weight, target)
    return loss, d_hidden, d_weight


def disagreement(a: tuple[Any, ...], b: tuple[Any, ...]) -> float:
    """Largest difference of loss or gradients, relative to the largest entry of each."""
    return max(
        float(np.max(np.abs(np.asarray(x, np.float64) - y)) / np.max(np.abs(y)))
        for x, y in zip(a, b, strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the naive run at full size")
    args = parser.parse_args()

    print_machine()
    target_size(quick=args.quick)
    scaling()


def target_size(*, quick: bool) -> None:
    hidden, weight, target = problem(8192, 128000, 512)
    assert hidden.dtype == weight.dtype == np.float32
    outputs = hidden.nbytes + weight.nbytes
    print("\n## Target size: hidden (8192, 512), weight (128000, 512), float32\n")
    versions = [("chunked (xent.linear_cross_entropy_with_grad)", chunked)]
    if not quick:
        versions.append(("naive (logits in memory)", naive))
    rows, seconds = [], {}
    for name, version in versions:
        seconds[name] = timed(lambda v=version: v(hidden, weight, target), repeat=1, warmup=0)[
            "best"
        ]
        peak = peak_extra_bytes(lambda v=version: v(hidden, weight, target))
        rows.append(
            [
                name,
                f"{seconds[name]:.1f}",
                f"{peak / MIB:.0f}",
                f"{(peak - outputs) / MIB:.0f}",
            ]
        )
    print(
        markdown_table(
            ["version", "time (s)", "peak extra memory (MiB)", "of which beyond the gradients"],
            rows,
        )
    )
    print(f"\nThe returned gradients alone are {outputs / MIB:.0f} MiB.")
    if not quick:
        chunked_time, naive_time = seconds.values()
        print(f"Chunked / naive time: {chunked_time / naive_time:.2f} (target <= 1.5).")


def scaling() -> None:
    print("\n## Scaling, D = 512 (best of 3, s)\n")
    header = ["N", "V", "naive", "chunked", "chunked / naive", "largest difference"]
    rows = []
    for num_rows, vocab in [(1024, 32000), (2048, 32000), (4096, 32000)] + [
        (2048, 8000),
        (2048, 64000),
    ]:
        case = problem(num_rows, vocab, 512)
        naive_time = timed(lambda case=case: naive(*case), repeat=3)["best"]
        chunked_time = timed(lambda case=case: chunked(*case), repeat=3)["best"]
        gap = disagreement(chunked(*case), naive(*case))
        rows.append(
            [
                str(num_rows),
                str(vocab),
                f"{naive_time:.2f}",
                f"{chunked_time:.2f}",
                f"{chunked_time / naive_time:.2f}",
                f"{gap:.1e}",
            ]
        )
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
