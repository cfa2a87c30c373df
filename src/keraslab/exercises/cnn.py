"""Exercises for lesson 4, a CNN on MNIST (``exercises/keras_cnn_exercises.py``)."""

from __future__ import annotations

from keraslab.data import load_mnist
from keraslab.exercises import Incorrect, Lesson, require
from keraslab.exercises import _inspect as inspect

LESSON = Lesson("cnn", "Lesson 4, a CNN on MNIST")

#: exercise 3's budget, stated in the exercise: passes over the 60,000 training images
EPOCH_BUDGET = 3
TARGET = 0.99


def _whole_number(value, name: str) -> int:
    require(
        isinstance(value, (int,)) or (hasattr(value, "__int__") and float(value) == int(value)),
        f"{name} should be a whole number of parameters, got {value!r}",
    )
    return int(value)


@LESSON.exercise(
    1,
    "Count a Conv2D layer's parameters by hand",
    names=("conv_params", "dense_params"),
    hints=(
        "A Conv2D filter of size 3x3 looks at every input channel: it has 3·3·channels_in weights, plus one bias. "
        "The layer has one such filter per output channel.",
        "Conv2D(64, 3) on 32 channels: (3·3·32 + 1)·64. Dense(64) on 576 inputs: (576 + 1)·64.",
    ),
    solution="""
    conv_params = (3 * 3 * 32 + 1) * 64  # 18,496
    dense_params = (576 + 1) * 64  # 36,928
    """,
)
def check_param_counts(conv_params, dense_params):
    conv = _whole_number(conv_params, "conv_params")
    if conv == 3 * 3 * 32 * 64:
        raise Incorrect(f"conv_params is {conv:,}, the weights only: each of the 64 filters also has a bias")
    if conv in (3 * 3 * 64 + 64, 3 * 3 * 64):
        raise Incorrect(
            f"conv_params is {conv:,}, as if each filter saw one channel: a filter spans all 32 input channels, "
            "3·3·32 weights"
        )
    require(
        conv == (3 * 3 * 32 + 1) * 64,
        f"conv_params is {conv:,}: count 3·3·32 weights and 1 bias per filter, 64 filters",
    )
    dense = _whole_number(dense_params, "dense_params")
    if dense == 576 * 64:
        raise Incorrect(f"dense_params is {dense:,}, the weights only: each of the 64 units also has a bias")
    require(dense == (576 + 1) * 64, f"dense_params is {dense:,}: 576 inputs times 64 units, plus 64 biases")
    return "Conv2D(64, 3) on 32 channels has 18,496 parameters, Dense(64) on 576 inputs 36,928"


@LESSON.exercise(
    2,
    "Why the Improved CNN has about 600,000 parameters, not 1,250,858",
    names=("flatten_size", "improved_dense_params"),
    hints=(
        "With padding='valid' (the default) a 3x3 convolution takes one pixel off each side: 28 -> 26. "
        "MaxPooling2D(2) halves the size, rounding down.",
        "28 -> 26 -> 24 -> pool 12 -> 10 -> 8 -> pool 4: the last feature map is 4x4x64 before Flatten. Then "
        "Dense(512) has (inputs + 1)·512 parameters.",
    ),
    solution="""
    flatten_size = 4 * 4 * 64  # 1,024
    improved_dense_params = (flatten_size + 1) * 512  # 524,800: most of the model
    """,
)
def check_improved_count(flatten_size, improved_dense_params):
    size = _whole_number(flatten_size, "flatten_size")
    if size == 7 * 7 * 64:
        raise Incorrect(
            "flatten_size 3,136 is a 7x7x64 map, what padding='same' would give; the guide's layers use the default "
            "'valid' padding, which takes 2 pixels off per 3x3 conv: 28->26->24->12->10->8->4"
        )
    if size == 5 * 5 * 64:
        raise Incorrect(
            "flatten_size 1,600 is a 5x5x64 map: count every conv's shrink, 28->26->24->12->10->8->4 (two convs "
            "before each pooling)"
        )
    require(
        size == 4 * 4 * 64, f"flatten_size is {size:,}: follow the size 28->26->24->12->10->8->4, times 64 channels"
    )
    dense = _whole_number(improved_dense_params, "improved_dense_params")
    if dense == size * 512:
        raise Incorrect(f"improved_dense_params is {dense:,}, the weights only: add the 512 biases")
    require(dense == (size + 1) * 512, f"improved_dense_params is {dense:,}: (flatten_size + 1) · 512")
    return "a 4x4x64 map flattens to 1,024 numbers, and Dense(512) on them has 524,800 of the ~600,000 parameters"


