"""Coding exercises of chapter 8, Training a classifier and calibration."""

from __future__ import annotations
