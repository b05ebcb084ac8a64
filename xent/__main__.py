"""Command line: ``python -m xent student-edition OUTDIR`` and ``python -m xent grade NB...``."""

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

    grade = commands.add_parser(
        "grade",
        help="grade submitted notebooks in a sandbox (hidden cases, partial credit, gradebook)",
    )
    grade.add_argument(
        "submissions",
        nargs="+",
        help="submitted .ipynb files, folders (every notebook below) or globs",
    )
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded at once")
    grade.add_argument("--out", help="write gradebook.csv, grades.json and feedback/ here")
    grade.add_argument("--json", action="store_true", help="print JSON instead of a table")
    grade.add_argument("--chapter", help="grade every submission as this chapter")
    grade.add_argument(
        "--seed",
        type=int,
        help="seed of the hidden cases (default: a fresh random one for each "
        "submission; the seed used is in every report, to reproduce a grade)",
    )
    grade.add_argument("--roster", help="CSV with columns student,file")
    grade.add_argument(
        "--id-pattern", help="regex with a group named 'student', matched in the file name"
    )
    grade.add_argument(
        "--timeout", type=float, default=300.0, help="seconds for a whole submission (default 300)"
    )
    grade.add_argument(
        "--exercise-timeout",
        type=int,
        default=60,
        help="seconds for one cell or one exercise's cases (default 60)",
    )
    grade.add_argument(
        "--memory",
        type=float,
        default=4.0,
        help="address-space limit per submission, GiB (default 4)",
    )
    grade.add_argument(
        "--require-sandbox", action="store_true", help="refuse to grade without bubblewrap"
    )

    export = commands.add_parser(
        "export", help="export the coding exercises to nbgrader or otter-grader"
    )
    export.add_argument("engine", choices=["nbgrader", "otter"])
    export.add_argument("outdir", help="folder to write the course into")
    export.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the hidden cases written into the tests (default 0)",
    )
    export.add_argument("--source", help="the course repository (default: this checkout)")
    export.add_argument(
        "--chapter", action="append", help="export only this chapter (repeat for several)"
    )

    args = parser.parse_args(argv)
    if args.command == "export":
        from pathlib import Path

        from xent.coursework import exports

        writer = exports.export_nbgrader if args.engine == "nbgrader" else exports.export_otter
        root = Path(args.source) if args.source else None
        written = writer(args.outdir, root=root, seed=args.seed, only=args.chapter)
        print(f"{args.engine} course written to {written}")
        return 0
    if args.command == "student-edition":
        from xent.coursework.student_edition import student_edition

        out = student_edition(args.outdir, root=args.source, site=not args.no_site)
        print(f"student edition written to {out}")
        return 0

    from pathlib import Path

    from xent.coursework import grade as grading
    from xent.coursework.sandbox import Limits

    # File names and a submission's messages may hold text that is not valid UTF-8.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")

    settings = grading.Settings(
        timeout=args.timeout,
        exercise_timeout=args.exercise_timeout,
        chapter=args.chapter,
        seed=args.seed,
        require_sandbox=args.require_sandbox,
        limits=Limits(memory_bytes=int(args.memory * 2**30)),
    )
    roster = grading.read_roster(Path(args.roster)) if args.roster else None
    reports, warnings = grading.grade_batch(
        args.submissions,
        settings=settings,
        jobs=args.jobs,
        roster=roster,
        id_pattern=args.id_pattern,
    )
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.out:
        grading.write_outputs(reports, Path(args.out))
        print(f"gradebook written to {Path(args.out) / 'gradebook.csv'}", file=sys.stderr)
    if args.json:
        import json

        payload = [report.as_dict() for report in reports]
        print(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2))
    else:
        print("\n\n".join(report.table() for report in reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
