"""The package installs like one: the wheel holds every module, and they all import from it.

The editable install of ``requirements.txt`` reads the checkout, so it cannot show a module
missing from the wheel; these tests build the wheel, install it into a plain virtual
environment that has only the pinned numerics (numpy, SciPy, SymPy, mpmath, matplotlib), and
import every module found in ``xent/`` from there.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from _fresh_venv import (
    REPO_ROOT,
    clean_env,
    distribution_name,
    fresh_venv,
    module_names,
    wheel,
    wheel_sources,
)

#: Third-party packages the package uses only when they are installed: a module that needs
#: one (``xent._rows_numba``) is shipped, and imported only where it is present.
OPTIONAL_IMPORTS = {"numba", "llvmlite"}


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wheel(tmp_path_factory)


@pytest.fixture(scope="session")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_venv(tmp_path_factory, "venv-numerics")


def test_the_distribution_name_is_ours_not_the_unrelated_xent_on_pypi() -> None:
    # `xent` on the public index is an unrelated project (an LLM benchmarking system).
    assert distribution_name() == "xent-course"


def test_the_wheel_holds_every_module_and_data_file_of_the_source_tree(built_wheel: Path) -> None:
    with zipfile.ZipFile(built_wheel) as archive:
        shipped = set(archive.namelist())
    root = wheel_sources(built_wheel)
    sources = {
        path.relative_to(root).as_posix()
        for path in (root / "xent").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    missing = sorted(sources - shipped)
    assert not missing, f"not in {built_wheel.name}: {missing}"
    assert "xent/py.typed" in shipped
    assert "xent/coursework/exercises/ch01.py" in shipped


def test_every_module_imports_from_the_installed_wheel(
    venv_python: Path, built_wheel: Path, tmp_path: Path
) -> None:
    names = module_names(wheel_sources(built_wheel))
    assert {"xent", "xent.coursework", "xent.coursework.exercises"} <= set(names)
    code = (
        "import importlib, importlib.metadata, sys\n"
        f"names = {names!r}\n"
        "for name in names:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ModuleNotFoundError as error:\n"
        f"        if (error.name or '').split('.')[0] not in {sorted(OPTIONAL_IMPORTS)!r}:\n"
        "            raise\n"
        "import xent\n"
        "print(xent.__file__)\n"
        f"print(importlib.metadata.version({distribution_name()!r}))\n"
    )
    # Run outside the checkout, so that `import xent` can only find the installed copy.
    result = subprocess.run(
        [str(venv_python), "-c", code], cwd=tmp_path, env=clean_env(),
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    location, version = result.stdout.split()
    assert "site-packages" in location and not location.startswith(str(REPO_ROOT))
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", version)


def test_the_command_line_runs_from_the_installed_wheel(venv_python: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(venv_python), "-m", "xent", "--help"], cwd=tmp_path, env=clean_env(),
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "student-edition" in result.stdout and "grade" in result.stdout


# Where an install is written for readers: each `pip install` names the distribution, never
# the bare `xent` of the public index.
INSTALL_DOCS = sorted(
    {"README.md", "CONTRIBUTING.md"}
    | {
        path.relative_to(REPO_ROOT).as_posix()
        for path in (REPO_ROOT / "book").rglob("*.md")
        if not {"_build", ".ipynb_checkpoints"} & set(path.parts)
    }
    | {path.relative_to(REPO_ROOT).as_posix() for path in (REPO_ROOT / "book").glob("*.ipynb")}
)


@pytest.mark.parametrize("relative", INSTALL_DOCS)
def test_written_installs_name_our_distribution(relative: str) -> None:
    path = REPO_ROOT / relative
    if not path.exists():
        pytest.skip(f"{relative} does not exist")
    text = path.read_text(encoding="utf8")
    wrong = re.findall(r"pip install[^\n`#]*?[\s\"'](xent(?:\[[^\]]*\])?)(?=[\s\"'`]|$)", text)
    assert not wrong, f"{relative}: `pip install {wrong[0]}` installs an unrelated project"
