"""Chapter 12's claims, outside the notebook: a range coder driven by a model compresses a text
to the model's cross-entropy (within 1 %), and decoding gives the text back byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import constriction
import numpy as np
import pytest

import xent

TEXT_PATH = Path(__file__).resolve().parent.parent / "book" / "data" / "moby_dick.txt"
FAMILY = constriction.stream.model.Categorical(perfect=False)
CONTEXT = 3

Model = Callable[[np.ndarray], np.ndarray]


@pytest.fixture(scope="module")
def moby_dick() -> tuple[str, list[str], np.ndarray]:
    text = TEXT_PATH.read_text(encoding="utf-8")
    alphabet = sorted(set(text))
    index = {char: i for i, char in enumerate(alphabet)}
    return text, alphabet, np.array([index[c] for c in text], dtype=np.int32)


def _contexts(rows: np.ndarray, start: int) -> np.ndarray:
    padded = np.concatenate([np.full((len(rows), CONTEXT), start), rows], axis=1)
    return np.lib.stride_tricks.sliding_window_view(padded, CONTEXT, axis=1)[:, :-1]


def _compress(rows: np.ndarray, model: Model, start: int) -> tuple[np.ndarray, float]:
    symbols = np.ascontiguousarray(rows.T.ravel())
    context = _contexts(rows, start).transpose(1, 0, 2).reshape(-1, CONTEXT)
    probs = np.ascontiguousarray(model(context), dtype=np.float64)
    encoder = constriction.stream.queue.RangeEncoder()
    encoder.encode(symbols, FAMILY, probs)
    cost_bits = float(-np.sum(np.log2(probs[np.arange(len(symbols)), symbols])))
    return encoder.get_compressed(), cost_bits


def _decompress(words: np.ndarray, model: Model, shape: tuple[int, int], start: int) -> np.ndarray:
    decoder = constriction.stream.queue.RangeDecoder(words)
    rows = np.empty(shape, dtype=np.int32)
    context = np.full((shape[0], CONTEXT), start)
    for t in range(shape[1]):
        probs = np.ascontiguousarray(model(context), dtype=np.float64)
        rows[:, t] = decoder.decode(FAMILY, probs)
        context = np.concatenate([context[:, 1:], rows[:, t : t + 1]], axis=1)
    return rows


def _count_models(train: np.ndarray, num_symbols: int) -> dict[str, Model]:
    unigram = (np.bincount(train, minlength=num_symbols) + 1) / (len(train) + num_symbols)
    pairs = np.zeros((num_symbols + 1, num_symbols))
    np.add.at(pairs, (train[:-1], train[1:]), 1)
    bigram = (pairs + 1) / (pairs + 1).sum(axis=1, keepdims=True)
    bigram[num_symbols] = unigram
    return {
        "uniform": lambda c: np.full((len(c), num_symbols), 1 / num_symbols),
        "unigram": lambda c: np.tile(unigram, (len(c), 1)),
        "bigram": lambda c: bigram[c[:, -1]],
    }


def test_the_shipped_text_is_moby_dick_in_utf8_and_a_few_hundred_kb() -> None:
    data = TEXT_PATH.read_bytes()
    assert 300_000 < len(data) <= 600_000
    text = data.decode("utf-8")
    assert text.startswith("CHAPTER 1. Loomings.\n\nCall me Ishmael.")
    assert "\r" not in text


@pytest.mark.parametrize("name", ["uniform", "unigram", "bigram"])
def test_compressed_size_matches_cross_entropy_and_decoding_is_lossless(
    moby_dick: tuple[str, list[str], np.ndarray], name: str
) -> None:
    text, alphabet, codes = moby_dick
    num_symbols = len(alphabet)
    rows_count, length = 8, 2000
    held_out = codes[-rows_count * length :]
    model = _count_models(codes[: -rows_count * length], num_symbols)[name]
    rows = held_out.reshape(rows_count, length)
    words, cost_bits = _compress(rows, model, num_symbols)
    size_bits = 32 * len(words)
    assert abs(size_bits / cost_bits - 1) < 0.01
    decoded = _decompress(words, model, rows.shape, num_symbols)
    decoded_text = "".join(alphabet[i] for i in decoded.ravel())
    assert decoded_text.encode("utf-8") == text[-rows_count * length :].encode("utf-8")


def test_the_coder_cost_is_the_mean_cross_entropy_computed_by_xent(
    moby_dick: tuple[str, list[str], np.ndarray],
) -> None:
    _, alphabet, codes = moby_dick
    num_symbols = len(alphabet)
    held_out = codes[-4000:]
    bigram = _count_models(codes[:-4000], num_symbols)["bigram"]
    rows = held_out.reshape(4, 1000)
    _, cost_bits = _compress(rows, bigram, num_symbols)
    context = _contexts(rows, num_symbols).transpose(1, 0, 2).reshape(-1, CONTEXT)
    log_probs = np.log(bigram(context))
    nats = xent.nll_loss(log_probs, rows.T.ravel())
    assert np.isclose(cost_bits / len(held_out), xent.nats_to_bits(nats), rtol=1e-12)


def test_a_mismatched_model_does_not_decode_the_text(
    moby_dick: tuple[str, list[str], np.ndarray],
) -> None:
    _, alphabet, codes = moby_dick
    num_symbols = len(alphabet)
    rows = codes[-2000:].reshape(2, 1000)
    models = _count_models(codes[:-2000], num_symbols)
    words, _ = _compress(rows, models["bigram"], num_symbols)
    decoded = _decompress(words, models["unigram"], rows.shape, num_symbols)
    assert not np.array_equal(decoded, rows)


def test_a_sharper_model_gives_a_smaller_file_by_its_cross_entropy() -> None:
    rng = np.random.default_rng(0)
    logits = 3 * rng.standard_normal((4000, 10))
    probs = xent.softmax(logits)
    symbols = np.array([rng.choice(10, p=row) for row in probs], dtype=np.int32)
    sizes = []
    for temperature in [0.5, 1.0, 2.0]:
        tempered = xent.softmax(logits, temperature=temperature)
        encoder = constriction.stream.queue.RangeEncoder()
        encoder.encode(symbols, FAMILY, np.ascontiguousarray(tempered))
        size_bits = 32 * len(encoder.get_compressed())
        cost = xent.nats_to_bits(xent.softmax_cross_entropy(logits / temperature, symbols))
        assert abs(size_bits / (cost * len(symbols)) - 1) < 0.01
        sizes.append(size_bits)
    assert sizes[1] < sizes[0] and sizes[1] < sizes[2]  # the true model (T = 1) compresses best


def test_shannon_code_lengths_satisfy_kraft_and_lie_within_one_bit() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        q = rng.dirichlet(np.ones(int(rng.integers(2, 50))))
        lengths = np.ceil(-np.log2(q))
        assert np.sum(2.0**-lengths) <= 1.0
        h = xent.entropy(q, base=2)
        assert h <= q @ lengths < h + 1
