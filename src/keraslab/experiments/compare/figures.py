"""The compare experiment's figures: each reads the stored run only (plots never train)."""

from __future__ import annotations

from pathlib import Path


from keraslab.plots import cut_axis, plt, save, value_labels, wrap
from keraslab.store import Run


def keras_vs_pytorch(run: Run, path: Path) -> Path:
    c = run.result.arms
    names = list(c)
    colors = {"tensorflow": "#ff7f0e", "jax": "#9467bd", "torch": "#d62728", "native-torch": "#7f7f7f"}
    # with spaces, so that wrap() can break them: "Keras/PyTorch" ran into its neighbours
    labels = {
        "tensorflow": "Keras on TF",
        "jax": "Keras on JAX",
        "torch": "Keras on PyTorch",
        "native-torch": "native PyTorch",
    }
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.6))
    panels = [
        ("epoch_time", "seconds per epoch (after warm-up)"),
        ("first_epoch_time", "first epoch (s)"),
        ("test_accuracy", "test accuracy"),
        ("peak_rss_mb", "peak memory (MB)"),
    ]
    for ax, (key, title) in zip(axes, panels):
        means = [getattr(c[n], key).mean for n in names]
        stds = [getattr(c[n], key).std for n in names]
        xs = range(len(names))
        ax.bar(xs, means, yerr=stds, capsize=5, color=[colors.get(n) for n in names])
        ax.set_xticks(list(xs), [wrap(labels.get(n, n), 10) for n in names])
        digits = 3 if key == "test_accuracy" else 1
        value_labels(ax, xs, [m + s for m, s in zip(means, stds)], [f"{m:.{digits}f}" for m in means], fontsize=8)
        ax.set_title(title)
        ax.set_ylabel(title.split(" (")[0] if key != "test_accuracy" else "test accuracy")
        ax.grid(axis="y", alpha=0.3)
        ax.margins(y=0.12)
    lo = min(c[n].test_accuracy.mean - c[n].test_accuracy.std for n in names)
    cut_axis(axes[2], round(max(0.0, lo - 0.02), 2), 1.0)
    seeds = c[names[0]].test_accuracy.n
    s = run.result.settings
    fig.subplots_adjust(wspace=0.32)  # room for each panel's y label beside the previous panel's
    fig.suptitle(
        f"Simple CNN, {s.n_train:,} MNIST images, batch {s.batch_size}, {s.epochs} epochs, "
        f"each in its own process" + (f"; error bars: ± 1 std over {seeds} seeds" if seeds else "")
    )
    return save(fig, path)


#: (file name, function(run, path)) in the order the report shows them
FIGURES = [
    ("keras_vs_pytorch.png", keras_vs_pytorch),
]
