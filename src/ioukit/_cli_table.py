"""How the commands lay out a table on stdout: fitted to a terminal, whole in a file.

On a terminal, a table never grows wider than the terminal and never cuts a cell: the text
columns (names) wrap at word breaks, then whole columns are left out, with a note that names
them and says where to see them (``--format csv`` or ``json``, a wider terminal). The number
columns never wrap. To a file or a pipe, which has no width, everything is printed as plain
text: no colours, no box drawing, whatever ``COLUMNS`` says. Nothing here computes a number.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Layout",
    "Screen",
    "Segments",
    "fit_columns",
    "plain_table",
    "print_table",
    "stdout_is_terminal",
    "table_lines",
    "terminal_width",
    "wrap_words",
]

#: where a word may break: after one of these, before a letter (never inside a number)
_PIECE = re.compile(r".+?(?:(?<=[^\W_])[-_/(=,](?=[^-_/(=,\d\s])|$)")
_GAP = "  "


def _pieces(word: str) -> list[str]:
    return _PIECE.findall(word) or [word]


def wrap_words(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken at spaces and after ``-``,
    ``_``, ``/``, ``(``, ``=`` or ``,`` before a letter; never inside a number or a word (a
    piece wider than ``width`` stays whole on its own line).

    >>> wrap_words("motorcycle-ridden-by-person 23,956,547", 12)
    ['motorcycle-', 'ridden-by-', 'person', '23,956,547']
    """
    lines: list[str] = []
    line = ""
    for word in text.split():
        for k, piece in enumerate(_pieces(word)):
            joined = line + (" " if line and k == 0 else "") + piece
            if line and len(joined) > width:
                lines.append(line)
                joined = piece
            line = joined
    return [*lines, line] if line or not lines else lines


def _narrowest(text: str, wraps: bool) -> int:
    """The least width that shows ``text`` whole: its widest piece, or all of it."""
    if not wraps:
        return len(text)
    return max((len(p) for w in text.split() for p in _pieces(w)), default=0)


@dataclass(frozen=True)
class Layout:
    """The columns shown (their positions) at their widths, and the columns left out."""

    shown: list[int]
    widths: list[int]
    dropped: list[int]


def fit_columns(
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    left: Iterable[int],
    width: int | None,
    drop: Sequence[int] | None = None,
) -> Layout:
    """Widths of the columns in ``width`` characters (``None``: no limit, every column at its
    widest cell). The ``left`` columns (text) may wrap at word breaks, the others (numbers)
    never; headers wrap at word breaks. When even the narrowest layout is too wide, columns are
    left out in the order ``drop`` (by default from the right, never the first two).

    >>> fit_columns(["class", "IoU", "Support"], [["traffic light", "0.5", "23,956,547"]],
    ...             left=[0], width=24)
    Layout(shown=[0, 1, 2], widths=[7, 3, 10], dropped=[])
    """
    at_left = set(left)
    n = len(head)
    natural = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    least = [
        max(_narrowest(head[j], True), *(_narrowest(r[j], j in at_left) for r in rows))
        for j in range(n)
    ]
    shown = list(range(n))
    order = list(drop) if drop is not None else list(range(n - 1, 1, -1))
    if width is None:
        return Layout(shown, natural, [])
    dropped = []

    def total(widths: Iterable[int]) -> int:
        ws = list(widths)
        return sum(ws) + len(_GAP) * (len(ws) - 1)

    while total(least[j] for j in shown) > width and order:
        j = order.pop(0)
        shown.remove(j)
        dropped.append(j)
    widths = [natural[j] for j in shown]
    while total(widths) > width:  # narrow the widest column that can still give
        k = max(range(len(shown)), key=lambda i: widths[i] - least[shown[i]])
        if widths[k] <= least[shown[k]]:
            break
        widths[k] -= 1
    return Layout(shown, widths, dropped)


Segments = list[tuple[str, str | None]]  # one line of (text, rich style) pieces


def table_lines(
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    left: Iterable[int],
    layout: Layout,
    styles: Sequence[Mapping[int, str]] = (),
) -> list[Segments]:
    """The lines of the table laid out as ``layout`` says: the header (bold), a rule when
    ``styles`` are drawn (a terminal), then each row, its cells wrapped to their columns and
    styled by ``styles[row][column]``; two spaces between columns, nothing at line ends."""
    at_left = set(left)
    out: list[Segments] = []
    for r, line in enumerate([head, *rows]):
        cells = [wrap_words(line[j], w) for j, w in zip(layout.shown, layout.widths, strict=True)]
        style = dict(styles[r - 1]) if 0 < r <= len(styles) else {}
        for i in range(max(len(c) for c in cells)):
            segs: Segments = []
            for k, (j, w) in enumerate(zip(layout.shown, layout.widths, strict=True)):
                text = cells[k][i] if i < len(cells[k]) else ""
                text = text.ljust(w) if j in at_left else text.rjust(w)
                segs.append((_GAP if k else "", None))
                segs.append((text, "bold" if r == 0 else style.get(j)))
            out.append(_rstrip(segs))
    return out


