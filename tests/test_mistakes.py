"""The gallery of mistakes of chapter 9: each mistake gives a wrong answer, its fix the right one.

Every test reproduces one mistake from ``book/09_beyond.ipynb`` and asserts both halves: the
mistaken computation is wrong (by the amount the chapter explains) and the fix agrees with
``xent`` or with a value known in closed form.
"""

from __future__ import annotations

import numpy as np
import pytest

import xent


def test_kl_of_raw_samples_is_not_the_kl_of_their_distributions() -> None:
    rng = np.random.default_rng(0)
    rolls_a = rng.integers(1, 7, size=5000)
    rolls_b = rng.integers(1, 7, size=5000)  # the same fair die: the true KL is 0
    mistake = xent.kl_divergence(rolls_a / rolls_a.sum(), rolls_b / rolls_b.sum())
    p_hat = np.bincount(rolls_a, minlength=7)[1:] / len(rolls_a)
    q_hat = np.bincount(rolls_b, minlength=7)[1:] / len(rolls_b)
    fix = xent.kl_divergence(p_hat, q_hat)
    assert mistake > 0.1
    assert 0.0 <= fix < 0.01


def test_a_conditional_table_is_not_a_joint_distribution() -> None:
    p_x = np.array([0.25, 0.75])
    p_y_given_x = np.array([[0.9, 0.1], [0.4, 0.6]])
    with pytest.raises(ValueError, match="sum to 1"):
        xent.entropy(p_y_given_x.ravel())
    joint = p_x[:, None] * p_y_given_x
    chain = xent.entropy(p_x) + np.sum(p_x * xent.entropy(p_y_given_x))
    assert np.isclose(xent.entropy(joint.ravel()), chain, rtol=1e-12)


def test_log_of_q_plus_eps_is_biased_and_xlogy_is_exact() -> None:
    p = np.array([1.0, 0.0, 0.0])
    q = np.array([1e-12, 0.5, 0.5 - 1e-12])
    mistake = -np.sum(p * np.log(q + 1e-7))
    fix = -np.sum(xent.xlogy(p, q))
    assert np.isclose(fix, 12 * np.log(10), rtol=1e-12)
    assert np.isclose(fix, xent.cross_entropy(p, q), rtol=1e-12)
    assert mistake < 17.0  # about 16.1 nats instead of 27.6


def test_softmax_applied_twice_cannot_reach_a_small_loss() -> None:
    logits = np.array([[8.0, 0.0, 0.0]])
    target = np.array([0])
    mistake = xent.softmax_cross_entropy(xent.softmax(logits), target)
    fix = xent.softmax_cross_entropy(logits, target)
    assert mistake > np.log(1 + 2 / np.e) - 1e-12  # the floor of the double softmax, K = 3
    assert np.isclose(fix, np.log1p(2 * np.exp(-8.0)), rtol=1e-12)


def test_the_mean_over_the_wrong_axis_divides_by_the_number_of_classes() -> None:
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((4, 3))
    target = np.array([2, 0, 1, 1])
    log_q = xent.log_softmax(logits)
    onehot = np.eye(3)[target]
    mistake = -np.mean(np.sum(onehot * log_q, axis=0))
    fix = -np.mean(np.sum(onehot * log_q, axis=1))
    assert np.isclose(fix, xent.softmax_cross_entropy(logits, target), rtol=1e-12)
    assert np.isclose(mistake, fix * 4 / 3, rtol=1e-12)
    assert not np.isclose(mistake, fix)


def test_indexing_every_row_with_every_target_ignores_which_sample_has_which_label() -> None:
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((4, 3))
    target = np.array([2, 0, 1, 1])
    shuffled = target[[1, 2, 3, 0]]
    log_q = xent.log_softmax(logits)
    mistake = [-np.mean(log_q[:, t]) for t in (target, shuffled)]
    fix = [-np.mean(log_q[np.arange(4), t]) for t in (target, shuffled)]
    assert np.isclose(mistake[0], mistake[1], rtol=1e-12)  # blind to the labels' order
    assert not np.isclose(mistake[0], xent.softmax_cross_entropy(logits, target))
    assert np.isclose(fix[0], xent.softmax_cross_entropy(logits, target), rtol=1e-12)
    assert np.isclose(fix[1], xent.softmax_cross_entropy(logits, shuffled), rtol=1e-12)


def test_bce_on_a_saturated_probability_loses_the_logit() -> None:
    logit = np.array([40.0])
    target = np.array([0.0])
    probability = xent.sigmoid(logit)
    assert probability[0] == 1.0
    mistake = xent.binary_cross_entropy(probability, target)
    fix = xent.binary_cross_entropy_with_logits(logit, target)
    assert np.isclose(mistake, 100.0)  # the clamp at log = -100, whatever the logit
    assert np.isclose(fix, 40.0 + np.log1p(np.exp(-40.0)), rtol=1e-12)


def test_logsumexp_is_equivariant_not_invariant_under_shifts() -> None:
    logits = np.array([1000.0, 999.0, 998.0])
    shift = logits.max()
    mistake = xent.logsumexp(logits - shift) - logits[0]
    fix = xent.logsumexp(logits - shift) + shift - logits[0]
    expected = np.log1p(np.exp(-1.0) + np.exp(-2.0))
    assert np.isclose(fix, expected, rtol=1e-12)
    assert np.isclose(fix, xent.softmax_cross_entropy(logits[None], np.array([0])), rtol=1e-12)
    assert np.isclose(mistake, expected - shift, rtol=1e-12)  # a negative "loss"
