"""Coding exercises of chapter 6, The softmax-CE gradient."""

from __future__ import annotations

import numpy as np

from xent.coursework import families
from xent.coursework.exercises._shared import batch
from xent.coursework.registry import Case, exercise, hidden
from xent.coursework.wire import Function

# Imported from their modules, not as ``xent.NAME``: the check watches ``xent.NAME`` for calls
# by the student, and the reference values must not count as such calls.
from xent.losses import softmax_cross_entropy_grad as reference_grad


@exercise(
    "6.2",
    "Softmax cross-entropy gradient for class indices (mean over the batch)",
    points=3,
    function="softmax_ce_grad",
    forbidden=families.numpy_only(),
)
def _softmax_cross_entropy_gradient() -> list[Case]:
    hint = (
        "per row the gradient is softmax(z) - onehot(y); with the mean over the batch, "
        "divide by the number of rows N"
    )
    stable_hint = (
        "subtract each row's maximum before exp (softmax does not change), so exp never "
        "overflows to inf and inf / inf = nan never happens"
    )
    no_division_hint = (
        "never divide by q: the true class has q = 0 here (exp(-800) underflows), and the "
        "chain rule through -1/q gives 0 * inf = nan; q - onehot(y) is exact"
    )
    one_row = np.log([[0.2, 0.3, 0.5]])
    batch_logits, batch_target = batch(0, 4, 3)
    wide_logits, wide_target = batch(1, 8, 10, scale=3.0)
    huge = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]])
    wrong = np.array([[0.0, 800.0, 0.0]])
    shifted = np.array([[-1000.0, -1001.0, -1002.0]])
    two_class = np.array([[2.0, -1.0], [0.5, 0.5]])
    return [
        Case(
            (one_row, np.array([1])),
            lambda: np.array([[0.2, -0.7, 0.5]]),
            hint + "; this is the CS231n example: q = [0.2, 0.3, 0.5], true class 1",
            label="(log [[0.2, 0.3, 0.5]], [1])",
        ),
        Case(
            (batch_logits, batch_target),
            lambda: reference_grad(batch_logits, batch_target),
            hint,
            label="a batch of N = 4 rows, K = 3 (mean: each row divided by 4)",
        ),
        Case(
            (wide_logits, wide_target),
            lambda: reference_grad(wide_logits, wide_target),
            hint + "; use axis=-1 (the class axis) and keepdims=True for the row sums",
            label="a batch of N = 8 rows, K = 10",
        ),
        Case(
            (huge, np.array([0, 0])),
            lambda: reference_grad(huge, np.array([0, 0])),
            stable_hint,
            label="huge logits [[1000, 0, -1000], [0, 1000, 0]], targets [0, 0]",
        ),
        Case(
            (wrong, np.array([0])),
            lambda: np.array([[-1.0, 1.0, 0.0]]),
            no_division_hint,
            label="confidently wrong [[0, 800, 0]], target 0",
        ),
        Case(
            (shifted, np.array([2])),
            lambda: reference_grad(shifted, np.array([2])),
            stable_hint + " (here exp(-1000) underflows to 0 and 0 / 0 = nan)",
            label="very negative logits [[-1000, -1001, -1002]], target 2",
        ),
        Case(
            (two_class, np.array([1, 0])),
            lambda: reference_grad(two_class, np.array([1, 0])),
            hint + "; K = 2 works like any other K",
            label="two classes, N = 2",
        ),
    ]


