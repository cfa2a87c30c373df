"""The compare experiment in the report: its section (prose, tables, figures) and the measures
its claims in claims.json name."""

from __future__ import annotations

from keraslab.report.sections import ReportPart, Context, pm, seeds_text
from keraslab.experiments.compare.result import Arm, CompareResult
from keraslab.store import Run

KERAS_SNIPPET = """model = keras.Sequential([...])          # or the Functional API
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size={batch_size}, epochs={epochs})"""


TORCH_SNIPPET = """optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, fused=True)
for epoch in range(epochs):
    order = permutation(len(x), seed, epoch)
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()"""


def fastest_text(c: dict[str, Arm], names: dict) -> str:
    """Which contestant is fastest per epoch, said only when its slowest seed beats every other's
    fastest seed; otherwise which has the lowest mean and whose per-seed times overlap it."""
    times = {n: v.epoch_time.values or [v.epoch_time.mean] for n, v in c.items()}
    low = min(times, key=lambda n: sum(times[n]) / len(times[n]))
    overlap = [names.get(n, n) for n in times if n != low and min(times[n]) <= max(times[low])]
    if not overlap:
        return f"Fastest here: **{names.get(low, low)}**, in every seed."
    return (
        f"Lowest mean seconds per epoch: {names.get(low, low)}; its per-seed times overlap "
        f"{', '.join(overlap)}, so no single fastest on this evidence."
    )


def section(run: Run, ctx: Context) -> list:
    met: CompareResult = run.result
    c = met.arms
    s = met.settings
    variant = s.native_torch
    names = {
        "tensorflow": "Keras on TensorFlow",
        "jax": "Keras on JAX",
        "torch": "Keras on PyTorch",
        "native-torch": f"native PyTorch (manual loop, {variant})",
    }
    rows = [
        [
            names.get(n, n),
            pm(v.test_accuracy),
            pm(v.epoch_time, 2),
            pm(v.first_epoch_time, 2),
            f"{v.speedup if v.speedup is not None else float('nan'):.2f}×",
            f"{v.peak_rss_mb.mean:.0f}",
            str(v.loc),
            ", ".join(v.ran_on),
        ]
        for n, v in c.items()
    ]
    keras_names = [n for n in c if n != "native-torch"]
    speeds = ", ".join(f"{names.get(n, n)} {v.epoch_time.mean:.1f}" for n, v in c.items())
    lines = []
    if "native-torch" in c and keras_names:
        best_keras = min(keras_names, key=lambda n: c[n].epoch_time.mean)
        ratio = c[best_keras].speedup
        lines.append(
            fastest_text(c, names)
            + f" The Keras backend with the lowest mean ({names[best_keras]}) trains at {ratio:.2f}× native "
            "PyTorch's speed with plain `fit` (ratio of mean seconds per epoch)."
        )
        lines.append(
            f"Lines of code for model + training: Keras {c[keras_names[0]].loc}, native PyTorch "
            f'{c["native-torch"].loc} — the guide\'s "built-in fit() vs manual loop" in numbers.'
        )
    if met.skipped:
        lines.append("Not installed, so not measured: " + ", ".join(met.skipped) + ".")
    return [
        ("h2", "Keras vs PyTorch, measured"),
        (
            "p",
            f"The Simple CNN on {s.n_train:,} MNIST images, batch {s.batch_size}, {s.epochs} epochs, Adam "
            f"with Keras' defaults on both sides, the same per-epoch batch order; each arm in its own "
            f"process; {seeds_text(run)}. Native PyTorch runs as `keraslab bench` measured it fastest in "
            f"float32 ({variant}; the bench has every variant). Seconds per epoch exclude the first "
            "(warm-up/compile) epoch; peak memory is the process's peak resident set.",
        ),
        (
            "table",
            [
                "arm",
                "test accuracy",
                "s / epoch",
                "first epoch (s)",
                "speed vs native PyTorch",
                "peak MB",
                "lines of code",
                "ran on",
            ],
            rows,
        ),
        ("img", "keras_vs_pytorch.png", "Keras backends vs native PyTorch"),
        ("ul", lines),
        ("h3", "The guide's table, filled with what was measured"),
        (
            "table",
            ["aspect", "the guide: Keras / PyTorch", "what keraslab shows"],
            [
                [
                    "Philosophy",
                    "high-level, user-friendly / low-level, flexible",
                    "the same network and optimizer both ways; accuracy equal within seed noise (table above)",
                ],
                [
                    "Model definition",
                    "Sequential/Functional API / class-based",
                    "keraslab.models.cnn vs keraslab.models.torch_models; the parity test copies Keras weights "
                    "into the "
                    "PyTorch class and gets the same predictions",
                ],
                ["Training loop", "built-in fit() / manual loop", f"lines of code above; seconds per epoch: {speeds}"],
                [
                    "Debugging",
                    "less transparent / more transparent",
                    "Keras runs eagerly with `model.compile(..., run_eagerly=True)`: breakpoints and prints inside "
                    '`call()` work as in PyTorch. The guide\'s "less transparent" describes the default compiled '
                    "graph, not a limit of Keras.",
                ],
            ],
        ),
        ("p", "Keras:"),
        ("code", KERAS_SNIPPET.format(batch_size=s.batch_size, epochs=s.epochs), "python"),
        ("p", "PyTorch:"),
        ("code", TORCH_SNIPPET, "python"),
    ]


PART = ReportPart(section=section, measures={})
