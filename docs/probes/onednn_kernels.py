"""Where the speedrun's epoch goes, kernel by kernel: oneDNN's own timing of every primitive it
runs, in Keras on TensorFlow and in the native PyTorch twin.

Run from the repository root (about a minute on 2 cores):

    .venv/bin/python docs/probes/onednn_kernels.py

Each side trains the speedrun's one epoch (its model, recipe, data and precision; the twin as the
speedrun runs it) in a fresh process with ``ONEDNN_VERBOSE=1``, which makes oneDNN print each
primitive's execution time (printing them slows the epoch a little on both sides). Printed per
side: the epoch, the sum over oneDNN's primitives, and the largest kinds (primitive, direction,
shape) in milliseconds over the epoch. Kernels PyTorch runs outside oneDNN (its pooling and
element-wise ops) are not in its sum. docs/performance.md ("The speedrun's gap to its twin") quotes it.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys

KERAS = """
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keraslab.backend
from keraslab.callbacks import TrainingTimeCallback
from keraslab.contestant import speedrun_data
from keraslab.experiments.speedrun import Config, build_model, compile_model
from keraslab.fast import precision_policy
from keraslab.harness import FAST
(x, y), _, _ = speedrun_data(5000, 0)
config = Config()
with precision_policy(config.precision):
    model = build_model()
    compile_model(model, config, len(x))
    timer = TrainingTimeCallback()
    FAST.fit(model, x, y, batch_size=config.batch_size, epochs=1, verbose=0, callbacks=[timer])
print("EPOCH", timer.epoch_times[0], flush=True)
"""

TORCH = """
import keraslab.backend
from keraslab.contestant import speedrun_data
from keraslab.experiments.speedrun import Config, recipe
from keraslab.fast import cpu_has_bf16
from keraslab.models import torch_models as T
(x, y), _, _ = speedrun_data(5000, 0)
_, seconds = T.train_speedrun(x.transpose(0, 3, 1, 2).copy(), y, seed=0, **recipe(Config()),
                              channels_last=True, bf16=cpu_has_bf16())
print("EPOCH", seconds, flush=True)
"""


def profile(code: str) -> tuple[float, collections.Counter, collections.Counter]:
    env = {**os.environ, "ONEDNN_VERBOSE": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    total, count, epoch = collections.Counter(), collections.Counter(), float("nan")
    for line in out.splitlines():
        if line.startswith("EPOCH"):
            epoch = float(line.split()[1])
        elif line.startswith("onednn_verbose") and ",exec," in line:
            fields = line.split(",")
            at = fields.index("exec")
            key = f"{fields[at + 2]} {fields[at + 4]} {fields[-2]}"
            total[key] += float(fields[-1])
            count[key] += 1
    return epoch, total, count


def main() -> None:
    for side, code in [("Keras on TensorFlow", KERAS), ("native PyTorch twin", TORCH)]:
        epoch, total, count = profile(code)
        print(f"{side}: epoch {epoch:.2f} s, oneDNN primitives {sum(total.values()) / 1e3:.2f} s")
        for key, ms in total.most_common(12):
            print(f"  {ms:7.1f} ms  {count[key]:4d} calls  {key}")


if __name__ == "__main__":
    main()
