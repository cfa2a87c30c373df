"""How a training is carried out, kept apart from what it trains.

An experiment's ``train_one`` builds, compiles, fits and evaluates a model the way a Keras user
writes it; it takes a *harness* that decides three things from outside:

- where the model is built and compiled (a ``tf.distribute`` strategy's scope, or nowhere special),
  and whether its BatchNormalization layers train with TensorFlow's fused kernel;
- how ``fit`` runs (plain ``model.fit``; or resumable from per-epoch backups, sharded across
  worker processes, with faults injected for the reliability tests, and, in one TensorFlow
  process, with the batches gathered in the graph, several per compiled call);
- where predictions are made (under JAX data parallelism across processes, on a local copy).

:data:`PLAIN` is what a learner would write; :class:`Managed` is what ``keraslab run cnn`` uses so
that a killed run resumes and ``--distribute`` / ``--workers`` work, without any of it appearing
in the training code.
"""

from __future__ import annotations

from pathlib import Path

from keraslab.compat import state_before_tracing
from keraslab.data import fit_inputs
from keraslab.train import history_dict


class Plain:
    """Build, ``model.fit`` and ``model.predict``, nothing else."""

    replicas = 1

    def build(self, make):
        return make()

    def fit(self, model, x, y, **kwargs) -> dict:
        return history_dict(model.fit(x, y, **kwargs))

    def predict(self, model, x, rebuild=None):
        return model.predict(x, batch_size=1000, verbose=0)


PLAIN = Plain()


class Managed(Plain):
    """Resumable (backups and an epoch log in ``folder``), distributed by ``dist``
    (:class:`keraslab.distribute.Distribution`), with the fault injectors tagged ``fault_tag``.

    The global batch is the per-replica batch times the replicas, as Keras' distribution guides
    write it."""

    def __init__(self, dist, folder: Path, seed: int, fault_tag: str, fuse_batchnorm: bool = False):
        self.dist, self.folder, self.seed, self.fault_tag = dist, Path(folder), seed, fault_tag
        self.fuse_batchnorm = fuse_batchnorm

    @property
    def replicas(self) -> int:
        return self.dist.replicas

    def build(self, make):
        with self.dist.scope():  # build and compile in the strategy
            model = make()
            self.dist.prepare_model(model)
        if self.fuse_batchnorm:  # the same math in one kernel on TensorFlow (keraslab.compat.fuse_batchnorm)
            from keraslab.compat import fuse_batchnorm

            fuse_batchnorm(model)
        return model

    def fit(self, model, x, y, *, batch_size: int, callbacks=(), **kwargs) -> dict:
        from keraslab.faults import injectors
        from keraslab.resumable import feeds_in_graph, fit_resumable

        return fit_resumable(
            model,
            x,
            y,
            batch_size=batch_size * self.dist.replicas,
            seed=self.seed,
            folder=self.folder,
            callbacks=[*callbacks, *injectors(self.fault_tag)],
            agree=self.dist.all_equal,
            shard=self.dist.data_shard,
            in_graph=feeds_in_graph(self.dist.mode),
            **kwargs,
        )

    def predict(self, model, x, rebuild=None):
        with self.dist.local_copy(model, rebuild) as local:
            return local.predict(x, batch_size=1000, verbose=0)


#: batches per compiled call where an epoch is a few dozen batches of a few hundred examples, and
#: where it is MNIST-sized (docs/performance.md, "steps per execution", has the measurements)
SMALL_DATA_STEPS, LARGE_DATA_STEPS = 64, 16
#: up to this many training examples an epoch is "small data" (the small-data experiments train on
#: at most 1,078 examples, scikit-learn's digits; every MNIST run, quick profiles included, on 1,800+)
SMALL_DATA_EXAMPLES = 1_500


def steps_per_execution(backend: str, examples: int) -> int:
    """``steps_per_execution`` for ``model.compile``: the one policy every harness uses.

    Several batches per compiled call remove most of the Python and dispatch between steps: the
    whole epoch for small data, 16 batches for MNIST-sized data. The same batches in the same
    order, so the same weights. **The PyTorch backend runs one step per call** (Keras' torch
    trainer has no multi-step function), so there it is 1.
    """
    if backend == "torch":
        return 1
    return SMALL_DATA_STEPS if examples <= SMALL_DATA_EXAMPLES else LARGE_DATA_STEPS


def _backend() -> str:
    import keras

    return keras.backend.backend()


class SmallData(Plain):
    """In-memory arrays of a few hundred examples (moons, Iris, digits): compiled with the epoch's
    batches in one call, fed by :func:`keraslab.data.fit_inputs` (the fastest input on each
    backend, the same mini-batches as ``model.fit(x, y, batch_size=...)``)."""

    def compile(self, model, examples: int, **compile_args) -> None:
        model.compile(**compile_args, steps_per_execution=steps_per_execution(_backend(), examples))

    def inputs(self, x, y, *, batch_size: int, seed: int, validation=None) -> dict:
        """``fit``'s data arguments, for callers that fit through another API (KerasTuner's search)."""

        return fit_inputs(x, y, batch_size, seed, validation=validation)

    @staticmethod
    def state_before_tracing(x, y):
        """The callback :meth:`fit` adds, for callers that fit through another API (KerasTuner's search)."""
        return state_before_tracing(x, y)

    def fit(self, model, x, y, *, batch_size: int, seed: int, validation=None, callbacks=(), **kwargs) -> dict:
        """``model.fit`` on :meth:`inputs`; the optimizer's and metrics' state is created inside the first
        epoch, before the first compiled call, so that ``train_step`` is traced once
        (:func:`keraslab.compat.state_before_tracing`: about a tenth of a small fit's time, docs/performance.md)."""
        data = self.inputs(x, y, batch_size=batch_size, seed=seed, validation=validation)
        return history_dict(model.fit(**data, callbacks=[*callbacks, state_before_tracing(x, y)], **kwargs))


SMALL = SmallData()


class Fast(Plain):
    """MNIST-sized arrays on keraslab's fast path: compiled with several batches per call."""

    def compile(self, model, examples: int, **compile_args) -> None:
        model.compile(**compile_args, steps_per_execution=steps_per_execution(_backend(), examples))

    def fit(self, model, x, y, *, callbacks=(), **kwargs) -> dict:
        """``model.fit(x, y, ...)``, with ``train_step`` traced once (as :meth:`SmallData.fit`); a timer
        among ``callbacks`` counts that step, since it runs inside the first epoch."""
        return history_dict(model.fit(x, y, callbacks=[*callbacks, state_before_tracing(x, y)], **kwargs))


FAST = Fast()
