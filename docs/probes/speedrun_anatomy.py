"""Where the speedrun's Keras epoch goes, beside its PyTorch twin's, on fresh models.

Run from the repository root (about 1.5 minutes on 2 cores):

    .venv/bin/python docs/probes/speedrun_anatomy.py [reps]

Each rep trains the speedrun's Keras model one epoch exactly as the speedrun does
(``compile_model``, then ``model.fit`` with ``FAST.fit``'s callbacks spelled out, timed from the
epoch's begin to its end), then the twin's one epoch (``train_speedrun``, the speedrun's precision
class), in this one process. The Keras epoch is split into: creating the optimizer's state
(``state_before_tracing``); the first compiled call, of which tracing ``multi_step_on_iterator``
into a graph (``one_step_on_data`` traced inside it) is timed apart; and a steady call of 16
steps. Whatever the first call takes beyond its trace and a steady call is graph optimisation,
instantiation and the first run of each kernel. Python's garbage collector counts the full
collections that fall inside the timed epochs, and one is timed at the end. docs/performance.md
("The speedrun's gap to its twin") quotes its output.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keraslab.backend  # noqa: E402,F401  (the CPU kind's TensorFlow settings, before Keras loads)
import keras  # noqa: E402
import numpy as np  # noqa: E402
from tensorflow.python.eager.polymorphic_function import polymorphic_function  # noqa: E402

from keraslab.compat import state_before_tracing  # noqa: E402
from keraslab.contestant import speedrun_data  # noqa: E402
from keraslab.experiments.speedrun import Config, build_model, compile_model, recipe  # noqa: E402
from keraslab.fast import cpu_has_bf16, precision_policy  # noqa: E402
from keraslab.models import torch_models  # noqa: E402

traces: dict[str, float] = {}
_initialize = polymorphic_function.Function._initialize


def _timed_initialize(self, *args, **kwargs):
    start = time.perf_counter()
    try:
        return _initialize(self, *args, **kwargs)
    finally:
        traces[self._name] = time.perf_counter() - start


polymorphic_function.Function._initialize = _timed_initialize
inside = {"epoch": False, "full_collections": 0}


def _count_full_collections(phase, info):
    if phase == "stop" and info["generation"] == 2 and inside["epoch"]:
        inside["full_collections"] += 1


gc.callbacks.append(_count_full_collections)


class Mark(keras.callbacks.Callback):
    """Stamps ``record[name]`` at the epoch's begin; with ``calls``, also each compiled call's end
    and the epoch's end."""

    def __init__(self, record, name, calls=False):
        super().__init__()
        self.record, self.name, self.calls = record, name, calls

    def on_epoch_begin(self, epoch, logs=None):
        self.record[self.name] = time.perf_counter()
        inside["epoch"] = True

    def on_train_batch_end(self, batch, logs=None):
        if self.calls:
            self.record.setdefault("calls", []).append(time.perf_counter())

    def on_epoch_end(self, epoch, logs=None):
        if self.calls:
            self.record["end"] = time.perf_counter()
            inside["epoch"] = False


def keras_epoch(cfg, seed, x, y) -> dict:
    with precision_policy(cfg.precision):
        keras.utils.set_random_seed(seed)
        model = build_model()
        compile_model(model, cfg, len(x))
        t: dict = {}
        traces.clear()
        model.fit(
            x,
            y,
            batch_size=cfg.batch_size,
            epochs=1,
            verbose=0,
            callbacks=[Mark(t, "begin"), state_before_tracing(x, y), Mark(t, "state", calls=True)],
        )
    calls = np.diff([t["state"], *t["calls"]])
    steady = float(np.median(calls[1:-1]))
    return {
        "epoch": t["end"] - t["begin"],
        "state": t["state"] - t["begin"],
        "first call": float(calls[0]),
        "trace": traces.get("multi_step_on_iterator", 0.0),
        "of which one_step_on_data": traces.get("one_step_on_data", 0.0),
        "steady call": steady,
        "beyond trace and a steady call": float(calls[0]) - traces.get("multi_step_on_iterator", 0.0) - steady,
        "steady ms per step": 1000 * steady / model.steps_per_execution,
    }


def main(reps: int) -> None:
    (x, y), _, _ = speedrun_data(5000, 0)
    cfg = Config()
    nchw = x.transpose(0, 3, 1, 2).copy()
    steps = -(-len(x) // cfg.batch_size)
    rows, twin = [], []
    for rep in range(reps):
        rows.append(keras_epoch(cfg, rep, x, y))
        inside["epoch"] = True
        _, seconds = torch_models.train_speedrun(
            nchw, y, seed=rep, **recipe(cfg), channels_last=True, bf16=cpu_has_bf16()
        )
        inside["epoch"] = False
        twin.append(seconds)
        r = rows[-1]
        print(
            f"rep {rep}: Keras {r['epoch']:.2f}s (state {r['state']:.3f}, first call {r['first call']:.3f} of which "
            f"trace {r['trace']:.3f}, steady {r['steady ms per step']:.1f} ms/step); twin {seconds:.2f}s "
            f"({1000 * seconds / steps:.1f} ms/step on average, its first steps included)",
            flush=True,
        )
    print(f"\nmedians over {reps} reps, seconds unless marked:")
    for key in rows[0]:
        print(f"  Keras {key}: {statistics.median(r[key] for r in rows):.3f}")
    print(f"  twin epoch: {statistics.median(twin):.3f} ({1000 * statistics.median(twin) / steps:.1f} ms/step)")
    won = sum(r["epoch"] < s for r, s in zip(rows, twin))
    print(f"  Keras faster in {won} of {reps} reps")
    print(f"  Python's full garbage collections inside the timed epochs: {inside['full_collections']}")
    start = time.perf_counter()
    gc.collect()
    print(
        f"  one full collection here, now: {time.perf_counter() - start:.3f}s over {len(gc.get_objects()):,} "
        "tracked objects"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
