"""The performance harness and the speedrun: shape of what they store (speed is measured, never asserted)."""

from types import SimpleNamespace as ns

import pytest

from conftest import run_cli
from keraslab import backend, cpu, fast, harness
from keraslab.experiments.bench import simple_cnn_train_flops_per_image
from keraslab.results import Summary
from keraslab.store import RunStore


@pytest.mark.slow
def test_bench_quick_stores_and_prints_the_table(tmp_path):
    proc = run_cli("bench", "--quick", "--out", tmp_path / "runs", timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = RunStore(tmp_path / "runs").latest("bench")
    arms = run.metrics["arms"]
    expected = {"plain fit, tensorflow", "keraslab path (tensorflow)"}  # quick: no other backends
    if backend.is_installed("torch"):
        expected |= {
            "native PyTorch, eager NCHW",
            "native PyTorch, eager, channels_last",
            "native PyTorch, torch.compile, channels_last",
        }
        if fast.cpu_has_bf16():  # PyTorch's own bf16 only where the CPU computes it natively
            expected.add("native PyTorch, bf16 autocast, channels_last")
    assert set(arms) == expected
    ref = arms.get("native PyTorch, eager NCHW")
    for label, r in arms.items():
        ips = r["images_per_s"]
        assert ips["min"] <= ips["median"] <= ips["max"] and ips["min"] > 0
        assert r["first_epoch_time"]["median"] > 0 and r["peak_rss_mb"] > 0
        assert 0 < r["fraction_of_matmul_peak"] < 1
        assert 0 <= r["test_accuracy"]["median"] <= 1
        if ref:
            assert r["speedup"] == pytest.approx(ips["median"] / ref["images_per_s"]["median"])
    ours = arms["keraslab path (tensorflow)"]
    assert ours["precision"] == fast.resolve_precision_for("tensorflow")
    assert ours["steps_per_execution"] == harness.steps_per_execution("tensorflow", run.config["n_train"])
    assert arms["plain fit, tensorflow"]["steps_per_execution"] == 1  # the guide's plain fit, as written
    if ref:  # the headline compares like with like: the fastest PyTorch of the same precision class
        h = run.metrics["headline"]
        same = [
            k
            for k, r in arms.items()
            if r["ran_on"] == "native-torch"
            and ("bfloat16" in r["precision"]) == ("bfloat16" in arms["keraslab path (tensorflow)"]["precision"])
        ]
        assert h["versus"] == max(same, key=lambda k: arms[k]["images_per_s"]["median"])
        assert h["min"] <= h["median"] <= h["max"]
        assert h["verdict"].startswith("tie") == (h["min"] <= 1.0 <= h["max"])
        assert "progress" not in proc.stdout.lower() or "[native PyTorch" in proc.stdout  # child lines streamed
    assert run.metrics["matmul_gflops"]["numpy"] > 0
    lines = proc.stdout.splitlines()
    header = next(l for l in lines if l.startswith("arm "))
    for col in ("precision", "images/s", "range", "vs PyTorch", "first epoch", "peak MB", "of matmul peak", "accuracy"):
        assert col in header
    # every contestant's epochs arrive in the parent's output, prefixed with its name
    for label in arms:
        assert any(l.strip().startswith(f"[{label}") and "epoch 2/2" in l for l in lines), label


def test_best_torch_ratio_compares_within_a_precision_class_and_calls_ties():
    from keraslab.experiments.bench import KERASLAB, best_torch_ratio

    def arm(precision, values, ran_on="native-torch"):
        return ns(precision=precision, ran_on=ran_on, images_per_s=Summary.of(values, spread=True))

    arms = {
        KERASLAB: arm("mixed_bfloat16", [100, 120, 90], ran_on="tensorflow"),
        "torch fp32": arm("float32", [200, 200, 200]),  # faster, but another precision class: not the peer
        "torch bf16": arm("mixed_bfloat16", [95, 100, 110]),
    }
    h = best_torch_ratio(arms)
    assert h.versus == "torch bf16" and h.ratios == pytest.approx([100 / 95, 1.2, 90 / 110])
    assert h.verdict.startswith("tie")
    arms["torch bf16"] = arm("mixed_bfloat16", [50, 50, 50])
    assert best_torch_ratio(arms).verdict == "faster"


def test_flops_per_image_matches_the_layer_arithmetic():
    # conv1 26*26*32*9, conv2 11*11*64*(9*32), conv3 3*3*64*(9*64), dense 576*64 + 64*10 multiply-adds
    assert simple_cnn_train_flops_per_image() == pytest.approx(6 * 2_794_240)


@pytest.mark.slow
def test_speedrun_quick_is_well_formed(tmp_path):
    proc = run_cli("run", "speedrun", "--profile", "quick", "--out", tmp_path / "runs", "--no-plots", timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    m = RunStore(tmp_path / "runs").latest("speedrun").metrics
    assert m["median_train_time"] > 0 and 0 <= m["median_test_accuracy"] <= 1
    assert m["reached_target"] == (m["median_test_accuracy"] >= m["target"])
    assert len(m["per_seed"]) == 1 and m["n_val"] == 5000 and m["n_train"] == 8000  # quick: a subset
    assert 0 <= m["per_seed"][0]["val_accuracy"] <= 1  # the recipe is judged on validation, not test
    if backend.is_installed("torch"):
        twin = m["torch_twin"]
        assert twin["channels_last"] and len(twin["per_seed"]) == 1
        assert ("bfloat16" in twin["precision"]) == ("bfloat16" in m["precision"])  # same precision class
        assert m["recipe"]["fused_adam"] and twin["fused_adam"]  # Adam fused on both sides
        assert m["speedup"] == pytest.approx(twin["median_train_time"] / m["median_train_time"])


@pytest.mark.integration
def test_a_paced_contestant_that_fails_says_why_and_ends():
    """The speedrun's twin runs a seed at a time in its own process; when that process dies, the
    caller gets its last line in the error, not a hang."""
    from keraslab.contestant import Paced

    with Paced({"task": "speedrun", "framework": "torch"}, name="broken twin", timeout=120) as twin:
        with pytest.raises(RuntimeError, match=r"broken twin contestant process failed \(exit 1\): KeyError"):
            twin.run(0)
    assert twin.proc.poll() == 1


def test_speedrun_keras_net_is_the_torch_twin():
    """The same network on both sides: layer for layer, 215,194 parameters."""
    torch = pytest.importorskip("torch")
    from keraslab.experiments.speedrun import build_model
    from keraslab.models.torch_models import SpeedrunCNN

    twin = SpeedrunCNN()
    assert build_model().count_params() == sum(p.numel() for p in twin.parameters()) == 215_194
    assert twin(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_steps_per_execution_follow_the_backend_and_the_data_size():
    from keraslab.harness import steps_per_execution

    assert steps_per_execution("tensorflow", 60_000) == steps_per_execution("jax", 2_048) == 16  # MNIST-sized
    assert steps_per_execution("tensorflow", 1_078) == steps_per_execution("jax", 90) == 64  # a small epoch whole
    assert steps_per_execution("torch", 60_000) == steps_per_execution("torch", 90) == 1  # one step per call


@pytest.mark.parametrize("keras_arrays", [False, True])
def test_fit_fast_feeds_every_batch_once_per_epoch_by_either_input(keras_arrays):
    """keraslab's path (its own gathered batches, or Keras' pipeline for arrays as the bench's
    variant): the same number of steps, every epoch, and a model that learns."""
    import keras
    import numpy as np

    from keraslab.fast import fit_fast
    from keraslab.models.cnn import build_simple_cnn

    rng = np.random.default_rng(0)
    x = rng.random((300, 28, 28, 1), dtype=np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("int32")  # learnable from the pixels
    keras.utils.set_random_seed(0)
    model = build_simple_cnn()
    h = fit_fast(model, x, y, epochs=2, batch_size=128, seed=0, keras_arrays=keras_arrays, validation_data=(x, y))
    assert int(model.optimizer.iterations) == 2 * 3  # ceil(300 / 128) batches per epoch
    assert len(h.history["val_loss"]) == 2 and all(np.isfinite(h.history["loss"]))
    with pytest.raises(TypeError, match="unknown option"):
        fit_fast(model, x, y, epochs=1, batch_size=128, tf_data=True)


def test_on_the_avx2_kind_the_variants_leave_out_bfloat16_on_tensorflow_only(monkeypatch, tmp_path):
    """bfloat16 cannot train on TensorFlow with oneDNN on the AVX2 kind (keraslab.fast.bf16_refusal):
    `bench --variants` leaves that variant out there, and keeps JAX's and PyTorch's, which emulate it."""
    from keraslab.experiments import bench

    monkeypatch.delenv(cpu.EMULATE_ENV, raising=False)
    info = tmp_path / "cpuinfo"
    info.write_text("flags\t\t: fpu sse avx avx2 fma\n")
    monkeypatch.setattr(cpu, "CPUINFO", info)
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    _, once = bench.arms(bench.Config.for_profile("quick", variants=True))
    names = [name for name, _ in once]
    assert "variant bf16, XLA" not in names and "variant float32, XLA" in names
    assert ("variant jax, bf16" in names) is backend.is_installed("jax")


@pytest.mark.parametrize("flags, native", [("fpu avx512f avx512_bf16 amx_bf16", True), ("fpu avx512f avx512bw", False)])
def test_both_cpu_kinds_choose_their_precision_and_their_peers(monkeypatch, tmp_path, flags, native):
    """With native bf16 the path and its PyTorch peer are bfloat16; without, both stay float32 and
    PyTorch's emulated bf16 is not offered as the strongest peer."""
    from pathlib import Path

    from keraslab.experiments import bench

    monkeypatch.delenv(cpu.EMULATE_ENV, raising=False)  # the stand-in flags decide, whatever the environment
    real_read = Path.read_text
    monkeypatch.setattr(
        Path,
        "read_text",
        lambda p, *a, **k: f"flags\t\t: {flags}\n" if str(p) == "/proc/cpuinfo" else real_read(p, *a, **k),
    )
    assert fast.cpu_has_bf16() is native
    assert fast.resolve_precision_for("tensorflow") == ("mixed_bfloat16" if native else "float32")
    assert fast.resolve_precision_for("jax") == "float32"  # bf16 by default only on TensorFlow
    headline, _ = bench.arms(bench.Config.for_profile("quick"))
    names = [name for name, _ in headline]
    assert bench.KERASLAB in names and "plain fit, tensorflow" in names
    if backend.is_installed("torch"):
        assert ("native PyTorch, bf16 autocast, channels_last" in names) is native


def test_bench_flags_choose_the_profile_and_the_extra_arms():
    """`keraslab bench` times plain fit on JAX and PyTorch only with --other-backends (run compare
    times every backend); --variants and --quick as before."""
    from keraslab import cli

    parse = cli.build_parser().parse_args
    plain = cli.bench_config(parse(["bench"]))
    assert plain.profile == "standard" and not plain.other_backends and not plain.variants
    asked = cli.bench_config(parse(["bench", "--other-backends", "--variants"]))
    assert asked.other_backends and asked.variants and asked.n_train == plain.n_train
    quick = cli.bench_config(parse(["bench", "--quick"]))
    assert quick.n_train == 2048 and quick.rounds == 1 and not quick.other_backends
