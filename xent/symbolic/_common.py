"""Helpers shared by the derivations, and the numpy bridge :func:`to_numpy`."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy as sp

__all__ = [
    "to_numpy",
]


#: The softmax normaliser :math:`T = \sum_j e^{z_j}` in proofs that rewrite logits as
#: probabilities (:math:`e^{z_i} = T q_i`).
_NORMALISER = sp.Symbol("T", positive=True)


# --------------------------------------------------------------------------- helpers
def _num_classes(num_classes: int) -> int:
    if isinstance(num_classes, bool):
        raise TypeError(f"num_classes must be an integer; got {num_classes!r}")
    try:
        value = operator.index(num_classes)
    except TypeError:
        raise TypeError(f"num_classes must be an integer; got {num_classes!r}") from None
    if value < 2:
        raise ValueError(f"num_classes must be at least 2; got {value}")
    return value


def _vector(name: str, size: int, **assumptions: bool) -> tuple[Any, ...]:
    return tuple(sp.symbols(f"{name}1:{size + 1}", **assumptions))


def _logits(num_classes: int) -> tuple[Any, ...]:
    return _vector("z", num_classes, real=True)


def _probabilities(num_classes: int, name: str = "q") -> tuple[Any, ...]:
    return _vector(name, num_classes, positive=True)


def _softmax(logits: Sequence[Any]) -> tuple[Any, ...]:
    normaliser = sp.Add(*[sp.exp(z) for z in logits])
    return tuple(sp.exp(z) / normaliser for z in logits)


def _logsumexp(logits: Sequence[Any]) -> Any:
    return sp.log(sp.Add(*[sp.exp(z) for z in logits]))


def _is_zero(expr: Any) -> bool:
    """Whether SymPy proves ``expr == 0``: by expansion, by cancellation, else by ``simplify``."""
    # simplify is slow and heuristic: the exact, cheap rewrites go first.
    return bool(sp.expand(expr) == 0 or sp.cancel(expr) == 0 or sp.simplify(expr) == 0)


def _normalise_arguments(expr: Any) -> Any:
    """Cancel inside logarithms and powers with a symbolic exponent, so equal ones look equal.

    Integer powers need no such care: the final ``cancel`` of a rational function sees
    through them.
    """

    def needs_cancel(node: Any) -> bool:
        return isinstance(node, sp.log) or bool(node.is_Pow and not node.exp.is_Integer)

    def cancelled(node: Any) -> Any:
        return node.func(*[sp.cancel(arg) for arg in node.args])

    return expr.replace(needs_cancel, cancelled)


def _in_probabilities(
    expr: Any, logits: Sequence[Any], probabilities: Sequence[Any], keep: int | None = None
) -> Any:
    """Rewrite ``expr`` in the softmax probabilities: ``sum_j e^{z_j} = T``, ``e^{z_i} = T q_i``.

    One probability (the last one, or the first when ``keep`` is the last index) is
    eliminated as ``1 - sum(others)``; ``keep`` names a probability that must survive because
    it is the base of a power or the argument of a logarithm that the caller replaces.
    """
    expr = sp.sympify(expr)
    if logits:
        expr = expr.subs(sp.Add(*[sp.exp(z) for z in logits]), _NORMALISER)
        # exp(z1 + z2) must become exp(z1) exp(z2) before z_i = log(T q_i) can cancel the exp.
        expr = sp.expand_power_exp(expr).subs(
            {z: sp.log(_NORMALISER * q) for z, q in zip(logits, probabilities, strict=True)}
        )
    last = len(probabilities) - 1
    eliminated = 0 if keep == last else last
    others = [q for i, q in enumerate(probabilities) if i != eliminated]
    expr = expr.subs(probabilities[eliminated], 1 - sp.Add(*others))
    return sp.expand_log(_normalise_arguments(expr))


def _replace_powers(expr: Any, exponent: Any, powers: dict[Any, Any]) -> Any:
    """Write every ``base**(exponent + c)`` as ``symbol * base**c`` for ``base -> symbol``.

    SymPy keeps ``(1 - q)**gamma`` and ``(1 - q)**(gamma - 1)`` apart, so an identity
    between them (true for ``1 - q > 0``) only cancels once both are written through one
    symbol standing for ``(1 - q)**gamma``.
    """

    def matches(node: Any) -> bool:
        return bool(node.is_Pow and node.exp.has(exponent) and node.base in powers)

    def rewritten(node: Any) -> Any:
        return powers[node.base] * node.base ** sp.expand(node.exp - exponent)

    return expr.replace(matches, rewritten)


def _holds_in_probabilities(
    derived: Any,
    closed_form: Any,
    logits: Sequence[Any],
    probabilities: Sequence[Any],
) -> bool:
    """Whether ``derived`` (in the logits) equals ``closed_form`` (in the probabilities)."""
    difference = _in_probabilities(derived, logits, probabilities) - _in_probabilities(
        closed_form, (), probabilities
    )
    return _is_zero(difference)


def _elementwise_holds(
    derived: Sequence[Any] | Any,
    closed_form: Sequence[Any] | Any,
    logits: Sequence[Any],
    probabilities: Sequence[Any],
) -> bool:
    return all(
        _holds_in_probabilities(d, c, logits, probabilities)
        for d, c in zip(list(derived), list(closed_form), strict=True)
    )


def _normalised(probabilities: Sequence[Any]) -> dict[Any, Any]:
    """Substitution that makes ``probabilities`` sum to 1 by eliminating the last one."""
    return {probabilities[-1]: 1 - sp.Add(*probabilities[:-1])}


def _outer(column: Sequence[Any], row: Sequence[Any]) -> Any:
    return sp.Matrix(column) * sp.Matrix(row).T


# --------------------------------------------------------------------------- numpy bridge
def to_numpy(
    expr: sp.Basic | sp.MatrixBase | Sequence[sp.Basic], *args: sp.Basic | Sequence[sp.Basic]
) -> Callable[..., np.ndarray]:
    r"""Turn a SymPy expression into a vectorised numpy function (``sympy.lambdify``).

    .. math:: f(a_1, \dots, a_n) = \mathrm{expr}\big|_{\mathrm{args}_k = a_k}

    Each argument of the returned function matches one entry of ``args``: a single symbol
    takes an array of any shape, a sequence of ``K`` symbols (a vector such as the logits)
    takes an array of shape ``(..., K)`` whose last axis is unpacked into the symbols. All
    arguments broadcast against each other. Complex input is passed through, so the result
    can be differentiated by the complex step.

    Args:
        expr: a SymPy expression, a sequence of expressions of length ``m``, or a matrix of
            shape ``(m, n)``.
        *args: the free symbols, each a symbol or a sequence of symbols.

    Returns:
        A function of ``len(args)`` arrays returning an array of shape ``(...)`` for an
        expression, ``(..., m)`` for a sequence and ``(..., m, n)`` for a matrix, where
        ``...`` is the broadcast batch shape of the arguments.

    Raises:
        ValueError: (when called) if a vector argument's last axis does not have one entry
            per symbol.

    Examples:
        >>> import numpy as np
        >>> import sympy as sp
        >>> from xent.symbolic import to_numpy
        >>> z1, z2 = sp.symbols("z1 z2", real=True)
        >>> f = to_numpy(sp.exp(z1) / (sp.exp(z1) + sp.exp(z2)), (z1, z2))
        >>> f(np.array([[0.0, 0.0], [np.log(3.0), 0.0]])).round(12).tolist()
        [0.5, 0.75]

    References:
        Meurer, A. et al. (2017). SymPy: symbolic computing in Python. *PeerJ Computer
        Science* 3:e103.
    """
    vector_sizes = [len(arg) if isinstance(arg, (tuple, list)) else None for arg in args]
    groups = [
        list(arg) if size is not None else arg for arg, size in zip(args, vector_sizes, strict=True)
    ]
    if isinstance(expr, sp.MatrixBase):
        out_shape: tuple[int, ...] = tuple(expr.shape)
        entries = list(expr)
    elif isinstance(expr, (tuple, list)):
        out_shape = (len(expr),)
        entries = list(expr)
    else:
        out_shape = ()
        entries = [expr]
    # No docstring: printing a large expression a second time costs more than compiling it.
    function = sp.lambdify(groups, entries, modules="numpy", cse=True, docstring_limit=0)

    def evaluate(*values: Any) -> np.ndarray:
        if len(values) != len(groups):
            raise TypeError(f"expected {len(groups)} arguments; got {len(values)}")
        unpacked = []
        batch_shapes = []
        for value, size in zip(values, vector_sizes, strict=True):
            array = np.asarray(value)
            if array.dtype.kind in "biu":
                array = array.astype(np.float64)
            if size is None:
                unpacked.append(array)
                batch_shapes.append(array.shape)
                continue
            if array.ndim == 0 or array.shape[-1] != size:
                raise ValueError(
                    f"a vector argument of {size} symbols needs shape (..., {size}); "
                    f"got {array.shape}"
                )
            unpacked.append(np.moveaxis(array, -1, 0))
            batch_shapes.append(array.shape[:-1])
        batch = np.broadcast_shapes(*batch_shapes)
        results = [np.broadcast_to(np.asarray(r), batch) for r in function(*unpacked)]
        stacked = np.stack(results, axis=-1) if results else np.empty(batch + (0,))
        return np.asarray(stacked.reshape(batch + out_shape))

    return evaluate


def _variance(weights: Sequence[Any], values: Sequence[Any]) -> Any:
    mean = sp.Add(*[w * v for w, v in zip(weights, values, strict=True)])
    return sp.Add(*[w * (v - mean) ** 2 for w, v in zip(weights, values, strict=True)])
