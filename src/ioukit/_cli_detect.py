"""``ioukit detect GT.json DT.json``: COCO or LVIS AP/AR, and TIDE's errors, from the command line.

A thin face over :func:`ioukit.coco_evaluate`, :func:`ioukit.lvis_evaluate` and
:func:`ioukit.tide`, which compute every number, the summaries, the per-category rows and the
JSON documents (their results' ``summary()``, ``per_category()`` and ``to_dict()``), and over
:func:`ioukit.report.write_html` (``--html``). Here: the options, the messages that say which
file is wrong and where, and the exit codes (those of :mod:`ioukit.cli`: 0 success, 1 bad input
files or data, 2 usage error, 130 interrupted, 141 stdout closed early); the table and the
markdown are in :mod:`ioukit._cli_detect_show`, the formats and files in
:mod:`ioukit._cli_output`, the spinner in :mod:`ioukit._cli_progress`.

The files go to the library as paths, so each evaluation reads them with its compiled reader,
straight into columns (from 1 MiB on; smaller files are read with Python's ``json``). Parsing
them into Python objects here, once, and passing those would be slower, measured on
``benchmarks/coco_eval.py``'s 5,000-image bbox set (10 + 48 MB): ``json.load`` of the two files
alone takes 2.2 s, ``coco_evaluate`` then 1.4 s from the objects against 1.1 s from the paths,
and ``tide`` 2.7 s against 2.4 s. So ``--tide`` reads the files a second time. A file is parsed
here only after the library has refused it, to say what is wrong with it (not valid JSON, and
where; a results file given as the ground truth).
"""

from __future__ import annotations

import argparse
import json
import math
import mmap
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ioukit._cli_detect_show import COLUMNS as _COLUMNS
from ioukit._cli_detect_show import coco_headline, markdown, mib, summaries, table, tide_markdown
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
    json_text,
    show,
    write,
    write_report,
)
from ioukit._cli_progress import Spinner, spinner
from ioukit._errors import InputError, ParameterError

__all__ = ["add_parser"]

_NAME = "detect"
_CONVENTIONS = ("pycocotools", "ioukit")
_TIDE_CONVENTION = {"pycocotools": "tidecv", "ioukit": "ioukit"}
_LVIS_MARK = b'"not_exhaustive_category_ids"'  # a field that only LVIS files have


_DESCRIPTION = """\
COCO AP and AR of a results file (a JSON list of {image_id, category_id, score,
bbox and/or segmentation}) against a COCO annotation file, identical to
pycocotools 2.0.11: the 12 lines of COCOeval.summarize(), then AP, AP50, AP75,
APs, APm, APl and AR100 per category. --lvis: LVIS's federated AP (lvis-api
0.5.3), with APr/APc/APf and the category frequencies. --tide: TIDE's error
analysis (tidecv 1.0.1) after the COCO summary."""
_EPILOG = (
    exit_codes("bad input files or data (the message names the file)")
    + """

examples:
  ioukit detect instances_val2017.json results.json --iou-type segm --tide \\
      --json summary.json --per-category categories.csv --html report.html
  ioukit detect lvis_v1_val.json results.json --lvis --max-dets-per-category 10000
  ioukit detect gt.json dt.json --format markdown > ap.md

common mistakes:
  - results with image ids that are not images of GT.json (another split,
    renumbered ids): exit 1, naming the first such result
  - mask results without --iou-type segm: bbox (the default) scores the results'
    boxes (or the boxes around their masks), not the masks
  - an LVIS file without --lvis: COCO AP, without LVIS's federated rules (a
    warning says so); --lvis on a COCO file: exit 1, naming the missing field"""
)


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


def _ratio(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"expected a number > 0 (a fraction of the image diagonal, e.g. 0.02); got {text!r}"
        )
    return value


