"""What every experiment's report section shares; the sections themselves live beside their
experiments (each experiment's ``report.py`` declares its ``PART``: a section, its measures).

A section takes ``(run, ctx)`` and returns blocks (see :mod:`keraslab.report.render`). The guide's
values are read from claims.json by claim id (:meth:`Context.guide`); no guide number is written
here. Each section ends with the table of its own claims, next to its figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from keraslab.report.claims import Row, describe, guide_value
from keraslab.results import Summary
from keraslab.store import Run


@dataclass(frozen=True)
class ReportPart:
    """What an experiment's ``report.py`` declares (``PART``): its section of the report, the
    measures its claims name, and optionally its lines of the report's takeaways and the README."""

    section: Callable[[Run, "Context"], list]
    measures: dict
    takeaways: Callable[[Run, "Context"], list] | None = None
    readme_line: Callable[[Run], str] | None = None


@dataclass
class Context:
    runs: dict
    claims: list
    rows: list[Row]

    def guide(self, claim_id: str):
        return guide_value(self.claims, claim_id)

    def row(self, claim_id: str) -> Row:
        return next(r for r in self.rows if r.claim["id"] == claim_id)

    def verdict(self, claim_id: str) -> str:
        return self.row(claim_id).verdict.word

    def takeaway(self, claim_id: str, text: str) -> str:
        """One plain-language line of the report's opening, with the verdict of the claim it rests
        on and a link to that claim's row (its section's table)."""
        return f"{text} — *{self.verdict(claim_id)}* ([the claim]({claim_link(claim_id)}))"


def pm(stat: Summary | None, digits: int = 4) -> str:
    """'mean ± std (n=N)' from a :class:`~keraslab.results.Summary`."""
    if not stat:
        return "—"
    if stat.n > 1:
        return f"{stat.mean:.{digits}f} ± {stat.std:.{digits}f} (n={stat.n})"
    return f"{stat.mean:.{digits}f} (n=1)"


CLAIMS_HEADER = [
    "the guide says",
    "guide's value",
    "measured (mean ± std, n)",
    "95% interval",
    "tolerance",
    "verdict",
    "why / detail",
]


def guide_text(claim: dict) -> str:
    e = claim.get("expected")
    if isinstance(e, list):
        return "–".join(map(str, e))
    if isinstance(e, int) and not isinstance(e, bool):
        return f"{e:,}"
    return "—" if e is None else str(e)


def claim_link(claim_id: str) -> str:
    """The in-page link to a claim's row (its first cell carries the anchor)."""
    return f"#claim-{claim_id}"


def claim_row(row: Row) -> list[str]:
    measured, interval = describe(row.measured)
    note = "; ".join(x for x in (row.verdict.note, getattr(row.measured, "detail", ""), row.error) if x)
    reason = row.claim.get("reason", "")
    if reason and reason not in note:
        note += f" (tolerance: {reason})"
    if row.claim.get("margin_reason"):
        note += f" (tie margin: {row.claim['margin_reason']})"
    if row.claim.get("by_construction"):
        note = f"**by construction**: {row.claim['by_construction']}; " + note
    return [
        f'<a id="claim-{row.claim["id"]}"></a>{row.claim["wording"]}',
        guide_text(row.claim),
        measured,
        interval,
        row.verdict.tolerance,
        row.verdict.word,
        note,
    ]


def claims_block(ctx: Context, section: str) -> list:
    rows = [claim_row(r) for r in ctx.rows if r.section == section]
    if not rows:
        return []
    return [("h3", f"The guide's claims, checked ({section})"), ("table", CLAIMS_HEADER, rows)]


def seeds_text(run: Run) -> str:
    s = run.config.get("seeds", [])
    return f"{len(s)} seed{'s' * (len(s) != 1)} ({', '.join(map(str, s))})"
