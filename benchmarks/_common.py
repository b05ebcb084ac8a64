"""What every benchmark script shares: timing, peak memory, the machine, memory bandwidth."""

from __future__ import annotations

import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MIB = 1 << 20

#: The PyTorch the comparisons are made against; the xent package itself never imports torch.
TORCH_REQUIREMENT = "torch==2.13.0"


def ensure_torch() -> Any:
    """Import torch, installing the pinned CPU build first if it is missing."""
    if importlib.util.find_spec("torch") is None:
        print(f"installing {TORCH_REQUIREMENT} for the comparison ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", TORCH_REQUIREMENT], check=True
        )
    import torch

    return torch


def timed(function: Callable[[], Any], *, repeat: int = 5, warmup: int = 1) -> dict[str, float]:
    """Wall-clock seconds of ``function()``: best and median of ``repeat`` runs after warm-up."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return {"best": min(times), "median": statistics.median(times)}


def interleaved(
    functions: dict[str, Callable[[], Any]], *, repeat: int = 7, warmup: int = 1
) -> dict[str, list[float]]:
    """Wall-clock seconds of each function, ``repeat`` rounds of one call each, in turn.

    On a machine others share, the load changes from second to second: timing the contenders
    round by round, rather than one after another, exposes them all to the same load, so their
    ratios (and the best round of each) stay meaningful.
    """
    for function in functions.values():
        for _ in range(warmup):
            function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            start = time.perf_counter()
            cpu_start = time.process_time()
            function()
            times[name].append(time.perf_counter() - start)
            CPU_SECONDS.setdefault(name, []).append(time.process_time() - cpu_start)
    return times


#: Processor seconds (all threads of this process) of each call that ``interleaved`` timed.
#: On a busy machine a call waits for a core: its wall time grows, its processor time much less.
CPU_SECONDS: dict[str, list[float]] = {}


def peak_extra_bytes(function: Callable[[], Any]) -> int:
    """Peak bytes that numpy and Python allocate during ``function()`` (tracemalloc)."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def machine() -> dict[str, str]:
    """CPU model, cores, caches and library versions, as the tables print them."""
    info: dict[str, str] = {}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        lscpu = ""
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in lscpu.splitlines())
    )
    info["cpu"] = fields.get("Model name", platform.processor() or "unknown")
    info["cores"] = str(len(os.sched_getaffinity(0)))
    info["caches"] = ", ".join(
        f"{name} {fields[name]}" for name in ("L1d cache", "L2 cache", "L3 cache") if name in fields
    )
    info["avx512"] = "yes" if "avx512f" in fields.get("Flags", "") else "no"
    try:
        with open("/proc/meminfo", encoding="utf8") as meminfo:
            total_kib = int(meminfo.readline().split()[1])
        info["memory"] = f"{total_kib / MIB:.0f} GiB"
    except OSError:
        pass
    info["python"] = platform.python_version()
    info["numpy"] = np.__version__
    try:
        import scipy

        info["scipy"] = scipy.__version__
    except ImportError:
        pass
    if importlib.util.find_spec("torch") is not None:
        import torch

        info["torch"] = f"{torch.__version__} ({torch.get_num_threads()} threads)"
    return info


def print_machine() -> None:
    print("## Machine\n")
    for key, value in machine().items():
        print(f"- {key}: {value}")


def memory_bandwidth(size_mib: int = 512, threads: int | None = None) -> dict[str, float]:
    """STREAM-like bandwidth in GB/s (10^9 bytes), measured with numpy on ``threads`` threads.

    ``read`` sums an array, ``write`` fills one already in memory, ``copy`` copies between two,
    counting the bytes read plus the bytes written. ``fresh_copy`` copies into a newly
    allocated array, as a function that returns a new gradient must: it pays the page faults.
    """
    threads = threads or len(os.sched_getaffinity(0))
    count = size_mib * MIB // 4
    source = np.ones(count, dtype=np.float32)
    target = np.zeros(count, dtype=np.float32)
    parts = np.array_split(np.arange(count), threads)
    bounds = [(int(part[0]), int(part[-1]) + 1) for part in parts]

    def parallel(kernel: Callable[[int, int], Any]) -> None:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda bound: kernel(*bound), bounds))

    def read() -> None:
        parallel(lambda lo, hi: np.add.reduce(source[lo:hi]))

    def write() -> None:
        parallel(lambda lo, hi: target[lo:hi].fill(2.0))

    def copy() -> None:
        parallel(lambda lo, hi: np.copyto(target[lo:hi], source[lo:hi]))

    def fresh_copy() -> None:
        fresh = np.empty_like(source)
        parallel(lambda lo, hi: np.copyto(fresh[lo:hi], source[lo:hi]))

    nbytes = source.nbytes
    results = {}
    for name, kernel, moved in (
        ("read", read, nbytes),
        ("write", write, nbytes),
        ("copy", copy, 2 * nbytes),
        ("fresh_copy", fresh_copy, 2 * nbytes),
    ):
        results[name] = moved / timed(kernel, repeat=7)["best"] / 1e9
    return results


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
