"""The report: built from the store alone, honest about what is missing, numbers traced to the store,
and report.html checked in a real headless browser."""

import json
import re
import shutil
import subprocess

import pytest

from conftest import run_cli
from keraslab import experiments, report, suite
from keraslab.report import claims as C
from keraslab.store import RunStore


def copy_store(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_report_builds_from_a_quick_store(quick_store, tmp_path):
    store = copy_store(quick_store, tmp_path / "runs")
    proc = run_cli("report", "--out", store)
    assert proc.returncode == 0, proc.stderr
    md = (store / "REPORT.md").read_text()  # everything inside the folder the user named
    for heading in (
        "## Summary",
        "## Sequential API",
        "## Functional API",
        "## Callbacks",
        "## CNN on MNIST",
        "## All claims",
        "## Provenance",
        "**Contents:**",
    ):
        assert heading in md
    for png in re.findall(r"\(plots/([^)]+\.png)\)", md):
        assert (store / "plots" / png).exists(), png
    assert "Not in this store" not in md
    assert not (tmp_path / "REPORT.md").exists() and not (tmp_path / "plots").exists()


def test_every_claim_is_measured_on_a_quick_store_without_error(quick_store):
    runs = {e: experiments.get(e).upgrade(RunStore(quick_store).latest(e)) for e in experiments.names()}
    claims = suite.all_claims()
    rows = report.evaluate(claims, runs, suite.all_measures(), strict=True)  # a measure that raises fails here
    assert len(rows) == len(claims) >= 45
    assert [r.claim["id"] for r in rows] == [c["id"] for c in claims]
    # the quick profile is a smoke test: measured, but never judged against the guide
    assert {r.verdict.word for r in rows} <= {C.UNFAIR, C.NOT_TESTABLE}
    # every claim is measured, but a curve's smoothness on the quick CNN's single epoch, which says so
    one_epoch = [r for r in rows if r.measured is None and r.verdict.note.startswith("one epoch")]
    assert [r.claim["id"] for r in one_epoch] == ["cnn_smoother_improved"]
    assert all(r.measured is not None for r in rows if r.claim["check"] != "untestable" and r not in one_epoch)


def test_missing_experiment_and_old_schema_are_reported_not_crashed(quick_store, tmp_path):
    store = copy_store(quick_store, tmp_path / "runs")
    shutil.rmtree(store / "cnn")
    (run_dir,) = [p for p in (store / "callbacks").iterdir() if not p.name.startswith(".")]
    m = json.loads((run_dir / "metrics.json").read_text())
    m["schema"] = 0
    (run_dir / "metrics.json").write_text(json.dumps(m))
    paths = suite.build_report(store)
    md = paths[0].read_text()
    assert "**Not in this store:** callbacks, cnn" in md
    assert "schema 0" in md
    assert "## CNN on MNIST" not in md
    cnn_rows = [l for l in md.splitlines() if l.startswith("| cnn |")]
    assert len(cnn_rows) >= 15 and all("| not measured |" in l or "| not testable |" in l for l in cnn_rows)


def test_every_number_traces_back_to_the_store(quick_store, tmp_path):
    """Plant distinctive values in a copied store; the report must show exactly those."""
    store = copy_store(quick_store, tmp_path / "runs")
    (seq_dir,) = [p for p in (store / "sequential").iterdir() if not p.name.startswith(".")]
    m = json.loads((seq_dir / "metrics.json").read_text())
    planted = {"sgd": 0.1234, "adam": 0.4321, "rmsprop": 0.5678, "adagrad": 0.8765}
    for opt, v in planted.items():
        m["arms"][opt]["test_accuracy"].update(mean=v, std=0.0111, n=3, values=[v - 0.0111, v, v + 0.0111])
    m["moons"]["test_accuracy"] = 0.3141
    (seq_dir / "metrics.json").write_text(json.dumps(m))
    config = json.loads((seq_dir / "config.json").read_text())
    (seq_dir / "config.json").write_text(json.dumps({**config, "profile": "standard"}))  # judged, not a smoke test
    (cnn_dir,) = [p for p in (store / "cnn").iterdir() if not p.name.startswith(".")]
    c = json.loads((cnn_dir / "metrics.json").read_text())
    c["arms"]["simple_cnn"]["params"] = 424242
    (cnn_dir / "metrics.json").write_text(json.dumps(c))
    md = suite.build_report(store, strict=True)[0].read_text()
    for v in planted.values():
        assert f"{v:.4f} ± 0.0111" in md
    assert "**0.3141**" in md and "424,242" in md
    assert "Highest mean test accuracy: **adagrad**" in md  # insights are computed, not pasted
    row = next(l for l in md.splitlines() if l.startswith('| <a id="claim-opt_sgd"></a>'))  # its section's row
    # 0.1234 ± 0.0111 (n=3): the t-interval 0.1234 ± 0.0276, widened to the binomial interval of one
    # seed's N test points (the same points each seed) where that is wider; far below the guide's 0.825
    n_test = round(json.loads((seq_dir / "config.json").read_text())["moons_samples"] * 0.2)
    _, _, t_lo, t_hi = C.t_interval([0.1234 - 0.0111, 0.1234, 0.1234 + 0.0111])
    b_lo, b_hi = C.wilson(round(0.1234 * n_test), n_test)
    assert "0.1234 ± 0.0111 (n=3)" in row and f"[{min(t_lo, b_lo):.4f}, {max(t_hi, b_hi):.4f}]" in row
    assert "| lower than the guide |" in row
    assert "lower than the guide" in md.split("## Sequential API")[0]  # named in the summary


def test_readme_results_section_is_rewritten(quick_store, tmp_path, monkeypatch):
    monkeypatch.setattr(
        suite, "render_figures", lambda *args, **kwargs: []
    )  # plots: test_report_builds_from_a_quick_store
    store = copy_store(quick_store, tmp_path / "runs")
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.RESULTS_START}\nSTALE-TABLE\n{report.RESULTS_END}\noutro\n")
    suite.build_report(store)
    assert "STALE-TABLE" in readme.read_text()  # a user's run never rewrites a README
    suite.build_report(store, readme=readme)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "STALE-TABLE" not in text
    assert "claims of the original module guide checked against the measured runs" in text
    assert "**Takeaways**" in text and "REPORT.md#claim-" in text  # each takeaway links into the report
    # the suite's wall time: each run's from its provenance, and their sum for `keraslab run all`
    line = next(x for x in text.splitlines() if "Wall time of these runs" in x)
    assert re.search(r"on the `\w+` CPU kind \(.+, \d+ cores\)", line)  # which kind the times are from
    walls = {name: int(s) for name, s in re.findall(r"(\w+) (\d+) s", line)}
    total = re.search(r"`keraslab run all` \((\d+) experiments\) ([\d.]+) min", line)
    assert set(walls) == set(experiments.names()) and int(total.group(1)) == len(walls)
    assert abs(float(total.group(2)) - sum(walls.values()) / 60) <= 0.05 + len(walls) / 60  # each rounded to 1 s


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
    suite.build_report(store)
    html = (store / "report.html").read_text()
    assert "http://" not in html and "https://" not in html  # self-contained: nothing to fetch
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", CHECK))
    proc = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    m = re.search(r'data-check="images=(\d+) broken=(\d+)"', proc.stdout)
    assert m, proc.stderr[-2000:]
    assert int(m.group(1)) >= 15 and int(m.group(2)) == 0
    console = [l for l in proc.stderr.splitlines() if "CONSOLE" in l and "probe.html" in l]
    assert console == []


