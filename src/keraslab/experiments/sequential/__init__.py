"""Sequential API: moons (binary), Iris (multiclass), and the optimizer comparison.

The original module guide's ``keras_sequential_demo.py``: the 16-8-1 MLP on make_moons with
binary cross-entropy and Adam, a small multiclass MLP on Iris, and SGD / Adam / RMSprop /
Adagrad on the same architecture and data, a fresh model per arm and several seeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from keraslab import data
from keraslab.config import BaseConfig, param
from keraslab.experiment import Experiment, Result
from keraslab.experiments.runner import over_seeds
from keraslab.experiments.sequential.result import (
    Arm,
    Iris,
    Moons,
    OptimizerSettings,
    Prediction,
    Search,
    SequentialResult,
    Tuned,
    TunedArm,
    Tuning,
)
from keraslab.harness import SMALL
from keraslab.progress import fit_progress
from keraslab.results import Summary, decode
from keraslab.train import epochs_to_reach, seed_everything, weights_fingerprint

ORDER = 1  # its place in `keraslab run all`
#: how the figures and the report name its arms
LABELS = {
    "sgd": "SGD",
    "adam": "Adam",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
}
#: one colour per arm, the same in every figure
COLORS = {
    "sgd": "#1f77b4",
    "adam": "#d62728",
    "rmsprop": "#2ca02c",
    "adagrad": "#9467bd",
}
DESCRIPTION = (
    "moons + Iris with Sequential models; SGD/Adam/RMSprop/Adagrad over seeds, at default and tuned learning rates"
)
RESUMABLE = True  # the learning-rate searches keep their finished trials when interrupted
OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad")


@dataclass(frozen=True)
class Config(BaseConfig):
    moons_samples: int = param(1000, "make_moons points; 1000 as in typical sklearn demos", min=50, max=1_000_000)
    moons_noise: float = param(0.3, "label noise that caps accuracy near the guide's ~91%", min=0.0, max=2.0)
    epochs: int = param(100, "epochs for the moons and Iris models", min=1, max=10_000)
    optimizer_epochs: int = param(60, "epochs per optimizer arm (same for every arm)", min=1, max=10_000)
    batch_size: int = param(32, "Keras' default batch size", min=1, max=65_536)
    optimizers: tuple[str, ...] = param(
        OPTIMIZERS, "arms of the comparison, Keras' default settings", choices=OPTIMIZERS
    )
    converge_at: float = param(
        0.85, "validation accuracy that counts as converged (convergence speed)", min=0.0, max=1.0
    )
    grid_steps: int = param(200, "resolution of the decision-boundary surface", min=10, max=2000)
    tune_trials: int = param(
        6, "KerasTuner trials per optimizer (the same for all; 0: skip the tuned comparison)", min=0, max=200
    )

    PRESETS = {
        "quick": {
            "tune_trials": 2,
            "moons_samples": 300,
            "epochs": 8,
            "optimizer_epochs": 5,
            "seeds": (0,),
            "grid_steps": 60,
            "deterministic": True,
        },
        "standard": {"seeds": (0, 1, 2, 3, 4)},  # 5 seeds: a small experiment's seed costs seconds
        "full": {"epochs": 200, "optimizer_epochs": 100, "seeds": (0, 1, 2, 3, 4)},
    }


def decision_surface(model, x: np.ndarray, steps: int):
    """P(class 1) on a ``steps``×``steps`` grid covering the data with a margin."""
    lo, hi = x.min(axis=0) - 0.5, x.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))
    grid = np.c_[gx.ravel(), gy.ravel()].astype("float32")
    p = model.predict(grid, batch_size=4096, verbose=0).reshape(gx.shape)
    return gx.astype("float32"), gy.astype("float32"), p.astype("float32")


def make_optimizer(name: str, learning_rate: float | None = None):
    """Keras' optimizer ``name`` at its default learning rate, or at ``learning_rate``."""
    import keras

    if learning_rate is None:
        return keras.optimizers.get(name)
    return keras.optimizers.get({"class_name": name, "config": {"learning_rate": float(learning_rate)}})


