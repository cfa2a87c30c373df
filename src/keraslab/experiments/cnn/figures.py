"""The cnn experiment's figures: each reads the stored run only (plots never train)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from keraslab.experiments.cnn import EXPERIMENT
from keraslab.experiments.cnn.report import calibration
from keraslab.plots import (
    bars_with_errors,
    cut_axis,
    integer_epochs,
    mean_band,
    plt,
    save,
    value_labels,
    wrap,
)
from keraslab.report.claims import guide_value
from keraslab.store import Run

label = EXPERIMENT.label
color = EXPERIMENT.color


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
    for name in run.result.arms:
        hists = run.histories(name)
        key = "main_accuracy" if "main_accuracy" in hists[0] else "accuracy"
        for metric, style, ax in ((key, "-", axes[0]), ("val_" + key, "--", axes[1])):
            if metric not in hists[0]:
                continue
            x, m, s = mean_band([h[metric] for h in hists])
            ax.plot(x, m, style, marker="o", color=color(name), label=label(name))
            ax.fill_between(x, m - s, m + s, color=color(name), alpha=0.15)
    n = len(run.histories(next(iter(run.result.arms))))
    for ax, t in zip(axes, ("training accuracy", "validation accuracy")):
        ax.set_xlabel("epoch")
        integer_epochs(ax)
        ax.set_ylabel(t)
        ax.set_title(f"{t} (line: mean, band: ± 1 std over {n} seeds)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("CNN training on MNIST")
    return save(fig, path)


def model_comparison_summary(run: Run, path: Path) -> Path:
    models = run.result.arms
    names = list(models)
    n = models[names[0]].test_accuracy.n
    target = guide_value(EXPERIMENT.claims(), "cnn_simple_above_97")  # the guide's target, from its claims.json
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    bars_with_errors(
        EXPERIMENT,
        axes[0],
        names,
        [models[x].test_accuracy.mean for x in names],
        [models[x].test_accuracy.std for x in names],
        "test accuracy",
        "Test accuracy (10,000 test images)",
        digits=4,
        n=n,
    )
    axes[0].axhline(target, color="k", linestyle=":", label=f"the guide's target, {target:.0%}")
    axes[0].legend(loc="upper left", fontsize=9)
    low = min(models[x].test_accuracy.mean - models[x].test_accuracy.std for x in names)
    cut_axis(axes[0], round(max(0, min(low, target) - 0.01), 2), 1.0)
    xs = range(len(names))
    params = [models[x].params for x in names]
    axes[1].bar(xs, [p / 1000 for p in params], color=[color(x) for x in names])
    axes[1].set_xticks(list(xs), [wrap(label(x)) for x in names])
    value_labels(axes[1], xs, [p / 1000 for p in params], [f"{p:,}" for p in params])
    axes[1].set_ylabel("parameters (thousands)")
    axes[1].set_title("Model size (exact count)")
    axes[1].margins(y=0.12)
    axes[1].grid(axis="y", alpha=0.3)
    bars_with_errors(
        EXPERIMENT,
        axes[2],
        names,
        [models[x].epoch_time.mean for x in names],
        [models[x].epoch_time.std for x in names],
        "seconds per epoch",
        "Training time per epoch",
        digits=1,
        n=n,
    )
    fig.suptitle("Accuracy vs parameters vs training time", y=1.03)
    return save(fig, path)


def cnn_predictions(run: Run, path: Path) -> Path:
    a = run.arrays()
    model = run.result.error_analysis.model
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
    ea = run.result.error_analysis
    cm = np.array(ea.confusion_matrix)
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
    ax.set_title(f"{label(ea.model)} confusion matrix on {cm.sum():,} test images")
    return save(fig, path)


def per_class_accuracy(run: Run, path: Path) -> Path:
    ea = run.result.error_analysis
    acc = np.array(ea.per_class_accuracy)
    fig, ax = plt.subplots(figsize=(9, 4.8))
    bars = ax.bar(range(10), acc, color=["#d62728" if a == acc.min() else "#1f77b4" for a in acc], zorder=2)
    # values inside the bars, below the top: clear of the "overall" line wherever it falls
    for b, a in zip(bars, acc):
        ax.annotate(
            f"{a:.3f}",
            (b.get_x() + b.get_width() / 2, a),
            xytext=(0, -4),
            textcoords="offset points",
            ha="center",
            va="top",
            rotation=90,
            fontsize=8,
            color="white",
        )
    # behind the bars: it shows in the gaps and never crosses a value
    ax.axhline(ea.accuracy, color="k", linestyle="--", label=f"overall {ea.accuracy:.4f}", zorder=0.5)
    ax.set_xticks(range(10))
    ax.set_xlabel("digit")
    ax.set_ylabel("accuracy")
    cut_axis(ax, round(max(0, acc.min() - 0.03), 2), 1.0)
    ax.set_title(f"{label(ea.model)}: per-class test accuracy, one seed (red: lowest)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1, frameon=False)
    return save(fig, path)


def reliability_diagram(run: Run, path: Path) -> Path:
    """Confidence against accuracy in 15 equal-width bins, for each CNN (one seed each), over how
    many images each bin holds (most sit in the top bin: the sparse low bins are noisy)."""

    a = run.arrays()
    y = a["y_test"].astype("int64")
    fig, (ax, hist) = plt.subplots(2, 1, figsize=(7, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1.2]})
    ax.plot([0, 1], [0, 1], color="k", linestyle=":", linewidth=1, label="perfect calibration")
    names = [n for n in run.result.arms if f"probs_{n}" in a]
    for i, name in enumerate(names):
        ece, table = calibration(a[f"probs_{name}"].astype("float64"), y)
        conf, acc, count = zip(*table)
        ax.plot(conf, acc, "o-", color=color(name), alpha=0.8, label=f"{label(name)} (ECE {ece:.4f})")
        width = 0.8 / 15 / len(names)
        hist.bar([c + (i - (len(names) - 1) / 2) * width for c in conf], count, width=width, color=color(name))
    ax.set_ylabel("accuracy in the bin")
    ax.set_title(f"Reliability diagram: 15 equal-width confidence bins, {len(y):,} test images, one seed per model")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    hist.set_yscale("log")
    hist.set_ylabel("images in the bin\n(log scale)")
    hist.set_xlabel("mean confidence in the bin (top softmax probability)")
    hist.grid(alpha=0.3, which="both")
    return save(fig, path)


#: (file name, function(run, path)) in the order the report shows them
FIGURES = [
    ("mnist_samples.png", mnist_samples),
    ("cnn_training_comparison.png", cnn_training_comparison),
    ("model_comparison_summary.png", model_comparison_summary),
    ("cnn_predictions.png", cnn_predictions),
    ("confusion_matrix.png", confusion_matrix),
    ("per_class_accuracy.png", per_class_accuracy),
    ("reliability_diagram.png", reliability_diagram),
]
