"""keraslab's own callbacks, written like Keras' built-ins: one job each, state reset in
``on_train_begin``, documented arguments, and clear errors when misused."""

from __future__ import annotations

import time
import keras

from keraslab.errors import KeraslabError


class TrainingTimeCallback(keras.callbacks.Callback):
    """Records the wall time of each epoch (the original module guide's custom callback).

    The time is added to the epoch's logs under ``key`` so that it lands in ``History``
    (and so in the stored ``history.json``) beside the loss and metrics.

    Args:
        key: name of the logged value. Default ``"epoch_time"``.
        print_fn: called with a one-line message per epoch, or ``None`` (default) for silence.

    Attributes:
        epoch_times: seconds per epoch of the latest ``fit`` call (reset in ``on_train_begin``).
    """

    def __init__(self, key: str = "epoch_time", print_fn=None):
        super().__init__()
        self.key = key
        self.print_fn = print_fn
        self.epoch_times: list[float] = []
        self._start: float | None = None

    def on_train_begin(self, logs=None):
        self.epoch_times = []
        self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if self._start is None:
            raise RuntimeError("TrainingTimeCallback.on_epoch_end called before on_epoch_begin")
        elapsed = time.perf_counter() - self._start
        self.epoch_times.append(elapsed)
        if logs is not None:
            logs[self.key] = elapsed
        if self.print_fn is not None:
            self.print_fn(f"Epoch {epoch + 1}: {elapsed:.3f}s")


class LearningRateLogger(keras.callbacks.Callback):
    """Adds the optimizer's learning rate at the end of each epoch to the logs as ``lr``."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


def check_callbacks(callbacks, *, has_validation: bool, optimizer=None) -> None:
    """Catch misuse that Keras only warns about (or silently ignores), with what to do instead.

    (``ModelCheckpoint(save_weights_only=True)`` already refuses a path not ending in
    ``.weights.h5`` when constructed; a whole-model path ending in ``.h5`` only gets a legacy-format
    warning from Keras, so it is refused here.)"""
    for cb in callbacks:
        monitor = getattr(cb, "monitor", None)
        if isinstance(monitor, str) and monitor.startswith("val_") and not has_validation:
            raise KeraslabError(
                f"{type(cb).__name__} monitors {monitor!r} but fit() gets no validation data; pass "
                f"validation_data=(x_val, y_val) or validation_split=0.2, or monitor {monitor[4:]!r}"
            )
        if (
            isinstance(cb, keras.callbacks.ModelCheckpoint)
            and not cb.save_weights_only
            and not str(cb.filepath).endswith(".keras")
        ):
            raise KeraslabError(
                f"ModelCheckpoint needs a path ending in .keras (the whole model), got "
                f"{str(cb.filepath).rsplit('/', 1)[-1]!r}; or pass save_weights_only=True with "
                ".weights.h5"
            )
        if isinstance(cb, keras.callbacks.ReduceLROnPlateau) and optimizer is not None:
            if isinstance(optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule):
                raise KeraslabError(
                    "ReduceLROnPlateau cannot change a learning rate that is a schedule "
                    f"({type(optimizer._learning_rate).__name__}); pass a float learning_rate, or drop "
                    "ReduceLROnPlateau and let the schedule decide"
                )


#: the metrics an :class:`EpochLine` shows, where the epoch's logs have them
SHOWN = ("loss", "accuracy", "val_loss", "val_accuracy", "main_accuracy", "val_main_accuracy")


class EpochLine(keras.callbacks.Callback):
    """Prints one line per epoch: the label, ``epoch k/N``, the main metrics and the seconds.

    Args:
        label: what is training (``"simple_cnn seed 1/2"``).
        prefix: put before each line (a child process uses :data:`keraslab.progress.PROGRESS_PREFIX`).
    """

    def __init__(self, label: str, prefix: str = "  "):
        super().__init__()
        self.label, self.prefix = label, prefix
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        epochs = self.params.get("epochs", "?") if self.params else "?"
        shown = ", ".join(f"{k} {float(logs[k]):.4f}" for k in SHOWN if k in logs)
        print(
            f"{self.prefix}{self.label}, epoch {epoch + 1}/{epochs}: {shown}, {time.perf_counter() - self._start:.1f}s",
            flush=True,
        )
