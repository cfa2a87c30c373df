"""The performance harness and the speedrun: shape of what they store (speed is measured, never asserted)."""

import pytest

from conftest import run_cli
from keraslab import backend, fast
from keraslab.experiments.bench import simple_cnn_train_flops_per_image
from keraslab.store import RunStore


def test_bench_quick_stores_and_prints_the_table(tmp_path):
    proc = run_cli("bench", "--quick", "--out", tmp_path / "runs", timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = RunStore(tmp_path / "runs").latest("bench")
    rows = run.metrics["rows"]
    expected = {f"plain fit, {b}" for b in backend.available()} | {"keraslab path (tensorflow)"}
    if backend.is_installed("torch"):
        expected.add("native PyTorch (eager loop)")
    assert set(rows) == expected
    for label, r in rows.items():
        assert r["images_per_s"]["mean"] > 0 and r["first_epoch_s"]["mean"] > 0 and r["peak_rss_mb"] > 0
        assert 0 < r["fraction_of_matmul_peak"] < 1
        assert 0 <= r["test_accuracy"]["mean"] <= 1
        if "native PyTorch (eager loop)" in rows:
            assert r["ratio_vs_native_torch"] == pytest.approx(
                r["images_per_s"]["mean"] / rows["native PyTorch (eager loop)"]["images_per_s"]["mean"]
            )
    assert rows["keraslab path (tensorflow)"]["precision"] == fast.resolve_precision_for("tensorflow")
    assert run.metrics["matmul_gflops"]["numpy"] > 0
    header = proc.stdout.splitlines()[
        [i for i, l in enumerate(proc.stdout.splitlines()) if l.startswith("contestant")][0]
    ]
    for col in ("images/s", "vs PyTorch", "first epoch", "peak MB", "of matmul peak", "accuracy"):
        assert col in header


def test_flops_per_image_matches_the_layer_arithmetic():
    # conv1 26*26*32*9, conv2 11*11*64*(9*32), conv3 3*3*64*(9*64), dense 576*64 + 64*10 multiply-adds
    assert simple_cnn_train_flops_per_image() == pytest.approx(6 * 2_794_240)


def test_speedrun_quick_is_well_formed(tmp_path):
    proc = run_cli("run", "speedrun", "--profile", "quick", "--out", tmp_path / "runs", "--no-plots", timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    m = RunStore(tmp_path / "runs").latest("speedrun").metrics
    assert m["median_train_time_s"] > 0 and 0 <= m["median_test_accuracy"] <= 1
    assert m["reached_target"] == (m["median_test_accuracy"] >= m["target"])
    assert len(m["per_seed"]) == 1
