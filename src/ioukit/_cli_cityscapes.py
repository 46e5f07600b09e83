"""``ioukit cityscapes PRED_DIR GT_DIR``: Cityscapes IoU/iIoU and instance AP.

A thin face over :func:`ioukit.cityscapes.cityscapes_pixel_level` and
:func:`ioukit.cityscapes.cityscapes_instance_level`, which compute every number. Here: the
options, the tables (text, CSV, markdown) and the exit codes of :mod:`ioukit.cli` (0 success,
1 bad input files or data, 2 usage error, 130 interrupted, 141 stdout closed early).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from ioukit._cli_output import (
    Summary,
    UsageError,
    add_display_options,
    check_output_folders,
    csv_text,
    exit_codes,
    markdown_table,
    number,
    show,
    write,
)

__all__ = ["add_parser"]

_DESCRIPTION = """\
Cityscapes evaluation, identical to cityscapesScripts 2.3.0.
Pixel level (evalPixelLevelSemanticLabeling): class and category IoU and iIoU
of predicted label-id PNGs named <city>_<seq>_<frame>*.png, against
*_gtFine_labelIds.png and *_gtFine_instanceIds.png.
Instance level (evalInstanceLevelSemanticLabeling): AP and AP50 of one
<city>_<seq>_<frame>*.txt per image ('<mask png> <label id> <confidence>' per
line, paths relative to the .txt file) against *_gtFine_instanceIds.png.
By default each level runs when PRED_DIR holds its files."""
_EPILOG = (
    exit_codes("bad input files or data (the message names the file)")
    + """

