"""The harnesses' one change to how Keras trains: the optimizer's and metrics' state created before
the first compiled call, so that TensorFlow traces ``train_step`` once, with the same training."""

import keras
import numpy as np
import pytest

from keraslab import data
from keraslab.callbacks import TrainingTimeCallback
from keraslab.compat import state_before_tracing
from keraslab.harness import FAST, SMALL
from keraslab.models.sequential import build_moons_mlp
from keraslab.train import history_dict, seed_everything

pytestmark = pytest.mark.integration


class Counted(keras.Sequential):
    """The moons MLP, counting how often Keras traces its training and test steps."""

    traces = {"train": 0, "test": 0}

    def train_step(self, batch):
        self.traces["train"] += 1
        return super().train_step(batch)

    def test_step(self, batch):
        self.traces["test"] += 1
        return super().test_step(batch)


def moons_model(seed):
    seed_everything(seed, True)
    model = Counted(build_moons_mlp().layers)
    model.traces = {"train": 0, "test": 0}
    SMALL.compile(model, 600, optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def moons():
    return data.moons(300, 0.3, 0)


def test_train_step_is_traced_once_and_trains_exactly_as_plain_fit(moons):
    (x, y), (x_val, y_val), _ = moons
    managed = moons_model(0)
    h1 = SMALL.fit(managed, x, y, batch_size=32, seed=0, validation=(x_val, y_val), epochs=3, verbose=0)
    plain = moons_model(0)
    h2 = history_dict(plain.fit(**data.fit_inputs(x, y, 32, 0, validation=(x_val, y_val)), epochs=3, verbose=0))
    assert managed.traces["train"] == 1 and plain.traces["train"] == 2  # Keras alone traces it twice
    assert h1["loss"] == pytest.approx(h2["loss"], rel=1e-6)
    for a, b in zip(managed.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for a, b in zip(managed.optimizer.variables, plain.optimizer.variables):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)


def test_a_timer_before_it_counts_it_and_a_built_model_is_left_alone(moons):
    (x, y), _, _ = moons
    model = moons_model(1)
    timer = TrainingTimeCallback()
    FAST.fit(model, x, y, batch_size=32, epochs=2, callbacks=[timer], verbose=0)
    assert len(timer.epoch_times) == 2 and model.traces["train"] == 1
    built = model.optimizer.variables[0].numpy().copy()  # the iteration count after 2 epochs
    cb = state_before_tracing(x, y)
    cb.set_model(model)
    cb.on_epoch_begin(0)  # already built: nothing is created or reset
    np.testing.assert_array_equal(model.optimizer.variables[0].numpy(), built)
