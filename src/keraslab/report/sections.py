"""One prose section per experiment, built from its stored run and its claims' verdicts.

A builder takes ``(run, ctx)`` and returns blocks (see :mod:`keraslab.report.render`). The guide's
values are read from claims.json by claim id (:meth:`Context.guide`); no guide number is written
here. Each section ends with the table of its own claims, next to its figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from keraslab import plots
from keraslab.report.claims import Row, describe, guide_value
from keraslab.store import Run


@dataclass
class Context:
    runs: dict
    claims: list
    rows: list[Row]

    def guide(self, claim_id: str):
        return guide_value(self.claims, claim_id)

    def verdict(self, claim_id: str) -> str:
        return next(r.verdict.word for r in self.rows if r.claim["id"] == claim_id)


def pm(stat: dict | None, digits: int = 4) -> str:
    """'mean ± std (n=N)' from a mean_std dict."""
    if not stat:
        return "—"
    if stat.get("n", 1) > 1:
        return f"{stat['mean']:.{digits}f} ± {stat['std']:.{digits}f} (n={stat['n']})"
    return f"{stat['mean']:.{digits}f} (n=1)"


def scaled(stat: dict, factor: float) -> dict:
    """A mean_std dict in other units (e.g. fractions as percent)."""
    return {**stat, "mean": stat["mean"] * factor, "std": stat["std"] * factor}


CLAIMS_HEADER = [
    "the guide says",
    "guide's value",
    "measured (mean ± std, n)",
    "95% interval",
    "tolerance",
    "verdict",
    "why / detail",
]


def guide_text(claim: dict) -> str:
    e = claim.get("expected")
    if isinstance(e, list):
        return "–".join(map(str, e))
    if isinstance(e, int) and not isinstance(e, bool):
        return f"{e:,}"
    return "—" if e is None else str(e)


def claim_row(row: Row) -> list[str]:
    measured, interval = describe(row.measured)
    note = "; ".join(x for x in (row.verdict.note, getattr(row.measured, "detail", ""), row.error) if x)
    reason = row.claim.get("reason", "")
    if reason and reason not in note:
        note += f" (tolerance: {reason})"
    return [
        row.claim["wording"],
        guide_text(row.claim),
        measured,
        interval,
        row.verdict.tolerance,
        row.verdict.word,
        note,
    ]


def claims_block(ctx: Context, section: str) -> list:
    rows = [claim_row(r) for r in ctx.rows if r.section == section]
    if not rows:
        return []
    return [("h3", f"The guide's claims, checked ({section})"), ("table", CLAIMS_HEADER, rows)]


def _seeds_text(run: Run) -> str:
    s = run.config.get("seeds", [])
    return f"{len(s)} seed{'s' * (len(s) != 1)} ({', '.join(map(str, s))})"


def section_sequential(run: Run, ctx: Context) -> list:
    met = run.metrics
    comp = met["optimizers"]
    settings = met["optimizer_settings"]
    rows = []
    for opt, c in comp.items():
        conv = c["epochs_to_converge"]
        rows.append(
            [
                plots.label(opt),
                pm(c["test_accuracy"]),
                pm(conv, 1) if conv else "never",
                f"{c['converged_seeds']}/{len(c['epochs_to_converge_per_seed'])}",
            ]
        )
    acc = {o: c["test_accuracy"]["mean"] for o, c in comp.items()}
    best = max(acc, key=acc.get)
    insights = [
        f"Highest mean test accuracy: **{best}**; the guide says Adam (verdict: {ctx.verdict('opt_adam_highest')}).",
        f"Fastest to validation accuracy {settings['converge_at']}: the guide says Adam (verdict: "
        f"{ctx.verdict('opt_adam_fastest')}); slowest: the guide says SGD (verdict: {ctx.verdict('opt_sgd_slowest')}).",
        "With 3 seeds a ranking is called only where the paired difference's 95% interval excludes 0; "
        "otherwise the verdict says *tie*. The learning rates are Keras' defaults, not tuned per optimizer.",
    ]
    demo = met["moons"].get("predict_demo", [])
    return [
        ("h2", "Sequential API"),
        (
            "p",
            f"make_moons ({run.config['moons_samples']} points, noise {run.config['moons_noise']}), the guide's "
            f"16-8-1 MLP ({met['moons']['params']} parameters), binary cross-entropy, Adam, "
            f"{run.config['epochs']} epochs: test accuracy **{met['moons']['test_accuracy']:.4f}** (seed "
            f"{met['moons']['seed']}). Iris, {met['iris']['params']}-parameter MLP, standardized features "
            f"(scaler fit on training data only): test accuracy **{met['iris']['test_accuracy']:.4f}** on "
            f"{met['iris']['n_test']} test flowers.",
        ),
        ("img", "sequential_training_history.png", "Training history on make_moons"),
        ("img", "sequential_decision_boundary.png", "Decision boundary"),
        ("p", "`model.predict` returns P(class 1) for each new point; thresholding at 0.5 gives the class:"),
        (
            "table",
            ["point", "P(class 1)", "class"],
            [[str(d["point"]), f"{d['probability']:.3f}", str(d["class"])] for d in demo],
        ),
        ("h3", "Optimizer comparison"),
        (
            "p",
            f"Same model and data, a fresh model per arm, {settings['epochs']} epochs, batch "
            f"{settings['batch_size']}, {settings['learning_rates']}; {_seeds_text(run)}. Convergence "
            f"speed = epochs until validation accuracy first reaches {settings['converge_at']}.",
        ),
        ("table", ["optimizer", "test accuracy (mean ± std)", "epochs to converge", "seeds converged"], rows),
        ("img", "sequential_optimizer_comparison.png", "Validation curves per optimizer"),
        ("img", "sequential_test_accuracy_comparison.png", "Final test accuracy per optimizer"),
        ("ul", insights),
        *tuned_blocks(run, ctx),
        *claims_block(ctx, "sequential"),
    ]


def _ranking(comp: dict, key: str, higher_is_better: bool, budget: int) -> str:
    def value(c):
        if key == "test_accuracy":
            return c["test_accuracy"]["mean"]
        per_seed = c["epochs_to_converge_per_seed"]
        return sum(r if r is not None else budget + 1 for r in per_seed) / len(per_seed)

    order = sorted(comp, key=lambda o: value(comp[o]), reverse=higher_is_better)
    text = order[0]
    for prev, cur in zip(order, order[1:]):  # equal means are written as a tie, not an order
        text += (" = " if abs(value(comp[prev]) - value(comp[cur])) < 1e-12 else " > ") + cur
    return text


CHANGED = (
    "Tuning the learning rate changed the accuracy ranking: the guide's table measures Keras' default "
    "learning rates as much as the optimizers."
)
UNCHANGED = (
    "Tuning the learning rate left the accuracy ranking as it was; the verdicts say whether any difference is "
    "larger than the seed-to-seed spread."
)


def tuned_blocks(run: Run, ctx: Context) -> list:
    """The guide's default-learning-rate table beside the tuned one, with both rankings."""
    met = run.metrics
    if "tuned" not in met:
        return [("p", "No tuned comparison in this run (`tune_trials` 0, or a run from before it existed).")]
    default, tuned, t = met["optimizers"], met["tuned"], met["tuning"]
    budget = met["optimizer_settings"]["epochs"]

    def conv(c):
        return pm(c["epochs_to_converge"], 1) if c["epochs_to_converge"] else "never"

    rows = []
    for opt in default:
        d, u = default[opt], tuned[opt]
        rows.append(
            [
                plots.label(opt),
                pm(d["test_accuracy"]),
                conv(d),
                f"{u['learning_rate']:.3g}",
                pm(u["test_accuracy"]),
                conv(u),
                f"{len(u['search']['trials'])}",
            ]
        )
    rank = {
        (name, key): _ranking(comp, key, key == "test_accuracy", budget)
        for name, comp in (("default", default), ("tuned", tuned))
        for key in ("test_accuracy", "epochs")
    }
    changed = rank[("default", "test_accuracy")] != rank[("tuned", "test_accuracy")]
    return [
        ("h3", "The fair comparison: each optimizer at its own tuned learning rate"),
        (
            "p",
            f"The optimizer is the question; its learning rate is a nuisance that must be tuned for each optimizer "
            f"before they are compared. For each, a KerasTuner random search ({t['trials_per_optimizer']} trials, "
            f"the same for all) over a log-scale learning-rate range, {t['epochs_per_trial']} epochs a trial, judged "
            "on the **validation** split only; then each optimizer retrained at its best learning rate over the "
            "same seeds and evaluated once on the test split. Ranges: "
            + ", ".join(f"{o} {lo:g}–{hi:g}" for o, (lo, hi) in t["ranges"].items())
            + ".",
        ),
        (
            "table",
            [
                "optimizer",
                "default LR: test accuracy",
                "default LR: epochs to converge",
                "tuned LR",
                "tuned: test accuracy",
                "tuned: epochs to converge",
                "trials",
            ],
            rows,
        ),
        (
            "ul",
            [
                f"Ranking by mean test accuracy — default learning rates: {rank[('default', 'test_accuracy')]}; "
                f"tuned: {rank[('tuned', 'test_accuracy')]}.",
                f"Ranking by mean epochs to converge — default: {rank[('default', 'epochs')]}; "
                f"tuned: {rank[('tuned', 'epochs')]}.",
                CHANGED if changed else UNCHANGED,
                f"Verdicts — Adam highest: {ctx.verdict('opt_adam_highest')} at default rates, "
                f"{ctx.verdict('opt_adam_highest_tuned')} when tuned; Adam fastest: "
                f"{ctx.verdict('opt_adam_fastest')} at default rates, "
                f"{ctx.verdict('opt_adam_fastest_tuned')} when tuned.",
            ],
        ),
        ("img", "sequential_tuned_learning_rates.png", "Validation accuracy vs learning rate (the searches)"),
    ]


