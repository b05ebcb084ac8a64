"""The student edition: ``python -m xent student-edition OUTDIR``.

Writes ``OUTDIR/notebooks/`` (every chapter without solutions, with stubs, outputs cleared and
MyST made plain for Jupyter) and ``OUTDIR/site/`` (the website built from the same chapters
without solutions; outputs of the cells that do not touch a solution are kept, nothing is
executed). Both come from the repository's own ``_toc.yml``, ``_config.yml`` and ``book/``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from xent.coursework import notebooks

_COPIED = ("_config.yml", "_toc.yml", "book")


def repository_root() -> Path:
    """The checkout that holds the course: the current directory or the package's parent."""
    for candidate in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (candidate / "_toc.yml").is_file() and (candidate / "book").is_dir():
            return candidate
    raise FileNotFoundError("run this from the course repository (no _toc.yml found)")


def chapters(root: Path) -> list[Path]:
    """The notebooks listed in ``_toc.yml``, in order."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    files.append(node[key])
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    names = [str(Path(name).with_suffix("")) for name in files]
    return [root / f"{name}.ipynb" for name in names if (root / f"{name}.ipynb").is_file()]


def write_notebooks(root: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for position, chapter in enumerate(chapters(root), start=1):
        number = notebooks.chapter_number(chapter) or str(position)
        target = out / chapter.name
        notebooks.save(notebooks.for_jupyter(notebooks.load(chapter), number), target)
        written.append(target)
    return written


def build_site(root: Path, out: Path) -> None:
    """Build the website from solution-free chapters, without executing anything."""
    with tempfile.TemporaryDirectory(prefix="xent-student-") as tmp:
        work = Path(tmp)
        for name in _COPIED:
            source = root / name
            if source.is_dir():
                shutil.copytree(
                    source,
                    work / name,
                    ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints", "__pycache__"),
                )
            else:
                shutil.copy2(source, work / name)
        for chapter in chapters(work):
            student = notebooks.without_solutions(notebooks.load(chapter), clear_outputs=False)
            notebooks.save(student, chapter)
        import yaml

        settings = yaml.safe_load((work / "_config.yml").read_text(encoding="utf-8"))
        settings.setdefault("execute", {})["execute_notebooks"] = "off"
        settings["title"] = f"{settings.get('title', 'The course')} (student edition)"
        (work / "_config.yml").write_text(yaml.safe_dump(settings, sort_keys=False), "utf-8")
        command = [
            sys.executable,
            "-c",
            "from jupyter_book.cli.main import main; main()",
            "build",
            str(work),
            "--path-output",
            str(work),
            "-W",
            "-n",
            "--keep-going",
        ]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise RuntimeError(
                "building the student website failed:\n"
                + completed.stdout[-4000:]
                + completed.stderr[-4000:]
            )
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(work / "_build" / "html", out)


def student_edition(out: str | Path, *, root: str | Path | None = None, site: bool = True) -> Path:
    """Write the student edition of the course to ``out``; returns ``out``."""
    source = Path(root) if root is not None else repository_root()
    target = Path(out)
    write_notebooks(source, target / "notebooks")
    if site:
        build_site(source, target / "site")
    return target
