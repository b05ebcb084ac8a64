"""The package as a reader gets it: a built wheel, installed into a fresh virtual environment.

Used by ``tests/test_wheel.py`` (the wheel holds and imports every module) and by the
chapters under nbval, whose kernel runs in such an environment (:func:`chapters_kernel`):
every chapter reproduces its stored outputs on the runtime requirements alone.

The wheel is built from a copy of the sources (``pyproject.toml``, ``README.md``, ``LICENSE``
and ``xent/``), so a stale ``build/`` folder in the checkout can never slip an old module into
it. The environments are plain ``python -m venv`` ones (no system site-packages) with exact
pins: the numerics of ``binder/requirements.txt``, plus ``ipykernel`` for the chapters.

Each is built once per test session, under pytest's temporary directory: with pytest-xdist the
workers share one copy, built by whichever worker gets there first (a file lock).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import tomllib

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = REPO_ROOT / "xent"
BINDER_REQUIREMENTS = REPO_ROOT / "binder" / "requirements.txt"
DEV_REQUIREMENTS = REPO_ROOT / "requirements.txt"

#: The numerics the package and the chapters import, as pinned for Binder.
NUMERIC_STACK = ("numpy", "scipy", "sympy", "mpmath", "matplotlib")

PIP_TIMEOUT_SECONDS = 900


def pyproject() -> dict[str, Any]:
    """``pyproject.toml``, parsed."""
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf8"))


def distribution_name() -> str:
    """The distribution name in ``pyproject.toml`` (what ``pip install`` is given)."""
    name = pyproject()["project"]["name"]
    assert isinstance(name, str)
    return name


def pinned(requirements: Path) -> dict[str, str]:
    """``{name: "name==version"}`` for every exact pin of a requirements file."""
    pins: dict[str, str] = {}
    for line in requirements.read_text(encoding="utf8").splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s#;]+)", line)
        if match:
            pins[match.group(1).lower()] = f"{match.group(1)}=={match.group(2)}"
    return pins


def module_names(root: Path = REPO_ROOT) -> list[str]:
    """Every module of the source tree under ``root``, by walking ``xent/`` for ``.py`` files."""
    names = []
    for path in sorted((root / "xent").rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def _session_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by the xdist workers of this session (the basetemp without them)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _run(command: Sequence[str | os.PathLike[str]], **kwargs: object) -> None:
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True,
        timeout=PIP_TIMEOUT_SECONDS, check=False, **kwargs,  # type: ignore[call-overload]
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )


def _once(root: Path, name: str, build: object) -> Path:
    """Run ``build(target)`` once per session for ``root / name``; return the target."""
    from filelock import FileLock

    target = root / name
    done = root / f"{name}.done"
    with FileLock(str(root / f"{name}.lock")):
        if not done.exists():
            if target.exists():
                shutil.rmtree(target)
            build(target)  # type: ignore[operator]
            done.touch()
    return target


def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built from a clean copy of its sources."""

    def build(target: Path) -> None:
        source = target / "src"
        source.mkdir(parents=True)
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy2(REPO_ROOT / name, source / name)
        shutil.copytree(
            PACKAGE_DIR, source / "xent", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        _run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--quiet", ".", "-w", target / "dist"],
            cwd=source,
        )

    dist = _once(_session_root(tmp_path_factory), "xent-wheel", build) / "dist"
    (found,) = sorted(dist.glob("*.whl"))
    return found


def wheel_sources(built: Path) -> Path:
    """The copy of the sources ``built`` was made from (the checkout may have moved on since)."""
    return built.parent.parent / "src"


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def fresh_venv(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    *,
    all_of_binder: bool = False,
    extra: Sequence[str] = (),
) -> Path:
    """A plain venv with the wheel and pinned requirements; its python.

    The requirements are the numerics (:data:`NUMERIC_STACK`), or with ``all_of_binder``
    everything ``binder/requirements.txt`` pins, plus the ``extra`` packages at the version
    ``requirements.txt`` pins.
    """
    runtime = pinned(BINDER_REQUIREMENTS)
    dev = pinned(DEV_REQUIREMENTS)
    requirements = list(runtime.values()) if all_of_binder else [
        runtime[package] for package in NUMERIC_STACK
    ]
    requirements += [dev[package.lower()] for package in extra]
    built = wheel(tmp_path_factory)

    def build(target: Path) -> None:
        # No pip of its own (installing one is a quarter of the time): this Python's pip
        # installs into it, in one call, the pins and the wheel (whose own requirements the
        # pins meet). --no-compile: byte-compiling all of SymPy and SciPy up front is most
        # of an install; the modules a test imports are compiled when imported.
        _run([sys.executable, "-m", "venv", "--without-pip", target])
        env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        _run(
            [sys.executable, "-m", "pip", "--python", venv_python(target), "install",
             "--quiet", "--no-compile", *requirements, built],
            env=env,
        )

    return venv_python(_once(_session_root(tmp_path_factory), name, build))


