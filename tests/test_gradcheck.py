"""xent.gradcheck: central differences and the relative-error gradient check."""

from __future__ import annotations

import numpy as np
import pytest

import xent


def cube_sum(x: np.ndarray) -> float:
    return float(np.sum(x**3))


def test_numerical_gradient_of_a_sum_of_cubes_is_three_x_squared() -> None:
    x = np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(xent.numerical_gradient(cube_sum, x), 3 * x**2, rtol=1e-8)


def test_numerical_gradient_is_the_central_difference() -> None:
    # for x^3 the central difference is exactly 3 x^2 + eps^2 (a forward one adds 3 x eps)
    x = np.array([1.0, 2.0])
    eps = 1e-3
    numeric = xent.numerical_gradient(cube_sum, x, eps=eps)
    np.testing.assert_allclose(numeric, 3 * x**2 + eps**2, rtol=1e-9)


def test_numerical_gradient_keeps_the_shape_of_a_matrix_input() -> None:
    x = np.arange(6.0).reshape(2, 3) / 4
    weights = np.arange(1.0, 7.0).reshape(2, 3)
    numeric = xent.numerical_gradient(lambda v: float(np.sum(weights * np.sin(v))), x)
    assert numeric.shape == (2, 3)
    assert numeric.dtype == np.float64
    np.testing.assert_allclose(numeric, weights * np.cos(x), rtol=1e-8)


def test_numerical_gradient_leaves_its_input_unchanged() -> None:
    x = np.array([0.25, -1.5, 2.0])
    copy = x.copy()
    xent.numerical_gradient(cube_sum, x)
    np.testing.assert_array_equal(x, copy)


def test_numerical_gradient_accepts_lists_of_integers_and_steps_in_float64() -> None:
    numeric = xent.numerical_gradient(cube_sum, [1, 2])
    assert numeric.dtype == np.float64
    np.testing.assert_allclose(numeric, [3.0, 12.0], rtol=1e-8)


def test_numerical_gradient_accepts_functions_returning_zero_d_arrays() -> None:
    numeric = xent.numerical_gradient(lambda v: np.sum(v**2), np.array([1.0, -3.0]))
    np.testing.assert_allclose(numeric, [2.0, -6.0], rtol=1e-8)


def test_numerical_gradient_of_a_loss_matches_its_analytic_gradient() -> None:
    logits = np.log([[0.2, 0.3, 0.5]])
    numeric = xent.numerical_gradient(
        lambda z: float(xent.softmax_cross_entropy(z, np.array([1]))), logits
    )
    np.testing.assert_allclose(numeric, [[0.2, -0.7, 0.5]], rtol=1e-7)


def test_check_gradient_passes_a_correct_gradient() -> None:
    x = np.array([0.5, -1.0, 2.0])
    check = xent.check_gradient(lambda v: float(np.sum(v**2)), lambda v: 2 * v, x)
    assert check.passed
    assert check.max_relative_error < 1e-8
    np.testing.assert_array_equal(check.analytic, 2 * x)
    np.testing.assert_allclose(check.numeric, 2 * x, rtol=1e-8)


def test_check_gradient_fails_a_gradient_off_by_a_factor_of_two_with_error_one_half() -> None:
    # |4x - 2x| / max(|4x|, |2x|) = 1/2 in every entry
    x = np.array([0.5, -1.0, 2.0])
    check = xent.check_gradient(lambda v: float(np.sum(v**2)), lambda v: 4 * v, x)
    assert not check.passed
    assert check.max_relative_error == pytest.approx(0.5, rel=1e-6)


def test_check_gradient_catches_a_single_wrong_entry() -> None:
    x = np.array([0.5, -1.0, 2.0])

    def wrong(v: np.ndarray) -> np.ndarray:
        grad = 3 * v**2
        grad[1] *= 1.01
        return grad

    check = xent.check_gradient(cube_sum, wrong, x)
    assert not check.passed
    assert check.max_relative_error == pytest.approx(0.01 / 1.01, rel=1e-4)


def test_check_gradient_catches_a_sign_error() -> None:
    check = xent.check_gradient(cube_sum, lambda v: -3 * v**2, np.array([1.0, 2.0]))
    assert not check.passed
    assert check.max_relative_error == pytest.approx(2.0, rel=1e-6)


def test_check_gradient_measures_the_relative_error_of_comparable_entries() -> None:
    x = np.array([1.0, -1.5, 2.0])
    check = xent.check_gradient(cube_sum, lambda v: 3 * v**2 * (1 + 1e-3), x)
    assert check.max_relative_error == pytest.approx(1e-3 / (1 + 1e-3), rel=1e-4)


def test_check_gradient_tolerance_decides_the_verdict() -> None:
    x = np.array([1.0, -1.5, 2.0])
    slightly_wrong = lambda v: 3 * v**2 * (1 + 1e-3)  # noqa: E731
    assert xent.check_gradient(cube_sum, slightly_wrong, x, tol=1e-2).passed
    assert not xent.check_gradient(cube_sum, slightly_wrong, x, tol=1e-4).passed


def test_check_gradient_of_a_constant_function_with_a_zero_gradient_passes() -> None:
    check = xent.check_gradient(lambda v: 3.0, np.zeros_like, np.array([1.0, 2.0]))
    assert check.passed
    assert check.max_relative_error == 0.0


def test_check_gradient_returns_a_named_tuple_in_the_documented_order() -> None:
    check = xent.check_gradient(lambda v: float(np.sum(v**2)), lambda v: 2 * v, [1.0, 2.0])
    assert isinstance(check, xent.GradientCheck)
    assert xent.GradientCheck._fields == ("max_relative_error", "passed", "analytic", "numeric")
    max_relative_error, passed, analytic, numeric = check
    assert isinstance(max_relative_error, float)
    assert passed is True or passed == np.True_
    assert analytic.shape == numeric.shape == (2,)


def test_check_gradient_passes_the_softmax_cross_entropy_gradient_with_every_option() -> None:
    rng = np.random.default_rng(50)
    logits = rng.normal(size=(4, 5))
    target = np.array([0, 4, -100, 2])
    kwargs = {"weight": rng.uniform(0.5, 2, 5), "label_smoothing": 0.1, "reduction": "mean"}
    check = xent.check_gradient(
        lambda z: float(xent.softmax_cross_entropy(z, target, **kwargs)),
        lambda z: xent.softmax_cross_entropy_grad(z, target, **kwargs),
        logits,
    )
    assert check.passed, check.max_relative_error
