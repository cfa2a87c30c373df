"""CNNs on MNIST: the original module guide's Simple, Improved and Functional CNNs.

Each is trained on the real MNIST training set (10% held out for validation) and evaluated on
the real 10,000-image test set; every seed's predictions are stored so that the confusion
matrix, per-class accuracy and prediction plots redraw without training. :func:`train_one` is
plain Keras; ``keraslab run cnn`` runs it through :class:`keraslab.harness.Managed` (resumable
from per-epoch backups, distributed with ``--distribute``), so a killed run continues where it
stopped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from keraslab import data as data_mod
from keraslab.config import BaseConfig, param
from keraslab.distribute import MODES, Distribution
from keraslab.errors import RunFailed
from keraslab.experiment import Experiment, Result
from keraslab.experiments.cnn.result import (
    Arm,
    CnnResult,
    Data,
    DistributionInfo,
    ErrorAnalysis,
    NamedErrorAnalysis,
    Settings,
)
from keraslab.experiments.runner import over_seeds
from keraslab.fast import PRECISIONS, precision_policy
from keraslab.harness import PLAIN, Managed
from keraslab.progress import fit_progress
from keraslab.results import decode
from keraslab.train import seed_everything

ORDER = 4  # its place in `keraslab run all`
#: how the figures and the report name its arms
LABELS = {
    "simple_cnn": "Simple CNN",
    "improved_cnn": "Improved CNN",
    "functional_cnn": "Functional CNN",
}
#: one colour per arm, the same in every figure
COLORS = {
    "simple_cnn": "#1f77b4",
    "improved_cnn": "#d62728",
    "functional_cnn": "#2ca02c",
}
DESCRIPTION = "Simple / Improved / Functional CNN on real MNIST; confusion matrix and error analysis"
RESUMABLE = True
MODELS = ("simple_cnn", "improved_cnn", "functional_cnn")


@dataclass(frozen=True)
class Config(BaseConfig):
    models: tuple[str, ...] = param(MODELS, "which of the guide's CNNs to train", choices=MODELS)
    epochs: int = param(
        2,
        "epochs for every CNN: one budget, so the guide's comparisons between them are fair; 2 keeps `make run` "
        "within its time budget on a 2-core AVX2 CPU (`full`: 15; docs/performance.md says what it costs)",
        min=1,
        max=1000,
    )
    batch_size: int = param(128, "the batch size of the guide's timing figures", min=1, max=65_536)
    learning_rate: float = param(0.001, "Adam's default", min=1e-6, max=1.0)
    n_train: int = param(0, "training images to use (0: all 60,000)", min=0, max=60_000)
    n_test: int = param(0, "test images to evaluate (0: all 10,000)", min=0, max=10_000)
    validation_fraction: float = param(0.1, "held out from training for validation curves", min=0.0, max=0.5)
    aux_loss_weight: float = param(0.3, "weight of the Functional CNN's auxiliary loss", min=0.0, max=10.0)
    precision: str = param(
        "float32",
        "the guide's precision, so its numbers are judged like for like (auto: "
        "bfloat16 compute where the CPU has bf16 units, about 2x faster)",
        choices=PRECISIONS,
    )
    fused_batchnorm: bool = param(
        True,
        "train BatchNormalization with TensorFlow's fused kernel: the same math, the Improved CNN about "
        "20% faster (keraslab.compat.fuse_batchnorm; TensorFlow only)",
    )
    distribute: str = param("none", "none, mirrored (TF), data-parallel (JAX) or multi-worker (TF)", choices=MODES)
    devices: int = param(0, "simulated CPU devices for distribution (0: the real devices)", min=0, max=64)

    PRESETS = {
        "quick": {"epochs": 1, "n_train": 2000, "n_test": 1000, "seeds": (0,), "deterministic": True},
        "standard": {"seeds": (0, 1)},
        "full": {"epochs": 15, "seeds": (0, 1, 2)},
    }


def compile_model(name: str, model, config: Config):
    import keras

    opt = keras.optimizers.Adam(config.learning_rate)
    if name == "functional_cnn":
        model.compile(
            optimizer=opt,
            loss={"main": "sparse_categorical_crossentropy", "aux": "sparse_categorical_crossentropy"},
            loss_weights={"main": 1.0, "aux": config.aux_loss_weight},
            metrics={"main": ["accuracy"], "aux": ["accuracy"]},
        )
    else:
        model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def error_analysis(y_true: np.ndarray, y_pred: np.ndarray) -> ErrorAnalysis:
    cm = np.zeros((10, 10), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    per_class = (np.diag(cm) / np.maximum(cm.sum(axis=1), 1)).tolist()
    pairs = []
    for a in range(10):
        for b in range(a + 1, 10):
            n = int(cm[a, b] + cm[b, a])
            if n:
                pairs.append(
                    {"pair": f"{a}<->{b}", "count": n, f"{a}_as_{b}": int(cm[a, b]), f"{b}_as_{a}": int(cm[b, a])}
                )
    pairs.sort(key=lambda p: -p["count"])
    return ErrorAnalysis(
        confusion_matrix=cm.tolist(),
        per_class_accuracy=per_class,
        most_confused_pairs=pairs[:10],
        misclassified_indices=np.flatnonzero(y_true != y_pred).tolist(),
        accuracy=float(np.mean(y_true == y_pred)),
    )


def train_one(name: str, seed: int, config: Config, data, harness=None, label: str = ""):
    """Build, compile, fit and evaluate one of the guide's CNNs — pytorch/examples' ``train()``,
    in Keras. Returns ``(model, history, test-set probabilities)``.

    ``harness`` (:mod:`keraslab.harness`) decides from outside where the model is built, how fit
    runs and where it predicts; the default is plain Keras. ``keraslab run cnn`` passes one that
    makes the fit resumable and distributed."""
    import keras

    from keraslab.callbacks import TrainingTimeCallback
    from keraslab.models.cnn import BUILDERS

    harness = harness or PLAIN
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = data
    two_heads = name == "functional_cnn"  # the Functional CNN has a main and an auxiliary output

    def targets(y):
        return {"main": y, "aux": y} if two_heads else y

    seed_everything(seed, config.deterministic)
    model = harness.build(lambda: compile_model(name, BUILDERS[name](), config))
    verbose, progress = fit_progress(label or f"{name} seed {seed}")
    history = harness.fit(
        model,
        x_train,
        targets(y_train),
        epochs=config.epochs,
        batch_size=config.batch_size,
        validation_data=(x_val, targets(y_val)) if len(x_val) else None,
        callbacks=[TrainingTimeCallback(), keras.callbacks.TerminateOnNaN(), *progress],
        verbose=verbose,
    )
    if any(v is None or v != v for v in history.get("loss", [])):
        raise RunFailed(f"{name} seed {seed}: the loss became NaN; TerminateOnNaN stopped training")
    probs = harness.predict(model, x_test, rebuild=BUILDERS[name])
    probs = np.asarray(probs["main"] if isinstance(probs, dict) else probs)
    return model, history, probs


def train_and_store(name: str, seed: int, config: Config, data, dist, folder, label: str) -> dict:
    """:func:`train_one` through the resumable, distributed harness; the model and its test-set
    probabilities are saved in ``folder``."""

    start = time.perf_counter()
    harness = Managed(dist, folder, seed, name, fuse_batchnorm=config.fused_batchnorm)
    model, history, probs = train_one(name, seed, config, data, harness, label)
    wall = time.perf_counter() - start
    model.save(folder / f"{name}.keras")
    np.save(folder / "test_probs.npy", probs.astype("float32"))
    epoch_time = history.get("epoch_time", [])
    return {
        "history": history,
        "test_accuracy": float(np.mean(probs.argmax(axis=1) == data[2][1])),
        "params": int(model.count_params()),
        "epochs": len(history.get("loss", [])),
        "train_time": float(sum(epoch_time)),
        "wall_time": wall,
        "epoch_time": epoch_time,
        "model_file": f"{folder.name}/{name}.keras",
    }


def run(config: Config, writer) -> Result:
    with precision_policy(config.precision) as policy:  # restored afterwards: no leak into other experiments
        return _run(config, writer, policy)


def _fused(config: Config) -> bool:
    import keras

    return config.fused_batchnorm and keras.backend.backend() == "tensorflow"


def _run(config: Config, writer, policy: str) -> Result:
    from keraslab.resumable import feed_description

    print(f"  precision policy: {policy}")
    dist = Distribution(config.distribute, config.devices)
    if config.distribute != "none":
        print(
            f"  distribution: {config.distribute}, {dist.replicas} replicas, global batch "
            f"{config.batch_size * dist.replicas} ({config.batch_size} per replica)"
        )

    (x, y), (x_test, y_test) = data_mod.mnist_for_training(config.n_train or None, config.n_test or None, seed=0)
    n_val = int(round(len(x) * config.validation_fraction))
    splits = ((x[n_val:], y[n_val:]), (x[:n_val], y[:n_val]), (x_test, y_test))
    print(f"  MNIST: {len(x) - n_val} training, {n_val} validation, {len(x_test)} test images")

    def train(name, seed, label):
        return train_and_store(name, seed, config, splits, dist, writer.path / f"{name}-seed{seed}", label)

    def report(name, seed, r):
        print(
            f"  {name:15s} seed {seed}: test accuracy {r['test_accuracy']:.4f}, {r['epochs']} epochs, "
            f"{r['train_time']:.1f}s training"
        )

    trials = over_seeds(writer, config.models, config.seeds, train, agree=dist.all_true, report=report)
    arms, arrays = {}, {}
    for name in config.models:
        results = trials.of(name)
        for seed in config.seeds:  # every seed's test probabilities: the error analysis is judged over seeds
            probs = np.load(writer.path / f"{name}-seed{seed}" / "test_probs.npy")
            arrays[f"probs_{name}_seed{seed}"] = probs.astype("float16")
        arrays[f"probs_{name}"] = probs.astype("float16")  # the last seed's, which the figures draw
        arms[name] = Arm(
            **trials.summary(name, "test_accuracy", "train_time"),
            **trials.timings(name),
            params=results[0]["params"],
            epochs=results[0]["epochs"],
            model_file=results[0]["model_file"],
            error_analysis=error_analysis(y_test, probs.argmax(axis=1)),
        )
    main = "simple_cnn" if "simple_cnn" in arms else next(iter(arms))
    writer.write_arrays(
        y_test=y_test.astype("uint8"), x_test_sample=(x_test[:2000, ..., 0] * 255).astype("uint8"), **arrays
    )
    return Result(
        metrics=CnnResult(
            arms=arms,
            error_analysis=NamedErrorAnalysis(model=main, **vars(arms[main].error_analysis)),
            data=Data(n_train=int(len(x) - n_val), n_val=n_val, n_test=int(len(x_test))),
            settings=Settings(
                batch_size=config.batch_size * dist.replicas,
                batch_size_per_replica=config.batch_size,
                learning_rate=config.learning_rate,
                optimizer="adam",
                precision=policy,
                batchnorm="fused (TensorFlow's FusedBatchNormV3)" if _fused(config) else "Keras' layer",
                input=feed_description(config.distribute, config.n_train),
            ),
            distribution=decode(DistributionInfo, dist.provenance(), "cnn distribution"),
        ),
        history=trials.histories,
        provenance=dist.provenance(),
    )


def migrate_v1(run) -> dict:
    """Schema 1 → 2: runs from before the precision, fused batch-norm and distribution settings
    existed trained in float32 with Keras' own BatchNormalization, undistributed."""
    m = dict(run.metrics)
    m["settings"] = {"precision": "float32", "batchnorm": "Keras' layer", **m["settings"]}
    m.setdefault("distribution", {"distribute": "none", "replicas": 1, "devices": []})
    return m


EXPERIMENT = Experiment(
    name="cnn",
    description=DESCRIPTION,
    config=Config,
    run=run,
    order=ORDER,
    resumable=RESUMABLE,
    labels=LABELS,
    colors=COLORS,
    migrate=migrate_v1,
    result=CnnResult,
)
