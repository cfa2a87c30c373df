"""Exercises for lesson 3, callbacks (``exercises/keras_callbacks_exercises.py``). Callbacks are
checked the way Keras' own callback tests check them: their hooks are called with scripted logs,
on a tiny model, without training."""

from __future__ import annotations

from keraslab.exercises import Incorrect, Lesson, require

LESSON = Lesson("callbacks", "Lesson 3, callbacks")


def tiny_model():
    import keras

    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


@LESSON.exercise(
    1,
    "Configure EarlyStopping with restore_best_weights",
    names=("early_stopping",),
    hints=(
        "keras.callbacks.EarlyStopping(monitor=..., patience=..., restore_best_weights=...): watch the validation "
        "loss, wait a few epochs before giving up.",
        "monitor='val_loss', patience=5, restore_best_weights=True: without the last one the model keeps the "
        "weights of the last epoch it ran, not of the best one.",
    ),
    solution="""
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    """,
)
def check_early_stopping(early_stopping):
    import keras
    import numpy as np

    require(
        isinstance(early_stopping, keras.callbacks.EarlyStopping),
        f"early_stopping is a {type(early_stopping).__name__}; build it with keras.callbacks.EarlyStopping(...)",
    )
    require(
        early_stopping.monitor == "val_loss",
        f"it monitors {early_stopping.monitor!r}: watch 'val_loss', the loss on data the model does not train on",
    )
    require(
        early_stopping.restore_best_weights,
        "restore_best_weights is False: training stops, but the model keeps the last epoch's weights, not the best",
    )
    patience = early_stopping.patience
    require(
        patience >= 2,
        f"patience={patience} stops at the first epoch that fails to improve, which noise alone causes: wait a few "
        "epochs (e.g. 5)",
    )
    require(patience <= 20, f"patience={patience} waits so long that it rarely stops anything: try about 5")
    # drive it: the validation loss is best at epoch 3 (index 2), then never improves
    model = tiny_model()
    early_stopping.set_model(model)
    val_losses = [1.0, 0.8, 0.5] + [0.6 + 0.01 * i for i in range(40)]
    early_stopping.on_train_begin()
    stopped_after = None
    for epoch, val_loss in enumerate(val_losses):
        model.set_weights([np.full((1, 1), float(epoch), "float32"), np.zeros(1, "float32")])
        early_stopping.on_epoch_end(epoch, {"loss": 0.1, "val_loss": val_loss})
        if model.stop_training:
            stopped_after = epoch + 1
            break
    early_stopping.on_train_end()
    require(
        stopped_after is not None,
        "driven with a val_loss that stops improving after epoch 3, it never stopped training",
    )
    require(
        stopped_after == 3 + patience,
        f"with the best val_loss at epoch 3 and patience {patience} it should stop after epoch {3 + patience}, "
        f"but it stopped after {stopped_after}: check mode (use 'min' or 'auto' for a loss) and min_delta",
    )
    kept = float(model.get_weights()[0][0, 0])
    require(kept == 2.0, f"after stopping the model holds epoch {int(kept) + 1}'s weights instead of the best epoch's")
    return f"stops {patience} epochs after the best val_loss and restores the best epoch's weights"


