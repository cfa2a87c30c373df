"""keraslab.compat: every patch of Keras' private internals checks the Keras it was written for."""

import keras
import numpy as np
import pytest

from keraslab import compat
from keraslab.errors import KeraslabError


def test_the_patches_are_for_the_pinned_keras():
    from pathlib import Path

    pinned = Path(__file__).resolve().parents[1] / "pyproject.toml"
    assert f'"keras=={compat.KERAS_VERSION}"' in pinned.read_text()
    compat.require_keras()  # the installed Keras is the one they were written for


@pytest.mark.parametrize(
    "patch",
    [
        compat.keep_tensorflow_out,
        compat.fix_keras_multi_worker,
        lambda: compat.build_from_local_batch(None, None),
        lambda: compat.fuse_batchnorm(None),
        compat.fused_adam,
    ],
)
def test_on_another_keras_each_patch_fails_with_one_clear_line(monkeypatch, patch):
    monkeypatch.setattr(keras, "__version__", "9.9.9")
    with pytest.raises(KeraslabError, match=r"written for Keras 3\.15\.1, and this environment has Keras 9\.9\.9"):
        patch()


def _adam_steps(optimizer, steps=6):
    """``steps`` Adam updates of two weights from fixed gradients, in one compiled function; the
    weights, the slots and the ops the function ran."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    weights = [keras.Variable(rng.normal(size=shape).astype("float32")) for shape in [(5, 3), (3,)]]
    grads = [[tf.constant(rng.normal(size=w.shape).astype("float32")) for w in weights] for _ in range(steps)]
    optimizer.build(weights)

    @tf.function
    def update(g):
        optimizer.apply(g, weights)

    for g in grads:
        update(g)
    ops = {op.type for op in update.get_concrete_function(grads[0]).graph.get_operations()}
    slots = [np.asarray(v) for v in optimizer.variables if "iteration" not in v.path]
    return [np.asarray(w) for w in weights], slots, ops


@pytest.mark.parametrize("amsgrad", [False, True])
def test_fused_adam_updates_as_keras_adam_does(amsgrad):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.05, 2, 0.5)
    args = dict(beta_1=0.7, beta_2=0.9, amsgrad=amsgrad)
    weights, slots, ops = _adam_steps(compat.fused_adam(schedule, **args))
    expected, expected_slots, keras_ops = _adam_steps(keras.optimizers.Adam(schedule, **args))
    for got, want in zip(weights + slots, expected + expected_slots):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    # one kernel per weight where it fits; Keras' own update for amsgrad
    assert ("ResourceApplyAdam" in ops) is (not amsgrad) and "ResourceApplyAdam" not in keras_ops
