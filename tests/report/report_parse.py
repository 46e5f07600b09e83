"""Read back what a report page holds, for the report tests: its tables (cells with their
``data-v`` sort keys), plot slots, figure JSON, scripts, images and Content-Security-Policy.

Parsed with the standard library's HTML parser, as a browser tokenises the page: text that a
test finds here as text is text in the browser too.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import numpy as np


@dataclass
class Cell:
    text: str
    value: str | None  # data-v
    html_imgs: list[str] = field(default_factory=list)

    @property
    def number(self) -> float:
        """The sort key as a float (NaN when the cell is empty: an undefined value)."""
        return math.nan if not self.value else float(self.value)


@dataclass
class Table:
    id: str
    classes: str
    headers: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)

    def column(self, header: str) -> list[Cell]:
        k = self.headers.index(header)
        return [r[k] for r in self.rows]


@dataclass
class Doc:
    html: str
    tables: dict[str, Table] = field(default_factory=dict)
    plots: list[str] = field(default_factory=list)
    scripts: list[tuple[dict[str, str], str]] = field(default_factory=list)
    imgs: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    csp: str = ""
    title: str = ""
    tags: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def figures(self) -> dict[str, Any]:
        (text,) = [t for a, t in self.scripts if a.get("id") == "ioukit-figures"]
        return json.loads(text)  # type: ignore[no-any-return]

    def text(self) -> str:
        """The page's visible text (outside scripts and styles)."""
        return _Text.of(self.html)


class _Parser(HTMLParser):
    def __init__(self, doc: Doc) -> None:
        super().__init__(convert_charrefs=True)
        self.doc = doc
        self.table: Table | None = None
        self.cell: Cell | None = None
        self.in_th = False
        self.th_text = ""
        self.script: tuple[dict[str, str], list[str]] | None = None
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.doc.tags.append((tag, a))
        if tag == "table":
            self.table = Table(a.get("id", ""), a.get("class", ""))
            self.doc.tables[self.table.id] = self.table
        elif tag == "tr" and self.table is not None:
            self.table.rows.append([])
        elif tag == "th":
            self.in_th, self.th_text = True, ""
        elif tag == "td" and self.table is not None:
            self.cell = Cell("", a.get("data-v"))
            self.table.rows[-1].append(self.cell)
        elif tag == "img":
            self.doc.imgs.append(a.get("src", ""))
            if self.cell is not None:
                self.cell.html_imgs.append(a.get("src", ""))
        elif tag == "div" and "plot" in a.get("class", "").split():
            self.doc.plots.append(a["id"])
        elif tag == "script":
            self.script = (a, [])
        elif tag == "section":
            self.doc.sections.append(a.get("id", ""))
        elif tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.doc.csp = a["content"]
        elif tag == "title":
            self.in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "th" and self.table is not None:
            self.in_th = False
            self.table.headers.append(self.th_text)
            if self.table.rows and not self.table.rows[-1]:
                self.table.rows.pop()  # the header row
        elif tag == "td":
            self.cell = None
        elif tag == "table":
            self.table = None
        elif tag == "script" and self.script is not None:
            self.doc.scripts.append((self.script[0], "".join(self.script[1])))
            self.script = None
        elif tag == "title":
            self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.script is not None:
            self.script[1].append(data)
        elif self.in_th:
            self.th_text += data
        elif self.cell is not None:
            self.cell.text += data
        if self.in_title:
            self.doc.title += data


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        p = cls()
        p.feed(html)
        return "".join(p.parts)


def parse(html: str) -> Doc:
    doc = Doc(html)
    p = _Parser(doc)
    p.feed(html)
    p.close()
    # every table row has one cell per header
    for t in doc.tables.values():
        t.rows = [r for r in t.rows if r]
    return doc


def csp_hashes(doc: Doc) -> set[str]:
    """The sha256 sources the page's policy allows."""
    (script_src,) = [d for d in doc.csp.split(";") if d.strip().startswith("script-src")]
    return {s.strip("'")[len("sha256-") :] for s in script_src.split() if s.startswith("'sha256-")}


def sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def decode_image(uri: str) -> np.ndarray:
    """A ``data:`` URI image as an (H, W, 3) uint8 array."""
    from PIL import Image

    head, payload = uri.split(",", 1)
    assert head in ("data:image/png;base64", "data:image/jpeg;base64"), head
    with Image.open(io.BytesIO(base64.b64decode(payload))) as im:
        return np.asarray(im.convert("RGB"))


def rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
