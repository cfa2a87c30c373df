"""Training beyond one device with the engines Keras already uses (the original module guide's
"Multi-GPU Training"):

- ``mirrored``: TensorFlow's ``tf.distribute.MirroredStrategy`` (one machine, several devices); the
  model is built and compiled inside ``strategy.scope()`` and the global batch is the per-replica
  batch × replicas.
- ``data-parallel``: Keras' own ``keras.distribution.DataParallel`` on the JAX backend.
- ``multi-worker``: ``tf.distribute.MultiWorkerMirroredStrategy`` across processes (``TF_CONFIG``).

On a CPU-only machine, ``devices=N`` splits the CPU into N simulated devices — TensorFlow logical
CPU devices, or JAX's ``--xla_force_host_platform_device_count`` — so the same code paths run
and are tested here. On a GPU box leave ``devices`` at 0 to use every GPU.
"""

from __future__ import annotations

import contextlib
import json
import os

from keraslab.errors import KeraslabError

MODES = ("none", "mirrored", "data-parallel", "multi-worker")
BACKEND_OF = {"mirrored": "tensorflow", "multi-worker": "tensorflow", "data-parallel": "jax"}
MAX_WORKERS = 8


def check(mode: str, backend: str, devices: int = 0, workers: int = 0, in_cluster: bool = False) -> None:
    """Reject a wrong combination with one line. ``in_cluster``: TF_CONFIG already names the workers."""
    if mode not in MODES:
        raise KeraslabError(f"unknown --distribute {mode!r}; choose one of: {', '.join(MODES)}")
    if mode != "none" and BACKEND_OF[mode] != backend:
        raise KeraslabError(f"--distribute {mode} runs on the {BACKEND_OF[mode]} backend, not {backend}; pass "
                            f"--backend {BACKEND_OF[mode]}" + (" (or use --distribute data-parallel on jax)"
                                                                if backend == "jax" else ""))
    if devices < 0 or devices > 64:
        raise KeraslabError(f"--devices must be between 0 (all real devices) and 64, got {devices}")
    if mode == "multi-worker" and not in_cluster and not 2 <= workers <= MAX_WORKERS:
        raise KeraslabError(f"--workers must be between 2 and {MAX_WORKERS} for multi-worker training, got {workers}")
    if mode != "multi-worker" and workers:
        raise KeraslabError("--workers needs --distribute multi-worker")


def prepare(mode: str, devices: int) -> None:
    """Before the backend initialises: simulate ``devices`` CPU devices where asked."""
    if mode == "data-parallel" and devices:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={devices}".strip()
    if mode in ("mirrored", "multi-worker") and devices:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * devices)
        except RuntimeError as exc:  # TensorFlow already initialised its devices
            raise KeraslabError(f"cannot split the CPU into {devices} devices after TensorFlow started: {exc}") from None


class Distribution:
    """The chosen strategy: ``scope()`` to build and compile in, ``replicas``, and what to store."""

    def __init__(self, mode: str = "none", devices: int = 0):
        self.mode = mode
        self.strategy = None
        self.device_names: list[str] = []
        if mode == "mirrored":
            import tensorflow as tf

            logical = [d.name for d in tf.config.list_logical_devices("GPU")] or \
                      [d.name for d in tf.config.list_logical_devices("CPU")]
            self.strategy = tf.distribute.MirroredStrategy(devices=logical)
            self.device_names = logical
        elif mode == "multi-worker":
            import tensorflow as tf

            self.strategy = tf.distribute.MultiWorkerMirroredStrategy()
            self.device_names = [d.name for d in tf.config.list_logical_devices("CPU")]
        elif mode == "data-parallel":
            import jax
            import keras

            devs = jax.devices()
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devs))
            self.device_names = [str(d) for d in devs]

    @property
    def replicas(self) -> int:
        if self.strategy is not None:
            return int(self.strategy.num_replicas_in_sync)
        return len(self.device_names) if self.mode == "data-parallel" else 1

    def scope(self):
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()

    def provenance(self) -> dict:
        info = {"distribute": self.mode, "replicas": self.replicas, "devices": self.device_names}
        if self.mode == "multi-worker":
            cfg = json.loads(os.environ.get("TF_CONFIG", "{}"))
            info["workers"] = len(cfg.get("cluster", {}).get("worker", []))
            info["task"] = cfg.get("task")
        return info
