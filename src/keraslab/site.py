"""One static site a learner opens offline (``make site``, ``keraslab site``): the five executed
lessons, the exercise files, the report split into pages, and the project's docs.

The generator is MkDocs with the Material theme, and mkdocs-jupyter for the notebooks (docs/site.md
says why). Nothing is executed: the lessons are the committed executed notebooks in
``notebooks/``, the exercises are shown as the learner receives them, and the report pages are
``REPORT.md`` and ``PERFORMANCE.md`` of a run store (built from the store if missing), split at
their ``##`` headings. Offline by construction: Material's web fonts off, its ``offline`` plugin
(search works from ``file://``, pages link as ``page.html``), no script or style from a CDN; the
browser test in tests/test_site.py fails on any request that leaves the machine.

The pages are assembled in a staging folder next to the output and removed after the build, so
a failed build leaves no half-written site behind (the previous one stays until the new one is
complete).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from keraslab.errors import KeraslabError
from keraslab.notebooks import DEMOS, REPO
from keraslab.report.render import anchor

#: the exercise file of each lesson, in the lessons' order
EXERCISES = (
    "keras_sequential_exercises.py",
    "keras_functional_exercises.py",
    "keras_callbacks_exercises.py",
    "keras_cnn_exercises.py",
    "keras_vs_pytorch_exercises.py",
)
#: the project's docs shown in the site, with their titles
DOCS = (
    ("site.md", "This site and its figures"),
    ("performance.md", "How keraslab was made fast"),
    ("reliability.md", "Reliability: nothing lost on failure"),
    ("distributed.md", "Distributed training"),
    ("maintainers.md", "For maintainers"),
)

MKDOCS_YML = """\
site_name: keraslab
site_description: A hands-on, measured companion to learning Keras
docs_dir: pages
use_directory_urls: false
theme:
  name: material
  font: false            # no web fonts fetched from Google: the system's fonts
  features: [navigation.sections, navigation.top, toc.follow]
plugins:
  - search
  - offline              # search from file://, no server needed
  - mkdocs-jupyter:
      execute: false     # the committed executed notebooks, as they are
      include: ["lessons/*.ipynb", "exercises/*.py"]
      include_source: true
      ignore_h1_titles: false
      cache: false       # no .cache/ folder written into the checkout
extra:
  polyfills: [vendor/iframe-worker-shim.js]   # vendored: the offline plugin would fetch it from unpkg
  generator: false       # no "Made with Material" link out of the site
markdown_extensions: [tables, toc, admonition, attr_list]
"""


def title_of(markdown_or_source: str, fallback: str) -> str:
    m = re.search(r"^#? ?# (.+)$", markdown_or_source, flags=re.M)
    return m.group(1).strip() if m else fallback


#: the report's parts that stay on its first page
OPENING = ("Takeaways", "Summary")


def without_contents(text: str) -> str:
    """A report without its "**Contents:**" line: the site has its own navigation."""
    return re.sub(r"^\*\*Contents:\*\*.*$", "", text, flags=re.M)


def split_pages(text: str, stem: str) -> list[tuple[str, str, str]]:
    """``(file, title, markdown)`` for each ``##`` part of a report; the part before the first
    ``##`` (title, intro, contents line) becomes the first page's head."""
    parts = re.split(r"^(?=## )", text, flags=re.M)
    head = without_contents(parts[0])
    pages = [(f"{stem}.md", "Overview", head)]
    for body in parts[1:]:
        title = body.splitlines()[0][3:].strip()
        if title in OPENING:
            pages[0] = (pages[0][0], pages[0][1], pages[0][2] + body)
        else:
            # its own page: "## Title" becomes the page's "# Title", every heading one level up
            pages.append((f"{stem}-{anchor(title)}.md", title, re.sub(r"^#(#+ )", r"\1", body, flags=re.M)))
    return pages


