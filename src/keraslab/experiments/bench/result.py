"""What the benchmark stores (``metrics.json``), as types its figures, report and table read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keraslab.results import Summary


@dataclass(frozen=True, kw_only=True)
class Arm:
    """One contestant over the benchmark's rounds; its summaries carry median and range."""

    spec: dict[str, Any]  # what the contestant process was asked to run (framework, backend, variant, env …)
    precision: str
    steps_per_execution: int
    rounds: int
    images_per_s: Summary  # per round, the warm-up epoch left out
    first_epoch_time: Summary
    test_accuracy: Summary
    peak_rss_mb: float
    ran_on: str
    fraction_of_matmul_peak: float  # median images/s × FLOP per image ÷ the matmul peak of its precision
    matmul_peak_gflops: float
    speedup: float | None = None  # median images/s ÷ the reference's (``speedup_vs``)


@dataclass(frozen=True, kw_only=True)
class Headline:
    """keraslab's path ÷ the fastest native PyTorch of the same precision class, round by round."""

    versus: str
    precision_class: str
    ratios: list[float]
    median: float
    min: float
    max: float
    rounds: int
    verdict: str


@dataclass(frozen=True, kw_only=True)
class Settings:
    n_train: int
    epochs: int
    batch_size: int
    rounds: int
    model: str


@dataclass(frozen=True, kw_only=True)
class BenchResult:
    arms: dict[str, Arm]
    speedup_vs: str | None  # None: the reference arm did not run
    headline: Headline | None  # None: keraslab's path or its PyTorch peers did not run
    choices: str  # the settings keraslab's path chose, and why
    matmul_gflops: dict[str, float]
    train_flops_per_image: float
    settings: Settings
