r"""Contrastive learning: InfoNCE as a softmax cross-entropy over a batch of similarities.

A batch holds ``N`` positive pairs ``(x_i, y_i)``. A critic scores every query against every
key, ``S_ij = f(x_i, y_j)``; for query ``i`` the key ``y_i`` is the right "class" among the
``M >= N`` keys (the other ``y_j`` are its negatives). InfoNCE is the softmax cross-entropy of
each row of ``S / tau`` against the target ``i``:

.. math:: L = \frac{1}{N} \sum_{i=1}^N
              -\log \frac{e^{S_{ii} / \tau}}{\sum_{j=1}^M e^{S_{ij} / \tau}}
            = \mathrm{CE}(S / \tau, \; \mathrm{arange}(N)).

It bounds the mutual information of the pairs from below, ``I(X; Y) >= log N - L`` for a
square batch (van den Oord, Li and Vinyals 2018; Poole et al. 2019), and no critic can push
that bound above ``log N``.

Built from embeddings (queries ``Q`` of shape ``(N, d)``, keys ``K`` of shape ``(M, d)``), the
similarities are ``S = Q K^T`` (cosine similarities if the rows are normalised first); the
gradient of :func:`info_nce_loss_grad` ``G = dL/dS`` then gives ``dL/dQ = G K`` and
``dL/dK = G^T Q``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from xent import _validate
from xent._docs import shared_args as _shared_args
from xent.losses import _reduce
from xent.softmax import _logits, _normalizer

__all__ = [
    "info_nce_loss",
    "info_nce_loss_grad",
    "info_nce_loss_with_grad",
]


def _similarities(similarities: ArrayLike) -> tuple[np.ndarray, np.dtype[np.floating]]:
    array, dtype = _validate.float_array(similarities, "similarities")
    if array.ndim < 2:
        raise ValueError(
            "similarities must have at least two dimensions (..., N, M): one row per query, "
            f"one column per key; got shape {array.shape}"
        )
    num_queries, num_keys = array.shape[-2:]
    if num_queries == 0 or num_keys == 0:
        raise ValueError(
            f"similarities must have at least one query and one key; got {array.shape}"
        )
    if num_keys < num_queries:
        raise ValueError(
            "similarities must have at least as many keys (columns) as queries (rows): the "
            f"positive of query i is key i; got shape {array.shape}"
        )
    return array, dtype


def _row_terms(scaled: np.ndarray, need_grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-row ``-log softmax(row)_i`` and ``softmax(row) - e_i`` for rows of ``(..., N, M)``."""
    num_queries = scaled.shape[-2]
    parts = _normalizer(scaled)
    diagonal = np.arange(num_queries)
    with np.errstate(invalid="ignore"):
        positive = parts.shifted[..., diagonal, diagonal]
        loss = parts.log_norm[..., 0] - positive
    grad = None
    if need_grad:
        grad = parts.exp_shifted / (1 + parts.rest)
        # q_ii - 1 loses everything when q_ii rounds to 1; at a top-scoring positive it is
        # exactly -r / (1 + r), the mass on the negatives.
        positive_on_top = parts.top[..., 0] == diagonal
        off_mass = -parts.rest[..., 0] / (1 + parts.rest[..., 0])
        with np.errstate(invalid="ignore"):
            grad[..., diagonal, diagonal] = np.where(
                positive_on_top, off_mass, grad[..., diagonal, diagonal] - 1
            )
    return loss, grad


