"""Local Sphinx extensions of the xent course (``xent_book`` in ``_config.yml``).

The stock Jupyter Book build lacks a few things; each lives in a module of its own in this
folder, and this one only loads them:

* :mod:`xent_checkout`: the book documents and runs this checkout's ``xent`` (``sys.path``
  for autodoc, ``PYTHONPATH`` for the chapters' kernels only) and warms matplotlib's font
  cache before any kernel runs.
* :mod:`xent_mathjax`: MathJax 3 served by the site itself, only the files it uses.
* :mod:`xent_citations`: author-year citations in the text and in the bibliography, and the
  API's docstring references turned into citations.
* :mod:`xent_references`: ``xent.entropy`` resolves to ``xent.information.entropy``; numpy,
  scipy, sympy and matplotlib names in signatures become links or plain text.
* :mod:`xent_layout`: phones, print, the dark-mode switch and the icons (without the
  theme's 1.4 MB fontawesome.js).
* :mod:`xent_doctrees`: API pages' doctrees without a copy of the build environment.
* :mod:`xent_pdf`: LaTeX passes that write no PDF, and one conversion at the end.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

EXTENSIONS = (
    "xent_checkout",
    "xent_mathjax",
    "xent_citations",
    "xent_references",
    "xent_layout",
    "xent_doctrees",
    "xent_pdf",
)


def setup(app: Sphinx) -> dict[str, Any]:
    for name in EXTENSIONS:
        app.setup_extension(name)
    return {"version": "2.0", "parallel_read_safe": True, "parallel_write_safe": True}