@exercise(
    "6.3",
    "Central-difference gradient",
    points=2,
    rtol=1e-5,
    atol=1e-7,
    function="numerical_gradient",
    forbidden=families.numpy_only(),
)
def _central_difference() -> list[Case]:
    hint = "(f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for every entry i, same shape as x"
    central_hint = (
        "with eps = 1e-3 a forward difference (f(x + eps e_i) - f(x)) / eps is off by about "
        "eps * f'' = 1e-3 relative; the central difference is off by only eps**2"
    )
    float_hint = (
        "x arrives as integers: copy it to float64 first (np.array(x, dtype=float)), "
        "otherwise x[i] + 1e-6 is rounded back to the integer and the difference is 0"
    )
    shape_hint = (
        "x is 2-D: loop over every index (np.ndindex(x.shape)) and return an array of x's shape"
    )

    logits = np.array([[1.0, -0.5, 2.0], [0.0, 3.0, -1.0]])
    target = np.array([2, 0])
    square, cube = Function("sum_of_squares"), Function("sum_of_cubes")
    loss = Function("softmax_cross_entropy", {"target": [2, 0]})

    return [
        Case(
            (square, np.array([0.5, -1.0])),
            lambda: np.array([1.0, -2.0]),
            hint,
            label="(sum(v**2), [0.5, -1.0])",
        ),
        Case(
            (cube, np.array([1.0, 2.0])),
            lambda: np.array([3.0, 12.0]),
            central_hint,
            kwargs={"eps": 1e-3},
            label="(sum(v**3), [1.0, 2.0], eps=1e-3)",
        ),
        Case(
            (cube, [1, 2]),
            lambda: np.array([3.0, 12.0]),
            float_hint,
            label="(sum(v**3), [1, 2]) with integer x",
        ),
        Case(
            (loss, logits),
            lambda: reference_grad(logits, target),
            shape_hint,
            label="(softmax CE, logits of shape (2, 3))",
        ),
    ]


@hidden("6.2")
def _gradient_hidden(rng: np.random.Generator) -> list[Case]:
    n, k = int(rng.integers(2, 9)), int(rng.integers(2, 12))
    plain = batch(rng, n, k)
    large_k = batch(rng, 16, 1000)
    extreme = batch(rng, 6, 5, scale=1e4)
    ties = (np.zeros((3, 4)), rng.integers(0, 4, size=3))
    single = batch(rng, 1, 7)
    float32 = (plain[0].astype(np.float32), plain[1])
    return [
        Case(plain, lambda: reference_grad(*plain), "", category="a random batch"),
        Case(large_k, lambda: reference_grad(*large_k), "", category="large K (1000 classes)"),
        Case(extreme, lambda: reference_grad(*extreme), "", category="logits of size 1e4"),
        Case(ties, lambda: reference_grad(*ties), "", category="ties (all logits equal)"),
        Case(single, lambda: reference_grad(*single), "", category="a batch of one row"),
        Case(
            float32,
            lambda: reference_grad(float32[0].astype(np.float64), plain[1]),
            "",
            category="float32 logits",
            rtol=1e-5,
            atol=1e-7,
        ),
    ]


@hidden("6.3")
def _central_difference_hidden(rng: np.random.Generator) -> list[Case]:
    x = rng.normal(size=int(rng.integers(2, 6)))
    grid = rng.normal(size=(2, 3))
    labels = [int(t) for t in rng.integers(0, 3, size=2)]
    eps = float(rng.choice([1e-3, 1e-4]))
    ints = [int(v) for v in rng.integers(-3, 4, size=3)]
    return [
        Case(
            (Function("sum_of_sines"), x),
            lambda: np.cos(x),
            "",
            category="sum(sin(x)) at a random point",
        ),
        Case(
            (Function("sum_of_squares"), grid),
            lambda: 2.0 * grid,
            "",
            category="a 2-D x keeps its shape",
        ),
        Case(
            (Function("sum_of_cubes"), x),
            lambda: 3.0 * x**2 + eps**2,
            "",
            kwargs={"eps": eps},
            category="a given eps",
        ),
        Case(
            (Function("softmax_cross_entropy", {"target": labels}), grid),
            lambda: reference_grad(grid, np.array(labels)),
            "",
            category="softmax cross-entropy of a batch",
        ),
        Case(
            (Function("sum_of_squares"), ints),
            lambda: 2.0 * np.array(ints, dtype=float),
            "",
            category="integer x",
        ),
    ]
