"""xent.symbolic.multivariate against xent: the chain rule, mutual information, Jensen, log-sum.

Each derivation is proved by SymPy (``claim_holds``) and then evaluated with ``to_numpy`` at
random points and compared with the numeric functions of :mod:`xent`.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import xent
from xent import symbolic
from xent.symbolic import to_numpy


@pytest.mark.parametrize(("rows", "columns"), [(1, 1), (1, 3), (2, 2), (2, 3), (3, 2)])
def test_the_chain_rule_and_both_faces_of_mutual_information_are_proved(
    rows: int, columns: int
) -> None:
    result = symbolic.joint_table(rows, columns)
    assert result.claim_holds
    assert result.chain_rule_residual == 0
    assert result.information_residual == 0
    assert result.symmetry_residual == 0
    assert result.independent_information == 0


@pytest.mark.parametrize(("rows", "columns"), [(2, 2), (2, 3), (3, 2)])
def test_the_symbolic_measures_match_xent_on_random_tables(rows: int, columns: int) -> None:
    result = symbolic.joint_table(rows, columns)
    rng = np.random.default_rng(rows * 10 + columns)
    tables = rng.dirichlet(np.ones(rows * columns), size=500)
    joint = tables.reshape(500, rows, columns)
    swapped = np.swapaxes(joint, -1, -2)
    pairs = [
        (result.joint_entropy, xent.joint_entropy(joint)),
        (result.row_entropy, xent.entropy(joint.sum(axis=-1))),
        (result.column_entropy, xent.entropy(joint.sum(axis=-2))),
        (result.conditional_entropy, xent.conditional_entropy(joint)),
        (result.reverse_conditional_entropy, xent.conditional_entropy(joint, given="y")),
        (result.reverse_conditional_entropy, xent.conditional_entropy(swapped)),
        (result.mutual_information, xent.mutual_information(joint)),
        (result.mutual_information, xent.mutual_information(swapped)),
    ]
    for expr, numeric in pairs:
        values = to_numpy(expr, result.cells)(tables)
        np.testing.assert_allclose(values, numeric, rtol=1e-12, atol=1e-14)


def test_a_wrong_identity_is_not_proved() -> None:
    # H(X, Y) = H(X) + H(Y) only under independence: the residual is I(X; Y), not 0.
    result = symbolic.joint_table(2, 2)
    wrong = sp.expand(sp.expand_log(result.joint_entropy - result.row_entropy
                                    - result.column_entropy))
    assert sp.simplify(wrong) != 0
    rng = np.random.default_rng(0)
    table = rng.dirichlet(np.ones(4))
    assert float(to_numpy(wrong, result.cells)(table)) == pytest.approx(
        -float(xent.mutual_information(table.reshape(2, 2))), rel=1e-12
    )


@pytest.mark.parametrize("num_points", [2, 3, 5])
def test_jensen_for_the_logarithm_is_proved(num_points: int) -> None:
    result = symbolic.jensen_inequality(num_points)
    assert result.claim_holds
    assert result.stationary_points == (result.m,)
    assert result.gap_at_m == 0
    assert result.tangent_average_residual == 0
    assert sp.simplify(result.ratio_mean - sp.Add(*result.q)) == 0


def test_the_jensen_gap_is_non_negative_and_gibbs_follows() -> None:
    result = symbolic.jensen_inequality(4)
    rng = np.random.default_rng(3)
    weights = rng.dirichlet(np.ones(4), size=2000)
    points = rng.lognormal(sigma=2.0, size=(2000, 4))
    gap = to_numpy(result.jensen_gap, result.weights, result.points)(weights, points)
    direct = np.log(np.sum(weights * points, axis=-1)) - np.sum(weights * np.log(points), axis=-1)
    np.testing.assert_allclose(gap, direct, rtol=1e-10, atol=1e-12)
    assert gap.min() >= -1e-12
    # With w = p and x = q / p the gap is D_KL(p || q).
    p = rng.dirichlet(np.ones(4), size=2000)
    q = rng.dirichlet(np.ones(4), size=2000)
    as_gap = to_numpy(result.jensen_gap, result.weights, result.points)(p, q / p)
    np.testing.assert_allclose(as_gap, xent.kl_divergence(p, q), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("num_terms", [2, 3, 4])
def test_the_log_sum_gap_is_a_scaled_kl_divergence(num_terms: int) -> None:
    result = symbolic.log_sum_inequality(num_terms)
    assert result.claim_holds
    rng = np.random.default_rng(num_terms)
    a = rng.uniform(0.01, 5.0, size=(1000, num_terms))
    b = rng.uniform(0.01, 5.0, size=(1000, num_terms))
    gap = to_numpy(result.left - result.right, result.a, result.b)(a, b)
    total_a, total_b = a.sum(axis=-1), b.sum(axis=-1)
    expected = total_a * xent.kl_divergence(a / total_a[:, None], b / total_b[:, None])
    np.testing.assert_allclose(gap, expected, rtol=1e-9, atol=1e-11)
    assert gap.min() >= -1e-12


@pytest.mark.parametrize("bad", [0, -1])
def test_table_sizes_below_one_are_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="rows must be at least 1"):
        symbolic.joint_table(bad, 2)
    with pytest.raises(ValueError, match="columns must be at least 1"):
        symbolic.joint_table(2, bad)


@pytest.mark.parametrize("bad", [2.0, "2", True])
def test_table_sizes_must_be_integers(bad: object) -> None:
    symbolic.joint_table(2, 2)  # cached: 2.0 == 2 must not find it
    with pytest.raises(TypeError, match="rows must be an integer"):
        symbolic.joint_table(bad, 2)  # type: ignore[arg-type]


@pytest.mark.parametrize("function", [symbolic.jensen_inequality, symbolic.log_sum_inequality])
def test_fewer_than_two_points_are_refused(function) -> None:
    with pytest.raises(ValueError, match="at least 2"):
        function(1)
    function(2)  # cached now; a float 2.0 must still be refused, not found in the cache
    with pytest.raises(TypeError, match="must be an integer"):
        function(2.0)
