"""``ioukit detect GT.json DT.json``: COCO AP/AR from the command line.

A thin face over :func:`ioukit.coco_evaluate`, which computes every number, the 12 summary
lines (:meth:`ioukit.COCOResult.summary`), the per-category rows and the JSON document
(:meth:`ioukit.COCOResult.to_dict`). Here: the options, reading the two files with messages that
say which file is wrong and where, the table, the output files and the exit codes (those of
:mod:`ioukit.cli`: 0 success, 1 bad input files or data, 2 usage error, 130 interrupted).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from pathlib import Path
from typing import Any

from ioukit._errors import InputError, ParameterError
from ioukit.cli import PROG, UsageError, _keep_exit_code, _print_captured

__all__ = ["add_parser"]

_NAME = "detect"
_COLUMNS = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR100")
_DASH = "\N{EN DASH}"
_FOOTNOTE = f"{_DASH} no ground truth for the category in that area range, or no such range"


_DESCRIPTION = """\
COCO AP and AR of a results file (a JSON list of {image_id, category_id, score,
bbox and/or segmentation}) against a COCO annotation file, identical to
pycocotools 2.0.11. Prints the 12 lines of COCOeval.summarize(), then AP, AP50,
AP75, APs, APm, APl and AR100 per category."""
_EPILOG = """\
exit codes: 0 success, 1 bad input files or data, 2 usage error, 130 interrupted

example:
  ioukit detect instances_val2017.json results.json --iou-type segm \\
      --json summary.json --per-category categories.csv"""


class _BadFile(Exception):
    """An input file that cannot be evaluated: exit code 1."""


# -- options ---------------------------------------------------------------------------------


def _max_dets(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(
            f"expected positive integers separated by commas, e.g. 1,10,100; got {text!r}"
        )
    return values


def _area_ranges(text: str) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for item in text.split(","):
        label, _, rng = item.partition("=")
        lo_text, _, hi_text = rng.partition(":")
        try:
            lo, hi = float(lo_text), float(hi_text)
        except ValueError:
            lo, hi = math.nan, math.nan
        if not label or label in out or not lo <= hi:
            raise argparse.ArgumentTypeError(
                "expected LABEL=LO:HI items separated by commas, with distinct labels and "
                f"LO <= HI, e.g. all=0:1e10,small=0:1024; got {item!r} in {text!r}"
            )
        out[label] = (lo, hi)
    return out


def add_parser(sub: Any) -> None:
    """Register the ``detect`` subcommand (its options and its handler).

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of the parser of :func:`ioukit.cli.main`.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="ioukit")
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["detect", "gt.json", "dt.json", "--max-dets", "1,10"])
    >>> args.iou_type, args.max_dets, args.area_ranges
    ('bbox', (1, 10), None)
    """
    det = sub.add_parser(
        _NAME,
        help="COCO detection / instance-segmentation AP and AR of a results file",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    det.add_argument("gt", metavar="GT.json", help="COCO annotation file (the ground truth)")
    det.add_argument("dt", metavar="DT.json", help="COCO results file (the detections)")
    det.add_argument(
        "--iou-type",
        default="bbox",
        choices=("bbox", "segm", "keypoints"),
        help="overlap of boxes, of masks, or keypoint OKS (default: bbox)",
    )
    det.add_argument(
        "--max-dets",
        type=_max_dets,
        default=None,
        metavar="N,N,...",
        help="detections kept per image and per category (default: 1,10,100; keypoints: 20)",
    )
    det.add_argument(
        "--area-ranges",
        type=_area_ranges,
        default=None,
        metavar="L=LO:HI,...",
        help="labelled object-area ranges, inclusive (default: all=0:1e10,small=0:1024,"
        "medium=1024:9216,large=9216:1e10)",
    )
    det.add_argument(
        "--json",
        metavar="FILE",
        help="write everything as JSON (stats, precision/recall arrays, per-category rows, "
        "summary, parameters, this command's configuration); - writes it to stdout instead "
        "of the tables",
    )
    det.add_argument(
        "--per-category", metavar="FILE.csv", help="write the per-category rows as CSV"
    )
    det.add_argument("-q", "--quiet", action="store_true", help="print no summary and no table")
    det.set_defaults(func=_detect)


# -- reading ---------------------------------------------------------------------------------


def _load(path: str, what: str) -> Any:
    """The JSON document of ``path``; a message that names the file (and line, column)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise _BadFile(f"{what} {path!r} does not exist.") from None
    except json.JSONDecodeError as e:
        raise _BadFile(
            f"{what} {path!r} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}."
        ) from None
    except UnicodeDecodeError as e:
        raise _BadFile(
            f"{what} {path!r} is not UTF-8 text: {e.reason} at byte {e.start}."
        ) from None
    except OSError as e:
        raise _BadFile(f"cannot read {what} {path!r}: {e.strerror or e}.") from None


def _kind(doc: Any) -> str:
    if isinstance(doc, dict):
        return "a JSON object"
    return "a JSON list" if isinstance(doc, list) else f"a JSON {type(doc).__name__}"