@LESSON.exercise(
    2,
    "Write a callback that stops training at a validation-accuracy threshold",
    names=("StopAtAccuracy",),
    hints=(
        "class StopAtAccuracy(keras.callbacks.Callback) with __init__(self, threshold) that calls super().__init__() "
        "and stores the threshold; the check happens in on_epoch_end(self, epoch, logs=None).",
        "logs holds this epoch's metrics: logs.get('val_accuracy'). To stop, set self.model.stop_training = True.",
    ),
    solution="""
    class StopAtAccuracy(keras.callbacks.Callback):
        def __init__(self, threshold=0.95):
            super().__init__()
            self.threshold = threshold

        def on_epoch_end(self, epoch, logs=None):
            accuracy = (logs or {}).get("val_accuracy")
            if accuracy is not None and accuracy >= self.threshold:
                print(f"epoch {epoch + 1}: val_accuracy {accuracy:.4f} >= {self.threshold}, stopping")
                self.model.stop_training = True
    """,
)
def check_stop_at_accuracy(StopAtAccuracy):
    import keras

    require(
        isinstance(StopAtAccuracy, type) and issubclass(StopAtAccuracy, keras.callbacks.Callback),
        "StopAtAccuracy should be a class that subclasses keras.callbacks.Callback",
    )

    def drive(threshold, logs_per_epoch):
        callback = StopAtAccuracy(threshold)
        model = tiny_model()
        callback.set_model(model)
        model.stop_training = False
        callback.on_train_begin({})
        for epoch, logs in enumerate(logs_per_epoch):
            callback.on_epoch_begin(epoch, {})
            callback.on_epoch_end(epoch, dict(logs))
            if model.stop_training:
                return epoch + 1
        return None

    first = drive(0.9, [{"accuracy": 0.95, "val_accuracy": 0.5}, {"accuracy": 0.97, "val_accuracy": 0.85}])
    require(
        first is None,
        f"it stopped after epoch {first} with val_accuracy at most 0.85 and threshold 0.9: compare "
        "logs['val_accuracy'] (not the training accuracy) with the threshold",
    )
    stopped = drive(0.9, [{"val_accuracy": 0.5}, {"val_accuracy": 0.89}, {"val_accuracy": 0.9}, {"val_accuracy": 0.95}])
    require(
        stopped is not None,
        "val_accuracy reached the threshold 0.9 and training went on: set self.model.stop_training = True",
    )
    require(stopped == 3, f"it stopped after epoch {stopped}; val_accuracy first reached 0.9 at epoch 3 (>= counts)")
    other = drive(0.97, [{"val_accuracy": 0.95}, {"val_accuracy": 0.96}, {"val_accuracy": 0.98}])
    require(other == 3, "with threshold 0.97 it did not stop at the first epoch at or above 0.97: use self.threshold")
    try:
        drive(0.9, [{"loss": 0.3}])
    except KeyError:
        raise Incorrect(
            "without validation data logs has no 'val_accuracy' and it raised KeyError: use logs.get('val_accuracy')"
        ) from None
    return "stops at the first epoch whose val_accuracy reaches the threshold, and only then"


@LESSON.exercise(
    3,
    "Write a step schedule for LearningRateScheduler",
    names=("schedule", "lr_callback"),
    hints=(
        "Keras calls schedule(epoch, lr) before each epoch with the epoch index counted from 0 and the current "
        "rate, and uses what it returns.",
        "Return 1e-3 for epoch < 20, 1e-4 for epoch < 40, else 1e-5; then lr_callback = "
        "keras.callbacks.LearningRateScheduler(schedule).",
    ),
    solution="""
    def schedule(epoch, lr):
        if epoch < 20:
            return 1e-3
        if epoch < 40:
            return 1e-4
        return 1e-5


    lr_callback = keras.callbacks.LearningRateScheduler(schedule)
    """,
)
def check_schedule(schedule, lr_callback):
    import keras

    require(callable(schedule), f"schedule is a {type(schedule).__name__}; it should be a function schedule(epoch, lr)")
    want = [1e-3 if e < 20 else 1e-4 if e < 40 else 1e-5 for e in range(60)]
    lr, got = 1e-3, []
    for epoch in range(60):  # as Keras calls it: the rate it returned last time comes back in
        lr = float(schedule(epoch, lr))
        got.append(lr)
    for epoch, (g, w) in enumerate(zip(got, want)):
        if abs(g - w) > 1e-12 * max(1.0, w) + 1e-15:
            if epoch in (19, 39) and abs(g - want[epoch + 1]) < 1e-15:
                raise Incorrect(
                    f"at epoch index {epoch} it already returns {g:g}: Keras counts epochs from 0, so the 21st "
                    f"epoch is index {epoch + 1}"
                )
            if epoch > 20 and g < w:
                raise Incorrect(
                    f"at epoch index {epoch} it returns {g:g} instead of {w:g}: it multiplies the current rate again "
                    "every epoch; drop only at epochs 20 and 40 (or return the rate for the epoch directly)"
                )
            raise Incorrect(f"at epoch index {epoch} it returns {g:g}; it should return {w:g}")
    require(
        isinstance(lr_callback, keras.callbacks.LearningRateScheduler),
        f"lr_callback is a {type(lr_callback).__name__}: wrap the function, "
        "keras.callbacks.LearningRateScheduler(schedule)",
    )
    require(lr_callback.schedule is schedule, "lr_callback wraps another function than your schedule")
    return "1e-3 for epochs 1-20, 1e-4 for 21-40, 1e-5 after, wrapped in a LearningRateScheduler"
