"""Two candidate levers for the speedrun's gap to its twin: ReLU before pooling, and a pre-built
``tf.data`` pipeline instead of NumPy arrays handed to ``fit``.

Run from the repository root (about 1.5 minutes on 2 cores):

    .venv/bin/python docs/probes/speedrun_variants.py [reps]

``relu(max_pool(x)) == max_pool(relu(x))`` exactly, so the ReLU-first network computes the same
function as the speedrun's; it lets TensorFlow's graph optimiser fuse convolution, bias and ReLU
into one oneDNN kernel. The variants are alternated rep by rep on fresh models, timed as
``TrainingTimeCallback`` times the speedrun (epoch begin to epoch end), with the time to the first
compiled call's end beside it. docs/performance.md ("The speedrun's gap to its twin") quotes its
output; none of the variants was adopted.
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
from keras import layers  # noqa: E402

from keraslab.contestant import speedrun_data  # noqa: E402
from keraslab.data import array_batches  # noqa: E402
from keraslab.experiments.speedrun import Config, build_model, compile_model  # noqa: E402
from keraslab.fast import precision_policy  # noqa: E402


def relu_first():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(24, 5, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dense(10, dtype="float32"),
        ]
    )


class Times(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.t = [time.perf_counter()]

    def on_train_batch_end(self, batch, logs=None):
        self.t.append(time.perf_counter())

    def on_epoch_end(self, epoch, logs=None):
        self.t.append(time.perf_counter())


VARIANTS = {
    "as the speedrun": (build_model, False),
    "pre-built array_batches": (build_model, True),
    "relu before pool": (relu_first, False),
    "relu before pool + array_batches": (relu_first, True),
}


def main(reps: int) -> None:
    (x, y), _, (x_test, y_test) = speedrun_data(5000, 0)
    config = Config()
    found = {name: [] for name in VARIANTS}
    for rep in range(reps):
        for name, (build, prebuilt) in VARIANTS.items():
            with precision_policy(config.precision):
                keras.utils.set_random_seed(rep)
                model = build()
                compile_model(model, config, len(x))
                timer = Times()
                if prebuilt:
                    model.fit(array_batches(x, y, config.batch_size, seed=rep), epochs=1, callbacks=[timer], verbose=0)
                else:
                    model.fit(x, y, batch_size=config.batch_size, epochs=1, callbacks=[timer], verbose=0)
                acc = float((model.predict(x_test, batch_size=2000, verbose=0).argmax(1) == y_test).mean())
            t = timer.t
            found[name].append((t[-1] - t[0], t[1] - t[0], acc))
            print(f"rep {rep} {name}: epoch {t[-1] - t[0]:.2f} s, first call {t[1] - t[0]:.2f} s, test {acc:.4f}")
    for name, rows in found.items():
        print(
            f"{name}: epoch median {statistics.median(r[0] for r in rows):.2f} s, first call "
            f"{statistics.median(r[1] for r in rows):.2f} s, mean test accuracy {np.mean([r[2] for r in rows]):.4f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
