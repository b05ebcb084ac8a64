"""Shared fixtures: the table of contents, and one build of the book per test session."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

# The scripts that made the stored reference data (tests/data/make_*.py) are not tests, and one
# of them imports torch, which the suite must not need: --doctest-modules would import them.
collect_ignore_glob = ["data/make_*.py"]

REPO_ROOT = Path(__file__).resolve().parent.parent
TOC_PATH = REPO_ROOT / "_toc.yml"
BOOK_DIR = REPO_ROOT / "book"

#: The build the website gets: warnings are errors, references are nitpicky, and every
#: warning is listed before the build fails.
BUILD_ARGS = ("build", ".", "-W", "-n", "--keep-going")

#: Where the session's build goes. Unset: a fresh directory per test run, as on a fresh
#: clone. Set it to a directory to keep the build between runs while working on a chapter.
BUILD_DIR_ENV = "XENT_BOOK_BUILD_DIR"
BUILD_TIMEOUT_SECONDS = 3600


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "book: builds the Jupyter Book once per session (slow)"
    )
    _warm_matplotlib_font_cache()


def _warm_matplotlib_font_cache() -> None:
    """Import matplotlib once before any notebook kernel starts.

    On a machine that never ran matplotlib, its first import writes "Matplotlib is building
    the font cache" to stderr; inside a notebook that is a stderr output, which fails the
    book build and a strict nbval comparison.
    """
    try:
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        pass


# --------------------------------------------------------------------------- table of contents
_SUFFIXES = (".ipynb", ".md", ".rst")


@dataclass(frozen=True)
class TocEntry:
    """One document listed in ``_toc.yml``: as written there, and the file it names."""

    name: str
    path: Path | None  # None when no file matches


def load_toc() -> dict[str, Any]:
    import yaml

    with TOC_PATH.open(encoding="utf8") as handle:
        toc = yaml.safe_load(handle)
    if not isinstance(toc, dict):
        raise ValueError(f"{TOC_PATH.name} is not a mapping")
    return toc


def _collect_names(node: Any, names: list[str], globs: list[str]) -> None:
    if isinstance(node, dict):
        for key in ("root", "file"):
            if isinstance(node.get(key), str):
                names.append(node[key])
        if isinstance(node.get("glob"), str):
            globs.append(node["glob"])
        for value in node.values():
            if isinstance(value, (dict, list)):
                _collect_names(value, names, globs)
    elif isinstance(node, list):
        for item in node:
            _collect_names(item, names, globs)


def _resolve(name: str) -> Path | None:
    candidate = REPO_ROOT / name
    if candidate.suffix in _SUFFIXES:
        return candidate if candidate.is_file() else None
    matches = [
        candidate.with_name(candidate.name + s)
        for s in _SUFFIXES
        if candidate.with_name(candidate.name + s).is_file()
    ]
    return matches[0] if len(matches) == 1 else None


def toc_entries() -> list[TocEntry]:
    """Every document of ``_toc.yml`` in reading order (the root first).

    Raises:
        ValueError: if the toc uses ``glob`` entries, which this repository does not allow
            (every chapter is listed by name).
    """
    names: list[str] = []
    globs: list[str] = []
    _collect_names(load_toc(), names, globs)
    if globs:
        raise ValueError(f"_toc.yml uses glob entries {globs}; list every file by name")
    return [TocEntry(name, _resolve(name)) for name in names]


def toc_notebooks() -> list[Path]:
    """The notebooks listed in ``_toc.yml``, in reading order."""
    return [e.path for e in toc_entries() if e.path is not None and e.path.suffix == ".ipynb"]


# --------------------------------------------------------------------------- the book build
@dataclass(frozen=True)
class BookBuild:
    """The outcome of ``jupyter-book build . -W -n --keep-going``."""

    returncode: int
    log_path: str
    output_dir: str
    seconds: float

    @property
    def html(self) -> Path:
        return Path(self.output_dir) / "_build" / "html"

    @property
    def log(self) -> str:
        return Path(self.log_path).read_text(encoding="utf8", errors="replace")


def _run_build(output_dir: Path, log_path: Path, *, reused: bool) -> BookBuild:
    output_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-c",
        "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
        *BUILD_ARGS,
        "--path-output",
        str(output_dir),
    ]
    if reused:
        # An incremental Sphinx build does not repeat the warnings of unchanged pages;
        # --all re-reads every page.
        command.append("--all")
    start = time.perf_counter()
    with log_path.open("w", encoding="utf8") as log:
        log.write("$ jupyter-book " + " ".join(command[3:]) + "\n")
        log.flush()
        completed = subprocess.run(
            command,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=False,
        )
    return BookBuild(
        returncode=completed.returncode,
        log_path=str(log_path),
        output_dir=str(output_dir),
        seconds=time.perf_counter() - start,
    )


def _session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by every pytest-xdist worker of this run (and only this run)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BookBuild]:
    """Build the book once per test session, whatever the number of xdist workers.

    The first worker to take the lock builds and writes a marker file; the others wait on
    the lock and read the marker.
    """
    from filelock import FileLock

    shared = _session_dir(tmp_path_factory)
    marker = shared / "xent-book-build.json"
    with FileLock(str(shared / "xent-book-build.lock")):
        if marker.is_file():
            build = BookBuild(**json.loads(marker.read_text(encoding="utf8")))
        else:
            override = os.environ.get(BUILD_DIR_ENV)
            output_dir = Path(override).resolve() if override else shared / "book"
            build = _run_build(output_dir, shared / "xent-book-build.log", reused=bool(override))
            marker.write_text(json.dumps(asdict(build)), encoding="utf8")
    yield build


_PROBLEM = re.compile(r"\b(WARNING|ERROR|CRITICAL|SEVERE):|Traceback|Exception")


def build_problems(log: str) -> str:
    """The warning and error lines of a build log, for an assertion message."""
    lines = [line for line in log.splitlines() if _PROBLEM.search(line)]
    tail = "\n".join(log.splitlines()[-30:])
    return "\n".join(lines[:200]) + "\n--- last lines of the build log ---\n" + tail
