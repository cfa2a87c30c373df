"""Progress a user can see: per epoch, the Keras way.

- On a terminal: Keras' own progress bar (``verbose="auto"``) under a header line naming the arm
  and seed (``simple_cnn seed 1/2``).
- Not on a terminal (logs, CI, a pipe): one line per epoch,
  ``simple_cnn seed 1/2, epoch 4/10: loss 0.0412, accuracy 0.9871, val_accuracy 0.9868, 7.1s``.
- ``--quiet`` (``KERASLAB_QUIET=1``): summary lines only.

A child process (a benchmark contestant, a distributed worker) prints its lines with
:data:`PROGRESS_PREFIX`; the parent streams them, prefixed with the child's name.

This module does not import Keras, so the process launchers (``keraslab.contestant``, the CLI)
share its markers without loading TensorFlow; the line-per-epoch callback is
:class:`keraslab.callbacks.EpochLine`.
"""

from __future__ import annotations

import os
import sys

QUIET_ENV = "KERASLAB_QUIET"
CHILD_ENV = "KERASLAB_PROGRESS_CHILD"  # set for child processes: lines go to the parent, not a terminal
LABEL_ENV = "KERASLAB_PROGRESS_LABEL"  # a distributed worker's name, put before its lines
PROGRESS_PREFIX = "KERASLAB_PROGRESS "


def quiet() -> bool:
    return os.environ.get(QUIET_ENV, "") not in ("", "0")


def on_terminal() -> bool:
    return sys.stdout.isatty() and not os.environ.get(CHILD_ENV)


def fit_progress(label: str) -> tuple[object, list]:
    """``(verbose, callbacks)`` for one ``fit``: the bar on a terminal, lines otherwise, nothing if quiet."""
    from keraslab.callbacks import EpochLine

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