def _rstrip(segs: Segments) -> Segments:
    while segs and not segs[-1][0].rstrip():
        segs.pop()
    if segs:
        segs[-1] = (segs[-1][0].rstrip(), segs[-1][1])
    return segs


def plain_table(head: Sequence[str], rows: Sequence[Sequence[str]], *, left: Iterable[int]) -> str:
    """Columns padded to their widest cell, two spaces apart; the columns at positions
    ``left`` left-aligned, the others right-aligned; no padding at line ends, nothing cut.

    >>> print(plain_table(["id", "class", "IoU"], [["0", "road", "0.5000"]], left=[1]))
    id  class     IoU
     0  road   0.5000
    """
    left = list(left)
    layout = fit_columns(head, rows, left=left, width=None)
    lines = table_lines(head, rows, left=left, layout=layout)
    return "\n".join("".join(t for t, _ in segs) for segs in lines)


def terminal_width() -> int | None:
    """The width of stdout when it is a terminal (as rich sees it: ``COLUMNS``, else the
    terminal's size), ``None`` for a file or a pipe: it has no width, and gets everything."""
    try:
        from rich.console import Console
    except ImportError:
        return shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    console = Console()
    return console.width if console.is_terminal else None


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal (as rich sees it, when rich is installed)."""
    return terminal_width() is not None


class Screen:
    """stdout as the tables see it: on a terminal, lines fitted to its width (never wider)
    and styled with rich when it is installed; to a file or a pipe, plain text, whole."""

    def __init__(self) -> None:
        self.width = terminal_width()
        self._console: Any = None
        if self.width is not None:
            try:
                from rich.console import Console
            except ImportError:
                pass
            else:
                self._console = Console(highlight=False)

    @property
    def styled(self) -> bool:
        return self._console is not None

    def line(self, segs: Segments) -> None:
        """One line (already fitted) of styled pieces."""
        if self._console is None:
            print("".join(t for t, _ in segs).rstrip())
            return
        from rich.text import Text

        self._console.print(Text.assemble(*((t, s or "") for t, s in segs)), soft_wrap=True)

    def text(self, text: str, style: str | None = None) -> None:
        """A paragraph, wrapped at word breaks on a terminal (each line indented as the
        paragraph)."""
        indent = text[: len(text) - len(text.lstrip())]
        lines = [text] if self.width is None else wrap_words(text, self.width - len(indent))
        for line in lines:
            self.line([(indent + line.lstrip(), style)])

    def items(self, items: Sequence[Segments], sep: str = "   ") -> None:
        """Short groups (``label value``) on one line, or on as many as a terminal needs:
        a group is never split."""
        line: Segments = []
        for item in items:
            size = sum(len(t) for t, _ in line) + len(sep) + sum(len(t) for t, _ in item)
            if line and self.width is not None and size > self.width:
                self.line(line)
                line = []
            line = [*line, (sep, None), *item] if line else list(item)
        self.line(line)

    def table(
        self,
        title: str,
        head: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        left: Iterable[int],
        drop: Sequence[int] | None = None,
        styles: Sequence[Mapping[int, str]] = (),
    ) -> None:
        """``title``, then the table fitted (see :func:`fit_columns`), then a note naming the
        columns left out, if any, and where to see them. A table that cannot fit even so
        (``drop`` empty) is printed as a list: each row's first cell, then ``column: cell``
        lines, wrapped."""
        left = list(left)
        layout = fit_columns(head, rows, left=left, width=self.width, drop=drop)
        if title:
            self.text(title, "bold" if self.styled else None)
            print()
        wide = sum(layout.widths) + len(_GAP) * (len(layout.widths) - 1)
        if self.width is not None and wide > self.width:  # not even one word a line: a list
            for row in rows:
                self.text(row[0], "bold" if self.styled else None)
                for j in layout.shown[1:]:
                    self.text(f"  {' '.join(head[j].split())}: {row[j]}")
            return
        lines = table_lines(head, rows, left=left, layout=layout, styles=styles)
        rows_at = len(table_lines(head, [], left=left, layout=layout))
        for i, segs in enumerate(lines):
            if i == rows_at and self.styled:
                self.line([("\N{BOX DRAWINGS LIGHT HORIZONTAL}" * wide, "dim")])
            self.line(segs)
        if layout.dropped:
            names = ", ".join(" ".join(head[j].split()) for j in sorted(layout.dropped))
            self.text(
                f"Not shown at {self.width} columns: {names}. See them with --format csv or "
                "--format json, or in a wider terminal.",
                "yellow" if self.styled else None,
            )


def print_table(
    title: str,
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    left: Iterable[int],
    footnote: str = "",
    drop: Sequence[int] | None = None,
) -> None:
    """Print a table on stdout after a blank line, then ``footnote``: on a terminal fitted to
    its width (names wrapped, then columns left out with a note, never a cell cut; with rich,
    the first column dim), to a file or a pipe as :func:`plain_table` (it has no width)."""
    screen = Screen()
    print()
    dim = [{0: "dim"}] * len(rows) if screen.styled else []
    screen.table(title, head, rows, left=left, drop=drop, styles=dim)
    if footnote:
        screen.text(footnote, "dim")
