"""Coding exercises of chapter 1, Surprisal and entropy."""

from __future__ import annotations

import numpy as np

from xent.coursework._registry import Case, exercise

# Imported from its module, not as ``xent.entropy``: the check watches ``xent.entropy`` for
# calls by the student, and the reference values must not count as such calls.
from xent.information import entropy as reference_entropy


@exercise("1.1", "Surprisal in nats", points=1)
def _surprisal() -> list[Case]:
    hint = "the surprisal of an outcome of probability p is -log p (natural log)"
    return [
        Case((0.5,), lambda: np.log(2.0), hint),
        Case((1.0,), lambda: 0.0, "a certain outcome carries no surprise: -log 1 = 0"),
        Case((np.array([0.25, 0.125]),), lambda: np.log([4.0, 8.0]), hint + "; work elementwise"),
    ]


@exercise("1.5", "Entropy with 0 log 0 = 0", points=2, forbidden=("entropy", "entr", "xlogy"))
def _entropy() -> list[Case]:
    hint = "H(p) = -sum_k p_k log p_k along the last axis, natural log unless base is given"
    zero_hint = (
        "a zero probability must contribute 0 (0 log 0 = 0), not 0 * -inf = nan: "
        "take the log only where p > 0"
    )
    base_hint = "in base b, divide the entropy in nats by log(b)"
    batch = np.array([[0.5, 0.5, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25], [1.0, 0.0, 0.0, 0.0]])
    return [
        Case(([0.2, 0.3, 0.5],), lambda: reference_entropy([0.2, 0.3, 0.5]), hint),
        Case(([0.5, 0.5],), lambda: np.log(2.0), hint, label="([0.5, 0.5]) in nats"),
        Case(([0.5, 0.5],), lambda: 1.0, base_hint, kwargs={"base": 2}),
        Case(([0.0, 1.0, 0.0],), lambda: 0.0, zero_hint, label="one-hot [0, 1, 0]"),
        Case(([0.5, 0.0, 0.5],), lambda: np.log(2.0), zero_hint, label="with a zero [0.5, 0, 0.5]"),
        Case(
            (np.full(8, 1 / 8),),
            lambda: 3.0,
            base_hint + "; the uniform distribution on 8 outcomes has log2 8 = 3 bits",
            kwargs={"base": 2},
            label="uniform K = 8, base=2",
        ),
        Case(
            (batch,),
            lambda: reference_entropy(batch),
            "one entropy per row: sum over axis=-1 only, so a (3, 4) array gives shape (3,); "
            "rows 1 and 3 contain zeros (0 log 0 = 0)",
            label="a batch of 3 rows, shape (3, 4)",
        ),
        Case(
            ([1e-300, 1.0],),
            lambda: reference_entropy([1e-300, 1.0]),
            "a tiny probability is not zero: its term -p log p is tiny but must be kept",
            label="([1e-300, 1.0])",
        ),
    ]


@exercise("1.7", "Plug-in entropy of samples", points=2, forbidden=("entropy", "entr", "xlogy"))
def _empirical_entropy() -> list[Case]:
    hint = "count each class, divide by the number of samples, then take -sum f log f"

    def plug_in(samples: list[int], num_classes: int) -> float:
        counts = np.bincount(samples, minlength=num_classes)
        return float(reference_entropy(counts / counts.sum()))

    return [
        Case(([0, 1, 0, 1], 2), lambda: np.log(2.0), hint),
        Case(([2, 2, 2], 3), lambda: 0.0, "classes 0 and 1 never occur: 0 log 0 = 0"),
        Case(
            ([0, 1, 2, 3, 0, 0], 5),
            lambda: plug_in([0, 1, 2, 3, 0, 0], 5),
            hint + "; class 4 never occurs and contributes 0",
        ),
        Case(
            (np.arange(1000) % 10, 10),
            lambda: np.log(10.0),
            hint + "; ten equally frequent classes give log 10 nats",
            label="(0, 1, ..., 9 repeated 100 times, 10)",
        ),
    ]
