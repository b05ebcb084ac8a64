"""Offline MathJax: the site serves MathJax 3 itself, and only the files it uses.

Sphinx loads MathJax from a CDN by default, so a reader without network (or a test without
network) sees raw TeX. The ``django-static-mathjax`` wheel on PyPI carries MathJax 3's
``es5/`` build (24 MB, every component) under ``mathjax/static/mathjax/``; after an HTML build
this extension copies the part the site uses to ``<html>/mathjax/`` (outside ``_static``:
Jupyter Book adds every ``.js`` under ``_static`` to every page):

* ``tex-chtml.js``: the TeX input, the CommonHTML output and the context menu, in one file
  (``mathjax_path`` in ``_config.yml`` names it, ``../mathjax/tex-chtml.js``, relative to
  ``_static``);
* ``output/chtml/fonts/woff-v2``: the fonts that output draws with;
* ``input/tex/extensions``: the TeX packages MathJax loads on demand (``\\boldsymbol``,
  ``\\cancel``, ...);
* ``ui``, ``a11y`` and ``sre``: what the context menu's accessibility items load when a reader
  turns them on.

A network ``mathjax_path`` is reported as a warning (an error under ``-W``).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Where the MathJax files are copied, relative to the HTML output directory.
MATHJAX_DIR = "mathjax"
#: The parts of MathJax's es5 build that the site uses (files and directories).
SHIPPED = (
    "tex-chtml.js",
    "output/chtml/fonts/woff-v2",
    "input/tex/extensions",
    "ui",
    "a11y",
    "sre",
)
_MATHJAX_PACKAGE = "mathjax"  # import name of the django-static-mathjax wheel
_MATHJAX_ES5 = ("static", "mathjax", "es5")


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
        if entry not in SHIPPED or not (mathjax_es5_dir() / entry).is_file():
            logger.warning(
                "mathjax_path %s names %s, which is not among the MathJax files the site "
                "ships (%s)",
                path,
                entry,
                ", ".join(SHIPPED),
                type="xent_book",
                subtype="mathjax",
            )


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if app.builder is None or app.builder.format != "html":
        return
    es5 = mathjax_es5_dir()
    target = Path(app.outdir) / MATHJAX_DIR
    stamp = target / ".xent-mathjax-version"
    version = f"{_mathjax_version(es5)} {es5} {' '.join(SHIPPED)}"
    if stamp.is_file() and stamp.read_text(encoding="utf8") == version:
        return
    if target.exists():
        shutil.rmtree(target)
    for entry in SHIPPED:
        source, copy = es5 / entry, target / entry
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, copy)
        else:
            shutil.copy2(source, copy)
    licence = es5.parent / "LICENSE"
    if licence.is_file():
        shutil.copy2(licence, target / "LICENSE")
    stamp.write_text(version, encoding="utf8")
    logger.info("copied MathJax %s (%s) to %s", _mathjax_version(es5), ", ".join(SHIPPED), target)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _check_mathjax_path)
    app.connect("build-finished", _copy_mathjax)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
