"""The grader (trusted side): ``python -m xent grade SUBMISSIONS... [--jobs N] [--out DIR]``.

The student's code never runs in this process. For each submission the grader:

1. reads the notebook as data and decides which chapter it is (``--chapter``, then the
   notebook's metadata, then the exercise ids its check calls name, then the file name);
2. draws the hidden cases of every exercise of that chapter from a per-submission seed (in the
   report, so a grade can be reproduced with ``--seed``), and computes every expected value
   here;
3. sends only the inputs, as plain data, to :mod:`xent.coursework.runner`, which executes the
   notebook in a sandbox (:mod:`xent.coursework.sandbox`) where the chapter's forbidden
   functions raise, and writes back what the student's functions returned;
4. compares, here: partial credit by case, never more than an exercise's points; a duplicated
   result voids its exercise; a failed hidden case is named by its category only;
5. checks that the installed package is unchanged (hash); a change is reported as tampering.

Any input yields a row: an unreadable file, a notebook of the wrong shape, a file of no known
chapter each get a row with the reason; a failure of the grader's own machinery is reported
as "not graded: grader error", never as a zero for the student.
"""

from __future__ import annotations

import csv
import errno
import glob
import hashlib
import io
import json
import math
import os
import re
import secrets
import stat
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xent.coursework import registry, sandbox, wire
from xent.coursework.compare import EDGE_RULE, label, same, show, tolerance
from xent.coursework.registry import Case, Exercise

# --- reports -----------------------------------------------------------------------------------


@dataclass
class CaseOutcome:
    kind: str
    """``"visible"`` or ``"hidden"``."""
    passed: bool
    message: str
    """For a hidden case, its category only; for a visible one, the call and the values."""


@dataclass
class ExerciseScore:
    id: str
    title: str
    points: float
    max_points: int
    passed_cases: int
    total_cases: int
    message: str
    cases: list[CaseOutcome] = field(default_factory=list)


