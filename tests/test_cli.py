"""The command line: bad input is one line and exit 2; the backend asked for is the one stored."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import run_cli
from keraslab import backend, compat


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "nosuch", "--profile", "quick"], "unknown experiment 'nosuch'"),
        (["run", "sequential", "--profile", "huge"], "unknown profile 'huge'"),
        (["run", "sequential", "--profile", "quick", "--seeds", "0"], "--seeds must be at least 1"),
        (["run", "sequential", "--profile", "quick", "--seeds", "x"], "invalid int value"),
        (["run", "sequential", "--backend", "theano"], "unknown backend 'theano'"),
        (["run", "--frobnicate"], "unrecognized arguments"),
        (["report", "--out", "/nonexistent/keraslab-store"], "no run store at"),
        (["run", "sequential", "--out", ""], "--out is empty"),
        (["run", "sequential", "--backend", ""], "--backend is empty"),
        (["report", "--out", " "], "--out is empty"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.startswith("keraslab:")]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_config_files(tmp_path, capsys):
    cases = {
        "bad.json": "{oops",
        "neg.json": json.dumps({"epochs": -3}),
        "unk.json": json.dumps({"epochz": 1}),
        "type.json": json.dumps({"batch_size": "big"}),
    }
    expect = {
        "bad.json": "not valid JSON",
        "neg.json": "'epochs': -3 is below the minimum 1",
        "unk.json": "unknown config field 'epochz'",
        "type.json": "'batch_size': expected an integer",
    }
    from keraslab import cli

    for name, text in cases.items():  # in-process: the check happens before anything trains
        f = tmp_path / name
        f.write_text(text)
        assert (
            cli.main(["run", "sequential", "--profile", "quick", "--config", str(f), "--out", str(tmp_path / "runs")])
            == 2
        )
        err = capsys.readouterr().err
        assert expect[name] in err and "Traceback" not in err, err
    assert not (tmp_path / "runs" / "sequential").exists()  # nothing half-written


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_cli("run", "sequential", "--profile", "quick", "--out", blocker / "runs")
    assert proc.returncode == 2 and "not writable" in proc.stderr and "Traceback" not in proc.stderr


def test_list_names_experiments_profiles_backends():
    proc = run_cli("list")
    assert proc.returncode == 0
    for word in ("sequential", "quick", "standard", "full", "tensorflow", "jax", "torch"):
        assert word in proc.stdout


def test_missing_backend_package_names_the_extra(monkeypatch):
    monkeypatch.setattr(backend.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(backend.KeraslabError, match=r"keraslab\[jax\]"):
        backend.check("jax")


def test_a_lazy_module_is_available_only_once_loaded(monkeypatch):
    """What keeps TensorFlow out of JAX and PyTorch processes: Keras' lazy module reports the
    package available only once something else has imported it, and imports nothing itself."""
    from keras.src.utils.module_utils import LazyModule

    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    lazy = LazyModule("colorsys")
    lazy.__class__ = compat._loaded_only(LazyModule)
    assert lazy.available is False and "colorsys" not in sys.modules
    import colorsys

    assert lazy.available is True and lazy.module is colorsys and lazy.hls_to_rgb is colorsys.hls_to_rgb


def test_the_default_backend_is_tensorflow_and_stored(quick_store, quick_store_output):
    """The quick store's `keraslab run all` ran on TensorFlow (KERAS_BACKEND, as conftest sets it):
    it says so, and every stored run names it in its folder and provenance. The other backends,
    asked for with --backend, are checked below."""
    assert "Keras backend: tensorflow" in quick_store_output[0]
    for run_dir in quick_store.glob("*/*-*"):
        assert "-tensorflow-" in run_dir.name
        assert json.loads((run_dir / "provenance.json").read_text())["backend"] == "tensorflow"


#: runs the CLI in a child process and reports whether TensorFlow was ever loaded there
CLI_THEN_MODULES = """
import sys
from keraslab import cli
code = cli.main(sys.argv[1:])
print("tensorflow loaded:", "tensorflow" in sys.modules)
sys.exit(code)
"""


@pytest.mark.parametrize("name", ["jax", "torch"])
def test_other_backends_are_stored_and_never_load_tensorflow(tmp_path, name):
    """`--backend jax|torch`: the run says and stores that backend, and the process never loads
    TensorFlow, though it seeds, trains and saves a model (Keras would import it for those)."""
    if not backend.is_installed(name):
        pytest.skip(f"{name} not installed")
    cfg = tmp_path / "tiny.json"
    cfg.write_text(json.dumps({"models": ["simple_cnn"], "epochs": 1, "n_train": 256, "n_test": 100}))
    args = ["run", "cnn", "--profile", "quick", "--backend", name, "--config", cfg, "--out", tmp_path / "runs"]
    proc = subprocess.run(
        [sys.executable, "-c", CLI_THEN_MODULES, *map(str, args), "--no-plots"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "KERAS_BACKEND": ""},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"Keras backend: {name}" in proc.stdout
    (run_dir,) = (tmp_path / "runs" / "cnn").iterdir()
    assert json.loads((run_dir / "provenance.json").read_text())["backend"] == name
    assert f"-{name}-" in run_dir.name and list(run_dir.glob("*/simple_cnn.keras"))  # a model was saved
    assert "tensorflow loaded: False" in proc.stdout and "oneDNN" not in proc.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "sequential", "--out", ""], "--out is empty"),
        (["run", "sequential", "--backend", ""], "--backend is empty"),
        (["bench", "--out", ""], "--out is empty"),
    ],
)
def test_empty_values_are_refused_in_process(args, message, capsys):
    """The same check without a child process (unit tier): nothing starts, one line, exit 2."""
    from keraslab import cli

    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_data_says_so_when_the_cache_cannot_be_written(monkeypatch, capsys, tmp_path):
    """With KERASLAB_DATA_DIR unwritable, `keraslab data` must not claim a cache file that does not exist."""
    import numpy as np

    from keraslab import cli, data

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("KERASLAB_DATA_DIR", str(blocker / "mnist"))
    arrays = (
        (np.zeros((60000, 28, 28), "uint8"), np.zeros(60000, "uint8")),
        (np.zeros((10000, 28, 28), "uint8"), np.zeros(10000, "uint8")),
    )
    monkeypatch.setattr(data, "load_mnist", lambda: arrays)
    assert cli.main(["data"]) == 0
    out = capsys.readouterr().out
    assert "not cached" in out and "verified, cached at" not in out


@pytest.mark.integration
def test_progress_is_a_line_per_epoch_and_quiet_prints_none(quick_store, quick_store_output, tmp_path):
    """Piped to a file (not a terminal): one line per epoch of every model; --quiet: summary lines only."""
    stdout, stderr = quick_store_output  # `keraslab run all --profile quick`, piped
    lines = [l.strip() for l in stdout.splitlines()]
    for epoch in range(1, 9):  # the sequential experiment's moons MLP: 8 epochs, each its own line
        assert sum(l.startswith("moons MLP (adam), seed 0, epoch ") and f"epoch {epoch}/8:" in l for l in lines) == 1
    for k, model in enumerate(("simple_cnn", "improved_cnn", "functional_cnn"), 1):
        # "<arm>, seed <s> (<k>/<pairs>), epoch <e>/<epochs>: ...": the pair's place among all of them
        assert any(l.startswith(f"{model}, seed 0 ({k}/3), epoch 1/1:") for l in lines), model
    assert "[1/5] sequential: no estimate yet" in stdout and "[4/5] cnn: no estimate yet" in stdout
    assert "absl::InitializeLog" not in stdout + stderr  # TensorFlow's start-up banner stays out
    assert "not in the op definition" not in stdout + stderr  # and tf.data's rewrite warning
    store = tmp_path / "runs"
    shutil.copytree(quick_store, store)  # an earlier cnn run to estimate from
    one = tmp_path / "one.json"  # the quiet run needs no three models: one, on fewer images
    one.write_text(json.dumps({"epochs": 2, "n_train": 300, "n_test": 100, "models": ["simple_cnn"]}))
    quiet = run_cli("run", "cnn", "--profile", "quick", "--config", one, "--out", store, "--no-plots", "--quiet")
    assert quiet.returncode == 0 and ", epoch " not in quiet.stdout
    assert "[1/1] cnn: about" in quiet.stdout  # an estimate from the first run in this store
    assert "test accuracy" in quiet.stdout  # the summary lines stay


def test_estimate_comes_from_earlier_runs_of_the_same_profile_scaled_by_seeds():
    from types import SimpleNamespace

    from keraslab.estimate import from_store

    estimate_s = lambda store, experiment, config: from_store(store, experiment, config).seconds  # noqa: E731

    def run(profile, seeds, wall):
        return SimpleNamespace(config={"profile": profile, "seeds": seeds}, provenance={"wall_time_s": wall})

    store = SimpleNamespace(runs=lambda exp: [run("standard", [0, 1], 100.0), run("quick", [0], 5.0)])
    cfg = SimpleNamespace(profile="standard", seeds=tuple(range(100_000)))
    assert estimate_s(store, "cnn", cfg) == pytest.approx(100.0 * 100_000 / 2)  # --seeds 100000 says so up front
    assert estimate_s(store, "cnn", SimpleNamespace(profile="full", seeds=(0,))) is None


def test_worker_ports_are_distinct_and_free_when_handed_out():
    """`--workers` picks every port while holding all of them, so no two workers get the same one,
    and releases them so that the workers can bind them."""
    import socket

    from keraslab.cluster import _free_ports

    ports = _free_ports(8)
    assert len(set(ports)) == 8
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


FILTER_CHILD = """
import os, sys
from keraslab import backend, compat
assert backend.filter_tensorflow_noise()
os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n")
os.write(2, b"E0000 00:00:1.1 1 node_def_util.cc:682] NodeDef mentions attribute use_unbounded_threadpool "
            b"which is not in the op definition: Op<name=MapDataset>\\n")
os.write(2, b"E0000 00:00:1.2 1 real_error.cc:1] a real TensorFlow error\\n")
print("a Python warning", file=sys.stderr, flush=True)
if sys.argv[1] == "crash":
    import faulthandler
    faulthandler.enable()
    os.abort()
raise ValueError("a real traceback")
"""


@pytest.mark.integration
@pytest.mark.parametrize("ending", ["traceback", "crash"])
def test_only_tensorflows_known_noise_is_kept_off_stderr(ending):
    """keraslab's own processes drop exactly the benign TensorFlow lines, whatever the user's
    TF_CPP_MIN_LOG_LEVEL; real errors, tracebacks and a crash's report still show."""
    proc = subprocess.run([sys.executable, "-c", FILTER_CHILD, ending], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    err = proc.stderr
    assert "absl::InitializeLog" not in err and "not in the op definition" not in err
    assert "a real TensorFlow error" in err and "a Python warning" in err
    if ending == "crash":
        assert "Fatal Python error: Aborted" in err  # written as the process dies, still passed on
    else:
        assert "ValueError: a real traceback" in err
