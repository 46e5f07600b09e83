"""The page every report shares: skeleton, style, escaping, tables, cards and the plot slots.

One HTML file, offline: plotly.js is inlined once, every figure is a JSON object drawn by
``Plotly.newPlot`` into a ``<div class="plot" id=...>``, images are ``data:`` URIs, and a
Content-Security-Policy lets only the page's own scripts run and nothing load from anywhere.

Every user string (class names, file names, titles) goes through :func:`esc` before it reaches
the page, figure text included: plotly renders a subset of HTML in its text, and decodes
``&lt;`` back to ``<`` for display, so an escaped name shows as typed and never becomes markup.
Inside ``<script>`` the JSON escapes ``<``, ``>`` and ``&`` as ``\\u003c`` etc.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ioukit._errors import IoUKitError, MissingDependencyError, install_hint

__all__ = [
    "BLUES",
    "COLORS",
    "FONT",
    "Col",
    "Page",
    "base_layout",
    "cards_html",
    "esc",
    "fmt",
    "is_nan",
    "plotly_js",
    "script_json",
    "table_html",
    "unique_labels",
]


# The Okabe-Ito colours of ioukit.plot (src/ioukit/plot/_style.py), repeated here as CSS
# variables would be; the report reads PALETTE itself when it builds figures.
COLORS = {
    "ink": "#1f2328",
    "muted": "#59636e",
    "grid": "#e5e8eb",
    "zero": "#aeb6bf",
}
# ColorBrewer "Blues", light to dark (plotly.js's own "Blues" runs the other way)
BLUES = [[i / 8, c] for i, c in enumerate(
    ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c",
     "#08306b"])]  # fmt: skip
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'


def plotly_js(func: str) -> str:
    """The plotly.js bundle (minified) that plotly ships, or a MissingDependencyError."""
    try:
        import plotly.offline
    except ImportError as exc:
        raise MissingDependencyError(
            f"{func}: the HTML report needs plotly, which is not installed; install it with "
            f"`{install_hint('report', 'plotly pillow')}`."
        ) from exc
    return str(plotly.offline.get_plotlyjs())


def esc(text: object) -> str:
    """``text`` as HTML text (``<``, ``>``, ``&``, quotes escaped).

    >>> esc('<script>alert("x")</script>')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
    """
    return html.escape(str(text), quote=True)


def is_nan(value: object) -> bool:
    """Whether a table or card value is missing: None or a NaN float."""
    return value is None or (isinstance(value, (float, np.floating)) and math.isnan(value))


def fmt(value: object, digits: int = 4) -> str:
    """A number as the page shows it: ``—`` for None/NaN, thousands separators for ints.

    >>> fmt(0.123456), fmt(1234567), fmt(float("nan")), fmt(None)
    ('0.1235', '1,234,567', '—', '—')
    """
    if is_nan(value):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{digits}f}"
    return str(value)


def _plain(obj: Any) -> Any:
    """``obj`` as JSON-ready Python: arrays as lists, NaN and infinities as None."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    return obj


_SCRIPT_SAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                0x2028: "\\u2028", 0x2029: "\\u2029"}  # fmt: skip


