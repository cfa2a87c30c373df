"""Every place keraslab reaches into Keras' private internals, in one module, for the Keras
version they were written for (:data:`KERAS_VERSION`; pyproject.toml pins it).

Each patch calls :func:`require_keras` first: on another Keras it fails with one clear line
instead of patching code that may have changed. What is patched, and why:

- :func:`keep_tensorflow_out` — ``keras.src.utils.module_utils.tensorflow``: on the JAX and
  PyTorch backends Keras sees TensorFlow only once something else has loaded it;
- :func:`fix_keras_multi_worker` and :func:`build_from_local_batch` —
  ``keras.src.backend.tensorflow.trainer.reduce_per_replica`` and ``Model._maybe_symbolic_build``:
  Keras 3's TensorFlow trainer under ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585);
  :data:`WORKAROUNDS` lists them for the run's provenance;
- :func:`fuse_batchnorm` — a ``BatchNormalization`` instance's ``call`` (it reads the layer's
  ``gamma``, ``beta``, moving statistics, ``renorm`` and ``synchronized`` attributes), to train
  with TensorFlow's fused kernel;
- :func:`state_before_tracing` — ``Model._symbolic_build``: the optimizer's and the compiled
  metrics' variables created before ``fit``'s first compiled call, so that TensorFlow traces
  ``train_step`` once instead of twice;
- :func:`fused_adam` — ``Adam._momentums`` and ``_velocities``: Adam's update as one TensorFlow
  kernel per weight.
"""

from __future__ import annotations

import functools
import sys

from keraslab.errors import KeraslabError

#: the Keras release these patches were written and tested against
KERAS_VERSION = "3.15.1"


def require_keras() -> None:
    """Fail with one line when the installed Keras is not the one these patches were written for."""
    import keras

    if keras.__version__ != KERAS_VERSION:
        raise KeraslabError(
            f"keraslab's Keras workarounds (keraslab.compat) were written for Keras {KERAS_VERSION}, and this "
            f"environment has Keras {keras.__version__}; install keras=={KERAS_VERSION} (pyproject.toml pins it)"
        )


def keep_tensorflow_out() -> bool:
    """On the JAX and PyTorch backends, let Keras see TensorFlow only once something else has
    loaded it; returns whether it changed anything.

    Keras imports TensorFlow wherever it is installed, whatever the backend, to recognise
    TensorFlow objects it might be handed: ``keras.utils.set_random_seed`` (to seed ``tf.data``)
    and ``model.save`` do. keraslab feeds JAX and PyTorch plain arrays, so until TensorFlow is
    loaded no TensorFlow object can reach Keras, and the import would only cost each process time
    and print TensorFlow's start-up banner (measured: `keraslab run cnn --backend jax` on 500
    images, 10.7 s wall before, 9.1 s after). Where something does load it (Keras' TensorBoard
    callback writes with ``tf.summary``), Keras sees it from then on. It applies to keraslab's
    own processes (the CLI, the contestants), not to a notebook that imports Keras itself."""
    require_keras()
    import keras
    from keras.src.utils import module_utils

    lazy = module_utils.tensorflow
    if keras.backend.backend() == "tensorflow" or "tensorflow" in sys.modules or isinstance(lazy, _LoadedOnly):
        return False
    lazy.__class__ = _loaded_only(type(lazy))
    return True


class _LoadedOnly:
    """Makes one of Keras' lazy modules available only once its module is loaded."""

    @property
    def available(self):
        if self.name not in sys.modules:
            return False
        if self.module is None:
            self.initialize()
        return True


def _loaded_only(lazy_class: type) -> type:
    return type("TensorFlowIfLoaded", (_LoadedOnly, lazy_class), {})


WORKAROUNDS = (
    "keras.src.backend.tensorflow.trainer.reduce_per_replica: under MultiWorkerMirroredStrategy, "
    "scalar metrics are averaged across replicas with axis=None (Keras passes axis=0, which fails "
    "on 0-d values)",
    "keras.src.backend.tensorflow.trainer.reduce_per_replica: bfloat16 predictions (mixed precision) "
    "are gathered across workers in float32 (the collective gather has no bfloat16 kernel)",
    "Model._maybe_symbolic_build: the model is built from one replica's batch instead of an eager "
    "cross-worker mean of a PerReplica batch, which fails",
)


