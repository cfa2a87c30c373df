"""The original module guide's "Mathematical Foundations", checked against Keras on random inputs."""

import numpy as np
import pytest

import keras

RNG = np.random.default_rng(0)
EPS = 1e-7  # Keras clips probabilities to [eps, 1 - eps] before taking logs


def test_binary_cross_entropy_formula():
    y = RNG.integers(0, 2, size=(64, 1)).astype("float32")
    p = RNG.uniform(0.01, 0.99, size=(64, 1)).astype("float32")
    formula = np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))
    keras_value = float(keras.losses.BinaryCrossentropy()(y, p))
    assert keras_value == pytest.approx(formula, rel=1e-5)


def test_categorical_cross_entropy_formula():
    logits = RNG.normal(size=(32, 5))
    p = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype("float32")
    labels = RNG.integers(0, 5, size=32)
    y = np.eye(5, dtype="float32")[labels]
    formula = np.mean(-np.sum(y * np.log(p), axis=1))
    assert float(keras.losses.CategoricalCrossentropy()(y, p)) == pytest.approx(formula, rel=1e-5)
    assert float(keras.losses.SparseCategoricalCrossentropy()(labels, p)) == pytest.approx(formula, rel=1e-5)


def test_mean_squared_error_formula():
    y, yhat = RNG.normal(size=(50, 3)).astype("float32"), RNG.normal(size=(50, 3)).astype("float32")
    formula = np.mean((y - yhat) ** 2)
    assert float(keras.losses.MeanSquaredError()(y, yhat)) == pytest.approx(formula, rel=1e-5)


def adam_by_formula(theta, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    """The guide's update with bias correction, in Keras' form: the step size carries the correction
    (alpha_t = lr * sqrt(1 - b2^t) / (1 - b1^t)) and epsilon is added to sqrt(v_t) uncorrected."""
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        theta = theta - alpha * m / (np.sqrt(v) + eps)
    return theta


@pytest.mark.parametrize("steps", [1, 3])
def test_adam_step_matches_keras(steps):
    theta0 = RNG.normal(size=(4, 3)).astype("float32")
    grads = [RNG.normal(size=(4, 3)).astype("float32") for _ in range(steps)]
    var = keras.Variable(theta0)
    opt = keras.optimizers.Adam(learning_rate=0.01)
    for g in grads:
        opt.apply_gradients([(keras.ops.convert_to_tensor(g), var)])
    expected = adam_by_formula(theta0.astype("float64"), [g.astype("float64") for g in grads], lr=0.01)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(var), expected, rtol=1e-5, atol=1e-6)
    # and the update without bias correction would be measurably different on the first step
    naive = theta0 - 0.01 * (0.1 * grads[0]) / (np.sqrt(0.001 * grads[0] ** 2) + 1e-7)
    if steps == 1:
        assert not np.allclose(naive, expected, atol=1e-4)
