"""What ``ioukit segment`` prints (see :mod:`ioukit._cli_segment`): the per-class table and the
headline line (rich on a terminal, plain text otherwise), the conventions table, and the
markdown and CSV forms of the same rows.

Every number comes from the :class:`~ioukit.segmentation.SegmentationResult` (its
``per_class_rows()``, ``summary()``, ``conventions()``); here they are only laid out.
"""

from __future__ import annotations

import argparse
import json
from functools import cache
from typing import TYPE_CHECKING, Any

from ioukit._cli_output import (
    Summary,
    csv_text,
    markdown_table,
    number,
    plain_table,
    print_renderables,
    stdout_is_terminal,
)

if TYPE_CHECKING:
    from ioukit.evaluate import FolderEvaluation
    from ioukit.segmentation import SegmentationResult

__all__ = ["CSV_FIELDS", "summary"]

#: the columns of ``--format csv``: :meth:`SegmentationResult.per_class_rows`, in its order
CSV_FIELDS = (
    "id", "name", "iou", "dice", "precision", "recall", "support", "tp", "fp", "fn", "quality",
    "nan_reason",
)  # fmt: skip
_SCORES = (("IoU", "iou"), ("Dice", "dice"), ("Precision", "precision"), ("Recall", "recall"))
_HEADLINE = (
    ("mDice", "mdice"),
    ("aAcc", "pixel_accuracy"),
    ("mAcc", "mean_accuracy"),
    ("fwIoU", "fw_iou"),
)
_COLOURS = {"excellent": "green", "good": "yellow", "poor": "red"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}{'es' if word.endswith('s') else 's'}"


def _score(v: float | None, percent: bool) -> str:
    return number(v, 2, scale=100) if percent else number(v, 4)


def _title(result: SegmentationResult) -> str:
    ignore = ", ".join(map(str, result.ignore_index)) or "none"
    return (
        f"{_plural(len(result.image_names), 'image pair')} · "
        f"{_plural(result.num_classes, 'class')} · void (ignored) values: {ignore}"
    )


def _quality(row: dict[str, Any]) -> str:
    return f"n/a ({row['nan_reason']})" if row["nan_reason"] else str(row["quality"])


def _class_cells(result: SegmentationResult, percent: bool) -> list[list[str]]:
    return [
        [
            str(row["id"]),
            row["name"],
            *(_score(row[k], percent) for _, k in _SCORES),
            f"{row['support']:,}",
            _quality(row),
        ]
        for row in result.per_class_rows()
    ]


def _head(percent: bool) -> list[str]:
    unit = " (%)" if percent else ""
    return ["id", "class", *(h + unit for h, _ in _SCORES), "Support", "Quality"]


def _headline(result: SegmentationResult, args: argparse.Namespace) -> list[tuple[str, str]]:
    """(label, value) of the headline numbers: the chosen convention's mIoU first."""
    s = result.summary()
    out = [(f"mIoU ({args.convention})", _score(result.mean_iou(args.convention), args.percent))]
    return out + [(label, _score(s[key], args.percent)) for label, key in _HEADLINE]


def _conventions(result: SegmentationResult, percent: bool) -> list[list[str]]:
    """One row per convention: its name, its mIoU, what it computes (or why it cannot)."""
    from ioukit.core.conventions import CONVENTIONS

    values, notes = result.conventions(), result.convention_notes()
    rows = []
    for name, what in CONVENTIONS.items():
        if name in notes:  # a convention that cannot evaluate these counts, and why
            what = notes[name].split(": ", 1)[-1]
        rows.append([name, "n/a" if values[name] is None else _score(values[name], percent), what])
    return rows


def _plain(result: SegmentationResult, args: argparse.Namespace) -> None:
    """The table as plain text: for a file or a pipe (no colours, no boxes, nothing cut)."""
    from ioukit.core.conventions import CONVENTIONS

    print(_title(result))
    print(plain_table(_head(args.percent), _class_cells(result, args.percent), left=[1, 7]))
    (label, value), *rest = _headline(result, args)
    print("   ".join([f"mIoU {value} ({args.convention})", *(f"{n} {v}" for n, v in rest)]))
    print(f"{label}: {CONVENTIONS[args.convention]}")
    if args.all_conventions:
        print("\nThe mean IoU that each library reports, from the same counts")
        unit = " (%)" if args.percent else ""
        rows = _conventions(result, args.percent)
        print(plain_table(["convention", "mIoU" + unit, "what it computes"], rows, left=[0, 2]))


def _rich(result: SegmentationResult, args: argparse.Namespace) -> None:
    """The table with rich, on a terminal: coloured quality, names folded, never cut."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from ioukit.core.conventions import CONVENTIONS

    pct = args.percent
    table = Table(title=_title(result), box=box.SIMPLE_HEAD, title_justify="left")
    head = _head(pct)
    table.add_column(head[0], justify="right", style="dim", no_wrap=True)
    table.add_column(head[1], overflow="fold")
    for h in head[2:7]:
        table.add_column(h, justify="right", no_wrap=True)
    table.add_column(head[7], overflow="fold")
    for row, cells in zip(result.per_class_rows(), _class_cells(result, pct), strict=True):
        style = "dim" if row["nan_reason"] else _COLOURS.get(row["quality"], "")
        table.add_row(*cells[:-1], Text(cells[-1], style=style))
    out: list[Any] = [table]
    (label, value), *rest = _headline(result, args)
    line = Text()
    line.append(f"mIoU {value}", style="bold")
    line.append(f" ({args.convention})")
    for name, v in rest:
        line.append(f"   {name} {v}")
    out.append(line)
    out.append(Text(f"{label}: {CONVENTIONS[args.convention]}", style="dim"))
    if args.all_conventions:
        out.append("")
        conv = Table(
            title="The mean IoU that each library reports, from the same counts",
            box=box.SIMPLE_HEAD,
            title_justify="left",
        )
        conv.add_column("convention", no_wrap=True)
        conv.add_column("mIoU" + (" (%)" if pct else ""), justify="right", no_wrap=True)
        conv.add_column("what it computes", overflow="fold")
        for name, value, what in _conventions(result, pct):
            conv.add_row(name, value, what, style="bold" if name == args.convention else None)
        out.append(conv)
    print_renderables(out)


def _markdown(result: SegmentationResult, args: argparse.Namespace) -> str:
    unit = " (%)" if args.percent else ""
    metrics = [[label, value] for label, value in _headline(result, args)]
    if args.all_conventions:
        rows = _conventions(result, args.percent)
        metrics += [[f"mIoU ({name})", value] for name, value, _ in rows]
    parts = [
        f"**{_title(result)}**",
        markdown_table(["metric", "value" + unit], metrics),
        markdown_table(_head(args.percent), _class_cells(result, args.percent), left=[1, 7]),
    ]
    return "\n\n".join(parts) + "\n"


def summary(evaluation: FolderEvaluation, args: argparse.Namespace) -> Summary:
    """The four forms of ``evaluation`` on stdout; the JSON is the ``--json`` document."""
    result = evaluation.result

    @cache
    def document() -> str:
        return json.dumps(evaluation.to_dict(convention=args.convention), indent=2) + "\n"

    def table() -> None:
        try:
            terminal = stdout_is_terminal()
            import rich  # noqa: F401
        except ImportError:
            terminal = False
        if terminal:
            _rich(result, args)
        else:
            _plain(result, args)

    return Summary(
        table=table,
        json=document,
        csv=lambda: csv_text(result.per_class_rows(), CSV_FIELDS),
        markdown=lambda: _markdown(result, args),
    )
