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
    json_text,
    positive_int,
    show,
    write,
    write_report,
)
from ioukit._errors import IoUKitError, ParameterError
from ioukit.cli import cli_words, interrupted

if TYPE_CHECKING:
    from ioukit.evaluate import FolderProblemsError, PairingError

# the words of this command's own options (ioukit.cli.cli_words has the shared ones)
_WORDS = (
    ('`label_map="cityscapes"`', "--label-map cityscapes"),
    ("load_label_map: ", "--label-map: "),
    ("load_palette: ", "--palette: "),
    ("`label_map_on`", "--label-map-on"),
    ("`label_map`", "--label-map"),
    ("`palette`", "--palette"),
    ("`quality_bands`", "--bands"),
    ("parse_quality_bands: text", "--bands"),
)
_LIMIT = 20  # problems of one kind listed on screen; every one is in --json


def _words(message: str) -> str:
    """A library message in the words of ``ioukit segment``."""
    message = cli_words(message)
    for api, option in _WORDS:
        message = message.replace(api, option)
    return message


__all__ = ["add_parser"]

_DESCRIPTION = """\
Evaluate predicted segmentation label maps against target label maps: per-class
IoU, Dice, precision, recall and the mean IoU, from the confusion matrix summed
over all images (dataset-level).

Files are paired by relative path and name without extension (a.png <-> a.tif);
.png (modes L, P: palette indices, I;16), .tif/.tiff and .npy are read. JPEG
files are never read as labels (JPEG is lossy: its pixel values change around
every edge) and are reported as skipped. Colour-coded (RGB) masks are read
through --palette; dataset ids are turned into training ids with --label-map
(--label-map cityscapes: labelIds -> trainIds).

Every problem (missing or extra files, size mismatches, unreadable files, labels
outside the classes) is listed by name (up to 20 of each kind on screen, all in
--json) and fails the run, unless --skip-bad. When the folders look swapped or
the names differ by a suffix, the error says which command would pair them."""
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
      --html report.html --images leftImg8bit/ --format markdown > scores.md
  ioukit segment pred/ gtFine/val/ --num-classes 19 --ignore-index 255 \\
      --pred-suffix _leftImg8bit --target-suffix _gtFine_labelIds \\
      --label-map cityscapes --bands 0.95,0.7,0.5"""
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
    g.add_argument(
        "--label-map",
        metavar="FILE|NAME",
        help="relabel the files' values first: a JSON file {from: to} (or a list whose item i "
        "is what i becomes), or 'cityscapes' (labelIds -> trainIds, 255 for the ignored "
        "ids; it also gives --num-classes 19 and the class names, unless given); values not "
        "in the map stay as they are",
    )
    g.add_argument(
        "--label-map-on",
        choices=("target", "pred", "both"),
        default="target",
        help="which files --label-map relabels (default: target, as a model predicts the ids "
        "it was trained on; both, for a model that writes the dataset's ids)",
    )
    g.add_argument(
        "--palette",
        metavar="FILE",
        help="read colour-coded (RGB) masks, on either side, as class ids: JSON "
        '{"0": [128, 64, 128], ...}, a list of [r, g, b] indexed by id, or a list of '
        '{"id": ..., "color": [r, g, b]}; a colour not in it is an error that names it',
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
        "that `ioukit compare` reads; a failed run whose problems are too many to list on "
        "screen writes them all here instead (status: failed, no scores)",
    )
    g.add_argument("--percent", action="store_true", help="print scores x100 (display only)")
    g.add_argument(
        "--bands",
        metavar="T1,T2,...",
        help="quality bands of the per-image and per-class 'quality': 1 to 4 IoU thresholds, "
        "best first (0.95,0.7,0.5: excellent, good, fair, else poor), or named "
        "(great=0.9,ok=0.6); default 0.95,0.7",
    )
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
    """``--num-classes`` (default: from the class names, or the 19 classes of
    ``--label-map cityscapes``) and the class names (those of ``--label-map cityscapes``
    unless given)."""
    from ioukit._label_remap import label_map_class_names
    from ioukit.io import load_class_names

    names = None if args.class_names is None else load_class_names(args.class_names)
    if args.num_classes is None and names is None and args.label_map == "cityscapes":
        args.num_classes = 19
    if args.num_classes is not None:
        return args.num_classes, names or label_map_class_names(args.label_map, args.num_classes)
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
    from ioukit.evaluate import FolderProblemsError, PairingError, evaluate_folder, format_problems
    from ioukit.io import load_label_map, load_palette
    from ioukit.segmentation import parse_quality_bands

    num_classes, names = _labels(args)
    _check_paths(args)
    try:
        bands = None if args.bands is None else parse_quality_bands(args.bands)
    except ParameterError as exc:
        raise UsageError(_words(str(exc))) from None
    try:
        relabel = None if args.label_map is None else load_label_map(args.label_map)
        palette = None if args.palette is None else load_palette(args.palette)
    except IoUKitError as exc:
        print(f"{PROG} segment: error: {_words(str(exc))}", file=sys.stderr)
        return 1
    if relabel is None and num_classes == 19 and "labelIds" in args.target_suffix:
        print(
            f"{PROG} segment: note: the targets are Cityscapes labelIds (--target-suffix "
            f"{args.target_suffix}), scored as they are against 19 classes; a model predicts "
            "trainIds: map the targets with --label-map cityscapes.",
            file=sys.stderr,
        )
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
                label_map=relabel,
                label_map_on=args.label_map_on,
                palette=palette,
                quality_bands=bands,
                workers=args.workers,
                checkpoint=args.checkpoint,
                per_image_csv=args.per_image,
                on_bad="skip" if args.skip_bad else "fail",
                progress=progress,
                executor=executor,
            )
    except ParameterError as exc:  # a bad combination of options
        raise UsageError(_words(str(exc))) from None
    except PairingError as exc:  # the folders swapped, or the suffixes wrong
        _pairing(exc, args)
        return 2
    except FolderProblemsError as exc:
        _skipped(exc.skipped)
        _problems(exc, args)
        return 1
    except IoUKitError as exc:  # in this command's words (cli.main would use the shared ones)
        print(f"{PROG} segment: error: {_words(str(exc))}", file=sys.stderr)
        return 1
    finally:
        if progress is not None:
            progress.stop()
    _skipped(evaluation.skipped)
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
        print(_words(format_problems(evaluation.problems, limit=_LIMIT)), file=sys.stderr)
        _where_all(evaluation.problems, args)
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
    print(_words(format_problems(exc.problems, limit=_LIMIT) + exc.note), file=sys.stderr)
    from ioukit._folder_problems import truncated

    # a failed run writes no summary; the problems go to --json only when not all are shown
    listed = bool(args.json) and truncated(exc.problems, _LIMIT)
    if listed:
        write(args.json, json_text(exc.to_dict()) + "\n")
    _where_all(exc.problems, args)
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
    written = f" ({args.json} holds the problems, no scores)" if listed else ""
    print(f"No summary was written{written}. {advice}", file=sys.stderr)


def _where_all(problems: Any, args: argparse.Namespace) -> None:
    """Where the problems that were left off the screen are."""
    from ioukit._folder_problems import truncated

    if not truncated(problems, _LIMIT):
        return
    where = (
        f"all {len(problems)} are in {args.json} (files.problems)"
        if args.json
        else f"rerun with --json FILE to get all {len(problems)} in FILE (files.problems)"
    )
    print(f"(Up to {_LIMIT} problems of each kind are listed; {where}.)", file=sys.stderr)


def _skipped(skipped: Any) -> None:
    """A note per folder and kind of image files that are not read: JPEG (lossy) and other
    image types. Other files (notes, JSON, ...) are not mentioned: folders often hold them, and
    they could not be label maps."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for f in skipped:
        if f.kind != "other":
            groups.setdefault((f.folder, f.kind), []).append(f)
    for (folder, kind), files in groups.items():
        names = ", ".join(f.path for f in files[:3]) + (", ..." if len(files) > 3 else "")
        what = "JPEG file(s)" if kind == "lossy" else "image(s) of a type that is not read"
        print(
            f"{PROG} segment: note: {len(files)} {what} in the {folder} folder "
            f"skipped ({names}): {files[0].reason}.",
            file=sys.stderr,
        )


def _pairing(exc: PairingError, args: argparse.Namespace) -> None:
    """The options pair few files; the command that pairs them."""
    import shlex

    hint = exc.hint
    pred, target = (
        (args.target_dir, args.pred_dir) if hint.swap else (args.pred_dir, args.target_dir)
    )
    words = [PROG, "segment", pred, target]
    if hint.pred_suffix:
        words += ["--pred-suffix", hint.pred_suffix]
    if hint.target_suffix:
        words += ["--target-suffix", hint.target_suffix]
    swapped = "PRED_DIR and TARGET_DIR look swapped: " if hint.swap else ""
    print(
        f"{PROG} segment: error: these options pair {exc.paired} of {exc.num_targets} "
        f"target(s); {swapped}{hint.reason}. This pairs {hint.pairs}:\n"
        f"  {shlex.join(words)} ...\n"
        "(with your other options; the --pred-suffix/--target-suffix shown replace yours)",
        file=sys.stderr,
    )
