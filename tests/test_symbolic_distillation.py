"""xent.symbolic.distillation: SymPy proves each claim, and the formulas match xent's numerics.

Each derivation is held against its numeric twin at random points drawn with a fixed seed:
the distillation loss and gradient against :func:`xent.distillation_loss`, InfoNCE against
:func:`xent.info_nce_loss`, the Gaussian critic against SciPy's bivariate normal density.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import sympy as sp

import xent
from xent import symbolic
from xent.symbolic._common import _is_zero

SEED = 20261201
POINTS = 32
RTOL = 1e-10


def test_the_derivations_are_re_exported_from_xent_symbolic() -> None:
    for name in ("distillation_gradient", "info_nce_gradient", "gaussian_critic"):
        assert name in symbolic.__all__ and callable(getattr(symbolic, name))


@pytest.mark.parametrize("num_classes", [2, 3, 4])
def test_distillation_claim_holds(num_classes: int) -> None:
    assert symbolic.distillation_gradient(num_classes).claim_holds is True


@pytest.mark.parametrize("num_classes", [2, 3])
def test_distillation_loss_and_gradient_match_xent(num_classes: int) -> None:
    result = symbolic.distillation_gradient(num_classes)
    rng = np.random.default_rng(SEED + num_classes)
    student = 3 * rng.normal(size=(POINTS, num_classes))
    teacher = 3 * rng.normal(size=(POINTS, num_classes))
    temperature = rng.uniform(0.3, 8.0, size=POINTS)
    args = (result.student_logits, result.teacher_logits, result.temperature)
    loss = symbolic.to_numpy(result.loss, *args)(student, teacher, temperature)
    gradient = symbolic.to_numpy(result.gradient, *args)(student, teacher, temperature)
    closed = symbolic.to_numpy(result.closed_form, *args)(student, teacher, temperature)
    for n in range(POINTS):
        expected_loss, expected_grad = xent.distillation_loss_with_grad(
            student[n], teacher[n], temperature=temperature[n], reduction="sum"
        )
        np.testing.assert_allclose(loss[n], expected_loss, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(gradient[n], expected_grad, rtol=RTOL, atol=1e-13)
        np.testing.assert_allclose(closed[n], expected_grad, rtol=RTOL, atol=1e-13)


def test_cross_entropy_form_exceeds_kl_form_by_t_squared_teacher_entropy() -> None:
    result = symbolic.distillation_gradient(3)
    args = (result.student_logits, result.teacher_logits, result.temperature)
    rng = np.random.default_rng(SEED)
    student, teacher = rng.normal(size=(2, POINTS, 3))
    temperature = rng.uniform(0.5, 5.0, size=POINTS)
    gap = symbolic.to_numpy(result.cross_entropy_loss - result.loss, *args)(
        student, teacher, temperature
    )
    p = xent.softmax(teacher / temperature[:, None])
    np.testing.assert_allclose(gap, temperature**2 * xent.entropy(p), rtol=1e-9)


def test_scaled_gradient_approaches_the_stated_limit_as_temperature_grows() -> None:
    result = symbolic.distillation_gradient(3)
    rng = np.random.default_rng(SEED + 1)
    student, teacher = rng.normal(size=(2, 3))
    limit = symbolic.to_numpy(result.limit, result.student_logits, result.teacher_logits)(
        student, teacher
    )
    gaps = []
    for temperature in [10.0, 100.0, 1000.0]:
        grad = xent.distillation_loss_grad(student, teacher, temperature=temperature)
        gaps.append(np.max(np.abs(grad - limit)))
    # O(1/T): each tenfold rise of T shrinks the gap about tenfold.
    assert gaps[0] > 5 * gaps[1] > 25 * gaps[2]


def test_a_wrong_closed_form_is_not_proved() -> None:
    result = symbolic.distillation_gradient(2)
    wrong = result.closed_form[0] / result.temperature  # forgot the T^2
    assert not _is_zero(result.gradient[0] - wrong)


@pytest.mark.parametrize("batch_size", [2, 3])
def test_info_nce_claim_holds_and_matches_xent(batch_size: int) -> None:
    result = symbolic.info_nce_gradient(batch_size)
    assert result.claim_holds is True
    assert result.chance_value == sp.log(batch_size)
    symbols = list(result.similarities)
    rng = np.random.default_rng(SEED + batch_size)
    s = 2 * rng.normal(size=(POINTS, batch_size, batch_size))
    tau = rng.uniform(0.1, 3.0, size=POINTS)
    flat = s.reshape(POINTS, -1)
    loss = symbolic.to_numpy(result.loss, symbols, result.temperature)(flat, tau)
    gradient = symbolic.to_numpy(result.gradient, symbols, result.temperature)(flat, tau)
    for n in range(POINTS):
        expected_loss, expected_grad = xent.info_nce_loss_with_grad(s[n], temperature=tau[n])
        np.testing.assert_allclose(loss[n], expected_loss, rtol=RTOL)
        np.testing.assert_allclose(gradient[n], expected_grad, rtol=RTOL, atol=1e-14)


def test_info_nce_batch_size_is_validated() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        symbolic.info_nce_gradient(1)
    with pytest.raises(TypeError, match="batch_size"):
        symbolic.info_nce_gradient(2.0)  # type: ignore[arg-type]


def test_distillation_num_classes_is_validated() -> None:
    with pytest.raises(ValueError, match="num_classes"):
        symbolic.distillation_gradient(1)


def test_gaussian_critic_claim_holds_and_matches_scipy() -> None:
    result = symbolic.gaussian_critic()
    assert result.claim_holds is True
    rng = np.random.default_rng(SEED)
    rho = rng.uniform(-0.95, 0.95, size=POINTS)
    x, y = rng.normal(size=(2, POINTS))
    ratio = symbolic.to_numpy(result.log_density_ratio, result.x, result.y, result.rho)(x, y, rho)
    expected = np.array(
        [
            scipy.stats.multivariate_normal([0, 0], [[1, r], [r, 1]]).logpdf([a, b])
            - scipy.stats.norm.logpdf(a)
            - scipy.stats.norm.logpdf(b)
            for a, b, r in zip(x, y, rho, strict=True)
        ]
    )
    np.testing.assert_allclose(ratio, expected, rtol=RTOL, atol=1e-13)
    information = symbolic.to_numpy(result.mutual_information, result.rho)(rho)
    np.testing.assert_allclose(information, -0.5 * np.log1p(-(rho**2)), rtol=RTOL)


def test_separable_critic_gives_the_same_info_nce_as_the_full_log_ratio() -> None:
    # Terms in x alone shift a whole row of the similarity matrix: InfoNCE cannot see them.
    result = symbolic.gaussian_critic()
    rng = np.random.default_rng(SEED + 2)
    rho = 0.8
    x = rng.normal(size=16)
    y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=16)
    args = (result.x, result.y, result.rho)
    full = symbolic.to_numpy(result.log_density_ratio, *args)(x[:, None], y[None, :], rho)
    separable = symbolic.to_numpy(result.separable_critic, *args)(x[:, None], y[None, :], rho)
    np.testing.assert_allclose(
        xent.info_nce_loss(full, reduction="none"),
        xent.info_nce_loss(separable, reduction="none"),
        rtol=1e-12,
    )
