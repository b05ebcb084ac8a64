"""The fused row-chunked kernel (xent._rows) against the plain version it replaces.

The plain version is ``_normalizer`` + ``_index_target_terms`` + ``_reduce``: the formulas of
the chapter, one full-size array at a time. The kernel must give the same numbers for every
option, every layout, every chunking and any number of threads, and must not allocate more
than the gradient it returns.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import xent
from xent import _rows
from xent.losses import _index_target_terms, _reduce
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
