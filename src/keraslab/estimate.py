"""How long `keraslab run` will take, said before it starts and refined as it goes.

Two sources, best first:

1. **An earlier run in this store** of the same experiment and profile: its wall time, scaled by
   the number of seeds. This is what a second `make run` uses.
2. **On a first run**, the committed reference store (`reference/`, standard profile) scaled to
   this machine: the reference run's wall time × (the reference machine's float32 matmul rate ÷
   this machine's, measured here in a fraction of a second) × the seeds ratio. A matmul rate is a
   rough proxy for training speed (small-data experiments are bound by per-epoch overhead rather
   than arithmetic), so the message says "rough", and after each experiment the estimates still to
   come are rescaled by how far off the finished ones were.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from keraslab.store import RunStore

REFERENCE = Path(__file__).resolve().parents[2] / "reference"


def matmul_gflops(n: int = 1024, repeats: int = 5) -> float:
    """This machine's float32 matmul rate (NumPy, best of ``repeats``), as the bench measures it."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    a @ b  # warm-up: thread pool start, page faults
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


@dataclass
class Estimate:
    seconds: float | None
    source: str  # "store" | "scaled" | "none"


class Estimator:
    """Estimates for a list of (experiment, config), refined with each finished experiment."""

    def __init__(self, store, configs, reference: Path = REFERENCE, probe=matmul_gflops):
        self.configs = list(configs)
        self.estimates = {e: from_store(store, e, c) for e, c in self.configs}
        self.speed_ratio = None
        self.finished_scaled: dict[str, float] = {}  # experiment -> actual seconds, for scaled ones
        missing = [(e, c) for e, c in self.configs if self.estimates[e].seconds is None]
        if missing:
            self._scale_from_reference(missing, reference, probe)

    def _scale_from_reference(self, missing, reference: Path, probe) -> None:
        if not reference.is_dir():
            return
        ref = RunStore(reference)
        bench = ref.latest("bench")
        ref_gflops = (bench.metrics.get("matmul_gflops") or {}).get("numpy") if bench else None
        if not ref_gflops:
            return
        for experiment, config in missing:
            found = from_store(ref, experiment, config)
            if found.seconds is None:
                continue
            if self.speed_ratio is None:
                self.speed_ratio = ref_gflops / probe()
            self.estimates[experiment] = Estimate(found.seconds * self.speed_ratio, "scaled")

    @property
    def correction(self) -> float:
        """Actual ÷ estimated time of the scaled experiments finished so far (1 before any)."""
        done = self.finished_scaled
        if not done:
            return 1.0
        return sum(done.values()) / sum(self.estimates[e].seconds for e in done)

    def seconds(self, experiment: str) -> float | None:
        est = self.estimates[experiment]
        if est.seconds is None or est.source != "scaled" or experiment in self.finished_scaled:
            return est.seconds
        return est.seconds * self.correction

    def finished(self, experiment: str, actual_s: float) -> None:
        if self.estimates[experiment].source == "scaled":
            self.finished_scaled[experiment] = actual_s

    def describe(self, experiment: str) -> str:
        est, seconds = self.estimates[experiment], self.seconds(experiment)
        if seconds is None:
            return "no estimate yet (no earlier run of it in this store)"
        if est.source == "store":
            return f"about {fmt_duration(seconds)} by earlier runs in this store"
        adjusted = ", corrected by the experiments finished so far" if self.finished_scaled else ""
        return (
            f"about {fmt_duration(seconds)} (rough: the reference run's time scaled by this CPU's measured "
            f"matmul speed{adjusted})"
        )


def from_store(store, experiment: str, config) -> Estimate:
    """The latest finished run of the same profile in ``store``, scaled by the number of seeds."""
    for run in reversed(store.runs(experiment)):
        wall, seeds = run.provenance.get("wall_time_s"), run.config.get("seeds") or [0]
        if wall and run.config.get("profile") == config.profile:
            return Estimate(wall * len(config.seeds) / len(seeds), "store")
    return Estimate(None, "none")


def fmt_duration(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds < 90 else f"{seconds / 60:.1f} min"
