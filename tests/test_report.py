"""The report: built from the store alone, honest about what is missing, numbers traced to the store,
and report.html checked in a real headless browser."""

import json
import re
import shutil
import subprocess

import pytest

from conftest import run_cli
from keraslab import report
from keraslab.store import RunStore


def copy_store(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_report_builds_from_a_quick_store(quick_store, tmp_path):
    store = copy_store(quick_store, tmp_path / "runs")
    proc = run_cli("report", "--out", store)
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "REPORT.md").read_text()
    for heading in ("## Sequential API", "## Functional API", "## Callbacks", "## CNN on MNIST",
                    "## The guide's claims, checked", "## Provenance"):
        assert heading in md
    for png in re.findall(r"\(plots/([^)]+\.png)\)", md):
        assert (tmp_path / "plots" / png).exists(), png
    assert "Not in this store" not in md


def test_claims_table_has_a_row_per_claim(quick_store):
    runs = {e: RunStore(quick_store).latest(e) for e in report.SECTIONS}
    header, rows = report.claims_table(report.Measures(runs))
    claims = report.load_claims()
    assert len(rows) == len(claims) and len(claims) >= 30
    assert [r[1] for r in rows] == [c["wording"] for c in claims]
    assert {r[-1] for r in rows} <= {"holds", "does not hold", "not measured in this store"}
    for claim in claims:  # every measure named in the claims file exists
        assert hasattr(report.Measures, claim["measure"].split(":")[0]), claim["id"]


def test_missing_experiment_and_old_schema_are_reported_not_crashed(quick_store, tmp_path):
    store = copy_store(quick_store, tmp_path / "runs")
    shutil.rmtree(store / "cnn")
    (run_dir,) = [p for p in (store / "callbacks").iterdir() if not p.name.startswith(".")]
    m = json.loads((run_dir / "metrics.json").read_text())
    m["schema"] = 0
    (run_dir / "metrics.json").write_text(json.dumps(m))
    paths = report.build(store)
    md = paths[0].read_text()
    assert "**Not in this store:** callbacks, cnn" in md
    assert "schema 0" in md
    assert "## CNN on MNIST" not in md
    cnn_rows = [l for l in md.splitlines() if l.startswith("| cnn |")]
    assert cnn_rows and all(l.rstrip().endswith("| not measured in this store |") for l in cnn_rows)


def test_every_number_traces_back_to_the_store(quick_store, tmp_path):
    """Plant distinctive values in a copied store; the report must show exactly those."""
    store = copy_store(quick_store, tmp_path / "runs")
    (seq_dir,) = [p for p in (store / "sequential").iterdir() if not p.name.startswith(".")]
    m = json.loads((seq_dir / "metrics.json").read_text())
    planted = {"sgd": 0.1234, "adam": 0.4321, "rmsprop": 0.5678, "adagrad": 0.8765}
    for opt, v in planted.items():
        m["optimizers"][opt]["test_accuracy"].update(mean=v, std=0.0111, n=3)
    m["moons"]["test_accuracy"] = 0.3141
    (seq_dir / "metrics.json").write_text(json.dumps(m))
    (cnn_dir,) = [p for p in (store / "cnn").iterdir() if not p.name.startswith(".")]
    c = json.loads((cnn_dir / "metrics.json").read_text())
    c["models"]["simple_cnn"]["params"] = 424242
    (cnn_dir / "metrics.json").write_text(json.dumps(c))
    md = report.build(store)[0].read_text()
    for v in planted.values():
        assert f"{v:.4f} ± 0.0111" in md
    assert "**0.3141**" in md and "424,242" in md
    assert "Highest mean test accuracy: **adagrad**" in md  # insights are computed, not pasted
    row = next(l for l in md.splitlines() if "SGD test accuracy 0.8250" in l)
    assert "0.1234" in row and row.rstrip().endswith("| does not hold |")


def test_readme_results_section_is_rewritten(quick_store, tmp_path):
    store = copy_store(quick_store, tmp_path / "runs")
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.RESULTS_START}\nSTALE-TABLE\n{report.RESULTS_END}\noutro\n")
    report.build(store)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "STALE-TABLE" not in text
    assert "| the guide says |" in text


CHECK = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.images];
  const bad = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length;
  document.body.setAttribute('data-check', `images=${imgs.length} broken=${bad}`);
});
</script></body>"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_report_html_in_headless_chromium(quick_store, tmp_path):
    store = copy_store(quick_store, tmp_path / "runs")
    report.build(store)
    html = (tmp_path / "report.html").read_text()
    assert "http://" not in html and "https://" not in html  # self-contained: nothing to fetch
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", CHECK))
    proc = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120)
    m = re.search(r'data-check="images=(\d+) broken=(\d+)"', proc.stdout)
    assert m, proc.stderr[-2000:]
    assert int(m.group(1)) >= 15 and int(m.group(2)) == 0
    console = [l for l in proc.stderr.splitlines() if "CONSOLE" in l and "probe.html" in l]
    assert console == []
