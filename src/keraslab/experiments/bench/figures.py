"""The bench experiment's figures: each reads the stored run only (plots never train)."""

from __future__ import annotations

from pathlib import Path


from keraslab.plots import plt, save
from keraslab.store import Run


def bench_throughput(run: Run, path: Path) -> Path:
    arms = run.metrics["arms"]
    names = list(arms)
    means = [arms[n]["images_per_s"].get("median", arms[n]["images_per_s"]["mean"]) for n in names]
    lo = [arms[n]["images_per_s"].get("min", m) for n, m in zip(names, means)]
    hi = [arms[n]["images_per_s"].get("max", m) for n, m in zip(names, means)]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(names) + 1.5))
    colors = [
        "#7f7f7f" if n.startswith("native") else "#d62728" if n.startswith("keraslab") else "#1f77b4" for n in names
    ]
    err = [[m - a for m, a in zip(means, lo)], [b - m for m, b in zip(means, hi)]]
    ax.barh([f"{n} ({arms[n].get('precision', 'float32')})" for n in names], means, xerr=err, capsize=3, color=colors)
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


#: (file name, function(run, path)) in the order the report shows them
FIGURES = [
    ("bench_throughput.png", bench_throughput),
]