def _one_positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:  # one number, where --max-dets takes several
        raise argparse.ArgumentTypeError(f"expected one positive integer; got {text!r}")
    return value


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
    >>> args.iou_type, args.max_dets, args.area_ranges, args.lvis, args.tide
    ('bbox', (1, 10), None, False, False)
    """
    det = sub.add_parser(
        _NAME,
        help="COCO or LVIS detection / instance-segmentation AP and AR of a results file",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    det.add_argument("gt", metavar="GT.json", help="COCO or LVIS annotation file (ground truth)")
    det.add_argument("dt", metavar="DT.json", help="COCO results file (the detections)")
    g = det.add_argument_group("evaluation")
    g.add_argument(
        "--iou-type",
        default="bbox",
        choices=("bbox", "segm", "keypoints", "boundary"),
        help="overlap of boxes, of masks, keypoint OKS, or Boundary IoU (min of mask IoU and "
        "boundary-band IoU) (default: bbox)",
    )
    g.add_argument(
        "--boundary-dilation-ratio",
        type=_ratio,
        default=None,
        metavar="R",
        help="--iou-type boundary: band width as a fraction of the image diagonal (default: 0.02)",
    )
    g.add_argument(
        "--max-dets",
        type=_max_dets,
        default=None,
        metavar="N,N,...",
        help="detections kept per image and per category (default: 1,10,100; keypoints: 20); "
        "--lvis: one number, per image over all categories (default: 300)",
    )
    g.add_argument(
        "--area-ranges",
        type=_area_ranges,
        default=None,
        metavar="L=LO:HI,...",
        help="labelled object-area ranges, inclusive (default: all=0:1e10,small=0:1024,"
        "medium=1024:9216,large=9216:1e10)",
    )
    g.add_argument(
        "--convention",
        choices=_CONVENTIONS,
        default=None,
        help="pycocotools: its numbers bit for bit, quirks included (default); ioukit: its "
        "quirks fixed (exact thresholds such as 0.9, own ignore flags, empty results, ...: "
        "see coco_evaluate); with --tide, also tidecv's two bugs",
    )
    g.add_argument(
        "--per-image-cap",
        action="store_true",
        help="--max-dets caps each image's detections across its categories (the COCO "
        "challenge's wording) instead of per image and category",
    )
    g.add_argument(
        "--lvis",
        action="store_true",
        help="LVIS evaluation (lvis_evaluate): federated rules, APr/APc/APf; bbox or segm",
    )
    g.add_argument(
        "--max-dets-per-category",
        type=_one_positive_int,
        default=None,
        metavar="N",
        help="--lvis: the fixed AP (Dave et al. 2021; 10000 for LVIS): keep each category's N "
        "best detections over the dataset instead of a cap per image",
    )
    g.add_argument(
        "--tide",
        action="store_true",
        help="also print TIDE's error analysis (dAP per error type; bbox or segm)",
    )
    add_engine_options(det.add_argument_group("execution"), workers=False)
    g = det.add_argument_group("output")
    g.add_argument(
        "--json",
        metavar="FILE",
        help="write everything as JSON (the result's to_dict(), with the per-image state that "
        "`ioukit compare` reads, 'tide' with --tide, and this command's configuration); - "
        "writes it to stdout instead of the tables (as --format json)",
    )
    g.add_argument(
        "--per-category",
        metavar="FILE.csv",
        help="write the per-category rows as CSV; - writes them to stdout instead of the tables "
        "(as --format csv)",
    )
    add_display_options(g)
    add_report_options(det.add_argument_group("report"))
    det.set_defaults(func=_detect)


def _check_options(args: argparse.Namespace) -> None:
    """Combinations of options that cannot work: a usage error before any work."""
    for flag, on in (("--lvis", args.lvis), ("--tide", args.tide)):
        if on and args.iou_type not in ("bbox", "segm"):
            raise UsageError(
                f"{flag} takes --iou-type bbox or segm; got --iou-type {args.iou_type}."
            )
    if args.lvis and args.tide:
        raise UsageError(
            "--tide analyses a COCO evaluation and cannot be combined with --lvis (TIDE has no "
            "federated rules: detections of unverified categories would count as errors)."
        )
    if args.lvis and args.per_image_cap:
        raise UsageError("--per-image-cap is a COCO option; --lvis always caps per image.")
    if args.lvis and args.convention is not None:
        raise UsageError(
            "--convention chooses how COCO is evaluated; --lvis reproduces lvis-api 0.5.3 and "
            "has no other convention."
        )
    if args.lvis and args.max_dets is not None and len(args.max_dets) > 1:
        raise UsageError(
            "--lvis keeps one number of detections per image, all categories together "
            f"(LVIS's 300); --max-dets {','.join(map(str, args.max_dets))} gives "
            f"{len(args.max_dets)}: pass one number, e.g. --max-dets 300."
        )
    if args.max_dets_per_category is not None and not args.lvis:
        raise UsageError("--max-dets-per-category (LVIS's fixed AP) needs --lvis.")
    if args.max_dets_per_category is not None and args.max_dets is not None:
        raise UsageError(
            "--max-dets-per-category replaces the per-image cap of --max-dets: pass one of them."
        )
    if args.boundary_dilation_ratio is not None and args.iou_type != "boundary":
        raise UsageError(
            f"--boundary-dilation-ratio needs --iou-type boundary; got --iou-type {args.iou_type}."
        )
    if args.json == "-" and args.per_category == "-":
        raise UsageError("--json - and --per-category - would both write to stdout: pick one.")
    for option, fmt in (("json", "json"), ("per_category", "csv")):
        if getattr(args, option) == "-":
            if args.format not in (None, fmt):
                flag = f"--{option.replace('_', '-')} -"
                raise UsageError(
                    f"{flag} and --format {args.format} would both write to stdout: pick one."
                )
            args.format = fmt
    check_output_folders(args, ("json", "per_category", "html"))
    check_report_options(args)


# -- reading ---------------------------------------------------------------------------------


def _os_error(e: OSError, path: str, what: str) -> _BadFile:
    if isinstance(e, FileNotFoundError):
        return _BadFile(f"{what} {path!r} does not exist.")
    return _BadFile(f"cannot read {what} {path!r}: {e.strerror or e}.")


def _readable(path: str, what: str) -> None:
    """A file that can be opened: else exit 1 now, before the other file is read."""
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise _os_error(e, path, what) from None


def _load(path: str, what: str) -> Any:
    """The JSON document of ``path``; a message that names the file (and line, column)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise _BadFile(
            f"{what} {path!r} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}."
        ) from None
    except UnicodeDecodeError as e:
        raise _BadFile(
            f"{what} {path!r} is not UTF-8 text: {e.reason} at byte {e.start}."
        ) from None
    except OSError as e:
        raise _os_error(e, path, what) from None