def _info_nce(
    similarities: ArrayLike,
    temperature: float,
    symmetric: bool,
    reduction: str,
    need_grad: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    reduction = _validate.reduction(reduction)
    if not isinstance(symmetric, (bool, np.bool_)):
        raise TypeError(f"symmetric must be True or False; got {symmetric!r}")
    array, dtype = _similarities(similarities)
    # Rows are the class axis of the softmax: _logits divides by the temperature in float64,
    # after subtracting each row's maximum (right for every temperature).
    scaled, _, _ = _logits(array, -1, temperature, name="similarities", shift=True)
    temperature = float(temperature)
    if symmetric and array.shape[-1] != array.shape[-2]:
        raise ValueError(
            "symmetric=True needs a square similarities matrix (every key is also a "
            f"query); got shape {array.shape}"
        )
    loss, grad = _row_terms(scaled, need_grad)
    if symmetric:
        # The columns get their own shift: a row's maximum says nothing about a column's.
        columns, _, _ = _logits(
            np.swapaxes(array, -1, -2).copy(), -1, temperature, name="similarities", shift=True
        )
        column_loss, column_grad = _row_terms(columns, need_grad)
        loss = (loss + column_loss) / 2
        if grad is not None and column_grad is not None:
            grad = (grad + np.swapaxes(column_grad, -1, -2)) / 2
    if grad is not None:
        grad = grad / temperature
    with np.errstate(invalid="ignore"):
        reduced, grad = _reduce(loss, grad, reduction, loss.size)
    out_grad = None if grad is None else _validate.cast(grad, dtype)
    return _validate.cast(reduced, dtype), out_grad


_DOC_ARGS = """    Args:
        similarities: critic scores ``S``, shape ``(..., N, M)`` with ``M >= N``: row ``i`` is
            query ``i``, column ``j`` key ``j``, and the positive of query ``i`` is key ``i``
            (the diagonal). Extra columns ``j >= N`` are negatives only (a memory bank).
        temperature: ``tau > 0`` (keyword-only); divides the similarities.
        symmetric: also score each key against all queries (the columns) and average the two
            losses, as CLIP does; needs ``M = N``.
        reduction: ``"mean"`` (over the queries, and over any leading batch axes), ``"sum"``
            or ``"none"`` (one loss per query, shape ``(..., N)``).

"""


@_shared_args(_DOC_ARGS)
def info_nce_loss(
    similarities: ArrayLike,
    *,
    temperature: float = 1.0,
    symmetric: bool = False,
    reduction: str = "mean",
) -> np.ndarray:
    r"""InfoNCE: the softmax cross-entropy of each row of ``S / tau`` against its diagonal entry.

    .. math:: \ell_i = -\log \frac{e^{S_{ii} / \tau}}{\sum_{j=1}^M e^{S_{ij} / \tau}}
                     = \operatorname{lse}_j(S_{ij} / \tau) - S_{ii} / \tau

    Equal to ``softmax_cross_entropy(S / tau, arange(N))``. With a square batch of ``N`` pairs,
    ``log N - mean(loss)`` is the InfoNCE lower bound on the mutual information ``I(X; Y)`` in
    nats; a critic that cannot tell pairs apart scores ``log N`` (the loss at chance), and the
    loss is never below 0, so the bound never exceeds ``log N``. With ``symmetric=True``,
    ``ell_i`` is the average of the row loss of query ``i`` and the column loss of key ``i``.

    {args}
    Returns:
        The loss in nats: a 0-d array, or shape ``(..., N)`` for ``"none"``.

    Raises:
        ValueError: fewer than two dimensions, fewer keys than queries, an empty batch, a
            temperature that is not positive and finite, ``symmetric=True`` on a non-square
            matrix, an unknown ``reduction``.
        TypeError: complex, object or string input; a ``symmetric`` that is not a bool.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> round(float(xent.info_nce_loss(np.zeros((4, 4)))), 6)  # chance: log 4
        1.386294
        >>> s = np.array([[2.0, 0.0], [1.0, 3.0]])
        >>> round(float(xent.info_nce_loss(s, temperature=0.5)), 6)
        0.01815

    References:
        van den Oord, A., Li, Y. and Vinyals, O. (2018). Representation learning with
        contrastive predictive coding. arXiv:1807.03748.
        Poole, B., Ozair, S., van den Oord, A., Alemi, A. and Tucker, G. (2019). On variational
        bounds of mutual information. *ICML*.
        Radford, A. et al. (2021). Learning transferable visual models from natural language
        supervision. *ICML* (the symmetric loss).
    """
    loss, _ = _info_nce(similarities, temperature, symmetric, reduction, False)
    return loss


@_shared_args(_DOC_ARGS)
def info_nce_loss_grad(
    similarities: ArrayLike,
    *,
    temperature: float = 1.0,
    symmetric: bool = False,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Gradient of :func:`info_nce_loss` in the similarities: ``(softmax(S / tau) - I) / tau``.

    .. math:: \frac{\partial \ell_i}{\partial S_{ij}}
              = \frac{1}{\tau}\Bigl(\operatorname{softmax}(S_{i\cdot} / \tau)_j - [i = j]\Bigr)

    Row ``i`` is the softmax cross-entropy gradient ``q - p`` with the one-hot target ``e_i``,
    times ``1 / tau`` from the chain rule. Each row sums to 0; the diagonal is negative (pull
    the positive up), every other entry positive (push the negatives down). With
    ``symmetric=True`` it is the average of that and the transpose of the same rule applied to
    the columns. Scaled like the loss by the number of queries for ``"mean"``; for ``"none"`` it
    is the gradient of the sum of the per-query losses.

    {args}
    Returns:
        Array of the shape of ``similarities``.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> xent.info_nce_loss_grad(np.zeros((2, 2)), reduction="sum").tolist()
        [[-0.5, 0.5], [0.5, -0.5]]

    References:
        van den Oord, A., Li, Y. and Vinyals, O. (2018). Representation learning with
        contrastive predictive coding. arXiv:1807.03748.
    """
    _, grad = _info_nce(similarities, temperature, symmetric, reduction, True)
    assert grad is not None
    return grad


@_shared_args(_DOC_ARGS)
def info_nce_loss_with_grad(
    similarities: ArrayLike,
    *,
    temperature: float = 1.0,
    symmetric: bool = False,
    reduction: str = "mean",
) -> tuple[np.ndarray, np.ndarray]:
    r"""Loss and gradient of :func:`info_nce_loss` together, each softmax computed once.

    .. math:: \bigl(L, \; \partial L / \partial S\bigr)

    {args}
    Returns:
        ``(loss, grad)`` as from :func:`info_nce_loss` and :func:`info_nce_loss_grad`.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> queries = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
        >>> keys = queries.copy()
        >>> loss, grad = xent.info_nce_loss_with_grad(queries @ keys.T, temperature=0.1)
        >>> grad_queries, grad_keys = grad @ keys, grad.T @ queries  # chain rule through Q K^T
        >>> round(float(loss), 6), grad_queries.shape
        (0.096031, (3, 2))

    References:
        Chen, T., Kornblith, S., Norouzi, M. and Hinton, G. (2020). A simple framework for
        contrastive learning of visual representations. *ICML*.
    """
    loss, grad = _info_nce(similarities, temperature, symmetric, reduction, True)
    assert grad is not None
    return loss, grad
