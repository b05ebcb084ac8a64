"""Information measures on probability vectors: entropy, cross-entropy, KL divergence, units."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from xent import _validate
from xent.softmax import _normalizer, _times_probability
from xent.special import entr, rel_entr, xlogy


def _distribution(p: ArrayLike, axis: int, name: str) -> tuple[np.ndarray, int, np.dtype]:
    array, dtype = _validate.float_array(p, name)
    index = _validate.class_axis(array, axis, name)
    _validate.distribution(array, index, name, dtype, axis_label=axis)
    return array, index, dtype


def _distributions(
    p: ArrayLike, q: ArrayLike, axis: int
) -> tuple[np.ndarray, np.ndarray, int, np.dtype]:
    p_arr, p_dtype = _validate.float_array(p, "p")
    q_arr, q_dtype = _validate.float_array(q, "q")
    p_arr, q_arr = _validate.broadcast_pair(p_arr, q_arr, "p", "q")
    index = _validate.class_axis(p_arr, axis, "p")
    _validate.distribution(p_arr, index, "p", p_dtype, axis_label=axis)
    _validate.distribution(q_arr, index, "q", q_dtype, axis_label=axis)
    return p_arr, q_arr, index, _validate.common_dtype(p_dtype, q_dtype)


def _in_units(nats: np.ndarray, base: float | None, dtype: np.dtype) -> np.ndarray:
    log_base = _validate.log_base(base)
    result = nats if log_base is None else nats / log_base
    return _validate.cast(result, dtype)


def entropy(p: ArrayLike, *, axis: int = -1, base: float | None = None) -> np.ndarray:
    r"""Shannon entropy ``H(p) = -sum_i p_i log p_i``: the average surprisal of a draw from ``p``.

    .. math:: H(p) = -\sum_i p_i \log p_i

    Follows the convention ``0 log 0 = 0``: impossible outcomes contribute nothing.
    ``0 <= H(p) <= log K``, with 0 for a certain outcome and ``log K`` for the uniform.

    Args:
        p: probabilities, shape ``(..., K)``, summing to 1 along ``axis``.
        axis: the class axis (keyword-only).
        base: ``None`` for nats, ``2`` for bits, or any other base ``> 0``, ``!= 1``.

    Returns:
        Array of shape ``(...)``.

    Raises:
        ValueError: if ``p`` is not a probability distribution along ``axis``.

    Examples:
        >>> import xent
        >>> float(xent.entropy([0.5, 0.5], base=2))  # a fair coin: one bit
        1.0
        >>> float(xent.entropy([1.0, 0.0]))  # no uncertainty
        0.0

    References:
        Shannon, C. E. (1948). A mathematical theory of communication. *Bell System
        Technical Journal* 27.
    """
    array, axis, dtype = _distribution(p, axis, "p")
    return _in_units(np.sum(entr(array), axis=axis), base, dtype)


def cross_entropy(
    p: ArrayLike, q: ArrayLike, *, axis: int = -1, base: float | None = None
) -> np.ndarray:
    r"""Cross-entropy ``H(p, q) = -sum_i p_i log q_i``: the cost of coding ``p`` with ``q``'s code.

    .. math:: H(p, q) = -\sum_i p_i \log q_i = H(p) + D_{\mathrm{KL}}(p \,\|\, q)

    Follows the convention ``0 log 0 = 0``; a class with ``p_i > 0`` and ``q_i = 0`` makes the
    cross-entropy ``+inf``.

    Args:
        p: the true distribution, shape ``(..., K)``.
        q: the model's distribution, broadcastable with ``p``, same ``K``.
        axis: the class axis (keyword-only).
        base: ``None`` for nats, ``2`` for bits.

    Returns:
        Array of the broadcast shape without ``axis``.

    Examples:
        >>> import xent
        >>> float(xent.cross_entropy([0.0, 1.0, 0.0], [0.2, 0.5, 0.3]))  # one-hot: -log q(y)
        0.6931471805599453

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, 2nd ed., §5.4.
    """
    p_arr, q_arr, axis, dtype = _distributions(p, q, axis)
    # + 0.0 turns the -0.0 of a perfect prediction into 0.0.
    return _in_units(-np.sum(xlogy(p_arr, q_arr), axis=axis) + 0.0, base, dtype)


def kl_divergence(
    p: ArrayLike, q: ArrayLike, *, axis: int = -1, base: float | None = None
) -> np.ndarray:
    r"""Kullback-Leibler divergence ``D_KL(p || q) = sum_i p_i log(p_i / q_i)``.

    .. math:: D_{\mathrm{KL}}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i} = H(p, q) - H(p)

    Arguments in SciPy order: ``kl_divergence(p, q)`` is ``D_KL(p || q)``, the extra cost of
    coding samples of ``p`` with a code built for ``q``. Non-negative, zero only when
    ``p == q`` (Gibbs' inequality), and not symmetric. Follows ``0 log 0 = 0``.

    Args:
        p: shape ``(..., K)``.
        q: broadcastable with ``p``, same ``K``.
        axis: the class axis (keyword-only).
        base: ``None`` for nats, ``2`` for bits.

    Returns:
        Array of the broadcast shape without ``axis``.

    Examples:
        >>> import xent
        >>> round(float(xent.kl_divergence([0.5, 0.5], [0.9, 0.1])), 6)
        0.510826
        >>> round(float(xent.kl_divergence([0.9, 0.1], [0.5, 0.5])), 6)  # not symmetric
        0.368064

    References:
        Kullback, S. and Leibler, R. A. (1951). On information and sufficiency. *Annals of
        Mathematical Statistics* 22(1).
    """
    p_arr, q_arr, axis, dtype = _distributions(p, q, axis)
    # Terms of opposite sign can cancel to -1e-16 for p ~ q; the divergence is never negative.
    divergence = np.maximum(np.sum(rel_entr(p_arr, q_arr), axis=axis), 0.0)
    return _in_units(divergence, base, dtype)


def binary_entropy(p: ArrayLike, *, base: float | None = None) -> np.ndarray:
    r"""Entropy of a coin that lands heads with probability ``p``, elementwise.

    .. math:: H_b(p) = -p \log p - (1 - p) \log (1 - p)

    ``log(1 - p)`` is computed as ``log1p(-p)`` so small ``p`` keeps full accuracy. Follows
    ``0 log 0 = 0``; the maximum is ``log 2`` (one bit) at ``p = 1/2``.

    Args:
        p: probabilities in [0, 1], any shape.
        base: ``None`` for nats, ``2`` for bits.

    Returns:
        Array of the same shape.

    Examples:
        >>> import xent
        >>> xent.binary_entropy([0.0, 0.5, 1.0], base=2).tolist()
        [0.0, 1.0, 0.0]

    References:
        MacKay, D. J. C. (2003). *Information Theory, Inference, and Learning Algorithms*, §1.2.
    """
    array, dtype = _validate.float_array(p, "p")
    _validate.in_unit_interval(array, "p")
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = np.where(array == 1, 0.0, -(1 - array) * np.log1p(-array))
    return _in_units(entr(array) + tail, base, dtype)


def entropy_from_logits(z: ArrayLike, *, axis: int = -1, base: float | None = None) -> np.ndarray:
    r"""Entropy of ``softmax(z)``, computed from the logits, accurate even when it is tiny.

    .. math:: H(\operatorname{softmax}(z)) = -\sum_i q_i \log q_i, \quad
              \log q_i = z_i - \operatorname{lse}(z)

    Going through probabilities loses a confident row: ``q_top`` rounds to 1 and its term to
    0. Here ``log q_top = -log1p(r)`` keeps the term at its true size, about ``r``.

    Args:
        z: logits, shape ``(..., K)``.
        axis: the class axis (keyword-only).
        base: ``None`` for nats, ``2`` for bits.

    Returns:
        Array of shape ``(...)``.

    Examples:
        >>> import xent
        >>> float(xent.entropy_from_logits([0.0, -50.0]))  # about 51 e^-50; 0.0 via probabilities
        9.83662422461598e-21

    References:
        Blanchard, P., Higham, D. J. and Higham, N. J. (2021). Accurately computing the
        log-sum-exp and softmax functions. *IMA Journal of Numerical Analysis* 41(4).
    """
    array, _, dtype = _validate.logits(z, axis, "z")
    parts = _normalizer(array)
    with np.errstate(invalid="ignore"):
        probs = parts.exp_shifted / (1 + parts.rest)
        surprisal = parts.log_norm - parts.shifted
        # 0 log 0 = 0 where q is exactly 0 (a -inf logit), not where e^{log q} underflows.
        terms = np.where(surprisal == np.inf, 0.0, _times_probability(probs, -surprisal, surprisal))
    return _in_units(np.sum(terms, axis=-1), base, dtype)


def perplexity(loss: ArrayLike, *, base: float | None = None) -> np.ndarray:
    r"""Perplexity ``e^{loss}``: the number of equally likely choices with the same cross-entropy.

    .. math:: \operatorname{PPL} = e^{H(p, q)} \;(\text{nats}) = 2^{H(p, q)} \;(\text{bits})

    A model that spreads its bets evenly over ``K`` choices has cross-entropy ``log K`` and
    perplexity ``K``.

    Args:
        loss: a cross-entropy or entropy (e.g. a mean loss), any shape, in nats unless
            ``base`` says otherwise; must be non-negative.
        base: the unit of ``loss``: ``None`` for nats, ``2`` for bits.

    Returns:
        Array of the same shape, ``>= 1``.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> round(float(xent.perplexity(np.log(10.0))), 12)  # ten equally likely choices
        10.0
        >>> float(xent.perplexity(3.0, base=2))
        8.0

    References:
        Jurafsky, D. and Martin, J. H. (2025). *Speech and Language Processing*, 3rd ed.
        draft, §3.3.
    """
    array, dtype = _validate.float_array(loss, "loss")
    if np.any(array < 0):
        raise ValueError(
            "loss must be non-negative (a cross-entropy); found "
            f"{array[array < 0].flat[0].item()!r}"
        )
    _validate.log_base(base)
    with np.errstate(over="ignore"):
        result = np.exp(array) if base is None else np.power(float(base), array)
    return _validate.cast(result, dtype)


def nats_to_bits(x: ArrayLike) -> np.ndarray:
    r"""Convert an amount of information from nats to bits: divide by ``ln 2``.

    .. math:: 1\ \text{nat} = \frac{1}{\ln 2}\ \text{bits} \approx 1.4427\ \text{bits}

    Args:
        x: amounts in nats, any shape.

    Returns:
        Amounts in bits, same shape.

    Examples:
        >>> import numpy as np
        >>> import xent
        >>> float(xent.nats_to_bits(np.log(2)))
        1.0

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, §2.1.
    """
    array, dtype = _validate.float_array(x, "x")
    return _validate.cast(array / math.log(2), dtype)


def bits_to_nats(x: ArrayLike) -> np.ndarray:
    r"""Convert an amount of information from bits to nats: multiply by ``ln 2``.

    .. math:: 1\ \text{bit} = \ln 2\ \text{nats} \approx 0.6931\ \text{nats}

    Args:
        x: amounts in bits, any shape.

    Returns:
        Amounts in nats, same shape.

    Examples:
        >>> import xent
        >>> round(float(xent.bits_to_nats(1.0)), 6)
        0.693147

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, §2.1.
    """
    array, dtype = _validate.float_array(x, "x")
    return _validate.cast(array * math.log(2), dtype)
