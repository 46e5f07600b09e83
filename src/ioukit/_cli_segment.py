"""``ioukit segment PRED_DIR TARGET_DIR``: semantic segmentation scores of two folders.

A thin face over :func:`ioukit.evaluate_folder`, which pairs and reads the files, counts them in
worker processes, keeps the checkpoint and the per-image CSV, and computes every number and
every field of the JSON summary (:meth:`ioukit.evaluate.FolderEvaluation.to_dict`), and over
:func:`ioukit.report.write_html` (``--html``). Here: the options, the progress
bar, the messages and the exit codes of :mod:`ioukit.cli`; what is printed is in
:mod:`ioukit._cli_segment_show`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ioukit._cli_engine import add_engine_options, engine
from ioukit._cli_output import (
    PROG,
    UsageError,
    add_display_options,
    add_report_options,
    check_output_folders,
    check_report_options,
    exit_codes,
    positive_int,
    show,
    write,
    write_report,
)
from ioukit._errors import ParameterError
from ioukit.cli import cli_words, interrupted

if TYPE_CHECKING:
    from ioukit.evaluate import FolderProblemsError

__all__ = ["add_parser"]

_DESCRIPTION = """\
Evaluate predicted segmentation label maps against target label maps: per-class
IoU, Dice, precision, recall and the mean IoU, from the confusion matrix summed
over all images (dataset-level).

Files are paired by relative path and name without extension (a.png <-> a.tif);
.png (modes L, P: palette indices, I;16), .tif/.tiff and .npy are read. Every
problem (missing or extra files, size mismatches, unreadable files, labels
outside the classes) is listed by name and fails the run, unless --skip-bad."""
_EPILOG = (
    exit_codes(
        "bad input files or data (each problem listed)",
        resume="rerun with the same --checkpoint to resume",
    )
    + """

