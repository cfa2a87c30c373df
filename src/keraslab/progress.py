"""Progress a user can see: per epoch, the Keras way.

- On a terminal: Keras' own progress bar (``verbose="auto"``) under a header line naming the arm
  and seed (``simple_cnn seed 1/2``).
- Not on a terminal (logs, CI, a pipe): one line per epoch,
  ``simple_cnn seed 1/2, epoch 4/10: loss 0.0412, accuracy 0.9871, val_accuracy 0.9868, 7.1s``.
- ``--quiet`` (``KERASLAB_QUIET=1``): summary lines only.

A child process (a benchmark contestant, a distributed worker) prints its lines with
:data:`PROGRESS_PREFIX`; the parent streams them, prefixed with the child's name.
"""

from __future__ import annotations

import os
import sys
import time

import keras

QUIET_ENV = "KERASLAB_QUIET"
CHILD_ENV = "KERASLAB_PROGRESS_CHILD"  # set for child processes: lines go to the parent, not a terminal
LABEL_ENV = "KERASLAB_PROGRESS_LABEL"  # a distributed worker's name, put before its lines
PROGRESS_PREFIX = "KERASLAB_PROGRESS "
SHOWN = ("loss", "accuracy", "val_loss", "val_accuracy", "main_accuracy", "val_main_accuracy")


def quiet() -> bool:
    return os.environ.get(QUIET_ENV, "") not in ("", "0")


def on_terminal() -> bool:
    return sys.stdout.isatty() and not os.environ.get(CHILD_ENV)


class EpochLine(keras.callbacks.Callback):
    """Prints one line per epoch: the label, ``epoch k/N``, the main metrics and the seconds.

    Args:
        label: what is training (``"simple_cnn seed 1/2"``).
        prefix: put before each line (a child process uses :data:`PROGRESS_PREFIX`).
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


def fit_progress(label: str) -> tuple[object, list]:
    """``(verbose, callbacks)`` for one ``fit``: the bar on a terminal, lines otherwise, nothing if quiet."""
    if os.environ.get(LABEL_ENV):
        label = f"[{os.environ[LABEL_ENV]}] {label}"
    if quiet():
        return 0, []
    if os.environ.get(CHILD_ENV):
        return 0, [EpochLine(label, prefix=PROGRESS_PREFIX)]
    if on_terminal():
        print(f"  {label}", flush=True)
        return "auto", []
    return 0, [EpochLine(label)]


def say(text: str) -> None:
    """A summary line: always printed (also with --quiet)."""
    print(text, flush=True)
