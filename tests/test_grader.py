"""The autograder: full marks for the solutions, zero for the stubs, and robustness."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_coursework import CODING_CHAPTERS, _chapter_id, needs_chapters
from xent.coursework import notebooks
from xent.coursework.grade import grade


def _variant(path: Path, tmp: Path, change: dict[str, str]) -> Path:
    """A copy of a chapter whose solution for each exercise id in ``change`` is replaced."""
    notebook = notebooks.load(path)
    cells = notebook["cells"]
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code" and "solution" in notebooks.tags(cell):
            exercise_id = notebooks._exercise_after(cells, index)
            if exercise_id in change:
                cell["source"] = change[exercise_id]
    target = tmp / path.name
    notebooks.save(notebook, target)
    return target


@needs_chapters
@pytest.mark.parametrize("path", CODING_CHAPTERS, ids=lambda p: p.stem)
def test_the_solutions_score_full_marks(path: Path) -> None:
    report = grade(path)
    assert report.exercises
    assert report.total == report.max_total, report.table()


@needs_chapters
def test_the_untouched_student_edition_scores_zero_without_crashing(tmp_path: Path) -> None:
    path = CODING_CHAPTERS[0]
    student = tmp_path / path.name
    notebooks.save(notebooks.for_jupyter(notebooks.load(path), _chapter_id(path)), student)
    report = grade(student)
    assert report.exercises and report.total == 0
    assert all("NotImplementedError" in e.message for e in report.exercises), report.table()


@needs_chapters
def test_broken_slow_and_noisy_exercises_lose_only_their_own_points(tmp_path: Path) -> None:
    path = max(CODING_CHAPTERS, key=lambda p: len(notebooks.checks(notebooks.load(p))))
    ids = list(notebooks.checks(notebooks.load(path)))
    if len(ids) < 2:
        pytest.skip("needs a chapter with two coding exercises")
    broken = {
        ids[0]: "while True:\n    pass\n",
        ids[1]: "print('x' * 50_000_000)\n",
    }
    if len(ids) > 2:
        broken[ids[2]] = "def broken(:\n    pass\n"
    report = grade(_variant(path, tmp_path, broken), exercise_timeout=3)
    by_id = {e.id: e for e in report.exercises}
    assert all(by_id[exercise_id].points == 0 for exercise_id in broken), report.table()
    rest = [e for e in report.exercises if e.id not in broken]
    assert all(e.points == e.max_points for e in rest), report.table()


@needs_chapters
def test_a_submission_that_kills_its_process_loses_only_that_exercise(tmp_path: Path) -> None:
    path = max(CODING_CHAPTERS, key=lambda p: len(notebooks.checks(notebooks.load(p))))
    ids = list(notebooks.checks(notebooks.load(path)))
    variant = _variant(path, tmp_path, {ids[0]: "import os\nos._exit(3)\n"})
    report = grade(variant)
    by_id = {e.id: e for e in report.exercises}
    assert by_id[ids[0]].points == 0
    assert all(e.points == e.max_points for e in report.exercises if e.id != ids[0])


@needs_chapters
def test_deleted_check_cells_still_appear_with_zero_points(tmp_path: Path) -> None:
    path = CODING_CHAPTERS[0]
    notebook = notebooks.load(path)
    notebook["cells"] = [
        c for c in notebook["cells"] if not notebooks.CHECK_CALL.search(notebooks.source(c))
    ]
    target = tmp_path / path.name
    notebooks.save(notebook, target)
    report = grade(target)
    assert report.exercises and report.total == 0


@needs_chapters
def test_the_command_line_json_is_valid_and_matches_the_table(tmp_path: Path) -> None:
    path = CODING_CHAPTERS[0]
    run = [sys.executable, "-m", "xent", "grade", str(path)]
    table = subprocess.run(run, capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    data = json.loads(
        subprocess.run(run + ["--json"], capture_output=True, text=True, check=True,
                       cwd=tmp_path).stdout
    )
    assert data["total"] == sum(e["points"] for e in data["exercises"])
    assert f"Total: {data['total']:g} / {data['max_total']} points" in table
    for exercise in data["exercises"]:
        assert re.search(rf"^{re.escape(exercise['id'])}\s+{exercise['points']:g}/"
                         rf"{exercise['max_points']}\s+{exercise['passed_cases']}/", table,
                         flags=re.MULTILINE)


def test_an_unreadable_submission_is_reported_not_raised(tmp_path: Path) -> None:
    target = tmp_path / "01_entropy.ipynb"
    target.write_text("{ not json")
    report = grade(target)
    assert report.total == 0
    assert all("unreadable" in e.message for e in report.exercises)
