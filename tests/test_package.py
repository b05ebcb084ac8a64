"""The package as a whole: the public API of the contract, documentation, typing, light imports."""

from __future__ import annotations

import importlib.resources
import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomllib

import xent

ROOT = Path(__file__).resolve().parents[1]
EMPTY = inspect.Parameter.empty

# The binding signatures: (positional parameters, {keyword-only parameter: default}).
LOSS_OPTIONS = {
    "axis": -1,
    "weight": None,
    "ignore_index": -100,
    "reduction": "mean",
    "label_smoothing": 0.0,
}
BCE_OPTIONS = {"weight": None, "reduction": "mean"}
BCE_LOGITS_OPTIONS = {"weight": None, "pos_weight": None, "reduction": "mean"}
CONTRACT: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "xlogy": (("x", "y"), {}),
    "entr": (("x",), {}),
    "rel_entr": (("x", "y"), {}),
    "softplus": (("z",), {}),
    "log_sigmoid": (("z",), {}),
    "logsumexp": (("z",), {"axis": -1, "keepdims": False}),
    "softmax": (("z",), {"axis": -1, "temperature": 1.0}),
    "log_softmax": (("z",), {"axis": -1, "temperature": 1.0}),
    "softmax_jacobian": (("z",), {"temperature": 1.0}),
    "sigmoid": (("z",), {}),
    "entropy": (("p",), {"axis": -1, "base": None}),
    "cross_entropy": (("p", "q"), {"axis": -1, "base": None}),
    "kl_divergence": (("p", "q"), {"axis": -1, "base": None}),
    "binary_entropy": (("p",), {"base": None}),
    "entropy_from_logits": (("z",), {"axis": -1, "base": None}),
    "perplexity": (("loss",), {"base": None}),
    "nats_to_bits": (("x",), {}),
    "bits_to_nats": (("x",), {}),
    "softmax_cross_entropy": (("logits", "target"), LOSS_OPTIONS),
    "softmax_cross_entropy_grad": (("logits", "target"), LOSS_OPTIONS),
    "softmax_cross_entropy_with_grad": (("logits", "target"), LOSS_OPTIONS),
    "nll_loss": (
        ("log_probs", "target"),
        {k: v for k, v in LOSS_OPTIONS.items() if k != "label_smoothing"},
    ),
    "binary_cross_entropy": (("probs", "target"), BCE_OPTIONS),
    "binary_cross_entropy_grad": (("probs", "target"), BCE_OPTIONS),
    "binary_cross_entropy_with_grad": (("probs", "target"), BCE_OPTIONS),
    "binary_cross_entropy_with_logits": (("logits", "target"), BCE_LOGITS_OPTIONS),
    "binary_cross_entropy_with_logits_grad": (("logits", "target"), BCE_LOGITS_OPTIONS),
    "binary_cross_entropy_with_logits_with_grad": (("logits", "target"), BCE_LOGITS_OPTIONS),
    "numerical_gradient": (("f", "x"), {"eps": 1e-6}),
    "check_gradient": (("f", "grad_f", "x"), {"eps": 1e-6, "tol": 1e-5}),
}
PUBLIC = sorted(xent.__all__)
PUBLIC_FUNCTIONS = [name for name in PUBLIC if inspect.isfunction(getattr(xent, name, None))]


def test_all_has_no_duplicates_and_holds_every_name_of_the_contract() -> None:
    assert len(xent.__all__) == len(set(xent.__all__))
    missing = sorted((set(CONTRACT) | {"GradientCheck"}) - set(xent.__all__))
    assert not missing


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_exists(name: str) -> None:
    assert hasattr(xent, name)


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_every_public_function_is_documented_with_args_returns_and_examples(name: str) -> None:
    doc = inspect.getdoc(getattr(xent, name)) or ""
    summary = doc.split("\n", 1)[0]
    assert summary.strip(), f"{name} has no one-sentence summary"
    for section in ("Args:", "Returns:", "Examples:"):
        assert section in doc, f"{name}'s docstring has no {section[:-1]} section"
    assert ">>>" in doc.split("Examples:", 1)[1], f"{name}'s Examples section has no example"


@pytest.mark.parametrize("name", [name for name in PUBLIC if name not in PUBLIC_FUNCTIONS])
def test_every_public_class_is_documented(name: str) -> None:
    assert (inspect.getdoc(getattr(xent, name)) or "").strip()


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_signature_follows_the_contract(name: str) -> None:
    positional, keyword_only = CONTRACT[name]
    parameters = inspect.signature(getattr(xent, name)).parameters
    leading = [p for p in parameters.values() if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    assert tuple(p.name for p in leading) == positional
    assert all(p.default is EMPTY for p in leading)
    for option, default in keyword_only.items():
        assert option in parameters, f"{name} has no {option}"
        assert parameters[option].kind is inspect.Parameter.KEYWORD_ONLY, f"{name}({option}=)"
        assert parameters[option].default == default, f"{name}({option}=...) default"
    extras = [p for p in parameters.values() if p.name not in keyword_only and p not in leading]
    assert all(p.default is not EMPTY for p in extras), "extensions must be optional"


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_axis_is_keyword_only_wherever_a_public_function_takes_one(name: str) -> None:
    parameters = inspect.signature(getattr(xent, name)).parameters
    for option in ("axis", "base", "temperature", "keepdims", "reduction"):
        if option in parameters:
            assert parameters[option].kind is inspect.Parameter.KEYWORD_ONLY, f"{name}({option}=)"


def test_gradient_check_is_a_named_tuple_with_the_contract_fields() -> None:
    assert xent.GradientCheck._fields == ("max_relative_error", "passed", "analytic", "numeric")


def test_the_package_ships_py_typed() -> None:
    assert importlib.resources.files("xent").joinpath("py.typed").is_file()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    package_data = pyproject["tool"]["setuptools"]["package-data"]["xent"]
    assert "py.typed" in package_data


def test_importing_xent_does_not_import_matplotlib_scipy_or_sympy() -> None:
    code = (
        "import sys, xent\n"
        "heavy = sorted(m for m in ('matplotlib', 'scipy', 'sympy') if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"import xent imported {result.stdout.strip()}"


def test_importing_xent_emits_no_warning() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import xent"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_course_glue_writes_what_myst_nb_glue_writes() -> None:
    # The website reads glued values from the stored outputs: ours must be myst-nb's, byte
    # for byte, shown or not, for numbers, strings and figures, with or without myst-nb
    # installed (nbval compares the chapters' records). In a fresh process, so that
    # the IPython shell it needs lives and dies there.
    script = """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from myst_nb import glue as theirs
from xent.plotting import glue as ours

InteractiveShell.instance()
fig, ax = plt.subplots()
ax.plot([0, 1], [1, 0])
values = [("f", 0.125), ("i", 3), ("s", "text"), ("n", np.float64(2.5)), ("fig", fig)]

def outputs(glue):
    found = []
    for display in (True, False):
        for name, value in values:
            with capture_output() as captured:
                glue(name, value, display=display)
            found += [(output.data, output.metadata) for output in captured.outputs]
    return found

mine, reference = outputs(ours), outputs(theirs)
assert len(reference) == 2 * len(values), reference
assert mine == reference, (mine, reference)
# Where myst-nb is not installed (Binder, Colab, the chapters' venv under nbval): the same.
import sys
sys.modules["myst_nb"] = None
assert outputs(ours) == reference
print("same")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "same", done.stderr[-3000:]
