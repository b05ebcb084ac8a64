"""Coding exercises of chapter 10, Joint, conditional and mutual information."""

from __future__ import annotations

import numpy as np

from xent.coursework import families
from xent.coursework.registry import Case, exercise, hidden
from xent.multivariate import conditional_entropy as reference_conditional
from xent.multivariate import mutual_information as reference_mutual

#: What would compute a measure of two variables for the student (xent, scikit-learn).
_MULTIVARIATE = (
    "xent.joint_entropy",
    "xent.conditional_entropy",
    "xent.mutual_information",
    "sklearn.metrics.mutual_info_score",
    "sklearn.metrics.normalized_mutual_info_score",
    "sklearn.metrics.adjusted_mutual_info_score",
    "sklearn.feature_selection.mutual_info_classif",
)

_SKEWED = np.array([[0.5, 0.0], [0.25, 0.25]])
_CHANNEL = 0.5 * np.array([[0.9, 0.1], [0.1, 0.9]])


def _random_table(rng: np.random.Generator, rows: int, columns: int, zeros: int = 0) -> np.ndarray:
    weights = rng.gamma(0.7, size=rows * columns) + 1e-3
    weights[rng.choice(rows * columns, size=zeros, replace=False)] = 0.0
    return np.asarray((weights / weights.sum()).reshape(rows, columns))


def _plug_in_conditional(x: np.ndarray, y: np.ndarray) -> float:
    """H(Y | X) of the empirical joint table of the pairs (x_i, y_i), in nats."""
    _, x_codes = np.unique(x, return_inverse=True)
    _, y_codes = np.unique(y, return_inverse=True)
    counts = np.zeros((x_codes.max() + 1, y_codes.max() + 1))
    np.add.at(counts, (x_codes, y_codes), 1.0)
    return float(reference_conditional(counts / counts.sum()))


# --------------------------------------------------------------------------- 10.1
@exercise(
    "10.1",
    "Conditional entropy from a joint table",
    function="conditional_entropy",
    points=2,
    forbidden=families.numpy_only(),
)
def _conditional() -> list[Case]:
    hint = (
        "H(Y | X) = -sum_{x, y} p(x, y) log(p(x, y) / p(x)), with p(x) the row sums "
        "(rows are x, columns are y), natural log"
    )
    zero_hint = (
        "a cell with p(x, y) = 0 contributes 0 (0 log 0 = 0), and so does a whole row with "
        "p(x) = 0: take the log only where p(x, y) > 0"
    )
    dice = np.full((6, 6), 1 / 36)
    copy = np.eye(3) / 3
    empty_row = np.array([[0.2, 0.3], [0.0, 0.0], [0.4, 0.1]])
    return [
        Case((_SKEWED,), lambda: 0.5 * np.log(2.0), zero_hint, label="[[0.5, 0], [0.25, 0.25]]"),
        Case(
            (_CHANNEL,),
            lambda: reference_conditional(_CHANNEL),
            hint,
            label="0.5 * [[0.9, 0.1], [0.1, 0.9]]",
        ),
        Case(
            (dice,),
            lambda: np.log(6.0),
            hint + "; two independent dice: knowing one says nothing about the other",
            label="two fair dice, a 6 x 6 table of 1/36",
        ),
        Case(
            (copy,),
            lambda: 0.0,
            "Y is a copy of X: once x is known nothing is uncertain, H(Y | X) = 0",
            label="Y copies X, eye(3) / 3",
        ),
        Case(
            (empty_row,),
            lambda: reference_conditional(empty_row),
            zero_hint,
            label="[[0.2, 0.3], [0, 0], [0.4, 0.1]]: an empty row",
        ),
        Case(
            (_SKEWED.T,),
            lambda: reference_conditional(_SKEWED.T),
            "condition on the rows (axis 0 indexes x): the row sums are p(x)",
            label="[[0.5, 0.25], [0, 0.25]]: the transposed table",
        ),
    ]


