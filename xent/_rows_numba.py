# mypy: ignore-errors
# (numba types this module itself, at compile time; mypy cannot follow its decorators.)
"""The fused softmax cross-entropy kernel of :mod:`xent._rows`, compiled with numba.

Imported by :mod:`xent._rows` only when numba is installed and a large float32 input arrives, so
``import xent`` stays light. It computes the same per-row formulas as ``_rows._fused_rows`` (the
numpy version, which is the reference the tests compare it with and the fallback without numba),
but in one read of each row: the exponentials go straight into the gradient, are summed in
float64, and are scaled while the row is still in cache.

The exponential is written out (``exp_nonpositive``) rather than called from libm, because a
libm call cannot be vectorised: this one is Cephes' ``expf`` (a degree-6 polynomial on
``[-ln 2 / 2, ln 2 / 2]`` times ``2^k``), within 1 ulp on ``[-87, 0]`` as the kernel runs it
(measured: 1.01) and rounded once where the result is subnormal, and it compiles to vector
instructions like the rest of the loop. It is compiled without reassociation, which the
loops' sums need and it must not have: allowed to reassociate, LLVM folded the two parts of
``ln 2`` into one rounded constant, 4.5 ulp on one CPU and 68 ulp for a generic x86-64.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

# Reassociation lets the sums be vectorised. No "nnan" or "ninf": NaN and inf must survive.
_FAST = {"nsz", "arcp", "contract", "afn", "reassoc"}
# The exponential's own flags: its range reduction and polynomial are evaluated as written.
# (A separate function, not inlined by numba, so its instructions keep these flags when LLVM
# inlines it into a loop compiled with _FAST.)
_EXP_FAST = _FAST - {"reassoc"}
_F = np.float32


@intrinsic
def _float32_from_bits(typingctx: Any, bits: Any) -> Any:
    """Reinterpret an int32 as the float32 with the same bits (for building ``2^k``)."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


@numba.njit(fastmath=_EXP_FAST)
def exp_nonpositive(x: float) -> float:
    """``e^x`` for float32 ``x <= 0``, subnormal results included; 0 below -104.

    Between -87.3 and -103.9, ``e^x`` is a subnormal float32: it is built as ``p 2^(k + 64)``,
    a normal number, times ``2^-64``, so it is rounded once, as ``np.exp`` rounds it. (Flushing
    these to 0 lost a confident row's whole loss, 99,999 classes at ``e^-90`` each.)
    """
    clipped = max(x, _F(-104.0))
    # k = round(x / ln 2); truncating toward zero after subtracting 1/2 rounds a negative number.
    k = np.int32(clipped * _F(1.4426950408889634) - _F(0.5))
    k_float = _F(k)
    # r = x - k ln 2, with ln 2 split in two so that k * 0.693359375 is exact.
    r = clipped - k_float * _F(0.693359375) - k_float * _F(-2.12194440e-4)
    p = _F(1.9875691500e-4)
    p = p * r + _F(1.3981999507e-3)
    p = p * r + _F(8.3334519073e-3)
    p = p * r + _F(4.1665795894e-2)
    p = p * r + _F(1.6666665459e-1)
    p = p * r + _F(5.0000001201e-1)
    p = p * r * r + r + _F(1.0)
    # 2^(k + 64) is a normal float32 for every k >= -150 (its exponent field is k + 191 > 0).
    value = p * _float32_from_bits((k + np.int32(191)) << np.int32(23)) * _F(5.421010862427522e-20)
    return value if x >= _F(-104.0) else _F(0.0)


@numba.njit(fastmath=_FAST, nogil=True)
def _exp_sum(zi: np.ndarray, m: float, t: int) -> float:
    """``sum over j != t of e^{z_j - m}``, in float64."""
    rest = 0.0
    for j in range(zi.shape[0]):
        e = exp_nonpositive(zi[j] - m)
        rest += e if j != t else _F(0.0)
    return rest


@numba.njit(fastmath=_FAST, nogil=True)
def _exp_sum_stored(zi: np.ndarray, m: float, t: int, oi: np.ndarray) -> float:
    """:func:`_exp_sum`, writing every ``e^{z_j - m}`` into ``oi`` on the way."""
    rest = 0.0
    for j in range(zi.shape[0]):
        e = exp_nonpositive(zi[j] - m)
        oi[j] = e
        rest += e if j != t else _F(0.0)
    return rest


