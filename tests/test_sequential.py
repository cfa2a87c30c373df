"""The Sequential experiment: a well-formed stored run, plots from the store, fresh models per arm."""

import numpy as np

from keraslab import suite
from keraslab.experiments import sequential
from keraslab.models.sequential import build_moons_mlp
from keraslab.store import RunStore


def test_quick_run_is_well_formed(quick_store):
    run = RunStore(quick_store).latest("sequential")
    assert run is not None and run.status == "ok"
    m = run.metrics
    assert 0 <= m["moons"]["test_accuracy"] <= 1 and m["moons"]["params"] == 193
    assert set(m["arms"]) == {"sgd", "adam", "rmsprop", "adagrad"} == set(m["tuned"]["arms"])
    for opt, c in m["arms"].items():
        assert c["test_accuracy"]["n"] == len(run.config["seeds"])
        # one vocabulary: history.json[arm][seed], the tuned arms beside the default ones
        assert len(run.histories(opt)) == len(run.histories(f"tuned {opt}")) == len(run.config["seeds"])
    assert len(run.histories("moons")[0]["loss"]) == run.config["epochs"]
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(run.histories("iris")[0])
    assert run.provenance["backend"] == "tensorflow" and run.provenance["command"].startswith("keraslab run")
    for p in m["moons"]["predict_demo"]:
        assert p["class"] == int(p["probability"] >= 0.5)


def test_plots_redraw_from_the_store_alone(quick_store, tmp_path):
    store = RunStore(quick_store)
    files = suite.render_figures(store, tmp_path, only=["sequential"])
    names = {f.name for f in files}
    assert names == {
        "sequential_training_history.png",
        "sequential_decision_boundary.png",
        "sequential_optimizer_comparison.png",
        "sequential_test_accuracy_comparison.png",
        "sequential_tuned_learning_rates.png",
    }
    for f in files:
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f.stat().st_size > 10_000


def test_each_optimizer_arm_gets_a_fresh_model(tmp_path):
    built = []

    def build():
        model = build_moons_mlp()
        built.append(model)
        return model

    cfg = sequential.Config.for_profile(
        "quick",
        seeds=(0, 1),
        optimizers=("adam", "sgd"),
        optimizer_epochs=2,
        epochs=2,
        grid_steps=10,
        moons_samples=100,
        tune_trials=0,
    )
    store = RunStore(tmp_path)
    w = store.writer("sequential")
    result = sequential.run(cfg, w, build=build)
    arms = len(cfg.optimizers) * len(cfg.seeds)
    assert len(built) == 1 + arms and len({id(m) for m in built}) == len(built)
    # same seed -> same starting weights for every optimizer (a fair race); other seed -> other weights
    comp = result.metrics.arms
    assert len({comp[o].initial_weights["0"] for o in comp}) == 1
    assert comp["adam"].initial_weights["0"] != comp["adam"].initial_weights["1"]
    # and training moved each arm away from its start (no arm reused a trained model)
    finals = {id(m): np.concatenate([w.ravel() for w in m.get_weights()]) for m in built[1:]}
    assert len({v.tobytes() for v in finals.values()}) == arms


