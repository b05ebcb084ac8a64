"""The fused row-chunked kernel (xent._rows) against the plain version it replaces.

The plain version is ``_normalizer`` + ``_index_target_terms`` + ``_reduce``: the formulas of
the chapter, one full-size array at a time. The kernel must give the same numbers for every
option, every layout, every chunking and any number of threads, and must not allocate more
than the gradient it returns.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import xent
from xent import _rows
from xent.losses import _index_target_terms, _reduce, _soft_target_terms
from xent.softmax import _normalizer


def plain_cross_entropy(z, target, *, weight=None, ignore_index=-100, reduction="mean", eps=0.0):
    """Loss and gradient by the plain version, class axis last, in float64."""
    z = np.asarray(z, dtype=np.float64)
    target = np.asarray(target)
    ignored = target == ignore_index
    indices = np.where(ignored, 0, target).astype(np.intp)
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    with np.errstate(all="ignore"):
        loss, grad, denominator = _index_target_terms(
            _normalizer(z), indices, ignored, w, eps, True
        )
    return _reduce(loss, grad, reduction, denominator)


@pytest.fixture
def threads():
    """``set(count)`` changes the kernel's thread count for one test."""
    before = xent.get_num_threads()
    yield xent.set_num_threads
    xent.set_num_threads(before)


@pytest.fixture
def small_chunks(monkeypatch, threads):
    """Chunks of a few rows and threads from the first element, so small arrays exercise both."""
    monkeypatch.setattr(_rows, "CHUNK_ELEMENTS", 24)
    monkeypatch.setattr(_rows, "PARALLEL_ELEMENTS", 1)
    threads(3)


