"""References to xent's public names, and to the libraries in its signatures.

``{py:func}`xent.entropy``` resolves to the object documented as ``xent.information.entropy``
(the package re-exports everything), and type names of numpy, scipy, sympy and matplotlib in
signatures become plain text or a link to their documentation instead of a nitpicky
"reference target not found".
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

# Names of other libraries that appear in xent's signatures and docstrings. Those with a
# stable documentation page become links; the rest become plain text.
_EXTERNAL_LINKS = {
    "numpy.ndarray": "https://numpy.org/doc/stable/reference/generated/numpy.ndarray.html",
    "numpy.dtype": "https://numpy.org/doc/stable/reference/generated/numpy.dtype.html",
    "numpy.typing.ArrayLike": "https://numpy.org/doc/stable/reference/typing.html#numpy.typing.ArrayLike",
    "numpy.typing.NDArray": "https://numpy.org/doc/stable/reference/typing.html#numpy.typing.NDArray",
    "numpy.typing.DTypeLike": "https://numpy.org/doc/stable/reference/typing.html#numpy.typing.DTypeLike",
}
_EXTERNAL_ALIASES = {
    "np.ndarray": "numpy.ndarray",
    "ndarray": "numpy.ndarray",
    "np.dtype": "numpy.dtype",
    "ArrayLike": "numpy.typing.ArrayLike",
    "npt.ArrayLike": "numpy.typing.ArrayLike",
    "NDArray": "numpy.typing.NDArray",
    "npt.NDArray": "numpy.typing.NDArray",
    "DTypeLike": "numpy.typing.DTypeLike",
    "npt.DTypeLike": "numpy.typing.DTypeLike",
}
_EXTERNAL_PREFIXES = (
    "numpy.",
    "np.",
    "npt.",
    "scipy.",
    "sympy.",
    "sp.",
    "mpmath.",
    "matplotlib.",
    "mpl.",
    "plt.",
    "collections.abc.",
    "typing.",
    "types.",
)
_EXTERNAL_BARE = {
    "array_like",
    "array-like",
    "Figure",
    "Axes",
    "Expr",
    "Symbol",
    "Matrix",
    "Callable",
    "Sequence",
    "Mapping",
    "Iterable",
    "Iterator",
    "NamedTuple",
    "optional",
    "callable",
    "scalar",
}


# --------------------------------------------------------------------------- references
def _real_name(target: str) -> str | None:
    """``xent.entropy`` -> ``xent.information.entropy`` (where it is defined), or None."""
    parts = target.split(".")
    if len(parts) < 2 or parts[0] != "xent":
        return None
    try:
        obj: Any = importlib.import_module("xent")
    except Exception:  # noqa: BLE001 - an import error is reported by autodoc already
        return None
    chain = [obj]
    for part in parts[1:]:
        if not hasattr(chain[-1], part):
            break
        chain.append(getattr(chain[-1], part))
    for depth in range(len(chain) - 1, 0, -1):
        found = chain[depth]
        module = getattr(found, "__module__", None)
        qualname = getattr(found, "__qualname__", None)
        if isinstance(module, str) and isinstance(qualname, str) and module.startswith("xent"):
            real = ".".join([module, qualname, *parts[depth + 1 :]])
            return real if real != target else None
    return None


def _documented_in_a_submodule(env: BuildEnvironment, target: str) -> str | None:
    """``xent.F_DIVERGENCES`` -> ``xent.divergences.F_DIVERGENCES`` for data (no __module__)."""
    if not target.startswith("xent.") or target.count(".") != 1:
        return None
    name = target.split(".", 1)[1]
    objects = env.get_domain("py").objects  # type: ignore[attr-defined]
    found = sorted(
        module
        for module in list(sys.modules)
        if module.startswith("xent.") and f"{module}.{name}" in objects
    )
    return f"{found[0]}.{name}" if len(found) == 1 else None


def _missing_reference(
    app: Sphinx, env: BuildEnvironment, node: nodes.Element, contnode: nodes.Element
) -> nodes.Element | None:
    if node.get("refdomain") != "py":
        return None
    target = str(node.get("reftarget", ""))
    real = _real_name(target) or _documented_in_a_submodule(env, target)
    if real is not None:
        domain = env.get_domain("py")
        return domain.resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], real, node, contnode
        )
    canonical = _EXTERNAL_ALIASES.get(target, target)
    if canonical in _EXTERNAL_LINKS:
        reference = nodes.reference(
            "", "", internal=False, refuri=_EXTERNAL_LINKS[canonical], reftitle=canonical
        )
        reference += contnode
        return reference
    if target.startswith(_EXTERNAL_PREFIXES) or target in _EXTERNAL_BARE:
        return contnode
    return None


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("missing-reference", _missing_reference)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
