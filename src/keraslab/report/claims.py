"""Claims of the original module guide: read from each experiment's ``claims.json``, measured, judged.

Each experiment's claims.json lists the guide's claims about it, each with its wording and how it is
judged: ``measure`` names one of the experiment's measures (its ``report.py``; arguments after
``:``); ``check`` is one of approx, exact, at_least, at_most, range, positive, best, worst, middle,
includes, same_set, untestable; ``tolerance`` is the claim's practical tolerance and ``reason``
says why. ``requires`` names config values (the guide's budget) without which the claim is not
judged. ``margin`` (rankings and positive checks) is the largest paired difference still called a
tie, with ``margin_reason``; ``resolution`` is the grain of a discrete measure (one epoch; one test
example of the split), below which an interval is never narrower; ``by_construction`` marks a
claim whose setup was fitted to the guide, and says how (the report counts these apart).

A *measure* (``keraslab.report.measures``) reads the run store and returns one of:

- :class:`Measured` — a number with its uncertainty: a t-interval over seeds (``kind="seeds"``),
  a binomial (Wilson) interval over N test examples (``kind="binomial"``), or an exact count
  (``kind="exact"``: parameters, a budget);
- :class:`Arms` — per-seed values of several arms, for rankings ("Adam is fastest"), judged on
  paired differences over seeds;
- :class:`Category` — a set or list read off one model (the most confused digit pairs).

:func:`judge` turns a claim and its measurement into a :class:`Verdict` from one vocabulary
(:data:`VERDICTS`), the same in REPORT.md, report.html and the README.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

CONSISTENT = "consistent"
HIGHER = "higher than the guide"
LOWER = "lower than the guide"
INCONCLUSIVE = "inconclusive"
TIE = "tie"
CONTRADICTED = "contradicted"
NOT_TESTABLE = "not testable"
UNFAIR = "not tested fairly in this profile"
NOT_MEASURED = "not measured"

#: every verdict word, with what it means (printed under the report's claims table)
VERDICTS = {
    CONSISTENT: "our whole 95% interval lies inside the guide's value ± the claim's tolerance (an equivalence "
    "test; for a threshold or a ranking: the interval is wholly on the guide's side of it)",
    HIGHER: "our 95% interval, widened by the tolerance, lies above the guide's value",
    LOWER: "our 95% interval, widened by the tolerance, lies below the guide's value (or a threshold the "
    "guide says is reached)",
    INCONCLUSIVE: "the interval neither lies inside the tolerance nor wholly outside it: more seeds or examples "
    "are needed (the row says how many, where a number would do)",
    TIE: "a ranking claim whose every paired difference over seeds has its 95% interval inside ± the claim's "
    "stated margin (a difference too small to matter, measured as such)",
    CONTRADICTED: "a ranking or pattern claim that our runs show the other way round",
    NOT_TESTABLE: "the guide gives too little to test it (the row says why)",
    UNFAIR: "the arms compared ran on different budgets in this profile, so the claim is not judged",
    NOT_MEASURED: "the store holds no run that measures it",
}


def validate(claims: list[dict]) -> list[dict]:
    """The claims, checked for the fields every claim needs."""
    for c in claims:
        missing = {"id", "section", "wording", "check", "reason"} - set(c)
        if missing:
            raise ValueError(f"claims.json: claim {c.get('id')!r} lacks {sorted(missing)}")
        if c["check"] != "untestable" and "measure" not in c:
            raise ValueError(f"claims.json: claim {c['id']!r} names no measure")
    ids = [c["id"] for c in claims]
    if len(ids) != len(set(ids)):
        raise ValueError(f"claims.json: claim ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    return claims


def guide_value(claims: list[dict], claim_id: str):
    """The guide's value of one claim, for prose that quotes it (no guide number lives in Python)."""
    for c in claims:
        if c["id"] == claim_id:
            return c["expected"]
    raise KeyError(f"claims.json has no claim {claim_id!r}")


from keraslab.report.stats import Z95, seeds_needed, t_critical, t_interval, wilson  # noqa: E402,F401


# --------------------------------------------------------------------------- measurements


