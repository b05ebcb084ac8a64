"""Coding exercises of chapter 12, Compression and generation."""

from __future__ import annotations

import numpy as np

from xent.coursework import families
from xent.coursework.registry import Case, exercise, hidden

# Imported from their modules, not as ``xent.NAME``: the check watches ``xent.NAME`` for calls
# by the student, and the reference values must not count as such calls.
from xent.losses import nll_loss as reference_nll
from xent.sampling import top_k_filter as reference_top_k

SAMPLING = (
    "xent.top_k_filter",
    "xent.top_p_filter",
    "xent.sampling_probs",
    "xent.sample",
    "xent.sampling.top_k_filter",
    "xent.sampling.top_p_filter",
    "xent.sampling.sampling_probs",
    "xent.sampling.sample",
)


def _shannon(q: np.ndarray) -> np.ndarray:
    return np.ceil(-np.log2(np.asarray(q, dtype=np.float64))).astype(np.int64)


def _random_distribution(rng: np.random.Generator, size: int) -> np.ndarray:
    weights = rng.gamma(1.0, size=size) + 1e-3
    result: np.ndarray = weights / weights.sum()
    return result


# --------------------------------------------------------------------------- 12.1
@exercise(
    "12.1",
    "Shannon code lengths of a distribution",
    points=1,
    function="shannon_code_lengths",
    forbidden=families.numpy_only(),
)
def _shannon_code_lengths() -> list[Case]:
    hint = "the length of symbol i is ceil(-log2 q_i): round -log2 q_i up to a whole number"
    power_hint = (
        "-log2 of a power of two is already a whole number: 0.25 needs 2 bits, not 3; "
        "use np.log2 and np.ceil without adding anything"
    )
    q4 = np.array([0.45, 0.3, 0.15, 0.1])
    mixed = np.array([0.4, 0.3, 0.2, 0.1])
    rng = np.random.default_rng(12)
    many = _random_distribution(rng, 20)
    return [
        Case((q4,), lambda: np.array([2, 2, 3, 4]), hint, label="[0.45, 0.3, 0.15, 0.1]"),
        Case((mixed,), lambda: np.array([2, 2, 3, 4]), hint, label="[0.4, 0.3, 0.2, 0.1]"),
        Case(
            ([0.5, 0.25, 0.125, 0.125],),
            lambda: np.array([1, 2, 3, 3]),
            power_hint,
            label="powers of two [0.5, 0.25, 0.125, 0.125]",
        ),
        Case(([1.0],), lambda: np.array([0]), "a certain symbol costs 0 bits", label="[1.0]"),
        Case((many,), lambda: _shannon(many), hint, label="a distribution over 20 symbols"),
    ]


@hidden("12.1")
def _shannon_code_lengths_hidden(rng: np.random.Generator) -> list[Case]:
    q = _random_distribution(rng, int(rng.integers(3, 9)))
    powers = 2.0 ** -np.arange(1, 12, dtype=np.float64)
    powers = np.append(powers, powers[-1])
    tiny = np.array([1 - 1e-200, 1e-200])
    large = _random_distribution(rng, 5000)
    uniform = np.full(64, 1 / 64)
    return [
        Case((q,), lambda: _shannon(q), "", category="a random distribution"),
        Case((powers,), lambda: _shannon(powers), "", category="powers of two"),
        Case((tiny,), lambda: _shannon(tiny), "", category="a tiny probability"),
        Case((large,), lambda: _shannon(large), "", category="large K (5,000)"),
        Case((uniform,), lambda: np.full(64, 6), "", category="a uniform distribution"),
    ]


# --------------------------------------------------------------------------- 12.2
def _bpc(probs: np.ndarray, codes: np.ndarray) -> float:
    log_probs = np.log(np.asarray(probs, dtype=np.float64))
    return float(reference_nll(log_probs, np.asarray(codes)) / np.log(2.0))


def _model_rows(
    rng: np.random.Generator, num_positions: int, num_symbols: int
) -> tuple[np.ndarray, np.ndarray]:
    probs = np.stack([_random_distribution(rng, num_symbols) for _ in range(num_positions)])
    codes = rng.integers(0, num_symbols, size=num_positions)
    return probs, codes


