"""The registry of coding exercises: trusted data that the grader, the self-check and the
exports all read.

Each chapter defines its coding exercises in ``xent/coursework/exercises/chNN.py``:

- :func:`exercise` registers the **visible** cases, the ones a student sees in the notebook's
  self-check (practice);
- :func:`hidden` registers a generator of **hidden** cases, drawn at grade time from a seed
  the student cannot predict; a failed hidden case is reported by its ``category`` only;
- ``function=`` is the name the exercise's prompt declares: the grader finds the student's
  function by that name, wherever in the notebook it was defined;
- ``forbidden=`` names what would solve the exercise for the student (``"xent.entropy"``,
  ``"scipy.stats.entropy"``; :mod:`xent.coursework.families` groups them): in the grader's
  sandbox those functions raise ``ForbiddenFunctionError`` from the moment the interpreter
  starts.

Arguments of a case are plain data (numbers, strings, lists, tuples, dicts with string keys,
numeric numpy arrays, ``None``): they cross the sandbox's boundary as JSON. The expected value
is computed on the trusted side only, so it never reaches the student's process.

The registry is loaded once, by :func:`exercises`; nothing needs importing for its side effects.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Case:
    """One call of the student's function and what it must return."""

    args: tuple[Any, ...]
    """Positional arguments for the student's function (plain data)."""
    expected: Callable[[], Any]
    """Computes the right answer (called on the trusted side only)."""
    hint: str
    """What to look at when this case fails."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for the student's function (plain data)."""
    raises: type[BaseException] | None = None
    """If set, the call must raise this exception instead of returning."""
    label: str = ""
    """How to show the call; defaults to the arguments."""
    category: str = ""
    """What a hidden case tests, shown instead of its values ("logits of size 1e4")."""
    rtol: float | None = None
    """Tolerance of this case, where it differs from the exercise's (float32 inputs)."""
    atol: float | None = None


VisibleCases = Callable[[], Sequence[Case]]
HiddenCases = Callable[[np.random.Generator], Sequence[Case]]


@dataclass(frozen=True)
class Exercise:
    """A coding exercise: an id such as ``"1.5"``, the function it asks for, and its cases."""

    id: str
    title: str
    function: str
    """The name of the student's function, as the exercise's prompt declares it."""
    points: int
    visible: VisibleCases
    hidden: HiddenCases | None = None
    rtol: float = 1e-9
    atol: float = 1e-12
    forbidden: tuple[str, ...] = ()
    """Dotted names (``"xent.entropy"``) that would solve the exercise."""
    allowed: tuple[str, ...] = ()
    """Dotted names the exercise's solution may call. They win over every exercise's
    ``forbidden`` in the chapter's sandbox, which all of the chapter's exercises share."""

    @property
    def watched(self) -> tuple[str, ...]:
        """What this exercise forbids, less what it allows."""
        return tuple(n for n in self.forbidden if n not in self.allowed)

    @property
    def chapter(self) -> str:
        return self.id.split(".")[0]

    @property
    def order(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.id.split("."))

    def cases(self) -> list[Case]:
        """The visible cases (the notebook's self-check)."""
        return list(self.visible())

    def hidden_cases(self, seed: int) -> list[Case]:
        """Hidden cases drawn from ``seed``; each gets a category (its label if none given)."""
        if self.hidden is None:
            return []
        drawn = self.hidden(np.random.default_rng(seed))
        return [c if c.category else replace(c, category=c.label or "hidden case") for c in drawn]


_DEFINED: dict[str, Exercise] = {}
_ORIGIN: dict[str, str] = {}
_LOADED: dict[str, Exercise] = {}


def is_edge(case: Case, expected: Any) -> bool:
    """Whether a function could pass ``case`` without computing anything: the case expects an
    error, a value that is not finite (``inf``, NaN) somewhere, or zeros only (what a stub
    returning ``0.0`` gives: 2 of exercise 3.4's 12 cases).

    Such a case earns its share only when the function also gets its exercise's first ordinary
    visible case right (:func:`anchor`): a stub that always raises ``ValueError``, or always
    returns ``np.inf``, earns nothing. All three graders apply the rule.
    """
    if case.raises is not None:
        return True
    try:
        values = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return False
    return bool(values.size) and (
        not bool(np.all(np.isfinite(values))) or not bool(np.any(values))
    )


def anchor(cases: Sequence[Case]) -> int | None:
    """The index of the first case of ``cases`` (an exercise's visible ones) that is not an
    edge case, or None."""
    for index, case in enumerate(cases):
        expected = None if case.raises is not None else case.expected()
        if not is_edge(case, expected):
            return index
    return None


def _qualified(name: str) -> str:
    return name if "." in name else f"xent.{name}"


def exercise(
    id: str,
    title: str,
    *,
    function: str,
    points: int = 1,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    forbidden: Sequence[str] = (),
    allowed: Sequence[str] = (),
) -> Callable[[VisibleCases], VisibleCases]:
    """Register the visible cases of exercise ``id`` (decorates a function returning them)."""

    def register(cases: VisibleCases) -> VisibleCases:
        origin = f"{cases.__module__}.{cases.__qualname__}"
        if id in _DEFINED and _ORIGIN[id] != origin:
            raise ValueError(f"exercise {id} is defined twice: {_ORIGIN[id]} and {origin}")
        previous = _DEFINED.get(id)
        _DEFINED[id] = Exercise(
            id,
            title,
            function,
            points,
            cases,
            previous.hidden if previous else None,
            rtol,
            atol,
            tuple(dict.fromkeys(_qualified(n) for n in forbidden)),
            tuple(_qualified(n) for n in allowed),
        )
        _ORIGIN[id] = origin
        return cases

    return register


def hidden(id: str) -> Callable[[HiddenCases], HiddenCases]:
    """Register the hidden-case generator of exercise ``id`` (after its :func:`exercise`)."""

    def register(generator: HiddenCases) -> HiddenCases:
        if id not in _DEFINED:
            raise ValueError(f"hidden cases for exercise {id} come before its @exercise")
        _DEFINED[id] = replace(_DEFINED[id], hidden=generator)
        return generator

    return register


def exercises() -> Mapping[str, Exercise]:
    """Every coding exercise by id, loaded once from ``xent.coursework.exercises``.

    Raises:
        ValueError: an exercise has no visible case (an exercise without cases would pass
            anything).
    """
    if not _LOADED:
        package = importlib.import_module("xent.coursework.exercises")
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
        for id, spec in sorted(_DEFINED.items(), key=lambda item: item[1].order):
            if not spec.cases():
                raise ValueError(f"exercise {id} has no visible case")
            _LOADED[id] = spec
    return _LOADED


def get(exercise_id: str) -> Exercise:
    """The exercise with this id; a clear error naming the known ones otherwise."""
    known = exercises()
    if exercise_id not in known:
        raise ValueError(f"no coding exercise {exercise_id!r}; known exercises: {', '.join(known)}")
    return known[exercise_id]


def for_chapter(chapter: str | int) -> list[Exercise]:
    """The coding exercises of one chapter, in order."""
    return [e for e in exercises().values() if e.chapter == str(int(chapter))]


def chapters() -> list[str]:
    """The chapters that have coding exercises, in order."""
    return sorted({e.chapter for e in exercises().values()}, key=int)
