"""The functional experiment in the report: its section (prose, tables, figures) and the measures
its claims in claims.json name."""

from __future__ import annotations


from keraslab.report.claims import Arms, Measured
from keraslab.report.measures import Measures, result_of
from keraslab.report.sections import ReportPart, Context, claims_block, pm, seeds_text
from keraslab.experiments.functional.result import FunctionalResult
from keraslab.store import Run
from keraslab.experiments.functional import EXPERIMENT

label = EXPERIMENT.label
measure = Measures()  # this experiment's measures, by name (its claims.json names them)


def section(run: Run, ctx: Context) -> list:
    res = next(
        (c.get("resolution") for c in ctx.claims if c["id"] == "arch_residual_best" and c.get("resolution")), None
    )
    grain = f" On {round(1 / res)} test flowers one flower is {res * 100:.1f} points." if res else ""
    met: FunctionalResult = run.result
    arch = met.arms
    guide = {a: ctx.guide(f"arch_{a}") for a in ("simple", "branching", "residual")}
    rows = [
        [label(a), pm(v.test_accuracy), f"{guide[a]:.3f}" if a in guide else "—", f"{v.params:,}"]
        for a, v in arch.items()
    ]
    acc = {a: v.test_accuracy.mean for a, v in arch.items()}
    top = max(acc.values())
    best = " and ".join(a for a, v in acc.items() if abs(v - top) < 1e-9)  # a tie of means names both
    detail = ", ".join(f"{a} {v:.4f}" for a, v in acc.items())
    eq = met.api_equivalence
    d = eq.accuracy_difference
    mi = met.multi_io
    per_output = ", ".join(f"{k} {v:.4f}" for k, v in mi.evaluation.items())
    drawn = [n for n, i in met.diagrams.items() if i.diagram]
    no_diagram = [i.why_no_diagram for i in met.diagrams.values() if not i.diagram]
    blocks = [
        ("h2", "Functional API"),
        (
            "p",
            f"Iris (4 standardized features, 3 species; 30 test flowers per seed, so one flower is 3.3 "
            f"points), {run.config['epochs']} epochs, Adam, {seeds_text(run)}.",
        ),
        ("table", ["architecture", "test accuracy (mean ± std)", "guide says", "parameters"], rows),
        ("img", "functional_models_comparison.png", "Functional architectures on Iris"),
        (
            "ul",
            [
                f"Highest mean test accuracy: **{best}** ({detail}); the guide says residual is best (verdict: "
                f"{ctx.verdict('arch_residual_best')})." + grain
            ],
        ),
        ("h3", "Sequential vs Functional: the same model"),
        (
            "p",
            f"The 16-8-1 moons MLP built both ways. (i) With the Sequential model's weights copied into the "
            f"Functional one, the largest difference between their predictions is "
            f"**{eq.same_weights_max_abs_diff:.2e}**. (ii) Trained from the same seed, the largest gap "
            f"between their per-epoch training losses is **{eq.same_seed_max_loss_gap:.2e}**, and over "
            f"{d.n} seeds the test accuracy difference (functional − sequential) is "
            f"**{d.mean:+.4f} ± {d.std:.4f}**: the APIs build the same function and train the same.",
        ),
        ("img", "sequential_vs_functional_comparison.png", "Sequential vs Functional API"),
        ("h3", "Multi-input / multi-output and subclassing"),
        (
            "p",
            f"Two named inputs (sepal, petal measurements), a main head and an auxiliary head on the sepal "
            f"branch, loss weights {mi.loss_weights}: per-output test results {per_output}. "
            f"The subclassed `CustomModel` trained through the same `fit` reached test accuracy "
            f"{met.subclassed.test_accuracy:.4f}; saved to `.keras` and reloaded with `safe_mode=True`, "
            f"its predictions differ by {met.subclassed.reload_max_abs_diff:.1e}.",
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


def _architectures(runs) -> dict:
    return result_of(runs, "functional").arms


@measure
def architecture_accuracy(runs, arch):
    n_test = 30  # Iris: 150 flowers, 20% test
    return Measured.accuracy_over_seeds(
        _architectures(runs)[arch].test_accuracy.values,
        n_test,
        f"test accuracy over seeds, {n_test} test flowers each",
    )


@measure
def architecture_arms(runs):
    return Arms({a: v.test_accuracy.values for a, v in _architectures(runs).items()}, True, "test accuracy")


@measure
def architecture_difference(runs, a, b):
    arch = _architectures(runs)
    va, vb = arch[a].test_accuracy.values, arch[b].test_accuracy.values
    return Measured.over_seeds([x - y for x, y in zip(va, vb)], f"{a} − {b}, paired by seed (same split)")


@measure
def api_accuracy_difference(runs):
    d = result_of(runs, "functional").api_equivalence.accuracy_difference
    return Measured.over_seeds(d.values, "functional − sequential test accuracy, same seed")


@measure
def api_same_weights_difference(runs):
    d = result_of(runs, "functional").api_equivalence.same_weights_max_abs_diff
    return Measured.exact(d, "largest |prediction difference| with the same weights")


def takeaways(run: Run, ctx: Context) -> list[str]:
    """The report's opening lines this experiment supports, each built from the store."""
    row = ctx.row("api_same_function")
    if row.measured is None:
        return []
    return [
        ctx.takeaway(
            "api_same_function",
            "The Sequential and the Functional API describe the same model: given the same weights, their "
            f"predictions differ by at most {row.measured.mean:.2g}",
        )
    ]


PART = ReportPart(section=section, measures=measure, takeaways=takeaways)
