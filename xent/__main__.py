"""Command line: ``python -m xent student-edition OUTDIR`` and ``python -m xent grade NB``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xent", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    edition = commands.add_parser(
        "student-edition", help="write the chapters and website without solutions"
    )
    edition.add_argument("outdir", help="folder to write notebooks/ and site/ into")
    edition.add_argument("--no-site", action="store_true", help="write the notebooks only")
    edition.add_argument("--source", help="the course repository (default: this checkout)")

    grade = commands.add_parser("grade", help="grade submitted notebooks")
    grade.add_argument("submissions", nargs="+", help="submitted .ipynb files")
    grade.add_argument("--json", action="store_true", help="print JSON instead of a table")
    grade.add_argument("--timeout", type=float, default=300.0,
                       help="seconds for a whole notebook (default 300)")
    grade.add_argument("--exercise-timeout", type=int, default=60,
                       help="seconds for one cell or one exercise's check (default 60)")

    args = parser.parse_args(argv)
    if args.command == "student-edition":
        from xent.coursework.student_edition import student_edition

        out = student_edition(args.outdir, root=args.source, site=not args.no_site)
        print(f"student edition written to {out}")
        return 0

    from xent.coursework.grade import grade as grade_notebook

    reports = [
        grade_notebook(path, timeout=args.timeout, exercise_timeout=args.exercise_timeout)
        for path in args.submissions
    ]
    if args.json:
        import json

        payload = [json.loads(report.as_json()) for report in reports]
        print(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2))
    else:
        print("\n\n".join(report.table() for report in reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
