"""Fault injection with real child processes (in the style of PyTorch Lightning's interrupted-training
tests): kill, interrupt and poison runs at chosen points; nothing finished may be lost or faked."""

import errno
import json
import os
import shutil
import signal
import subprocess

import pytest

from conftest import REPO, built_once, run_cli
from keraslab import cli, suite, store as store_mod
from keraslab.store import RunStore

TINY_CALLBACKS = {
    "arms": ["no_callbacks"],
    "epochs": 2,
    "schedule_epochs": 6,
    "schedule_step": 2,
    "seeds": [0],
    "deterministic": True,
}
TINY_SEQUENTIAL = {
    "moons_samples": 100,
    "epochs": 3,
    "optimizer_epochs": 2,
    "optimizers": ["adam", "sgd"],
    "grid_steps": 10,
    "tune_trials": 0,  # the learning-rate search has its own tests
    "seeds": [0],
    "deterministic": True,
}


def _run_tiny(experiment: str, config: dict):
    """A builder for :func:`conftest.built_once`: the experiment on ``config`` into ``folder/runs``."""

    def build(folder):
        cfg = write(folder, "config.json", config)
        proc = run_cli("run", experiment, "--profile", "quick", "--config", cfg, "--out", folder / "runs", "--no-plots")
        assert proc.returncode == 0, proc.stderr[-2000:]

    return build


@pytest.fixture(scope="session")
def tiny_callbacks_store(tmp_path_factory, worker_id):
    """One uninterrupted TINY_CALLBACKS run in its own child process (read-only: copy to change)."""
    return built_once(tmp_path_factory, worker_id, "tiny-callbacks", _run_tiny("callbacks", TINY_CALLBACKS)) / "runs"


@pytest.fixture(scope="session")
def tiny_sequential_store(tmp_path_factory, worker_id):
    """One uninterrupted TINY_SEQUENTIAL run in its own child process (read-only: copy to change)."""
    return built_once(tmp_path_factory, worker_id, "tiny-sequential", _run_tiny("sequential", TINY_SEQUENTIAL)) / "runs"


def write(tmp_path, name, obj):
    f = tmp_path / name
    f.write_text(json.dumps(obj))
    return f


def finished(root, exp):
    d = root / exp
    return sorted(p for p in d.iterdir() if not p.name.startswith(".")) if d.exists() else []


def partials(root, exp):
    d = root / exp
    return sorted(d.glob(".partial-*")) if d.exists() else []


def test_sigkill_mid_epoch_then_resume_matches_an_uninterrupted_run(tmp_path, tiny_callbacks_store):
    cfg = write(tmp_path, "cb.json", TINY_CALLBACKS)
    out = tmp_path / "runs"
    killed = run_cli(
        "run",
        "callbacks",
        "--profile",
        "quick",
        "--config",
        cfg,
        "--out",
        out,
        "--no-plots",
        env={"KERASLAB_FAULT": "kill@3.5:schedule"},
    )
    assert killed.returncode == -signal.SIGKILL
    assert finished(out, "callbacks") == []
    (partial,) = partials(out, "callbacks")
    assert (partial / "schedule_run" / "best_model.keras").exists()
    best_before = json.loads((partial / "schedule_run" / "best_model.keras.best.json").read_text())
    resumed = run_cli("run", "callbacks", "--profile", "quick", "--config", cfg, "--out", out, "--no-plots")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming the unfinished run" in resumed.stdout
    (run_dir,) = finished(out, "callbacks")
    got = json.loads((run_dir / "metrics.json").read_text())["schedule"]
    want = json.loads((finished(tiny_callbacks_store, "callbacks")[0] / "metrics.json").read_text())["schedule"]
    assert got["epochs"] == want["epochs"] == 6
    assert got["final_weights_sha"] == want["final_weights_sha"]  # bit-identical final weights
    assert got["best_epoch"] == want["best_epoch"] and got["best_val_accuracy"] == want["best_val_accuracy"]
    best_after = json.loads((run_dir / "schedule_run" / "best_model.keras.best.json").read_text())
    assert best_after["best"] >= best_before["best"]  # the best checkpoint was never replaced by a worse one
    hist = json.loads((run_dir / "history.json").read_text())["schedule"]["0"]
    assert len(hist["loss"]) == 6 and hist["lr"] == pytest.approx([0.001, 0.001, 0.0005, 0.0005, 0.00025, 0.00025])


@pytest.mark.slow
def test_sigkill_while_writing_a_result_leaves_no_half_run(tmp_path, tiny_sequential_store):
    cfg = write(tmp_path, "seq.json", TINY_SEQUENTIAL)
    out = tmp_path / "runs"
    shutil.copytree(tiny_sequential_store, out)  # one finished run
    killed = run_cli(
        "run",
        "sequential",
        "--profile",
        "quick",
        "--config",
        cfg,
        "--out",
        out,
        "--no-plots",
        env={"KERASLAB_FAULT": "kill@commit"},
    )
    assert killed.returncode == -signal.SIGKILL
    assert len(finished(out, "sequential")) == 1 and len(partials(out, "sequential")) == 1
    store = RunStore(out)
    assert store.latest("sequential").path == finished(out, "sequential")[0]
    md = suite.build_report(out)[0].read_text()
    assert "did not finish (killed or crashed)" in md


