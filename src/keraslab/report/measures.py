"""Measures: named functions that read one claim's measured value from the run store.

Each experiment's ``report.py`` keeps its own :class:`Measures` (``measure = Measures()``) and
decorates its measures with ``@measure``; its ``PART`` hands them to the orchestration, which
merges every experiment's (:func:`keraslab.suite.all_measures`). Nothing is global: two
experiments never overwrite each other's measure. Each takes ``runs`` ({experiment: Run}) and
the string arguments written after the name in claims.json (``"optimizer_accuracy:adam"``), and
returns a :class:`Measured`, :class:`Arms` or :class:`Category`. A missing key raises: a broken
measure must fail the tests, not pass as "not measured". A comparison whose arms ran on
different budgets raises :class:`Unfair`.
"""

from __future__ import annotations

import numpy as np

from keraslab.report.claims import Untestable


class Measures(dict):
    """One experiment's measures by name; used as a decorator, it adds a function under its name."""

    def __call__(self, fn):
        self[fn.__name__] = fn
        return fn


def result_of(runs, exp: str):
    """Experiment ``exp``'s typed result (:mod:`keraslab.results`), as its run was read."""
    return runs[exp].result


def config_of(runs, exp: str) -> dict:
    return runs[exp].config


def curve_jitter(curve, last: int | None = None) -> float:
    """Mean |change| from epoch to epoch of a curve (over its last ``last`` epochs, when given):
    the smoothness statistic of the claims about smooth or predictable training."""
    tail = np.asarray(curve if last is None else curve[-(last + 1) :], dtype="float64")
    if len(tail) < 2:
        raise Untestable("one epoch: a curve needs two points to be smooth or not")
    return float(np.abs(np.diff(tail)).mean())
