"""``ioukit cityscapes PRED_DIR GT_DIR``: Cityscapes IoU/iIoU and instance AP.

A thin face over :func:`ioukit.cityscapes.cityscapes_pixel_level` and
:func:`ioukit.cityscapes.cityscapes_instance_level`, which compute every number. Here: the
options, the tables and the exit codes of :mod:`ioukit.cli` (0 success, 1 bad input files or
data, 2 usage error, 130 interrupted).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from ioukit.cli import PROG, UsageError, _keep_exit_code

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
_EPILOG = """\
exit codes:
  0    success
  1    bad input files or data (the message names the file)
  2    usage error
  130  interrupted (Ctrl-C)

example:
  ioukit cityscapes results/ gtFine/val/ --json summary.json"""


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
    p.add_argument("--json", metavar="FILE", help="write the numbers to FILE as JSON")
    p.set_defaults(func=_cityscapes)


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


def _cityscapes(args: argparse.Namespace) -> int:
    try:
        return _evaluate(args)
    except KeyboardInterrupt:
        _keep_exit_code()
        print(f"{PROG} cityscapes: interrupted.", file=sys.stderr)
        return 130


def _evaluate(args: argparse.Namespace) -> int:
    from ioukit.cityscapes import cityscapes_instance_level, cityscapes_pixel_level

    for name in ("pred_dir", "gt_dir"):
        if not Path(getattr(args, name)).is_dir():
            raise UsageError(f"{name.upper()} {getattr(args, name)!r} is not a folder.")
    if args.json is not None and not Path(args.json).resolve().parent.is_dir():
        raise UsageError(
            f"--json {args.json}: the folder {str(Path(args.json).parent)!r} does not exist."
        )
    if args.min_region_size < 0:
        raise UsageError(f"--min-region-size must be >= 0; got {args.min_region_size}.")
    pixel, instance = _levels(args)
    if not (pixel or instance):
        raise UsageError(f"PRED_DIR {args.pred_dir!r} holds no .png or .txt predictions.")
    doc: dict[str, Any] = {}
    out = []
    if pixel:
        r = cityscapes_pixel_level(args.pred_dir, args.gt_dir)
        doc["pixel_level"] = r.to_dict()
        out.append(_pixel_table(r))
    if instance:
        ri = cityscapes_instance_level(
            args.pred_dir, args.gt_dir, min_region_size=args.min_region_size
        )
        doc["instance_level"] = ri.to_dict()
        out.append(_instance_table(ri))
    if args.json:
        tmp = Path(args.json).with_name(Path(args.json).name + ".tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        tmp.replace(args.json)
    print("\n\n".join(out))
    return 0
