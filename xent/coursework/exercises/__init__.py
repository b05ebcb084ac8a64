"""The coding exercises of every chapter, one module per chapter (imported for registration)."""

from xent.coursework.exercises import ch01  # noqa: F401
