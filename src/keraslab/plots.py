"""Drawing: the helpers every experiment's ``figures.py`` shares (a library: it imports no
experiment; each figure passes its own experiment's labels and colours). Figures read stored runs
only — plots never train. :func:`keraslab.suite.render_figures` draws every experiment's figures.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

os.environ.setdefault("MPLBACKEND", "Agg")  # files, not windows: works headless and in CI

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from keraslab.store import atomic_write_bytes  # noqa: E402


def save(fig, path: Path) -> Path:
    """Write a figure atomically (a killed redraw never leaves a broken PNG)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.getvalue())
    return path


def integer_epochs(ax) -> None:
    """Epoch ticks at whole numbers (epoch 1, 2, 3 — never 1.5)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def curves(ax, hist: dict, metric: str, title: str):
    epochs = np.arange(1, len(hist[metric]) + 1)
    ax.plot(epochs, hist[metric], label=f"train {metric}")
    if f"val_{metric}" in hist:
        ax.plot(epochs, hist[f"val_{metric}"], label=f"validation {metric}", linestyle="--")
    ax.set_xlabel("epoch")
    integer_epochs(ax)
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()


def mean_band(curves: list[list[float]]):
    """Mean and std over seeds of curves that may differ in length (truncate to the shortest)."""
    n = min(len(c) for c in curves)
    a = np.array([c[:n] for c in curves], dtype="float64")
    return np.arange(1, n + 1), a.mean(axis=0), a.std(axis=0)


# --------------------------------------------------------------------------- sequential


def wrap(text: str, width: int = 16) -> str:
    """A tick label broken into lines, so long arm names never run into the next panel."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)) or text


def value_labels(ax, xs, tops, texts, fontsize=9):
    """Each bar's value just above its error-bar cap (offset in points, so never under the cap)."""
    for x, top, t in zip(xs, tops, texts):
        ax.annotate(t, (x, top), xytext=(0, 4), textcoords="offset points", ha="center", va="bottom", fontsize=fontsize)


def cut_axis(ax, bottom: float, top: float | None = None) -> None:
    """Start the y axis above zero, and say so on the axis label (a cut axis is marked)."""
    ax.set_ylim(bottom, top)
    ax.set_ylabel(f"{ax.get_ylabel() or 'value'} (axis starts at {bottom:g})")


def bars_with_errors(palette, ax, names, means, stds, ylabel, title, digits=3, n=None):
    """Bars with ± std error bars, in the colours and labels of ``palette`` (the experiment's:
    anything with ``label(arm)`` and ``color(arm)``); ``n`` (seeds) goes into the title so the bars
    say what they are."""
    xs = np.arange(len(names))
    ax.bar(xs, means, yerr=stds, capsize=6, color=[palette.color(x) for x in names], alpha=0.85)
    ax.set_xticks(xs, [wrap(palette.label(x)) for x in names])
    value_labels(ax, xs, [m + s for m, s in zip(means, stds)], [f"{m:.{digits}f}" for m in means])
    ax.set_ylabel(ylabel)
    ax.set_title(title + (f"\n(error bars: ± 1 std over {n} seeds)" if n else ""))
    ax.grid(axis="y", alpha=0.3)
    ax.margins(y=0.12)
