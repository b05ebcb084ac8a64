"""The nbgrader and otter-grader exports, checked with the real tools.

For each chapter tested end to end, two submissions (the first half of the exercises solved
and the rest as released, then the other way round) go through nbgrader (generate_assignment,
autograde, export to CSV), otter-grader (otter assign, otter run without a container) and the
built-in grader with the export's seed: every exercise is graded once solved and once
untouched, and all three engines must give it the expected points each time. Chapter 1 runs
by default; ``XENT_EXPORTS_ALL=1`` runs every chapter.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _solutions import solution_lines, solutions

from xent.coursework import exports, notebooks, registry
from xent.coursework import grade as grading
from xent.coursework.student_edition import chapters

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261201
CHAPTERS = [
    (notebooks.chapter_number(p) or "", p)
    for p in chapters(ROOT)
    if notebooks.chapter_number(p) in registry.chapters()
]
END_TO_END = CHAPTERS if os.environ.get("XENT_EXPORTS_ALL") else CHAPTERS[:1]


def _have(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


needs_engines = pytest.mark.skipif(
    not (_have("nbgrader") and _have("otter")) and not os.environ.get("CI"),
    reason="nbgrader and otter-grader are not installed (requirements-graders.txt)",
)


def _run(args: list[str], cwd: Path) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=900)
    assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout + done.stderr


# --- the structure of the exports, every chapter ---------------------------------------------


@pytest.mark.parametrize("chapter,path", CHAPTERS, ids=[p.stem for _, p in CHAPTERS])
def test_nbgrader_export_has_a_test_cell_per_case_worth_its_share(chapter: str, path: Path) -> None:
    notebook = exports.nbgrader_notebook(path, chapter, SEED)
    meta = [c["metadata"].get("nbgrader", {}) for c in notebook["cells"]]
    ids = [m["grade_id"] for m in meta if m]
    assert len(ids) == len(set(ids))
    for exercise in registry.for_chapter(chapter):
        tests = [
            (c, m)
            for c, m in zip(notebook["cells"], meta, strict=True)
            if m.get("grade_id", "").startswith(exports.nbgrader_grade_id(exercise, "case-"))
        ]
        cases = len(exercise.cases()) + len(exercise.hidden_cases(SEED))
        assert len(tests) == cases
        assert math.isclose(sum(m["points"] for _, m in tests), exercise.points)
        hidden = [c for c, _ in tests if "### BEGIN HIDDEN TESTS" in c["source"]]
        assert len(hidden) == len(exercise.hidden_cases(SEED))
        answers = [
            c
            for c, m in zip(notebook["cells"], meta, strict=True)
            if m.get("grade_id") == exports.nbgrader_grade_id(exercise, "answer")
        ]
        assert len(answers) == 1 and "### BEGIN SOLUTION" in answers[0]["source"]
    # The whole chapter is there, its conceptual solutions are not.
    text = "\n".join(notebooks.source(c) for c in notebook["cells"])
    assert "{solution-start}" not in text and "You will learn" in text


@pytest.mark.parametrize("chapter,path", CHAPTERS, ids=[p.stem for _, p in CHAPTERS])
def test_otter_export_has_a_question_per_exercise(chapter: str, path: Path) -> None:
    notebook = exports.otter_notebook(path, chapter, SEED)
    raw = [notebooks.source(c) for c in notebook["cells"] if c["cell_type"] == "raw"]
    assert raw[0].startswith("# ASSIGNMENT CONFIG")
    questions = [r for r in raw if r.startswith("# BEGIN QUESTION")]
    assert len(questions) == len(registry.for_chapter(chapter))
    tests = [
        notebooks.source(c)
        for c in notebook["cells"]
        if c["cell_type"] == "code" and notebooks.source(c).startswith(("# TEST", "# HIDDEN"))
    ]
    expected = sum(
        len(e.cases()) + len(e.hidden_cases(SEED)) for e in registry.for_chapter(chapter)
    )
    assert len(tests) == expected


def test_an_exported_edge_case_needs_the_first_ordinary_case_too() -> None:
    # As in the built-in grader: a stub that always raises ValueError (exercise 3.4 expects it
    # for a sigma <= 0) or always returns inf (3.1, q = 0 where p > 0) earns nothing there.
    import numpy as np

    from xent.coursework.exported import case

    calls = dict(
        (kind + str(number), call)
        for number, (kind, _, call) in enumerate(exports._calls(registry.get("3.4"), SEED))
    )
    edges = [call for call in calls.values() if "raises=" in call]
    assert edges and all("anchor=" in call for call in edges)
    # the anchored calls are exactly the edge cases: an error, inf, or an answer of zero
    anchored = [
        registry.is_edge(c, None if c.raises is not None else c.expected())
        for _, c, call in exports._calls(registry.get("3.4"), SEED)
        if "anchor=" in call
    ]
    assert all(anchored) and len(anchored) > len(edges)  # 3.4 has cases whose KL is 0

    def always_raises(*args: object) -> float:
        raise ValueError("no")

    # the chapter's own solution, which raises for a sigma <= 0 and computes the rest
    namespace: dict[str, Any] = {"np": np}
    exec(solutions(ROOT / "book" / "03_kl_divergence.ipynb")["3.4"], namespace)
    for call in edges:
        assert eval(call, {"case": case, "gaussian_kl": always_raises}) is False
        assert eval(call, {"case": case, "gaussian_kl": namespace["gaussian_kl"]}) is True
    infinite = [c for _, c, call in exports._calls(registry.get("3.1"), SEED) if "anchor=" in call]
    assert infinite  # the case of q = 0 where p > 0


# --- end to end with the real tools -----------------------------------------------------------


def _fill(
    notebook: dict[str, Any], answers: dict[str, str], which: set[str], find: Any
) -> dict[str, Any]:
    """``notebook`` with the answer cell of every exercise in ``which`` replaced by its
    solution; ``find(cell, exercise)`` says whether a cell is that exercise's answer cell."""
    for exercise in registry.exercises().values():
        if exercise.id not in which:
            continue
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code" and find(cell, exercise):
                cell["source"] = answers[exercise.id]
                break
        else:
            raise AssertionError(f"no answer cell for {exercise.id}")
    return notebook


