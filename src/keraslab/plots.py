"""One function per figure. Each reads stored runs only — plots never train.

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

from keraslab.store import Run, RunStore, atomic_write_bytes  # noqa: E402

#: one colour per optimizer / model, the same in every figure
COLORS = {
    "sgd": "#1f77b4",
    "adam": "#d62728",
    "rmsprop": "#2ca02c",
    "adagrad": "#9467bd",
    "simple": "#1f77b4",
    "branching": "#ff7f0e",
    "residual": "#2ca02c",
    "sequential": "#17becf",
    "functional": "#e377c2",
    "simple_cnn": "#1f77b4",
    "improved_cnn": "#d62728",
    "functional_cnn": "#2ca02c",
    "no_callbacks": "#7f7f7f",
    "early_stopping": "#1f77b4",
    "early_stopping_reduce_lr": "#d62728",
}
LABELS = {
    "sgd": "SGD",
    "adam": "Adam",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "simple_cnn": "Simple CNN",
    "improved_cnn": "Improved CNN",
    "functional_cnn": "Functional CNN",
    "no_callbacks": "No callbacks",
    "early_stopping": "EarlyStopping",
    "early_stopping_reduce_lr": "EarlyStopping + ReduceLROnPlateau",
}


def label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " ").capitalize())


def save(fig, path: Path) -> Path:
    """Write a figure atomically (a killed redraw never leaves a broken PNG)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.getvalue())
    return path


def _curves(ax, hist: dict, metric: str, title: str):
    epochs = np.arange(1, len(hist[metric]) + 1)
    ax.plot(epochs, hist[metric], label=f"train {metric}")
    if f"val_{metric}" in hist:
        ax.plot(epochs, hist[f"val_{metric}"], label=f"validation {metric}", linestyle="--")
    ax.set_xlabel("epoch")
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


