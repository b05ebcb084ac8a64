"""Plain data across the sandbox's boundary: JSON with tagged floats, tuples and numpy arrays.

The trusted grader and the untrusted runner exchange only this format: no pickle, no code, no
object of an arbitrary class. Arrays travel as dtype, shape and base64 bytes (numeric and bool
dtypes only); floats keep NaN and infinities; a tuple stays a tuple. A few named objects are
allowed by name: the test functions of :mod:`xent.coursework.callables` and ``LogSumExpState``.
Decoding refuses anything else with :class:`WireError`, so what a hostile process writes can
be wrong, but never more than data.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: The largest encoded payload the trusted side reads (bytes).
MAX_BYTES = 256 * 2**20
_DTYPES = frozenset("?bBhHiIlLqQefd")


class WireError(ValueError):
    """Data that is not in the format (or too large, or of a kind that is not allowed)."""


@dataclass(frozen=True)
class Function:
    """A test function passed to a student's function (e.g. ``f`` of a numerical gradient).

    Only its name and plain parameters cross the boundary; the runner builds the function
    from :mod:`xent.coursework.callables`.
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data; raises :class:`WireError` for what is not plain data."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float) and not isinstance(value, np.floating):
        return value if math.isfinite(value) else {"$f": repr(float(value))}
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.char not in _DTYPES:
            raise WireError(f"arrays of dtype {array.dtype} cannot be sent")
        array = np.array(array, dtype=array.dtype.newbyteorder("<"), order="C")
        data = base64.b64encode(array.tobytes()).decode("ascii")
        return {"$a": [array.dtype.str, list(array.shape), data]}
    if isinstance(value, Function):
        return {"$fn": [value.name, encode(value.params)]}
    if type(value).__name__ == "LogSumExpState" and isinstance(value, tuple):
        return {"$lse": [encode(item) for item in value]}
    if isinstance(value, tuple):
        return {"$t": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) and not key.startswith("$") for key in value):
            raise WireError("dict keys must be strings not starting with '$'")
        return {key: encode(item) for key, item in value.items()}
    raise WireError(f"a {type(value).__name__} is not plain data")


#: How deeply lists, tuples and dicts may nest.
MAX_DEPTH = 32


def decode(data: Any, *, functions: bool = False, _depth: int = 0) -> Any:
    """The value that :func:`encode` encoded; ``functions`` builds :class:`Function` objects
    into callables (only the runner does that)."""
    if data is None or isinstance(data, (bool, str, int)):
        return data
    if isinstance(data, float):
        return data
    if _depth > MAX_DEPTH:
        raise WireError(f"nested more than {MAX_DEPTH} deep")
    deeper = _depth + 1
    if isinstance(data, list):
        return [decode(item, functions=functions, _depth=deeper) for item in data]
    if not isinstance(data, dict):
        raise WireError(f"unexpected {type(data).__name__}")
    if len(data) == 1:
        ((tag, body),) = data.items()
        if tag == "$f":
            if body not in ("nan", "inf", "-inf"):
                raise WireError(f"bad float {body!r}")
            return float(body)
        if tag == "$a":
            return _array(body)
        if tag == "$t":
            return tuple(decode(item, functions=functions, _depth=deeper) for item in _list(body))
        if tag == "$lse":
            from xent.large_vocab import LogSumExpState

            return LogSumExpState(*(decode(item) for item in _list(body)))
        if tag == "$fn":
            name, params = _list(body, 2)
            if not isinstance(name, str):
                raise WireError("a function name must be a string")
            function = Function(name, decode(params))
            if functions:
                from xent.coursework.callables import build

                return build(function)
            return function
    if any(not isinstance(key, str) or key.startswith("$") for key in data):
        raise WireError("unknown tag")
    return {key: decode(item, functions=functions, _depth=deeper) for key, item in data.items()}


def _list(body: Any, length: int | None = None) -> list[Any]:
    if not isinstance(body, list) or (length is not None and len(body) != length):
        raise WireError("malformed tagged value")
    return body


def _array(body: Any) -> np.ndarray:
    dtype_text, shape, data = _list(body, 3)
    if not isinstance(dtype_text, str) or not isinstance(data, str):
        raise WireError("malformed array")
    try:
        dtype = np.dtype(dtype_text)
    except TypeError as error:
        raise WireError(f"bad dtype {dtype_text!r}") from error
    if dtype.char not in _DTYPES:
        raise WireError(f"arrays of dtype {dtype} are not allowed")
    if not isinstance(shape, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape
    ):
        raise WireError("bad array shape")
    # Bounded with its empty axes counted as 1: a (2**40, 0) array holds no data, but listing
    # or printing it makes 2**40 empty rows on the grader's side.
    if len(shape) > MAX_DEPTH or math.prod(max(n, 1) for n in shape) * dtype.itemsize > MAX_BYTES:
        raise WireError(f"array shape {tuple(shape)} is too large")
    raw = base64.b64decode(data.encode("ascii"), validate=True)
    size = math.prod(shape)
    if size * dtype.itemsize != len(raw):
        raise WireError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def dumps(value: Any) -> str:
    """Encode and serialise to a JSON string."""
    return json.dumps(encode(value), allow_nan=False, separators=(",", ":"))


def loads(text: str | bytes, *, functions: bool = False) -> Any:
    """Parse and decode a JSON string; a :class:`WireError` for anything malformed or huge."""
    if len(text) > MAX_BYTES:
        raise WireError(f"more than {MAX_BYTES} bytes")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise WireError(f"not JSON: {error}") from None
    try:
        return decode(data, functions=functions)
    except RecursionError:
        raise WireError("nested too deeply") from None
    except (TypeError, ValueError) as error:
        raise WireError(str(error)) from None