@numba.njit(fastmath=_FAST, nogil=True)
def _exp_sum_in_place(zi: np.ndarray, m: float, t: int) -> float:
    """:func:`_exp_sum`, replacing every ``z_j`` by ``e^{z_j - m}`` (one array, no aliasing)."""
    rest = 0.0
    for j in range(zi.shape[0]):
        e = exp_nonpositive(zi[j] - m)
        zi[j] = e
        rest += e if j != t else _F(0.0)
    return rest


@numba.njit(fastmath=_FAST, nogil=True, cache=True)
def fused_rows(
    z: np.ndarray,
    top: np.ndarray,
    target: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    total: np.ndarray,
    scale: float,
    class_weight: np.ndarray,
    weighted: bool,
    weight_total: float,
    smoothing: bool,
    out: np.ndarray,
    need_grad: bool,
    in_place: bool,
    loss: np.ndarray,
    bad: np.ndarray,
) -> None:
    """Per-row loss into ``loss`` and scaled gradient into ``out``; ``bad`` marks rows to redo.

    ``in_place`` says that ``out`` is ``z``. Nothing is written in a bad row.

    A row is bad when its maximum ``z[i, top[i]]`` is not finite, or when the smoothing sum is
    NaN (a class of weight 0 at a logit of -inf): the plain version handles those.
    """
    num_rows, num_classes = z.shape
    for i in range(num_rows):
        zi = z[i]
        t = top[i]
        y = target[i]
        m = zi[t]
        bad[i] = False
        if not math.isfinite(m):
            bad[i] = True
            continue
        # Everything read from the row before anything is written: ``out`` may be ``z``. The
        # gaps in float64: a gap may be beyond float32's range while the loss is not.
        shifted_target = np.float64(zi[y]) - np.float64(m)
        shifted_sum = 0.0
        if smoothing:
            # sum_c w_c (z_c - m) <= 0; a class of weight 0 at a -inf logit makes it NaN.
            if weighted:
                for j in range(num_classes):
                    shifted_sum += class_weight[j] * (np.float64(zi[j]) - np.float64(m))
            else:
                for j in range(num_classes):
                    shifted_sum += np.float64(zi[j]) - np.float64(m)
            if math.isnan(shifted_sum):
                bad[i] = True
                continue
        # r = sum over j != top of e^{z_j - m}: the top's e^0 = 1 is left out, so r stays
        # accurate when the row is confident and r is far below float32's epsilon. (Every loop
        # runs over the whole row from 0: numba vectorises those, not loops from ``t + 1``.)
        if need_grad and in_place:
            oi = zi
            rest = _exp_sum_in_place(zi, m, t)
        elif need_grad:
            oi = out[i]
            rest = _exp_sum_stored(zi, m, t, oi)
        else:
            rest = _exp_sum(zi, m, t)
        log_norm = math.log1p(rest)
        row_loss = 0.0
        if a[i] != 0:
            row_loss = a[i] * (log_norm - shifted_target)
        if smoothing:
            row_loss += b[i] * (weight_total * log_norm - shifted_sum)
        loss[i] = 0.0 if total[i] == 0 else row_loss
        if not need_grad:
            continue
        coefficient = _F(total[i] * scale / (1.0 + rest))
        if smoothing:
            per_class = _F(b[i] * scale)
            if weighted:
                for j in range(num_classes):
                    oi[j] = oi[j] * coefficient - per_class * class_weight[j]
            else:
                for j in range(num_classes):
                    oi[j] = oi[j] * coefficient - per_class
        else:
            for j in range(num_classes):
                oi[j] = oi[j] * coefficient
        oi[y] -= _F(a[i] * scale)
        # The top entry, A q_top - P_top with q_top = 1 - s and s = r / (1 + r): written as
        # (A - P_top) - A s, since 1 - s rounds to 1 in a confident row and would lose s.
        w_top = class_weight[t] if weighted else 1.0
        off_top = (0.0 if t == y else a[i]) + b[i] * (weight_total - w_top)
        oi[t] = (off_top - total[i] * (rest / (1.0 + rest))) * scale
