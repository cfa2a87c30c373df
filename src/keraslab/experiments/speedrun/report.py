"""The speedrun experiment in the report: its section (prose, tables, figures) and the measures
its claims in claims.json name."""

from __future__ import annotations


from keraslab.report.sections import ReportPart, Context
from keraslab.store import Run


def section(run: Run, ctx: Context) -> list:
    met = run.metrics
    rows = [
        [
            "Keras (this recipe)",
            str(r.get("seed", s)),
            f"{r['train_time']:.2f}",
            f"{r['val_accuracy']:.4f}" if r.get("val_accuracy") is not None else "—",
            f"{r['test_accuracy']:.4f}",
        ]
        for s, r in zip(run.config["seeds"], met["per_seed"])
    ]
    twin = met.get("torch_twin")
    if twin:
        rows += [
            [
                twin["name"],
                str(r["seed"]),
                f"{r['train_time']:.2f}",
                f"{r['val_accuracy']:.4f}",
                f"{r['test_accuracy']:.4f}",
            ]
            for r in twin["per_seed"]
        ]
    rec = met.get("recipe") or {}
    split = (
        f"Trained on {met['n_train']:,} images; the recipe is judged on {met['n_val']:,} held-out training images "
        "(validation) and the test set is evaluated once per seed, at the end. "
        if "n_val" in met
        else "No validation split in this (older) run: its recipe was checked on test. "
    )
    lines = [
        f"Keras: median **{met['median_train_time']:.1f}s** of training to **{met['median_test_accuracy']:.4f}** "
        f"test accuracy over {len(met['per_seed'])} seeds ({met.get('precision', 'float32')}) — target "
        f"{met['target']} " + ("reached." if met["reached_target"] else "**not reached**.")
    ]
    if twin:
        ratio = met["speedup"]
        lines.append(
            f"{twin['name']} (same recipe, same seeds, same precision class, its own process): median "
            f"**{twin['median_train_time']:.1f}s** to **{twin['median_test_accuracy']:.4f}**. Keras runs at "
            f"{ratio:.2f}× the twin's speed — "
            + (
                "faster."
                if ratio > 1
                else "slower: the gap is Keras' per-run overhead (graph tracing) and TensorFlow's convolution kernels."
            )
        )
    elif "torch_twin" in met:
        lines.append("PyTorch is not installed here: no twin measured.")
    recipe_text = (
        f"one epoch at batch {rec.get('batch_size', run.config.get('batch_size'))}, Adam (learning rate "
        f"{rec.get('peak_learning_rate', run.config.get('peak_learning_rate'))}, betas {rec.get('beta_1', '—')}/"
        f"{rec.get('beta_2', '—')}) under a one-cycle schedule"
        + (f", {met['steps_per_execution']} batches per compiled call" if met.get("steps_per_execution", 1) > 1 else "")
    )
    return [
        ("h2", "Time to 99%"),
        (
            "p",
            f"`keraslab run speedrun`: a {met['params']:,}-parameter CNN (tuomaso/train_mnist_fast's recipe in "
            f"Keras), {recipe_text}. Training time counts the whole epoch, graph tracing included. " + split,
        ),
        ("ul", lines),
        ("table", ["contestant", "seed", "training time (s)", "validation accuracy", "test accuracy"], rows),
    ]


def readme_line(run: Run) -> str:
    """The speedrun's line under README's results table."""
    sm = run.metrics
    twin = sm.get("torch_twin")
    return (
        f"Time to {sm['target']:.0%} MNIST test accuracy (`keraslab run speedrun`, median of "
        f"{len(sm['per_seed'])} seeds): Keras {sm['median_train_time']:.1f}s of training, "
        f"{sm['median_test_accuracy']:.4f} accuracy"
        + (f"; {twin['name']} {twin['median_train_time']:.1f}s, {twin['median_test_accuracy']:.4f}." if twin else ".")
    )


PART = ReportPart(section=section, measures={}, readme_line=readme_line)
