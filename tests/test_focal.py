"""Focal loss: reduces to cross-entropy at gamma = 0, down-weights easy examples, exact gradient."""

from __future__ import annotations

import numpy as np
import pytest

import xent


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_focal_loss_with_gamma_zero_is_the_cross_entropy(reduction: str) -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 5))
    target = np.array([0, 1, 2, 3, 4, -100])
    weight = rng.uniform(0.5, 2.0, 5)
    focal, focal_grad = xent.focal_loss_with_grad(
        logits, target, gamma=0.0, weight=weight, reduction=reduction
    )
    ce, ce_grad = xent.softmax_cross_entropy_with_grad(
        logits, target, weight=weight, reduction=reduction
    )
    np.testing.assert_allclose(focal, ce, rtol=1e-13)
    np.testing.assert_allclose(focal_grad, ce_grad, rtol=1e-12, atol=1e-15)


def test_focal_loss_matches_its_definition() -> None:
    q = np.array([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5]])
    loss = xent.focal_loss(np.log(q), [0, 0, 1], gamma=2.0, reduction="none")
    q_y = np.array([0.9, 0.1, 0.5])
    np.testing.assert_allclose(loss, -((1 - q_y) ** 2) * np.log(q_y), rtol=1e-13)


def test_focal_loss_shrinks_easy_examples_far_more_than_hard_ones() -> None:
    easy, hard = xent.focal_loss(np.log([[0.95, 0.05], [0.3, 0.7]]), [0, 0], reduction="none")
    ce_easy, ce_hard = xent.softmax_cross_entropy(
        np.log([[0.95, 0.05], [0.3, 0.7]]), [0, 0], reduction="none"
    )
    assert easy / ce_easy < 0.01 < 0.4 < hard / ce_hard


@pytest.mark.parametrize("gamma", [0.0, 0.25, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_focal_loss_gradient_equals_finite_differences(gamma: float, reduction: str) -> None:
    rng = np.random.default_rng(int(gamma * 100) + len(reduction))
    logits = rng.normal(size=(4, 3)) * 2
    target = np.array([0, 2, -100, 1])
    weight = np.array([0.5, 1.5, 1.0])

    def loss(z: np.ndarray) -> float:
        return float(
            np.sum(xent.focal_loss(z, target, gamma=gamma, weight=weight, reduction=reduction))
        )

    check = xent.check_gradient(
        loss,
        lambda z: xent.focal_loss_grad(z, target, gamma=gamma, weight=weight, reduction=reduction),
        logits,
    )
    assert check.passed, check.max_relative_error


def test_focal_loss_is_accurate_and_finite_when_confidently_right() -> None:
    loss, grad = xent.focal_loss_with_grad([[0.0, -40.0, -40.0]], [0], gamma=0.5)
    mass = 2 * np.exp(-40.0)
    assert float(loss) == pytest.approx(mass**0.5 * mass, rel=1e-12)
    assert np.all(np.isfinite(grad))


def test_focal_loss_follows_the_class_axis() -> None:
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(2, 3, 4))
    target = rng.integers(0, 3, size=(2, 4))
    moved = xent.focal_loss(np.moveaxis(logits, 1, -1), target, reduction="none")
    np.testing.assert_allclose(xent.focal_loss(logits, target, axis=1, reduction="none"), moved)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"gamma": -1.0}, ValueError, "gamma"),
        ({"gamma": float("nan")}, ValueError, "gamma"),
        ({"reduction": "avg"}, ValueError, "reduction"),
        ({"weight": [1.0]}, ValueError, "weight"),
    ],
)
def test_focal_loss_rejects_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        xent.focal_loss([[0.0, 1.0]], [0], **kwargs)


def test_focal_loss_needs_class_indices() -> None:
    with pytest.raises(TypeError, match="target"):
        xent.focal_loss([[0.0, 1.0]], [[0.5, 0.5]])
    with pytest.raises(IndexError, match="target"):
        xent.focal_loss([[0.0, 1.0]], [3])
