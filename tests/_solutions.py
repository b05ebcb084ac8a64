"""The chapters' solution cells and the lines of them that no student-facing text may hold."""

from __future__ import annotations

from pathlib import Path

from xent.coursework import notebooks


def solutions(path: Path) -> dict[str, str]:
    """Exercise id -> the chapter's solution cell."""
    cells = notebooks.load(path)["cells"]
    found = {}
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code" and "solution" in notebooks.tags(cell):
            exercise_id = notebooks.exercise_after(cells, index)
            if exercise_id:
                found[exercise_id] = notebooks.source(cell)
    return found


def solution_lines(path: Path) -> dict[str, list[str]]:
    """Exercise id -> the lines of its solution that give work away: bodies, not signatures,
    and not lines that the chapter's ordinary cells hold too (those are no secret)."""
    ordinary = {
        line.strip()
        for cell in notebooks.load(path)["cells"]
        if cell["cell_type"] == "code" and "solution" not in notebooks.tags(cell)
        for line in notebooks.source(cell).splitlines()
    }
    found: dict[str, list[str]] = {}
    for exercise_id, code in solutions(path).items():
        found[exercise_id] = [
            text
            for text in (line.strip() for line in code.splitlines())
            if len(text) > 12
            and not text.startswith(("def ", "#", '"""', "import ", "from "))
            and '"""' not in text
            and text not in ordinary
        ]
    return found
