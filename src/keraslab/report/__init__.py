"""The report's blocks: REPORT.md and report.html are assembled from these by
:func:`keraslab.suite.build_report`, which walks the experiments; this package imports none.

The report engine is three parts: :mod:`~keraslab.report.claims` (load the guide's claims,
measure them through :mod:`~keraslab.report.measures`, judge each with its uncertainty),
:mod:`~keraslab.report.sections` (prose per experiment, quoting the guide from claims.json) and
:mod:`~keraslab.report.render` (Markdown and HTML from one block list). Every number comes from
the store. A missing experiment or a skipped run is said out loud, never shown as an empty result.
"""

from __future__ import annotations

import time
from pathlib import Path

from keraslab.report import sections
from keraslab.report.claims import (
    CONSISTENT,
    CONTRADICTED,
    HIGHER,
    INCONCLUSIVE,
    LOWER,
    NOT_MEASURED,
    NOT_TESTABLE,
    TIE,
    UNFAIR,
    VERDICTS,
    Measured,
    describe,
    evaluate,
    t_critical,
)
from keraslab.report.render import to_markdown
from keraslab.store import Run, atomic_write_bytes

__all__ = ["evaluate", "RESULTS_START", "RESULTS_END"]

RESULTS_START, RESULTS_END = "<!-- keraslab:results:start -->", "<!-- keraslab:results:end -->"
PERF_START, PERF_END = "<!-- keraslab:performance:start -->", "<!-- keraslab:performance:end -->"


def rewrite_block(path: Path, start: str, end: str, body: str) -> bool:
    """Replace the text between the ``start`` and ``end`` markers of ``path``; False when it has none."""
    text = path.read_text()
    if start not in text or end not in text:
        return False
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    atomic_write_bytes(path, (head + start + "\n" + body + end + tail).encode())
    return True


#: the order verdicts are counted in
ORDER = (CONSISTENT, HIGHER, LOWER, TIE, CONTRADICTED, INCONCLUSIVE, UNFAIR, NOT_TESTABLE, NOT_MEASURED)
DIFFERS = (HIGHER, LOWER, CONTRADICTED)


def fmt(v, digits=4) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def counts(rows) -> dict[str, int]:
    c = {w: 0 for w in ORDER}
    for r in rows:
        c[r.verdict.word] += 1
    return c


def counts_text(rows) -> str:
    return ", ".join(f"**{n}** {w}" for w, n in counts(rows).items() if n)


def summary_blocks(rows) -> list:
    """The report's opening: verdict counts and the claims our runs contradict, with their intervals."""
    differ = [r for r in rows if r.verdict.word in DIFFERS]
    # each claim's full row is in its section; here only a link to it
    items = [f"[{r.claim['wording']}]({sections.claim_link(r.claim['id'])}): **{r.verdict.word}**" for r in differ]
    blocks = [("h2", "Summary"), ("p", f"{len(rows)} claims of the original module guide: {counts_text(rows)}.")]
    fitted = [r for r in rows if r.claim.get("by_construction")]
    if fitted:
        agree = sum(1 for r in fitted if r.verdict.word == CONSISTENT)
        blocks.append(
            (
                "p",
                f"{len(fitted)} of these claims hold **by construction** of the setup (a data set, noise level or "
                f"budget chosen to match the guide, or an identity by design; {agree} of them *consistent*): their "
                "rows say how, and their agreement is not a finding.",
            )
        )
    if items:
        blocks += [("p", "Claims our runs do not bear out (each links to its row, with its interval):"), ("ul", items)]
    undecided = sum(1 for r in rows if r.verdict.word == INCONCLUSIVE)
    if undecided:
        blocks.append(
            (
                "p",
                f"{undecided} claims are *inconclusive*: the data cannot decide them at this number of seeds or "
                "examples (each row says what would, where a number would). A *tie* is a decision: every paired "
                "interval lies inside the claim's stated margin.",
            )
        )
    return blocks