@dataclass
class Report:
    notebook: str
    student: str
    chapter: str
    status: str
    """``graded``, ``invalid`` (the file could not be graded: see reason), ``grader-error``,
    ``tampered`` (the submission changed the installed package: scored 0) or ``missing``."""
    reason: str = ""
    seed: int | None = None
    exercises: list[ExerciseScore] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sandbox: str = ""
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds from the runner's start to each stage (kernel, executed, graded): as the
    sandbox reports them, for timing only."""

    @property
    def total(self) -> float:
        return round(sum(e.points for e in self.exercises), 2)

    @property
    def max_total(self) -> int:
        return sum(e.max_points for e in self.exercises)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(total=self.total, max_total=self.max_total, seconds=round(self.seconds, 2))
        return data

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2)

    def table(self) -> str:
        heading = f"Grading {clean(self.notebook)} (chapter {clean(self.chapter) or '?'})"
        if self.student:
            heading += f", student {clean(self.student)}"
        lines = [heading]
        if self.status not in ("graded",):
            lines.append(f"NOT GRADED ({self.status}): {clean(self.reason)}")
        if self.exercises:
            rows = [("exercise", "points", "cases", "message")]
            rows += [
                (
                    e.id,
                    f"{e.points:g}/{e.max_points}",
                    f"{e.passed_cases}/{e.total_cases}",
                    clean(e.message),
                )
                for e in self.exercises
            ]
            widths = [max(len(r[i]) for r in rows) for i in range(3)]
            lines.append("")
            for number, row in enumerate(rows):
                lines.append(
                    "  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True))
                    + "  "
                    + row[3]
                )
                if number == 0:
                    lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 7)
        lines += [f"  note: {clean(note)}" for note in self.notes]
        lines += [
            "",
            f"Total: {self.total:g} / {self.max_total} points "
            f"(seed {self.seed}, {self.seconds:.1f} s)",
        ]
        return "\n".join(lines)

    def feedback(self) -> str:
        """Markdown feedback for the student: per exercise, what passed, what to look at."""
        text = _markdown_text
        chapter = text(self.chapter)
        out = [f"# Chapter {chapter}: {self.total:g} / {self.max_total} points", ""]
        if self.status != "graded":
            out += [f"**Not graded ({self.status}):** {text(self.reason)}", ""]
        for e in self.exercises:
            out.append(f"## Exercise {e.id}: {e.title} — {e.points:g} / {e.max_points}")
            out.append("")
            out.append(f"{e.passed_cases} of {e.total_cases} cases pass. {text(e.message)}")
            failed = [c for c in e.cases if not c.passed]
            if failed:
                out.append("")
                out += [f"- {c.kind}: {text(c.message)}" for c in failed]
            out.append("")
        out += [f"> {text(note)}" for note in self.notes]
        return "\n".join(out).rstrip() + "\n"


# --- reading a submission ----------------------------------------------------------------------


class Invalid(Exception):
    """The submission cannot be graded; the message says why (shown in its row)."""


def read_notebook(path: Path) -> dict[str, Any]:
    """The notebook as data, or :class:`Invalid` with a reason a person understands."""
    limit = NOTEBOOK_LIMIT
    link = linked_component(path)
    if link is not None:
        raise Invalid(f"a folder in its path is a symbolic link ({clean(str(link))})")
    try:
        # Never follow a link, never open a FIFO or a device: a regular file of its own, read
        # up to the size limit.
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise Invalid("the file is a symbolic link; submit the notebook itself") from None
        raise Invalid(f"cannot read the file: {error.strerror or error}") from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise Invalid("not a regular file")
        raw = handle.read(limit + 1)
    if not raw.strip():
        raise Invalid("the file is empty")
    if len(raw) > limit:
        raise Invalid(
            f"the file is larger than {limit // 2**20} MB; clear the outputs and submit it again"
        )
    try:
        notebook = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Invalid("not a notebook: the file is not valid JSON") from None
    if not isinstance(notebook, dict):
        raise Invalid(f"not a notebook: the JSON is a {type(notebook).__name__}, not an object")
    if notebook.get("nbformat") == 3 or "worksheets" in notebook:
        if len(raw) > NBFORMAT3_LIMIT:
            # converting one costs about 150 times its size in memory (26 MB took 4.3 GB)
            raise Invalid(
                f"an nbformat 3 notebook larger than {NBFORMAT3_LIMIT // 2**20} MB; save it "
                "with a current Jupyter and submit it again"
            )
        try:
            import nbformat

            converted = nbformat.convert(nbformat.from_dict(notebook), 4)
            notebook = dict(json.loads(nbformat.writes(converted)))
        except Exception as error:  # noqa: BLE001
            raise Invalid(f"an nbformat 3 notebook that cannot be converted: {error}") from None
    cells = notebook.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise Invalid("not a notebook: 'cells' is not a list of cells")
    code = sum(len(text) for text in code_cells(notebook))
    if code > CODE_LIMIT:
        # The grader parses the code itself (check calls, definitions): bounded, so that no
        # submission can take the grader's memory or time (10 MB of code took 7 GB to parse).
        raise Invalid(
            f"the code cells hold {code:,} characters; the limit is {CODE_LIMIT:,} "
            "(a chapter's code is under 25,000)"
        )
    return dict(notebook)


#: Where the sandboxes' user ids are drawn from: far above any real user's, system user's or
#: usual subordinate range (/etc/subuid), below nobody's 2^32 - 2.
UID_BASE, UID_SPAN = 2**30, 2**30 - 2

#: The most characters of code a submission may hold, over all its code cells.
CODE_LIMIT = 512 * 1024

#: The largest notebook file read: parsing JSON takes many times its size in the grader's own
#: memory, which no sandbox limits (a chapter with its outputs is under 1 MB).
NOTEBOOK_LIMIT = 16 * 2**20
NBFORMAT3_LIMIT = 4 * 2**20

#: The largest results file read, and the largest line of it parsed: four times the largest
#: expected value any exercise sends (under 1 MB); a 60 MB line took the grader 6.7 GB to parse.
RESULTS_LIMIT = 64 * 2**20
RESULT_LINE_LIMIT = 4 * 2**20
_RESULT_KEY = re.compile(r'^\{"key": "([0-9a-f]{1,64})"')


def code_cells(notebook: dict[str, Any]) -> list[str]:
    """The source of every code cell, in order."""
    sources = []
    for cell in notebook["cells"]:
        if cell.get("cell_type") != "code":
            continue
        text = cell.get("source", "")
        if isinstance(text, list):
            text = "".join(t for t in text if isinstance(t, str))
        if isinstance(text, str):
            sources.append(text)
    return sources


def check_calls(sources: Iterable[str]) -> dict[str, str]:
    """Exercise id -> the function name a check call passes; comments and strings ignored."""
    import ast

    found: dict[str, str] = {}
    for text in sources:
        try:
            tree = sandbox.parse_source(_without_magics(text))
        except Exception:  # noqa: BLE001  (SyntaxError, RecursionError, MemoryError, ...)
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "check"
                and len(node.args) >= 2
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and isinstance(node.args[1], ast.Name)
            ):
                found.setdefault(node.args[0].value, node.args[1].id)
    return found


def _without_magics(text: str) -> str:
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines()
    )


def chapter_of(
    path: Path, notebook: dict[str, Any], calls: dict[str, str], override: str | None
) -> str:
    """Which chapter a submission is, or :class:`Invalid` naming what was tried."""
    known = registry.chapters()
    if override is not None:
        chapter = str(int(override))
        if chapter not in known:
            raise Invalid(f"--chapter {override}: no chapter with coding exercises has that number")
        return chapter
    metadata = notebook.get("metadata")
    if isinstance(metadata, dict):
        recorded = metadata.get("xent")
        if isinstance(recorded, dict) and str(recorded.get("chapter", "")) in known:
            return str(recorded["chapter"])
    from_calls = [eid.split(".")[0] for eid in calls if eid.split(".")[0] in known]
    if from_calls:
        return max(set(from_calls), key=from_calls.count)
    # The chapter's own file name, NN_slug.ipynb, ends the name; LMS prefixes come before it.
    numbers = [str(int(n)) for n in re.findall(r"(?<![0-9])([0-9]{2})_[A-Za-z]", path.name)]
    if numbers and numbers[-1] in known:
        return numbers[-1]
    raise Invalid(
        "cannot tell which chapter this is (no xent metadata, no check call, and the file "
        f"name {path.name!r} names no chapter with coding exercises); pass --chapter N"
    )


# --- the cases ---------------------------------------------------------------------------------


@dataclass
class _Issued:
    key: str
    exercise: Exercise
    case: Case
    kind: str
    expected: Any
    error: str = ""


def _issue(exercises: Sequence[Exercise], seed: int) -> list[_Issued]:
    issued = []
    for exercise in exercises:
        drawn = [("visible", c) for c in exercise.cases()] + [
            ("hidden", c) for c in exercise.hidden_cases(seed)
        ]
        for kind, case in drawn:
            error = ""
            expected: Any = None
            if case.raises is None:
                try:
                    with np.errstate(all="ignore"):
                        expected = case.expected()
                except Exception as failure:  # noqa: BLE001
                    error = f"{type(failure).__name__}: {failure}"
            issued.append(_Issued(secrets.token_hex(8), exercise, case, kind, expected, error))
    return issued


def _subclass_names(cls: type[BaseException]) -> set[str]:
    names = {cls.__name__}
    for sub in cls.__subclasses__():
        names |= _subclass_names(sub)
    return names


def _edges_need_an_ordinary_pass(
    items: Sequence[_Issued], outcomes: list[CaseOutcome]
) -> list[CaseOutcome]:
    """Edge cases (an expected error or infinite value) count only when the exercise's anchor,
    its first ordinary visible case, passed (:func:`registry.is_edge`)."""
    visible = [k for k, i in enumerate(items) if i.kind == "visible"]
    first = registry.anchor([items[k].case for k in visible])
    if first is None or outcomes[visible[first]].passed:
        return outcomes
    return [
        CaseOutcome(o.kind, False, f"{o.message}; {EDGE_RULE}")
        if o.passed and registry.is_edge(i.case, i.expected)
        else o
        for i, o in zip(items, outcomes, strict=True)
    ]


def _judge(item: _Issued, record: dict[str, Any] | None) -> CaseOutcome:
    case, exercise = item.case, item.exercise
    where = f"hidden: {case.category}" if item.kind == "hidden" else f"{label(case)}"
    hint = f" Hint: {case.hint}" if case.hint else ""
    if record is None:
        return CaseOutcome(item.kind, False, f"{where}: no result (timed out or crashed)")
    if "missing" in record:
        # the name is the grader's own, not the one in the record (whose size is the sandbox's)
        name = item.exercise.function
        return CaseOutcome(item.kind, False, f"{where}: no function named {name!r} was defined")
    if "raised" in record:
        name = clean(str(record.get("raised"))[:80])
        if case.raises is not None and name in _subclass_names(case.raises):
            return CaseOutcome(item.kind, True, f"{where}: raised {name}")
        message = clean(str(record.get("message", ""))[:200])
        if name == "ForbiddenFunctionError":
            return CaseOutcome(item.kind, False, f"{where}: {message}")
        return CaseOutcome(item.kind, False, f"{where}: raised {name}: {message}.{hint}")
    if "value" not in record:
        return CaseOutcome(item.kind, False, f"{where}: returned something that is not data")
    try:
        got = wire.decode(record["value"])
    except Exception:  # noqa: BLE001  (malformed, nested too deep: data from the sandbox)
        return CaseOutcome(item.kind, False, f"{where}: returned something that is not data")
    if case.raises is not None:
        return CaseOutcome(
            item.kind,
            False,
            f"{where}: returned a value; expected it to raise {case.raises.__name__}.{hint}",
        )
    if same(got, item.expected, *tolerance(case, exercise)):
        return CaseOutcome(item.kind, True, f"{where}: pass")
    if item.kind == "hidden":
        return CaseOutcome(item.kind, False, f"{where}: wrong value.{hint}")
    return CaseOutcome(
        item.kind, False, f"{where}: returned {show(got)}; expected {show(item.expected)}.{hint}"
    )


def _read_results(path: Path, keys: set[str]) -> tuple[dict[str, dict[str, Any]], set[str], int]:
    """Results by key, keys that came twice, and the number of lines that were not ours."""
    results: dict[str, dict[str, Any]] = {}
    duplicated: set[str] = set()
    foreign = 0
    try:
        size = path.stat().st_size
        if size > RESULTS_LIMIT:
            return {}, set(), 1
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}, set(), 0
    for line in lines:
        if len(line) > RESULT_LINE_LIMIT:
            # not parsed: said to be unreadable, for its case if the line names one of ours
            found = _RESULT_KEY.match(line)
            if found and found[1] in keys:
                key = found[1]
                if key in results:
                    duplicated.add(key)
                results[key] = {"key": key, "unreadable": "a result larger than 4 MB"}
            else:
                foreign += 1
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            foreign += 1
            continue
        if not isinstance(record, dict) or not isinstance(record.get("key"), str):
            foreign += 1
            continue
        if record["key"] not in keys:
            foreign += 1
            continue
        if record.get("start"):
            continue
        key = record["key"]
        if key in results:
            duplicated.add(key)
        results[key] = record
    return results, duplicated, foreign


_RUNNER_NOTE = re.compile(
    r"^(code cell \d+ hung and ignored interrupts: skipped"
    r"|a case hung and the kernel ignored interrupts: restarted)$"
)


def clean(text: str) -> str:
    """Text that prints and writes anywhere: lone surrogates (from file names or a
    submission's messages) replaced, and every control or format character (a newline, an
    escape sequence that redraws the instructor's terminal, a bidirectional override that
    reorders a row) written as its escape, ``\\x1b``, ``\\u202e``."""
    text = text.encode("utf-8", errors="replace").decode("utf-8")
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii")
        for c in text
    )


#: A spreadsheet reads a cell that starts with one of these as a formula
#: (``=HYPERLINK(...)`` in a student id taken from a file name).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> object:
    """A gradebook cell: text a spreadsheet would run as a formula is quoted with ``'``."""
    if isinstance(value, str):
        value = clean(value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~!&])")


