"""Two variables: the chain rule, mutual information, Jensen's and the log-sum inequality."""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import Any

import sympy as sp

from xent.symbolic._common import _is_zero, _normalised, _num_classes, _probabilities

__all__ = [
    "JensenInequality",
    "JointTable",
    "LogSumInequality",
    "jensen_inequality",
    "joint_table",
    "log_sum_inequality",
]


def _table_size(value: int, name: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    try:
        size = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer; got {value!r}") from None
    if size < 1:
        raise ValueError(f"{name} must be at least 1; got {size}")
    return size


def _entropy(probabilities: Any) -> Any:
    return -sp.Add(*[p * sp.log(p) for p in probabilities])


@dataclass(frozen=True)
class JointTable:
    """A joint table of two variables and its information measures (see :func:`joint_table`).

    Attributes:
        table: the ``|X| x |Y|`` matrix of positive symbols ``p_{ij}`` (row ``x_i``, column
            ``y_j``).
        cells: the same symbols in row-major order, for :func:`to_numpy`.
        row_marginal: ``p(x_i) = sum_j p_{ij}`` for each row.
        column_marginal: ``p(y_j) = sum_i p_{ij}`` for each column.
        joint_entropy: ``H(X, Y) = -sum_{ij} p_{ij} log p_{ij}``.
        row_entropy: ``H(X)``, the entropy of the row marginal.
        column_entropy: ``H(Y)``, the entropy of the column marginal.
        conditional_entropy: ``H(Y | X) = -sum_{ij} p_{ij} log(p_{ij} / p(x_i))``.
        reverse_conditional_entropy: ``H(X | Y) = -sum_{ij} p_{ij} log(p_{ij} / p(y_j))``.
        mutual_information: ``I(X; Y) = sum_{ij} p_{ij} log(p_{ij} / (p(x_i) p(y_j)))``, the
            KL divergence of the table from the product of its marginals.
        chain_rule_residual: ``H(X, Y) - H(X) - H(Y | X)``, simplified (0).
        information_residual: ``I(X; Y) - (H(Y) - H(Y | X))``, simplified (0).
        symmetry_residual: ``I(X; Y) - (H(X) - H(X | Y))``, simplified (0).
        independent_information: ``I`` of the product table ``a_i b_j`` with ``sum a = sum b
            = 1``, simplified (0).
        claim_holds: the three residuals and the independent information are 0.
    """

    table: sp.Matrix
    cells: tuple[sp.Symbol, ...]
    row_marginal: tuple[sp.Expr, ...]
    column_marginal: tuple[sp.Expr, ...]
    joint_entropy: sp.Expr
    row_entropy: sp.Expr
    column_entropy: sp.Expr
    conditional_entropy: sp.Expr
    reverse_conditional_entropy: sp.Expr
    mutual_information: sp.Expr
    chain_rule_residual: sp.Expr
    information_residual: sp.Expr
    symmetry_residual: sp.Expr
    independent_information: sp.Expr
    claim_holds: bool


def joint_table(rows: int = 2, columns: int = 3) -> JointTable:
    r"""Prove the chain rule and the two faces of mutual information on a ``rows x columns`` table.

    .. math::
        H(X, Y) = H(X) + H(Y \mid X), \qquad
        I(X; Y) = D_{\mathrm{KL}}\big(p(x, y) \,\|\, p(x) p(y)\big)
        = H(Y) - H(Y \mid X) = H(X) - H(X \mid Y),

    and ``I = 0`` for a product table ``p(x, y) = a(x) b(y)``. The cells are positive symbols
    and the marginals their row and column sums; after ``log(u / v) = log u - log v`` every
    identity is a cancellation of sums, which SymPy checks exactly. The chain rule and the
    two entropy differences hold even before the table is normalised; ``I = 0`` for a product
    needs ``sum a = sum b = 1``.

    Args:
        rows: the number of values of ``X``, at least 1.
        columns: the number of values of ``Y``, at least 1.

    Returns:
        A :class:`JointTable`.

    Raises:
        TypeError: if ``rows`` or ``columns`` is not an integer.
        ValueError: if ``rows`` or ``columns`` is less than 1.

    Examples:
        >>> from xent.symbolic import joint_table
        >>> result = joint_table(2, 2)
        >>> result.row_marginal
        (p11 + p12, p21 + p22)
        >>> result.chain_rule_residual, result.information_residual, result.symmetry_residual
        (0, 0, 0)
        >>> result.claim_holds
        True

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, 2nd ed.,
        theorems 2.2.1 and 2.4.1. Wiley.
    """
    # Validated before the cache: 2.0 == 2 would otherwise find the result cached for 2.
    return _joint_table(_table_size(rows, "rows"), _table_size(columns, "columns"))


@functools.cache
def _joint_table(num_rows: int, num_columns: int) -> JointTable:
    table = sp.Matrix(
        num_rows, num_columns, lambda i, j: sp.Symbol(f"p{i + 1}{j + 1}", positive=True)
    )
    cells = tuple(table)
    row_marginal = tuple(sp.Add(*table.row(i)) for i in range(num_rows))
    column_marginal = tuple(sp.Add(*table.col(j)) for j in range(num_columns))
    pairs = [(i, j) for i in range(num_rows) for j in range(num_columns)]
    joint = _entropy(cells)
    h_x = _entropy(row_marginal)
    h_y = _entropy(column_marginal)
    h_y_given_x = -sp.Add(*[table[i, j] * sp.log(table[i, j] / row_marginal[i]) for i, j in pairs])
    h_x_given_y = -sp.Add(
        *[table[i, j] * sp.log(table[i, j] / column_marginal[j]) for i, j in pairs]
    )
    information = sp.Add(
        *[
            table[i, j] * sp.log(table[i, j] / (row_marginal[i] * column_marginal[j]))
            for i, j in pairs
        ]
    )

    def simplified(expr: Any) -> Any:
        return sp.simplify(sp.expand(sp.expand_log(expr)))

    chain = simplified(joint - h_x - h_y_given_x)
    info_residual = simplified(information - (h_y - h_y_given_x))
    symmetry = simplified(information - (h_x - h_x_given_y))
    a = _probabilities(num_rows + 1, "a")[:num_rows] if num_rows > 1 else (sp.Integer(1),)
    b = _probabilities(num_columns + 1, "b")[:num_columns] if num_columns > 1 else (sp.Integer(1),)
    product = {table[i, j]: a[i] * b[j] for i, j in pairs}
    normalised: dict[Any, Any] = {}
    if num_rows > 1:
        normalised.update(_normalised(a))
    if num_columns > 1:
        normalised.update(_normalised(b))
    independent = sp.simplify(sp.expand_log(information.subs(product), force=True).subs(normalised))
    claim = all(_is_zero(r) for r in (chain, info_residual, symmetry, independent))
    return JointTable(
        table,
        cells,
        row_marginal,
        column_marginal,
        joint,
        h_x,
        h_y,
        h_y_given_x,
        h_x_given_y,
        information,
        chain,
        info_residual,
        symmetry,
        independent,
        claim,
    )


@dataclass(frozen=True)
class JensenInequality:
    """Jensen's inequality for the logarithm, and Gibbs' from it (see :func:`jensen_inequality`).

    Attributes:
        x: the positive symbol ``x``.
        m: the positive symbol ``m`` (the point of tangency, later the mean).
        second_derivative: ``d^2/dx^2 log x = -1/x^2`` (negative: ``log`` is concave).
        tangent: ``log m + (x - m)/m``, the tangent of ``log`` at ``m``.
        gap: ``tangent - log x``.
        stationary_points: the solutions of ``d gap / dx = 0`` on ``x > 0`` (``(m,)``).
        gap_at_m: the gap at ``x = m`` (0).
        gap_second_derivative: ``d^2 gap / dx^2 = 1/x^2`` (positive: ``m`` is the minimum).
        weights: the weight symbols ``w1 .. wK`` (positive).
        points: the point symbols ``x1 .. xK`` (positive).
        mean: ``sum_k w_k x_k``.
        tangent_average_residual: ``sum_k w_k tangent(x_k) - log(mean)`` with ``m = mean`` and
            ``sum w = 1`` (0): averaging the tangent gives exactly ``log`` of the mean.
        jensen_gap: ``log(sum_k w_k x_k) - sum_k w_k log x_k = sum_k w_k gap(x_k)``.
        p: the symbols ``p1 .. pK`` (positive).
        q: the symbols ``q1 .. qK`` (positive).
        ratio_mean: ``sum_k p_k (q_k / p_k)``, which cancels to ``sum_k q_k`` (1 for a
            distribution): Jensen with ``x_k = q_k / p_k`` gives ``-KL(p || q) <= log 1 = 0``.
        claim_holds: ``log`` is concave, the gap is a minimum of 0 at ``m``, the average of the
            tangent is ``log`` of the mean, and the ratio mean is ``sum q``.
    """

    x: sp.Symbol
    m: sp.Symbol
    second_derivative: sp.Expr
    tangent: sp.Expr
    gap: sp.Expr
    stationary_points: tuple[sp.Expr, ...]
    gap_at_m: sp.Expr
    gap_second_derivative: sp.Expr
    weights: tuple[sp.Symbol, ...]
    points: tuple[sp.Symbol, ...]
    mean: sp.Expr
    tangent_average_residual: sp.Expr
    jensen_gap: sp.Expr
    p: tuple[sp.Symbol, ...]
    q: tuple[sp.Symbol, ...]
    ratio_mean: sp.Expr
    claim_holds: bool


def jensen_inequality(num_points: int) -> JensenInequality:
    r"""Prove Jensen's inequality for the logarithm by its tangent line, and Gibbs' inequality.

    .. math::
        \log x \le \log m + \frac{x - m}{m} \quad (x, m > 0), \qquad
        \sum_k w_k \log x_k \le \log m + \frac{\sum_k w_k x_k - m}{m}
        = \log \sum_k w_k x_k \quad \text{at } m = \sum_k w_k x_k .

    ``log`` is concave (``(log x)'' = -1/x^2 < 0``), so it lies below its tangent; the gap
    between them has its only stationary point, a minimum of 0, at ``x = m``. Averaging the
    tangent with weights summing to 1 at ``m`` equal to the weighted mean gives exactly
    ``log m``. With ``x_k = q_k / p_k`` and ``w_k = p_k`` the weighted mean is
    ``sum_k q_k = 1``, so ``-D_KL(p || q) <= log 1 = 0``: Gibbs' inequality.

    Args:
        num_points: the number of points ``K >= 2`` averaged.

    Returns:
        A :class:`JensenInequality`.

    Raises:
        TypeError: if ``num_points`` is not an integer.
        ValueError: if ``num_points < 2``.

    Examples:
        >>> from xent.symbolic import jensen_inequality
        >>> result = jensen_inequality(2)
        >>> result.second_derivative, result.stationary_points
        (-1/x**2, (m,))
        >>> result.ratio_mean
        q1 + q2
        >>> result.claim_holds
        True

    References:
        Jensen, J. L. W. V. (1906). Sur les fonctions convexes et les inégalités entre les
        valeurs moyennes. *Acta Mathematica* 30. Cover, T. M. and Thomas, J. A. (2006).
        *Elements of Information Theory*, 2nd ed., theorem 2.6.2. Wiley.
    """
    return _jensen_inequality(_num_classes(num_points))


@functools.cache
def _jensen_inequality(size: int) -> JensenInequality:
    x = sp.Symbol("x", positive=True)
    m = sp.Symbol("m", positive=True)
    second = sp.diff(sp.log(x), x, 2)
    tangent = sp.log(m) + (x - m) / m
    gap = tangent - sp.log(x)
    stationary = sp.solveset(sp.diff(gap, x), x, sp.Interval.open(0, sp.oo))
    points_found = tuple(stationary) if stationary.is_FiniteSet else ()
    gap_at_m = sp.simplify(gap.subs(x, m))
    gap_second = sp.diff(gap, x, 2)
    weights = _probabilities(size, "w")
    xs = _probabilities(size, "x")
    mean = sp.Add(*[w * xk for w, xk in zip(weights, xs, strict=True)])
    tangent_average = sp.Add(*[w * tangent.subs(x, xk) for w, xk in zip(weights, xs, strict=True)])
    at_mean = (tangent_average - sp.log(mean)).subs(m, mean)
    residual = sp.simplify(at_mean.subs(_normalised(weights)))
    log_average = sp.Add(*[w * sp.log(xk) for w, xk in zip(weights, xs, strict=True)])
    jensen_gap = sp.log(mean) - log_average
    p = _probabilities(size, "p")
    q = _probabilities(size, "q")
    ratio_mean = sp.Add(*[pk * (qk / pk) for pk, qk in zip(p, q, strict=True)])
    claim = (
        bool(second.is_negative)
        and points_found == (m,)
        and gap_at_m == 0
        and bool(gap_second.is_positive)
        and _is_zero(residual)
        and _is_zero(ratio_mean - sp.Add(*q))
    )
    return JensenInequality(
        x,
        m,
        second,
        tangent,
        gap,
        points_found,
        gap_at_m,
        gap_second,
        weights,
        xs,
        mean,
        residual,
        jensen_gap,
        p,
        q,
        ratio_mean,
        claim,
    )


@dataclass(frozen=True)
class LogSumInequality:
    """The log-sum inequality as a scaled KL divergence (see :func:`log_sum_inequality`).

    Attributes:
        a: the symbols ``a1 .. aK`` (positive).
        b: the symbols ``b1 .. bK`` (positive).
        left: ``sum_k a_k log(a_k / b_k)``.
        right: ``A log(A / B)`` with ``A = sum a``, ``B = sum b``.
        scaled_divergence: ``A * KL(a / A || b / B)``.
        residual: ``left - right - scaled_divergence``, simplified (0).
        claim_holds: the residual is 0, so ``left - right`` is ``A`` times a KL divergence.
    """

    a: tuple[sp.Symbol, ...]
    b: tuple[sp.Symbol, ...]
    left: sp.Expr
    right: sp.Expr
    scaled_divergence: sp.Expr
    residual: sp.Expr
    claim_holds: bool


def log_sum_inequality(num_terms: int) -> LogSumInequality:
    r"""Prove the log-sum inequality by writing its gap as ``A`` times a KL divergence.

    .. math::
        \sum_k a_k \log \frac{a_k}{b_k} - A \log \frac{A}{B}
        = A \, D_{\mathrm{KL}}\Big(\frac{a}{A} \,\Big\|\, \frac{b}{B}\Big) \ge 0,
        \qquad A = \sum_k a_k, \; B = \sum_k b_k,

    for positive ``a_k, b_k``; by Gibbs' inequality the right side is non-negative, and zero
    only when ``a`` is proportional to ``b``.

    Args:
        num_terms: the number of terms ``K >= 2``.

    Returns:
        A :class:`LogSumInequality`.

    Raises:
        TypeError: if ``num_terms`` is not an integer.
        ValueError: if ``num_terms < 2``.

    Examples:
        >>> from xent.symbolic import log_sum_inequality
        >>> result = log_sum_inequality(2)
        >>> result.right
        (a1 + a2)*log((a1 + a2)/(b1 + b2))
        >>> result.residual, result.claim_holds
        (0, True)

    References:
        Cover, T. M. and Thomas, J. A. (2006). *Elements of Information Theory*, 2nd ed.,
        theorem 2.7.1. Wiley.
    """
    return _log_sum_inequality(_num_classes(num_terms))


@functools.cache
def _log_sum_inequality(size: int) -> LogSumInequality:
    a = _probabilities(size, "a")
    b = _probabilities(size, "b")
    total_a = sp.Add(*a)
    total_b = sp.Add(*b)
    left = sp.Add(*[ak * sp.log(ak / bk) for ak, bk in zip(a, b, strict=True)])
    right = total_a * sp.log(total_a / total_b)
    scaled = total_a * sp.Add(
        *[
            (ak / total_a) * sp.log((ak / total_a) / (bk / total_b))
            for ak, bk in zip(a, b, strict=True)
        ]
    )
    residual = sp.simplify(sp.expand(sp.expand_log(left - right - scaled)))
    return LogSumInequality(a, b, left, right, scaled, residual, _is_zero(residual))
