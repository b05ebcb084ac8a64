"""Coursework: checks, the student edition (no solution anywhere) and the autograder."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _solutions import solution_lines

from xent.coursework import Case, notebooks, registry, run_check
from xent.coursework.student_edition import chapters, student_edition

ROOT = Path(__file__).resolve().parents[1]
MARKER = "ZZSOLUTIONMARKER7Q"


def _chapters_with_coding_exercises() -> list[Path]:
    return [path for path in chapters(ROOT) if notebooks.checks(notebooks.load(path))]


CODING_CHAPTERS = _chapters_with_coding_exercises()
needs_chapters = pytest.mark.skipif(not CODING_CHAPTERS, reason="no chapter has coding exercises")


def _chapter_id(path: Path) -> str:
    return str(int(path.name.split("_")[0]))


# --- checks ----------------------------------------------------------------------------------


def test_every_registered_exercise_has_cases_with_hints() -> None:
    assert registry.exercises()
    for exercise in registry.exercises().values():
        cases = exercise.cases()
        assert cases, exercise.id
        assert all(isinstance(c, Case) and c.hint for c in cases), exercise.id


def test_every_check_cell_in_the_book_names_a_registered_exercise() -> None:
    known = registry.exercises()
    for path in chapters(ROOT):
        for exercise_id, function in notebooks.checks(notebooks.load(path)).items():
            assert exercise_id in known, f"{path.name} checks unknown exercise {exercise_id}"
            assert exercise_id.split(".")[0] == _chapter_id(path)
            # The grader looks the student's function up by the name the exercise declares.
            assert known[exercise_id].function == function, (path.name, exercise_id)


def test_every_registered_exercise_is_checked_in_its_chapter() -> None:
    checked = {i for path in chapters(ROOT) for i in notebooks.checks(notebooks.load(path))}
    assert set(registry.exercises()) <= checked


def test_a_check_reports_expected_value_and_hint_without_source() -> None:
    result = run_check("1.1", lambda p: np.log(p))
    assert not result.all_passed and result.score == 0
    text = result.report()
    assert "expected" in text and "Hint:" in text and "returned" in text
    assert "def " not in text and "lambda" not in text


def test_a_check_survives_a_function_that_raises() -> None:
    def broken(p: Any) -> Any:
        raise ZeroDivisionError("oops")

    result = run_check("1.1", broken)
    assert result.passed == 0 and "ZeroDivisionError" in result.report()


def test_calling_the_xent_function_an_exercise_asks_for_is_flagged() -> None:
    from xent.coursework import families

    candidates = ["xent.entropy", "xent.softmax", "xent.logsumexp", "xent.sigmoid"]
    forbidding = [e for e in registry.exercises().values() if e.watched]
    assert forbidding
    for exercise in forbidding:
        name = next(n for n in candidates if n in exercise.watched)

        def cheat(*args: Any, _name: str = name, **kwargs: Any) -> Any:
            # A copied solution that calls the forbidden function somewhere on its way.
            function: Any = families.loaded(_name)
            function(np.array([0.5, 0.5]))
            return args[0] if args else None

        result = run_check(exercise.id, cheat)
        assert result.flagged and result.score == 0, exercise.id


def test_a_check_imports_no_forbidden_module_and_still_sees_one_imported_by_the_function() -> None:
    # In a fresh process: here SciPy's statistics and SymPy are long imported by other tests.
    script = """
import sys
import numpy as np
from xent.coursework.check import run_check

def honest(p, base=None):
    p = np.asarray(p, dtype=float)
    nats = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=-1)
    return nats if base is None else nats / np.log(base)

assert run_check("1.5", honest).all_passed
assert "scipy.stats" not in sys.modules, "the check imported scipy.stats"

def imports_it_inside(p, base=None):
    import scipy.stats
    return scipy.stats.entropy(p, base=base, axis=-1)

