"""How long `keraslab run` will take, said before it starts and refined as it goes.

Two sources, best first:

1. **An earlier run in this store** of the same experiment and profile: its wall time, scaled by
   the number of seeds. This is what a second `make run` uses.
2. **On a first run**, the committed reference store (`reference/`, standard profile) scaled to
   this machine by the rate that bounds the experiment, measured here in a fraction of a second
   (:func:`keraslab.provenance.speed_probe`; every run stores the probe of the machine it ran on):
   the float32 matmul rate for experiments whose time is arithmetic (the CNNs, compare, the
   speedrun, bench), single-core Python speed for the small-data experiments, whose time is the
   per-epoch and per-step overhead of ``fit`` (:attr:`Experiment.bound`). Reference wall time ×
   (the reference machine's rate ÷ this machine's) × the seeds ratio. Still a proxy, so the
   message says "rough", and after each experiment the estimates still to come are rescaled by
   how far off the finished ones were.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from keraslab.provenance import PROBE_RATES, speed_probe
from keraslab.store import RunStore

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
#: what each kind of bound is measured by, in the words the message uses
RATE_WORDS = {"compute": "matmul speed", "overhead": "single-core Python speed"}


@dataclass
class Estimate:
    seconds: float | None
    source: str  # "store" | "scaled" | "none"
    rate: str = ""  # for "scaled": which measured rate scaled it (RATE_WORDS)


class Estimator:
    """Estimates for a list of (experiment, config), refined with each finished experiment."""

    def __init__(
        self,
        store,
        configs,
        reference: Path = REFERENCE,
        probe: Callable[[], dict] = speed_probe,
        bounds: Mapping[str, str] | None = None,
    ):
        """``bounds``: experiment name → ``"compute"`` or ``"overhead"`` (default ``"compute"``)."""
        self.configs = list(configs)
        self.bounds = {e: (bounds or {}).get(e, "compute") for e, _ in self.configs}
        self.estimates = {e: from_store(store, e, c) for e, c in self.configs}
        self.finished_scaled: dict[str, float] = {}  # experiment -> actual seconds, for scaled ones
        missing = [(e, c) for e, c in self.configs if self.estimates[e].seconds is None]
        if missing:
            self._scale_from_reference(missing, reference, probe)

    def _scale_from_reference(self, missing, reference: Path, probe) -> None:
        if not reference.is_dir():
            return
        ref = RunStore(reference)
        bench = ref.latest("bench")
        # a store from before runs kept the probe: the bench's matmul rate stands in for it
        fallback = (bench.metrics.get("matmul_gflops") or {}).get("numpy") if bench else None
        here = None
        for experiment, config in missing:
            run = _latest(ref, experiment, config)
            if run is None:
                continue
            bound = self.bounds[experiment]
            stored = run.provenance.get("speed_probe") or {}
            if stored.get(PROBE_RATES[bound]):
                there, rate = stored[PROBE_RATES[bound]], bound
            elif fallback:
                there, rate = fallback, "compute"
            else:
                continue
            here = here or probe()  # measured once, and only when an estimate needs it
            seconds = _seconds(run, config) * there / here[PROBE_RATES[rate]]
            self.estimates[experiment] = Estimate(seconds, "scaled", RATE_WORDS[rate])

    def correction(self, bound: str) -> float:
        """Actual ÷ estimated time of the finished scaled experiments of the same bound (1 before any)."""
        done = [e for e in self.finished_scaled if self.bounds[e] == bound]
        if not done:
            return 1.0
        return sum(self.finished_scaled[e] for e in done) / sum(self.estimates[e].seconds for e in done)

    def seconds(self, experiment: str) -> float | None:
        est = self.estimates[experiment]
        if est.seconds is None or est.source != "scaled" or experiment in self.finished_scaled:
            return est.seconds
        return est.seconds * self.correction(self.bounds[experiment])

    def finished(self, experiment: str, actual_s: float) -> None:
        if self.estimates[experiment].source == "scaled":
            self.finished_scaled[experiment] = actual_s

    def describe(self, experiment: str) -> str:
        est, seconds = self.estimates[experiment], self.seconds(experiment)
        if seconds is None:
            return "no estimate yet (no earlier run of it in this store)"
        if est.source == "store":
            return f"about {fmt_duration(seconds)} by earlier runs in this store"
        bound = self.bounds[experiment]
        same = any(self.bounds[e] == bound for e in self.finished_scaled)
        adjusted = ", corrected by the experiments of its kind finished so far" if same else ""
        return (
            f"about {fmt_duration(seconds)} (rough: the reference run's time scaled by this CPU's measured "
            f"{est.rate}{adjusted})"
        )


def _latest(store, experiment: str, config):
    """The latest finished run of ``experiment`` on ``config``'s profile in ``store``, or None."""
    for run in reversed(store.runs(experiment)):
        if run.provenance.get("wall_time_s") and run.config.get("profile") == config.profile:
            return run
    return None


def from_store(store, experiment: str, config) -> Estimate:
    """The latest finished run of the same profile in ``store``, scaled by the number of seeds."""
    run = _latest(store, experiment, config)
    return Estimate(None, "none") if run is None else Estimate(_seconds(run, config), "store")


def _seconds(run, config) -> float:
    """``run``'s wall time, scaled to ``config``'s number of seeds."""
    return run.provenance["wall_time_s"] * len(config.seeds) / len(run.config.get("seeds") or [0])


def fmt_duration(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds < 90 else f"{seconds / 60:.1f} min"
