"""The package installs like one: the wheel holds every module, and they all import from it.

The editable install of ``requirements.txt`` reads the checkout, so it cannot show a module
missing from the wheel; these tests build the wheel, install it into a plain virtual
environment that has only the pinned numerics (numpy, SciPy, SymPy, mpmath, matplotlib), and
import every module found in ``xent/`` from there. The chapters run under nbval in a kernel
of a second such environment, with all of Binder's pins (``_fresh_venv.chapters_kernel``).
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from _fresh_venv import (
    CHAPTERS_KERNEL,
    KERNEL_LOGS,
    REPO_ROOT,
    chapters_kernel,
    clean_env,
    distribution_name,
    fresh_venv,
    module_names,
    pyproject,
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


def test_nbval_runs_the_chapters_in_the_kernel_of_the_wheel() -> None:
    options = pyproject()["tool"]["pytest"]["ini_options"]["addopts"]
    assert f"--nbval-kernel-name={CHAPTERS_KERNEL}" in options
    assert not any(o in options for o in ("--nbval-current-env", "--current-env", "--nbval-lax"))


# nbclient leaves a few ZeroMQ sockets of the finished kernel to the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_the_chapters_kernel_imports_xent_from_the_wheel_where_nbval_starts_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    data_dir = chapters_kernel(tmp_path_factory)
    specs = KernelSpecManager(kernel_dirs=[str(data_dir / "kernels")])
    manager = KernelManager(kernel_name=CHAPTERS_KERNEL, kernel_spec_manager=specs)
    # nbval starts a chapter's kernel in the chapter's folder, inside the checkout.
    manager.start_kernel(cwd=str(REPO_ROOT / "book"))
    client = manager.client()
    client.start_channels()
    printed: list[str] = []
    try:
        client.wait_for_ready(timeout=120)
        reply = client.execute_interactive(
            "import importlib.util, sys, xent\n"
            "print(xent.__file__)\n"
            "print(importlib.util.find_spec('numba') is None, sys.flags.dont_write_bytecode)",
            timeout=120,
            output_hook=lambda msg: printed.append(msg["content"].get("text", "")),
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok", reply["content"]
    location, no_numba, no_cache = "".join(printed).split()
    assert "site-packages" in location and not location.startswith(str(REPO_ROOT)), location
    # Binder's pins have no numba: the chapters' numbers come from the numpy formulas. And
    # the kernel caches compiled modules, or each chapter would compile SciPy and SymPy again.
    assert (no_numba, no_cache) == ("True", "0")
    # Its stderr, which nbval discards, is kept in a file of its own (for a failing report).
    log = data_dir / KERNEL_LOGS / (Path(manager.connection_file).name + ".log")
    assert log.is_file(), sorted((data_dir / KERNEL_LOGS).iterdir())


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