@LESSON.exercise(
    3,
    f"Get a CNN above {TARGET:.0%} on MNIST in at most {EPOCH_BUDGET} epochs",
    names=("cnn_model", "cnn_history"),
    hints=(
        "The Simple CNN of the lesson gets about 99% in a few epochs; adding a little capacity, or a learning rate "
        "that falls during training, makes it dependable.",
        "Conv2D(24, 5) and Conv2D(32, 3) with ReLU, MaxPooling2D(2) after each, Flatten, Dense(256, relu), "
        "Dense(10, softmax); Adam whose learning rate warms up to 5e-3 and decays to zero "
        "(keras.optimizers.schedules.CosineDecay with warmup_target and warmup_steps); batch 128; 2 epochs.",
    ),
    solution="""
    keras.utils.set_random_seed(0)
    cnn_model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(24, 5, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    steps = 2 * int(np.ceil(len(x_train) / 128))  # two epochs of batches
    schedule = keras.optimizers.schedules.CosineDecay(  # up for a fifth of the steps, then down to zero
        0.0, decay_steps=steps - steps // 5, warmup_target=5e-3, warmup_steps=steps // 5
    )
    cnn_model.compile(
        optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    cnn_history = cnn_model.fit(x_train, y_train, epochs=2, batch_size=128, verbose=2)
    """,
)
def check_cnn(cnn_model, cnn_history):
    import keras

    m = inspect.model(cnn_model, "cnn_model")
    require(
        m.built and getattr(m, "inputs", None) and tuple(m.inputs[0].shape[1:]) == (28, 28, 1),
        "cnn_model should take images of shape (28, 28, 1): start with keras.Input(shape=(28, 28, 1))",
    )
    require(
        isinstance(cnn_history, keras.callbacks.History),
        f"cnn_history is a {type(cnn_history).__name__}; it should be what cnn_model.fit returns",
    )
    epochs = len(cnn_history.epoch)
    require(epochs <= EPOCH_BUDGET, f"it trained for {epochs} epochs; the budget is at most {EPOCH_BUDGET}")
    with _quiet_stderr():
        (_, _), (x_test, y_test) = load_mnist(log=lambda msg: None)
    x_test = (x_test.astype("float32") / 255.0)[..., None]  # the scaling the lesson uses
    accuracy = inspect.accuracy(m, x_test, y_test)
    require(
        accuracy >= TARGET,
        f"test accuracy {accuracy:.4f} on the 10,000 test images is below {TARGET}: more capacity or a falling "
        "learning rate (hint 2); is the model trained on x_train scaled to [0, 1]?",
    )
    return f"test accuracy {accuracy:.4f} on the 10,000 MNIST test images your code never trained on, {epochs} epochs"


@LESSON.exercise(
    4,
    "Compute a confusion matrix",
    names=("confusion_matrix",),
    hints=(
        "confusion_matrix(y_true, y_pred) returns a 10x10 array of integers; entry [i, j] counts the images whose "
        "true digit is i and that were predicted as j.",
        "Start from np.zeros((10, 10), dtype=int) and add 1 at [true, predicted] for each image "
        "(np.add.at does all of them at once).",
    ),
    solution="""
    def confusion_matrix(y_true, y_pred):
        matrix = np.zeros((10, 10), dtype=int)
        np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
        return matrix
    """,
)
def check_confusion(confusion_matrix):
    import numpy as np

    require(callable(confusion_matrix), "confusion_matrix should be a function confusion_matrix(y_true, y_pred)")
    rng = np.random.default_rng(7)
    y_true = rng.integers(0, 10, 500)
    y_pred = np.where(rng.random(500) < 0.7, y_true, rng.integers(0, 10, 500))
    y_true[:3], y_pred[:3] = 3, 8  # an asymmetric confusion, so that a transposed matrix shows
    want = np.zeros((10, 10), dtype=int)
    np.add.at(want, (y_true, y_pred), 1)
    got = np.asarray(confusion_matrix(y_true, y_pred))
    require(got.shape == (10, 10), f"it returns shape {got.shape}; a confusion matrix over 10 digits is 10x10")
    if np.allclose(got, want / want.sum(axis=1, keepdims=True)):
        raise Incorrect("it returns fractions per row; the question asks for counts of images (integers)")
    if np.array_equal(got, want.T):
        raise Incorrect("rows and columns are swapped: row i should count the images whose true digit is i")
    require(np.array_equal(got, want), "its counts differ from the true ones: entry [i, j] counts true i predicted j")
    require(got.sum() == len(y_true), "its entries do not add up to the number of images")
    return "rows are true digits, columns predictions, and every image is counted once"


class _quiet_stderr:
    """The data loader's progress lines are not part of a check's answer."""

    def __enter__(self):
        import contextlib
        import io

        self._cm = contextlib.redirect_stderr(io.StringIO())
        return self._cm.__enter__()

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)
