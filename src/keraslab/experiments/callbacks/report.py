"""The callbacks experiment in the report: its section (prose, tables, figures) and the measures
its claims in claims.json name."""

from __future__ import annotations


from keraslab.report.claims import describe, Measured
from keraslab.report.measures import Measures, result_of
from keraslab.report.sections import ReportPart, Context, claims_block, pm, seeds_text
from keraslab.store import Run
from keraslab.experiments.callbacks import EXPERIMENT
from keraslab.experiments.callbacks.result import CallbacksResult

label = EXPERIMENT.label
measure = Measures()  # this experiment's measures, by name (its claims.json names them)


def section(run: Run, ctx: Context) -> list:
    met: CallbacksResult = run.result
    arms = met.arms
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
                label(arm),
                pm(a.epochs, 1),
                pm(a.best_val_accuracy),
                pm(a.test_accuracy),
                pm(a.wall_time, 2),
                pm(a.time_saved.scaled(100) if a.time_saved else None, 1) + " %",
                " / ".join(g),
            ]
        )
    sched = met.schedule
    es = arms.get("early_stopping")
    none = arms.get("no_callbacks")
    insights = []
    if es and none:
        diff = es.test_accuracy.mean - none.test_accuracy.mean
        insights.append(
            f"EarlyStopping ran {es.epochs.mean:.0f} of {met.budget_epochs} epochs on "
            f"average and saved {es.time_saved.mean * 100:.0f}% of the wall time; its test "
            f"accuracy is {diff * 100:+.2f} points against training the full budget "
            f"(the guide reports {(ctx.guide('cb_es_acc') - ctx.guide('cb_none_acc')) * 100:+.2f}; "
            f"verdict on the paired difference: {ctx.verdict('cb_es_better')})."
        )
    return [
        ("h2", "Callbacks"),
        (
            "p",
            f"Data: {met.dataset} with a 64-32 MLP (ships with scikit-learn, a fraction of a second per "
            f"epoch, and in the guide's ~98% accuracy band — so three arms over several seeds take minutes). "
            f"Budget {met.budget_epochs} epochs; EarlyStopping {met.callbacks['early_stopping']}; "
            f"ReduceLROnPlateau {met.callbacks['reduce_lr']}. Time saved is paired by seed against the "
            f"no-callback arm. {seeds_text(run)}.",
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
            f"`TerminateOnNaN`, and `BackupAndRestore`. It ran {sched.epochs} epochs; the best "
            f"checkpoint is from epoch {sched.best_epoch} (validation accuracy "
            f"{sched.best_val_accuracy:.4f}) and scores {sched.best_model_test_accuracy:.4f} on test.",
        ),
        ("img", "learning_rate_schedule.png", "Learning-rate traces"),
        ("img", "training_time_per_epoch.png", "TrainingTimeCallback: seconds per epoch"),
        *claims_block(ctx, "callbacks"),
    ]


def _arm_values(runs, arm: str, key: str) -> list[float]:
    return getattr(result_of(runs, "callbacks").arms[arm], key).values


@measure
def callback_epochs(runs, arm):
    return Measured.over_seeds(_arm_values(runs, arm, "epochs"), "epochs run over seeds")


@measure
def callback_test_accuracy(runs, arm):
    n_test = 360  # scikit-learn's 1,797 digits, 20% test
    return Measured.accuracy_over_seeds(
        _arm_values(runs, arm, "test_accuracy"),
        n_test,
        f"test accuracy of the model the setup ends with, {n_test} test digits each",
    )


@measure
def callback_time_saved(runs, arm):
    return Measured.over_seeds(_arm_values(runs, arm, "time_saved"), "1 − wall time / no-callback wall time, by seed")


@measure
def callback_difference(runs, a, b):
    va, vb = _arm_values(runs, a, "test_accuracy"), _arm_values(runs, b, "test_accuracy")
    return Measured.over_seeds([x - y for x, y in zip(va, vb)], f"test accuracy {a} − {b}, paired by seed")


def takeaways(run: Run, ctx: Context) -> list[str]:
    """The report's opening lines this experiment supports, each built from the store."""
    es = run.result.arms.get("early_stopping")
    better = ctx.row("cb_es_better")
    paired = better.verdict.note or describe(better.measured)[1] if better.measured is not None else ""
    if es is None or better.measured is None:
        return []
    return [
        ctx.takeaway(
            "cb_es_better",
            f"EarlyStopping ran {es.epochs.mean:.0f} of {run.result.budget_epochs} epochs on average "
            f"and saved {es.time_saved.mean * 100:.0f}% of the wall time (n={es.time_saved.n}); its "
            f"test accuracy minus the full budget's, paired by seed: {paired}",
        )
    ]


PART = ReportPart(section=section, measures=measure, takeaways=takeaways)
