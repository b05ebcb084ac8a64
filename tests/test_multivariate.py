"""xent.multivariate: joint entropy, conditional entropy and mutual information of a table.

Hand-computed tables, scipy.stats.entropy and scikit-learn's mutual_info_score as references,
the laws (chain rule, symmetry, I >= 0, I = 0 under independence, conditioning reduces
entropy) as hypothesis properties, and bad input.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from strategies import FAST, THOROUGH, distributions

import xent

LN2 = math.log(2)


@st.composite
def joint_tables(
    draw: st.DrawFn, batch_shape: tuple[int, ...] = (), allow_zeros: bool = True
) -> np.ndarray:
    """Joint tables of shape ``batch_shape + (|X|, |Y|)``, with 1-5 rows and 1-5 columns."""
    rows, columns = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    flat = draw(
        distributions(num_classes=rows * columns, batch_shape=batch_shape, allow_zeros=allow_zeros)
    ) if rows * columns > 1 else np.ones(batch_shape + (1,))
    return flat.reshape(*batch_shape, rows, columns)


def marginals(joint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # A rounded sum can exceed 1 by an ulp, which xent.entropy rightly refuses.
    return np.minimum(joint.sum(axis=-1), 1.0), np.minimum(joint.sum(axis=-2), 1.0)


# --- hand-computed tables ----------------------------------------------------------------

# X = 0 fixes Y = 0; X = 1 leaves a fair coin. p(x) = (1/2, 1/2), p(y) = (3/4, 1/4).
SKEWED = np.array([[0.5, 0.0], [0.25, 0.25]])


def test_the_skewed_table_by_hand() -> None:
    h_xy = 0.5 * 1 + 2 * 0.25 * 2  # bits: -0.5 log2 0.5 - 2 (0.25 log2 0.25)
    h_y = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))
    assert float(xent.joint_entropy(SKEWED, base=2)) == pytest.approx(h_xy, rel=1e-15)
    assert float(xent.conditional_entropy(SKEWED, base=2)) == pytest.approx(0.5, rel=1e-15)
    assert float(xent.conditional_entropy(SKEWED, given="y", base=2)) == pytest.approx(
        h_xy - h_y, rel=1e-14
    )
    assert float(xent.mutual_information(SKEWED, base=2)) == pytest.approx(h_y - 0.5, rel=1e-14)


def test_a_copied_fair_coin_shares_one_bit() -> None:
    copy = np.array([[0.5, 0.0], [0.0, 0.5]])
    assert float(xent.mutual_information(copy, base=2)) == pytest.approx(1.0, rel=1e-15)
    assert float(xent.joint_entropy(copy, base=2)) == pytest.approx(1.0, rel=1e-15)
    assert float(xent.conditional_entropy(copy)) == 0.0
    assert float(xent.conditional_entropy(copy, given="y")) == 0.0


def test_two_independent_fair_dice_share_nothing_and_have_log_36_nats() -> None:
    dice = np.full((6, 6), 1 / 36)
    assert float(xent.joint_entropy(dice)) == pytest.approx(math.log(36), rel=1e-14)
    assert float(xent.conditional_entropy(dice)) == pytest.approx(math.log(6), rel=1e-14)
    assert abs(float(xent.mutual_information(dice))) < 1e-15


def test_a_single_cell_table_has_no_information_at_all() -> None:
    one = np.array([[1.0]])
    for value in (xent.joint_entropy(one), xent.conditional_entropy(one),
                  xent.mutual_information(one)):
        assert float(value) == 0.0


def test_a_binary_symmetric_channel_carries_log2_minus_binary_entropy_bits() -> None:
    flip = 0.1
    channel = 0.5 * np.array([[1 - flip, flip], [flip, 1 - flip]])
    capacity = 1 - float(xent.binary_entropy(flip, base=2))
    assert float(xent.mutual_information(channel, base=2)) == pytest.approx(capacity, rel=1e-14)


def test_base_ten_divides_the_nats_by_log_ten() -> None:
    assert float(xent.mutual_information(SKEWED, base=10)) == pytest.approx(
        float(xent.mutual_information(SKEWED)) / math.log(10), rel=1e-15
    )


# --- references --------------------------------------------------------------------------


def test_joint_entropy_matches_scipy_on_the_flattened_table() -> None:
    rng = np.random.default_rng(0)
    tables = rng.dirichlet(np.ones(12), size=50).reshape(50, 3, 4)
    expected = scipy.stats.entropy(tables.reshape(50, 12), axis=-1)
    np.testing.assert_allclose(xent.joint_entropy(tables), expected, rtol=1e-13)


def test_mutual_information_matches_scikit_learn_on_count_tables() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    for _ in range(20):
        counts = rng.integers(0, 20, size=(3, 5))
        counts[0, 0] += 1
        expected = metrics.mutual_info_score(None, None, contingency=counts)
        assert float(xent.mutual_information(counts / counts.sum())) == pytest.approx(
            expected, rel=1e-10, abs=1e-15
        )


def test_conditional_entropy_matches_the_average_entropy_of_the_rows() -> None:
    rng = np.random.default_rng(2)
    joint = rng.dirichlet(np.ones(20)).reshape(4, 5)
    p_x = joint.sum(axis=1)
    expected = float(np.sum(p_x * scipy.stats.entropy(joint / p_x[:, None], axis=1)))
    assert float(xent.conditional_entropy(joint)) == pytest.approx(expected, rel=1e-13)


def test_a_tiny_mutual_information_keeps_its_relative_accuracy() -> None:
    # I ~ eps^2 / 2 for a table eps away from independence: the difference of entropies
    # would lose every digit, the divergence keeps them.
    eps = 1e-6
    joint = np.array([[0.25 + eps, 0.25 - eps], [0.25 - eps, 0.25 + eps]])
    expected = 0.5 * ((1 + 4 * eps) * math.log1p(4 * eps) + (1 - 4 * eps) * math.log1p(-4 * eps))
    assert float(xent.mutual_information(joint)) == pytest.approx(expected, rel=1e-6)
    assert float(xent.mutual_information(joint)) == pytest.approx(8 * eps**2, rel=1e-5)


def _mutual_information_mpmath(table: np.ndarray) -> float:
    import mpmath

    with mpmath.workdps(50):
        cells = [[mpmath.mpf(float(v)) for v in row] for row in table]
        p_x = [mpmath.fsum(row) for row in cells]
        p_y = [mpmath.fsum(column) for column in zip(*cells, strict=True)]
        return float(mpmath.fsum(
            v * mpmath.log(v / (p_x[i] * p_y[j]))
            for i, row in enumerate(cells) for j, v in enumerate(row) if v > 0
        ))


@pytest.mark.parametrize(
    ("table", "dtype"),
    [
        ([[1e-200, 0.0], [0.0, 1.0 - 1e-200]], np.float64),  # p(x) p(y) = 1e-400 underflows
        ([[1e-320, 0.0], [0.0, 1.0]], np.float64),  # subnormal marginals: 1 / p(y) overflows
        ([[1e-200, 1e-200], [0.3, 0.7 - 2e-200]], np.float64),
        ([[1e-23, 0.0], [0.0, 1.0]], np.float32),
        ([[3e-30, 1e-30, 0.0], [0.0, 0.5, 0.5]], np.float32),
    ],
)
def test_marginals_whose_product_underflows_keep_a_finite_exact_information(
    table: list[list[float]], dtype: type
) -> None:
    joint = np.array(table, dtype=dtype)
    information = xent.mutual_information(joint)
    expected = _mutual_information_mpmath(joint)
    assert np.isfinite(information) and information.dtype == dtype
    assert float(information) == pytest.approx(expected, rel=8 * np.finfo(dtype).eps)
    assert information <= xent.entropy(joint.sum(axis=-1)) * (1 + 4 * np.finfo(dtype).eps)


# --- laws --------------------------------------------------------------------------------


@THOROUGH
@given(joint_tables())
def test_chain_rule_joint_is_marginal_plus_conditional(joint: np.ndarray) -> None:
    p_x, p_y = marginals(joint)
    h_xy = float(xent.joint_entropy(joint))
    assert h_xy == pytest.approx(
        float(xent.entropy(p_x)) + float(xent.conditional_entropy(joint)), abs=1e-12
    )
    assert h_xy == pytest.approx(
        float(xent.entropy(p_y)) + float(xent.conditional_entropy(joint, given="y")), abs=1e-12
    )


@THOROUGH
@given(joint_tables())
def test_mutual_information_is_symmetric_and_the_two_entropy_differences(
    joint: np.ndarray,
) -> None:
    p_x, p_y = marginals(joint)
    info = float(xent.mutual_information(joint))
    assert info == pytest.approx(float(xent.mutual_information(joint.T)), abs=1e-13)
    assert info == pytest.approx(
        float(xent.entropy(p_y) - xent.conditional_entropy(joint)), abs=1e-12
    )
    assert info == pytest.approx(
        float(xent.entropy(p_x) - xent.conditional_entropy(joint, given="y")), abs=1e-12
    )
    product = np.outer(p_x, p_y)
    assert info == pytest.approx(
        float(xent.kl_divergence(joint.ravel(), product.ravel())), abs=1e-13
    )


@THOROUGH
@given(joint_tables())
def test_mutual_information_is_non_negative_and_at_most_each_entropy(joint: np.ndarray) -> None:
    p_x, p_y = marginals(joint)
    info = float(xent.mutual_information(joint))
    assert info >= 0.0
    assert info <= min(float(xent.entropy(p_x)), float(xent.entropy(p_y))) + 1e-12


@THOROUGH
@given(joint_tables())
def test_conditioning_never_increases_entropy(joint: np.ndarray) -> None:
    _, p_y = marginals(joint)
    conditional = float(xent.conditional_entropy(joint))
    assert 0.0 <= conditional <= float(xent.entropy(p_y)) + 1e-12


@THOROUGH
@given(distributions(allow_zeros=True), distributions(allow_zeros=True))
def test_mutual_information_of_an_outer_product_is_zero(
    p_x: np.ndarray, p_y: np.ndarray
) -> None:
    joint = np.outer(p_x, p_y)
    joint = joint / joint.sum()
    assert float(xent.mutual_information(joint)) < 1e-14
    assert float(xent.conditional_entropy(joint)) == pytest.approx(
        float(xent.entropy(p_y)), abs=1e-13
    )


@FAST
@given(joint_tables(allow_zeros=False))
def test_positive_mutual_information_means_the_table_is_not_a_product(
    joint: np.ndarray,
) -> None:
    p_x, p_y = marginals(joint)
    gap = float(np.abs(joint - np.outer(p_x, p_y)).max())
    info = float(xent.mutual_information(joint))
    if gap > 1e-6:
        assert info > 0.0
    # Pinsker: I = KL(joint || product) >= 2 TV^2 >= gap^2 / 2.
    assert info >= 0.5 * gap**2 - 1e-15


@FAST
@given(joint_tables(batch_shape=(3,)))
def test_a_batch_of_tables_is_each_table_on_its_own(joint: np.ndarray) -> None:
    for function in (xent.joint_entropy, xent.conditional_entropy, xent.mutual_information):
        batched = function(joint)
        assert batched.shape == (3,)
        for index in range(3):
            assert batched[index] == pytest.approx(float(function(joint[index])), abs=1e-15)


# --- dtypes ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_dtypes_are_kept(dtype: type) -> None:
    joint = SKEWED.astype(dtype)
    for function in (xent.joint_entropy, xent.conditional_entropy, xent.mutual_information):
        result = function(joint)
        assert result.dtype == dtype
        assert float(result) == pytest.approx(float(function(SKEWED)), rel=1e-3)


def test_integer_tables_become_float64() -> None:
    certain = np.array([[0, 1], [0, 0]])
    assert xent.joint_entropy(certain).dtype == np.float64
    assert float(xent.joint_entropy(certain)) == 0.0


def test_nan_propagates() -> None:
    joint = np.array([[0.5, np.nan], [0.25, 0.25]])
    for function in (xent.joint_entropy, xent.conditional_entropy, xent.mutual_information):
        assert np.isnan(function(joint))


# --- bad input ---------------------------------------------------------------------------

FUNCTIONS = [xent.joint_entropy, xent.conditional_entropy, xent.mutual_information]


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("bad", [[0.5, 0.5], 1.0])
def test_fewer_than_two_dimensions_are_refused(function, bad) -> None:
    with pytest.raises(ValueError, match="at least two dimensions"):
        function(bad)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_an_empty_axis_is_refused(function) -> None:
    with pytest.raises(ValueError, match="empty row or column axis"):
        function(np.zeros((2, 0)))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_table_that_does_not_sum_to_one_is_refused(function) -> None:
    with pytest.raises(ValueError, match=r"joint must sum to 1 over its last two axes .* 0\.9"):
        function([[0.5, 0.2], [0.1, 0.1]])
    batch = np.stack([SKEWED, SKEWED * 0.5])
    with pytest.raises(ValueError, match=r"table \(1,\) sums to 0\.5"):
        function(batch)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_rows_summing_to_one_are_not_a_joint_table(function) -> None:
    # A conditional table p(y | x) is a common mix-up: each row sums to 1, the table to 2.
    with pytest.raises(ValueError, match="sums to 2"):
        function([[0.5, 0.5], [0.9, 0.1]])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_negative_or_above_one_entries_are_refused(function) -> None:
    with pytest.raises(ValueError, match=r"joint must lie in \[0, 1\]; found 1\.25 at index"):
        function([[1.25, -0.25], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"found -0\.25 at index \(0, 1\)"):
        function([[0.75, -0.25], [0.25, 0.25]])


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("bad", [np.array([[1 + 0j]]), np.array([["a"]]), [[None]]])
def test_complex_string_and_object_tables_are_refused(function, bad) -> None:
    with pytest.raises(TypeError, match="joint must be"):
        function(bad)


@pytest.mark.parametrize("given_value", ["X", "rows", 0, None])
def test_an_unknown_given_is_refused(given_value) -> None:
    with pytest.raises(ValueError, match='given must be "x" or "y"'):
        xent.conditional_entropy(SKEWED, given=given_value)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("base", [1, 0, -2])
def test_a_bad_base_is_refused(function, base) -> None:
    with pytest.raises(ValueError, match="base"):
        function(SKEWED, base=base)


@pytest.mark.parametrize("a", [1e-9, 1e-12, 1e-14])
@pytest.mark.parametrize("given", ["x", "y"])
def test_a_tiny_conditional_entropy_keeps_its_relative_accuracy(a: float, given: str) -> None:
    joint = np.array([[0.5 - a, a], [a, 0.5 - a]])
    table = joint if given == "x" else joint.T
    with mpmath.workdps(50):
        exact = -mpmath.fsum(
            mpmath.mpf(v) * mpmath.log(mpmath.mpf(v) / mpmath.fsum(mpmath.mpf(u) for u in row))
            for row in table
            for v in row
        )
    got = float(xent.conditional_entropy(joint, given=given))
    assert math.isclose(got, float(exact), rel_tol=1e-14), (got, exact)
