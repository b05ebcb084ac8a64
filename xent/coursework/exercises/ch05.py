"""Coding exercises of chapter 5, Softmax."""

from __future__ import annotations