examples:
  ioukit cityscapes results/ gtFine/val/ --json summary.json
  ioukit cityscapes results/ gtFine/val/ --only pixel --format csv > classes.csv"""
)


def add_parser(sub: Any) -> None:
    """Register the ``cityscapes`` subcommand (its options and its handler).

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of the ``ioukit`` parser.
    """
    p = sub.add_parser(
        "cityscapes",
        help="Cityscapes IoU/iIoU and instance AP of a results folder",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    p.add_argument("pred_dir", metavar="PRED_DIR", help="folder of predictions")
    p.add_argument("gt_dir", metavar="GT_DIR", help="folder of *_gtFine_* files")
    p.add_argument(
        "--only",
        choices=("pixel", "instance"),
        help="run only this level (default: each level whose files PRED_DIR holds)",
    )
    p.add_argument(
        "--min-region-size",
        type=int,
        default=100,
        metavar="N",
        help="GT instances under N pixels are no positives for AP (default: 100)",
    )
    g = p.add_argument_group("output")
    g.add_argument("--json", metavar="FILE", help="write the numbers to FILE as JSON")
    add_display_options(g)
    p.set_defaults(func=_evaluate)


def _levels(args: argparse.Namespace) -> tuple[bool, bool]:
    if args.only is not None:
        return args.only == "pixel", args.only == "instance"
    pred = Path(args.pred_dir)
    has_txt = any(pred.rglob("*.txt"))
    has_png = any(pred.rglob("*.png"))
    # PNGs beside .txt files may all be masks; pixel level then finds no prediction and fails
    pixel = has_png and (not has_txt or any(Path(args.gt_dir).rglob("*_gtFine_labelIds.png")))
    if has_txt and pixel:
        from ioukit.cityscapes.folders import read_instance_txt

        masks: set[Path] = set()
        for txt in pred.rglob("*.txt"):
            masks.update(read_instance_txt(txt, pred))
        pixel = any(p.resolve() not in masks for p in pred.rglob("*.png"))
    return pixel, has_txt


def _fmt(v: float) -> str:
    return "  nan" if math.isnan(v) else f"{v:5.3f}"


def _pixel_table(r: Any) -> str:
    lines = ["classes          IoU    iIoU", "-" * 30]
    for name, v in r.class_iou.items():
        lines.append(f"{name:<14} {_fmt(v)}   {_fmt(r.class_iiou.get(name, math.nan))}")
    lines += [
        "-" * 30,
        f"{'Score Average':<14} {_fmt(r.mean_class_iou)}   {_fmt(r.mean_class_iiou)}",
        "",
    ]
    lines += ["categories       IoU    iIoU", "-" * 30]
    for name, v in r.category_iou.items():
        lines.append(f"{name:<14} {_fmt(v)}   {_fmt(r.category_iiou.get(name, math.nan))}")
    lines += [
        "-" * 30,
        f"{'Score Average':<14} {_fmt(r.mean_category_iou)}   {_fmt(r.mean_category_iiou)}",
    ]
    return "\n".join(lines)


def _instance_table(r: Any) -> str:
    lines = ["classes           AP    AP50", "-" * 30]
    for name, v in r.class_ap.items():
        lines.append(f"{name:<14} {_fmt(v)}   {_fmt(r.class_ap50[name])}")
    lines += ["-" * 30, f"{'average':<14} {_fmt(r.mean_ap)}   {_fmt(r.mean_ap50)}"]
    return "\n".join(lines)


def _evaluate(args: argparse.Namespace) -> int:
    from ioukit._cli_progress import spinner
    from ioukit.cityscapes import cityscapes_instance_level, cityscapes_pixel_level

    for name in ("pred_dir", "gt_dir"):
        if not Path(getattr(args, name)).is_dir():
            raise UsageError(f"{name.upper()} {getattr(args, name)!r} is not a folder.")
    check_output_folders(args, ("json",))
    if args.min_region_size < 0:
        raise UsageError(f"--min-region-size must be >= 0; got {args.min_region_size}.")
    pixel, instance = _levels(args)
    if not (pixel or instance):
        raise UsageError(f"PRED_DIR {args.pred_dir!r} holds no .png or .txt predictions.")
    doc: dict[str, Any] = {}
    r = ri = None
    busy = spinner(args, "evaluating the pixel level\N{HORIZONTAL ELLIPSIS}")
    try:
        if pixel:
            r = cityscapes_pixel_level(args.pred_dir, args.gt_dir)
            doc["pixel_level"] = r.to_dict()
        if instance:
            busy.phase("evaluating the instance level\N{HORIZONTAL ELLIPSIS}")
            ri = cityscapes_instance_level(
                args.pred_dir, args.gt_dir, min_region_size=args.min_region_size
            )
            doc["instance_level"] = ri.to_dict()
    finally:
        busy.stop()
    text = json.dumps(doc, indent=2) + "\n"
    if args.json:
        write(args.json, text)

    def table() -> None:
        out = [] if r is None else [_pixel_table(r)]
        print("\n\n".join(out + ([] if ri is None else [_instance_table(ri)])))

    show(args, Summary(table, lambda: text, lambda: _csv(r, ri), lambda: _markdown(r, ri)))
    return 0


def _class_rows(r: Any, ri: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """The per-class rows of the levels that ran (pixel: IoU, iIoU; instance: AP, AP50), one
    per class of the pixel level (or of the instance level alone), and their columns."""
    fields = ["class"]
    names = list(r.class_iou) if r is not None else list(ri.class_ap)
    rows: list[dict[str, Any]] = [{"class": name} for name in names]
    for result, columns in ((r, ("iou", "iiou")), (ri, ("ap", "ap50"))):
        if result is None:
            continue
        fields += columns
        tables = (
            (result.class_iou, result.class_iiou) if columns[0] == "iou" else
            (result.class_ap, result.class_ap50)
        )  # fmt: skip
        for row in rows:
            for column, values in zip(columns, tables, strict=True):
                row[column] = values.get(row["class"])
    return fields, rows


def _csv(r: Any, ri: Any) -> str:
    fields, rows = _class_rows(r, ri)
    return csv_text(rows, fields)


_HEADS = {"class": "class", "iou": "IoU", "iiou": "iIoU", "ap": "AP", "ap50": "AP50"}


def _markdown(r: Any, ri: Any) -> str:
    """The means, the per-class rows and the per-category rows, as GitHub tables."""
    means = []
    if r is not None:
        means += [
            ["class IoU", number(r.mean_class_iou, 3)],
            ["class iIoU", number(r.mean_class_iiou, 3)],
            ["category IoU", number(r.mean_category_iou, 3)],
            ["category iIoU", number(r.mean_category_iiou, 3)],
        ]
    if ri is not None:
        means += [["AP", number(ri.mean_ap, 3)], ["AP50", number(ri.mean_ap50, 3)]]
    fields, rows = _class_rows(r, ri)
    cells = [  # blank: a class the level does not score; n/a: no ground truth to score
        [row["class"], *("" if row[f] is None else number(row[f], 3) for f in fields[1:])]
        for row in rows
    ]
    parts = [
        markdown_table(["metric", "value"], means),
        markdown_table([_HEADS[f] for f in fields], cells),
    ]
    if r is not None:
        cats = [
            [name, number(v, 3), number(r.category_iiou.get(name), 3)]
            for name, v in r.category_iou.items()
        ]
        parts.append(markdown_table(["category", "IoU", "iIoU"], cats))
    return "\n\n".join(parts) + "\n"
