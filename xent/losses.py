"""Losses on logits and probabilities, with their analytic gradients.

Semantics follow ``torch.nn.functional`` (``cross_entropy``, ``nll_loss``,
``binary_cross_entropy``, ``binary_cross_entropy_with_logits``): the same ``weight``,
``ignore_index``, ``reduction`` and ``label_smoothing`` rules, including what ``"mean"``
divides by. The deliberate differences are few and stated where they occur.

For ``reduction="none"`` the gradient functions return the gradient of the *sum* of the
per-sample losses: each row holds the gradient of its own loss.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple, ParamSpec

import numpy as np
from numpy.typing import ArrayLike

from xent import _rows, _validate
from xent.softmax import _non_top_mass, _normalizer, _top_entry, sigmoid
from xent.special import softplus


class _Target(NamedTuple):
    indices: np.ndarray | None  # class indices (..., ), ignored entries set to 0
    ignored: np.ndarray | None  # bool (..., )
    probs: np.ndarray | None  # probabilities (..., K), class axis last


def _target(
    target: ArrayLike,
    logits_shape: tuple[int, ...],
    axis: int,
    ignore_index: int,
    work: Any,
    axis_label: int | None = None,
) -> _Target:
    """Read ``target`` as class indices (integer dtype) or probabilities (float dtype).

    ``axis_label`` is the class axis as the user wrote it, for error messages.
    """
    array = _validate.as_array(target, "target")
    kind = array.dtype.kind
    num_classes = logits_shape[axis]
    if kind in "iu":
        expected = logits_shape[:axis] + logits_shape[axis + 1 :]
        if array.shape != expected:
            raise ValueError(
                f"target of class indices must have the shape of logits without the class axis "
                f"{expected}; got {array.shape}"
            )
        ignore_index = _validate.integer(ignore_index, "ignore_index")
        ignored = _validate.class_indices(array, num_classes, ignore_index)
        return _Target(np.where(ignored, 0, array).astype(np.intp), ignored, None)
    if kind == "f":
        probs, probs_dtype = _validate.float_array(array, "target")
        if probs.shape != logits_shape:
            raise ValueError(
                f"target of probabilities must have the shape of logits {logits_shape}; "
                f"got {probs.shape}"
            )
        if ignore_index != -100:
            # PyTorch raises too: no sample of a probability target can be "ignored".
            raise ValueError(
                "ignore_index applies to class-index targets only; got "
                f"ignore_index={ignore_index!r} with a target of probabilities"
            )
        _validate.distribution(probs, axis, "target", probs_dtype, axis_label)
        return _Target(None, None, _validate.cast(np.moveaxis(probs, axis, -1), work))
    raise TypeError(
        "target must hold class indices (integer dtype) or probabilities (float dtype); "
        f"got dtype {array.dtype}"
    )


def _loss_normalizer(z: np.ndarray) -> Any:
    """:func:`xent.softmax._normalizer` for a loss, whose terms are the gaps ``m - z_c``.

    A gap between two finite logits can be beyond the dtype's range (3e38 - (-3e38) in
    float32) while the loss is not (a weight or a probability of 0.1 times it): where one came
    out -inf, the rows are decomposed again in float64, and the caller rounds the loss once to
    the dtype. Other inputs are untouched. (The fused kernels of :mod:`xent._rows` take their
    gaps in float64 themselves.)
    """
    parts = _normalizer(z)
    if z.dtype.itemsize < 8:
        overflowed = np.isneginf(parts.shifted) & np.isfinite(z) & np.isfinite(parts.row_max)
        if overflowed.any():
            return _normalizer(z.astype(np.float64))
    return parts


def _reduce(
    per_sample: np.ndarray,
    grad: np.ndarray | None,
    reduction: str,
    denominator: Any,
    ignored: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Sum or average per-sample losses; ``grad`` (class axis last) is scaled to match."""
    if reduction == "none":
        return per_sample, grad
    dtype = per_sample.dtype
    with np.errstate(over="ignore", invalid="ignore"):
        # Summed in float64 (at least) and rounded once to the dtype: a float32 mean of losses
        # near 1e38 is a float32 number though their float32 sum is not (it was inf). A sum
        # beyond the dtype's range is inf, the right answer in that dtype; inf - inf is NaN,
        # said by the value, not by a warning.
        total = np.sum(per_sample, dtype=np.result_type(dtype, np.float64))
        if reduction == "sum":
            return total.astype(dtype), grad
        if denominator != 0:
            mean = (total / denominator).astype(dtype)
            return mean, None if grad is None else grad / denominator
    return _nothing_to_average(dtype, grad, ignored)


