"""Where xent differs from SciPy and PyTorch, on purpose: one test per row of the table.

``book/differences.md`` lists each difference in one table; each row names the test here that
pins it, and ``test_every_row_of_the_table_is_pinned_by_a_test_here`` holds the two together.
PyTorch's answers are written in as the numbers it gives (PyTorch 2.13, float64), since the
suite does not import torch; SciPy's are computed live.
"""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import special, stats

import xent

PAGE = Path(__file__).parents[1] / "book" / "differences.md"
INF, NAN = np.inf, np.nan


def test_probability_targets_must_be_distributions() -> None:
    # PyTorch's cross_entropy takes [0.6, 0.6] as a target and returns 0.9759.
    with pytest.raises(ValueError, match="target must sum to 1 along axis -1"):
        xent.softmax_cross_entropy([[0.0, 1.0]], [[0.6, 0.6]])
    # scipy.stats.entropy normalises [1, 1] to [0.5, 0.5]; xent asks the caller to.
    assert np.isclose(stats.entropy([1.0, 1.0]), np.log(2))
    with pytest.raises(ValueError, match="p must sum to 1"):
        xent.entropy([1.0, 1.0])


def test_negative_class_weights_are_refused() -> None:
    # PyTorch accepts weight=[-1, 1] and returns 1.3133 for this input.
    with pytest.raises(ValueError, match=r"weight must be finite and non-negative"):
        xent.softmax_cross_entropy([[0.0, 1.0]], [0], weight=[-1.0, 1.0])
    with pytest.raises(ValueError, match=r"weight must be finite and non-negative"):
        xent.binary_cross_entropy_with_logits([0.0], [1.0], weight=[-1.0])


def test_infinite_logits_give_the_exact_limits() -> None:
    # PyTorch: cross_entropy([[inf, 0]], [0]) is nan, and BCE with logits at +-inf is nan.
    assert float(xent.softmax_cross_entropy([[INF, 0.0]], [0])) == 0.0
    assert float(xent.softmax_cross_entropy([[INF, 0.0]], [1])) == INF
    bce = xent.binary_cross_entropy_with_logits([INF, -INF], [1.0, 0.0], reduction="none")
    assert bce.tolist() == [0.0, 0.0]
    # SciPy's softmax([inf, 1]) is [nan, nan] (with a RuntimeWarning).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.all(np.isnan(special.softmax([INF, 1.0])))
    assert xent.softmax([INF, 1.0]).tolist() == [1.0, 0.0]


#: Every loss with a weight, called on a first sample whose loss is infinite (or NaN, with
#: ``bad=NAN``) and whose weight is 0, and a second, ordinary one of weight 1.
WEIGHTED_LOSSES = {
    "nll_loss": lambda bad: xent.nll_loss(
        [[bad, 0.0], [0.0, -1.0]], [0, 1], weight=[0.0, 1.0], reduction="none"),
    "softmax_cross_entropy": lambda bad: xent.softmax_cross_entropy(
        [[bad, 0.0], [0.0, -1.0]], [0, 1], weight=[0.0, 1.0], reduction="none"),
    "focal_loss": lambda bad: xent.focal_loss(
        [[bad, 0.0], [0.0, -1.0]], [0, 1], weight=[0.0, 1.0], reduction="none"),
    "binary_cross_entropy_with_logits": lambda bad: xent.binary_cross_entropy_with_logits(
        [bad, 0.3], [1.0, 1.0], weight=[0.0, 1.0], reduction="none"),
    "binary_cross_entropy_with_logits, pos_weight": (
        lambda bad: xent.binary_cross_entropy_with_logits(
            [bad, 0.3], [1.0, 1.0], pos_weight=[0.0, 1.0], reduction="none")),
}


@pytest.mark.parametrize("loss", WEIGHTED_LOSSES.values(), ids=WEIGHTED_LOSSES.keys())
def test_a_zero_weight_at_a_minus_inf_log_probability_costs_nothing(loss) -> None:
    # PyTorch: nll_loss([[-inf, 0]], [0], weight=[0, 1], reduction="none") is [nan]: 0 * inf;
    # so is a padding mask of 0 over a saturated logit in binary_cross_entropy_with_logits.
    with np.errstate(all="raise"):
        values = loss(-INF)
    assert values[0] == 0.0 and np.isfinite(values[1]) and values[1] > 0
    # A NaN stays NaN, weight or no weight.
    assert np.isnan(loss(NAN)[0])


