"""Small pickled doctrees, so that a rebuild with nothing changed takes seconds.

MyST parses an ``{eval-rst}`` block (every API page's ``automodule``) into a document of its
own that shares the page's settings, build environment included, and moves the nodes into the
page with that document still attached. Sphinx strips the environment from the page's own
settings before pickling it, not from the other document's: each API page's doctree carried a
copy of the whole environment (3-5 MB each), and reading them back for figure numbers was most
of a no-change rebuild (11 of 16 s). Re-attaching the nodes to the page fixes both.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx


def _attach_to_page(app: Sphinx, doctree: nodes.document) -> None:
    for node in doctree.findall():
        if getattr(node, "_document", None) not in (None, doctree):
            node.document = doctree


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", _attach_to_page)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
