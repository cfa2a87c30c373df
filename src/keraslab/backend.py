"""Choosing the Keras backend.

Keras fixes its backend when it is first imported, from the ``KERAS_BACKEND`` environment
variable. Everything here therefore runs *before* ``import keras``; a comparison across backends
runs each backend in its own subprocess (see :mod:`keraslab.contestant`).
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import sys

from keraslab.compat import keep_tensorflow_out
from keraslab.errors import KeraslabError

#: backend name -> (module that must be importable, the extra that installs it)
BACKENDS = {
    "tensorflow": ("tensorflow", "pip install keraslab  (tensorflow-cpu is a base dependency)"),
    "jax": ("jax", "pip install 'keraslab[jax]'"),
    "torch": ("torch", "pip install 'keraslab[torch]'"),
}
DEFAULT_BACKEND = "tensorflow"  # as in the original module guide


def is_installed(name: str) -> bool:
    module = BACKENDS[name][0]
    return importlib.util.find_spec(module) is not None


def available() -> list[str]:
    """The backends whose package is importable here, in a fixed order."""
    return [name for name in BACKENDS if is_installed(name)]


def check(name: str) -> str:
    """Validate a backend name and that its package is installed; return the name."""
    if name not in BACKENDS:
        raise KeraslabError(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    if not is_installed(name):
        raise KeraslabError(
            f"backend {name!r} needs the package {BACKENDS[name][0]!r}, which is not installed; "
            f"install it with: {BACKENDS[name][1]}"
        )
    return name


def select(name: str | None = None) -> str:
    """Set ``KERAS_BACKEND`` before Keras is imported. Returns the backend chosen.

    ``None`` keeps an existing ``KERAS_BACKEND`` or falls back to TensorFlow.
    """
    name = name or os.environ.get("KERAS_BACKEND") or DEFAULT_BACKEND
    check(name)
    if "keras" in sys.modules:
        import keras

        active = keras.backend.backend()
        if active != name:
            raise KeraslabError(
                f"Keras was already imported with backend {active!r}; cannot switch to {name!r} "
                "in the same process (run it in a new process, e.g. `keraslab run --backend "
                f"{name}`)"
            )
    os.environ["KERAS_BACKEND"] = name
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's C++ log noise off the terminal
    if "tensorflow" not in sys.modules:  # TensorFlow reads its settings once, at import
        from keraslab import cpu

        cpu.apply()  # oneDNN on for this CPU kind, unless the user chose otherwise
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing chatter is not for learners
    return name


#: TensorFlow C++ log lines that are known to be harmless and say nothing a learner can act on.
#: Everything else TensorFlow (or anything else) writes to stderr is passed through unchanged.
BENIGN_STDERR = (
    # printed once, in front of the first C++ log line of the process, whatever its level
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    # tf.data logs at ERROR level (so TF_CPP_MIN_LOG_LEVEL=2, which tutorials recommend, shows it)
    # that a MapDataset node made from ParallelMapDatasetV2 carries a `use_unbounded_threadpool`
    # attribute its op definition lacks, and says itself that the attribute is ignored; seen on the
    # AVX2 and the AMX kind alike, from Keras' and keraslab's own pipelines
    "which is not in the op definition",
)
_FILTER = r"""
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent: this pipe must drain
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # it ends at EOF, when every writer has exited
benign = tuple(sys.argv[1:])
out = os.fdopen(1, "wb", buffering=0)
for line in sys.stdin.buffer:
    if not any(b.encode() in line for b in benign):
        out.write(line)
"""


def filter_tensorflow_noise() -> bool:
    """Route this process's file descriptor 2 through a small filter process that drops the lines
    of :data:`BENIGN_STDERR` and passes everything else on (Python tracebacks, TensorFlow's real
    errors, a crash's report). Returns whether it was installed.

    TensorFlow writes its C++ logs straight to the file descriptor, so no Python-level filter sees
    them; and a level (``TF_CPP_MIN_LOG_LEVEL=3``) would hide real errors with the noise, and the
    user's own choice of level with it. The filter is a child process, not a thread, so it keeps
    draining after this process dies: a segfault's report still reaches the terminal. Children
    (contestants, workers) inherit the filtered descriptor. ``KERASLAB_RAW_STDERR=1`` turns it off.
    """
    import subprocess

    global _filter_installed
    if _filter_installed or os.environ.get("KERASLAB_RAW_STDERR"):
        return False
    try:
        original = os.dup(2)
    except OSError:  # no descriptor 2 (an embedded interpreter)
        return False
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _FILTER, *BENIGN_STDERR],
            stdin=read_end,
            stdout=original,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
    except OSError:
        os.close(read_end), os.close(write_end), os.close(original)
        return False
    sys.stderr.flush()
    os.dup2(write_end, 2)
    for fd in (read_end, write_end, original):
        os.close(fd)
    _filter_installed = True
    atexit.register(_drain, proc)
    return True


def _drain(proc) -> None:
    """At exit: close our end of the pipe and give the filter a moment to pass on the last lines
    (children of ours that still hold the pipe keep it open; the filter then ends with them)."""
    import subprocess

    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        pass


_filter_installed = False


def import_keras_quietly() -> None:
    """Import Keras (and its backend) with the C++ start-up banners that ignore
    ``TF_CPP_MIN_LOG_LEVEL`` ("All log messages before absl::InitializeLog() ...", oneDNN's note)
    kept off the user's terminal. If the import fails, what it printed is shown with the error.
    On JAX and PyTorch it then keeps TensorFlow out of the process (:func:`keep_tensorflow_out`).

    The CLI and the contestants call it after checking their input (so a bad option fails fast,
    without loading TensorFlow) and before anything imports Keras."""
    if "keras" in sys.modules:
        return
    _import_with_stderr_held()

    keep_tensorflow_out()


def _import_with_stderr_held() -> None:
    import tempfile

    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (an embedded interpreter): nothing to hide
        import keras  # noqa: F401

        return
    with tempfile.TemporaryFile(mode="w+b") as log:
        sys.stderr.flush()
        os.dup2(log.fileno(), 2)
        try:
            import keras  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def active() -> str:
    """The backend Keras really runs on (imports Keras)."""
    import keras

    return keras.backend.backend()
