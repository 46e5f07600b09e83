"""The ``ioukit`` command line: ``ioukit segment PRED_DIR TARGET_DIR``.

A thin shell over the library: files are paired and read by :mod:`ioukit.io`, each pair is
counted by :func:`ioukit.multiclass_confusion_matrix` (in a pool of worker processes), and the
small per-image confusion matrices are added to a
:class:`~ioukit.segmentation.SegmentationEvaluator`, whose result gives every number that is
printed or written. Nothing is computed here.

Exit codes: 0 success; 1 bad input files or data (each problem is listed by name); 2 usage
errors (bad options); 130 interrupted (the checkpoint, if any, is saved).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import multiprocessing
import os
import signal
import sys
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ioukit._errors import InputError, IoUKitError

if TYPE_CHECKING:
    import numpy as np

    from ioukit.io import Pair
    from ioukit.segmentation import SegmentationEvaluator, SegmentationResult

__all__ = ["main"]

PROG = "ioukit"

# Problem kinds, in the order they are listed: kind → heading
PROBLEMS = {
    "missing_prediction": "targets without a prediction",
    "extra_prediction": "predictions without a target",
    "size_mismatch": "prediction and target sizes differ",
    "unreadable": "unreadable or corrupt files",
    "bad_labels": "labels outside the classes (or not integers)",
}

_CHECKPOINT_FORMAT = "ioukit-segment-checkpoint/1"


class UsageError(Exception):
    """A bad combination of options, found after parsing: exit code 2."""


# -- argument parsing ------------------------------------------------------------------------


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


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
    return parser


# -- worker side -----------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(config: dict[str, Any]) -> None:
    """Initializer of a worker process: keep the configuration; count with one thread per
    process (the pool already uses every core)."""
    _WORKER.clear()
    _WORKER.update(config)
    # Ctrl-C is the main process's to handle: it stops the pool and saves the checkpoint
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if "numba" in sys.modules:
        import numba

        numba.set_num_threads(1)
    else:
        os.environ["NUMBA_NUM_THREADS"] = "1"


def _count_pair(
    pred_path: str, target_path: str, config: dict[str, Any] | None = None
) -> tuple[np.ndarray[Any, Any] | None, str, str]:
    """Read one pair and count it: ``(confusion matrix, "", "")`` or ``(None, kind, message)``.

    A top-level function (importable by spawned workers); it returns a ``(C, C)`` int64
    matrix, a few kilobytes, never the label maps.
    """
    from ioukit import multiclass_confusion_matrix
    from ioukit.io import read_label_map, reduce_zero_label

    cfg = _WORKER if config is None else config
    try:
        pred = read_label_map(pred_path)
        target = read_label_map(target_path)
    except IoUKitError as exc:
        return None, "unreadable", str(exc)
    if pred.shape != target.shape:
        return (
            None,
            "size_mismatch",
            f"prediction {_shape(pred.shape)}, target {_shape(target.shape)}",
        )
    try:
        if cfg["reduce_zero_label"]:
            target = reduce_zero_label(target)
        cm = multiclass_confusion_matrix(
            pred, target, num_classes=cfg["num_classes"], ignore_index=cfg["ignore_index"]
        )
    except InputError as exc:
        return None, "bad_labels", _cli_words(str(exc))
    return cm, "", ""


def _shape(shape: tuple[int, ...]) -> str:
    if len(shape) == 2:
        return f"{shape[1]}x{shape[0]} (WxH)"
    return "x".join(map(str, shape))


def _cli_words(message: str) -> str:
    """A library message in the words of the command line."""
    message = message.removeprefix("multiclass_confusion_matrix: ")
    for api, option in (
        ("Pass them as `ignore_index=`", "Pass them with --ignore-index"),
        ("raise `num_classes`", "raise --num-classes"),
        (
            "If these are class scores or probabilities, pass them with `class_axis=` (argmax) "
            "instead.",
            "Label maps must hold class ids.",
        ),
    ):
        message = message.replace(api, option)
    return message


# -- the run ---------------------------------------------------------------------------------


@dataclass
class _Problems:
    items: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in PROBLEMS})

    def add(self, kind: str, text: str) -> None:
        self.items[kind].append(text)

    def __len__(self) -> int:
        return sum(len(v) for v in self.items.values())

    def failed(self) -> int:
        return sum(len(v) for k, v in self.items.items() if not k.endswith("_prediction"))

    def lines(self) -> list[str]:
        out = []
        for kind, heading in PROBLEMS.items():
            if self.items[kind]:
                out.append(f"  {heading} ({len(self.items[kind])}):")
                out.extend(f"    {text}" for text in self.items[kind])
        return out


@dataclass
class _Config:
    pred_dir: Path
    target_dir: Path
    num_classes: int
    ignore_index: tuple[int, ...]
    class_names: dict[int, str] | None
    reduce_zero_label: bool
    target_suffix: str
    pred_suffix: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "pred_dir": str(self.pred_dir.resolve()),
            "target_dir": str(self.target_dir.resolve()),
            "target_suffix": self.target_suffix,
            "pred_suffix": self.pred_suffix,
            "num_classes": self.num_classes,
            "ignore_index": list(self.ignore_index),
            "class_names": None
            if self.class_names is None
            else {str(k): v for k, v in self.class_names.items()},
            "reduce_zero_label": self.reduce_zero_label,
        }


def _config(args: argparse.Namespace) -> _Config:
    from ioukit.io import load_class_names

    ignore = tuple(dict.fromkeys(args.ignore_index or ()))
    names = None if args.class_names is None else load_class_names(args.class_names)
    c = args.num_classes
    if c is None:
        if names is None:
            raise UsageError("give --num-classes (or --class-names, to take it from there).")
        ids = [k for k in names if k not in ignore]
        if not ids:
            raise UsageError(f"{args.class_names} names no class outside --ignore-index.")
        c = max(ids) + 1
    if names is not None:
        outside = [k for k in names if k >= c and k not in ignore]
        if outside:
            raise UsageError(
                f"{args.class_names} names class id(s) {outside} outside 0..{c - 1} "
                f"(--num-classes {c}); raise --num-classes or pass them as --ignore-index."
            )
        names = {k: v for k, v in names.items() if k < c}
    if args.reduce_zero_label and 255 not in ignore:
        raise UsageError(
            "--reduce-zero-label turns label 0 into 255 (void): add --ignore-index 255."
        )
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
    return _Config(
        pred_dir=Path(args.pred_dir),
        target_dir=Path(args.target_dir),
        num_classes=c,
        ignore_index=ignore,
        class_names=names,
        reduce_zero_label=bool(args.reduce_zero_label),
        target_suffix=args.target_suffix,
        pred_suffix=args.pred_suffix,
    )


class _Checkpoint:
    """The evaluator state (``SegmentationEvaluator.save``) in FILE, and the command's
    configuration beside it in ``FILE.meta.json``, written once at the start."""

    def __init__(self, path: str, config: dict[str, Any]) -> None:
        self.path = Path(path)
        self.meta = self.path.with_name(self.path.name + ".meta.json")
        self.config = config
        self.last_save = time.monotonic()
        self.save_seconds = 0.0

    def load(self, make: Callable[[], SegmentationEvaluator]) -> SegmentationEvaluator:
        from ioukit.segmentation import SegmentationEvaluator

        if not self.path.exists():
            self._write_meta()
            return make()
        try:
            meta = json.loads(self.meta.read_text())
        except (OSError, ValueError) as exc:
            raise UsageError(
                f"--checkpoint {self.path}: its companion {self.meta.name} is missing or "
                f"unreadable ({exc}); remove {self.path} to start afresh."
            ) from None
        if meta.get("format") != _CHECKPOINT_FORMAT:
            raise UsageError(f"--checkpoint {self.path}: not an `ioukit segment` checkpoint.")
        saved = meta.get("config", {})
        diff = [k for k in self.config if saved.get(k) != self.config[k]]
        if diff:
            details = "; ".join(f"{k}: {saved.get(k)!r} then, {self.config[k]!r} now" for k in diff)
            raise UsageError(
                f"--checkpoint {self.path} was made with other options ({details}). Resume "
                "with the same options, or use another checkpoint file."
            )
        try:
            ev = SegmentationEvaluator.load(self.path)
        except Exception as exc:
            raise InputError(
                f"--checkpoint {self.path}: cannot load it ({type(exc).__name__}: {exc}); "
                "remove it to start afresh."
            ) from exc
        return ev

    def _write_meta(self) -> None:
        tmp = self.meta.with_name(self.meta.name + ".tmp")
        tmp.write_text(json.dumps({"format": _CHECKPOINT_FORMAT, "config": self.config}, indent=1))
        tmp.replace(self.meta)

    def maybe_save(self, ev: SegmentationEvaluator) -> None:
        # every 5 s at most, and never more than ~10% of the time
        if time.monotonic() - self.last_save >= max(5.0, 10 * self.save_seconds):
            self.save(ev)

    def save(self, ev: SegmentationEvaluator) -> None:
        start = time.monotonic()
        if self.path.suffix == ".json":
            ev.save(self.path)  # written to a temporary file, then renamed
        else:
            tmp = self.path.with_name(self.path.name + ".tmp")
            ev.save(tmp)
            tmp.replace(self.path)  # a crash never leaves half a checkpoint
        self.last_save = time.monotonic()
        self.save_seconds = self.last_save - start


class _Csv:
    """Per-image rows, written and flushed as they come."""

    def __init__(self, path: str, class_names: Sequence[str]) -> None:
        self.fields = ["image", "miou", "pixel_accuracy", "quality"] + [
            f"iou_{n}" for n in class_names
        ]
        self.fh: IO[str] = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = csv.DictWriter(self.fh, fieldnames=self.fields)
        self.writer.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        self.writer.writerow({k: "" if v is None else v for k, v in row.items()})
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


# runtimes that keep threads of their own, whose state a fork() child would inherit half-way
_THREADED_RUNTIMES = ("jax", "torch", "tensorflow", "cupy")


def _start_method() -> str | None:
    """How worker processes start: ``fork`` on Linux, cheap (workers inherit the loaded
    libraries and compiled kernels), unless a runtime with threads of its own is loaded in this
    process (``main()`` called from a notebook, say): then ``forkserver``, whose workers start
    from a clean process. Elsewhere the platform's default (spawn)."""
    if sys.platform != "linux":
        return None
    if any(name in sys.modules for name in _THREADED_RUNTIMES):
        return "forkserver"
    return "fork"