def sequential_training_history(run: Run, path: Path) -> Path:
    hist = run.history["moons"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    _curves(axes[0], hist, "loss", "make_moons: binary cross-entropy")
    _curves(axes[1], hist, "accuracy", "make_moons: accuracy")
    fig.suptitle(f"Sequential 16-8-1 MLP on make_moons (test accuracy {run.metrics['moons']['test_accuracy']:.3f})")
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


def _optimizer_histories(run: Run) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for key, hist in run.history.items():
        if key.startswith("optimizers/"):
            out.setdefault(key.split("/")[1], []).append(hist)
    return out


def sequential_optimizer_comparison(run: Run, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    n_seeds = len(run.config["seeds"])
    for opt, hists in _optimizer_histories(run).items():
        for ax, metric in zip(axes, ("val_loss", "val_accuracy")):
            x, m, s = mean_band([h[metric] for h in hists])
            ax.plot(x, m, color=COLORS.get(opt), label=label(opt))
            ax.fill_between(x, m - s, m + s, color=COLORS.get(opt), alpha=0.2)
    for ax, metric in zip(axes, ("validation loss", "validation accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
        ax.set_title(f"{metric} (mean ± std over {n_seeds} seed{'s' * (n_seeds > 1)})")
    threshold = run.metrics["optimizer_settings"]["converge_at"]
    axes[1].axhline(threshold, color="k", linestyle=":", linewidth=1)
    fig.suptitle("Optimizer comparison on make_moons (same model, data and epochs)")
    return save(fig, path)


def sequential_tuned_learning_rates(run: Run, path: Path) -> Path | None:
    """Each optimizer's search: best validation accuracy of each trial against its learning rate."""
    tuned = run.metrics.get("tuned")
    if not tuned:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for opt, c in tuned.items():
        trials = c["search"]["trials"]
        ax.plot(
            [t["learning_rate"] for t in trials],
            [t["val_accuracy"] for t in trials],
            "o-",
            color=COLORS.get(opt),
            label=f"{label(opt)} (chosen {c['learning_rate']:.3g})",
            alpha=0.85,
        )
        ax.axvline(c["learning_rate"], color=COLORS.get(opt), linestyle=":", alpha=0.6)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("best validation accuracy of the trial")
    ax.set_title(f"KerasTuner searches, {run.metrics['tuning']['trials_per_optimizer']} trials per optimizer")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, path)


def bars_with_errors(ax, names, means, stds, ylabel, title, colors=None):
    colors = colors or [COLORS.get(n) for n in names]
    bars = ax.bar([label(n) for n in names], means, yerr=stds, capsize=6, color=colors, alpha=0.85)
    for b, m, s in zip(bars, means, stds):
        ax.text(b.get_x() + b.get_width() / 2, m + s + 0.005, f"{m:.3f}", ha="center", va="bottom", fontsize=9)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)


def sequential_test_accuracy_comparison(run: Run, path: Path) -> Path:
    comp = run.metrics["optimizers"]
    names = list(comp)
    means = [comp[n]["test_accuracy"]["mean"] for n in names]
    stds = [comp[n]["test_accuracy"]["std"] for n in names]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    bars_with_errors(
        ax,
        names,
        means,
        stds,
        "test accuracy",
        f"Final test accuracy by optimizer (error bars: std over {comp[names[0]]['test_accuracy']['n']} seeds)",
    )
    ax.set_ylim(max(0.0, min(means) - 0.15), 1.0)
    return save(fig, path)


# --------------------------------------------------------------------------- functional


def _grouped(run: Run, prefix: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for key, hist in run.history.items():
        if key.startswith(prefix + "/"):
            out.setdefault(key.split("/")[1], []).append(hist)
    return out


def functional_models_comparison(run: Run, path: Path) -> Path:
    arch = run.metrics["architectures"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, hists in _grouped(run, "architectures").items():
        x, m, s = mean_band([h["val_accuracy"] for h in hists])
        axes[0].plot(x, m, color=COLORS.get(name), label=f"{label(name)} ({arch[name]['params']} params)")
        axes[0].fill_between(x, m - s, m + s, color=COLORS.get(name), alpha=0.2)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("validation accuracy")
    axes[0].set_title("Iris: validation accuracy (mean ± std over seeds)")
    axes[0].grid(alpha=0.3)
    axes[0].legend()
    names = list(arch)
    bars_with_errors(
        axes[1],
        names,
        [arch[n]["test_accuracy"]["mean"] for n in names],
        [arch[n]["test_accuracy"]["std"] for n in names],
        "test accuracy",
        f"Test accuracy (n={arch[names[0]]['test_accuracy']['n']} seeds)",
    )
    axes[1].set_ylim(0, 1.05)
    fig.suptitle("Functional API architectures")
    return save(fig, path)


def sequential_vs_functional_comparison(run: Run, path: Path) -> Path:
    eq = run.metrics["api_equivalence"]
    groups = _grouped(run, "api")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for api, style in (("sequential", "-"), ("functional", "--")):
        for metric, ax in (("loss", axes[0]), ("val_accuracy", axes[1])):
            x, m, s = mean_band([h[metric] for h in groups[api]])
            ax.plot(x, m, style, color=COLORS[api], label=f"{api.capitalize()} API", linewidth=2)
            ax.fill_between(x, m - s, m + s, color=COLORS[api], alpha=0.15)
    for ax, metric in zip(axes, ("training loss", "validation accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    d = eq["accuracy_difference"]
    axes[0].set_title(f"Same seed: largest loss gap {eq['same_seed_max_loss_gap']:.2e}")
    axes[1].set_title(f"Test accuracy difference {d['mean']:+.4f} ± {d['std']:.4f} (n={d['n']})")
    fig.suptitle("The same 16-8-1 architecture, Sequential vs Functional API, on make_moons")
    return save(fig, path)


def architecture_diagrams(run: Run, plots_dir: Path) -> list[Path]:
    """Copy the stored plot_model diagrams (where Graphviz was present) into plots/."""
    out = []
    for name, info in run.metrics.get("diagrams", {}).items():
        if info.get("diagram"):
            src = run.path / "diagrams" / info["diagram"]
            if src.exists():
                dst = Path(plots_dir) / f"architecture_{name}.png"
                dst.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(dst, src.read_bytes())
                out.append(dst)
    return out


# --------------------------------------------------------------------------- callbacks


def callbacks_effectiveness(run: Run, path: Path) -> Path:
    arms = run.metrics["arms"]
    names = list(arms)
    groups = _grouped(run, "arms")
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    for arm in names:
        for h in groups[arm]:
            axes[0].plot(
                np.arange(1, len(h["val_accuracy"]) + 1),
                h["val_accuracy"],
                color=COLORS.get(arm),
                alpha=0.7,
                label=label(arm) if h is groups[arm][0] else None,
            )
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("validation accuracy")
    axes[0].set_title("Validation accuracy per seed (a line ends where training stopped)")
    axes[0].grid(alpha=0.3)
    axes[0].legend()
    bars_with_errors(
        axes[1],
        names,
        [arms[a]["epochs_run"]["mean"] for a in names],
        [arms[a]["epochs_run"]["std"] for a in names],
        "epochs run",
        "Epochs actually run",
    )
    bars_with_errors(
        axes[2],
        names,
        [arms[a]["test_accuracy"]["mean"] for a in names],
        [arms[a]["test_accuracy"]["std"] for a in names],
        "test accuracy",
        "Final test accuracy",
    )
    lo = min(arms[a]["test_accuracy"]["mean"] for a in names)
    axes[2].set_ylim(max(0, lo - 0.05), 1.0)
    for ax in axes[1:]:
        ax.tick_params(axis="x", labelrotation=12)
    n = arms[names[0]]["epochs_run"]["n"]
    fig.suptitle(
        f"Callback effectiveness on {run.metrics['dataset']} (n={n} seed{'s' * (n > 1)}, "
        f"budget {run.metrics['budget_epochs']} epochs)"
    )
    return save(fig, path)


def learning_rate_schedule(run: Run, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    sched = run.history["schedule"]
    axes[0].step(np.arange(1, len(sched["lr"]) + 1), sched["lr"], where="post", color="#d62728")
    axes[0].set_title("LearningRateScheduler: halve every few epochs")
    groups = _grouped(run, "arms")
    for h in groups.get("early_stopping_reduce_lr", []):
        axes[1].step(np.arange(1, len(h["lr"]) + 1), h["lr"], where="post", alpha=0.8)
    axes[1].set_title("ReduceLROnPlateau: cut on a val_loss plateau (one line per seed)")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("learning rate")
        ax.grid(alpha=0.3, which="both")
    return save(fig, path)


def training_time_per_epoch(run: Run, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    for arm, hists in _grouped(run, "arms").items():
        h = hists[0]
        ax.plot(
            np.arange(1, len(h["epoch_time"]) + 1),
            np.array(h["epoch_time"]) * 1000,
            color=COLORS.get(arm),
            label=label(arm),
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("ms per epoch (TrainingTimeCallback)")
    ax.set_title("Time per epoch, first seed")
    ax.grid(alpha=0.3)
    ax.legend()
    return save(fig, path)


# --------------------------------------------------------------------------- cnn


def mnist_samples(run: Run, path: Path) -> Path:
    a = run.arrays()
    x, y = a["x_test_sample"], a["y_test"]
    fig, axes = plt.subplots(3, 10, figsize=(12, 4.2))
    # three examples of each digit, the first ones in test-set order
    for d in range(10):
        idx = np.flatnonzero(y[: len(x)] == d)[:3]
        for r, i in enumerate(idx):
            ax = axes[r, d]
            ax.imshow(x[i], cmap="gray_r")
            ax.set_title(f"label {d} (#{i})", fontsize=8)
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle("Real MNIST test digits (28×28 grayscale, pixel values scaled to [0, 1] for training)")
    return save(fig, path)


def cnn_training_comparison(run: Run, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for name in run.metrics["models"]:
        hists = _grouped(run, "cnn").get(name, [])
        key = "main_accuracy" if "main_accuracy" in hists[0] else "accuracy"
        for metric, style, ax in ((key, "-", axes[0]), ("val_" + key, "--", axes[1])):
            if metric not in hists[0]:
                continue
            x, m, s = mean_band([h[metric] for h in hists])
            ax.plot(x, m, style, marker="o", color=COLORS.get(name), label=label(name))
            ax.fill_between(x, m - s, m + s, color=COLORS.get(name), alpha=0.15)
    for ax, t in zip(axes, ("training accuracy", "validation accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(t)
        ax.set_title(f"{t} (mean ± std over seeds)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("CNN training on MNIST")
    return save(fig, path)


def model_comparison_summary(run: Run, path: Path) -> Path:
    models = run.metrics["models"]
    names = list(models)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    bars_with_errors(
        axes[0],
        names,
        [models[n]["test_accuracy"]["mean"] for n in names],
        [models[n]["test_accuracy"]["std"] for n in names],
        "test accuracy",
        "Test accuracy (10k images)",
    )
    axes[0].axhline(0.97, color="k", linestyle=":", label="97% target")
    axes[0].legend(loc="lower right")
    axes[0].set_ylim(max(0, min(models[n]["test_accuracy"]["mean"] for n in names) - 0.03), 1.0)
    axes[1].bar([label(n) for n in names], [models[n]["params"] for n in names], color=[COLORS.get(n) for n in names])
    for i, n in enumerate(names):
        axes[1].text(i, models[n]["params"], f"{models[n]['params']:,}", ha="center", va="bottom", fontsize=9)
    axes[1].set_ylabel("parameters")
    axes[1].set_title("Model size")
    bars_with_errors(
        axes[2],
        names,
        [models[n]["epoch_time_s"]["mean"] for n in names],
        [models[n]["epoch_time_s"]["std"] for n in names],
        "seconds",
        "Training time per epoch",
    )
    for ax in axes:
        ax.tick_params(axis="x", labelrotation=10)
    fig.suptitle("Accuracy vs parameters vs training time")
    return save(fig, path)


def cnn_predictions(run: Run, path: Path) -> Path:
    a = run.arrays()
    model = run.metrics["error_analysis"]["model"]
    probs = a[f"probs_{model}"].astype("float32")
    x, y = a["x_test_sample"], a["y_test"]
    n = len(x)
    pred = probs[:n].argmax(axis=1)
    wrong = np.flatnonzero(pred != y[:n])[:6]
    right = np.setdiff1d(np.arange(n), wrong)[: 18 - len(wrong)]
    idx = np.concatenate([right[:12], wrong, right[12:]])[:18]
    fig, axes = plt.subplots(3, 6, figsize=(11, 6.2))
    for ax, i in zip(axes.ravel(), idx):
        ok = pred[i] == y[i]
        ax.imshow(x[i], cmap="gray_r")
        ax.set_title(
            f"pred {pred[i]} ({probs[i, pred[i]]:.2f})\ntrue {y[i]}", color="green" if ok else "red", fontsize=9
        )
        ax.axis("off")
    fig.suptitle(
        f"{label(model)} predictions with confidence (green: correct, red: wrong; {len(wrong)} real mistakes shown)"
    )
    return save(fig, path)


def confusion_matrix(run: Run, path: Path) -> Path:
    ea = run.metrics["error_analysis"]
    cm = np.array(ea["confusion_matrix"])
    fig, ax = plt.subplots(figsize=(8, 7))
    im = ax.imshow(np.log1p(cm), cmap="Blues")
    for i in range(10):
        for j in range(10):
            ax.text(
                j,
                i,
                str(cm[i, j]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if cm[i, j] > cm.max() / 4 else "black",
            )
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    fig.colorbar(im, ax=ax, label="log(1 + count)")
    ax.set_title(f"{label(ea['model'])} confusion matrix on {cm.sum():,} test images")
    return save(fig, path)


def per_class_accuracy(run: Run, path: Path) -> Path:
    ea = run.metrics["error_analysis"]
    acc = np.array(ea["per_class_accuracy"])
    fig, ax = plt.subplots(figsize=(9, 4.5))
    bars = ax.bar(range(10), acc, color=["#d62728" if a == acc.min() else "#1f77b4" for a in acc])
    for b, a in zip(bars, acc):
        ax.text(b.get_x() + b.get_width() / 2, a + 0.001, f"{a:.3f}", ha="center", va="bottom", fontsize=8)
    ax.axhline(ea["accuracy"], color="k", linestyle="--", label=f"overall {ea['accuracy']:.4f}")
    ax.set_xticks(range(10))
    ax.set_xlabel("digit")
    ax.set_ylabel("accuracy")
    ax.set_ylim(max(0, acc.min() - 0.03), 1.0)
    ax.set_title(f"{label(ea['model'])}: per-class test accuracy (red: lowest)")
    ax.legend(loc="lower right")
    return save(fig, path)


# --------------------------------------------------------------------------- compare


def keras_vs_pytorch(run: Run, path: Path) -> Path:
    c = run.metrics["contestants"]
    names = list(c)
    colors = {"tensorflow": "#ff7f0e", "jax": "#9467bd", "torch": "#d62728", "native-torch": "#7f7f7f"}
    labels = {"tensorflow": "Keras/TF", "jax": "Keras/JAX", "torch": "Keras/PyTorch", "native-torch": "native PyTorch"}
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.3))
    panels = [
        ("epoch_s", "seconds per epoch (after warm-up)"),
        ("first_epoch_s", "first epoch (s)"),
        ("test_accuracy", "test accuracy"),
        ("peak_rss_mb", "peak memory (MB)"),
    ]
    for ax, (key, title) in zip(axes, panels):
        means = [c[n][key]["mean"] for n in names]
        stds = [c[n][key]["std"] for n in names]
        ax.bar([labels.get(n, n) for n in names], means, yerr=stds, capsize=5, color=[colors.get(n) for n in names])
        for i, m in enumerate(means):
            ax.text(i, m, f"{m:.3f}" if key == "test_accuracy" else f"{m:.1f}", ha="center", va="bottom", fontsize=8)
        ax.set_title(title)
        ax.tick_params(axis="x", labelrotation=15)
        ax.grid(axis="y", alpha=0.3)
    lo = min(c[n]["test_accuracy"]["mean"] for n in names)
    axes[2].set_ylim(max(0, lo - 0.05), 1.0)
    s = run.metrics["settings"]
    fig.suptitle(
        f"Simple CNN, {s['n_train']:,} MNIST images, batch {s['batch_size']}, {s['epochs']} epochs, "
        f"each in its own process"
    )
    return save(fig, path)


def bench_throughput(run: Run, path: Path) -> Path:
    rows = run.metrics["rows"]
    names = list(rows)
    means = [rows[n]["images_per_s"].get("median", rows[n]["images_per_s"]["mean"]) for n in names]
    lo = [rows[n]["images_per_s"].get("min", m) for n, m in zip(names, means)]
    hi = [rows[n]["images_per_s"].get("max", m) for n, m in zip(names, means)]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(names) + 1.5))
    colors = [
        "#7f7f7f" if n.startswith("native") else "#d62728" if n.startswith("keraslab") else "#1f77b4" for n in names
    ]
    err = [[m - a for m, a in zip(means, lo)], [b - m for m, b in zip(means, hi)]]
    ax.barh([f"{n} ({rows[n].get('precision', 'float32')})" for n in names], means, xerr=err, capsize=3, color=colors)
    ref = next((m for n, m in zip(names, means) if n.startswith("native")), None)
    for i, m in enumerate(means):
        ax.text(m, i, f" {m:,.0f}" + (f" ({m / ref:.2f}×)" if ref else ""), va="center", fontsize=8)
    if ref:
        ax.axvline(ref, color="k", linestyle=":", linewidth=1)
    ax.invert_yaxis()
    ax.set_xlabel("training images per second after the warm-up epoch (median; bars: range over rounds)")
    s = run.metrics["settings"]
    ax.set_title(
        f"Simple CNN, batch {s['batch_size']}, {s['n_train']:,} images/epoch (grey: native PyTorch, "
        f"red: keraslab's path)"
    )
    ax.grid(axis="x", alpha=0.3)
    return save(fig, path)


FIGURES = {
    "sequential": [
        ("sequential_training_history.png", sequential_training_history),
        ("sequential_decision_boundary.png", sequential_decision_boundary),
        ("sequential_optimizer_comparison.png", sequential_optimizer_comparison),
        ("sequential_test_accuracy_comparison.png", sequential_test_accuracy_comparison),
        ("sequential_tuned_learning_rates.png", sequential_tuned_learning_rates),
    ],
    "functional": [
        ("functional_models_comparison.png", functional_models_comparison),
        ("sequential_vs_functional_comparison.png", sequential_vs_functional_comparison),
    ],
    "callbacks": [
        ("callbacks_effectiveness.png", callbacks_effectiveness),
        ("learning_rate_schedule.png", learning_rate_schedule),
        ("training_time_per_epoch.png", training_time_per_epoch),
    ],
    "cnn": [
        ("mnist_samples.png", mnist_samples),
        ("cnn_training_comparison.png", cnn_training_comparison),
        ("model_comparison_summary.png", model_comparison_summary),
        ("cnn_predictions.png", cnn_predictions),
        ("confusion_matrix.png", confusion_matrix),
        ("per_class_accuracy.png", per_class_accuracy),
    ],
    "compare": [("keras_vs_pytorch.png", keras_vs_pytorch)],
    "bench": [("bench_throughput.png", bench_throughput)],
}
#: experiment -> function(run, plots_dir) -> [paths] for figures whose names depend on the run
EXTRA = {"functional": architecture_diagrams}


def render(store: RunStore, plots_dir: Path, experiments=None) -> list[Path]:
    """Draw every figure of the latest run of each experiment; returns the files written."""
    written = []
    for experiment, figures in FIGURES.items():
        if experiments is not None and experiment not in experiments:
            continue
        run = store.latest(experiment)
        if run is None:
            continue
        for filename, draw in figures:
            path = draw(run, Path(plots_dir) / filename)
            if path is not None:  # None: this run holds nothing to draw for that figure
                written.append(path)
        if experiment in EXTRA:
            written.extend(EXTRA[experiment](run, plots_dir))
    return written
