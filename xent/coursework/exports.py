"""The course's coding exercises in the instructors' own engines: nbgrader and otter-grader.

``python -m xent export nbgrader OUTDIR`` writes an nbgrader course folder and
``python -m xent export otter OUTDIR`` otter-assign source notebooks, one per chapter with
coding exercises. Both come from the same registry as the built-in grader:

- each chapter's whole text, made plain for Jupyter, with the conceptual solutions removed;
- each coding exercise's solution cell, its function bodies between the engine's solution
  markers (the release keeps the signatures and docstrings);
- one test cell per case, visible cases public and hidden cases hidden (drawn once, from the
  export's seed), each worth ``points / number of cases``: the built-in grader gives partial
  credit by case, nbgrader scores a test cell all or nothing, otter a test case; one case per
  cell makes all three give the same points for the same work.

The test cells call :func:`xent.coursework.exported.case` with the inputs and expected values
written in as plain data. Forbidden functions are not enforced by these engines (their tests
run in the student's process); the built-in grader's sandbox is what enforces them.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xent.coursework import notebooks, registry, wire
from xent.coursework.registry import Case, Exercise


def mark_solution(code: str, begin: str, end: str) -> str:
    """``code`` with each function's body (after its docstring), and each top-level statement
    that is not an import or a function, between the lines ``begin`` and ``end``."""
    tree = ast.parse(code)
    lines = code.split("\n")
    inserts: list[tuple[int, str]] = []  # (line index before which to insert, text)
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.FunctionDef):
            body = node.body
            if (
                len(body) > 1
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                body = body[1:]
            first, last = body[0], body[-1]
            indent = " " * first.col_offset
            inserts.append((first.lineno - 1, indent + begin))
            inserts.append((last.end_lineno or last.lineno, indent + end))
        else:
            inserts.append((node.lineno - 1, begin))
            inserts.append((node.end_lineno or node.lineno, end))
    for index, text in sorted(inserts, key=lambda item: item[0], reverse=True):
        lines.insert(index, text)
    return "\n".join(lines)


def _plain_with_solutions(path: Path, chapter: str) -> dict[str, Any]:
    """The chapter made plain for Jupyter (no conceptual solutions, no outputs), with its
    solution code cells kept whole and tagged ``solution``."""
    original = notebooks.load(path)
    solutions: list[str] = [
        notebooks.source(c)
        for c in original["cells"]
        if c.get("cell_type") == "code" and "solution" in notebooks.tags(c)
    ]
    plain = notebooks.for_jupyter(original, chapter)
    found = 0
    for cell in plain["cells"]:
        if cell.get("cell_type") == "code" and "solution" in notebooks.tags(cell):
            cell["source"] = solutions[found]
            found += 1
    return plain


def _calls(exercise: Exercise, seed: int) -> list[tuple[str, Case, str]]:
    """(kind, case, the test's call) for every visible and hidden case of an exercise."""
    drawn = [("visible", c) for c in exercise.cases()] + [
        ("hidden", c) for c in exercise.hidden_cases(seed)
    ]
    def data(case: Case) -> tuple[Any, str, str, str, float, float]:
        expected = None if case.raises is not None else case.expected()
        rtol = exercise.rtol if case.rtol is None else case.rtol
        atol = exercise.atol if case.atol is None else case.atol
        args = json.dumps(wire.encode(tuple(case.args)))
        kwargs = json.dumps(wire.encode(dict(case.kwargs)))
        return expected, args, kwargs, json.dumps(wire.encode(expected)), rtol, atol

    # An edge case (an expected error or infinite value) passes only with the first ordinary
    # visible case, as in the built-in grader (registry.is_edge).
    visible = [c for kind, c in drawn if kind == "visible"]
    first = registry.anchor(visible)
    anchor = "" if first is None else f", anchor={data(visible[first])[1:]!r}"
    calls = []
    for kind, case in drawn:
        expected, args, kwargs, want, rtol, atol = data(case)
        raises = f", raises={case.raises.__name__!r}" if case.raises is not None else ""
        edge = anchor if registry.is_edge(case, expected) else ""
        hint = case.hint if kind == "visible" else case.category
        call = (
            f"case({exercise.function}, {args!r}, {kwargs!r}, {want!r}, rtol={rtol!r}, "
            f"atol={atol!r}{raises}, hint={hint!r}{edge})"
        )
        calls.append((kind, case, call))
    return calls


def _code(
    source: str, metadata: dict[str, Any] | None = None, outputs: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "metadata": metadata or {},
        "source": source,
        "outputs": outputs or [],
        "execution_count": None,
    }


def _markdown(source: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": metadata or {}, "source": source}


def _raw(source: str) -> dict[str, Any]:
    return {"cell_type": "raw", "metadata": {}, "source": source}


def _chapters(root: Path, only: Sequence[str] | None = None) -> list[tuple[str, Path]]:
    from xent.coursework.student_edition import chapters

    graded = set(registry.chapters())
    if only is not None:
        graded &= {str(int(n)) for n in only}
    found = []
    for path in chapters(root):
        number = notebooks.chapter_number(path)
        if number in graded:
            found.append((number, path))
    return found


def _assignment_name(path: Path) -> str:
    return path.stem.replace(".", "_")


def _notebook(cells: list[dict[str, Any]], chapter: str) -> dict[str, Any]:
    for number, cell in enumerate(cells):
        cell["id"] = f"xent-{chapter}-{number}"
    metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "xent": {"chapter": int(chapter)},
    }
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


# --- nbgrader ----------------------------------------------------------------------------------


def _nbgrader_meta(
    grade_id: str,
    *,
    solution: bool = False,
    grade: bool = False,
    locked: bool = False,
    points: float | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def nbgrader_notebook(path: Path, chapter: str, seed: int) -> dict[str, Any]:
    """One chapter as an nbgrader source notebook."""
    plain = _plain_with_solutions(path, chapter)
    cells: list[dict[str, Any]] = []
    exercises = {e.id: e for e in registry.for_chapter(chapter)}
    done: set[str] = set()
    for index, cell in enumerate(plain["cells"]):
        text = notebooks.source(cell)
        if cell.get("cell_type") == "code" and "solution" in notebooks.tags(cell):
            exercise_id = notebooks.exercise_after(plain["cells"], index)
            exercise = exercises.get(exercise_id or "")
            if exercise is None:
                cells.append(_code(text))
                continue
            cells.append(
                _code(
                    mark_solution(text, "### BEGIN SOLUTION", "### END SOLUTION"),
                    _nbgrader_meta(nbgrader_grade_id(exercise, "answer"), solution=True),
                )
            )
            calls = _calls(exercise, seed)
            share = exercise.points / len(calls)
            cells.append(
                _code(
                    "from xent.coursework.exported import case",
                    _nbgrader_meta(nbgrader_grade_id(exercise, "setup"), locked=True),
                )
            )
            for number, (kind, _, call) in enumerate(calls, start=1):
                body = f"assert {call}"
                if kind == "hidden":
                    body = f"### BEGIN HIDDEN TESTS\n{body}\n### END HIDDEN TESTS"
                cells.append(
                    _code(
                        f"# Exercise {exercise.id}, {kind} case {number}\n{body}",
                        _nbgrader_meta(
                            nbgrader_grade_id(exercise, f"case-{number}"),
                            grade=True,
                            locked=True,
                            points=share,
                        ),
                    )
                )
            done.add(exercise.id)
        elif cell.get("cell_type") == "code":
            cells.append(_code(text))
        else:
            cells.append(_markdown(text))
    missing = set(exercises) - done
    if missing:
        raise ValueError(f"{path.name}: no solution cell found for exercises {sorted(missing)}")
    return _notebook(cells, chapter)


_NBGRADER_CONFIG = '''"""nbgrader configuration of the course, written by python -m xent export."""

c = get_config()  # noqa: F821
c.CourseDirectory.root = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
c.CourseDirectory.db_assignments = {assignments!r}
c.Exchange.root = c.CourseDirectory.root + "/exchange"
c.ExecutePreprocessor.timeout = 300
'''


def export_nbgrader(
    out: str | Path,
    *,
    root: Path | None = None,
    seed: int = 0,
    only: Sequence[str] | None = None,
) -> Path:
    """Write an nbgrader course folder: ``source/<assignment>/<chapter>.ipynb`` for every
    chapter with coding exercises, and ``nbgrader_config.py``."""
    from xent.coursework.student_edition import repository_root

    base = Path(out)
    course = root or repository_root()
    names = []
    for chapter, path in _chapters(course, only):
        name = _assignment_name(path)
        folder = base / "source" / name
        folder.mkdir(parents=True, exist_ok=True)
        notebooks.save(nbgrader_notebook(path, chapter, seed), folder / path.name)
        names.append({"name": name})
    (base / "nbgrader_config.py").write_text(
        _NBGRADER_CONFIG.format(assignments=names), encoding="utf-8"
    )
    return base


# --- otter-grader ------------------------------------------------------------------------------

_OTTER_CONFIG = """# ASSIGNMENT CONFIG
requirements: null
overwrite_requirements: false
environment: null
export_cell: false
init_cell: false
check_all_cell: false
run_tests: false
generate:
    pdf: false
    filtering: false
    pdfs: false
    zips: false
save_environment: false
"""


def nbgrader_grade_id(exercise: Exercise, part: str) -> str:
    """The nbgrader grade id of one of an exercise's cells: ``answer``, ``setup`` or
    ``case-N`` (the test cells' ids start with ``case-``)."""
    return f"ex-{exercise.id.replace('.', '-')}-{part}"


def otter_question(exercise: Exercise) -> str:
    """The name of an exercise's question in the otter export (and in otter's results)."""
    return "ex" + exercise.id.replace(".", "_")


def otter_notebook(path: Path, chapter: str, seed: int) -> dict[str, Any]:
    """One chapter as an otter-assign source notebook (format v1)."""
    plain = _plain_with_solutions(path, chapter)
    cells: list[dict[str, Any]] = [_raw(_OTTER_CONFIG)]
    exercises = {e.id: e for e in registry.for_chapter(chapter)}
    done: set[str] = set()
    for index, cell in enumerate(plain["cells"]):
        text = notebooks.source(cell)
        if cell.get("cell_type") == "code" and "solution" in notebooks.tags(cell):
            exercise = exercises.get(notebooks.exercise_after(plain["cells"], index) or "")
            if exercise is None:
                cells.append(_code(text))
                continue
            name = otter_question(exercise)
            cells += [
                _code("from xent.coursework.exported import case"),
                _raw(f"# BEGIN QUESTION\nname: {name}\npoints: {exercise.points}"),
                _markdown(
                    f"**Exercise {exercise.id}** ({exercise.points} points): "
                    f"{exercise.title}. Write `{exercise.function}` in the cell below."
                ),
                _raw("# BEGIN SOLUTION"),
                _code(mark_solution(text, "# BEGIN SOLUTION", "# END SOLUTION")),
                _raw("# END SOLUTION"),
                _raw("# BEGIN TESTS"),
            ]
            for kind, _, call in _calls(exercise, seed):
                header = "# HIDDEN TEST" if kind == "hidden" else "# TEST"
                cells.append(
                    _code(
                        f"{header}\n{call}",
                        outputs=[
                            {
                                "output_type": "execute_result",
                                "execution_count": None,
                                "metadata": {},
                                "data": {"text/plain": "True"},
                            }
                        ],
                    )
                )
            cells += [_raw("# END TESTS"), _raw("# END QUESTION")]
            done.add(exercise.id)
        elif cell.get("cell_type") == "code":
            cells.append(_code(text))
        else:
            cells.append(_markdown(text))
    missing = set(exercises) - done
    if missing:
        raise ValueError(f"{path.name}: no solution cell found for exercises {sorted(missing)}")
    return _notebook(cells, chapter)


def export_otter(
    out: str | Path,
    *,
    root: Path | None = None,
    seed: int = 0,
    only: Sequence[str] | None = None,
) -> Path:
    """Write otter-assign source notebooks: ``<chapter>/<chapter>.ipynb`` for every chapter
    with coding exercises; run ``otter assign`` on each."""
    from xent.coursework.student_edition import repository_root

    base = Path(out)
    course = root or repository_root()
    for chapter, path in _chapters(course, only):
        folder = base / _assignment_name(path)
        folder.mkdir(parents=True, exist_ok=True)
        notebooks.save(otter_notebook(path, chapter, seed), folder / path.name)
    return base
