"""Coding exercises of chapter 11, Differential entropy and the divergence family."""

from __future__ import annotations

import numpy as np

from xent.coursework import families
from xent.coursework.registry import Case, exercise, hidden
from xent.divergences import hellinger_distance as reference_hellinger
from xent.divergences import js_divergence as reference_js
from xent.information import entropy as reference_entropy

#: What would compute a member of the divergence family for the student.
_DIVERGENCES = (
    "xent.js_divergence",
    "xent.total_variation",
    "xent.hellinger_distance",
    "xent.chi2_divergence",
    "xent.f_divergence",
    "scipy.spatial.distance.jensenshannon",
)


def _random_distribution(rng: np.random.Generator, size: int, zeros: int = 0) -> np.ndarray:
    weights = rng.gamma(0.7, size=size)
    weights[rng.choice(size, size=zeros, replace=False)] = 0.0
    if weights.sum() == 0:
        weights[0] = 1.0
    return np.asarray(weights / weights.sum())


# --------------------------------------------------------------------------- 11.2
@exercise(
    "11.2",
    "Jensen-Shannon divergence with zeros",
    function="js_divergence",
    points=2,
    forbidden=families.numpy_only(),
)
def _js() -> list[Case]:
    hint = "JS(p, q) = 1/2 KL(p || m) + 1/2 KL(q || m) where m is the average of p and q, in nats"
    zero_hint = (
        "a class with p_k = 0 contributes 0 to KL(p || m) (0 log 0 = 0), not 0 * -inf = nan: "
        "take the log only where the probability is positive"
    )
    batch_p = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    batch_q = np.array([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25], [0.0, 0.5, 0.5]])
    return [
        Case(([0.5, 0.5], [0.9, 0.1]), lambda: reference_js([0.5, 0.5], [0.9, 0.1]), hint),
        Case(
            ([0.9, 0.1], [0.5, 0.5]),
            lambda: reference_js([0.5, 0.5], [0.9, 0.1]),
            "JS is symmetric: swapping p and q must give the same value",
        ),
        Case(([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]), lambda: 0.0, "equal distributions give 0"),
        Case(
            ([1.0, 0.0], [0.5, 0.5]),
            lambda: reference_js([1.0, 0.0], [0.5, 0.5]),
            zero_hint,
            label="([1, 0], [0.5, 0.5]): a zero in p",
        ),
        Case(
            ([1.0, 0.0, 0.0], [0.0, 0.5, 0.5]),
            lambda: np.log(2.0),
            "disjoint supports give the largest value, log 2: every m_k is p_k / 2 or q_k / 2",
            label="disjoint supports ([1, 0, 0], [0, 0.5, 0.5])",
        ),
        Case(
            ([0.5, 0.5, 0.0], [0.25, 0.75, 0.0]),
            lambda: reference_js([0.5, 0.5], [0.25, 0.75]),
            "a class with p_k = q_k = 0 has m_k = 0 and contributes nothing; 0 / 0 is nan",
            label="a class where both are 0",
        ),
        Case(
            (batch_p, batch_q),
            lambda: reference_js(batch_p, batch_q),
            "one divergence per row: sum over the last axis only, so (3, 3) gives shape (3,)",
            label="a batch of 3 rows, shape (3, 3), with zeros",
        ),
    ]