def _has_lvis_fields(path: str) -> bool:
    """Whether the file holds LVIS's ``not_exhaustive_category_ids`` (a byte search, no
    parsing: 7 ms for 10 MB)."""
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m.find(_LVIS_MARK) >= 0
    except (OSError, ValueError):  # an empty file cannot be mapped
        return False


def _kind(doc: Any) -> str:
    if isinstance(doc, dict):
        return "a JSON object"
    return "a JSON list" if isinstance(doc, list) else f"a JSON {type(doc).__name__}"


def _check(args: argparse.Namespace, gt: Any, dt: Any) -> None:
    """The shapes of the two documents: what is wrong with them, when the library refused."""
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


def _library_words(message: str) -> str:
    """A library message without the function's name, in the words of the command line."""
    for func in ("coco_evaluate", "lvis_evaluate", "tide"):
        message = message.removeprefix(f"{func}: ")
    return message.replace(": use coco_evaluate)", ": run without --lvis)")


def _cli_words(message: str, args: argparse.Namespace) -> str:
    """A library message in the words of the command line: which file."""
    message = _library_words(message)
    for arg, name in (("gt", "GT.json"), ("dt", "DT.json")):
        if message.startswith(f"`{arg}"):
            return f"{name} {getattr(args, arg)!r}: {message}"
    return message


