"""The autograder: ``python -m xent grade SUBMISSION.ipynb [--json]``.

The submission runs in a fresh Python process (``xent.coursework._harness``), never in the
grader's own. Each cell and each exercise check has a time limit; a cell that crashes the
whole process is skipped on a restart, so a broken, slow or hostile exercise costs only its
own points. The exercises graded are those registered for the chapter, whatever the
submission still contains: a deleted check cell scores 0, it does not vanish from the table.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from xent.coursework import notebooks
from xent.coursework._registry import EXERCISES


@dataclass
class ExerciseScore:
    id: str
    title: str
    points: float
    max_points: int
    passed_cases: int
    total_cases: int
    message: str


@dataclass
class Report:
    notebook: str
    chapter: str
    exercises: list[ExerciseScore]
    seconds: float

    @property
    def total(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def max_total(self) -> int:
        return sum(e.max_points for e in self.exercises)

    def as_json(self) -> str:
        data = {
            "notebook": self.notebook,
            "chapter": self.chapter,
            "total": self.total,
            "max_total": self.max_total,
            "seconds": round(self.seconds, 2),
            "exercises": [asdict(e) for e in self.exercises],
        }
        return json.dumps(data, indent=2)

    def table(self) -> str:
        rows = [("exercise", "points", "cases", "message")]
        for e in self.exercises:
            rows.append(
                (
                    e.id,
                    f"{e.points:g}/{e.max_points}",
                    f"{e.passed_cases}/{e.total_cases}",
                    e.message,
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = [f"Grading {self.notebook} (chapter {self.chapter})", ""]
        for number, row in enumerate(rows):
            lines.append(
                "  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
            )
            if number == 0:
                lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 7)
        lines += ["", f"Total: {self.total:g} / {self.max_total} points ({self.seconds:.1f} s)"]
        return "\n".join(lines)


def _chapter(path: Path, found: dict[str, str]) -> str:
    number = notebooks.chapter_number(path)
    if number:
        return number
    if found:
        return next(iter(found)).split(".")[0]
    raise ValueError(f"cannot tell which chapter {path.name} is (name it NN_slug.ipynb)")


def _cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        text = notebooks.source(cell)
        checks = list(notebooks.CHECK_CALL.finditer(text))
        if checks and "solution" not in notebooks.tags(cell):
            for match in checks:
                cells.append(
                    {"kind": "check", "exercise": match["id"], "function": match["function"]}
                )
        else:
            cells.append({"kind": "code", "source": text})
    return cells


def _run(
    cells: list[dict[str, Any]], exercise_timeout: int, deadline: float
) -> dict[str, dict[str, Any]]:
    """Run the harness, restarting it past any cell that kills it or hangs; results by id."""
    results: dict[str, dict[str, Any]] = {}
    skip: set[int] = set()
    environment = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return results
        token = secrets.token_hex(16)
        job = {
            "cells": cells,
            "skip": sorted(skip),
            "token": token,
            "exercise_timeout": exercise_timeout,
        }
        current = -1
        done = False
        try:
            completed = subprocess.run(
                [sys.executable, "-m", "xent.coursework._harness"],
                input=json.dumps(job),
                capture_output=True,
                text=True,
                timeout=remaining,
                env=environment,
                check=False,
            )
            output = completed.stdout
        except subprocess.TimeoutExpired as expired:
            raw = expired.stdout or b""
            output = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
        for line in output.splitlines():
            if not line.startswith(token + " "):
                continue
            _, kind, payload = line.split(" ", 2)
            value = json.loads(payload)
            if kind == "cell":
                current = int(value)
            elif kind == "result":
                results.setdefault(value["id"], value)
            elif kind == "done":
                done = True
        if done or current < 0:
            return results
        skip.add(current)
        if cells[current]["kind"] == "check":
            results.setdefault(
                cells[current]["exercise"],
                {"id": cells[current]["exercise"], "error": "the check crashed or hung"},
            )


def grade(path: str | Path, *, timeout: float = 300.0, exercise_timeout: int = 60) -> Report:
    """Grade one submitted notebook; see the module docstring."""
    from xent.coursework import exercises  # noqa: F401  (registers the exercises)

    start = time.monotonic()
    path = Path(path)
    try:
        notebook = notebooks.load(path)
    except (OSError, ValueError) as error:
        notebook = {"cells": []}
        unreadable = f"unreadable notebook: {error}"
    else:
        unreadable = ""
    found = notebooks.checks(notebook)
    chapter = _chapter(path, found)
    expected = sorted(
        (e for e in EXERCISES.values() if e.id.split(".")[0] == chapter),
        key=lambda e: [int(part) for part in e.id.split(".")],
    )
    cells = _cells(notebook)
    recorded = notebook.get("metadata", {}).get("xent", {}).get("exercises", {})
    present = {c["exercise"] for c in cells if c["kind"] == "check"}
    for exercise in expected:
        name = recorded.get(exercise.id) or found.get(exercise.id)
        if exercise.id not in present and name:
            cells.append({"kind": "check", "exercise": exercise.id, "function": name})
    results = _run(cells, exercise_timeout, start + timeout) if cells else {}

    scores = []
    for exercise in expected:
        result = results.get(exercise.id)
        total_cases = len(exercise.cases())
        if result is None:
            message = unreadable or "no check ran (check and function missing, or out of time)"
            scores.append(
                ExerciseScore(
                    exercise.id, exercise.title, 0.0, exercise.points, 0, total_cases, message
                )
            )
        elif "error" in result:
            scores.append(
                ExerciseScore(
                    exercise.id,
                    exercise.title,
                    0.0,
                    exercise.points,
                    0,
                    total_cases,
                    result["error"],
                )
            )
        else:
            if result["flagged"]:
                message = "FLAGGED: " + result["flagged"]
            elif result["score"]:
                message = "all cases pass"
            else:
                message = result["first_failure"]
            scores.append(
                ExerciseScore(
                    exercise.id,
                    exercise.title,
                    float(result["score"]),
                    exercise.points,
                    int(result["passed"]),
                    int(result["total"]),
                    message,
                )
            )
    return Report(str(path), chapter, scores, time.monotonic() - start)