def test_tuner_sees_only_train_and_validation_and_every_optimizer_gets_the_same_trials(tmp_path, monkeypatch):
    """The learning-rate search is judged on the validation split: the test split never reaches
    KerasTuner, and each optimizer gets the same trial budget."""
    import keras_tuner as kt
    import numpy as np

    from keraslab import data
    from keraslab.experiments.sequential import Config, tune_learning_rate

    config = Config.for_profile("quick", optimizer_epochs=2, tune_trials=2, moons_samples=200)
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = data.moons(config.moons_samples, config.moons_noise, 0)
    seen = []
    search = kt.RandomSearch.search

    def spy(self, *args, **kwargs):
        seen.append((args, kwargs))
        return search(self, *args, **kwargs)

    monkeypatch.setattr(kt.RandomSearch, "search", spy)
    results = {
        opt: tune_learning_rate(opt, (x_tr, y_tr), (x_va, y_va), config, tmp_path / "tuner") for opt in ("sgd", "adam")
    }

    def rows(data):
        """The (x, y) arrays a search was given, as arrays or as the batches of a pipeline."""
        if isinstance(data, tuple):
            return data
        xs, ys = zip(*data.as_numpy_iterator())
        return np.concatenate(xs), np.concatenate(ys)

    for args, kwargs in seen:
        train = rows(kwargs["x"]) if "y" not in kwargs else (kwargs["x"], kwargs["y"])
        val = rows(kwargs["validation_data"])
        assert sorted(map(tuple, train[0])) == sorted(map(tuple, x_tr))  # the training split, in any order
        assert np.array_equal(val[0], x_va) and np.array_equal(val[1], y_va)
        assert all(len(a) != len(x_te) or not np.array_equal(a, x_te) for a in (train[0], val[0]))
    assert [len(r["trials"]) for r in results.values()] == [2, 2]
    for opt, r in results.items():
        lo, hi = r["range"]
        assert all(lo <= t["learning_rate"] <= hi for t in r["trials"])
        assert r["best_val_accuracy"] == max(t["val_accuracy"] for t in r["trials"])
    # a rerun continues from the stored trials instead of searching again
    again = tune_learning_rate("sgd", (x_tr, y_tr), (x_va, y_va), config, tmp_path / "tuner")
    assert again["trials"] == results["sgd"]["trials"]


def test_fit_inputs_reshuffle_every_epoch_by_seed_and_keep_every_example():
    """The small-data input: every training example once per epoch, a new order each epoch, the
    same orders for the same seed; validation in its own order."""
    from keraslab import data

    x = np.arange(100, dtype="float32").reshape(50, 2)
    y = np.arange(50, dtype="int32")

    def epochs(seed, n=3):
        train = data.fit_inputs(x, y, 8, seed, validation=(x[:10], y[:10]))["x"]
        if isinstance(train, np.ndarray):  # JAX/PyTorch: Keras batches and shuffles the arrays itself
            return None
        return [np.concatenate([b for _, b in train.as_numpy_iterator()]) for _ in range(n)]

    first = epochs(0)
    if first is None:
        return
    assert data.fit_inputs(x, y, 8, 0)["x"].options().autotune.enabled is False  # see data.array_batches
    assert all(sorted(e) == list(range(50)) for e in first)
    assert len({e.tobytes() for e in first}) == 3  # reshuffled every epoch
    assert [e.tolist() for e in epochs(0)] == [e.tolist() for e in first]  # by the seed alone
    assert epochs(1)[0].tolist() != first[0].tolist()
    val = data.fit_inputs(x, y, 8, 0, validation=(x[:10], y[:10]))["validation_data"]
    assert np.concatenate([b for _, b in val.as_numpy_iterator()]).tolist() == list(range(10))


def test_a_whole_epoch_per_call_trains_the_same_weights():
    """The small-data harness's steps per call change how many batches one compiled call runs,
    not what is trained."""
    import keras

    from keraslab import data
    from keraslab.harness import steps_per_execution
    from keraslab.train import seed_everything

    (x, y), (xv, yv), _ = data.moons(300, 0.3, 0)
    weights = {}
    many = steps_per_execution(keras.backend.backend(), len(x))
    for steps in (1, many):
        seed_everything(0, True)
        model = build_moons_mlp()
        model.compile(optimizer="adam", loss="binary_crossentropy", steps_per_execution=steps)
        model.fit(**data.fit_inputs(x, y, 32, 0, validation=(xv, yv)), epochs=3, verbose=0)
        weights[steps] = [np.asarray(w) for w in model.get_weights()]
    a, b = weights.values()
    assert keras.backend.backend() == "torch" or many > 1
    assert all(np.allclose(u, v, rtol=0, atol=1e-6) for u, v in zip(a, b))