@hidden("10.1")
def _conditional_hidden(rng: np.random.Generator) -> list[Case]:
    table = _random_table(rng, int(rng.integers(2, 6)), int(rng.integers(2, 6)))
    zeros = _random_table(rng, 4, 5, zeros=8)
    wide = _random_table(rng, 1, int(rng.integers(3, 8)))
    tall = _random_table(rng, int(rng.integers(3, 8)), 1)
    large = _random_table(rng, 200, 50, zeros=3000)
    a, b = _random_table(rng, 5, 1).ravel(), _random_table(rng, 1, 4).ravel()
    product = np.outer(a, b)
    single = _random_table(rng, 4, 6, zeros=4).astype(np.float32)
    return [
        Case((table,), lambda: reference_conditional(table), "", category="a random table"),
        Case((zeros,), lambda: reference_conditional(zeros), "", category="zeros in the table"),
        Case((wide,), lambda: reference_conditional(wide), "", category="a single row (one x)"),
        Case((tall,), lambda: 0.0, "", category="a single column (one y)"),
        Case((large,), lambda: reference_conditional(large), "", category="a large 200 x 50 table"),
        Case(
            (product,),
            lambda: reference_conditional(product),
            "",
            category="independent variables",
        ),
        Case(
            (single,),
            lambda: reference_conditional(single),
            "",
            category="a float32 table",
            rtol=1e-5,
            atol=1e-6,
        ),
    ]


# --------------------------------------------------------------------------- 10.2
@exercise(
    "10.2",
    "Mutual information from a joint table",
    function="mutual_information",
    points=2,
    forbidden=families.numpy_only(),
)
def _mutual() -> list[Case]:
    hint = (
        "I(X; Y) = sum_{x, y} p(x, y) log(p(x, y) / (p(x) p(y))), with p(x) the row sums and "
        "p(y) the column sums, natural log"
    )
    zero_hint = "a cell with p(x, y) = 0 contributes 0: take the log only where p(x, y) > 0"
    independent = np.outer([0.2, 0.3, 0.5], [0.6, 0.4])
    return [
        Case(
            (np.eye(2) / 2,),
            lambda: np.log(2.0),
            zero_hint + "; Y copies a fair coin X, so they share log 2 nats",
            label="Y copies a fair coin, eye(2) / 2",
        ),
        Case(
            (_SKEWED,),
            lambda: reference_mutual(_SKEWED),
            zero_hint,
            label="[[0.5, 0], [0.25, 0.25]]",
        ),
        Case(
            (_CHANNEL,),
            lambda: reference_mutual(_CHANNEL),
            hint,
            label="0.5 * [[0.9, 0.1], [0.1, 0.9]]",
        ),
        Case(
            (independent,),
            lambda: 0.0,
            "an outer product of marginals (independent variables) has I = 0",
            label="outer([0.2, 0.3, 0.5], [0.6, 0.4])",
        ),
        Case(
            (_SKEWED.T,),
            lambda: reference_mutual(_SKEWED),
            "mutual information is symmetric: the transposed table gives the same value",
            label="the transposed table",
        ),
        Case(
            (np.array([[1.0]]),),
            lambda: 0.0,
            "a 1 x 1 table: nothing is uncertain, nothing is shared",
            label="[[1.0]]",
        ),
    ]