@exercise(
    "12.2",
    "Bits per character of a model on a text",
    points=2,
    function="bits_per_character",
    forbidden=families.numpy_only(),
)
def _bits_per_character() -> list[Case]:
    hint = (
        "pick each position's probability of the character that came, probs[t, codes[t]] "
        "(np.arange(N) and codes as indices), then the mean of -log2 over the N positions"
    )
    bits_hint = "bits, not nats: use np.log2 (or divide np.log by np.log(2))"
    rng = np.random.default_rng(1212)
    probs, codes = _model_rows(rng, 30, 6)
    uniform = np.full((10, 80), 1 / 80)
    uniform_codes = rng.integers(0, 80, size=10)
    return [
        Case(
            (np.array([[0.5, 0.25, 0.25], [0.5, 0.25, 0.25]]), np.array([0, 1])),
            lambda: 1.5,
            hint,
            label="probs [[0.5, 0.25, 0.25]] twice, codes [0, 1]: (1 + 2) / 2 bits",
        ),
        Case((uniform, uniform_codes), lambda: np.log2(80), bits_hint, label="uniform over 80"),
        Case(
            (np.array([[0.1, 0.9], [0.9, 0.1]]), np.array([1, 0])),
            lambda: -np.log2(0.9),
            hint + "; the row is the position, the column the character",
            label="probs [[0.1, 0.9], [0.9, 0.1]], codes [1, 0]",
        ),
        Case((probs, codes), lambda: _bpc(probs, codes), hint, label="30 positions, 6 symbols"),
        Case(
            (np.array([[1.0, 0.0]]), np.array([0])),
            lambda: 0.0,
            "a character predicted with probability 1 costs 0 bits",
            label="one position predicted with certainty",
        ),
    ]


@hidden("12.2")
def _bits_per_character_hidden(rng: np.random.Generator) -> list[Case]:
    probs, codes = _model_rows(rng, 50, 8)
    wide, wide_codes = _model_rows(rng, 20, 1000)
    single, single_codes = _model_rows(rng, 1, 5)
    tiny = np.array([[1 - 1e-280, 1e-280], [0.5, 0.5]])
    tiny_codes = np.array([1, 0])
    low = probs.astype(np.float32)
    return [
        Case((probs, codes), lambda: _bpc(probs, codes), "", category="a random model"),
        Case((wide, wide_codes), lambda: _bpc(wide, wide_codes), "", category="1,000 symbols"),
        Case(
            (single, single_codes),
            lambda: _bpc(single, single_codes),
            "",
            category="a text of one character",
        ),
        Case((tiny, tiny_codes), lambda: _bpc(tiny, tiny_codes), "", category="a tiny probability"),
        Case((low, codes), lambda: _bpc(low, codes), "", category="float32 probabilities"),
    ]


# --------------------------------------------------------------------------- 12.3
def _top_k(logits: np.ndarray, k: int) -> np.ndarray:
    return np.asarray(reference_top_k(np.asarray(logits, dtype=np.float64), k))


@exercise(
    "12.3",
    "Top-k filtering of logits",
    points=2,
    function="top_k_filter",
    forbidden=families.numpy_only(),
)
def _top_k_filter() -> list[Case]:
    hint = (
        "find the k-th largest logit of each row (np.sort along axis -1, then index -k) and "
        "replace every logit smaller than it by -np.inf"
    )
    tie_hint = (
        "keep every entry >= the k-th largest: entries tied with it all stay, so do not "
        "select exactly k indices with argsort"
    )
    rng = np.random.default_rng(123)
    batch = rng.normal(size=(6, 10))
    one = np.array([[0.5, 3.0, -1.0, 2.0, 1.0]])
    return [
        Case(
            (one, 2),
            lambda: np.array([[-np.inf, 3.0, -np.inf, 2.0, -np.inf]]),
            hint,
            label="[[0.5, 3, -1, 2, 1]], k = 2",
        ),
        Case((batch, 3), lambda: _top_k(batch, 3), hint + "; row by row", label="6 rows, k = 3"),
        Case(
            (np.array([[1.0, 2.0, 2.0, 0.0]]), 1),
            lambda: np.array([[-np.inf, 2.0, 2.0, -np.inf]]),
            tie_hint,
            label="a tie for the maximum, k = 1",
        ),
        Case((one, 5), lambda: one.copy(), "k = K keeps everything", label="k = K"),
        Case(
            (one, 9),
            lambda: one.copy(),
            "k larger than K keeps everything: use min(k, K)",
            label="k > K",
        ),
    ]


@hidden("12.3")
def _top_k_filter_hidden(rng: np.random.Generator) -> list[Case]:
    batch = rng.normal(size=(8, 12)) * 3
    ties = rng.integers(0, 3, size=(5, 9)).astype(np.float64)
    with_inf = rng.normal(size=(4, 6))
    with_inf[:, :2] = -np.inf
    large = rng.normal(size=(3, 2000))
    huge = np.array([[1e300, -1e300, 0.0, 5e299]])
    return [
        Case((batch, 1), lambda: _top_k(batch, 1), "", category="k = 1 (the argmax)"),
        Case((batch, 11), lambda: _top_k(batch, 11), "", category="k = K - 1"),
        Case((ties, 2), lambda: _top_k(ties, 2), "", category="many ties"),
        Case((with_inf, 5), lambda: _top_k(with_inf, 5), "", category="-inf logits"),
        Case((large, 40), lambda: _top_k(large, 40), "", category="large K (2,000)"),
        Case((huge, 2), lambda: _top_k(huge, 2), "", category="huge logits"),
    ]
