"""Exercises for lesson 1, the Sequential API (``exercises/keras_sequential_exercises.py``)."""

from __future__ import annotations

from keraslab.exercises import Incorrect, Lesson, require
from keraslab.exercises import _inspect as inspect

LESSON = Lesson("sequential", "Lesson 1, the Sequential API")

#: the checker's own moons: the same distribution as the learner's, other points (never trained on)
FRESH_MOONS = {"n_samples": 1000, "noise": 0.3, "random_state": 2024}


def fresh_moons():
    from sklearn.datasets import make_moons

    x, y = make_moons(**FRESH_MOONS)
    return x.astype("float32"), y


@LESSON.exercise(
    1,
    "Build the 16-8-1 Sequential model for moons",
    names=("moons_model",),
    hints=(
        "A keras.Sequential takes a list: keras.Input(shape=(2,)) first, then three layers.Dense layers.",
        "Hidden layers: Dense(16, activation='relu') and Dense(8, activation='relu'). The output: one unit "
        "whose value is P(class 1), so activation='sigmoid'.",
    ),
    solution="""
    moons_model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(8, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    """,
)
def check_moons_model(moons_model):
    m = inspect.model(moons_model, "moons_model")
    inspect.built(m, "moons_model", 2)
    inspect.head(m, "moons_model", classes=2)
    dense = inspect.dense_layers(m)
    units = [layer.units for layer in dense]
    require(len(dense) == 3, f"moons_model has {len(dense)} Dense layers ({units}); the guide's model has 3: 16, 8, 1")
    require(units == [16, 8, 1], f"the Dense layers have {units} units; the guide's model has 16, then 8, then 1")
    acts = [inspect.activation(layer) for layer in dense[:2]]
    require(
        acts == ["relu", "relu"], f"the hidden layers use {' and '.join(acts)}; the guide's model uses relu in both"
    )
    return f"{m.count_params()} parameters: (2·16+16) + (16·8+8) + (8·1+1) = 193"


@LESSON.exercise(
    2,
    "Choose the head and the loss for a multiclass problem (Iris)",
    names=("iris_model",),
    hints=(
        "Three species means three output units, and their outputs should be probabilities that sum to 1.",
        "y_iris holds the integers 0, 1 and 2, not one-hot vectors: which cross-entropy takes integer labels?",
        "layers.Dense(3, activation='softmax') and loss='sparse_categorical_crossentropy'.",
    ),
    solution="""
    iris_model = keras.Sequential(
        [
            keras.Input(shape=(4,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )
    iris_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    """,
)
def check_iris_model(iris_model):
    m = inspect.model(iris_model, "iris_model")
    inspect.built(m, "iris_model", 4)
    inspect.head(m, "iris_model", classes=3)
    inspect.compiled(m, "iris_model")
    loss = inspect.loss_name(m)
    if loss == "categorical_crossentropy":
        raise Incorrect(
            "categorical_crossentropy expects one-hot labels, but y_iris holds the integers 0-2: "
            "use sparse_categorical_crossentropy"
        )
    if loss == "binary_crossentropy":
        raise Incorrect("binary cross-entropy is for two classes; Iris has three: use sparse_categorical_crossentropy")
    require(
        loss == "sparse_categorical_crossentropy",
        f"the loss is {loss}; for integer class labels use sparse_categorical_crossentropy",
    )
    return "3 softmax units and sparse categorical cross-entropy, compiled"


