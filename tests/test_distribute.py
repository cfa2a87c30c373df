"""Distribution on real engines, tested on this CPU with simulated devices, each in its own process."""

import json
import shutil

import pytest

from conftest import built_once, run_cli
from keraslab import backend
from keraslab.store import RunStore

pytestmark = pytest.mark.integration  # every test here trains on (simulated) devices or processes

TINY = {
    "models": ["simple_cnn"],
    "epochs": 2,
    "n_train": 4000,
    "n_test": 1000,
    "validation_fraction": 0.0,
    "batch_size": 128,
}


@pytest.mark.parametrize("n", [256, 257, 300])
def test_process_shards_split_every_global_batch_evenly(n):
    """JAX across processes: each process feeds rows index::count of every global batch; together
    they are the single-process batches (a last batch too small to share is dropped)."""
    import numpy as np

    from keraslab.resumable import EpochShuffled

    x = np.arange(n)
    whole = EpochShuffled(x, x, 128, seed=3)
    parts = [EpochShuffled(x, x, 128, seed=3, shard=(i, 2)) for i in range(2)]
    assert len(parts[0]) == len(parts[1]) == (2 if n == 257 else len(whole))
    for b in range(len(parts[0])):
        a, c = parts[0][b][0], parts[1][b][0]
        assert len(a) == len(c) and not set(a) & set(c)
        assert set(a) | set(c) <= set(whole[b][0]) and len(whole[b][0]) - len(a) - len(c) < 2


