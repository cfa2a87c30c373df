"""The cnn experiment in the report: its section (prose, tables, figures) and the measures
its claims in claims.json name."""

from __future__ import annotations

import numpy as np


from keraslab.report.claims import describe, Category, Measured, Unfair, Untestable
from keraslab.report.measures import Measures, metrics_of
from keraslab.report.sections import ReportPart, Context, claims_block, pm, seeds_text
from keraslab.store import Run
from keraslab.experiments.cnn import EXPERIMENT

label = EXPERIMENT.label
measure = Measures()  # this experiment's measures, by name (its claims.json names them)


def section(run: Run, ctx: Context) -> list:
    met = run.metrics
    models = met["arms"]
    guide = {
        f"{k}_cnn": (f"{ctx.guide(f'cnn_{k}_acc'):.4f}", f"{ctx.guide(f'cnn_{k}_params'):,}")
        for k in ("simple", "improved", "functional")
    }
    target = ctx.guide("cnn_simple_above_97")  # the guide's target, from claims.json
    rows = [
        [
            label(n),
            pm(v["test_accuracy"]),
            f"{v['params']:,}",
            str(v["epochs"]),
            pm(v["epoch_time"], 1),
            pm(v["train_time"], 1),
            "yes" if v["test_accuracy"]["mean"] > target else "no",
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
        f"Most confused pairs ({label(ea['model'])}, {sum(sum(r) for r in ea['confusion_matrix']):,} test "
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
            f"otherwise), batch normalization: {met['settings'].get('batchnorm', KERAS_BN)}, "
            + (f"input: {met['settings']['input']}, " if "input" in met["settings"] else "")
            + f"{seeds_text(run)}. Seconds per epoch exclude the first (compile/warm-up) epoch."
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
                f"mean >{target:.0%}",
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
        ("img", "reliability_diagram.png", "Reliability diagram (calibration)"),
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


def _cnn(runs, name: str) -> dict:
    return metrics_of(runs, "cnn")["arms"][name]


KERAS_BN = "Keras' layer"  # runs stored before the fused kernel was an option


def _precision(runs) -> str:
    return metrics_of(runs, "cnn")["settings"].get("precision", "float32")


def _same_budget(runs, *names) -> None:
    epochs = {n: _cnn(runs, n)["epochs"] for n in names}
    if len(set(epochs.values())) > 1:
        raise Unfair("epochs differ: " + ", ".join(f"{n} {e}" for n, e in epochs.items()))


@measure
def cnn_accuracy(runs, name):
    m = _cnn(runs, name)
    n_test = metrics_of(runs, "cnn")["data"]["n_test"]
    return Measured.accuracy_over_seeds(
        m["test_accuracy"]["values"],
        n_test,
        f"{m['epochs']} epochs, {_precision(runs)}, {n_test:,} test images per seed",
    )


@measure
def cnn_params(runs, name):
    return Measured.exact(_cnn(runs, name)["params"], "model.count_params()")


@measure
def cnn_improved_gain(runs):
    _same_budget(runs, "improved_cnn", "simple_cnn")
    a, b = _cnn(runs, "improved_cnn")["test_accuracy"]["values"], _cnn(runs, "simple_cnn")["test_accuracy"]["values"]
    return Measured.over_seeds([x - y for x, y in zip(a, b)], "improved − simple, paired by seed, same epochs")


@measure
def cnn_param_ratio(runs):
    a, b = _cnn(runs, "improved_cnn")["params"], _cnn(runs, "simple_cnn")["params"]
    return Measured.exact(a / b, f"{a:,} / {b:,}")


@measure
def cnn_time_increase(runs):
    _same_budget(runs, "improved_cnn", "simple_cnn")
    a = _cnn(runs, "improved_cnn")["train_time"]["values"]
    b = _cnn(runs, "simple_cnn")["train_time"]["values"]
    return Measured.over_seeds(
        [x / y - 1 for x, y in zip(a, b)], f"improved / simple training time − 1, by seed ({_precision(runs)})"
    )


def _curve(h) -> list:
    return h.get("val_accuracy", h.get("val_main_accuracy"))


@measure
def cnn_jitter_difference(runs, a, b):
    """Mean |epoch-to-epoch change| of validation accuracy, ``a`` minus ``b``, paired by seed."""
    run = runs["cnn"]
    _same_budget(runs, a, b)

    def jitter(h):
        return float(np.abs(np.diff(np.asarray(_curve(h), dtype="float64"))).mean())

    diffs = [jitter(ha) - jitter(hb) for ha, hb in zip(run.histories(a), run.histories(b))]
    return Measured.over_seeds(diffs, f"mean |change| of validation accuracy per epoch, {a} − {b}, paired by seed")


def calibration(probs, labels, bins: int = 15):
    """(ECE, per-bin (confidence, accuracy, count)) with equal-width confidence bins."""
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype("float64")
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            c, a = float(conf[m].mean()), float(correct[m].mean())
            ece += m.mean() * abs(c - a)
            table.append((c, a, int(m.sum())))
    return float(ece), table


@measure
def cnn_expected_calibration_error(runs):
    """ECE of the error-analysis model on the test set, with a bootstrap 95% interval over images."""
    run = runs["cnn"]
    model = _analysis(runs)["model"]
    a = run.arrays()
    probs, y = a[f"probs_{model}"].astype("float64"), a["y_test"].astype("int64")
    ece, _ = calibration(probs, y)
    rng = np.random.default_rng(0)
    boot = []
    for _ in range(200):
        i = rng.integers(0, len(y), len(y))
        boot.append(calibration(probs[i], y[i])[0])
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return Measured(
        ece,
        float(lo),
        float(hi),
        "bootstrap",
        len(y),
        0.0,
        f"{model}, one seed, 15 bins, 200 bootstrap resamples of the {len(y):,} test images",
    )


@measure
def cnn_top_pair_share(runs):
    """The share of all test errors that fall in the single most confused (unordered) digit pair."""
    ea = _analysis(runs)
    cm = np.asarray(ea["confusion_matrix"])
    errors = int(cm.sum() - np.trace(cm))
    sym = cm + cm.T
    iu = np.triu_indices(10, 1)
    k = int(np.argmax(sym[iu]))
    top = int(sym[iu][k])
    pair = f"{iu[0][k]}<->{iu[1][k]}"
    return Measured.binomial(top, errors, f"{pair}: {top} of the {errors} errors of {ea['model']}, one seed")


def _analysis(runs) -> dict:
    return metrics_of(runs, "cnn")["error_analysis"]


@measure
def cnn_confused_pairs(runs):
    ea = _analysis(runs)
    pairs = ea["most_confused_pairs"]
    return Category(
        [p["pair"] for p in pairs],
        f"{ea['model']}, last seed: " + ", ".join(f"{p['pair']} ({p['count']})" for p in pairs[:5]),
    )


def _class_counts(runs):
    cm = np.asarray(_analysis(runs)["confusion_matrix"])
    return np.diag(cm), cm.sum(axis=1)


@measure
def cnn_class_accuracy(runs, digit):
    d = int(digit)
    correct, total = _class_counts(runs)
    return Measured.binomial(int(correct[d]), int(total[d]), f"digit {d}, {_analysis(runs)['model']}, last seed")


@measure
def cnn_min_class_accuracy(runs):
    correct, total = _class_counts(runs)
    acc = correct / np.maximum(total, 1)
    d = int(np.argmin(acc))
    return Measured.binomial(int(correct[d]), int(total[d]), f"the weakest digit, {d} ({_analysis(runs)['model']})")


@measure
def cnn_weakest_digits(runs):
    correct, total = _class_counts(runs)
    acc = correct / np.maximum(total, 1)
    order = [int(d) for d in np.argsort(acc, kind="stable")]
    return Category([str(d) for d in order], "weakest first: " + ", ".join(f"{d} {acc[d]:.4f}" for d in order[:5]))


@measure
def cnn_confident_fraction(runs, threshold):
    """Share of correctly classified test images whose top probability exceeds ``threshold``."""
    run = runs["cnn"]
    model = _analysis(runs)["model"]
    arrays = run.arrays()
    key = f"probs_{model}"
    if key not in arrays or "y_test" not in arrays:
        raise Untestable("this run stored no test probabilities")
    probs, y = arrays[key].astype("float32"), arrays["y_test"].astype(int)
    correct = probs.argmax(axis=1) == y
    confident = probs.max(axis=1) > float(threshold)
    n = int(correct.sum())
    return Measured.binomial(int((correct & confident).sum()), n, f"{model}, last seed, {n:,} correct predictions")


def takeaways(run: Run, ctx: Context) -> list[str]:
    """The report's opening lines this experiment supports, each built from the store."""
    out = []
    for k in ("simple", "improved", "functional"):
        row = ctx.row(f"cnn_{k}_above_97")
        if row.measured is not None:
            lo, hi = describe(row.measured)
            out.append(
                ctx.takeaway(
                    f"cnn_{k}_above_97",
                    f"{label(k + '_cnn')}: test accuracy {lo}, 95% interval {hi}, against the guide's "
                    f"target of {ctx.guide(f'cnn_{k}_above_97')}",
                )
            )
    params = ctx.row("cnn_improved_params")
    if params.measured is not None:
        out.append(
            ctx.takeaway(
                "cnn_improved_params",
                f"The Improved CNN built from the layers the guide lists has {params.measured.mean:,.0f} parameters; "
                f"the guide states {ctx.guide('cnn_improved_params'):,}",
            )
        )
    return out


PART = ReportPart(section=section, measures=measure, takeaways=takeaways)
