r"""Cross-entropy over large vocabularies in bounded memory.

A language model with ``N`` positions and a vocabulary of ``V`` words produces an ``(N, V)``
matrix of logits: 8192 positions times 128,000 words is 4 GiB in float32, more than the model's
weights. The loss needs only one number per row, ``lse(z) - z_y``, and ``lse`` can be built
chunk by chunk from running ``(max, sum)`` pairs (Milakov and Gimelshein 2018):

.. math:: (m_a, s_a) \oplus (m_b, s_b) = \bigl(m, \; s_a e^{m_a - m} + s_b e^{m_b - m}\bigr),
          \qquad m = \max(m_a, m_b),

with ``lse = m + log s`` at the end. The gradient ``q - onehot(y)`` is then rebuilt chunk by
chunk from the logits, which are recomputed rather than stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from xent import _validate
from xent._docs import shared_args as _shared_args


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
    array, dtype = _validate.float_array(z, "z")
    axis = _validate.class_axis(array, axis, "z")
    chunk_size = _checked_chunk_size(chunk_size)
    array = np.moveaxis(array, axis, -1)
    state = LogSumExpState(
        np.full(array.shape[:-1], -np.inf, dtype=array.dtype),
        np.zeros(array.shape[:-1], dtype=array.dtype),
    )
    for start in range(0, array.shape[-1], chunk_size):
        block = array[..., start : start + chunk_size]
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
    t = np.asarray(target)
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


def _block_logits(inputs: _Inputs, rows: slice, cols: slice) -> np.ndarray:
    logits: np.ndarray = inputs.hidden[rows] @ inputs.classifier[cols].T
    if inputs.bias is not None:
        logits += inputs.bias[cols]
    return logits


def _row_statistics(
    inputs: _Inputs, rows: slice, chunk_size: int, smoothing: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One pass over the vocabulary for a block of rows.

    Returns the row maximum, the sum of ``e^{z_c - max}`` over the non-target classes, the
    target logit, and the sum of all logits (for label smoothing).
    """
    count = rows.stop - rows.start
    work = inputs.hidden.dtype
    state = LogSumExpState(np.full(count, -np.inf, dtype=work), np.zeros(count, dtype=work))
    target_logit = np.zeros(count, dtype=work)
    logit_sum = np.zeros(count, dtype=work)
    target = inputs.target[rows]
    row_index = np.arange(count)
    for cols in _blocks(inputs.classifier.shape[0], chunk_size):
        logits = _block_logits(inputs, rows, cols)
        here = (target >= cols.start) & (target < cols.stop)
        local = target[here] - cols.start
        target_logit[here] = logits[row_index[here], local]
        if smoothing:
            logit_sum += logits.sum(axis=1)
        block_max = logits.max(axis=1)
        # In place: the block is the only temporary of its size.
        exp_block = logits
        with np.errstate(invalid="ignore", over="ignore"):
            np.subtract(
                logits, np.where(np.isfinite(block_max), block_max, 0)[:, None], out=exp_block
            )
            np.exp(exp_block, out=exp_block)
        # Leave the target out of the sum: log1p of the rest keeps a tiny loss accurate.
        exp_block[row_index[here], local] = 0
        state = merge_logsumexp(state, LogSumExpState(block_max, exp_block.sum(axis=1)))
    return state.max, state.total, target_logit, logit_sum


