"""Schema 2, its one migration and the typed results: a schema-1 run (the settings it left to the
reader missing) is upgraded by its experiment when read for the report and reads as such a run did;
every stored run is read strictly into its experiment's declared result type; an unknown schema is
skipped with a notice (tests/test_store.py)."""

import json
import statistics
from dataclasses import replace
from pathlib import Path

import pytest

from keraslab import experiments, suite
from keraslab.report import claims as claims_engine
from keraslab.report import sections
from keraslab.results import ResultError, decode_metrics
from keraslab.store import READABLE_SCHEMAS, SCHEMA_VERSION, RunStore

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def as_schema_1(name: str, metrics: dict) -> dict:
    """What a run of ``name`` stored before schema 2: these settings were not written then."""
    m = {**metrics, "schema": 1}
    m.pop("speedup_vs", None)
    if name == "cnn":
        m["settings"] = {k: v for k, v in m["settings"].items() if k not in ("precision", "batchnorm")}
        m.pop("distribution")
    elif name == "compare":
        m["settings"] = {k: v for k, v in m["settings"].items() if k != "native_torch"}
    elif name == "bench":
        m["arms"] = {
            n: {k: v for k, v in a.items() if k not in ("precision", "steps_per_execution", "rounds")}
            for n, a in m["arms"].items()
        }
        for a in m["arms"].values():
            a["images_per_s"] = {k: v for k, v in a["images_per_s"].items() if k != "median"}
    elif name == "speedrun":
        for k in ("precision", "steps_per_execution", "recipe"):
            m.pop(k)
    return m


@pytest.mark.parametrize("name", ["cnn", "compare", "bench", "speedrun"])
def test_a_schema_1_run_is_upgraded_and_reads_with_the_settings_such_runs_used(name):
    assert SCHEMA_VERSION == 2 and 1 in READABLE_SCHEMAS
    exp = experiments.get(name)
    store = RunStore(REFERENCE)
    stored = store.latest(name)
    old = replace(stored, metrics=as_schema_1(name, stored.metrics))
    up = exp.upgrade(old)
    m = up.result  # the migrated metrics, read into the experiment's declared type
    assert isinstance(m, exp.result)
    assert up.metrics["schema"] == SCHEMA_VERSION and old.metrics["schema"] == 1  # the stored dict is left alone
    if name == "cnn":
        assert m.settings.precision == "float32" and m.settings.batchnorm == "Keras' layer"
        assert m.distribution.distribute == "none"
    elif name == "compare":
        assert m.settings.native_torch == "eager, NCHW" and "native-torch" in m.speedup_vs
    elif name == "bench":
        arm = m.arms["plain fit, tensorflow"]
        assert arm.precision == "float32" and arm.steps_per_execution == 1
        ips = arm.images_per_s  # the median and range schema 1 did not store, from its values
        assert arm.rounds == ips.n and ips.median == statistics.median(ips.values) and ips.max == max(ips.values)
    else:
        assert m.precision == "float32" and m.steps_per_execution == 1
        assert m.recipe.batch_size == stored.config["batch_size"]
    # the report section reads the upgraded run with no fallback of its own
    runs = {e: experiments.get(e).upgrade(store.latest(e)) for e in experiments.names() + ["bench", "speedrun"]}
    runs = {e: r for e, r in runs.items() if r is not None}
    runs[name] = up
    claims = suite.all_claims()
    ctx = sections.Context(runs, claims, claims_engine.evaluate(claims, runs, suite.all_measures()))
    blocks = exp.report().section(up, ctx)
    assert blocks and blocks[0][0] == "h2"


def test_a_current_run_is_read_as_stored():
    run = RunStore(REFERENCE).latest("cnn")
    current = replace(run, metrics={**run.metrics, "schema": SCHEMA_VERSION})
    up = experiments.get("cnn").upgrade(current)
    assert up.metrics is current.metrics  # no migration: the stored dict as it is
    assert up.result.arms["simple_cnn"].params == current.metrics["arms"]["simple_cnn"]["params"]


