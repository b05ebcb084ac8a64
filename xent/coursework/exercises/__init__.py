"""The coding exercises of every chapter, one module per chapter (imported for registration)."""

from xent.coursework.exercises import (  # noqa: F401
    ch01,
    ch02,
    ch03,
    ch04,
    ch05,
    ch06,
    ch07,
    ch08,
    ch09,
)
