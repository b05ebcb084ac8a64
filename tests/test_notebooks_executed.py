"""Every chapter is stored fully executed, in order, without errors or stderr.

A notebook in the repository is what a reader downloads and what nbval compares against,
so it must be the output of one clean top-to-bottom run: execution counts 1, 2, 3, ...
with no gaps, no error and no stderr output. Re-run a chapter with
``jupyter nbconvert --to notebook --execute --inplace book/NN_name.ipynb`` (or "Restart
kernel and run all cells" in JupyterLab, then save).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import nbformat
import pytest

from conftest import BOOK_DIR, REPO_ROOT, TOC_PATH, toc_entries, toc_notebooks

NOTEBOOKS = toc_notebooks()

#: Cell tags that would hide a failure from the build or from nbval.
FORBIDDEN_TAGS = {"raises-exception", "remove-stderr", "skip-execution"}


def test_toc_parses_and_every_entry_exists() -> None:
    entries = toc_entries()
    assert entries, f"{TOC_PATH.name} lists no document"
    missing = [e.name for e in entries if e.path is None]
    assert not missing, f"{TOC_PATH.name} lists documents with no (or an ambiguous) file: {missing}"
    names = [e.name for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"{TOC_PATH.name} lists these documents twice: {duplicates}"
    print(f"{len(entries)} documents in the toc, {len(NOTEBOOKS)} of them notebooks")


def test_every_notebook_in_book_is_in_the_toc() -> None:
    listed = {path.resolve() for path in toc_notebooks()}
    stray = sorted(
        str(path.relative_to(REPO_ROOT))
        for path in BOOK_DIR.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts
        and "_build" not in path.parts
        and path.resolve() not in listed
    )
    assert not stray, f"notebooks in book/ that {TOC_PATH.name} does not list: {stray}"


def _problems(path: Path) -> list[str]:
    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nb = nbformat.read(path, as_version=4)
        try:
            nbformat.validate(nb)
        except nbformat.ValidationError as exc:
            problems.append(f"invalid notebook: {exc.message}")
    problems += [f"nbformat: {w.message}" for w in caught]

    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"metadata.kernelspec.name is {kernel!r}, expected 'python3'")

    # The chapters' first code cell installs the package where it is missing (Colab), and
    # says nothing where it is installed: nbval, in a venv with the wheel, holds it to that.
    first = next((cell for cell in nb.cells if cell.cell_type == "code"), None)
    if first is None or "%pip install" not in first.source or first.outputs:
        problems.append("the first code cell is not a silent `%pip install` of the package")

    expected = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        source = cell.source.strip()
        where = f"cell {index} ({source.splitlines()[0][:50]!r})" if source else f"cell {index}"
        if not source:
            problems.append(f"{where} is an empty code cell (it gets no execution count)")
            continue
        expected += 1
        if cell.execution_count != expected:
            problems.append(
                f"{where} has execution_count {cell.execution_count}, expected {expected}"
            )
        tags = set(cell.metadata.get("tags", []))
        if tags & FORBIDDEN_TAGS:
            problems.append(f"{where} has tags {sorted(tags & FORBIDDEN_TAGS)}")
        for output in cell.outputs:
            kind = output.get("output_type")
            if kind == "error":
                problems.append(f"{where} has an error output: {output.get('ename')}")
            elif kind == "stream" and output.get("name") == "stderr":
                text = "".join(output.get("text", ""))[:120]
                problems.append(f"{where} has a stderr output: {text!r}")
            elif kind == "execute_result" and output.get("execution_count") != cell.execution_count:
                problems.append(f"{where} has an execute_result from another run")
    return problems


@pytest.mark.parametrize(
    "notebook", NOTEBOOKS, ids=[str(p.relative_to(REPO_ROOT)) for p in NOTEBOOKS]
)
def test_notebook_is_stored_executed_in_order(notebook: Path) -> None:
    problems = _problems(notebook)
    assert not problems, f"{notebook.relative_to(REPO_ROOT)}:\n  " + "\n  ".join(problems)
