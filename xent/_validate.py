"""Argument checking shared by every public function of xent.

Each helper either returns a clean numpy array or raises an error whose message names the
argument and what was wrong with it. Nothing here computes anything a reader needs to learn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

REDUCTIONS = ("mean", "sum", "none")


def as_array(value: ArrayLike, name: str) -> np.ndarray:
    """``np.asarray(value)``; a ragged list is a ValueError that names the argument (numpy's
    own message, "setting an array element with a sequence", does not)."""
    try:
        return np.asarray(value)
    except ValueError as error:
        raise ValueError(f"{name} must be a rectangular array of numbers; {error}") from None


def float_array(
    value: ArrayLike, name: str, keep_float16: bool = False
) -> tuple[np.ndarray, np.dtype[Any]]:
    """Return ``(array in its working dtype, output dtype)`` for a real-valued argument.

    float16 is computed in float32 and handed back as float16 (``keep_float16`` leaves the
    upcast to the caller); integers and booleans become float64; complex, object and string
    input is refused.
    """
    array = as_array(value, name)
    kind = array.dtype.kind
    if kind == "c":
        raise TypeError(f"{name} must be real-valued; got complex dtype {array.dtype}")
    if kind not in "fiub":
        raise TypeError(f"{name} must be an array of real numbers; got dtype {array.dtype}")
    if kind in "iub":
        return array.astype(np.float64), np.dtype(np.float64)
    if array.dtype == np.float16:
        return array if keep_float16 else array.astype(np.float32), np.dtype(np.float16)
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


def _is_integer(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def axis_index(array: np.ndarray, axis: int, name: str) -> int:
    """Normalise one ``axis`` of ``array`` to ``[0, ndim)``; refuse anything but an integer."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"axis must be an integer; got {axis!r}")
    if not -array.ndim <= axis < array.ndim:
        raise ValueError(f"axis {axis} is out of range for {name} with {array.ndim} dimension(s)")
    return int(axis) % array.ndim


def class_axis(array: np.ndarray, axis: int, name: str) -> int:
    """Normalise ``axis`` for ``array`` and refuse scalars and empty class axes."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"axis must be an integer; got {axis!r}")
    if array.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (the class axis); got a scalar")
    index = axis_index(array, axis, name)
    if array.shape[index] == 0:
        raise ValueError(f"{name} has zero classes along axis {axis} (shape {array.shape})")
    return index


def logits(
    value: ArrayLike, axis: int, name: str, keep_float16: bool = False
) -> tuple[np.ndarray, int, np.dtype[Any]]:
    """Logits (or log-probabilities) with the class axis moved last.

    Returns ``(array in its working dtype, the normalised axis, output dtype)``; with
    ``keep_float16``, float16 stays float16 (for a caller that upcasts a block at a time).
    """
    array, dtype = float_array(value, name, keep_float16)
    index = class_axis(array, axis, name)
    return np.moveaxis(array, index, -1), index, dtype


def reduction_axes(
    array: np.ndarray, axis: int | tuple[int, ...] | None, name: str
) -> tuple[int, ...]:
    """The axes a SciPy-style ``axis`` names: ``None`` for all, an integer, or a tuple."""
    if axis is None:
        return tuple(range(array.ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    if array.ndim == 0 and all(_is_integer(a) and a in (0, -1) for a in axes):
        return ()  # a 0-d array is one entry, as SciPy and PyTorch read it
    indices = tuple(axis_index(array, a, name) for a in axes)
    if len(set(indices)) != len(indices):
        raise ValueError(f"axis {axis} names an axis of {name} twice")
    return indices


def row_label(index: tuple[int, ...]) -> str:
    return str(index[0]) if len(index) == 1 else str(index)


def in_unit_interval(array: np.ndarray, name: str) -> None:
    """Refuse entries outside [0, 1]; NaN is let through to propagate."""
    with np.errstate(invalid="ignore"):
        bad = (array < 0) | (array > 1)
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" at index {row_label(index)}" if array.ndim else ""
        raise ValueError(f"{name} must lie in [0, 1]; found {array[index].item()!r}{where}")


def sum_tolerance(dtype: np.dtype[Any]) -> float:
    """How far a row sum may stray from 1: the square root of the dtype's machine epsilon."""
    return float(np.sqrt(np.finfo(dtype).eps))


def distribution(
    array: np.ndarray,
    axis: int,
    name: str,
    input_dtype: np.dtype[Any],
    axis_label: int | None = None,
) -> None:
    """Refuse anything that is not a probability distribution along ``axis``.

    ``axis_label`` is the axis as the user wrote it (``1``, not ``-1``), for the message.
    """
    in_unit_interval(array, name)
    sums = np.asarray(np.sum(array, axis=axis, dtype=np.float64))
    tolerance = sum_tolerance(input_dtype)
    with np.errstate(invalid="ignore"):
        bad = np.abs(sums - 1.0) > tolerance
    if np.any(bad):
        if axis_label is None:
            axis_label = -1 if axis == array.ndim - 1 else axis
        label = f"axis {axis_label}"
        if sums.ndim == 0:
            raise ValueError(f"{name} must sum to 1 along {label}; it sums to {float(sums):.6g}")
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must sum to 1 along {label}; row {row_label(index)} sums to "
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


def real_number(value: float, name: str, what: str = "a real number") -> float:
    """A Python float from a real scalar; strings, booleans, complex and arrays are refused.

    ``float("2")`` would succeed, so a string is checked for and refused by type, not by value.
    """
    array = as_array(value, name) if not isinstance(value, (str, bytes)) else None
    if array is None or array.ndim != 0 or array.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be {what}; got {value!r}")
    return float(array)


def label_smoothing(value: float) -> float:
    eps = real_number(value, "label_smoothing", "a number in [0, 1]")
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1]; got {value!r}")
    return eps


def positive_number(value: float, name: str) -> float:
    number = real_number(value, name, "a positive number")
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


def elementwise_weight(
    weight: ArrayLike | None, shape: tuple[int, ...], dtype: np.dtype[Any], name: str
) -> np.ndarray | None:
    """A finite, non-negative weight that broadcasts to ``shape`` without widening it."""
    if weight is None:
        return None
    array, _ = float_array(weight, name)
    try:
        widened = np.broadcast_shapes(array.shape, shape) != tuple(shape)
    except ValueError:
        widened = True
    if widened:
        raise ValueError(
            f"{name} must broadcast to the input's shape {tuple(shape)} without changing it; "
            f"got shape {array.shape}"
        )
    bad = ~np.isfinite(array) | (array < 0)
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" at index {row_label(index)}" if array.ndim else ""
        raise ValueError(
            f"{name} must be finite and non-negative; found {array[index].item()!r}{where}"
        )
    return np.broadcast_to(array.astype(dtype, copy=False), shape)


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
        where = f" at index {row_label(index)}" if target.ndim else ""
        allowed = "" if ignore_index is None else f" and not ignore_index={ignore_index}"
        raise IndexError(
            f"{name} holds class index {int(target[index])}{where}, outside "
            f"[0, {num_classes}){allowed}"
        )
    return ignored


def labels(values: ArrayLike, num_samples: int, num_classes: int) -> np.ndarray:
    """One class index in ``[0, num_classes)`` per sample, as a flat integer array."""
    array = as_array(values, "labels")
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
