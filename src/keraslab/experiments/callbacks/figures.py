"""The callbacks experiment's figures: each reads the stored run only (plots never train)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from keraslab.plots import bars_with_errors, cut_axis, integer_epochs, plt, save
from keraslab.store import Run
from keraslab.experiments.callbacks import EXPERIMENT

label = EXPERIMENT.label
color = EXPERIMENT.color


def callbacks_effectiveness(run: Run, path: Path) -> Path:
    arms = run.result.arms
    names = list(arms)
    groups = {arm: run.histories(arm) for arm in run.result.arms}
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), gridspec_kw={"width_ratios": [1.3, 1, 1]})
    n = arms[names[0]].epochs.n
    for arm in names:
        for h in groups[arm]:
            axes[0].plot(
                np.arange(1, len(h["val_accuracy"]) + 1),
                h["val_accuracy"],
                color=color(arm),
                alpha=0.7,
                label=label(arm) if h is groups[arm][0] else None,
            )
    axes[0].set_xlabel("epoch")
    integer_epochs(axes[0])
    axes[0].set_ylabel("validation accuracy")
    axes[0].set_title("Validation accuracy, one line per seed\n(a line ends where training stopped)")
    axes[0].grid(alpha=0.3)
    axes[0].legend()
    bars_with_errors(
        EXPERIMENT,
        axes[1],
        names,
        [arms[a].epochs.mean for a in names],
        [arms[a].epochs.std for a in names],
        "epochs run",
        "Epochs actually run",
        digits=0,
        n=n,
    )
    bars_with_errors(
        EXPERIMENT,
        axes[2],
        names,
        [arms[a].test_accuracy.mean for a in names],
        [arms[a].test_accuracy.std for a in names],
        "test accuracy",
        "Final test accuracy",
        n=n,
    )
    lo = min(arms[a].test_accuracy.mean - arms[a].test_accuracy.std for a in names)
    cut_axis(axes[2], round(max(0.0, lo - 0.02), 2), 1.0)
    fig.suptitle(
        f"Callback effectiveness on {run.result.dataset} (n={n} seed{'s' * (n > 1)}, "
        f"budget {run.result.budget_epochs} epochs)",
        y=1.04,
    )
    return save(fig, path)


def learning_rate_schedule(run: Run, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    sched = run.histories("schedule")[0]
    axes[0].step(np.arange(1, len(sched["lr"]) + 1), sched["lr"], where="post", color="#d62728")
    axes[0].set_title("LearningRateScheduler: halve every few epochs")
    groups = {arm: run.histories(arm) for arm in run.result.arms}
    seeds = run.config.get("seeds", [])
    for i, h in enumerate(groups.get("early_stopping_reduce_lr", [])):
        # seeds share their first steps: a slight vertical offset and dashes keep each line visible
        axes[1].step(
            np.arange(1, len(h["lr"]) + 1),
            np.array(h["lr"]) * (1 + 0.03 * i),
            where="post",
            alpha=0.85,
            linestyle=("-", "--", ":")[i % 3],
            label=f"seed {seeds[i] if i < len(seeds) else i}",
        )
    if groups.get("early_stopping_reduce_lr"):
        axes[1].legend(fontsize=8, title="drawn 3% apart", title_fontsize=7)
    axes[1].set_title("ReduceLROnPlateau: cut on a val_loss plateau (one line per seed)")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        integer_epochs(ax)
        ax.set_ylabel("learning rate (log scale)")
        ax.grid(alpha=0.3, which="both")
    return save(fig, path)


def training_time_per_epoch(run: Run, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    for arm in run.result.arms:
        hists = run.histories(arm)
        h = hists[0]
        ax.plot(
            np.arange(1, len(h["epoch_time"]) + 1),
            np.array(h["epoch_time"]) * 1000,
            color=color(arm),
            label=label(arm),
        )
    ax.set_xlabel("epoch")
    integer_epochs(ax)
    ax.set_yscale("log")  # the first epoch (tracing, warm-up) dwarfs the steady state
    ax.set_ylabel("ms per epoch (log scale)")
    ax.set_title("Time per epoch measured by TrainingTimeCallback, first seed")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return save(fig, path)


#: (file name, function(run, path)) in the order the report shows them
FIGURES = [
    ("callbacks_effectiveness.png", callbacks_effectiveness),
    ("learning_rate_schedule.png", learning_rate_schedule),
    ("training_time_per_epoch.png", training_time_per_epoch),
]
