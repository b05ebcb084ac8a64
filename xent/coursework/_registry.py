"""Coding exercises: reference cases, and the checks that hold a student's function to them.

Each chapter registers its coding exercises in ``xent/coursework/exercises/chNN.py`` with
:func:`exercise`. A check cell in the notebook calls ``check("1.3", student_function)``, which
runs the function on every case and prints one line per case: a pass, or what was expected,
what came back, and a hint. The reference values are computed by ``xent`` when the check runs,
so no reference implementation is written out anywhere a student reads.
"""

from __future__ import annotations

import contextlib
import copy
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Case:
    """One call of the student's function and what it must return."""

    args: tuple[Any, ...]
    """Positional arguments for the student's function."""
    expected: Callable[[], Any]
    """Computes the right answer (called at check time)."""
    hint: str
    """What to look at when this case fails."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for the student's function."""
    raises: type[BaseException] | None = None
    """If set, the call must raise this exception instead of returning."""
    label: str = ""
    """How to show the call; defaults to the arguments."""


@dataclass(frozen=True)
class Exercise:
    """A coding exercise: an id such as ``"1.3"``, its points and its cases."""

    id: str
    title: str
    points: int
    cases: Callable[[], Sequence[Case]]
    rtol: float = 1e-9
    atol: float = 1e-12
    forbidden: tuple[str, ...] = ()
    """Names of ``xent`` functions the student must not call (they would solve the exercise)."""


EXERCISES: dict[str, Exercise] = {}


def exercise(
    id: str,
    title: str,
    *,
    points: int = 1,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    forbidden: Sequence[str] = (),
) -> Callable[[Callable[[], Sequence[Case]]], Callable[[], Sequence[Case]]]:
    """Register a function returning the cases of exercise ``id``."""

    def register(cases: Callable[[], Sequence[Case]]) -> Callable[[], Sequence[Case]]:
        if id in EXERCISES:
            raise ValueError(f"exercise {id} is registered twice")
        EXERCISES[id] = Exercise(id, title, points, cases, rtol, atol, tuple(forbidden))
        return cases

    return register


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


def _show(value: Any) -> str:
    text = repr(np.asarray(value).tolist()) if isinstance(value, np.ndarray) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _label(case: Case) -> str:
    if case.label:
        return case.label
    parts = [_show(a) for a in case.args] + [f"{k}={_show(v)}" for k, v in case.kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def _same(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    try:
        got_array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    expected_array = np.asarray(expected, dtype=np.float64)
    if got_array.shape != expected_array.shape:
        return False
    return bool(np.allclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=True))


@contextlib.contextmanager
def _watch(names: Sequence[str]) -> Iterator[list[str]]:
    """Record calls to the named ``xent`` functions while the student's code runs.

    Calls are recognised by the function's code object through a profile hook, so every
    way of reaching the function counts: ``xent.entropy``, ``xent.information.entropy``, or
    a name bound by ``from xent import entropy`` before the check.
    """
    import xent

    called: list[str] = []
    codes = {getattr(xent, name).__code__: name for name in names}
    if not codes:
        yield called
        return

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
    from xent.coursework import exercises  # noqa: F401  (registers the exercises)

    if exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise ValueError(f"no coding exercise {exercise_id!r}; known exercises: {known}")
    spec = EXERCISES[exercise_id]
    if not callable(function):
        raise TypeError(f"check needs your function itself; got {type(function).__name__}")
    results = []
    called: list[str] = []
    for number, case in enumerate(spec.cases(), start=1):
        results.append(_run_case(spec, number, case, function, called))
    flagged = ""
    if called:
        used = ", ".join(f"xent.{name}" for name in sorted(set(called)))
        flagged = f"your function calls {used}; the exercise is to write it yourself"
    return CheckResult(spec, results, flagged)


def _run_case(
    spec: Exercise, number: int, case: Case, function: Callable[..., Any], called: list[str]
) -> CaseResult:
    call = f"case {number} {_label(case)}"
    # The reference is computed first, and the student gets copies: a function that writes
    # into its arguments cannot change what it is compared with.
    expected = case.expected() if case.raises is None else None
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    try:
        # Only the student's call is watched: the reference values may use xent freely.
        with np.errstate(all="ignore"), _watch(spec.forbidden) as calls:
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
            f"FAIL  {call} returned {_show(got)}; expected it to raise "
            f"{case.raises.__name__}. Hint: {case.hint}",
        )
    if _same(got, expected, spec.rtol, spec.atol):
        return CaseResult(True, f"pass  {call}")
    return CaseResult(
        False,
        f"FAIL  {call} returned {_show(got)}; expected {_show(expected)}. Hint: {case.hint}",
    )


def check(exercise_id: str, function: Callable[..., Any]) -> CheckResult:
    """Check a function against exercise ``exercise_id``, printing one line per case.

    Args:
        exercise_id: the exercise number shown in the chapter, e.g. ``"1.3"``.
        function: your implementation.

    Returns:
        The :class:`CheckResult`; it prints itself.

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
    result = run_check(exercise_id, function)
    print(result.report())
    return result