def _call(args: argparse.Namespace, func: Callable[..., Any], **kwargs: Any) -> Any:
    """``func(args.gt, args.dt, **kwargs)``; its errors as exit codes 2 (options) and 1."""
    try:
        return func(args.gt, args.dt, **kwargs)
    except ParameterError as exc:
        raise UsageError(_cli_words(str(exc), args)) from None
    except InputError as exc:
        if not _library_words(str(exc)).startswith(("`gt[", "`dt[")):
            # about a whole file, not one of its items: parse both to say what is wrong
            _check(args, _load(args.gt, "GT.json"), _load(args.dt, "DT.json"))
        raise _BadFile(_cli_words(str(exc), args)) from None


# -- the run ---------------------------------------------------------------------------------


@dataclass
class _Outcome:
    """What an evaluation prints and writes."""

    result: Any  # the COCOResult or LVISResult (for --html)
    texts: list[str]  # the summaries, printed in turn before the table
    rows: list[dict[str, Any]]  # the per-category rows
    columns: tuple[str, ...]  # the numbers of the table
    labels: tuple[tuple[str, str], ...]  # the table's first columns: (header, key)
    fields: tuple[str, ...]  # the CSV's columns
    doc: Callable[[], dict[str, Any]]  # the --json document
    headline: tuple[list[str], list[list[str]]]  # the markdown headline table: head, rows
    extra: list[str]  # markdown blocks after the per-category table (TIDE)
    tide: Any = None  # the TIDE analysis (--tide), for --html


def _detect(args: argparse.Namespace) -> int:
    try:
        return _evaluate(args)
    except _BadFile as exc:
        print(f"{PROG} {_NAME}: error: {exc}", file=sys.stderr)
        return 1


def _evaluate(args: argparse.Namespace) -> int:
    _check_options(args)
    _readable(args.gt, "GT.json")
    _readable(args.dt, "DT.json")
    if not args.lvis and _has_lvis_fields(args.gt):
        print(
            f"{PROG} {_NAME}: warning: GT.json {args.gt!r} is an LVIS annotation file (it has "
            "'not_exhaustive_category_ids'): these are COCO numbers, without LVIS's federated "
            "rules; pass --lvis for LVIS AP.",
            file=sys.stderr,
        )
    busy = spinner(
        args,
        f"reading {mib(args.gt)} and {mib(args.dt)}, evaluating "
        f"{'LVIS' if args.lvis else 'COCO'} {args.iou_type} AP\N{HORIZONTAL ELLIPSIS}",
    )
    try:
        with engine(args, _NAME) as args.executor:  # images matched in shards on a cluster
            outcome = _lvis(args) if args.lvis else _coco(args, busy)
        doc = rows = ""
        if args.json or args.format == "json":
            where = args.json if args.json not in (None, "-") else "the JSON"
            busy.phase(f"writing {where}\N{HORIZONTAL ELLIPSIS}")
            doc = json_text(outcome.doc()) + "\n"
        if args.json not in (None, "-"):
            write(args.json, doc)
        if args.per_category or args.format == "csv":
            rows = csv_text(outcome.rows, outcome.fields)
        if args.per_category not in (None, "-"):
            write(args.per_category, rows)
        if args.html:
            write_report(outcome.result, args, busy=busy, tide=outcome.tide)
    finally:
        busy.stop()

    def summary_table() -> None:
        summaries(outcome.texts, outcome.headline, outcome.tide)
        table(outcome.rows, outcome.columns, outcome.labels)

    def summary_markdown() -> str:
        return markdown(outcome.headline, outcome.rows, outcome.columns, outcome.labels,
                        outcome.extra)  # fmt: skip

    # stdout only now, with the spinner gone
    show(args, Summary(summary_table, lambda: doc, lambda: rows, summary_markdown))
    return 0


