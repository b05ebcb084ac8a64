"""Coding exercises of chapter 9, Beyond the basics."""

from __future__ import annotations
