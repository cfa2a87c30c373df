"""Markdown and HTML from one list of blocks, so REPORT.md and report.html never disagree.

A block is a tuple: ``("h1"|"h2"|"h3", text)``, ``("p", text)``, ``("ul", [items])``,
``("table", header, rows)``, ``("img", file, caption)``, ``("code", text, language)`` or
``("toc",)`` (a table of contents of the h2 headings) or ``("raw", html)`` (passed through as it is).
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import markdown
from markdown.extensions.toc import TocExtension

from keraslab.report.claims import CONSISTENT, CONTRADICTED, HIGHER, INCONCLUSIVE, LOWER, TIE

#: verdict word -> CSS class of its table cell
VERDICT_CLASS = {
    CONSISTENT: "holds",
    HIGHER: "differs",
    LOWER: "differs",
    CONTRADICTED: "differs",
    INCONCLUSIVE: "open",
    TIE: "open",
}


def anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^a-z0-9 _-]", "", title.lower()).replace(" ", "-")


def _toc(blocks: list) -> list[str]:
    return [f"[{b[1]}](#{anchor(b[1])})" for b in blocks if b[0] == "h2"]


def to_markdown(blocks: list, img_prefix: str = "plots/") -> str:
    out = []
    for b in blocks:
        kind = b[0]
        if kind in ("h1", "h2", "h3"):
            out.append("#" * int(kind[1]) + " " + b[1])
        elif kind == "p":
            out.append(b[1])
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in b[1]))
        elif kind == "toc":
            out.append("**Contents:** " + " · ".join(_toc(blocks)))
        elif kind == "table":
            header, rows = b[1], b[2]

            def esc(s):
                return str(s).replace("|", "\\|").replace("\n", " ")

            out.append(
                "\n".join(
                    ["| " + " | ".join(map(esc, header)) + " |", "|" + "---|" * len(header)]
                    + ["| " + " | ".join(map(esc, r)) + " |" for r in rows]
                )
            )
        elif kind == "img":
            out.append(f"![{b[2]}]({img_prefix}{b[1]})")
        elif kind == "code":
            out.append(f"```{b[2] if len(b) > 2 else ''}\n{b[1]}\n```")
        elif kind == "raw":
            out.append(b[1])
    return "\n\n".join(out) + "\n"


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:0 auto;padding:1rem;
line-height:1.5;color:#222}
h1,h2,h3{line-height:1.2}h2{border-bottom:1px solid #ddd;padding-bottom:.3rem;margin-top:2rem}
.tw{overflow-x:auto}table{border-collapse:collapse;margin:1rem 0;font-size:.92rem}
th,td{border:1px solid #ccc;padding:.35rem .6rem;text-align:left;vertical-align:top}th{background:#f3f3f3}
img{max-width:100%;height:auto;display:block;margin:1rem auto}figure{margin:0}figcaption{text-align:center;
color:#555;font-size:.9rem}code{background:#f3f3f3;padding:0 .2rem;border-radius:3px}
pre{background:#f6f6f6;padding:.6rem;overflow-x:auto}
td.holds{color:#1a7f37;font-weight:600}td.differs{color:#c62828;font-weight:600}td.open{color:#8a6d00;font-weight:600}
td.na{color:#777}
"""


def to_html(blocks: list, plots_dir: Path, title: str = "keraslab report") -> str:
    """One self-contained page: the Markdown of :func:`to_markdown` rendered by Python-Markdown
    (emphasis, code, links and tables as any Markdown reader shows them), figures embedded as
    data URIs, verdict cells coloured."""
    figures = {}
    for b in blocks:
        if b[0] == "img" and (plots_dir / b[1]).exists():
            data = base64.b64encode((plots_dir / b[1]).read_bytes()).decode()
            figures[b[1]] = (
                f'<figure><img alt="{html.escape(b[2])}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(b[2])}</figcaption></figure>"
            )
    # a figure is a raw HTML block (Markdown passes it through); a missing file is left out
    kept = [("raw", figures[b[1]]) if b[0] == "img" else b for b in blocks if b[0] != "img" or b[1] in figures]
    body = markdown.markdown(
        to_markdown(kept),
        extensions=["tables", "fenced_code", TocExtension(slugify=lambda value, _sep: anchor(value))],
    )
    body = re.sub(
        r"<td>([^<]+)</td>",
        lambda m: (
            f'<td class="{cls}">{m.group(1)}</td>'
            if (cls := VERDICT_CLASS.get(m.group(1), "na" if m.group(1).startswith("not ") else ""))
            else m.group(0)
        ),
        body,
    )
    body = body.replace("<table>", '<div class="tw"><table>').replace("</table>", "</table></div>")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n{body}\n</body></html>"
    )
