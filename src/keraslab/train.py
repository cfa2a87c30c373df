"""Shared training helpers: seeding, history conversion, epochs to a threshold, weight fingerprints."""

from __future__ import annotations

import hashlib

import numpy as np


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """One function seeds Python, NumPy and the backend (and torch when it is the backend)."""
    import keras

    keras.utils.set_random_seed(seed)
    if deterministic:
        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            tf.config.experimental.enable_op_determinism()
        elif backend == "torch":
            import torch

            torch.use_deterministic_algorithms(True, warn_only=True)


def history_dict(history) -> dict[str, list[float]]:
    """``keras.callbacks.History`` -> plain ``{metric: [floats]}``."""
    out = {}
    for key, values in history.history.items():
        out[key] = [float(v) for v in np.asarray(values, dtype="float64").ravel()]
    return out


def epochs_to_reach(curve, threshold: float) -> int | None:
    """1-based epoch at which ``curve`` first reaches ``threshold``; None if never."""
    for i, v in enumerate(curve):
        if v >= threshold:
            return i + 1
    return None


def weights_fingerprint(model) -> str:
    """A short hash of all weights: equal fingerprints mean identical weights."""
    h = hashlib.sha256()
    for w in model.get_weights():
        h.update(np.ascontiguousarray(w).tobytes())
    return h.hexdigest()[:16]
