"""The run store: ``<root>/<experiment>/<run_id>/``.

Schema (``SCHEMA_VERSION``):

- ``config.json``      the experiment's config (``BaseConfig.to_dict()``)
- ``metrics.json``     ``{"schema": N, "status": "ok"|"failed", ...results}``
- ``history.json``     ``{name: {metric: [per-epoch values]}}`` — one entry per trained model
- ``provenance.json``  versions, backend, CPU, git commit, command, wall time
- ``arrays.npz``       optional arrays (predictions, grids) that plots need
- anything else an experiment keeps (``*.keras`` models, ``backup/``, logs)

A run is written into a hidden ``.partial-<run_id>`` folder and renamed into place only when
complete, and every file is written to a temporary name and renamed, so a killed run never
leaves anything that the loader takes for a finished result. The loader skips (with a notice)
partial runs, failed runs and runs of a schema it cannot read; a run of an older readable schema
is upgraded by its experiment when read for the report (:meth:`keraslab.experiment.Experiment.upgrade`).

**One owner at a time.** A writer holds an OS lock (``fcntl.flock``) on ``.lock`` inside its
``.partial-*`` folder for as long as it writes; the kernel releases it when the process ends, however
it ends, so a SIGKILLed run is resumable at once with no stale lock to clean up. ``.owner.json``
beside it says who holds it (pid, start time, command). A second process never resumes a run whose
lock is held: it stops with :class:`~keraslab.errors.RunInProgress` (exit 2) naming the owner, or,
asked to wait, blocks until the owner is gone and then looks again (the run may have finished, or
be free to resume). Runs with another config never contend: each has its own folder.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from keraslab.errors import KeraslabError, RunInProgress
from keraslab.provenance import command_line

try:
    import fcntl
except ImportError:  # not POSIX: no OS lock (keraslab's stores are POSIX-only in practice)
    fcntl = None

#: 2 (2026-12-03): every setting a reader needs is stored, none is assumed (the CNN's precision,
#: batch normalization and distribution; each bench arm's precision, steps per call and rounds;
#: compare's PyTorch variant; the speedrun's precision, steps per call and recipe), and each speed
#: table names its speedup baseline (``speedup_vs``). 1: the first schema.
SCHEMA_VERSION = 2
#: older schemas still read: each experiment's ``migrate`` (keraslab.experiment) upgrades them
READABLE_SCHEMAS = (1, 2)
LOCK, OWNER = ".lock", ".owner.json"
#: folders a store holds that are not experiments (the figures drawn from it)
NOT_EXPERIMENTS = ("plots",)
REQUIRED = ("config.json", "metrics.json", "history.json", "provenance.json")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary files
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None  # JSON has no NaN; a missing value reads as null
    return obj


def atomic_write_json(path: str | Path, obj) -> None:
    text = json.dumps(_jsonable(obj), indent=2, sort_keys=False, allow_nan=False)
    atomic_write_bytes(path, (text + "\n").encode())


def new_run_id(backend: str = "") -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    suffix = secrets.token_hex(2)
    return f"{stamp}-{backend}-{suffix}" if backend else f"{stamp}-{suffix}"


def _try_lock(path: Path, blocking: bool = False):
    """An open file descriptor holding an exclusive lock on ``path``, or None if another open file
    holds it (never None when ``blocking``)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    if fcntl is None:
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def owner_of(partial: Path) -> dict | None:
    """Who holds ``partial``'s lock now (its ``.owner.json``), or None when nobody does."""
    lock = partial / LOCK
    if not lock.exists():
        return None
    fd = _try_lock(lock)
    if fd is not None:  # free: nobody owns it
        os.close(fd)
        return None
    try:
        return json.loads((partial / OWNER).read_text())
    except (OSError, json.JSONDecodeError):
        return {"pid": "?", "started": "?", "command": "?"}


def in_progress_message(experiment: str, partial: Path, owner: dict) -> str:
    run_id = partial.name[len(".partial-") :]
    return (
        f"the {experiment} run {run_id} with this config is in progress in {partial.parent.parent} "
        f"(pid {owner.get('pid')}, started {owner.get('started')}, `{owner.get('command')}`); "
        "let it finish (or rerun with --wait to wait for it), or pass another --out"
    )