@dataclass(frozen=True)
class Measured:
    """A measured number and its 95% interval."""

    mean: float
    lo: float
    hi: float
    kind: str = "seeds"  # seeds | binomial | bootstrap | exact
    n: int = 1  # seeds (kind seeds), examples (binomial), 1 (exact)
    std: float = 0.0  # sample std over seeds (kind seeds)
    detail: str = ""

    @classmethod
    def over_seeds(cls, values, detail: str = "") -> Measured:
        mean, std, lo, hi = t_interval(values)
        return cls(mean, lo, hi, "seeds", len(list(values)), std, detail)

    @classmethod
    def accuracy_over_seeds(cls, values, n_examples: int, detail: str = "") -> Measured:
        """Accuracies of several seeds, each on the same ``n_examples`` test examples: the
        t-interval over seeds, widened to at least the binomial interval of one seed's test set at
        the mean accuracy. Three seeds that all score 29/30 give a zero-width t-interval, yet 30
        test flowers do not pin an accuracy to the last digit; and more seeds evaluated on the same
        test examples do not make those examples more numerous, so the floor does not shrink with
        the seeds. An accuracy's interval stays inside [0, 1]."""
        values = [float(v) for v in values]
        m = cls.over_seeds(values, detail)
        lo, hi = wilson(int(round(m.mean * n_examples)), n_examples)
        return cls(m.mean, max(0.0, min(m.lo, lo)), min(1.0, max(m.hi, hi)), "seeds", m.n, m.std, detail)

    @classmethod
    def binomial(cls, successes: int, n: int, detail: str = "") -> Measured:
        lo, hi = wilson(successes, n)
        return cls(successes / n, lo, hi, "binomial", n, 0.0, detail)

    @classmethod
    def exact(cls, value: float, detail: str = "") -> Measured:
        return cls(float(value), float(value), float(value), "exact", 1, 0.0, detail)

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2


@dataclass(frozen=True)
class Arms:
    """Per-seed values of several arms (the same seeds in the same order), for rankings."""

    values: dict[str, list[float]]
    higher_is_better: bool = True
    detail: str = ""

    def paired(self, a: str, b: str, resolution: float = 0.0) -> Measured:
        """a − b per seed, signed so that positive means *a is better*; ``resolution`` floors the
        interval of a discrete measure (see :func:`floored`)."""
        sign = 1.0 if self.higher_is_better else -1.0
        d = Measured.over_seeds([sign * (x - y) for x, y in zip(self.values[a], self.values[b])])
        return floored(d, resolution)


@dataclass(frozen=True)
class Category:
    """Labels read off a model (e.g. the most confused pairs, in order)."""

    labels: list[str]
    detail: str = ""


class Unfair(Exception):
    """Raised by a measure whose arms ran on different budgets in this store."""


class Untestable(Exception):
    """Raised by a measure that the stored runs cannot answer (the message says why)."""


@dataclass(frozen=True)
class Verdict:
    word: str
    tolerance: str = "—"
    note: str = ""


# --------------------------------------------------------------------------- judging


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 and float(x).is_integer() else f"{x:.4g}"


def floored(m: Measured, resolution: float) -> Measured:
    """``m`` with its interval at least ± ``resolution`` / 2 wide: a measure read in whole epochs (or
    whole test examples) cannot be known more finely than its grain, even when every seed gives the
    same value (a zero spread would otherwise claim certainty at any n)."""
    if resolution <= 0 or m.kind == "exact" or not math.isfinite(m.lo):
        return m
    half = resolution / 2
    lo, hi = min(m.lo, m.mean - half), max(m.hi, m.mean + half)
    return Measured(m.mean, lo, hi, m.kind, m.n, m.std, m.detail)


def target_half_width(m: Measured, expected: float, tol: float) -> float:
    """The half-width the interval must shrink to for a decision: inside ``expected ± tol`` when the
    estimate is inside it (consistent), clear of it when outside (higher / lower)."""
    gap = abs(m.mean - expected)
    return tol - gap if gap < tol else gap - tol


