"""Coding exercises of chapter 9, Beyond the basics."""

from __future__ import annotations

import numpy as np

from xent.coursework import families
from xent.coursework.exercises._shared import batch
from xent.coursework.registry import Case, exercise, hidden
from xent.large_vocab import LogSumExpState

# Imported from their modules, not as ``xent.NAME``: the check watches ``xent.NAME`` for calls
# by the student, and the reference values must not count as such calls.
from xent.large_vocab import merge_logsumexp as reference_merge
from xent.losses import softmax_cross_entropy as reference_loss


def _smoothed(logits: np.ndarray, target: np.ndarray, eps: float) -> float:
    return float(reference_loss(logits, target, label_smoothing=eps))


@exercise(
    "9.2",
    "Label-smoothed cross-entropy from logits (mean over the batch)",
    points=2,
    function="smoothed_cross_entropy",
    forbidden=families.numpy_only(),
    allowed=("xent.softmax", "xent.log_softmax", "xent.logsumexp"),
)
def _label_smoothed_cross_entropy() -> list[Case]:
    hint = (
        "the target is (1 - eps) * onehot(y) + eps / K; the loss per row is "
        "-sum_k target_k * log_softmax(z)_k, then the mean over the N rows"
    )
    eps_hint = (
        "eps / K goes to every class, the true one included: the true class gets "
        "1 - eps + eps / K, not 1 - eps"
    )
    stable_hint = (
        "compute log_softmax as z - max(z) - log(sum(exp(z - max(z)))), never log(softmax(z)): "
        "exp(-1000) underflows to 0 and log(0) = -inf makes 0 * -inf = nan"
    )
    small_logits, small_target = batch(0, 4, 5)
    wide_logits, wide_target = batch(1, 16, 10, scale=3.0)
    huge = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]])
    huge_target = np.array([0, 2])
    one = np.log(np.array([[0.2, 0.3, 0.5]]))
    return [
        Case(
            (one, np.array([1])),
            lambda: -np.log(0.3),
            hint + "; with eps = 0 it is the ordinary cross-entropy -log q_y",
            kwargs={"label_smoothing": 0.0},
            label="(log [[0.2, 0.3, 0.5]], [1], label_smoothing=0.0)",
        ),
        Case(
            (one, np.array([1])),
            lambda: _smoothed(one, np.array([1]), 0.3),
            eps_hint,
            kwargs={"label_smoothing": 0.3},
            label="(log [[0.2, 0.3, 0.5]], [1], label_smoothing=0.3)",
        ),
        Case(
            (small_logits, small_target),
            lambda: _smoothed(small_logits, small_target, 0.1),
            hint,
            kwargs={"label_smoothing": 0.1},
            label="a batch of N = 4 rows, K = 5, eps = 0.1",
        ),
        Case(
            (wide_logits, wide_target),
            lambda: _smoothed(wide_logits, wide_target, 0.2),
            hint + "; sum over the class axis (axis=1), then the mean over rows",
            kwargs={"label_smoothing": 0.2},
            label="a batch of N = 16 rows, K = 10, eps = 0.2",
        ),
        Case(
            (huge, huge_target),
            lambda: _smoothed(huge, huge_target, 0.1),
            stable_hint,
            kwargs={"label_smoothing": 0.1},
            label="huge logits [[1000, 0, -1000], [0, 1000, 0]], targets [0, 2], eps = 0.1",
        ),
        Case(
            (small_logits, small_target),
            lambda: float(-np.mean(np.mean(_log_softmax(small_logits), axis=1))),
            "with eps = 1 the target is uniform: every class gets 1 / K",
            kwargs={"label_smoothing": 1.0},
            label="N = 4, K = 5, eps = 1.0 (uniform target)",
        ),
    ]


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-softmax along the last axis (the reference for the uniform-target case)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    result: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return result


def _state(m: object, s: object) -> LogSumExpState:
    return LogSumExpState(np.asarray(m, dtype=float), np.asarray(s, dtype=float))


def _merged(a: LogSumExpState, b: LogSumExpState) -> np.ndarray:
    state = reference_merge(a, b)
    return np.stack([np.asarray(state.max), np.asarray(state.total)])


