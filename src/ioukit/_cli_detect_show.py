"""What ``ioukit detect`` shows (see :mod:`ioukit._cli_detect`): the per-category table, and
the markdown form of the summary, the per-category rows and TIDE's errors.

Nothing here computes a number: the rows, the summaries and the JSON documents come from the
results of :func:`ioukit.coco_evaluate`, :func:`ioukit.lvis_evaluate` and :func:`ioukit.tide`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ioukit._cli_output import markdown_table, print_table
from ioukit._cli_table import Screen, terminal_width

__all__ = [
    "COLUMNS",
    "FOOTNOTE",
    "coco_headline",
    "markdown",
    "mib",
    "summaries",
    "table",
    "tide_markdown",
]

#: the numeric columns of the COCO table and CSV (``COCOResult.per_category``)
COLUMNS = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR100")
_DASH = "\N{EN DASH}"
FOOTNOTE = f"{_DASH} no ground truth for the category in that area range, or no such range"
#: one line of ``COCOResult.summary()``: AP or AR, then the IoU, the area and maxDets
_STAT_LINE = re.compile(r"\((A[PR])\) @\[ IoU=(\S+)\s*\| area=\s*(\S+) \| maxDets=\s*(-?\d+) \]")


def mib(path: str) -> str:
    """``name (45.5 MiB)``: a file's name and size, for the spinner."""
    name = Path(path).name
    try:
        return f"{name} ({os.path.getsize(path) / 2**20:.1f} MiB)"
    except OSError:
        return name


def _cell(v: float) -> str:
    return _DASH if v == -1 else f"{v:.3f}"


def _cells(
    rows: list[dict[str, Any]], columns: Sequence[str], labels: Sequence[tuple[str, str]]
) -> tuple[list[str], list[list[str]], bool]:
    """The header, the cells and whether a value is undefined (-1)."""
    head = [h for h, _ in labels] + list(columns)
    cells = [[str(r[k]) for _, k in labels] + [_cell(r[c]) for c in columns] for r in rows]
    return head, cells, any(row[c] == -1 for row in rows for c in columns)


def table(
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    labels: Sequence[tuple[str, str]] = (("id", "category_id"), ("category", "name")),
) -> None:
    """Print the per-category table on stdout: the ``labels`` columns (header, key; the first
    right-aligned), then ``columns`` with three decimals, a dash for -1.

    On a terminal, with rich when it is installed (fitted to the terminal's width, names
    folded); to a file or a pipe, as plain text, which has no width to fit: rich would cut
    LVIS's long category names to its default 80 columns."""
    title = f"{len(rows)} categor{'y' if len(rows) == 1 else 'ies'}"
    head, cells, undefined = _cells(rows, columns, labels)
    left = range(1, len(labels))
    print_table(title, head, cells, left=left, footnote=FOOTNOTE if undefined else "")


def summaries(
    texts: Sequence[str], headline: tuple[list[str], list[list[str]]], tide: Any = None
) -> None:
    """Print the summaries ``texts`` (the result's, then TIDE's) as they are, unless a line is
    wider than the terminal: then the ``headline`` table and TIDE's errors as tables fitted to
    it (never a number cut or a line wrapped by the terminal)."""
    width = terminal_width()
    if width is None or all(len(ln) <= width for t in texts for ln in t.splitlines()):
        sys.stdout.write("\n".join(texts))
        return
    screen = Screen()
    head = [{"maxDets": "max dets"}.get(h, h) for h in headline[0]]  # may wrap
    n = len(head)  # the value (last) stays; the columns before it go first
    screen.table("", head, headline[1], left=range(n - 1), drop=range(n - 2, 0, -1))
    if tide is not None:
        lines = texts[-1].splitlines()
        print()
        screen.text(lines[0], "bold" if screen.styled else None)
        screen.table("", ["error", "dAP", "count"], _tide_rows(tide), left=[0])
        screen.text(lines[-1])


def coco_headline(summary: str, stats: Sequence[float]) -> list[list[str]]:
    """The rows ``[AP|AR, IoU, area, maxDets, value]`` of the summary's lines (their labels)
    with the values of ``stats``.

    >>> line = " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.500"
    >>> coco_headline(line + "\\n", [0.5])
    [['AP', '0.50:0.95', 'all', '100', '0.500']]
    """
    out = []
    for line, value in zip(summary.splitlines(), stats, strict=True):
        found = _STAT_LINE.search(line)
        labels = list(found.groups()) if found else [line.split("=")[0].strip(), "", "", ""]
        out.append([*labels, _cell(float(value))])
    return out


def _tide_rows(analysis: Any) -> list[list[str]]:
    """``[error, dAP, count]`` of each main error, ``[error, dAP, ""]`` of the special ones."""
    rows = [[k, f"{v:.2f}", str(analysis.counts[k])] for k, v in analysis.main_errors.items()]
    return rows + [[k, f"{v:.2f}", ""] for k, v in analysis.special_errors.items()]


def tide_markdown(analysis: Any) -> str:
    """TIDE's errors as a GitHub table: dAP and count of each main error, dAP of the special
    ones (``analysis`` is a :class:`~ioukit.detection.tide.TIDEResult`)."""
    rows = _tide_rows(analysis)
    mode = "mask" if analysis.iou_type == "segm" else "bbox"
    title = (
        f"**TIDE {mode} AP @ {analysis.pos_threshold * 100:g}: {analysis.base_ap:.2f}** "
        f"({analysis.convention})"
    )
    return title + "\n\n" + markdown_table(["error", "dAP", "count"], rows)


def markdown(
    headline: tuple[list[str], list[list[str]]],
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    labels: Sequence[tuple[str, str]],
    extra: Sequence[str] = (),
) -> str:
    """The headline table (``(header, rows)``), the per-category table, then ``extra``
    blocks, as GitHub markdown; the footnote when a value is undefined."""
    head, cells, undefined = _cells(rows, columns, labels)
    parts = [
        markdown_table(headline[0], headline[1], left=[0]),
        f"**{len(rows)} categor{'y' if len(rows) == 1 else 'ies'}**",
        markdown_table(head, cells, left=range(1, len(labels))),
        *extra,
    ]
    if undefined:
        parts.append(FOOTNOTE)
    return "\n\n".join(parts) + "\n"