def section_functional(run: Run, ctx: Context) -> list:
    met = run.metrics
    arch = met["architectures"]
    guide = {a: ctx.guide(f"arch_{a}") for a in ("simple", "branching", "residual")}
    rows = [
        [plots.label(a), pm(v["test_accuracy"]), f"{guide[a]:.3f}" if a in guide else "—", f"{v['params']:,}"]
        for a, v in arch.items()
    ]
    acc = {a: v["test_accuracy"]["mean"] for a, v in arch.items()}
    best = max(acc, key=acc.get)
    detail = ", ".join(f"{a} {v:.4f}" for a, v in acc.items())
    eq = met["api_equivalence"]
    d = eq["accuracy_difference"]
    mi = met["multi_io"]
    per_output = ", ".join(f"{k} {v:.4f}" for k, v in mi["evaluation"].items())
    diagrams = met.get("diagrams", {})
    drawn = [n for n, i in diagrams.items() if i.get("diagram")]
    no_diagram = [i.get("why_no_diagram") for i in diagrams.values() if not i.get("diagram")]
    blocks = [
        ("h2", "Functional API"),
        (
            "p",
            f"Iris (4 standardized features, 3 species; 30 test flowers per seed, so one flower is 3.3 "
            f"points), {run.config['epochs']} epochs, Adam, {_seeds_text(run)}.",
        ),
        ("table", ["architecture", "test accuracy (mean ± std)", "guide says", "parameters"], rows),
        ("img", "functional_models_comparison.png", "Functional architectures on Iris"),
        (
            "ul",
            [
                f"Best mean test accuracy: **{best}** ({detail}); the guide says residual is best (verdict: "
                f"{ctx.verdict('arch_residual_best')}). On 30 test flowers one flower is 3.3 points."
            ],
        ),
        ("h3", "Sequential vs Functional: the same model"),
        (
            "p",
            f"The 16-8-1 moons MLP built both ways. (i) With the Sequential model's weights copied into the "
            f"Functional one, the largest difference between their predictions is "
            f"**{eq['same_weights_max_abs_diff']:.2e}**. (ii) Trained from the same seed, the largest gap "
            f"between their per-epoch training losses is **{eq['same_seed_max_loss_gap']:.2e}**, and over "
            f"{d['n']} seeds the test accuracy difference (functional − sequential) is "
            f"**{d['mean']:+.4f} ± {d['std']:.4f}**: the APIs build the same function and train the same.",
        ),
        ("img", "sequential_vs_functional_comparison.png", "Sequential vs Functional API"),
        ("h3", "Multi-input / multi-output and subclassing"),
        (
            "p",
            f"Two named inputs (sepal, petal measurements), a main head and an auxiliary head on the sepal "
            f"branch, loss weights {mi['loss_weights']}: per-output test results {per_output}. "
            f"The subclassed `CustomModel` trained through the same `fit` reached test accuracy "
            f"{met['subclassed']['test_accuracy']:.4f}; saved to `.keras` and reloaded with `safe_mode=True`, "
            f"its predictions differ by {met['subclassed']['reload_max_abs_diff']:.1e}.",
        ),
    ]
    if drawn:
        blocks.append(("p", "Architecture diagrams (`keras.utils.plot_model`):"))
        blocks += [("img", f"architecture_{n}.png", f"{n} architecture") for n in drawn]
    if no_diagram:
        blocks.append(
            (
                "p",
                f"Graphviz was not available for {len(no_diagram)} diagram(s) "
                f"({no_diagram[0]}); text summaries are stored in the run's `diagrams/` folder.",
            )
        )
    return blocks + claims_block(ctx, "functional")


