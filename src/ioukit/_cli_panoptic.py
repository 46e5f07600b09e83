"""``ioukit panoptic GT.json GT_DIR PRED.json PRED_DIR``: panoptic quality from the command line.

A thin face over :func:`ioukit.panoptic_quality`, which reads the files, evaluates the images in
worker processes and computes every number, the printed table (``PanopticResult.summary()``),
the per-category rows and the JSON document (``to_dict()``), and over
:func:`ioukit.report.write_html` (``--html``). Here: the options, the progress bar (stderr, on a
terminal), the messages, the markdown form of the table and the exit codes of :mod:`ioukit.cli`
(0 success, 1 bad input files or data, each problem named, 2 usage error, 130 interrupted, 141
stdout closed early).
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ioukit._cli_engine import add_engine_options, engine
from ioukit._cli_output import (
    PROG,
    Summary,
    UsageError,
    add_display_options,
    add_report_options,
    check_output_folders,
    check_report_options,
    csv_text,
    exit_codes,
    markdown_table,
    number,
    show,
    write,
    write_report,
)
from ioukit._cli_table import Screen, terminal_width
from ioukit._errors import ParameterError

if TYPE_CHECKING:
    from ioukit.panoptic import PanopticResult

__all__ = ["add_parser"]

_NAME = "panoptic"
_DESCRIPTION = """\
Panoptic quality (PQ, SQ, RQ for All, Things and Stuff, and per category with
TP/FP/FN) of COCO panoptic predictions: a JSON file of annotations
{image_id, file_name, segments_info} and a folder of RGB PNGs (id = R + 256 G +
256^2 B) each, for the ground truth and the prediction. Identical to
panopticapi's pq_compute by default; every bad image (no prediction, PNG ids
missing from segments_info or the reverse, unknown categories, size
mismatches, non-RGB PNGs) is listed by file name and fails the run, unless
--skip-bad."""
_EPILOG = (
    exit_codes("bad input files or data (each problem listed by file)")
    + """

