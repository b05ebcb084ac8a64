"""Sampling from a softmax: temperature, top-k and top-p (nucleus) filtering, a seeded sampler.

Every filter takes logits and returns logits of the same shape, with ``-inf`` where an entry
is removed, so that filters compose and the result goes straight into
:func:`xent.softmax`. The class axis is the last one. A row may already hold ``-inf`` entries
(symbols the model rules out), but it must keep at least one finite logit; ``NaN`` and
``+inf`` are refused.

The sampler applies, in this order, the temperature, top-k and top-p, as the common text
generation libraries do, then draws one index per row with inverse-CDF sampling from the
generator it is given.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from xent import _validate
from xent.softmax import _divide_by_temperature, softmax

__all__ = ["apply_temperature", "sample", "sampling_probs", "top_k_filter", "top_p_filter"]


def _checked_logits(logits: ArrayLike, name: str = "logits") -> tuple[np.ndarray, np.dtype[Any]]:
    """Real logits with at least one class, no NaN, no +inf, one finite entry per row."""
    array, dtype = _validate.float_array(logits, name)
    _validate.class_axis(array, -1, name)
    if np.isnan(array).any():
        raise ValueError(f"{name} must not contain NaN")
    if np.isposinf(array).any():
        raise ValueError(f"{name} must not contain +inf; use a large finite logit instead")
    finite_rows = np.isfinite(array).any(axis=-1)
    if not finite_rows.all():
        if array.ndim == 1:
            raise ValueError(f"{name} must have at least one finite entry; all are -inf")
        row = _validate.row_label(tuple(int(i) for i in np.argwhere(~finite_rows)[0]))
        raise ValueError(
            f"{name} must have at least one finite entry per row; row {row} is all -inf"
        )
    return array, dtype


def apply_temperature(logits: ArrayLike, *, temperature: float) -> np.ndarray:
    r"""Divide the logits by a temperature ``T > 0``.

    .. math:: z \mapsto z / T, \qquad \operatorname{softmax}(z / T)_i
              = \frac{e^{z_i / T}}{\sum_j e^{z_j / T}}

    ``T < 1`` sharpens the distribution towards the argmax, ``T > 1`` flattens it towards
    the uniform distribution over the entries that are not ``-inf``; ``T = 1`` changes nothing.

    Args:
        logits: shape ``(..., K)``.
        temperature: a positive finite number (keyword-only).

    Returns:
        Logits of the same shape (and float dtype); ``-inf`` entries stay ``-inf``.

    Raises:
        ValueError: ``temperature`` is not positive and finite, or so small that
            ``logits / temperature`` overflows the dtype (:func:`sampling_probs` takes any
            positive temperature), or ``logits`` has NaN, +inf, no class or a row without a
            finite entry.

    Examples:
        >>> import xent
        >>> xent.apply_temperature([2.0, 1.0, -float("inf")], temperature=0.5).tolist()
        [4.0, 2.0, -inf]

    References:
        Ackley, D. H., Hinton, G. E. and Sejnowski, T. J. (1985). A learning algorithm for
        Boltzmann machines. *Cognitive Science* 9(1).
    """
    array, dtype = _checked_logits(logits)
    temperature = _validate.positive_number(temperature, "temperature")
    result = _divided(array, temperature, dtype)
    if _overflows(result):
        raise ValueError(
            f"temperature={temperature!r} is too small: logits / temperature overflows "
            f"{np.dtype(dtype).name}"
        )
    return result


def _divided(array: np.ndarray, temperature: float, dtype: np.dtype[Any]) -> np.ndarray:
    """``array / temperature`` in the output dtype, divided in float64 (overflow: +-inf)."""
    with np.errstate(over="ignore"):
        return _validate.cast(array.astype(np.float64) / temperature, dtype)


def _overflows(result: np.ndarray) -> bool:
    """Whether a division overflowed the dtype: a +inf, or a row left without a finite entry."""
    return bool(np.isposinf(result).any() or not np.isfinite(result).any(axis=-1).all())


def _tempered(logits: ArrayLike, temperature: float) -> np.ndarray:
    """Logits at temperature ``T`` for sampling, for every ``T > 0``.

    ``z / T`` when it fits the dtype. When it overflows (a tiny ``T``), the logits are first
    shifted by their row maximum, which changes no probability: the maximum becomes 0 and
    the rest can only fall towards ``-inf``, so the result is the argmax limit.
    """
    array, dtype = _checked_logits(logits)
    temperature = _validate.positive_number(temperature, "temperature")
    result = _divided(array, temperature, dtype)
    if _overflows(result):
        result = _validate.cast(_divide_by_temperature(array, temperature, shift=True), dtype)
    return result


def _top_k_count(value: int | None, num_classes: int) -> int | None:
    if value is None:
        return None
    k = _validate.integer(value, "top_k")
    if k < 1:
        raise ValueError(f"top_k must be a positive integer (or None); got {value!r}")
    return min(k, num_classes)


def _top_p_mass(value: float | None) -> float | None:
    if value is None:
        return None
    mass = _validate.real_number(value, "top_p", "a number in (0, 1] (or None)")
    if not 0.0 < mass <= 1.0:
        raise ValueError(f"top_p must lie in (0, 1]; got {value!r}")
    return mass


def top_k_filter(logits: ArrayLike, top_k: int) -> np.ndarray:
    r"""Keep the ``top_k`` largest logits of each row; the others become ``-inf``.

    .. math:: \tilde z_i = \begin{cases} z_i & z_i \ge z_{(k)} \\ -\infty & \text{otherwise}
              \end{cases}

    where :math:`z_{(k)}` is the ``k``-th largest logit of the row. Entries tied with it are
    all kept, so the result does not depend on the order of the classes (and a row may keep
    more than ``k`` entries when there are ties at the boundary). ``top_k >= K`` keeps every
    entry.

    Args:
        logits: shape ``(..., K)``.
        top_k: a positive integer.

    Returns:
        Logits of the same shape and dtype.

    Raises:
        TypeError: ``top_k`` is not an integer.
        ValueError: ``top_k < 1``, or ``logits`` has NaN, +inf, no class or a row without a
            finite entry.

    Examples:
        >>> import xent
        >>> xent.top_k_filter([1.0, 3.0, 2.0, 0.0], 2).tolist()
        [-inf, 3.0, 2.0, -inf]
        >>> xent.top_k_filter([1.0, 2.0, 2.0, 0.0], 1).tolist()  # a tie: both kept
        [-inf, 2.0, 2.0, -inf]

    References:
        Fan, A., Lewis, M. and Dauphin, Y. (2018). Hierarchical neural story generation.
        *ACL 2018*.
    """
    array, dtype = _checked_logits(logits)
    k = _top_k_count(top_k, array.shape[-1])
    if k is None:
        raise TypeError(
            "top_k must be a positive integer; None keeps every logit, so skip the filter"
        )
    kth_largest = -np.partition(-array, k - 1, axis=-1)[..., k - 1 : k]
    return _validate.cast(np.where(array >= kth_largest, array, -np.inf), dtype)


def top_p_filter(logits: ArrayLike, top_p: float) -> np.ndarray:
    r"""Keep the smallest set of most probable entries whose probability reaches ``top_p``.

    Nucleus filtering: sort the probabilities :math:`q = \operatorname{softmax}(z)` in
    decreasing order and keep entries until their cumulative probability reaches ``p``; the
    entry that crosses ``p`` is kept. Equivalently, entry ``i`` is removed when the total
    probability of the entries ranked at or below it is at most ``1 - p``:

    .. math:: \text{remove } i \iff \sum_{j \,:\, q_j \le q_i} q_j \le 1 - p

    (a sum of small numbers, accurate even for tiny ``q_i``). The most probable entry is
    always kept, ``top_p = 1`` keeps every entry of positive probability, and entries tied
    with the least probable kept entry are all kept.

    Args:
        logits: shape ``(..., K)``.
        top_p: the mass to keep, in ``(0, 1]``.

    Returns:
        Logits of the same shape and dtype.

    Raises:
        TypeError: ``top_p`` is not a number.
        ValueError: ``top_p`` outside ``(0, 1]``, or ``logits`` has NaN, +inf, no class or a
            row without a finite entry.

    Examples:
        >>> import numpy as np, xent
        >>> z = np.log([0.5, 0.3, 0.15, 0.05])
        >>> np.isfinite(xent.top_p_filter(z, 0.7)).tolist()   # 0.5 + 0.3 reaches 0.7
        [True, True, False, False]
        >>> np.isfinite(xent.top_p_filter(z, 0.9)).tolist()   # 0.5 + 0.3 + 0.15 reaches 0.9
        [True, True, True, False]

    References:
        Holtzman, A., Buys, J., Du, L., Forbes, M. and Choi, Y. (2020). The curious case of
        neural text degeneration. *ICLR 2020*.
    """
    array, dtype = _checked_logits(logits)
    p = _top_p_mass(top_p)
    if p is None:
        raise TypeError(
            "top_p must be a number in (0, 1]; None keeps every logit, so skip the filter"
        )
    probs = softmax(array.astype(np.float64))
    order = np.argsort(probs, axis=-1, kind="stable")  # increasing probability
    ascending = np.take_along_axis(probs, order, axis=-1)
    tail_mass = np.cumsum(ascending, axis=-1)
    # top_p = 1 removes nothing: not even an entry whose probability underflows to 0 (a logit
    # 745 below the top), which has a positive probability all the same.
    removed_sorted = tail_mass <= 1.0 - p if p < 1.0 else np.zeros(tail_mass.shape, dtype=bool)
    removed_sorted[..., -1] = False  # the most probable entry always stays
    # The least probable kept entry sets the threshold; every entry tied with it stays too.
    threshold = np.min(np.where(removed_sorted, np.inf, ascending), axis=-1, keepdims=True)
    keep = (probs >= threshold) & (array > -np.inf)
    return _validate.cast(np.where(keep, array, -np.inf), dtype)


def sampling_probs(
    logits: ArrayLike,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> np.ndarray:
    r"""The distribution :func:`sample` draws from: temperature, then top-k, then top-p.

    .. math:: \pi = \operatorname{softmax}\bigl(\operatorname{top\text{-}p}(
              \operatorname{top\text{-}k}(z / T))\bigr)

    Args:
        logits: shape ``(..., K)``.
        temperature: ``T > 0`` (default 1: unchanged). Any positive value: where ``z / T``
            would overflow, the logits are shifted by their row maximum first (no probability
            changes), so a tiny ``T`` gives the argmax limit, tied maxima sharing the mass.
        top_k: keep the ``top_k`` largest logits (default None: no top-k filter).
        top_p: keep the nucleus of mass ``top_p`` (default None: no top-p filter).

    Returns:
        Probabilities of shape ``(..., K)``, summing to 1 along the last axis, 0 on the removed
        entries.

    Examples:
        >>> import numpy as np, xent
        >>> z = np.log([0.5, 0.3, 0.2])
        >>> np.round(xent.sampling_probs(z, top_k=2), 3).tolist()   # 0.5 and 0.3, renormalised
        [0.625, 0.375, 0.0]

    References:
        Holtzman, A., Buys, J., Du, L., Forbes, M. and Choi, Y. (2020). The curious case of
        neural text degeneration. *ICLR 2020*.
    """
    filtered = _tempered(logits, temperature)
    if top_k is not None:
        filtered = top_k_filter(filtered, top_k)
    if top_p is not None:
        filtered = top_p_filter(filtered, top_p)
    return softmax(filtered)


def sample(
    logits: ArrayLike,
    *,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> np.ndarray:
    r"""Draw one class index per row from :func:`sampling_probs`, reproducibly.

    Inverse-CDF sampling: with :math:`u` uniform on :math:`[0, 1)` and :math:`C_i` the
    cumulative probabilities, the index drawn is the first :math:`i` with :math:`C_i > u`.
    Entries of probability 0 are never drawn.

    Exactly one of ``rng`` (a :class:`numpy.random.Generator`, advanced by the call) and
    ``seed`` (a fresh generator ``numpy.random.default_rng(seed)``) must be given: an
    unseeded sampler would make every result impossible to reproduce.

    Args:
        logits: shape ``(..., K)``.
        rng: the random generator to draw from.
        seed: a seed for a fresh generator, instead of ``rng``.
        temperature: ``T > 0`` (default 1); any positive value, as in :func:`sampling_probs`.
        top_k: keep the ``top_k`` largest logits (default None).
        top_p: keep the nucleus of mass ``top_p`` (default None).

    Returns:
        Integer array of shape ``(...)`` (``logits.shape[:-1]``): one index in ``[0, K)`` per
        row; a 0-d array for a single row of shape ``(K,)``.

    Raises:
        TypeError: ``rng`` is not a numpy Generator.
        ValueError: neither or both of ``rng`` and ``seed`` given, a negative ``seed``, or a
            bad ``temperature``, ``top_k``, ``top_p`` or ``logits``.

    Examples:
        >>> import numpy as np, xent
        >>> z = np.log([0.1, 0.6, 0.3])
        >>> int(xent.sample(z, seed=0, top_k=1))     # top_k = 1 is the argmax
        1
        >>> xent.sample(np.tile(z, (5, 1)), seed=0).tolist()
        [1, 1, 0, 0, 2]

    References:
        Holtzman, A., Buys, J., Du, L., Forbes, M. and Choi, Y. (2020). The curious case of
        neural text degeneration. *ICLR 2020*.
    """
    if (rng is None) == (seed is None):
        raise ValueError(
            "pass exactly one of rng= (a numpy Generator) and seed= (an integer); "
            f"got rng={rng!r}, seed={seed!r}"
        )
    if rng is None:
        if _validate.integer(seed, "seed") < 0:  # type: ignore[arg-type]
            raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
        rng = np.random.default_rng(int(seed))  # type: ignore[arg-type]
    elif not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    probs = sampling_probs(logits, temperature=temperature, top_k=top_k, top_p=top_p)
    probs = probs.astype(np.float64)
    cumulative = np.cumsum(probs, axis=-1)
    u = rng.random(probs.shape[:-1]) * cumulative[..., -1]
    index = np.sum(cumulative <= u[..., None], axis=-1)
    # u * total can round up to total itself: fall back to the last entry of positive mass.
    last_positive = probs.shape[-1] - 1 - np.argmax(probs[..., ::-1] > 0, axis=-1)
    return np.asarray(np.minimum(index, last_positive), dtype=np.int64)
