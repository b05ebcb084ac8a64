"""Write tests/data/scipy_cases.json: the input/expected pairs of SciPy's own tests.

Each case is taken from a test in SciPy 1.17's suite for a function xent shares with it
(``scipy/special/tests/test_logsumexp.py``, ``test_basic.py``, ``scipy/stats/tests/
test_entropy.py``; the test is named in ``source``), with SciPy's answer computed here by SciPy.
SciPy's defaults differ from xent's (``axis=None`` for ``logsumexp``/``softmax``, ``axis=0``
for ``stats.entropy``), so every case states its ``axis``. Arrays of 100,000 or a million
entries in SciPy's tests are cut to a hundred. ``tests/test_peer_cases.py`` holds xent to
these answers, and recomputes them with the installed SciPy.

Run::

    python tests/data/make_scipy_cases.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import scipy
from scipy import special, stats

OUT = Path(__file__).with_name("scipy_cases.json")
LSE = "scipy/special/tests/test_logsumexp.py::TestLogSumExp::"
SOFTMAX = "scipy/special/tests/test_logsumexp.py::TestSoftmax::"
LOG_SOFTMAX = "scipy/special/tests/test_logsumexp.py::TestLogSoftmax::"
BASIC = "scipy/special/tests/test_basic.py::"
ENTROPY = "scipy/stats/tests/test_entropy.py::TestEntropy::"


def cases() -> list[tuple[str, str, list[Any], dict[str, Any]]]:
    """``(source, function, args, kwargs)``; the function is named as in xent."""
    inf, nan = math.inf, math.nan
    out: list[tuple[str, str, list[Any], dict[str, Any]]] = []

    def add(source: str, function: str, *args: Any, **kwargs: Any) -> None:
        out.append((source, function, list(args), kwargs))

    add(LSE + "test_logsumexp", "logsumexp", [], axis=None)
    add(LSE + "test_logsumexp", "logsumexp", np.arange(200.0), axis=None)
    add(LSE + "test_logsumexp", "logsumexp", [1000.0, 1000.0], axis=None)
    add(LSE + "test_logsumexp", "logsumexp", np.full(1000, 10000.0), axis=None)
    log_x = np.log(np.full((2, 100), 1e-40))
    for axis in (None, 0, 1):
        add(LSE + "test_logsumexp", "logsumexp", log_x, axis=axis)
    for special_value in ([inf], [-inf], [nan], [-inf, -inf]):
        add(LSE + "test_logsumexp", "logsumexp", special_value, axis=None)
    magnitudes = [[1e10, 1e-10], [-1e10, -inf]]
    add(LSE + "test_logsumexp", "logsumexp", magnitudes, axis=-1)
    add(LSE + "test_logsumexp", "logsumexp", magnitudes, axis=-1, keepdims=True)
    add(LSE + "test_logsumexp", "logsumexp", magnitudes, axis=(-1, -2))
    add(
        LSE + "test_logsumexp_b",
        "logsumexp",
        np.arange(200.0),
        axis=None,
        b=np.arange(200.0, 0.0, -1.0),
    )
    add(LSE + "test_logsumexp_b", "logsumexp", [1000, 1000], axis=None, b=[1.2, 1.2])
    log_x = np.log(np.full((2, 100), 1e-40))
    scale = np.stack([np.linspace(1, 1000, 100)] * 2)
    for axis in (None, 0, 1):
        add(LSE + "test_logsumexp_b", "logsumexp", log_x, axis=axis, b=scale)
    add(
        LSE + "test_logsumexp_sign",
        "logsumexp",
        [1, 1, 1],
        axis=None,
        b=[1, -1, -1],
        return_sign=True,
    )
    add(
        LSE + "test_logsumexp_sign_zero",
        "logsumexp",
        [1, 1],
        axis=None,
        b=[1, -1],
        return_sign=True,
    )
    ones = np.ones((1, 2, 3, 4))
    add(LSE + "test_logsumexp_sign_shape", "logsumexp", ones, axis=2, b=ones, return_sign=True)
    add(LSE + "test_logsumexp_sign_shape", "logsumexp", ones, axis=(1, 3), b=ones, return_sign=True)
    add(LSE + "test_logsumexp_shape", "logsumexp", ones, axis=2, b=ones)
    add(LSE + "test_logsumexp_shape", "logsumexp", ones, axis=(1, 3), b=ones)
    add(LSE + "test_logsumexp_b_zero", "logsumexp", [1, 10000], axis=None, b=[1, 0])
    add(
        LSE + "test_logsumexp_b_shape",
        "logsumexp",
        np.zeros((4, 1, 2, 1)),
        axis=None,
        b=np.ones((3, 1, 5)),
    )
    add(LSE + "test_xp_invalid_input", "logsumexp", 1, axis=None)
    add(LSE + "test_xp_invalid_input", "logsumexp", [1, 2, 3], axis=None)
    for dtype in ("float32", "float64", "int32", "int64"):
        add(LSE + "test_dtypes_a", "logsumexp", np.array([1000.0, 1000.0]).astype(dtype), axis=None)
        add(
            LSE + "test_dtypes_ab",
            "logsumexp",
            np.array([2, 1]).astype(dtype),
            axis=None,
            b=np.array([1, -1], dtype=dtype),
        )
    add(LSE + "test_gh18295", "logsumexp", [0.0, -40.0], axis=None)
    for x in (-inf, inf):
        for y in (-inf, inf):
            add(LSE + "test_gh22601_infinite_elements", "logsumexp", [x, y], axis=None)
    a = [3.06409428, 0.37251854, 3.87471931]
    add(LSE + "test_gh22903", "logsumexp", a, axis=None, b=[1.88190708, 2.84174795, -0.85016884])
    add(
        LSE + "test_gh22903",
        "logsumexp",
        a,
        axis=None,
        b=[1.88190708, 2.84174795, -0.85016884],
        return_sign=True,
    )
    add(LSE + "test_gh22903", "logsumexp", a, axis=None, b=[1.88190708, 2.84174795, -3.85016884])
    add(LSE + "test_gh23548", "logsumexp", [inf], axis=None, return_sign=True)
    add(LSE + "test_gh23548", "logsumexp", [inf], axis=None, b=[-1.0], return_sign=True)

    for x in (
        [1000.0, 0.0, 0.0, 0.0],
        [1.0, 1.0],
        [0.0, 1.0],
        np.arange(4.0),
        np.arange(4.0) + 100,
        np.arange(4.0).reshape(2, 2),
    ):
        add(SOFTMAX + "test_softmax_fixtures", "softmax", x, axis=None)
    for axis in (0, 1):
        add(
            SOFTMAX + "test_softmax_multi_axes",
            "softmax",
            [[1000.0, 0.0], [1000.0, 0.0]],
            axis=axis,
        )
    wide = np.array([[-25.0, 0.0, 25.0, 50.0], [1.0, 325.0, 749.0, 750.0]])
    add(SOFTMAX + "test_softmax_multi_axes", "softmax", wide, axis=1)
    add(SOFTMAX + "test_softmax_multi_axes", "softmax", wide.T, axis=0)
    add(SOFTMAX + "test_softmax_multi_axes", "softmax", wide.reshape(2, 2, 2), axis=(1, 2))
    add(SOFTMAX + "test_softmax_int_array", "softmax", np.array([1000, 0, 0, 0]), axis=None)
    add(SOFTMAX + "test_softmax_scalar", "softmax", 1000, axis=None)
    add(SOFTMAX + "test_softmax_array_like", "softmax", [1000, 0, 0, 0], axis=None)

    add(LOG_SOFTMAX + "test_log_softmax_basic", "log_softmax", [1000.0, 1.0], axis=None)
    add(LOG_SOFTMAX + "test_log_softmax_int_array", "log_softmax", np.array([1000, 1]), axis=None)
    add(LOG_SOFTMAX + "test_log_softmax_scalar", "log_softmax", 1.0, axis=None)
    for offset in (0, 100):
        add(
            LOG_SOFTMAX + "test_log_softmax_translation",
            "log_softmax",
            np.arange(4.0) + offset,
            axis=None,
        )
    add(
        LOG_SOFTMAX + "test_log_softmax_noneaxis",
        "log_softmax",
        np.arange(4.0).reshape(2, 2),
        axis=None,
    )
    for axis in (0, 1):
        add(LOG_SOFTMAX + "test_axes", "log_softmax", [[1000.0, 1.0], [1000.0, 1.0]], axis=axis)
    grid = np.arange(8.0).reshape(2, 4)
    add(LOG_SOFTMAX + "test_log_softmax_2d_axis1", "log_softmax", grid, axis=1)
    add(LOG_SOFTMAX + "test_log_softmax_2d_axis0", "log_softmax", grid.T, axis=0)
    add(LOG_SOFTMAX + "test_log_softmax_3d", "log_softmax", grid.reshape(2, 2, 2), axis=(1, 2))

    pairs = np.array([(0, 0), (0, nan), (0, inf), (1.0, 2.0)])
    add(BASIC + "test_xlogy", "xlogy", pairs[:, 0], pairs[:, 1])
    pairs = np.array([(0, 0), (0, nan), (0, inf), (1.0, 2.0), (1, 1e-30)])
    add(BASIC + "test_xlog1py", "xlog1py", pairs[:, 0], pairs[:, 1])
    add(BASIC + "test_entr", "entr", [-0.0, -0.5, -1.0, -inf, 0.0, 0.5, 1.0, inf])
    values = [s * v for s in (-1, 1) for v in (0, 0.5, 1.0)]
    grid_xy = np.array([(x, y) for x in values for y in values])
    add(BASIC + "test_rel_entr", "rel_entr", grid_xy[:, 0], grid_xy[:, 1])
    near = np.array(
        [
            (0.9456657713430001, 0.9456657713430094),
            (0.48066098564791515, 0.48066098564794774),
            (0.786048657854401, 0.7860486578542367),
        ]
    )
    add(BASIC + "test_rel_entr_gh_20710_near_zero", "rel_entr", near[:, 0], near[:, 1])
    extreme = np.array([(4, 2.22e-308), (1e-200, 1e200), (2.22e-308, 1e15)])
    add(BASIC + "test_rel_entr_gh_20710_overflow", "rel_entr", extreme[:, 0], extreme[:, 1])

    pk, qk = [0.5, 0.2, 0.3], [0.1, 0.25, 0.65]
    add(ENTROPY + "test_entropy_positive", "kl_divergence", pk, pk, axis=0)
    add(ENTROPY + "test_entropy_positive", "kl_divergence", pk, qk, axis=0)
    add(ENTROPY + "test_entropy_base", "entropy", np.ones(16), axis=0, base=2.0)
    add(ENTROPY + "test_entropy_zero", "entropy", [0.0, 1.0, 2.0], axis=0)
    pk2 = [[0.1, 0.2], [0.6, 0.3], [0.3, 0.5]]
    qk2 = [[0.2, 0.1], [0.3, 0.6], [0.5, 0.3]]
    add(ENTROPY + "test_entropy_2d", "kl_divergence", pk2, qk2, axis=0)
    add(
        ENTROPY + "test_entropy_2d_zero",
        "kl_divergence",
        pk2,
        [[0.0, 0.1], [0.3, 0.6], [0.5, 0.3]],
        axis=0,
    )
    add(
        ENTROPY + "test_entropy_2d_zero",
        "kl_divergence",
        [[0.0, 0.2], [0.6, 0.3], [0.3, 0.5]],
        [[0.0, 0.1], [0.3, 0.6], [0.5, 0.3]],
        axis=0,
    )
    add(ENTROPY + "test_entropy_base_2d_nondefault_axis", "entropy", pk2, axis=1)
    add(ENTROPY + "test_entropy_2d_nondefault_axis", "kl_divergence", pk2, qk2, axis=1)
    add(ENTROPY + "test_base_entropy_with_axis_0_is_equal_to_default", "entropy", pk2, axis=0)
    add(ENTROPY + "test_base_entropy_transposed", "entropy", np.array(pk2).T, axis=0)
    return out


def scipy_call(function: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if function in ("entropy", "kl_divergence"):
        return stats.entropy(*args, **kwargs)
    return getattr(special, function)(*args, **kwargs)


def plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    array = np.asarray(value)
    return {"array": array.tolist(), "dtype": str(array.dtype)}


def main() -> None:
    records = []
    with np.errstate(all="ignore"):
        for source, function, args, kwargs in cases():
            record: dict[str, Any] = {
                "source": source,
                "function": function,
                "args": [plain(a) for a in args],
                "kwargs": {k: plain(v) if k == "b" else v for k, v in kwargs.items()},
            }
            try:
                record["scipy"] = plain(scipy_call(function, args, kwargs))
            except Exception as error:  # noqa: BLE001 - SciPy's error is its answer
                record["scipy_error"] = f"{type(error).__name__}: {error}"
            records.append(record)
    data = {
        "about": (
            f"Inputs from SciPy {scipy.__version__}'s own tests (named in 'source'), answers "
            "computed by that SciPy with tests/data/make_scipy_cases.py. An array is "
            "{array, dtype}; 'function' is the xent name (entropy and kl_divergence are "
            "scipy.stats.entropy with one or two distributions); kwargs give every axis."
        ),
        "cases": records,
    }
    OUT.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"wrote {len(records)} cases to {OUT}")


if __name__ == "__main__":
    main()
