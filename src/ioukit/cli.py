"""The ``ioukit`` command line: ``ioukit segment PRED_DIR TARGET_DIR`` and
``ioukit detect GT.json DT.json`` (its code is in :mod:`ioukit._cli_detect`).

``segment`` is a thin face over :func:`ioukit.evaluate_folder`, which pairs and reads the
files, counts them in worker processes, keeps the checkpoint and the per-image CSV, and
computes every number and every field of the JSON summary
(:meth:`ioukit.evaluate.FolderEvaluation.to_dict`). Here: argument parsing, the progress bar,
the tables, the messages and the exit codes.

Exit codes: 0 success; 1 bad input files or data (each problem is listed by name); 2 usage
errors (bad options); 130 interrupted (the checkpoint, if any, is saved).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ioukit._errors import IoUKitError, ParameterError
from ioukit.evaluate import PROBLEM_KINDS as PROBLEMS
from ioukit.evaluate import FolderProblemsError, format_problems

if TYPE_CHECKING:
    from ioukit.segmentation import SegmentationResult

__all__ = ["PROBLEMS", "main"]

PROG = "ioukit"


class UsageError(Exception):
    """A bad combination of options, found after parsing: exit code 2."""


# -- argument parsing ------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    from ioukit import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Exact, fast and explicit Intersection-over-Union (Jaccard) evaluation.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    seg = sub.add_parser(
        "segment",
        help="evaluate a folder of predicted label maps against a folder of targets",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Evaluate predicted segmentation label maps against target label maps: per-class\n"
            "IoU, Dice, precision, recall and the mean IoU, from the confusion matrix summed\n"
            "over all images (dataset-level).\n\n"
            "Files are paired by relative path and name without extension (a.png <-> a.tif);\n"
            ".png (modes L, P: palette indices, I;16), .tif/.tiff and .npy are read. Every\n"
            "problem (missing or extra files, size mismatches, unreadable files, labels\n"
            "outside the classes) is listed by name and fails the run, unless --skip-bad."
        ),
        epilog=(
            "exit codes:\n"
            "  0    success\n"
            "  1    bad input files or data (each problem listed)\n"
            "  2    usage error\n"
            "  130  interrupted (rerun with the same --checkpoint to resume)\n\n"
            "example:\n"
            "  ioukit segment pred/ gt/ --num-classes 19 --ignore-index 255 \\\n"
            "      --json summary.json --per-image images.csv"
        ),
    )
    seg.add_argument("pred_dir", metavar="PRED_DIR", help="folder of predicted label maps")
    seg.add_argument("target_dir", metavar="TARGET_DIR", help="folder of target label maps")
    g = seg.add_argument_group("labels")
    g.add_argument(
        "--num-classes",
        type=_positive_int,
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
        "scores, every convention's mIoU, missing/extra/failed files",
    )
    g.add_argument("--percent", action="store_true", help="print scores x100 (display only)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no table")
    g = seg.add_argument_group("execution")
    g.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="worker processes (default: all cores); 1 runs in this process",
    )
    g.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="save progress to FILE every few seconds; rerunning the same command resumes "
        "where it stopped",
    )
    seg.set_defaults(func=_segment)
    from ioukit._cli_detect import add_parser as add_detect

    add_detect(sub)
    from ioukit._cli_panoptic import add_parser as add_panoptic

    add_panoptic(sub)
    from ioukit._cli_cityscapes import add_parser as add_cityscapes

    add_cityscapes(sub)
    return parser


# -- the run ---------------------------------------------------------------------------------

# library words → the words of the command line (messages are printed, never computed, here)
_WORDS = (
    ("Pass them as `ignore_index=`", "Pass them with --ignore-index"),
    ("`reduce_zero_label=True`", "--reduce-zero-label"),
    ("`ignore_index`", "--ignore-index"),
    ("`num_classes`", "--num-classes"),
    ("`class_names`", "--class-names"),
    ("`checkpoint`", "--checkpoint"),
    ("`workers`", "--workers"),
)


def _cli_words(message: str) -> str:
    """A library message in the words of the command line."""
    message = message.removeprefix("evaluate_folder: ").removeprefix("ProcessPool: ")
    for api, option in _WORDS:
        message = message.replace(api, option)
    return message


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
    for arg in ("pred_dir", "target_dir"):
        if not Path(getattr(args, arg)).is_dir():
            raise UsageError(f"{arg.upper()} {getattr(args, arg)!r} is not a folder.")
    for option in ("json", "per_image", "checkpoint"):  # fail now, not after the work
        out = getattr(args, option)
        if out is not None and not Path(out).resolve().parent.is_dir():
            raise UsageError(
                f"--{option.replace('_', '-')} {out}: the folder {str(Path(out).parent)!r} "
                "does not exist."
            )


def _segment(args: argparse.Namespace) -> int:
    try:
        return _evaluate(args)
    except KeyboardInterrupt:
        _keep_exit_code()
        where = (
            f"; rerun the same command to resume from {args.checkpoint}" if args.checkpoint else ""
        )
        print(f"{PROG} segment: interrupted{where}.", file=sys.stderr)
        return 130


def _evaluate(args: argparse.Namespace) -> int:
    from ioukit.evaluate import FolderProblemsError, evaluate_folder

    num_classes, names = _labels(args)
    _check_paths(args)
    show = not args.quiet
    progress = _Progress() if show and sys.stderr.isatty() else None
    try:
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
        )
    except ParameterError as exc:  # a bad combination of options
        raise UsageError(_cli_words(str(exc))) from None
    except FolderProblemsError as exc:
        _problems(exc, args)
        return 1
    finally:
        if progress is not None:
            progress.stop()
    if args.json:
        doc = json.dumps(evaluation.to_dict(convention=args.convention), indent=2) + "\n"
        tmp = Path(args.json).with_name(Path(args.json).name + ".tmp")
        tmp.write_text(doc, encoding="utf-8")
        tmp.replace(args.json)  # never half a summary
    if evaluation.problems:  # --skip-bad: said, not hidden
        print(
            f"{PROG} segment: warning: {len(evaluation.problems)} problem(s) skipped "
            f"(--skip-bad); {evaluation.num_evaluated} of "
            f"{evaluation.num_pairs + len(evaluation.problems_by_kind['missing_prediction'])} "
            "target(s) evaluated:",
            file=sys.stderr,
        )
        print(_cli_words(format_problems(evaluation.problems)), file=sys.stderr)
    if show:
        result = evaluation.result
        _report(result, args, result.mean_iou(args.convention))
    return 0


def _problems(exc: FolderProblemsError, args: argparse.Namespace) -> None:
    """The problems that failed the run, and what to do."""
    print(
        f"{PROG} segment: error: {len(exc.problems)} problem(s) with the input files:",
        file=sys.stderr,
    )
    print(_cli_words(format_problems(exc.problems)), file=sys.stderr)
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


# -- display ---------------------------------------------------------------------------------


class _Progress:
    """A rich progress bar on stderr: done/total, pairs per second, elapsed time, ETA.

    The ``progress`` callback of :func:`ioukit.evaluate_folder`; the bar starts at the first
    pair counted (after the workers started: they fork first). No bar without rich."""

    def __init__(self, label: str = "segment") -> None:
        self.label = label
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            try:
                self._start(done, total)
            except ImportError:  # rich is optional
                self.bar = False
        elif self.bar:
            self.bar.update(self.task, completed=done)

    def _start(self, done: int, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):  # type: ignore[misc]
            def render(self, task: Any) -> Any:
                speed = task.finished_speed or task.speed
                return Text("" if speed is None else f"{speed:,.1f} pairs/s", style="cyan")

        self.bar = Progress(
            TextColumn(f"[bold]{self.label}"),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self.task = self.bar.add_task("segment", total=total, completed=done)
        self.bar.start()

    def stop(self) -> None:
        if self.bar:
            self.bar.stop()


def _report(result: SegmentationResult, args: argparse.Namespace, headline: float) -> None:
    try:
        import rich  # noqa: F401
    except ImportError:
        print(str(result))
        print(f"mIoU ({args.convention}) {_score(headline, args.percent)}")
        return
    _rich_report(result, args, headline)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}{'es' if word.endswith('s') else 's'}"


def _score(v: float | None, percent: bool) -> str:
    if v is None or math.isnan(v):
        return "n/a"
    return f"{100 * v:.2f}" if percent else f"{v:.4f}"


def _rich_report(result: SegmentationResult, args: argparse.Namespace, headline: float) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from ioukit.core.conventions import CONVENTIONS

    out: list[Any] = []  # what to print, in order
    pct = args.percent
    unit = " (%)" if pct else ""
    ignore = ", ".join(map(str, result.ignore_index)) or "none"
    n_images = len(result.image_names)
    table = Table(
        title=f"{_plural(n_images, 'image pair')} · {_plural(result.num_classes, 'class')} · "
        f"void (ignored) values: {ignore}",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    table.add_column("id", justify="right", style="dim")
    table.add_column("class")
    for col in ("IoU", "Dice", "Precision", "Recall"):
        table.add_column(col + unit, justify="right")
    table.add_column("Support", justify="right")
    table.add_column("Quality")
    colours = {"excellent": "green", "good": "yellow", "poor": "red"}
    for row in result.per_class_rows():
        if row["nan_reason"]:
            quality = Text(f"n/a ({row['nan_reason']})", style="dim")
        else:
            quality = Text(row["quality"], style=colours.get(row["quality"], ""))
        table.add_row(
            str(row["id"]),
            row["name"],
            *(_score(row[k], pct) for k in ("iou", "dice", "precision", "recall")),
            f"{row['support']:,}",
            quality,
        )
    out.append(table)
    s = result.summary()
    line = Text()
    line.append(f"mIoU {_score(headline, pct)}", style="bold")
    line.append(f" ({args.convention})")
    for label, key in (
        ("mDice", "mdice"),
        ("aAcc", "pixel_accuracy"),
        ("mAcc", "mean_accuracy"),
        ("fwIoU", "fw_iou"),
    ):
        line.append(f"   {label} {_score(s[key], pct)}")
    out.append(line)
    out.append(Text(f"mIoU ({args.convention}): {CONVENTIONS[args.convention]}", style="dim"))
    if args.all_conventions:
        out.append("")
        conv = Table(
            title="The mean IoU that each library reports, from the same counts",
            box=box.SIMPLE_HEAD,
            title_justify="left",
        )
        conv.add_column("convention")
        conv.add_column("mIoU" + unit, justify="right")
        conv.add_column("what it computes", overflow="fold")
        values, notes = result.conventions(), result.convention_notes()
        for name, what in CONVENTIONS.items():
            value = "n/a" if values[name] is None else _score(values[name], pct)
            if name in notes:  # a convention that cannot evaluate these counts, and why
                what = notes[name].split(": ", 1)[-1]
            style = "bold" if name == args.convention else None
            conv.add_row(name, value, what, style=style)
        out.append(conv)
    _print_captured(out)


def _print_captured(out: Sequence[Any]) -> None:
    """Print rich renderables on stdout; to a file or a pipe without padding at line ends."""
    from rich.console import Console

    console = Console(highlight=False)
    if console.is_terminal:
        for item in out:
            console.print(item)
        return
    with console.capture() as captured:
        for item in out:
            console.print(item)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


# -- entry point -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    try:
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C outside a run (a run says more)
        _keep_exit_code()
        print(f"{PROG}: interrupted.", file=sys.stderr)
        return 130
    except SystemError as exc:
        # Ctrl-C inside a compiled kernel surfaces as SystemErrors ("returned a result with
        # an exception set") chained to the KeyboardInterrupt
        if not _from_interrupt(exc):
            raise
        _keep_exit_code()
        print(f"{PROG}: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as `yes | head`
        _detach_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a tool ended by a closed pipe


def _from_interrupt(exc: BaseException | None) -> bool:
    """Whether ``exc`` comes from a KeyboardInterrupt (through its causes)."""
    seen = 0
    while exc is not None and seen < 100:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _detach_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises nothing more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (a test's captured stdout)
        pass


def _keep_exit_code() -> None:
    """Make the exit code 130 stick after a Ctrl-C that was handled.

    CPython remembers a ``KeyboardInterrupt`` that escaped an ``exec`` of a string (lazy
    imports do that: numpy, array-api-compat, numba's compiler) even when the caller caught it,
    and then ends the process by SIGINT instead of with its exit code. Each ``exec`` of a
    string that completes clears that memory.
    """
    exec("")  # a constant string: clears the flag, runs nothing


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors (argparse printed them)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        code: int = args.func(args)
    except UsageError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # not an error of the data: main() stops quietly
    except (IoUKitError, OSError) as exc:  # bad data; an output file that cannot be written
        print(f"{PROG} {args.command}: error: {_cli_words(str(exc))}", file=sys.stderr)
        return 1
    return code