class RunWriter:
    """Collects one run's files in a hidden folder; ``commit()`` moves it into place. The writer
    owns the folder (an OS lock) until it commits or discards it, or its process ends."""

    def __init__(self, root: Path, experiment: str, run_id: str, reopen: bool = False, config: dict | None = None):
        self.root = Path(root)
        self.experiment = experiment
        self.run_id = run_id
        self.final = self.root / experiment / run_id
        self.path = self.root / experiment / f".partial-{run_id}"
        self.path.mkdir(parents=True, exist_ok=reopen)
        self._lock = _try_lock(self.path / LOCK)
        if self._lock is None:
            raise RunInProgress(in_progress_message(experiment, self.path, owner_of(self.path) or {}))
        if config is not None and not reopen:  # before the owner file: a run that has one is findable
            atomic_write_json(self.path / "config.json", config)

        atomic_write_json(
            self.path / OWNER,
            {"pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S"), "command": command_line()},
        )
        self.resumed = reopen
        self.committed = False

    def release(self) -> None:
        """Give up ownership, keeping the folder (an interrupted resumable run: the next command,
        in this process or another, may resume it)."""
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def step(self, key: str, fn, agree=None):
        """Run ``fn()`` once per run: its JSON result is kept in ``steps/`` and reused on resume.

        ``agree(have_it) -> bool``: when several processes train together (multi-worker), each
        with its own store, a saved result is reused only if every process has it — otherwise
        they would resume at different steps."""
        path = self.path / "steps" / f"{key.replace('/', '__')}.json"
        saved = None
        if path.exists():
            try:
                saved = json.loads(path.read_text())
            except json.JSONDecodeError:
                pass  # cannot happen with atomic writes; recompute if it somehow did
        if agree is not None:
            saved = saved if agree(saved is not None) else None
        if saved is not None:
            return saved
        result = fn()
        path.parent.mkdir(exist_ok=True)
        atomic_write_json(path, result)
        return result

    def write_json(self, name: str, obj) -> None:
        atomic_write_json(self.path / name, obj)

    def write_arrays(self, name: str = "arrays.npz", **arrays) -> None:
        tmp = self.path / f".{name}.tmp.npz"
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, self.path / name)

    def commit(self, *, config: dict, metrics: dict, history: dict, provenance: dict, status: str = "ok") -> Path:
        """Write the four required files and move the run into place. Metrics come last."""
        self.write_json("config.json", config)
        self.write_json("history.json", history)
        self.write_json("provenance.json", provenance)
        self.write_json("metrics.json", {"schema": SCHEMA_VERSION, "status": status, **metrics})
        if "kill@commit" in os.environ.get("KERASLAB_FAULT", ""):  # fault injection (tests only)
            os.kill(os.getpid(), signal.SIGKILL)
        os.replace(self.path, self.final)
        _fsync_dir(self.final.parent)
        self.committed = True
        for name in (LOCK, OWNER):  # a finished run has no owner; nobody resumes it
            try:
                (self.final / name).unlink()
            except OSError:
                pass
        self._release()
        return self.final

    def discard(self) -> None:
        if not self.committed:
            shutil.rmtree(self.path, ignore_errors=True)
        self._release()


@dataclass
class Run:
    """A finished run read back from the store."""

    path: Path
    experiment: str
    run_id: str
    config: dict
    metrics: dict
    history: dict
    provenance: dict
    _arrays: dict | None = field(default=None, repr=False)
    #: the metrics as the experiment's typed result (:mod:`keraslab.results`), set when
    #: :meth:`keraslab.experiment.Experiment.upgrade` reads the run for figures and the report
    result: object = field(default=None, repr=False)

    @property
    def status(self) -> str:
        return self.metrics.get("status", "ok")

    def histories(self, arm: str) -> list[dict]:
        """``history.json[arm]`` over its seeds, in seed order (a single model: a list of one)."""
        per_seed = self.history[arm]
        return [per_seed[s] for s in sorted(per_seed, key=int)]

    def arrays(self) -> dict[str, np.ndarray]:
        """Stored arrays (numerical only: never unpickled)."""
        if self._arrays is None:
            f = self.path / "arrays.npz"
            if f.exists():
                with np.load(f, allow_pickle=False) as z:
                    self._arrays = {k: z[k] for k in z.files}
            else:
                self._arrays = {}
        return self._arrays


