"""What the checkers read off a learner's Keras objects, each failure one sentence."""

from __future__ import annotations

from keraslab.exercises import Incorrect, require


def model(value, name: str):
    """``value`` as a Keras model, or the sentence that says what it is instead."""
    import keras

    if isinstance(value, type) and issubclass(value, keras.Model):
        raise Incorrect(f"{name} is the class {value.__name__}, not a model: call it, {value.__name__}(...)")
    require(
        isinstance(value, keras.Model),
        f"{name} is a {type(value).__name__}, not a Keras model: build it with keras.Sequential([...]) "
        "or keras.Model(inputs, outputs)",
    )
    return value


def built(m, name: str, features: int):
    """The model takes ``features`` inputs and has been built (it has an input shape)."""
    require(
        m.built and getattr(m, "inputs", None),
        f"{name} has no input shape yet: start it with keras.Input(shape=({features},))",
    )
    got = tuple(m.inputs[0].shape[1:])
    require(got == (features,), f"{name} takes inputs of shape {got}, but each example here has {features} features")


def dense_layers(m):
    import keras

    return [layer for layer in m.layers if isinstance(layer, keras.layers.Dense)]


def activation(layer) -> str:
    return getattr(layer.activation, "__name__", str(layer.activation))


def head(m, name: str, classes: int) -> None:
    """The output layer suits ``classes`` classes: one sigmoid unit for 2, a softmax over n else."""
    dense = dense_layers(m)
    require(dense, f"{name} has no Dense layer: the model ends with layers.Dense(...)")
    last = dense[-1]
    units, act = last.units, activation(last)
    if classes == 2:
        require(
            units == 1 and act == "sigmoid",
            f"the last layer has {units} unit{'s' * (units != 1)} with {act}, but moons has two classes: one "
            "sigmoid unit (the probability of class 1) and binary cross-entropy",
        )
    else:
        require(
            not (units == 1 and act == "sigmoid"),
            f"the last layer is one sigmoid unit, which answers a yes/no question; there are {classes} classes "
            f"here: {classes} units with softmax",
        )
        require(units == classes, f"the last layer has {units} units, but there are {classes} classes: {classes} units")
        require(
            act == "softmax",
            f"the last layer's activation is {act}, so its outputs are not probabilities that sum to 1: use softmax",
        )


def loss_name(m) -> str:
    loss = getattr(m, "loss", None)
    if isinstance(loss, str):
        return loss
    for attr in ("name", "__name__"):
        if getattr(loss, attr, None):
            return getattr(loss, attr)
    fn = getattr(loss, "fn", None)
    return getattr(fn, "__name__", str(loss))


def compiled(m, name: str) -> None:
    require(
        getattr(m, "optimizer", None) is not None and getattr(m, "compiled", True),
        f"{name} is not compiled yet: call {name}.compile(optimizer=..., loss=..., metrics=['accuracy'])",
    )


def learning_rate(m) -> float:
    lr = m.optimizer.learning_rate
    try:
        return float(lr)
    except TypeError:  # a schedule: its value at step 0
        return float(lr(0))


def accuracy(m, x, y) -> float:
    """The share of ``x`` classified as ``y`` (a sigmoid unit thresholded at 0.5, else argmax)."""
    import numpy as np

    p = np.asarray(m.predict(x, batch_size=1024, verbose=0))
    predicted = (p.ravel() >= 0.5).astype(int) if p.ndim == 1 or p.shape[-1] == 1 else p.argmax(axis=-1)
    return float((predicted == np.asarray(y).ravel()).mean())
