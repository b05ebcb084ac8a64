"""xent.symbolic.generation: the temperature derivations, held against xent in numbers."""

from __future__ import annotations

import numpy as np
import pytest

import xent
from xent.symbolic import temperature_entropy, temperature_loss, to_numpy


@pytest.mark.parametrize("num_classes", [2, 3, 5])
def test_sympy_proves_the_entropy_derivative_is_the_variance_over_t_cubed(
    num_classes: int,
) -> None:
    assert temperature_entropy(num_classes).claim_holds


@pytest.mark.parametrize(("num_classes", "target"), [(2, 0), (3, 1), (5, 4)])
def test_sympy_proves_the_loss_derivative_in_t(num_classes: int, target: int) -> None:
    assert temperature_loss(num_classes, target).claim_holds


def test_symbolic_entropy_and_its_derivative_match_xent_and_finite_differences() -> None:
    result = temperature_entropy(4)
    entropy = to_numpy(result.entropy, result.logits, result.temperature)
    derivative = to_numpy(result.derivative, result.logits, result.temperature)
    closed = to_numpy(result.closed_form, result.logits, result.temperature)
    rng = np.random.default_rng(0)
    z = 3 * rng.standard_normal((20, 4))
    t = rng.uniform(0.3, 3.0, size=20)
    np.testing.assert_allclose(
        entropy(z, t), xent.entropy(xent.softmax(z / t[:, None])), rtol=1e-12
    )
    h = 1e-6
    central = (
        xent.entropy(xent.softmax(z / (t + h)[:, None]))
        - xent.entropy(xent.softmax(z / (t - h)[:, None]))
    ) / (2 * h)
    np.testing.assert_allclose(derivative(z, t), central, rtol=1e-6, atol=1e-9)
    q = xent.softmax(z / t[:, None])
    variance = np.sum(q * z**2, axis=1) - np.sum(q * z, axis=1) ** 2
    np.testing.assert_allclose(closed(z, t), variance / t**3, rtol=1e-10)
    assert np.all(closed(z, t) > 0)


def test_symbolic_loss_derivative_matches_xent_by_finite_differences() -> None:
    result = temperature_loss(3, target=2)
    derivative = to_numpy(result.closed_form, result.logits, result.temperature)
    rng = np.random.default_rng(1)
    z = 2 * rng.standard_normal((10, 3))
    t = rng.uniform(0.5, 2.0, size=10)
    target = np.full(10, 2)

    def loss(temps: np.ndarray) -> np.ndarray:
        return xent.softmax_cross_entropy(z / temps[:, None], target, reduction="none")

    h = 1e-6
    np.testing.assert_allclose(
        derivative(z, t), (loss(t + h) - loss(t - h)) / (2 * h), rtol=1e-6, atol=1e-9
    )


def test_temperature_loss_refuses_a_target_outside_the_classes() -> None:
    with pytest.raises(ValueError, match="target"):
        temperature_loss(3, target=3)
    with pytest.raises(ValueError, match="num_classes"):
        temperature_entropy(1)
