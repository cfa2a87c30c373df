"""What produced a number: versions, backend, machine, source commit and the command."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

import keraslab
from keraslab import cpu

PACKAGES = ("keras", "tensorflow-cpu", "tensorflow", "jax", "jaxlib", "torch", "numpy", "scikit-learn", "matplotlib")


def package_versions() -> dict[str, str]:
    out = {"keraslab": keraslab.__version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# What keraslab itself writes into the checkout (figures, the report, README's results section)
# and prose: changing these does not change a result, so they do not make the commit "-dirty" —
# otherwise every run after the first plot of `make run` would be marked dirty.
NOT_CODE = ("plots", "REPORT.md", "report.html", "README.md", "docs", "reference", "notebooks")


def git_commit(root: Path | None = None) -> str:
    """HEAD's sha, with ``-dirty`` when tracked files other than :data:`NOT_CODE` have changes."""
    root = root or Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        if not sha:
            return "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *(f":(exclude){p}" for p in NOT_CODE)],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _cpu_kind() -> dict:
    return cpu.describe()


def command_line() -> str:
    argv = list(sys.argv)
    if argv and argv[0].endswith(("keraslab", "__main__.py", "cli.py")):
        argv[0] = "keraslab"
    return shlex.join(argv)


#: the two rates :func:`speed_probe` measures, by what bounds an experiment's time (``Experiment.bound``)
PROBE_RATES = {"compute": "matmul_gflops", "overhead": "python_mops"}


def best_seconds(fn, repeats: int) -> float:
    """The shortest of ``repeats`` timed calls of ``fn``: the least disturbed by a noisy host."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def matmul_gflops(n: int = 1024, repeats: int = 5) -> float:
    """This machine's float32 matmul rate (NumPy, best of ``repeats``), as the bench measures it."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    a @ b  # warm-up: thread pool start, page faults
    return 2 * n**3 / best_seconds(lambda: a @ b, repeats) / 1e9


def python_mops(n: int = 200_000, repeats: int = 3) -> float:
    """Single-core Python speed: millions of iterations per second of a fixed loop of integer
    arithmetic, dict stores and method calls (best of ``repeats``), the kind of work ``fit`` does
    between steps."""

    def loop():
        total, seen = 0, {}
        for i in range(n):
            total += i & 7
            seen[i & 255] = total.bit_length()

    return n / best_seconds(loop, repeats) / 1e6


@cache
def speed_probe() -> dict[str, float]:
    """This machine's two rates, measured once per process (about 0.2 s) and stored with every run,
    so that a later machine can scale this run's wall time to itself (:mod:`keraslab.estimate`)."""
    return {"matmul_gflops": round(matmul_gflops(), 1), "python_mops": round(python_mops(), 2)}


def collect(*, backend: str, wall_time_s: float | None = None, extra: dict | None = None) -> dict:
    """Provenance for one run; ``backend`` is the one Keras really ran on."""
    info = {
        "keraslab_version": keraslab.__version__,
        "backend": backend,
        "versions": package_versions(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_kind": _cpu_kind(),
        "platform": platform.platform(),
        "git_commit": git_commit(),
        "command": command_line(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "speed_probe": speed_probe(),
    }
    if wall_time_s is not None:
        info["wall_time_s"] = round(wall_time_s, 3)
    if extra:
        info.update(extra)
    return info