def takeaway_lines(parts_and_runs, ctx: sections.Context) -> list[str]:
    """A few plain-language lines, each from an experiment's ``takeaways`` (built from the store)
    and linked to the claim it rests on."""
    return [line for part, run in parts_and_runs if part.takeaways is not None for line in part.takeaways(run, ctx)]


def takeaways_block(lines: list[str]) -> list:
    """The report's opening section of takeaways (none when no experiment has any)."""
    if not lines:
        return []
    return [
        ("h2", "Takeaways"),
        ("p", "What these runs show, in a few lines; each links to the claim it rests on, with its verdict."),
        ("ul", lines),
    ]


def reading_block(rows) -> list:
    """How to read a verdict, with a worked interval from this store: why two seeds give a wide one."""
    blocks = [
        ("h2", "How to read a verdict"),
        (
            "p",
            "Each claim's row shows what was measured: a mean over n seeds (the same experiment run with "
            "different random initial weights and data order) ± its standard deviation, or a count of test "
            "examples. The **95% interval** is the range the true mean is likely to lie in: mean ± t × std / √n, "
            "where t comes from Student's t distribution with n − 1 degrees of freedom. With few seeds t is large: "
            + ", ".join(f"t = {t_critical(n - 1):.2f} at n = {n}" for n in (2, 3, 5, 10))
            + ". So an interval from 2 seeds is about "
            + f"{t_critical(1) / 2**0.5 / (t_critical(4) / 5**0.5):.0f} times as wide as one from 5 seeds with the "
            "same spread.",
        ),
    ]
    two = [r for r in rows if isinstance(r.measured, Measured) and r.measured.kind == "seeds" and r.measured.n == 2]
    if two:
        r = max(two, key=lambda r: r.measured.std)
        m = r.measured
        half5 = t_critical(4) * m.std / 5**0.5
        half2 = t_critical(1) * m.std / 2**0.5
        clipped = abs(m.lo - (m.mean - half2)) > 1e-9 or abs(m.hi - (m.mean + half2)) > 1e-9
        blocks.append(
            (
                "p",
                f'An example from this store: "{r.claim["wording"]}" measured {m.mean:.4f} ± {m.std:.4f} over '
                f"n = 2 seeds, so its interval is {m.mean:.4f} ± {t_critical(1):.2f} × {m.std:.4f} / √2 = "
                f"[{m.lo:.4f}, {m.hi:.4f}]{' (clipped to the values the measure can take)' if clipped else ''}; "
                f"the same spread over 5 seeds would give ± {half5:.4f}. The verdict is *{r.verdict.word}* ([its row]"
                f"({sections.claim_link(r.claim['id'])})).",
            )
        )
    blocks.append(
        (
            "p",
            "A verdict compares that interval with the guide's value and the claim's **tolerance** (how far a "
            "value may be from the guide's and still count as the same, with its reason in the row). A mean "
            "close to the guide's value is not enough for *consistent*: the whole interval must fit inside the "
            "tolerance, which is why a close mean over 2 seeds is often *inconclusive*.",
        )
    )
    return blocks + vocabulary_block()


def index_block(rows) -> list:
    """Every claim once more as one short line: its verdict and a link to its row in its section."""
    return [
        ("h2", "All claims"),
        (
            "p",
            "An index of every claim of the original module guide (each experiment's `claims.json`): its verdict, "
            "and a link to its row, where the measured value, interval, tolerance and reason are.",
        ),
        (
            "table",
            ["section", "claim", "verdict"],
            [
                [r.section, f"[{r.claim['wording']}]({sections.claim_link(r.claim['id'])})", r.verdict.word]
                for r in rows
            ],
        ),
    ]


def vocabulary_block() -> list:
    return [("p", "Verdicts: " + "; ".join(f"*{w}*: {d}" for w, d in VERDICTS.items()) + ".")]


def short_commit(sha: str) -> str:
    """12 hex digits, keeping the ``-dirty`` mark of a run made with uncommitted changes."""
    return sha[:12] + ("-dirty" if sha.endswith("-dirty") else "")