result = run_check("1.5", imports_it_inside)
# SciPy's statistics share one wrapper: the call is named by every function it may be.
assert "scipy.stats.entropy;" in result.flagged and result.score == 0, result.flagged
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_unknown_exercise_and_non_function_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="no coding exercise"):
        run_check("99.9", print)
    with pytest.raises(TypeError, match="function"):
        run_check("1.1", 3)  # type: ignore[arg-type]


# --- notebook rewriting ----------------------------------------------------------------------


def _tiny_notebook() -> dict[str, Any]:
    def md(text: str) -> dict[str, Any]:
        return {"cell_type": "markdown", "metadata": {}, "source": text}

    def code(text: str, tags: list[str] | None = None) -> dict[str, Any]:
        return {
            "cell_type": "code",
            "metadata": {"tags": tags or []},
            "source": text,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "out"}],
            "execution_count": 1,
        }

    return {
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": [
            md(
                "```{exercise}\n:label: ex-01-a\n\nWrite `surprisal`.\n```\n\n"
                "```{solution-start} ex-01-a\n:class: dropdown\n```"
            ),
            code(
                'def surprisal(p):\n    """Surprisal in nats."""\n    return -np.log(p)',
                ["solution"],
            ),
            md("```{solution-end}\n```"),
            code('result = check("1.1", surprisal)'),
            md(
                "```{exercise}\n:label: ex-01-b\n\nWhy?\n```\n\n```{solution-start} ex-01-b\n"
                ":class: dropdown\n```\n\nBecause SECRET.\n\n```{solution-end}\n```\n\nAfter."
            ),
            code("x = 1"),
        ],
    }


def test_solutions_become_stubs_and_gated_text_disappears() -> None:
    student = notebooks.without_solutions(_tiny_notebook(), clear_outputs=True)
    text = json.dumps(student)
    assert "return -np.log" not in text and "SECRET" not in text
    stub_cell = student["cells"][1]
    assert 'raise NotImplementedError("Exercise 1.1: your code here")' in stub_cell["source"]
    assert "def surprisal(p):" in stub_cell["source"]
    assert "Surprisal in nats." in stub_cell["source"]
    assert any('check("1.1", surprisal)' in notebooks.source(c) for c in student["cells"])
    assert "After." in text and "Write `surprisal`." in text and "Why?" in text
    assert all(c.get("outputs", []) == [] for c in student["cells"] if c["cell_type"] == "code")
    assert student["metadata"]["xent"]["exercises"] == {"1.1": "surprisal"}


def test_plain_markdown_numbers_exercises_and_keeps_their_text() -> None:
    student = notebooks.for_jupyter(_tiny_notebook(), "1")
    text = "\n".join(notebooks.source(c) for c in student["cells"])
    assert "**Exercise 1.1.** Write `surprisal`." in text
    assert "**Exercise 1.2.** Why?" in text
    assert "```{" not in text


# --- the student edition ---------------------------------------------------------------------


def _plant_markers(root: Path) -> int:
    """Put MARKER inside every solution of every chapter; returns how many were planted."""
    planted = 0
    for path in chapters(root):
        notebook = notebooks.load(path)
        inside = False
        for cell in notebook["cells"]:
            text = notebooks.source(cell)
            if cell["cell_type"] == "code" and "solution" in notebooks.tags(cell):
                cell["source"] = f"# {MARKER}\n{text}\nprint('{MARKER}')"
                cell["outputs"] = [
                    {"output_type": "stream", "name": "stdout", "text": MARKER + "\n"}
                ]
                planted += 1
            elif cell["cell_type"] == "markdown":
                lines = []
                for line in text.split("\n"):
                    if re.match(r"^`{3,}\{solution-start\}", line.strip()):
                        inside = True
                    elif re.match(r"^`{3,}\{solution-end\}", line.strip()):
                        inside = False
                        lines.append(f"Planted {MARKER} at the end.")
                    elif inside and line.strip() == "":
                        lines.append(f"\n{MARKER} in prose.\n")
                        planted += 1
                        continue
                    lines.append(line)
                cell["source"] = "\n".join(lines)
        notebooks.save(notebook, path)
    return planted


