"""What an experiment declares: one :class:`Experiment` object, ``EXPERIMENT`` in its package.

An experiment is one folder, ``keraslab/experiments/<name>/`` (or any importable package, e.g. a
test's toy), holding:

- ``__init__.py``: its ``Config`` (a frozen :class:`~keraslab.config.BaseConfig` dataclass),
  ``run(config, writer) -> Result`` and ``EXPERIMENT = Experiment(...)``, the one object the rest
  of keraslab reads: name, description, config, run, place in ``run all``, resumable or not, the
  labels and colours of its arms, its schema migration and its result type;
- ``result.py``: the frozen dataclasses ``run`` returns as ``Result.metrics``, stored as
  ``metrics.json`` and read back strictly into ``run.result`` (:mod:`keraslab.results`), the
  types its figures and report read;
- ``figures.py`` (optional): ``FIGURES``, a list of ``(file name, draw(run, path))``; a file name
  of ``None`` marks a function that writes its own files, ``draw(run, plots_dir) -> [paths]``;
- ``report.py`` (optional): ``PART``, a :class:`~keraslab.report.sections.ReportPart`: its report
  section, the measures its claims name, and optionally its takeaways and README line;
- ``claims.json`` (optional): the claims of the original module guide it is judged by.

The figures and report parts are imported only when drawn or reported, so ``keraslab list`` and
``keraslab run`` never import matplotlib for them. Nothing registers by import side effect: the
registry (:mod:`keraslab.experiments`) finds each package's ``EXPERIMENT`` and the orchestration
(:mod:`keraslab.suite`) asks each experiment for its parts.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from keraslab.results import decode_metrics, encode
from keraslab.store import SCHEMA_VERSION


@dataclass
class Result:
    """What ``run`` returns; the registry stores it as ``metrics.json`` and ``history.json``.
    ``metrics`` is the experiment's typed result (its ``result.py``), or a plain dict for an
    experiment that declares none."""

    metrics: Any
    history: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)  # experiment-specific provenance extras


@dataclass(frozen=True)
class Experiment:
    name: str
    description: str
    config: type
    run: Callable[[Any, Any], Result]
    #: its place in ``keraslab run all``; None: run by name only (the speed measurements)
    order: int | None = None
    #: an interrupted run keeps its finished steps and the same command resumes it
    resumable: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    colors: Mapping[str, str] = field(default_factory=dict)
    #: the package its figures.py, report.py and claims.json live in (default: where run is defined)
    package: str = ""
    #: ``migrate(run) -> metrics``: a schema-1 run's metrics upgraded to the current schema (the
    #: settings schema 1 left to the reader, filled with what such runs used); None: nothing to fill
    migrate: Callable[[Any], dict] | None = None
    #: the dataclass ``run`` returns as ``Result.metrics`` and readers get as ``run.result``
    #: (:mod:`keraslab.results`); None: untyped metrics, read as the dict they are
    result: type | None = None
    #: what its time grows with, for the estimate of a first run (:mod:`keraslab.estimate`):
    #: "compute" (arithmetic: scales with the matmul rate) or "overhead" (small data: the per-epoch
    #: and per-step cost of ``fit``, which scales with single-core Python speed)
    bound: str = "compute"

    def __post_init__(self):
        if self.bound not in ("compute", "overhead"):
            raise ValueError(f"Experiment {self.name!r}: bound must be 'compute' or 'overhead', not {self.bound!r}")

    @property
    def in_all(self) -> bool:
        return self.order is not None

    @property
    def _package(self) -> str:
        return self.package or self.run.__module__

    def _part(self, kind: str):
        name = f"{self._package}.{kind}"
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise  # the part exists and itself failed to import: a bug to show, not hide
            return None

    def upgrade(self, run):
        """``run`` (or None) with its metrics in the current schema, the one migration applied,
        and read into ``run.result`` (the declared result type): how a stored run is read for
        figures and the report. A stored result that does not fit its type raises
        :class:`~keraslab.results.ResultError`, naming the field."""
        if run is None:
            return run
        if run.metrics.get("schema") != SCHEMA_VERSION:
            metrics = self.migrate(run) if self.migrate else dict(run.metrics)
            run = replace(run, metrics={**metrics, "schema": SCHEMA_VERSION})
        typed = decode_metrics(self.result, run.metrics, self.name) if self.result else run.metrics
        return replace(run, result=typed)

    def encode(self, metrics) -> dict:
        """``run``'s result as the plain dict ``metrics.json`` stores."""
        if self.result is not None and not isinstance(metrics, self.result):
            raise TypeError(f"{self.name}.run returned {type(metrics).__name__}, not its {self.result.__name__}")
        return encode(metrics)

    def label(self, arm: str) -> str:
        """An arm's display name (its ``labels`` entry, else derived from the key)."""
        return self.labels.get(arm, arm.replace("_", " ").capitalize())

    def color(self, arm: str) -> str | None:
        return self.colors.get(arm)

    def figures(self) -> list:
        part = self._part("figures")
        return list(getattr(part, "FIGURES", [])) if part else []

    def report(self):
        """Its :class:`~keraslab.report.sections.ReportPart`, or None where it reports nothing."""
        part = self._part("report")
        return getattr(part, "PART", None) if part else None

    def claims(self) -> list[dict]:
        """The claims of the original module guide this experiment is judged by (its claims.json)."""
        module = importlib.import_module(self._package)
        folder = Path(module.__file__).parent
        path = folder / "claims.json"
        if not path.exists():
            return []
        claims = json.loads(path.read_text())["claims"]
        for c in claims:
            c.setdefault("section", self.name)
        return claims