@pytest.mark.parametrize("name", ["sequential", "functional", "callbacks", "cnn", "compare", "bench", "speedrun"])
def test_every_reference_run_reads_into_its_type_and_writes_back_what_it_read(name):
    """The declared types cover what the runs store: strict decoding reads every committed run (an
    unknown or missing key fails), and encoding what was read gives the stored values again."""
    exp = experiments.get(name)
    up = exp.upgrade(RunStore(REFERENCE).latest(name))
    assert isinstance(up.result, exp.result)
    assert decode_metrics(exp.result, exp.encode(up.result), name) == up.result
    stored = {k: v for k, v in up.metrics.items() if k not in ("schema", "status")}
    assert without_nulls(exp.encode(up.result)) == without_nulls(stored)


def without_nulls(value):
    """A stored optional left at None may be written as null or left out: the same result."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def test_a_run_whose_result_does_not_fit_its_type_is_refused_naming_the_field():
    exp = experiments.get("cnn")
    run = RunStore(REFERENCE).latest("cnn")
    arms = dict(run.metrics["arms"])
    arms["simple_cnn"] = {**arms["simple_cnn"], "params": "many"}
    with pytest.raises(ResultError, match=r"cnn metrics.json.arms.simple_cnn.params: expected int, got str"):
        exp.upgrade(replace(run, metrics={**run.metrics, "arms": arms}))
    with pytest.raises(ResultError, match="unknown key.*epoch_times"):
        exp.upgrade(replace(run, metrics={**run.metrics, "data": {**run.metrics["data"], "epoch_times": 1}}))
    with pytest.raises(ResultError, match="missing 'n_test'"):
        data = {k: v for k, v in run.metrics["data"].items() if k != "n_test"}
        exp.upgrade(replace(run, metrics={**run.metrics, "data": data}))
    with pytest.raises(TypeError, match="not its CnnResult"):
        exp.encode({"arms": {}})  # run() must return its declared type


def test_a_run_that_does_not_fit_is_a_notice_in_the_report_not_a_crash(tmp_path):
    """An older keraslab's run the current types refuse: the report skips it and says to rerun."""
    import shutil

    from keraslab.suite import read_latest

    src = RunStore(REFERENCE).latest("functional").path
    dst = tmp_path / "functional" / src.name
    shutil.copytree(src, dst)
    metrics = json.loads((dst / "metrics.json").read_text())
    metrics["subclassed"]["reload_max_abs_diff"] = "tiny"
    (dst / "metrics.json").write_text(json.dumps(metrics))
    store = RunStore(tmp_path)
    assert read_latest(experiments.get("functional"), store) is None
    (notice,) = store.notices
    assert "functional metrics.json.subclassed.reload_max_abs_diff: expected float" in notice and "rerun" in notice


def test_the_readme_times_make_run_only_when_every_step_of_it_was_timed():
    from types import SimpleNamespace as ns

    from keraslab import report

    def runs(*names):
        return {n: ns(provenance={"wall_time_s": 60.0, "cpu": "c", "cpu_count": 2}) for n in names}

    text = report.results_summary([], runs("a", "b", "s"), in_all=["a", "b"], in_make_run=["a", "b", "s"])
    assert "`keraslab run all` (2 experiments) 2.0 min; `make run` (`run all` and s) 3.0 min" in text
    text = report.results_summary([], runs("a", "b"), in_all=["a", "b"], in_make_run=["a", "b", "s"])
    assert "make run" not in text  # the speedrun is not in this store: no total claimed for `make run`


def test_performance_page_says_which_speed_measurement_the_store_lacks_and_how_to_add_it():
    from keraslab import report

    blocks = report.performance_blocks(Path("runs"), [("h2", "Time to 99%")], ["bench"])
    text = " ".join(str(b) for b in blocks)
    assert "**Not in this store:** bench" in text and "`keraslab run bench --out runs`" in text
    assert "Not in this store" not in " ".join(str(b) for b in report.performance_blocks(Path("runs"), [], []))
