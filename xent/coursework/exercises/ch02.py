"""Coding exercises of chapter 2, Cross-entropy."""

from __future__ import annotations

import numpy as np

# The reference values go through xent.information, not the package attribute: the check
# watches xent.cross_entropy while the cases run, and a reference computed through it would
# flag every submission.
from xent import information
from xent.coursework import families
from xent.coursework.exercises._shared import distribution
from xent.coursework.registry import Case, exercise, hidden

#: The prefix code of the chapter, built for q = (1/2, 1/4, 1/8, 1/8).
_CODE_Q = {"a": "0", "b": "10", "c": "110", "d": "111"}
_Q = np.array([1 / 2, 1 / 4, 1 / 8, 1 / 8])
_SYMBOLS = ("a", "b", "c", "d")


def _frequencies(message: list[str] | str) -> np.ndarray:
    """Relative frequency of each of a, b, c, d in the message."""
    counts = np.array([list(message).count(symbol) for symbol in _SYMBOLS], dtype=float)
    frequencies: np.ndarray = counts / counts.sum()
    return frequencies


def _random_message(size: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [str(s) for s in rng.choice(_SYMBOLS, size=size, p=[1 / 8, 1 / 8, 1 / 4, 1 / 2])]


@exercise(
    "2.1",
    "Average code length of a prefix code on a message",
    points=1,
    function="average_code_length",
    forbidden=families.numpy_only(),
)
def _average_code_length() -> list[Case]:
    hint = (
        "add up the lengths len(code[symbol]) of the codewords of all symbols of the "
        "message, then divide by the number of symbols"
    )
    short = ["a", "b", "a", "c", "a", "b", "a", "d"]
    long_message = _random_message(1000, seed=2)
    fixed = {"a": "00", "b": "01", "c": "10", "d": "11"}
    return [
        # On its own frequencies, q's code costs exactly H(freq, q) bits per symbol.
        Case(
            (_CODE_Q, short),
            lambda: information.cross_entropy(_frequencies(short), _Q, base=2),
            hint,
        ),
        Case(
            (_CODE_Q, ["d"]),
            lambda: 3.0,
            "a message of one symbol costs the length of its codeword",
        ),
        Case(
            (fixed, short),
            lambda: 2.0,
            "a fixed-length code costs its length whatever the message",
        ),
        Case(
            (_CODE_Q, "dcdd"),
            lambda: information.cross_entropy(_frequencies("dcdd"), _Q, base=2),
            hint + "; a string is a sequence of one-letter symbols, iterate over it",
        ),
        Case(
            (_CODE_Q, long_message),
            lambda: information.cross_entropy(_frequencies(long_message), _Q, base=2),
            hint + "; divide by the number of symbols, not by the number of distinct ones",
            label="(code built for q, 1000 symbols drawn from p)",
        ),
    ]


@exercise(
    "2.2",
    "Cross-entropy with the conventions 0 log 0 = 0 and p log 0 = -inf",
    points=2,
    function="cross_entropy",
    forbidden=families.numpy_only(),
)
def _cross_entropy() -> list[Case]:
    hint = "H(p, q) = -sum_k p_k log q_k, natural logarithm, so the answer is in nats"
    p = np.array([1 / 8, 1 / 8, 1 / 4, 1 / 2])
    batch_p = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    batch_q = np.array([[0.5, 0.25, 0.25], [0.6, 0.4, 0.0]])
    return [
        Case((p, _Q), lambda: information.cross_entropy(p, _Q), hint),
        Case(
            (p, p),
            lambda: information.entropy(p),
            "with q = p the cross-entropy is the entropy H(p)",
        ),
        Case(
            ([0.0, 1.0, 0.0], [0.2, 0.7, 0.1]),
            lambda: -np.log(0.7),
            "a one-hot p leaves -log q of the true class; accept lists as input",
        ),
        Case(
            (np.array([0.5, 0.5, 0.0]), np.array([0.5, 0.5, 0.0])),
            lambda: np.log(2.0),
            "a class with p_k = 0 adds nothing, even where q_k = 0 (0 log 0 = 0): "
            "0 * log(0) is nan in numpy, so leave such terms out",
        ),
        Case(
            (np.array([0.5, 0.25, 0.25]), np.array([0.5, 0.5, 0.0])),
            lambda: np.inf,
            "p_k > 0 where q_k = 0 makes the cross-entropy +inf (not nan, not -inf)",
        ),
        Case(
            (batch_p, batch_q),
            lambda: information.cross_entropy(batch_p, batch_q),
            "for 2-D inputs, sum over the last axis only, one value per row; the second row "
            "also has a 0 log 0 term",
        ),
    ]


def _random_code(rng: np.random.Generator) -> dict[str, str]:
    """A random complete prefix code on a, b, c, d (the leaves of a random binary tree)."""
    shapes = [("0", "10", "110", "111"), ("00", "01", "10", "11"), ("0", "100", "101", "11")]
    words = list(shapes[int(rng.integers(len(shapes)))])
    rng.shuffle(words)
    return dict(zip(_SYMBOLS, words, strict=True))


def _code_length(code: dict[str, str], message: list[str] | str) -> float:
    return float(np.mean([len(code[symbol]) for symbol in message]))


@hidden("2.1")
def _average_code_length_hidden(rng: np.random.Generator) -> list[Case]:
    code = _random_code(rng)
    message = [str(s) for s in rng.choice(_SYMBOLS, size=int(rng.integers(5, 60)))]
    long_message = [str(s) for s in rng.choice(_SYMBOLS, size=5000, p=[0.7, 0.1, 0.1, 0.1])]
    text = "".join(rng.choice(list("abcd"), size=int(rng.integers(3, 20))))
    one = [str(rng.choice(_SYMBOLS))]
    return [
        Case(
            (code, message),
            lambda: _code_length(code, message),
            "",
            category="a random code and message",
        ),
        Case(
            (code, long_message),
            lambda: _code_length(code, long_message),
            "",
            category="a long skewed message",
        ),
        Case((code, text), lambda: _code_length(code, text), "", category="a message as a string"),
        Case((code, one), lambda: _code_length(code, one), "", category="a one-symbol message"),
    ]


@hidden("2.2")
def _cross_entropy_hidden(rng: np.random.Generator) -> list[Case]:
    k = int(rng.integers(3, 9))
    p, q = distribution(rng, k), distribution(rng, k)
    p_zeros, q_zeros = distribution(rng, 6, zeros=2), distribution(rng, 6)
    q_missing = q.copy()
    q_missing[int(np.argmax(p))] = 0.0
    q_missing /= q_missing.sum()
    batch_p = np.stack([distribution(rng, 5, zeros=1) for _ in range(4)])
    batch_q = np.stack([distribution(rng, 5) for _ in range(4)])
    large_p, large_q = distribution(rng, 5000, zeros=1000), distribution(rng, 5000)
    return [
        Case((p, q), lambda: information.cross_entropy(p, q), "", category="random p and q"),
        Case(
            (p_zeros, q_zeros),
            lambda: information.cross_entropy(p_zeros, q_zeros),
            "",
            category="zeros in p",
        ),
        Case((p, q_missing), lambda: np.inf, "", category="q = 0 where p > 0"),
        Case(
            (batch_p, batch_q),
            lambda: information.cross_entropy(batch_p, batch_q),
            "",
            category="a batch of rows",
        ),
        Case(
            (large_p, large_q),
            lambda: information.cross_entropy(large_p, large_q),
            "",
            category="large K (5000)",
        ),
        Case(
            (list(map(float, p)), list(map(float, p))),
            lambda: information.entropy(p),
            "",
            category="q = p given as lists",
        ),
    ]