examples:
  ioukit segment pred/ gt/ --num-classes 19 --ignore-index 255 \\
      --json summary.json --per-image images.csv
  ioukit segment pred/ gt/ --num-classes 19 --ignore-index 255 \\
      --html report.html --images leftImg8bit/ --format markdown > scores.md"""
)


def add_parser(sub: Any) -> None:
    """Register the ``segment`` subcommand (its options and its handler).

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of the parser of :func:`ioukit.cli.main`.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="ioukit")
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["segment", "p", "t", "--num-classes", "3", "--format", "csv"])
    >>> args.num_classes, args.format, args.quiet, args.progress, args.html
    (3, 'csv', False, False, None)
    """
    seg = sub.add_parser(
        "segment",
        help="evaluate a folder of predicted label maps against a folder of targets",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    seg.add_argument("pred_dir", metavar="PRED_DIR", help="folder of predicted label maps")
    seg.add_argument("target_dir", metavar="TARGET_DIR", help="folder of target label maps")
    g = seg.add_argument_group("labels")
    g.add_argument(
        "--num-classes",
        type=positive_int,
        metavar="C",
        help="number of classes; labels are 0..C-1 (default: from --class-names)",
    )
    g.add_argument(
        "--ignore-index",
        type=int,
        action="append",
        metavar="V",
        help="target value whose pixels are left out, e.g. 255 (repeatable); a value "
        "inside 0..C-1 also removes that class from the means",
    )
    g.add_argument(
        "--class-names",
        metavar="FILE",
        help="class names: JSON or YAML {id: name} (or a list), or a text file with one "
        "name per line",
    )
    g.add_argument(
        "--reduce-zero-label",
        action="store_true",
        help="MMSegmentation's reduce_zero_label, on targets: 0 becomes 255 (void) and "
        "every other label v becomes v-1; needs --ignore-index 255",
    )
    g = seg.add_argument_group("pairing")
    g.add_argument(
        "--target-suffix",
        default="",
        metavar="S",
        help="end of the target file names, removed before matching (e.g. _gt: a.png <-> a_gt.png)",
    )
    g.add_argument(
        "--pred-suffix", default="", metavar="S", help="the same for prediction file names"
    )
    g.add_argument(
        "--skip-bad",
        action="store_true",
        help="evaluate the good pairs when some files are missing, extra or bad, and record "
        "the problems in the summary (exit code 0)",
    )
    g = seg.add_argument_group("output")
    from ioukit.core.conventions import CONVENTIONS

    g.add_argument(
        "--convention",
        default="ioukit",
        choices=list(CONVENTIONS),
        metavar="NAME",
        help="which library's mIoU to print as the headline: "
        + ", ".join(CONVENTIONS)
        + " (default: ioukit)",
    )
    g.add_argument(
        "--all-conventions",
        action="store_true",
        help="also print every library's mIoU side by side",
    )
    g.add_argument(
        "--per-image",
        metavar="FILE.csv",
        help="write one CSV row per image (mIoU, pixel accuracy, IoU per class) as it goes",
    )
    g.add_argument(
        "--json",
        metavar="FILE",
        help="write the summary as JSON: configuration, confusion matrix, per-class and mean "
        "scores, every convention's mIoU, missing/extra/failed files, and the per-image state "
        "that `ioukit compare` reads",
    )
    g.add_argument("--percent", action="store_true", help="print scores x100 (display only)")
    add_display_options(g)
    add_report_options(seg.add_argument_group("report"), images=True)
    g = seg.add_argument_group("execution")
    add_engine_options(g)
    g.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="save progress to FILE every few seconds; rerunning the same command resumes "
        "where it stopped",
    )
    seg.set_defaults(func=_segment)


def _labels(args: argparse.Namespace) -> tuple[int, dict[int, str] | None]:
    """``--num-classes`` (default: from the class names) and the class names."""
    from ioukit.io import load_class_names

    names = None if args.class_names is None else load_class_names(args.class_names)
    if args.num_classes is not None:
        return args.num_classes, names
    if names is None:
        raise UsageError("give --num-classes (or --class-names, to take it from there).")
    ids = [k for k in names if k not in (args.ignore_index or ())]
    if not ids:
        raise UsageError(f"{args.class_names} names no class outside --ignore-index.")
    return max(ids) + 1, names


def _check_paths(args: argparse.Namespace) -> None:
    from ioukit._fs import is_url

    for arg in ("pred_dir", "target_dir"):
        folder = getattr(args, arg)
        if not is_url(folder) and not Path(folder).is_dir():
            raise UsageError(f"{arg.upper()} {getattr(args, arg)!r} is not a folder.")
    check_output_folders(args, ("json", "per_image", "checkpoint", "html"))
    check_report_options(args)


def _segment(args: argparse.Namespace) -> int:
    try:
        return _evaluate(args)
    except KeyboardInterrupt:
        where = f"; rerun the same command to resume from {args.checkpoint}"
        return interrupted(f"{PROG} segment", where if args.checkpoint else "")


def _evaluate(args: argparse.Namespace) -> int:
    from ioukit._cli_progress import progress_bar
    from ioukit._cli_segment_show import summary
    from ioukit.evaluate import FolderProblemsError, evaluate_folder, format_problems

    num_classes, names = _labels(args)
    _check_paths(args)
    progress = progress_bar(args, "segment")
    try:
        with engine(args, "segment") as executor:
            evaluation = evaluate_folder(
                args.pred_dir,
                args.target_dir,
                num_classes=num_classes,
                ignore_index=list(args.ignore_index or ()),
                class_names=names,
                target_suffix=args.target_suffix,
                pred_suffix=args.pred_suffix,
                reduce_zero_label=bool(args.reduce_zero_label),
                workers=args.workers,
                checkpoint=args.checkpoint,
                per_image_csv=args.per_image,
                on_bad="skip" if args.skip_bad else "fail",
                progress=progress,
                executor=executor,
            )
    except ParameterError as exc:  # a bad combination of options
        raise UsageError(cli_words(str(exc))) from None
    except FolderProblemsError as exc:
        _problems(exc, args)
        return 1
    finally:
        if progress is not None:
            progress.stop()
    out = summary(evaluation, args)
    if args.json:
        write(args.json, out.json())  # never half a summary
    if args.html:  # the report finds the label maps of the worst images in the run's folders
        write_report(evaluation, args, images=args.images)
    if evaluation.problems:  # --skip-bad: said, not hidden
        print(
            f"{PROG} segment: warning: {len(evaluation.problems)} problem(s) skipped "
            f"(--skip-bad); {evaluation.num_evaluated} of "
            f"{evaluation.num_pairs + len(evaluation.problems_by_kind['missing_prediction'])} "
            "target(s) evaluated:",
            file=sys.stderr,
        )
        print(cli_words(format_problems(evaluation.problems)), file=sys.stderr)
    show(args, out)
    return 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _problems(exc: FolderProblemsError, args: argparse.Namespace) -> None:
    """The problems that failed the run, and what to do."""
    from ioukit.evaluate import format_problems

    print(
        f"{PROG} segment: error: {len(exc.problems)} problem(s) with the input files:",
        file=sys.stderr,
    )
    print(cli_words(format_problems(exc.problems)), file=sys.stderr)
    again = (
        f" (with --checkpoint {args.checkpoint}, the pairs already counted are not read again)"
        if args.checkpoint
        else ""
    )
    if exc.num_evaluated:
        advice = (
            "Fix the files, or rerun with --skip-bad to evaluate the "
            f"{_plural(exc.num_evaluated, 'good pair')} and record the problems in the "
            f"summary{again}."
        )
    else:
        advice = "No pair could be evaluated: fix the files or the options."
    print(f"No summary was written. {advice}", file=sys.stderr)