@pytest.fixture(scope="module", params=END_TO_END, ids=[p.stem for _, p in END_TO_END])
def engines(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Two submissions through each engine, with complementary halves of the exercises solved
    (the other half as released): every exercise is graded once solved and once untouched.

    Returns, per engine, submission -> exercise id -> points, and the expected table.
    """
    chapter, path = request.param
    name = path.stem
    exercises = registry.for_chapter(chapter)
    cut = math.ceil(len(exercises) / 2)
    halves = {"first": {e.id for e in exercises[:cut]}, "second": {e.id for e in exercises[cut:]}}
    solutions_by_id = solutions(path)
    work = tmp_path_factory.mktemp(f"engines-{name}")
    result: dict[str, Any] = {
        "expected": {
            who: {e.id: float(e.points) if e.id in solved else 0.0 for e in exercises}
            for who, solved in halves.items()
        },
        "solution_lines": [line for lines in solution_lines(path).values() for line in lines],
    }

    # nbgrader
    course = work / "nbgrader"
    exports.export_nbgrader(course, root=ROOT, seed=SEED, only=[chapter])
    _run(["nbgrader", "generate_assignment", name, "--force"], course)
    release = notebooks.load(course / "release" / name / path.name)
    result["nbgrader_release"] = json.dumps(release)

    def nbgrader_answer(cell: dict[str, Any], exercise: registry.Exercise) -> bool:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        return grade_id == exports.nbgrader_grade_id(exercise, "answer")

    builtin_folder = work / "builtin"
    builtin_folder.mkdir()
    for who, solved in halves.items():
        notebook = _fill(
            json.loads(result["nbgrader_release"]), solutions_by_id, solved, nbgrader_answer
        )
        folder = course / "submitted" / who / name
        folder.mkdir(parents=True)
        notebooks.save(notebook, folder / path.name)
        notebooks.save(notebook, builtin_folder / f"{who}_{path.name}")
    _run(["nbgrader", "autograde", name, "--force"], course)
    _run(["nbgrader", "export"], course)
    with (course / "grades.csv").open() as handle:
        result["nbgrader_csv"] = {
            row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)
        }
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        result["nbgrader"] = {
            who: {
                e.id: sum(
                    grade.score
                    for grade in gradebook.find_submission_notebook(path.stem, name, who).grades
                    if grade.name.startswith(exports.nbgrader_grade_id(e, "case-"))
                )
                for e in exercises
            }
            for who in halves
        }

    # otter-grader
    source = work / "otter"
    exports.export_otter(source, root=ROOT, seed=SEED, only=[chapter])
    folder = source / name
    # Its own run of the solutions' tests is left out: every exercise's solution goes through
    # `otter run` below, in one of the two halves, with the same autograder.
    _run(
        [sys.executable, "-m", "otter", "assign", path.name, "dist", "--no-pdfs", "--no-run-tests"],
        folder,
    )
    student = notebooks.load(folder / "dist" / "student" / path.name)
    result["otter_release"] = json.dumps(student)
    zips = sorted((folder / "dist" / "autograder").glob("*.zip"))
    assert zips, "otter assign wrote no autograder zip"
    result["zip"] = zips[-1].name

    def otter_answer(cell: dict[str, Any], exercise: registry.Exercise) -> bool:
        return re.search(rf"^def {exercise.function}\(", notebooks.source(cell), re.M) is not None

    result["otter"] = {}
    for who, solved in halves.items():
        target = work / "otter-runs" / who
        target.mkdir(parents=True)
        notebook = _fill(json.loads(result["otter_release"]), solutions_by_id, solved, otter_answer)
        notebooks.save(notebook, target / path.name)
        _run(
            [
                sys.executable,
                "-m",
                "otter",
                "run",
                "-a",
                str(zips[-1]),
                "-o",
                str(target),
                str(target / path.name),
            ],
            work,
        )
        tests = {
            t["name"]: t.get("score") or 0.0
            for t in json.loads((target / "results.json").read_text())["tests"]
        }
        result["otter"][who] = {e.id: tests[exports.otter_question(e)] for e in exercises}

    # the built-in grader, with the export's hidden cases
    reports, _ = grading.grade_batch(
        [str(builtin_folder)], settings=grading.Settings(seed=SEED), jobs=2
    )
    result["builtin"] = {
        Path(r.notebook).name.split("_")[0]: {e.id: e.points for e in r.exercises} for r in reports
    }
    return result


@needs_engines
@pytest.mark.parametrize("engine", ["nbgrader", "otter", "builtin"])
def test_every_engine_gives_the_same_work_the_same_points(
    engines: dict[str, Any], engine: str
) -> None:
    expected = engines["expected"]
    assert set(engines[engine]) == set(expected), (engine, engines)
    for who, points in expected.items():
        for exercise, value in points.items():
            got = engines[engine][who][exercise]
            assert math.isclose(got, value, abs_tol=0.02), (engine, who, exercise, engines)


@needs_engines
def test_nbgrader_exports_the_totals_of_its_gradebook(engines: dict[str, Any]) -> None:
    totals = {who: sum(points.values()) for who, points in engines["expected"].items()}
    assert engines["nbgrader_csv"].keys() == totals.keys()
    for who, total in totals.items():
        assert math.isclose(engines["nbgrader_csv"][who], total, abs_tol=0.02), engines


@needs_engines
def test_the_released_assignments_hold_no_solution(engines: dict[str, Any]) -> None:
    for release in ("nbgrader_release", "otter_release"):
        text = engines[release]
        leaks = [line for line in engines["solution_lines"] if line in text]
        assert not leaks, (release, leaks[:3])
        assert "BEGIN HIDDEN TESTS" not in text and "# HIDDEN TEST" not in text


@needs_engines
def test_otter_writes_a_gradescope_autograder_zip(engines: dict[str, Any]) -> None:
    assert re.fullmatch(r".+-autograder_[0-9T_]+\.zip", engines["zip"]), engines["zip"]
