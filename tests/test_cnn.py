"""The guide's CNNs: parameter counts, real-MNIST accuracy (slow), plots from the store, predict."""

import numpy as np
import pytest

from conftest import run_cli
from keraslab import data, suite
from keraslab.models.cnn import build_functional_cnn, build_improved_cnn, build_simple_cnn
from keraslab.store import RunStore


def test_parameter_counts():
    assert build_simple_cnn().count_params() == 93_322  # the guide's figure
    # the guide says 1,250,858 for the improved CNN; the architecture it lists has this many:
    assert build_improved_cnn().count_params() == 597_354
    assert build_functional_cnn().count_params() == 73_492


def test_quick_run_stores_error_analysis(quick_store):
    run = RunStore(quick_store).latest("cnn")
    ea = run.metrics["error_analysis"]
    cm = np.array(ea["confusion_matrix"])
    n_test = run.metrics["data"]["n_test"]
    assert cm.shape == (10, 10) and cm.sum() == n_test
    assert len(ea["misclassified_indices"]) == n_test - np.trace(cm)
    assert ea["accuracy"] == pytest.approx(np.trace(cm) / n_test)
    assert ea["per_class_accuracy"][1] == pytest.approx(cm[1, 1] / cm[1].sum())
    pairs = ea["most_confused_pairs"]
    assert pairs == sorted(pairs, key=lambda p: -p["count"])
    for name in ("simple_cnn", "improved_cnn", "functional_cnn"):
        assert (run.path / run.metrics["arms"][name]["model_file"]).exists()


def test_seven_plots_redraw_from_the_store(quick_store, tmp_path):
    files = suite.render_figures(RunStore(quick_store), tmp_path, only=["cnn"])
    assert {f.name for f in files} == {
        "mnist_samples.png",
        "cnn_training_comparison.png",
        "model_comparison_summary.png",
        "cnn_predictions.png",
        "confusion_matrix.png",
        "per_class_accuracy.png",
        "reliability_diagram.png",
    }


@pytest.fixture(scope="module")
def test_digits():
    (_, _), (x_test, y_test) = data.load_mnist()
    return x_test, y_test


def test_predict_rejects_bad_inputs(quick_store, tmp_path, capsys):
    """Bad images are one line and exit 2. In-process (`cli.main`): a child process per case would
    spend its time importing TensorFlow, not testing the checks."""
    from keraslab import cli

    def predict(*args):
        code = cli.main(["predict", *map(str, args)])
        return code, capsys.readouterr().err

    cases = {
        "wide.npy": (np.zeros((28, 32)), "has shape (28, 32)"),
        "rgb3.npy": (np.zeros((28, 28, 3)), "has shape (28, 28, 3)"),
        "range.npy": (np.full((28, 28), 300.0), "expected [0, 1] or [0, 255]"),
        "nan.npy": (np.full((28, 28), np.nan), "NaN"),
    }
    for name, (array, message) in cases.items():
        np.save(tmp_path / name, array)
        code, err = predict(tmp_path / name, "--out", quick_store)
        assert code == 2 and message in err and "Traceback" not in err, err
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "fake.png").write_bytes(b"not a png at all")
    obj = np.array([{"a": 1}], dtype=object)
    np.save(tmp_path / "pickled.npy", obj, allow_pickle=True)
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04 broken zip")
    for args, message in [
        ((tmp_path / "notes.txt",), "give a .png image or a .npy"),
        ((tmp_path / "fake.png",), "not a readable PNG"),
        ((tmp_path / "pickled.npy",), "not a plain numeric .npy"),
        ((tmp_path / "missing.png",), "no such image file"),
    ]:
        code, err = predict(*args, "--out", quick_store)
        assert code == 2 and message in err, err
    np.save(tmp_path / "ok.npy", np.zeros((28, 28)))
    code, err = predict(tmp_path / "ok.npy", "--model", tmp_path / "broken.keras")
    assert code == 2 and "not a Keras model file (truncated or not a zip)" in err, err
    import zipfile

    with zipfile.ZipFile(tmp_path / "other.keras", "w") as z:  # a real zip, but no model in it
        z.writestr("notes.txt", "hello")
    code, err = predict(tmp_path / "ok.npy", "--model", tmp_path / "other.keras")
    assert code == 2 and "not a loadable Keras model" in err, err


