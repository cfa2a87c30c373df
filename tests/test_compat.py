"""keraslab.compat: every patch of Keras' private internals checks the Keras it was written for."""

import keras
import pytest

from keraslab import compat
from keraslab.errors import KeraslabError


def test_the_patches_are_for_the_pinned_keras():
    from pathlib import Path

    pinned = Path(__file__).resolve().parents[1] / "pyproject.toml"
    assert f'"keras=={compat.KERAS_VERSION}"' in pinned.read_text()
    compat.require_keras()  # the installed Keras is the one they were written for


@pytest.mark.parametrize(
    "patch",
    [
        compat.keep_tensorflow_out,
        compat.fix_keras_multi_worker,
        lambda: compat.build_from_local_batch(None, None),
        lambda: compat.fuse_batchnorm(None),
    ],
)
def test_on_another_keras_each_patch_fails_with_one_clear_line(monkeypatch, patch):
    monkeypatch.setattr(keras, "__version__", "9.9.9")
    with pytest.raises(KeraslabError, match=r"written for Keras 3\.15\.1, and this environment has Keras 9\.9\.9"):
        patch()
