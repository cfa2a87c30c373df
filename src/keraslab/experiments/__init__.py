"""The experiments and their registry. Each experiment is one package here,
``keraslab/experiments/<name>/``, exporting one declared object, ``EXPERIMENT`` (an
:class:`keraslab.experiment.Experiment`: what each of its files holds is written there).

The packages are discovered: adding a folder here is all it takes to appear in ``keraslab list``,
``run``, the plots, the report and its claims (:func:`register` adds one from elsewhere, e.g. a
test's toy). Experiments train and store; they never draw (plots read the store).

Glossary — the words of every stored run (``metrics.json``, ``history.json``). Each experiment
declares what its ``metrics.json`` holds as dataclasses in its ``result.py``
(:mod:`keraslab.results`); its figures and report read ``run.result`` through them.

arm
    one setting under comparison (an optimizer, an architecture, a callback setup, a model, a
    framework in a benchmark). ``result.arms`` maps each arm to its summaries.
seed
    one repetition of an arm with its own random seed (``keraslab.train.seed_everything``); a
    benchmark's repetitions are *rounds*, interleaved (A B C … A B C …).
history
    per-epoch metrics as Keras' ``History.history`` records them, stored as
    ``history.json[arm][seed]``.
summary
    one number of an arm over its seeds: :class:`keraslab.results.Summary` (``mean``, ``std``,
    ``n``, ``values``; a benchmark's also ``median``, ``min`` and ``max``).
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
    an arm's speed divided by its table's baseline's (above 1: faster than the baseline); one
    definition per table, stored beside it as ``speedup_vs``: ``bench``, the arm's median images/s
    ÷ native PyTorch eager NCHW's; ``compare``, native PyTorch's mean seconds per epoch ÷ the arm's
    (the same images per epoch, so also an images/s ratio); the speedrun, the PyTorch twin's median
    training time ÷ Keras'. The bench's *headline* is not a speedup: it is keraslab's path ÷ the
    fastest native PyTorch of the same precision class, round by round (``best_torch_ratio``).
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
from functools import cache
from pathlib import Path

from keraslab import backend, provenance
from keraslab.errors import KeraslabError, RunFailed
from keraslab.experiment import Experiment, Result

__all__ = ["Experiment", "Result", "all_experiments", "execute", "get", "names", "register", "unregister"]

_REGISTERED: dict[str, Experiment] = {}


@cache
def _discovered() -> dict[str, Experiment]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.ispkg:
            module = importlib.import_module(f"{__name__}.{info.name}")
            exp = getattr(module, "EXPERIMENT", None)
            if not isinstance(exp, Experiment):
                raise KeraslabError(f"{module.__name__} declares no EXPERIMENT (a keraslab.experiment.Experiment)")
            found[exp.name] = exp
    return found


def register(experiment: Experiment) -> None:
    """Add an experiment that does not live in this package (a test's toy, a plugin)."""
    _REGISTERED[experiment.name] = experiment


def unregister(name: str) -> None:
    _REGISTERED.pop(name, None)


def all_experiments() -> list[Experiment]:
    """Every experiment: those ``run all`` runs in their ``order``, then the run-by-name ones."""
    exps = list({**_discovered(), **_REGISTERED}.values())
    return sorted(exps, key=lambda e: (not e.in_all, e.order if e.in_all else 0, e.name))


def get(name: str) -> Experiment:
    for e in all_experiments():
        if e.name == name:
            return e
    raise KeraslabError(f"unknown experiment {name!r}; choose from: {', '.join(names(True))} (or 'all')")


def names(include_standalone: bool = False) -> list[str]:
    return [e.name for e in all_experiments() if include_standalone or e.in_all]


def execute(name: str, config, store, log=print, resume: bool = True, wait: bool = False) -> Path:
    """Run experiment ``name`` with ``config`` and commit it to ``store``; returns the run folder.

    A resumable experiment (``RESUMABLE = True``) keeps its unfinished folder when killed or
    interrupted; with ``resume`` the next call with the same config continues it, unless another
    live process owns it (``RunInProgress``, exit 2; with ``wait``, after that process ends).
    """

    exp = get(name)
    resumable = exp.resumable
    active = backend.active()
    if getattr(config, "precision", None) is not None:  # a precision that cannot train here stops before the run
        from keraslab.fast import resolve_precision_for

        resolve_precision_for(active, config.precision)
    writer = store.writer(name, active, config=config.to_dict(), resume=resume and resumable, wait=wait)
    provenance.speed_probe()  # this machine's rates, measured before the training loads it (kept in provenance)
    start = time.perf_counter()
    if writer.resumed:
        log(f"keraslab: resuming the unfinished run {writer.run_id} (same config); pass --fresh to start over")
    log(f"keraslab: running {name} (profile {config.profile}, backend {active}, seeds {list(config.seeds)})")
    try:
        try:
            result: Result = exp.run(config, writer)
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
        path = writer.commit(
            config=config.to_dict(), metrics=exp.encode(result.metrics), history=result.history, provenance=prov
        )
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
