"""Where the speedrun's one epoch goes in Keras: the first compiled call against the rest.

Run from the repository root (about 2 minutes on 2 cores):

    .venv/bin/python docs/probes/speedrun_first_call.py [reps]

Each variant trains the speedrun's model and recipe (keraslab.experiments.speedrun) for its one
epoch on a fresh model, the variants alternated rep by rep so that a noisy host's slow minutes fall
on all of them. Printed per variant: the whole ``fit``, its first compiled call (tracing, graph
optimisation, the first run of every kernel and the first ``steps_per_execution`` batches) and the
other calls. docs/performance.md ("The speedrun's gap to its twin") quotes its output.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keraslab.backend  # noqa: E402,F401  (the CPU kind's TensorFlow settings, before Keras loads)
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keraslab.contestant import speedrun_data  # noqa: E402
from keraslab.experiments.speedrun import Config, build_model  # noqa: E402
from keraslab.fast import precision_policy  # noqa: E402
from keraslab.harness import steps_per_execution  # noqa: E402
from keraslab.schedules import OneCycle  # noqa: E402


class CallTimes(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.t = [time.perf_counter()]

    def on_train_batch_end(self, batch, logs=None):
        self.t.append(time.perf_counter())


def trace_train_step(x, y, cfg) -> tuple[float, float]:
    """(seconds to trace one ``train_step`` into a graph, seconds of its first run on one batch)."""
    with precision_policy(cfg.precision):
        model = build_model()
        schedule = OneCycle(cfg.peak_learning_rate, 215, 64)
        model.compile(
            optimizer=keras.optimizers.Adam(schedule, beta_1=cfg.beta_1, beta_2=cfg.beta_2),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        model.optimizer.build(model.trainable_variables)
        step = tf.function(model.train_step, reduce_retracing=True)
        spec = (tf.TensorSpec([None, 28, 28, 1], tf.float32), tf.TensorSpec([None], y.dtype))
        start = time.perf_counter()
        step.get_concrete_function(spec)
        traced = time.perf_counter()
        np.asarray(step((tf.constant(x[:256]), tf.constant(y[:256])))["loss"])
        return traced - start, time.perf_counter() - traced


def main(reps: int) -> None:
    (x, y), _, _ = speedrun_data(5000, 0)
    cfg = Config()
    spe = steps_per_execution("tensorflow", len(x))
    variants = {
        f"as the speedrun ({spe} steps/call, accuracy metric)": dict(spe=spe, metrics=["accuracy"]),
        f"no training-accuracy metric ({spe} steps/call)": dict(spe=spe, metrics=None),
        "1 step per call, accuracy metric": dict(spe=1, metrics=["accuracy"]),
        "64 steps per call, no metric": dict(spe=64, metrics=None),
        f"Grappler off ({spe} steps/call, no metric)": dict(spe=spe, metrics=None, grappler=False),
        f"XLA, jit_compile=True ({spe} steps/call, no metric)": dict(spe=spe, metrics=None, jit=True),
    }
    found = {name: [] for name in variants}
    for rep in range(reps):
        for name, v in variants.items():
            tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": not v.get("grappler", True)})
            with precision_policy(cfg.precision):
                keras.utils.set_random_seed(rep)
                model = build_model()
                steps = int(np.ceil(len(x) / cfg.batch_size))
                schedule = OneCycle(cfg.peak_learning_rate, steps, int(steps * cfg.warmup_fraction))
                model.compile(
                    optimizer=keras.optimizers.Adam(schedule, beta_1=cfg.beta_1, beta_2=cfg.beta_2),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=v["metrics"],
                    steps_per_execution=v["spe"],
                    jit_compile=v.get("jit", False),
                )
                calls = CallTimes()
                start = time.perf_counter()
                model.fit(x, y, batch_size=cfg.batch_size, epochs=1, callbacks=[calls], verbose=0)
                total = time.perf_counter() - start
            d = np.diff(calls.t)
            found[name].append((total, float(d[0]), float(d[1:].sum()), len(d)))
            print(
                f"rep {rep} {name}: fit {total:.2f}s, first call {d[0]:.2f}s, "
                f"other {len(d) - 1} calls {d[1:].sum():.2f}s"
            )
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": False})
    traces = [trace_train_step(x, y, cfg) for _ in range(reps)]
    print(
        f"\ntrain_step alone: traced in {min(t for t, _ in traces):.2f}-{max(t for t, _ in traces):.2f}s, "
        f"first run {min(r for _, r in traces):.2f}-{max(r for _, r in traces):.2f}s"
    )
    print(f"\nmedians over {reps} reps (fit / first call / the other calls), seconds:")
    for name, rows in found.items():
        fit, first, rest = (statistics.median(r[i] for r in rows) for i in range(3))
        print(f"  {name}: {fit:.2f} / {first:.2f} / {rest:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
