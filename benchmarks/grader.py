"""The grader at class scale: 30 chapter-1 submissions graded with ``--jobs 2``.

Each submission is chapter 1 with its solutions, so each must score 5 / 5. The script times
``python -m xent grade FOLDER --jobs 2 --out OUT`` end to end (the command an instructor runs),
then prints the per-submission times the gradebook records.

    python benchmarks/grader.py [--submissions 30] [--jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, print_machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    print_machine()
    print("\n## Grading a class: chapter 1\n")
    chapter = ROOT / "book" / "01_entropy.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "submissions", Path(tmp) / "out"
        folder.mkdir()
        for number in range(args.submissions):
            shutil.copy(chapter, folder / f"student{number:02d}_01_entropy.ipynb")
        start = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "xent", "grade", str(folder), "--jobs", str(args.jobs),
             "--out", str(out)],
            capture_output=True, text=True, check=False,
        )
        seconds = time.perf_counter() - start
        if completed.returncode != 0:
            sys.exit(completed.stderr[-3000:])
        with (out / "gradebook.csv").open() as handle:
            rows = list(csv.DictReader(handle))
        grades = json.loads((out / "grades.json").read_text())
    scores = [float(row["score"]) for row in rows]
    each = [g["seconds"] for g in grades]
    print(f"submissions: {len(rows)}, jobs: {args.jobs}, sandbox: {grades[0]['sandbox']}")
    print(f"all scored 5 / 5: {all(s == 5 for s in scores)}")
    print(f"total wall time: {seconds:.1f} s ({seconds / len(rows):.2f} s per submission)")
    print(f"one submission: median {statistics.median(each):.1f} s, max {max(each):.1f} s")


if __name__ == "__main__":
    main()
