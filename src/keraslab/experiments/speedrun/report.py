"""The speedrun experiment in the report: its section (prose, tables, figures) and the measures
its claims in claims.json name."""

from __future__ import annotations

import statistics

from keraslab.experiments.speedrun.result import SpeedrunResult
from keraslab.report.sections import Context, ReportPart
from keraslab.report.stats import t_interval, wilson
from keraslab.store import Run


def section(run: Run, ctx: Context) -> list:
    met: SpeedrunResult = run.result
    rows = [
        [
            "Keras (this recipe)",
            str(s),
            f"{r.train_time:.2f}",
            f"{r.val_accuracy:.4f}" if r.val_accuracy is not None else "—",
            f"{r.test_accuracy:.4f}",
        ]
        for s, r in zip(run.config["seeds"], met.per_seed)
    ]
    twin = met.torch_twin
    if twin:
        rows += [
            [twin.name, str(r.seed), f"{r.train_time:.2f}", f"{r.val_accuracy:.4f}", f"{r.test_accuracy:.4f}"]
            for r in twin.per_seed
        ]
    rec = met.recipe
    split = (
        f"Trained on {met.n_train:,} images; the recipe is judged on {met.n_val:,} held-out training images "
        "(validation) and the test set is evaluated once per seed, at the end. "
        if met.n_val
        else "No validation split in this (older) run: its recipe was checked on test. "
    )
    lines = [reached_line("Keras", met.per_seed, met.target, met.precision)]
    if twin:
        lines.append(reached_line(twin.name + " (same recipe, same seeds, its own process)", twin.per_seed, met.target))
        lines.append(speed_line(met.per_seed, twin.per_seed, twin.name, paired=met.interleaved))
    elif run.config.get("torch_twin"):
        lines.append("PyTorch is not installed here: no twin measured.")
    if met.train_mflop_per_image:
        lines.append(work_line(met, run.config.get("epochs", 1)))
    recipe_text = (
        f"one epoch at batch {rec.batch_size}, Adam (learning rate {rec.peak_learning_rate}, betas "
        f"{rec.beta_1}/{rec.beta_2}) under a one-cycle schedule"
        + (", its update one fused kernel per weight in Keras" if rec.fused_adam else "")
        + (" and in the twin (PyTorch's `fused=True`)" if rec.fused_adam and twin and twin.fused_adam else "")
        + (f", {met.steps_per_execution} batches per compiled call" if met.steps_per_execution > 1 else "")
    )
    return [
        ("h2", "Time to 99%"),
        (
            "p",
            f"`keraslab run speedrun`: a {met.params:,}-parameter CNN (tuomaso/train_mnist_fast's recipe in "
            f"Keras), {recipe_text}. Training time counts the whole epoch, graph tracing included. " + split,
        ),
        ("ul", lines),
        ("table", ["contestant", "seed", "training time (s)", "validation accuracy", "test accuracy"], rows),
    ]


def work_line(met: SpeedrunResult, epochs: int, goal: float = 5.0) -> str:
    """The training's arithmetic, the rate Keras' median reached, and what ``goal`` seconds would
    need, each as a share of this machine's float32 matmul peak when the run measured it."""

    def share(rate):
        return f" ({rate / met.matmul_gflops:.0%} of the peak)" if met.matmul_gflops else ""

    gflop = met.train_mflop_per_image * met.n_train * epochs / 1e3
    rate, need = gflop / met.median_train_time, gflop / goal
    peak = (
        f"; this machine's float32 matmul peak, measured at the run's start as the bench does (NumPy, "
        f"2048²), was {met.matmul_gflops:.0f} GFLOP/s"
        + (" (this run computed in bfloat16, whose peak is higher)" if "bfloat16" in met.precision else "")
        if met.matmul_gflops
        else ""
    )
    return (
        f"Work: training is {gflop:.0f} GFLOP ({met.train_mflop_per_image:.2f} MFLOP per image, forward and "
        f"backward, × {met.n_train:,} images × {epochs} epoch{'s' if epochs > 1 else ''}); Keras' median ran "
        f"at {rate:.0f} GFLOP/s{share(rate)}, and {goal:.0f} s would need {need:.0f} GFLOP/s{share(need)}{peak}."
    )


def reached_line(who: str, per_seed: list, target: float, precision: str | None = None) -> str:
    """How many seeds reached the target, the interval of that share, and the accuracy's interval:
    "reached" only when the accuracy interval's lower bound clears the target."""
    acc = [r.test_accuracy for r in per_seed]
    times = sorted(r.train_time for r in per_seed)
    hits = sum(a >= target for a in acc)
    share_lo, share_hi = wilson(hits, len(acc))
    if len(acc) > 1:
        mean, _, lo, hi = t_interval(acc)
        interval = f"mean {mean:.4f}, 95% interval [{lo:.4f}, {min(hi, 1.0):.4f}]"
        verdict = (
            "reached"
            if lo >= target
            else "not reached"
            if hi < target
            else "not shown to be reached (the interval straddles the target)"
        )
    else:
        interval, verdict = f"{acc[0]:.4f} (one seed: no interval)", "not shown to be reached (one seed)"
    return (
        f"{who}{f' ({precision})' if precision else ''}: median **{statistics.median(times):.1f}s** of training "
        f"(range {times[0]:.1f}–{times[-1]:.1f}s); {hits} of {len(acc)} seeds reached {target} (share's 95% "
        f"interval [{share_lo:.2f}, {share_hi:.2f}]); test accuracy {interval}: target **{verdict}**."
    )


def speed_line(ours: list, theirs: list, name: str, paired: bool = False) -> str:
    """Keras vs the twin on training time, from the per-seed ranges: faster or slower only when the
    ranges do not overlap. ``paired``: each Keras seed ran right before the twin's same seed, and
    the line also counts the pairs Keras won."""
    a, b = [r.train_time for r in ours], [r.train_time for r in theirs]
    ratio = statistics.median(b) / statistics.median(a)
    if max(a) < min(b):
        word = "faster in every seed"
    elif min(a) > max(b):
        word = "slower in every seed"
    else:
        word = "their per-seed times overlap: neither is faster on this evidence"
    pairs = ""
    if paired and len(a) == len(b):
        won = sum(x < y for x, y in zip(a, b))
        pairs = (
            f" Run seed by seed, alternating (Keras' seed, then the twin's), Keras was faster in {won} of "
            f"{len(a)} pairs."
        )
    return f"Keras' median training time is {ratio:.2f}× the twin's speed ({name}): {word}.{pairs}"


def readme_line(run: Run) -> str:
    """The speedrun's line under README's results table: times, accuracies and how many seeds
    reached the target (whether it was reached is judged on PERFORMANCE.md, with its interval)."""
    sm: SpeedrunResult = run.result
    twin = sm.torch_twin

    def part(name, per_seed, median_time, median_acc):
        hits = sum(r.test_accuracy >= sm.target for r in per_seed)
        reached = f"{hits} of {len(per_seed)} seeds reached it"
        return f"{name} {median_time:.1f}s of training, {median_acc:.4f} accuracy ({reached})"

    return (
        f"The {sm.target:.0%} MNIST speedrun (`keraslab run speedrun`, medians over "
        f"{len(sm.per_seed)} seeds): "
        + part("Keras", sm.per_seed, sm.median_train_time, sm.median_test_accuracy)
        + ("; " + part(twin.name, twin.per_seed, twin.median_train_time, twin.median_test_accuracy) if twin else "")
        + "."
    )


PART = ReportPart(section=section, measures={}, readme_line=readme_line)
