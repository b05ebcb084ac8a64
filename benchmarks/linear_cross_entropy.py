"""Benchmark: ``xent.linear_cross_entropy_with_grad`` against the naive logits-in-memory version.

Run from the repository root::

    python benchmarks/linear_cross_entropy.py            # every size, about 15 minutes idle
    python benchmarks/linear_cross_entropy.py --quick    # the three smaller sizes

Sizes: N from 2048 to 8192 positions, V from 32,000 to 128,000 classes, D = 512, float32; loss
and the gradients for hidden and classifier. The naive version builds the (N, V) logits, takes
``softmax_cross_entropy_with_grad`` of them and multiplies the gradient back; at (8192, 128000)
that is 4 GiB of logits and 4 GiB of gradient. The two versions run in turn, round after round,
and the best round of each is kept. Peak memory is measured with tracemalloc; it counts the
returned gradients (d_classifier alone is V x D x 4 bytes = 250 MiB at V = 128,000).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    CPU_SECONDS,
    MIB,
    interleaved,
    markdown_table,
    peak_extra_bytes,
    print_machine,
)

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
    loss, (d_hidden, d_classifier, _) = xent.linear_cross_entropy_with_grad(hidden, weight, target)
    return loss, d_hidden, d_classifier


def disagreement(a: tuple[Any, ...], b: tuple[Any, ...]) -> float:
    """Largest difference of loss or gradients, relative to the largest entry of each."""
    return max(
        float(np.max(np.abs(np.asarray(x, np.float64) - y)) / np.max(np.abs(y)))
        for x, y in zip(a, b, strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the three smaller sizes only")
    parser.add_argument("--repeat", type=int, default=2, help="rounds (best of them is kept)")
    args = parser.parse_args()

    print_machine()
    print(f"- load average when starting: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    sizes = [(2048, 32000), (4096, 64000), (2048, 128000)]
    if not args.quick:
        sizes += [(8192, 32000), (8192, 128000)]
    scaling(sizes, args.repeat)
    memory(8192 if not args.quick else 2048, 128000)
    print(f"\n- load average when done: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def scaling(sizes: list[tuple[int, int]], repeat: int) -> None:
    print(f"\n## Time, D = 512, float32 (best of {repeat} interleaved rounds, s)\n")
    header = [
        "N",
        "V",
        "naive",
        "chunked",
        "chunked / naive",
        "processor time: naive, chunked, ratio",
        "largest difference",
    ]
    rows = []
    for num_rows, vocab in sizes:
        case = problem(num_rows, vocab, 512)
        gap = disagreement(chunked(*case), naive(*case))
        rounds = interleaved(
            {"naive": lambda case=case: naive(*case), "chunked": lambda case=case: chunked(*case)},
            repeat=repeat,
            warmup=0,
        )
        naive_time, chunked_time = min(rounds["naive"]), min(rounds["chunked"])
        naive_cpu = min(CPU_SECONDS.pop("naive")[-repeat:])
        chunked_cpu = min(CPU_SECONDS.pop("chunked")[-repeat:])
        rows.append(
            [
                str(num_rows),
                str(vocab),
                f"{naive_time:.2f}",
                f"{chunked_time:.2f}",
                f"{chunked_time / naive_time:.2f}",
                f"{naive_cpu:.2f}, {chunked_cpu:.2f}, {chunked_cpu / naive_cpu:.2f}",
                f"{gap:.1e}",
            ]
        )
        print(markdown_table(header, rows[-1:]).splitlines()[-1], flush=True)
    print()
    print(markdown_table(header, rows))
    print(
        "\nTarget: chunked / naive <= 1.2 at every size. Processor time: all threads added up, "
        "best round; a busy machine inflates it much less than wall time."
    )


def memory(num_rows: int, vocab: int) -> None:
    hidden, weight, target = problem(num_rows, vocab, 512)
    outputs = hidden.nbytes + weight.nbytes
    peak = peak_extra_bytes(lambda: chunked(hidden, weight, target))
    print(f"\n## Memory: hidden ({num_rows}, 512), classifier ({vocab}, 512), float32\n")
    print(
        f"chunked peak extra memory {peak / MIB:.0f} MiB: the returned gradients "
        f"{outputs / MIB:.0f} MiB + temporaries {(peak - outputs) / MIB:.0f} MiB "
        "(target: temporaries <= 128 MiB)."
    )
    logits = num_rows * vocab * 4
    print(
        f"The naive version holds the logits and their gradient, {2 * logits / MIB:.0f} MiB, "
        "beyond the same gradients."
    )


if __name__ == "__main__":
    main()
