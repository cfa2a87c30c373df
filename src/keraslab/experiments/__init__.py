"""The experiments. Each is one package here, ``keraslab/experiments/<name>/``, that declares itself:

- ``__init__.py`` — ``Config`` (a frozen dataclass), ``DESCRIPTION``, ``run(config, out) -> Result``,
  and optionally ``ORDER`` (its place in ``keraslab run all``; ``None``: run by name only),
  ``RESUMABLE``, and ``LABELS`` / ``COLORS`` for its arms;
- ``figures.py`` — ``FIGURES``, a list of ``(file name, draw(run, path))`` (optional);
- ``report.py`` — ``section(run, ctx)`` for the report, and the ``@measure`` functions its claims
  in claims.json name (optional).

The packages are discovered: adding a folder here is all it takes to appear in ``keraslab list``,
``run``, the plots and the report (:func:`register` adds one from elsewhere, e.g. a test).
Experiments train and store; they never draw (plots read the store).

Glossary — the words of every stored run (``metrics.json``, ``history.json``):

arm
    one setting under comparison (an optimizer, an architecture, a callback setup, a model, a
    framework in a benchmark). ``metrics["arms"]`` maps each arm to its summary.
seed
    one repetition of an arm with its own random seed (``keraslab.train.seed_everything``); a
    benchmark's repetitions are *rounds*, interleaved (A B C … A B C …).
history
    per-epoch metrics as Keras' ``History.history`` records them, stored as
    ``history.json[arm][seed]``.
summary
    an arm's numbers over its seeds: ``{"mean", "std", "n", "values"}`` (``train.mean_std``).
epochs
    epochs actually trained (early stopping may end a run before its budget).
epoch_time
    seconds per epoch (``TrainingTimeCallback``); in a summary, over the steady epochs (the
    first one, which includes graph tracing, excluded).
first_epoch_time
    seconds of the first epoch, tracing and compilation included.
train_time
    seconds of all epochs together.
images_per_s
    training images per second of the steady epochs.
speedup
    an arm's images/s divided by the reference arm's (above 1: faster than the reference).
contestant
    an arm of a speed comparison (``run compare``, ``bench``, the speedrun's PyTorch twin), run in
    a process of its own (:mod:`keraslab.contestant`) so that frameworks do not share a process.
    Not to be confused with a *worker*: one of the processes of a multi-worker training
    (:mod:`keraslab.cluster`).
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType

from keraslab.errors import KeraslabError, RunFailed


@dataclass
class Result:
    metrics: dict
    history: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)  # experiment-specific provenance extras


@dataclass(frozen=True)
class Experiment:
    """One experiment package (or any module with the same attributes)."""

    name: str
    module: ModuleType

    @property
    def order(self):
        return getattr(self.module, "ORDER", None)

    @property
    def in_all(self) -> bool:  # ``keraslab run all`` runs it (speed measurements are run by name)
        return self.order is not None

    def part(self, kind: str):
        """The experiment's ``figures`` or ``report`` part: a submodule of the package, or the module
        itself where it defines them inline (a one-file experiment); None where it has none."""
        attr = {"figures": "FIGURES", "report": "section"}[kind]
        if hasattr(self.module, attr):
            return self.module
        if not hasattr(self.module, "__path__"):
            return None
        try:
            return importlib.import_module(f"{self.module.__name__}.{kind}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{self.module.__name__}.{kind}":
                raise
            return None


_REGISTERED: dict[str, ModuleType] = {}


@cache
def _discovered() -> dict[str, ModuleType]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.ispkg:
            found[info.name] = importlib.import_module(f"{__name__}.{info.name}")
    return found


def register(name: str, module: ModuleType) -> None:
    """Add an experiment that does not live in this package (a test's toy, a plugin)."""
    _REGISTERED[name] = module
    _merged.cache_clear()


def unregister(name: str) -> None:
    _REGISTERED.pop(name, None)
    _merged.cache_clear()


def all_experiments() -> list[Experiment]:
    """Every experiment: those ``run all`` runs in their ``ORDER``, then the run-by-name ones."""
    exps = [Experiment(n, m) for n, m in {**_discovered(), **_REGISTERED}.items()]
    return sorted(exps, key=lambda e: (not e.in_all, e.order if e.in_all else 0, e.name))


def get(name: str) -> Experiment:
    for e in all_experiments():
        if e.name == name:
            return e
    raise KeraslabError(f"unknown experiment {name!r}; choose from: {', '.join(names(True))} (or 'all')")


def names(include_standalone: bool = False) -> list[str]:
    return [e.name for e in all_experiments() if include_standalone or e.in_all]


def module(name: str) -> ModuleType:
    return get(name).module


@cache
def _merged() -> tuple[dict, dict]:
    labels, colors = {}, {}
    for e in all_experiments():
        labels.update(getattr(e.module, "LABELS", {}))
        colors.update(getattr(e.module, "COLORS", {}))
    return labels, colors


def labels() -> dict[str, str]:
    return _merged()[0]


def colors() -> dict[str, str]:
    return _merged()[1]


def reports() -> list[tuple[Experiment, ModuleType]]:
    """Each experiment with its report part (importing it registers its claims' measures)."""
    return [(e, r) for e in all_experiments() if (r := e.part("report")) is not None]


def execute(name: str, config, store, log=print, resume: bool = True, wait: bool = False) -> Path:
    """Run experiment ``name`` with ``config`` and commit it to ``store``; returns the run folder.

    A resumable experiment (``RESUMABLE = True``) keeps its unfinished folder when killed or
    interrupted; with ``resume`` the next call with the same config continues it, unless another
    live process owns it (``RunInProgress``, exit 2; with ``wait``, after that process ends).
    """
    from keraslab import backend, provenance

    mod = module(name)
    resumable = getattr(mod, "RESUMABLE", False)
    active = backend.active()
    writer = store.writer(name, active, config=config.to_dict(), resume=resume and resumable, wait=wait)
    start = time.perf_counter()
    if writer.resumed:
        log(f"keraslab: resuming the unfinished run {writer.run_id} (same config); pass --fresh to start over")
    log(f"keraslab: running {name} (profile {config.profile}, backend {active}, seeds {list(config.seeds)})")
    try:
        try:
            result: Result = mod.run(config, writer)
        except RunFailed as exc:  # stored as failed, never shown as a result
            prov = provenance.collect(backend=active, wall_time_s=time.perf_counter() - start)
            writer.commit(
                config=config.to_dict(), metrics={"error": str(exc)}, history={}, provenance=prov, status="failed"
            )
            raise
        wall = time.perf_counter() - start
        prov = provenance.collect(
            backend=active,
            wall_time_s=wall,
            extra={
                "profile": config.profile,
                "seeds": list(config.seeds),
                "deterministic": config.deterministic,
                **result.provenance,
            },
        )
        path = writer.commit(config=config.to_dict(), metrics=result.metrics, history=result.history, provenance=prov)
    except BaseException:  # interrupted, crashed, or the disk filled while committing
        if not writer.committed:
            if resumable:  # keep finished steps and backups: the same command continues from them
                writer.release()
                log(f"keraslab: {name} stopped; rerun the same command to resume from {writer.path}")
            else:
                writer.discard()  # nothing half-written: an unfinished run leaves no folder
        raise
    log(f"keraslab: {name} finished in {wall:.1f}s; results in {path}")
    return path
