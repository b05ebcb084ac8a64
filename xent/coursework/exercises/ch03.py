"""Coding exercises of chapter 3, KL divergence."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from xent.coursework import families
from xent.coursework.exercises._shared import distribution
from xent.coursework.registry import Case, exercise, hidden
from xent.information import kl_divergence as reference_kl


@exercise(
    "3.1",
    "KL divergence with 0 log 0 = 0",
    points=2,
    function="kl_divergence",
    forbidden=families.numpy_only(),
)
def _kl_divergence() -> list[Case]:
    import xent

    hint = "D_KL(p || q) = sum_k p_k log(p_k / q_k), in nats (natural log)"
    batch_p = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    batch_q = np.array([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]])
    return [
        Case(([0.5, 0.5], [0.9, 0.1]), lambda: xent.kl_divergence([0.5, 0.5], [0.9, 0.1]), hint),
        Case(
            ([0.9, 0.1], [0.5, 0.5]),
            lambda: xent.kl_divergence([0.9, 0.1], [0.5, 0.5]),
            "the first argument is p, the weights of the average: D_KL(p || q) is not symmetric",
        ),
        Case(
            ([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]),
            lambda: 0.0,
            "a distribution has zero divergence from itself: every log(p_k / q_k) is 0",
        ),
        Case(
            ([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]),
            lambda: xent.kl_divergence([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]),
            "0 log 0 = 0: a class with p_k = 0 contributes nothing (0 * log 0 is nan in numpy)",
        ),
        Case(
            ([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]),
            lambda: 0.0,
            "a class with p_k = q_k = 0 contributes nothing; log(0 / 0) is nan in numpy",
        ),
        Case(
            ([0.5, 0.5], [1.0, 0.0]),
            lambda: np.inf,
            "q_k = 0 < p_k means an outcome that happens was declared impossible: return +inf",
        ),
        Case(
            (batch_p, batch_q),
            lambda: xent.kl_divergence(batch_p, batch_q),
            "several distributions, one per row: sum over the last axis only",
            label="(two rows of 3 classes, p[1] one-hot)",
        ),
    ]


def _closed_form(mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike) -> Any:
    m1, s1, m2, s2 = (np.asarray(a, dtype=np.float64) for a in (mu1, sigma1, mu2, sigma2))
    return np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2.0 * s2**2) - 0.5


@exercise(
    "3.4",
    "KL divergence between two univariate Gaussians",
    points=2,
    function="gaussian_kl",
    forbidden=families.numpy_only(),
)
def _gaussian_kl() -> list[Case]:
    hint = "log(s2 / s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2, in nats"
    return [
        Case((0.0, 1.0, 0.0, 1.0), lambda: 0.0, "identical Gaussians have zero divergence"),
        Case(
            (1.0, 1.0, 0.0, 1.0),
            lambda: 0.5,
            "equal widths: only the mean term (m1 - m2)^2 / (2 s2^2) remains",
        ),
        Case((0.0, 1.0, 0.0, 2.0), lambda: _closed_form(0.0, 1.0, 0.0, 2.0), hint),
        Case(
            (0.0, 2.0, 0.0, 1.0),
            lambda: _closed_form(0.0, 2.0, 0.0, 1.0),
            "the arguments are (mu1, sigma1, mu2, sigma2) for D_KL(N1 || N2); it is not symmetric",
        ),
        Case(
            (-1.5, 0.5, 2.0, 3.0),
            lambda: _closed_form(-1.5, 0.5, 2.0, 3.0),
            hint + "; sigma is a standard deviation, not a variance",
        ),
        Case(
            (np.array([0.0, 1.0, 2.0]), 1.0, 0.0, np.array([1.0, 2.0, 4.0])),
            lambda: _closed_form([0.0, 1.0, 2.0], 1.0, 0.0, [1.0, 2.0, 4.0]),
            "use numpy operations so that arrays broadcast elementwise",
        ),
        Case(
            (0.0, 0.0, 0.0, 1.0),
            lambda: None,
            "a standard deviation must be positive: raise ValueError when a sigma is <= 0",
            raises=ValueError,
        ),
    ]


@hidden("3.1")
def _kl_hidden(rng: np.random.Generator) -> list[Case]:
    k = int(rng.integers(3, 9))
    p, q = distribution(rng, k), distribution(rng, k)
    p_zeros = distribution(rng, 7, zeros=3)
    q_zeros = p_zeros.copy()
    q_zeros[q_zeros == 0] = 0.0
    near = p * (1 + 1e-9 * rng.standard_normal(k))
    near /= near.sum()
    q_missing = q.copy()
    q_missing[int(np.argmax(p))] = 0.0
    q_missing /= q_missing.sum()
    batch_p = np.stack([distribution(rng, 4, zeros=1) for _ in range(5)])
    batch_q = np.stack([distribution(rng, 4) for _ in range(5)])
    return [
        Case((p, q), lambda: reference_kl(p, q), "", category="random p and q"),
        Case((p_zeros, q_zeros), lambda: 0.0, "", category="p = q with zeros in both"),
        Case((p, near), lambda: reference_kl(p, near), "", category="q very close to p"),
        Case((p, q_missing), lambda: np.inf, "", category="q = 0 where p > 0"),
        Case(
            (batch_p, batch_q),
            lambda: reference_kl(batch_p, batch_q),
            "",
            category="a batch of rows",
        ),
    ]


@hidden("3.4")
def _gaussian_kl_hidden(rng: np.random.Generator) -> list[Case]:
    m1, m2 = rng.normal(0, 3, size=2)
    s1, s2 = rng.uniform(0.1, 5, size=2)
    means = rng.normal(size=4)
    widths = rng.uniform(0.5, 2.0, size=4)
    return [
        Case(
            (float(m1), float(s1), float(m2), float(s2)),
            lambda: _closed_form(m1, s1, m2, s2),
            "",
            category="random parameters",
        ),
        Case(
            (float(m1), float(s1), float(m1), float(s1)),
            lambda: 0.0,
            "",
            category="identical Gaussians",
        ),
        Case(
            (means, widths, 0.0, 1.0),
            lambda: _closed_form(means, widths, 0.0, 1.0),
            "",
            category="arrays of parameters",
        ),
        Case(
            (0.0, 1e-3, 0.0, 1e3),
            lambda: _closed_form(0.0, 1e-3, 0.0, 1e3),
            "",
            category="very different widths",
        ),
        Case(
            (0.0, 1.0, 0.0, -float(s2)),
            lambda: None,
            "",
            raises=ValueError,
            category="a negative sigma",
        ),
    ]