def _settle(m: Measured, need: float, resolution: float = 0.0) -> str:
    """How many seeds (or test examples) would shrink the interval to half-width ``need``, at the
    observed spread; '' where no number of them would (the estimate sits on a boundary)."""
    if need <= 0:
        return "the estimate sits on the edge of the tolerance: no number of seeds settles it"
    if m.kind == "seeds":
        spread = max(m.std, resolution / 2)  # a zero spread is a discrete measure's grain, not certainty
        if resolution > 0 and resolution / 2 > need:
            return "a difference finer than the measure's resolution: more seeds cannot settle it"
        if spread <= 0:
            return "one seed: no spread yet; 3 or more seeds are needed" if m.n < 2 else ""
        n = seeds_needed(spread, need, m.n)
        return f"about {n} seeds would settle it" if n else "the spread is too large to settle with seeds"
    if m.kind == "binomial":
        p = min(max(m.mean, 1e-3), 1 - 1e-3)
        n = math.ceil(Z95**2 * p * (1 - p) / need**2)
        return f"about {n:,} examples would settle it (this measure counts {m.n:,})"
    return ""


def _against_value(m: Measured, expected: float, tol: float, resolution: float = 0.0) -> Verdict:
    """Equivalence: *consistent* only when the whole interval lies inside ``expected ± tol``;
    *higher* / *lower* when the interval widened by ``tol`` lies wholly on one side; otherwise
    *inconclusive*, with what would settle it."""
    tol_text = f"± {_fmt(tol)}" if tol else "exact"
    if m.lo - tol > expected:
        return Verdict(HIGHER, tol_text)
    if m.hi + tol < expected:
        return Verdict(LOWER, tol_text)
    if expected - tol <= m.lo and m.hi <= expected + tol:
        return Verdict(CONSISTENT, tol_text)
    return Verdict(INCONCLUSIVE, tol_text, _settle(m, target_half_width(m, expected, tol), resolution))


def _threshold(m: Measured, bound: float, tol: float, above: bool, resolution: float = 0.0) -> Verdict:
    """The guide says the value is at least (``above``) or at most ``bound``; the tolerance moves
    the bound in the guide's favour."""
    tol_text = ("≥ " if above else "≤ ") + _fmt(bound) + (f" (tolerance {_fmt(tol)})" if tol else "")
    b = bound - tol if above else bound + tol
    if (m.lo >= b) if above else (m.hi <= b):
        return Verdict(CONSISTENT, tol_text)
    if above and m.hi < b:
        return Verdict(LOWER, tol_text)
    if not above and m.lo > b:
        return Verdict(HIGHER, tol_text)
    gap = abs(m.mean - b)
    settle = _settle(m, gap, resolution) if gap > 0 else ""
    return Verdict(INCONCLUSIVE, tol_text, "the interval straddles the threshold" + (f"; {settle}" if settle else ""))


def _interval_text(d: Measured) -> str:
    return f"[{d.lo:+.4g}, {d.hi:+.4g}]"


def _margin(claim: dict) -> float | None:
    margin = claim.get("margin")
    return None if margin is None else float(margin)


