"""Families of functions an exercise can forbid: everything that would solve it for the student.

Forbidding one function is not enough: ``xent.entropy`` is also ``xent.cross_entropy(p, p)``,
``xent.entr(p).sum()`` or ``scipy.stats.entropy(p)``. An exercise forbids whole families, as
dotted names. In the grader's sandbox each of them raises
``ForbiddenFunctionError`` (defined in the sandbox's copy of xent); numpy stays available.
"""

from __future__ import annotations

#: Entropy, cross-entropy, KL and their elementwise pieces, in xent and SciPy.
INFORMATION: tuple[str, ...] = (
    "xent.entropy",
    "xent.cross_entropy",
    "xent.kl_divergence",
    "xent.binary_entropy",
    "xent.entropy_from_logits",
    "xent.perplexity",
    "xent.entr",
    "xent.rel_entr",
    "xent.xlogy",
    "xent.xlog1py",
    "scipy.special.entr",
    "scipy.special.rel_entr",
    "scipy.special.kl_div",
    "scipy.special.xlogy",
    "scipy.stats.entropy",
)

#: Softmax, log-softmax and log-sum-exp, in xent and SciPy.
SOFTMAX: tuple[str, ...] = (
    "xent.softmax",
    "xent.log_softmax",
    "xent.logsumexp",
    "xent.softmax_jacobian",
    "xent.chunked_logsumexp",
    "xent.merge_logsumexp",
    "xent.entropy_from_logits",
    "scipy.special.softmax",
    "scipy.special.log_softmax",
    "scipy.special.logsumexp",
)

#: The sigmoid and its log forms.
SIGMOID: tuple[str, ...] = (
    "xent.sigmoid",
    "xent.log_sigmoid",
    "xent.softplus",
    "scipy.special.expit",
    "scipy.special.log_expit",
)

#: The losses of xent, with their gradients.
LOSSES: tuple[str, ...] = (
    "xent.softmax_cross_entropy",
    "xent.softmax_cross_entropy_grad",
    "xent.softmax_cross_entropy_with_grad",
    "xent.nll_loss",
    "xent.binary_cross_entropy",
    "xent.binary_cross_entropy_grad",
    "xent.binary_cross_entropy_with_grad",
    "xent.binary_cross_entropy_with_logits",
    "xent.binary_cross_entropy_with_logits_grad",
    "xent.binary_cross_entropy_with_logits_with_grad",
    "xent.focal_loss",
    "xent.focal_loss_grad",
    "xent.focal_loss_with_grad",
    "xent.linear_cross_entropy",
    "xent.linear_cross_entropy_with_grad",
)

#: Numerical differentiation.
GRADCHECK: tuple[str, ...] = (
    "xent.numerical_gradient",
    "xent.check_gradient",
    "scipy.optimize.approx_fprime",
    "scipy.differentiate.derivative",
    "scipy.differentiate.jacobian",
)

#: Calibration measures.
CALIBRATION: tuple[str, ...] = (
    "xent.expected_calibration_error",
    "xent.reliability_curve",
)


#: The same computations in the other libraries the sandbox keeps (the chapters use
#: scikit-learn's data sets and SymPy): their entropies, losses, softmax and calibration curve.
OTHER_LIBRARIES: tuple[str, ...] = (
    "sklearn.metrics.log_loss",
    "sklearn.metrics.mutual_info_score",
    "sklearn.metrics.normalized_mutual_info_score",
    "sklearn.metrics.adjusted_mutual_info_score",
    "sklearn.feature_selection.mutual_info_classif",
    "sklearn.calibration.calibration_curve",
    "sklearn.utils.extmath.softmax",
    "sympy.stats.entropy",
)


def loaded(name: str) -> object | None:
    """The object a dotted name refers to, if its module is already imported; else None.

    Nothing is imported: the self-check watches only what the student's process has loaded
    (importing SciPy's statistics or SymPy to watch them cost 1.5 s on a first check).
    """
    import sys

    module_name, _, attribute = name.rpartition(".")
    module = sys.modules.get(module_name)
    return None if module is None else getattr(module, attribute, None)


#: Helpers that compute nothing an exercise asks for; never forbidden.
_UTILITIES = frozenset(
    {"xent.get_num_threads", "xent.set_num_threads", "xent.nats_to_bits", "xent.bits_to_nats"}
)


def everything_in_xent() -> tuple[str, ...]:
    """Every public function of xent and of xent.symbolic, as dotted names (classes, such as
    ``LogSumExpState``, and unit helpers excluded: they compute nothing an exercise asks for)."""
    import inspect

    import xent
    import xent.symbolic as symbolic

    names = []
    for module, prefix in ((xent, "xent"), (symbolic, "xent.symbolic")):
        for name in getattr(module, "__all__", dir(module)):
            value = getattr(module, name, None)
            if name.startswith("_") or inspect.isclass(value) or not callable(value):
                continue
            names.append(f"{prefix}.{name}")
    return tuple(n for n in dict.fromkeys(names) if n not in _UTILITIES)


def numpy_only(*allowed: str) -> tuple[str, ...]:
    """Everything in xent and xent.symbolic, and SciPy's functions of every family above, but
    ``allowed``: for exercises to be written with numpy.

    Listing every function, rather than the few that compute the answer directly, closes the
    detours: entropy is also ``softmax_cross_entropy(log p, p)``, ``joint_entropy(p[None])``,
    ``f_divergence`` of a uniform ``q``...
    """
    scipy_names = [
        n
        for family in (INFORMATION, SOFTMAX, SIGMOID, GRADCHECK)
        for n in family
        if n.startswith("scipy.")
    ]
    scipy_names += [
        "scipy.special.xlog1py",
        "scipy.spatial.distance.jensenshannon",
        "scipy.stats.differential_entropy",
    ]
    everything = list(everything_in_xent()) + scipy_names + list(OTHER_LIBRARIES)
    return tuple(n for n in dict.fromkeys(everything) if n not in set(allowed))
