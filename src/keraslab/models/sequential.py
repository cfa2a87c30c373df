"""Sequential-API models of the original module guide."""

import keras
from keras import layers


def build_moons_mlp(hidden=(16, 8)) -> keras.Model:
    """The guide's binary classifier: Dense(16, relu) -> Dense(8, relu) -> Dense(1, sigmoid)."""
    return keras.Sequential(
        [keras.Input(shape=(2,))]
        + [layers.Dense(units, activation="relu") for units in hidden]
        + [layers.Dense(1, activation="sigmoid")],
        name="moons_mlp",
    )


def build_iris_mlp(hidden: int = 16) -> keras.Model:
    """A small multiclass classifier for the 4 Iris features and 3 species."""
    return keras.Sequential(
        [
            keras.Input(shape=(4,)),
            layers.Dense(hidden, activation="relu"),
            layers.Dense(hidden, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ],
        name="iris_mlp",
    )
