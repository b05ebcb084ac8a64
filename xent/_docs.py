"""Docstring plumbing: one ``Args`` section shared by a function and its gradient twins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])


def shared_args(args: str) -> Callable[[_F], _F]:
    """Replace the line ``    {args}`` of a docstring by the shared ``Args`` section."""

    def decorate(function: _F) -> _F:
        assert function.__doc__ is not None and "    {args}\n" in function.__doc__
        function.__doc__ = function.__doc__.replace("    {args}\n", args)
        return function

    return decorate
