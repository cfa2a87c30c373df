"""Telling the user how long a run will take: from earlier runs in the store, else the reference
run scaled to this CPU by the measured rate that bounds each experiment (matmul for arithmetic,
Python speed for small data), corrected as experiments of the same kind finish. No training."""

from types import SimpleNamespace

import pytest

from keraslab.estimate import Estimator
from keraslab.provenance import matmul_gflops, python_mops, speed_probe
from keraslab.store import RunStore


def commit(root, experiment, profile, seeds, wall, extra_metrics=None, probe=None):
    w = RunStore(root).writer(experiment, "tensorflow")
    w.commit(
        config={"profile": profile, "seeds": seeds},
        metrics=extra_metrics or {},
        history={},
        provenance={"wall_time_s": wall, **({"speed_probe": probe} if probe else {})},
    )


def rates(matmul, python=None):
    return lambda: {"matmul_gflops": matmul, "python_mops": python}


def cfg(profile="standard", seeds=(0, 1, 2)):
    return SimpleNamespace(profile=profile, seeds=tuple(seeds))


@pytest.fixture
def reference(tmp_path):
    ref = tmp_path / "reference"
    commit(ref, "sequential", "standard", [0, 1, 2], 90.0)
    commit(ref, "cnn", "standard", [0, 1], 400.0)
    commit(ref, "bench", "standard", [0], 300.0, {"matmul_gflops": {"numpy": 300.0}})
    return ref


def test_a_reference_without_the_probe_scales_by_its_bench_matmul_rate(tmp_path, reference):
    store = RunStore(tmp_path / "runs")
    est = Estimator(store, [("sequential", cfg()), ("cnn", cfg(seeds=(0, 1)))], reference, probe=rates(150.0))
    assert est.seconds("sequential") == pytest.approx(180.0)  # a CPU half as fast: twice the time
    assert est.seconds("cnn") == pytest.approx(800.0)
    assert "rough" in est.describe("sequential") and "matmul" in est.describe("sequential")
    est.finished("sequential", 90.0)  # it went twice as fast as estimated
    assert est.seconds("cnn") == pytest.approx(400.0)
    assert "corrected by the experiments of its kind finished so far" in est.describe("cnn")


def test_earlier_runs_in_the_store_come_first_and_no_probe_runs_then(tmp_path, reference):
    store_root = tmp_path / "runs"
    commit(store_root, "sequential", "standard", [0], 20.0)
    est = Estimator(RunStore(store_root), [("sequential", cfg())], reference, probe=lambda: pytest.fail("probed"))
    assert est.seconds("sequential") == pytest.approx(60.0)  # 20 s per seed, 3 seeds
    assert "earlier runs in this store" in est.describe("sequential")


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_no_estimate_where_the_reference_has_no_run_of_that_profile(tmp_path, reference, profile):
    est = Estimator(RunStore(tmp_path / "runs"), [("sequential", cfg(profile))], reference, probe=rates(1.0, 1.0))
    assert est.seconds("sequential") is None and est.describe("sequential").startswith("no estimate yet")


def test_no_reference_store_means_no_estimate(tmp_path):
    est = Estimator(RunStore(tmp_path / "runs"), [("cnn", cfg())], tmp_path / "nothing", probe=rates(1.0, 1.0))
    assert est.seconds("cnn") is None


def test_runs_that_stored_the_probe_scale_each_experiment_by_the_rate_that_bounds_it(tmp_path):
    ref = tmp_path / "reference"
    probe = {"matmul_gflops": 300.0, "python_mops": 40.0}
    commit(ref, "sequential", "standard", [0, 1], 100.0, probe=probe)
    commit(ref, "cnn", "standard", [0, 1], 400.0, probe=probe)
    configs = [("sequential", cfg(seeds=(0, 1))), ("cnn", cfg(seeds=(0, 1)))]
    # this machine: the same matmul rate, Python at half the speed
    est = Estimator(
        RunStore(tmp_path / "runs"), configs, ref, probe=rates(300.0, 20.0), bounds={"sequential": "overhead"}
    )
    assert est.seconds("sequential") == pytest.approx(200.0)  # small data follows Python speed
    assert est.seconds("cnn") == pytest.approx(400.0)  # arithmetic follows the matmul rate
    assert "single-core Python speed" in est.describe("sequential") and "matmul" in est.describe("cnn")
    est.finished("sequential", 100.0)  # twice as fast as estimated: corrects experiments of its kind only
    assert est.seconds("cnn") == pytest.approx(400.0)
    assert "corrected" not in est.describe("cnn")


def test_the_probe_measures_positive_rates_and_runs_once_per_process():
    assert matmul_gflops(n=128, repeats=2) > 0 and python_mops(n=10_000, repeats=1) > 0
    assert speed_probe() is speed_probe()  # cached: every run of a process stores the same measurement
