"""The compare experiment's figures: each reads the stored run only (plots never train)."""

from __future__ import annotations

from pathlib import Path


from keraslab.plots import plt, save
from keraslab.store import Run


def keras_vs_pytorch(run: Run, path: Path) -> Path:
    c = run.metrics["arms"]
    names = list(c)
    colors = {"tensorflow": "#ff7f0e", "jax": "#9467bd", "torch": "#d62728", "native-torch": "#7f7f7f"}
    labels = {"tensorflow": "Keras/TF", "jax": "Keras/JAX", "torch": "Keras/PyTorch", "native-torch": "native PyTorch"}
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.3))
    panels = [
        ("epoch_time", "seconds per epoch (after warm-up)"),
        ("first_epoch_time", "first epoch (s)"),
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


#: (file name, function(run, path)) in the order the report shows them
FIGURES = [
    ("keras_vs_pytorch.png", keras_vs_pytorch),
]
