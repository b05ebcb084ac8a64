"""Coding exercises of chapter 1, Surprisal and entropy."""

from __future__ import annotations

import numpy as np

from xent.coursework import families
from xent.coursework.exercises._shared import distribution
from xent.coursework.registry import Case, exercise, hidden
from xent.information import entropy as reference_entropy


@exercise(
    "1.1", "Surprisal in nats", function="surprisal", points=1, forbidden=families.numpy_only()
)
def _surprisal() -> list[Case]:
    hint = "the surprisal of an outcome of probability p is -log p (natural log)"
    return [
        Case((0.5,), lambda: np.log(2.0), hint),
        Case((1.0,), lambda: 0.0, "a certain outcome carries no surprise: -log 1 = 0"),
        Case((np.array([0.25, 0.125]),), lambda: np.log([4.0, 8.0]), hint + "; work elementwise"),
    ]


@exercise(
    "1.5", "Entropy with 0 log 0 = 0", function="entropy", points=2, forbidden=families.numpy_only()
)
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


@exercise(
    "1.7",
    "Plug-in entropy of samples",
    function="empirical_entropy",
    points=2,
    forbidden=families.numpy_only(),
)
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


@hidden("1.1")
def _surprisal_hidden(rng: np.random.Generator) -> list[Case]:
    p = rng.uniform(0.01, 1.0, size=int(rng.integers(2, 7)))
    tiny = 10.0 ** -rng.uniform(100, 300)
    grid = rng.uniform(0.05, 1.0, size=(3, 4))
    return [
        Case((p,), lambda: -np.log(p), "", category="a vector of probabilities"),
        Case((tiny,), lambda: -np.log(tiny), "", category="a tiny probability (1e-100 or less)"),
        Case((grid,), lambda: -np.log(grid), "", category="a 2-D array keeps its shape"),
        Case((1.0,), lambda: 0.0, "", category="a certain outcome"),
    ]


@hidden("1.5")
def _entropy_hidden(rng: np.random.Generator) -> list[Case]:
    p = distribution(rng, int(rng.integers(3, 9)))
    with_zeros = distribution(rng, 8, zeros=3)
    batch = np.stack([distribution(rng, 5, zeros=int(k)) for k in rng.integers(0, 4, 4)])
    large = distribution(rng, 10_000, zeros=5000)
    base = float(rng.choice([2.0, 10.0]))
    tiny = np.array([1e-300, 1e-200, 1.0 - 1e-200 - 1e-300])
    return [
        Case((p,), lambda: reference_entropy(p), "", category="a random distribution"),
        Case(
            (with_zeros,),
            lambda: reference_entropy(with_zeros),
            "",
            category="zeros in p (0 log 0 = 0)",
        ),
        Case((batch,), lambda: reference_entropy(batch), "", category="a batch of rows with zeros"),
        Case(
            (p,),
            lambda: reference_entropy(p, base=base),
            "",
            kwargs={"base": base},
            category="another base",
        ),
        Case((large,), lambda: reference_entropy(large), "", category="large K (10,000)"),
        Case((tiny,), lambda: reference_entropy(tiny), "", category="tiny probabilities"),
        Case((np.array([0.0, 0.0, 1.0, 0.0]),), lambda: 0.0, "", category="a one-hot p"),
    ]


@hidden("1.7")
def _empirical_entropy_hidden(rng: np.random.Generator) -> list[Case]:
    num_classes = int(rng.integers(3, 12))
    samples = rng.integers(0, num_classes, size=int(rng.integers(5, 200)))
    unseen = rng.integers(0, 2, size=50)
    constant = np.full(int(rng.integers(1, 30)), int(rng.integers(0, 4)))
    return [
        Case(
            (samples, num_classes),
            lambda: _plug_in(samples, num_classes),
            "",
            category="random samples",
        ),
        Case((unseen, 6), lambda: _plug_in(unseen, 6), "", category="classes that never occur"),
        Case((constant, 4), lambda: 0.0, "", category="a single class repeated"),
        Case(
            (list(map(int, samples)), num_classes),
            lambda: _plug_in(samples, num_classes),
            "",
            category="samples as a Python list",
        ),
    ]


def _plug_in(samples: np.ndarray | list[int], num_classes: int) -> float:
    counts = np.bincount(np.asarray(samples), minlength=num_classes)
    return float(reference_entropy(counts / counts.sum()))