def fix_keras_multi_worker() -> None:
    """Make Keras 3's TensorFlow ``fit``/``evaluate``/``predict`` run under MultiWorkerMirroredStrategy.

    Keras reduces each step's scalar metrics with ``strategy.reduce("MEAN", v, axis=0)`` on this
    strategy only, and 0-d values have no axis 0 ("Invalid reduction dimension 0 for input with 0
    dimensions", tensorflow/tensorflow#72388). The replacement averages them across replicas
    (``axis=None``) — what the single-machine ``MirroredStrategy`` path computes — and leaves every
    other strategy and reduction to Keras. Predictions are gathered from every worker, and the
    collective gather has no bfloat16 kernel on CPU: bfloat16 outputs are gathered as float32.
    Idempotent.
    """
    require_keras()
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer

    original = trainer.reduce_per_replica
    if getattr(original, "_keraslab_fixed", False):
        return

    import tensorflow as tf

    def reduce_per_replica(values, strategy, reduction):
        if not trainer._collective_all_reduce_multi_worker(strategy):
            return original(values, strategy, reduction)
        if reduction in ("auto", "mean"):
            return tree.map_structure(
                lambda v: strategy.reduce("MEAN", v, axis=None if v.shape.rank == 0 else 0), values
            )
        if reduction == "concat":  # the collective gather has no bfloat16 kernel: gather in float32

            def concat(v):
                if v.dtype != tf.bfloat16:
                    return original(v, strategy, reduction)
                v32 = tf.nest.map_structure(lambda t: tf.cast(t, tf.float32), v)
                return tf.cast(original(v32, strategy, reduction), tf.bfloat16)

            return tree.map_structure(concat, values)
        return original(values, strategy, reduction)

    reduce_per_replica._keraslab_fixed = True
    trainer.reduce_per_replica = reduce_per_replica


def build_from_local_batch(model, strategy) -> None:
    """Replace ``model._maybe_symbolic_build`` for this model only: Keras builds the compiled
    metrics from a batch that it first reduces across workers eagerly, which fails on a
    ``PerReplica`` batch ("Attempt to convert a value (PerReplica...)"). Shapes and dtypes are all
    the build needs, and one replica's batch has them."""
    require_keras()
    import tensorflow as tf
    from keras.src import tree

    def local(v):
        return strategy.experimental_local_results(v)[0] if isinstance(v, tf.distribute.DistributedValues) else v

    def maybe_symbolic_build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, it in iterator:
                data_batch = tree.map_structure(local, next(it))
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    model._maybe_symbolic_build = maybe_symbolic_build