@pytest.fixture(scope="module")
def student_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("repo")
    for name in ("_config.yml", "_toc.yml", "book"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("_build"))
        else:
            shutil.copy2(source, root / name)
    planted = _plant_markers(root)
    out = tmp_path_factory.mktemp("student")
    student_edition(out, root=root)
    assert planted or not CODING_CHAPTERS
    return root, out


@pytest.mark.book
def test_no_solution_reaches_any_file_of_the_student_edition(
    student_copy: tuple[Path, Path],
) -> None:
    root, out = student_copy
    sources = "".join(p.read_text() for p in chapters(root))
    assert MARKER in sources or not CODING_CHAPTERS
    leaks = [
        str(p.relative_to(out))
        for p in out.rglob("*")
        if p.is_file() and MARKER.encode() in p.read_bytes()
    ]
    assert not leaks
    for needed in ("site/searchindex.js", "site/index.html", "site/_sources"):
        assert (out / needed).exists(), needed


@needs_chapters
@pytest.mark.parametrize("path", CODING_CHAPTERS, ids=[p.stem for p in CODING_CHAPTERS])
def test_no_hint_or_label_hands_over_a_line_of_a_solution(path: Path) -> None:
    # A failing check shows its case's hint and label to the student, and the exports write
    # them into the released notebooks: they may point the way, never give the code.
    secret = {line for lines in solution_lines(path).values() for line in lines}
    leaks = []
    for exercise in registry.for_chapter(_chapter_id(path)):
        shown = list(exercise.cases())
        for seed in range(5):
            shown += exercise.hidden_cases(seed)
        for case in shown:
            for text in (case.hint, case.label, case.category):
                leaks += [(exercise.id, line) for line in secret if line in text]
    assert not leaks, sorted(set(leaks))


@pytest.mark.book
def test_student_edition_keeps_every_exercise_prompt_and_check(
    student_copy: tuple[Path, Path],
) -> None:
    root, out = student_copy
    for path in chapters(root):
        original = notebooks.load(path)
        student = notebooks.load(out / "notebooks" / path.name)
        text = "\n".join(notebooks.source(c) for c in student["cells"])
        assert "```{" not in text, f"MyST directive left in {path.name}"
        for exercise_id, function in notebooks.checks(original).items():
            assert f'check("{exercise_id}", {function})' in text
        prompts = re.findall(
            r"```\{exercise\}[^\n]*\n(?::[^\n]*\n)*\n?([^\n]+)",
            "\n".join(notebooks.source(c) for c in original["cells"]),
        )
        chapter = _chapter_id(path)
        numbers = notebooks.numbering(original, chapter)
        glued = notebooks.glue_values(original)
        for prompt in prompts:
            shown = notebooks.plain_markdown(prompt, glued, numbers, [0], chapter).strip()
            assert shown[:40] in text, f"lost the prompt {shown[:40]!r}"
        assert all(not c.get("outputs") for c in student["cells"] if c["cell_type"] == "code")
        html = (out / "site" / "book" / f"{path.stem}.html").read_text()
        assert "Exercise" in html


def test_copy_is_not_mutated_by_rewriting() -> None:
    original = _tiny_notebook()
    before = copy.deepcopy(original)
    notebooks.for_jupyter(original, "1")
    assert original == before


def test_instructors_page_lists_every_coding_exercise_with_its_points() -> None:
    page = (ROOT / "book" / "instructors.md").read_text()
    for path in chapters(ROOT):
        chapter = _chapter_id(path)
        for exercise in registry.for_chapter(chapter) if chapter in registry.chapters() else []:
            if exercise.id.split(".")[0] == chapter:
                plural = "s" if exercise.points > 1 else ""
                row = f"{exercise.id} {exercise.title} ({exercise.points} pt{plural})"
                assert row in page, f"book/instructors.md does not list {row!r}"
