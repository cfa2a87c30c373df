"""Importing keraslab: each module alone in a fresh interpreter imports without a cycle, and the
light ones — everything `keraslab list`, `--help` and the input checks load — bring in no Keras,
TensorFlow, JAX, PyTorch or matplotlib (docs/maintainers.md, "Imports inside functions")."""

import json
import pkgutil
import subprocess
import sys

import pytest

import keraslab

#: modules that import a framework or matplotlib at their top, by design; everything else is light
HEAVY = {
    "keraslab.callbacks",
    "keraslab.faults",
    "keraslab.resumable",
    "keraslab.schedules",
    "keraslab.plots",
}
FRAMEWORKS = ("keras", "tensorflow", "jax", "torch", "matplotlib")


def heavy(name: str) -> bool:
    return name in HEAVY or name.startswith("keraslab.models.") or name.endswith(".figures")


MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(keraslab.__path__, "keraslab.")
    if m.name != "keraslab.__main__"  # runs the CLI
)
PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(f for f in {frameworks!r} if f in sys.modules)))
"""


def probe(*names) -> list[str]:
    """Import ``names`` in order in a fresh interpreter; the frameworks it then holds."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(frameworks=FRAMEWORKS), *names], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]  # an import cycle fails here
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.integration
@pytest.mark.parametrize("name", [m for m in MODULES if not heavy(m)])
def test_each_light_module_imports_alone_and_loads_no_framework(name):
    loaded = probe(name)
    assert loaded == [], f"{name} loads {loaded} at import: import it inside the function that needs it"


@pytest.mark.integration
def test_the_heavy_modules_import_without_a_cycle():
    """One interpreter imports them all in turn (one TensorFlow start instead of one per module);
    a heavy module's cycle that shows only when a particular module comes first would pass here,
    which the light modules' one-interpreter-each test does not allow."""
    assert "keras" in probe(*[m for m in MODULES if heavy(m)])


def test_the_module_list_covers_the_experiments_and_the_light_core():
    assert {"keraslab.cli", "keraslab.harness", "keraslab.experiments.cnn", "keraslab.report.claims"} <= set(MODULES)
    assert not heavy("keraslab.experiments.cnn") and heavy("keraslab.experiments.cnn.figures")