@hidden("11.2")
def _js_hidden(rng: np.random.Generator) -> list[Case]:
    k = int(rng.integers(3, 9))
    p, q = _random_distribution(rng, k), _random_distribution(rng, k)
    p_zeros, q_zeros = _random_distribution(rng, 8, zeros=3), _random_distribution(rng, 8, zeros=3)
    support = rng.permutation(10)
    disjoint_p = np.zeros(10)
    disjoint_q = np.zeros(10)
    disjoint_p[support[:4]] = _random_distribution(rng, 4)
    disjoint_q[support[4:]] = _random_distribution(rng, 6)
    batch_p = np.stack([_random_distribution(rng, 5, zeros=int(z)) for z in rng.integers(0, 3, 4)])
    batch_q = np.stack([_random_distribution(rng, 5, zeros=int(z)) for z in rng.integers(0, 3, 4)])
    large_p = _random_distribution(rng, 10_000, zeros=3000)
    large_q = _random_distribution(rng, 10_000, zeros=3000)
    close_q = p + 1e-9 * (_random_distribution(rng, k) - p)
    return [
        Case((p, q), lambda: reference_js(p, q), "", category="two random distributions"),
        Case(
            (p_zeros, q_zeros),
            lambda: reference_js(p_zeros, q_zeros),
            "",
            category="zeros in p and q",
        ),
        Case((disjoint_p, disjoint_q), lambda: np.log(2.0), "", category="disjoint supports"),
        Case(
            (batch_p, batch_q),
            lambda: reference_js(batch_p, batch_q),
            "",
            category="a batch of rows with zeros",
        ),
        Case(
            (large_p, large_q),
            lambda: reference_js(large_p, large_q),
            "",
            category="large K (10,000) with zeros",
        ),
        Case(
            (p, close_q),
            lambda: reference_js(p, close_q),
            "",
            category="two very close distributions",
        ),
        Case((q, p), lambda: reference_js(p, q), "", category="the arguments swapped"),
    ]


# --------------------------------------------------------------------------- 11.3
@exercise(
    "11.3",
    "Hellinger distance",
    function="hellinger_distance",
    points=1,
    forbidden=families.numpy_only(),
)
def _hellinger() -> list[Case]:
    hint = "H(p, q) = sqrt(1/2 sum_k (sqrt(p_k) - sqrt(q_k))^2), along the last axis"
    batch_p = np.array([[0.25, 0.75], [1.0, 0.0], [0.5, 0.5]])
    batch_q = np.array([[0.75, 0.25], [0.0, 1.0], [0.5, 0.5]])
    return [
        Case(
            ([0.25, 0.75], [0.75, 0.25]),
            lambda: np.sqrt(1 - np.sqrt(3) / 2),
            hint,
        ),
        Case(([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]), lambda: 0.0, "equal distributions give 0"),
        Case(
            ([1.0, 0.0], [0.0, 1.0]),
            lambda: 1.0,
            "disjoint supports give 1: do not forget the factor 1/2 inside the square root",
        ),
        Case(
            ([0.5, 0.5], [0.9, 0.1]),
            lambda: reference_hellinger([0.9, 0.1], [0.5, 0.5]),
            hint + "; it is symmetric",
        ),
        Case(
            (batch_p, batch_q),
            lambda: reference_hellinger(batch_p, batch_q),
            "one distance per row: sum over the last axis only",
            label="a batch of 3 rows, shape (3, 2)",
        ),
    ]


@hidden("11.3")
def _hellinger_hidden(rng: np.random.Generator) -> list[Case]:
    k = int(rng.integers(3, 9))
    p, q = _random_distribution(rng, k), _random_distribution(rng, k)
    p_zeros, q_zeros = _random_distribution(rng, 7, zeros=3), _random_distribution(rng, 7, zeros=3)
    batch_p = np.stack([_random_distribution(rng, 4) for _ in range(5)])
    batch_q = np.stack([_random_distribution(rng, 4) for _ in range(5)])
    large_p = _random_distribution(rng, 5000, zeros=1000)
    large_q = _random_distribution(rng, 5000, zeros=1000)
    one_hot = np.eye(k)[int(rng.integers(k))]
    return [
        Case((p, q), lambda: reference_hellinger(p, q), "", category="two random distributions"),
        Case(
            (p_zeros, q_zeros),
            lambda: reference_hellinger(p_zeros, q_zeros),
            "",
            category="zeros in p and q",
        ),
        Case(
            (batch_p, batch_q),
            lambda: reference_hellinger(batch_p, batch_q),
            "",
            category="a batch of rows",
        ),
        Case(
            (large_p, large_q),
            lambda: reference_hellinger(large_p, large_q),
            "",
            category="large K (5,000)",
        ),
        Case((one_hot, p), lambda: reference_hellinger(one_hot, p), "", category="a one-hot p"),
    ]