#: Left out of a fresh venv's processes: a path into the checkout, and the switch that stops
#: Python from caching compiled modules (set on some machines, this one included). The venv is
#: installed with --no-compile, so without a cache every kernel compiled SymPy, SciPy and
#: matplotlib again: 3.3 s of imports per chapter instead of 0.7.
UNCLEAN = ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")


def clean_env() -> dict[str, str]:
    """The environment for a process of a fresh venv: nothing that points into the checkout."""
    env = {key: value for key, value in os.environ.items() if key not in UNCLEAN}
    env["PYTHONNOUSERSITE"] = "1"
    return env


#: The kernel the chapters run in under nbval (``--nbval-kernel-name`` in ``pyproject.toml``).
CHAPTERS_KERNEL = "xent-wheel"
#: The folder of the chapters' kernels' stderr, one file per kernel, in the kernel's data folder.
KERNEL_LOGS = "kernel-logs"


def chapters_kernel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Jupyter data directory whose kernel :data:`CHAPTERS_KERNEL` runs a fresh venv.

    The venv has what Binder has (every pin of ``binder/requirements.txt``), ``ipykernel``
    to run notebooks, and the package from its wheel: nothing of the development toolchain
    (myst-nb, jupyter-book, numba, the editable install) can be what makes a chapter work
    or what prints its numbers. Its kernel imports ``xent`` from the wheel even when started
    in ``book/``: the checkout is not on its path (asserted here, once).
    """
    python = fresh_venv(
        tmp_path_factory, "venv-chapters", all_of_binder=True, extra=("ipykernel",)
    )

    def build(target: Path) -> None:
        spec_dir = target / "kernels" / CHAPTERS_KERNEL
        spec_dir.mkdir(parents=True)
        # A kernel inherits the environment of whoever starts it (nbval, in the checkout):
        # an empty value unsets a PYTHON* variable for Python.
        env = {"PYTHONNOUSERSITE": "1", **{key: "" for key in UNCLEAN}}
        # nbval sends a kernel's stderr to /dev/null; each kernel keeps its own in a file of
        # KERNEL_LOGS instead, so that a kernel that dies as it starts says why (conftest.py
        # adds the newest logs to a failing chapter's report).
        logs = target / KERNEL_LOGS
        logs.mkdir()
        launcher = (
            "import os, runpy, sys\n"
            f"log = os.path.join({str(logs)!r}, os.path.basename(sys.argv[1]) + '.log')\n"
            "os.dup2(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644), 2)\n"
            "sys.argv = ['ipykernel_launcher', '-f', sys.argv[1]]\n"
            "runpy.run_module('ipykernel_launcher', run_name='__main__', alter_sys=True)\n"
        )
        spec = {
            "argv": [str(python), "-c", launcher, "{connection_file}"],
            "display_name": "xent from its wheel",
            "language": "python",
            "env": env,
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf8")
        # Where the chapters run, before any of them does: matplotlib's first import in a
        # new environment builds its font cache and says so on stderr, which nbval would
        # count as an output of the chapter. The modules most chapters import are compiled
        # here once, not by the first kernel of each xdist worker at the same time.
        warm = "import matplotlib.pyplot, sympy, xent, xent.coursework, xent.symbolic"
        found = subprocess.run(
            [str(python), "-c", f"{warm}; print(xent.__file__)"],
            cwd=REPO_ROOT / "book", env={**clean_env(), **env}, capture_output=True,
            text=True, timeout=PIP_TIMEOUT_SECONDS, check=True,
        ).stdout.strip()
        if "site-packages" not in found or found.startswith(str(REPO_ROOT)):
            raise RuntimeError(f"the chapters' kernel imports xent from {found}, not the wheel")

    return _once(_session_root(tmp_path_factory), "jupyter-data", build)
