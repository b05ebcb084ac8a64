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

#: The kernel's Jupyter data folder once made, or why it could not be made.
_KERNEL: Path | str | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before nbval starts the first chapter's kernel (by the name ``--nbval-kernel-name``
    gives, looked up on Jupyter's path), build the venv (once for all xdist workers) and put
    its kernel on the path. A failure is kept: every later cell fails with it at once,
    instead of trying to build the venv again."""
    global _KERNEL
    if type(item).__name__ != "IPyNbCell":
        return
    if _KERNEL is None:
        fresh_venv = _fresh_venv()
        if item.config.getoption("nbval_kernel_name") != fresh_venv.CHAPTERS_KERNEL:
            return  # another kernel asked for on the command line
        try:
            data_dir = fresh_venv.chapters_kernel(item.config._tmp_path_factory)  # type: ignore[attr-defined]
        except Exception as error:
            _KERNEL = f"the chapters' venv could not be made: {error}"
            raise
        paths = [data_dir, *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
        os.environ["JUPYTER_PATH"] = os.pathsep.join(map(str, paths))
        _KERNEL = data_dir
    if isinstance(_KERNEL, str):
        pytest.fail(_KERNEL, pytrace=False)


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
