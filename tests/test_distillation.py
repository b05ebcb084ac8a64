"""Distillation loss: T^2 KL(p_T || q_T), its gradient T (q_T - p_T), values, properties, errors."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import xent
from tests.strategies import FAST

TEMPERATURES = [0.25, 1.0, 2.0, 4.0, 20.0]
REDUCTIONS = ["mean", "sum", "none"]


def _batch(seed: int, shape: tuple[int, ...] = (5, 4)) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return 2 * rng.normal(size=shape), 3 * rng.normal(size=shape)


def test_hand_computed_value_at_temperature_one() -> None:
    # teacher p = [0.75, 0.25], student q = [0.5, 0.5]: KL = 0.75 log 1.5 + 0.25 log 0.5.
    loss = xent.distillation_loss([[0.0, 0.0]], [[np.log(3.0), 0.0]], temperature=1.0)
    assert np.isclose(loss, 0.75 * np.log(1.5) + 0.25 * np.log(0.5), rtol=1e-14)


def test_hand_computed_value_at_temperature_two_is_scaled_by_four() -> None:
    # At T = 2 the teacher's logits [log 9, 0] become [log 3, 0]: p_T = [0.75, 0.25].
    loss = xent.distillation_loss([[0.0, 0.0]], [[np.log(9.0), 0.0]], temperature=2.0)
    assert np.isclose(loss, 4 * (0.75 * np.log(1.5) + 0.25 * np.log(0.5)), rtol=1e-14)


@pytest.mark.parametrize("temperature", TEMPERATURES)
def test_loss_is_t_squared_kl_of_the_softened_distributions(temperature: float) -> None:
    student, teacher = _batch(1)
    p = xent.softmax(teacher, temperature=temperature)
    q = xent.softmax(student, temperature=temperature)
    expected = temperature**2 * xent.kl_divergence(p, q)
    loss = xent.distillation_loss(student, teacher, temperature=temperature, reduction="none")
    np.testing.assert_allclose(loss, expected, rtol=1e-12)


@pytest.mark.parametrize("temperature", TEMPERATURES)
def test_kl_form_and_cross_entropy_form_differ_by_t_squared_teacher_entropy(
    temperature: float,
) -> None:
    student, teacher = _batch(2)
    p = xent.softmax(teacher, temperature=temperature)
    cross_entropy_form = temperature**2 * xent.softmax_cross_entropy(
        student / temperature, p, reduction="none"
    )
    kl_form = xent.distillation_loss(student, teacher, temperature=temperature, reduction="none")
    np.testing.assert_allclose(
        cross_entropy_form - kl_form, temperature**2 * xent.entropy(p), rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("temperature", TEMPERATURES)
def test_gradient_is_t_times_q_minus_p(temperature: float) -> None:
    student, teacher = _batch(3)
    p = xent.softmax(teacher, temperature=temperature)
    q = xent.softmax(student, temperature=temperature)
    grad = xent.distillation_loss_grad(student, teacher, temperature=temperature, reduction="sum")
    np.testing.assert_allclose(grad, temperature * (q - p), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("temperature", TEMPERATURES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradient_equals_finite_differences(temperature: float, reduction: str) -> None:
    student, teacher = _batch(4, shape=(3, 5))

    def loss(z: np.ndarray) -> float:
        return float(
            np.sum(xent.distillation_loss(z, teacher, temperature=temperature, reduction=reduction))
        )

    check = xent.check_gradient(
        loss,
        lambda z: xent.distillation_loss_grad(
            z, teacher, temperature=temperature, reduction=reduction
        ),
        student,
    )
    assert check.passed, check.max_relative_error


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_with_grad_returns_the_loss_and_the_gradient(reduction: str) -> None:
    student, teacher = _batch(5)
    loss, grad = xent.distillation_loss_with_grad(
        student, teacher, temperature=3.0, reduction=reduction
    )
    np.testing.assert_array_equal(
        loss, xent.distillation_loss(student, teacher, temperature=3.0, reduction=reduction)
    )
    np.testing.assert_array_equal(
        grad, xent.distillation_loss_grad(student, teacher, temperature=3.0, reduction=reduction)
    )


def test_reductions_agree() -> None:
    student, teacher = _batch(6, shape=(2, 3, 4))
    none = xent.distillation_loss(student, teacher, temperature=2.0, reduction="none")
    assert none.shape == (2, 3)
    assert np.isclose(xent.distillation_loss(student, teacher, temperature=2.0), none.mean())
    assert np.isclose(
        xent.distillation_loss(student, teacher, temperature=2.0, reduction="sum"), none.sum()
    )
    mean_grad = xent.distillation_loss_grad(student, teacher, temperature=2.0)
    sum_grad = xent.distillation_loss_grad(student, teacher, temperature=2.0, reduction="sum")
    np.testing.assert_allclose(mean_grad * 6, sum_grad, rtol=1e-13)


def test_the_class_axis_can_be_any_axis() -> None:
    student, teacher = _batch(7, shape=(3, 4, 2))
    moved = xent.distillation_loss(
        np.moveaxis(student, 1, -1), np.moveaxis(teacher, 1, -1), temperature=2.0, reduction="none"
    )
    on_axis_1 = xent.distillation_loss(student, teacher, temperature=2.0, axis=1, reduction="none")
    np.testing.assert_allclose(on_axis_1, moved, rtol=1e-14)
    grad = xent.distillation_loss_grad(student, teacher, temperature=2.0, axis=1)
    assert grad.shape == student.shape


@FAST
@given(
    hnp.arrays(np.float64, (3, 4), elements=st.floats(-30, 30)),
    hnp.arrays(np.float64, (3, 4), elements=st.floats(-30, 30)),
    st.sampled_from(TEMPERATURES),
)
def test_loss_is_non_negative_and_gradient_rows_sum_to_zero(
    student: np.ndarray, teacher: np.ndarray, temperature: float
) -> None:
    loss, grad = xent.distillation_loss_with_grad(
        student, teacher, temperature=temperature, reduction="none"
    )
    assert np.all(loss >= 0)
    np.testing.assert_allclose(grad.sum(axis=-1), 0, atol=1e-12 * max(temperature, 1))


@FAST
@given(
    hnp.arrays(np.float64, (2, 5), elements=st.floats(-50, 50)),
    st.sampled_from(TEMPERATURES),
    st.floats(-100, 100),
)
def test_loss_and_gradient_are_zero_when_student_matches_teacher_up_to_a_shift(
    logits: np.ndarray, temperature: float, shift: float
) -> None:
    loss, grad = xent.distillation_loss_with_grad(
        logits + shift, logits, temperature=temperature, reduction="none"
    )
    np.testing.assert_allclose(loss, 0, atol=1e-12 * temperature**2)
    np.testing.assert_allclose(grad, 0, atol=1e-12 * temperature)


def test_exactly_equal_logits_give_exactly_zero() -> None:
    logits = np.array([[3.0, -1.0, 0.5], [1e3, 0.0, -1e3]])
    assert float(xent.distillation_loss(logits, logits, temperature=4.0)) == 0.0


def test_temperature_scaling_keeps_gradients_comparable_at_high_temperature() -> None:
    # Hinton et al. (2015): for large T, T (q_T - p_T) tends to (z - v) / K minus its mean,
    # independent of T; without the T^2 factor the gradient would shrink like 1 / T^2.
    student, teacher = _batch(8, shape=(1, 6))
    centred = (student - student.mean()) - (teacher - teacher.mean())
    limit = centred / student.shape[-1]
    for temperature in [50.0, 500.0]:
        grad = xent.distillation_loss_grad(student, teacher, temperature=temperature)
        np.testing.assert_allclose(grad, limit, rtol=20 / temperature, atol=1e-12)
        unscaled = grad / temperature**2
        assert np.max(np.abs(unscaled)) < 2 * np.max(np.abs(limit)) / temperature**2


def test_a_class_the_teacher_rules_out_costs_nothing() -> None:
    teacher = np.array([[0.0, -np.inf, 1.0]])
    student = np.array([[0.5, 7.0, 1.0]])
    loss, grad = xent.distillation_loss_with_grad(student, teacher, temperature=2.0)
    p = xent.softmax(teacher, temperature=2.0)
    q = xent.softmax(student, temperature=2.0)
    expected = 4 * np.sum(p[:, [0, 2]] * np.log(p[:, [0, 2]] / q[:, [0, 2]]))
    assert np.isclose(loss, expected, rtol=1e-13) and np.all(np.isfinite(grad))


def test_a_student_ruling_out_a_teacher_class_costs_infinity() -> None:
    loss = xent.distillation_loss([[0.0, -np.inf]], [[0.0, 0.0]], temperature=1.0)
    assert loss == np.inf


def test_huge_logits_do_not_overflow() -> None:
    # gap / T = 2e308 overflows float64 although the loss, T^2 gap / T = 5e307, does not:
    # refused, not an inf that the logits do not mean.
    with pytest.raises(ValueError, match="float64 logits at temperature=.*rescale"):
        xent.distillation_loss_with_grad(
            [[1e308, 0.0, -1e308]], [[0.0, 1e308, 0.0]], temperature=0.5
        )
    finite = xent.distillation_loss([[800.0, 0.0]], [[0.0, 800.0]], temperature=1.0)
    assert np.isclose(finite, 800.0, rtol=1e-12)


def test_nan_propagates() -> None:
    assert np.isnan(xent.distillation_loss([[np.nan, 0.0]], [[0.0, 0.0]], temperature=1.0))


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_low_precision_input_keeps_its_dtype(dtype: type) -> None:
    student, teacher = _batch(9)
    loss, grad = xent.distillation_loss_with_grad(
        student.astype(dtype), teacher.astype(dtype), temperature=2.0
    )
    assert loss.dtype == dtype and grad.dtype == dtype
    reference = xent.distillation_loss(
        student.astype(dtype).astype(np.float64),
        teacher.astype(dtype).astype(np.float64),
        temperature=2.0,
    )
    assert np.isclose(float(loss), reference, rtol=1e-2)


def test_mean_of_no_samples_is_nan_with_a_zero_gradient() -> None:
    loss, grad = xent.distillation_loss_with_grad(
        np.zeros((0, 3)), np.zeros((0, 3)), temperature=2.0
    )
    assert np.isnan(loss) and grad.shape == (0, 3)


@pytest.mark.parametrize("temperature", [0.0, -1.0, np.inf, np.nan])
def test_temperature_must_be_positive_and_finite(temperature: float) -> None:
    with pytest.raises(ValueError, match="temperature"):
        xent.distillation_loss([[0.0, 1.0]], [[1.0, 0.0]], temperature=temperature)


def test_temperature_is_required() -> None:
    with pytest.raises(TypeError, match="temperature"):
        xent.distillation_loss([[0.0, 1.0]], [[1.0, 0.0]])  # type: ignore[call-arg]


def test_temperature_must_be_a_number() -> None:
    with pytest.raises(TypeError, match="temperature"):
        xent.distillation_loss([[0.0, 1.0]], [[1.0, 0.0]], temperature="hot")  # type: ignore[arg-type]


def test_shapes_must_match() -> None:
    with pytest.raises(ValueError, match="student_logits and teacher_logits"):
        xent.distillation_loss(np.zeros((2, 3)), np.zeros((2, 4)), temperature=1.0)


def test_unknown_reduction_is_refused() -> None:
    with pytest.raises(ValueError, match="reduction"):
        xent.distillation_loss([[0.0]], [[0.0]], temperature=1.0, reduction="batchmean")


def test_complex_input_is_refused_naming_the_argument() -> None:
    with pytest.raises(TypeError, match="teacher_logits"):
        xent.distillation_loss([[0.0, 1.0]], [[1j, 0.0]], temperature=1.0)


def test_scalars_and_empty_class_axes_are_refused() -> None:
    with pytest.raises(ValueError, match="student_logits"):
        xent.distillation_loss(1.0, 1.0, temperature=1.0)
    with pytest.raises(ValueError, match="zero classes"):
        xent.distillation_loss(np.zeros((2, 0)), np.zeros((2, 0)), temperature=1.0)


@pytest.mark.parametrize(
    ("dtype", "temperature"),
    [(np.float32, 1e-20), (np.float32, 1e-30), (np.float64, 1e-160), (np.float64, 1e-300)],
)
def test_a_tiny_temperature_gives_the_limit_t_times_the_gap(
    dtype: type, temperature: float
) -> None:
    # T^2 underflowed the dtype (0 for float32 below T ~ 1e-19) while T^2 KL -> T * gap.
    z = np.array([[0.0, 1.0]], dtype=dtype)
    v = np.array([[1.0, 0.0]], dtype=dtype)
    loss = xent.distillation_loss(z, v, temperature=temperature)
    assert loss.dtype == dtype
    assert float(loss) == pytest.approx(temperature, rel=1e-6)


def test_a_temperature_whose_gaps_overflow_the_dtype_is_refused() -> None:
    z = np.array([[0.0, 1.0]], dtype=np.float32)
    v = np.array([[1.0, 0.0]], dtype=np.float32)
    with pytest.raises(ValueError, match="float32 logits at temperature=1e-40"):
        xent.distillation_loss(z, v, temperature=1e-40)
    # an infinite loss that the logits do mean stays: the student rules out the teacher's class
    assert np.isposinf(xent.distillation_loss([[0.0, -np.inf]], [[0.0, 1.0]], temperature=1.0))


@mpmath.workdps(50)
def _exact_distillation(
    z: np.ndarray, v: np.ndarray, temperature: float
) -> tuple[float, np.ndarray]:
    """The mean loss T^2 KL(softmax(v/T) || softmax(z/T)) over rows, and its gradient in z."""
    loss, grad = mpmath.mpf(0), []
    for z_row, v_row in zip(z, v, strict=True):
        zs = [mpmath.mpf(float(a)) / temperature for a in z_row]
        vs = [mpmath.mpf(float(b)) / temperature for b in v_row]
        lz = mpmath.log(mpmath.fsum(mpmath.exp(a) for a in zs))
        lv = mpmath.log(mpmath.fsum(mpmath.exp(b) for b in vs))
        loss += mpmath.fsum(
            mpmath.exp(b - lv) * ((b - lv) - (a - lz)) for a, b in zip(zs, vs, strict=True)
        )
        grad.append(
            [
                temperature * (mpmath.exp(a - lz) - mpmath.exp(b - lv)) / len(z)
                for a, b in zip(zs, vs, strict=True)
            ]
        )
    return float(loss * temperature**2 / len(z)), np.array(grad, dtype=np.float64)


@pytest.mark.parametrize(
    ("dtype", "temperature", "rtol"),
    [
        (np.float32, 1e3, 1e-4),
        (np.float32, 1e4, 1e-4),
        (np.float64, 1e8, 1e-10),
        (np.float64, 1e10, 1e-10),
        (np.float64, 2.0, 1e-13),
    ],
)
def test_distillation_at_high_temperature_keeps_its_digits(
    dtype: type, temperature: float, rtol: float
) -> None:
    # T^2 KL written directly subtracts terms of size log K: its error grew like T^2
    rng = np.random.default_rng(4)
    z, v = (3 * rng.normal(size=(5, 6))).astype(dtype), (3 * rng.normal(size=(5, 6))).astype(dtype)
    loss, grad = xent.distillation_loss_with_grad(z, v, temperature=temperature)
    exact_loss, exact_grad = _exact_distillation(z, v, temperature)
    assert math.isclose(float(loss), exact_loss, rel_tol=rtol), (float(loss), exact_loss)
    assert np.max(np.abs(grad - exact_grad)) <= rtol * np.max(np.abs(exact_grad))


@pytest.mark.parametrize(("dtype", "rtol"), [(np.float32, 1e-3), (np.float64, 1e-12)])
def test_a_tiny_distillation_loss_keeps_its_relative_accuracy(dtype: type, rtol: float) -> None:
    rng = np.random.default_rng(0)
    v = 2 * rng.normal(size=(4, 8))
    z = (v + 1e-3 * rng.normal(size=v.shape)).astype(dtype)
    v = v.astype(dtype)
    exact_loss, _ = _exact_distillation(z, v, 1.0)
    assert math.isclose(
        float(xent.distillation_loss(z, v, temperature=1.0)), exact_loss, rel_tol=rtol
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("gap", [1e6, 1e30])
def test_a_teacher_that_rules_a_class_out_by_a_huge_gap_is_not_taken_for_a_close_one(dtype, gap):
    # Found by a differential fuzz: the close-prediction form took p e^-x as e^(log p - x), two
    # numbers near -gap / T whose difference lost every digit, and the row passed for close
    # with a KL of log 2 (the loss T^2 log 2 whatever the student said).
    z = np.array([[1.5477570295333862, -1.3191795349121094], [3.0, 1.0]], dtype=dtype)
    v = np.array([[-gap, 0.0], [0.0, -gap]], dtype=dtype)  # the teacher is sure: class 1, class 0
    temperature = 0.5
    log_q = z / temperature - np.log(np.sum(np.exp(z / temperature), axis=1, keepdims=True))
    want = -(temperature**2) * np.array([log_q[0, 1], log_q[1, 0]])
    loss, grad = xent.distillation_loss_with_grad(z, v, temperature=temperature, reduction="none")
    np.testing.assert_allclose(loss, want, rtol=1e-5)
    q = np.exp(log_q)
    np.testing.assert_allclose(grad, temperature * (q - np.eye(2)[[1, 0]]), rtol=1e-5, atol=1e-7)


def test_an_overflow_that_would_give_nan_is_refused_like_one_that_gives_inf():
    # float32 logits 3e38 at T = 0.5: the gap / T overflows to inf, and inf - inf made the loss
    # NaN, which passed silently where an infinite loss was refused
    z = np.array([[-22.1, -10.5, 3e38]], dtype=np.float32)
    v = np.array([[1.5e29, 7.8e28, -1.1e29]], dtype=np.float32)
    with pytest.raises(ValueError, match="float32 logits at temperature=0.5"):
        xent.distillation_loss(z, v, temperature=0.5)
    with pytest.raises(ValueError, match="pass float64 logits"):
        xent.distillation_loss_with_grad(z, v, temperature=0.5)
    loss = xent.distillation_loss(z.astype(np.float64), v.astype(np.float64), temperature=0.5)
    assert np.isclose(loss, 0.25 * (3e38 + 1.1e29) / 0.5, rtol=1e-6)
