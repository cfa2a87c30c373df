"""What the compare experiment stores (``metrics.json``), as types its figures and report read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keraslab.results import Summary


@dataclass(frozen=True, kw_only=True)
class Contestant:
    """What one contestant process reported for one seed (:mod:`keraslab.contestant`)."""

    framework: str  # keras | torch
    backend: str  # the backend it ran on (native-torch: plain PyTorch)
    path: str  # plain fit, or PyTorch's manual loop
    precision: str
    epoch_time: list[float]
    test_accuracy: float
    params: int
    loc: int  # lines of code of the model and its training
    seed: int | None
    peak_rss_mb: float
    options: dict[str, Any] | None = None  # Keras: the path's options
    steps_per_execution: int | None = None  # Keras: as compiled
    variant: str | None = None  # PyTorch: eager / compiled, memory layout
    torch_threads: int | None = None  # PyTorch


@dataclass(frozen=True, kw_only=True)
class Arm:
    """One framework (or Keras backend) over seeds."""

    ran_on: list[str]
    test_accuracy: Summary
    peak_rss_mb: Summary
    epoch_time: Summary  # steady epochs: the first, which traces or compiles, left out
    first_epoch_time: Summary
    params: int
    loc: int
    per_seed: list[Contestant]
    speedup: float | None = None  # images/s ÷ native PyTorch's (``speedup_vs``); None: it did not run


@dataclass(frozen=True, kw_only=True)
class Settings:
    epochs: int
    batch_size: int
    n_train: int
    optimizer: str
    native_torch: str  # the native PyTorch variant


@dataclass(frozen=True, kw_only=True)
class CompareResult:
    arms: dict[str, Arm]
    speedup_vs: str | None  # what ``speedup`` is divided by (None: native PyTorch did not run)
    skipped: list[str]  # frameworks not installed here
    images_per_epoch: int
    settings: Settings
