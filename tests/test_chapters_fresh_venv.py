"""Every chapter runs, top to bottom, where a reader runs it: on the package's wheel alone.

A plain virtual environment gets only what Binder gets (the pins of
``binder/requirements.txt``), ``ipykernel`` to run notebooks, and the package installed from
its wheel, not from the checkout. Each chapter is then executed with nbclient in a kernel of
that environment, from a copy of ``book/`` (its data files included), so that nothing of the
development toolchain (myst-nb, jupyter-book, an editable install) can be what makes a
chapter work. The chapters' stored outputs are checked by nbval elsewhere; here they only
have to run without an error, with the installed ``xent``, and with the install cell silent.

Measured on the idle two-core machine: about 90 s for the thirteen chapters, of which 20 s
build the environment (once per session); 5-7 s per chapter, the first one 10 s, as its kernel
compiles the modules the later ones find cached.
"""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path

import pytest
from _fresh_venv import REPO_ROOT, UNCLEAN, clean_env, fresh_venv

BOOK_DIR = REPO_ROOT / "book"
#: Chapters still being written in parallel, which do not follow these rules yet: expected to
#: fail here until they do (then take them out of this set).
PENDING: set[str] = set()
CHAPTERS = [
    pytest.param(
        path,
        marks=[pytest.mark.xfail(reason="chapter still being written", run=False)]
        if path.stem in PENDING else [],
        id=path.stem,
    )
    for path in sorted(BOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
]
CELL_TIMEOUT_SECONDS = 600
KERNEL_NAME = "xent-fresh-venv"


@pytest.fixture(scope="session")
def kernel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Jupyter data directory whose only kernel runs the fresh environment's Python."""
    python = fresh_venv(
        tmp_path_factory, "venv-chapters", all_of_binder=True, extra=("ipykernel",)
    )
    data_dir = tmp_path_factory.mktemp("jupyter-data")
    spec_dir = data_dir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "xent from its wheel",
        "language": "python",
        "env": {"PYTHONNOUSERSITE": "1"},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf8")
    return data_dir


# nbclient leaves a few ZeroMQ sockets of the finished kernel to the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_in_a_fresh_venv_with_the_wheel(
    chapter: Path, kernel_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    # A copy of book/ (chapters and data), outside the checkout: `import xent` can only
    # find the installed wheel.
    work = tmp_path / "book"
    shutil.copytree(
        BOOK_DIR, work,
        ignore=shutil.ignore_patterns("_build", "_ext", ".ipynb_checkpoints", "*.md"),
    )
    for key, value in clean_env().items():
        monkeypatch.setenv(key, value)
    for key in UNCLEAN:
        monkeypatch.delenv(key, raising=False)

    notebook = nbformat.read(work / chapter.name, as_version=4)
    notebook.cells.append(
        nbformat.v4.new_code_cell("import xent\nprint(xent.__file__)")
    )
    specs = KernelSpecManager(kernel_dirs=[str(kernel_dir / "kernels")])
    assert KERNEL_NAME in specs.find_kernel_specs()
    client = NotebookClient(
        notebook,
        km=KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs),
        timeout=CELL_TIMEOUT_SECONDS,
        resources={"metadata": {"path": str(work)}},
        allow_errors=False,
    )
    try:
        client.execute()
    finally:
        # Collect the kernel's sockets here, where their ResourceWarning is ignored, not in
        # whichever test the garbage collector happens to run next.
        del client
        gc.collect()

    first_code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert "%pip install" in first_code.source
    assert first_code.outputs == [], "the install cell ran: xent was not importable"
    location = "".join(
        output.get("text", "") for output in notebook.cells[-1].outputs
    ).strip()
    assert "site-packages" in location and not location.startswith(str(REPO_ROOT)), location
