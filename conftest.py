"""The kernel the chapters run in under nbval (a fresh venv with the package's wheel), and
the order in which the two xdist workers are handed the test files.

Here, at the root, because the chapters are in ``book/`` and the shared test code in
``tests/``: a conftest's hooks see only the tests of its own folder, and these must see every
test, whichever folder pytest is given.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

#: Byte code is cached, as Python does by default, even where PYTHONDONTWRITEBYTECODE is set
#: (some machines set it): with it, nothing was cached, so each xdist worker rewrote the
#: asserts of every test module and compiled the package afresh, and so did every process the
#: tests start (a worker's collection took 11 s instead of 6). Set here, before the workers
#: start, so that they and every subprocess inherit it; the caches go to ``__pycache__``
#: folders, which git ignores. The grader's sandbox and the chapters' venv set their own.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

#: The files that run longest (a minute or more of end-to-end work each), handed out first and
#: in this order, so that the workers' last files are short ones and they finish together.
#: pyproject's ``--no-loadscope-reorder`` keeps the order: by default xdist hands out the files
#: with the most tests first, which put these last and left one core idle for the final half
#: minute. The wheel's tests come early because they make the chapters' venv while the other
#: worker is busy, so no worker waits for it at the first chapter.
LONG_FIRST = (
    "tests/test_grader.py",
    "tests/test_pdf.py",
    "tests/test_exports.py",
    "tests/test_wheel.py",
    "tests/test_browser.py",
    "tests/test_coursework.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the files of ``LONG_FIRST`` first; every other test keeps its place (stable sort,
    so a chapter's cells stay in order)."""
    rank = {name: index for index, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A chapter's failing cell reports what the newest chapters' kernels wrote to stderr
    (nbval itself discards it): the only trace of a kernel that died as it started."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if not (report.failed and type(item).__name__ == "IPyNbCell" and isinstance(_KERNEL, Path)):
        return
    logs = sorted((_KERNEL / _fresh_venv().KERNEL_LOGS).glob("*.log"), key=os.path.getmtime)
    text = "\n".join(
        f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in logs[-3:]
    )
    if text.strip():
        report.sections.append(("stderr of the newest chapters' kernels", text))


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
