"""Adding an experiment touches one place: a module that declares itself, registered once, is
listed, run, stored, plotted and reported — with no edit to the CLI, the plots or the report."""

import importlib.util
import json
import sys

import pytest

from keraslab import cli, experiments, plots, report
from keraslab.store import RunStore

TOY = '''
"""A toy: two arms that 'train' by gradient descent on a parabola (no Keras, seconds)."""
from dataclasses import dataclass

import numpy as np

from keraslab.config import BaseConfig, param
from keraslab.experiments import Result
from keraslab.experiments.runner import over_seeds

ORDER = 99
DESCRIPTION = "toy: two step sizes descending a parabola"
LABELS = {"small_step": "small step", "large_step": "large step"}
COLORS = {"small_step": "#1f77b4", "large_step": "#d62728"}
STEPS = {"small_step": 0.05, "large_step": 0.4}


@dataclass(frozen=True)
class Config(BaseConfig):
    epochs: int = param(20, "descent steps", min=1, max=1000)

    PRESETS = {"quick": {"epochs": 5, "seeds": (0, 1)}, "standard": {"seeds": (0, 1, 2)}, "full": {}}


def run(config, out):
    def train_one(arm, seed, label):
        x = float(np.random.default_rng(seed).normal(3.0, 0.1))
        loss = []
        for _ in range(config.epochs):
            x -= STEPS[arm] * 2 * x
            loss.append(x * x)
        return {"history": {"loss": loss}, "final_loss": loss[-1]}

    trials = over_seeds(out, list(STEPS), config.seeds, train_one)
    return Result(metrics={"arms": {a: trials.summary(a, "final_loss") for a in STEPS}}, history=trials.histories)


def draw_loss(run, path):
    from keraslab.plots import color, label, plt, save

    fig, ax = plt.subplots()
    for arm in run.metrics["arms"]:
        for h in run.histories(arm):
            ax.plot(h["loss"], color=color(arm), label=label(arm))
    ax.set_yscale("log")
    return save(fig, path)


FIGURES = [("toy_loss.png", draw_loss)]


def section(run, ctx):
    from keraslab.plots import label
    from keraslab.report.sections import pm

    rows = [[label(a), pm(v["final_loss"], 6)] for a, v in run.metrics["arms"].items()]
    return [("h2", "Toy descent"), ("table", ["arm", "final loss"], rows), ("img", "toy_loss.png", "loss")]
'''


@pytest.fixture
def toy(tmp_path):
    path = tmp_path / "toy_descent.py"
    path.write_text(TOY)
    spec = importlib.util.spec_from_file_location("toy_descent", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["toy_descent"] = module
    spec.loader.exec_module(module)
    experiments.register("toy", module)
    yield module
    experiments.unregister("toy")
    sys.modules.pop("toy_descent", None)


def test_a_toy_experiment_registered_in_one_place_is_listed_run_plotted_and_reported(toy, tmp_path, capsys):
    assert cli.main(["list"]) == 0
    assert "toy          toy: two step sizes descending a parabola" in capsys.readouterr().out
    assert experiments.names()[-1] == "toy"  # ORDER 99: last in `run all`

    out = tmp_path / "runs"
    assert cli.main(["run", "toy", "--profile", "quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "plots written" in printed and "toy_loss.png" in printed
    run = RunStore(out).latest("toy")
    assert set(run.metrics["arms"]) == {"small_step", "large_step"}
    assert [len(run.histories(a)) for a in run.metrics["arms"]] == [2, 2]  # history.json[arm][seed]
    stored = json.loads((run.path / "history.json").read_text())
    assert set(stored["small_step"]) == {"0", "1"} and len(stored["small_step"]["0"]["loss"]) == 5
    # the larger step descends faster: what the toy measures, read back from the store
    assert (
        run.metrics["arms"]["large_step"]["final_loss"]["mean"]
        < run.metrics["arms"]["small_step"]["final_loss"]["mean"]
    )

    md = report.build(out)[0].read_text()
    assert "## Toy descent" in md and "| large step |" in md
    assert "![loss](plots/toy_loss.png)" in md and (out / "plots" / "toy_loss.png").stat().st_size > 1000
    assert plots.label("large_step") == "large step" and plots.color("small_step") == "#1f77b4"


def test_unregistered_toy_is_gone_and_unknown_names_still_fail():
    assert "toy" not in experiments.names(include_standalone=True)
    with pytest.raises(Exception, match="unknown experiment 'toy'"):
        experiments.get("toy")
