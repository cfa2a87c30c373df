"""The bench experiment's figures: each reads the stored run only (plots never train)."""

from __future__ import annotations

from pathlib import Path


from keraslab.plots import plt, save
from keraslab.store import Run


def bench_throughput(run: Run, path: Path) -> Path:
    """The contestants in one panel, the variants tried in another (sorted), each bar with the range
    over rounds, its value placed past the range, and the 1.00× line named."""
    arms = run.result.arms
    med = {n: arms[n].images_per_s.median for n in arms}
    ref_name = next((n for n in arms if n.startswith("native")), None)
    ref = med.get(ref_name)
    main = [n for n in arms if not n.startswith("variant")]
    variants = sorted((n for n in arms if n.startswith("variant")), key=med.get, reverse=True)
    panels = [(main, "The contestants")] + ([(variants, "Variants of keraslab's path tried")] if variants else [])
    heights = [len(p) for p, _ in panels]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(11, 0.42 * sum(heights) + 1.6), gridspec_kw={"height_ratios": heights}, sharex=True
    )
    axes = [axes] if len(panels) == 1 else list(axes)
    top = max(arms[n].images_per_s.max for n in arms)
    for ax, (names, title) in zip(axes, panels):
        means = [med[n] for n in names]
        lo = [arms[n].images_per_s.min for n in names]
        hi = [arms[n].images_per_s.max for n in names]
        colors = [
            "#7f7f7f" if n.startswith("native") else "#d62728" if n.startswith("keraslab") else "#1f77b4" for n in names
        ]
        err = [[m - a for m, a in zip(means, lo)], [b - m for m, b in zip(means, hi)]]
        ys = range(len(names))
        ax.barh(ys, means, xerr=err, capsize=3, color=colors)
        ax.set_yticks(list(ys), [f"{n} ({arms[n].precision})" for n in names])
        for y, m, h in zip(ys, means, hi):
            ax.annotate(
                f"{m:,.0f}" + (f" ({m / ref:.2f}×)" if ref else ""),
                (h, y),
                xytext=(5, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        if ref:
            ax.axvline(ref, color="k", linestyle=":", linewidth=1, label=f"1.00× = {ref_name}")
        ax.invert_yaxis()
        ax.set_title(title, loc="left", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_xlim(0, top * 1.22)  # room for the value labels past the longest range
    if ref:
        # above the panel, right of its left-aligned title: never over a bar or its value label
        axes[0].legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False, borderaxespad=0.2)
    axes[-1].set_xlabel(
        "training images per second after the warm-up epoch (bar: median over rounds; error bar: min–max range)"
    )
    s = run.result.settings
    fig.suptitle(
        f"Simple CNN, batch {s.batch_size}, {s.n_train:,} images/epoch "
        "(grey: native PyTorch, red: keraslab's path, blue: plain fit and variants)"
    )
    return save(fig, path)


#: (file name, function(run, path)) in the order the report shows them
FIGURES = [
    ("bench_throughput.png", bench_throughput),
]