def section_callbacks(run: Run, ctx: Context) -> list:
    met = run.metrics
    arms = met["arms"]
    ids = {
        "no_callbacks": ("cb_none_epochs", "cb_none_acc", None),
        "early_stopping": ("cb_es_epochs", "cb_es_acc", "cb_es_saved"),
        "early_stopping_reduce_lr": ("cb_rlr_epochs", "cb_rlr_acc", "cb_rlr_saved"),
    }
    guide = {
        arm: (str(ctx.guide(e)), str(ctx.guide(a)), f"{ctx.guide(t):.0%}" if t else "0%")
        for arm, (e, a, t) in ids.items()
    }
    rows = []
    for arm, a in arms.items():
        g = guide.get(arm, ("—", "—", "—"))
        rows.append(
            [
                plots.label(arm),
                pm(a["epochs_run"], 1),
                pm(a["best_val_accuracy"]),
                pm(a["test_accuracy"]),
                pm(a["wall_time_s"], 2),
                pm(scaled(a["time_saved"], 100), 1) + " %",
                " / ".join(g),
            ]
        )
    sched = met["schedule"]
    es = arms.get("early_stopping")
    none = arms.get("no_callbacks")
    insights = []
    if es and none:
        diff = es["test_accuracy"]["mean"] - none["test_accuracy"]["mean"]
        insights.append(
            f"EarlyStopping ran {es['epochs_run']['mean']:.0f} of {met['budget_epochs']} epochs on "
            f"average and saved {es['time_saved']['mean'] * 100:.0f}% of the wall time; its test "
            f"accuracy is {diff * 100:+.2f} points against training the full budget "
            f"(the guide reports {(ctx.guide('cb_es_acc') - ctx.guide('cb_none_acc')) * 100:+.2f}; "
            f"verdict on the paired difference: {ctx.verdict('cb_es_better')})."
        )
    return [
        ("h2", "Callbacks"),
        (
            "p",
            f"Data: {met['dataset']} with a 64-32 MLP (ships with scikit-learn, a fraction of a second per "
            f"epoch, and in the guide's ~98% accuracy band — so three arms over several seeds take minutes). "
            f"Budget {met['budget_epochs']} epochs; EarlyStopping {met['callbacks']['early_stopping']}; "
            f"ReduceLROnPlateau {met['callbacks']['reduce_lr']}. Time saved is paired by seed against the "
            f"no-callback arm. {_seeds_text(run)}.",
        ),
        (
            "table",
            [
                "setup",
                "epochs run",
                "best val accuracy",
                "test accuracy",
                "wall time (s)",
                "time saved",
                "guide: epochs / best acc / saved",
            ],
            rows,
        ),
        ("img", "callbacks_effectiveness.png", "Callback effectiveness"),
        ("ul", insights),
        ("h3", "Learning-rate schedules, checkpoints and the custom callback"),
        (
            "p",
            f"A resumable run with the guide's callback strategy: `LearningRateScheduler` (halve every "
            f"{run.config['schedule_step']} epochs), a best-only `ModelCheckpoint` to `best_model.keras` "
            f"that keeps its best across restarts, `CSVLogger`, `TensorBoard` (`tensorboard --logdir runs/`), "
            f"`TerminateOnNaN`, and `BackupAndRestore`. It ran {sched['epochs_run']} epochs; the best "
            f"checkpoint is from epoch {sched['best_epoch']} (validation accuracy "
            f"{sched['best_val_accuracy']:.4f}) and scores {sched['best_model_test_accuracy']:.4f} on test.",
        ),
        ("img", "learning_rate_schedule.png", "Learning-rate traces"),
        ("img", "training_time_per_epoch.png", "TrainingTimeCallback: seconds per epoch"),
        *claims_block(ctx, "callbacks"),
    ]


