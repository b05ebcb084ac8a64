"""The self-check students call in a notebook: ``check("1.5", entropy)``.

This is practice, not grading. It runs the student's function on the exercise's *visible*
cases in the student's own process and prints one line per case: a pass, or what was expected,
what came back, and a hint. It also notices (with a profile hook) when the function calls one of
the functions the exercise forbids. Nothing here is a security boundary: the grader
(:mod:`xent.coursework.grade`) never trusts this process; it runs the notebook in a sandbox,
adds hidden cases, and compares on its own side.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Any

import numpy as np

from xent.coursework import families, wire
from xent.coursework.compare import label, same, show, tolerance
from xent.coursework.registry import Case, Exercise, get


@dataclass
class CaseResult:
    passed: bool
    message: str


@dataclass
class CheckResult:
    """What :func:`check` found: one :class:`CaseResult` per case."""

    exercise: Exercise
    cases: list[CaseResult]
    flagged: str = ""
    """Non-empty when the function called a forbidden ``xent`` function."""

    @property
    def passed(self) -> int:
        return sum(case.passed for case in self.cases)

    @property
    def all_passed(self) -> bool:
        return not self.flagged and self.passed == len(self.cases)

    @property
    def score(self) -> float:
        """Points earned: all of them only when every case passes and nothing is flagged."""
        return float(self.exercise.points) if self.all_passed else 0.0

    def report(self) -> str:
        lines = [f"Exercise {self.exercise.id}: {self.exercise.title}"]
        lines += [f"  {case.message}" for case in self.cases]
        if self.flagged:
            lines.append(f"  FLAGGED: {self.flagged}")
        verdict = "all cases pass" if self.all_passed else "not yet"
        lines.append(f"  {self.passed}/{len(self.cases)} cases pass: {verdict}.")
        return "\n".join(lines)


@contextlib.contextmanager
def _watch(names: Sequence[str]) -> Iterator[list[str]]:
    """Record calls to the named functions while the student's code runs.

    Calls are recognised by the function's code object through a profile hook, so every
    way of reaching the function counts: ``xent.entropy``, ``xent.information.entropy``, or
    a name bound by ``from xent import entropy`` before the check. Only functions of modules
    already imported are watched; :func:`run_check` runs the cases again when the student's
    code imported the module of another one.
    """
    called: list[str] = []
    shared: dict[CodeType, list[str]] = {}
    for name in names:
        code = getattr(families.loaded(name), "__code__", None)
        if code is not None:  # C functions (numpy or SciPy ufuncs) have no code to watch
            shared.setdefault(code, []).append(name)
    if not shared:
        yield called
        return
    # SciPy wraps many functions in one wrapper, whose code they share: a call is then
    # named by every function it may be.
    codes = {code: " or ".join(sorted(found)) for code, found in shared.items()}

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code in codes:
            called.append(codes[frame.f_code])

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield called
    finally:
        sys.setprofile(previous)


def run_check(exercise_id: str, function: Callable[..., Any]) -> CheckResult:
    """Run every case of an exercise against ``function`` without printing."""
    spec = get(exercise_id)
    if not callable(function):
        raise TypeError(f"check needs your function itself; got {type(function).__name__}")
    unwatched = {n.rpartition(".")[0] for n in spec.watched} - set(sys.modules)
    results, called = _run_cases(spec, function)
    if any(module in sys.modules for module in unwatched):
        # The function imported the module of a forbidden function while it ran (say
        # ``import scipy.stats`` inside it): run the cases again, with that one watched too.
        results, called = _run_cases(spec, function)
    flagged = ""
    if called:
        used = ", ".join(sorted(set(called)))
        flagged = f"your function calls {used}; the exercise is to write it yourself"
    return CheckResult(spec, results, flagged)


def _run_cases(spec: Exercise, function: Callable[..., Any]) -> tuple[list[CaseResult], list[str]]:
    called: list[str] = []
    results = [
        _run_case(spec, number, case, function, called)
        for number, case in enumerate(spec.cases(), start=1)
    ]
    return results, called


def _run_case(
    spec: Exercise, number: int, case: Case, function: Callable[..., Any], called: list[str]
) -> CaseResult:
    call = f"case {number} {label(case)}"
    # The reference is computed first, and the student gets copies (as the grader sends
    # them): a function that writes into its arguments cannot change what it is compared with.
    expected = case.expected() if case.raises is None else None
    args = wire.decode(wire.encode(tuple(case.args)), functions=True)
    kwargs = wire.decode(wire.encode(dict(case.kwargs)), functions=True)
    try:
        # Only the student's call is watched: the reference values may use xent freely.
        with np.errstate(all="ignore"), _watch(spec.watched) as calls:
            try:
                got = function(*args, **kwargs)
            finally:
                called.extend(calls)
    except Exception as error:  # noqa: BLE001  (a student's bug is a result, not a crash)
        if case.raises is not None and isinstance(error, case.raises):
            return CaseResult(True, f"pass  {call} raised {type(error).__name__}")
        where = traceback.extract_tb(error.__traceback__)[-1]
        return CaseResult(
            False,
            f"FAIL  {call} raised {type(error).__name__}: {error} (line {where.lineno}). "
            f"Hint: {case.hint}",
        )
    if case.raises is not None:
        return CaseResult(
            False,
            f"FAIL  {call} returned {show(got)}; expected it to raise "
            f"{case.raises.__name__}. Hint: {case.hint}",
        )
    if same(got, expected, *tolerance(case, spec)):
        return CaseResult(True, f"pass  {call}")
    return CaseResult(
        False,
        f"FAIL  {call} returned {show(got)}; expected {show(expected)}. Hint: {case.hint}",
    )


def check(exercise_id: str, function: Callable[..., Any]) -> CheckResult | None:
    """Check a function against exercise ``exercise_id``, printing one line per case.

    Args:
        exercise_id: the exercise number shown in the chapter, e.g. ``"1.3"``.
        function: your implementation.

    Returns:
        The :class:`CheckResult`; it prints itself. Inside the grader's sandbox, where the
        cases are not available, it prints that the grader checks the exercise and returns
        None.

    Examples:
        >>> import numpy as np
        >>> from xent.coursework import check
        >>> def surprisal(p):
        ...     return -np.log(p)
        >>> result = check("1.1", surprisal)  # doctest: +ELLIPSIS
        Exercise 1.1: ...
        >>> result.all_passed
        True
    """
    try:
        result = run_check(exercise_id, function)
    except ModuleNotFoundError:
        print(f"Exercise {exercise_id}: the grader checks this exercise.")
        return None
    print(result.report())
    return result
