"""Coding exercises of chapter 7, Binary cross-entropy."""

from __future__ import annotations
