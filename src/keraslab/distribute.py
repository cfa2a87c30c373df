"""Training beyond one device with the engines Keras already uses (the original module guide's
"Multi-GPU Training"):

- ``mirrored``: TensorFlow's ``tf.distribute.MirroredStrategy`` (one machine, several devices); the
  model is built and compiled inside ``strategy.scope()`` and the global batch is the per-replica
  batch × replicas.
- ``data-parallel``: Keras' own ``keras.distribution.DataParallel`` on the JAX backend, in one
  process or across processes (``keras.distribution.initialize``, JAX's coordinator; on CPU the
  processes exchange gradients with Gloo).
- ``multi-worker``: ``tf.distribute.MultiWorkerMirroredStrategy`` across processes (``TF_CONFIG``).
  Keras 3.15's TensorFlow trainer fails on this path (keras-team/keras#20585); keraslab works
  around it narrowly (:mod:`keraslab.compat`: ``fix_keras_multi_worker``, ``build_from_local_batch``) and lists
  the workarounds in the run's provenance.

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


def in_cluster(mode: str) -> bool:
    """This process was started as one worker of several (by ``--workers`` or by hand)."""
    if mode == "multi-worker":
        return "TF_CONFIG" in os.environ
    if mode == "data-parallel":
        return int(os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES") or 1) > 1
    return False


def check(mode: str, backend: str, devices: int = 0, workers: int = 0, in_cluster: bool = False) -> None:
    """Reject a wrong combination with one line. ``in_cluster``: the environment already names the
    workers (``TF_CONFIG``, or Keras' ``KERAS_DISTRIBUTION_*`` variables)."""
    if mode not in MODES:
        raise KeraslabError(f"unknown --distribute {mode!r}; choose one of: {', '.join(MODES)}")
    if mode != "none" and BACKEND_OF[mode] != backend:
        raise KeraslabError(
            f"--distribute {mode} runs on the {BACKEND_OF[mode]} backend, not {backend}; pass "
            f"--backend {BACKEND_OF[mode]}"
            + (" (or use --distribute data-parallel on jax)" if backend == "jax" else "")
        )
    if devices < 0 or devices > 64:
        raise KeraslabError(f"--devices must be between 0 (all real devices) and 64, got {devices}")
    if mode not in ("multi-worker", "data-parallel") and workers:
        raise KeraslabError("--workers needs --distribute multi-worker (TensorFlow) or data-parallel (JAX)")
    required = mode == "multi-worker" and not in_cluster  # data-parallel also runs in one process
    if (workers or required) and not 2 <= workers <= MAX_WORKERS:
        raise KeraslabError(
            f"--workers must be between 2 and {MAX_WORKERS}"
            + (" for multi-worker training" if required else "")
            + f", got {workers}"
        )
    if mode == "data-parallel" and devices and (workers or in_cluster):
        raise KeraslabError(
            "--devices and --workers do not combine: each JAX worker process trains on its own "
            "devices; use one or the other"
        )
    if mode == "none" and devices:
        raise KeraslabError("--devices needs --distribute mirrored (TensorFlow) or data-parallel (JAX)")
    if mode == "multi-worker" and devices:
        raise KeraslabError(
            "--devices does not apply to multi-worker: TensorFlow gives each worker its GPUs, or one "
            "CPU device; use --workers N to train N replicas here"
        )


def check_configs(configs, backend: str, workers: int = 0):
    """The distribution the experiments' configs ask for, checked by :func:`check` the same way
    whether it came from ``--distribute`` or from a ``--config`` file (the CLI merges its flags into
    the configs once): ``(mode, devices, started_as_worker)``, or None when no config distributes."""
    asked = {
        (c.distribute, c.devices)
        for _, c in configs
        if getattr(c, "distribute", "none") != "none" or getattr(c, "devices", 0)
    }
    if workers and not asked:
        asked = {("none", 0)}
    if not asked:
        return None
    if len(asked) > 1:
        raise KeraslabError(f"one distribution per command; the configs ask for {sorted(asked)}")
    ((mode, devices),) = asked
    started_as_worker = in_cluster(mode)
    check(mode, backend, devices, workers, in_cluster=started_as_worker)
    return mode, devices, started_as_worker


def prepare(mode: str, devices: int) -> None:
    """Before the backend initialises: simulate ``devices`` CPU devices where asked."""
    if mode == "data-parallel" and devices:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={devices}".strip()
    if mode == "mirrored" and devices:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * devices)
        except RuntimeError as exc:  # TensorFlow already initialised its devices
            raise KeraslabError(
                f"cannot split the CPU into {devices} devices after TensorFlow started: {exc}"
            ) from None


