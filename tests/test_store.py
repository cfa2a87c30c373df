import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keraslab.store import SCHEMA_VERSION, RunStore, atomic_write_bytes, atomic_write_json


def _commit(store, exp="demo", metrics=None, status="ok"):
    w = store.writer(exp, "tensorflow")
    w.write_arrays(a=np.arange(3))
    return w.commit(
        config={"seeds": [0]},
        metrics=metrics or {"acc": 0.5},
        history={"m": {"loss": [1.0, 0.5]}},
        provenance={"backend": "tensorflow"},
        status=status,
    )


def test_commit_and_load(tmp_path):
    store = RunStore(tmp_path)
    path = _commit(store)
    run = store.latest("demo")
    assert run.path == path and run.metrics["acc"] == 0.5 and run.metrics["schema"] == SCHEMA_VERSION
    assert run.history["m"]["loss"] == [1.0, 0.5]
    assert run.arrays()["a"].tolist() == [0, 1, 2]


def test_partial_run_is_invisible_and_noticed(tmp_path):
    store = RunStore(tmp_path)
    w = store.writer("demo")
    w.write_json("config.json", {"x": 1})  # killed here: never committed
    assert store.latest("demo") is None
    assert any("did not finish" in n for n in store.notices)


def test_discard_removes_partial(tmp_path):
    store = RunStore(tmp_path)
    w = store.writer("demo")
    w.write_json("config.json", {})
    w.discard()
    assert list((tmp_path / "demo").iterdir()) == []


def test_failed_and_old_schema_runs_are_skipped(tmp_path):
    store = RunStore(tmp_path)
    _commit(store, status="failed", metrics={"error": "NaN loss"})
    old = _commit(store)
    m = json.loads((old / "metrics.json").read_text())
    m["schema"] = 0
    (old / "metrics.json").write_text(json.dumps(m))
    assert store.runs("demo") == []
    assert any("failed" in n for n in store.notices) and any("schema 0" in n for n in store.notices)
    assert len(store.runs("demo", include_failed=True)) == 1


def test_atomic_write_keeps_old_file_when_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    atomic_write_json(target, {"v": 1})

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b'{"v": 2}')
    assert json.loads(target.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temp file left behind


def test_nan_becomes_null(tmp_path):
    atomic_write_json(tmp_path / "x.json", {"a": float("nan"), "b": np.float32(1.5), "c": np.arange(2)})
    assert json.loads((tmp_path / "x.json").read_text()) == {"a": None, "b": 1.5, "c": [0, 1]}


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
    ),
    lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=6), c, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=50, deadline=None)
@given(
    metrics=st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda k: k not in ("schema", "status")), json_values, max_size=5
    ),
    history=st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.dictionaries(
            st.text(min_size=1, max_size=8),
            st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=5),
            max_size=3,
        ),
        max_size=3,
    ),
)
def test_any_run_round_trips(tmp_path_factory, metrics, history):
    store = RunStore(tmp_path_factory.mktemp("rt"))
    w = store.writer("exp")
    w.commit(config={"k": 1}, metrics=metrics, history=history, provenance={"p": 1})
    run = store.latest("exp")
    assert {k: v for k, v in run.metrics.items() if k not in ("schema", "status")} == metrics
    assert run.history == history


def test_commit_is_dirty_only_for_changes_that_can_change_a_result(tmp_path):
    import subprocess

    from keraslab.provenance import git_commit

    def git(*args):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True, capture_output=True
        )

    (tmp_path / "src").mkdir()
    (tmp_path / "plots").mkdir()
    (tmp_path / "src" / "model.py").write_text("units = 32\n")
    (tmp_path / "plots" / "curve.png").write_bytes(b"png")
    (tmp_path / "REPORT.md").write_text("# report\n")
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "init")
    sha = git_commit(tmp_path)
    assert len(sha) == 40
    (tmp_path / "plots" / "curve.png").write_bytes(b"redrawn")  # what `keraslab run` and `report` write
    (tmp_path / "REPORT.md").write_text("# rebuilt\n")
    assert git_commit(tmp_path) == sha
    (tmp_path / "src" / "model.py").write_text("units = 64\n")  # code that changes results
    assert git_commit(tmp_path) == sha + "-dirty"


def test_runner_timings_leave_out_the_first_epoch_where_there_are_others():
    from keraslab.experiments.runner import Trials

    t = Trials(
        {"a": {0: {"epoch_time": [9.0, 1.0, 3.0]}, 1: {"epoch_time": [7.0, 2.0]}}, "b": {0: {"epoch_time": [4.0]}}}
    )
    a = t.timings("a")
    assert a["epoch_time"].values == [1.0, 3.0, 2.0] and a["epoch_time"].mean == 2.0
    assert a["first_epoch_time"].values == [9.0, 7.0]
    assert t.timings("b")["epoch_time"].values == [4.0]  # one epoch: it is all there is
