"""Reading and rewriting chapter notebooks: solutions out, stubs in, MyST made plain.

A chapter marks its solutions in two ways, and both are removed here:

- Markdown between ```` ```{solution-start} label ```` and ```` ```{solution-end} ````
  (sphinx-exercise's gated form; it may span several cells), and ```` ```{solution} ````
  directive blocks;
- code cells tagged ``solution``, which become stubs that raise ``NotImplementedError``.

Check cells (``check("1.3", function)``) stay, so students can test themselves.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path
from typing import Any

CHECK_CALL = re.compile(r"""check\(\s*["'](?P<id>\d+\.\d+)["']\s*,\s*(?P<function>\w+)""")
_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}(?P<arg>.*)$")


def chapter_number(path: Path) -> str | None:
    """The chapter a notebook named ``NN_slug.ipynb`` holds, as ``"N"``; None otherwise."""
    match = re.match(r"(\d+)_", Path(path).name)
    return str(int(match[1])) if match else None


def load(path: Path) -> dict[str, Any]:
    notebook: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return notebook


def save(notebook: dict[str, Any], path: Path) -> None:
    Path(path).write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", "utf-8")


def source(cell: dict[str, Any]) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def tags(cell: dict[str, Any]) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def checks(notebook: dict[str, Any]) -> dict[str, str]:
    """Exercise id -> the name of the function its check cell checks, in notebook order."""
    found: dict[str, str] = {}
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code" and "solution" not in tags(cell):
            for match in CHECK_CALL.finditer(source(cell)):
                found.setdefault(match["id"], match["function"])
    return found


class UnclosedSolution(ValueError):
    """A solution block that never ends: stripping it would delete the rest of the notebook."""


def _remove_solution_markdown(text: str, inside: bool, cell: int = 0) -> tuple[str, bool]:
    """Drop gated solutions and ``solution`` blocks; ``inside`` carries across cells.

    Raises:
        UnclosedSolution: a solution directive whose fence is not closed in its cell.
    """
    kept: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _FENCE.match(line.strip())
        if match and match["name"] in ("solution-start", "solution-end", "solution"):
            closing = match["fence"]
            j = i + 1
            while j < len(lines) and lines[j].strip() != closing:
                j += 1
            if j == len(lines):
                raise UnclosedSolution(
                    f"cell {cell}: the {{{match['name']}}} directive opened by {closing} is "
                    f"never closed in that cell"
                )
            if match["name"] == "solution-start":
                inside = True
            elif match["name"] == "solution-end":
                inside = False
            i = j + 1
            continue
        if not inside:
            kept.append(line)
        i += 1
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n"), inside


def stub(code: str, exercise_id: str) -> str:
    """Replace a solution by the definitions a student must fill in, each raising."""
    message = f"Exercise {exercise_id}: your code here"
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return f'raise NotImplementedError("{message}")\n'
    parts: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            signature = ast.unparse(node.args)
            docstring = ast.get_docstring(node)
            body = f'    """{docstring}"""\n' if docstring else ""
            parts.append(
                f'def {node.name}({signature}):\n{body}    raise NotImplementedError("{message}")\n'
            )
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            parts.append(ast.unparse(node) + "\n")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = ", ".join(ast.unparse(t) for t in targets)
            parts.append(f"{names} = ...  # {message}\n")
    if not parts:
        parts.append(f"# {message}\n")
    return "\n\n".join(part.rstrip("\n") for part in parts) + "\n"


def without_solutions(notebook: dict[str, Any], *, clear_outputs: bool) -> dict[str, Any]:
    """A copy of ``notebook`` with every solution removed and solution cells stubbed.

    Outputs of solution and check cells are always removed (they are computed from the
    solution); with ``clear_outputs`` every output and execution count goes.
    """
    result = copy.deepcopy(notebook)
    ids = list(checks(notebook))
    cells: list[dict[str, Any]] = []
    inside = False
    opened = -1
    solutions_seen = 0
    for index, cell in enumerate(result.get("cells", [])):
        kind = cell.get("cell_type")
        if kind == "markdown":
            was_inside = inside
            text, inside = _remove_solution_markdown(source(cell), inside, index)
            if inside and not was_inside:
                opened = index
            if text.strip():
                cell["source"] = text
                cells.append(cell)
            continue
        if kind != "code":
            if not inside:
                cells.append(cell)
            continue
        is_solution = "solution" in tags(cell)
        is_check = bool(CHECK_CALL.search(source(cell)))
        if is_solution:
            exercise_id = exercise_after(result["cells"], index) or (
                ids[solutions_seen] if solutions_seen < len(ids) else "?"
            )
            solutions_seen += 1
            cell["source"] = stub(source(cell), exercise_id)
        elif inside:
            continue
        if clear_outputs or is_solution or is_check:
            cell["outputs"] = []
            cell["execution_count"] = None
        cells.append(cell)
    if inside:
        raise UnclosedSolution(
            f"cell {opened}: a solution-start has no solution-end after it; the student "
            "edition would lose every cell that follows"
        )
    result["cells"] = cells
    result.setdefault("metadata", {})["xent"] = {"exercises": checks(notebook)}
    return result


def exercise_after(cells: list[dict[str, Any]], index: int) -> str | None:
    """The id checked by the first check cell after the solution cell at ``index``.

    Cells in between (a demonstration inside the gated solution, say) are passed over; the
    next solution cell ends the search, since it belongs to the next check.
    """
    for cell in cells[index + 1 :]:
        if cell.get("cell_type") == "code":
            match = CHECK_CALL.search(source(cell))
            if match:
                return match["id"]
            if "solution" in tags(cell):
                return None
    return None


def glue_values(notebook: dict[str, Any]) -> dict[str, str]:
    """Name -> plain-text value of every ``glue``d output of an executed notebook."""
    values: dict[str, str] = {}
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            key = output.get("metadata", {}).get("scrapbook", {}).get("name")
            for mime, value in data.items():
                if mime.startswith("application/papermill.record/") and key:
                    text = "".join(value) if isinstance(value, list) else str(value)
                    values.setdefault(key, text)
    return values


def _format(value: str, spec: str) -> str:
    try:
        return format(float(value), spec) if spec else value
    except ValueError:
        return value.strip("'\"")


_ROLE = re.compile(r"\{(?P<role>[\w:]+)\}`(?P<body>[^`]*)`")


def numbering(notebook: dict[str, Any], chapter: str) -> dict[str, str]:
    """Label -> the number the website shows: "(1.2)", "Figure 1.3", "Exercise 1.4"."""
    numbers: dict[str, str] = {}
    counts = {"eq": 0, "fig": 0, "exercise": 0}
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            name = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
            if name:
                counts["fig"] += 1
                numbers[name] = f"Figure {chapter}.{counts['fig']}"
            continue
        text = source(cell)
        for match in re.finditer(
            r"\$\$\s*\((?P<eq>[\w:-]+)\)|^:label:\s*(?P<label>\S+)|"
            r"^`{3,}\{exercise\}",
            text,
            flags=re.MULTILINE,
        ):
            if match["eq"]:
                counts["eq"] += 1
                numbers[match["eq"]] = f"({chapter}.{counts['eq']})"
            elif match["label"] and match["label"] not in numbers:
                numbers.setdefault(match["label"], "")
        for match in re.finditer(
            r"^`{3,}\{exercise\}[^\n]*\n(?::label:\s*(\S+))?", text, flags=re.MULTILINE
        ):
            counts["exercise"] += 1
            if match[1]:
                numbers[match[1]] = f"Exercise {chapter}.{counts['exercise']}"
    return {label: shown for label, shown in numbers.items() if shown}


def _plain_role(match: re.Match[str], glued: dict[str, str], numbers: dict[str, str]) -> str:
    role, body = match["role"], match["body"]
    target = re.search(r"<([^>]*)>$", body)
    label = (target[1] if target else body).strip()
    shown = re.sub(r"\s*<[^>]*>$", "", body).strip()
    if label in numbers and role in ("eq", "numref", "ref"):
        number = numbers[label]
        if role == "eq":
            return number
        return shown.replace("{number}", number.split()[-1]) if target else number
    if role.startswith("glue"):
        name, _, spec = body.partition(":")
        return _format(glued.get(name, name), spec)
    if role in ("cite", "cite:p", "cite:t", "cite:ps", "cite:ts"):
        return "[" + body.replace(",", "; ") + "]"
    if role in ("eq", "numref", "ref", "prf:ref", "doc"):
        return f"({shown})" if role == "eq" else f"*{shown}*"
    if role.startswith("py:"):
        return f"`{shown.lstrip('~')}`"
    return shown


def plain_markdown(
    text: str, glued: dict[str, str], numbers: dict[str, str], counter: list[int], chapter: str
) -> str:
    """MyST that plain Jupyter cannot render, rewritten as ordinary Markdown."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _FENCE.match(line.strip())
        if re.match(r"^\([\w:-]+\)=\s*$", line.strip()):
            i += 1
            continue
        if match and match["name"] not in ("math",):
            name, arg = match["name"], match["arg"].strip()
            j = i + 1
            body: list[str] = []
            while j < len(lines) and lines[j].strip() != match["fence"]:
                if not re.match(r"^:[\w-]+:", lines[j].strip()):
                    body.append(lines[j])
                j += 1
            title = {
                "exercise": "Exercise",
                "prf:theorem": "Theorem",
                "prf:lemma": "Lemma",
                "prf:proof": "Proof",
                "prf:definition": "Definition",
                "prf:corollary": "Corollary",
                "prf:proposition": "Proposition",
                "prf:example": "Example",
            }.get(name, arg or name.split(":")[-1].capitalize())
            if name == "exercise":
                counter[0] += 1
                title = f"Exercise {chapter}.{counter[0]}"
            if name.startswith("prf:") and arg and name != "prf:proof":
                title = f"{title} ({arg})"
            content = "\n".join(body).strip("\n")
            if name in (
                "admonition",
                "note",
                "tip",
                "important",
                "warning",
                "caution",
                "seealso",
                "hint",
                "attention",
                "danger",
                "error",
            ):
                heading = arg if name == "admonition" else name.capitalize()
                quoted = "\n".join(f"> {row}" if row else ">" for row in content.split("\n"))
                out.append(f"> **{heading}**\n>\n{quoted}")
            else:
                out.append(f"**{title}.** {content}")
            i = j + 1
            continue
        out.append(line)
        i += 1
    text = "\n".join(out)
    text = re.sub(r"(\$\$)\s*\([\w:-]+\)", r"\1", text)
    return _ROLE.sub(lambda m: _plain_role(m, glued, numbers), text)


def for_jupyter(notebook: dict[str, Any], chapter: str = "") -> dict[str, Any]:
    """Student notebook: no solutions, no outputs, MyST made plain, glue values inlined."""
    glued = glue_values(notebook)
    numbers = numbering(notebook, chapter) if chapter else {}
    counter = [0]
    result = without_solutions(notebook, clear_outputs=True)
    if chapter:
        # The grader reads the chapter from here before it trusts the file name.
        result["metadata"]["xent"]["chapter"] = int(chapter)
    for cell in result["cells"]:
        if cell.get("cell_type") == "markdown":
            cell["source"] = plain_markdown(source(cell), glued, numbers, counter, chapter)
    return result
