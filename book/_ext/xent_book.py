"""Local Sphinx extension of the xent course (loaded from ``_config.yml``).

It does five small things the stock Jupyter Book build does not:

1. **Offline MathJax.** Sphinx loads MathJax from a CDN by default, so a reader without
   network (or a test without network) sees raw TeX. The ``django-static-mathjax`` wheel on
   PyPI carries MathJax 3's ``es5/`` build under ``mathjax/static/mathjax/``; after an HTML
   build this extension copies it to ``<html>/mathjax/`` (outside ``_static``: Jupyter Book
   adds every ``.js`` under ``_static`` to every page). ``mathjax_path`` in ``_config.yml``
   points there (``../mathjax/tex-chtml.js``, relative to ``_static``), and a network
   ``mathjax_path`` is reported as a warning (an error under ``-W``).
2. **Warm matplotlib's font cache** before any notebook runs. On a machine that never ran
   matplotlib, its first import logs "Matplotlib is building the font cache" to stderr; in a
   notebook that is a stderr output, which fails the build (``nb_output_stderr: error``).
3. **This checkout's xent.** The repository root goes first on ``sys.path`` (autodoc) and
   on ``PYTHONPATH`` (the kernels that execute the chapters), so the book always documents
   and runs the code next to it, even if another xent is installed.
4. **Author-year citations in round brackets**, "(Shannon, 1948)" and "Shannon (1948)":
   the reference style ``author_year_round`` (``bibtex_reference_style`` in ``_config.yml``).
5. **References to the public names.** ``{py:func}`xent.entropy``` resolves to the object
   documented as ``xent.information.entropy`` (the package re-exports everything), and
   type names of numpy, scipy, sympy and matplotlib in signatures become plain text or a
   link to their documentation instead of a nitpicky "reference target not found".
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Where the MathJax es5 build is copied, relative to the HTML output directory.
MATHJAX_DIR = "mathjax"
_MATHJAX_PACKAGE = "mathjax"  # import name of the django-static-mathjax wheel
_MATHJAX_ES5 = ("static", "mathjax", "es5")

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


# --------------------------------------------------------------------------- MathJax
def mathjax_es5_dir() -> Path:
    """Return the ``es5/`` directory of MathJax 3 inside the django-static-mathjax wheel."""
    spec = importlib.util.find_spec(_MATHJAX_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError(
            "MathJax is not installed: the book serves MathJax 3 from the PyPI wheel "
            "django-static-mathjax (pip install django-static-mathjax==3.2.2.1, or "
            "pip install -r requirements.txt)."
        )
    for location in spec.submodule_search_locations:
        es5 = Path(location).joinpath(*_MATHJAX_ES5)
        if (es5 / "tex-chtml.js").is_file():
            return es5
    raise ExtensionError(
        f"the package {_MATHJAX_PACKAGE!r} has no {'/'.join(_MATHJAX_ES5)}/tex-chtml.js; "
        "expected the django-static-mathjax wheel (MathJax 3.2.2)."
    )


def _mathjax_version(es5: Path) -> str:
    package_json = es5.parent / "package.json"
    try:
        return str(json.loads(package_json.read_text(encoding="utf8"))["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def _check_mathjax_path(app: Sphinx, config: Config) -> None:
    path = str(config.mathjax_path or "")
    if "://" in path or path.startswith("//"):
        logger.warning(
            "mathjax_path is a network URL (%s): pages would need a CDN to show math. "
            "Use the local copy, mathjax_path: ../%s/tex-chtml.js",
            path,
            MATHJAX_DIR,
            type="xent_book",
            subtype="mathjax",
        )
        return
    marker = f"{MATHJAX_DIR}/"
    if marker in path:
        entry = path.split(marker, 1)[1]
        if not (mathjax_es5_dir() / entry).is_file():
            logger.warning(
                "mathjax_path %s names %s, which the MathJax es5 build does not have",
                path,
                entry,
                type="xent_book",
                subtype="mathjax",
            )


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if app.builder is None or app.builder.format != "html":
        return
    es5 = mathjax_es5_dir()
    target = Path(app.outdir) / MATHJAX_DIR
    stamp = target / ".xent-mathjax-version"
    version = f"{_mathjax_version(es5)} {es5}"
    if stamp.is_file() and stamp.read_text(encoding="utf8") == version:
        return
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(es5, target)
    licence = es5.parent / "LICENSE"
    if licence.is_file():
        shutil.copy2(licence, target / "LICENSE")
    stamp.write_text(version, encoding="utf8")
    logger.info("copied MathJax %s to %s", _mathjax_version(es5), target)


# --------------------------------------------------------------------------- citations
def _register_round_bracket_style() -> None:
    import dataclasses

    from sphinxcontrib.bibtex.plugin import register_plugin
    from sphinxcontrib.bibtex.style.referencing import BracketStyle
    from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

    def round_brackets() -> BracketStyle:
        # several works in one citation: (Cover and Thomas, 2006; MacKay, 2003)
        return BracketStyle(left="(", right=")", sep="; ")

    @dataclasses.dataclass
    class AuthorYearRoundReferenceStyle(AuthorYearReferenceStyle):
        """Author-year references in round brackets: (Shannon, 1948), Shannon (1948)."""

        bracket_textual: BracketStyle = dataclasses.field(default_factory=round_brackets)
        bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=round_brackets)
        bracket_author: BracketStyle = dataclasses.field(default_factory=round_brackets)
        bracket_label: BracketStyle = dataclasses.field(default_factory=round_brackets)
        bracket_year: BracketStyle = dataclasses.field(default_factory=round_brackets)

    register_plugin(
        "sphinxcontrib.bibtex.style.referencing",
        "author_year_round",
        AuthorYearRoundReferenceStyle,
        force=True,
    )


# --------------------------------------------------------------------------- environment
def _warm_matplotlib_font_cache() -> None:
    try:
        importlib.import_module("matplotlib.pyplot")  # builds the font cache on first import
    except ImportError:
        pass


def _use_this_checkout(app: Sphinx, config: Config) -> None:
    root = str(Path(app.srcdir).resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *parts])


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


def _missing_reference(
    app: Sphinx, env: BuildEnvironment, node: nodes.Element, contnode: nodes.Element
) -> nodes.Element | None:
    if node.get("refdomain") != "py":
        return None
    target = str(node.get("reftarget", ""))
    real = _real_name(target)
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
    _warm_matplotlib_font_cache()
    _register_round_bracket_style()
    app.connect("config-inited", _use_this_checkout)
    app.connect("config-inited", _check_mathjax_path)
    app.connect("missing-reference", _missing_reference)
    app.connect("build-finished", _copy_mathjax)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