def _markdown_text(text: str) -> str:
    """Text from a submission, shown as text in Markdown: no HTML, link, image or heading."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", clean(text))


# --- grading -----------------------------------------------------------------------------------


@dataclass
class Settings:
    timeout: float = 300.0
    """Seconds for a whole submission."""
    exercise_timeout: int = 60
    """Seconds for one cell, or for one exercise's cases."""
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    chapter: str | None = None
    seed: int | None = None
    """The seed of every submission's hidden cases (to reproduce a grade, or to match an
    export); None draws a fresh one for each submission."""
    require_sandbox: bool = False


class Grader:
    """Grades submissions; one per batch (it caches each chapter's restricted package)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.sandbox = sandbox.detect(allow_fallback=not self.settings.require_sandbox)
        self._work = tempfile.TemporaryDirectory(prefix="xent-grade-")
        self._shadows: dict[str, tuple[Path, dict[Path, Path]]] = {}
        self._template: Path | None = None
        self._shadow_digests: dict[str, str] = {}
        self._lock = threading.Lock()
        self._digest = sandbox.package_digest()
        self._tampered = False
        # An unprivileged user of its own for every submission, never used before: its process
        # limit is its own, and what the kernel keeps per user (key rings) reaches no other
        # submission, in this batch or a later one.
        self._uids_used: set[int] = set()

    def close(self) -> None:
        self._work.cleanup()

    def _fresh_uid(self) -> int:
        """A user id drawn at random from [2^30, 2^31 - 2), not given out before by this grader."""
        with self._lock:
            while True:
                uid = UID_BASE + secrets.randbelow(UID_SPAN)
                if uid not in self._uids_used:
                    self._uids_used.add(uid)
                    return uid

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _shadow(self, chapter: str, exercises: Sequence[Exercise]) -> tuple[Path, dict[Path, Path]]:
        with self._lock:
            if chapter not in self._shadows:
                forbidden: dict[str, str] = {}
                allowed = {name for e in exercises for name in e.allowed}
                for exercise in exercises:
                    for name in exercise.forbidden:
                        if name in allowed:
                            continue
                        users = [e.id for e in exercises if name in e.forbidden]
                        forbidden[name] = (
                            f"{name} is not allowed in exercise{'s' if len(users) > 1 else ''} "
                            f"{', '.join(users)}; write it with numpy"
                        )
                if self._template is None:
                    self._template = sandbox.compiled_copy(Path(self._work.name) / "template")
                directory = Path(self._work.name) / f"shadow-{chapter}"
                directory.mkdir()
                others = sandbox.shadow(directory, forbidden, template=self._template)
                import compileall

                # only what this chapter changed: the rest kept the template's bytecode
                compileall.compile_dir(str(directory / "xent"), quiet=2)
                self._shadows[chapter] = (directory, others)
                if self.sandbox.kind != "bubblewrap":
                    # writable by the submission without bubblewrap: checked after each grade
                    self._shadow_digests[chapter] = sandbox.tree_digest(directory)
            return self._shadows[chapter]

    def _shadows_changed(self) -> bool:
        with self._lock:
            made = dict(self._shadow_digests)
        return any(
            sandbox.tree_digest(self._shadows[chapter][0]) != digest
            for chapter, digest in made.items()
        )

    def seed_for(self, path: Path) -> int:
        return secrets.randbits(48) if self.settings.seed is None else self.settings.seed

    def grade(self, path: str | Path, student: str = "") -> Report:
        """Grade one submission; never raises for anything the submission holds."""
        path = Path(path)
        start = time.monotonic()
        report = Report(clean(str(path)), clean(student), "", "graded", sandbox=self.sandbox.kind)
        try:
            self._grade(path, report)
        except Invalid as invalid:
            report.status, report.reason = "invalid", str(invalid)
        except Exception as error:  # noqa: BLE001  (the grader's own failure, not the student's)
            report.status = "grader-error"
            report.reason = f"not graded: grader error: {type(error).__name__}: {error}"
            report.exercises = [
                ExerciseScore(e.id, e.title, 0.0, e.points, 0, 0, "not graded: grader error")
                for e in (registry.for_chapter(report.chapter) if report.chapter else [])
            ]
        report.seconds = time.monotonic() - start
        return report

    def _grade(self, path: Path, report: Report) -> None:
        notebook = read_notebook(path)
        sources = code_cells(notebook)
        calls = check_calls(sources)
        chapter = chapter_of(path, notebook, calls, self.settings.chapter)
        report.chapter = chapter
        exercises = registry.for_chapter(chapter)
        seed = self.seed_for(path)
        report.seed = seed
        issued = _issue(exercises, seed)
        if self._tampered:
            raise RuntimeError(
                "the installed package, or the grader's copy of it, changed during this batch; "
                "reinstall it and grade again"
            )
        shadow_dir, others = self._shadow(chapter, exercises)

        with tempfile.TemporaryDirectory(prefix="sub-", dir=self._work.name) as folder:
            work = Path(folder)
            os.chmod(work, 0o777)
            _write_submission(work / "submission.ipynb", sources)
            functions = {
                e.id: list(dict.fromkeys([e.function] + ([calls[e.id]] if e.id in calls else [])))
                for e in exercises
            }
            token = secrets.token_hex(16)
            job = {
                "token": token,
                "functions": functions,
                "cases": [
                    {
                        "key": i.key,
                        "exercise": i.exercise.id,
                        "args": wire.encode(tuple(i.case.args))["$t"],
                        "kwargs": wire.encode(dict(i.case.kwargs)),
                    }
                    for i in issued
                    if not i.error
                ],
                "cell_timeout": self.settings.exercise_timeout,
                "exercise_timeout": self.settings.exercise_timeout,
                "wall_seconds": self.settings.timeout,
            }
            (work / "job.json").write_text(json.dumps(job), encoding="utf-8")
            for name in ("results.jsonl", "status.json"):
                (work / name).touch()
                os.chmod(work / name, 0o666)
            limits = self.settings.limits
            uid = self._fresh_uid()
            completed = sandbox.run(
                [_python(), "-c", RUN_RUNNER],
                work,
                sandbox=self.sandbox,
                limits=sandbox.Limits(
                    wall_seconds=self.settings.timeout + 30,
                    cpu_seconds=limits.cpu_seconds,
                    memory_bytes=limits.memory_bytes,
                    processes=limits.processes,
                    file_bytes=limits.file_bytes,
                    open_files=limits.open_files,
                ),
                shadow_dir=shadow_dir,
                others=others,
                uid=uid,
            )
            status = _status(work / "status.json")
            results, duplicated, foreign = _read_results(
                work / "results.jsonl", {i.key for i in issued}
            )

        # Inside bubblewrap the package is read-only; without it, verify it after every grade.
        if self.sandbox.kind != "bubblewrap" and (
            sandbox.package_digest() != self._digest or self._shadows_changed()
        ):
            self._tampered = True
            report.status = "tampered"
            report.reason = (
                "the installed xent package or the grader's restricted copy of it changed "
                "while this submission ran"
            )
        if f"{token} kernel" not in completed.stdout:
            raise RuntimeError(
                "the runner did not start a kernel "
                f"(exit {completed.returncode}; {completed.stderr.strip()[-600:]})"
            )
        times = status.get("times")
        if isinstance(times, dict):
            # written inside the sandbox: only plain, finite, sane numbers of seconds are kept
            report.stages = {
                str(k)[:20]: seconds
                for k, v in list(times.items())[:8]
                if (seconds := _seconds(v)) is not None
            }
        # Notes come from inside the sandbox: only the runner's own sentences are kept.
        notes = status.get("notes")
        if isinstance(notes, list):
            report.notes += [n for n in notes[:20] if isinstance(n, str) and _RUNNER_NOTE.match(n)]
        if completed.memory_exceeded:
            gib = self.settings.limits.memory_bytes / 2**30
            report.notes.append(
                f"stopped: its processes held more than {gib:g} GiB of memory together "
                "(the memory limit)"
            )
        if completed.timed_out:
            report.notes.append(f"stopped after {self.settings.timeout:g} s (the time limit)")
        if foreign:
            report.notes.append(f"{foreign} result line(s) the grader did not ask for: ignored")

        for exercise in exercises:
            mine = [i for i in issued if i.exercise.id == exercise.id]
            broken = [i for i in mine if i.error]
            if broken:
                raise RuntimeError(
                    f"exercise {exercise.id}: a reference failed ({broken[0].error})"
                )
            outcomes = _edges_need_an_ordinary_pass(
                mine, [_judge(i, results.get(i.key)) for i in mine]
            )
            passed = sum(o.passed for o in outcomes)
            total = len(outcomes)
            if any(i.key in duplicated for i in mine):
                message = "VOID: the results of this exercise were written more than once"
                points = 0.0
            elif report.status == "tampered":
                message = "FLAGGED: the installed package was changed"
                points = 0.0
            else:
                points = round(exercise.points * passed / total, 2) if total else 0.0
                points = min(points, float(exercise.points))
                failures = [o.message for o in outcomes if not o.passed]
                message = "all cases pass" if not failures else failures[0]
            report.exercises.append(
                ExerciseScore(
                    exercise.id,
                    exercise.title,
                    points,
                    exercise.points,
                    passed,
                    total,
                    message,
                    outcomes,
                )
            )


#: Runs the runner by its file: ``python -m xent.coursework.runner`` would first import the
#: package (numpy and every module, a quarter of a second of each submission's processor
#: time), and the runner needs none of it; the kernel imports xent for the student.
RUN_RUNNER = (
    "import importlib.util, os, runpy; "
    "runpy.run_path(os.path.join(importlib.util.find_spec('xent').submodule_search_locations[0], "
    "'coursework', 'runner.py'), run_name='__main__')"
)


def _python() -> str:
    import sys

    return sys.executable


def _seconds(value: object) -> float | None:
    """``value`` as a number of seconds, when it is a finite number in [0, 10^7]; else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an int of 400 digits
        return None
    return seconds if math.isfinite(seconds) and 0.0 <= seconds <= 1e7 else None


