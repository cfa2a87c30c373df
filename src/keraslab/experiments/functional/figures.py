"""The functional experiment's figures: each reads the stored run only (plots never train)."""

from __future__ import annotations

from pathlib import Path


from keraslab.plots import bars_with_errors, integer_epochs, mean_band, plt, save
from keraslab.store import Run, atomic_write_bytes
from keraslab.experiments.functional import EXPERIMENT

label = EXPERIMENT.label
color = EXPERIMENT.color


def functional_models_comparison(run: Run, path: Path) -> Path:
    arch = run.result.arms
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for name in arch:
        hists = run.histories(name)
        x, m, s = mean_band([h["val_accuracy"] for h in hists])
        axes[0].plot(x, m, color=color(name), label=f"{label(name)} ({arch[name].params} params)")
        axes[0].fill_between(x, m - s, m + s, color=color(name), alpha=0.2)
    axes[0].set_xlabel("epoch")
    integer_epochs(axes[0])
    axes[0].set_ylabel("validation accuracy")
    n = arch[next(iter(arch))].test_accuracy.n
    axes[0].set_title(f"Iris: validation accuracy (line: mean, band: ± 1 std over {n} seeds)")
    axes[0].grid(alpha=0.3)
    axes[0].legend()
    names = list(arch)
    bars_with_errors(
        EXPERIMENT,
        axes[1],
        names,
        [arch[n].test_accuracy.mean for n in names],
        [arch[n].test_accuracy.std for n in names],
        "test accuracy",
        "Test accuracy",
        n=n,
    )
    axes[1].set_ylim(0, 1.1)
    fig.suptitle("Functional API architectures", y=1.04)
    return save(fig, path)


def sequential_vs_functional_comparison(run: Run, path: Path) -> Path:
    eq = run.result.api_equivalence
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for api, style in (("sequential", "-"), ("functional", "--")):
        for metric, ax in (("loss", axes[0]), ("val_accuracy", axes[1])):
            x, m, s = mean_band([h[metric] for h in run.histories(api)])
            ax.plot(x, m, style, color=color(api), label=f"{api.capitalize()} API (mean ± 1 std)", linewidth=2)
            ax.fill_between(x, m - s, m + s, color=color(api), alpha=0.15)
    for ax, metric in zip(axes, ("training loss", "validation accuracy")):
        ax.set_xlabel("epoch")
        integer_epochs(ax)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    d = eq.accuracy_difference
    axes[0].set_title(f"Same seed: largest loss gap {eq.same_seed_max_loss_gap:.2e}")
    axes[1].set_title(f"Test accuracy difference {d.mean:+.4f} ± {d.std:.4f} (n={d.n})")
    fig.suptitle("The same 16-8-1 architecture, Sequential vs Functional API, on make_moons")
    return save(fig, path)


def architecture_diagrams(run: Run, plots_dir: Path) -> list[Path]:
    """Copy the stored plot_model diagrams (where Graphviz was present) into plots/."""
    out = []
    for name, info in run.result.diagrams.items():
        if info.diagram:
            src = run.path / "diagrams" / info.diagram
            if src.exists():
                dst = Path(plots_dir) / f"architecture_{name}.png"
                dst.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(dst, src.read_bytes())
                out.append(dst)
    return out


#: (file name, function(run, path)) in the order the report shows them
FIGURES = [
    ("functional_models_comparison.png", functional_models_comparison),
    ("sequential_vs_functional_comparison.png", sequential_vs_functional_comparison),
    (None, architecture_diagrams),  # writes one file per stored diagram
]
#: figures whose names depend on the run: function(run, plots_dir) -> [paths]
