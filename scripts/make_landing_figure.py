"""Draw the landing page's figure, book/images/landing.png: python scripts/make_landing_figure.py

The penalty a model pays for the probability q it gave the true class, under cross-entropy
and under squared error. Every value is computed by xent.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import xent  # noqa: E402
from xent.plotting import COLORS, use_style  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "book" / "images" / "landing.png"


def main() -> None:
    use_style()
    q = np.linspace(0.005, 1.0, 400)
    logits = np.log(np.stack([q, 1 - q], axis=1).clip(1e-300))
    target = np.zeros(q.size, dtype=int)
    cross_entropy = xent.softmax_cross_entropy(logits, target, reduction="none")
    squared_error = (1 - q) ** 2 + (0 - (1 - q)) ** 2
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(q, cross_entropy, color=COLORS["blue"], label=r"cross-entropy $-\log q$")
    ax.plot(q, squared_error, color=COLORS["vermillion"], linestyle="--",
            label=r"squared error $\Vert p - q \Vert^2$")
    ax.set(xlabel="probability given to the true class, $q$", ylabel="penalty (CE in nats)",
           ylim=(0, 5.5), title="Cross-entropy punishes a confident mistake without limit")
    ax.legend(loc="upper right")
    fig.savefig(OUT, dpi=100)


if __name__ == "__main__":
    main()
