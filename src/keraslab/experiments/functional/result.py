"""What the functional experiment stores (``metrics.json``), as types its figures and report read."""

from __future__ import annotations

from dataclasses import dataclass

from keraslab.results import Summary


@dataclass(frozen=True, kw_only=True)
class Arm:
    """Study 1: one architecture on Iris over seeds."""

    test_accuracy: Summary
    params: int


@dataclass(frozen=True, kw_only=True)
class MultiIO:
    """Study 2: two named inputs, a main and an auxiliary head (first seed)."""

    evaluation: dict[str, float]  # model.evaluate(return_dict=True) on test: losses and accuracies
    params: int
    loss_weights: dict[str, float]
    inputs: list[str]


@dataclass(frozen=True, kw_only=True)
class Subclassed:
    """Study 3: a subclassed model through the same fit, saved and reloaded (first seed)."""

    test_accuracy: float
    params: int
    reload_max_abs_diff: float
    file: str


@dataclass(frozen=True, kw_only=True)
class ApiEquivalence:
    """Study 4: the same 16-8-1 model built with the Sequential and the Functional API."""

    same_weights_max_abs_diff: float
    same_seed_max_loss_gap: float
    test_accuracy: dict[str, Summary]  # "sequential", "functional"
    accuracy_difference: Summary  # functional − sequential, paired by seed


@dataclass(frozen=True, kw_only=True)
class Diagram:
    summary: str  # the text summary's file in the run's diagrams/ folder
    diagram: str | None = None  # the plot_model PNG; None where Graphviz was missing
    why_no_diagram: str | None = None


@dataclass(frozen=True, kw_only=True)
class FunctionalResult:
    arms: dict[str, Arm]
    multi_io: MultiIO
    subclassed: Subclassed
    api_equivalence: ApiEquivalence
    diagrams: dict[str, Diagram]
