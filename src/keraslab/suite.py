"""The orchestration that walks every experiment: draw all figures, gather all claims and
measures, build the report. It sits beside :mod:`keraslab.cli`, above the experiments; the
libraries it calls (:mod:`keraslab.plots`, :mod:`keraslab.report`) import no experiment.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from keraslab import experiments, report
from keraslab.errors import KeraslabError
from keraslab.report import claims as claims_engine
from keraslab.report import sections
from keraslab.report.render import to_html, to_markdown
from keraslab.results import ResultError
from keraslab.store import Run, RunStore, atomic_write_bytes

#: what `make run` runs besides `keraslab run all` (the Makefile's run target), for the README's timing
MAKE_RUN_ALSO = ("speedrun",)


def read_latest(exp, store: RunStore) -> Run | None:
    """``exp``'s latest finished run, upgraded and read into its result type; None (with a notice
    in the store) where there is none, or where it does not fit its type (an older keraslab's run)."""
    try:
        return exp.upgrade(store.latest(exp.name))
    except ResultError as exc:
        store.notices.append(f"{exp.name}: its latest run does not match this keraslab's results ({exc}); rerun it")
        return None


def render_figures(store: RunStore, plots_dir: Path, only=None) -> list[Path]:
    """Draw every figure of the latest run of each experiment (of ``only``, when given); returns
    the files written. An experiment with no finished run is skipped (the report says so)."""
    written = []
    for exp in experiments.all_experiments():
        if only is not None and exp.name not in only:
            continue
        run = read_latest(exp, store)
        if run is None:
            continue
        for filename, draw in exp.figures():
            if filename is None:  # a function that writes its own files (the architecture diagrams)
                written.extend(draw(run, Path(plots_dir)))
                continue
            path = draw(run, Path(plots_dir) / filename)
            if path is not None:  # None: this run holds nothing to draw for that figure
                written.append(path)
    return written


def all_claims() -> list[dict]:
    """Every experiment's claims, in ``run all`` order (each experiment's claims.json)."""
    return claims_engine.validate([c for e in experiments.all_experiments() for c in e.claims()])


def all_measures() -> dict:
    """Every experiment's measures by name; two experiments may not declare the same name."""
    found, owner = {}, {}
    for e in experiments.all_experiments():
        part = e.report()
        for name, fn in (part.measures if part else {}).items():
            if name in found:
                raise KeraslabError(f"measure {name!r} is declared by both {owner[name]} and {e.name}")
            found[name], owner[name] = fn, e.name
    return found


def parts():
    """Each experiment that reports, with its report part, in ``run all`` order."""
    return [(e, p) for e in experiments.all_experiments() if (p := e.report()) is not None]


def build_report(out: str | Path, readme: Path | None = None, strict: bool = False, docs=()) -> list[Path]:
    """Redraw the plots into ``out/plots`` and write ``out/REPORT.md`` + ``out/report.html`` (and
    ``PERFORMANCE.md`` + ``performance.html`` when the store holds speed measurements).

    Everything lands inside the store folder. ``readme``: also rewrite that README's results
    block, and each of ``docs`` its performance block (only on purpose: the committed reference).
    ``strict`` (the tests) makes a measure that raises an error instead of a "not measured" row.
    """
    start = time.perf_counter()
    out = Path(out)
    store = RunStore(out)
    plots_dir = out / "plots"
    reporting = parts()
    runs: dict[str, Run] = {e.name: r for e, _ in reporting if (r := read_latest(e, store)) is not None}
    render_figures(store, plots_dir)
    claims = all_claims()
    rows = claims_engine.evaluate(claims, runs, all_measures(), strict=strict)
    ctx = sections.Context(runs, claims, rows)
    lessons = [(e, p) for e, p in reporting if e.in_all]
    speed = [(e, p) for e, p in reporting if not e.in_all and e.name in runs]

    def section_blocks(chosen) -> list:
        found = []
        for e, part in chosen:
            run = runs.get(e.name)
            if run is None:
                continue
            try:
                found.extend(part.section(run, ctx))
            except (KeyError, TypeError, IndexError) as exc:
                if strict:
                    raise
                store.notices.append(f"section {e.name}: run {run.run_id} lacks {exc}; skipped (rerun it)")
        return found

    takeaways = report.takeaway_lines([(p, runs[e.name]) for e, p in lessons if e.name in runs], ctx)
    missing = [e.name for e, _ in lessons if e.name not in runs]
    blocks = report.opening_blocks(out, [e.name for e, _ in speed], report.takeaways_block(takeaways), rows, missing)
    blocks += section_blocks(lessons)
    blocks += report.index_block(rows)
    perf = section_blocks(speed)
    if store.notices:
        blocks += [("h2", "Notices"), ("ul", sorted(set(store.notices)))]
    blocks += report.provenance_block(runs, out, time.perf_counter() - start)
    written = []
    if perf:
        not_run = [e.name for e, _ in reporting if not e.in_all and e.name not in runs]
        perf_blocks = report.performance_blocks(out, perf, not_run)
        perf_blocks += report.provenance_block(
            {e.name: runs[e.name] for e, _ in speed}, out, time.perf_counter() - start
        )
        for name, text in (
            ("PERFORMANCE.md", to_markdown(perf_blocks)),
            ("performance.html", to_html(perf_blocks, plots_dir, "keraslab performance")),
        ):
            atomic_write_bytes(out / name, text.encode())
            written.append(out / name)
    md_path, html_path = out / "REPORT.md", out / "report.html"
    atomic_write_bytes(md_path, to_markdown(blocks).encode())
    atomic_write_bytes(html_path, to_html(blocks, plots_dir).encode())
    written = [md_path, html_path] + written
    if readme is not None:
        link = os.path.relpath(md_path.resolve(), readme.resolve().parent)
        extra = [p.readme_line(runs[e.name]) for e, p in reporting if e.name in runs and p.readme_line]
        in_make_run = [*experiments.names(), *MAKE_RUN_ALSO]
        summary = report.results_summary(rows, runs, link, takeaways, extra, experiments.names(), in_make_run)
        if report.rewrite_block(readme, report.RESULTS_START, report.RESULTS_END, summary):
            written.append(readme)
    for doc in docs:
        prefix = os.path.relpath(plots_dir.resolve(), doc.resolve().parent) + "/"
        body = [b for b in perf if b[0] != "h2"]  # the document has its own headings
        if body and report.rewrite_block(doc, report.PERF_START, report.PERF_END, to_markdown(body, img_prefix=prefix)):
            written.append(doc)
    return written