def _status(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8")[:100_000])
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def split_definitions(source: str) -> list[str]:
    """A cell that defines functions, as one cell per top-level statement.

    Run whole, a cell stops at its first error, and the functions defined after it are lost:
    ``def entropy``, then ``print(xent.entropy(p))`` (which raises in the sandbox), then
    ``def empirical_entropy``. Run statement by statement, each definition stands on its own.
    Cells with magics, or that define nothing, run as they are.
    """
    import ast

    if source.lstrip().startswith("%%"):
        return [source]
    try:
        tree = sandbox.parse_source(source)
    except Exception:  # noqa: BLE001  (magics, syntax errors: the kernel reports them)
        return [source]
    defines = any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for node in tree.body
    )
    if not defines or len(tree.body) < 2:
        return [source]
    lines = source.splitlines()
    chunks = []
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        chunks.append("\n".join(lines[first - 1 : node.end_lineno]))
    return chunks


def _write_submission(path: Path, sources: Sequence[str]) -> None:
    """A fresh notebook holding only the submission's code (no outputs, no metadata)."""
    sources = [chunk for source in sources for chunk in split_definitions(source)]
    cells: list[dict[str, Any]] = [
        {
            "cell_type": "code",
            "metadata": {},
            "source": text,
            "outputs": [],
            "execution_count": None,
            "id": f"c{number}",
        }
        for number, text in enumerate(sources)
    ]
    notebook = {
        "cells": cells,
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")
    os.chmod(path, 0o644)


# --- batches -----------------------------------------------------------------------------------


def expand(inputs: Sequence[str]) -> list[Path]:
    """Files, folders (every ``.ipynb`` below) and globs, in order, without repeats."""
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif not path.exists() and glob.has_magic(item):
            found += sorted(Path(p) for p in glob.glob(item, recursive=True))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def _glob_root(item: str) -> Path | None:
    """The folder a glob starts from (its components before the first wildcard), if any."""
    if Path(item).exists() or not glob.has_magic(item):
        return None
    parts: list[str] = []
    for part in Path(item).parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def linked_component(path: Path) -> Path | None:
    """The first symbolic link among the folders of ``path`` (the file itself is opened with
    O_NOFOLLOW), or None. A student's upload can hold a link to a folder
    (``mallory -> /proc/self/cwd/book``): a glob over the uploads (``'submissions/*/*'``)
    would grade the instructor's own files as the student's. The working folder, where the
    instructor runs the grader, is trusted; a link above it in an absolute path is refused too
    (pass the real path)."""
    absolute = Path(os.path.abspath(path))
    trusted = Path(os.getcwd())
    for folder in list(reversed(absolute.parents))[1:]:
        if trusted == folder or trusted.is_relative_to(folder):
            continue
        if folder.is_symlink():
            return folder
    return None


_CHAPTER_STEM = re.compile(r"^\d{1,2}_[A-Za-z]")


def student_id(path: Path, pattern: str | None = None, root: Path | None = None) -> str:
    """The student a file belongs to.

    With ``pattern`` (a regular expression with a group named ``student``), the group's match
    in the file name. Otherwise, for a file in a folder under ``root`` (the folder graded), that
    folder, whatever the file is called or however deep it lies
    (``submissions/mallory/alice_01_entropy.ipynb`` and ``submissions/mallory/bob/01_entropy.ipynb``
    are ``mallory``'s); then, for a file named like a chapter (``01_entropy.ipynb``), the folder
    that holds it; else the file name up to its first ``_`` (``alice_01_entropy.ipynb`` ->
    ``alice``; ``4711_01_entropy.ipynb`` -> ``4711``).
    """
    if pattern:
        match = re.search(pattern, path.name)
        return match["student"] if match and match.groupdict().get("student") else path.stem
    if root is not None and path.is_relative_to(root) and len(path.relative_to(root).parts) > 1:
        # a file inside a student's folder is that student's, whatever its name says
        # (submissions/mallory/alice_01_entropy.ipynb is mallory's, not alice's)
        return path.relative_to(root).parts[0]
    if _CHAPTER_STEM.match(path.name):
        return path.parent.name
    if "_" not in path.stem:
        return path.stem
    return path.stem.split("_", 1)[0]


def _roots(inputs: Sequence[str]) -> dict[Path, Path]:
    """Each file below a folder that was given, or a glob's first folder, -> that folder (the
    outermost one)."""
    roots: dict[Path, Path] = {}
    for item in inputs:
        root = Path(item) if Path(item).is_dir() else _glob_root(item)
        if root is not None:
            for path in expand([item]):
                roots.setdefault(path, root)
    return roots


def _flag_duplicates(reports: Sequence[Report]) -> None:
    """Say so in every report of a student who has more than one file of the same chapter."""
    groups: dict[tuple[str, str], list[Report]] = {}
    for report in reports:
        if report.chapter:
            groups.setdefault((report.student, report.chapter), []).append(report)
    for (student, chapter), group in groups.items():
        if len(group) > 1:
            files = ", ".join(r.notebook for r in group)
            message = (
                f"DUPLICATE: {len(group)} files of chapter {chapter} for student {student!r} "
                f"({files}); decide which one counts"
            )
            for report in group:
                report.reason = f"{report.reason}; {message}" if report.reason else message
                report.notes.append(message)


def read_roster(path: Path) -> dict[str, str]:
    """A roster CSV with columns ``student`` and ``file`` (a file name): file name -> student."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not {"student", "file"} <= set(rows[0]):
        raise ValueError(f"{path}: the roster needs the columns 'student' and 'file'")
    return {Path(row["file"]).name: row["student"] for row in rows}


def grade_batch(
    inputs: Sequence[str],
    *,
    settings: Settings | None = None,
    jobs: int = 1,
    roster: dict[str, str] | None = None,
    id_pattern: str | None = None,
) -> tuple[list[Report], list[str]]:
    """Grade every submission named by ``inputs``; returns the reports and sandbox warnings."""
    paths = expand(inputs)
    roots = _roots(inputs)
    with Grader(settings) as grader:

        def one(path: Path) -> Report:
            root = roots.get(path)
            nested = root is not None and len(path.relative_to(root).parts) > 1
            # the roster names files by name: a file inside a student's folder is not matched
            # by its name alone (mallory/alice_01_entropy.ipynb is not alice's file)
            listed = None if nested else (roster or {}).get(path.name)
            student = listed or student_id(path, id_pattern, root)
            return grader.grade(path, student)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            reports = list(pool.map(one, paths))
        warnings = list(grader.sandbox.warnings)
    _flag_duplicates(reports)
    if roster:
        seen = {r.student for r in reports}
        for file, student in roster.items():
            if student not in seen:
                reports.append(Report(file, student, "", "missing", "no submission"))
    return reports, warnings


#: The longest feedback file name, before ``_<n>.md``.
_FEEDBACK_NAME = 120


def write_outputs(reports: Sequence[Report], out: Path) -> None:
    """``gradebook.csv``, ``grades.json`` and ``feedback/<student>_<file>.md`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    exercise_ids = sorted(
        {e.id for r in reports for e in r.exercises}, key=lambda i: [int(p) for p in i.split(".")]
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "student",
            "file",
            "chapter",
            "status",
            "score",
            "max_score",
            *[f"exercise {i}" for i in exercise_ids],
            "seed",
            "reason",
        ]
    )
    for r in reports:
        by_id = {e.id: e.points for e in r.exercises}
        row = [
            r.student,
            r.notebook,
            r.chapter,
            r.status,
            f"{r.total:g}",
            r.max_total,
            *[f"{by_id[i]:g}" if i in by_id else "" for i in exercise_ids],
            r.seed if r.seed is not None else "",
            r.reason,
        ]
        writer.writerow([_csv_cell(value) for value in row])
    (out / "gradebook.csv").write_text(buffer.getvalue(), encoding="utf-8")
    (out / "grades.json").write_text(
        json.dumps([r.as_dict() for r in reports], indent=2), encoding="utf-8"
    )
    feedback = out / "feedback"
    feedback.mkdir(exist_ok=True)
    written: set[str] = set()
    for r in reports:
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{r.student}_{Path(r.notebook).stem}")
        if len(name) > _FEEDBACK_NAME:
            # a file name has at most 255 bytes: a long student id or notebook name is cut, and
            # a digest of the whole keeps two cut names apart
            digest = hashlib.sha256(name.encode()).hexdigest()[:12]
            name = f"{name[:_FEEDBACK_NAME - 13]}_{digest}"
        # two reports never share a feedback file: the second gets a number of its own
        unique, number = name, 1
        while unique.lower() in written:
            number += 1
            unique = f"{name}_{number}"
        written.add(unique.lower())
        (feedback / f"{unique}.md").write_text(r.feedback(), encoding="utf-8")


def grade(path: str | Path, **options: Any) -> Report:
    """Grade one submission with the given :class:`Settings` fields; returns its report."""
    with Grader(Settings(**options)) as grader:
        return grader.grade(Path(path))
