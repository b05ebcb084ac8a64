"""Hypothesis strategies shared by the property tests of xent's core.

Probability vectors are drawn by normalising positive floats (with exact zeros mixed in when
asked), logits as bounded finite floats; every strategy returns float64 numpy arrays.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Small example counts keep the whole core suite well under a minute on two cores; no deadline
# and no slow-generation health check, so a busy CI machine cannot make a property fail.
_COMMON = {"deadline": None, "database": None, "suppress_health_check": [HealthCheck.too_slow]}
FAST = settings(max_examples=40, **_COMMON)
THOROUGH = settings(max_examples=80, **_COMMON)

_positive_weights = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False)
_zero_or_positive = st.one_of(st.just(0.0), _positive_weights)


@st.composite
def distributions(
    draw: st.DrawFn,
    num_classes: int | None = None,
    batch_shape: tuple[int, ...] = (),
    allow_zeros: bool = True,
) -> np.ndarray:
    """Rows of non-negative numbers normalised to sum to 1, shape ``batch_shape + (K,)``."""
    k = draw(st.integers(2, 6)) if num_classes is None else num_classes
    size = int(np.prod(batch_shape, dtype=int)) * k
    element = _zero_or_positive if allow_zeros else _positive_weights
    raw = np.array(draw(st.lists(element, min_size=size, max_size=size)), dtype=np.float64)
    raw = raw.reshape(*batch_shape, k)
    # Every row needs some mass; put it on the first class when the draw gave none.
    empty = raw.sum(axis=-1) == 0
    raw[..., 0] = np.where(empty, 1.0, raw[..., 0])
    return raw / raw.sum(axis=-1, keepdims=True)


@st.composite
def distribution_pairs(
    draw: st.DrawFn, batch_shape: tuple[int, ...] = (), allow_zeros: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Two distributions over the same number of classes."""
    k = draw(st.integers(2, 6))
    p = draw(distributions(num_classes=k, batch_shape=batch_shape, allow_zeros=allow_zeros))
    q = draw(distributions(num_classes=k, batch_shape=batch_shape, allow_zeros=allow_zeros))
    return p, q


@st.composite
def logits(
    draw: st.DrawFn,
    shape: tuple[int, ...] | None = None,
    scale: float = 10.0,
) -> np.ndarray:
    """Finite logits in ``[-scale, scale]``; if no shape is given, 1-3 rows of 2-6 classes."""
    if shape is None:
        shape = (draw(st.integers(1, 3)), draw(st.integers(2, 6)))
    size = int(np.prod(shape, dtype=int))
    values = draw(
        st.lists(
            st.floats(min_value=-scale, max_value=scale, allow_nan=False),
            min_size=size,
            max_size=size,
        )
    )
    return np.array(values, dtype=np.float64).reshape(shape)


# Seeds for numpy generators inside a hypothesis example (hypothesis draws and shrinks them).
seeds = st.integers(min_value=0, max_value=2**32 - 1)
