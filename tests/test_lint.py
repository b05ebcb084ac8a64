"""The code is clean: ruff finds nothing and mypy (strict) type-checks the package; and the
suite is run as configured: its longest files are handed out first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _fresh_venv import pyproject

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_finds_no_problems() -> None:
    # Without its cache: ruff keeps an unchanged file's result, but whether an import is the
    # project's own can change with another file (a new conftest.py at the root did).
    result = _run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_the_package() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_longest_test_files_are_handed_out_first(request: pytest.FixtureRequest) -> None:
    # The root conftest.py, as pytest loaded it (its hook orders the collection).
    root_conftest = request.config.pluginmanager.get_plugin(str(ROOT / "conftest.py"))
    long_first = root_conftest.LONG_FIRST
    assert all((ROOT / name).is_file() for name in long_first), long_first
    options = pyproject()["tool"]["pytest"]["ini_options"]["addopts"]
    assert "--no-loadscope-reorder" in options
    assert options[options.index("--dist") + 1] == "loadfile"
    files = list(dict.fromkeys(item.nodeid.split("::")[0] for item in request.session.items))
    if set(long_first) <= set(files):  # all of them were collected: they lead
        assert files[: len(long_first)] == list(long_first)


def test_reading_a_notebook_compiles_no_iri_grammar() -> None:
    # requirements.txt pins jsonschema 4.24.1: from 4.25, jsonschema imports rfc3987-syntax
    # when it is installed, and that import compiles an Earley grammar (1.6 s) in every process
    # that imports nbformat: the suite's workers, the book's builds, nbgrader's and otter's
    # commands, over a dozen processes in all.
    code = "import sys, nbformat, nbclient; print('rfc3987_syntax' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "False", "jsonschema imports rfc3987_syntax: reinstall requirements.txt"
