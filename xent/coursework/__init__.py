"""Coursework: the self-check that coding exercises call, the student edition and the grader.

``check("1.5", my_function)`` runs a student's function against the visible cases of a coding
exercise and prints one line per case. The grader (``python -m xent grade``) is separate and
trusts nothing that runs in the student's process: see :mod:`xent.coursework.grade`.
"""

from xent.coursework.check import CheckResult, check, run_check
from xent.coursework.registry import Case, Exercise, exercises

__all__ = [
    "Case",
    "CheckResult",
    "Exercise",
    "check",
    "exercises",
    "run_check",
]