def _ranking(arms: Arms, expected: str, how: str, margin: float | None = None, resolution: float = 0.0) -> Verdict:
    """Paired differences of ``expected`` against every other arm. *consistent* / *contradicted*
    when the intervals exclude 0 the guide's way / the other way; *tie* only when every interval
    not excluding 0 lies inside ± ``margin``; otherwise *inconclusive*. The note lists every
    paired interval (positive: ``expected`` is better)."""
    if expected not in arms.values:
        raise KeyError(f"arm {expected!r} not measured")
    others = [a for a in arms.values if a != expected]
    diffs = {o: arms.paired(expected, o, resolution) for o in others}
    better = [o for o, d in diffs.items() if d.lo > 0]  # expected significantly better than o
    worse = [o for o, d in diffs.items() if d.hi < 0]  # expected significantly worse than o
    undecided = [o for o in others if o not in better and o not in worse]
    n = len(next(iter(arms.values.values())))
    margin_text = f"paired, 95%; tie margin ± {_fmt(margin)}" if margin is not None else "paired, 95%; no tie margin"
    listing = "; ".join(f"vs {o} {_interval_text(d)}" for o, d in diffs.items())
    if n < 2:
        return Verdict(INCONCLUSIVE, margin_text, "one seed: no interval; 3 or more seeds are needed")

    def tie_or_unknown() -> Verdict:
        if margin is not None and all(-margin <= diffs[o].lo and diffs[o].hi <= margin for o in undecided):
            return Verdict(TIE, margin_text, f"within ± {_fmt(margin)} of {', '.join(undecided)}: {listing}")
        return Verdict(INCONCLUSIVE, margin_text, f"cannot tell from {', '.join(undecided)}: {listing}")

    if how == "best":
        if worse:
            return Verdict(CONTRADICTED, margin_text, f"significantly behind {', '.join(worse)}: {listing}")
        return Verdict(CONSISTENT, margin_text, listing) if not undecided else tie_or_unknown()
    if how == "worst":
        if better:
            return Verdict(CONTRADICTED, margin_text, f"significantly ahead of {', '.join(better)}: {listing}")
        return Verdict(CONSISTENT, margin_text, listing) if not undecided else tie_or_unknown()
    # middle: neither the best nor the worst
    if better and worse:
        return Verdict(CONSISTENT, margin_text, listing)
    if not worse and len(better) == len(others):
        return Verdict(CONTRADICTED, margin_text, f"significantly ahead of every other arm: {listing}")
    if not better and len(worse) == len(others):
        return Verdict(CONTRADICTED, margin_text, f"significantly behind every other arm: {listing}")
    return tie_or_unknown()


def judge(claim: dict, measured) -> Verdict:
    """The verdict on one claim given its measurement (see :data:`VERDICTS`)."""
    check, expected, tol = claim["check"], claim.get("expected"), claim.get("tolerance") or 0.0
    if check == "untestable":
        return Verdict(NOT_TESTABLE, "—", claim["reason"])
    if measured is None:
        return Verdict(NOT_MEASURED)
    resolution = float(claim.get("resolution") or 0.0)
    if isinstance(measured, Measured):
        measured = floored(measured, resolution)
    if check == "approx":
        return _against_value(measured, float(expected), float(tol), resolution)
    if check == "exact":
        return _against_value(measured, float(expected), 0.0)
    if check == "at_least":
        return _threshold(measured, float(expected), float(tol), above=True, resolution=resolution)
    if check == "at_most":
        return _threshold(measured, float(expected), float(tol), above=False, resolution=resolution)
    if check == "range":
        lo, hi = float(expected[0]), float(expected[1])
        v = _against_value(measured, (lo + hi) / 2, (hi - lo) / 2 + float(tol), resolution)
        return Verdict(v.word, f"in [{_fmt(lo)}, {_fmt(hi)}]" + (f" ± {_fmt(tol)}" if tol else ""), v.note)
    if check == "positive":  # a paired difference the guide says is > 0 (A beats B)
        margin = _margin(claim)
        text = "paired difference, 95%" + (f"; tie margin ± {_fmt(margin)}" if margin is not None else "")
        interval = f"paired interval {_interval_text(measured)}"
        if measured.n < 2 and measured.kind == "seeds":
            return Verdict(INCONCLUSIVE, text, "one seed: no interval")
        if measured.lo > 0:
            return Verdict(CONSISTENT, text, interval)
        if measured.hi < 0:
            return Verdict(CONTRADICTED, text, f"the difference is significantly negative: {interval}")
        if margin is not None and -margin <= measured.lo and measured.hi <= margin:
            return Verdict(TIE, text, f"{interval}, inside ± {_fmt(margin)}")
        return Verdict(INCONCLUSIVE, text, f"{interval} spans 0 and reaches beyond the tie margin")
    if check in ("best", "worst", "middle"):
        return _ranking(measured, expected, check, _margin(claim), resolution)
    if check == "includes":  # expected label among the top `tolerance` labels
        top = int(tol) if tol else len(measured.labels)
        ok = expected in measured.labels[:top]
        return Verdict(CONSISTENT if ok else CONTRADICTED, f"among the top {top}")
    if check == "same_set":  # the top len(expected) labels are exactly the expected ones
        k = len(expected)
        got = measured.labels[:k]
        shared = sorted(set(got) & set(expected))
        if len(shared) == k:
            return Verdict(CONSISTENT, f"the {k} listed")
        word = CONTRADICTED if not shared else INCONCLUSIVE
        return Verdict(word, f"the {k} listed", f"{len(shared)} of {k} match ({', '.join(shared) or 'none'})")
    raise ValueError(f"claim {claim.get('id')!r}: unknown check {check!r}")


