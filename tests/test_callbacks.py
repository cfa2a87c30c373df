"""Callbacks, tested the way Keras tests its own: scripted logs where enough, tiny models otherwise."""

import json
import re

import numpy as np
import pytest

import keras

from keraslab.callbacks import LearningRateLogger, TrainingTimeCallback, check_callbacks
from keraslab.errors import KeraslabError
from keraslab.experiments.callbacks import step_schedule
from keraslab.resumable import EpochShuffled, KeepBestCheckpoint


def tiny_model(lr=0.01):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy")
    return model


def drive(callback, model, values, monitor="val_loss"):
    """Feed scripted epoch logs; returns the epoch at which training was asked to stop, or None."""
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, v in enumerate(values):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {monitor: v})
        if model.stop_training:
            return epoch
    callback.on_train_end()
    return None


@pytest.mark.parametrize(
    "values, patience, stop_at",
    [
        ([1.0, 0.9, 0.8, 0.85, 0.86, 0.87], 3, 5),  # best at epoch 2, three worse epochs
        ([1.0, 0.9, 0.8, 0.7, 0.6], 2, None),  # always improving: never stops
        ([0.5, 0.6, 0.7], 1, 1),
    ],
)
def test_early_stopping_stops_at_the_right_epoch(values, patience, stop_at):
    cb = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)
    assert drive(cb, tiny_model(), values) == stop_at


def test_early_stopping_restores_best_weights_also_at_max_epochs():
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = tiny_model(lr=0.5)
    seen = {}

    class Snapshot(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen[epoch] = (logs["val_loss"], [w.copy() for w in self.model.get_weights()])

    es = keras.callbacks.EarlyStopping(monitor="val_loss", patience=100, restore_best_weights=True)
    # a large learning rate makes val_loss non-monotonic; patience 100 never triggers within 8 epochs
    model.fit(x, y, validation_data=(x[::-1] * 3, 1 - y[::-1]), epochs=8, verbose=0, callbacks=[Snapshot(), es])
    assert es.stopped_epoch == 0
    best_epoch = min(seen, key=lambda e: seen[e][0])
    for got, want in zip(model.get_weights(), seen[best_epoch][1]):
        np.testing.assert_array_equal(got, want)


def test_reduce_lr_on_plateau_reaches_exact_rates():
    model = tiny_model(lr=0.1)
    cb = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=0.02, cooldown=0)
    lrs = []
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, v in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        cb.on_epoch_end(epoch, {"val_loss": v})
        lrs.append(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)))
    assert lrs == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02])


def test_learning_rate_scheduler_follows_its_schedule():
    x = np.zeros((8, 3), "float32")
    y = np.zeros(8, "int32")
    model = tiny_model(lr=0.1)
    schedule = step_schedule(0.1, 2)
    h = model.fit(
        x, y, epochs=6, verbose=0, callbacks=[keras.callbacks.LearningRateScheduler(schedule), LearningRateLogger()]
    )
    assert h.history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def test_training_time_callback_records_one_positive_time_per_epoch_and_resets():
    x, y = np.zeros((8, 3), "float32"), np.zeros(8, "int32")
    model = tiny_model()
    timer = TrainingTimeCallback()
    h = model.fit(x, y, epochs=3, verbose=0, callbacks=[timer])
    assert len(timer.epoch_times) == 3 and all(t > 0 for t in timer.epoch_times)
    assert h.history["epoch_time"] == pytest.approx(timer.epoch_times)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[timer])
    assert len(timer.epoch_times) == 2  # state reset in on_train_begin


def test_training_time_callback_misuse_is_explained():
    with pytest.raises(RuntimeError, match="before on_epoch_begin"):
        TrainingTimeCallback().on_epoch_end(0, {})


@pytest.mark.parametrize(
    "make, has_val, optimizer, message",
    [
        (lambda p: keras.callbacks.EarlyStopping(monitor="val_loss"), False, None, "no validation data"),
        (lambda p: keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy"), False, None, "validation_split"),
        (
            lambda p: keras.callbacks.ReduceLROnPlateau(),
            True,
            keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9)),
            "schedule",
        ),
    ],
)
def test_misuse_gives_a_clear_error(tmp_path, make, has_val, optimizer, message):
    with pytest.raises(KeraslabError, match=message):
        check_callbacks([make(tmp_path)], has_validation=has_val, optimizer=optimizer)


def test_checkpoint_with_the_wrong_suffix_is_refused_naming_the_right_one(tmp_path):
    with pytest.raises(KeraslabError, match=r"ending in \.keras"):
        check_callbacks([keras.callbacks.ModelCheckpoint(str(tmp_path / "best.h5"))], has_validation=True)
    with pytest.raises(ValueError, match=re.escape(".weights.h5")):  # Keras itself refuses this one
        keras.callbacks.ModelCheckpoint(str(tmp_path / "w.keras"), save_weights_only=True)