def relink(pages: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Point every in-report link (``#anchor``, ``REPORT.md#anchor``, ``PERFORMANCE.md``) at the
    page that now holds its target."""
    where = {}
    for name, _, text in pages:
        for a in re.findall(r'<a id="([^"]+)"></a>', text):
            where[a] = name
        for h in re.findall(r"^#{1,3} (.+)$", text, flags=re.M):
            where.setdefault(anchor(h), name)
    whole = {"REPORT.md": "report.md", "PERFORMANCE.md": "performance.md"}

    def fix(m):
        target, frag = m.group(1), m.group(2)
        if frag and where.get(frag) and target in ("", *whole):
            return f"]({where[frag]}#{frag})"
        return f"]({whole[target]})" if target in whole else m.group(0)

    return [(n, t, re.sub(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", fix, text)) for n, t, text in pages]


def ensure_report(store: Path) -> None:
    if not (store / "REPORT.md").exists():
        from keraslab import suite

        suite.build_report(store)


def index_page(lessons: list[tuple[str, str]], exercises: list[tuple[str, str]], report_pages) -> str:
    rows = "\n".join(
        f"| {i} | [{t}]({f}) | [{et}]({ef}) |" for i, ((f, t), (ef, et)) in enumerate(zip(lessons, exercises), start=1)
    )
    return f"""# keraslab: learning Keras, measured

This site is the whole course module, readable offline: five lessons with the output of a real run,
an exercise file for each that checks itself, and a report that tests every claim of the original
module guide against measurements taken on a real machine.

## The learning path

Read a lesson, then do its exercises. Each lesson is a notebook that was executed on the quick
profile (a few minutes on a laptop CPU); its prose says what to look for in the output.

| # | lesson | exercises |
|---|---|---|
{rows}

To run them yourself, in a checkout of keraslab: `make lab` opens JupyterLab on the lessons and
exercises; `keraslab check exercises/keras_sequential_exercises.py` checks an exercise file from a
terminal; `keraslab exercises` lists every exercise and whether you have solved it.

## The report

[The report]({report_pages[0][0]}) judges every claim of the original module guide with its
uncertainty: what was measured, a 95% interval, and a verdict. Start with its takeaways and
[how to read a verdict]({next((n for n, t, _ in report_pages if t == "How to read a verdict"), report_pages[0][0])}).
How fast keraslab trains is on [its own page](performance.md).
"""


def assemble(pages_dir: Path, store: Path, repo: Path = REPO) -> list:
    """Write the site's Markdown, notebooks and figures into ``pages_dir``; return the nav."""
    for folder in ("lessons", "exercises", "docs", "vendor"):
        (pages_dir / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy2(Path(__file__).parent / "site_assets" / "iframe-worker-shim.js", pages_dir / "vendor")
    lessons = []
    for demo in DEMOS:
        nb = repo / "notebooks" / (Path(demo).stem + ".ipynb")
        if not nb.exists():
            raise KeraslabError(f"no executed lesson {nb}; run `make notebooks` first")
        shutil.copy2(nb, pages_dir / "lessons" / nb.name)
        cells = json.loads(nb.read_text())["cells"]
        first = "".join(cells[0]["source"]) if cells else ""
        lessons.append((f"lessons/{nb.name}", title_of(first, nb.stem)))
    exercises = []
    for ex in EXERCISES:
        src = repo / "exercises" / ex
        shutil.copy2(src, pages_dir / "exercises" / ex)
        exercises.append((f"exercises/{ex}", title_of(src.read_text(), ex)))

    ensure_report(store)
    report_pages = split_pages((store / "REPORT.md").read_text(), "report")
    perf_pages = []
    if (store / "PERFORMANCE.md").exists():
        perf_pages = [("performance.md", "Performance", without_contents((store / "PERFORMANCE.md").read_text()))]
    # one in-report link set: the performance page's links to REPORT.md land on the report pages
    relinked = relink(report_pages + perf_pages)
    for name, _, text in relinked:
        (pages_dir / name).write_text(text)
    if (store / "plots").is_dir():
        shutil.copytree(store / "plots", pages_dir / "plots", dirs_exist_ok=True)

    docs = []
    for name, title in DOCS:
        src = repo / "docs" / name
        if not src.exists():
            continue
        text = src.read_text()
        # links out of docs/ into the store and the repo, as the site lays them out
        text = re.sub(r"\]\((?:\.\./)?reference/plots/", "](../plots/", text)
        text = re.sub(r"\]\((?:\.\./)?reference/REPORT\.md(#[^)]*)?\)", "](../report.md)", text)
        (pages_dir / "docs" / name).write_text(text)
        docs.append((f"docs/{name}", title))

    (pages_dir / "index.md").write_text(index_page(lessons, exercises, relinked[: len(report_pages)]))
    return [
        {"Home": "index.md"},
        {"Lessons": [{f"{i}. {t}": f} for i, (f, t) in enumerate(lessons, start=1)]},
        {"Exercises": [{f"{i}. {t}": f} for i, (f, t) in enumerate(exercises, start=1)]},
        {"Report": [{t: n} for n, t, _ in relinked[: len(report_pages)]]},
        *([{"Performance": "performance.md"}] if perf_pages else []),
        {"Docs": [{t: f} for f, t in docs]},
    ]


def build(store: str | Path = "reference", out: str | Path | None = None) -> Path:
    """Build the site of ``store`` (its report; the lessons and exercises of this checkout) into
    ``out``: ``site/`` for the committed reference, ``<store>/site`` for any other store."""
    store = Path(store)
    if not store.is_dir():
        raise KeraslabError(f"no run store at {store}; run `keraslab run all --out {store}` first")
    if out is None:
        out = Path("site") if store.resolve() == (REPO / "reference").resolve() else store / "site"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".site-", dir=out.parent) as tmp:
        stage = Path(tmp)
        nav = assemble(stage / "pages", store)
        config = MKDOCS_YML + "nav: " + json.dumps(nav) + "\n"
        (stage / "mkdocs.yml").write_text(config)
        built = stage / "built"
        proc = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--quiet", "-f", str(stage / "mkdocs.yml"), "-d", str(built)],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise KeraslabError("mkdocs could not build the site:\n" + proc.stderr[-3000:])
        if out.exists():
            shutil.rmtree(out)
        shutil.move(str(built), out)
    return out