@LESSON.exercise(
    3,
    "Fit with a validation split and read the history",
    names=("history", "best_epoch"),
    hints=(
        "fit(..., validation_split=0.2) holds out the last 20% of the training arrays and reports val_loss "
        "and val_accuracy after every epoch; fit returns a History whose .history is a dict of lists.",
        "np.argmin(history.history['val_loss']) is the index of the lowest validation loss; epochs are counted "
        "from 1 by people and from 0 by Python.",
    ),
    solution="""
    keras.utils.set_random_seed(0)
    model3 = keras.Sequential(
        [keras.Input(shape=(2,)), layers.Dense(16, activation="relu"), layers.Dense(8, activation="relu"),
         layers.Dense(1, activation="sigmoid")]
    )
    model3.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model3.fit(x_train, y_train, validation_split=0.2, epochs=20, batch_size=32, verbose=0)
    best_epoch = int(np.argmin(history.history["val_loss"])) + 1
    """,
)
def check_history(history, best_epoch):
    import keras
    import numpy as np

    require(
        isinstance(history, keras.callbacks.History),
        f"history is a {type(history).__name__}; it should be what fit returns (a keras.callbacks.History)",
    )
    logs = history.history
    require(
        "val_loss" in logs,
        "history has no val_loss: pass validation_split=0.2 (or validation_data=...) to fit",
    )
    val = np.asarray(logs["val_loss"])
    best = int(np.argmin(val)) + 1
    require(not isinstance(best_epoch, bool), "best_epoch should be an epoch number, not True/False")
    try:
        given = int(best_epoch)
    except (TypeError, ValueError):
        raise Incorrect(f"best_epoch should be a whole number, got {best_epoch!r}") from None
    if given == best - 1:
        raise Incorrect(
            f"best_epoch is {given}, one less than the epoch with the lowest val_loss ({best}): the list is "
            "indexed from 0, epochs are counted from 1"
        )
    if "loss" in logs and given == int(np.argmin(logs["loss"])) + 1 and given != best:
        raise Incorrect(
            f"epoch {given} has the lowest training loss; the question asks for the lowest validation loss (val_loss)"
        )
    require(given == best, f"best_epoch is {given}, but the lowest val_loss was at epoch {best} (counting from 1)")
    return f"epoch {best} of {len(val)} had the lowest val_loss ({val.min():.4f})"


@LESSON.exercise(
    4,
    "Find a learning rate that makes Adagrad clear 0.85 on moons",
    names=("adagrad_model",),
    hints=(
        "With Keras' default learning rate (0.001) Adagrad's steps shrink before the model gets anywhere: "
        "pass keras.optimizers.Adagrad(learning_rate=...) to compile.",
        "Try rates ten and a hundred times the default (0.01, 0.1) with the same 16-8-1 model and 50 epochs.",
    ),
    solution="""
    keras.utils.set_random_seed(0)
    adagrad_model = keras.Sequential(
        [keras.Input(shape=(2,)), layers.Dense(16, activation="relu"), layers.Dense(8, activation="relu"),
         layers.Dense(1, activation="sigmoid")]
    )
    adagrad_model.compile(
        optimizer=keras.optimizers.Adagrad(learning_rate=0.1), loss="binary_crossentropy", metrics=["accuracy"]
    )
    adagrad_model.fit(x_train, y_train, epochs=50, batch_size=32, verbose=0)
    """,
)
def check_adagrad(adagrad_model):
    import keras

    m = inspect.model(adagrad_model, "adagrad_model")
    inspect.built(m, "adagrad_model", 2)
    inspect.head(m, "adagrad_model", classes=2)
    inspect.compiled(m, "adagrad_model")
    optimizer = type(m.optimizer).__name__
    require(
        isinstance(m.optimizer, keras.optimizers.Adagrad),
        f"adagrad_model's optimizer is {optimizer}; the exercise is about Adagrad: "
        "keras.optimizers.Adagrad(learning_rate=...)",
    )
    lr = inspect.learning_rate(m)
    x, y = fresh_moons()
    acc = inspect.accuracy(m, x, y)
    if acc < 0.85 and abs(lr - 0.001) < 1e-9:
        raise Incorrect(
            f"with Keras' default learning rate 0.001 Adagrad's steps are too small: accuracy {acc:.3f} on 1,000 "
            "fresh moons points; try learning_rate=0.1"
        )
    require(
        acc >= 0.85,
        f"accuracy on 1,000 fresh moons points is {acc:.3f}, below 0.85 (learning rate {lr:g}): is the model "
        "trained? try a larger learning rate or more epochs",
    )
    return f"accuracy {acc:.3f} on 1,000 moons points your model never saw (learning rate {lr:g})"