class RunStore:
    """Read and write runs under one root folder (``runs/`` by default)."""

    def __init__(self, root: str | Path = "runs"):
        self.root = Path(root)
        self.notices: list[str] = []

    def ensure_writable(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-", delete=True)
            probe.close()
        except OSError as exc:
            raise KeraslabError(
                f"output folder {self.root} is not writable ({exc.strerror or exc}); pass --out DIR"
            ) from None

    def writer(
        self, experiment: str, backend: str = "", config: dict | None = None, resume: bool = False, wait: bool = False
    ) -> RunWriter:
        """A writer for a new run, or — with ``resume`` — for the latest unfinished run of the same
        experiment, backend and config, whose finished steps and backups it then reuses. An
        unfinished run that another live process owns is never resumed: :class:`RunInProgress`,
        or with ``wait`` a wait for that process to finish, then a fresh look."""
        while resume and config is not None:
            partial = self.find_partial(experiment, backend, config)
            if partial is None:
                break
            try:
                return RunWriter(self.root, experiment, partial.name[len(".partial-") :], reopen=True)
            except RunInProgress:
                if not wait:
                    raise
                owner = owner_of(partial) or {}
                self.notices.append(
                    f"waiting for {experiment} run {partial.name[len('.partial-') :]} (pid {owner.get('pid')})"
                )
                print(
                    f"keraslab: {in_progress_message(experiment, partial, owner).split(';')[0]}; waiting for it",
                    flush=True,
                )
                try:
                    fd = _try_lock(partial / LOCK, blocking=True)
                    os.close(fd)
                except FileNotFoundError:  # it finished and moved while we looked
                    pass
        return RunWriter(self.root, experiment, new_run_id(backend), config=config)

    def find_partial(self, experiment: str, backend: str, config: dict) -> Path | None:
        folder = self.root / experiment
        if not folder.is_dir():
            return None
        want = json.loads(json.dumps(_jsonable(config)))
        for p in sorted(folder.glob(".partial-*"), reverse=True):
            try:
                same = json.loads((p / "config.json").read_text()) == want
            except (OSError, json.JSONDecodeError):
                continue
            if same and f"-{backend}-" in p.name:
                return p
        return None

    def _load(self, path: Path) -> Run | None:
        missing = [n for n in REQUIRED if not (path / n).exists()]
        if missing:
            self.notices.append(f"skipped {path}: incomplete run (missing {', '.join(missing)})")
            return None
        try:
            data = {n: json.loads((path / n).read_text()) for n in REQUIRED}
        except (OSError, json.JSONDecodeError) as exc:
            self.notices.append(f"skipped {path}: unreadable ({exc})")
            return None
        metrics = data["metrics.json"]
        if not isinstance(metrics, dict) or metrics.get("schema") not in READABLE_SCHEMAS:
            self.notices.append(
                f"skipped {path}: schema {metrics.get('schema') if isinstance(metrics, dict) else '?'} "
                f"(this keraslab reads schemas {', '.join(map(str, READABLE_SCHEMAS))}); rerun the experiment"
            )
            return None
        return Run(
            path,
            path.parent.name,
            path.name,
            data["config.json"],
            metrics,
            data["history.json"],
            data["provenance.json"],
        )

    def runs(self, experiment: str, include_failed: bool = False) -> list[Run]:
        """Finished runs of ``experiment``, oldest first."""
        folder = self.root / experiment
        if not folder.is_dir():
            return []
        out = []
        for p in sorted(folder.iterdir()):
            if not p.is_dir():
                continue
            if p.name.startswith(".partial-"):
                self.notices.append(f"skipped {p}: a run that did not finish (killed or crashed)")
                continue
            if p.name.startswith("."):
                continue
            run = self._load(p)
            if run is None:
                continue
            if run.status != "ok" and not include_failed:
                self.notices.append(f"skipped {p}: run {run.status} ({run.metrics.get('error', '')})")
                continue
            out.append(run)
        return out

    def latest(self, experiment: str) -> Run | None:
        runs = self.runs(experiment)
        return runs[-1] if runs else None

    def experiments(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and p.name not in NOT_EXPERIMENTS
        )
