"""The fused, row-chunked kernel behind softmax cross-entropy with class-index targets.

The plain version is ``losses._index_target_terms`` on top of ``softmax._normalizer``: easy to
read, but it makes about a dozen full-size passes and temporaries. This kernel computes the same
numbers (``tests/test_kernels.py`` holds the two together) with two changes:

* rows are taken a few at a time, so a chunk of logits is read from memory once and every further
  pass over it runs in cache; the only full-size array is the gradient it returns;
* chunks are shared between threads: numpy's ufuncs release the GIL, so both cores work.

Per chunk: ``top = argmax z``, ``g = exp(z - z_top)``, ``r = sum_{j != top} g_j``, then the
gradient ``T g / (1 + r) - a onehot(y) - b w`` in place, with the top entry rewritten as
``(A - P_top) - T r / (1 + r)`` so a confident row keeps its non-target mass. A row whose
maximum is not finite (NaN, or an infinite logit) goes through the plain version instead; the
rest of its chunk stays here.

Two implementations of those per-chunk formulas: ``_fused_rows`` in numpy (every dtype, and
the reference), and ``xent._rows_numba.fused_rows``, compiled, for large float32 inputs when
numba is installed: it reads each row once and never leaves it before its gradient is written.
The thread pool is dropped in a child made by ``fork`` (its threads do not exist there) and
started again on demand. :func:`in_chunks`, the splitting into chunks and threads, also runs the
plain formulas for probability targets (``losses._soft_target_rows``).
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np

from xent.softmax import _top_entry

# Elements per chunk: 512 Ki float32 logits are 2 MiB, and the chunk's gradient as much again.
# That outgrows a core's 1 MiB L2 but stays in L3 between passes, and fewer, larger chunks cost
# less Python per element: on (4096, 32000) float32, 2^19 ran in 0.106 s, 2^16 in 0.20 s.
CHUNK_ELEMENTS = 1 << 19
# Below this many logits, starting threads costs more than it saves.
PARALLEL_ELEMENTS = 1 << 20
# From this many float32 logits on, the numba-compiled kernel is used (where numba is
# installed). Importing numba takes about half a second, as long as the numpy kernel takes
# for 2^29 logits; below 2^24 (16 M logits, 20 ms) a process that never needs it never pays.
COMPILED_ELEMENTS = 1 << 24

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()
# The thread count: None until first needed, then read from XENT_NUM_THREADS once (or set by
# set_num_threads). A malformed variable is remembered as its error, raised when threads are
# needed, so small inputs, which never use threads, still work.
_threads: int | None = None
_threads_error: str | None = None


def _forget_pool_in_child() -> None:
    """After ``fork`` the child has the pool object but none of its threads: start afresh."""
    global _pool, _pool_size, _pool_lock
    _pool = None
    _pool_size = 0
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def _default_threads() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _read_environment() -> None:
    global _threads, _threads_error
    value = os.environ.get("XENT_NUM_THREADS")
    if value is None:
        _threads = _default_threads()
        return
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        _threads_error = (
            f"XENT_NUM_THREADS must be a positive integer; got {value!r} "
            "(unset it, or call xent.set_num_threads)"
        )
    else:
        _threads = count


def get_num_threads() -> int:
    """Number of threads the fused softmax cross-entropy kernel uses on a large input.

    The first call reads the environment variable ``XENT_NUM_THREADS``; without it, the count
    is the number of cores this process may run on. :func:`set_num_threads` changes it.

    Args:
        none.

    Returns:
        A positive integer.

    Raises:
        ValueError: ``XENT_NUM_THREADS`` is set to something other than a positive integer
            (and :func:`set_num_threads` has not been called since).

    Examples:
        >>> import xent
        >>> xent.get_num_threads() >= 1
        True
    """
    if _threads is None:
        if _threads_error is None:
            _read_environment()
        if _threads_error is not None:
            raise ValueError(_threads_error)
    assert _threads is not None
    return _threads


def set_num_threads(count: int) -> None:
    """Set the number of threads the fused softmax cross-entropy kernel uses on a large input.

    Takes precedence over ``XENT_NUM_THREADS``, for the whole process. Results are bit-identical
    for every thread count: threads split the rows, never a row.

    Args:
        count: a positive integer; 1 runs everything in the calling thread.

    Returns:
        None.

    Raises:
        TypeError: ``count`` is not an integer.
        ValueError: ``count`` is less than 1.

    Examples:
        >>> import xent
        >>> before = xent.get_num_threads()
        >>> xent.set_num_threads(1)
        >>> xent.get_num_threads()
        1
        >>> xent.set_num_threads(before)
    """
    global _threads, _threads_error
    if isinstance(count, bool) or not isinstance(count, int | np.integer):
        raise TypeError(f"count must be an integer; got {type(count).__name__}")
    if count < 1:
        raise ValueError(f"count must be a positive integer; got {count}")
    _threads, _threads_error = int(count), None


def _executor(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < workers:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="xent")
            _pool_size = workers
        return _pool


class RowTerms(NamedTuple):
    """Per-row coefficients of ``loss_n = a_n nll_n + b_n sum_c w_c (lse - z_c)``."""

    target: np.ndarray  # class index per row (ignored rows hold 0), intp
    a: np.ndarray  # (1 - eps) w_y, 0 where ignored
    b: np.ndarray  # eps / K, 0 where ignored
    total: np.ndarray  # T = a + b W: the target mass of the row
    scale: Any  # 1, or 1 / denominator for "mean"


Fallback = Callable[[np.ndarray, slice], tuple[np.ndarray, np.ndarray | None]]


def _compiled_kernel() -> Any:
    """The numba-compiled kernel (:mod:`xent._rows_numba`), or None where numba is missing."""
    global _compiled
    if _compiled is _NOT_LOADED:
        try:
            _compiled = importlib.import_module("xent._rows_numba").fused_rows
        except ImportError:
            _compiled = None
    return _compiled


_NOT_LOADED: Any = object()
#: The compiled kernel once loaded (None without numba). Tests set it to None to force numpy.
_compiled: Any = _NOT_LOADED


def index_cross_entropy(
    z: np.ndarray,
    terms: RowTerms,
    class_weight: np.ndarray | None,
    weight_total: Any,
    need_grad: bool,
    out_dtype: np.dtype[Any],
    fallback: Fallback,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-row losses ``(M,)`` and the scaled gradient ``(M, K)`` (in ``out_dtype``) of 2-D ``z``.

    The gradient goes into ``out`` when it is given, which may be ``z`` itself (in place, for
    a caller that needs the logits no more; only without class weights).

    Floating-point warnings are silenced inside: the kernel's NaN and inf are by design.
    float16 logits are upcast to float32 one chunk at a time, never as a whole; the losses are
    then float32. Large float32 inputs go through the numba-compiled kernel when numba is
    installed, everything else through the numpy one.

    ``fallback(z_rows, rows)`` gives the plain version's (losses, unscaled gradient) for rows
    whose maximum is not finite.
    """
    num_rows, num_classes = z.shape
    work = np.dtype(np.float32) if z.dtype == np.float16 else z.dtype
    loss = np.empty(num_rows, dtype=work)
    grad = None
    if need_grad:
        grad = np.empty(z.shape, dtype=out_dtype) if out is None else out
        assert grad.shape == z.shape and grad.dtype == out_dtype
        assert class_weight is None or not np.shares_memory(grad, z)
    rows_per_chunk = _rows_per_chunk(num_classes)
    compiled = None
    if work == np.float32 and z.size >= COMPILED_ELEMENTS:
        compiled = _compiled_kernel()
    if compiled is not None:
        # The compiled kernel's row coefficients, in one dtype each, so it compiles once.
        coefficients = (
            terms.a.astype(np.float64),
            terms.b.astype(np.float64),
            terms.total.astype(np.float64),
            float(terms.scale),
            np.empty(0, work) if class_weight is None else class_weight.astype(work),
            class_weight is not None,
            float(weight_total),
            bool(np.any(terms.b)),
        )

    def buffers() -> tuple[np.ndarray | None, np.ndarray | None]:
        """A thread's chunk-sized buffers: for a float16 upcast, and for work not done in place."""
        upcast = None if z.dtype == work else np.empty((rows_per_chunk, num_classes), work)
        scratch = None
        if (grad is None and compiled is None) or (grad is not None and grad.dtype != work):
            scratch = np.empty((rows_per_chunk, num_classes), dtype=work)
        return upcast, scratch

    def run(part: list[slice], own: tuple[np.ndarray | None, np.ndarray | None]) -> None:
        upcast, scratch = own
        with np.errstate(all="ignore"):
            for rows in part:
                count = rows.stop - rows.start
                z_rows = z[rows]
                if upcast is not None:
                    z_rows = upcast[:count]
                    np.copyto(z_rows, z[rows])
                out_rows = None if grad is None else grad[rows]
                if compiled is None:
                    _fused_rows(
                        z_rows,
                        rows,
                        terms,
                        class_weight,
                        weight_total,
                        out_rows,
                        scratch,
                        loss,
                        fallback,
                    )
                    continue
                # The compiled kernel writes nothing in a row whose maximum is not finite, so
                # even in place the plain version finds those rows as they were.
                g = out_rows if scratch is None else scratch[:count]
                bad = np.empty(count, dtype=np.bool_)
                a, b, total, scale, weights, weighted, w_total, smoothing = coefficients
                compiled(
                    z_rows,
                    np.argmax(z_rows, axis=1),
                    terms.target[rows],
                    a[rows],
                    b[rows],
                    total[rows],
                    scale,
                    weights,
                    weighted,
                    w_total,
                    smoothing,
                    np.empty((0, 0), work) if g is None else g,
                    g is not None,
                    g is not None and np.shares_memory(g, z_rows),
                    loss[rows],
                    bad,
                )
                if g is not None and g is not out_rows:
                    assert out_rows is not None
                    np.copyto(out_rows, g, casting="unsafe")
                if bad.any():
                    _redo_plainly(z_rows, rows, bad, terms, out_rows, loss, fallback)

    in_chunks(num_rows, num_classes, run, buffers)
    return loss, grad


