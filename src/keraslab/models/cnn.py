"""The original module guide's three MNIST CNNs."""

import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)


def build_simple_cnn() -> keras.Model:
    """Conv(32)-Pool-Conv(64)-Pool-Conv(64)-Flatten-Dense(64)-Dense(10): 93,322 parameters."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ],
        name="simple_cnn",
    )


def build_improved_cnn() -> keras.Model:
    """The guide's improved CNN exactly as it lists it (BatchNorm + Dropout)."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.BatchNormalization(),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Dropout(0.25),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.BatchNormalization(),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.BatchNormalization(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ],
        name="improved_cnn",
    )


def build_functional_cnn() -> keras.Model:
    """A functional CNN whose auxiliary head (after the second block) also feeds the loss."""
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = layers.Conv2D(32, 3, activation="relu", padding="same")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    x = layers.MaxPooling2D(2)(x)
    aux = layers.GlobalAveragePooling2D()(x)
    aux = layers.Dense(10, activation="softmax", name="aux")(aux)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(0.25)(x)
    main = layers.Dense(10, activation="softmax", name="main")(x)
    return keras.Model(inputs, {"main": main, "aux": aux}, name="functional_cnn")


BUILDERS = {"simple_cnn": build_simple_cnn, "improved_cnn": build_improved_cnn, "functional_cnn": build_functional_cnn}
