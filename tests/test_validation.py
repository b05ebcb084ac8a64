"""Bad input raises the right exception, and the message names the argument and what was found.

ValueError: shapes, probabilities outside [0, 1], distribution rows not summing to 1 (within
sqrt(eps) of the dtype), unknown reduction, label_smoothing outside [0, 1], zero classes, bad
base or temperature. IndexError: class indices outside [0, C) other than ignore_index.
TypeError: complex, object or string input, boolean class targets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import xent

NAN = np.nan
P = np.array([[0.2, 0.3, 0.5], [0.5, 0.25, 0.25]])
LOGITS = np.array([[0.5, -1.0, 2.0], [0.0, 1.0, 3.0]])
TARGET = np.array([0, 2])


# --- shapes ------------------------------------------------------------------------------

SHAPE_ERRORS = [
    pytest.param(lambda: xent.cross_entropy(P, P[:, :2]), r"\b[pq]\b", id="cross_entropy p vs q"),
    pytest.param(
        lambda: xent.kl_divergence(P, np.full((3, 3), 1 / 3)), r"\b[pq]\b", id="kl p vs q rows"
    ),
    pytest.param(
        lambda: xent.softmax_cross_entropy(LOGITS, np.array([0, 1, 2])), "target", id="ce index"
    ),
    pytest.param(
        lambda: xent.softmax_cross_entropy(LOGITS, np.array([[0, 1]])), "target", id="ce index 2d"
    ),
    pytest.param(
        lambda: xent.softmax_cross_entropy(LOGITS, np.full((2, 4), 0.25)), "target", id="ce prob"
    ),
    pytest.param(
        lambda: xent.softmax_cross_entropy_grad(LOGITS, np.full((3, 3), 1 / 3)),
        "target",
        id="ce grad prob",
    ),
    pytest.param(
        lambda: xent.softmax_cross_entropy(LOGITS, TARGET, weight=np.ones(4)), "weight", id="weight"
    ),
    pytest.param(
        lambda: xent.softmax_cross_entropy_with_grad(LOGITS, TARGET, weight=np.ones((3, 1))),
        "weight",
        id="weight 2d",
    ),
    pytest.param(lambda: xent.nll_loss(LOGITS, np.array([0])), "target", id="nll target"),
    pytest.param(
        lambda: xent.nll_loss(LOGITS, TARGET, weight=np.ones(2)), "weight", id="nll weight"
    ),
    pytest.param(
        lambda: xent.binary_cross_entropy(np.full((3, 2), 0.5), np.full((4, 2), 0.5)),
        "target",
        id="bce",
    ),
    pytest.param(
        lambda: xent.binary_cross_entropy_with_logits(np.zeros((3, 2)), np.full((4, 2), 0.5)),
        "target",
        id="bce logits",
    ),
    pytest.param(
        lambda: xent.binary_cross_entropy_with_logits(
            np.zeros((3, 2)), np.full((3, 2), 0.5), pos_weight=np.ones(3)
        ),
        "pos_weight",
        id="pos_weight",
    ),
    pytest.param(
        lambda: xent.binary_cross_entropy_with_logits_grad(
            np.zeros((3, 2)), np.full((3, 2), 0.5), weight=np.ones((4, 2))
        ),
        "weight",
        id="bce weight",
    ),
]


@pytest.mark.parametrize(("call", "name"), SHAPE_ERRORS)
def test_mismatched_shapes_raise_value_error_naming_the_argument(
    call: Callable[[], Any], name: str
) -> None:
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("function", [xent.xlogy, xent.rel_entr])
def test_elementwise_functions_reject_shapes_that_do_not_broadcast(function) -> None:
    with pytest.raises(ValueError):
        function(np.ones(3), np.ones(4))


@pytest.mark.parametrize(
    "call",
    [
        lambda: xent.softmax(LOGITS, axis=2),
        lambda: xent.logsumexp(LOGITS, axis=-3),
        lambda: xent.entropy(P, axis=2),
        lambda: xent.softmax_cross_entropy(LOGITS, TARGET, axis=2),
    ],
    ids=["softmax", "logsumexp", "entropy", "softmax_cross_entropy"],
)
def test_an_axis_out_of_range_raises(call: Callable[[], Any]) -> None:
    with pytest.raises((ValueError, IndexError)):
        call()


# --- probabilities outside [0, 1] --------------------------------------------------------

OUT_OF_RANGE = [
    pytest.param(lambda: xent.entropy(np.array([-0.1, 1.1])), "p", id="entropy negative"),
    pytest.param(lambda: xent.entropy(np.array([[0.5, 0.5], [1.5, -0.5]])), "p", id="entropy >1"),
    pytest.param(
        lambda: xent.cross_entropy(np.array([0.5, 0.5]), np.array([1.2, -0.2])), "q", id="ce q"
    ),
    pytest.param(
        lambda: xent.cross_entropy(np.array([1.2, -0.2]), np.array([0.5, 0.5])), "p", id="ce p"
    ),
    pytest.param(
        lambda: xent.kl_divergence(np.array([1.5, -0.5]), np.array([0.5, 0.5])), "p", id="kl p"
    ),
    pytest.param(
        lambda: xent.kl_divergence(np.array([0.5, 0.5]), np.array([-1.0, 2.0])), "q", id="kl q"
    ),
    pytest.param(lambda: xent.binary_entropy(np.array([0.5, 1.5])), "p", id="binary >1"),
    pytest.param(lambda: xent.binary_entropy(-0.25), "p", id="binary negative"),
    pytest.param(
        lambda: xent.binary_cross_entropy(np.array([1.2]), np.array([1.0])), "probs", id="bce >1"
    ),
    pytest.param(
        lambda: xent.binary_cross_entropy_grad(np.array([-0.2]), np.array([1.0])),
        "probs",
        id="bce grad negative",
    ),
    pytest.param(
        lambda: xent.softmax_cross_entropy(LOGITS[:1, :2], np.array([[1.5, -0.5]])),
        "target",
        id="softmax ce target",
    ),
]


@pytest.mark.parametrize(("call", "name"), OUT_OF_RANGE)
def test_probabilities_outside_zero_one_raise_value_error_naming_the_argument(
    call: Callable[[], Any], name: str
) -> None:
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


# --- rows that do not sum to 1 -----------------------------------------------------------


def _batch_with_bad_row(row: int = 3, num_rows: int = 5) -> np.ndarray:
    p = np.full((num_rows, 2), 0.5)
    p[row] = [0.2, 0.5]
    return p


@pytest.mark.parametrize(
    ("call", "name"),
    [
        pytest.param(lambda p: xent.entropy(p), "p", id="entropy"),
        pytest.param(lambda p: xent.cross_entropy(p, np.full_like(p, 0.5)), "p", id="ce p"),
        pytest.param(lambda p: xent.cross_entropy(np.full_like(p, 0.5), p), "q", id="ce q"),
        pytest.param(lambda p: xent.kl_divergence(p, np.full_like(p, 0.5)), "p", id="kl p"),
        pytest.param(lambda p: xent.kl_divergence(np.full_like(p, 0.5), p), "q", id="kl q"),
        pytest.param(
            lambda p: xent.softmax_cross_entropy(np.zeros_like(p), p), "target", id="softmax ce"
        ),
        pytest.param(
            lambda p: xent.softmax_cross_entropy_grad(np.zeros_like(p), p), "target", id="grad"
        ),
    ],
)
def test_rows_not_summing_to_one_are_reported_with_the_row_and_its_sum(
    call: Callable[[np.ndarray], Any], name: str
) -> None:
    with pytest.raises(ValueError, match=rf"(?s)\b{name}\b.*\b3\b.*0\.7") as error:
        call(_batch_with_bad_row(row=3))
    assert "sum" in str(error.value)


def test_the_row_index_of_a_bad_row_in_a_pytorch_layout_batch_is_reported() -> None:
    target = np.full((2, 2, 3), 0.5)  # (N, C, d), class axis 1
    target[1, :, 2] = [0.2, 0.5]
    with pytest.raises(ValueError, match=r"(?s)target.*1.*2.*0\.7"):
        xent.softmax_cross_entropy(np.zeros((2, 2, 3)), target, axis=1)


def test_row_sum_tolerance_is_sqrt_of_the_float64_epsilon() -> None:
    assert np.isfinite(xent.entropy(np.array([0.5, 0.5 + 1e-10])))
    with pytest.raises(ValueError, match=r"\bp\b"):
        xent.entropy(np.array([0.5, 0.5 + 1e-6]))


def test_row_sum_tolerance_is_looser_for_float32() -> None:
    p32 = np.array([0.5, 0.5 + 1e-5], dtype=np.float32)
    assert np.isfinite(xent.entropy(p32))
    with pytest.raises(ValueError, match=r"\bp\b"):
        xent.entropy(p32.astype(np.float64))
    with pytest.raises(ValueError, match=r"\bp\b"):
        xent.entropy(np.array([0.5, 0.5 + 1e-3], dtype=np.float32))


def test_row_sum_tolerance_for_float16_accepts_float16_rounding() -> None:
    p16 = np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float16)  # sums to 1 only up to float16 rounding
    assert np.isfinite(xent.entropy(p16))
    with pytest.raises(ValueError, match=r"\bp\b"):
        xent.entropy(np.array([0.5, 0.6], dtype=np.float16))


# --- class indices -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "kwargs"),
    [
        pytest.param([0, 3], {}, id="index == K"),
        pytest.param([0, -1], {}, id="index -1"),
        pytest.param([0, 99], {}, id="index 99"),
        pytest.param([0, -100], {"ignore_index": 1}, id="-100 when ignore_index is 1"),
    ],
)
@pytest.mark.parametrize(
    "function",
    [
        xent.softmax_cross_entropy,
        xent.softmax_cross_entropy_grad,
        xent.softmax_cross_entropy_with_grad,
        xent.nll_loss,
    ],
    ids=lambda f: f.__name__,
)
def test_class_indices_outside_the_class_range_raise_index_error(
    function, target: list[int], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(IndexError, match="target"):
        function(LOGITS, np.array(target), **kwargs)


@pytest.mark.parametrize("ignore_index", [-100, 1, 3, -7])
def test_the_ignore_index_is_accepted_even_inside_or_outside_the_class_range(
    ignore_index: int,
) -> None:
    target = np.array([0, ignore_index])
    loss = xent.softmax_cross_entropy(LOGITS, target, ignore_index=ignore_index, reduction="none")
    assert loss[1] == 0.0
    assert xent.nll_loss(LOGITS, target, ignore_index=ignore_index, reduction="none")[1] == 0.0


# --- options -----------------------------------------------------------------------------

REDUCTION_CALLS = {
    "softmax_cross_entropy": lambda r: xent.softmax_cross_entropy(LOGITS, TARGET, reduction=r),
    "softmax_cross_entropy_grad": lambda r: xent.softmax_cross_entropy_grad(
        LOGITS, TARGET, reduction=r
    ),
    "softmax_cross_entropy_with_grad": lambda r: xent.softmax_cross_entropy_with_grad(
        LOGITS, P, reduction=r
    ),
    "nll_loss": lambda r: xent.nll_loss(LOGITS, TARGET, reduction=r),
    "binary_cross_entropy": lambda r: xent.binary_cross_entropy(P, P, reduction=r),
    "binary_cross_entropy_grad": lambda r: xent.binary_cross_entropy_grad(P, P, reduction=r),
    "binary_cross_entropy_with_grad": lambda r: xent.binary_cross_entropy_with_grad(
        P, P, reduction=r
    ),
    "binary_cross_entropy_with_logits": lambda r: xent.binary_cross_entropy_with_logits(
        LOGITS, P, reduction=r
    ),
    "binary_cross_entropy_with_logits_grad": lambda r: xent.binary_cross_entropy_with_logits_grad(
        LOGITS, P, reduction=r
    ),
    "binary_cross_entropy_with_logits_with_grad": lambda r: (
        xent.binary_cross_entropy_with_logits_with_grad(LOGITS, P, reduction=r)
    ),
}


@pytest.mark.parametrize("name", REDUCTION_CALLS)
@pytest.mark.parametrize("reduction", ["avg", "MEAN", "", None])
def test_unknown_reduction_raises_value_error_naming_reduction(name: str, reduction: Any) -> None:
    with pytest.raises(ValueError, match=rf"(?s)reduction.*{re.escape(repr(reduction))}"):
        REDUCTION_CALLS[name](reduction)


@pytest.mark.parametrize("label_smoothing", [-0.1, 1.5, NAN])
@pytest.mark.parametrize(
    ("function", "target"),
    [
        (xent.softmax_cross_entropy, TARGET),
        (xent.softmax_cross_entropy_grad, TARGET),
        (xent.softmax_cross_entropy_with_grad, P),
    ],
)
def test_label_smoothing_outside_zero_one_raises_value_error(
    function, target: np.ndarray, label_smoothing: float
) -> None:
    with pytest.raises(ValueError, match="label_smoothing"):
        function(LOGITS, target, label_smoothing=label_smoothing)


ZERO_CLASS_CALLS = [
    # logsumexp, softmax and log_softmax read an empty axis as SciPy does:
    # tests/test_peer_cases.py holds them to it.
    pytest.param(lambda e: xent.softmax_jacobian(e), "z", id="softmax_jacobian"),
    pytest.param(lambda e: xent.entropy(e), "p", id="entropy"),
    pytest.param(lambda e: xent.cross_entropy(e, e), r"[pq]", id="cross_entropy"),
    pytest.param(lambda e: xent.kl_divergence(e, e), r"[pq]", id="kl_divergence"),
    pytest.param(lambda e: xent.entropy_from_logits(e), "z", id="entropy_from_logits"),
    pytest.param(
        lambda e: xent.softmax_cross_entropy(e, np.zeros(3, dtype=int)), "logits", id="ce index"
    ),
    pytest.param(lambda e: xent.softmax_cross_entropy(e, e), "logits", id="ce probabilities"),
    pytest.param(
        lambda e: xent.softmax_cross_entropy_grad(e, np.zeros(3, dtype=int)), "logits", id="grad"
    ),
    pytest.param(lambda e: xent.nll_loss(e, np.zeros(3, dtype=int)), "log_probs", id="nll_loss"),
]


@pytest.mark.parametrize(("call", "name"), ZERO_CLASS_CALLS)
def test_zero_classes_raise_value_error_naming_the_argument(
    call: Callable[[np.ndarray], Any], name: str
) -> None:
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call(np.zeros((3, 0)))


BASE_CALLS = {
    "entropy": lambda b: xent.entropy(P, base=b),
    "cross_entropy": lambda b: xent.cross_entropy(P, P, base=b),
    "kl_divergence": lambda b: xent.kl_divergence(P, P, base=b),
    "binary_entropy": lambda b: xent.binary_entropy(0.3, base=b),
    "entropy_from_logits": lambda b: xent.entropy_from_logits(LOGITS, base=b),
    "perplexity": lambda b: xent.perplexity(1.0, base=b),
}


@pytest.mark.parametrize("name", BASE_CALLS)
@pytest.mark.parametrize("base", [0.0, -2.0, 1.0, NAN])
def test_a_base_that_is_not_positive_or_is_one_raises_value_error(name: str, base: float) -> None:
    with pytest.raises(ValueError, match="base"):
        BASE_CALLS[name](base)


@pytest.mark.parametrize("temperature", [0.0, -1.0, NAN])
@pytest.mark.parametrize("function", [xent.softmax, xent.log_softmax, xent.softmax_jacobian])
def test_a_temperature_that_is_not_positive_raises_value_error(
    function, temperature: float
) -> None:
    with pytest.raises(ValueError, match="temperature"):
        function(LOGITS, temperature=temperature)


# --- types -------------------------------------------------------------------------------

BAD_ARRAYS = {
    "complex": np.array([0.5 + 1j, 0.5]),
    "object": np.array([0.5, 0.5], dtype=object),
    "string": np.array(["0.5", "0.5"]),
}

TYPE_CALLS = [
    pytest.param(lambda a: xent.xlogy(a, 0.5), "x", id="xlogy x"),
    pytest.param(lambda a: xent.xlogy(0.5, a), "y", id="xlogy y"),
    pytest.param(lambda a: xent.entr(a), "x", id="entr"),
    pytest.param(lambda a: xent.rel_entr(a, 0.5), "x", id="rel_entr"),
    pytest.param(lambda a: xent.softplus(a), "z", id="softplus"),
    pytest.param(lambda a: xent.log_sigmoid(a), "z", id="log_sigmoid"),
    pytest.param(lambda a: xent.sigmoid(a), "z", id="sigmoid"),
    pytest.param(lambda a: xent.logsumexp(a), "z", id="logsumexp"),
    pytest.param(lambda a: xent.softmax(a), "z", id="softmax"),
    pytest.param(lambda a: xent.log_softmax(a), "z", id="log_softmax"),
    pytest.param(lambda a: xent.softmax_jacobian(a), "z", id="softmax_jacobian"),
    pytest.param(lambda a: xent.entropy(a), "p", id="entropy"),
    pytest.param(lambda a: xent.cross_entropy([0.5, 0.5], a), "q", id="cross_entropy"),
    pytest.param(lambda a: xent.kl_divergence(a, [0.5, 0.5]), "p", id="kl_divergence"),
    pytest.param(lambda a: xent.binary_entropy(a), "p", id="binary_entropy"),
    pytest.param(lambda a: xent.entropy_from_logits(a), "z", id="entropy_from_logits"),
    pytest.param(lambda a: xent.perplexity(a), "loss", id="perplexity"),
    pytest.param(lambda a: xent.nats_to_bits(a), "x", id="nats_to_bits"),
    pytest.param(lambda a: xent.softmax_cross_entropy(a, 0), "logits", id="ce logits"),
    pytest.param(lambda a: xent.softmax_cross_entropy([0.0, 0.0], a), "target", id="ce target"),
    pytest.param(lambda a: xent.softmax_cross_entropy_grad(a, 1), "logits", id="ce grad"),
    pytest.param(lambda a: xent.nll_loss(a, 0), "log_probs", id="nll_loss"),
    pytest.param(lambda a: xent.binary_cross_entropy(a, [1.0, 0.0]), "probs", id="bce"),
    pytest.param(
        lambda a: xent.binary_cross_entropy_with_logits([0.0, 0.0], a), "target", id="bcel target"
    ),
    pytest.param(
        lambda a: xent.binary_cross_entropy_with_logits_grad(a, [1.0, 0.0]), "logits", id="bcel"
    ),
]


@pytest.mark.parametrize("kind", BAD_ARRAYS)
@pytest.mark.parametrize(("call", "name"), TYPE_CALLS)
def test_complex_object_and_string_input_raise_type_error_naming_the_argument(
    call: Callable[[np.ndarray], Any], name: str, kind: str
) -> None:
    with pytest.raises(TypeError, match=rf"\b{name}\b"):
        call(BAD_ARRAYS[kind])


@pytest.mark.parametrize(
    "function",
    [
        xent.softmax_cross_entropy,
        xent.softmax_cross_entropy_grad,
        xent.softmax_cross_entropy_with_grad,
        xent.nll_loss,
    ],
    ids=lambda f: f.__name__,
)
def test_a_boolean_class_target_raises_type_error(function) -> None:
    with pytest.raises(TypeError, match="target"):
        function(LOGITS, np.array([True, False]))


def test_python_complex_scalars_raise_type_error() -> None:
    with pytest.raises(TypeError):
        xent.softmax([1j, 0.0])
    with pytest.raises(TypeError):
        xent.entr(1j)


PUBLIC_FUNCTIONS = [
    name for name in xent.__all__ if type(getattr(xent, name)).__name__ == "function"
]


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_a_ragged_list_for_any_argument_is_an_error_that_names_it(name: str) -> None:
    # numpy's own message ("setting an array element with a sequence") names no argument; every
    # argument of every public function is tried with a ragged list (labels with ragged indices)
    import inspect

    function = getattr(xent, name)
    signature = inspect.signature(function)
    required = {
        p.name: (np.array([0, 1]) if p.name in ("labels", "target") else np.full((2, 2), 0.5))
        for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    }
    keywords = {
        p.name: 1.0
        for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty and p.kind == p.KEYWORD_ONLY
    }
    for parameter in signature.parameters.values():
        ragged = [[0, 1], [0]] if parameter.name in ("labels", "target") else [[0.5, 0.5], [1.0]]
        arguments = {**required, **keywords, parameter.name: ragged}
        try:
            function(**arguments)
        except (TypeError, ValueError) as error:
            if "inhomogeneous" in str(error) or "sequence" in str(error):
                assert str(error).startswith(parameter.name), (name, parameter.name, error)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: xent.top_k_filter([1.0, 2.0], None), TypeError, "top_k"),
        (lambda: xent.top_p_filter([1.0, 2.0], None), TypeError, "top_p"),
        (lambda: xent.top_p_filter([1.0, 2.0], "0.9"), TypeError, "top_p"),
        (lambda: xent.top_p_filter([1.0, 2.0], True), TypeError, "top_p"),
        (lambda: xent.sampling_probs([1.0, 2.0], top_p=b"0.9"), TypeError, "top_p"),
        (lambda: xent.sample([1.0, 2.0], seed=-1), ValueError, "seed"),
        (lambda: xent.merge_logsumexp((1.0, 1.0), (1.0, 1.0)), TypeError, "a must be"),
        (lambda: xent.perplexity(-1e-20), ValueError, r"found -1e-20$"),
    ],
)
def test_sampling_and_state_arguments_are_checked_by_name(
    call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


CALIBRATION_PROBS = np.array([[0.9, 0.1], [0.2, 0.8]])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        # the argmax of a NaN row is the NaN's index: it was binned as a right answer
        (
            lambda: xent.reliability_curve([[0.9, 0.1], [np.nan, np.nan]], [0, 0], n_bins=2),
            ValueError,
            "probs must not contain NaN",
        ),
        (lambda: xent.expected_calibration_error([[np.nan, np.nan]], [0]), ValueError, "NaN"),
        (
            lambda: xent.expected_calibration_error(np.zeros((0, 3)), np.zeros(0, int)),
            ValueError,
            "no predictions",
        ),
        (
            lambda: xent.reliability_curve(np.zeros((0, 3)), np.zeros(0, int)),
            ValueError,
            "no predictions",
        ),
        (
            lambda: xent.fit_temperature(np.zeros((0, 3)), np.zeros(0, int)),
            ValueError,
            "no samples",
        ),
        (
            lambda: xent.fit_temperature(CALIBRATION_PROBS, [0, 1], bounds=(1, 2, 3)),
            TypeError,
            "bounds must be a pair",
        ),
        (
            lambda: xent.fit_temperature(CALIBRATION_PROBS, [0, 1], bounds=None),
            TypeError,
            "bounds must be a pair",
        ),
        (
            lambda: xent.fit_temperature(CALIBRATION_PROBS, [0, 1], bounds=5),
            TypeError,
            "bounds must be a pair",
        ),
    ],
)
def test_calibration_refuses_nan_empty_input_and_malformed_bounds(
    call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()
