"""The one arms × seeds loop every experiment uses.

``over_seeds(out, arms, seeds, train_one)`` calls ``train_one(arm, seed, label)`` for every pair,
each as one step of the run store (a resumable run keeps finished pairs when interrupted), and
returns :class:`Trials`: per arm, per seed, the dict ``train_one`` returned, its ``"history"``
taken out so that it is stored as ``history.json[arm][seed]``. The words are those of the
glossary in :mod:`keraslab.experiments`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from keraslab.results import Summary


@dataclass
class Trials:
    """What :func:`over_seeds` trained: ``results[arm][seed]`` and ``histories[arm][seed]``."""

    results: dict[str, dict[int, dict]] = field(default_factory=dict)
    histories: dict[str, dict[str, dict]] = field(default_factory=dict)

    def of(self, arm: str) -> list[dict]:
        """The arm's results, in seed order."""
        return [self.results[arm][s] for s in sorted(self.results[arm])]

    def values(self, arm: str, key: str) -> list:
        return [r[key] for r in self.of(arm)]

    def timings(self, arm: str) -> dict:
        """The glossary's ``epoch_time`` (over every seed's steady epochs: the first, which traces the
        graph, left out where there are others) and ``first_epoch_time``, from each result's
        per-epoch ``epoch_time`` list."""

        per_seed = [r["epoch_time"] for r in self.of(arm) if r["epoch_time"]]
        steady = [t for times in per_seed for t in times[1:]] or [t for times in per_seed for t in times]
        return {"epoch_time": Summary.of(steady), "first_epoch_time": Summary.of([times[0] for times in per_seed])}

    def summary(self, arm: str, *keys: str) -> dict[str, Summary]:
        """``{key: its Summary over seeds}`` for each of ``keys`` (the glossary's *summary*)."""

        return {k: Summary.of(self.values(arm, k)) for k in keys}


def over_seeds(
    writer,
    arms: Iterable[str],
    seeds: Iterable[int],
    train_one: Callable[[str, int, str], dict],
    *,
    interleave: bool = False,
    tag: str = "",
    unit: str = "seed",
    agree=None,
    report: Callable[[str, int, dict], None] | None = None,
) -> Trials:
    """Train every arm with every seed; returns :class:`Trials`.

    ``interleave``: seed-major order (every arm with seed 0, then every arm with seed 1, …): a
    benchmark's rounds, so that a noisy host's slow minutes fall on every arm alike.
    ``tag``: names this comparison in the store's steps and the progress labels, where one run
    holds several comparisons of the same arms.
    ``unit``: "seed", or "round" for a benchmark's repetitions (labels and step names only).
    ``agree``: the distribution's consensus check for the store's step (see :meth:`RunWriter.step`).
    ``report(arm, seed, result)`` prints one line per finished pair.
    """
    arms, seeds = list(arms), list(seeds)
    order = [(a, s) for s in seeds for a in arms] if interleave else [(a, s) for a in arms for s in seeds]
    trials = Trials({a: {} for a in arms}, {a: {} for a in arms})
    for k, (arm, seed) in enumerate(order, 1):
        label = f"{tag + ' ' if tag else ''}{arm}, {unit} {seed} ({k}/{len(order)})"
        key = f"{tag + '-' if tag else ''}{arm}-{unit}{seed}"
        result = dict(writer.step(key, lambda: train_one(arm, seed, label), agree=agree))
        history = result.pop("history", None)
        if history is not None:
            trials.histories[arm][str(seed)] = history
        trials.results[arm][seed] = result
        if report is not None:
            report(arm, seed, result)
    return trials