def provenance_block(runs: dict[str, Run], out: Path, build_s: float) -> list:
    rows = []
    for exp, run in runs.items():
        p = run.provenance
        v = p.get("versions", {})
        rows.append(
            [
                exp,
                run.run_id,
                p.get("backend", "?"),
                run.config.get("profile", "?"),
                ", ".join(map(str, run.config.get("seeds", []))),
                fmt(p.get("wall_time_s"), 1),
                short_commit(p.get("git_commit", "?")),
                f"`{p.get('command', '')}`",
            ]
        )
    first = next(iter(runs.values()), None)
    lines = []
    if first is not None:
        v = first.provenance.get("versions", {})
        lines = [
            f"keraslab {v.get('keraslab')}, Keras {v.get('keras')}, TensorFlow "
            f"{v.get('tensorflow-cpu', v.get('tensorflow', '—'))}, JAX {v.get('jax', '—')}, PyTorch "
            f"{v.get('torch', '—')}, NumPy {v.get('numpy')}, Python {v.get('python')}",
            f"CPU: {first.provenance.get('cpu')} ({first.provenance.get('cpu_count')} cores), "
            f"{first.provenance.get('platform')}",
            cpu_kind_line(first.provenance.get("cpu_kind")),
            f"Total training wall time of these runs: "
            f"{sum(r.provenance.get('wall_time_s', 0) for r in runs.values()):.1f}s; report built in "
            f"{build_s:.1f}s on {time.strftime('%Y-%m-%d %H:%M')}",
            f"Reproduce: `keraslab run {' '.join(runs)} --profile "
            f"{first.config.get('profile')} --out {out}` then `keraslab report --out {out}`",
        ]
    return [
        ("h2", "Provenance"),
        ("ul", lines),
        ("table", ["experiment", "run", "backend", "profile", "seeds", "wall time (s)", "git commit", "command"], rows),
    ]


def cpu_kind_line(kind: dict | None) -> str:
    """The CPU kind and the TensorFlow settings chosen for it, as stored in provenance."""
    if not kind:
        return "CPU kind: not recorded (a run from before keraslab stored it)"
    settings = "; ".join(
        f"{name}={s.get('value') or 'unset'} ({s.get('source')}{': ' + s['why'] if s.get('why') else ''})"
        for name, s in kind.get("tensorflow", {}).items()
    )
    emulated = (
        f"**emulated** on an {kind['emulated_on']} CPU, vector instructions capped at the kind's "
        f"({', '.join(f'{n}={v}' for n, v in kind.get('caps', {}).items())}); clock, cache and memory are the "
        "real CPU's; "
        if kind.get("emulated_on")
        else ""
    )
    flags = ", ".join(kind.get("flags", [])) or "none of amx/avx512/avx2"
    return (
        f"CPU kind: {kind.get('kind')} ({emulated}flags {flags}; "
        f"bfloat16 {'native' if kind.get('bf16_native') else 'not native: float32'}); "
        f"TensorFlow settings: {settings or 'its defaults'}"
    )


# --------------------------------------------------------------------------- rendering


