"""Shared fixtures and the test tiers.

Tiers: a test is **integration** when it trains a model, starts a process, or reads the shared
quick store (which takes a `keraslab run all --profile quick`); everything else is a unit test
(hand-written inputs, no training, no subprocess) and runs in `make test-fast`. The **system**
tier (``@pytest.mark.slow``: many processes, full MNIST, the benchmark) runs in `make test-all`
and CI only; `make test` is the unit and integration tiers. Tests are marked
explicitly with ``@pytest.mark.integration``, or found by :func:`pytest_collection_modifyitems`
from what they call. Keras runs on TensorFlow in-process; other backends run in subprocesses.
"""

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]
#: what an integration test calls (or the fixtures it takes)
INTEGRATION_SIGNS = (
    "run_cli(",
    "subprocess.",
    ".fit(",
    "execute(",
    "train_",
    "fit_resumable(",
    "quick_store",
    "notebooks.execute(",
    "Popen(",
    "run_moons",
    "mnist_for_training(",
    "cli.main(",
    ".run(cfg",
    "tune_learning_rate(",
)


def pytest_configure(config):
    """One JAX compilation cache for the whole test session, shared by its workers and the
    processes they start: the JAX tests launch the same small programs many times (a distributed
    run is killed and resumed three times, by two workers each). The session's own folder, so no
    test run reuses another's compilations; keraslab itself never sets one (a cache would make a
    run's first-epoch time depend on what ran before)."""
    if hasattr(config, "workerinput") or "JAX_COMPILATION_CACHE_DIR" in os.environ:
        return  # a worker inherits the controller's
    import tempfile

    os.environ["JAX_COMPILATION_CACHE_DIR"] = config._keraslab_jax_cache = tempfile.mkdtemp(prefix="keraslab-jax-")
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"


def pytest_unconfigure(config):
    folder = getattr(config, "_keraslab_jax_cache", None)
    if folder:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("integration") or item.get_closest_marker("slow"):
            continue
        try:
            source = inspect.getsource(item.function)
        except (OSError, TypeError):
            continue
        fixtures = getattr(item, "fixturenames", ())
        if any(sign in source for sign in INTEGRATION_SIGNS) or "quick_store" in fixtures:
            item.add_marker(pytest.mark.integration)


def run_cli(*args, env=None, timeout=600, cwd=None):
    """Run ``python -m keraslab ARGS`` in a child process; returns CompletedProcess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "keraslab", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=cwd or REPO,
    )


@pytest.fixture
def store_dir(tmp_path):
    return tmp_path / "runs"


def built_once(tmp_path_factory, worker_id, name: str, build) -> Path:
    """``build(folder)`` once per test session, shared by all pytest-xdist workers (the first
    builds it under a file lock, the rest reuse it); returns the folder. Read-only for tests:
    copy it to change it."""
    if worker_id == "master":
        folder = tmp_path_factory.mktemp(name)
        build(folder)
        return folder
    from filelock import FileLock

    folder = tmp_path_factory.getbasetemp().parent / name
    with FileLock(str(folder) + ".lock"):
        done = folder / "done.json"
        if not done.exists():
            folder.mkdir(exist_ok=True)
            build(folder)
            done.write_text(json.dumps({"ok": True}))
    return folder


@pytest.fixture(scope="session")
def quick_store(tmp_path_factory, worker_id):
    """One quick-profile run of every experiment, shared by the tests that read a store."""
    return (
        built_once(tmp_path_factory, worker_id, "quick-store", lambda folder: _build_quick_store(folder / "runs"))
        / "runs"
    )


def _build_quick_store(root: Path) -> None:
    # TensorFlow's C++ errors shown (level 2, what tutorials set): only its known noise is dropped
    proc = run_cli("run", "all", "--profile", "quick", "--out", root, "--no-plots", env={"TF_CPP_MIN_LOG_LEVEL": "2"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    (root.parent / "stdout.txt").write_text(proc.stdout)  # what a user piping `run all` sees
    (root.parent / "stderr.txt").write_text(proc.stderr)


@pytest.fixture(scope="session")
def quick_store_output(quick_store) -> tuple[str, str]:
    """(stdout, stderr) of the command that built the quick store, piped (not a terminal)."""
    return (quick_store.parent / "stdout.txt").read_text(), (quick_store.parent / "stderr.txt").read_text()


@pytest.fixture(scope="session")
def worker_id(request):
    """'master' without pytest-xdist (xdist provides its own fixture of this name)."""
    return getattr(request.config, "workerinput", {}).get("workerid", "master")