def section_cnn(run: Run, ctx: Context) -> list:
    met = run.metrics
    models = met["models"]
    guide = {
        f"{k}_cnn": (f"{ctx.guide(f'cnn_{k}_acc'):.4f}", f"{ctx.guide(f'cnn_{k}_params'):,}")
        for k in ("simple", "improved", "functional")
    }
    rows = [
        [
            plots.label(n),
            pm(v["test_accuracy"]),
            f"{v['params']:,}",
            str(v["epochs"]),
            pm(v["epoch_time_s"], 1),
            pm(v["train_time_s"], 1),
            "yes" if v["test_accuracy"]["mean"] > 0.97 else "no",
            " / ".join(guide.get(n, ("—", "—"))),
        ]
        for n, v in models.items()
    ]
    ea = met["error_analysis"]
    pairs = ea["most_confused_pairs"][:3]
    per = ea["per_class_accuracy"]
    worst = sorted(range(10), key=lambda d: per[d])[:3]
    best = sorted(range(10), key=lambda d: -per[d])[:3]
    insights = [
        f"Most confused pairs ({plots.label(ea['model'])}, {sum(sum(r) for r in ea['confusion_matrix']):,} test "
        f"images): "
        + ", ".join(f"{p['pair']} ({p['count']} errors)" for p in pairs)
        + ". The guide names 4↔9, 3↔8 and 6↔8; the claims table below checks each against the five most "
        "confused pairs.",
        "Lowest per-class accuracy: "
        + ", ".join(f"digit {d} ({per[d]:.4f})" for d in worst)
        + "; highest: "
        + ", ".join(f"digit {d} ({per[d]:.4f})" for d in best)
        + ".",
        f"{len(ea['misclassified_indices'])} test images misclassified; their indices are stored in the run's "
        "metrics.json.",
    ]
    if "improved_cnn" in models and "simple_cnn" in models:
        gain = models["improved_cnn"]["test_accuracy"]["mean"] - models["simple_cnn"]["test_accuracy"]["mean"]
        ratio = models["improved_cnn"]["params"] / models["simple_cnn"]["params"]
        insights.append(
            f"The Improved CNN differs from the Simple CNN by {gain * 100:+.2f} accuracy points with "
            f"{ratio:.1f}× the parameters (the guide: {ctx.guide('cnn_improved_gain') * 100:+.2f} points, "
            f"{ctx.guide('cnn_param_ratio'):.0f}×). The guide's {ctx.guide('cnn_improved_params'):,} "
            f"parameters do not match the architecture it lists, which has "
            f"{models['improved_cnn']['params']:,}."
        )
    budgets = sorted({v["epochs"] for v in models.values()})
    insights.append(
        "Budget: every CNN trained "
        + (
            f"the same {budgets[0]} epochs"
            if len(budgets) == 1
            else "different epochs ("
            + ", ".join(f"{n} {v['epochs']}" for n, v in models.items())
            + "): comparisons between them are not judged"
        )
        + "."
    )
    d = met["data"]
    return [
        ("h2", "CNN on MNIST"),
        (
            "p",
            f"Real MNIST: {d['n_train']:,} training, {d['n_val']:,} validation and {d['n_test']:,} test images; "
            f"Adam (learning rate {met['settings']['learning_rate']}), batch {met['settings']['batch_size']}, "
            f"precision policy `{met['settings'].get('precision', 'float32')}` (the guide's float32 unless chosen "
            f"otherwise), {_seeds_text(run)}. Seconds per epoch exclude the first (compile/warm-up) epoch."
            + _distribution_text(met.get("distribution") or {}),
        ),
        (
            "table",
            [
                "model",
                "test accuracy",
                "parameters",
                "epochs",
                "s / epoch",
                "training time (s)",
                ">97%",
                "guide: accuracy / parameters",
            ],
            rows,
        ),
        ("img", "mnist_samples.png", "MNIST test samples"),
        ("img", "cnn_training_comparison.png", "CNN training curves"),
        ("img", "model_comparison_summary.png", "Accuracy vs parameters vs time"),
        ("img", "cnn_predictions.png", "Predictions with confidence"),
        ("img", "confusion_matrix.png", "Confusion matrix"),
        ("img", "per_class_accuracy.png", "Per-class accuracy"),
        ("ul", insights),
        *claims_block(ctx, "cnn"),
    ]