def fuse_batchnorm(model) -> int:
    """On the TensorFlow backend, train ``model``'s ``BatchNormalization`` layers with
    TensorFlow's fused kernel; returns how many layers were switched (0 on JAX and PyTorch).

    Keras 3 computes batch normalization on TensorFlow as separate ops (``moments``, then
    scale and shift), and their gradients as more separate ops; ``FusedBatchNormV3`` (oneDNN's
    kernel on x86) does the forward and backward pass each in one. Measured on the original module
    guide's Improved CNN (three BatchNormalization layers), float32, batch 128, 12,800 images,
    3 interleaved rounds in one process on the project's 2-core Xeon: 2,018-2,081 images/s with
    Keras' layer (one round 1,204), 2,435-2,563 fused; without any batch normalization 2,502-2,588.

    What is computed is the same: the batch's mean and (biased) variance normalise the batch,
    the moving statistics update with the layer's momentum, and the gradients are the exact ones
    (``tests/test_cnn.py`` compares outputs, gradients and moving statistics with Keras' layer).
    Only training steps change; inference, masks, renorm, synchronized BN, and any axis but the
    last stay on Keras' own code. Only this instance's ``call`` is replaced: the class, the saved
    ``.keras`` file and any model built elsewhere are untouched.
    """
    require_keras()
    import keras

    if keras.backend.backend() != "tensorflow":
        return 0
    layers = [layer for layer in _all_layers(model) if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in layers:
        layer.call = _fused_bn_call(layer, layer.call)
    return len(layers)


def _all_layers(layer):
    yield layer
    for sub in getattr(layer, "layers", ()):  # a model's layers, and those of models inside it
        yield from _all_layers(sub)


def _fused_bn_call(layer, keras_call):
    import tensorflow as tf
    from keras import ops

    def call(inputs, training=None, mask=None):
        rank = len(inputs.shape)
        if (
            not (training and layer.trainable)
            or mask is not None
            or layer.renorm
            or layer.synchronized
            or rank not in (2, 4)
            or layer.axis not in (-1, rank - 1)
        ):
            return keras_call(inputs, training=training, mask=mask)
        x = tf.cast(inputs, tf.float32)  # as Keras' layer: statistics in float32 whatever the policy
        channels = x.shape[-1]
        if rank == 2:  # (batch, features) -> (batch, 1, 1, features): the kernel wants NHWC
            x = tf.reshape(x, [-1, 1, 1, channels])
        scale = ops.cast(layer.gamma, "float32") if layer.scale else tf.ones([channels])
        offset = ops.cast(layer.beta, "float32") if layer.center else tf.zeros([channels])
        y, mean, variance, *_ = tf.raw_ops.FusedBatchNormV3(
            x=x,
            scale=scale,
            offset=offset,
            mean=tf.zeros([0]),
            variance=tf.zeros([0]),
            epsilon=layer.epsilon,
            data_format="NHWC",
            is_training=True,
        )
        n = tf.cast(tf.size(x) // channels, tf.float32)
        variance = variance * ((n - 1.0) / n)  # the kernel hands back the unbiased variance; Keras keeps the biased
        m = layer.momentum
        layer.moving_mean.assign(layer.moving_mean * m + tf.cast(mean, layer.moving_mean.dtype) * (1.0 - m))
        layer.moving_variance.assign(
            layer.moving_variance * m + tf.cast(variance, layer.moving_variance.dtype) * (1.0 - m)
        )
        if rank == 2:
            y = tf.reshape(y, tf.shape(inputs))
        return tf.cast(y, layer.compute_dtype)

    return call


def state_before_tracing(x, y):
    """A callback that, at the start of ``fit``'s first epoch, creates the optimizer's and the
    compiled metrics' variables from one example of ``x`` and ``y`` (arrays, or dicts of them).

    On TensorFlow without a distribution strategy Keras creates them lazily, inside the first
    call of the compiled train function, and a ``tf.function`` that creates variables on its
    first call is traced twice: ``train_step`` (forward, gradients, every optimizer update) is
    traced again. Created beforehand, as Keras itself does under a strategy
    (``Model._maybe_symbolic_build``), it is traced once; the variables, their initial values and
    so the training are the same (``tests/test_harness.py``). It runs inside the first epoch, so
    a per-epoch timer placed before it in the callbacks counts it. Elsewhere (JAX, PyTorch, a
    model run eagerly, or already built) it does nothing."""
    require_keras()
    import keras

    first = keras.tree.map_structure(lambda a: a[:1], (x, y))

    class StateBeforeTracing(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            model = self.model
            if epoch or keras.backend.backend() != "tensorflow" or model.run_eagerly:
                return
            if model.optimizer is None or model.optimizer.built:
                return
            model._symbolic_build(data_batch=(*first, None))

    return StateBeforeTracing()


def fused_adam(learning_rate=0.001, **kwargs):
    """``keras.optimizers.Adam(learning_rate, **kwargs)`` whose update, on TensorFlow, is one fused
    kernel per weight (``ResourceApplyAdam``) instead of Keras' twenty-odd small ops.

    The math is Keras' own: ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``, ``m += (g -
    m) * (1 - beta_1)``, ``v += (g**2 - v) * (1 - beta_2)``, ``w -= alpha * m / (sqrt(v) +
    epsilon)``, TensorFlow's kernel computing it in one pass (``tests/test_compat.py`` compares the
    weights and slots with Keras' Adam). Fewer ops make every step cheaper and the train function
    quicker to trace. Measured with ``docs/probes/fused_adam.py 5`` on the speedrun's network
    (``avx512`` kind, 2 cores): 0.65 ms per update with Keras' Adam, 0.30 ms fused, and the first
    call of 200 updates in one ``tf.function`` (tracing included) 0.39 s against 0.24 s. PyTorch's
    fused Adam (``fused=True``), which keraslab's native-PyTorch contestants use, took 0.13 ms
    against 0.59 ms for its default. Keras' own update runs instead where the fused kernel does not
    fit: another backend, ``amsgrad``, sparse gradients, or a distribution strategy. It reads the
    optimizer's private ``_momentums`` and ``_velocities``."""
    require_keras()
    return _fused_adam_class()(learning_rate, **kwargs)


@functools.cache
def _fused_adam_class():
    import keras

    @keras.saving.register_keras_serializable(package="keraslab")
    class FusedAdam(keras.optimizers.Adam):
        def update_step(self, gradient, variable, learning_rate):
            if keras.backend.backend() != "tensorflow" or self.amsgrad:
                return super().update_step(gradient, variable, learning_rate)
            import tensorflow as tf

            sparse = isinstance(gradient, tf.IndexedSlices)
            if sparse or tf.distribute.has_strategy() or not hasattr(variable, "handle"):
                return super().update_step(gradient, variable, learning_rate)
            dtype = variable.dtype
            step = tf.cast(self.iterations + 1, dtype)
            beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
            index = self._get_variable_index(variable)
            tf.raw_ops.ResourceApplyAdam(
                var=variable.handle,
                m=self._momentums[index].value.handle,
                v=self._velocities[index].value.handle,
                beta1_power=tf.pow(beta_1, step),
                beta2_power=tf.pow(beta_2, step),
                lr=tf.cast(learning_rate, dtype),
                beta1=beta_1,
                beta2=beta_2,
                epsilon=tf.cast(self.epsilon, dtype),
                grad=tf.cast(gradient, dtype),
                use_locking=False,
            )

    return FusedAdam