def test_nan_loss_stops_the_run_and_is_stored_as_failed(tmp_path):
    cfg = write(tmp_path, "cb.json", TINY_CALLBACKS)
    out = tmp_path / "runs"
    proc = run_cli(
        "run",
        "callbacks",
        "--profile",
        "quick",
        "--config",
        cfg,
        "--out",
        out,
        "--no-plots",
        env={"KERASLAB_FAULT": "nan@1:no_callbacks"},
    )
    assert proc.returncode == 1
    lines = [l for l in proc.stderr.splitlines() if l.startswith("keraslab: error")]
    assert len(lines) == 1 and "NaN" in lines[0] and "Traceback" not in proc.stderr
    store = RunStore(out)
    assert store.latest("callbacks") is None
    (failed,) = store.runs("callbacks", include_failed=True)
    assert failed.status == "failed" and "NaN" in failed.metrics["error"]
    md = suite.build_report(out)[0].read_text()
    assert "## Callbacks" not in md and "run failed" in md


def test_ctrl_c_keeps_earlier_runs_and_says_one_line(tmp_path, tiny_callbacks_store):
    cfg = write(tmp_path, "cb.json", TINY_CALLBACKS)
    out = tmp_path / "runs"
    shutil.copytree(tiny_callbacks_store, out)  # an earlier run
    before = finished(out, "callbacks")
    proc = run_cli(
        "run",
        "callbacks",
        "--profile",
        "quick",
        "--config",
        cfg,
        "--out",
        out,
        "--no-plots",
        "--fresh",
        env={"KERASLAB_FAULT": "int@1.2:no_callbacks"},
    )
    assert proc.returncode == 130, proc.stderr[-2000:]
    assert "interrupted" in proc.stderr and "Traceback" not in proc.stderr
    assert finished(out, "callbacks") == before
    assert RunStore(out).latest("callbacks").path == before[0]


def test_full_disk_while_writing_results(tmp_path, monkeypatch, capsys, tiny_sequential_store):
    out = tmp_path / "runs"
    shutil.copytree(tiny_sequential_store, out)  # an earlier run
    cfg = write(tmp_path, "seq.json", TINY_SEQUENTIAL)
    args = ["run", "sequential", "--profile", "quick", "--config", str(cfg), "--out", str(out), "--no-plots"]
    before = finished(out, "sequential")
    real = store_mod.atomic_write_bytes

    def full_disk(path, data):
        if str(path).endswith("metrics.json"):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(store_mod, "atomic_write_bytes", full_disk)
    capsys.readouterr()
    assert cli.main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0]
    assert finished(out, "sequential") == before  # nothing half-written looks finished
    assert len(partials(out, "sequential")) == 1  # kept: sequential is resumable (its tuner searches)
    monkeypatch.setattr(store_mod, "atomic_write_bytes", real)  # the disk has room again
    assert cli.main(args) == 0  # the same command resumes and finishes
    assert len(finished(out, "sequential")) == 2 and partials(out, "sequential") == []


def test_same_seed_repeats_exactly(tmp_path, tiny_sequential_store):
    """Two processes, the same config and seed: the same metrics and histories."""
    cfg = write(tmp_path, "seq.json", TINY_SEQUENTIAL)
    proc = run_cli("run", "sequential", "--profile", "quick", "--config", cfg, "--out", tmp_path / "b", "--no-plots")
    assert proc.returncode == 0, proc.stderr[-1500:]
    a, b = RunStore(tiny_sequential_store).latest("sequential"), RunStore(tmp_path / "b").latest("sequential")
    assert a.metrics == b.metrics and a.history == b.history
    assert a.config["deterministic"] is True


@pytest.mark.slow
@pytest.mark.integration
def test_two_processes_on_one_store_never_share_a_run(tmp_path, tiny_callbacks_store):
    """Two `keraslab run callbacks` on one store, the second started while the first is mid-run
    (held with SIGSTOP, so the meeting is certain): the second stops with one clear exit-2 line
    naming the live run; the first finishes, every stored JSON parses, and its history is that of
    a lone run with the same seed (the shared tiny run). Tests of the lock itself, and the store's
    state machine, are in test_store_owners.py."""
    import sys
    import time

    store = tmp_path / "runs"
    cfg = write(tmp_path, "cb.json", TINY_CALLBACKS)
    args = [
        sys.executable,
        "-m",
        "keraslab",
        "run",
        "callbacks",
        "--profile",
        "quick",
        "--config",
        str(cfg),
        "--out",
        str(store),
        "--no-plots",
        "--quiet",
    ]
    first = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.poll() is None:
        if list((store / "callbacks").glob(".partial-*/.owner.json")):
            break
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGSTOP)  # hold the first mid-run: the second must meet its live run
    try:
        assert first.poll() is None, "the first run ended before it could be held"
        second = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err[-2000:]
    assert second.returncode == 2, second.stderr[-2000:]
    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "is in progress" in lines[0] and f"pid {first.pid}" in lines[0], second.stderr
    (run,) = finished(store, "callbacks")
    for name in ("config.json", "metrics.json", "history.json", "provenance.json"):
        json.loads((run / name).read_text())
    assert partials(store, "callbacks") == []
    assert learned(run) == learned(finished(tiny_callbacks_store, "callbacks")[0])


def learned(run):
    """A run's stored history without its wall-clock timings (which differ from run to run)."""
    history = json.loads((run / "history.json").read_text())
    return {
        arm: {seed: {k: v for k, v in h.items() if "time" not in k} for seed, h in seeds.items()}
        for arm, seeds in history.items()
    }
