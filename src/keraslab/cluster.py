"""The processes of one multi-worker training run (``keraslab run cnn --workers N``): started,
watched and stopped together. (A benchmark's one-process-per-arm runs are :mod:`keraslab.contestant`.)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from keraslab import progress
from keraslab.errors import KeraslabError


def launch(command: list[str], workers: int, distribute: str, out) -> int:
    """Start ``workers`` processes of the keraslab ``command`` (its argv) on 127.0.0.1: each with its TF_CONFIG
    (multi-worker), or with Keras' ``KERAS_DISTRIBUTION_*`` variables (JAX data-parallel).

    Worker 0 is the chief and writes the run store at ``--out``; worker i writes its own store at
    ``<out>/.workers/worker<i>`` (its results are the same model's replicas), kept so that a
    killed run resumes on every worker. If one worker fails, the others — which would wait for it
    forever in the next collective — are stopped. Returns the chief's exit code."""

    ports = _free_ports(workers)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    argv, skip = [], False
    for a in command:  # this command without --workers (the workers must not launch workers)
        if skip:
            skip = False
        elif a == "--workers":
            skip = True
        elif not a.startswith("--workers="):
            argv.append(a)
    procs = []
    for index in range(workers):
        if distribute == "multi-worker":
            env = dict(
                os.environ, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
            )
        else:  # JAX: process 0's address is the coordinator's
            env = dict(
                os.environ,
                KERAS_DISTRIBUTION_JOB_ADDRESSES=",".join(cluster["worker"]),
                KERAS_DISTRIBUTION_NUM_PROCESSES=str(workers),
                KERAS_DISTRIBUTION_PROCESS_ID=str(index),
            )
        env[progress.LABEL_ENV] = f"worker {index}"  # its epoch lines say which worker they come from
        worker_argv = list(argv)
        if index > 0:  # only the chief writes the real store
            worker_argv += ["--out", str(Path(out) / ".workers" / f"worker{index}"), "--no-plots"]
        procs.append(subprocess.Popen([sys.executable, "-m", "keraslab", *worker_argv], env=env))
    print(f"keraslab: started {workers} workers on {', '.join(cluster['worker'])}", flush=True)
    try:
        while any(p.poll() is None for p in procs):
            failed = [i for i, p in enumerate(procs) if p.returncode not in (None, 0)]
            if failed:
                print(
                    f"keraslab: worker {failed[0]} failed (exit code {procs[failed[0]].returncode}); "
                    "stopping the others",
                    file=sys.stderr,
                    flush=True,
                )
                _stop(procs, signal.SIGINT)
                break
            time.sleep(0.5)
    except KeyboardInterrupt:  # the workers keep their unfinished runs: the same command resumes
        _stop(procs, signal.SIGINT)
        raise
    codes = [p.wait() for p in procs]
    if any(codes):
        raise KeraslabError(
            f"multi-worker training failed: worker exit codes {codes}; each worker's own "
            "message is above. Rerun the same command to resume."
        )
    return codes[0]


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free ports on 127.0.0.1. All ``n`` sockets stay bound until every port is
    chosen (one bound and released at a time, the system may hand out the same port twice); they
    are released just before the workers start, which bind them again."""
    socks = []
    try:
        for _ in range(n):
            sock = socket.socket()
            socks.append(sock)
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def _stop(procs, sig, grace_s: float = 30.0) -> None:
    """Signal every running process, then kill those still running after ``grace_s``."""
    import subprocess

    for p in procs:
        if p.poll() is None:
            p.send_signal(sig)
    for p in procs:
        try:
            p.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