def test_the_softmax_family_reduces_the_last_axis_by_default() -> None:
    z = np.array([[0.0, 1.0], [2.0, 3.0]])
    assert xent.logsumexp(z).shape == (2,)
    assert np.ndim(special.logsumexp(z)) == 0  # SciPy: every axis
    np.testing.assert_allclose(xent.logsumexp(z, axis=None), special.logsumexp(z), rtol=1e-15)
    np.testing.assert_allclose(xent.softmax(z, axis=None), special.softmax(z), rtol=1e-15)
    p = np.array([[0.5, 0.25, 0.25], [0.5, 0.25, 0.25]])
    assert stats.entropy(p).shape == (3,)  # SciPy: over the first axis
    assert xent.entropy(p).shape == (2,)
    np.testing.assert_allclose(xent.entropy(p.T, axis=0), stats.entropy(p.T), rtol=1e-15)


def test_softmax_of_an_empty_array_is_empty() -> None:
    # SciPy raises "zero-size array to reduction operation maximum which has no identity".
    with pytest.raises(ValueError, match="zero-size"):
        special.softmax(np.zeros((2, 0)), axis=-1)
    assert xent.softmax(np.zeros((2, 0))).shape == (2, 0)
    assert xent.log_softmax(np.zeros((2, 0))).shape == (2, 0)
    # Where SciPy has an answer, xent gives the same: an empty sum is 0, its log -inf.
    assert xent.logsumexp(np.zeros((2, 0))).tolist() == [-INF, -INF]


def test_an_empty_distribution_has_no_entropy() -> None:
    assert stats.entropy([]) == 0.0  # SciPy
    with pytest.raises(ValueError, match="zero classes"):
        xent.entropy(np.zeros(0))


def test_complex_input_is_refused() -> None:
    z = np.array([1 + 1j, 2 - 1j])
    assert np.iscomplexobj(special.logsumexp(z))  # SciPy supports it
    with pytest.raises(TypeError, match="z must be real-valued"):
        xent.logsumexp(z)


def test_log_softmax_keeps_full_accuracy_where_pytorch_cancels() -> None:
    # PyTorch's z - lse(z) for this row's top entry is -2.7639419168245877e-05, 3.4e-12 off;
    # mpmath's exact value is -2.763941916815129e-05, which xent gives to the last digit.
    row = np.array([-4.14604153, -5.42152807, -4.78416983, -4.15080506, 7.38083939])
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(40):
        lse = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row))
        exact = float(mpmath.mpf(float(row[4])) - lse)
    got = float(xent.log_softmax(row)[4])
    assert abs(got - exact) <= 2 * np.spacing(abs(exact))
    assert abs(-2.7639419168245877e-05 - exact) > 1e3 * np.spacing(abs(exact))


def test_kl_divergence_takes_distributions_in_scipys_order() -> None:
    p, q = np.array([0.9, 0.1]), np.array([0.5, 0.5])
    # SciPy: entropy(p, q) = D(p || q). PyTorch: kl_div(log q, p) = D(p || q), log first.
    np.testing.assert_allclose(xent.kl_divergence(p, q), stats.entropy(p, q), rtol=1e-15)
    assert not np.isclose(xent.kl_divergence(p, q), xent.kl_divergence(q, p))


def test_ignore_index_with_probability_targets_is_a_value_error() -> None:
    # PyTorch raises RuntimeError("ignore_index is not supported for floating point target").
    with pytest.raises(ValueError, match="ignore_index applies to class-index targets only"):
        xent.softmax_cross_entropy(np.zeros((2, 3)), np.full((2, 3), 1 / 3), ignore_index=1)


def test_the_page_lists_every_difference_once() -> None:
    text = PAGE.read_text()
    rows = re.findall(r"`(test_[a-z0-9_]+)`", text)
    here = {
        name
        for name in dir(sys.modules[__name__])
        if name.startswith("test_") and name != "test_the_page_lists_every_difference_once"
    }
    assert sorted(rows) == sorted(set(rows)), "a test is named twice on the page"
    assert set(rows) == here
