"""Measures: named functions that read one claim's measured value from the run store.

Each takes ``runs`` ({experiment: Run}) and the string arguments written after the name in
claims.json (``"optimizer_accuracy:adam"``), and returns a :class:`Measured`, :class:`Arms` or
:class:`Category`. A missing key raises: a broken measure must fail the tests, not pass as
"not measured". A comparison whose arms ran on different budgets raises :class:`Unfair`.
"""

from __future__ import annotations

import numpy as np

from keraslab.report.claims import Arms, Category, Measured, Unfair, Untestable

MEASURES: dict = {}


def measure(fn):
    MEASURES[fn.__name__] = fn
    return fn


def _metrics(runs, exp: str) -> dict:
    return runs[exp].metrics


def _config(runs, exp: str) -> dict:
    return runs[exp].config


# --------------------------------------------------------------------------- sequential


@measure
def moons_test_accuracy(runs):
    m = _metrics(runs, "sequential")["moons"]
    n = int(m.get("n_test") or round(_config(runs, "sequential")["moons_samples"] * 0.2))
    return Measured.binomial(int(round(m["test_accuracy"] * n)), n, f"one model (seed {m['seed']}), {n} test points")


@measure
def moons_generalization_gap(runs):
    """|training − validation accuracy| at the last epoch of the moons model."""
    h = runs["sequential"].history["moons"]
    gap = abs(h["accuracy"][-1] - h["val_accuracy"][-1])
    n_val = int(round(_config(runs, "sequential")["moons_samples"] * 0.2))
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


def _optimizers(runs, table: str = "optimizers") -> dict:
    """The default-learning-rate comparison (``optimizers``) or the tuned one (``tuned``)."""
    metrics = _metrics(runs, "sequential")
    if table not in metrics:
        raise Untestable("this run has no tuned comparison (tune_trials 0, or a run from before it existed)")
    return metrics[table]


@measure
def optimizer_accuracy(runs, opt):
    n_test = int(round(_config(runs, "sequential")["moons_samples"] * 0.2))
    return Measured.accuracy_over_seeds(
        _optimizers(runs)[opt]["test_accuracy"]["values"],
        n_test,
        f"test accuracy over seeds, {n_test} test points each",
    )


@measure
def optimizer_accuracy_arms(runs, table="optimizers"):
    return Arms({o: c["test_accuracy"]["values"] for o, c in _optimizers(runs, table).items()}, True, "test accuracy")


@measure
def optimizer_epochs_arms(runs, table="optimizers"):
    """Epochs until validation accuracy first reaches the threshold; a seed that never did counts as
    the budget + 1 (slower than any that did)."""
    budget = _metrics(runs, "sequential")["optimizer_settings"]["epochs"]
    return Arms(
        {
            o: [r if r is not None else budget + 1 for r in c["epochs_to_converge_per_seed"]]
            for o, c in _optimizers(runs, table).items()
        },
        False,
        "epochs to converge",
    )


@measure
def optimizer_gap(runs, a, b):
    """Test accuracy of ``a`` minus ``b``, paired by seed (same data and initial weights)."""
    comp = _optimizers(runs)
    va, vb = comp[a]["test_accuracy"]["values"], comp[b]["test_accuracy"]["values"]
    return Measured.over_seeds([x - y for x, y in zip(va, vb)], f"{a} − {b}, paired by seed")


# --------------------------------------------------------------------------- functional


def _architectures(runs) -> dict:
    return _metrics(runs, "functional")["architectures"]


@measure
def architecture_accuracy(runs, arch):
    n_test = 30  # Iris: 150 flowers, 20% test
    return Measured.accuracy_over_seeds(
        _architectures(runs)[arch]["test_accuracy"]["values"],
        n_test,
        f"test accuracy over seeds, {n_test} test flowers each",
    )


@measure
def architecture_arms(runs):
    return Arms({a: v["test_accuracy"]["values"] for a, v in _architectures(runs).items()}, True, "test accuracy")


@measure
def architecture_difference(runs, a, b):
    arch = _architectures(runs)
    va, vb = arch[a]["test_accuracy"]["values"], arch[b]["test_accuracy"]["values"]
    return Measured.over_seeds([x - y for x, y in zip(va, vb)], f"{a} − {b}, paired by seed (same split)")


@measure
def api_accuracy_difference(runs):
    d = _metrics(runs, "functional")["api_equivalence"]["accuracy_difference"]
    return Measured.over_seeds(d["values"], "functional − sequential test accuracy, same seed")


@measure
def api_same_weights_difference(runs):
    d = _metrics(runs, "functional")["api_equivalence"]["same_weights_max_abs_diff"]
    return Measured.exact(d, "largest |prediction difference| with the same weights")


# --------------------------------------------------------------------------- callbacks


def _arm_values(runs, arm: str, key: str) -> list[float]:
    return _metrics(runs, "callbacks")["arms"][arm][key]["values"]


@measure
def callback_epochs(runs, arm):
    return Measured.over_seeds(_arm_values(runs, arm, "epochs_run"), "epochs run over seeds")


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


# --------------------------------------------------------------------------- cnn


def _cnn(runs, name: str) -> dict:
    return _metrics(runs, "cnn")["models"][name]


def _precision(runs) -> str:
    return _metrics(runs, "cnn")["settings"].get("precision", "float32")


def _same_budget(runs, *names) -> None:
    epochs = {n: _cnn(runs, n)["epochs"] for n in names}
    if len(set(epochs.values())) > 1:
        raise Unfair("epochs differ: " + ", ".join(f"{n} {e}" for n, e in epochs.items()))


@measure
def cnn_accuracy(runs, name):
    m = _cnn(runs, name)
    n_test = _metrics(runs, "cnn")["data"]["n_test"]
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
    a = _cnn(runs, "improved_cnn")["train_time_s"]["values"]
    b = _cnn(runs, "simple_cnn")["train_time_s"]["values"]
    return Measured.over_seeds(
        [x / y - 1 for x, y in zip(a, b)], f"improved / simple training time − 1, by seed ({_precision(runs)})"
    )


def _analysis(runs) -> dict:
    return _metrics(runs, "cnn")["error_analysis"]


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