@hidden("10.2")
def _mutual_hidden(rng: np.random.Generator) -> list[Case]:
    table = _random_table(rng, int(rng.integers(2, 6)), int(rng.integers(2, 6)))
    zeros = _random_table(rng, 5, 4, zeros=8)
    a, b = _random_table(rng, 4, 1).ravel(), _random_table(rng, 1, 6).ravel()
    product = np.outer(a, b)
    permutation = np.eye(5)[rng.permutation(5)] / 5
    wide = _random_table(rng, 1, int(rng.integers(3, 8)))
    large = _random_table(rng, 100, 80, zeros=4000)
    near = np.full((2, 2), 0.25) + 1e-7 * np.array([[1.0, -1.0], [-1.0, 1.0]])
    single = _random_table(rng, 6, 3, zeros=3).astype(np.float32)
    return [
        Case((table,), lambda: reference_mutual(table), "", category="a random table"),
        Case((zeros,), lambda: reference_mutual(zeros), "", category="zeros in the table"),
        Case((product,), lambda: 0.0, "", category="independent variables"),
        Case((permutation,), lambda: np.log(5.0), "", category="Y a permutation of X"),
        Case((wide,), lambda: 0.0, "", category="a single row (one x)"),
        Case((large,), lambda: reference_mutual(large), "", category="a large 100 x 80 table"),
        Case((near,), lambda: reference_mutual(near), "", category="nearly independent"),
        Case(
            (single,),
            lambda: reference_mutual(single),
            "",
            category="a float32 table",
            rtol=1e-5,
            atol=1e-6,
        ),
    ]


# --------------------------------------------------------------------------- 10.3
@exercise(
    "10.3",
    "The loss of a lookup-table classifier",
    function="lookup_table_loss",
    points=2,
    forbidden=families.numpy_only(),
)
def _lookup() -> list[Case]:
    hint = (
        "predict q(y | x) = count(x, y) / count(x) and return the mean of -log q(y_i | x_i) "
        "over the same pairs, in nats"
    )
    return [
        Case(([0, 0, 1, 1], [0, 0, 0, 1]), lambda: 0.5 * np.log(2.0), hint),
        Case(
            ([0, 1, 2, 0, 1, 2], [2, 1, 0, 2, 1, 0]),
            lambda: 0.0,
            "each x always comes with the same y: every prediction is certain, the loss is 0",
        ),
        Case(
            ([0, 0, 0, 0], [0, 1, 2, 3]),
            lambda: np.log(4.0),
            "one x with four equally frequent labels: q(y | x) = 1/4 for each, loss log 4",
        ),
        Case(
            ([5, 5, 9, 9, 9], [1, 0, 1, 1, 0]),
            lambda: _plug_in_conditional(np.array([5, 5, 9, 9, 9]), np.array([1, 0, 1, 1, 0])),
            hint + "; x takes the values 5 and 9: count per value of x, not per index",
        ),
        Case(
            (np.arange(600) % 3, np.arange(600) % 2),
            lambda: np.log(2.0),
            hint + "; x and y are independent here, so knowing x does not help",
            label="x = i % 3, y = i % 2 for i < 600",
        ),
    ]


@hidden("10.3")
def _lookup_hidden(rng: np.random.Generator) -> list[Case]:
    n = int(rng.integers(50, 200))
    x = rng.integers(0, 6, size=n)
    y = (x + rng.integers(0, 3, size=n)) % 4
    sparse_x = rng.choice([3, 17, 42, 1000], size=n)
    sparse_y = rng.integers(0, 5, size=n)
    big_x = rng.integers(0, 300, size=20_000)
    big_y = (big_x // 30 + rng.integers(0, 2, size=20_000)) % 10
    unique_x = rng.permutation(30)
    unique_y = rng.integers(0, 3, size=30)
    return [
        Case((x, y), lambda: _plug_in_conditional(x, y), "", category="random dependent pairs"),
        Case(
            (sparse_x, sparse_y),
            lambda: _plug_in_conditional(sparse_x, sparse_y),
            "",
            category="feature values that are not 0 .. n - 1",
        ),
        Case(
            (big_x, big_y),
            lambda: _plug_in_conditional(big_x, big_y),
            "",
            category="20,000 pairs, 300 feature values",
        ),
        Case((unique_x, unique_y), lambda: 0.0, "", category="every x seen once"),
        Case(
            (np.zeros(40, dtype=int), np.zeros(40, dtype=int)),
            lambda: 0.0,
            "",
            category="a single x and a single y",
        ),
    ]
