"""The four demo scripts a learner runs: each works end to end on the quick profile and writes its plots."""

import subprocess
import sys

import pytest

from conftest import REPO

DEMOS = {
    "keras_sequential_demo.py": "sequential_decision_boundary.png",
    "keras_functional_demo.py": "sequential_vs_functional_comparison.png",
    "keras_callbacks_demo.py": "callbacks_effectiveness.png",
    "keras_cnn_mnist.py": "confusion_matrix.png",
}


@pytest.mark.parametrize("script, plot", DEMOS.items())
def test_demo_runs_and_writes_its_plots(tmp_path, script, plot):
    proc = subprocess.run([sys.executable, str(REPO / script), "--profile", "quick", "--out", str(tmp_path / "runs")],
                          capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "plots" / plot).exists()
    assert "wrote" in proc.stdout


@pytest.mark.parametrize("script", DEMOS)
def test_demo_is_a_py_percent_notebook(script):
    text = (REPO / script).read_text()
    assert text.startswith("# %% [markdown]")
    cells = [l for l in text.splitlines() if l.startswith("# %%")]
    names = " ".join(cells)
    for section in ("Setup", "Data", "Model", "Train", "Evaluate", "Plots"):
        assert section in names, f"{script} lacks a {section} cell"