def test_correct_use_passes(tmp_path):
    check_callbacks(
        [
            keras.callbacks.EarlyStopping(monitor="loss"),
            keras.callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), monitor="loss"),
        ],
        has_validation=False,
    )


def test_keep_best_checkpoint_survives_a_restart(tmp_path):
    path = tmp_path / "best.keras"
    model = tiny_model()
    first = KeepBestCheckpoint(str(path), monitor="val_accuracy", mode="max")
    drive(first, model, [0.5, 0.9, 0.7], monitor="val_accuracy")
    stamp = path.stat().st_mtime_ns
    assert json.loads((tmp_path / "best.keras.best.json").read_text())["epoch"] == 2
    # a new process: a plain ModelCheckpoint would forget 0.9 and overwrite with 0.8
    second = KeepBestCheckpoint(str(path), monitor="val_accuracy", mode="max")
    drive(second, tiny_model(), [0.8, 0.85], monitor="val_accuracy")
    assert path.stat().st_mtime_ns == stamp and second.best == pytest.approx(0.9)
    plain = keras.callbacks.ModelCheckpoint(str(path), monitor="val_accuracy", mode="max", save_best_only=True)
    drive(plain, tiny_model(), [0.8], monitor="val_accuracy")
    assert path.stat().st_mtime_ns != stamp  # the pitfall KeepBestCheckpoint avoids


def test_epoch_shuffled_order_depends_only_on_seed_and_epoch():
    x = np.arange(10).reshape(10, 1)
    a, b = EpochShuffled(x, x[:, 0], 4, seed=7), EpochShuffled(x, x[:, 0], 4, seed=7)
    a.epoch = b.epoch = 3
    assert [a[i][1].tolist() for i in range(len(a))] == [b[i][1].tolist() for i in range(len(b))]
    b.epoch = 4
    assert [a[i][1].tolist() for i in range(3)] != [b[i][1].tolist() for i in range(3)]
    assert sorted(np.concatenate([a[i][1] for i in range(len(a))]).tolist()) == list(range(10))


def test_epoch_shuffled_feeds_the_same_batches_in_the_graph_and_in_python():
    """On TensorFlow one process feeds EpochShuffled's batches through tf.data (gathered in the
    graph, autotuning off): the same batches as the PyDataset, for whichever epoch it is set to."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the in-graph feed is TensorFlow's")
    x = np.arange(50 * 3, dtype="float32").reshape(50, 3)
    data = EpochShuffled(x, np.arange(50), 8, seed=7)
    ds = data.tf_dataset(epochs=4)
    assert ds.options().autotune.enabled is False
    for epoch in (2, 0, 3):  # any order: a resumed run starts where its backup ended
        data.epoch = epoch
        graph = [(bx.tolist(), by.tolist()) for bx, by in ds.as_numpy_iterator()]
        python = [(bx.tolist(), by.tolist()) for bx, by in (data[i] for i in range(len(data)))]
        assert graph == python and len(graph) == 7


def test_a_resumed_in_graph_fit_ends_with_the_weights_of_an_uninterrupted_one(tmp_path):
    """fit_resumable in one TensorFlow process (batches in the graph, several per call): stopped
    mid-epoch and run again, it ends bit-identical to a run that was never stopped."""
    from keraslab.harness import steps_per_execution
    from keraslab.resumable import fit_resumable
    from keraslab.train import seed_everything

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the in-graph feed is TensorFlow's")
    rng = np.random.default_rng(0)
    # MNIST-sized (above the small-data bound): 16 batches per call, so the stop lands mid-epoch
    x, y = rng.standard_normal((2000, 3)).astype("float32"), rng.integers(0, 2, 2000)

    class StopMidEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 2:
                raise KeyboardInterrupt

    def train(folder, callbacks=()):
        seed_everything(0, True)
        model = tiny_model()
        fit_resumable(model, x, y, epochs=4, batch_size=8, seed=3, folder=folder, callbacks=callbacks, in_graph=True)
        return model

    whole = train(tmp_path / "whole")
    assert whole.steps_per_execution == steps_per_execution("tensorflow", len(x)) > 1  # several batches per call
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "stopped", [StopMidEpoch()])
    resumed = train(tmp_path / "stopped")
    assert all(np.array_equal(a, b) for a, b in zip(whole.get_weights(), resumed.get_weights()))
    assert json.loads((tmp_path / "stopped" / "epochs.jsonl").read_text().splitlines()[-1])["epoch"] == 3
