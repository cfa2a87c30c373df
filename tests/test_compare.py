"""Native PyTorch twins: same parameter counts, and the same function once Keras' weights are copied in."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from keraslab import data  # noqa: E402
from keraslab.models import torch_models as T  # noqa: E402
from keraslab.models.cnn import build_simple_cnn  # noqa: E402
from keraslab.models.sequential import build_moons_mlp  # noqa: E402
from keraslab.store import RunStore  # noqa: E402


def test_twins_have_the_same_parameter_counts():
    assert T.count_params(T.SimpleCNN()) == build_simple_cnn().count_params() == 93_322
    assert T.count_params(T.MoonsMLP()) == build_moons_mlp().count_params() == 193


def test_twins_use_keras_initialisation():
    m = T.SimpleCNN()
    assert all(
        float(l.bias.detach().abs().sum()) == 0
        for l in m.modules()
        if isinstance(l, (torch.nn.Linear, torch.nn.Conv2d))
    )
    w = m.classifier[1].weight
    limit = np.sqrt(6 / (576 + 64))  # Glorot-uniform bound for Dense(576 -> 64)
    w = w.detach()
    assert float(w.abs().max()) <= limit and float(w.abs().max()) > 0.9 * limit


def test_simple_cnn_parity_on_real_digits():
    (_, _), (x_test, _) = data.mnist_for_training(n_test=256)
    keras_model = build_simple_cnn()
    twin = T.copy_keras_simple_cnn(keras_model, T.SimpleCNN())
    probs = keras_model.predict(x_test, verbose=0)
    logits = T.predict(twin, x_test.transpose(0, 3, 1, 2).copy())
    torch_probs = torch.softmax(torch.from_numpy(logits), dim=1).numpy()
    np.testing.assert_allclose(torch_probs, probs, rtol=1e-4, atol=1e-5)
    assert (torch_probs.argmax(1) == probs.argmax(1)).all()
    # a wrong flatten order would not pass: prove the check can fail
    wrong = T.SimpleCNN()
    T.copy_keras_simple_cnn(keras_model, wrong)
    with torch.no_grad():
        wrong.classifier[1].weight.copy_(torch.from_numpy(keras_model.get_weights()[6].T.copy()))
    bad = torch.softmax(torch.from_numpy(T.predict(wrong, x_test.transpose(0, 3, 1, 2).copy())), 1).numpy()
    assert not np.allclose(bad, probs, atol=1e-3)


def test_moons_mlp_parity():
    (x, _), _, _ = data.moons(200, 0.3, 0)
    keras_model = build_moons_mlp()
    twin = T.copy_keras_mlp(keras_model, T.MoonsMLP())
    p_torch = torch.sigmoid(torch.from_numpy(T.predict(twin, x))).numpy()
    np.testing.assert_allclose(p_torch, keras_model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_each_contestant_records_what_it_ran_on(quick_store):
    run = RunStore(quick_store).latest("compare")
    for name, r in run.metrics["arms"].items():
        assert r["ran_on"] == [name]
        assert len(r["per_seed"][0]["epoch_time"]) == run.config["epochs"]
        assert r["params"] == 93_322
    assert "native-torch" in run.metrics["arms"]


def test_compare_with_only_tensorflow_installed(tmp_path, monkeypatch):
    """Missing backends are skipped with a notice and named in the results, not an error."""
    from keraslab import backend
    from keraslab.experiments import compare

    monkeypatch.setattr(backend, "is_installed", lambda name: name == "tensorflow")
    cfg = compare.Config.for_profile("quick", n_train=512, n_test=200)
    writer = RunStore(tmp_path).writer("compare", "tensorflow")
    result = compare.run(cfg, writer)
    assert set(result.metrics.arms) == {"tensorflow"}
    assert result.metrics.skipped == ["jax", "torch", "native-torch"]
    assert result.metrics.arms["tensorflow"].ran_on == ["tensorflow"]