def _command(args: argparse.Namespace, **fields: Any) -> dict[str, Any]:
    """This command's configuration, the ``command`` member of the JSON document."""
    areas = args.area_ranges
    return {
        "command": f"{PROG} {_NAME}",
        "gt": args.gt,
        "dt": args.dt,
        "evaluation": "lvis" if args.lvis else "coco",
        "iou_type": args.iou_type,
        **fields,
        "area_ranges": None if areas is None else {k: list(v) for k, v in areas.items()},
    }


def _coco(args: argparse.Namespace, busy: Spinner) -> _Outcome:
    from ioukit.detection.coco import coco_evaluate

    convention = args.convention or "pycocotools"
    kwargs: dict[str, Any] = {
        "iou_type": args.iou_type,
        "max_dets": args.max_dets,
        "area_ranges": args.area_ranges,
        "convention": convention,
        "per_image_cap": args.per_image_cap,
        "executor": args.executor,
    }
    ratio = None
    if args.iou_type == "boundary":
        ratio = 0.02 if args.boundary_dilation_ratio is None else args.boundary_dilation_ratio
        kwargs["boundary_dilation_ratio"] = ratio
    result = _call(args, coco_evaluate, **kwargs)
    texts = [result.summary()]
    analysis = None
    if args.tide:
        from ioukit.detection.tide import tide

        busy.phase(f"TIDE error analysis ({args.iou_type})\N{HORIZONTAL ELLIPSIS}")
        analysis = _call(
            args, tide, iou_type=args.iou_type, convention=_TIDE_CONVENTION[convention]
        )
        texts.append(analysis.summary())

    def doc() -> dict[str, Any]:
        out: dict[str, Any] = result.to_dict()
        if analysis is not None:
            out["tide"] = analysis.to_dict()
        out["command"] = _command(
            args,
            convention=convention,
            max_dets=list(args.max_dets or result.params.max_dets),
            boundary_dilation_ratio=ratio,
            per_image_cap=args.per_image_cap,
            tide=args.tide,
        )
        return out

    labels = (("id", "category_id"), ("category", "name"))
    headline = (
        ["metric", "IoU", "area", "maxDets", "value"],
        coco_headline(texts[0], result.stats),
    )
    extra = [] if analysis is None else [tide_markdown(analysis)]
    fields = ("category_id", "name", *_COLUMNS)
    rows = result.per_category()
    return _Outcome(result, texts, rows, _COLUMNS, labels, fields, doc, headline, extra, analysis)


def _lvis(args: argparse.Namespace) -> _Outcome:
    from ioukit.detection.lvis import lvis_evaluate

    kwargs: dict[str, Any] = {
        "iou_type": args.iou_type,
        "area_ranges": args.area_ranges,
        "executor": args.executor,
    }
    if args.max_dets is not None:
        kwargs["max_dets"] = args.max_dets[0]
    if args.max_dets_per_category is not None:
        kwargs["max_dets_per_category"] = args.max_dets_per_category
    result = _call(args, lvis_evaluate, **kwargs)
    numbers = [k for k in result.results if k not in ("APr", "APc", "APf")]  # per category
    columns = (*numbers[:6], numbers[6])  # AP ... APl, then AR@<max_dets>

    def doc() -> dict[str, Any]:
        out: dict[str, Any] = result.to_dict()
        out["command"] = _command(
            args,
            max_dets=result.params.max_dets,
            max_dets_per_category=result.params.max_dets_per_category,
        )
        return out

    labels = (("id", "category_id"), ("category", "name"), ("freq", "frequency"))
    fields = ("category_id", "name", "frequency", *numbers)
    headline = (["metric", "value"], [[k, f"{v:.3f}"] for k, v in result.results.items()])
    rows = result.per_category()
    return _Outcome(result, [result.summary()], rows, columns, labels, fields, doc, headline, [])
