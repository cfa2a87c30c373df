"""What the sequential experiment stores (``metrics.json``), as types its figures and report read."""

from __future__ import annotations

from dataclasses import dataclass

from keraslab.results import Summary, key


@dataclass(frozen=True, kw_only=True)
class Prediction:
    point: list[float]
    probability: float  # P(class 1)
    class_: int = key("class")  # stored as "class", a Python keyword


@dataclass(frozen=True, kw_only=True)
class Moons:
    """Study 1: the guide's 16-8-1 MLP on make_moons (first seed)."""

    test_accuracy: float
    seed: int
    params: int
    n_test: int
    final_val_accuracy: float
    predict_demo: list[Prediction]


@dataclass(frozen=True, kw_only=True)
class Iris:
    """Study 2: a multiclass MLP on Iris (first seed)."""

    test_accuracy: float
    seed: int
    params: int
    n_test: int


@dataclass(frozen=True, kw_only=True)
class Trial:
    learning_rate: float
    val_accuracy: float


@dataclass(frozen=True, kw_only=True)
class Search:
    """One optimizer's KerasTuner search, judged on the validation split."""

    learning_rate: float  # the best trial's
    best_val_accuracy: float
    trials: list[Trial]
    range: list[float]  # [low, high], log scale


@dataclass(frozen=True, kw_only=True)
class Arm:
    """One optimizer over seeds."""

    test_accuracy: Summary
    #: epochs until validation accuracy first reached ``converge_at``, over the seeds that did (None: none did)
    epochs_to_converge: Summary | None
    epochs_to_converge_per_seed: list[int | None]  # None: that seed never reached it
    converged_seeds: int
    initial_weights: dict[str, str]  # seed -> fingerprint of the initial weights (the same for every arm)


@dataclass(frozen=True, kw_only=True)
class TunedArm(Arm):
    search: Search
    learning_rate: float


@dataclass(frozen=True, kw_only=True)
class Tuned:
    arms: dict[str, TunedArm]


@dataclass(frozen=True, kw_only=True)
class OptimizerSettings:
    epochs: int
    batch_size: int
    converge_at: float
    learning_rates: str


@dataclass(frozen=True, kw_only=True)
class Tuning:
    tuner: str
    objective: str
    trials_per_optimizer: int
    epochs_per_trial: int
    search_seed: int
    ranges: dict[str, list[float]]


@dataclass(frozen=True, kw_only=True)
class SequentialResult:
    moons: Moons
    iris: Iris
    arms: dict[str, Arm]  # study 3: Keras' default learning rates
    optimizer_settings: OptimizerSettings
    tuned: Tuned | None = None  # study 4 (None: tune_trials 0)
    tuning: Tuning | None = None