def cnn_run(tmp_path, name, *extra, env=None, replicas=1):
    """The same training; with N replicas the per-replica batch is 128/N, so the global batch and the
    number of steps stay those of the single-device run."""
    cfg = tmp_path / "cnn.json"
    cfg.write_text(json.dumps({**TINY, "batch_size": TINY["batch_size"] // replicas}))
    out = tmp_path / name
    proc = run_cli(
        "run", "cnn", "--profile", "quick", "--config", cfg, "--out", out, "--no-plots", *extra, env=env, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return RunStore(out).latest("cnn")


@pytest.fixture(scope="session")
def single(tmp_path_factory, worker_id):
    """The undistributed run every distributed one is compared with (once per session)."""
    folder = built_once(tmp_path_factory, worker_id, "single-cnn", lambda f: cnn_run(f, "runs"))
    return RunStore(folder / "runs").latest("cnn")


def learned(history):
    """The per-epoch losses and metrics of every series, without the timings."""
    return {
        (arm, seed): {k: v for k, v in h.items() if "time" not in k}
        for arm, per_seed in history.items()
        for seed, h in per_seed.items()
    }


def accuracy(run):
    return run.metrics["arms"]["simple_cnn"]["test_accuracy"]["mean"]


@pytest.mark.slow
def test_mirrored_strategy_on_two_logical_cpus(tmp_path, single):
    run = cnn_run(tmp_path, "runs", "--backend", "tensorflow", "--distribute", "mirrored", "--devices", "2", replicas=2)
    d = run.provenance
    assert d["distribute"] == "mirrored" and d["replicas"] == 2 and len(d["devices"]) == 2
    assert run.metrics["settings"]["batch_size"] == 2 * run.metrics["settings"]["batch_size_per_replica"]
    assert accuracy(single) > 0.85 and abs(accuracy(run) - accuracy(single)) < 0.03, (accuracy(run), accuracy(single))


@pytest.mark.slow
@pytest.mark.skipif(not backend.is_installed("jax"), reason="jax not installed")
def test_jax_data_parallel_on_two_host_devices(tmp_path, single):
    run = cnn_run(
        tmp_path,
        "runs",
        "--backend",
        "jax",
        "--distribute",
        "data-parallel",
        "--devices",
        "2",
        env={"KERAS_BACKEND": ""},
        replicas=2,
    )
    d = run.provenance
    assert run.provenance["backend"] == "jax" and d["replicas"] == 2 and len(d["devices"]) == 2
    assert accuracy(single) > 0.85 and abs(accuracy(run) - accuracy(single)) < 0.03, (accuracy(run), accuracy(single))


@pytest.mark.slow
@pytest.mark.parametrize("engine", [("tensorflow", "multi-worker"), ("jax", "data-parallel")], ids=["tf", "jax"])
def test_two_worker_processes_on_loopback_resume_only_what_every_worker_saved(tmp_path, engine, single):
    """Two worker processes on 127.0.0.1 (TensorFlow's MultiWorkerMirroredStrategy; Keras'
    DataParallel across JAX processes, Gloo on CPU), killed and resumed: killed in epoch 2 → both
    workers resume after epoch 1; killed in epoch 2 again and worker 1's backup lost → they
    disagree, so both train that model again from its first epoch. That last, whole run is then
    checked like any two-worker run: two replicas, one per process, in lockstep, and the accuracy
    of the undistributed run (the same global batch of 128)."""
    name, mode = engine
    if not backend.is_installed(name):
        pytest.skip(f"{name} not installed")
    cfg = tmp_path / "cnn.json"
    cfg.write_text(json.dumps({**TINY, "batch_size": TINY["batch_size"] // 2}))  # per replica
    out = tmp_path / "runs"

    def launch(fault=None):
        return run_cli(
            "run",
            "cnn",
            "--profile",
            "quick",
            "--config",
            cfg,
            "--out",
            out,
            "--no-plots",
            "--backend",
            name,
            "--distribute",
            mode,
            "--workers",
            "2",
            env={"KERAS_BACKEND": "", **({"KERASLAB_FAULT": fault} if fault else {})},
            timeout=900,
        )

    killed = launch("kill@1.3")
    assert killed.returncode == 2 and "multi-worker training failed" in killed.stderr, killed.stderr[-2000:]
    again = launch("kill@1.20")
    assert again.returncode == 2, again.stderr[-2000:]
    assert again.stdout.count("resuming after 1 completed epoch") == 2, again.stdout  # both workers
    (backup,) = (out / ".workers" / "worker1" / "cnn").glob(".partial-*/simple_cnn-seed0/backup")
    shutil.rmtree(backup)
    last = launch()
    assert last.returncode == 0, last.stderr[-3000:]
    assert last.stdout.count("the workers stopped after different epochs") == 2, last.stdout
    run = RunStore(out).latest("cnn")
    assert run.metrics["arms"]["simple_cnn"]["epochs"] == TINY["epochs"]
    d = run.provenance
    assert d["backend"] == name and d["distribute"] == mode and d["workers"] == 2 and d["replicas"] == 2
    assert run.metrics["settings"]["batch_size"] == TINY["batch_size"]  # the global batch
    assert accuracy(single) > 0.85 and abs(accuracy(run) - accuracy(single)) < 0.03, (accuracy(run), accuracy(single))
    # worker 1 kept its own store; the two replicas trained one model in lockstep, so they agree exactly
    other = RunStore(out / ".workers" / "worker1").latest("cnn")
    assert accuracy(other) == accuracy(run) and learned(other.history) == learned(run.history)
    if name == "tensorflow":
        assert d["task"] == {"type": "worker", "index": 0} and len(d["keras_workarounds"]) == 3
        assert other.provenance["task"] == {"type": "worker", "index": 1}
        assert {dev.split("/task:")[1].split("/")[0] for dev in d["devices"]} == {"0", "1"}  # one per worker
        report = run_cli("report", "--out", out)
        assert report.returncode == 0, report.stderr[-2000:]
        text = (out / "REPORT.md").read_text()  # written inside the store
        assert "Trained with `--distribute multi-worker`: 2 replicas on 2 worker processes" in text
    else:
        assert d["task"] == {"type": "process", "index": 0}
        assert other.provenance["task"] == {"type": "process", "index": 1}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--backend", "jax", "--distribute", "mirrored"], "runs on the tensorflow backend"),
        (["--backend", "tensorflow", "--distribute", "data-parallel"], "runs on the jax backend"),
        (["--distribute", "multi-worker", "--workers", "99"], "--workers must be between 2 and 8"),
        (["--distribute", "sideways"], "invalid choice: 'sideways'"),
        (["--workers", "2"], "--workers needs --distribute multi-worker (TensorFlow) or data-parallel (JAX)"),
        (
            ["--backend", "jax", "--distribute", "data-parallel", "--workers", "2", "--devices", "2"],
            "--devices and --workers do not combine",
        ),
        (["--backend", "jax", "--distribute", "data-parallel", "--workers", "1"], "--workers must be between 2 and 8"),
        (["--devices", "2"], "--devices needs --distribute mirrored (TensorFlow) or data-parallel (JAX)"),
        (
            ["--distribute", "multi-worker", "--workers", "2", "--devices", "2"],
            "--devices does not apply to multi-worker",
        ),
    ],
)
def test_wrong_combinations_are_one_clear_error(args, message):
    if "jax" in args and not backend.is_installed("jax"):
        pytest.skip("jax not installed")
    proc = run_cli("run", "cnn", "--profile", "quick", *args, env={"KERAS_BACKEND": ""})
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    "config, args, message",
    [
        ({"distribute": "mirrored"}, ["--backend", "jax"], "runs on the tensorflow backend"),
        ({"distribute": "data-parallel"}, ["--backend", "tensorflow"], "runs on the jax backend"),
        ({"devices": 2}, [], "--devices needs --distribute mirrored (TensorFlow) or data-parallel (JAX)"),
        ({"distribute": "multi-worker"}, [], "--workers must be between 2 and 8 for multi-worker training"),
        ({"distribute": "multi-worker", "devices": 2}, ["--workers", "2"], "--devices does not apply to multi-worker"),
    ],
)
def test_a_config_file_that_sets_distribute_gets_the_checks_of_the_flag(tmp_path, config, args, message):
    """One source of truth: the flags are merged into the config once and the merged config is
    checked, so a value from --config is checked exactly as the same value from the flag."""
    if "jax" in args and not backend.is_installed("jax"):
        pytest.skip("jax not installed")
    path = tmp_path / "cnn.json"
    path.write_text(json.dumps(config))
    proc = run_cli("run", "cnn", "--profile", "quick", "--config", path, *args, env={"KERAS_BACKEND": ""})
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_distribution_applies_to_cnn_only():
    proc = run_cli("run", "sequential", "--distribute", "mirrored")
    assert proc.returncode == 2 and "apply to the cnn experiment" in proc.stderr
