"""The offline site: built from the committed lessons, exercises and reference report, then read
page by page in a real headless Chromium (driven by Playwright, the system's browser). It fails on
a broken local link or image, a console error, or any request that leaves the machine, and its
navigation must reach every lesson, exercise file and report page."""

import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from keraslab import site
from keraslab.notebooks import DEMOS, REPO

LOCAL = ("file:", "data:", "blob:", "about:")


@pytest.mark.integration  # starts mkdocs and a browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_the_site_builds_offline_and_every_page_reads_in_a_browser(tmp_path):
    from playwright.sync_api import sync_playwright

    out = site.build(REPO / "reference", tmp_path / "site")
    assert not list(tmp_path.glob(".site-*")), "the staging folder is removed"
    expected = {
        *(f"lessons/{Path(d).stem}.html" for d in DEMOS),
        *(f"exercises/{Path(e).stem}.html" for e in site.EXERCISES),
        "report.html",
        "performance.html",
        *(p.name for p in out.glob("report-*.html")),
    }
    assert len(expected) >= 5 + 5 + 6

    outside, errors, broken, ids, fragments = [], [], [], {}, []
    seen, queue = set(), ["index.html"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page()
        page.on("request", lambda r: None if r.url.startswith(LOCAL) else outside.append(r.url))
        page.route(re.compile(r"^(https?|wss?)://"), lambda route: route.abort())  # nothing leaves
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        while queue:
            rel = queue.pop()
            if rel in seen:
                continue
            seen.add(rel)
            page.goto((out / rel).as_uri(), wait_until="load")
            bad = page.eval_on_selector_all("img", "els => els.filter(i => !(i.complete && i.naturalWidth > 0)).length")
            if bad:
                broken.append(f"{rel}: {bad} broken image(s)")
            ids[rel] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                if not href.startswith("file:"):
                    if not href.startswith(("http:", "https:", "mailto:", "javascript:")):
                        broken.append(f"{rel}: odd link {href}")
                    continue
                url = urlsplit(href)
                target = Path(unquote(url.path))
                if not target.exists():
                    broken.append(f"{rel}: broken link {href}")
                    continue
                if target.is_dir():
                    target = target / "index.html"
                inside = target.resolve().relative_to(out.resolve()).as_posix()
                if url.fragment:
                    fragments.append((rel, inside, unquote(url.fragment)))
                if inside.endswith(".html") and inside != "404.html":
                    queue.append(inside)
        # search works from file:// (the offline plugin and the vendored worker shim)
        page.goto((out / "index.html").as_uri(), wait_until="load")
        page.fill("input.md-search__input", "EarlyStopping")
        page.wait_for_selector(".md-search-result__item", timeout=30_000)
        hits = page.inner_text(".md-search-result__list")
        browser.close()

    assert "EarlyStopping" in hits
    assert outside == [], f"requests that left the machine: {sorted(set(outside))[:10]}"
    assert errors == [], errors[:10]
    assert broken == [], broken[:20]
    missing_ids = [f"{src} -> {dst}#{frag}" for src, dst, frag in fragments if dst in ids and frag not in ids[dst]]
    assert missing_ids == [], missing_ids[:20]
    assert expected <= seen, f"not reachable from the navigation: {sorted(expected - seen)}"


def test_report_pages_split_at_sections_and_links_follow_the_claims():
    text = (
        "# keraslab report\n\nintro\n\n**Contents:** [A](#a)\n\n## Takeaways\n\n- x ([the claim](#claim-c1))\n\n"
        "## Summary\n\nsee [B](#b-part)\n\n## B part\n\n"
        '| <a id="claim-c1"></a>claim one | ok |\n\n## All claims\n\n[claim one](#claim-c1) [perf](PERFORMANCE.md)\n'
    )
    pages = site.relink(site.split_pages(text, "report"))
    names = [n for n, _, _ in pages]
    assert names == ["report.md", "report-b-part.md", "report-all-claims.md"]
    first, b, index = (t for _, _, t in pages)
    assert "**Contents:**" not in first and "## Takeaways" in first and "## Summary" in first
    assert "(report-b-part.md#claim-c1)" in first and "(report-b-part.md#b-part)" in first
    assert b.startswith("# B part")  # each page has its own title
    assert "(report-b-part.md#claim-c1)" in index and "(performance.md)" in index


def test_site_of_a_missing_store_is_a_clear_error(tmp_path):
    from conftest import run_cli

    proc = run_cli("site", "--out", tmp_path / "nothing")
    assert proc.returncode != 0
    assert "no run store" in proc.stderr and "keraslab site --out reference" in proc.stderr
