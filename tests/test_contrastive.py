"""InfoNCE: softmax cross-entropy against the diagonal, its gradient, the log N ceiling, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import xent
from tests.strategies import FAST

REDUCTIONS = ["mean", "sum", "none"]


def _similarities(seed: int, shape: tuple[int, ...] = (4, 4)) -> np.ndarray:
    return 2 * np.random.default_rng(seed).normal(size=shape)


def test_hand_computed_value() -> None:
    s = np.array([[2.0, 0.0], [1.0, 3.0]])
    expected = (np.log1p(np.exp(-2.0)) + np.log1p(np.exp(-2.0))) / 2
    assert np.isclose(xent.info_nce_loss(s), expected, rtol=1e-14)
    # tau = 0.5 doubles every similarity: the gaps become 4.
    assert np.isclose(xent.info_nce_loss(s, temperature=0.5), np.log1p(np.exp(-4.0)), rtol=1e-14)


@pytest.mark.parametrize("num_pairs", [1, 2, 8, 100])
def test_loss_at_chance_is_log_n(num_pairs: int) -> None:
    constant = np.full((num_pairs, num_pairs), 0.3)
    assert np.isclose(xent.info_nce_loss(constant), np.log(num_pairs), rtol=1e-14, atol=0)


@pytest.mark.parametrize("temperature", [0.07, 0.5, 1.0, 3.0])
@pytest.mark.parametrize("shape", [(5, 5), (3, 7)])
def test_info_nce_is_cross_entropy_with_target_arange(
    temperature: float, shape: tuple[int, int]
) -> None:
    s = _similarities(1, shape)
    target = np.arange(shape[0])
    loss = xent.info_nce_loss(s, temperature=temperature, reduction="none")
    expected = xent.softmax_cross_entropy(s / temperature, target, reduction="none")
    np.testing.assert_allclose(loss, expected, rtol=1e-13)


def test_symmetric_loss_averages_rows_and_columns() -> None:
    s = _similarities(2, (6, 6))
    target = np.arange(6)
    rows = xent.softmax_cross_entropy(s / 0.2, target)
    columns = xent.softmax_cross_entropy(s.T / 0.2, target)
    loss = xent.info_nce_loss(s, temperature=0.2, symmetric=True)
    assert np.isclose(loss, (rows + columns) / 2, rtol=1e-13)


@pytest.mark.parametrize("temperature", [0.1, 1.0, 4.0])
def test_gradient_is_softmax_minus_identity_over_tau(temperature: float) -> None:
    s = _similarities(3, (4, 6))
    grad = xent.info_nce_loss_grad(s, temperature=temperature, reduction="sum")
    expected = (xent.softmax(s / temperature) - np.eye(4, 6)) / temperature
    np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("temperature", [0.3, 1.0])
def test_gradient_equals_finite_differences(
    symmetric: bool, reduction: str, temperature: float
) -> None:
    s = _similarities(4, (4, 4))

    def loss(x: np.ndarray) -> float:
        return float(
            np.sum(
                xent.info_nce_loss(
                    x, temperature=temperature, symmetric=symmetric, reduction=reduction
                )
            )
        )

    check = xent.check_gradient(
        loss,
        lambda x: xent.info_nce_loss_grad(
            x, temperature=temperature, symmetric=symmetric, reduction=reduction
        ),
        s,
    )
    assert check.passed, check.max_relative_error


def test_gradient_through_embeddings_by_the_chain_rule() -> None:
    rng = np.random.default_rng(5)
    queries, keys = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))

    def loss(q: np.ndarray) -> float:
        return float(xent.info_nce_loss(q @ keys.T, temperature=0.5))

    grad_s = xent.info_nce_loss_grad(queries @ keys.T, temperature=0.5)
    check = xent.check_gradient(loss, lambda q: grad_s @ keys, queries)
    assert check.passed, check.max_relative_error


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_with_grad_returns_the_loss_and_the_gradient(reduction: str) -> None:
    s = _similarities(6, (3, 5))
    loss, grad = xent.info_nce_loss_with_grad(s, temperature=0.7, reduction=reduction)
    np.testing.assert_array_equal(loss, xent.info_nce_loss(s, temperature=0.7, reduction=reduction))
    np.testing.assert_array_equal(
        grad, xent.info_nce_loss_grad(s, temperature=0.7, reduction=reduction)
    )


def test_leading_batch_axes_are_independent_batches() -> None:
    s = _similarities(7, (3, 4, 4))
    none = xent.info_nce_loss(s, reduction="none")
    assert none.shape == (3, 4)
    for b in range(3):
        np.testing.assert_allclose(none[b], xent.info_nce_loss(s[b], reduction="none"))
    assert np.isclose(xent.info_nce_loss(s), none.mean())
    assert np.isclose(xent.info_nce_loss(s, reduction="sum"), none.sum())


@FAST
@given(hnp.arrays(np.float64, (5, 5), elements=st.floats(-40, 40)))
def test_loss_is_non_negative_bound_at_most_log_n_gradient_rows_sum_to_zero(
    s: np.ndarray,
) -> None:
    loss, grad = xent.info_nce_loss_with_grad(s, reduction="none")
    assert np.all(loss >= 0)
    assert np.log(5) - loss.mean() <= np.log(5)
    np.testing.assert_allclose(grad.sum(axis=-1), 0, atol=1e-12)
    assert np.all(np.diag(grad) <= 0)
    assert np.all(grad[~np.eye(5, dtype=bool)] >= 0)


@FAST
@given(hnp.arrays(np.float64, (4, 4), elements=st.floats(-10, 10)), st.floats(-50, 50))
def test_adding_a_constant_to_a_row_changes_nothing(s: np.ndarray, shift: float) -> None:
    shifted = s.copy()
    shifted[1] += shift
    np.testing.assert_allclose(
        xent.info_nce_loss(shifted, reduction="none"),
        xent.info_nce_loss(s, reduction="none"),
        rtol=1e-9,
        atol=1e-12,
    )


def test_confident_positives_keep_a_tiny_loss_and_gradient() -> None:
    s = np.array([[50.0, 0.0], [0.0, 50.0]])
    loss, grad = xent.info_nce_loss_with_grad(s, reduction="sum")
    assert np.isclose(loss, 2 * np.exp(-50.0), rtol=1e-12)
    assert np.isclose(grad[0, 0], -np.exp(-50.0), rtol=1e-12)


def test_huge_similarities_do_not_overflow() -> None:
    # Row 2 puts its positive 2e303 below its negative: the loss is 2e303, not inf or nan.
    loss = xent.info_nce_loss(np.array([[1e300, -1e300], [1e300, -1e300]]), temperature=1e-3)
    assert np.isclose(loss, 1e303, rtol=1e-12)
    beyond = xent.info_nce_loss(np.array([[1e300, -1e300], [1e300, -1e300]]), temperature=1e-10)
    assert np.isinf(beyond)
    loss = xent.info_nce_loss(np.array([[800.0, 0.0], [0.0, 800.0]]))
    assert loss == 0.0


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_low_precision_input_keeps_its_dtype(dtype: type) -> None:
    s = _similarities(8, (4, 4)).astype(dtype)
    loss, grad = xent.info_nce_loss_with_grad(s, temperature=0.5)
    assert loss.dtype == dtype and grad.dtype == dtype
    reference = xent.info_nce_loss(s.astype(np.float64), temperature=0.5)
    assert np.isclose(float(loss), reference, rtol=1e-2)


def test_nan_propagates() -> None:
    assert np.isnan(xent.info_nce_loss(np.array([[np.nan, 0.0], [0.0, 1.0]])))


@pytest.mark.parametrize("shape", [(3,), ()])
def test_fewer_than_two_dimensions_are_refused(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="similarities must have at least two dimensions"):
        xent.info_nce_loss(np.zeros(shape))


def test_fewer_keys_than_queries_are_refused() -> None:
    with pytest.raises(ValueError, match="at least as many keys"):
        xent.info_nce_loss(np.zeros((4, 3)))


def test_an_empty_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one query"):
        xent.info_nce_loss(np.zeros((0, 3)))


def test_symmetric_needs_a_square_matrix() -> None:
    with pytest.raises(ValueError, match="symmetric=True needs a square"):
        xent.info_nce_loss(np.zeros((2, 3)), symmetric=True)


def test_symmetric_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="symmetric"):
        xent.info_nce_loss(np.zeros((2, 2)), symmetric="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("temperature", [0.0, -0.1, np.inf, np.nan])
def test_temperature_must_be_positive_and_finite(temperature: float) -> None:
    with pytest.raises(ValueError, match="temperature"):
        xent.info_nce_loss(np.zeros((2, 2)), temperature=temperature)


def test_unknown_reduction_is_refused() -> None:
    with pytest.raises(ValueError, match="reduction"):
        xent.info_nce_loss(np.zeros((2, 2)), reduction="avg")


def test_non_numeric_input_is_refused_naming_the_argument() -> None:
    with pytest.raises(TypeError, match="similarities"):
        xent.info_nce_loss(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(TypeError, match="similarities"):
        xent.info_nce_loss(np.eye(2) * 1j)
