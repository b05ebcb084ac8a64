"""The divergence family beyond KL: Jensen-Shannon, total variation, Hellinger, chi-squared.

Each of them is an f-divergence :math:`D_f(p \\,\\|\\, q) = \\sum_i q_i f(p_i / q_i)` for a
convex ``f`` with ``f(1) = 0`` (Csiszar 1967; Ali and Silvey 1966), so each is non-negative
and zero only for ``p == q``. Named functions compute them accurately;
:func:`f_divergence` picks one by name, for code that loops over the family. Arguments and
conventions are those of :func:`xent.kl_divergence`: probability vectors along ``axis=-1``,
``0 log 0 = 0``, ``+inf`` where the divergence is infinite, NaN propagates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
from numpy.typing import ArrayLike

from xent import _validate
from xent.information import _distributions, _in_units, kl_divergence
from xent.special import rel_entr, xlogy

__all__ = [
    "F_DIVERGENCES",
    "chi2_divergence",
    "f_divergence",
    "hellinger_distance",
    "js_divergence",
    "total_variation",
]

class _Generators(Mapping[str, str]):
    """The kinds :func:`f_divergence` accepts, each mapped to its generator ``f(t)``, ``t = p / q``.

    A read-only mapping, in the order of the course's table: ``kl``, ``reverse_kl``, ``js``,
    ``total_variation``, ``chi2``, ``squared_hellinger``.
    """

    def __init__(self, generators: dict[str, str]) -> None:
        self._generators = dict(generators)

    def __getitem__(self, kind: str) -> str:
        return self._generators[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._generators)

    def __len__(self) -> int:
        return len(self._generators)

    def __repr__(self) -> str:
        return f"F_DIVERGENCES({self._generators!r})"


#: The kinds :func:`f_divergence` accepts, each with its generator ``f(t)``, ``t = p / q``.
F_DIVERGENCES: Mapping[str, str] = _Generators(
    {
        "kl": "t log t",
        "reverse_kl": "-log t",
        "js": "(t log t - (1 + t) log((1 + t) / 2)) / 2",
        "total_variation": "|t - 1| / 2",
        "chi2": "(t - 1)^2",
        "squared_hellinger": "(sqrt(t) - 1)^2 / 2",
    }
)

#: The members of the family measured in units of information (they take ``base=``).
_LOGARITHMIC = ("kl", "reverse_kl", "js")


def js_divergence(
    p: ArrayLike, q: ArrayLike, *, axis: int = -1, base: float | None = None
) -> np.ndarray:
    r"""Jensen-Shannon divergence: the mean KL divergence of ``p`` and ``q`` from their midpoint.

    .. math::
        \mathrm{JS}(p, q) = \tfrac12 D_{\mathrm{KL}}(p \,\|\, m)
        + \tfrac12 D_{\mathrm{KL}}(q \,\|\, m), \qquad m = \tfrac12 (p + q)

    Symmetric, always finite (``m_i > 0`` wherever ``p_i > 0`` or ``q_i > 0``), and at most
    ``log 2`` (one bit), reached when ``p`` and ``q`` have disjoint supports. Its square
    root is a metric; ``scipy.spatial.distance.jensenshannon`` returns that square root.

    Each class contributes :math:`\tfrac{s}{4}\,[(1 + d)\log(1 + d) + (1 - d)\log(1 - d)]`
    with :math:`s = p_i + q_i` and :math:`d = (p_i - q_i) / s`, a non-negative term. For
    small ``|d|`` the bracket is computed as :math:`2 d \operatorname{artanh} d +
    \log(1 - d^2)`, which keeps full relative accuracy when ``p`` and ``q`` are close
    (the plain form loses it to cancellation there).

    Args:
        p: probabilities, shape ``(..., K)``, summing to 1 along ``axis``.
        q: broadcastable with ``p``, same ``K``.
        axis: the class axis (keyword-only).
        base: ``None`` for nats, ``2`` for bits.

    Returns:
        Array of the broadcast shape without ``axis``, in ``[0, log 2]``.

    Raises:
        ValueError: if ``p`` or ``q`` is not a probability distribution along ``axis``.

    Examples:
        >>> import xent
        >>> float(xent.js_divergence([1.0, 0.0], [0.0, 1.0], base=2))  # disjoint: one bit
        1.0
        >>> round(float(xent.js_divergence([0.5, 0.5], [0.9, 0.1])), 6)
        0.101749

    References:
        Lin, J. (1991). Divergence measures based on the Shannon entropy. *IEEE Transactions
        on Information Theory* 37(1).
    """
    p_arr, q_arr, axis, dtype = _distributions(p, q, axis)
    total = p_arr + q_arr
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (p_arr - q_arr) / total
        upper = 2 * p_arr / total  # 1 + d and 1 - d, without the rounding of 1 +- d
        lower = 2 * q_arr / total
        plain = xlogy(upper, upper) + xlogy(lower, lower)
        small = 2 * d * np.arctanh(d) + np.log1p(-d * d)
    bracket = np.where(np.abs(d) < 0.5, small, plain)
    terms = np.where(total == 0, 0.0, total / 4 * bracket)
    terms = np.where(np.isnan(p_arr) | np.isnan(q_arr), np.nan, terms)
    return _in_units(np.sum(terms, axis=axis), base, dtype)


def total_variation(p: ArrayLike, q: ArrayLike, *, axis: int = -1) -> np.ndarray:
    r"""Total variation distance: the largest difference in probability the two give an event.

    .. math::
        \mathrm{TV}(p, q) = \max_A |p(A) - q(A)| = \tfrac12 \sum_i |p_i - q_i|

    A metric on distributions, in ``[0, 1]``: ``1`` for disjoint supports. Pinsker's
    inequality bounds it by the KL divergence, ``TV <= sqrt(KL / 2)`` (KL in nats). A
    probability, not an amount of information, so it takes no ``base``.

    Args:
        p: probabilities, shape ``(..., K)``.
        q: broadcastable with ``p``, same ``K``.
        axis: the class axis (keyword-only).

    Returns:
        Array of the broadcast shape without ``axis``, in ``[0, 1]``.

    Raises:
        ValueError: if ``p`` or ``q`` is not a probability distribution along ``axis``.

    Examples:
        >>> import xent
        >>> round(float(xent.total_variation([0.5, 0.5], [0.9, 0.1])), 12)
        0.4

    References:
        Tsybakov, A. B. (2009). *Introduction to Nonparametric Estimation*, §2.4. Springer.
    """
    p_arr, q_arr, axis, dtype = _distributions(p, q, axis)
    return _validate.cast(np.sum(np.abs(p_arr - q_arr), axis=axis) / 2, dtype)


def hellinger_distance(p: ArrayLike, q: ArrayLike, *, axis: int = -1) -> np.ndarray:
    r"""Hellinger distance: the Euclidean distance between ``sqrt(p)`` and ``sqrt(q)``, scaled.

    .. math::
        d_{\mathrm H}(p, q) = \sqrt{\tfrac12 \sum_i \bigl(\sqrt{p_i} - \sqrt{q_i}\bigr)^2}
        = \sqrt{1 - \sum_i \sqrt{p_i q_i}}

    A metric on distributions, in ``[0, 1]``: ``1`` for disjoint supports. Its square is
    the f-divergence with ``f(t) = (sqrt(t) - 1)^2 / 2``
    (``f_divergence(p, q, "squared_hellinger")``). Some books leave out the factor ``1/2``,
    which multiplies the distance by ``sqrt(2)``. Computed from the sum of squares, each root
    difference as ``(p_i - q_i) / (sqrt(p_i) + sqrt(q_i))``: it stays accurate for close ``p``
    and ``q``, where ``1 - sum sqrt(p q)`` and ``sqrt(p_i) - sqrt(q_i)`` cancel.

    Args:
        p: probabilities, shape ``(..., K)``.
        q: broadcastable with ``p``, same ``K``.
        axis: the class axis (keyword-only).

    Returns:
        Array of the broadcast shape without ``axis``, in ``[0, 1]``.

    Raises:
        ValueError: if ``p`` or ``q`` is not a probability distribution along ``axis``.

    Examples:
        >>> import xent
        >>> float(xent.hellinger_distance([1.0, 0.0], [0.0, 1.0]))  # disjoint supports
        1.0
        >>> round(float(xent.hellinger_distance([0.25, 0.75], [0.75, 0.25])), 6)
        0.366025

    References:
        Hellinger, E. (1909). Neue Begründung der Theorie quadratischer Formen von unendlichvielen
        Veränderlichen. *Journal für die reine und angewandte Mathematik* 136. Tsybakov (2009),
        §2.4.
    """
    p_arr, q_arr, axis, dtype = _distributions(p, q, axis)
    difference = _root_differences(p_arr, q_arr)
    # the norm of the root differences scaled by their largest: the sum of their squares
    # underflows for distributions whose distance is still representable (1.6e-162)
    scale = np.max(np.abs(difference), axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(scale == 0, 0.0, difference / scale)
    distance = np.squeeze(scale, axis=axis) * np.sqrt(np.sum(scaled * scaled, axis=axis) / 2)
    return _validate.cast(distance, dtype)


def _root_differences(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    # sqrt(p) - sqrt(q) as (p - q) / (sqrt(p) + sqrt(q)): for close p and q the difference of
    # the roots cancels (8 % off in float64, 3x in float32), p - q does not.
    with np.errstate(invalid="ignore", divide="ignore"):
        roots = np.sqrt(p) + np.sqrt(q)
        return np.where(roots == 0, 0.0, (p - q) / roots)


def _squared_hellinger(p: np.ndarray, q: np.ndarray, axis: int) -> np.ndarray:
    difference = _root_differences(p, q)
    return np.asarray(np.sum(difference * difference, axis=axis) / 2)


def chi2_divergence(p: ArrayLike, q: ArrayLike, *, axis: int = -1) -> np.ndarray:
    r"""Pearson's chi-squared divergence of ``q`` from ``p``: squared differences relative to ``q``.

    .. math::
        \chi^2(p \,\|\, q) = \sum_i \frac{(p_i - q_i)^2}{q_i} = \sum_i \frac{p_i^2}{q_i} - 1

    Arguments in the order of :func:`xent.kl_divergence`: the reference distribution ``q``
    is in the denominator. Not symmetric; a class with ``p_i > 0 = q_i`` makes it ``+inf``,
    and one with ``p_i = q_i = 0`` contributes ``0``. It bounds the KL divergence from
    above: ``KL(p || q) <= log(1 + chi2(p || q))``.

    Args:
        p: probabilities, shape ``(..., K)``.
        q: broadcastable with ``p``, same ``K``.
        axis: the class axis (keyword-only).

    Returns:
        Array of the broadcast shape without ``axis``, in ``[0, inf]``.

    Raises:
        ValueError: if ``p`` or ``q`` is not a probability distribution along ``axis``.

    Examples:
        >>> import xent
        >>> round(float(xent.chi2_divergence([0.5, 0.5], [0.9, 0.1])), 6)
        1.777778
        >>> float(xent.chi2_divergence([0.5, 0.5], [1.0, 0.0]))
        inf

    References:
        Pearson, K. (1900). On the criterion that a given system of deviations from the
        probable ... *Philosophical Magazine* 50(302). Tsybakov (2009), §2.4.
    """
    p_arr, q_arr, axis, dtype = _distributions(p, q, axis)
    difference = p_arr - q_arr
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        # d * (d / q), not d**2 / q: the square of a tiny difference underflows (0 for two
        # different distributions, 0 / 0 where q is 0); where d / q overflows and the term
        # does not (d = 1e-5, q = 1e-314), the square goes first.
        terms = difference * (difference / q_arr)
        terms = np.where(np.isinf(terms) & (q_arr > 0), difference * difference / q_arr, terms)
    terms = np.where((q_arr == 0) & (p_arr > 0), np.inf, terms)
    terms = np.where((q_arr == 0) & (p_arr == 0), 0.0, terms)
    return _validate.cast(np.sum(terms, axis=axis), dtype)


def f_divergence(
    p: ArrayLike, q: ArrayLike, kind: str, *, axis: int = -1, base: float | None = None
) -> np.ndarray:
    r"""The f-divergence named ``kind``: ``sum_i q_i f(p_i / q_i)`` for a convex ``f``.

    .. math::
        D_f(p \,\|\, q) = \sum_i q_i\, f\Bigl(\frac{p_i}{q_i}\Bigr)

    ``kind`` is one of the keys of :data:`F_DIVERGENCES`, which also lists each generator:

    - ``"kl"``: :math:`f(t) = t \log t`, the same as ``kl_divergence(p, q)``;
    - ``"reverse_kl"``: :math:`f(t) = -\log t`, the same as ``kl_divergence(q, p)``;
    - ``"js"``: :math:`f(t) = \tfrac12 [t \log t - (1 + t) \log \tfrac{1 + t}{2}]`,
      :func:`js_divergence`;
    - ``"total_variation"``: :math:`f(t) = \tfrac12 |t - 1|`, :func:`total_variation`;
    - ``"chi2"``: :math:`f(t) = (t - 1)^2`, :func:`chi2_divergence`;
    - ``"squared_hellinger"``: :math:`f(t) = \tfrac12 (\sqrt t - 1)^2`, the square of
      :func:`hellinger_distance`.

    Each is computed by its named function, with the limits of ``q f(p / q)`` at ``q = 0``
    (``0`` if ``p = 0`` too, ``p f'(oo)`` otherwise, which is ``+inf`` for KL and chi-squared).
    A general callable ``f`` is not accepted: the limits at the edges of the simplex, which
    decide whether the divergence is finite, cannot be read off a Python function.

    Args:
        p: probabilities, shape ``(..., K)``.
        q: broadcastable with ``p``, same ``K``.
        kind: the name of the divergence (see the table).
        axis: the class axis (keyword-only).
        base: ``None`` for nats, ``2`` for bits; only for ``"kl"``, ``"reverse_kl"``, ``"js"``,
            the members measured in units of information.

    Returns:
        Array of the broadcast shape without ``axis``.

    Raises:
        ValueError: for an unknown ``kind``, a ``base`` given to a divergence that is not
            measured in nats, or ``p``, ``q`` that are not distributions.

    Examples:
        >>> import xent
        >>> p, q = [0.5, 0.5], [0.9, 0.1]
        >>> [round(float(xent.f_divergence(p, q, kind)), 4) for kind in xent.F_DIVERGENCES]
        [0.5108, 0.3681, 0.1017, 0.4, 1.7778, 0.1056]

    References:
        Csiszár, I. (1967). Information-type measures of difference of probability
        distributions and indirect observations. *Studia Scientiarum Mathematicarum
        Hungarica* 2. Ali, S. M. and Silvey, S. D. (1966). A general class of coefficients of
        divergence of one distribution from another. *JRSS B* 28(1).
    """
    if not isinstance(kind, str) or kind not in F_DIVERGENCES:
        raise ValueError(f"kind must be one of {', '.join(map(repr, F_DIVERGENCES))}; got {kind!r}")
    if base is not None and kind not in _LOGARITHMIC:
        raise ValueError(
            f"base applies only to 'kl', 'reverse_kl' and 'js'; {kind!r} is not measured in "
            f"units of information, so pass base=None"
        )
    if kind == "kl":
        return kl_divergence(p, q, axis=axis, base=base)
    if kind == "reverse_kl":
        # Validated here, not by kl_divergence(q, p), so that an error names the right argument.
        p_arr, q_arr, axis, dtype = _distributions(p, q, axis)
        divergence = np.maximum(np.sum(rel_entr(q_arr, p_arr), axis=axis), 0.0)
        return _in_units(divergence, base, dtype)
    if kind == "js":
        return js_divergence(p, q, axis=axis, base=base)
    if kind == "total_variation":
        return total_variation(p, q, axis=axis)
    if kind == "chi2":
        return chi2_divergence(p, q, axis=axis)
    p_arr, q_arr, axis, dtype = _distributions(p, q, axis)
    return _validate.cast(_squared_hellinger(p_arr, q_arr, axis), dtype)
