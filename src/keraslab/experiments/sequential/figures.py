"""The sequential experiment's figures: each reads the stored run only (plots never train)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from keraslab.plots import bars_with_errors, curves, cut_axis, integer_epochs, mean_band, plt, save
from keraslab.store import Run
from keraslab.experiments.sequential import EXPERIMENT

label = EXPERIMENT.label
color = EXPERIMENT.color


def sequential_training_history(run: Run, path: Path) -> Path:
    hist = run.histories("moons")[0]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    curves(axes[0], hist, "loss", "make_moons: binary cross-entropy")
    curves(axes[1], hist, "accuracy", "make_moons: accuracy")
    fig.suptitle(f"Sequential 16-8-1 MLP on make_moons (test accuracy {run.result.moons.test_accuracy:.3f})")
    return save(fig, path)


def sequential_decision_boundary(run: Run, path: Path) -> Path:
    a = run.arrays()
    fig, ax = plt.subplots(figsize=(7, 5.5))
    cs = ax.contourf(a["grid_x"], a["grid_y"], a["grid_p"], levels=np.linspace(0, 1, 21), cmap="RdBu_r", alpha=0.8)
    ax.contour(a["grid_x"], a["grid_y"], a["grid_p"], levels=[0.5], colors="k", linewidths=1.5)
    fig.colorbar(cs, ax=ax, label="P(class 1)")
    for name, marker in (("train", "o"), ("test", "^")):
        x, y = a[f"x_{name}"], a[f"y_{name}"]
        ax.scatter(
            x[:, 0],
            x[:, 1],
            c=y,
            cmap="RdBu_r",
            edgecolors="k",
            s=18 if name == "train" else 30,
            marker=marker,
            label=f"{name} points",
            vmin=0,
            vmax=1,
        )
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("Decision boundary (black line: P = 0.5)")
    ax.legend(loc="lower right")
    return save(fig, path)


def sequential_optimizer_comparison(run: Run, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    n_seeds = len(run.config["seeds"])
    for opt in run.result.arms:
        hists = run.histories(opt)
        for ax, metric in zip(axes, ("val_loss", "val_accuracy")):
            x, m, s = mean_band([h[metric] for h in hists])
            ax.plot(x, m, color=color(opt), label=label(opt))
            ax.fill_between(x, m - s, m + s, color=color(opt), alpha=0.2)
    for ax, metric in zip(axes, ("validation loss", "validation accuracy")):
        ax.set_xlabel("epoch")
        integer_epochs(ax)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
        ax.set_title(f"{metric} (mean ± std over {n_seeds} seed{'s' * (n_seeds > 1)})")
    threshold = run.result.optimizer_settings.converge_at
    axes[1].axhline(threshold, color="k", linestyle=":", linewidth=1)
    fig.suptitle("Optimizer comparison on make_moons (same model, data and epochs)")
    return save(fig, path)


def sequential_tuned_learning_rates(run: Run, path: Path) -> Path | None:
    """Each optimizer's search: best validation accuracy of each trial against its learning rate."""
    if run.result.tuned is None:
        return None
    tuned = run.result.tuned.arms
    # one panel per optimizer: SGD and Adagrad draw the same sampled rates, so on one axes one hides the other
    fig, axes = plt.subplots(1, len(tuned), figsize=(3.6 * len(tuned), 3.9), sharex=True, sharey=True, squeeze=False)
    for ax, (opt, c) in zip(axes[0], tuned.items()):
        trials = sorted(c.search.trials, key=lambda t: t.learning_rate)
        ax.plot(
            [t.learning_rate for t in trials],
            [t.val_accuracy for t in trials],
            "o-",
            color=color(opt),
            alpha=0.85,
        )
        ax.axvline(c.learning_rate, color=color(opt), linestyle=":", label=f"chosen: {c.learning_rate:.3g}")
        ax.set_xscale("log")
        ax.set_title(label(opt))
        ax.set_xlabel("learning rate (log scale)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8, loc="lower right")
    axes[0][0].set_ylabel("best validation accuracy\nof the trial")
    fig.suptitle(
        f"KerasTuner searches, {run.result.tuning.trials_per_optimizer} trials per optimizer "
        "(one point per trial; dotted: the rate chosen on the validation split)",
        y=1.02,
    )
    return save(fig, path)


def sequential_test_accuracy_comparison(run: Run, path: Path) -> Path:
    comp = run.result.arms
    names = list(comp)
    means = [comp[n].test_accuracy.mean for n in names]
    stds = [comp[n].test_accuracy.std for n in names]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    bars_with_errors(
        EXPERIMENT,
        ax,
        names,
        means,
        stds,
        "test accuracy",
        "Final test accuracy by optimizer",
        n=comp[names[0]].test_accuracy.n,
    )
    cut_axis(ax, round(max(0.0, min(m - s for m, s in zip(means, stds)) - 0.05), 2), 1.0)
    return save(fig, path)


#: (file name, function(run, path)) in the order the report shows them
FIGURES = [
    ("sequential_training_history.png", sequential_training_history),
    ("sequential_decision_boundary.png", sequential_decision_boundary),
    ("sequential_optimizer_comparison.png", sequential_optimizer_comparison),
    ("sequential_test_accuracy_comparison.png", sequential_test_accuracy_comparison),
    ("sequential_tuned_learning_rates.png", sequential_tuned_learning_rates),
]
