"""The claims about curves, calibration and errors, and the speedrun's "reached": each measured by
a stated statistic, checked on hand-written runs whose answer is known."""

from types import SimpleNamespace as ns

import numpy as np
import pytest

from keraslab.experiments.cnn import report as cnn_report
from keraslab.experiments.sequential import report as seq_report
from keraslab.experiments.speedrun.report import reached_line, speed_line, work_line


class FakeRun:
    """A stored run with only the parts a measure reads: ``result`` stands in for the typed result."""

    def __init__(self, result=None, histories=None, arrays=None, config=None):
        self.result, self._h, self._a, self.config = result, histories or {}, arrays or {}, config or {}

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


def one_hot(pred):
    probs = np.full((len(pred), 10), 0.001, dtype="float32")
    probs[np.arange(len(pred)), pred] = 0.991
    return probs


def test_top_pair_share_counts_both_directions_of_the_most_confused_pair_per_seed():
    y = np.repeat(np.arange(10), 100)
    pred = y.copy()
    idx = {d: np.flatnonzero(y == d) for d in range(10)}
    pred[idx[4][:6]], pred[idx[9][:4]], pred[idx[3][:10]], pred[idx[2][:1]] = 9, 4, 5, 7  # 4<->9: 10, 3<->5: 10
    other = y.copy()
    other[idx[3][:3]] = 8  # seed 1: 3 errors, all 3<->8
    run = FakeRun(
        ns(error_analysis=ns(model="simple_cnn")),
        arrays={"y_test": y, "probs_simple_cnn_seed0": one_hot(pred), "probs_simple_cnn_seed1": one_hot(other)},
        config={"seeds": [0, 1]},
    )
    m = cnn_report.cnn_top_pair_share({"cnn": run})
    assert m.n == 2 and m.mean == pytest.approx((10 / 21 + 1.0) / 2)  # per seed, then over seeds
    assert "simple_cnn, seeds 0, 1" in m.detail and "21, 3 errors" in m.detail
    digit = cnn_report.cnn_class_accuracy({"cnn": run}, "3")
    assert (
        digit.n == 2
        and digit.mean == pytest.approx((0.90 + 0.97) / 2)
        and "digit 3, simple_cnn, seeds 0, 1" in digit.detail
    )


@pytest.mark.parametrize(
    "curves, expected",
    [
        ({"a": [[0.5] * 12, [0.5] * 12]}, {"a": [0.0, 0.0]}),  # flat: no jitter
        ({"a": [[0.5, 0.6] * 6, [0.5] * 12]}, {"a": [0.1, 0.0]}),  # alternating by 0.1 over the last 10 changes
    ],
)
def test_curve_jitter_is_the_mean_change_over_the_last_ten_epochs(monkeypatch, curves, expected):
    histories = {arm: [{"val_accuracy": c} for c in cs] for arm, cs in curves.items()}
    run = FakeRun(ns(arms={arm: None for arm in curves}), histories)
    arms = seq_report.optimizer_curve_jitter({"sequential": run})
    assert arms.higher_is_better is False
    assert {a: pytest.approx(v) for a, v in arms.values.items()} == expected


def test_validation_loss_rises_is_the_share_of_rising_epochs():
    run = FakeRun(histories={"adam": [{"val_loss": [1.0, 0.8, 0.9, 0.7, 0.6]}, {"val_loss": [1.0, 0.9, 0.8]}]})
    m = seq_report.validation_loss_rises({"sequential": run}, "adam")
    assert m.n == 2 and m.mean == pytest.approx((1 / 4 + 0) / 2)


def seeds(*accs, time=3.0):
    return [ns(test_accuracy=a, train_time=time) for a in accs]


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
    line = speed_line([ns(train_time=t) for t in ours], [ns(train_time=t) for t in theirs], "twin")
    assert word in line


def test_seeds_run_in_alternating_pairs_are_counted_pair_by_pair():
    ours, theirs = [ns(train_time=t) for t in (1.0, 3.0, 2.0)], [ns(train_time=t) for t in (2.0, 2.5, 2.5)]
    assert "faster in 2 of 3 pairs" in speed_line(ours, theirs, "twin", paired=True)
    assert "pairs" not in speed_line(ours, theirs, "twin")  # runs from before: the twin ran after Keras


def test_last_epoch_gain_is_what_the_last_epoch_still_added_per_model_over_seeds():
    """The CNN section's "what the budget costs" line: per model, the mean over seeds of the last
    epoch's change in validation accuracy (the Functional CNN's main head); nothing without curves."""
    run = FakeRun(
        result=ns(arms={"simple_cnn": None, "functional_cnn": None, "one_epoch": None}),
        histories={
            "simple_cnn": [{"val_accuracy": [0.97, 0.98, 0.985]}, {"val_accuracy": [0.96, 0.98, 0.983]}],
            "functional_cnn": [{"val_main_accuracy": [0.97, 0.99, 0.989]}],
            "one_epoch": [{"val_accuracy": [0.9]}],
        },
    )
    gains = cnn_report._last_epoch_gain(run)
    assert gains.keys() == {"simple_cnn", "functional_cnn"}
    assert gains["simple_cnn"] == pytest.approx(0.004) and gains["functional_cnn"] == pytest.approx(-0.001)


def test_the_speedrun_work_is_counted_from_the_models_own_layers():
    import keras

    from keraslab.experiments.speedrun import build_model, train_flops_per_image

    macs = 0
    for layer in build_model().layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, h, w, c = layer.output.shape
            kh, kw, cin, _ = layer.kernel.shape
            macs += h * w * c * kh * kw * cin
        elif isinstance(layer, keras.layers.Dense):
            macs += layer.kernel.shape[0] * layer.kernel.shape[1]
    assert train_flops_per_image() == pytest.approx(6 * macs)


def test_the_work_line_sets_the_median_and_the_goal_against_the_measured_peak():
    met = ns(
        train_mflop_per_image=8.0, n_train=50_000, median_train_time=10.0, matmul_gflops=200.0, precision="float32"
    )
    line = work_line(met, epochs=1, goal=5.0)  # 400 GFLOP: 40 GFLOP/s at 10 s, 80 at 5 s
    assert "400 GFLOP" in line and "ran at 40 GFLOP/s (20% of the peak)" in line
    assert "would need 80 GFLOP/s (40% of the peak)" in line and "200 GFLOP/s" in line
    assert "bfloat16" not in line
    older = ns(
        train_mflop_per_image=8.0, n_train=50_000, median_train_time=10.0, matmul_gflops=None, precision="float32"
    )
    assert "peak" not in work_line(older, epochs=2)  # no peak stored: the arithmetic alone
    assert "800 GFLOP" in work_line(older, epochs=2)
