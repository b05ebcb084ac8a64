"""Coding exercises of chapter 6, The softmax-CE gradient."""

from __future__ import annotations
