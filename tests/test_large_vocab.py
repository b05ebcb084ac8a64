"""Large vocabularies: the chunked loss equals the naive one without storing the logits."""

from __future__ import annotations

import sys
import tracemalloc

import numpy as np
import pytest

import xent
from xent import large_vocab
from xent.large_vocab import LogSumExpState, merge_logsumexp

N, V, D = 13, 29, 5


def _problem(seed: int = 0, bias: bool = True) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    hidden = rng.normal(size=(N, D))
    weight = rng.normal(size=(V, D))
    b = rng.normal(size=V) if bias else None
    target = rng.integers(0, V, size=N)
    target[3] = -100
    return hidden, weight, b, target  # type: ignore[return-value]


def _naive(hidden, weight, bias, target, **kwargs):  # type: ignore[no-untyped-def]
    logits = hidden @ weight.T + (0 if bias is None else bias)
    loss, g = xent.softmax_cross_entropy_with_grad(logits, target, **kwargs)
    d_bias = None if bias is None else g.sum(axis=0)
    return loss, (g @ weight, g.T @ hidden, d_bias)


@pytest.mark.parametrize("chunk_size", [1, 7, 16, 1000])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("bias", [True, False])
def test_chunked_loss_and_gradients_equal_the_naive_ones(
    chunk_size: int, reduction: str, label_smoothing: float, bias: bool
) -> None:
    hidden, weight, b, target = _problem(chunk_size, bias)
    kwargs = {"reduction": reduction, "label_smoothing": label_smoothing}
    loss, grads = xent.linear_cross_entropy_with_grad(
        hidden, weight, target, bias=b, chunk_size=chunk_size, **kwargs
    )
    naive_loss, naive_grads = _naive(hidden, weight, b, target, **kwargs)
    np.testing.assert_allclose(loss, naive_loss, rtol=1e-12)
    np.testing.assert_allclose(
        xent.linear_cross_entropy(hidden, weight, target, bias=b, chunk_size=chunk_size, **kwargs),
        naive_loss,
        rtol=1e-12,
    )
    for got, expected in zip(grads, naive_grads, strict=True):
        if expected is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-14)


def test_weight_gradient_equals_finite_differences() -> None:
    hidden, weight, b, target = _problem(4)

    def loss(w: np.ndarray) -> float:
        return float(xent.linear_cross_entropy(hidden, w, target, bias=b, chunk_size=4))

    def grad(w: np.ndarray) -> np.ndarray:
        _, (_, d_weight, _) = xent.linear_cross_entropy_with_grad(
            hidden, w, target, bias=b, chunk_size=4
        )
        return d_weight

    check = xent.check_gradient(loss, grad, weight)
    assert check.passed, check.max_relative_error


