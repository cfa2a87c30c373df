"""Shared fixtures. Keras runs on TensorFlow in-process; other backends run in subprocesses."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args, env=None, timeout=600, cwd=None):
    """Run ``python -m keraslab ARGS`` in a child process; returns CompletedProcess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "keraslab", *map(str, args)], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=cwd or REPO)


@pytest.fixture
def store_dir(tmp_path):
    return tmp_path / "runs"


@pytest.fixture(scope="session")
def quick_store(tmp_path_factory):
    """One quick-profile run of every experiment, shared by the tests that read a store."""
    root = tmp_path_factory.mktemp("quick") / "runs"
    proc = run_cli("run", "all", "--profile", "quick", "--out", root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root
