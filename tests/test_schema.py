"""Schema 2 and its one migration: a schema-1 run (the settings it left to the reader missing) is
upgraded by its experiment when read for the report, and reads as such a run did; an unknown schema
is skipped with a notice (tests/test_store.py)."""

from dataclasses import replace
from pathlib import Path

import pytest

from keraslab import experiments, suite
from keraslab.report import claims as claims_engine
from keraslab.report import sections
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
    m = up.metrics
    assert m["schema"] == SCHEMA_VERSION and old.metrics["schema"] == 1  # the stored dict is left alone
    if name == "cnn":
        assert m["settings"]["precision"] == "float32" and m["settings"]["batchnorm"] == "Keras' layer"
        assert m["distribution"]["distribute"] == "none"
    elif name == "compare":
        assert m["settings"]["native_torch"] == "eager, NCHW" and "native-torch" in m["speedup_vs"]
    elif name == "bench":
        arm = m["arms"]["plain fit, tensorflow"]
        assert arm["precision"] == "float32" and arm["steps_per_execution"] == 1
        assert (
            arm["rounds"] == arm["images_per_s"]["n"] and arm["images_per_s"]["median"] == arm["images_per_s"]["mean"]
        )
    else:
        assert m["precision"] == "float32" and m["steps_per_execution"] == 1
        assert m["recipe"]["batch_size"] == stored.config["batch_size"]
    # the report section reads the upgraded run with no fallback of its own
    runs = {e: store.latest(e) for e in experiments.names() + ["bench", "speedrun"]}
    runs = {e: r for e, r in runs.items() if r is not None}
    runs[name] = up
    claims = suite.all_claims()
    ctx = sections.Context(runs, claims, claims_engine.evaluate(claims, runs, suite.all_measures()))
    blocks = exp.report().section(up, ctx)
    assert blocks and blocks[0][0] == "h2"


def test_a_current_run_is_read_as_stored():
    run = RunStore(REFERENCE).latest("cnn")
    current = replace(run, metrics={**run.metrics, "schema": SCHEMA_VERSION})
    assert experiments.get("cnn").upgrade(current) is current
