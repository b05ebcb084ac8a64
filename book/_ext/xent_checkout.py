"""The book documents and runs this checkout's xent, whatever else is installed.

* autodoc imports ``xent`` in the build process: the repository root goes first on
  ``sys.path``.
* The chapters run in Jupyter kernels that the build starts: the repository root goes first
  on the ``PYTHONPATH`` of those kernels only. The build's own environment is left as it is;
  the path is added by the kernel provisioner's ``_finalize_env`` hook, which every kernel
  started from this process passes through.
* matplotlib's font cache is warmed before any kernel runs: on a machine that never ran
  matplotlib, its first import logs "Matplotlib is building the font cache" to stderr, which
  in a notebook is a stderr output and fails the build (``nb_output_stderr: error``).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

#: The directory put first on the kernels' PYTHONPATH (set when the configuration is read).
_KERNEL_PATH: list[str] = []


def _kernel_env(env: dict[str, str]) -> None:
    """Put this checkout first on ``env['PYTHONPATH']`` (the environment of one kernel)."""
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    for root in reversed(_KERNEL_PATH):
        if root not in parts:
            parts.insert(0, root)
    if parts:
        env["PYTHONPATH"] = os.pathsep.join(parts)


def _patch_kernel_provisioner() -> None:
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    original = LocalProvisioner._finalize_env
    if getattr(original, "_xent_checkout", False):
        return

    def _finalize_env(self: LocalProvisioner, env: dict[str, str]) -> None:
        original(self, env)
        _kernel_env(env)

    _finalize_env._xent_checkout = True  # type: ignore[attr-defined]
    LocalProvisioner._finalize_env = _finalize_env  # type: ignore[method-assign]


def _use_this_checkout(app: Sphinx, config: Config) -> None:
    root = str(Path(app.srcdir).resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    _KERNEL_PATH[:] = [root]


def warm_matplotlib_font_cache() -> None:
    try:
        importlib.import_module("matplotlib.pyplot")  # builds the font cache on first import
    except ImportError:
        pass


def setup(app: Sphinx) -> dict[str, Any]:
    warm_matplotlib_font_cache()
    _patch_kernel_provisioner()
    app.connect("config-inited", _use_this_checkout)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
