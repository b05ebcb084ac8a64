"""The kernel the chapters run in under nbval: a fresh venv with the package's wheel.

Here, at the root, because the chapters are in ``book/`` and the shared test code in
``tests/``: a conftest's hooks see only the tests of its own folder, and this one must run
before the first chapter, whichever folder pytest is given.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

_READY = False


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before nbval starts the first chapter's kernel (by the name ``--nbval-kernel-name``
    gives, looked up on Jupyter's path), build the venv (once for all xdist workers) and put
    its kernel on the path."""
    global _READY
    if _READY or type(item).__name__ != "IPyNbCell":
        return
    fresh_venv = _fresh_venv()
    if item.config.getoption("nbval_kernel_name") != fresh_venv.CHAPTERS_KERNEL:
        return  # another kernel asked for on the command line
    data_dir = fresh_venv.chapters_kernel(item.config._tmp_path_factory)  # type: ignore[attr-defined]
    paths = [str(data_dir), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(paths)
    _READY = True


def _fresh_venv() -> ModuleType:
    """``tests/_fresh_venv.py``, where the venv is made (the module the tests import)."""
    fresh_venv = sys.modules.get("_fresh_venv")
    if fresh_venv is None:
        spec = importlib.util.spec_from_file_location(
            "_fresh_venv", Path(__file__).parent / "tests" / "_fresh_venv.py"
        )
        assert spec is not None and spec.loader is not None
        fresh_venv = sys.modules["_fresh_venv"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(fresh_venv)
    return fresh_venv
