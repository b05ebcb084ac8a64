"""Coding exercises of chapter 4, Why -log q measures confidence."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from xent.coursework import families
from xent.coursework.registry import Case, exercise, hidden

_LOSSES = (
    "softmax_cross_entropy",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
)


def _penalties(q_true: object) -> np.ndarray:
    # numpy only: the reference must not call the xent losses the exercise forbids, or the
    # check would flag the student for them
    q = np.asarray(q_true, dtype=np.float64)
    with np.errstate(divide="ignore"):
        cross_entropy = -np.log(q)
    return np.stack([cross_entropy, 2.0 * (1.0 - q) ** 2, (q < 0.5).astype(np.float64)])


@exercise(
    "4.2",
    "Cross-entropy, squared error and 0-1 loss of one prediction",
    points=2,
    function="penalties",
    forbidden=families.numpy_only(),
)
def _penalty_cases() -> list[Case]:
    hint = "return np.stack([-log q, 2 (1 - q)^2, [q < 1/2]]), with shape (3,) + the shape of q"
    return [
        Case((0.9,), lambda: _penalties(0.9), hint),
        Case(
            (np.array([0.99, 0.6, 0.4, 0.01]),),
            lambda: _penalties([0.99, 0.6, 0.4, 0.01]),
            hint + "; work elementwise",
        ),
        Case(
            (1.0,),
            lambda: np.zeros(3),
            "a certain, correct prediction costs nothing under all three losses",
        ),
        Case(
            (0.5,),
            lambda: np.array([np.log(2.0), 0.5, 0.0]),
            "a tie q = 1/2 counts as right for the 0-1 loss: use q < 1/2, not q <= 1/2",
        ),
        Case(
            (0.0,),
            lambda: np.array([np.inf, 2.0, 1.0]),
            "q(y) = 0 rules the truth out: the cross-entropy is +inf (not nan), the "
            "squared error its maximum 2",
        ),
        Case(
            (np.array([[1e-300, 0.3], [0.7, 1.0]]),),
            lambda: _penalties(np.array([[1e-300, 0.3], [0.7, 1.0]])),
            "keep the input's shape: the result has shape (3, 2, 2); -log(1e-300) is "
            "about 690.8 nats, not inf",
        ),
    ]


def _mse_grad(z: ArrayLike, y: ArrayLike) -> np.ndarray:
    import xent

    s = xent.sigmoid(z)
    grad: np.ndarray = (s - np.asarray(y, dtype=np.float64)) * s * (1.0 - s)
    return grad


@exercise(
    "4.3",
    "Gradient of squared error through a sigmoid",
    points=2,
    atol=1e-15,
    function="mse_sigmoid_grad",
    forbidden=families.numpy_only(),
    allowed=("xent.sigmoid",),
)
def _mse_grad_cases() -> list[Case]:
    hint = "the chain rule: (sigma(z) - y) * sigma'(z), with sigma'(z) = sigma(z)(1 - sigma(z))"
    z = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    return [
        Case((0.0, 1.0), lambda: -0.125, hint + "; at z = 0, sigma = 1/2"),
        Case((z, np.ones(5)), lambda: _mse_grad(z, np.ones(5)), hint),
        Case((z, np.zeros(5)), lambda: _mse_grad(z, np.zeros(5)), hint),
        Case(
            (np.array([-1.0, 2.0]), np.array([0.3, 0.8])),
            lambda: _mse_grad([-1.0, 2.0], [0.3, 0.8]),
            hint + "; y may be any probability, not only 0 or 1",
        ),
        Case(
            (-10.0, 1.0),
            lambda: _mse_grad(-10.0, 1.0),
            "a confident mistake: about -4.5e-05, tiny because the sigmoid is flat there",
        ),
        Case(
            (np.array([-1000.0, 1000.0]), np.array([1.0, 0.0])),
            lambda: np.zeros(2),
            "huge logits saturate the sigmoid: the gradient is 0, not nan; compute sigma "
            "without overflow (xent.sigmoid does)",
        ),
    ]


@hidden("4.2")
def _penalties_hidden(rng: np.random.Generator) -> list[Case]:
    q = rng.uniform(0.0, 1.0, size=int(rng.integers(3, 8)))
    grid = rng.uniform(0.0, 1.0, size=(2, 3))
    tiny = float(10.0 ** -rng.uniform(50, 300))
    return [
        Case((q,), lambda: _penalties(q), "", category="a vector of probabilities"),
        Case((grid,), lambda: _penalties(grid), "", category="a 2-D array keeps its shape"),
        Case((tiny,), lambda: _penalties(tiny), "", category="a tiny probability"),
        Case((0.5,), lambda: _penalties(0.5), "", category="the tie q = 1/2"),
        Case((0.0,), lambda: _penalties(0.0), "", category="q = 0"),
    ]


@hidden("4.3")
def _mse_grad_hidden(rng: np.random.Generator) -> list[Case]:
    z = rng.normal(0, 3, size=int(rng.integers(3, 9)))
    y = rng.uniform(0, 1, size=z.shape)
    huge = rng.choice([-1.0, 1.0], size=4) * rng.uniform(500, 5000, size=4)
    labels = rng.integers(0, 2, size=4).astype(float)
    return [
        Case((z, y), lambda: _mse_grad(z, y), "", category="random logits and targets"),
        Case(
            (huge, labels),
            lambda: _mse_grad(huge, labels),
            "",
            category="huge logits (|z| in the thousands)",
        ),
        Case((float(z[0]), 1.0), lambda: _mse_grad(float(z[0]), 1.0), "", category="scalar inputs"),
        Case(
            (z.reshape(1, -1), np.zeros((1, z.size))),
            lambda: _mse_grad(z, np.zeros(z.size)).reshape(1, -1),
            "",
            category="a 2-D array keeps its shape",
        ),
    ]