def results_summary(
    rows, runs: dict, report_link: str = "REPORT.md", takeaways=(), extra=(), in_all=(), in_make_run=()
) -> str:
    """The README's results block (rewritten between the markers by `keraslab report`): the
    takeaways, the claims the runs do not bear out, and links to the whole report."""
    table = []
    for r in rows:
        if r.verdict.word in DIFFERS:
            measured, interval = describe(r.measured)
            table.append([r.claim["wording"], sections.guide_text(r.claim), measured, interval, r.verdict.word])
    # the takeaways' links point into the report
    lines = [t.replace("](#claim-", f"]({report_link}#claim-") for t in takeaways]
    extra = list(extra)  # an experiment's report part may add one line to the README (the speed measurements do)
    walls = [(exp, run.provenance.get("wall_time_s")) for exp, run in runs.items() if run.provenance.get("wall_time_s")]
    if walls:
        in_run_all = [w for exp, w in walls if exp in in_all]
        totals = (
            f"; `keraslab run all` ({len(in_run_all)} experiments) {sum(in_run_all) / 60:.1f} min" if in_run_all else ""
        )
        made = [(exp, w) for exp, w in walls if exp in in_make_run]
        if made and len(made) == len(in_make_run):  # every step of `make run` timed
            also = " and ".join(exp for exp, _ in made if exp not in in_all)
            totals += f"; `make run` (`run all` and {also}) {sum(w for _, w in made) / 60:.1f} min"
        timed = [runs[exp].provenance for exp, _ in walls]
        machines = sorted(
            {
                f"the `{(p.get('cpu_kind') or {}).get('kind', '?')}` CPU kind"
                + (
                    f" (emulated on {p['cpu_kind']['emulated_on']})"
                    if (p.get("cpu_kind") or {}).get("emulated_on")
                    else ""
                )
                + " "
                f"({p.get('cpu', '?')}, {p.get('cpu_count', '?')} cores)"
                for p in timed
            }
        )
        extra.append(
            "Wall time of these runs (from their provenance), on "
            + " and ".join(machines)
            + ": "
            + ", ".join(f"{exp} {w:.0f} s" for exp, w in walls)
            + f"{totals}; all {len(walls)} {sum(w for _, w in walls) / 60:.1f} min."
        )
    return to_markdown(
        [
            (
                "p",
                f"{len(rows)} claims of the original module guide checked against the measured runs: "
                f"{counts_text(rows)}. Every claim with its 95% interval, tolerance and figures: "
                f"[{report_link}]({report_link}), or the same report in the site (`make site`, then open "
                "`site/index.html`).",
            ),
        ]
        + ([("p", "**Takeaways**"), ("ul", lines)] if lines else [])
        + (
            [
                ("p", "**The claims these runs do not bear out**"),
                ("table", ["the guide says", "guide's value", "measured", "95% interval", "verdict"], table),
            ]
            if table
            else []
        )
        + ([("p", "**Run times**"), ("ul", extra)] if extra else [])
    )


def opening_blocks(out: Path, speed: list[str], takeaways: list, rows, missing: list[str]) -> list:
    """Title, intro, contents, takeaways, summary and how to read a verdict."""
    blocks: list = [
        ("h1", "keraslab report"),
        (
            "p",
            "Every number below was measured by keraslab and read from the run store at "
            f"`{out}`; the plots were redrawn from the same store. Each claim of the original "
            "module guide is judged with its uncertainty: mean ± std over seeds (n), a 95% "
            "interval, and a verdict."
            + (
                f" The speed measurements ({', '.join(speed)}) have their own page: [PERFORMANCE.md](PERFORMANCE.md)."
                if speed
                else ""
            ),
        ),
        ("toc",),
    ]
    blocks += takeaways
    blocks += summary_blocks(rows)
    blocks += reading_block(rows)
    if missing:  # the speed measurements are shown when present, never listed as missing
        blocks.append(
            (
                "p",
                f"**Not in this store:** {', '.join(missing)}. Run `keraslab run {' '.join(missing)} --out {out}` "
                "to add them.",
            )
        )
    return blocks


def performance_blocks(out: Path, sections_: list, not_run=()) -> list:
    """PERFORMANCE.md's head and the speed experiments' sections (its provenance follows);
    ``not_run``: the speed measurements this store lacks, and how to add them."""
    missing = [
        (
            "p",
            f"**Not in this store:** {', '.join(not_run)}. Run `keraslab run {' '.join(not_run)} --out {out}` to "
            "add it (`make run` leaves the speed benchmark out: it judges no claim of the guide; `make bench` "
            "runs it).",
        )
    ]
    return [
        ("h1", "keraslab performance"),
        (
            "p",
            f"How fast keraslab trains on this machine, read from the run store at `{out}`: the speed "
            "benchmark and the speedrun, apart from the lesson's report ([REPORT.md](REPORT.md)). Speed "
            "depends on the CPU: its kind is in the provenance below.",
        ),
        ("toc",),
        *(missing if not_run else []),
        *sections_,
    ]