def _check(args: argparse.Namespace, gt: Any, dt: Any) -> None:
    """The shapes of the two documents, before the library reads their items."""
    swap = "did you swap GT.json and DT.json? (ground truth first, then results)"
    if isinstance(gt, list):
        raise _BadFile(
            f"GT.json {args.gt!r} is a JSON list (a results file?), not a COCO annotation "
            f"file: {swap}"
        )
    if isinstance(dt, dict) and "images" in dt and "annotations" in dt:
        raise _BadFile(f"DT.json {args.dt!r} is a COCO annotation file, not a results list: {swap}")
    if not isinstance(gt, dict):
        raise _BadFile(
            f"GT.json {args.gt!r} must be a COCO annotation file (a JSON object with 'images', "
            f"'annotations' and 'categories'); got {_kind(gt)}."
        )
    missing = [k for k in ("images", "annotations") if k not in gt]
    if missing:
        keys = ", ".join(map(repr, list(gt)[:8])) or "none"
        raise _BadFile(
            f"GT.json {args.gt!r} is not a COCO annotation file: no "
            f"{' and no '.join(map(repr, missing))} (its keys: {keys})."
        )
    if not isinstance(dt, list):
        raise _BadFile(
            f"DT.json {args.dt!r} must be a COCO results file (a JSON list of detections); "
            f"got {_kind(dt)}."
        )


def _cli_words(message: str, args: argparse.Namespace) -> str:
    """A library message in the words of the command line: which file."""
    message = message.removeprefix("coco_evaluate: ")
    for arg, name in (("gt", "GT.json"), ("dt", "DT.json")):
        if message.startswith(f"`{arg}"):
            return f"{name} {getattr(args, arg)!r}: {message}"
    return message


# -- the run ---------------------------------------------------------------------------------


def _detect(args: argparse.Namespace) -> int:
    try:
        return _evaluate(args)
    except KeyboardInterrupt:
        _keep_exit_code()
        print(f"{PROG} {_NAME}: interrupted.", file=sys.stderr)
        return 130
    except _BadFile as exc:
        print(f"{PROG} {_NAME}: error: {exc}", file=sys.stderr)
        return 1


def _evaluate(args: argparse.Namespace) -> int:
    from ioukit.detection.coco import coco_evaluate

    for option in ("json", "per_category"):  # fail now, not after the work
        out = getattr(args, option)
        if out not in (None, "-") and not Path(out).resolve().parent.is_dir():
            raise UsageError(
                f"--{option.replace('_', '-')} {out}: the folder {str(Path(out).parent)!r} "
                "does not exist."
            )
    gt, dt = _load(args.gt, "GT.json"), _load(args.dt, "DT.json")
    _check(args, gt, dt)
    try:
        result = coco_evaluate(
            gt, dt, iou_type=args.iou_type, max_dets=args.max_dets, area_ranges=args.area_ranges
        )
    except ParameterError as exc:
        raise UsageError(_cli_words(str(exc), args)) from None
    except InputError as exc:
        raise _BadFile(_cli_words(str(exc), args)) from None
    rows = result.per_category()
    if args.json:
        doc = result.to_dict()
        doc["command"] = {
            "command": f"{PROG} {_NAME}",
            "gt": args.gt,
            "dt": args.dt,
            "iou_type": args.iou_type,
            "max_dets": list(args.max_dets or result.params.max_dets),
            "area_ranges": None
            if args.area_ranges is None
            else {k: list(v) for k, v in args.area_ranges.items()},
        }
        _write(args.json, json.dumps(doc, indent=2) + "\n")
    if args.per_category:
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=["category_id", "name", *_COLUMNS])
        writer.writeheader()
        writer.writerows(rows)
        _write(args.per_category, text.getvalue())
    if not args.quiet and args.json != "-":
        sys.stdout.write(result.summary())
        _table(rows)
    return 0


def _write(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        return
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    tmp.replace(path)  # never half a file


# -- display ---------------------------------------------------------------------------------


def _cell(v: float) -> str:
    return _DASH if v == -1 else f"{v:.3f}"


def _table(rows: list[dict[str, Any]]) -> None:
    """The per-category table, with rich when it is installed, plain text otherwise."""
    title = f"{len(rows)} categor{'y' if len(rows) == 1 else 'ies'}"
    undefined = any(row[c] == -1 for row in rows for c in _COLUMNS)
    try:
        from rich import box
        from rich.table import Table
        from rich.text import Text
    except ImportError:
        cells = [
            [str(r["category_id"]), str(r["name"])] + [_cell(r[c]) for c in _COLUMNS] for r in rows
        ]
        head = ["id", "category", *_COLUMNS]
        widths = [max(len(x) for x in col) for col in zip(head, *cells, strict=True)]
        print(f"\n{title}")
        for line in [head, *cells]:
            text = [
                x.rjust(w) if j != 1 else x.ljust(w)
                for j, (x, w) in enumerate(zip(line, widths, strict=True))
            ]
            print("  ".join(text).rstrip())
        if undefined:
            print(_FOOTNOTE)
        return
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("id", justify="right", style="dim")
    table.add_column("category")
    for col in _COLUMNS:
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(str(r["category_id"]), str(r["name"]), *(_cell(r[c]) for c in _COLUMNS))
    out: list[Any] = ["", table]
    if undefined:
        out.append(Text(_FOOTNOTE, style="dim"))
    _print_captured(out)
