"""One owner per run, enforced with an OS lock, and a model checker for the store.

These tests contend in one process: ``flock`` locks belong to an open file, so two writers in one
process contend exactly as two processes do. Two real ``keraslab run`` processes on one store are
in test_reliability.py (``test_two_processes_on_one_store_never_share_a_run``)."""

import json
import os

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, precondition, rule

from keraslab.errors import RunInProgress
from keraslab.store import LOCK, OWNER, RunStore

CONFIGS = {"a": {"seeds": [0], "lr": 0.1}, "b": {"seeds": [0], "lr": 0.2}}


def files(writer):
    return dict(config={"x": 1}, metrics={"m": 1}, history={"h": {}}, provenance={"p": 1})


def test_a_live_run_is_never_resumed_by_another_writer(tmp_path):
    store = RunStore(tmp_path)
    first = store.writer("exp", "tensorflow", CONFIGS["a"], resume=True)
    first.step("seed0", lambda: 1)
    with pytest.raises(RunInProgress) as caught:
        store.writer("exp", "tensorflow", CONFIGS["a"], resume=True)
    message = str(caught.value)
    assert first.run_id in message and f"pid {os.getpid()}" in message and "--wait" in message
    other = store.writer("exp", "tensorflow", CONFIGS["b"], resume=True)  # another config: its own run
    assert other.run_id != first.run_id and not other.resumed
    owner = json.loads((first.path / OWNER).read_text())
    assert owner["pid"] == os.getpid() and owner["command"]


def test_a_dead_owners_run_is_resumable_at_once(tmp_path):
    store = RunStore(tmp_path)
    first = store.writer("exp", "tensorflow", CONFIGS["a"], resume=True)
    first.step("seed0", lambda: 41)
    first._release()  # what the kernel does when the owner is SIGKILLed
    again = store.writer("exp", "tensorflow", CONFIGS["a"], resume=True)
    assert again.resumed and again.run_id == first.run_id
    assert again.step("seed0", lambda: pytest.fail("recomputed a finished step")) == 41


def test_a_committed_run_has_no_owner_files_and_unlocks(tmp_path):
    store = RunStore(tmp_path)
    writer = store.writer("exp", "tensorflow", CONFIGS["a"], resume=True)
    path = writer.commit(**files(writer))
    assert not (path / LOCK).exists() and not (path / OWNER).exists()
    assert store.latest("exp").run_id == writer.run_id
    assert not store.writer("exp", "tensorflow", CONFIGS["a"], resume=True).resumed  # nothing left to resume


def test_wait_blocks_until_the_owner_is_gone_then_looks_again(tmp_path, capsys):
    import threading

    store = RunStore(tmp_path)
    first = store.writer("exp", "tensorflow", CONFIGS["a"], resume=True)
    first.step("seed0", lambda: 7)
    threading.Timer(0.5, first._release).start()  # the owner dies half a second later
    again = store.writer("exp", "tensorflow", CONFIGS["a"], resume=True, wait=True)
    assert again.resumed and again.run_id == first.run_id and again.step("seed0", lambda: 0) == 7
    assert "waiting for it" in capsys.readouterr().out
    threading.Timer(0.5, lambda: again.commit(**files(again))).start()  # this one finishes instead
    fresh = store.writer("exp", "tensorflow", CONFIGS["a"], resume=True, wait=True)
    assert not fresh.resumed and fresh.run_id != again.run_id


class StoreMachine(RuleBasedStateMachine):
    """Start, step, commit, discard, kill (the kernel releases the dead owner's lock) and contend,
    in any order. Invariants: a committed run is complete and parses; no run is both committed and
    partial; no two live writers own one run; a resumed run continues exactly the steps it had."""

    writers = Bundle("writers")

    def __init__(self):
        super().__init__()
        import tempfile

        self.root = tempfile.mkdtemp(prefix="keraslab-store-model-")
        self.store = RunStore(self.root)
        self.live = {}  # id(writer) -> writer
        self.steps = {}  # run_id -> {step key: value}
        self.committed = set()

    @rule(target=writers, config=st.sampled_from(sorted(CONFIGS)))
    def start(self, config):
        try:
            w = self.store.writer("exp", "tensorflow", CONFIGS[config], resume=True)
        except RunInProgress:
            # legitimate only if a live writer owns an unfinished run of this config
            assert any(
                w.path.exists() and json.loads((w.path / "config.json").read_text()) == CONFIGS[config]
                for w in self.live.values()
            )
            return None
        if w.resumed:
            on_disk = {p.stem: json.loads(p.read_text()) for p in (w.path / "steps").glob("*.json")}
            assert on_disk == self.steps.get(w.run_id, {})  # exactly the steps it had
        else:
            self.steps[w.run_id] = {}
        self.live[id(w)] = w
        return w

    @rule(w=writers, key=st.sampled_from(["s0", "s1", "s2"]), value=st.integers(0, 9))
    def step(self, w, key, value):
        if w is None or id(w) not in self.live:
            return
        got = w.step(key, lambda: value)
        self.steps[w.run_id].setdefault(key, got)
        assert got == self.steps[w.run_id][key]

    @rule(w=consumes(writers))
    def commit(self, w):
        if w is None or id(w) not in self.live:
            return
        w.commit(**files(w))
        self.committed.add(w.run_id)
        del self.live[id(w)]

    @rule(w=consumes(writers))
    def kill(self, w):
        if w is None or id(w) not in self.live:
            return
        w._release()  # the process died: its lock is gone, its folder stays
        del self.live[id(w)]

    @rule(w=consumes(writers))
    def discard(self, w):
        if w is None or id(w) not in self.live:
            return
        w.discard()
        self.steps.pop(w.run_id, None)
        del self.live[id(w)]

    @precondition(lambda self: self.live)
    @invariant()
    def no_two_owners(self):
        ids = [w.run_id for w in self.live.values()]
        assert len(ids) == len(set(ids))

    @invariant()
    def committed_runs_are_complete_and_never_partial(self):
        runs = {r.run_id: r for r in self.store.runs("exp")}
        assert set(runs) == self.committed
        for run_id in self.committed:
            assert not (self.store.root / "exp" / f".partial-{run_id}").exists()
            assert runs[run_id].metrics["m"] == 1 and runs[run_id].history == {"h": {}}

    def teardown(self):
        import shutil

        for w in self.live.values():
            w._release()
        shutil.rmtree(self.root, ignore_errors=True)


TestStoreMachine = StoreMachine.TestCase
TestStoreMachine.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04truncated"])
def test_a_truncated_keras_file_is_named_as_such(tmp_path, content):
    from keraslab.errors import KeraslabError
    from keraslab.predict import load_model

    bad = tmp_path / "model.keras"
    bad.write_bytes(content)
    with pytest.raises(KeraslabError, match=r"not a Keras model file \(truncated or not a zip\)"):
        load_model(bad)