def train_moons(config: Config, seed: int, optimizer="adam", epochs=None, build=None, label="", learning_rate=None):
    """One moons model: returns (model, history dict, test accuracy, splits, initial-weights hash)."""
    from keraslab.models.sequential import build_moons_mlp

    seed_everything(seed, config.deterministic)
    splits = data.moons(config.moons_samples, config.moons_noise, seed)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = splits
    model = (build or build_moons_mlp)()
    initial = weights_fingerprint(model)
    SMALL.compile(
        model,
        len(x_train),
        optimizer=make_optimizer(optimizer, learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    verbose, progress = fit_progress(label or f"moons MLP ({optimizer}), seed {seed}")
    history = SMALL.fit(
        model,
        x_train,
        y_train,
        batch_size=config.batch_size,
        seed=seed,
        validation=(x_val, y_val),
        epochs=epochs or config.epochs,
        verbose=verbose,
        callbacks=progress,
    )
    _, test_acc = model.evaluate(x_test, y_test, verbose=0)
    return model, history, float(test_acc), splits, initial


#: the learning rates searched for each optimizer, log scale (SGD and Adagrad want larger steps)
LR_RANGES = {"sgd": (1e-4, 1.0), "adagrad": (1e-4, 1.0), "adam": (1e-4, 1e-1), "rmsprop": (1e-4, 1e-1)}


def compare_optimizers(config: Config, writer, tag: str, build=None, learning_rates=None):
    """Every optimizer over every seed (a fresh model each, the same data and initial weights per
    seed): test accuracy, and epochs until validation accuracy first reaches ``converge_at``.
    Returns ``({optimizer: summary}, {optimizer: {seed: history}})``."""

    rates = learning_rates or {}

    def train_one(opt, seed, label):
        _, hist, acc, _, init = train_moons(
            config,
            seed,
            optimizer=opt,
            epochs=config.optimizer_epochs,
            build=build,
            label=label,
            learning_rate=rates.get(opt),
        )
        reach = epochs_to_reach(hist["val_accuracy"], config.converge_at)
        return {"history": hist, "test_accuracy": acc, "epochs_to_converge": reach, "initial_weights": init}

    def report(opt, seed, r):
        print(
            f"  {tag} {opt:8s} seed {seed}: test accuracy {r['test_accuracy']:.4f}, "
            f"epochs to val_accuracy>={config.converge_at}: {r['epochs_to_converge']}"
        )

    trials = over_seeds(writer, config.optimizers, config.seeds, train_one, tag=tag, report=report)
    arms = {}
    for opt in config.optimizers:
        reach = trials.values(opt, "epochs_to_converge")
        reached = [r for r in reach if r is not None]
        arms[opt] = Arm(
            **trials.summary(opt, "test_accuracy"),
            epochs_to_converge=Summary.of(reached) if reached else None,
            epochs_to_converge_per_seed=reach,
            converged_seeds=len(reached),
            initial_weights={str(s): r["initial_weights"] for s, r in trials.results[opt].items()},
        )
    return arms, trials.histories


def tune_learning_rate(optimizer: str, train, val, config: Config, directory) -> dict:
    """A KerasTuner random search over ``optimizer``'s learning rate, judged on ``val`` only.

    ``train`` and ``val`` are ``(x, y)`` pairs; the test split is not an argument, so it cannot
    reach the tuner. Trials live in ``directory/optimizer`` and are reloaded when the search runs
    again (``overwrite=False``): a killed search continues where it stopped.
    """
    import keras_tuner as kt

    from keraslab.models.sequential import build_moons_mlp

    lo, hi = LR_RANGES[optimizer]

    def build(hp):
        model = build_moons_mlp()
        lr = hp.Float("learning_rate", lo, hi, sampling="log")
        SMALL.compile(
            model,
            len(train[0]),
            optimizer=make_optimizer(optimizer, lr),
            loss="binary_crossentropy",
            metrics=["accuracy"],
        )
        return model

    seed_everything(config.seeds[0], config.deterministic)
    tuner = kt.RandomSearch(
        build,
        objective="val_accuracy",
        max_trials=config.tune_trials,
        seed=config.seeds[0],
        directory=str(directory),
        project_name=optimizer,
        overwrite=False,
    )
    tuner.search(
        **SMALL.inputs(*train, batch_size=config.batch_size, seed=config.seeds[0], validation=val),
        epochs=config.optimizer_epochs,
        verbose=0,
        callbacks=[SMALL.state_before_tracing(*train)],  # each trial's train_step traced once, as SMALL.fit does
    )
    trials = [
        {"learning_rate": float(t.hyperparameters.get("learning_rate")), "val_accuracy": float(t.score)}
        for t in tuner.oracle.trials.values()
        if t.score is not None
    ]
    best = max(trials, key=lambda t: t["val_accuracy"])
    return {
        "learning_rate": best["learning_rate"],
        "best_val_accuracy": best["val_accuracy"],
        "trials": sorted(trials, key=lambda t: t["learning_rate"]),
        "range": [lo, hi],
    }


def moons_model(config: Config, build=None):
    """Study 1: binary classification on make_moons (the guide's 16-8-1 model), on the first seed.
    Returns (metrics, histories, arrays for the decision-boundary figure)."""
    seed = config.seeds[0]
    model, hist, test_acc, splits, _ = train_moons(config, seed, build=build)
    (x_train, y_train), _, (x_test, y_test) = splits
    gx, gy, gp = decision_surface(model, np.concatenate([x_train, x_test]), config.grid_steps)
    new_points = np.array([[0.0, 0.5], [1.0, -0.5], [-1.0, 0.5], [2.0, 0.0], [0.5, 0.25]], dtype="float32")
    probs = model.predict(new_points, verbose=0).ravel()
    metrics = Moons(
        test_accuracy=test_acc,
        seed=seed,
        params=int(model.count_params()),
        n_test=int(len(y_test)),
        final_val_accuracy=hist["val_accuracy"][-1],
        predict_demo=[
            Prediction(point=p.tolist(), probability=float(q), class_=int(q >= 0.5)) for p, q in zip(new_points, probs)
        ],
    )
    arrays = dict(grid_x=gx, grid_y=gy, grid_p=gp, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return metrics, {"moons": {str(seed): hist}}, arrays


def iris_model(config: Config):
    """Study 2: multiclass classification on Iris (scaler fit on the training split only), on the
    first seed. Returns (metrics, histories)."""
    from keraslab.models.sequential import build_iris_mlp

    seed = config.seeds[0]
    seed_everything(seed, config.deterministic)
    (xi_train, yi_train), (xi_val, yi_val), (xi_test, yi_test) = data.iris(seed)
    model = build_iris_mlp()
    SMALL.compile(model, len(xi_train), optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    verbose, progress = fit_progress(f"Iris MLP, seed {seed}")
    h = SMALL.fit(
        model,
        xi_train,
        yi_train,
        batch_size=config.batch_size,
        seed=seed,
        validation=(xi_val, yi_val),
        epochs=config.epochs,
        verbose=verbose,
        callbacks=progress,
    )
    metrics = Iris(
        test_accuracy=float(model.evaluate(xi_test, yi_test, verbose=0)[1]),
        seed=seed,
        params=int(model.count_params()),
        n_test=int(len(yi_test)),
    )
    return metrics, {"iris": {str(seed): h}}


def tuned_comparison(config: Config, writer, build=None):
    """Study 4, the fair comparison: each optimizer at its own learning rate, tuned on the
    validation split, then compared over seeds. Returns (tuned arms, the tuning's settings, histories)."""

    (x_tr, y_tr), (x_va, y_va), _ = data.moons(config.moons_samples, config.moons_noise, config.seeds[0])
    searches = {}
    for opt in config.optimizers:
        searches[opt] = writer.step(
            f"tune-{opt}", lambda: tune_learning_rate(opt, (x_tr, y_tr), (x_va, y_va), config, writer.path / "tuner")
        )
        found = searches[opt]
        print(
            f"  tuned {opt:8s}: learning rate {found['learning_rate']:.3g} (best validation accuracy "
            f"{found['best_val_accuracy']:.4f}, {len(found['trials'])} trials)"
        )
    rates = {opt: searches[opt]["learning_rate"] for opt in config.optimizers}
    tuned, tuned_histories = compare_optimizers(config, writer, "tuned", build=build, learning_rates=rates)
    arms = {
        opt: TunedArm(
            **vars(tuned[opt]), search=decode(Search, searches[opt], f"{opt} search"), learning_rate=rates[opt]
        )
        for opt in config.optimizers
    }
    tuning = Tuning(
        tuner="keras_tuner.RandomSearch",
        objective="val_accuracy (the validation split; the test split never reaches the tuner)",
        trials_per_optimizer=config.tune_trials,
        epochs_per_trial=config.optimizer_epochs,
        search_seed=config.seeds[0],
        ranges={opt: list(LR_RANGES[opt]) for opt in config.optimizers},
    )
    # the histories are stored as history.json["tuned <optimizer>"]
    return Tuned(arms=arms), tuning, {f"tuned {opt}": h for opt, h in tuned_histories.items()}


def run(config: Config, writer, build=None) -> Result:
    """The studies, in order, into one stored run."""
    histories = {}
    moons, found, arrays = moons_model(config, build=build)
    histories.update(found)
    iris, found = iris_model(config)
    histories.update(found)
    # Study 3: the optimizer comparison, a fresh model per arm and seed, the same data and epochs for every arm
    arms, found = compare_optimizers(config, writer, "default", build=build)
    histories.update(found)
    settings = OptimizerSettings(
        epochs=config.optimizer_epochs,
        batch_size=config.batch_size,
        converge_at=config.converge_at,
        learning_rates="Keras defaults: sgd 0.01, adam/rmsprop/adagrad 0.001",
    )
    tuned = tuning = None
    if config.tune_trials:
        tuned, tuning, found = tuned_comparison(config, writer, build=build)
        histories.update(found)
    writer.write_arrays(**arrays)
    result = SequentialResult(
        moons=moons, iris=iris, arms=arms, optimizer_settings=settings, tuned=tuned, tuning=tuning
    )
    return Result(metrics=result, history=histories)


def migrate_v1(run) -> dict:
    """Schema 1 → 2: runs from before the moons study stored its test-set size held out 20% of
    its points for test."""
    m = dict(run.metrics)
    m["moons"] = {"n_test": int(round(run.config["moons_samples"] * 0.2)), **m["moons"]}
    return m


EXPERIMENT = Experiment(
    name="sequential",
    description=DESCRIPTION,
    config=Config,
    run=run,
    order=ORDER,
    resumable=RESUMABLE,
    labels=LABELS,
    colors=COLORS,
    migrate=migrate_v1,
    result=SequentialResult,
    bound="overhead",  # small data: fit's per-epoch and per-step cost, not arithmetic
)
