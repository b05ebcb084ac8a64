"""The PDF of the whole book: one command, named after the course, nothing left undefined.

``jupyter-book build . --builder pdflatex`` (the command the README gives) is run into the
output folder of the session's website build, whose environment it reuses (its log says
``updating environment: 0 added, 0 changed, 0 removed``). It writes the LaTeX and runs xelatex
three times without writing a PDF, then converts the last pass (``book/_ext/xent_pdf.py``).
It needs TeX (scripts/install-system-packages.sh
installs it; Jupyter Book runs xelatex); without it the test is skipped locally and fails in CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT, BookBuild, toc_notebooks

pytestmark = pytest.mark.book

PDF_NAME = "cross-entropy-derived-and-checked"
#: The book has thirteen chapters, exercises, solutions and an API reference: far more pages.
MIN_PAGES = 150
_UNDEFINED = re.compile(
    r"(Reference|Citation) `[^']*' on page \d+ undefined|There were undefined references"
    r"|Label\(s\) may have changed"
)


def _chapter_titles() -> list[str]:
    titles = []
    for notebook in toc_notebooks():
        cells = json.loads(notebook.read_text(encoding="utf8"))["cells"]
        for cell in cells:
            if cell["cell_type"] != "markdown":
                continue
            heading = re.search(r"^# (.+)$", "".join(cell["source"]), re.MULTILINE)
            if heading:
                titles.append(heading.group(1).strip())
                break
    return titles


@pytest.fixture(scope="module")
def pdf(built_book: BookBuild) -> Path:
    if shutil.which("xelatex") is None or shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI must install TeX (see scripts/install-system-packages.sh)")
        pytest.skip("xelatex/pdftotext are not installed (scripts/install-system-packages.sh)")
    assert built_book.returncode == 0, "the website did not build"
    output = Path(built_book.output_dir)
    log = output / "xent-pdf-build.log"
    start = time.perf_counter()
    with log.open("w", encoding="utf8") as stream:
        completed = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
                "build",
                ".",
                "--builder",
                "pdflatex",
                "--path-output",
                str(output),
            ],
            cwd=REPO_ROOT,
            stdout=stream,
            stderr=subprocess.STDOUT,
            timeout=3600,
            check=False,
        )
    print(f"PDF built in {time.perf_counter() - start:.0f} s")
    text = log.read_text(encoding="utf8", errors="replace")
    assert completed.returncode == 0, f"the PDF build failed:\n{text[-4000:]}"
    path = output / "_build" / "latex" / f"{PDF_NAME}.pdf"
    assert path.is_file(), f"no {path.name} in {path.parent}:\n{text[-2000:]}"
    return path


def test_the_pdf_holds_every_chapter_its_exercises_solutions_and_bibliography(pdf: Path) -> None:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert pages > MIN_PAGES, f"the PDF has {pages} pages"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", " ", text)
    titles = _chapter_titles()
    assert len(titles) >= 9
    missing = [title for title in titles if re.sub(r"\s+", " ", title) not in flat]
    assert not missing, f"chapters missing from the PDF: {missing}"
    for word in ("Exercise", "Solution", "Bibliography", "Shannon"):
        assert word in flat, f"the PDF has no {word!r}"
    assert "??" not in flat, "the PDF prints '??' for a reference it could not resolve"


def test_the_pdf_has_no_undefined_references(pdf: Path) -> None:
    log = pdf.with_suffix(".log").read_text(encoding="utf8", errors="replace")
    undefined = sorted({m.group(0) for m in _UNDEFINED.finditer(log)})
    assert not undefined, "LaTeX reports:\n" + "\n".join(undefined[:30])
