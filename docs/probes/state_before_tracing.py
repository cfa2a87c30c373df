"""What creating the optimizer's and metrics' state before the first compiled call is worth:
TensorFlow then traces ``train_step`` once instead of twice (``keraslab.compat.state_before_tracing``).

Run from the repository root (about 2 minutes on 2 cores):

    .venv/bin/python docs/probes/state_before_tracing.py [reps]

Two trainings, each on fresh models, Keras' own lazy state and the state built first alternated
rep by rep, timed as ``TrainingTimeCallback`` times them (epoch begin to epoch end; the build runs
inside the first epoch): the speedrun's one epoch (its model, recipe and precision) and the
small-data experiments' moons MLP (60 epochs, as the optimizer comparison trains it). The same
seed gives the same result both ways; the accuracies are printed to show it.
docs/performance.md quotes its output.
"""

from __future__ import annotations

import os
import statistics
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keraslab.backend  # noqa: E402,F401  (the CPU kind's TensorFlow settings, before Keras loads)
import keras  # noqa: E402
import numpy as np  # noqa: E402

from keraslab import data  # noqa: E402
from keraslab.callbacks import TrainingTimeCallback  # noqa: E402
from keraslab.compat import state_before_tracing  # noqa: E402
from keraslab.contestant import speedrun_data  # noqa: E402
from keraslab.experiments.speedrun import Config, build_model, compile_model  # noqa: E402
from keraslab.fast import precision_policy  # noqa: E402
from keraslab.harness import SMALL  # noqa: E402
from keraslab.models.sequential import build_moons_mlp  # noqa: E402


def speedrun(rep: int, first: bool, arrays) -> tuple[float, float]:
    (x, y), _, (x_test, y_test) = arrays
    config = Config()
    with precision_policy(config.precision):
        keras.utils.set_random_seed(rep)
        model = build_model()
        compile_model(model, config, len(x))
        timer = TrainingTimeCallback()
        extra = [state_before_tracing(x, y)] if first else []
        model.fit(x, y, batch_size=config.batch_size, epochs=1, callbacks=[timer, *extra], verbose=0)
        acc = float((model.predict(x_test, batch_size=2000, verbose=0).argmax(1) == y_test).mean())
    return sum(timer.epoch_times), acc


def moons(rep: int, first: bool, splits) -> tuple[float, float]:
    (x, y), (x_val, y_val), (x_test, y_test) = splits
    keras.utils.set_random_seed(rep)
    model = build_moons_mlp()
    SMALL.compile(model, len(x), optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    timer = TrainingTimeCallback()
    extra = [state_before_tracing(x, y)] if first else []
    model.fit(
        **data.fit_inputs(x, y, 32, rep, validation=(x_val, y_val)), epochs=60, callbacks=[timer, *extra], verbose=0
    )
    return sum(timer.epoch_times), float(model.evaluate(x_test, y_test, verbose=0)[1])


def main(reps: int) -> None:
    inputs = {"speedrun epoch": speedrun_data(5000, 0), "moons MLP, 60 epochs": data.moons(1000, 0.3, 0)}
    train = {"speedrun epoch": speedrun, "moons MLP, 60 epochs": moons}
    found = {(task, first): [] for task in train for first in (False, True)}
    for rep in range(reps):
        for task, fn in train.items():
            for first in (False, True):
                seconds, acc = fn(rep, first, inputs[task])
                found[task, first].append((seconds, acc))
                how = "state built first" if first else "Keras' lazy state"
                print(f"rep {rep} {task}, {how}: {seconds:.2f} s, test accuracy {acc:.4f}", flush=True)
    for (task, first), rows in found.items():
        how = "state built first" if first else "Keras' lazy state"
        times = sorted(r[0] for r in rows)
        print(
            f"{task}, {how}: median {statistics.median(times):.2f} s (range {times[0]:.2f}-{times[-1]:.2f}), "
            f"mean test accuracy {np.mean([r[1] for r in rows]):.4f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
