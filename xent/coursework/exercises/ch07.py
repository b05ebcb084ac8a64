"""Coding exercises of chapter 7, Binary cross-entropy."""

from __future__ import annotations

import numpy as np

from xent.coursework import families
from xent.coursework.registry import Case, exercise, hidden

# Imported from their modules, not as ``xent.NAME``: the check watches ``xent.NAME`` for calls
# by the student, and the reference values must not count as such calls.
from xent.losses import binary_cross_entropy_with_logits as reference_loss
from xent.softmax import sigmoid as reference_sigmoid


@exercise(
    "7.2",
    "A stable sigmoid",
    points=2,
    rtol=1e-12,
    atol=0.0,
    function="stable_sigmoid",
    forbidden=families.numpy_only(),
)
def _stable_sigmoid() -> list[Case]:
    hint = "sigma(z) = 1 / (1 + exp(-z)); the answer has the shape of z"
    overflow_hint = (
        "exp(z) / (1 + exp(z)) is inf / inf = nan for z = 1000: use 1 / (1 + exp(-z)) for "
        "z >= 0 and exp(z) / (1 + exp(z)) for z < 0, so exp only sees non-positive numbers"
    )
    tail_hint = (
        "sigma(-40) = 4.25e-18 must keep all its digits: 1 - sigma(40) and "
        "0.5 * (1 + tanh(z / 2)) both round it to 0; compute exp(z) / (1 + exp(z)) for z < 0"
    )
    grid = np.linspace(-6.0, 6.0, 13)
    rng = np.random.default_rng(7)
    matrix = 10.0 * rng.standard_normal((3, 4))
    huge = np.array([-1000.0, 0.0, 1000.0])
    tails = np.array([-40.0, -100.0, -700.0])
    return [
        Case((0.0,), lambda: np.float64(0.5), hint, label="(0.0)"),
        Case((grid,), lambda: reference_sigmoid(grid), hint, label="z = -6, -5, ..., 6"),
        Case((matrix,), lambda: reference_sigmoid(matrix), hint, label="a (3, 4) array"),
        Case((huge,), lambda: np.array([0.0, 0.5, 1.0]), overflow_hint, label="[-1000, 0, 1000]"),
        Case(
            (tails,),
            lambda: np.exp(tails) / (1.0 + np.exp(tails)),
            tail_hint,
            label="the tail [-40, -100, -700] (relative accuracy)",
        ),
    ]


@exercise(
    "7.3",
    "A stable binary cross-entropy with logits (elementwise, no reduction)",
    points=3,
    rtol=1e-9,
    atol=0.0,
    function="bce_with_logits",
    forbidden=families.numpy_only(),
)
def _stable_bce_with_logits() -> list[Case]:
    hint = "loss = (1 - y) z + softplus(-z), elementwise, same shape as z"
    overflow_hint = (
        "softplus(-z) = log(1 + exp(-z)) overflows for z = -800: write it as "
        "max(-z, 0) + log1p(exp(-|z|)), which never exponentiates a positive number"
    )
    saturate_hint = (
        "never go through sigmoid(z): in float64 sigmoid(800) is exactly 1.0, so "
        "log(1 - sigmoid(800)) = -inf; the loss of this confident mistake is 800 nats"
    )
    log1p_hint = (
        "the loss of a confident right answer, log(1 + e^-40) = 4.25e-18, must keep its "
        "digits: log(1 + x) rounds 1 + x to 1 and returns 0; use np.log1p(x)"
    )
    soft_hint = (
        "y may be any probability, not only 0 or 1: the same formula (1 - y) z + "
        "softplus(-z) holds for y = 0.3"
    )
    rng = np.random.default_rng(7)
    batch_logits = 4.0 * rng.standard_normal((4, 3))
    batch_target = (rng.random((4, 3)) < 0.5).astype(float)
    soft_logits = np.array([-800.0, -2.0, 0.0, 2.0, 800.0])
    soft_target = np.full(5, 0.3)

    def none(z: np.ndarray, y: np.ndarray) -> np.ndarray:
        return reference_loss(z, y, reduction="none")

    return [
        Case(
            (0.0, 1.0),
            lambda: np.float64(np.log(2.0)),
            hint + "; at z = 0 it is ln 2",
            label="(z = 0, y = 1)",
        ),
        Case(
            (np.array([800.0, -800.0]), np.array([0.0, 1.0])),
            lambda: np.array([800.0, 800.0]),
            saturate_hint + "; " + overflow_hint,
            label="confident mistakes z = [800, -800], y = [0, 1]",
        ),
        Case(
            (np.array([800.0, -800.0]), np.array([1.0, 0.0])),
            lambda: np.array([0.0, 0.0]),
            overflow_hint,
            label="confident right answers z = [800, -800], y = [1, 0]",
        ),
        Case(
            (np.array([40.0]), np.array([1.0])),
            lambda: np.array([np.log1p(np.exp(-40.0))]),
            log1p_hint,
            label="z = [40], y = [1] (loss 4.25e-18 nats)",
        ),
        Case(
            (soft_logits, soft_target),
            lambda: none(soft_logits, soft_target),
            soft_hint,
            label="soft target y = 0.3 at z = [-800, -2, 0, 2, 800]",
        ),
        Case(
            (batch_logits, batch_target),
            lambda: none(batch_logits, batch_target),
            hint,
            label="a (4, 3) batch of logits and 0/1 labels",
        ),
    ]


def _elementwise_loss(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.asarray(reference_loss(z, y, reduction="none"))


@hidden("7.2")
def _sigmoid_hidden(rng: np.random.Generator) -> list[Case]:
    z = rng.normal(0, 3, size=int(rng.integers(3, 9)))
    huge = rng.choice([-1.0, 1.0], size=6) * rng.uniform(700, 1e5, size=6)
    grid = rng.normal(0, 10, size=(3, 4))
    return [
        Case((z,), lambda: reference_sigmoid(z), "", category="random logits"),
        Case((huge,), lambda: reference_sigmoid(huge), "", category="huge logits (|z| > 700)"),
        Case((grid,), lambda: reference_sigmoid(grid), "", category="a 2-D array keeps its shape"),
        Case((float(z[0]),), lambda: reference_sigmoid(float(z[0])), "", category="a scalar"),
        Case(
            (-745.5,),
            lambda: reference_sigmoid(-745.5),
            "",
            category="a logit whose sigmoid is subnormal",
        ),
    ]


@hidden("7.3")
def _bce_hidden(rng: np.random.Generator) -> list[Case]:
    z = rng.normal(0, 3, size=int(rng.integers(3, 9)))
    y = rng.integers(0, 2, size=z.size).astype(float)
    soft = rng.uniform(0, 1, size=z.size)
    huge = rng.choice([-1.0, 1.0], size=6) * rng.uniform(700, 1e5, size=6)
    wrong = (huge < 0).astype(float)
    small = rng.normal(0, 1e-9, size=4)
    return [
        Case((z, y), lambda: _elementwise_loss(z, y), "", category="random logits and labels"),
        Case((z, soft), lambda: _elementwise_loss(z, soft), "", category="soft targets"),
        Case(
            (huge, wrong),
            lambda: _elementwise_loss(huge, wrong),
            "",
            category="huge, confidently wrong logits",
        ),
        Case(
            (huge, 1.0 - wrong),
            lambda: _elementwise_loss(huge, 1.0 - wrong),
            "",
            category="huge, confidently right logits",
        ),
        Case(
            (small, np.ones(4)),
            lambda: _elementwise_loss(small, np.ones(4)),
            "",
            category="logits near 0",
        ),
    ]