class Distribution:
    """The chosen strategy: ``scope()`` to build and compile in, ``replicas``, and what to store."""

    def __init__(self, mode: str = "none", devices: int = 0):
        self.mode = mode
        self.strategy = None
        self.device_names: list[str] = []
        self.process_index, self.process_count = 0, 1
        if mode == "mirrored":
            import tensorflow as tf

            logical = [d.name for d in tf.config.list_logical_devices("GPU")] or [
                d.name for d in tf.config.list_logical_devices("CPU")
            ]
            self.strategy = tf.distribute.MirroredStrategy(devices=logical)
            self.device_names = logical
        elif mode == "multi-worker":
            import tensorflow as tf

            self.strategy = tf.distribute.MultiWorkerMirroredStrategy()
            self.device_names = [d.name for d in tf.config.list_logical_devices("CPU")]
            from keraslab.compat import fix_keras_multi_worker

            fix_keras_multi_worker()
        elif mode == "data-parallel":
            import jax
            import keras

            if in_cluster(mode):  # one of several processes: join them before JAX computes anything
                jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU collectives across processes
                keras.distribution.initialize()  # reads KERAS_DISTRIBUTION_{JOB_ADDRESSES,NUM_PROCESSES,PROCESS_ID}
            devs = jax.devices()
            parallel = keras.distribution.DataParallel(devices=devs)
            if jax.process_count() > 1:
                parallel.auto_shard_dataset = False  # each process feeds its own rows: see data_shard
            keras.distribution.set_distribution(parallel)
            self.device_names = [str(d) for d in devs]
            self.process_index, self.process_count = jax.process_index(), jax.process_count()

    @property
    def replicas(self) -> int:
        if self.strategy is not None:
            return int(self.strategy.num_replicas_in_sync)
        return len(self.device_names) if self.mode == "data-parallel" else 1

    def scope(self):
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()

    def prepare_model(self, model) -> None:
        """After ``compile`` in :meth:`scope`: what the model needs to ``fit`` under this strategy."""
        if self.mode == "multi-worker":
            from keraslab.compat import build_from_local_batch

            build_from_local_batch(model, self.strategy)

    @property
    def data_shard(self) -> tuple[int, int] | None:
        """``(index, count)``: this process feeds rows ``index::count`` of each global batch (JAX
        across processes; TensorFlow's strategies shard the input themselves)."""
        return (self.process_index, self.process_count) if self.process_count > 1 else None

    @contextlib.contextmanager
    def local_copy(self, model, build):
        """Within: ``build()``'s model with ``model``'s weights, and no distribution. JAX cannot hand
        NumPy a prediction that spans other processes' devices, but every process holds all the
        weights (data parallelism replicates them), so each predicts on its own. Otherwise: ``model``."""
        if self.process_count == 1:
            yield model
            return
        import keras

        weights = model.get_weights()
        current = keras.distribution.distribution()
        keras.distribution.set_distribution(None)
        try:
            local = build()
            local.set_weights(weights)
            yield local
        finally:
            keras.distribution.set_distribution(current)

    def gather(self, value: int) -> list[int]:
        """``value`` as every replica of every worker holds it (one process: ``[value]``). A
        collective: every worker must call it at the same point of the program."""
        if self.process_count > 1:
            import numpy as np
            from jax.experimental import multihost_utils

            return np.asarray(multihost_utils.process_allgather(np.array([int(value)]))).ravel().tolist()
        if self.mode != "multi-worker":
            return [int(value)]
        import tensorflow as tf

        per_replica = self.strategy.run(lambda: tf.constant([int(value)], dtype=tf.int64))
        return self.strategy.gather(per_replica, axis=0).numpy().tolist()

    def all_true(self, flag: bool) -> bool:
        """True only when ``flag`` holds on every worker: how workers agree to reuse saved work
        (one process: ``flag`` itself)."""
        return all(self.gather(int(bool(flag))))

    def all_equal(self, value: int) -> bool:
        """True when every worker holds the same ``value`` (one process: always)."""
        return len(set(self.gather(value))) == 1

    def provenance(self) -> dict:
        info = {"distribute": self.mode, "replicas": self.replicas, "devices": self.device_names}
        if self.mode == "multi-worker":
            cfg = json.loads(os.environ.get("TF_CONFIG", "{}"))
            info["workers"] = len(cfg.get("cluster", {}).get("worker", []))
            info["task"] = cfg.get("task")
            from keraslab.compat import WORKAROUNDS

            info["keras_workarounds"] = list(WORKAROUNDS)
        if self.process_count > 1:
            info["workers"] = self.process_count
            info["task"] = {"type": "process", "index": self.process_index}
        return info
