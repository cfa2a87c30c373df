"""The experiments. Each module exposes ``Config`` (a frozen dataclass), ``DESCRIPTION`` and
``run(config, out: RunWriter) -> Result``; :func:`execute` wraps one in the run store.

Experiments train and store; they never draw (plots read the store)."""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from keraslab.errors import KeraslabError, RunFailed

#: name -> module, in the order ``keraslab run all`` runs them
REGISTRY = {
    "sequential": "keraslab.experiments.sequential",
    "functional": "keraslab.experiments.functional",
    "callbacks": "keraslab.experiments.callbacks",
    "cnn": "keraslab.experiments.cnn",
    "compare": "keraslab.experiments.compare",
}
#: run by name (or by `keraslab bench`), not by `all`: they measure speed, not the guide's results
STANDALONE = {
    "bench": "keraslab.experiments.bench",
    "speedrun": "keraslab.experiments.speedrun",
}


@dataclass
class Result:
    metrics: dict
    history: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)  # experiment-specific provenance extras


def names(include_standalone: bool = False) -> list[str]:
    return list(REGISTRY) + (list(STANDALONE) if include_standalone else [])


def module(name: str):
    path = REGISTRY.get(name) or STANDALONE.get(name)
    if path is None:
        raise KeraslabError(f"unknown experiment {name!r}; choose from: {', '.join(names(True))} (or 'all')")
    return importlib.import_module(path)


def execute(name: str, config, store, log=print, resume: bool = True) -> Path:
    """Run experiment ``name`` with ``config`` and commit it to ``store``; returns the run folder.

    A resumable experiment (``RESUMABLE = True``) keeps its unfinished folder when killed or
    interrupted; with ``resume`` the next call with the same config continues it.
    """
    from keraslab import backend, provenance

    mod = module(name)
    resumable = getattr(mod, "RESUMABLE", False)
    active = backend.active()
    writer = store.writer(name, active, config=config.to_dict(), resume=resume and resumable)
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
                log(f"keraslab: {name} stopped; rerun the same command to resume from {writer.path}")
            else:
                writer.discard()  # nothing half-written: an unfinished run leaves no folder
        raise
    log(f"keraslab: {name} finished in {wall:.1f}s; results in {path}")
    return path
