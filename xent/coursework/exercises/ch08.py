"""Coding exercises of chapter 8, Training a classifier and calibration."""

from __future__ import annotations

import numpy as np

from xent.calibration import expected_calibration_error as reference_ece
from xent.coursework import families
from xent.coursework.registry import Case, exercise, hidden

# Imported from their modules, not as ``xent.NAME``: the check watches ``xent.NAME`` for calls
# by the student, and the reference values must not count as such calls.
from xent.losses import softmax_cross_entropy_grad as reference_grad
from xent.softmax import softmax as reference_softmax


def _problem(
    seed: int, num_samples: int, num_features: int, num_classes: int, scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random augmented weight matrix, inputs and labels."""
    rng = np.random.default_rng(seed)
    theta = scale * rng.standard_normal((num_features + 1, num_classes))
    inputs = rng.standard_normal((num_samples, num_features))
    labels = rng.integers(0, num_classes, size=num_samples)
    return theta, inputs, labels


def _reference_step(
    theta: np.ndarray, inputs: np.ndarray, labels: np.ndarray, lr: float
) -> np.ndarray:
    """One gradient-descent step on the mean cross-entropy, bias as the last row of theta."""
    augmented = np.hstack([inputs, np.ones((inputs.shape[0], 1))])
    grad_logits = reference_grad(augmented @ theta, labels)
    result: np.ndarray = theta - lr * (augmented.T @ grad_logits)
    return result


@exercise(
    "8.2",
    "One gradient-descent step of softmax regression (bias folded into the weights)",
    points=3,
    function="gradient_step",
    forbidden=families.numpy_only(),
    allowed=(
        "xent.softmax",
        "xent.log_softmax",
        "xent.logsumexp",
        "xent.softmax_cross_entropy",
        "xent.softmax_cross_entropy_grad",
        "xent.softmax_cross_entropy_with_grad",
    ),
)
def _gradient_step() -> list[Case]:
    hint = (
        "with [X, 1] the inputs and a column of ones, the gradient of the mean loss is "
        "[X, 1]^T (Q - Y) / N, Q the row-wise softmax of [X, 1] theta and Y the one-hot "
        "labels; one step moves theta against it, lr times"
    )
    mean_hint = (
        "the loss is the mean over the N samples: divide G by N, or the step is N times too long"
    )
    stable_hint = (
        "subtract each row's maximum logit before exp, so large weights do not overflow "
        "to inf and give nan"
    )
    small = _problem(0, 4, 2, 3)
    batch = _problem(1, 50, 2, 3)
    wide = _problem(2, 20, 5, 4)
    big = _problem(3, 10, 2, 3, scale=400.0)
    zero_theta = np.zeros((3, 3))
    zero_inputs = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, -1.0]])
    zero_labels = np.array([0, 1, 2])
    return [
        Case(
            (zero_theta, zero_inputs, zero_labels, 1.0),
            lambda: _reference_step(zero_theta, zero_inputs, zero_labels, 1.0),
            hint + "; at theta = 0 every class has q = 1/3",
            label="theta = 0, three points, one per class, lr = 1",
        ),
        Case(
            (*small, 0.1),
            lambda: _reference_step(*small, 0.1),
            hint,
            label="N = 4, D = 2, K = 3, lr = 0.1",
        ),
        Case(
            (*batch, 0.5),
            lambda: _reference_step(*batch, 0.5),
            mean_hint,
            label="N = 50, D = 2, K = 3, lr = 0.5",
        ),
        Case(
            (*wide, 0.3),
            lambda: _reference_step(*wide, 0.3),
            hint + "; theta has shape (D + 1, K) = (6, 4): the bias is its last row",
            label="N = 20, D = 5, K = 4, lr = 0.3",
        ),
        Case(
            (*big, 0.01),
            lambda: _reference_step(*big, 0.01),
            stable_hint,
            label="huge weights (scale 400), N = 10, lr = 0.01",
        ),
        Case(
            (*small, 0.0),
            lambda: small[0].copy(),
            "with lr = 0 the weights must come back unchanged",
            label="lr = 0 returns theta",
        ),
    ]


def _probabilities(
    seed: int, num_samples: int, num_classes: int, scale: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    probs = reference_softmax(scale * rng.standard_normal((num_samples, num_classes)))
    labels = rng.integers(0, num_classes, size=num_samples)
    return probs, labels


@exercise(
    "8.3",
    "Expected calibration error with equal-width confidence bins",
    points=3,
    function="ece",
    forbidden=families.numpy_only(),
)
def _expected_calibration_error() -> list[Case]:
    hint = (
        "confidence = max of each row, correct = (argmax == label); bin b holds the "
        "confidences in ((b - 1) / n_bins, b / n_bins]; ECE = sum over non-empty bins of "
        "count / N * |accuracy - mean confidence|"
    )
    edge_hint = (
        "a confidence exactly on an edge such as 0.5 or 1.0 belongs to the bin on its left "
        "(the bins are closed on the right): with edges = np.linspace(0, 1, n_bins + 1), "
        "use np.searchsorted(edges, c, side='left') - 1, clipped to [0, n_bins - 1]"
    )
    empty_hint = "skip empty bins: they have no accuracy and must add nothing (not nan)"
    five = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4], [0.3, 0.7]])
    five_labels = np.array([0, 1, 0, 0, 1])
    edges = np.array([[0.5, 0.5], [1.0, 0.0], [0.25, 0.75], [0.75, 0.25]])
    edge_labels = np.array([1, 0, 0, 0])
    batch = _probabilities(0, 200, 3)
    many = _probabilities(1, 500, 10, scale=3.0)
    perfect = np.eye(3)
    perfect_labels = np.array([0, 1, 2])
    return [
        Case(
            (five, five_labels),
            lambda: reference_ece(five, five_labels, n_bins=10),
            hint,
            kwargs={"n_bins": 10},
            label="five predictions, two classes, n_bins=10",
        ),
        Case(
            (edges, edge_labels),
            lambda: reference_ece(edges, edge_labels, n_bins=4),
            edge_hint,
            kwargs={"n_bins": 4},
            label="confidences on bin edges (0.5, 1.0, 0.75), n_bins=4",
        ),
        Case(
            batch,
            lambda: reference_ece(*batch, n_bins=15),
            hint,
            kwargs={"n_bins": 15},
            label="N = 200, K = 3, n_bins=15",
        ),
        Case(
            many,
            lambda: reference_ece(*many, n_bins=20),
            empty_hint,
            kwargs={"n_bins": 20},
            label="N = 500, K = 10, n_bins=20",
        ),
        Case(
            (perfect, perfect_labels),
            lambda: 0.0,
            "certain and right every time: accuracy 1 = confidence 1, so the ECE is 0",
            kwargs={"n_bins": 10},
            label="one-hot predictions, all right",
        ),
        Case(
            (five, five_labels),
            lambda: reference_ece(five, five_labels, n_bins=1),
            "with one bin the ECE is |overall accuracy - mean confidence|",
            kwargs={"n_bins": 1},
            label="five predictions, n_bins=1",
        ),
    ]


@hidden("8.2")
def _gradient_step_hidden(rng: np.random.Generator) -> list[Case]:
    seeds = [int(s) for s in rng.integers(0, 2**31, size=3)]
    plain = _problem(seeds[0], int(rng.integers(5, 40)), 3, 4)
    big = _problem(seeds[1], 12, 2, 3, scale=500.0)
    one = _problem(seeds[2], 1, 4, 2)
    lr = float(rng.uniform(0.01, 1.0))
    return [
        Case((*plain, lr), lambda: _reference_step(*plain, lr), "", category="a random problem"),
        Case(
            (*big, 0.01),
            lambda: _reference_step(*big, 0.01),
            "",
            category="huge weights (scale 500)",
        ),
        Case((*one, lr), lambda: _reference_step(*one, lr), "", category="a single sample"),
        Case((*plain, 0.0), lambda: plain[0].copy(), "", category="lr = 0"),
    ]


@hidden("8.3")
def _ece_hidden(rng: np.random.Generator) -> list[Case]:
    seeds = [int(s) for s in rng.integers(0, 2**31, size=2)]
    probs, labels = _probabilities(seeds[0], int(rng.integers(50, 400)), 4)
    many, many_labels = _probabilities(seeds[1], 300, 10, scale=4.0)
    n_bins = int(rng.integers(2, 25))
    edges = np.array([[0.5, 0.5], [0.25, 0.75], [1.0, 0.0], [0.6, 0.4]])
    edge_labels = rng.integers(0, 2, size=4)
    return [
        Case(
            (probs, labels),
            lambda: reference_ece(probs, labels, n_bins=n_bins),
            "",
            kwargs={"n_bins": n_bins},
            category="random predictions, random n_bins",
        ),
        Case(
            (many, many_labels),
            lambda: reference_ece(many, many_labels, n_bins=15),
            "",
            category="the default n_bins (15)",
        ),
        Case(
            (edges, edge_labels),
            lambda: reference_ece(edges, edge_labels, n_bins=4),
            "",
            kwargs={"n_bins": 4},
            category="confidences on bin edges",
        ),
        Case(
            (probs, labels),
            lambda: reference_ece(probs, labels, n_bins=1),
            "",
            kwargs={"n_bins": 1},
            category="one bin",
        ),
    ]
