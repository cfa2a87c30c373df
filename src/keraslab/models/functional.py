"""Functional-API models of the original module guide, and a subclassed model."""

import keras
from keras import layers


def build_simple(n_features: int = 4, n_classes: int = 3) -> keras.Model:
    """A plain two-layer network written with the functional API."""
    inputs = keras.Input(shape=(n_features,), name="features")
    x = layers.Dense(32, activation="relu", name="hidden_32")(inputs)
    x = layers.Dense(16, activation="relu", name="hidden_16")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="species")(x)
    return keras.Model(inputs, outputs, name="simple")


def build_branching(n_features: int = 4, n_classes: int = 3) -> keras.Model:
    """The guide's branching model: relu and tanh branches, concatenated."""
    inputs = keras.Input(shape=(n_features,), name="features")
    branch1 = layers.Dense(32, activation="relu", name="relu_branch")(inputs)
    branch2 = layers.Dense(24, activation="tanh", name="tanh_branch")(inputs)
    merged = layers.Concatenate(name="join_branches")([branch1, branch2])
    outputs = layers.Dense(n_classes, activation="softmax", name="species")(merged)
    return keras.Model(inputs, outputs, name="branching")


def build_residual(n_features: int = 4, n_classes: int = 3, width: int = 32, blocks: int = 2) -> keras.Model:
    """Dense residual blocks: x + Dense(relu(Dense(x))) with an ``Add`` skip connection."""
    inputs = keras.Input(shape=(n_features,), name="features")
    x = layers.Dense(width, activation="relu", name="stem")(inputs)
    for i in range(blocks):
        h = layers.Dense(width, activation="relu", name=f"block{i}_dense1")(x)
        h = layers.Dense(width, name=f"block{i}_dense2")(h)
        x = layers.Activation("relu", name=f"block{i}_relu")(layers.Add(name=f"block{i}_skip")([x, h]))
    outputs = layers.Dense(n_classes, activation="softmax", name="species")(x)
    return keras.Model(inputs, outputs, name="residual")


def build_multi_io(n_classes: int = 3) -> keras.Model:
    """Two named inputs, a main and an auxiliary head.

    Data: Iris split into its two physical measurements — ``sepal`` (length, width) and
    ``petal`` (length, width) — which are meaningful as separate inputs. The auxiliary head
    classifies from the sepal branch alone (the harder view), the main head from both; with
    ``loss_weights`` the auxiliary loss shapes the sepal branch without dominating.
    """
    sepal = keras.Input(shape=(2,), name="sepal")
    petal = keras.Input(shape=(2,), name="petal")
    s = layers.Dense(16, activation="relu", name="sepal_dense")(sepal)
    p = layers.Dense(16, activation="relu", name="petal_dense")(petal)
    aux = layers.Dense(n_classes, activation="softmax", name="aux")(s)
    merged = layers.Concatenate(name="join_sepal_petal")([s, p])
    h = layers.Dense(16, activation="relu", name="joint_dense")(merged)
    main = layers.Dense(n_classes, activation="softmax", name="main")(h)
    return keras.Model(inputs={"sepal": sepal, "petal": petal}, outputs={"main": main, "aux": aux}, name="multi_io")


def functional_twin_of_moons_mlp(hidden=(16, 8)) -> keras.Model:
    """The moons MLP of :func:`keraslab.models.sequential.build_moons_mlp`, functional API."""
    inputs = keras.Input(shape=(2,))
    x = inputs
    for units in hidden:
        x = layers.Dense(units, activation="relu")(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="moons_mlp_functional")


@keras.saving.register_keras_serializable(package="keraslab")
class CustomModel(keras.Model):
    """The guide's subclassed model: two Dense layers wired in ``call``.

    ``get_config``/``from_config`` plus the registration above let a saved ``.keras`` file load
    in a fresh process with ``safe_mode=True``.
    """

    def __init__(self, hidden: int = 64, n_classes: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.n_classes = n_classes
        self.dense1 = layers.Dense(hidden, activation="relu")
        self.dense2 = layers.Dense(n_classes, activation="softmax")

    def call(self, inputs):
        x = self.dense1(inputs)
        return self.dense2(x)

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden, "n_classes": self.n_classes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
