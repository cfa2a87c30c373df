"""Functional API and subclassing.

The original module guide's ``keras_functional_demo.py``: a simple functional model, the
branching model, a residual model (compared over seeds on Iris), a multi-input/multi-output
model with an auxiliary head, the subclassed ``CustomModel`` saved and reloaded, and the same
architecture built with the Sequential and the Functional API, shown to be the same function
and to train the same.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from dataclasses import dataclass

import numpy as np

from keraslab import data
from keraslab.config import BaseConfig, param
from keraslab.experiment import Experiment, Result
from keraslab.experiments.functional.result import (
    ApiEquivalence,
    Arm,
    Diagram,
    FunctionalResult,
    MultiIO,
    Subclassed,
)
from keraslab.experiments.runner import over_seeds
from keraslab.harness import SMALL
from keraslab.progress import fit_progress
from keraslab.results import Summary
from keraslab.train import seed_everything

ORDER = 2  # its place in `keraslab run all`
#: one colour per arm, the same in every figure
COLORS = {
    "simple": "#1f77b4",
    "branching": "#ff7f0e",
    "residual": "#2ca02c",
    "sequential": "#17becf",
    "functional": "#e377c2",
}
DESCRIPTION = "simple/branching/residual functional models, multi-input/output, subclassing, API equivalence"
ARCHITECTURES = ("simple", "branching", "residual")


@dataclass(frozen=True)
class Config(BaseConfig):
    epochs: int = param(100, "Iris is tiny: 100 epochs reach a plateau", min=1, max=10_000)
    batch_size: int = param(16, "small batches suit the 90 training flowers", min=1, max=4096)
    architectures: tuple[str, ...] = param(ARCHITECTURES, "models compared over seeds", choices=ARCHITECTURES)
    moons_samples: int = param(1000, "make_moons points for the Sequential-vs-Functional twin", min=50, max=1_000_000)
    equivalence_epochs: int = param(40, "epochs for each API twin", min=1, max=10_000)
    aux_loss_weight: float = param(0.2, "weight of the auxiliary head's loss (main head: 1.0)", min=0.0, max=10.0)

    PRESETS = {
        "quick": {"epochs": 5, "equivalence_epochs": 3, "moons_samples": 200, "seeds": (0, 1), "deterministic": True},
        "standard": {"seeds": (0, 1, 2, 3, 4)},  # 5 seeds: a small experiment's seed costs seconds
        "full": {"epochs": 200, "equivalence_epochs": 100, "seeds": (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)},
    }


def summary_text(model) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        model.summary(line_length=100)
    return buf.getvalue()


def architecture_diagram(model, folder) -> Diagram:
    """``<name>.png`` via ``keras.utils.plot_model`` (needs Graphviz + pydot), else a text summary.

    Always writes ``<name>.txt`` (the summary); returns what was written and why.
    """
    import keras

    (folder / f"{model.name}.txt").write_text(summary_text(model))
    try:
        keras.utils.plot_model(
            model, to_file=str(folder / f"{model.name}.png"), show_shapes=True, show_layer_names=True, dpi=80
        )
        return Diagram(diagram=f"{model.name}.png", summary=f"{model.name}.txt")
    except (ImportError, OSError, FileNotFoundError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Diagram(summary=f"{model.name}.txt", why_no_diagram=reason[:200])


def train_classifier(model, splits, config, label: str, seed: int, loss="sparse_categorical_crossentropy", epochs=None):
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = splits
    SMALL.compile(model, len(x_train), optimizer="adam", loss=loss, metrics=["accuracy"])
    verbose, progress = fit_progress(label)
    h = SMALL.fit(
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
    _, acc = model.evaluate(x_test, y_test, verbose=0)
    return h, float(acc)


def compare_architectures(config: Config, writer, diagrams_dir):
    """Study 1: the architectures on Iris, a fresh model per architecture and seed.
    Returns (arms, histories, diagrams)."""
    from keraslab.models import functional as F

    builders = {"simple": F.build_simple, "branching": F.build_branching, "residual": F.build_residual}

    def train_one(name, seed, label):
        seed_everything(seed, config.deterministic)
        model = builders[name]()
        h, acc = train_classifier(model, data.iris(seed), config, label, seed)
        return {"history": h, "test_accuracy": acc, "params": int(model.count_params())}

    def report(name, seed, r):
        print(f"  {name:10s} seed {seed}: test accuracy {r['test_accuracy']:.4f}")

    trials = over_seeds(writer, config.architectures, config.seeds, train_one, report=report)
    arms = {
        name: Arm(**trials.summary(name, "test_accuracy"), params=trials.of(name)[0]["params"])
        for name in config.architectures
    }
    diagrams = {name: architecture_diagram(builders[name](), diagrams_dir) for name in config.architectures}
    return arms, trials.histories, diagrams


def multi_input_output(config: Config, writer, diagrams_dir):
    """Study 2: sepal and petal measurements as two inputs, a main and an auxiliary head, on the
    first seed. Returns (metrics, histories, diagram)."""
    from keraslab.models import functional as F

    seed = config.seeds[0]
    seed_everything(seed, config.deterministic)
    (xtr, ytr), (xva, yva), (xte, yte) = data.iris(seed)
    as_inputs = lambda x: {"sepal": x[:, :2], "petal": x[:, 2:]}  # noqa: E731
    multi = F.build_multi_io()
    SMALL.compile(
        multi,
        len(ytr),
        optimizer="adam",
        loss={"main": "sparse_categorical_crossentropy", "aux": "sparse_categorical_crossentropy"},
        loss_weights={"main": 1.0, "aux": config.aux_loss_weight},
        metrics={"main": ["accuracy"], "aux": ["accuracy"]},
    )
    verbose, progress = fit_progress(f"multi_io, seed {seed}")
    h = SMALL.fit(
        multi,
        as_inputs(xtr),
        {"main": ytr, "aux": ytr},
        batch_size=config.batch_size,
        seed=seed,
        validation=(as_inputs(xva), {"main": yva, "aux": yva}),
        epochs=config.epochs,
        verbose=verbose,
        callbacks=progress,
    )
    ev = multi.evaluate(as_inputs(xte), {"main": yte, "aux": yte}, verbose=0, return_dict=True)
    metrics = MultiIO(
        evaluation={k: float(v) for k, v in ev.items()},
        params=int(multi.count_params()),
        loss_weights={"main": 1.0, "aux": config.aux_loss_weight},
        inputs=["sepal (length, width)", "petal (length, width)"],
    )
    multi.save(writer.path / "multi_io.keras")
    return metrics, {"multi_io": {str(seed): h}}, architecture_diagram(multi, diagrams_dir)


def subclassed_model(config: Config, writer):
    """Study 3: a subclassed model through the same fit, saved and reloaded with safe_mode=True,
    on the first seed. Returns (metrics, histories)."""
    import keras

    from keraslab.models import functional as F

    seed = config.seeds[0]
    seed_everything(seed, config.deterministic)
    custom = F.CustomModel(hidden=64, n_classes=3, name="custom_model")
    splits = data.iris(seed)
    h, acc = train_classifier(custom, splits, config, f"custom_model, seed {seed}", seed)
    path = writer.path / "custom_model.keras"
    custom.save(path)
    reloaded = keras.models.load_model(path, safe_mode=True)
    probe = splits[2][0][:8]
    diff = float(np.max(np.abs(custom.predict(probe, verbose=0) - reloaded.predict(probe, verbose=0))))
    metrics = Subclassed(test_accuracy=acc, params=int(custom.count_params()), reload_max_abs_diff=diff, file=path.name)
    return metrics, {"custom_model": {str(seed): h}}


def api_equivalence(config: Config, writer):
    """Study 4: Sequential vs Functional: (i) same weights, same outputs; (ii) same seed, same
    training. Returns (metrics, histories)."""
    from keraslab.models import functional as F
    from keraslab.models.sequential import build_moons_mlp

    twins = {"sequential": build_moons_mlp, "functional": F.functional_twin_of_moons_mlp}
    diffs = []
    for s in config.seeds:
        splits = data.moons(config.moons_samples, 0.3, s)
        seed_everything(s, config.deterministic)
        seq, fun = build_moons_mlp(), F.functional_twin_of_moons_mlp()
        fun.set_weights(seq.get_weights())
        x = splits[2][0]
        diffs.append(float(np.max(np.abs(seq.predict(x, verbose=0) - fun.predict(x, verbose=0)))))

    def train_one(api, s, label):
        seed_everything(s, config.deterministic)  # same seed -> same initial weights and batch order
        splits = data.moons(config.moons_samples, 0.3, s)
        h, acc = train_classifier(
            twins[api](),
            splits,
            config,
            f"{api} API twin, seed {s}",
            s,
            loss="binary_crossentropy",
            epochs=config.equivalence_epochs,
        )
        return {"history": h, "test_accuracy": acc}

    api = over_seeds(writer, twins, config.seeds, train_one, tag="api")
    losses = {
        name: [np.array(h["loss"]) for h in (api.histories[name][str(s)] for s in config.seeds)] for name in twins
    }
    gaps = [float(np.max(np.abs(f - q))) for f, q in zip(losses["functional"], losses["sequential"])]
    acc = {name: api.values(name, "test_accuracy") for name in twins}
    metrics = ApiEquivalence(
        same_weights_max_abs_diff=max(diffs),
        same_seed_max_loss_gap=max(gaps),
        test_accuracy={name: Summary.of(v) for name, v in acc.items()},
        accuracy_difference=Summary.of([f - q for f, q in zip(acc["functional"], acc["sequential"])]),
    )
    return metrics, api.histories


def run(config: Config, writer) -> Result:
    """The four studies, in order, into one stored run."""
    diagrams_dir = writer.path / "diagrams"
    diagrams_dir.mkdir()
    histories = {}
    arms, found, diagrams = compare_architectures(config, writer, diagrams_dir)
    histories.update(found)
    multi_io, found, diagrams["multi_io"] = multi_input_output(config, writer, diagrams_dir)
    histories.update(found)
    subclassed, found = subclassed_model(config, writer)
    histories.update(found)
    equivalence, found = api_equivalence(config, writer)
    histories.update(found)
    result = FunctionalResult(
        arms=arms, multi_io=multi_io, subclassed=subclassed, api_equivalence=equivalence, diagrams=diagrams
    )
    return Result(metrics=result, history=histories)


EXPERIMENT = Experiment(
    name="functional",
    description=DESCRIPTION,
    config=Config,
    run=run,
    order=ORDER,
    colors=COLORS,
    result=FunctionalResult,
    bound="overhead",  # small data: fit's per-epoch and per-step cost, not arithmetic
)
