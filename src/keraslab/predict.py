"""``keraslab predict IMAGE``: classify one digit with a stored CNN.

The input is checked before the model sees it: a ``.png`` (any 8-bit grayscale or RGB image of
28×28 pixels) or a ``.npy`` array of shape 28×28 or 28×28×1 with values in [0, 1] or [0, 255].
``.npy`` files are read with ``allow_pickle=False`` and models with ``safe_mode=True``: a
user-supplied file is never unpickled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from keraslab.errors import KeraslabError
from keraslab.experiments.cnn import EXPERIMENT as CNN
from keraslab.store import RunStore


def load_image(path: str | Path) -> np.ndarray:
    """A (28, 28, 1) float32 array in [0, 1], or a KeraslabError saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise KeraslabError(f"no such image file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            a = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise KeraslabError(f"{path.name} is not a plain numeric .npy array ({exc})") from None
        except Exception as exc:
            raise KeraslabError(f"{path.name} is not a readable .npy file ({type(exc).__name__})") from None
    elif suffix == ".png":
        import matplotlib.image as mpimg

        try:
            a = mpimg.imread(path)  # PNG -> float in [0, 1]
        except Exception as exc:
            raise KeraslabError(f"{path.name} is not a readable PNG image ({type(exc).__name__})") from None
        if a.ndim == 3:
            a = a[..., :3].mean(axis=-1) if a.shape[-1] in (3, 4) else a[..., 0]
    else:
        raise KeraslabError(f"{path.name}: give a .png image or a .npy array of a 28x28 digit")
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.number):
        raise KeraslabError(f"{path.name} holds {a.dtype} values, not numbers")
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.shape != (28, 28):
        raise KeraslabError(
            f"{path.name} has shape {a.shape}; the CNNs take a 28x28 single-channel digit (resize it first)"
        )
    a = a.astype("float32")
    if not np.all(np.isfinite(a)):
        raise KeraslabError(f"{path.name} contains NaN or infinite values")
    if a.min() < 0 or a.max() > 255:
        raise KeraslabError(f"{path.name} has values in [{a.min():g}, {a.max():g}]; expected [0, 1] or [0, 255]")
    if a.max() > 1.0:
        a = a / 255.0
    return a[..., None]


def default_model(store_root: str | Path) -> Path:
    run = CNN.upgrade(RunStore(store_root).latest("cnn"))
    if run is None:
        raise KeraslabError(f"no finished cnn run in {store_root}; run `keraslab run cnn` or pass --model FILE.keras")
    arms = run.result.arms
    return run.path / (arms["simple_cnn"] if "simple_cnn" in arms else next(iter(arms.values()))).model_file


def load_model(path: str | Path):
    import keras

    path = Path(path)
    if path.suffix != ".keras":
        raise KeraslabError(f"{path.name}: give a .keras model file")
    if not path.is_file():
        raise KeraslabError(f"no such model file: {path}")
    import zipfile

    if not zipfile.is_zipfile(path):  # Keras would call it "File not found", though the file is there
        raise KeraslabError(
            f"{path.name} is not a Keras model file (truncated or not a zip); save it again with model.save()"
        )
    try:
        return keras.models.load_model(path, safe_mode=True)
    except Exception as exc:
        raise KeraslabError(
            f"{path.name} is not a loadable Keras model ({type(exc).__name__}: "
            f"{(str(exc).splitlines() or [''])[0][:160]})"
        ) from None


def predict(image: np.ndarray, model) -> list[tuple[int, float]]:
    p = model.predict(image[None], verbose=0)
    p = np.asarray(p["main"] if isinstance(p, dict) else p)[0]
    top = np.argsort(p)[::-1][:3]
    return [(int(k), float(p[k])) for k in top]


def main(image_path, model_path=None, store_root="runs") -> list[str]:
    image = load_image(image_path)  # validate the input before loading anything heavy
    path = Path(model_path) if model_path else default_model(store_root)
    model = load_model(path)
    top = predict(image, model)
    return [f"model: {path}"] + [f"{rank}. digit {d}: {p:.4f}" for rank, (d, p) in enumerate(top, 1)]