def random_case(seed, num_rows=37, num_classes=7):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=4.0, size=(num_rows, num_classes))
    target = rng.integers(0, num_classes, num_rows)
    return rng, z, target


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("eps", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_kernel_matches_plain_version_for_every_option(
    small_chunks, reduction, eps, weighted, seed
):
    rng, z, target = random_case(seed)
    target[::5] = -100
    weight = rng.uniform(0.0, 2.0, z.shape[1]) if weighted else None
    if weighted:
        weight[1] = 0.0
    loss, grad = xent.softmax_cross_entropy_with_grad(
        z, target, weight=weight, reduction=reduction, label_smoothing=eps
    )
    want_loss, want_grad = plain_cross_entropy(
        z, target, weight=weight, reduction=reduction, eps=eps
    )
    np.testing.assert_allclose(loss, want_loss, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-12, atol=1e-15)


def test_chunks_with_non_finite_rows_fall_back_and_the_rest_stay_fused(small_chunks):
    _, z, target = random_case(3, num_rows=40)
    z[4, 2] = np.inf  # +inf takes all the mass
    z[9, :] = -np.inf  # no softmax at all: NaN
    z[17, 3] = np.nan
    z[25, [0, 5]] = -np.inf  # finite maximum: stays fused
    z[30, :] = [np.inf, np.inf, 0, 0, 0, 0, 0]  # tied +inf entries share the mass
    weight = np.linspace(0.0, 1.5, z.shape[1])
    for eps in (0.0, 0.2):
        loss, grad = xent.softmax_cross_entropy_with_grad(
            z, target, weight=weight, reduction="none", label_smoothing=eps
        )
        want_loss, want_grad = plain_cross_entropy(
            z, target, weight=weight, reduction="none", eps=eps
        )
        np.testing.assert_allclose(loss, want_loss, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(grad, want_grad, rtol=1e-12, atol=1e-15)


def test_weight_zero_class_at_minus_infinity_with_smoothing(small_chunks):
    """0 * -inf in the smoothing sum is 0 by the plain version's 0 log 0 = 0, not NaN."""
    z = np.zeros((6, 4))
    z[:, 2] = -np.inf
    weight = np.array([1.0, 1.0, 0.0, 2.0])
    target = np.array([0, 1, 3, 0, 1, 3])
    loss, grad = xent.softmax_cross_entropy_with_grad(
        z, target, weight=weight, label_smoothing=0.3, reduction="none"
    )
    want_loss, want_grad = plain_cross_entropy(z, target, weight=weight, eps=0.3, reduction="none")
    assert np.all(np.isfinite(loss))
    np.testing.assert_allclose(loss, want_loss, rtol=1e-14)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_kernel_keeps_the_dtype_and_the_accuracy_of_the_input(small_chunks, dtype):
    _, z, target = random_case(4)
    z = z.astype(dtype)
    loss, grad = xent.softmax_cross_entropy_with_grad(z, target, label_smoothing=0.05)
    assert loss.dtype == dtype and grad.dtype == dtype
    want_loss, want_grad = plain_cross_entropy(z.astype(np.float64), target, eps=0.05)
    tol = {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-13}[dtype]
    np.testing.assert_allclose(loss, want_loss, rtol=tol)
    np.testing.assert_allclose(grad, want_grad, rtol=tol, atol=tol / z.shape[0])


def test_class_axis_in_the_middle_gives_the_transposed_result(small_chunks):
    rng = np.random.default_rng(5)
    z = rng.normal(size=(3, 6, 5))  # PyTorch's (N, C, d) layout
    target = rng.integers(0, 6, (3, 5))
    loss, grad = xent.softmax_cross_entropy_with_grad(z, target, axis=1, reduction="none")
    moved = np.moveaxis(z, 1, -1)
    want_loss, want_grad = plain_cross_entropy(moved, target, reduction="none")
    np.testing.assert_allclose(loss, want_loss, rtol=1e-13)
    np.testing.assert_allclose(grad, np.moveaxis(want_grad, -1, 1), rtol=1e-12, atol=1e-16)


def test_confident_rows_keep_their_tiny_loss_and_gradient(small_chunks):
    z = np.zeros((8, 3))
    z[:, 0] = np.linspace(40.0, 700.0, 8)
    loss, grad = xent.softmax_cross_entropy_with_grad(z, np.zeros(8, int), reduction="none")
    mass = 2 * np.exp(-z[:, 0])  # non-target mass; -log(1 - mass) = mass to first order
    np.testing.assert_allclose(loss, mass, rtol=1e-15)
    np.testing.assert_allclose(grad[:, 0], -mass, rtol=1e-15)


def test_every_thread_count_gives_bit_identical_results(monkeypatch, threads):
    monkeypatch.setattr(_rows, "CHUNK_ELEMENTS", 64)
    monkeypatch.setattr(_rows, "PARALLEL_ELEMENTS", 1)
    rng = np.random.default_rng(6)
    z = rng.normal(size=(101, 13)).astype(np.float32)
    target = rng.integers(0, 13, 101)
    results = []
    for count in (1, 2, 5):
        threads(count)
        results.append(xent.softmax_cross_entropy_with_grad(z, target, reduction="none"))
    for loss, grad in results[1:]:
        np.testing.assert_array_equal(loss, results[0][0])
        np.testing.assert_array_equal(grad, results[0][1])


def test_peak_memory_is_the_gradient_and_a_few_chunks():
    """Only the returned gradient is full-size: every temporary is a chunk of rows."""
    rng = np.random.default_rng(7)
    z = rng.normal(size=(512, 8192)).astype(np.float32)  # 16 MiB
    target = rng.integers(0, 8192, 512)
    chunk_bytes = _rows.CHUNK_ELEMENTS * 4
    slack = 2 * xent.get_num_threads() * chunk_bytes + (1 << 20)
    xent.softmax_cross_entropy(z[:2], target[:2])  # numba's import and compilation, once
    xent.softmax_cross_entropy(z, target)
    tracemalloc.start()
    try:
        _, grad = xent.softmax_cross_entropy_with_grad(z, target)
        _, with_grad_peak = tracemalloc.get_traced_memory()
        del grad
        tracemalloc.reset_peak()
        xent.softmax_cross_entropy(z, target)
        _, loss_only_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert with_grad_peak <= z.nbytes + slack, (with_grad_peak, z.nbytes)
    assert loss_only_peak <= slack, loss_only_peak


def test_only_the_non_finite_rows_take_the_plain_path():
    """One NaN row in a chunk of 16 costs one plain row, not the chunk."""
    rng = np.random.default_rng(8)
    z = rng.normal(size=(64, 4096)).astype(np.float32)  # 16 rows per chunk
    z[5, 7] = np.nan
    z[40:42, 0] = np.inf
    target = rng.integers(0, 4096, 64)
    ones = np.ones(64, dtype=np.float32)
    terms = _rows.RowTerms(target, ones, np.zeros_like(ones), ones, 1 / 64)
    seen = []

    def plain(z_rows, rows):
        seen.append((rows.start, rows.stop))
        loss, grad = plain_cross_entropy(z_rows, target[rows], reduction="none")
        return loss, grad

    loss, grad = _rows.index_cross_entropy(z, terms, None, 4096, True, z.dtype, plain)
    assert seen == [(5, 6), (40, 42)]
    want_loss, want_grad = plain_cross_entropy(z, target, reduction="none")
    np.testing.assert_allclose(loss, want_loss, rtol=2e-6)
    np.testing.assert_allclose(grad, want_grad / 64, rtol=2e-5, atol=1e-9)


# The numba-compiled kernel (xent._rows_numba) against the numpy one, which is the reference.


@pytest.fixture
def compiled(monkeypatch, small_chunks):
    """The compiled kernel for every float32 input, however small (skipped without numba)."""
    numba_kernel = pytest.importorskip("xent._rows_numba")
    monkeypatch.setattr(_rows, "_compiled", numba_kernel.fused_rows)
    monkeypatch.setattr(_rows, "COMPILED_ELEMENTS", 1)


def both_kernels(monkeypatch, call):
    """``call()`` by the compiled kernel (as set up), then by the numpy kernel."""
    fast = call()
    with monkeypatch.context() as patch:
        patch.setattr(_rows, "_compiled", None)
        reference = call()
    return fast, reference


def assert_float32_close(fast, reference):
    for got, want in zip(fast, reference, strict=False):
        got, want = np.asarray(got), np.asarray(want)
        assert got.dtype == want.dtype
        scale = max(float(np.max(np.abs(want))), 1e-30)
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6 * scale)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("eps", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_compiled_kernel_matches_the_numpy_kernel_for_every_option(
    compiled, monkeypatch, reduction, eps, weighted
):
    rng, z, target = random_case(11, num_rows=41, num_classes=29)
    z = z.astype(np.float32)
    target[::6] = -100
    weight = rng.uniform(0.0, 2.0, z.shape[1]).astype(np.float32) if weighted else None
    if weighted:
        weight[3] = 0.0
    fast, reference = both_kernels(
        monkeypatch,
        lambda: xent.softmax_cross_entropy_with_grad(
            z, target, weight=weight, reduction=reduction, label_smoothing=eps
        ),
    )
    assert_float32_close(fast, reference)
    loss_only = xent.softmax_cross_entropy(
        z, target, weight=weight, reduction=reduction, label_smoothing=eps
    )
    np.testing.assert_array_equal(loss_only, fast[0])


def test_compiled_kernel_sends_non_finite_rows_to_the_plain_version(compiled, monkeypatch):
    _, z, target = random_case(12, num_rows=40)
    z = z.astype(np.float32)
    z[4, 2] = np.inf
    z[9, :] = -np.inf
    z[17, 3] = np.nan
    z[25, [0, 5]] = -np.inf  # finite maximum: stays compiled, and e^-inf is exactly 0
    z[30, :] = [np.inf, np.inf, 0, 0, 0, 0, 0]
    weight = np.linspace(0.0, 1.5, z.shape[1]).astype(np.float32)
    for eps in (0.0, 0.2):
        fast, reference = both_kernels(
            monkeypatch,
            lambda eps=eps: xent.softmax_cross_entropy_with_grad(
                z, target, weight=weight, reduction="none", label_smoothing=eps
            ),
        )
        np.testing.assert_array_equal(np.isnan(fast[0]), np.isnan(reference[0]))
        np.testing.assert_array_equal(np.isnan(fast[1]), np.isnan(reference[1]))
        assert_float32_close(map(np.nan_to_num, fast), map(np.nan_to_num, reference))
        if eps == 0:
            assert fast[1][25, 0] == 0 and fast[1][25, 5] == 0


def test_compiled_kernel_keeps_a_confident_rows_tiny_loss(compiled):
    z = np.zeros((8, 3), dtype=np.float32)
    z[:, 0] = np.linspace(20.0, 80.0, 8)
    loss, grad = xent.softmax_cross_entropy_with_grad(z, np.zeros(8, int), reduction="none")
    mass = 2 * np.exp(-z[:, 0].astype(np.float64))
    np.testing.assert_allclose(loss, mass, rtol=1e-6)
    np.testing.assert_allclose(grad[:, 0], -mass, rtol=1e-6)


def test_compiled_kernel_keeps_classes_whose_exponentials_are_subnormal(compiled):
    # 999 classes 88 to 103 below the top: each e^{z_j - m} is a subnormal float32, their sum
    # (the loss) a normal one. Flushing them to 0 made the loss exactly 0.
    z = np.zeros((4, 1000), dtype=np.float32)
    z[:, 1:] = -np.linspace(88.0, 103.0, 999, dtype=np.float32)
    loss, grad = xent.softmax_cross_entropy_with_grad(z, np.zeros(4, int), reduction="none")
    mass = np.sum(np.exp(z[0, 1:].astype(np.float64)))
    np.testing.assert_allclose(loss, mass, rtol=1e-4)
    np.testing.assert_allclose(grad[:, 0], -mass, rtol=1e-4)


def _compiled_exp(x: np.ndarray) -> np.ndarray:
    """The compiled ``e^x`` of float32 ``x``, called as the kernel calls it: inlined into a loop
    compiled with the kernel's fast-math flags (reassociation included, so the loop
    vectorises)."""
    import numba

    from xent import _rows_numba as numba_kernel

    @numba.njit(fastmath=numba_kernel._FAST)
    def exp_all(x, out):
        for i in range(x.shape[0]):
            out[i] = numba_kernel.exp_nonpositive(x[i])

    got = np.empty_like(x)
    exp_all(x, got)
    return got


def _exponential_errors() -> dict[str, float]:
    """:func:`_compiled_exp` against the true ``e^x``: in float32 ulps where ``e^x`` is normal,
    and in units of the subnormals' fixed spacing ``2^-149`` where it is subnormal
    (``x < -87.3``)."""
    x = -np.concatenate([np.geomspace(1e-8, 110.0, 100_001), np.linspace(0.0, 103.9, 400_001)])
    x = np.concatenate([x.astype(np.float32), np.float32([0.0, -87.0, -87.5, -100.0])])
    got = _compiled_exp(x)
    want = np.exp(x.astype(np.float64))
    errors = np.abs(got - want) / np.spacing(want.astype(np.float32)).astype(np.float64)
    normal = want >= np.finfo(np.float32).tiny
    return {"normal": float(errors[normal].max()), "subnormal": float(errors[~normal].max())}


def test_compiled_exponential_is_within_one_ulp_as_the_kernel_runs_it():
    pytest.importorskip("xent._rows_numba")
    # Reassociation inside e^x folded its two-part ln 2 into one constant: 4.5 ulp here
    errors = _exponential_errors()
    assert errors["normal"] <= 1.1 and errors["subnormal"] <= 1.0, errors


def test_compiled_exponential_is_within_one_ulp_for_a_generic_cpu():
    # numba compiles for the CPU it runs on; for a plain x86-64 (no FMA, SSE2 vectors) the
    # same folding made it 68 ulp, and a confident row's tiny loss 3.5e-6 off
    pytest.importorskip("xent._rows_numba")
    code = (
        "import json, sys; sys.path.insert(0, 'tests'); "
        "from test_kernels import _exponential_errors; print(json.dumps(_exponential_errors()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "NUMBA_CPU_NAME": "generic"},
        capture_output=True,
        text=True,
        check=True,
    )
    errors = json.loads(done.stdout.strip().splitlines()[-1])
    assert errors["normal"] <= 1.1 and errors["subnormal"] <= 1.0, errors


def test_compiled_exponential_keeps_its_edges():
    pytest.importorskip("xent._rows_numba")
    x = -np.linspace(0.0, 110.0, 110_001).astype(np.float32)
    x = np.concatenate([x, np.float32([-104.0, -np.inf])])
    got = _compiled_exp(x)
    assert got[x == 0] == 1  # the top entry's e^0 is exactly 1
    assert np.all(got[(x > -103.0) & (x < -87.5)] > 0)  # subnormal, not flushed to 0
    assert np.all(got[x <= -104.0] == 0)


def test_compiled_kernel_is_bit_identical_for_every_thread_count(compiled, threads):
    rng = np.random.default_rng(13)
    z = rng.normal(size=(101, 13)).astype(np.float32)
    target = rng.integers(0, 13, 101)
    results = []
    for count in (1, 2, 5):
        threads(count)
        results.append(xent.softmax_cross_entropy_with_grad(z, target, reduction="none"))
    for loss, grad in results[1:]:
        np.testing.assert_array_equal(loss, results[0][0])
        np.testing.assert_array_equal(grad, results[0][1])


def test_without_numba_the_numpy_kernel_serves_large_inputs(monkeypatch):
    """The fallback: numba missing, the numpy kernel gives the same numbers."""
    monkeypatch.setitem(sys.modules, "xent._rows_numba", None)  # import raises ImportError
    monkeypatch.setattr(_rows, "_compiled", _rows._NOT_LOADED)
    monkeypatch.setattr(_rows, "COMPILED_ELEMENTS", 1 << 16)
    rng = np.random.default_rng(14)
    z = rng.normal(size=(64, 1 << 12)).astype(np.float32)  # past the compiled size
    target = rng.integers(0, z.shape[1], 64)
    assert z.size >= _rows.COMPILED_ELEMENTS
    loss, grad = xent.softmax_cross_entropy_with_grad(z, target)
    assert _rows._compiled is None
    want_loss, want_grad = plain_cross_entropy(z, target)
    np.testing.assert_allclose(loss, want_loss, rtol=2e-6)
    np.testing.assert_allclose(grad, want_grad, rtol=2e-5, atol=1e-10)


def test_float16_logits_are_upcast_a_chunk_at_a_time(monkeypatch):
    """No float32 copy of the whole input: the temporaries are a few chunks."""
    monkeypatch.setattr(_rows, "PARALLEL_ELEMENTS", 1 << 40)
    rng = np.random.default_rng(15)
    z = rng.normal(size=(512, 8192)).astype(np.float16)  # 8 MiB, 16 MiB in float32
    target = rng.integers(0, 8192, 512)
    terms = _rows.RowTerms(
        target, np.ones(512, np.float32), np.zeros(512, np.float32), np.ones(512, np.float32), 1.0
    )
    call = [z, terms, None, 8192, True, np.dtype(np.float16), None]
    tracemalloc.start()
    try:
        loss, grad = _rows.index_cross_entropy(*call)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert loss.dtype == np.float32 and grad.dtype == np.float16
    assert peak <= grad.nbytes + 3 * _rows.CHUNK_ELEMENTS * 4 + (1 << 20), peak
    want_loss, want_grad = plain_cross_entropy(z, target, reduction="none")
    np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
    np.testing.assert_allclose(grad, want_grad, rtol=2e-3, atol=1e-7)


@pytest.mark.parametrize("need_grad", [False, True])
def test_float16_entry_point_makes_no_float32_copy_of_the_logits(monkeypatch, need_grad):
    """From the public function down: temporaries stay a few blocks, not 2x the input."""
    monkeypatch.setattr(_rows, "PARALLEL_ELEMENTS", 1 << 40)
    rng = np.random.default_rng(16)
    z = (rng.normal(size=(512, 8192)) * 4).astype(np.float16)  # 8 MiB, 16 MiB in float32
    target = rng.integers(0, 8192, 512)
    function = xent.softmax_cross_entropy_with_grad if need_grad else xent.softmax_cross_entropy
    tracemalloc.start()
    try:
        result = function(z, target, label_smoothing=0.1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    loss, grad = result if need_grad else (result, None)
    returned = 0 if grad is None else grad.nbytes
    assert peak <= returned + 3 * _rows.CHUNK_ELEMENTS * 4 + (1 << 20), peak
    assert peak < returned + z.size * 4 // 2  # well under a float32 copy of the logits
    assert loss.dtype == np.float16 and (grad is None or grad.dtype == np.float16)
    want_loss, want_grad = xent.softmax_cross_entropy_with_grad(
        z.astype(np.float32), target, label_smoothing=0.1
    )
    np.testing.assert_allclose(loss, want_loss.astype(np.float16), rtol=1e-3)
    if grad is not None:
        np.testing.assert_array_equal(grad, want_grad.astype(np.float16))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_probability_targets_in_chunks_and_threads_equal_the_whole_array(
    small_chunks, dtype, reduction
):
    rng, z, _ = random_case(17)
    z[3, 2], z[5, :], z[8, 1] = np.nan, -np.inf, np.inf
    z = z.astype(dtype)
    p = rng.random(z.shape)
    p /= p.sum(axis=1, keepdims=True)
    w = rng.random(z.shape[1])
    loss, grad = xent.softmax_cross_entropy_with_grad(
        z, p, weight=w, label_smoothing=0.1, reduction=reduction
    )
    work = np.float32 if dtype == np.float16 else dtype
    with np.errstate(all="ignore"):
        whole, whole_grad, count = _soft_target_terms(
            _normalizer(z.astype(work)), p.astype(work), w.astype(work), 0.1, True
        )
        want, want_grad = _reduce(whole, whole_grad, reduction, count)
    np.testing.assert_array_equal(loss, np.asarray(want).astype(dtype))
    np.testing.assert_array_equal(grad, want_grad.astype(dtype))


def test_the_memory_of_a_threaded_call_does_not_depend_on_timing(monkeypatch, threads):
    """Each thread's chunk buffer exists before any thread starts: the same peak every time."""
    monkeypatch.setattr(_rows, "PARALLEL_ELEMENTS", 1)
    threads(2)
    # The unlucky timing, made certain: the second thread starts after the first has finished.
    one_at_a_time = ThreadPoolExecutor(max_workers=1)
    monkeypatch.setattr(_rows, "_executor", lambda workers: one_at_a_time)
    rng = np.random.default_rng(18)
    z = rng.normal(size=(512, 4096))  # float64: the numpy kernel, a scratch buffer per thread
    target = rng.integers(0, 4096, 512)
    xent.softmax_cross_entropy(z, target)
    chunk_bytes = _rows._rows_per_chunk(4096) * 4096 * 8
    peaks = []
    for _ in range(12):
        tracemalloc.start()
        xent.softmax_cross_entropy(z, target)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    # Both threads' buffers, every time; what varies is a few small per-chunk arrays.
    assert min(peaks) >= 2 * chunk_bytes, peaks
    assert max(peaks) - min(peaks) < chunk_bytes // 8, peaks
    one_at_a_time.shutdown()


@pytest.mark.parametrize("weight", [None, [1.5, 0.7, 2.0]])
def test_compiled_kernel_sums_a_smoothed_row_near_the_float32_limit_in_float64(compiled, weight):
    # three surprisals of 3e38 add up to 9e38; the row's loss, below 1.2e38, is a float32 number
    z = np.array([[3e38, -1e30, -2e30], [-3.7, -3.2, 5.3]], dtype=np.float32)
    y = np.array([0, 2])
    loss = xent.softmax_cross_entropy(z, y, weight=weight, reduction="none", label_smoothing=0.5)
    assert np.all(np.isfinite(loss)), loss
    w = np.ones(3) if weight is None else np.array(weight)
    want = 0.5 / 3 * (3e38 * w[0] + (3e38 + 1e30) * w[1] + (3e38 + 2e30) * w[2] - 3e38 * w[0])
    np.testing.assert_allclose(loss[0], want, rtol=1e-6)
    # a gap of 4e38, itself beyond float32, in a loss of 2e37 (of 4e37 weighted)
    z = np.array([[1e38, -3e38, 0.0]], dtype=np.float32)
    options = {"weight": weight, "reduction": "none", "label_smoothing": 0.1}
    loss = xent.softmax_cross_entropy(z, np.array([0]), **options)
    want = xent.softmax_cross_entropy(z.astype(np.float64), np.array([0]), **options)
    np.testing.assert_allclose(loss, want, rtol=1e-6)
    # the target's own gap of 4e38, at weight 0.5: a loss of 2e38
    z = np.array([[-3e38, 0.0, 1e38]], dtype=np.float32)
    options = {"weight": [0.5, 1.0, 1.0], "reduction": "none"}
    loss = xent.softmax_cross_entropy(z, np.array([0]), **options)
    want = xent.softmax_cross_entropy(z.astype(np.float64), np.array([0]), **options)
    np.testing.assert_allclose(loss, want, rtol=1e-6)