examples:
  ioukit panoptic panoptic_val2017.json panoptic_val2017/ \\
      results.json results/ --json pq.json --per-category pq.csv
  ioukit panoptic gt.json gt/ pred.json pred/ --html pq.html --format markdown > pq.md"""
)
_FIELDS = ("category_id", "name", "isthing", "pq", "sq", "rq", "tp", "fp", "fn", "iou_sum")
_WORDS = (
    ('pass on_bad="skip"', "rerun with --skip-bad"),
    ("convention=", "--convention "),
    ("`workers`", "--workers"),
    ("`boundary`", "--boundary"),
)


def add_parser(sub: Any) -> None:
    """Register the ``panoptic`` subcommand (its options and its handler).

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="ioukit")
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["panoptic", "gt.json", "gt", "pred.json", "pred"])
    >>> args.convention, args.aggregation, args.pq_dagger, args.workers, args.boundary
    ('panopticapi', 'dataset', False, None, None)
    """
    pan = sub.add_parser(
        _NAME,
        help="panoptic quality (PQ/SQ/RQ) of COCO panoptic PNG + JSON predictions",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    pan.add_argument("gt_json", metavar="GT.json", help="COCO panoptic ground truth JSON")
    pan.add_argument("gt_dir", metavar="GT_DIR", help="folder of the ground-truth PNGs")
    pan.add_argument("pred_json", metavar="PRED.json", help="COCO panoptic prediction JSON")
    pan.add_argument("pred_dir", metavar="PRED_DIR", help="folder of the predicted PNGs")
    g = pan.add_argument_group("evaluation")
    g.add_argument(
        "--convention",
        choices=("panopticapi", "ioukit"),
        default="panopticapi",
        help="panopticapi: its numbers bit for bit (ground-truth areas from the JSON, one "
        "crowd region per category) (default); ioukit: areas counted in the PNGs, every crowd "
        "region",
    )
    g.add_argument(
        "--pq-dagger", action="store_true", help="PQ-dagger (Porzi et al.) for stuff categories"
    )
    g.add_argument(
        "--aggregation",
        choices=("dataset", "image"),
        default="dataset",
        help="headline scores from the summed counts (default) or the mean of per-image scores",
    )
    g.add_argument(
        "--boundary",
        type=float,
        default=None,
        metavar="RATIO",
        help="Boundary PQ (boundary-iou-api): the IoU of each pair is min(mask IoU, boundary "
        "IoU), bands of width RATIO x the image diagonal (0.02 for COCO, 0.005 for Cityscapes)",
    )
    g.add_argument(
        "--skip-bad",
        action="store_true",
        help="evaluate the good images and record the problems (exit code 0)",
    )
    add_engine_options(g)
    g = pan.add_argument_group("output")
    g.add_argument(
        "--json",
        metavar="FILE",
        help="write everything as JSON to FILE (the result's to_dict(), with the per-image "
        "state that `ioukit compare` reads)",
    )
    g.add_argument("--per-category", metavar="FILE.csv", help="write the per-category table as CSV")
    add_display_options(g)
    add_report_options(pan.add_argument_group("report"))
    pan.set_defaults(func=_evaluate)


def _words(message: str) -> str:
    message = message.removeprefix("panoptic_quality: ")
    for api, option in _WORDS:
        message = message.replace(api, option)
    return message


def _evaluate(args: argparse.Namespace) -> int:
    from ioukit._cli_progress import progress_bar
    from ioukit.panoptic import PanopticProblemsError, panoptic_quality
    from ioukit.panoptic._files import format_problems

    check_output_folders(args, ("json", "per_category", "html"))
    check_report_options(args)
    progress = progress_bar(args, _NAME, unit="images")
    try:
        with engine(args, _NAME) as executor:
            result = panoptic_quality(
                args.gt_json,
                args.gt_dir,
                args.pred_json,
                args.pred_dir,
                convention=args.convention,
                pq_dagger=args.pq_dagger,
                aggregation=args.aggregation,
                boundary=args.boundary,
                on_bad="skip" if args.skip_bad else "fail",
                workers=args.workers,
                progress=progress,
                executor=executor,
            )
    except ParameterError as exc:
        raise UsageError(_words(str(exc))) from None
    except PanopticProblemsError as exc:
        print(f"{PROG} {_NAME}: error: {_words(str(exc))}", file=sys.stderr)
        return 1
    finally:
        if progress is not None:
            progress.stop()

    @cache
    def document() -> str:
        doc = result.to_dict()
        doc["command"] = _NAME
        doc["inputs"] = {
            k: str(Path(getattr(args, k)).resolve())
            for k in ("gt_json", "gt_dir", "pred_json", "pred_dir")
        }
        return json.dumps(doc, indent=2) + "\n"

    @cache
    def rows() -> str:
        return csv_text(result.per_category(), _FIELDS)

    if args.json:
        write(args.json, document())
    if args.per_category:
        write(args.per_category, rows())
    if args.html:
        write_report(result, args)
    if result.problems:
        print(
            f"{PROG} {_NAME}: warning: {len(result.problems)} image(s) skipped (--skip-bad); "
            f"{len(result.image_names)} evaluated:\n{format_problems(result.problems)}",
            file=sys.stderr,
        )

    def table() -> None:
        _table(result, args)

    show(args, Summary(table, document, rows, lambda: _markdown(result, args)))
    return 0


def _title(result: PanopticResult, args: argparse.Namespace) -> str:
    return (
        f"{len(result.image_names)} image(s), convention {args.convention}"
        + (", PQ-dagger" if args.pq_dagger else "")
        + (", per-image mean" if args.aggregation == "image" else "")
        + (f", Boundary PQ (ratio {args.boundary})" if args.boundary is not None else "")
    )


_GROUP_HEAD = ["", "PQ", "SQ", "RQ", "N"]
_CATEGORY_HEAD = ["category", "kind", "PQ", "SQ", "RQ", "TP", "FP", "FN"]


def _table(result: PanopticResult, args: argparse.Namespace) -> None:
    """``result.summary()`` under the title; on a terminal narrower than its lines, the same
    numbers as tables fitted to it (see :class:`~ioukit._cli_table.Screen`)."""
    text = _title(result, args) + "\n" + result.summary()
    width = terminal_width()
    if width is None or all(len(line) <= width for line in text.splitlines()):
        sys.stdout.write(text)
        return
    screen = Screen()
    groups, cats = _cells(result)
    screen.text(_title(result, args), "bold" if screen.styled else None)
    screen.table("", _GROUP_HEAD, groups, left=[0])
    print()
    screen.table("", _CATEGORY_HEAD, cats, left=[0, 1])


def _markdown(result: PanopticResult, args: argparse.Namespace) -> str:
    """The table of PQ, SQ, RQ (in %) for All, Things and Stuff, and the per-category rows,
    as GitHub markdown (the numbers of ``result.summary()``)."""
    groups, cats = _cells(result)
    parts = [
        f"**{_title(result, args)}**",
        markdown_table(_GROUP_HEAD, groups),
        markdown_table(_CATEGORY_HEAD, cats, left=[0, 1]),
    ]
    return "\n\n".join(parts) + "\n"


def _cells(result: PanopticResult) -> tuple[list[list[str]], list[list[str]]]:
    """The cells of the groups' table and of the per-category table (scores in %)."""
    groups = [
        [group, *(number(s[k], 1, scale=100) for k in ("pq", "sq", "rq")), str(int(s["n"]))]
        for group, s in result.scores.items()
    ]
    cats = [
        [
            row["name"],
            "thing" if row["isthing"] else "stuff",
            *(number(row[k], 1, scale=100) for k in ("pq", "sq", "rq")),
            *(str(row[k]) for k in ("tp", "fp", "fn")),
        ]
        for row in result.per_category()
    ]
    return groups, cats
