"""What ``ioukit segment`` prints (see :mod:`ioukit._cli_segment`): the per-class table and the
headline line (rich on a terminal, plain text otherwise), the conventions table, and the
markdown and CSV forms of the same rows.

Every number comes from the :class:`~ioukit.segmentation.SegmentationResult` (its
``per_class_rows()``, ``summary()``, ``conventions()``); here they are only laid out.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from ioukit._cli_output import Summary, csv_text, markdown_table, number
from ioukit._cli_table import Screen, Segments
from ioukit._quality_bands import describe_quality_bands

if TYPE_CHECKING:
    from ioukit.evaluate import FolderEvaluation
    from ioukit.segmentation import SegmentationResult

__all__ = ["CSV_FIELDS", "band_colours", "summary"]

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


#: the colours of the quality bands on a terminal, best first, by the number of bands
_PALETTES = {
    2: ("green", "red"),
    3: ("green", "yellow", "red"),
    4: ("green", "yellow", "dark_orange", "red"),
    5: ("green", "chartreuse3", "yellow", "dark_orange", "red"),
}
#: the columns left out first on a narrow terminal (the class and its IoU stay)
_DROP = (5, 4, 3, 0, 6, 7)


def band_colours(bands: Sequence[tuple[float, str]]) -> dict[str, str]:
    """A colour for each band name, green (best) to red (``poor``).

    >>> band_colours([(0.95, "excellent"), (0.7, "good")])
    {'excellent': 'green', 'good': 'yellow', 'poor': 'red'}
    """
    names = [name for _, name in bands] + ["poor"]
    return dict(zip(names, _PALETTES[len(names)], strict=True))


def _table(result: SegmentationResult, args: argparse.Namespace) -> None:
    """The per-class table and the headline, fitted to a terminal (names wrapped, then columns
    left out with a note; quality coloured) or whole as plain text for a file or a pipe."""
    from ioukit.core.conventions import CONVENTIONS

    screen = Screen()
    pct = args.percent
    colours = band_colours(result.quality_bands)
    styles = [
        {0: "dim", 7: "dim" if row["nan_reason"] else colours.get(row["quality"], "")}
        for row in result.per_class_rows()
    ]
    cells = _class_cells(result, pct)
    screen.table(_title(result), _head(pct), cells, left=[1, 7], drop=_DROP,
                 styles=styles if screen.styled else ())  # fmt: skip
    print()
    (label, value), *rest = _headline(result, args)
    bold = "bold" if screen.styled else None
    items: list[Segments] = [[(f"mIoU {value}", bold), (f" ({args.convention})", None)]]
    screen.items(items + [[(f"{n} {v}", None)] for n, v in rest])
    screen.text(f"{label}: {CONVENTIONS[args.convention]}", "dim" if screen.styled else None)
    screen.text(
        f"quality: {describe_quality_bands(result.quality_bands)}", "dim" if screen.styled else None
    )
    if args.all_conventions:
        print()
        unit = " (%)" if pct else ""
        rows = _conventions(result, pct)
        chosen = [{0: "bold", 1: "bold"} if r[0] == args.convention else {} for r in rows]
        screen.table(
            "The mean IoU that each library reports, from the same counts",
            ["convention", "mIoU" + unit, "what it computes"],
            rows,
            left=[0, 2],
            drop=(),
            styles=chosen if screen.styled else (),
        )


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
        _table(result, args)

    return Summary(
        table=table,
        json=document,
        csv=lambda: csv_text(result.per_class_rows(), CSV_FIELDS),
        markdown=lambda: _markdown(result, args),
    )
