"""The bench experiment in the report: its section (prose, tables, figures) and the measures
its claims in claims.json name."""

from __future__ import annotations

from keraslab.experiments.bench.result import BenchResult
from keraslab.report.sections import Context, ReportPart
from keraslab.store import Run


def section(run: Run, ctx: Context) -> list:
    met: BenchResult = run.result
    rows = []
    for label, r in met.arms.items():
        ratio = r.speedup
        ips = r.images_per_s
        rows.append(
            [
                label,
                r.precision + (f", {r.steps_per_execution} steps/call" if r.steps_per_execution > 1 else ""),
                str(r.rounds),
                f"{ips.median:,.0f}",
                f"{ips.min:,.0f}–{ips.max:,.0f}",
                f"{ratio:.2f}×" if ratio else "—",
                f"{r.first_epoch_time.median:.1f}",
                f"{r.peak_rss_mb:.0f}",
                f"{r.fraction_of_matmul_peak * 100:.1f}%",
                f"{r.test_accuracy.median:.4f}",
            ]
        )
    mm = met.matmul_gflops
    s = met.settings
    h = met.headline
    lines = []
    if met.choices:
        lines.append(met.choices + ".")
    if h:
        lines.append(
            f"**keraslab's path vs the fastest native PyTorch of its precision class** ({h.versus}, "
            f"{h.precision_class}): median **{h.median:.2f}×**, range {h.min:.2f}–{h.max:.2f}× over "
            f"{h.rounds} interleaved rounds — **{h.verdict}**."
        )
    return [
        ("h2", "Performance"),
        (
            "p",
            f"`keraslab bench`: the Simple CNN, batch {s.batch_size}, {s.n_train:,} images per epoch, "
            f"{s.epochs} epochs per process (the first is warm-up and compilation), each contestant in its own "
            f"process; the headline arms run interleaved in {s.rounds} rounds (A B C … A B C …) "
            "and each shows its median and range, the others run once. Matmul peak (2048², best of 5): "
            + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in mm.items())
            + f"; one training image costs {met.train_flops_per_image / 1e6:.1f} MFLOP; bfloat16 rows are put "
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


def readme_line(run: Run) -> str:
    """The bench's line under README's results table."""
    arms, h = run.result.arms, run.result.headline
    return (
        "Training speed (Simple CNN, images/s, `keraslab bench`, median over rounds): "
        + ", ".join(
            f"{k} ({r.precision}) {r.images_per_s.median:,.0f}" for k, r in arms.items() if not k.startswith("variant")
        )
        + "."
        + (
            f" keraslab's path vs the fastest native PyTorch of its precision class ({h.versus}): "
            f"{h.median:.2f}× (range {h.min:.2f}–{h.max:.2f}, {h.rounds} rounds): {h.verdict}."
            if h
            else ""
        )
    )


PART = ReportPart(section=section, measures={}, readme_line=readme_line)