# --------------------------------------------------------------------------- 11.1
def _histogram_entropy(samples: np.ndarray, width: float) -> float:
    _, counts = np.unique(np.floor(np.asarray(samples) / width), return_counts=True)
    return float(reference_entropy(counts / counts.sum()) + np.log(width))


@exercise(
    "11.1",
    "Differential entropy from a histogram",
    function="histogram_entropy",
    points=2,
    forbidden=families.numpy_only(),
)
def _histogram() -> list[Case]:
    hint = (
        "put x in bin floor(x / width), take the frequencies f_k of the bins, "
        "return -sum f_k log f_k + log(width)"
    )
    rng = np.random.default_rng(11)
    normal = rng.normal(size=2000)
    uniform = rng.uniform(0.0, 0.5, size=1000)
    return [
        Case(
            ([0.1, 0.6, 1.1, 1.6], 1.0),
            lambda: np.log(2.0),
            hint + "; here two bins of two samples each, and log(1) = 0",
        ),
        Case(
            ([0.1, 0.6, 1.1, 1.6], 0.5),
            lambda: np.log(4.0) + np.log(0.5),
            "four bins of one sample each give log 4 nats, plus log(width) = log 0.5",
        ),
        Case(
            ([0.3, 0.3, 0.3], 0.1),
            lambda: np.log(0.1),
            "all samples in one bin: the discrete entropy is 0 and the estimate is log(width), "
            "negative for width < 1",
        ),
        Case(
            ([-0.75, -0.25, 0.25, 0.75], 0.5),
            lambda: np.log(4.0) + np.log(0.5),
            "negative samples: floor(-0.25 / 0.5) = -1, so -0.75 and -0.25 fall in different bins",
        ),
        Case(
            (normal, 0.1),
            lambda: _histogram_entropy(normal, 0.1),
            hint + "; for a standard normal, close to 0.5 log(2 pi e) = 1.419 nats",
            label="2,000 draws of N(0, 1), width 0.1",
        ),
        Case(
            (uniform, 0.05),
            lambda: _histogram_entropy(uniform, 0.05),
            hint + "; uniform on [0, 0.5] has h = log 0.5 < 0",
            label="1,000 draws of U(0, 0.5), width 0.05",
        ),
    ]


@hidden("11.1")
def _histogram_hidden(rng: np.random.Generator) -> list[Case]:
    sigma = float(rng.uniform(0.5, 3.0))
    normal = rng.normal(0.0, sigma, size=int(rng.integers(500, 3000)))
    narrow = rng.normal(5.0, 0.01, size=800)
    exponential = rng.exponential(float(rng.uniform(0.5, 2.0)), size=1500)
    width = float(rng.choice([0.05, 0.1, 0.25]))
    integers = rng.integers(-5, 6, size=200).astype(float) + 0.5
    return [
        Case(
            (normal, width),
            lambda: _histogram_entropy(normal, width),
            "",
            category="a Gaussian sample",
        ),
        Case(
            (narrow, 0.002),
            lambda: _histogram_entropy(narrow, 0.002),
            "",
            category="a narrow density (negative entropy)",
        ),
        Case(
            (exponential, width),
            lambda: _histogram_entropy(exponential, width),
            "",
            category="an exponential sample",
        ),
        Case(
            (integers, 1.0),
            lambda: _histogram_entropy(integers, 1.0),
            "",
            category="negative samples, width 1",
        ),
        Case(
            (list(map(float, normal[:100])), 0.5),
            lambda: _histogram_entropy(normal[:100], 0.5),
            "",
            category="samples as a Python list",
        ),
    ]
