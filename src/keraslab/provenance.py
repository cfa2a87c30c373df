"""What produced a number: versions, backend, machine, source commit and the command."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
import time
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
    }
    if wall_time_s is not None:
        info["wall_time_s"] = round(wall_time_s, 3)
    if extra:
        info.update(extra)
    return info