def script_json(obj: Any) -> str:
    """JSON that is safe inside ``<script>``: ``<``, ``>``, ``&`` (and the JavaScript line
    separators) escaped, so no string can close the block. NaN becomes ``null``.

    >>> script_json({"name": "</script><b>", "v": float("nan")})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e","v":null}'
    """
    text = json.dumps(_plain(obj), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.translate(_SCRIPT_SAFE)  # these characters occur only inside JSON strings


def unique_labels(names: Sequence[str]) -> list[str]:
    """Escaped axis labels, made unique with the position (plotly merges equal categories).

    >>> unique_labels(["a", "<b>", "a"])
    ['0: a', '1: &lt;b&gt;', '2: a']
    """
    labels = [esc(n) for n in names]
    if len(set(labels)) != len(labels):
        labels = [f"{i}: {n}" for i, n in enumerate(labels)]
    return labels


def base_layout(**overrides: Any) -> dict[str, Any]:
    """The layout every figure starts from (white, the page's font, light grid), with
    ``overrides`` merged in (``xaxis`` / ``yaxis`` / ``margin`` dicts key by key)."""
    axis = {"gridcolor": COLORS["grid"], "zerolinecolor": COLORS["zero"], "automargin": True}
    out: dict[str, Any] = {
        "font": {"family": FONT, "size": 13, "color": COLORS["ink"]},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 60, "r": 24, "t": 36, "b": 48},
        "hoverlabel": {"font": {"family": FONT}},
        "xaxis": dict(axis),
        "yaxis": dict(axis),
        "legend": {"orientation": "h", "y": -0.18},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


# -- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    """A column of :func:`table_html`.

    ``kind``: ``"num"`` (float, ``digits`` decimals), ``"int"``, ``"text"`` (escaped) or
    ``"html"`` (markup the report built itself; not sortable). ``bar``: ``"unit"`` (a bar of
    the value's share of 1), ``"max"`` (of the column's largest value), ``"signed"`` (left or
    right of the cell's middle, scaled by the column's largest magnitude) or None.
    """

    key: str
    label: str
    kind: str = "num"
    bar: str | None = None
    digits: int = 4
    tip: str = ""


def _bar_scale(col: Col, rows: Sequence[dict[str, Any]]) -> float:
    if col.bar == "unit":
        return 1.0
    values = [abs(float(r[col.key])) for r in rows if not is_nan(r.get(col.key))]
    return max(values, default=0.0) or 1.0


def _cell(col: Col, value: Any, scale: float) -> str:
    if col.kind == "html":
        return f'<td class="text">{value}</td>'
    if col.kind == "text":
        text = "" if value is None else str(value)
        return f'<td class="text" data-v="{esc(text)}">{esc(text)}</td>'
    if is_nan(value):
        return '<td data-v="">—</td>'
    v = float(value)
    shown = fmt(int(value) if col.kind == "int" else v, col.digits)
    if col.bar is None:
        return f'<td data-v="{v!r}">{shown}</td>'
    pct = min(abs(v) / scale, 1.0) * (50 if col.bar == "signed" else 100)
    side = "" if col.bar != "signed" else (" pos" if v >= 0 else " neg")
    return (
        f'<td class="bar" data-v="{v!r}"><i class="b{side}" style="width:{pct:.1f}%"></i>'
        f"<span>{shown}</span></td>"
    )


def table_html(
    table_id: str,
    cols: Sequence[Col],
    rows: Sequence[dict[str, Any]],
    *,
    sortable: bool = True,
    max_height: bool = True,
    compact: bool = False,
) -> str:
    """A ``<table id=table_id>``; with ``sortable``, a click on a header sorts the rows
    (numbers numerically, missing values last in both directions). ``compact``: as narrow as
    its content allows (for short tables of a few columns)."""
    head = "".join(
        f'<th class="{"text" if c.kind in ("text", "html") else "num"}"'
        f"{' data-nosort' if c.kind == 'html' else ''}"
        f"{f' title={chr(34)}{esc(c.tip)}{chr(34)}' if c.tip else ''}>{esc(c.label)}</th>"
        for c in cols
    )
    scales = [_bar_scale(c, rows) if c.bar else 1.0 for c in cols]
    body = "\n".join(
        "<tr>"
        + "".join(_cell(c, r.get(c.key), s) for c, s in zip(cols, scales, strict=True))
        + "</tr>"
        for r in rows
    )
    cls = "sortable" if sortable else "plain"
    wrap = "table-wrap" + (" tall" if max_height else "") + (" compact" if compact else "")
    return (
        f'<div class="{wrap}"><table id="{table_id}" class="{cls}"><thead><tr>{head}</tr>'
        f"</thead><tbody>\n{body}\n</tbody></table></div>"
    )


def cards_html(items: Iterable[tuple[str, Any, Any]]) -> str:
    """Headline cards: ``(label, value, interval or None)``; the interval's ``low`` and
    ``high`` are shown under the value. Labels are escaped here."""
    out = []
    for label, value, ci in items:
        sub = ""
        if ci is not None:
            sub = f'<div class="ci">[{fmt(ci.low)}, {fmt(ci.high)}]</div>'
        out.append(
            f'<div class="card"><div class="name">{esc(label)}</div>'
            f'<div class="value">{fmt(value)}</div>{sub}</div>'
        )
    return f'<div class="cards">{"".join(out)}</div>'


# -- the page ----------------------------------------------------------------------------------

_CSS = """
:root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--tp:#009E73;--fp:#D55E00;
--fn:#0072B2;--ign:#999999;--accent:#E69F00}
*{box-sizing:border-box}
body{margin:0;font-family:FONT;color:var(--ink);background:var(--bg);font-size:15px;
line-height:1.45}
header.top{background:#24292f;color:#fff;padding:18px 24px}
header.top h1{margin:0;font-size:22px;font-weight:600;overflow-wrap:anywhere}
header.top .meta{margin:4px 0 0;color:#d0d7de;font-size:13px}
nav.toc{position:sticky;top:0;z-index:10;background:#fff;border-bottom:1px solid var(--line);
padding:8px 24px;overflow-x:auto;white-space:nowrap;font-size:14px}
nav.toc a{margin-right:18px;color:var(--fn);text-decoration:none}
nav.toc a:hover{text-decoration:underline}
main{max-width:1240px;margin:0 auto;padding:8px 24px 48px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 20px;
margin:16px 0;scroll-margin-top:48px}
h2{margin:0 0 10px;font-size:18px;font-weight:600}
h3{margin:14px 0 6px;font-size:15px;font-weight:600}
p{margin:6px 0}
.note{color:var(--muted);font-size:13px}
code{font-size:12.5px;background:#f0f2f4;padding:1px 4px;border-radius:4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;
margin:8px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px}
.card .name{font-size:12.5px;color:var(--muted)}
.card .value{font-size:23px;font-weight:600;font-variant-numeric:tabular-nums}
.card .ci{font-size:12px;color:var(--muted);font-variant-numeric:tabular-nums}
.plot{width:100%;min-height:200px}
.table-wrap{overflow:auto;margin:6px 0;border:1px solid #eaeef2;border-radius:6px}
.table-wrap.tall{max-height:620px}
.table-wrap.compact{width:fit-content;max-width:100%}
.table-wrap.compact td.bar{min-width:160px}
.table-wrap.compact td.text{white-space:nowrap}
table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid #eaeef2;text-align:right;white-space:nowrap;
vertical-align:middle}
th{position:sticky;top:0;z-index:2;background:#f6f8fa;font-weight:600}
table.sortable th:not([data-nosort]){cursor:pointer;user-select:none}
table.sortable th:not([data-nosort]):hover{background:#eaeef2}
th[aria-sort=ascending]::after{content:" \\25B2";font-size:10px}
th[aria-sort=descending]::after{content:" \\25BC";font-size:10px}
.text{text-align:left}
td.text{white-space:normal;overflow-wrap:break-word;min-width:9ch;max-width:360px}
td.bar{position:relative;min-width:92px}
td.bar .b{position:absolute;left:0;top:50%;height:16px;margin-top:-8px;
background:rgba(0,114,178,.2);border-radius:2px}
td.bar .b.pos{left:50%;background:rgba(0,158,115,.3)}
td.bar .b.neg{left:auto;right:50%;background:rgba(213,94,0,.3)}
td.bar span{position:relative}
tbody tr:hover{background:#f6f8fa}
table.kv td{text-align:left;white-space:normal}
table.kv td:first-child{color:var(--muted);width:230px}
.thumbs{display:flex;gap:8px;flex-wrap:wrap}
.thumbs figure{margin:0}
.thumbs figcaption{font-size:11.5px;color:var(--muted)}
.thumbs img{display:block;border:1px solid var(--line);max-width:100%;height:auto}
img.labels{image-rendering:pixelated}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:13px;margin:6px 0}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;
vertical-align:-1px}
pre{background:#f6f8fa;border:1px solid #eaeef2;border-radius:6px;padding:8px;overflow:auto;
font-size:12px}
footer{color:var(--muted);font-size:12px;text-align:center;padding:0 0 24px}
@media (max-width:760px){main{padding:4px 8px 32px}section{padding:10px 12px}
header.top{padding:14px 12px}nav.toc{padding:8px 12px}.card .value{font-size:19px}}
""".replace("FONT", FONT)

_SCRIPT = """(function(){
var data=JSON.parse(document.getElementById("ioukit-figures").textContent);
var config={responsive:true,displaylogo:false,modeBarButtonsToRemove:["sendDataToCloud"]};
Object.keys(data).forEach(function(id){
  Plotly.newPlot(id,data[id].data,data[id].layout,config);
});
function key(cell){var v=cell.getAttribute("data-v");return v===null?cell.textContent:v;}
document.querySelectorAll("table.sortable").forEach(function(table){
  var heads=table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads,function(th,col){
    if(th.hasAttribute("data-nosort"))return;
    th.addEventListener("click",function(){
      var asc=th.getAttribute("aria-sort")!=="ascending";
      Array.prototype.forEach.call(heads,function(h){h.removeAttribute("aria-sort");});
      th.setAttribute("aria-sort",asc?"ascending":"descending");
      var numeric=th.classList.contains("num"),body=table.tBodies[0];
      var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){
        var x=key(a.cells[col]),y=key(b.cells[col]);
        if(numeric){
          var ex=(x===""),ey=(y==="");
          if(ex||ey)return ex===ey?0:(ex?1:-1);
          x=parseFloat(x);y=parseFloat(y);
          return asc?x-y:y-x;
        }
        var c=x.localeCompare(y,undefined,{numeric:true});
        return asc?c:-c;
      });
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
});
})();"""


def _hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@dataclass
class Page:
    """A report being assembled: sections in order, and the figures their plot slots draw."""

    title: str
    kind: str
    sections: list[tuple[str, str, str]] = field(default_factory=list)
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)

    def section(self, section_id: str, heading: str, body: str) -> None:
        """Add a section (``heading`` is escaped; ``body`` is markup built by the report)."""
        self.sections.append((section_id, heading, body))

    def plot(self, plot_id: str, data: list[dict[str, Any]], layout: dict[str, Any]) -> str:
        """Register a figure and return its slot, ``<div class="plot" id=plot_id>``."""
        if plot_id in self.figures:
            raise IoUKitError(f"Page.plot: duplicate plot id {plot_id!r} (a bug in the report)")
        height = int(layout.get("height", 420))
        self.figures[plot_id] = {"data": data, "layout": {**layout, "height": height}}
        return f'<div class="plot" id="{plot_id}" style="height:{height}px"></div>'

    def render(self, plotly: str, version: str) -> str:
        """The whole document."""
        now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
        nav = "".join(f'<a href="#{sid}">{esc(head)}</a>' for sid, head, _ in self.sections)
        body = "\n".join(
            f'<section id="{sid}"><h2>{esc(head)}</h2>\n{html_}\n</section>'
            for sid, head, html_ in self.sections
        )
        figures = script_json(self.figures)
        csp = (
            f"default-src 'none'; script-src {_hash(plotly)} {_hash(_SCRIPT)} 'unsafe-eval'; "
            "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; connect-src 'none'; "
            "base-uri 'none'; form-action 'none'"
        )
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="ioukit {esc(version)}">\n'
            f"<title>{esc(self.title)}</title>\n<style>{_CSS}</style></head>\n<body>\n"
            f'<header class="top"><h1>{esc(self.title)}</h1><p class="meta">'
            f"{esc(self.kind)} report · ioukit {esc(version)} · {esc(now)}</p></header>\n"
            f'<nav class="toc">{nav}</nav>\n<main>\n{body}\n</main>\n'
            "<footer>Made by ioukit: every number on this page comes from the library's "
            "result; the page only draws it. Self-contained: it loads nothing.</footer>\n"
            f"<script>{plotly}</script>\n"
            f'<script type="application/json" id="ioukit-figures">{figures}</script>\n'
            f"<script>{_SCRIPT}</script>\n</body></html>\n"
        )
