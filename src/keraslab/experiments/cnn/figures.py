"""The cnn experiment's figures: each reads the stored run only (plots never train)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from keraslab.plots import bars_with_errors, color, label, mean_band, plt, save
from keraslab.store import Run


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
    for name in run.metrics["arms"]:
        hists = run.histories(name)
        key = "main_accuracy" if "main_accuracy" in hists[0] else "accuracy"
        for metric, style, ax in ((key, "-", axes[0]), ("val_" + key, "--", axes[1])):
            if metric not in hists[0]:
                continue
            x, m, s = mean_band([h[metric] for h in hists])
            ax.plot(x, m, style, marker="o", color=color(name), label=label(name))
            ax.fill_between(x, m - s, m + s, color=color(name), alpha=0.15)
    for ax, t in zip(axes, ("training accuracy", "validation accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(t)
        ax.set_title(f"{t} (mean ± std over seeds)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("CNN training on MNIST")
    return save(fig, path)


def model_comparison_summary(run: Run, path: Path) -> Path:
    models = run.metrics["arms"]
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
    axes[1].bar([label(n) for n in names], [models[n]["params"] for n in names], color=[color(n) for n in names])
    for i, n in enumerate(names):
        axes[1].text(i, models[n]["params"], f"{models[n]['params']:,}", ha="center", va="bottom", fontsize=9)
    axes[1].set_ylabel("parameters")
    axes[1].set_title("Model size")
    bars_with_errors(
        axes[2],
        names,
        [models[n]["epoch_time"]["mean"] for n in names],
        [models[n]["epoch_time"]["std"] for n in names],
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


#: (file name, function(run, path)) in the order the report shows them
FIGURES = [
    ("mnist_samples.png", mnist_samples),
    ("cnn_training_comparison.png", cnn_training_comparison),
    ("model_comparison_summary.png", model_comparison_summary),
    ("cnn_predictions.png", cnn_predictions),
    ("confusion_matrix.png", confusion_matrix),
    ("per_class_accuracy.png", per_class_accuracy),
]
