"""What the CNN experiment stores (``metrics.json``), as types its figures and report read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keraslab.results import Summary


@dataclass(frozen=True, kw_only=True)
class ErrorAnalysis:
    """One model's test-set errors (its last seed): counts, per-digit accuracy, the worst pairs."""

    confusion_matrix: list[list[int]]  # [true digit][predicted digit]
    per_class_accuracy: list[float]
    #: the ten most confused pairs: ``pair`` ("4<->9"), ``count`` and the count each way ("4_as_9")
    most_confused_pairs: list[dict[str, int | str]]
    misclassified_indices: list[int]
    accuracy: float


@dataclass(frozen=True, kw_only=True)
class NamedErrorAnalysis(ErrorAnalysis):
    model: str  # the arm it is of (the Simple CNN where it ran)


@dataclass(frozen=True, kw_only=True)
class Arm:
    """One CNN over its seeds."""

    test_accuracy: Summary
    train_time: Summary
    epoch_time: Summary  # steady epochs: the first, which traces the graph, left out
    first_epoch_time: Summary
    params: int
    epochs: int
    model_file: str  # the first seed's saved model, relative to the run folder
    error_analysis: ErrorAnalysis


@dataclass(frozen=True, kw_only=True)
class Data:
    n_train: int
    n_val: int
    n_test: int


@dataclass(frozen=True, kw_only=True)
class Settings:
    batch_size: int  # the global batch (every replica's together)
    batch_size_per_replica: int
    learning_rate: float
    optimizer: str
    precision: str
    batchnorm: str
    input: str | None = None  # how batches were fed (runs from before it was stored: unknown)


@dataclass(frozen=True, kw_only=True)
class DistributionInfo:
    distribute: str
    replicas: int
    devices: list[str]
    workers: int | None = None
    task: Any = None
    keras_workarounds: list[str] | None = None


@dataclass(frozen=True, kw_only=True)
class CnnResult:
    arms: dict[str, Arm]
    error_analysis: NamedErrorAnalysis
    data: Data
    settings: Settings
    distribution: DistributionInfo
