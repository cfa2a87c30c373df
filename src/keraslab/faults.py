"""Fault injection for the reliability tests (``KERASLAB_FAULT``), in the spirit of PyTorch
Lightning's interrupted-training tests: a real child process is killed at a chosen point.

``KERASLAB_FAULT`` is a comma-separated list of ``kind@epoch[.batch][:tag]``:

- ``kill@2.3``   SIGKILL this process at batch 3 of epoch 2 (0-based), mid-epoch
- ``int@1.0``    SIGINT (Ctrl-C) at batch 0 of epoch 1
- ``nan@1``      poison the weights with NaN at the start of epoch 1 (a real NaN loss)
- ``kill@commit`` SIGKILL after a run's files are written, before the run is moved into place

A ``:tag`` restricts the fault to the fit whose ``tag`` matches (one experiment trains many
models). Unset, nothing happens: the callback is inert in normal use.
"""

from __future__ import annotations

import os
import signal

import keras
import numpy as np


def parse(spec: str | None) -> list[tuple[str, int, int | None, str | None]]:
    out = []
    for item in filter(None, (spec or "").split(",")):
        item, _, tag = item.partition(":")
        kind, _, where = item.partition("@")
        if where == "commit":
            continue  # handled by the run store: SIGKILL between writing the files and moving them into place
        epoch, _, batch = where.partition(".")
        out.append((kind, int(epoch), int(batch) if batch else None, tag or None))
    return out


class FaultInjector(keras.callbacks.Callback):
    def __init__(self, tag: str = "", spec: str | None = None):
        super().__init__()
        self.faults = [
            f for f in parse(spec if spec is not None else os.environ.get("KERASLAB_FAULT")) if f[3] in (None, tag)
        ]
        self.epoch = 0
        self.fired = set()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        for kind, e, _, _ in self.faults:
            if kind == "nan" and e == epoch:  # every weight: a ReLU alone would turn NaN inputs into 0
                for w in self.model.trainable_variables:
                    w.assign(np.full(w.shape, np.nan, dtype="float32"))

    def on_train_batch_end(self, batch, logs=None):
        # at batch b, or at the first batch reported after it: with several steps per execution
        # Keras reports only each call's last batch
        for fault in self.faults:
            kind, e, b, _ = fault
            if e == self.epoch and b is not None and batch >= b and fault not in self.fired:
                self.fired.add(fault)
                if kind == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                elif kind == "int":
                    os.kill(os.getpid(), signal.SIGINT)


def injectors(tag: str = "") -> list:
    """``[FaultInjector]`` when ``KERASLAB_FAULT`` is set, else ``[]``."""
    return [FaultInjector(tag)] if os.environ.get("KERASLAB_FAULT") else []
