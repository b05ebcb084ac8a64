"""Inputs that several chapters' exercises draw: random logits, labels and distributions."""

from __future__ import annotations

import numpy as np


def batch(
    seed: int | np.random.Generator, num_samples: int, num_classes: int, scale: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """Logits of shape (num_samples, num_classes), ``scale`` times standard normal, and labels."""
    rng = np.random.default_rng(seed)
    logits = scale * rng.standard_normal((num_samples, num_classes))
    target = rng.integers(0, num_classes, size=num_samples)
    return logits, target


def distribution(rng: np.random.Generator, size: int, zeros: int = 0) -> np.ndarray:
    """A random probability vector of ``size`` entries, ``zeros`` of them exactly 0."""
    weights = rng.gamma(0.7, size=size) + 1e-3
    weights[rng.choice(size, size=zeros, replace=False)] = 0.0
    result: np.ndarray = weights / weights.sum()
    return result
