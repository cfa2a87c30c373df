"""`make lab`: JupyterLab on the lessons and exercises, bound to 127.0.0.1, serving a lesson (a
Jupytext .py file opened as a notebook) over HTTP."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import REPO


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


@pytest.mark.integration
def test_make_lab_serves_a_lesson_as_a_notebook_on_localhost(tmp_path):
    port, token = _free_port(), "keraslab-test-token"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    proc = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_PORT={port}", f"LAB_ARGS=--IdentityProvider.token={token}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so the test can stop make and JupyterLab together
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, _ = _get(f"{base}/api/status?token={token}")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        assert status == 200, f"JupyterLab did not answer (exit {proc.poll()})"
        status, body = _get(f"{base}/api/contents/keras_sequential_demo.py?token={token}")
        lesson = json.loads(body)
        assert status == 200 and lesson["type"] == "notebook"  # Jupytext opens the .py as a notebook
        sources = [cell["source"] for cell in lesson["content"]["cells"]]
        assert any("keras.Sequential(" in s for s in sources)
        status, body = _get(f"{base}/api/contents/exercises?token={token}")
        assert status == 200 and {"keras_sequential_exercises.py"} <= {f["name"] for f in json.loads(body)["content"]}
        with pytest.raises(urllib.error.HTTPError):  # no token, no lesson
            _get(f"{base}/api/contents/keras_sequential_demo.py")
        other_ip = socket.gethostbyname(socket.gethostname())
        if not other_ip.startswith("127."):  # bound to loopback only
            with pytest.raises(OSError):
                socket.create_connection((other_ip, port), timeout=3).close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
