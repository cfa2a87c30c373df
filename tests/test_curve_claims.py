"""The claims about curves, calibration and errors, and the speedrun's "reached": each measured by
a stated statistic, checked on hand-written runs whose answer is known."""

import numpy as np
import pytest

from keraslab.experiments.cnn import report as cnn_report
from keraslab.experiments.sequential import report as seq_report
from keraslab.experiments.speedrun.report import reached_line, speed_line


class FakeRun:
    def __init__(self, metrics=None, histories=None, arrays=None, config=None):
        self.metrics, self._h, self._a, self.config = metrics or {}, histories or {}, arrays or {}, config or {}

    def histories(self, arm):
        return self._h[arm]

    def arrays(self):
        return self._a


def test_calibration_is_zero_for_calibrated_and_large_for_overconfident_predictions():
    rng = np.random.default_rng(0)
    n = 20_000
    conf = rng.uniform(0.5, 1.0, n)
    labels = np.zeros(n, dtype=int)
    right = rng.uniform(size=n) < conf  # correct with probability = confidence: calibrated
    probs = np.zeros((n, 2))
    probs[np.arange(n), np.where(right, 0, 1)] = conf
    probs[np.arange(n), np.where(right, 1, 0)] = 1 - conf
    ece, table = cnn_report.calibration(probs, labels)
    assert ece < 0.02 and sum(c for _, _, c in table) == n
    over = probs.copy()
    over[np.arange(n), over.argmax(1)] = 0.999  # the same answers, all at 99.9% confidence
    assert cnn_report.calibration(over, labels)[0] > 0.15


def test_top_pair_share_counts_both_directions_of_the_most_confused_pair():
    cm = np.diag([100] * 10)
    cm[4, 9], cm[9, 4], cm[3, 5] = 6, 4, 10  # 20 errors: 4<->9 holds 10, 3<->5 holds 10
    cm[2, 7] = 1
    run = FakeRun({"error_analysis": {"confusion_matrix": cm.tolist(), "model": "simple_cnn"}})
    m = cnn_report.cnn_top_pair_share({"cnn": run})
    assert m.kind == "binomial" and m.n == 21 and m.mean == pytest.approx(10 / 21)


@pytest.mark.parametrize(
    "curves, expected",
    [
        ({"a": [[0.5] * 12, [0.5] * 12]}, {"a": [0.0, 0.0]}),  # flat: no jitter
        ({"a": [[0.5, 0.6] * 6, [0.5] * 12]}, {"a": [0.1, 0.0]}),  # alternating by 0.1 over the last 10 changes
    ],
)
def test_curve_jitter_is_the_mean_change_over_the_last_ten_epochs(monkeypatch, curves, expected):
    histories = {arm: [{"val_accuracy": c} for c in cs] for arm, cs in curves.items()}
    run = FakeRun({"arms": {arm: {} for arm in curves}}, histories)
    arms = seq_report.optimizer_curve_jitter({"sequential": run})
    assert arms.higher_is_better is False
    assert {a: pytest.approx(v) for a, v in arms.values.items()} == expected


def test_validation_loss_rises_is_the_share_of_rising_epochs():
    run = FakeRun(histories={"adam": [{"val_loss": [1.0, 0.8, 0.9, 0.7, 0.6]}, {"val_loss": [1.0, 0.9, 0.8]}]})
    m = seq_report.validation_loss_rises({"sequential": run}, "adam")
    assert m.n == 2 and m.mean == pytest.approx((1 / 4 + 0) / 2)


def seeds(*accs, time=3.0):
    return [{"test_accuracy": a, "train_time": time} for a in accs]


@pytest.mark.parametrize(
    "accs, word",
    [
        ((0.992, 0.993, 0.9925, 0.9921, 0.9928), "reached"),  # the interval's lower bound clears 0.99
        ((0.9905, 0.9895, 0.991, 0.9890, 0.9901), "not shown to be reached"),  # it straddles 0.99
        ((0.985, 0.986, 0.984, 0.9855, 0.9852), "not reached"),  # wholly below
        ((0.995,), "not shown to be reached (one seed)"),
    ],
)
def test_reached_only_when_the_interval_clears_the_target(accs, word):
    line = reached_line("Keras", seeds(*accs), 0.99)
    assert f"target **{word}" in line
    assert f"{sum(a >= 0.99 for a in accs)} of {len(accs)} seeds reached 0.99" in line


@pytest.mark.parametrize(
    "ours, theirs, word",
    [
        ([1.0, 1.1], [2.0, 2.2], "faster in every seed"),
        ([3.0, 3.1], [2.0, 2.2], "slower in every seed"),
        ([1.0, 3.0], [2.0, 2.2], "neither is faster"),
    ],
)
def test_the_twin_comparison_is_decided_by_the_per_seed_ranges(ours, theirs, word):
    line = speed_line([{"train_time": t} for t in ours], [{"train_time": t} for t in theirs], "twin")
    assert word in line
