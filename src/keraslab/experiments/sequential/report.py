"""The sequential experiment in the report: its section (prose, tables, figures) and the measures
its claims in claims.json name."""

from __future__ import annotations

import numpy as np


from keraslab.report.claims import Arms, Measured, Untestable
from keraslab.report.measures import Measures, config_of, curve_jitter, result_of
from keraslab.report.sections import ReportPart, Context, claims_block, pm, seeds_text
from keraslab.experiments.sequential.result import SequentialResult
from keraslab.store import Run
from keraslab.experiments.sequential import EXPERIMENT

label = EXPERIMENT.label
measure = Measures()  # this experiment's measures, by name (its claims.json names them)


def section(run: Run, ctx: Context) -> list:
    met: SequentialResult = run.result
    comp = met.arms
    settings = met.optimizer_settings
    rows = []
    for opt, c in comp.items():
        conv = c.epochs_to_converge
        rows.append(
            [
                label(opt),
                pm(c.test_accuracy),
                pm(conv, 1) if conv else "never",
                f"{c.converged_seeds}/{len(c.epochs_to_converge_per_seed)}",
            ]
        )
    acc = {o: c.test_accuracy.mean for o, c in comp.items()}
    best = max(acc, key=acc.get)
    insights = [
        f"Highest mean test accuracy: **{best}**; the guide says Adam (verdict: {ctx.verdict('opt_adam_highest')}).",
        f"Fastest to validation accuracy {settings.converge_at}: the guide says Adam (verdict: "
        f"{ctx.verdict('opt_adam_fastest')}); slowest: the guide says SGD (verdict: {ctx.verdict('opt_sgd_slowest')}).",
        "With 3 seeds a ranking is called only where the paired difference's 95% interval excludes 0; "
        "otherwise the verdict says *tie*. The learning rates are Keras' defaults, not tuned per optimizer.",
    ]
    demo = met.moons.predict_demo
    return [
        ("h2", "Sequential API"),
        (
            "p",
            f"make_moons ({run.config['moons_samples']} points, noise {run.config['moons_noise']}), the guide's "
            f"16-8-1 MLP ({met.moons.params} parameters), binary cross-entropy, Adam, "
            f"{run.config['epochs']} epochs: test accuracy **{met.moons.test_accuracy:.4f}** (seed "
            f"{met.moons.seed}). Iris, {met.iris.params}-parameter MLP, standardized features "
            f"(scaler fit on training data only): test accuracy **{met.iris.test_accuracy:.4f}** on "
            f"{met.iris.n_test} test flowers.",
        ),
        ("img", "sequential_training_history.png", "Training history on make_moons"),
        ("img", "sequential_decision_boundary.png", "Decision boundary"),
        ("p", "`model.predict` returns P(class 1) for each new point; thresholding at 0.5 gives the class:"),
        (
            "table",
            ["point", "P(class 1)", "class"],
            [[str(d.point), f"{d.probability:.3f}", str(d.class_)] for d in demo],
        ),
        ("h3", "Optimizer comparison"),
        (
            "p",
            f"Same model and data, a fresh model per arm, {settings.epochs} epochs, batch "
            f"{settings.batch_size}, {settings.learning_rates}; {seeds_text(run)}. Convergence "
            f"speed = epochs until validation accuracy first reaches {settings.converge_at}.",
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
            return c.test_accuracy.mean
        per_seed = c.epochs_to_converge_per_seed
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
    met: SequentialResult = run.result
    if met.tuned is None:
        return [("p", "No tuned comparison in this run (`tune_trials` 0, or a run from before it existed).")]
    default, tuned, t = met.arms, met.tuned.arms, met.tuning
    budget = met.optimizer_settings.epochs

    def conv(c):
        return pm(c.epochs_to_converge, 1) if c.epochs_to_converge else "never"

    rows = []
    for opt in default:
        d, u = default[opt], tuned[opt]
        rows.append(
            [
                label(opt),
                pm(d.test_accuracy),
                conv(d),
                f"{u.learning_rate:.3g}",
                pm(u.test_accuracy),
                conv(u),
                f"{len(u.search.trials)}",
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
            f"before they are compared. For each, a KerasTuner random search ({t.trials_per_optimizer} trials, "
            f"the same for all) over a log-scale learning-rate range, {t.epochs_per_trial} epochs a trial, judged "
            "on the **validation** split only; then each optimizer retrained at its best learning rate over the "
            "same seeds and evaluated once on the test split. Ranges: "
            + ", ".join(f"{o} {lo:g}–{hi:g}" for o, (lo, hi) in t.ranges.items())
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


@measure
def moons_test_accuracy(runs):
    m = result_of(runs, "sequential").moons
    n = m.n_test
    return Measured.binomial(int(round(m.test_accuracy * n)), n, f"one model (seed {m.seed}), {n} test points")


@measure
def moons_generalization_gap(runs):
    """|training − validation accuracy| at the last epoch of the moons model."""
    h = runs["sequential"].histories("moons")[0]
    gap = abs(h["accuracy"][-1] - h["val_accuracy"][-1])
    n_val = int(round(config_of(runs, "sequential")["moons_samples"] * 0.2))
    p = h["val_accuracy"][-1]
    half = 1.96 * np.sqrt(max(p * (1 - p), 1e-6) / n_val)  # the validation accuracy's binomial error
    return Measured(
        gap,
        max(0.0, gap - half),
        gap + half,
        "binomial",
        n_val,
        0.0,
        f"train {h['accuracy'][-1]:.4f} vs validation {p:.4f} at epoch {len(h['accuracy'])}",
    )


def _optimizers(runs, table: str = "default") -> dict:
    """The arms of the default-learning-rate comparison (``default``) or of the tuned one (``tuned``)."""
    metrics = result_of(runs, "sequential")
    if table == "default":
        return metrics.arms
    if metrics.tuned is None:
        raise Untestable("this run has no tuned comparison (tune_trials 0, or a run from before it existed)")
    return metrics.tuned.arms


@measure
def optimizer_accuracy(runs, opt):
    n_test = int(round(config_of(runs, "sequential")["moons_samples"] * 0.2))
    return Measured.accuracy_over_seeds(
        _optimizers(runs)[opt].test_accuracy.values,
        n_test,
        f"test accuracy over seeds, {n_test} test points each",
    )


@measure
def optimizer_accuracy_arms(runs, table="default"):
    return Arms({o: c.test_accuracy.values for o, c in _optimizers(runs, table).items()}, True, "test accuracy")


@measure
def optimizer_epochs_arms(runs, table="default"):
    """Epochs until validation accuracy first reaches the threshold; a seed that never did counts as
    the budget + 1 (slower than any that did)."""
    budget = result_of(runs, "sequential").optimizer_settings.epochs
    return Arms(
        {
            o: [r if r is not None else budget + 1 for r in c.epochs_to_converge_per_seed]
            for o, c in _optimizers(runs, table).items()
        },
        False,
        "epochs to converge",
    )


@measure
def optimizer_curve_jitter(runs):
    """Each optimizer's validation-accuracy jitter over the last 10 epochs, per seed (lower: smoother)."""
    run = runs["sequential"]
    return Arms(
        {o: [curve_jitter(h["val_accuracy"], last=10) for h in run.histories(o)] for o in _optimizers(runs)},
        False,
        "mean |epoch-to-epoch change| of validation accuracy, last 10 epochs, default learning rates",
    )


@measure
def validation_loss_rises(runs, optimizer):
    """The share of epochs (after the first) whose validation loss rose, over seeds."""
    histories = runs["sequential"].histories(optimizer)
    if any(len(h["val_loss"]) < 2 for h in histories):
        raise Untestable("one epoch: a curve needs two points to be smooth or not")
    shares = [float(np.mean(np.diff(h["val_loss"]) > 0)) for h in histories]
    return Measured.over_seeds(shares, f"share of epochs with a rising validation loss, {optimizer}, per seed")


@measure
def optimizer_gap(runs, a, b):
    """Test accuracy of ``a`` minus ``b``, paired by seed (same data and initial weights)."""
    comp = _optimizers(runs)
    va, vb = comp[a].test_accuracy.values, comp[b].test_accuracy.values
    return Measured.over_seeds([x - y for x, y in zip(va, vb)], f"{a} − {b}, paired by seed")


def takeaways(run: Run, ctx: Context) -> list[str]:
    """The report's opening lines this experiment supports, each built from the store."""
    out = []
    default, tuned = ctx.row("opt_adam_highest"), ctx.row("opt_adam_highest_tuned")
    if default.measured is not None and tuned.measured is not None:

        def order(m):
            means = {a: sum(v) / len(v) for a, v in m.values.items()}
            return " > ".join(f"{label(a)} {means[a]:.3f}" for a in sorted(means, key=means.get, reverse=True))

        out.append(
            ctx.takeaway(
                "opt_adam_highest",
                f"At Keras' default learning rates the optimizers' mean test accuracies rank {order(default.measured)}",
            )
        )
        out.append(
            ctx.takeaway(
                "opt_adam_highest_tuned",
                f"With each optimizer's learning rate tuned on the validation split they rank {order(tuned.measured)}: "
                "compare the two verdicts to see how much of the default ranking is the learning rate",
            )
        )
    return out


PART = ReportPart(section=section, measures=measure, takeaways=takeaways)
