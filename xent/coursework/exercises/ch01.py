"""Coding exercises of chapter 1, Surprisal and entropy."""

from __future__ import annotations

import numpy as np

from xent.coursework._registry import Case, exercise


@exercise("1.1", "Surprisal in nats", points=1)
def _surprisal() -> list[Case]:
    hint = "the surprisal of an outcome of probability p is -log p (natural log)"
    return [
        Case((0.5,), lambda: np.log(2.0), hint),
        Case((1.0,), lambda: 0.0, "a certain outcome carries no surprise: -log 1 = 0"),
        Case((np.array([0.25, 0.125]),), lambda: np.log([4.0, 8.0]), hint + "; work elementwise"),
    ]
