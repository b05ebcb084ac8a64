r"""Cross-entropy over large vocabularies in bounded memory.

A language model with ``N`` positions and a vocabulary of ``V`` words produces an ``(N, V)``
matrix of logits: 8192 positions times 128,000 words is 4 GiB in float32, more than the model's
weights. The loss needs only one number per row, ``lse(z) - z_y``, and ``lse`` can be built
chunk by chunk from running ``(max, sum)`` pairs (Milakov and Gimelshein 2018):

.. math:: (m_a, s_a) \oplus (m_b, s_b) = \bigl(m, \; s_a e^{m_a - m} + s_b e^{m_b - m}\bigr),
          \qquad m = \max(m_a, m_b),

with ``lse = m + log s`` at the end. :func:`linear_cross_entropy` goes one step further and
never forms the whole matrix: it computes the logits of a few rows at a time, across the whole
vocabulary, turns them into their loss and their share of the gradient ``q - onehot(y)`` in
place, and folds that into the gradients of ``hidden`` and ``classifier`` before the next rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from xent import _rows, _validate
from xent._docs import shared_args as _shared_args
from xent.losses import softmax_cross_entropy_with_grad


class LogSumExpState(NamedTuple):
    """A running log-sum-exp over the chunks seen so far: ``lse = max + log(total)``."""

    max: np.ndarray
    """Largest logit so far (``-inf`` before any)."""
    total: np.ndarray
    """``sum_j e^{z_j - max}`` over the logits so far."""


def merge_logsumexp(a: LogSumExpState, b: LogSumExpState) -> LogSumExpState:
    r"""Combine two partial log-sum-exp states into the state of their union.

    .. math:: (m_a, s_a) \oplus (m_b, s_b) = \bigl(m, \; s_a e^{m_a - m} + s_b e^{m_b - m}\bigr),
              \qquad m = \max(m_a, m_b)

    Associative and commutative, so chunks can be merged in any order or in parallel.

    Args:
        a: a state, arrays of any (matching) shape.
        b: another state of the same shape.

    Returns:
        The merged :class:`LogSumExpState`.

    Examples:
        >>> import numpy as np
        >>> from xent.large_vocab import LogSumExpState, merge_logsumexp
        >>> left = LogSumExpState(np.array(1.0), np.array(1.0))   # the chunk [1]
        >>> right = LogSumExpState(np.array(1.0), np.array(1.0))  # the chunk [1]
        >>> state = merge_logsumexp(left, right)
        >>> float(state.max + np.log(state.total))  # lse([1, 1]) = 1 + log 2
        1.6931471805599454

    References:
        Milakov, M. and Gimelshein, N. (2018). Online normalizer calculation for softmax.
        arXiv:1805.02867.
    """
    for name, state in (("a", a), ("b", b)):
        if not isinstance(state, LogSumExpState):
            raise TypeError(
                f"{name} must be a LogSumExpState (from chunked_logsumexp's chunks); "
                f"got {type(state).__name__}"
            )
    new_max = np.maximum(a.max, b.max)
    safe = np.where(np.isfinite(new_max), new_max, 0)
    with np.errstate(invalid="ignore", over="ignore"):
        total = a.total * np.exp(a.max - safe) + b.total * np.exp(b.max - safe)
    return LogSumExpState(new_max, total)


def chunked_logsumexp(z: ArrayLike, *, chunk_size: int, axis: int = -1) -> np.ndarray:
    r"""Log-sum-exp along ``axis``, reading the logits ``chunk_size`` columns at a time.

    .. math:: \operatorname{lse}(z) = m + \log s, \qquad
              (m, s) = \bigoplus_{\text{chunks } c} \Bigl(\max_{j \in c} z_j,
              \sum_{j \in c} e^{z_j - \max_{c} z}\Bigr)

    Equal to :func:`xent.logsumexp` up to rounding, with memory for one chunk at a time.
    float16 logits are computed in float32 one chunk at a time, never copied whole, and the
    result is float16.

    Args:
        z: logits, shape ``(..., V)``.
        chunk_size: number of classes per chunk, at least 1.
        axis: the class axis (keyword-only).

    Returns:
        Array of shape ``(...)``.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> z = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
        >>> bool(np.isclose(xent.chunked_logsumexp(z, chunk_size=2), xent.logsumexp(z)))
        True

    References:
        Milakov, M. and Gimelshein, N. (2018). Online normalizer calculation for softmax.
        arXiv:1805.02867.
    """
    raw = _validate.as_array(z, "z")
    if raw.dtype == np.float16:
        array, dtype = raw, raw.dtype  # upcast below, a chunk at a time
    else:
        array, dtype = _validate.float_array(raw, "z")
    work = _validate.working_dtype(dtype)
    axis = _validate.class_axis(array, axis, "z")
    chunk_size = _checked_chunk_size(chunk_size)
    array = np.moveaxis(array, axis, -1)
    state = LogSumExpState(
        np.full(array.shape[:-1], -np.inf, dtype=work),
        np.zeros(array.shape[:-1], dtype=work),
    )
    for start in range(0, array.shape[-1], chunk_size):
        block = array[..., start : start + chunk_size].astype(work, copy=False)
        block_max = np.max(block, axis=-1)
        safe = np.where(np.isfinite(block_max), block_max, 0)
        with np.errstate(invalid="ignore", over="ignore"):
            block_total = np.sum(np.exp(block - safe[..., None]), axis=-1)
        state = merge_logsumexp(state, LogSumExpState(block_max, block_total))
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(np.isinf(state.max), state.max, state.max + np.log(state.total))
    return _validate.cast(result, dtype)


def _checked_chunk_size(chunk_size: int) -> int:
    chunk_size = _validate.integer(chunk_size, "chunk_size")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1; got {chunk_size}")
    return chunk_size


#: The largest block of logits that linear cross-entropy holds by default, in bytes. With the
#: gradients' own arrays, its temporaries stay under 128 MiB; at V = 128,000 in float32 a block
#: of 245 rows ran 1.01x the naive time, one of 131 rows (64 MiB) 1.19x.
BLOCK_BYTES = 120 << 20


def _blocks(length: int, size: int) -> Iterator[slice]:
    for start in range(0, length, size):
        yield slice(start, min(start + size, length))


class _Inputs(NamedTuple):
    hidden: np.ndarray
    classifier: np.ndarray
    bias: np.ndarray | None
    target: np.ndarray
    ignored: np.ndarray
    dtype: np.dtype[Any]


def _inputs(
    hidden: ArrayLike,
    classifier: ArrayLike,
    target: ArrayLike,
    bias: ArrayLike | None,
    ignore_index: int,
) -> _Inputs:
    h, h_dtype = _validate.float_array(hidden, "hidden")
    w, w_dtype = _validate.float_array(classifier, "classifier")
    dtype = _validate.common_dtype(h_dtype, w_dtype)
    if h.ndim != 2 or w.ndim != 2 or h.shape[1] != w.shape[1]:
        raise ValueError(
            "hidden must have shape (N, D) and classifier (V, D) with the same D; "
            f"got {h.shape} and {w.shape}"
        )
    if w.shape[0] == 0:
        raise ValueError(f"classifier has zero classes (shape {w.shape})")
    work = _validate.working_dtype(dtype)
    b = None
    if bias is not None:
        b, b_dtype = _validate.float_array(bias, "bias")
        if b.shape != (w.shape[0],):
            raise ValueError(f"bias must have shape ({w.shape[0]},); got {b.shape}")
        dtype = _validate.common_dtype(dtype, b_dtype)
        work = _validate.working_dtype(dtype)
        b = b.astype(work, copy=False)
    t = _validate.as_array(target, "target")
    if t.dtype.kind not in "iu":
        raise TypeError(f"target must hold class indices (integer dtype); got dtype {t.dtype}")
    if t.shape != (h.shape[0],):
        raise ValueError(f"target must have shape ({h.shape[0]},), one index per row of hidden")
    ignore_index = _validate.integer(ignore_index, "ignore_index")
    ignored = _validate.class_indices(t, w.shape[0], ignore_index)
    safe_target = np.where(ignored, 0, t).astype(np.intp)
    return _Inputs(
        h.astype(work, copy=False), w.astype(work, copy=False), b, safe_target, ignored, dtype
    )


def _gemm(*arrays: np.ndarray) -> Any:
    """SciPy's BLAS ``gemm`` for these arrays (one float dtype, C-contiguous), else None.

    All three products of a block go through one BLAS library. numpy and SciPy each bring an
    OpenBLAS with its own threads, which spin for a while after a call: alternating between
    the two put four busy threads on two cores, and each product ran 1.5x slower than alone.
    """
    try:
        from scipy.linalg import blas
    except ImportError:  # pragma: no cover - SciPy is in requirements.txt
        return None
    dtype = arrays[0].dtype
    if not all(a.dtype == dtype and a.flags.c_contiguous for a in arrays):
        return None
    return {np.dtype(np.float32): blas.sgemm, np.dtype(np.float64): blas.dgemm}.get(dtype)


def _into(result: np.ndarray, out: np.ndarray) -> None:
    """``gemm`` wrote into ``out`` as asked, or (never seen) handed back a copy: put it there."""
    if not np.shares_memory(result, out):  # pragma: no cover
        out[...] = result


def _block_logits(inputs: _Inputs, rows: slice, out: np.ndarray) -> np.ndarray:
    """The logits of a block of rows across the whole vocabulary, written into ``out``."""
    hidden, classifier = inputs.hidden[rows], inputs.classifier
    gemm = _gemm(hidden, classifier, out)
    if gemm is None:
        np.matmul(hidden, classifier.T, out=out)
    else:
        # In Fortran's view of the same memory: out^T (V, R) = W (V, D) @ H^T (D, R).
        _into(gemm(1.0, classifier.T, hidden.T, trans_a=1, beta=0.0, c=out.T, overwrite_c=1).T, out)
    if inputs.bias is not None:
        out += inputs.bias
    return out


def _hidden_gradient(grad: np.ndarray, classifier: np.ndarray, out: np.ndarray) -> None:
    """``out = grad @ classifier``, ``out`` a block of rows of ``d_hidden``."""
    gemm = _gemm(grad, classifier, out)
    if gemm is None:
        # As (W^T G^T)^T: OpenBLAS multiplies a few long rows by W five times slower.
        out[...] = (classifier.T @ grad.T).T
        return
    # out^T (D, R) = W^T (D, V) @ G^T (V, R).
    _into(gemm(1.0, classifier.T, grad.T, beta=0.0, c=out.T, overwrite_c=1).T, out)


def _add_product(
    total: np.ndarray, grad: np.ndarray, hidden: np.ndarray, classes_per_slice: int
) -> None:
    """``total += grad.T @ hidden`` in place, ``total`` of shape ``(V, D)``.

    With SciPy, one BLAS ``gemm`` with ``beta = 1`` adds the product straight into ``total``:
    no temporary, and 25 % less processor time than the slices (measured at 131 rows).
    """
    gemm = _gemm(total, grad, hidden)
    if gemm is not None:
        # total^T (D, V) += hidden^T (D, R) @ grad (R, V).
        _into(gemm(1.0, hidden.T, grad.T, beta=1.0, c=total.T, trans_b=1, overwrite_c=1).T, total)
        return
    for classes in _blocks(total.shape[0], classes_per_slice):
        total[classes] += grad[:, classes].T @ hidden


def _linear_cross_entropy(
    hidden: ArrayLike,
    classifier: ArrayLike,
    target: ArrayLike,
    bias: ArrayLike | None,
    chunk_size: int | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
    need_grad: bool,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray | None] | None]:
    reduction = _validate.reduction(reduction)
    eps = _validate.label_smoothing(label_smoothing)
    inputs = _inputs(hidden, classifier, target, bias, ignore_index)
    num_rows, vocab = inputs.hidden.shape[0], inputs.classifier.shape[0]
    work = inputs.hidden.dtype
    kept = int(np.sum(~inputs.ignored))
    # Per row: loss = a nll + b sum_c (lse - z_c), with the target mass total = a + b V.
    a = np.where(inputs.ignored, 0, 1 - eps).astype(work)
    b = np.where(inputs.ignored, 0, eps / vocab).astype(work)
    scale = 1 / kept if reduction == "mean" and kept else 1
    terms = _rows.RowTerms(inputs.target, a, b, a + b * vocab, scale)
    raw_target = np.where(inputs.ignored, ignore_index, inputs.target)

    def plain(z_rows: np.ndarray, rows: slice) -> tuple[np.ndarray, np.ndarray | None]:
        """Rows whose largest logit is not finite: the public loss, row by row."""
        loss, grad = softmax_cross_entropy_with_grad(
            z_rows,
            raw_target[rows],
            ignore_index=ignore_index,
            reduction="none",
            label_smoothing=eps,
        )
        return loss, grad if need_grad else None

    # A block is a few rows across the whole vocabulary (BLOCK_BYTES of logits, or about
    # chunk_size**2 of them): computed once, turned into the gradient in place, and folded
    # into the three gradients.
    if chunk_size is None:
        per_block = BLOCK_BYTES // work.itemsize
    else:
        per_block = _checked_chunk_size(chunk_size) ** 2
    rows_per_block = max(1, min(num_rows, per_block // vocab))
    logits = np.empty((rows_per_block, vocab), dtype=work)
    loss = np.empty(num_rows, dtype=work)
    if need_grad:
        # d_hidden is written a block of rows at a time; d_classifier and d_bias add up
        # every block's share (with no rows at all, they stay zero).
        d_hidden = np.empty_like(inputs.hidden)
        d_classifier = np.zeros_like(inputs.classifier)
        d_bias = None if inputs.bias is None else np.zeros_like(inputs.bias)
        # Without SciPy, d_classifier += G^T H a slice of classes at a time: the product's
        # temporary stays near 16 MiB instead of the size of the classifier.
        classes_per_slice = max(1, (16 << 20) // (inputs.hidden.shape[1] * work.itemsize))
    for rows in _blocks(num_rows, rows_per_block):
        # A NaN or an infinity in the inputs propagates by design, without a warning.
        with np.errstate(invalid="ignore", over="ignore"):
            block = _block_logits(inputs, rows, logits[: rows.stop - rows.start])
            row_terms = _rows.RowTerms(
                terms.target[rows], terms.a[rows], terms.b[rows], terms.total[rows], scale
            )
            row_loss, grad = _rows.index_cross_entropy(
                block, row_terms, None, vocab, need_grad, work, plain, out=block
            )
            loss[rows] = row_loss
            if grad is None:
                continue
            _hidden_gradient(grad, inputs.classifier, d_hidden[rows])
            _add_product(d_classifier, grad, inputs.hidden[rows], classes_per_slice)
            if d_bias is not None:
                d_bias += grad.sum(axis=0)

    if reduction == "none":
        reduced = loss
    elif reduction == "sum":
        reduced = np.sum(loss)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            reduced = np.sum(loss) / kept
    out_loss = _validate.cast(reduced, inputs.dtype)
    if not need_grad:
        return out_loss, None
    grads = (
        _validate.cast(d_hidden, inputs.dtype),
        _validate.cast(d_classifier, inputs.dtype),
        None if d_bias is None else _validate.cast(d_bias, inputs.dtype),
    )
    return out_loss, grads


_LINEAR_DOC_ARGS = """    Args:
        hidden: the last hidden states ``h``, shape ``(N, D)``.
        classifier: the output projection ``W``, shape ``(V, D)``: one row per class.
        target: class indices of integer dtype, shape ``(N,)``.
        bias: optional bias ``b``, shape ``(V,)``.
        chunk_size: the size of a block (keyword-only): a block holds about
            ``chunk_size**2`` logits, ``max(1, chunk_size**2 // V)`` rows across the whole
            vocabulary. Memory grows as ``chunk_size**2``, never as ``N * V``. The default,
            None, gives a block of at most 120 MiB in any dtype (about 31 M float32 logits):
            larger blocks make fewer, faster passes over ``W`` and its gradient.
        ignore_index: a class index whose rows contribute nothing (padding).
        reduction: ``"mean"`` (over rows not ignored), ``"sum"`` or ``"none"``.
        label_smoothing: ``eps`` in [0, 1]; the target becomes ``(1 - eps) y + eps / V``.

"""


@_shared_args(_LINEAR_DOC_ARGS)
def linear_cross_entropy(
    hidden: ArrayLike,
    classifier: ArrayLike,
    target: ArrayLike,
    *,
    bias: ArrayLike | None = None,
    chunk_size: int | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    r"""Softmax cross-entropy of the logits ``hidden @ classifier.T + bias``, never storing them.

    .. math:: \ell_n = \operatorname{lse}(W h_n + b) - (w_{y_n} \cdot h_n + b_{y_n})

    Equal to ``softmax_cross_entropy(hidden @ classifier.T + bias, target)`` (class-index targets,
    no class weights), computed a block of rows at a time, so the memory it needs beyond its
    inputs is one block of logits (at most 120 MiB by default) instead of the ``(N, V)`` logits.
    Blocks are computed in float32 for float16 inputs.

    {args}
    Returns:
        The loss: a 0-d array, or shape ``(N,)`` for ``"none"``.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> rng = np.random.default_rng(0)
        >>> h, w = rng.normal(size=(5, 3)), rng.normal(size=(7, 3))
        >>> y = np.array([0, 6, 2, 2, 1])
        >>> naive = xent.softmax_cross_entropy(h @ w.T, y)
        >>> bool(np.isclose(xent.linear_cross_entropy(h, w, y, chunk_size=2), naive))
        True

    References:
        Milakov, M. and Gimelshein, N. (2018). Online normalizer calculation for softmax.
        Wijmans, E. et al. (2025). Cut your losses in large-vocabulary language models. *ICLR*.
    """
    loss, _ = _linear_cross_entropy(
        hidden,
        classifier,
        target,
        bias,
        chunk_size,
        ignore_index,
        reduction,
        label_smoothing,
        False,
    )
    return loss


@_shared_args(_LINEAR_DOC_ARGS)
def linear_cross_entropy_with_grad(
    hidden: ArrayLike,
    classifier: ArrayLike,
    target: ArrayLike,
    *,
    bias: ArrayLike | None = None,
    chunk_size: int | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    r"""Loss of :func:`linear_cross_entropy` and its gradients for hidden, classifier and bias.

    .. math:: G = \operatorname{softmax}(H W^\top + b) - Y, \qquad
              \frac{\partial \ell}{\partial H} = G W, \quad
              \frac{\partial \ell}{\partial W} = G^\top H, \quad
              \frac{\partial \ell}{\partial b} = \mathbf{1}^\top G

    Each block of logits is computed once and turned into its block of ``G`` in place, which is
    folded into the three gradients at once, so ``G`` is never stored whole either. Beyond the
    returned gradients, the memory is one block (and, without SciPy, a slice of ``G^T H`` of at
    most 16 MiB).

    {args}
    Returns:
        ``(loss, (d_hidden, d_classifier, d_bias))``; ``d_bias`` is None without a bias.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> rng = np.random.default_rng(0)
        >>> h, w = rng.normal(size=(4, 3)), rng.normal(size=(6, 3))
        >>> y = np.array([1, 5, 0, 2])
        >>> loss, (dh, dw, db) = xent.linear_cross_entropy_with_grad(h, w, y, chunk_size=4)
        >>> g = xent.softmax_cross_entropy_grad(h @ w.T, y)
        >>> bool(np.allclose(dh, g @ w) and np.allclose(dw, g.T @ h)), db is None
        (True, True)

    References:
        Wijmans, E. et al. (2025). Cut your losses in large-vocabulary language models. *ICLR*.
    """
    loss, grads = _linear_cross_entropy(
        hidden,
        classifier,
        target,
        bias,
        chunk_size,
        ignore_index,
        reduction,
        label_smoothing,
        True,
    )
    assert grads is not None
    return loss, grads
