"""Print the table of chapters for book/instructors.md from the chapters and the registry.

    python scripts/instructors_table.py
"""

from __future__ import annotations

import re
from pathlib import Path

from xent.coursework import notebooks, registry
from xent.coursework.student_edition import chapters

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    print("| chapter | title | exercises | coding exercises (points) | points |")
    print("| --- | --- | --- | --- | --- |")
    for path in chapters(ROOT):
        number = notebooks.chapter_number(path)
        if number is None:
            continue
        notebook = notebooks.load(path)
        text = "\n".join(notebooks.source(c) for c in notebook["cells"]
                         if c["cell_type"] == "markdown")
        title = re.search(r"^#\s+(.+)$", text, re.M)
        count = len(re.findall(r"^[`:]{3,}\{exercise\}", text, re.M))
        coding = registry.for_chapter(number) if number in registry.chapters() else []
        cells = "<br>".join(
            f"{e.id} {e.title} ({e.points} pt{'s' if e.points > 1 else ''})" for e in coding
        )
        heading = title[1].strip() if title else path.stem
        heading = re.sub(r"^\d+\.\s*", "", heading)
        print(f"| {number} | {heading} | {count} | {cells} | {sum(e.points for e in coding)} |")


if __name__ == "__main__":
    main()