def test_html_shows_italic_verdict_words_not_asterisks(tmp_path):
    from keraslab.report.render import to_html

    html = to_html(
        [("p", "*inconclusive* and *tie*"), ("p", "**by construction**: 2 * 3, `a*b`"), ("table", ["v"], [["tie"]])],
        tmp_path,
    )
    assert "<em>inconclusive</em> and <em>tie</em>" in html
    assert "<strong>by construction</strong>: 2 * 3, <code>a*b</code>" in html
    assert '<td class="open">tie</td>' in html


def test_each_claim_is_shown_once_in_its_section_and_once_in_the_index(quick_store, tmp_path):
    store = copy_store(quick_store, tmp_path / "runs")
    md = suite.build_report(store)[0].read_text()
    html = (store / "report.html").read_text()
    sections, index = md.split("\n## All claims\n")
    for c in suite.all_claims():
        anchor = f'<a id="claim-{c["id"]}"></a>'
        assert sections.count(anchor) == 1 and index.count(anchor) == 0, c["id"]
        assert sections.count(f"| {anchor}{c['wording']} |") == 1  # its full row, in its section
        assert index.count(f"[{c['wording']}](#claim-{c['id']})") == 1  # one index line linking to it
        assert html.count(f'id="claim-{c["id"]}"') == 1
    assert "*" not in re.sub(r"<[^>]+>", "", html.split("<body>", 1)[1]).replace(" * ", "")  # italics rendered
