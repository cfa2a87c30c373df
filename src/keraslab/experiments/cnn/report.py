"""The cnn experiment in the report: its section (prose, tables, figures) and the measures
its claims in claims.json name."""

from __future__ import annotations

import numpy as np


from keraslab.report.claims import describe, Category, Measured, Unfair, Untestable
from keraslab.report.measures import Measures, curve_jitter, result_of
from keraslab.report.sections import ReportPart, Context, claims_block, pm, seeds_text
from keraslab.report.stats import t_critical
from keraslab.store import Run
from keraslab.experiments.cnn import EXPERIMENT
from keraslab.experiments.cnn.result import Arm, CnnResult, DistributionInfo, NamedErrorAnalysis

label = EXPERIMENT.label
measure = Measures()  # this experiment's measures, by name (its claims.json names them)


def section(run: Run, ctx: Context) -> list:
    met: CnnResult = run.result
    models = met.arms
    guide = {
        f"{k}_cnn": (f"{ctx.guide(f'cnn_{k}_acc'):.4f}", f"{ctx.guide(f'cnn_{k}_params'):,}")
        for k in ("simple", "improved", "functional")
    }
    target = ctx.guide("cnn_simple_above_97")  # the guide's target, from claims.json
    rows = [
        [
            label(n),
            pm(v.test_accuracy),
            f"{v.params:,}",
            str(v.epochs),
            pm(v.epoch_time, 1),
            pm(v.train_time, 1),
            "yes" if v.test_accuracy.mean > target else "no",
            " / ".join(guide.get(n, ("—", "—"))),
        ]
        for n, v in models.items()
    ]
    ea = met.error_analysis
    pairs = ea.most_confused_pairs[:3]
    per = ea.per_class_accuracy
    worst = sorted(range(10), key=lambda d: per[d])[:3]
    best = sorted(range(10), key=lambda d: -per[d])[:3]
    insights = [
        f"Most confused pairs ({label(ea.model)}, {sum(sum(r) for r in ea.confusion_matrix):,} test "
        f"images): "
        + ", ".join(f"{p['pair']} ({p['count']} errors)" for p in pairs)
        + ". The guide names 4↔9, 3↔8 and 6↔8; the claims table below checks each against the five most "
        "confused pairs.",
        "Lowest per-class accuracy: "
        + ", ".join(f"digit {d} ({per[d]:.4f})" for d in worst)
        + "; highest: "
        + ", ".join(f"digit {d} ({per[d]:.4f})" for d in best)
        + ".",
        f"{len(ea.misclassified_indices)} test images misclassified; their indices are stored in the run's "
        "metrics.json.",
    ]
    if "improved_cnn" in models and "simple_cnn" in models:
        gain = models["improved_cnn"].test_accuracy.mean - models["simple_cnn"].test_accuracy.mean
        ratio = models["improved_cnn"].params / models["simple_cnn"].params
        insights.append(
            f"The Improved CNN differs from the Simple CNN by {gain * 100:+.2f} accuracy points with "
            f"{ratio:.1f}× the parameters (the guide: {ctx.guide('cnn_improved_gain') * 100:+.2f} points, "
            f"{ctx.guide('cnn_param_ratio'):.0f}×). The guide's {ctx.guide('cnn_improved_params'):,} "
            f"parameters do not match the architecture it lists, which has "
            f"{models['improved_cnn'].params:,}."
        )
    budgets = sorted({v.epochs for v in models.values()})
    insights.append(
        "Budget: every CNN trained "
        + (
            f"the same {budgets[0]} epochs"
            if len(budgets) == 1
            else "different epochs ("
            + ", ".join(f"{n} {v.epochs}" for n, v in models.items())
            + "): comparisons between them are not judged"
        )
        + "."
    )
    cost = _last_epoch_gain(run)
    if cost:
        insights.append(
            "What the budget costs: the last epoch still changed the mean validation accuracy by "
            + ", ".join(f"{gain * 100:+.2f} points ({label(n)})" for n, gain in cost.items())
            + ". A gain above zero means these CNNs had not stopped improving, so a longer budget "
            "(`--profile full`: 15 epochs, 3 seeds) would probably raise the accuracies judged below. A claim "
            "judged *lower* or *inconclusive* here may reflect this budget rather than the guide."
        )
    n = len(run.config.get("seeds") or [])
    if 2 <= n < 5:  # what the number of seeds costs: the 95% interval's half-width in standard deviations
        more = n + 1
        insights.append(
            f"What {n} seeds cost: a 95% interval is the mean ± {t_critical(n - 1) / n**0.5:.1f} standard deviations "
            f"of the seeds, so seeds a few tenths of a point apart can already straddle a threshold; with "
            f"{more} seeds it is ± {t_critical(more - 1) / more**0.5:.1f} (`keraslab run cnn --seeds {more}`, about "
            f"{100 / n:.0f}% more time)."
        )
    d = met.data
    return [
        ("h2", "CNN on MNIST"),
        (
            "p",
            f"Real MNIST: {d.n_train:,} training, {d.n_val:,} validation and {d.n_test:,} test images; "
            f"Adam (learning rate {met.settings.learning_rate}), batch {met.settings.batch_size}, "
            f"precision policy `{met.settings.precision}` (the guide's float32 unless chosen "
            f"otherwise), batch normalization: {met.settings.batchnorm}, "
            + (f"input: {met.settings.input}, " if met.settings.input else "")
            + f"{seeds_text(run)}. Seconds per epoch exclude the first (compile/warm-up) epoch."
            + _distribution_text(met.distribution),
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


def _distribution_text(dist: DistributionInfo) -> str:
    if dist.distribute == "none":
        return ""
    where = f"{dist.workers} worker processes" if dist.workers else f"{len(dist.devices)} devices"
    return (
        f" Trained with `--distribute {dist.distribute}`: {dist.replicas} replicas on {where}; the batch above "
        "is the global batch (all replicas together)."
    )


def _cnn(runs, name: str) -> Arm:
    return result_of(runs, "cnn").arms[name]


def _precision(runs) -> str:
    return result_of(runs, "cnn").settings.precision


def _same_budget(runs, *names) -> None:
    epochs = {n: _cnn(runs, n).epochs for n in names}
    if len(set(epochs.values())) > 1:
        raise Unfair("epochs differ: " + ", ".join(f"{n} {e}" for n, e in epochs.items()))


@measure
def cnn_accuracy(runs, name):
    m = _cnn(runs, name)
    n_test = result_of(runs, "cnn").data.n_test
    return Measured.accuracy_over_seeds(
        m.test_accuracy.values,
        n_test,
        f"{m.epochs} epochs, {_precision(runs)}, {n_test:,} test images per seed",
    )


@measure
def cnn_params(runs, name):
    return Measured.exact(_cnn(runs, name).params, "model.count_params()")


@measure
def cnn_improved_gain(runs):
    _same_budget(runs, "improved_cnn", "simple_cnn")
    a, b = _cnn(runs, "improved_cnn").test_accuracy.values, _cnn(runs, "simple_cnn").test_accuracy.values
    return Measured.over_seeds([x - y for x, y in zip(a, b)], "improved − simple, paired by seed, same epochs")


@measure
def cnn_param_ratio(runs):
    a, b = _cnn(runs, "improved_cnn").params, _cnn(runs, "simple_cnn").params
    return Measured.exact(a / b, f"{a:,} / {b:,}")


@measure
def cnn_time_increase(runs):
    _same_budget(runs, "improved_cnn", "simple_cnn")
    a = _cnn(runs, "improved_cnn").train_time.values
    b = _cnn(runs, "simple_cnn").train_time.values
    return Measured.over_seeds(
        [x / y - 1 for x, y in zip(a, b)], f"improved / simple training time − 1, by seed ({_precision(runs)})"
    )


def _curve(h) -> list:
    return h.get("val_accuracy", h.get("val_main_accuracy"))


def _last_epoch_gain(run: Run) -> dict:
    """Per model, the mean over seeds of the last epoch's change in validation accuracy: what one
    more epoch was still worth at the end of this budget ({} without validation curves)."""
    gains = {}
    for name in run.result.arms:
        curves = [c for c in (_curve(h) for h in run.histories(name)) if c and len(c) >= 2]
        if curves:
            gains[name] = float(np.mean([c[-1] - c[-2] for c in curves]))
    return gains


@measure
def cnn_jitter_difference(runs, a, b):
    """Mean |epoch-to-epoch change| of validation accuracy, ``a`` minus ``b``, paired by seed."""
    run = runs["cnn"]
    _same_budget(runs, a, b)
    diffs = [curve_jitter(_curve(ha)) - curve_jitter(_curve(hb)) for ha, hb in zip(run.histories(a), run.histories(b))]
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
def cnn_expected_calibration_error(runs, model=None):
    """ECE on the test set over seeds (t-interval); with one seed, a bootstrap 95% interval over images."""
    model, found, y = _seed_probs(runs, model)
    eces = [calibration(p.astype("float64"), y)[0] for _, p in found]
    if len(found) > 1:
        return Measured.over_seeds(eces, f"{_on(model, found)}, 15 bins")
    probs = found[0][1].astype("float64")
    rng = np.random.default_rng(0)
    boot = []
    for _ in range(200):
        i = rng.integers(0, len(y), len(y))
        boot.append(calibration(probs[i], y[i])[0])
    lo, hi = np.percentile(boot, [2.5, 97.5])
    detail = f"{_on(model, found)}, 15 bins, 200 bootstrap resamples of the {len(y):,} test images"
    return Measured(eces[0], float(lo), float(hi), "bootstrap", len(y), 0.0, detail)


@measure
def cnn_top_pair_share(runs, model=None):
    """The share of a seed's test errors in its most confused (unordered) digit pair, over seeds."""
    model, found, y = _seed_probs(runs, model)
    shares, errors, tops = [], [], []
    iu = np.triu_indices(10, 1)
    for seed, p in found:
        pairs = _confusions([(seed, p)], y)[iu]
        k = int(np.argmax(pairs))
        n = int(pairs.sum())
        shares.append(float(pairs[k] / max(n, 1)))
        errors.append(n)
        tops.append(f"{iu[0][k]}<->{iu[1][k]}")
    detail = f"top pair {', '.join(tops)}; {', '.join(map(str, errors))} errors; {_on(model, found)}"
    if len(found) == 1:
        return Measured.binomial(round(shares[0] * errors[0]), errors[0], detail)
    return Measured.accuracy_over_seeds(shares, min(errors), detail)


def _analysis(runs) -> NamedErrorAnalysis:
    return result_of(runs, "cnn").error_analysis


def _seed_probs(runs, model: str | None = None):
    """``(model, [(seed, probs)], y_test)``: the model's test probabilities for every seed it was
    trained with (runs from before per-seed storage hold the last seed only, as ``probs_<model>``)."""
    run = runs["cnn"]
    model = model or _analysis(runs).model
    arrays = run.arrays()
    if "y_test" not in arrays:
        raise Untestable("this run stored no test probabilities")
    seeds = [s for s in run.config.get("seeds", []) if f"probs_{model}_seed{s}" in arrays]
    if seeds:
        found = [(s, arrays[f"probs_{model}_seed{s}"].astype("float32")) for s in seeds]
    elif f"probs_{model}" in arrays:
        found = [(run.config.get("seeds", ["?"])[-1], arrays[f"probs_{model}"].astype("float32"))]
    else:
        raise Untestable(f"this run stored no test probabilities for {model}")
    return model, found, arrays["y_test"].astype(int)


def _on(model, found) -> str:
    seeds = [str(s) for s, _ in found]
    return f"{model}, seed{'s' * (len(seeds) != 1)} {', '.join(seeds)}"


def _per_digit(found, y) -> np.ndarray:
    """The accuracy of each digit, one row per seed."""
    return np.array([[np.mean(p.argmax(1)[y == d] == d) for d in range(10)] for _, p in found])


def _confusions(found, y) -> np.ndarray:
    """Errors by unordered digit pair, summed over seeds (a symmetric matrix, zero diagonal)."""
    total = np.zeros((10, 10), dtype=int)
    for _, p in found:
        np.add.at(total, (y, p.argmax(axis=1)), 1)
    np.fill_diagonal(total, 0)
    return total + total.T


@measure
def cnn_confused_pairs(runs, model=None):
    model, found, y = _seed_probs(runs, model)
    iu = np.triu_indices(10, 1)
    counts = _confusions(found, y)[iu]
    order = np.argsort(-counts, kind="stable")
    pairs = [(f"{iu[0][k]}<->{iu[1][k]}", int(counts[k])) for k in order if counts[k] > 0]
    return Category(
        [p for p, _ in pairs], f"summed over {_on(model, found)}: " + ", ".join(f"{p} ({c})" for p, c in pairs[:5])
    )


@measure
def cnn_class_accuracy(runs, digit, model=None):
    d = int(digit)
    model, found, y = _seed_probs(runs, model)
    acc = _per_digit(found, y)[:, d]
    return Measured.accuracy_over_seeds(list(acc), int((y == d).sum()), f"digit {d}, {_on(model, found)}")


@measure
def cnn_min_class_accuracy(runs, model=None):
    model, found, y = _seed_probs(runs, model)
    acc = _per_digit(found, y)
    d = int(np.argmin(acc.mean(axis=0)))
    detail = f"each seed's weakest digit (on average {d}), {_on(model, found)}"
    return Measured.accuracy_over_seeds(list(acc.min(axis=1)), int((y == d).sum()), detail)


@measure
def cnn_weakest_digits(runs, model=None):
    model, found, y = _seed_probs(runs, model)
    acc = _per_digit(found, y).mean(axis=0)
    order = [int(d) for d in np.argsort(acc, kind="stable")]
    return Category(
        [str(d) for d in order],
        f"weakest first, mean over {_on(model, found)}: " + ", ".join(f"{d} {acc[d]:.4f}" for d in order[:5]),
    )


@measure
def cnn_confident_fraction(runs, threshold, model=None):
    """Share of correctly classified test images whose top probability exceeds ``threshold``, per seed."""
    model, found, y = _seed_probs(runs, model)
    shares, counts = [], []
    for _, p in found:
        correct = p.argmax(axis=1) == y
        shares.append(float((correct & (p.max(axis=1) > float(threshold))).sum() / correct.sum()))
        counts.append(int(correct.sum()))
    detail = f"{_on(model, found)}, {min(counts):,}+ correct predictions each"
    return Measured.accuracy_over_seeds(shares, min(counts), detail)


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