def _nothing_to_average(
    dtype: Any, grad: np.ndarray | None, ignored: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """PyTorch's ``"mean"`` over a zero total weight: the loss is ``0 / 0 = nan``.

    Its gradient is 0 on ignored samples (nothing pulls on them) and NaN on every sample that
    counts with weight 0 (``-w / sum w = 0 / 0``), whatever the label smoothing adds.
    """
    mean = np.asarray(np.nan, dtype=dtype)
    if grad is not None:
        skip = False if ignored is None else ignored.reshape(grad.shape[:-1] + (1,))
        grad = np.where(skip, 0, np.nan).astype(grad.dtype) * np.ones_like(grad)
    return mean, grad


# --- One definition per loss, three entry points ----------------------------------------------
#
# Each loss is computed by one private function ``_f(..., need_grad)`` and defined in public by
# ``f``, whose signature and ``Args`` are the only copy. ``f_grad`` and ``f_with_grad`` are
# derived from the two: same signature, their own docstring (with ``f``'s ``Args`` put in
# where it says ``{args}``), and typed by ``f``'s parameters for mypy.

_P = ParamSpec("_P")
_Compute = Callable[..., tuple[np.ndarray, np.ndarray | None]]


def _args_section(loss: Callable[..., Any]) -> str:
    doc = loss.__doc__ or ""
    return doc[doc.index("    Args:\n") : doc.index("    Returns:\n")]


def _entry_point(
    loss: Callable[..., Any], call: Callable[..., Any], suffix: str, doc: str, returns: str
) -> None:
    """Name, document and sign ``call`` as ``loss.__name__ + suffix``."""
    call.__name__ = call.__qualname__ = loss.__name__ + suffix
    call.__module__ = loss.__module__
    call.__doc__ = doc.replace("    {args}\n", _args_section(loss))
    signature = inspect.signature(loss)
    call.__signature__ = signature.replace(return_annotation=returns)  # type: ignore[attr-defined]


def _gradient(
    loss: Callable[_P, np.ndarray], compute: _Compute, doc: str
) -> Callable[_P, np.ndarray]:
    """``loss``'s gradient with respect to its first argument, as a function of its own."""
    signature = inspect.signature(loss)

    def gradient(*args: _P.args, **kwargs: _P.kwargs) -> np.ndarray:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        _, grad = compute(**bound.arguments, need_grad=True)
        assert grad is not None
        return grad

    _entry_point(loss, gradient, "_grad", doc, "np.ndarray")
    return gradient


def _loss_and_gradient(
    loss: Callable[_P, np.ndarray], compute: _Compute, doc: str
) -> Callable[_P, tuple[np.ndarray, np.ndarray]]:
    """``loss`` and its gradient from one pass, as a function of its own."""
    signature = inspect.signature(loss)

    def loss_and_gradient(*args: _P.args, **kwargs: _P.kwargs) -> tuple[np.ndarray, np.ndarray]:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        value, grad = compute(**bound.arguments, need_grad=True)
        assert grad is not None
        return value, grad

    _entry_point(loss, loss_and_gradient, "_with_grad", doc, "tuple[np.ndarray, np.ndarray]")
    return loss_and_gradient


def _softmax_cross_entropy(
    logits: ArrayLike,
    target: ArrayLike,
    axis: int,
    weight: ArrayLike | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
    need_grad: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    reduction = _validate.reduction(reduction)
    eps = _validate.label_smoothing(label_smoothing)
    axis_label = axis
    # float16 stays float16 here: the row kernel upcasts it a block at a time.
    z, axis, dtype = _validate.logits(logits, axis, "logits", keep_float16=True)
    logits_shape = np.moveaxis(z, -1, axis).shape
    num_classes = z.shape[-1]
    work = _validate.working_dtype(z.dtype)
    w = _validate.class_weight(weight, num_classes, work)
    tgt = _target(target, logits_shape, axis, ignore_index, work, axis_label)
    if tgt.probs is None:
        assert tgt.indices is not None and tgt.ignored is not None
        return _fused_index_target(
            z, axis, dtype, tgt.indices, tgt.ignored, w, eps, reduction, need_grad
        )
    return _soft_target_rows(z, axis, dtype, tgt.probs, w, eps, reduction, need_grad)


def _soft_target_rows(
    z: np.ndarray,
    axis: int,
    dtype: np.dtype[Any],
    probs: np.ndarray,
    w: np.ndarray | None,
    eps: float,
    reduction: str,
    need_grad: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Probability targets: the plain formulas, a chunk of rows at a time on every core.

    Each chunk's dozen passes run in cache; a float16 chunk is upcast on its own. The gradient
    is scaled for ``"mean"`` in the chunk, so no pass over the whole array follows.
    """
    num_classes = z.shape[-1]
    work = _validate.working_dtype(z.dtype)
    z2 = z.reshape(-1, num_classes)
    p2 = probs.reshape(-1, num_classes)  # the shape of z, checked by _target
    num_rows = z2.shape[0]
    loss = np.empty(num_rows, dtype=work)
    grad = np.empty(z2.shape, dtype=dtype) if need_grad else None
    denominator = num_rows if reduction == "mean" and num_rows else 1

    def run(part: list[slice], _: None) -> None:
        # -log q_c = log1p(r) - (z_c - m): exact at the top class, where log1p(r) ~ r is tiny.
        with np.errstate(invalid="ignore", over="ignore"):
            for rows in part:
                parts = _loss_normalizer(z2[rows].astype(work, copy=False))
                row_loss, row_grad, _ = _soft_target_terms(parts, p2[rows], w, eps, need_grad)
                loss[rows] = row_loss
                if grad is not None:
                    assert row_grad is not None
                    np.divide(row_grad, denominator, out=grad[rows], casting="unsafe")

    _rows.in_chunks(num_rows, num_classes, run)
    reduced, _ = _reduce(loss.reshape(z.shape[:-1]), None, reduction, num_rows)
    out_grad = None if grad is None else np.moveaxis(grad.reshape(z.shape), -1, axis)
    return _validate.cast(reduced, dtype), out_grad


def _fused_index_target(
    z: np.ndarray,
    axis: int,
    dtype: np.dtype[Any],
    indices: np.ndarray,
    ignored: np.ndarray,
    w: np.ndarray | None,
    eps: float,
    reduction: str,
    need_grad: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Class-index targets through the row-chunked kernel of :mod:`xent._rows`."""
    num_classes = z.shape[-1]
    batch_shape = z.shape[:-1]
    z2 = z.reshape(-1, num_classes)
    target = indices.reshape(-1)
    skip = ignored.reshape(-1)
    work = _validate.working_dtype(z.dtype)
    w_y = np.ones(target.shape, dtype=work) if w is None else w[target]
    w_y = np.where(skip, 0, w_y)
    w_total = num_classes if w is None else np.sum(w)
    a = (1 - eps) * w_y
    b = np.where(skip, 0, eps / num_classes).astype(work)
    denominator = np.sum(w_y)
    scale = 1 / denominator if reduction == "mean" and denominator != 0 else 1
    terms = _rows.RowTerms(target, a, b, a + b * w_total, scale)

    def plain(z_rows: np.ndarray, rows: slice) -> tuple[np.ndarray, np.ndarray | None]:
        loss, grad, _ = _index_target_terms(
            _loss_normalizer(z_rows), target[rows], skip[rows], w, eps, need_grad
        )
        return loss, grad

    loss, grad = _rows.index_cross_entropy(z2, terms, w, w_total, need_grad, dtype, plain)
    # The gradient is scaled already, inside the kernel.
    reduced, _ = _reduce(loss.reshape(batch_shape), None, reduction, denominator)
    if grad is not None and reduction == "mean" and denominator == 0:
        _, grad = _nothing_to_average(loss.dtype, grad, skip)
    out_grad = None
    if grad is not None:
        out_grad = np.moveaxis(grad.reshape(z.shape), -1, axis)
    return _validate.cast(reduced, dtype), out_grad


def _top_entries_fixed(
    grad: np.ndarray, parts: Any, total_mass: np.ndarray, mass_off_top: np.ndarray
) -> np.ndarray:
    """Put :func:`xent.softmax._top_entry` at each row's top class of ``grad``."""
    np.put_along_axis(grad, parts.top, _top_entry(total_mass, mass_off_top, parts.rest), axis=-1)
    return grad


def _index_target_terms(
    parts: Any,
    indices: np.ndarray,
    ignored: np.ndarray,
    w: np.ndarray | None,
    eps: float,
    need_grad: bool,
) -> tuple[np.ndarray, np.ndarray | None, Any]:
    num_classes = parts.shifted.shape[-1]
    y = indices[..., None]
    log_norm = parts.log_norm[..., 0]
    nll = log_norm - np.take_along_axis(parts.shifted, y, axis=-1)[..., 0]
    w_y = np.ones_like(nll) if w is None else w[indices]
    w_y = np.where(ignored, 0, w_y)
    # 0 * inf = 0 for a weight-0 target at a -inf logit; a NaN logit stays NaN.
    loss = np.where((w_y == 0) & ~np.isnan(nll), 0, (1 - eps) * w_y * nll)
    if eps > 0:
        # Summed in float64: terms near the dtype's limit add up beyond it, the loss may not.
        surprisal = (parts.log_norm - parts.shifted).astype(np.float64)
        if w is None:
            smooth = np.sum(surprisal, axis=-1)
        else:
            smooth = np.sum(np.where(w == 0, 0, w * surprisal), axis=-1)
        with np.errstate(over="ignore"):  # beyond the dtype's range: inf, its value there
            loss = (loss + eps / num_classes * smooth).astype(loss.dtype)
    loss = np.where(ignored, 0, loss)
    denominator = np.sum(w_y)

    grad = None
    if need_grad:
        w_total = num_classes if w is None else np.sum(w)
        total = ((1 - eps) * w_y + eps / num_classes * w_total)[..., None]
        total = np.where(ignored[..., None], 0, total)
        grad = total * (parts.exp_shifted / (1 + parts.rest))
        on_target = np.take_along_axis(grad, y, axis=-1) - ((1 - eps) * w_y)[..., None]
        np.put_along_axis(grad, y, on_target, axis=-1)
        w_top = 1.0 if w is None else w[parts.top]
        smoothing_off_top = eps / num_classes * (w_total - w_top)
        if eps > 0:
            grad -= (eps / num_classes) * (1 if w is None else w)
        target_off_top = np.where(parts.top == y, 0, (1 - eps) * w_y[..., None])
        grad = _top_entries_fixed(grad, parts, total, target_off_top + smoothing_off_top)
        grad = np.where(ignored[..., None], 0, grad)
    return loss, grad, denominator


def _soft_target_terms(
    parts: Any, probs: np.ndarray, w: np.ndarray | None, eps: float, need_grad: bool
) -> tuple[np.ndarray, np.ndarray | None, Any]:
    num_classes = parts.shifted.shape[-1]
    mass = probs if eps == 0 else (1 - eps) * probs + eps / num_classes
    if w is not None:
        mass = mass * w
    surprisal = parts.log_norm - parts.shifted
    # 0 log 0 = 0: a class the target never takes costs nothing, even at a -inf logit.
    loss = np.sum(np.where(mass == 0, 0, mass * surprisal), axis=-1)
    denominator = loss.size

    grad = None
    if need_grad:
        total = np.sum(mass, axis=-1, keepdims=True)
        grad = total * (parts.exp_shifted / (1 + parts.rest)) - mass
        off_top = mass.copy()
        np.put_along_axis(off_top, parts.top, 0, axis=-1)
        grad = _top_entries_fixed(grad, parts, total, np.sum(off_top, axis=-1, keepdims=True))
    return loss, grad, denominator


def softmax_cross_entropy(
    logits: ArrayLike,
    target: ArrayLike,
    *,
    axis: int = -1,
    weight: ArrayLike | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    r"""Cross-entropy between targets and ``softmax(logits)``, as PyTorch's ``cross_entropy``.

    .. math:: \ell_n = -\sum_c w_c \, p_{n,c} \log \operatorname{softmax}(z_n)_c,
              \qquad p_n = (1 - \varepsilon)\, \mathrm{onehot}(y_n) + \varepsilon / K

    With class indices, ``"mean"`` divides the sum by ``sum_n w_{y_n}`` over the samples that
    are not ignored (the count of such samples without weights); with probability targets, by
    the number of samples. When every sample is ignored, ``"mean"`` is ``0 / 0 = nan``, as in
    PyTorch.

    The loss is computed from logits, never from probabilities: ``-log q_y = log1p(r) - (z_y -
    m)`` keeps full relative accuracy for a confidently right sample whose loss is far below
    machine epsilon. Follows ``0 log 0 = 0``: a zero target at a ``-inf`` logit adds nothing
    (PyTorch returns NaN there).

    With class-index targets the work is done a few rows at a time, in cache, on every core
    the process may use (set ``XENT_NUM_THREADS`` to choose): for float32 or float64 logits
    with the class axis last, no temporary is as large as the logits. float16 logits are
    computed in float32 a block of rows at a time, never copied whole; loss and gradient come
    back in float16.
    ``benchmarks/softmax_cross_entropy.py`` times it against SciPy and PyTorch.

    Args:
        logits: unnormalised scores, shape ``(..., K)`` (class axis ``axis``).
        target: class indices of integer dtype, shape ``logits.shape`` without ``axis``; or
            probabilities of float dtype, shape ``logits.shape``, summing to 1 along ``axis``.
        axis: the class axis (keyword-only); ``axis=1`` reads PyTorch's ``(N, C, d)`` layout.
        weight: optional non-negative weight per class, shape ``(K,)``.
        ignore_index: a class index whose samples contribute nothing, neither to the loss nor
            to the ``"mean"`` denominator (class-index targets only).
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
        label_smoothing: ``eps`` in [0, 1]; the target becomes ``(1 - eps) y + eps / K``.

    Returns:
        The loss: a 0-d array, or shape ``logits.shape`` without ``axis`` for ``"none"``.

    Raises:
        ValueError: shapes that do not match, a target that is not a distribution, unknown
            ``reduction``, ``label_smoothing`` outside [0, 1], zero classes.
        IndexError: a class index outside ``[0, K)`` other than ``ignore_index``.
        TypeError: complex, object, string or boolean input.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> logits = np.log([[0.2, 0.3, 0.5]])
        >>> round(float(xent.softmax_cross_entropy(logits, [1])), 6)  # -log 0.3
        1.203973
        >>> float(xent.softmax_cross_entropy([[0.0, -50.0]], [0]))  # e^-50, not 0.0
        1.9287498479639178e-22

    References:
        Goodfellow, I., Bengio, Y. and Courville, A. (2016). *Deep Learning*, §6.2.2.3.
        Szegedy, C. et al. (2016). Rethinking the Inception architecture for computer vision
        (label smoothing).
    """
    loss, _ = _softmax_cross_entropy(
        logits, target, axis, weight, ignore_index, reduction, label_smoothing, False
    )
    return loss


softmax_cross_entropy_grad = _gradient(
    softmax_cross_entropy,
    _softmax_cross_entropy,
    r"""Gradient of :func:`softmax_cross_entropy` with respect to the logits: ``q - p`` per row.

    .. math:: \frac{\partial \ell_n}{\partial z_n}
              = \Bigl(\sum_c w_c p_{n,c}\Bigr) q_n - w \odot p_n,
              \qquad q_n = \operatorname{softmax}(z_n)

    Without weights and with a normalised target this is ``q - p``: bounded in [-1, 1], each
    row summing to 0. At a confidently right target it is minus the non-target mass, computed
    without the cancellation of ``q_y - 1``. Scaled like the loss by the ``"mean"``
    denominator; for ``"none"`` it is the gradient of the sum of the per-sample losses.

    {args}
    Returns:
        Array of the shape and dtype of ``logits``.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> logits = np.log([[0.2, 0.3, 0.5]])
        >>> xent.softmax_cross_entropy_grad(logits, [1]).round(12).tolist()
        [[0.2, -0.7, 0.5]]

    References:
        Bishop, C. M. (2006). *Pattern Recognition and Machine Learning*, eq. (4.109).
    """,
)


softmax_cross_entropy_with_grad = _loss_and_gradient(
    softmax_cross_entropy,
    _softmax_cross_entropy,
    r"""Loss and gradient of :func:`softmax_cross_entropy` together, computing the softmax once.

    .. math:: \bigl(\ell, \; \partial \ell / \partial z\bigr)

    {args}
    Returns:
        ``(loss, grad)`` as from :func:`softmax_cross_entropy` and
        :func:`softmax_cross_entropy_grad`.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> loss, grad = xent.softmax_cross_entropy_with_grad(np.zeros((2, 4)), [0, 3])
        >>> round(float(loss), 6), grad[0].tolist()  # chance level: log 4
        (1.386294, [-0.375, 0.125, 0.125, 0.125])

    References:
        Bishop, C. M. (2006). *Pattern Recognition and Machine Learning*, §4.3.4.
    """,
)


def nll_loss(
    log_probs: ArrayLike,
    target: ArrayLike,
    *,
    axis: int = -1,
    weight: ArrayLike | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Negative log-likelihood of class indices under given log-probabilities.

    .. math:: \ell_n = -w_{y_n} \log q_{n, y_n}

    As ``torch.nn.functional.nll_loss``: ``"mean"`` divides by ``sum_n w_{y_n}`` over the
    samples that are not ignored. ``softmax_cross_entropy(z, y)`` equals
    ``nll_loss(log_softmax(z), y)``.

    Args:
        log_probs: log-probabilities, shape ``(..., K)`` (class axis ``axis``).
        target: class indices of integer dtype, shape ``log_probs.shape`` without ``axis``.
        axis: the class axis (keyword-only).
        weight: optional non-negative weight per class, shape ``(K,)``.
        ignore_index: a class index whose samples contribute nothing.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        The loss: a 0-d array, or shape ``log_probs.shape`` without ``axis`` for ``"none"``.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> round(float(xent.nll_loss(np.log([[0.25, 0.75], [0.5, 0.5]]), [1, 0])), 6)
        0.490415

    References:
        Murphy, K. P. (2022). *Probabilistic Machine Learning: An Introduction*, §4.2.
    """
    reduction = _validate.reduction(reduction)
    lp, axis, dtype = _validate.logits(log_probs, axis, "log_probs")
    target = _validate.as_array(target, "target")
    if target.dtype.kind not in "iu":
        raise TypeError(
            "nll_loss takes class indices (integer dtype) as target; got dtype "
            f"{target.dtype} (use softmax_cross_entropy for probability targets)"
        )
    w = _validate.class_weight(weight, lp.shape[-1], lp.dtype)
    tgt = _target(target, np.moveaxis(lp, -1, axis).shape, axis, ignore_index, lp.dtype)
    assert tgt.indices is not None and tgt.ignored is not None
    picked = np.take_along_axis(lp, tgt.indices[..., None], axis=-1)[..., 0]
    w_y = np.ones_like(picked) if w is None else w[tgt.indices]
    w_y = np.where(tgt.ignored, 0, w_y)
    with np.errstate(invalid="ignore"):
        # 0 * inf = 0 for a weight-0 target at log-probability -inf; NaN stays NaN.
        loss = np.where((w_y == 0) & ~np.isnan(picked), 0, -w_y * picked)
    loss, _ = _reduce(loss, None, reduction, np.sum(w_y))
    return _validate.cast(loss, dtype)


def _elementwise_setup(
    first: ArrayLike, target: ArrayLike, first_name: str, reduction: str
) -> tuple[np.ndarray, np.ndarray, np.dtype, str]:
    reduction = _validate.reduction(reduction)
    x, dtype = _validate.float_array(first, first_name)
    y, _ = _validate.float_array(target, "target")
    _validate.same_shape(x, y, first_name, "target")
    _validate.in_unit_interval(y, "target")
    return x, y.astype(x.dtype, copy=False), dtype, reduction


def _binary_cross_entropy_with_logits(
    logits: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None,
    pos_weight: ArrayLike | None,
    reduction: str,
    need_grad: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    z, y, dtype, reduction = _elementwise_setup(logits, target, "logits", reduction)
    w = _validate.elementwise_weight(weight, z.shape, z.dtype, "weight")
    pw = _validate.elementwise_weight(pos_weight, z.shape, z.dtype, "pos_weight")
    positive = y if pw is None else pw * y
    negative = 1 - y
    with np.errstate(over="ignore", invalid="ignore"):
        # Both softplus terms keep their exact limits at z = +-inf; a zero coefficient
        # multiplies an infinite softplus to 0 by 0 log 0 = 0, not to NaN. A weighted term
        # beyond the dtype's range is inf, its right value there, not a warning.
        loss = np.where(positive == 0, 0, positive * softplus(-z)) + np.where(
            negative == 0, 0, negative * softplus(z)
        )
        loss = np.where(np.isnan(z), np.nan, loss)  # a NaN logit gives NaN, whatever the weights
        grad = None
        if need_grad:
            grad = negative * sigmoid(z) - positive * sigmoid(-z)
            if w is not None:
                grad = grad * w
        if w is not None:
            # A sample of weight 0 costs nothing, even at an infinite logit (0 log 0 = 0, as
            # for a class weight); a NaN stays NaN.
            loss = np.where((w == 0) & ~np.isnan(loss), 0, loss * w)
    loss, grad = _reduce(loss, grad, reduction, loss.size)
    if grad is not None:
        grad = np.broadcast_to(grad, z.shape)
    out_grad = None if grad is None else _validate.cast(grad, dtype).copy()
    return _validate.cast(loss, dtype), out_grad


def binary_cross_entropy_with_logits(
    logits: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    pos_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Binary cross-entropy of ``sigmoid(logits)``, computed stably from the logits.

    .. math:: \ell = w \bigl[\, p_w \, y \operatorname{softplus}(-z)
              + (1 - y) \operatorname{softplus}(z) \bigr]

    since ``-log sigmoid(z) = softplus(-z)`` and ``-log(1 - sigmoid(z)) = softplus(z)``. As
    ``torch.nn.functional.binary_cross_entropy_with_logits``, except at ``z = +-inf``, where
    this gives the exact limits (0 or ``+inf``) and PyTorch gives NaN.

    Args:
        logits: scores ``z``, any shape.
        target: probabilities ``y`` in [0, 1], same shape as ``logits``.
        weight: optional non-negative weight, broadcastable to ``logits``.
        pos_weight: optional non-negative weight of the positive term, broadcastable to
            ``logits`` (one entry per class for multi-label, shape ``(C,)``).
        reduction: ``"mean"`` (over all elements), ``"sum"`` or ``"none"``.

    Returns:
        The loss: a 0-d array, or the shape of ``logits`` for ``"none"``.

    Examples:
        >>> import xent
        >>> xent.binary_cross_entropy_with_logits([40.0, -40.0], [1.0, 1.0], reduction="none")
        array([4.24835426e-18, 4.00000000e+01])

    References:
        Goodfellow, I., Bengio, Y. and Courville, A. (2016). *Deep Learning*, §6.2.2.2.
    """
    loss, _ = _binary_cross_entropy_with_logits(
        logits, target, weight, pos_weight, reduction, False
    )
    return loss


binary_cross_entropy_with_logits_grad = _gradient(
    binary_cross_entropy_with_logits,
    _binary_cross_entropy_with_logits,
    r"""Gradient of :func:`binary_cross_entropy_with_logits`: ``sigmoid(z) - y`` elementwise.

    .. math:: \frac{\partial \ell}{\partial z}
              = w \bigl[(1 - y)\,\sigma(z) - p_w \, y \, \sigma(-z)\bigr]
              \;\overset{p_w = 1}{=}\; w\,(\sigma(z) - y)

    The left form is used: it has no cancellation when ``sigma(z)`` is close to ``y``.

    {args}
    Returns:
        Array of the shape and dtype of ``logits``.

    Examples:
        >>> import xent
        >>> xent.binary_cross_entropy_with_logits_grad([0.0, 0.0], [1.0, 0.0]).tolist()
        [-0.25, 0.25]

    References:
        Bishop, C. M. (2006). *Pattern Recognition and Machine Learning*, eq. (4.91).
    """,
)


binary_cross_entropy_with_logits_with_grad = _loss_and_gradient(
    binary_cross_entropy_with_logits,
    _binary_cross_entropy_with_logits,
    r"""Loss and gradient of :func:`binary_cross_entropy_with_logits` in one call.

    .. math:: \bigl(\ell, \; \partial \ell / \partial z\bigr)

    {args}
    Returns:
        ``(loss, grad)``.

    Examples:
        >>> import xent
        >>> loss, grad = xent.binary_cross_entropy_with_logits_with_grad([0.0], [1.0])
        >>> round(float(loss), 6), grad.tolist()
        (0.693147, [-0.5])

    References:
        Bishop, C. M. (2006). *Pattern Recognition and Machine Learning*, §4.3.2.
    """,
)


_LOG_FLOOR = -100.0
_GRAD_EPS = 1e-12


def _binary_cross_entropy(
    probs: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None,
    reduction: str,
    need_grad: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    p, y, dtype, reduction = _elementwise_setup(probs, target, "probs", reduction)
    _validate.in_unit_interval(p, "probs")
    w = _validate.elementwise_weight(weight, p.shape, p.dtype, "weight")
    with np.errstate(divide="ignore", invalid="ignore"):
        # PyTorch clamps each log at -100 so that p = 0 or 1 gives a finite loss.
        log_p = np.maximum(np.log(p), _LOG_FLOOR)
        log_not_p = np.maximum(np.log1p(-p), _LOG_FLOOR)
        loss = -(y * log_p + (1 - y) * log_not_p)
        grad = None
        if need_grad:
            grad = (p - y) / np.maximum(p * (1 - p), _GRAD_EPS)
            if w is not None:
                grad = grad * w
        if w is not None:
            loss = loss * w
    loss, grad = _reduce(loss, grad, reduction, loss.size)
    if grad is not None:
        grad = np.broadcast_to(grad, p.shape)
    out_grad = None if grad is None else _validate.cast(grad, dtype).copy()
    return _validate.cast(loss, dtype), out_grad


def binary_cross_entropy(
    probs: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Binary cross-entropy of predicted probabilities, as PyTorch's ``binary_cross_entropy``.

    .. math:: \ell = -w \bigl[\, y \max(\log p, -100) + (1 - y) \max(\log(1 - p), -100) \bigr]

    Each logarithm is clamped at -100, as PyTorch does, so ``p = 0`` or ``1`` gives a finite
    loss. A probability that has already saturated has lost the information the loss needs:
    prefer :func:`binary_cross_entropy_with_logits`.

    Args:
        probs: predicted probabilities ``p`` in [0, 1], any shape.
        target: probabilities ``y`` in [0, 1], same shape as ``probs``.
        weight: optional non-negative weight, broadcastable to ``probs``.
        reduction: ``"mean"`` (over all elements), ``"sum"`` or ``"none"``.

    Returns:
        The loss: a 0-d array, or the shape of ``probs`` for ``"none"``.

    Examples:
        >>> import xent
        >>> round(float(xent.binary_cross_entropy([0.9, 0.2], [1.0, 0.0])), 6)
        0.164252

    References:
        Murphy, K. P. (2022). *Probabilistic Machine Learning: An Introduction*, §10.2.3.
    """
    loss, _ = _binary_cross_entropy(probs, target, weight, reduction, False)
    return loss


binary_cross_entropy_grad = _gradient(
    binary_cross_entropy,
    _binary_cross_entropy,
    r"""Gradient of :func:`binary_cross_entropy` with respect to the probabilities.

    .. math:: \frac{\partial \ell}{\partial p} = w \, \frac{p - y}{\max(p (1 - p), 10^{-12})}

    The denominator is clamped at ``1e-12``, as PyTorch does.

    {args}
    Returns:
        Array of the shape and dtype of ``probs``.

    Examples:
        >>> import xent
        >>> xent.binary_cross_entropy_grad([0.5, 0.5], [1.0, 0.0], reduction="sum").tolist()
        [-2.0, 2.0]

    References:
        Bishop, C. M. (2006). *Pattern Recognition and Machine Learning*, §4.3.2.
    """,
)


binary_cross_entropy_with_grad = _loss_and_gradient(
    binary_cross_entropy,
    _binary_cross_entropy,
    r"""Loss and gradient of :func:`binary_cross_entropy` in one call.

    .. math:: \bigl(\ell, \; \partial \ell / \partial p\bigr)

    {args}
    Returns:
        ``(loss, grad)``.

    Examples:
        >>> import xent
        >>> loss, grad = xent.binary_cross_entropy_with_grad([0.5], [1.0])
        >>> round(float(loss), 6), grad.tolist()
        (0.693147, [-2.0])

    References:
        Bishop, C. M. (2006). *Pattern Recognition and Machine Learning*, §4.3.2.
    """,
)


def _focal_loss(
    logits: ArrayLike,
    target: ArrayLike,
    gamma: float,
    axis: int,
    weight: ArrayLike | None,
    ignore_index: int,
    reduction: str,
    need_grad: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    reduction = _validate.reduction(reduction)
    gamma = _validate.real_number(gamma, "gamma", "a finite number >= 0")
    if not (gamma >= 0 and np.isfinite(gamma)):
        raise ValueError(f"gamma must be a finite number >= 0; got {gamma!r}")
    z, axis, dtype = _validate.logits(logits, axis, "logits")
    target = _validate.as_array(target, "target")
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"focal_loss takes class indices (integer dtype) as target; got dtype {target.dtype}"
        )
    w = _validate.class_weight(weight, z.shape[-1], z.dtype)
    tgt = _target(target, np.moveaxis(z, -1, axis).shape, axis, ignore_index, z.dtype)
    assert tgt.indices is not None and tgt.ignored is not None
    parts = _loss_normalizer(z)
    y = tgt.indices[..., None]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        log_q = (np.take_along_axis(parts.shifted, y, axis=-1) - parts.log_norm)[..., 0]
        q_y = np.exp(log_q)
        # 1 - q_y as the mass off the target: exact when the target is confidently right.
        non_target = np.where((parts.top == y)[..., 0], _non_top_mass(parts.rest)[..., 0], 1 - q_y)
        modulator = non_target**gamma
        w_y = np.ones_like(log_q) if w is None else w[tgt.indices]
        w_y = np.where(tgt.ignored, 0, w_y)
        loss = np.where((w_y == 0) & ~np.isnan(log_q), 0, -w_y * modulator * log_q)
        grad = None
        if need_grad:
            # d FL / d z = g (q - e_y) with g = (1-q)^gamma - gamma (1-q)^(gamma-1) q log q;
            # (1-q)^(gamma-1) q log q is written as (1-q)^gamma * (q log q / (1-q)), which
            # tends to -(1-q)^gamma as q -> 1 instead of overflowing for gamma < 1.
            q_log_q = np.where(q_y == 0, 0, q_y * log_q)
            ratio = np.where(non_target == 0, -1.0, q_log_q / non_target)
            factor = w_y * modulator * (1 - gamma * ratio)
            probs = parts.exp_shifted / (1 + parts.rest)
            grad = factor[..., None] * probs
            on_target = -factor * non_target
            np.put_along_axis(grad, y, on_target[..., None], axis=-1)
            grad = np.where(tgt.ignored[..., None], 0, grad)
    loss, grad = _reduce(loss, grad, reduction, np.sum(w_y), tgt.ignored)
    out_grad = None if grad is None else _validate.cast(np.moveaxis(grad, -1, axis), dtype)
    return _validate.cast(loss, dtype), out_grad


def focal_loss(
    logits: ArrayLike,
    target: ArrayLike,
    *,
    gamma: float = 2.0,
    axis: int = -1,
    weight: ArrayLike | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Focal loss: cross-entropy scaled down by ``(1 - q_y)^gamma`` on easy examples.

    .. math:: \ell_n = -w_{y_n} \, (1 - q_{n,y_n})^\gamma \log q_{n,y_n},
              \qquad q_n = \operatorname{softmax}(z_n)

    An example the model already gets right with ``q_y = 0.9`` has its loss multiplied by
    ``0.1^gamma`` (0.01 for ``gamma = 2``), so training focuses on the hard ones.

    Args:
        logits: unnormalised scores, shape ``(..., K)`` (class axis ``axis``).
        target: class indices of integer dtype, shape ``logits.shape`` without ``axis``.
        gamma: the focusing parameter ``gamma >= 0``; 0 gives the cross-entropy.
        axis: the class axis (keyword-only).
        weight: optional non-negative weight per class (the ``alpha`` of Lin et al.), ``(K,)``.
        ignore_index: a class index whose samples contribute nothing.
        reduction: ``"mean"`` (divided by ``sum_n w_{y_n}``, as the cross-entropy), ``"sum"``
            or ``"none"``.

    Returns:
        The loss: a 0-d array, or shape ``logits.shape`` without ``axis`` for ``"none"``.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> logits = np.log([[0.9, 0.1], [0.1, 0.9]])
        >>> xent.focal_loss(logits, [0, 0], reduction="none").round(6).tolist()
        [0.001054, 1.865094]

    References:
        Lin, T.-Y., Goyal, P., Girshick, R., He, K. and Dollar, P. (2017). Focal loss for dense
        object detection. *ICCV*.
    """
    loss, _ = _focal_loss(logits, target, gamma, axis, weight, ignore_index, reduction, False)
    return loss


focal_loss_grad = _gradient(
    focal_loss,
    _focal_loss,
    r"""Gradient of :func:`focal_loss` with respect to the logits.

    .. math:: \frac{\partial \ell_n}{\partial z_n} = w_{y_n} \, g_n \, (q_n - e_{y_n}), \qquad
              g_n = (1 - q_y)^\gamma - \gamma (1 - q_y)^{\gamma - 1} q_y \log q_y

    ``g >= 1`` would be the cross-entropy's factor for ``gamma = 0``; the focal factor is
    smaller on easy examples. Derived in :func:`xent.symbolic.focal_loss_gradient`.

    {args}
    Returns:
        Array of the shape and dtype of ``logits``.

    Examples:
        >>> import xent
        >>> xent.focal_loss_grad([[0.0, 0.0]], [0], gamma=0.0).tolist()  # gamma = 0: q - p
        [[-0.5, 0.5]]

    References:
        Lin, T.-Y., Goyal, P., Girshick, R., He, K. and Dollar, P. (2017). Focal loss for dense
        object detection. *ICCV*.
    """,
)


focal_loss_with_grad = _loss_and_gradient(
    focal_loss,
    _focal_loss,
    r"""Loss and gradient of :func:`focal_loss` in one call.

    .. math:: \bigl(\ell, \; \partial \ell / \partial z\bigr)

    {args}
    Returns:
        ``(loss, grad)``.

    Examples:
        >>> import xent
        >>> loss, grad = xent.focal_loss_with_grad([[0.0, 0.0]], [1], gamma=1.0)
        >>> round(float(loss), 6)  # 0.5 * log 2
        0.346574

    References:
        Lin, T.-Y., Goyal, P., Girshick, R., He, K. and Dollar, P. (2017). Focal loss for dense
        object detection. *ICCV*.
    """,
)