def test_confident_rows_keep_full_relative_accuracy() -> None:
    hidden = np.array([[1.0, 0.0]])
    weight = np.array([[60.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    loss, (d_hidden, _, _) = xent.linear_cross_entropy_with_grad(
        hidden, weight, np.array([0]), chunk_size=1
    )
    exact = np.log1p(2 * np.exp(-60.0))
    assert float(loss) == pytest.approx(exact, rel=1e-14)
    mass = 2 * np.exp(-60.0)
    assert d_hidden[0, 0] == pytest.approx(-60 * mass / (1 + mass), rel=1e-13)


def test_merge_is_associative_and_matches_logsumexp() -> None:
    z = np.random.default_rng(1).normal(size=10) * 30

    def state(chunk: np.ndarray) -> LogSumExpState:
        m = chunk.max()
        return LogSumExpState(np.array(m), np.array(np.exp(chunk - m).sum()))

    a, b, c = state(z[:3]), state(z[3:7]), state(z[7:])
    left = merge_logsumexp(merge_logsumexp(a, b), c)
    right = merge_logsumexp(a, merge_logsumexp(b, c))
    for s in (left, right):
        assert float(s.max + np.log(s.total)) == pytest.approx(float(xent.logsumexp(z)), rel=1e-14)


@pytest.mark.parametrize("chunk_size", [1, 3, 50])
def test_chunked_logsumexp_equals_logsumexp_including_infinities(chunk_size: int) -> None:
    z = np.random.default_rng(2).normal(size=(4, 11)) * 100
    z[1, 4] = -np.inf
    z[2, :] = -np.inf
    z[3, 7] = np.inf
    np.testing.assert_allclose(
        xent.chunked_logsumexp(z, chunk_size=chunk_size), xent.logsumexp(z), rtol=1e-14
    )


def test_chunked_memory_stays_far_below_the_logits_matrix() -> None:
    rng = np.random.default_rng(3)
    hidden = rng.normal(size=(512, 16)).astype(np.float32)
    weight = rng.normal(size=(8192, 16)).astype(np.float32)
    target = rng.integers(0, 8192, size=512)
    logits_bytes = 512 * 8192 * 4
    tracemalloc.start()
    xent.linear_cross_entropy_with_grad(hidden, weight, target, chunk_size=128)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    outputs = hidden.nbytes + weight.nbytes
    assert peak - outputs < logits_bytes / 8


def test_all_rows_ignored_gives_nan_mean_and_zero_gradient() -> None:
    hidden, weight, b, _ = _problem(5)
    target = np.full(N, -100)
    loss, (dh, dw, db) = xent.linear_cross_entropy_with_grad(hidden, weight, target, bias=b)
    assert np.isnan(loss)
    assert not dh.any() and not dw.any() and db is not None and not db.any()


def test_float32_inputs_give_float32_outputs() -> None:
    hidden, weight, _, target = _problem(6, bias=False)
    loss, grads = xent.linear_cross_entropy_with_grad(
        hidden.astype(np.float32), weight.astype(np.float32), target, chunk_size=8
    )
    assert loss.dtype == np.float32 and grads[0].dtype == np.float32
    naive, _ = _naive(hidden, weight, None, target)
    assert float(loss) == pytest.approx(float(naive), rel=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"hidden": np.zeros((2, 3)), "classifier": np.zeros((4, 2))}, ValueError, "hidden"),
        ({"target": np.array([0.0, 1.0])}, TypeError, "target"),
        ({"target": np.array([0, 9])}, IndexError, "target"),
        ({"target": np.array([0])}, ValueError, "target"),
        ({"bias": np.zeros(3)}, ValueError, "bias"),
        ({"chunk_size": 0}, ValueError, "chunk_size"),
        ({"reduction": "avg"}, ValueError, "reduction"),
        ({"label_smoothing": 2.0}, ValueError, "label_smoothing"),
        ({"classifier": np.zeros((0, 3))}, ValueError, "zero classes"),
    ],
)
def test_linear_cross_entropy_rejects_bad_input(kwargs: dict, error: type, match: str) -> None:
    args = {"hidden": np.zeros((2, 3)), "classifier": np.zeros((4, 3)), "target": np.array([0, 1])}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        xent.linear_cross_entropy(**args)


def test_no_rows_gives_zero_gradients_not_uninitialised_memory() -> None:
    hidden, weight, bias = np.zeros((0, 3)), np.ones((4, 3)), np.ones(4)
    loss, (d_hidden, d_weight, d_bias) = xent.linear_cross_entropy_with_grad(
        hidden, weight, np.zeros(0, dtype=int), bias=bias, reduction="sum"
    )
    assert float(loss) == 0.0 and d_hidden.shape == (0, 3)
    assert d_bias is not None
    assert not d_weight.any() and not d_bias.any()