@exercise(
    "9.4",
    "Online log-sum-exp: merge two (max, sum) states",
    points=2,
    function="merge",
    forbidden=families.numpy_only(),
)
def _merge_states() -> list[Case]:
    hint = (
        "m = max(m_a, m_b); s = s_a * exp(m_a - m) + s_b * exp(m_b - m); "
        "return (m, s), where (m_a, s_a) = a and (m_b, s_b) = b"
    )
    overflow_hint = (
        "rescale by exp(m_a - m) and exp(m_b - m), which are <= 1; exp(m_a) itself "
        "overflows for m_a = 1000"
    )
    empty_hint = (
        "an empty state is (-inf, 0); -inf - (-inf) is nan, so treat a state with s = 0 as "
        "contributing 0 (np.where), and return (-inf, 0) when both are empty"
    )
    rng = np.random.default_rng(9)
    many_a = _state(rng.normal(0, 5, size=6), rng.uniform(1, 4, size=6))
    many_b = _state(rng.normal(0, 5, size=6), rng.uniform(1, 4, size=6))
    unit, empty = _state(0.0, 1.0), _state(-np.inf, 0.0)
    first, second = _state(2.0, 1.5), _state(1.0, 3.0)
    big_a, big_b = _state(1000.0, 2.0), _state(990.0, 5.0)
    three = _state(3.0, 2.0)
    return [
        Case(
            (unit, unit),
            lambda: np.array([0.0, 2.0]),
            hint,
            label="(0, 1) merged with (0, 1): lse = log 2",
        ),
        Case(
            (first, second),
            lambda: _merged(first, second),
            hint,
            label="(2, 1.5) merged with (1, 3)",
        ),
        Case(
            (many_a, many_b),
            lambda: _merged(many_a, many_b),
            hint + "; work elementwise (np.maximum, not max)",
            label="states holding arrays of 6 entries each",
        ),
        Case(
            (big_a, big_b),
            lambda: _merged(big_a, big_b),
            overflow_hint,
            label="(1000, 2) merged with (990, 5)",
        ),
        Case(
            (empty, three),
            lambda: np.array([3.0, 2.0]),
            empty_hint,
            label="empty (-inf, 0) merged with (3, 2)",
        ),
        Case(
            (three, empty),
            lambda: np.array([3.0, 2.0]),
            empty_hint,
            label="(3, 2) merged with empty (-inf, 0)",
        ),
        Case(
            (empty, empty),
            lambda: np.array([-np.inf, 0.0]),
            empty_hint,
            label="two empty states",
        ),
    ]


@hidden("9.2")
def _smoothed_hidden(rng: np.random.Generator) -> list[Case]:
    n, k = int(rng.integers(2, 12)), int(rng.integers(2, 12))
    plain = batch(rng, n, k)
    eps = float(rng.uniform(0.01, 0.5))
    extreme = batch(rng, 4, 6, scale=1e4)
    large = batch(rng, 8, 2000)
    return [
        Case(
            plain,
            lambda: _smoothed(*plain, eps),
            "",
            kwargs={"label_smoothing": eps},
            category="a random batch and eps",
        ),
        Case(
            plain,
            lambda: _smoothed(*plain, 0.0),
            "",
            kwargs={"label_smoothing": 0.0},
            category="eps = 0 (plain cross-entropy)",
        ),
        Case(
            plain,
            lambda: _smoothed(*plain, 1.0),
            "",
            kwargs={"label_smoothing": 1.0},
            category="eps = 1 (uniform target)",
        ),
        Case(
            extreme,
            lambda: _smoothed(*extreme, eps),
            "",
            kwargs={"label_smoothing": eps},
            category="logits of size 1e4",
        ),
        Case(
            large,
            lambda: _smoothed(*large, eps),
            "",
            kwargs={"label_smoothing": eps},
            category="large K (2000)",
        ),
    ]


@hidden("9.4")
def _merge_hidden(rng: np.random.Generator) -> list[Case]:
    a = _state(rng.normal(0, 5, size=5), rng.uniform(1, 4, size=5))
    b = _state(rng.normal(0, 5, size=5), rng.uniform(1, 4, size=5))
    big_a = _state(float(rng.uniform(800, 2000)), 2.0)
    big_b = _state(float(rng.uniform(800, 2000)), 3.0)
    empty = _state(-np.inf, 0.0)
    partly = _state(np.array([-np.inf, 1.0, 2.0]), np.array([0.0, 1.0, 2.0]))
    other = _state(np.array([0.5, -np.inf, 3.0]), np.array([1.5, 0.0, 1.0]))
    return [
        Case((a, b), lambda: _merged(a, b), "", category="random states (arrays)"),
        Case((big_a, big_b), lambda: _merged(big_a, big_b), "", category="maxima in the thousands"),
        Case((empty, big_a), lambda: _merged(empty, big_a), "", category="an empty state first"),
        Case(
            (partly, other),
            lambda: _merged(partly, other),
            "",
            category="arrays with empty entries",
        ),
        Case((empty, empty), lambda: np.array([-np.inf, 0.0]), "", category="two empty states"),
    ]
