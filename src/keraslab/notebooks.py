"""The five lessons as executed Jupyter notebooks (``make notebooks``).

Each demo is a Jupytext "py:percent" script; it is turned into a notebook with Jupytext and
executed with nbclient in a real Jupyter kernel on the quick profile (``KERASLAB_PROFILE=quick``),
so its figures are embedded (matplotlib's inline backend) and the notebook renders on a code host
without running anything. The tests execute them on the ``smoke`` profile (tiny sizes): they check
that every cell runs, not what it learns. ``python -m keraslab.notebooks [--check]`` writes them, or checks that
the committed ones have the demo sources' cells.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMOS = (
    "keras_sequential_demo.py",
    "keras_functional_demo.py",
    "keras_callbacks_demo.py",
    "keras_cnn_mnist.py",
    "keras_vs_pytorch.py",
)


def read_demo(script: Path):
    import jupytext

    nb = jupytext.read(script, fmt="py:percent")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@contextmanager
def kernel_env(profile: str, extra: dict | None = None):
    """The kernel inherits this environment: the profile set, and no forced Agg backend (so
    figures display inline); ``extra`` adds variables for this kernel only."""
    extra = extra or {}
    names = ("KERASLAB_PROFILE", "MPLBACKEND", "TF_CPP_MIN_LOG_LEVEL", *extra)
    saved = {k: os.environ.get(k) for k in names}
    os.environ.update(extra)
    os.environ["KERASLAB_PROFILE"] = profile
    os.environ.pop("MPLBACKEND", None)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = (
        "3"  # TensorFlow's C++ start-up and graph-optimizer logs are not part of the lesson
    )
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute(script: Path, profile: str = "quick", timeout: int = 900, cwd: Path | None = None, env=None):
    """The demo as a notebook, executed cell by cell; raises on the first cell error."""
    from nbclient import NotebookClient

    nb = read_demo(script)
    with tempfile.TemporaryDirectory(prefix="keraslab-nb-") as tmp, kernel_env(profile, env):
        NotebookClient(
            nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd or tmp)}}
        ).execute()
    return without_banners(nb)


#: TensorFlow's C++ start-up lines (absl / oneDNN), printed before any log level applies
BANNER = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)|[IWE]\d{4} \d\d:\d\d:\d\d)")


def without_banners(nb):
    """Drop TensorFlow's start-up banner lines from stderr outputs: noise, not part of the lesson."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                lines = [line for line in out["text"].splitlines(keepends=True) if not BANNER.match(line)]
                if not "".join(lines).strip():
                    continue
                out["text"] = "".join(lines)
            kept.append(out)
        cell["outputs"] = kept
    return nb


def outputs_of(nb) -> tuple[set[str], list[str]]:
    """(output mime types, error names) over every code cell."""
    mimes, errors = set(), []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(out.get("ename", "error"))
            mimes.update(out.get("data", {}).keys())
    return mimes, errors


def out_of_sync(script: Path, notebook: Path) -> list[str]:
    """Differences between the demo's cells and the committed notebook's cells ([] when in sync)."""
    import nbformat

    if not notebook.exists():
        return [f"{notebook} is missing: run `make notebooks`"]

    def cells(nb):  # the cell title (the text after "# %%") lives in the cell's metadata
        return [(c.cell_type, c.source, c.get("metadata", {}).get("title")) for c in nb.cells]

    want, have = cells(read_demo(script)), cells(nbformat.read(notebook, as_version=4))
    if want == have:
        return []
    for i, (w, h) in enumerate(zip(want, have)):
        if w != h:
            return [f"{notebook.name}: cell {i + 1} differs from {script.name}; run `make notebooks`"]
    return [f"{notebook.name}: {len(have)} cells, {script.name} has {len(want)}; run `make notebooks`"]


def main(argv=None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(prog="python -m keraslab.notebooks", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "notebooks"), help="folder for the .ipynb files")
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--check", action="store_true", help="only check the committed notebooks are in sync")
    parser.add_argument("lessons", nargs="*", help=f"only these lesson files (default: all of {', '.join(DEMOS)})")
    args = parser.parse_args(argv)
    unknown = [name for name in args.lessons if name not in DEMOS]
    if unknown:
        parser.error(f"unknown lesson {unknown[0]!r}; the lessons are: {', '.join(DEMOS)}")
    out = Path(args.out)
    if args.check:
        problems = [p for d in DEMOS for p in out_of_sync(REPO / d, out / d.replace(".py", ".ipynb"))]
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    out.mkdir(parents=True, exist_ok=True)
    for demo in args.lessons or DEMOS:
        print(f"executing {demo} (profile {args.profile}) ...", flush=True)
        nb = execute(REPO / demo, args.profile)
        mimes, errors = outputs_of(nb)
        if errors:
            print(f"{demo}: cell errors {errors}", file=sys.stderr)
            return 1
        target = out / demo.replace(".py", ".ipynb")
        nbformat.write(nb, target)
        print(
            f"wrote {target} ({sum(1 for c in nb.cells if c.cell_type == 'code')} code cells, "
            f"{'with' if 'image/png' in mimes else 'WITHOUT'} figures)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