@pytest.mark.slow
def test_simple_cnn_on_full_mnist_beats_97_percent(tmp_path, test_digits, capsys):
    """Real training: the Simple CNN on all 60,000 training images for one epoch, scored on all 10,000."""
    proc = run_cli(
        "run",
        "cnn",
        "--profile",
        "quick",
        "--config",
        _write(
            tmp_path, {"models": ["simple_cnn"], "epochs": 1, "n_train": 0, "n_test": 0, "validation_fraction": 0.0}
        ),
        "--out",
        tmp_path / "runs",
        "--no-plots",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = RunStore(tmp_path / "runs").latest("cnn")
    assert run.metrics["data"] == {"n_train": 60000, "n_val": 0, "n_test": 10000}
    assert run.metrics["arms"]["simple_cnn"]["test_accuracy"]["mean"] > 0.97
    # predict on real test digits with the stored model: its label comes back on top
    from keraslab import cli

    x_test, y_test = test_digits
    ok = 0
    for i in range(5):  # in-process: the model loads in milliseconds, a new process would load TensorFlow
        np.save(tmp_path / f"d{i}.npy", x_test[i])
        assert cli.main(["predict", str(tmp_path / f"d{i}.npy"), "--out", str(tmp_path / "runs")]) == 0
        top = capsys.readouterr().out.splitlines()[1]
        assert top.startswith("1. digit ")
        ok += top.startswith(f"1. digit {y_test[i]}:")
    assert ok >= 4


def _write(tmp_path, obj):
    import json

    f = tmp_path / "cfg.json"
    f.write_text(json.dumps(obj))
    return f


def test_precision_policy_is_restored_even_when_training_fails(monkeypatch):
    import keras

    from keraslab import fast
    from keraslab.fast import precision_policy

    monkeypatch.setattr(fast, "bf16_refusal", lambda backend: None)  # no training here: any CPU kind may set it
    assert keras.mixed_precision.global_policy().name == "float32"
    with pytest.raises(RuntimeError):
        with precision_policy("mixed_bfloat16") as policy:
            assert policy == "mixed_bfloat16" and keras.mixed_precision.global_policy().name == "mixed_bfloat16"
            raise RuntimeError("training failed")
    assert keras.mixed_precision.global_policy().name == "float32"


@pytest.mark.integration
def test_cnn_in_bf16_then_sequential_in_one_process_builds_the_moons_model_in_float32(tmp_path):
    """`keraslab run cnn sequential` with bf16 forced for the CNNs: the moons MLP after it is float32."""
    import keras

    from keraslab.fast import bf16_refusal

    if bf16_refusal("tensorflow"):
        pytest.skip(bf16_refusal("tensorflow"))  # the AVX2 kind: refused (tests/test_cpu.py)

    from keraslab.experiments import cnn, execute
    from keraslab.models.sequential import build_moons_mlp
    from keraslab.store import RunStore

    config = cnn.Config.for_profile(
        "quick", models=("simple_cnn",), n_train=256, n_test=100, precision="mixed_bfloat16"
    )
    execute("cnn", config, RunStore(tmp_path / "runs"), log=lambda msg: None)
    assert RunStore(tmp_path / "runs").latest("cnn").metrics["settings"]["precision"] == "mixed_bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"
    model = build_moons_mlp()
    assert {layer.compute_dtype for layer in model.layers} == {"float32"}


def test_train_one_is_plain_keras_by_default_and_the_harness_comes_from_outside(monkeypatch):
    """With no harness, train_one is build, compile, model.fit, predict: no backups, no strategy,
    no fault injectors (those come with keraslab.harness.Managed, used by `keraslab run cnn`)."""
    import keras

    from keraslab import data
    from keraslab.experiments import cnn
    from keraslab.harness import PLAIN

    fits = []
    fit = keras.Model.fit

    def spy(self, *args, **kwargs):
        fits.append(kwargs)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    (x, y), (xt, yt) = data.mnist_for_training(512, 200, seed=0)
    config = cnn.Config.for_profile("quick", epochs=1)
    splits = ((x[64:], y[64:]), (x[:64], y[:64]), (xt, yt))
    model, history, probs = cnn.train_one("functional_cnn", 0, config, splits)
    assert len(fits) == 1 and fits[0]["batch_size"] == config.batch_size and fits[0]["epochs"] == 1
    names = {type(c).__name__ for c in fits[0]["callbacks"]}
    assert names.isdisjoint({"FaultInjector", "BackupAndRestore"}) and "TrainingTimeCallback" in names
    assert len(history["loss"]) == 1 and len(history["epoch_time"]) == 1 and "val_main_accuracy" in history
    assert probs.shape == (200, 10) and np.allclose(probs.sum(axis=1), 1, atol=1e-3)
    assert PLAIN.replicas == 1


@pytest.mark.parametrize(
    "shape, center, scale", [((6, 6, 3), True, True), ((5,), True, True), ((6, 6, 3), False, False)]
)
def test_fused_batchnorm_computes_what_keras_batchnorm_does(shape, center, scale):
    """One training step through TensorFlow's fused kernel gives Keras' outputs, gradients (input,
    gamma, beta) and moving statistics; inference stays on Keras' own code."""
    import keras

    from keraslab.compat import fuse_batchnorm

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the fused kernel is TensorFlow's")
    import tensorflow as tf

    def model():
        return keras.Sequential(
            [keras.Input(shape), keras.layers.BatchNormalization(momentum=0.9, center=center, scale=scale)]
        )

    rng = np.random.default_rng(0)
    plain, fused = model(), model()
    weights = [rng.normal(size=w.shape).astype("float32") for w in plain.get_weights()]
    for m in (plain, fused):
        m.set_weights(weights)
    assert fuse_batchnorm(fused) == 1 and fuse_batchnorm(keras.Sequential([keras.Input((2,))])) == 0
    x = tf.constant(rng.normal(2.0, 3.0, size=(8, *shape)).astype("float32"))
    # a random weighting: with one per channel, gamma's gradient would be a sum of normalised
    # values, zero in exact arithmetic, and the test would compare two roundings of zero
    w = tf.constant(rng.normal(size=(8, *shape)).astype("float32"))

    def step(m):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = m(x, training=True)
            loss = tf.reduce_sum(y * w)
        grads = tape.gradient(loss, [x, *m.trainable_variables])
        return [y, *grads]

    for a, b in zip(step(plain), step(fused), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-4)
    for a, b in zip(plain.get_weights(), fused.get_weights(), strict=True):  # moving mean and variance
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(plain(x, training=False), fused(x, training=False), rtol=1e-5, atol=1e-5)
    assert type(fused.layers[0]) is keras.layers.BatchNormalization  # the class (and a saved file) unchanged

    def op_types(m):
        graph = tf.function(lambda: m(x, training=True)).get_concrete_function().graph
        return {op.type for op in graph.get_operations()}

    assert "FusedBatchNormV3" in op_types(fused) and "FusedBatchNormV3" not in op_types(plain)
