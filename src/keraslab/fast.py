"""keraslab's own training path: same model, optimizer, loss, batch size and epochs as plain
``model.fit``, with the settings measured fastest on a CPU (``keraslab bench --variants``;
the numbers are in ``docs/performance.md``).

What helped: **bfloat16 mixed precision** (``mixed_bfloat16``: float32 weights, bfloat16 compute)
on CPUs with native bfloat16 units (Intel AMX / AVX512_BF16, recent Arm) — about twice the
throughput on the project's machine, test accuracy unchanged within seed noise — and, in
either precision, **16 steps per execution** (one ``tf.function`` call runs 16 batches: less
Python and dispatch per step; 4-7% in float32, more in bfloat16 where the math is faster); the
bench times the path without it as a variant.
And the input: the arrays go in as a ``tf.data`` pipeline of gathered batches with tf.data's
autotuning off (:func:`keraslab.data.array_batches`), because Keras' own, autotuned one made
about one epoch in four stall for a second on the 2-core host.
And Adam's update as one TensorFlow kernel per weight (:func:`keraslab.compat.fused_adam`: 0.65 ms
per update of the speedrun's network with Keras' Adam, 0.30 ms fused, ``avx512`` kind); PyTorch's
contestants use PyTorch's fused Adam in return.
What did not: XLA (``jit_compile=True``, 2-4× slower on CPU). Where the CPU has no bfloat16
units the path stays in float32 (bfloat16 emulation would be slower).

For models with ``BatchNormalization`` (the benchmark's Simple CNN has none),
:func:`keraslab.compat.fuse_batchnorm` trains those layers with TensorFlow's fused kernel: the same math in
fewer ops; ``keraslab run cnn`` uses it for the Improved CNN.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from keraslab import cpu
from keraslab.compat import fused_adam, state_before_tracing
from keraslab.errors import KeraslabError
from keraslab.harness import steps_per_execution

DEFAULTS = {
    "steps_per_execution": None,  # None: keraslab.harness.steps_per_execution (PyTorch backend: 1)
    "jit_compile": False,  # XLA was measured 2-4x slower on CPU
    "keras_arrays": False,  # True: fit(x, y) through Keras' own (autotuned) pipeline for arrays
}
#: the precision choices of every experiment that trains in keraslab's path
PRECISIONS = ("auto", "float32", "mixed_bfloat16")


def cpu_has_bf16() -> bool:
    """True where the CPU computes bfloat16 natively (x86 AMX/AVX512_BF16, or Arm bf16)."""

    return cpu.has_bf16()


def resolve_precision_for(backend: str, precision: str = "auto") -> str:
    """``auto`` -> ``mixed_bfloat16`` on the TensorFlow backend with native bf16, else ``float32``.
    ``mixed_bfloat16`` asked for where it cannot train is refused with the reason
    (:func:`bf16_refusal`)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be auto, float32 or mixed_bfloat16, got {precision!r}")
    if precision == "auto":
        return "mixed_bfloat16" if backend == "tensorflow" and cpu_has_bf16() else "float32"
    refusal = bf16_refusal(backend) if precision == "mixed_bfloat16" else None
    if refusal:
        raise KeraslabError(refusal)
    return precision


def bf16_refusal(backend: str, environ=None) -> str | None:
    """Why ``mixed_bfloat16`` cannot train on ``backend`` on this CPU, or None where it can.

    On the AVX2 kind keraslab turns TensorFlow's oneDNN kernels on (:mod:`keraslab.cpu`), and
    oneDNN has no bfloat16 convolutions for a CPU with AVX2 alone: TensorFlow fails inside the first
    training step with "could not create a primitive descriptor for the convolution forward
    propagation primitive" (seen with the AVX2 kind emulated, ``ONEDNN_MAX_CPU_ISA=AVX2``). With
    ``TF_ENABLE_ONEDNN_OPTS=0`` TensorFlow emulates bfloat16 in its own kernels (slowly), and JAX
    and PyTorch emulate it too, so those are not refused."""
    environ = os.environ if environ is None else environ
    if backend != "tensorflow" or cpu.kind() != "avx2" or environ.get("TF_ENABLE_ONEDNN_OPTS") == "0":
        return None
    return (
        "precision mixed_bfloat16 cannot train on TensorFlow on this CPU kind (avx2): it has no bfloat16 "
        "units, and the oneDNN kernels keraslab turns on for it have no bfloat16 convolutions; use "
        "float32 or auto (auto chooses float32 here), or set TF_ENABLE_ONEDNN_OPTS=0 for TensorFlow's "
        "slower emulated bfloat16"
    )


def resolve_precision(precision: str = "auto") -> str:
    import keras

    return resolve_precision_for(keras.backend.backend(), precision)


def configure(precision: str = "auto") -> str:
    """Set Keras' global dtype policy before models are built; returns the policy in force.

    For a process that trains one thing (a benchmark contestant). Anywhere else use
    :func:`precision_policy`, which puts the previous policy back.
    """
    import keras

    policy = resolve_precision(precision)
    keras.mixed_precision.set_global_policy(policy)
    return policy


@contextmanager
def precision_policy(precision: str = "auto"):
    """``with precision_policy("auto") as policy:`` — models built inside use ``policy``; the
    global policy in force before is restored on exit, so the next experiment is unaffected."""
    import keras

    before = keras.mixed_precision.global_policy().name
    try:
        yield configure(precision)
    finally:
        keras.mixed_precision.set_global_policy(before)


def fit_fast(
    model,
    x,
    y,
    *,
    epochs: int,
    batch_size: int,
    callbacks=(),
    validation_data=None,
    verbose=0,
    learning_rate: float = 1e-3,
    seed: int = 0,
    **overrides,
):
    """Compile (Adam, sparse categorical cross-entropy, accuracy) and fit with the fast settings.

    Build ``model`` after :func:`configure` so that it picks up the precision policy. On
    TensorFlow the arrays go in through :func:`keraslab.data.array_batches` (the batches
    reshuffled every epoch by ``seed``): Keras' own pipeline for arrays is autotuned, and that
    made about one epoch in four stall (``keras_arrays=True`` keeps it, for the bench's variant).
    """
    import keras

    opts = {**DEFAULTS, **overrides}
    unknown = set(opts) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"fit_fast: unknown option(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    if opts["steps_per_execution"] is None or keras.backend.backend() == "torch":  # torch: 1, whatever asked
        opts["steps_per_execution"] = steps_per_execution(keras.backend.backend(), len(y))
    model.compile(
        optimizer=fused_adam(learning_rate),  # Keras' Adam, its update one kernel per weight on TensorFlow
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=opts["steps_per_execution"],
        jit_compile=opts["jit_compile"],
    )
    if opts["keras_arrays"] or keras.backend.backend() != "tensorflow":
        data = {"x": x, "y": y, "batch_size": batch_size, "validation_data": validation_data}
    else:
        from keraslab.data import array_batches

        data = {"x": array_batches(x, y, batch_size, seed=seed), "shuffle": False}  # it shuffles itself
        if validation_data is not None:
            data["validation_data"] = array_batches(*validation_data, batch_size)
    # the optimizer's and metrics' state created before the first compiled call: train_step traced once
    callbacks = [*callbacks, state_before_tracing(x, y)]
    return model.fit(**data, epochs=epochs, callbacks=callbacks, verbose=verbose)
