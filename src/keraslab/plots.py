"""Drawing: the helpers every experiment's ``figures.py`` shares, and :func:`render`, which draws
the figures each experiment declares. Figures read stored runs only — plots never train.

``render(store, plots_dir)`` draws every figure whose experiment has a finished run and returns
the files written; a missing experiment is skipped (the report says so).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

os.environ.setdefault("MPLBACKEND", "Agg")  # files, not windows: works headless and in CI

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from keraslab.store import RunStore, atomic_write_bytes  # noqa: E402


def color(arm: str) -> str | None:
    """An arm's colour, the same in every figure (declared by its experiment's ``COLORS``)."""
    from keraslab import experiments

    return experiments.colors().get(arm)


def label(arm: str) -> str:
    """An arm's display name (declared by its experiment's ``LABELS``; else derived from the key)."""
    from keraslab import experiments

    return experiments.labels().get(arm, arm.replace("_", " ").capitalize())


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


def bars_with_errors(ax, names, means, stds, ylabel, title, colors=None, digits=3, n=None):
    """Bars with ± std error bars; ``n`` (seeds) goes into the title so the bars say what they are."""
    colors = colors or [color(x) for x in names]
    xs = np.arange(len(names))
    ax.bar(xs, means, yerr=stds, capsize=6, color=colors, alpha=0.85)
    ax.set_xticks(xs, [wrap(label(x)) for x in names])
    value_labels(ax, xs, [m + s for m, s in zip(means, stds)], [f"{m:.{digits}f}" for m in means])
    ax.set_ylabel(ylabel)
    ax.set_title(title + (f"\n(error bars: ± 1 std over {n} seeds)" if n else ""))
    ax.grid(axis="y", alpha=0.3)
    ax.margins(y=0.12)


def render(store: RunStore, plots_dir: Path, experiments=None) -> list[Path]:
    """Draw every figure of the latest run of each experiment; returns the files written."""
    from keraslab import experiments as registry

    written = []
    for exp in registry.all_experiments():
        if experiments is not None and exp.name not in experiments:
            continue
        run = store.latest(exp.name)
        if run is None:
            continue
        figures = exp.part("figures")
        for filename, draw in getattr(figures, "FIGURES", []):
            path = draw(run, Path(plots_dir) / filename)
            if path is not None:  # None: this run holds nothing to draw for that figure
                written.append(path)
        extra = getattr(figures, "EXTRA", None)
        if extra is not None:
            written.extend(extra(run, plots_dir))
    return written
