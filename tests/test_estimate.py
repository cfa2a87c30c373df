"""Telling the user how long a run will take: from earlier runs in the store, else the reference
run scaled to this CPU by a measured matmul rate, corrected as experiments finish. No training."""

from types import SimpleNamespace

import pytest

from keraslab.estimate import Estimator, matmul_gflops
from keraslab.store import RunStore


def commit(root, experiment, profile, seeds, wall, extra_metrics=None):
    w = RunStore(root).writer(experiment, "tensorflow")
    w.commit(
        config={"profile": profile, "seeds": seeds},
        metrics=extra_metrics or {},
        history={},
        provenance={"wall_time_s": wall},
    )


def cfg(profile="standard", seeds=(0, 1, 2)):
    return SimpleNamespace(profile=profile, seeds=tuple(seeds))


@pytest.fixture
def reference(tmp_path):
    ref = tmp_path / "reference"
    commit(ref, "sequential", "standard", [0, 1, 2], 90.0)
    commit(ref, "cnn", "standard", [0, 1], 400.0)
    commit(ref, "bench", "standard", [0], 300.0, {"matmul_gflops": {"numpy": 300.0}})
    return ref


def test_a_first_run_scales_the_reference_by_this_cpus_matmul_rate(tmp_path, reference):
    store = RunStore(tmp_path / "runs")
    est = Estimator(store, [("sequential", cfg()), ("cnn", cfg(seeds=(0, 1)))], reference, probe=lambda: 150.0)
    assert est.seconds("sequential") == pytest.approx(180.0)  # a CPU half as fast: twice the time
    assert est.seconds("cnn") == pytest.approx(800.0)
    assert "rough" in est.describe("sequential") and "matmul" in est.describe("sequential")
    est.finished("sequential", 90.0)  # it went twice as fast as estimated
    assert est.seconds("cnn") == pytest.approx(400.0)
    assert "corrected by the experiments finished so far" in est.describe("cnn")


def test_earlier_runs_in_the_store_come_first_and_no_probe_runs_then(tmp_path, reference):
    store_root = tmp_path / "runs"
    commit(store_root, "sequential", "standard", [0], 20.0)
    est = Estimator(RunStore(store_root), [("sequential", cfg())], reference, probe=lambda: pytest.fail("probed"))
    assert est.seconds("sequential") == pytest.approx(60.0)  # 20 s per seed, 3 seeds
    assert "earlier runs in this store" in est.describe("sequential")


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_no_estimate_where_the_reference_has_no_run_of_that_profile(tmp_path, reference, profile):
    est = Estimator(RunStore(tmp_path / "runs"), [("sequential", cfg(profile))], reference, probe=lambda: 1.0)
    assert est.seconds("sequential") is None and est.describe("sequential").startswith("no estimate yet")


def test_no_reference_store_means_no_estimate(tmp_path):
    est = Estimator(RunStore(tmp_path / "runs"), [("cnn", cfg())], tmp_path / "nothing", probe=lambda: 1.0)
    assert est.seconds("cnn") is None


def test_the_matmul_probe_measures_a_positive_rate_quickly():
    assert matmul_gflops(n=128, repeats=2) > 0
