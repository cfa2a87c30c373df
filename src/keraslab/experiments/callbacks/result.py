"""What the callbacks experiment stores (``metrics.json``), as types its figures and report read."""

from __future__ import annotations

from dataclasses import dataclass

from keraslab.results import Summary


@dataclass(frozen=True, kw_only=True)
class Seed:
    """One arm, one seed."""

    epochs: int
    best_val_accuracy: float
    best_epoch: int
    test_accuracy: float  # of the model the setup ends with (restore_best_weights included)
    wall_time: float
    train_time: float
    stopped_epoch: int  # EarlyStopping's (0: ran the whole budget)


@dataclass(frozen=True, kw_only=True)
class Arm:
    """One callback setup over its seeds."""

    epochs: Summary
    best_val_accuracy: Summary
    test_accuracy: Summary
    wall_time: Summary
    train_time: Summary
    #: 1 − wall time ÷ the no-callback arm's, paired by seed (None: no such arm ran)
    time_saved: Summary | None = None
    per_seed: list[Seed]


@dataclass(frozen=True, kw_only=True)
class ScheduleRun:
    """The resumable run with the guide's callback strategy (first seed)."""

    epochs: int
    best_epoch: int
    best_val_accuracy: float
    best_model_test_accuracy: float
    final_weights_sha: str


@dataclass(frozen=True, kw_only=True)
class CallbacksResult:
    arms: dict[str, Arm]
    budget_epochs: int
    schedule: ScheduleRun
    dataset: str
    #: each callback's settings as passed to Keras ({"early_stopping": {"monitor": …}, "reduce_lr": …})
    callbacks: dict[str, dict[str, bool | int | float | str]]
