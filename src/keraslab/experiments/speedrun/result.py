"""What the speedrun stores (``metrics.json``), as types its report reads."""

from __future__ import annotations

from dataclasses import dataclass

from keraslab.results import Summary


@dataclass(frozen=True, kw_only=True)
class Recipe:
    batch_size: int
    peak_learning_rate: float
    warmup_fraction: float
    beta_1: float
    beta_2: float
    #: Keras' Adam update as one fused kernel per weight (keraslab.compat.fused_adam); None in
    #: runs from before 2026-12-06, which used Keras' own Adam
    fused_adam: bool | None = None


@dataclass(frozen=True, kw_only=True)
class KerasSeed:
    """One seed of the Keras recipe (the report pairs it with the config's seeds, in order)."""

    train_time: float
    epoch_time: list[float]
    val_accuracy: float | None  # None: the run held out no validation split
    test_accuracy: float
    params: int
    precision: str
    steps_per_execution: int


@dataclass(frozen=True, kw_only=True)
class TwinSeed:
    seed: int
    train_time: float
    val_accuracy: float | None
    test_accuracy: float


@dataclass(frozen=True, kw_only=True)
class Medians:
    """The per-seed times and accuracies summarised (:func:`keraslab.experiments.speedrun.summary`)."""

    median_train_time: float
    median_test_accuracy: float
    median_val_accuracy: float | None
    reached_target: bool
    train_time: Summary
    test_accuracy: Summary


@dataclass(frozen=True, kw_only=True)
class Twin(Medians):
    """The same recipe in native PyTorch, in its own process."""

    name: str
    framework: str
    backend: str
    per_seed: list[TwinSeed]
    torch_threads: int
    precision: str
    channels_last: bool
    fused_adam: bool | None = None  # PyTorch's fused Adam (None in runs from before 2026-12-06: unfused)
    seed: int | None = None  # the child process's own seed field, in runs from before the seeds were alternated
    peak_rss_mb: float | None = None


@dataclass(frozen=True, kw_only=True)
class SpeedrunResult(Medians):
    target: float
    params: int
    precision: str
    steps_per_execution: int
    n_train: int
    n_val: int  # 0: no validation split (runs from before it existed)
    per_seed: list[KerasSeed]
    recipe: Recipe
    #: None: not measured (the config's ``torch_twin`` is off, or PyTorch is not installed)
    torch_twin: Twin | None = None
    speedup: float | None = None  # Keras' speed ÷ the twin's (``speedup_vs``): > 1, Keras is faster
    speedup_vs: str | None = None
    #: Keras and the twin alternated seed by seed in one run (None in runs from before
    #: 2026-12-06: the twin ran all its seeds after Keras')
    interleaved: bool | None = None
    #: the arithmetic of training on one image (forward and backward) and this machine's float32
    #: NumPy matmul rate measured at the run's start; None in runs from before they were stored
    train_mflop_per_image: float | None = None
    matmul_gflops: float | None = None