def _distribution_text(dist: dict) -> str:
    mode = dist.get("distribute", "none")
    if mode == "none":
        return ""
    where = (
        f"{dist['workers']} worker processes" if dist.get("workers") else f"{len(dist.get('devices') or [])} devices"
    )
    return (
        f" Trained with `--distribute {mode}`: {dist.get('replicas')} replicas on {where}; the batch above "
        "is the global batch (all replicas together)."
    )


KERAS_SNIPPET = """model = keras.Sequential([...])          # or the Functional API
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=128, epochs=3)"""

TORCH_SNIPPET = """optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
for epoch in range(epochs):
    order = permutation(len(x), seed, epoch)
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()"""


def section_compare(run: Run, ctx: Context) -> list:
    met = run.metrics
    c = met["contestants"]
    names = {
        "tensorflow": "Keras on TensorFlow",
        "jax": "Keras on JAX",
        "torch": "Keras on PyTorch",
        "native-torch": "native PyTorch (manual loop)",
    }
    rows = [
        [
            names.get(n, n),
            pm(v["test_accuracy"]),
            pm(v["epoch_s"], 2),
            pm(v["first_epoch_s"], 2),
            f"{v.get('speed_vs_native_torch', float('nan')):.2f}×",
            f"{v['peak_rss_mb']['mean']:.0f}",
            str(v["loc"]),
            ", ".join(v["ran_on"]),
        ]
        for n, v in c.items()
    ]
    keras_names = [n for n in c if n != "native-torch"]
    fastest = min(c, key=lambda n: c[n]["epoch_s"]["mean"]) if c else None
    s = met["settings"]
    speeds = ", ".join(f"{names.get(n, n)} {v['epoch_s']['mean']:.1f}" for n, v in c.items())
    lines = []
    if "native-torch" in c and keras_names:
        best_keras = min(keras_names, key=lambda n: c[n]["epoch_s"]["mean"])
        ratio = c[best_keras]["speed_vs_native_torch"]
        lines.append(
            f"Fastest here: **{names[fastest]}**. The fastest Keras backend ({names[best_keras]}) trains at "
            f"{ratio:.2f}× native PyTorch's speed with plain `fit`."
        )
        lines.append(
            f"Lines of code for model + training: Keras {c[keras_names[0]]['loc']}, native PyTorch "
            f'{c["native-torch"]["loc"]} — the guide\'s "built-in fit() vs manual loop" in numbers.'
        )
    if met.get("skipped"):
        lines.append("Not installed, so not measured: " + ", ".join(met["skipped"]) + ".")
    return [
        ("h2", "Keras vs PyTorch, measured"),
        (
            "p",
            f"The Simple CNN on {s['n_train']:,} MNIST images, batch {s['batch_size']}, {s['epochs']} epochs, Adam "
            f"with Keras' defaults on both sides, the same per-epoch batch order; each contestant in its own "
            f"process; {_seeds_text(run)}. Seconds per epoch exclude the first (warm-up/compile) epoch; peak "
            f"memory is the process's peak resident set.",
        ),
        (
            "table",
            [
                "contestant",
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
        ("code", KERAS_SNIPPET, "python"),
        ("p", "PyTorch:"),
        ("code", TORCH_SNIPPET, "python"),
    ]


def _stat(d: dict, key: str = "median") -> float:
    return d.get(key, d["mean"])  # runs from before the rounds stored a mean only


def section_bench(run: Run, ctx: Context) -> list:
    met = run.metrics
    rows = []
    for label, r in met["rows"].items():
        ratio = r["ratio_vs_native_torch"]
        ips = r["images_per_s"]
        rows.append(
            [
                label,
                r.get("precision", "float32"),
                str(r.get("rounds", ips.get("n", 1))),
                f"{_stat(ips):,.0f}",
                f"{_stat(ips, 'min'):,.0f}–{_stat(ips, 'max'):,.0f}" if "min" in ips else "—",
                f"{ratio:.2f}×" if ratio else "—",
                f"{_stat(r['first_epoch_s']):.1f}",
                f"{r['peak_rss_mb']:.0f}",
                f"{r['fraction_of_matmul_peak'] * 100:.1f}%",
                f"{_stat(r['test_accuracy']):.4f}",
            ]
        )
    mm = met["matmul_gflops"]
    s = met["settings"]
    h = met.get("headline")
    lines = []
    if met.get("choices"):
        lines.append(met["choices"] + ".")
    if h:
        lines.append(
            f"**keraslab's path vs the fastest native PyTorch of its precision class** ({h['versus']}, "
            f"{h['precision_class']}): median **{h['median']:.2f}×**, range {h['min']:.2f}–{h['max']:.2f}× over "
            f"{h['rounds']} interleaved rounds — **{h['verdict']}**."
        )
    return [
        ("h2", "Performance"),
        (
            "p",
            f"`keraslab bench`: the Simple CNN, batch {s['batch_size']}, {s['n_train']:,} images per epoch, "
            f"{s['epochs']} epochs per process (the first is warm-up and compilation), each contestant in its own "
            f"process; the headline contestants run interleaved in {s.get('rounds', 1)} rounds (A B C … A B C …) "
            "and each shows its median and range, the others run once. Matmul peak (2048², best of 5): "
            + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in mm.items())
            + f"; one training image costs {met['train_flops_per_image'] / 1e6:.1f} MFLOP; bfloat16 rows are put "
            "against the bfloat16 peak.",
        ),
        ("ul", lines),
        (
            "table",
            [
                "contestant",
                "precision",
                "rounds",
                "images / s (median)",
                "range",
                "vs eager NCHW PyTorch",
                "first epoch (s)",
                "peak MB",
                "of matmul peak",
                "test accuracy",
            ],
            rows,
        ),
        ("img", "bench_throughput.png", "Training throughput"),
    ]


def section_speedrun(run: Run, ctx: Context) -> list:
    met = run.metrics
    rows = [
        [
            "Keras (this recipe)",
            str(r.get("seed", s)),
            f"{r['train_time_s']:.2f}",
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
                f"{r['train_time_s']:.2f}",
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
        f"Keras: median **{met['median_train_time_s']:.1f}s** of training to **{met['median_test_accuracy']:.4f}** "
        f"test accuracy over {len(met['per_seed'])} seeds ({met.get('precision', 'float32')}) — target "
        f"{met['target']} " + ("reached." if met["reached_target"] else "**not reached**.")
    ]
    if twin:
        ratio = met["keras_speed_vs_torch_twin"]
        lines.append(
            f"{twin['name']} (same recipe, same seeds, same precision class, its own process): median "
            f"**{twin['median_train_time_s']:.1f}s** to **{twin['median_test_accuracy']:.4f}**. Keras runs at "
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


BUILDERS = {
    "sequential": section_sequential,
    "functional": section_functional,
    "callbacks": section_callbacks,
    "cnn": section_cnn,
    "compare": section_compare,
    "bench": section_bench,
    "speedrun": section_speedrun,
}
