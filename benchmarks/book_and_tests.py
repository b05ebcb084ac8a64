"""Benchmark: a clean build of the book, a no-change rebuild, and the whole test suite, timed.

Run from the repository root, with the requirements installed::

    python benchmarks/book_and_tests.py              # all three, about 6 minutes
    python benchmarks/book_and_tests.py --book-only  # the two builds

The clean build goes to a new temporary directory, as on a fresh clone; it renders the
chapters' stored outputs (``execute_notebooks: "off"``). The rebuild runs the same command
again on the same output directory. Each chapter is then executed on its own, top to bottom, in
a fresh kernel (nbclient, as nbval runs it), and timed. The test suite is the README's
``python -m pytest``: it builds the book once more in its own temporary directory, runs strict
nbval, the browser tests and everything else.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, markdown_table, print_machine  # noqa: E402

BUILD = ["jupyter-book", "build", ".", "-W", "-n", "--keep-going"]
TARGETS = {"clean build": 90.0, "no-change rebuild": 10.0, "test suite": 240.0}


def run(command: list[str], log: Path) -> float:
    """Seconds of wall time of ``command`` from the repository root; fails loudly if it fails."""
    start = time.perf_counter()
    with log.open("w", encoding="utf8") as out:
        completed = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed (exit {completed.returncode}); see {log}")
    return seconds


def chapters() -> list[Path]:
    return sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def execute(path: Path) -> float:
    """Seconds to run one chapter top to bottom in a fresh kernel, its start included."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    where = {"metadata": {"path": str(path.parent)}}
    NotebookClient(notebook, timeout=600, resources=where).execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--book-only", action="store_true", help="skip the test suite")
    args = parser.parse_args()

    print_machine()
    times = {}
    with tempfile.TemporaryDirectory(prefix="xent-bench-") as work:
        output = ["--path-output", work]
        times["clean build"] = run(BUILD + output, Path(work) / "clean.log")
        times["no-change rebuild"] = run(BUILD + output, Path(work) / "rebuild.log")
        executed = [(path.stem, f"{execute(path):.2f}") for path in chapters()]
        if not args.book_only:
            times["test suite"] = run(
                [sys.executable, "-m", "pytest", "-q"], Path(work) / "tests.log"
            )
            summary = (Path(work) / "tests.log").read_text(encoding="utf8").splitlines()[-1]

    print("\n## Book and tests (wall time, s)\n")
    rows = [
        [
            name,
            f"{seconds:.1f}",
            f"< {TARGETS[name]:.0f}",
            "met" if seconds < TARGETS[name] else "missed",
        ]
        for name, seconds in times.items()
    ]
    print(markdown_table(["what", "time (s)", "target (s)", ""], rows))
    if not args.book_only:
        print(f"\nTest suite: {summary.strip('= ')}")
    print("\n## Execution time of each chapter, fresh kernel included (s)\n")
    print(markdown_table(["chapter", "time (s)"], [[name, value] for name, value in executed]))


if __name__ == "__main__":
    main()
