"""Markdown and HTML from one list of blocks, so REPORT.md and report.html never disagree.

A block is a tuple: ``("h1"|"h2"|"h3", text)``, ``("p", text)``, ``("ul", [items])``,
``("table", header, rows)``, ``("img", file, caption)``, ``("code", text, language)`` or
``("toc",)`` (a table of contents of the h2 headings).
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

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
    return "\n\n".join(out) + "\n"


def _inline(text: str) -> str:
    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    # *word*: italics (the verdict words), but not a lone asterisk or "2 * 3"
    t = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])", r"<em>\1</em>", t)
    t = re.sub(r"\[([^\]]+)\]\(#([^)]+)\)", r'<a href="#\2">\1</a>', t)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", t)


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


def to_html(blocks: list, plots_dir: Path) -> str:
    out = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>keraslab report</title><style>{CSS}</style></head><body>",
    ]
    for b in blocks:
        kind = b[0]
        if kind in ("h1", "h2", "h3"):
            out.append(f'<{kind} id="{anchor(b[1])}">{_inline(b[1])}</{kind}>')
        elif kind == "p":
            out.append(f"<p>{_inline(b[1])}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b[1]) + "</ul>")
        elif kind == "toc":
            out.append(
                "<nav><p><strong>Contents:</strong> " + " · ".join(_inline(t) for t in _toc(blocks)) + "</p></nav>"
            )
        elif kind == "table":

            def cell(v):
                v = str(v)
                cls = VERDICT_CLASS.get(v, "na" if v.startswith("not ") else "")
                return f'<td class="{cls}">{_inline(v)}</td>' if cls else f"<td>{_inline(v)}</td>"

            out.append(
                '<div class="tw"><table><thead><tr>'
                + "".join(f"<th>{_inline(h)}</th>" for h in b[1])
                + "</tr></thead><tbody>"
                + "".join("<tr>" + "".join(cell(v) for v in r) + "</tr>" for r in b[2])
                + "</tbody></table></div>"
            )
        elif kind == "img":
            f = plots_dir / b[1]
            if f.exists():
                data = base64.b64encode(f.read_bytes()).decode()
                out.append(
                    f'<figure><img alt="{html.escape(b[2])}" src="data:image/png;base64,{data}">'
                    f"<figcaption>{html.escape(b[2])}</figcaption></figure>"
                )
        elif kind == "code":
            out.append(f"<pre><code>{html.escape(b[1])}</code></pre>")
    out.append("</body></html>")
    return "\n".join(out)
