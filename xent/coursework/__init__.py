"""Coursework: the checks that coding exercises call, the student edition and the grader.

``check("1.3", my_function)`` runs a student's function against the reference cases of a
coding exercise and prints one line per case.
"""

from xent.coursework._registry import (
    EXERCISES,
    Case,
    CheckResult,
    Exercise,
    check,
    exercise,
    run_check,
)

__all__ = ["EXERCISES", "Case", "CheckResult", "Exercise", "check", "exercise", "run_check"]