def _loss_rows(
    row_max: np.ndarray, rest: np.ndarray, target_logit: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``-log q_y = log(1 + sum_{c != y} e^{z_c - z_y})`` and ``lse``, per row."""
    gap = row_max - target_logit
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        scaled = rest * np.exp(np.minimum(gap, 1.0))
        nll = np.where(gap <= 1.0, np.log1p(scaled), gap + np.log(rest + np.exp(-gap)))
    return nll, target_logit + nll


def _linear_cross_entropy(
    hidden: ArrayLike,
    classifier: ArrayLike,
    target: ArrayLike,
    bias: ArrayLike | None,
    chunk_size: int,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
    need_grad: bool,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray | None] | None]:
    reduction = _validate.reduction(reduction)
    eps = _validate.label_smoothing(label_smoothing)
    chunk_size = _checked_chunk_size(chunk_size)
    inputs = _inputs(hidden, classifier, target, bias, ignore_index)
    num_rows, vocab = inputs.hidden.shape[0], inputs.classifier.shape[0]
    work = inputs.hidden.dtype
    nll = np.zeros(num_rows, dtype=work)
    lse = np.zeros(num_rows, dtype=work)
    logit_sum = np.zeros(num_rows, dtype=work)
    for rows in _blocks(num_rows, chunk_size):
        row_max, rest, target_logit, logit_sum[rows] = _row_statistics(
            inputs, rows, chunk_size, eps > 0
        )
        nll[rows], lse[rows] = _loss_rows(row_max, rest, target_logit)
    loss = (1 - eps) * nll + eps / vocab * (vocab * lse - logit_sum) if eps else nll
    loss = np.where(inputs.ignored, 0, loss)
    kept = int(np.sum(~inputs.ignored))
    scale = np.where(inputs.ignored, 0, 1).astype(work)
    if reduction == "none":
        reduced = loss
    elif reduction == "sum":
        reduced = np.sum(loss)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            reduced = np.sum(loss) / kept
        if kept:
            scale /= kept
    out_loss = _validate.cast(reduced, inputs.dtype)
    if not need_grad:
        return out_loss, None

    # Each gradient is written by its first block and accumulated by the others, so no pass
    # zero-fills them first (with no rows at all, every gradient is zero).
    allocate = np.empty_like if num_rows else np.zeros_like
    d_hidden = allocate(inputs.hidden)
    d_classifier = allocate(inputs.classifier)
    d_bias = None if inputs.bias is None else allocate(inputs.bias)
    # The logit gradient is q - (1 - eps) onehot(y) - eps / V. At the target, q_y - 1 is
    # expm1(-nll): the non-target mass, kept even where q_y rounds to 1.
    target_grad = np.expm1(-nll) + eps * (1 - 1 / vocab)
    for rows in _blocks(num_rows, chunk_size):
        target = inputs.target[rows]
        row_index = np.arange(rows.stop - rows.start)
        for cols in _blocks(vocab, chunk_size):
            grad = _block_logits(inputs, rows, cols)
            with np.errstate(invalid="ignore", over="ignore"):
                np.subtract(grad, lse[rows][:, None], out=grad)
                np.exp(grad, out=grad)
            if eps:
                grad -= eps / vocab
            here = (target >= cols.start) & (target < cols.stop)
            grad[row_index[here], target[here] - cols.start] = target_grad[rows][here]
            grad *= scale[rows][:, None]
            if cols.start == 0:
                np.matmul(grad, inputs.classifier[cols], out=d_hidden[rows])
            else:
                d_hidden[rows] += grad @ inputs.classifier[cols]
            if rows.start == 0:
                np.matmul(grad.T, inputs.hidden[rows], out=d_classifier[cols])
            else:
                d_classifier[cols] += grad.T @ inputs.hidden[rows]
            if d_bias is not None:
                if rows.start == 0:
                    np.sum(grad, axis=0, out=d_bias[cols])
                else:
                    d_bias[cols] += grad.sum(axis=0)
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
        chunk_size: rows and classes per block (keyword-only): memory grows as
            ``chunk_size**2``, never as ``N * V``.
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
    chunk_size: int = 2048,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    r"""Softmax cross-entropy of the logits ``hidden @ classifier.T + bias``, never storing them.

    .. math:: \ell_n = \operatorname{lse}(W h_n + b) - (w_{y_n} \cdot h_n + b_{y_n})

    Equal to ``softmax_cross_entropy(hidden @ classifier.T + bias, target)`` (class-index targets,
    no class weights), computed block by block with an online log-sum-exp, so peak memory is a
    ``chunk_size x chunk_size`` block instead of the ``(N, V)`` logits.

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
    chunk_size: int = 2048,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    r"""Loss of :func:`linear_cross_entropy` and its gradients for hidden, classifier and bias.

    .. math:: G = \operatorname{softmax}(H W^\top + b) - Y, \qquad
              \frac{\partial \ell}{\partial H} = G W, \quad
              \frac{\partial \ell}{\partial W} = G^\top H, \quad
              \frac{\partial \ell}{\partial b} = \mathbf{1}^\top G

    ``G`` is built one block at a time from recomputed logits and folded into the three
    gradients at once, so it is never stored whole either.

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