def _rows_per_chunk(num_classes: int) -> int:
    return max(1, CHUNK_ELEMENTS // max(num_classes, 1))


def in_chunks(
    num_rows: int,
    num_classes: int,
    run: Callable[[list[slice], Any], None],
    buffers: Callable[[], Any] = lambda: None,
) -> None:
    """Call ``run(part, buffers())`` on the chunks of rows of an ``(num_rows, num_classes)`` array.

    A chunk is a few rows, about ``CHUNK_ELEMENTS`` entries, so that every pass over it stays
    in cache. Large arrays are shared between threads, each a contiguous run of chunks;
    ``run`` may work on its rows only. Every thread's ``buffers()`` are made before any thread
    starts, so the memory a call takes does not depend on how its threads happen to overlap.
    """
    size = _rows_per_chunk(num_classes)
    chunks = [slice(start, min(start + size, num_rows)) for start in range(0, num_rows, size)]
    elements = num_rows * num_classes
    workers = 1 if elements < PARALLEL_ELEMENTS else min(get_num_threads(), len(chunks))
    if workers == 1:
        run(chunks, buffers())
        return
    # Contiguous runs of chunks per thread: each thread streams through its own rows.
    bounds = np.linspace(0, len(chunks), workers + 1).astype(int)
    parts = [chunks[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    owned = [buffers() for _ in parts]
    pool = _executor(workers)
    for future in [pool.submit(run, part, own) for part, own in zip(parts, owned, strict=True)]:
        future.result()


def _fused_rows(
    z: np.ndarray,
    rows: slice,
    terms: RowTerms,
    class_weight: np.ndarray | None,
    weight_total: Any,
    out: np.ndarray | None,
    scratch: np.ndarray | None,
    loss: np.ndarray,
    fallback: Fallback,
) -> None:
    count = z.shape[0]
    index = np.arange(count)
    top = np.argmax(z, axis=1)
    row_max = z[index, top]
    # Rows whose maximum is not finite (NaN, or an infinite logit) get NaN here and are then
    # redone by the plain version; the other rows of the chunk stay on this path.
    bad = ~np.isfinite(row_max)
    g = out if scratch is None else scratch[:count]
    assert g is not None
    # Working in place, keep the rows the plain version will need.
    originals = (bad.copy(), z[bad]) if bad.any() and np.shares_memory(g, z) else None
    target = terms.target[rows]
    a, b = terms.a[rows], terms.b[rows]
    smoothing = bool(np.any(b))

    # The gaps z_c - m in float64, from z itself (before g, which may be z, is overwritten): a
    # gap, or a sum of them, may be beyond float32's range while the loss is not (it was inf).
    m64 = row_max.astype(np.float64)
    shifted_target = z[index, target].astype(np.float64) - m64
    if smoothing:
        # sum_c w_c (z_c - m) <= 0; a class of weight 0 at a -inf logit makes it NaN.
        if class_weight is None:
            shifted_sum = z.sum(axis=1, dtype=np.float64) - z.shape[1] * m64
        else:
            w64 = class_weight.astype(np.float64)
            shifted_sum = z @ w64 - np.sum(w64) * m64
        bad |= np.isnan(shifted_sum)
    np.subtract(z, row_max[:, None], out=g)
    np.exp(g, out=g)
    # e^0 = 1 exactly at the top; leaving it out of the sum keeps r accurate when r << eps.
    g[index, top] = 0
    rest = g.sum(axis=1)
    log_norm = np.log1p(rest)
    row_loss = np.where(a == 0, 0, a * (log_norm - shifted_target))
    if smoothing:
        row_loss = row_loss + b * (weight_total * log_norm - shifted_sum)
    loss[rows] = np.where(terms.total[rows] == 0, 0, row_loss)
    if out is not None:
        scale = terms.scale
        total = terms.total[rows]
        g *= (total * scale / (1 + rest))[:, None]
        if smoothing:
            per_class = 1 if class_weight is None else class_weight
            g -= (b * scale)[:, None] * per_class
        g[index, target] -= a * scale
        # The top entry, A q_top - P_top with q_top = 1 - s and s = r / (1 + r): written as
        # (A - P_top) - A s, since 1 - s rounds to 1 in a confident row and would lose s.
        w_top = 1 if class_weight is None else class_weight[top]
        off_top = np.where(top == target, 0, a) + b * (weight_total - w_top)
        g[index, top] = _top_entry(total, off_top, rest) * scale
        if g is not out:
            np.copyto(out, g, casting="unsafe")
    if bad.any():
        if originals is not None:
            z[originals[0]] = originals[1]
        _redo_plainly(z, rows, bad, terms, out, loss, fallback)


def _redo_plainly(
    z: np.ndarray,
    rows: slice,
    bad: np.ndarray,
    terms: RowTerms,
    out: np.ndarray | None,
    loss: np.ndarray,
    fallback: Fallback,
) -> None:
    """The plain version for the ``bad`` rows of a chunk, one run of consecutive rows at a time."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], bad.view(np.int8), [0]))))
    for lo, hi in zip(edges[::2], edges[1::2], strict=True):
        row_loss, row_grad = fallback(z[lo:hi], slice(rows.start + lo, rows.start + hi))
        loss[rows.start + lo : rows.start + hi] = row_loss
        if out is not None:
            assert row_grad is not None
            np.copyto(out[lo:hi], row_grad * terms.scale, casting="unsafe")
