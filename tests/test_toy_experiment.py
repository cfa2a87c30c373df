"""Adding an experiment touches one place: one folder (a package declaring ``EXPERIMENT``, its
typed result, its figures, its report part and its claims), registered once, is listed, run, stored, plotted,
reported and judged, with no edit to the CLI, the plots, the report or anyone's claims."""

import json
import sys

import pytest

from keraslab import cli, experiments, suite
from keraslab.store import RunStore

INIT = '''
"""A toy: two arms that 'train' by gradient descent on a parabola (no Keras, seconds)."""
from dataclasses import dataclass

import numpy as np

from keraslab.config import BaseConfig, param
from keraslab.experiment import Experiment, Result
from keraslab.experiments.runner import over_seeds
from toy_descent.result import Arm, ToyResult

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
    result = ToyResult(arms={a: Arm(**trials.summary(a, "final_loss")) for a in STEPS})
    return Result(metrics=result, history=trials.histories)


EXPERIMENT = Experiment(
    name="toy",
    description="toy: two step sizes descending a parabola",
    config=Config,
    run=run,
    order=99,
    labels={"small_step": "small step", "large_step": "large step"},
    colors={"small_step": "#1f77b4", "large_step": "#d62728"},
    result=ToyResult,
)
'''

RESULT = """
from dataclasses import dataclass

from keraslab.results import Summary


@dataclass(frozen=True, kw_only=True)
class Arm:
    final_loss: Summary


@dataclass(frozen=True, kw_only=True)
class ToyResult:
    arms: dict[str, Arm]
"""

FIGURES = """
from keraslab.plots import plt, save
from toy_descent import EXPERIMENT


def draw_loss(run, path):
    fig, ax = plt.subplots()
    for arm in run.result.arms:
        for h in run.histories(arm):
            ax.plot(h["loss"], color=EXPERIMENT.color(arm), label=EXPERIMENT.label(arm))
    ax.set_yscale("log")
    return save(fig, path)


FIGURES = [("toy_loss.png", draw_loss)]
"""

REPORT = """
from keraslab.report.claims import Measured
from keraslab.report.measures import Measures
from keraslab.report.sections import ReportPart, claims_block, pm
from toy_descent import EXPERIMENT

measure = Measures()


def section(run, ctx):
    rows = [[EXPERIMENT.label(a), pm(v.final_loss, 6)] for a, v in run.result.arms.items()]
    return [
        ("h2", "Toy descent"),
        ("table", ["arm", "final loss"], rows),
        ("img", "toy_loss.png", "loss"),
        *claims_block(ctx, "toy"),
    ]


@measure
def toy_final_loss(runs, arm):
    return Measured.over_seeds(runs["toy"].result.arms[arm].final_loss.values, "final loss over seeds")


PART = ReportPart(section=section, measures=measure)
"""

CLAIMS = {
    "claims": [
        {
            "id": "toy_large_step_converges",
            "wording": "The large step reaches a loss below 1e-6",
            "measure": "toy_final_loss:large_step",
            "check": "at_most",
            "expected": 1e-6,
            "tolerance": 0.0,
            "reason": "a toy's claim: the loss after the step budget",
        }
    ]
}


@pytest.fixture
def toy(tmp_path, monkeypatch):
    folder = tmp_path / "plugins" / "toy_descent"  # one folder: the whole experiment
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(INIT)
    (folder / "result.py").write_text(RESULT)
    (folder / "figures.py").write_text(FIGURES)
    (folder / "report.py").write_text(REPORT)
    (folder / "claims.json").write_text(json.dumps(CLAIMS))
    monkeypatch.syspath_prepend(str(folder.parent))
    import toy_descent

    experiments.register(toy_descent.EXPERIMENT)
    yield toy_descent.EXPERIMENT
    experiments.unregister("toy")
    for name in ("toy_descent", "toy_descent.result", "toy_descent.figures", "toy_descent.report"):
        sys.modules.pop(name, None)


def test_a_toy_experiment_in_one_folder_is_listed_run_plotted_reported_and_judged(toy, tmp_path, capsys):
    assert cli.main(["list"]) == 0
    assert "toy          toy: two step sizes descending a parabola" in capsys.readouterr().out
    assert experiments.names()[-1] == "toy"  # order 99: last in `run all`

    out = tmp_path / "runs"
    assert cli.main(["run", "toy", "--profile", "standard", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "plots written" in printed and "toy_loss.png" in printed
    run = RunStore(out).latest("toy")
    assert set(run.metrics["arms"]) == {"small_step", "large_step"}
    assert [len(run.histories(a)) for a in run.metrics["arms"]] == [3, 3]  # history.json[arm][seed]
    stored = json.loads((run.path / "history.json").read_text())
    assert set(stored["small_step"]) == {"0", "1", "2"} and len(stored["small_step"]["0"]["loss"]) == 20
    # the larger step descends faster: what the toy measures, read back from the store through its type
    arms = toy.upgrade(run).result.arms
    assert arms["large_step"].final_loss.mean < arms["small_step"].final_loss.mean

    md = suite.build_report(out, strict=True)[0].read_text()
    assert "## Toy descent" in md and "| large step |" in md
    assert "![loss](plots/toy_loss.png)" in md and (out / "plots" / "toy_loss.png").stat().st_size > 1000
    # its claim, from its own claims.json, judged by its own measure: a row in its section and the index
    row = next(line for line in md.splitlines() if 'id="claim-toy_large_step_converges"' in line)
    assert "| consistent |" in row
    assert "[The large step reaches a loss below 1e-6](#claim-toy_large_step_converges)" in md
    assert toy.label("large_step") == "large step" and toy.color("small_step") == "#1f77b4"


def test_unregistered_toy_is_gone_and_unknown_names_still_fail():
    assert "toy" not in experiments.names(include_standalone=True)
    with pytest.raises(Exception, match="unknown experiment 'toy'"):
        experiments.get("toy")
    assert all(c["section"] != "toy" for c in suite.all_claims())
