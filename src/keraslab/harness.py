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


class Plain:
    """Build, ``model.fit`` and ``model.predict``, nothing else."""

    replicas = 1

    def build(self, make):
        return make()

    def fit(self, model, x, y, **kwargs) -> dict:
        from keraslab.train import history_dict

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
        if self.fuse_batchnorm:  # the same math in one kernel on TensorFlow (keraslab.fast.fuse_batchnorm)
            from keraslab.fast import fuse_batchnorm

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