@pytest.fixture
def compiled_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The numba-compiled kernel for every float32 block, however small (skipped without it)."""
    from xent import _rows

    numba_kernel = pytest.importorskip("xent._rows_numba")
    monkeypatch.setattr(_rows, "_compiled", numba_kernel.fused_rows)
    monkeypatch.setattr(_rows, "COMPILED_ELEMENTS", 1)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_float32_blocks_through_the_compiled_kernel_equal_the_naive_loss(
    compiled_blocks: None, label_smoothing: float, reduction: str
) -> None:
    hidden, weight, b, target = _problem(8)
    args = (hidden.astype(np.float32), weight.astype(np.float32), target)
    kwargs = {"reduction": reduction, "label_smoothing": label_smoothing}
    loss, grads = xent.linear_cross_entropy_with_grad(
        *args, bias=b.astype(np.float32), chunk_size=9, **kwargs
    )
    want_loss, want_grads = _naive(hidden, weight, b, target, **kwargs)
    for got, expected in zip((loss, *grads), (want_loss, *want_grads), strict=True):
        scale = np.max(np.abs(expected))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("float32", [False, True])
def test_rows_with_non_finite_logits_match_the_naive_version(
    compiled_blocks: None, float32: bool
) -> None:
    """Such rows are redone by the plain formulas, even though the block is worked in place."""
    hidden, weight, _, target = _problem(9, bias=False)
    hidden[2, 0] = np.nan
    hidden[5, :] = np.inf
    if float32:
        hidden, weight = hidden.astype(np.float32), weight.astype(np.float32)
    loss, (d_hidden, _, _) = xent.linear_cross_entropy_with_grad(
        hidden, weight, target, reduction="none", chunk_size=8
    )
    with np.errstate(invalid="ignore"):
        want_loss, (want_d_hidden, _, _) = _naive(hidden, weight, None, target, reduction="none")
    np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
    np.testing.assert_allclose(d_hidden, want_d_hidden, rtol=1e-5, atol=1e-6)
    assert np.isnan(loss[2]) and np.isnan(loss[5])


def test_each_block_of_logits_is_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from xent import large_vocab

    calls = []
    original = large_vocab._block_logits

    def counting(inputs, rows, out):  # type: ignore[no-untyped-def]
        calls.append((rows.start, rows.stop))
        return original(inputs, rows, out)

    monkeypatch.setattr(large_vocab, "_block_logits", counting)
    hidden, weight, b, target = _problem(10)
    xent.linear_cross_entropy_with_grad(hidden, weight, target, bias=b, chunk_size=10)
    rows_per_block = 10 * 10 // V  # 3 rows of all 29 classes
    assert calls == [(start, min(start + 3, N)) for start in range(0, N, rows_per_block)]


def test_temporaries_beyond_the_gradients_are_one_block_and_a_slice() -> None:
    rng = np.random.default_rng(11)
    hidden = rng.normal(size=(1024, 64)).astype(np.float32)
    weight = rng.normal(size=(20000, 64)).astype(np.float32)
    target = rng.integers(0, 20000, size=1024)
    chunk_size = 1024  # 52 rows of 20000 logits: 4 MiB
    xent.linear_cross_entropy_with_grad(hidden, weight, target, chunk_size=chunk_size)
    tracemalloc.start()
    xent.linear_cross_entropy_with_grad(hidden, weight, target, chunk_size=chunk_size)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    outputs = hidden.nbytes + weight.nbytes
    block = chunk_size * chunk_size * 4
    class_slice = min(16 << 20, weight.nbytes)  # G[:, slice].T @ H, added to d_classifier
    assert peak - outputs <= block + class_slice + (1 << 20), (peak - outputs) / 2**20


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_default_block_has_the_same_bytes_in_every_dtype(
    monkeypatch: pytest.MonkeyPatch, dtype: type
) -> None:
    monkeypatch.setattr(large_vocab, "BLOCK_BYTES", 4 << 20)
    rng = np.random.default_rng(13)
    hidden = rng.normal(size=(1024, 64)).astype(dtype)
    weight = rng.normal(size=(20000, 64)).astype(dtype)
    target = rng.integers(0, 20000, size=1024)
    xent.linear_cross_entropy_with_grad(hidden[:2], weight, target[:2])  # imports, threads
    tracemalloc.start()
    loss, _ = xent.linear_cross_entropy_with_grad(hidden, weight, target)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    beyond = peak - hidden.nbytes - weight.nbytes
    assert (4 << 20) - 20000 * 8 <= beyond <= (4 << 20) + (1 << 20), beyond / 2**20
    naive = xent.softmax_cross_entropy(hidden @ weight.T, target)
    np.testing.assert_allclose(loss, naive, rtol=1e-5)


def test_chunked_logsumexp_upcasts_float16_a_chunk_at_a_time() -> None:
    z = np.random.default_rng(12).normal(size=(64, 16384)).astype(np.float16) * 20  # 2 MiB
    want = xent.logsumexp(z.astype(np.float64))
    tracemalloc.start()
    got = xent.chunked_logsumexp(z, chunk_size=1024)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=1e-3)
    assert peak < z.nbytes / 2  # a float32 copy of the whole input would be 2x z.nbytes


def test_without_scipy_the_classifier_gradient_is_added_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SciPy's gemm adds into d_classifier in place; without it, numpy slices give the same."""
    from xent import large_vocab

    hidden, weight, b, target = _problem(13)
    want = xent.linear_cross_entropy_with_grad(hidden, weight, target, bias=b, chunk_size=8)
    monkeypatch.setitem(sys.modules, "scipy.linalg", None)
    calls = []
    original = large_vocab._blocks

    def counting(length: int, size: int):  # type: ignore[no-untyped-def]
        calls.append(size)
        return original(length, size)

    monkeypatch.setattr(large_vocab, "_blocks", counting)
    got = xent.linear_cross_entropy_with_grad(hidden, weight, target, bias=b, chunk_size=8)
    assert len(calls) > 1  # the row blocks, and the class slices of the fallback
    np.testing.assert_allclose(got[0], want[0], rtol=1e-14)
    for g, w in zip(got[1], want[1], strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-15)
