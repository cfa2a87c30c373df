"""Measures: named functions that read one claim's measured value from the run store.

Each experiment's ``report.py`` registers its claims' measures with ``@measure``. Each takes
``runs`` ({experiment: Run}) and the string arguments written after the name in claims.json
(``"optimizer_accuracy:adam"``), and returns a :class:`Measured`, :class:`Arms` or
:class:`Category`. A missing key raises: a broken measure must fail the tests, not pass as
"not measured". A comparison whose arms ran on different budgets raises :class:`Unfair`.
"""

from __future__ import annotations

MEASURES: dict = {}


def measure(fn):
    MEASURES[fn.__name__] = fn
    return fn


def all_measures() -> dict:
    """Every registered measure, after importing each experiment's report part."""
    from keraslab import experiments

    experiments.reports()
    return MEASURES


def metrics_of(runs, exp: str) -> dict:
    return runs[exp].metrics


def config_of(runs, exp: str) -> dict:
    return runs[exp].config