def _count_pairs(
    batch: list[tuple[str, str]],
) -> list[tuple[np.ndarray[Any, Any] | None, str, str]]:
    """:func:`_count_pair` of each pair of a batch (one task of a worker)."""
    return [_count_pair(pred, target) for pred, target in batch]


def _results(
    todo: list[Pair], config: dict[str, Any], workers: int
) -> Iterator[tuple[Pair, tuple[np.ndarray[Any, Any] | None, str, str]]]:
    """Count the pairs, yielding their results in the order of ``todo``."""
    if workers <= 1:
        for pair in todo:
            yield pair, _count_pair(str(pair.pred), str(pair.target), config)
        return
    # a few pairs per task (fewer messages between processes), small enough that the workers
    # finish together; tasks in flight bounded (memory), enough to keep every worker busy
    size = max(1, min(8, len(todo) // (16 * workers)))
    batches = [todo[i : i + size] for i in range(0, len(todo), size)]
    pending = iter(batches)
    window: deque[tuple[list[Pair], Future[Any]]] = deque()
    method = _start_method()
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":  # imported once in the server, inherited by each worker
        ctx.set_forkserver_preload(["numpy", "PIL.Image", "ioukit.io", "ioukit.cli"])
    executor = ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_init_worker, initargs=(config,)
    )

    def submit(batch: list[Pair]) -> None:
        paths = [(str(p.pred), str(p.target)) for p in batch]
        window.append((batch, executor.submit(_count_pairs, paths)))

    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns about fork() in a process with threads (NumPy's BLAS and
            # numba keep idle pools). The workers only decode images and run single-threaded
            # kernels, and use no lock of those pools.
            warnings.filterwarnings(
                "ignore", "This process .* is multi-threaded", DeprecationWarning
            )
            for batch in pending:
                submit(batch)
                if len(window) >= 3 * workers:
                    break
        while window:
            batch, fut = window.popleft()
            results = fut.result()
            for nxt in pending:
                submit(nxt)
                break
            yield from zip(batch, results, strict=True)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _warm_up(config: dict[str, Any]) -> None:
    """Load the counting kernel once in this process, so forked workers inherit it."""
    import numpy as np

    from ioukit import multiclass_confusion_matrix

    z = np.zeros(1, dtype=np.uint8)
    multiclass_confusion_matrix(
        z, z, num_classes=config["num_classes"], ignore_index=config["ignore_index"]
    )


def _segment(args: argparse.Namespace) -> int:
    from ioukit import __version__
    from ioukit.io import pair_files
    from ioukit.segmentation import SegmentationEvaluator

    cfg = _config(args)
    workers = args.workers or _default_workers()
    pairing = pair_files(
        cfg.pred_dir, cfg.target_dir, target_suffix=cfg.target_suffix, pred_suffix=cfg.pred_suffix
    )
    problems = _Problems()
    for name in pairing.missing_predictions:
        problems.add("missing_prediction", name)
    for name in pairing.extra_predictions:
        problems.add("extra_prediction", name)
    if not pairing.pairs and not pairing.missing_predictions:
        raise InputError(
            f"no label maps in {str(cfg.target_dir)!r} (looked for *.png, *.tif, *.tiff, *.npy"
            + (f" named *{cfg.target_suffix}.*" if cfg.target_suffix else "")
            + ", in sub-folders too)."
        )

    def make() -> SegmentationEvaluator:
        return SegmentationEvaluator(
            cfg.num_classes, ignore_index=cfg.ignore_index, class_names=cfg.class_names
        )

    checkpoint = None
    if args.checkpoint:
        checkpoint = _Checkpoint(args.checkpoint, cfg.as_dict())
        ev = checkpoint.load(make)
    else:
        ev = make()
    names = {p.name for p in pairing.pairs}
    done = set(ev.result().image_names) if ev.num_images else set()
    gone = sorted(done - names)
    if gone:
        raise InputError(
            f"--checkpoint {args.checkpoint} holds {len(gone)} image(s) that are no longer "
            f"paired, e.g. {gone[:3]}; the folders changed. Use a new checkpoint file."
        )
    todo = [p for p in pairing.pairs if p.name not in done]
    csv_out = None
    if args.per_image:
        csv_out = _Csv(args.per_image, ev.class_names)
        if ev.num_images:  # resumed: the rows of the images already counted, then the rest
            for row in ev.result().per_image_rows():
                csv_out.write(row)
    worker_config = {
        "num_classes": cfg.num_classes,
        "ignore_index": cfg.ignore_index,
        "reduce_zero_label": cfg.reduce_zero_label,
    }
    workers = max(1, min(workers, len(todo)))
    if workers > 1 and _start_method() == "fork":
        _warm_up(worker_config)
    show = not args.quiet
    bar = show and sys.stderr.isatty()
    progress = None
    interrupted = False
    try:
        for pair, (cm, kind, message) in _results(todo, worker_config, workers):
            if bar and progress is None:  # started once the workers run (they fork first)
                progress = _progress(len(pairing.pairs), len(done))
            if cm is None:
                problems.add(kind, f"{pair.name}: {message}" if kind != "unreadable" else message)
            else:
                row = ev.add_confusion_matrix(cm, name=pair.name)
                if csv_out is not None:
                    csv_out.write(row)
                if checkpoint is not None:
                    checkpoint.maybe_save(ev)
            if progress is not None:
                progress.advance()
    except KeyboardInterrupt:
        interrupted = True
    except BrokenProcessPool as exc:
        saved = f"; progress is saved in {args.checkpoint}" if checkpoint else ""
        raise IoUKitError(
            f"a worker process died ({exc}); out of memory? Try fewer --workers{saved}."
        ) from None
    finally:
        if progress is not None:
            progress.stop()
        if csv_out is not None:
            csv_out.close()
        if checkpoint is not None:
            checkpoint.save(ev)
    if interrupted:
        where = f"; rerun the same command to resume from {args.checkpoint}" if checkpoint else ""
        print(f"{PROG} segment: interrupted{where}.", file=sys.stderr)
        return 130

    if problems and not args.skip_bad:
        print(
            f"{PROG} segment: error: {len(problems)} problem(s) with the input files:",
            file=sys.stderr,
        )
        print("\n".join(problems.lines()), file=sys.stderr)
        again = (
            f" (with --checkpoint {args.checkpoint}, the pairs already counted are not read again)"
            if checkpoint
            else ""
        )
        if ev.num_images:
            advice = (
                "Fix the files, or rerun with --skip-bad to evaluate the "
                f"{_plural(ev.num_images, 'good pair')} and record the problems in the "
                f"summary{again}."
            )
        else:
            advice = "No pair could be evaluated: fix the files or the options."
        print(f"No summary was written. {advice}", file=sys.stderr)
        return 1
    if ev.num_images == 0:
        raise InputError("no pair could be evaluated:\n" + "\n".join(problems.lines()))
    result = ev.result()
    headline = result.mean_iou(args.convention)
    if args.json:
        summary = result.to_dict()
        summary.pop("per_image", None)  # one row per image: that is --per-image's CSV
        summary = {
            "ioukit_version": __version__,
            "command": "segment",
            "options": {
                **cfg.as_dict(),
                "convention": args.convention,
                "skip_bad": bool(args.skip_bad),
            },
            "mean_iou": {"convention": args.convention, "value": _num(headline)},
            **summary,
            "files": {
                "pairs": len(pairing.pairs),
                "evaluated": ev.num_images,
                "missing_predictions": len(problems.items["missing_prediction"]),
                "extra_predictions": len(problems.items["extra_prediction"]),
                "failed": problems.failed(),
                "problems": dict(problems.items),
            },
        }
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if problems:  # --skip-bad: said, not hidden
        print(
            f"{PROG} segment: warning: {len(problems)} problem(s) skipped (--skip-bad); "
            f"{ev.num_images} of {len(pairing.pairs) + len(pairing.missing_predictions)} "
            "target(s) evaluated:",
            file=sys.stderr,
        )
        print("\n".join(problems.lines()), file=sys.stderr)
    if show:
        _report(result, args, headline)
    return 0


def _num(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


# -- display ---------------------------------------------------------------------------------


class _Progress:
    """A rich progress bar on stderr: done/total, pairs per second, elapsed time, ETA."""

    def __init__(self, total: int, done: int) -> None:
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
            TextColumn("[bold]segment"),
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

    def advance(self) -> None:
        self.bar.advance(self.task)

    def stop(self) -> None:
        self.bar.stop()


def _progress(total: int, done: int) -> _Progress | None:
    try:
        return _Progress(total, done)
    except ImportError:  # rich is optional: no bar without it
        return None


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
    from rich.console import Console
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
    console = Console(highlight=False)
    if console.is_terminal:
        for item in out:
            console.print(item)
        return
    with console.capture() as captured:  # a file or a pipe: no padding at the ends of lines
        for item in out:
            console.print(item)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


# -- entry point -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
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
    except IoUKitError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # an output file that cannot be written, a disk full, ...
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted.", file=sys.stderr)
        return 130
    return code
