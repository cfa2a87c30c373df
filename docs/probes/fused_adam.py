"""What one Adam update of the speedrun's network costs, fused and not, in Keras on TensorFlow and
in native PyTorch.

Run from the repository root (about a minute on 2 cores):

    .venv/bin/python docs/probes/fused_adam.py [reps]

Keras: 200 updates of the network's 8 weights from fixed gradients in one ``tf.function``, with
``keras.optimizers.Adam`` and with :func:`keraslab.compat.fused_adam` (one ``ResourceApplyAdam``
per weight); the first call (tracing and the first run) is timed apart. PyTorch: 200
``optimizer.step()`` calls on the twin's parameters, ``torch.optim.Adam`` as PyTorch runs it by
default on a CPU (a loop over the weights), with ``foreach=True`` and with ``fused=True``. The
variants alternate rep by rep; printed: medians in milliseconds per update.
docs/performance.md ("What keraslab's path does") and ``keraslab.compat.fused_adam`` quote it.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keraslab.backend  # noqa: E402,F401  (the CPU kind's TensorFlow settings, before Keras loads)
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402

from keraslab.compat import fused_adam  # noqa: E402
from keraslab.experiments.speedrun import build_model  # noqa: E402
from keraslab.models.torch_models import SpeedrunCNN  # noqa: E402

UPDATES = 200


def keras_updates(make) -> tuple[float, float]:
    """(ms per update, seconds of the first call) for the optimizer ``make(learning_rate)``."""
    model = build_model()
    optimizer = make(1e-3)
    optimizer.build(model.trainable_variables)
    grads = [tf.random.normal(v.shape) for v in model.trainable_variables]

    @tf.function
    def updates():
        for _ in tf.range(UPDATES):
            optimizer.apply(grads, model.trainable_variables)

    start = time.perf_counter()
    updates()
    first = time.perf_counter() - start
    start = time.perf_counter()
    updates()
    return (time.perf_counter() - start) / UPDATES * 1e3, first


def torch_updates(**options) -> float:
    model = SpeedrunCNN().to(memory_format=torch.channels_last)
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, **options)
    for _ in range(5):
        optimizer.step()
    start = time.perf_counter()
    for _ in range(UPDATES):
        optimizer.step()
    return (time.perf_counter() - start) / UPDATES * 1e3


def main(reps: int) -> None:
    variants = {
        "Keras, keras.optimizers.Adam": lambda: keras_updates(keras.optimizers.Adam),
        "Keras, keraslab.compat.fused_adam": lambda: keras_updates(fused_adam),
        "PyTorch, default (a loop over the weights)": lambda: (torch_updates(), None),
        "PyTorch, foreach=True": lambda: (torch_updates(foreach=True), None),
        "PyTorch, fused=True": lambda: (torch_updates(fused=True), None),
    }
    found = {name: [] for name in variants}
    for _ in range(reps):
        for name, run in variants.items():
            found[name].append(run())
    for name, values in found.items():
        per_update = statistics.median(v[0] for v in values)
        first = [v[1] for v in values if v[1] is not None]
        extra = f", first call {statistics.median(first):.2f} s" if first else ""
        print(f"{name}: {per_update:.3f} ms per update{extra}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
