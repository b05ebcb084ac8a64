"""Argument checking shared by every public function of xent.

Each helper either returns a clean numpy array or raises an error whose message names the
argument and what was wrong with it. Nothing here computes anything a reader needs to learn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

REDUCTIONS = ("mean", "sum", "none")


def float_array(value: ArrayLike, name: str) -> tuple[np.ndarray, np.dtype[Any]]:
    """Return ``(array in its working dtype, output dtype)`` for a real-valued argument.

    float16 is computed in float32 and handed back as float16; integers and booleans become
    float64; complex, object and string input is refused.
    """
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind == "c":
        raise TypeError(f"{name} must be real-valued; got complex dtype {array.dtype}")
    if kind not in "fiub":
        raise TypeError(f"{name} must be an array of real numbers; got dtype {array.dtype}")
    if kind in "iub":
        return array.astype(np.float64), np.dtype(np.float64)
    if array.dtype == np.float16:
        return array.astype(np.float32), np.dtype(np.float16)
    return array, array.dtype


def cast(result: ArrayLike, dtype: np.dtype[Any]) -> np.ndarray:
    """Hand a result back in the output dtype; a value beyond float16's range becomes inf."""
    with np.errstate(over="ignore"):
        return np.asarray(result).astype(dtype, copy=False)


def common_dtype(*dtypes: DTypeLike) -> np.dtype[Any]:
    """The output dtype of an operation on arrays of the given float dtypes."""
    return np.result_type(*dtypes)


def working_dtype(out_dtype: np.dtype[Any]) -> np.dtype[Any]:
    """float16 is computed in float32, every other float in itself."""
    return np.dtype(np.float32) if out_dtype == np.float16 else out_dtype


def class_axis(array: np.ndarray, axis: int, name: str) -> int:
    """Normalise ``axis`` for ``array`` and refuse scalars and empty class axes."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"axis must be an integer; got {axis!r}")
    if array.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (the class axis); got a scalar")
    if not -array.ndim <= axis < array.ndim:
        raise ValueError(f"axis {axis} is out of range for {name} with {array.ndim} dimension(s)")
    axis = int(axis) % array.ndim
    if array.shape[axis] == 0:
        raise ValueError(f"{name} has zero classes along axis {axis} (shape {array.shape})")
    return axis


def _row_label(index: tuple[int, ...]) -> str:
    return str(index[0]) if len(index) == 1 else str(index)


def in_unit_interval(array: np.ndarray, name: str) -> None:
    """Refuse entries outside [0, 1]; NaN is let through to propagate."""
    with np.errstate(invalid="ignore"):
        bad = (array < 0) | (array > 1)
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" at index {_row_label(index)}" if array.ndim else ""
        raise ValueError(f"{name} must lie in [0, 1]; found {array[index].item()!r}{where}")


def sum_tolerance(dtype: np.dtype[Any]) -> float:
    """How far a row sum may stray from 1: the square root of the dtype's machine epsilon."""
    return float(np.sqrt(np.finfo(dtype).eps))


def distribution(array: np.ndarray, axis: int, name: str, input_dtype: np.dtype[Any]) -> None:
    """Refuse anything that is not a probability distribution along ``axis``."""
    in_unit_interval(array, name)
    sums = np.asarray(np.sum(array, axis=axis, dtype=np.float64))
    tolerance = sum_tolerance(input_dtype)
    with np.errstate(invalid="ignore"):
        bad = np.abs(sums - 1.0) > tolerance
    if np.any(bad):
        label = "axis -1" if axis == array.ndim - 1 else f"axis {axis}"
        if sums.ndim == 0:
            raise ValueError(f"{name} must sum to 1 along {label}; it sums to {float(sums):.6g}")
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must sum to 1 along {label}; row {_row_label(index)} sums to "
            f"{float(sums[index]):.6g}"
        )


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}"
        )


def broadcast_pair(
    a: np.ndarray, b: np.ndarray, name_a: str, name_b: str
) -> tuple[np.ndarray, np.ndarray]:
    try:
        return np.broadcast_arrays(a, b)  # type: ignore[return-value]
    except ValueError:
        raise ValueError(
            f"{name_a} and {name_b} must have matching shapes; got {a.shape} and {b.shape}"
        ) from None


def reduction(value: str) -> str:
    if not isinstance(value, str) or value not in REDUCTIONS:
        raise ValueError(f"reduction must be one of 'mean', 'sum', 'none'; got {value!r}")
    return value


def label_smoothing(value: float) -> float:
    try:
        eps = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"label_smoothing must be a number in [0, 1]; got {value!r}") from None
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1]; got {value!r}")
    return eps


def positive_number(value: float, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a positive number; got {value!r}") from None
    if not (number > 0 and np.isfinite(number)):
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return number


def log_base(base: float | None) -> float | None:
    """``log(base)`` to divide nats by, or None for nats."""
    if base is None:
        return None
    number = positive_number(base, "base")
    if number == 1.0:
        raise ValueError("base must not be 1 (log 1 = 0); use 2 for bits or None for nats")
    return float(np.log(number))


def class_weight(
    weight: ArrayLike | None, num_classes: int, dtype: np.dtype[Any]
) -> np.ndarray | None:
    """A finite, non-negative weight per class, shape ``(num_classes,)``."""
    if weight is None:
        return None
    array, _ = float_array(weight, "weight")
    if array.shape != (num_classes,):
        raise ValueError(
            f"weight must have shape ({num_classes},), one entry per class; got {array.shape}"
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        bad = int(np.argwhere(~np.isfinite(array) | (array < 0))[0][0])
        raise ValueError(
            f"weight must be finite and non-negative; weight[{bad}] is {array[bad].item()!r}"
        )
    return array.astype(dtype, copy=False)


def class_indices(
    target: np.ndarray, num_classes: int, ignore_index: int | None, name: str = "target"
) -> np.ndarray:
    """Refuse class indices outside ``[0, num_classes)`` other than ``ignore_index``."""
    ignored: np.ndarray = np.asarray(
        np.zeros(target.shape, dtype=bool) if ignore_index is None else target == ignore_index
    )
    bad = ((target < 0) | (target >= num_classes)) & ~ignored
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" at index {_row_label(index)}" if target.ndim else ""
        allowed = "" if ignore_index is None else f" and not ignore_index={ignore_index}"
        raise IndexError(
            f"{name} holds class index {int(target[index])}{where}, outside "
            f"[0, {num_classes}){allowed}"
        )
    return ignored


def labels(values: ArrayLike, num_samples: int, num_classes: int) -> np.ndarray:
    """One class index in ``[0, num_classes)`` per sample, as a flat integer array."""
    array = np.asarray(values)
    if array.dtype.kind not in "iu":
        raise TypeError(f"labels must be class indices (integer dtype); got dtype {array.dtype}")
    array = array.reshape(-1)
    if array.size != num_samples:
        raise ValueError(
            f"labels must hold one class index per sample ({num_samples}); got {array.size}"
        )
    class_indices(array, num_classes, None, name="labels")
    return array


def integer(value: int, name: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    return int(value)
