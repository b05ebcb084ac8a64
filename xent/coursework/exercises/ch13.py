"""Coding exercises of chapter 13, Distillation and contrastive learning."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

# The references are imported from their modules, not as ``xent.NAME``: the check watches
# ``xent.NAME`` for calls by the student, and the reference values must not count as such calls.
from xent.contrastive import info_nce_loss as reference_info_nce
from xent.contrastive import info_nce_loss_grad as reference_info_nce_grad
from xent.coursework import families
from xent.coursework.registry import Case, exercise, hidden
from xent.distillation import distillation_loss as reference_distillation

_DISTILLATION = (
    "xent.distillation_loss",
    "xent.distillation_loss_grad",
    "xent.distillation_loss_with_grad",
)
_INFO_NCE = ("xent.info_nce_loss", "xent.info_nce_loss_grad", "xent.info_nce_loss_with_grad")


def _pair(
    rng: np.random.Generator | int, num_samples: int, num_classes: int, scale: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """Student and teacher logits, each ``scale`` times standard normal."""
    generator = np.random.default_rng(rng)
    student = scale * generator.standard_normal((num_samples, num_classes))
    teacher = scale * generator.standard_normal((num_samples, num_classes))
    return student, teacher


def _distilled(student: np.ndarray, teacher: np.ndarray, temperature: float) -> float:
    return float(reference_distillation(student, teacher, temperature=temperature))


@exercise(
    "13.3",
    "Distillation loss T^2 KL(p_T ‖ q_T) from logits (mean over the batch)",
    function="distillation_loss",
    points=2,
    forbidden=families.numpy_only(),
    allowed=("xent.softmax", "xent.log_softmax", "xent.logsumexp"),
)
def _distillation_loss() -> list[Case]:
    hint = (
        "p = softmax(teacher / T), q = softmax(student / T); per row "
        "T**2 * sum_k p_k (log p_k - log q_k), then the mean over the N rows"
    )
    scale_hint = (
        "divide both sets of logits by T before the softmax, and multiply the KL by T**2 "
        "(not by T, and not by 1 / T**2)"
    )
    stable_hint = (
        "compute log p and log q as log-softmax, z - max(z) - log(sum(exp(z - max(z)))), never "
        "log(softmax(z)): exp(-1000) underflows to 0 and log(0) = -inf"
    )
    zero_hint = (
        "a class the teacher rules out (p_k = 0, a -inf logit) adds 0 log 0 = 0: mask it with "
        "np.where(p == 0, 0, ...), since 0 * (-inf) is nan"
    )
    student, teacher = _pair(0, 5, 4)
    logits = np.array([[3.0, -1.0, 0.5], [0.0, 2.0, 2.0]])
    two = np.array([[0.0, 0.0]])
    huge_student = np.array([[1000.0, 0.0, -1000.0]])
    huge_teacher = np.array([[0.0, 1000.0, 0.0]])
    ruled_out = np.array([[0.0, -np.inf, 1.0]])
    free_student = np.array([[0.5, 7.0, 1.0]])
    return [
        Case(
            (logits, logits),
            lambda: 0.0,
            "the KL divergence of a distribution from itself is 0",
            kwargs={"temperature": 2.0},
            label="student = teacher = [[3, -1, 0.5], [0, 2, 2]], T = 2",
        ),
        Case(
            (two, np.array([[np.log(3.0), 0.0]])),
            lambda: 0.75 * np.log(1.5) + 0.25 * np.log(0.5),
            hint + "; here p = [0.75, 0.25] and q = [0.5, 0.5]",
            kwargs={"temperature": 1.0},
            label="student [[0, 0]], teacher [[log 3, 0]], T = 1",
        ),
        Case(
            (two, np.array([[np.log(9.0), 0.0]])),
            lambda: 4 * (0.75 * np.log(1.5) + 0.25 * np.log(0.5)),
            scale_hint,
            kwargs={"temperature": 2.0},
            label="student [[0, 0]], teacher [[log 9, 0]], T = 2",
        ),
        Case(
            (student, teacher),
            lambda: _distilled(student, teacher, 3.0),
            hint,
            kwargs={"temperature": 3.0},
            label="a batch of N = 5 rows, K = 4, T = 3",
        ),
        Case(
            (huge_student, huge_teacher),
            lambda: _distilled(huge_student, huge_teacher, 1.0),
            stable_hint,
            kwargs={"temperature": 1.0},
            label="student [[1000, 0, -1000]], teacher [[0, 1000, 0]], T = 1",
        ),
        Case(
            (free_student, ruled_out),
            lambda: _distilled(free_student, ruled_out, 2.0),
            zero_hint,
            kwargs={"temperature": 2.0},
            label="teacher [[0, -inf, 1]] rules out class 1, T = 2",
        ),
    ]


@hidden("13.3")
def _distillation_hidden(rng: np.random.Generator) -> list[Case]:
    n, k = int(rng.integers(2, 10)), int(rng.integers(2, 10))
    plain = _pair(rng, n, k)
    temperature = float(rng.uniform(1.5, 6.0))
    cold = _pair(rng, 4, 5)
    large_k = _pair(rng, 6, 1000)
    extreme = _pair(rng, 3, 6, scale=1e3)
    shifted = (plain[1] + 7.0, plain[1])
    return [
        Case(
            plain,
            lambda: _distilled(*plain, temperature),
            "",
            kwargs={"temperature": temperature},
            category="a random batch and temperature",
        ),
        Case(
            cold,
            lambda: _distilled(*cold, 0.1),
            "",
            kwargs={"temperature": 0.1},
            category="a temperature below 1",
        ),
        Case(
            plain,
            lambda: _distilled(*plain, 50.0),
            "",
            kwargs={"temperature": 50.0},
            category="a high temperature (50)",
        ),
        Case(
            large_k,
            lambda: _distilled(*large_k, 2.0),
            "",
            kwargs={"temperature": 2.0},
            category="large K (1000)",
        ),
        Case(
            extreme,
            lambda: _distilled(*extreme, 1.0),
            "",
            kwargs={"temperature": 1.0},
            category="logits of size 1e3",
        ),
        Case(
            shifted,
            lambda: 0.0,
            "",
            kwargs={"temperature": temperature},
            category="student = teacher + a constant",
        ),
    ]


def _info_nce(similarities: np.ndarray, temperature: float) -> float:
    return float(reference_info_nce(similarities, temperature=temperature))


@exercise(
    "13.6",
    "InfoNCE from a similarity matrix (positives on the diagonal, mean over the queries)",
    function="info_nce_loss",
    points=1,
    forbidden=families.numpy_only(),
    allowed=("xent.softmax", "xent.log_softmax", "xent.logsumexp"),
)
def _info_nce_loss() -> list[Case]:
    hint = (
        "row i is a softmax cross-entropy over the keys with target i: "
        "logsumexp_j(S[i, j] / tau) - S[i, i] / tau, then the mean over the N rows"
    )
    wide_hint = (
        "with M > N columns, the extra keys are negatives only: the target of row i is still "
        "column i, and the log-sum-exp runs over all M columns"
    )
    stable_hint = (
        "subtract each row's maximum before exp: exp(1000) overflows to inf, and the "
        "log-sum-exp of [1000, 0] is 1000 + log(1 + exp(-1000))"
    )
    rng = np.random.default_rng(13)
    square = rng.normal(size=(6, 6))
    wide = rng.normal(size=(3, 7))
    gaps = np.array([[2.0, 0.0], [1.0, 3.0]])
    huge = np.array([[1000.0, 0.0], [0.0, 1000.0]])
    return [
        Case(
            (np.zeros((4, 4)),),
            lambda: np.log(4.0),
            "when every similarity is equal the critic is at chance: the loss is log N",
            kwargs={"temperature": 1.0},
            label="zeros((4, 4)), tau = 1 (chance)",
        ),
        Case(
            (gaps,),
            lambda: np.log1p(np.exp(-2.0)),
            hint + "; both rows have their positive 2 above their negative",
            kwargs={"temperature": 1.0},
            label="[[2, 0], [1, 3]], tau = 1",
        ),
        Case(
            (gaps,),
            lambda: np.log1p(np.exp(-4.0)),
            "divide the similarities by tau before the softmax: tau = 0.5 doubles every gap",
            kwargs={"temperature": 0.5},
            label="[[2, 0], [1, 3]], tau = 0.5",
        ),
        Case(
            (square,),
            lambda: _info_nce(square, 0.2),
            hint,
            kwargs={"temperature": 0.2},
            label="a random 6 x 6 matrix, tau = 0.2",
        ),
        Case(
            (wide,),
            lambda: _info_nce(wide, 1.0),
            wide_hint,
            kwargs={"temperature": 1.0},
            label="a random 3 x 7 matrix (4 extra negatives), tau = 1",
        ),
        Case(
            (huge,),
            lambda: _info_nce(huge, 1.0),
            stable_hint,
            kwargs={"temperature": 1.0},
            label="[[1000, 0], [0, 1000]], tau = 1",
        ),
    ]


def _similarity_cases(
    rng: np.random.Generator, reference: Callable[[np.ndarray, float], Any], at_chance: Any
) -> list[Case]:
    """Hidden cases of 13.6 and 13.7: one draw of similarity matrices, scored by ``reference``.

    ``at_chance(n, tau)`` is the exact answer for a constant ``n x n`` matrix.
    """
    n = int(rng.integers(2, 12))
    tau = float(rng.uniform(0.05, 2.0))
    drawn = [
        (rng.normal(size=(n, n)), tau, "a random square matrix and temperature"),
        (rng.normal(size=(n, n + int(rng.integers(1, 20)))), tau, "more keys than queries"),
        (rng.normal(size=(300, 300)), 0.1, "a batch of 300 pairs"),
        (1e3 * rng.normal(size=(5, 5)), 1.0, "similarities of size 1e3"),
        (rng.normal(size=(n, n)), 0.01, "a small temperature (0.01)"),
    ]
    cases = [
        Case((s,), partial(reference, s, t), "", kwargs={"temperature": t}, category=c)
        for s, t, c in drawn
    ]
    constant = np.full((n, n), float(rng.normal()))
    cases.append(
        Case(
            (constant,),
            lambda: at_chance(n, tau),
            "",
            kwargs={"temperature": tau},
            category="a constant matrix (chance)",
        )
    )
    return cases


@hidden("13.6")
def _info_nce_hidden(rng: np.random.Generator) -> list[Case]:
    return _similarity_cases(rng, _info_nce, lambda n, tau: np.log(n))


def _info_nce_grad(similarities: np.ndarray, temperature: float) -> np.ndarray:
    return np.asarray(reference_info_nce_grad(similarities, temperature=temperature))


@exercise(
    "13.7",
    "The gradient of InfoNCE in the similarities",
    function="info_nce_grad",
    points=2,
    forbidden=families.numpy_only(),
    allowed=("xent.softmax", "xent.log_softmax", "xent.logsumexp"),
)
def _info_nce_gradient() -> list[Case]:
    hint = (
        "row i of the gradient is (softmax(S[i] / tau) - e_i) / tau, divided by N for the "
        "mean over the N queries; e_i is 1 in column i"
    )
    wide_hint = (
        "with M > N columns the gradient has the shape of S, (N, M); the -1 sits at (i, i) "
        "for i < N and the extra columns get only the softmax term"
    )
    stable_hint = (
        "compute the softmax with each row's maximum subtracted: exp(1000) overflows to inf "
        "and inf / inf is nan"
    )
    rng = np.random.default_rng(31)
    square = rng.normal(size=(5, 5))
    wide = rng.normal(size=(3, 6))
    huge = np.array([[1000.0, 0.0], [0.0, 1000.0]])
    return [
        Case(
            (np.zeros((2, 2)),),
            lambda: np.array([[-0.25, 0.25], [0.25, -0.25]]),
            hint + "; here softmax = [0.5, 0.5] in each row, N = 2, tau = 1",
            kwargs={"temperature": 1.0},
            label="zeros((2, 2)), tau = 1",
        ),
        Case(
            (np.zeros((2, 2)),),
            lambda: np.array([[-0.5, 0.5], [0.5, -0.5]]),
            "the chain rule through S / tau multiplies the gradient by 1 / tau",
            kwargs={"temperature": 0.5},
            label="zeros((2, 2)), tau = 0.5",
        ),
        Case(
            (square,),
            lambda: _info_nce_grad(square, 0.3),
            hint,
            kwargs={"temperature": 0.3},
            label="a random 5 x 5 matrix, tau = 0.3",
        ),
        Case(
            (wide,),
            lambda: _info_nce_grad(wide, 1.0),
            wide_hint,
            kwargs={"temperature": 1.0},
            label="a random 3 x 6 matrix, tau = 1",
        ),
        Case(
            (huge,),
            lambda: _info_nce_grad(huge, 1.0),
            stable_hint,
            kwargs={"temperature": 1.0},
            label="[[1000, 0], [0, 1000]], tau = 1",
        ),
    ]


@hidden("13.7")
def _info_nce_gradient_hidden(rng: np.random.Generator) -> list[Case]:
    return _similarity_cases(
        rng, _info_nce_grad, lambda n, tau: (np.full((n, n), 1.0 / n) - np.eye(n)) / (n * tau)
    )
