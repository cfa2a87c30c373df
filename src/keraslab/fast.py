"""keraslab's own training path for the CNNs: same model, optimizer, loss and batch size as plain
``model.fit``, with the settings measured to be fastest on a CPU (see ``docs/performance.md``).

The defaults below are the ones ``keraslab bench`` measured best on the project's 2-core CPU; each
can be switched for a comparison (``keraslab bench --variants``).
"""

from __future__ import annotations

DEFAULTS = {
    "steps_per_execution": 16,  # fewer Python round trips per batch: one compiled call runs 16 steps
    "jit_compile": False,       # XLA was measured slower for this CNN on CPU
    "tf_data": False,           # in-memory arrays already feed as fast as the model trains
}


def fit_fast(model, x, y, *, epochs: int, batch_size: int, callbacks=(), validation_data=None, verbose=0,
             learning_rate: float = 1e-3, **overrides):
    """Compile (Adam, sparse categorical cross-entropy, accuracy) and fit with the fast settings."""
    import keras

    opts = {**DEFAULTS, **overrides}
    unknown = set(opts) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"fit_fast: unknown option(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=opts["steps_per_execution"],
                  jit_compile=opts["jit_compile"])
    data = (x, y)
    if opts["tf_data"] and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), reshuffle_each_iteration=True)
        data = (ds.batch(batch_size).prefetch(tf.data.AUTOTUNE), None)
        return model.fit(data[0], epochs=epochs, callbacks=list(callbacks), validation_data=validation_data,
                         verbose=verbose)
    return model.fit(x, y, batch_size=batch_size, epochs=epochs, callbacks=list(callbacks),
                     validation_data=validation_data, verbose=verbose)
