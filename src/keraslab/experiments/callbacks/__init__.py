"""Callbacks: the original module guide's four built-ins, its custom TrainingTimeCallback, their
effectiveness measured, and training that survives being killed.

Data and model: scikit-learn's bundled 8×8 handwritten digits (1,797 images, 10 classes) with a
64-32 MLP. It ships with scikit-learn (no download), an epoch takes a fraction of a second here,
and it reaches the same ~98% accuracy band as the guide's callback table — so a 100-epoch
budget, three arms and several seeds fit in a few minutes on a 2-core CPU.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass

from keraslab.config import BaseConfig, param
from keraslab.data import split
from keraslab.errors import RunFailed
from keraslab.experiment import Experiment, Result
from keraslab.experiments.callbacks.result import Arm, CallbacksResult, ScheduleRun, Seed
from keraslab.experiments.runner import over_seeds
from keraslab.harness import SMALL
from keraslab.progress import fit_progress
from keraslab.results import Summary, decode
from keraslab.train import seed_everything, weights_fingerprint

ORDER = 3  # its place in `keraslab run all`
#: how the figures and the report name its arms
LABELS = {
    "no_callbacks": "No callbacks",
    "early_stopping": "EarlyStopping",
    "early_stopping_reduce_lr": "EarlyStopping + ReduceLROnPlateau",
}
#: one colour per arm, the same in every figure
COLORS = {
    "no_callbacks": "#7f7f7f",
    "early_stopping": "#1f77b4",
    "early_stopping_reduce_lr": "#d62728",
}
DESCRIPTION = "EarlyStopping/ReduceLROnPlateau effectiveness over seeds; LR schedules; resumable training"
RESUMABLE = True
ARMS = ("no_callbacks", "early_stopping", "early_stopping_reduce_lr")


@dataclass(frozen=True)
class Config(BaseConfig):
    epochs: int = param(100, "the guide's budget for the no-callback arm", min=1, max=10_000)
    batch_size: int = param(32, "Keras' default batch size", min=1, max=4096)
    learning_rate: float = param(0.001, "Adam's default", min=1e-7, max=10.0)
    patience: int = param(10, "EarlyStopping patience, as in the guide", min=1, max=1000)
    lr_factor: float = param(0.2, "ReduceLROnPlateau factor, as in the guide's strategy", min=0.01, max=0.99)
    lr_patience: int = param(5, "ReduceLROnPlateau patience, as in the guide's strategy", min=1, max=1000)
    min_lr: float = param(1e-5, "ReduceLROnPlateau floor", min=0.0, max=1.0)
    arms: tuple[str, ...] = param(ARMS, "callback setups compared", choices=ARMS)
    schedule_epochs: int = param(30, "epochs of the LearningRateScheduler + checkpoint run", min=1, max=10_000)
    schedule_step: int = param(10, "the step schedule halves the learning rate every this many epochs", min=1, max=1000)

    PRESETS = {
        "quick": {
            "epochs": 12,
            "patience": 3,
            "lr_patience": 2,
            "schedule_epochs": 4,
            "schedule_step": 2,
            "seeds": (0,),
            "deterministic": True,
        },
        "standard": {"seeds": (0, 1, 2, 3, 4)},  # 5 seeds: a small experiment's seed costs seconds
        "full": {"epochs": 200, "seeds": (0, 1, 2, 3, 4)},
    }


def step_schedule(initial: float, step: int):
    """The LearningRateScheduler function: halve the rate every ``step`` epochs."""

    def schedule(epoch, lr=None):
        return float(initial * 0.5 ** (epoch // step))

    return schedule


def build_model():
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(64,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ],
        name="digits_mlp",
    )


def digits(seed: int):
    from sklearn.datasets import load_digits

    d = load_digits()
    return split((d.data / 16.0).astype("float32"), d.target.astype("int32"), seed, 0.2, 0.2)


def arm_callbacks(arm: str, config: Config) -> list:
    import keras

    cbs = []
    if arm in ("early_stopping", "early_stopping_reduce_lr"):
        cbs.append(
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
        )
    if arm == "early_stopping_reduce_lr":
        cbs.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss", factor=config.lr_factor, patience=config.lr_patience, min_lr=config.min_lr
            )
        )
    return cbs


def train_one(arm: str, seed: int, config: Config, label: str = "") -> dict:
    import keras

    from keraslab.callbacks import LearningRateLogger, TrainingTimeCallback, check_callbacks
    from keraslab.faults import injectors

    seed_everything(seed, config.deterministic)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = digits(seed)
    model = build_model()
    optimizer = keras.optimizers.Adam(config.learning_rate)
    SMALL.compile(
        model, len(x_train), optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    cbs = arm_callbacks(arm, config)
    check_callbacks(cbs, has_validation=True, optimizer=optimizer)
    timer = TrainingTimeCallback()
    verbose, progress = fit_progress(label or f"{arm} seed {seed}")
    start = time.perf_counter()
    hist = SMALL.fit(
        model,
        x_train,
        y_train,
        batch_size=config.batch_size,
        seed=seed,
        validation=(x_val, y_val),
        epochs=config.epochs,
        verbose=verbose,
        callbacks=[timer, LearningRateLogger(), keras.callbacks.TerminateOnNaN(), *cbs, *injectors(arm), *progress],
    )
    wall = time.perf_counter() - start
    if any(v != v for v in hist["loss"]):
        raise RunFailed(
            f"{arm} seed {seed}: the loss became NaN at epoch {len(hist['loss'])}; TerminateOnNaN "
            "stopped training. Lower the learning rate."
        )
    _, test_acc = model.evaluate(x_test, y_test, verbose=0)
    stopped = next((cb.stopped_epoch for cb in cbs if isinstance(cb, keras.callbacks.EarlyStopping)), 0)
    return {
        "history": hist,
        "epochs": len(hist["loss"]),
        "best_val_accuracy": max(hist["val_accuracy"]),
        "best_epoch": int(min(range(len(hist["val_loss"])), key=hist["val_loss"].__getitem__)) + 1,
        "test_accuracy": float(test_acc),
        "wall_time": wall,
        "train_time": sum(timer.epoch_times),
        "stopped_epoch": int(stopped),
    }


def train_schedule_run(seed: int, config: Config, folder) -> dict:
    """The guide's callback strategy on a resumable fit: LearningRateScheduler, a best-only
    ModelCheckpoint that survives restarts, CSVLogger, TensorBoard, TerminateOnNaN, timing."""
    import keras

    from keraslab.callbacks import LearningRateLogger, TrainingTimeCallback, check_callbacks
    from keraslab.faults import injectors
    from keraslab.resumable import KeepBestCheckpoint, fit_resumable

    seed_everything(seed, config.deterministic)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = digits(seed)
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    checkpoint = KeepBestCheckpoint(str(folder / "best_model.keras"), monitor="val_accuracy", mode="max")
    cbs = [
        keras.callbacks.LearningRateScheduler(step_schedule(config.learning_rate, config.schedule_step)),
        checkpoint,
        keras.callbacks.CSVLogger(str(folder / "training_log.csv"), append=True),
        keras.callbacks.TerminateOnNaN(),
        TrainingTimeCallback(),
        LearningRateLogger(),
    ]
    if importlib.util.find_spec("tensorflow") and importlib.util.find_spec("tensorboard"):
        # TensorBoard's event writer needs TensorFlow, whatever the backend: `tensorboard --logdir runs/`
        cbs.append(keras.callbacks.TensorBoard(log_dir=str(folder / "tensorboard")))
    check_callbacks(cbs, has_validation=True)

    verbose, progress = fit_progress(f"schedule run, seed {seed}")
    hist = fit_resumable(
        model,
        x_train,
        y_train,
        epochs=config.schedule_epochs,
        batch_size=config.batch_size,
        seed=seed,
        folder=folder,
        validation_data=(x_val, y_val),
        callbacks=[*cbs, *injectors("schedule"), *progress],
        verbose=verbose,
    )
    if any(v is None or v != v for v in hist.get("loss", [])):
        raise RunFailed("the schedule run's loss became NaN; TerminateOnNaN stopped training")
    best = keras.models.load_model(folder / "best_model.keras", safe_mode=True)
    _, best_test = best.evaluate(x_test, y_test, verbose=0)
    return {
        "history": hist,
        "epochs": len(hist["loss"]),
        "best_epoch": checkpoint.best_epoch,
        "best_val_accuracy": float(checkpoint.best),
        "best_model_test_accuracy": float(best_test),
        "final_weights_sha": weights_fingerprint(model),
    }


def run(config: Config, writer) -> Result:
    def report(arm, seed, r):
        print(
            f"  {arm:26s} seed {seed}: {r['epochs']:3d} epochs, best val accuracy "
            f"{r['best_val_accuracy']:.4f}, test {r['test_accuracy']:.4f}, {r['wall_time']:.1f}s"
        )

    # seed-major (every arm with seed 0, then seed 1 …): the arms share each seed's minutes of the host
    trials = over_seeds(
        writer,
        config.arms,
        config.seeds,
        lambda arm, seed, label: train_one(arm, seed, config, label),
        interleave=True,
        report=report,
    )
    histories = dict(trials.histories)
    arms = {}
    base = trials.of("no_callbacks") if "no_callbacks" in config.arms else None
    for arm in config.arms:
        rs = trials.of(arm)
        arms[arm] = Arm(
            **trials.summary(arm, "epochs", "best_val_accuracy", "test_accuracy", "wall_time", "train_time"),
            # paired by seed: the same data and initial weights with and without callbacks
            time_saved=Summary.of([1 - r["wall_time"] / b["wall_time"] for r, b in zip(rs, base)]) if base else None,
            per_seed=decode(list[Seed], rs, f"callbacks {arm} seeds"),
        )
    folder = writer.path / "schedule_run"
    sched = dict(writer.step("schedule", lambda: train_schedule_run(config.seeds[0], config, folder)))
    histories["schedule"] = {str(config.seeds[0]): sched.pop("history")}
    return Result(
        metrics=CallbacksResult(
            arms=arms,
            budget_epochs=config.epochs,
            schedule=ScheduleRun(**sched),
            dataset="scikit-learn digits (8x8), 60/20/20 split by seed",
            callbacks={
                "early_stopping": {"monitor": "val_loss", "patience": config.patience, "restore_best_weights": True},
                "reduce_lr": {
                    "monitor": "val_loss",
                    "factor": config.lr_factor,
                    "patience": config.lr_patience,
                    "min_lr": config.min_lr,
                },
            },
        ),
        history=histories,
    )


EXPERIMENT = Experiment(
    name="callbacks",
    description=DESCRIPTION,
    config=Config,
    run=run,
    order=ORDER,
    resumable=RESUMABLE,
    labels=LABELS,
    colors=COLORS,
    result=CallbacksResult,
    bound="overhead",  # small data: fit's per-epoch and per-step cost, not arithmetic
)
