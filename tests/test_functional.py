"""Functional API and subclassing: API equivalence, saving and loading in a fresh process."""

import subprocess
import sys

import numpy as np
import pytest

import keras
from keras import layers

from keraslab.experiments.functional import architecture_diagram
from keraslab.models import functional as F
from keraslab.models.sequential import build_iris_mlp, build_moons_mlp
from keraslab.store import RunStore


def functional_iris_mlp():
    inputs = keras.Input(shape=(4,))
    x = layers.Dense(16, activation="relu")(inputs)
    x = layers.Dense(16, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(x))


def functional_custom_twin():
    inputs = keras.Input(shape=(4,))
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(layers.Dense(64, activation="relu")(inputs)))


@pytest.mark.parametrize(
    "build_a, build_b, n_features",
    [
        (build_moons_mlp, F.functional_twin_of_moons_mlp, 2),
        (build_iris_mlp, functional_iris_mlp, 4),
        (lambda: F.CustomModel(hidden=64, n_classes=3), functional_custom_twin, 4),
    ],
)
def test_same_weights_same_outputs(build_a, build_b, n_features):
    x = np.random.default_rng(0).normal(size=(64, n_features)).astype("float32")
    a, b = build_a(), build_b()
    a(x[:1])  # build the subclassed model
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(a.predict(x, verbose=0), b.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    b.set_weights([w + 0.1 for w in a.get_weights()])
    assert not np.allclose(a.predict(x, verbose=0), b.predict(x, verbose=0), atol=1e-3)  # the check can fail


LOAD_SCRIPT = """
import sys, numpy as np, keras
import keraslab.models.functional  # registers CustomModel, as an application would
x = np.load(sys.argv[1])
for kind in ("subclassed", "multi_io"):
    m = keras.models.load_model(f"{sys.argv[2]}/{kind}.keras", safe_mode=True)
    p = m.predict({"sepal": x[:, :2], "petal": x[:, 2:]} if kind == "multi_io" else x, verbose=0)
    np.save(f"{sys.argv[2]}/{kind}.npy", p["main"] if isinstance(p, dict) else p)
"""


def test_saved_models_load_in_a_fresh_process(tmp_path):
    """The subclassed and the multi-input/output model, saved here, predict the same in a new
    process (one process loads both)."""
    x = np.random.default_rng(1).normal(size=(10, 4)).astype("float32")
    subclassed = F.CustomModel(hidden=8, n_classes=3)
    subclassed.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    subclassed.fit(x, np.arange(10) % 3, epochs=1, verbose=0)
    multi_io = F.build_multi_io()
    here = {
        "subclassed": subclassed.predict(x, verbose=0),
        "multi_io": multi_io.predict({"sepal": x[:, :2], "petal": x[:, 2:]}, verbose=0)["main"],
    }
    subclassed.save(tmp_path / "subclassed.keras")
    multi_io.save(tmp_path / "multi_io.keras")
    np.save(tmp_path / "x.npy", x)
    proc = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT, tmp_path / "x.npy", tmp_path], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for kind, p in here.items():
        np.testing.assert_allclose(np.load(tmp_path / f"{kind}.npy"), p, rtol=1e-6, atol=1e-6, err_msg=kind)


def test_quick_run_has_per_output_history_and_equivalence(quick_store):
    run = RunStore(quick_store).latest("functional")
    h = run.histories("multi_io")[0]
    for key in ("main_loss", "aux_loss", "main_accuracy", "aux_accuracy", "val_main_loss", "val_aux_loss"):
        assert key in h and len(h[key]) == run.config["epochs"], key
    eq = run.metrics["api_equivalence"]
    assert eq["same_weights_max_abs_diff"] < 1e-5
    assert eq["same_seed_max_loss_gap"] < 1e-4  # same seed, same initial weights and batches
    assert run.metrics["subclassed"]["reload_max_abs_diff"] < 1e-6
    assert set(run.metrics["arms"]) == {"simple", "branching", "residual"}
    assert (run.path / "custom_model.keras").exists() and (run.path / "multi_io.keras").exists()


def test_diagram_falls_back_to_text_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on PATH
    info = architecture_diagram(F.build_branching(), tmp_path)
    assert info.diagram is None and info.why_no_diagram
    text = (tmp_path / "branching.txt").read_text()
    assert "relu_branch" in text and "tanh_branch" in text