# --------------------------------------------------------------------------- evaluation


@dataclass
class Row:
    claim: dict
    measured: object = None
    verdict: Verdict = field(default_factory=lambda: Verdict(NOT_MEASURED))
    error: str = ""

    @property
    def section(self) -> str:
        return self.claim["section"]


def fairness(claim: dict, run) -> str:
    """Why ``run`` cannot judge ``claim`` fairly ('' when it can): the quick profile is a smoke test
    on subsets, and a claim may require the guide's own budget (``"requires": {config field: value}``)."""
    config = getattr(run, "config", {}) or {}
    if config.get("profile") == "quick":
        return "the quick profile trains small subsets for a few epochs (a smoke test), not the guide's setting"
    for key, value in (claim.get("requires") or {}).items():
        if config.get(key) != value:
            return f"this run has {key} = {config.get(key)}; the guide's figure is for {key} = {value}"
    return ""


def evaluate(claims: list[dict], runs: dict, measures: dict, strict: bool = False) -> list[Row]:
    """Measure and judge every claim against ``runs`` ({experiment: Run}) with ``measures`` (by name).

    A measure that raises is a bug: with ``strict`` (the tests) it propagates; otherwise the row
    says "not measured" and why.
    """
    rows = []
    for claim in claims:
        row = Row(claim)
        if claim["check"] == "untestable":
            row.verdict = judge(claim, None)
            rows.append(row)
            continue
        name, _, arg = claim["measure"].partition(":")
        fn = measures.get(name)
        if fn is None:
            raise KeyError(f"claims.json: claim {claim['id']!r} names an unknown measure {name!r}")
        if claim["section"] not in runs:
            row.error = f"no {claim['section']} run in this store"
            rows.append(row)
            continue
        try:
            row.measured = fn(runs, *arg.split(":")) if arg else fn(runs)
            row.verdict = judge(claim, row.measured)
            unfair = fairness(claim, runs[claim["section"]])
            if unfair:
                row.verdict = Verdict(UNFAIR, row.verdict.tolerance, unfair)
        except Unfair as exc:
            row.verdict = Verdict(UNFAIR, "—", str(exc))
        except Untestable as exc:
            row.verdict = Verdict(NOT_TESTABLE, "—", str(exc))
        except Exception as exc:
            if strict:
                raise
            row.error = f"{type(exc).__name__}: {exc}"
            row.verdict = Verdict(NOT_MEASURED, "—", f"the measure failed ({row.error}); rerun the experiment")
        rows.append(row)
    return rows


def describe(m) -> tuple[str, str]:
    """(measured, 95% interval) as table text."""
    if m is None:
        return "—", "—"
    if isinstance(m, Measured):
        if m.kind == "exact":
            return _fmt(m.mean), "exact"
        if m.kind in ("binomial", "bootstrap"):
            return f"{m.mean:.4f} (N={m.n:,})", f"[{m.lo:.4f}, {m.hi:.4f}] {m.kind}"
        if m.n == 1:
            return f"{m.mean:.4f} (n=1)", "none (one seed)"
        return f"{m.mean:.4f} ± {m.std:.4f} (n={m.n})", f"[{m.lo:.4f}, {m.hi:.4f}]"
    if isinstance(m, Arms):
        means = {a: sum(v) / len(v) for a, v in m.values.items()}
        order = sorted(means, key=means.get, reverse=m.higher_is_better)
        n = len(next(iter(m.values.values())))
        return ", ".join(f"{a} {means[a]:.4g}" for a in order) + f" (n={n})", "paired, per arm"
    if isinstance(m, Category):
        return ", ".join(m.labels[:5]) + (", …" if len(m.labels) > 5 else ""), "—"
    return str(m), "—"
