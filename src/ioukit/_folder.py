"""The parts of :func:`ioukit.evaluate_folder` that are not its interface: counting one pair of
files (the task a worker runs), the checkpoint file, the per-image CSV, the loop that gives
tasks to the executor and records their results in order, and option checks."""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from numbers import Integral
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from ioukit._errors import InputError, IoUKitError, ParameterError

if TYPE_CHECKING:
    import numpy as np

    from ioukit._pool import Executor
    from ioukit.io import Pair
    from ioukit.segmentation import SegmentationEvaluator

CHECKPOINT_FORMAT = "ioukit-segment-checkpoint/1"
_STOP_SECONDS = 10.0  # how long a stopping run waits for a cluster's sum of its matrices

# one pair's outcome: (confusion matrix, "", "") or (None, problem kind, message)
Outcome = tuple["np.ndarray[Any, Any] | None", str, str]


PROBLEM_KINDS: dict[str, str] = {
    "missing_prediction": "targets without a prediction",
    "extra_prediction": "predictions without a target",
    "size_mismatch": "prediction and target sizes differ",
    "unreadable": "unreadable or corrupt files",
    "bad_labels": "labels outside the classes (or not integers)",
}
"""The kinds of problem with the files, in the order they are listed: kind → heading."""


class Problem(NamedTuple):
    """One problem with the files: ``kind`` (a key of :data:`PROBLEM_KINDS`), ``name`` (the
    file, relative to its folder, for a missing or extra one; else the pair's name) and
    ``message`` (what is wrong; empty for a missing or extra file). ``str()`` gives the line
    as listed: the name, the message, or both."""

    kind: str
    name: str
    message: str

    def __str__(self) -> str:
        if not self.message:
            return self.name
        if self.kind == "unreadable":  # the message names the file
            return self.message
        return f"{self.name}: {self.message}"


# -- the task of a worker ----------------------------------------------------------------------


def reading(
    label_map: Any = None, label_map_on: str = "target", palette: Any = None
) -> dict[str, Any]:
    """How a pair's files are read, in the small picklable form the workers take: the
    ``palette`` (``{id: colour}``, also ``"#rrggbb"`` strings, as in a summary's ``config``)
    packed, the ``label_map`` (``{from: to}``, keys may be strings of digits) as pairs."""
    from ioukit._label_remap import as_label_map, as_palette, packed_palette

    relabel = as_label_map("reading", label_map)
    colours = as_palette("reading", palette)
    return {
        "label_map": None if relabel is None else tuple(relabel.items()),
        "label_map_on": label_map_on,
        "palette": None if colours is None else packed_palette(colours),
    }


def read_pair(
    pred_path: str | os.PathLike[str], target_path: str | os.PathLike[str], how: dict[str, Any]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The label maps of one pair as the evaluation reads them: colours to ids (``palette``),
    then the ``label_map`` (on ``label_map_on``); ``how`` as :func:`reading` makes it. Raises
    :class:`~ioukit._label_remap.PaletteColourError` for a colour not in the palette, another
    :class:`~ioukit.IoUKitError` for a file that cannot be read."""
    from ioukit._label_remap import apply_label_map
    from ioukit.io import read_file

    palette = how.get("palette")
    pred, target = read_file(pred_path, palette), read_file(target_path, palette)
    relabel = how.get("label_map")
    if relabel is not None:  # before reduce_zero_label: the map reads the files' own ids
        on = how.get("label_map_on", "target")
        pred = apply_label_map(pred, dict(relabel)) if on in ("pred", "both") else pred
        target = apply_label_map(target, dict(relabel)) if on in ("target", "both") else target
    return pred, target


def _count_pair(pred_path: str, target_path: str, config: dict[str, Any]) -> Outcome:
    """Read one pair and count it: ``(confusion matrix, "", "")`` or ``(None, kind, message)``.

    Returns a ``(C, C)`` int64 matrix, a few kilobytes, never the label maps.
    """
    from ioukit import multiclass_confusion_matrix
    from ioukit._label_remap import PaletteColourError
    from ioukit.io import reduce_zero_label

    try:
        pred, target = read_pair(pred_path, target_path, config)
    except PaletteColourError as exc:
        return None, "bad_labels", str(exc)
    except IoUKitError as exc:
        return None, "unreadable", str(exc)
    if pred.shape != target.shape:
        return (
            None,
            "size_mismatch",
            f"prediction {_shape(pred.shape)}, target {_shape(target.shape)}",
        )
    try:
        if config["reduce_zero_label"]:
            target = reduce_zero_label(target)
        cm = multiclass_confusion_matrix(
            pred, target, num_classes=config["num_classes"], ignore_index=config["ignore_index"]
        )
    except InputError as exc:
        return None, "bad_labels", _label_words(str(exc)) + _swapped(pred, target, config)
    return cm, "", ""


_SWAP_MARK = "which a model does not predict"


def _swapped(
    pred: np.ndarray[Any, Any], target: np.ndarray[Any, Any], config: dict[str, Any]
) -> str:
    """A note when the prediction holds ignored values and the target none: what a target and a
    prediction look like the other way round."""
    import numpy as np

    ignore = list(config["ignore_index"])
    if not ignore or np.isin(target, ignore).any():
        return ""
    held = [v for v in ignore if (pred == v).any()]
    if not held:
        return ""
    return (
        f" The prediction holds {held}, ignored in targets and {_SWAP_MARK}, and the target "
        "none: are the prediction and target folders swapped?"
    )


def swap_note(problems: Sequence[Problem], num_pairs: int) -> str:
    """A closing line for a problem list when every pair failed the way swapped folders do
    (the "predictions" hold ignored values, the "targets" none), else ``""``."""
    failed = [p for p in problems if not p.kind.endswith("_prediction")]
    if not num_pairs or len(failed) < num_pairs:
        return ""
    if not all(p.kind == "bad_labels" and _SWAP_MARK in p.message for p in failed):
        return ""
    return (
        "\n  Every prediction holds values that are ignored in targets, and no target does: the "
        "prediction and target folders look swapped."
    )


def label_ids_note(
    problems: Sequence[Problem], pairs: Sequence[Pair], config: dict[str, Any]
) -> str:
    """A closing line when labels outside the classes meet Cityscapes' ``*_labelIds`` targets
    without a label map: labelIds (0-33) are not the 19 trainIds that models predict."""
    if config.get("label_map") is not None or not any(p.kind == "bad_labels" for p in problems):
        return ""
    named = sum("labelIds" in os.path.basename(str(p.target)) for p in pairs)
    if not pairs or 2 * named < len(pairs):
        return ""
    return (
        f"\n  {named} of the {len(pairs)} targets are named *labelIds*: Cityscapes labelIds "
        "(0-33) are not the 19 trainIds a model predicts. Map them with "
        '`label_map="cityscapes"` (labelIds -> trainIds, 255 for the others).'
    )


_PILLOW_TYPES = (".png", ".tif", ".tiff")


def need_pillow(func: str, pairs: Sequence[Pair]) -> None:
    """Say once, before reading, that the PNG/TIFF files of ``pairs`` need Pillow."""
    n = sum(
        os.path.splitext(str(f))[1].lower() in _PILLOW_TYPES
        for p in pairs
        for f in (p.pred, p.target)
    )
    if not n:
        return
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        from ioukit._errors import MissingDependencyError, install_hint

        raise MissingDependencyError(
            f"{func}: {n} of the {2 * len(pairs)} files to read are PNG/TIFF images, which "
            f"need Pillow: {install_hint('io', 'pillow')}. .npy files are read without it."
        ) from None


def count_batch(
    config: dict[str, Any], task: tuple[int, list[tuple[str, str]]]
) -> tuple[int, list[Outcome], np.ndarray[Any, Any] | None]:
    """The task of a worker: ``(index, [(pred path, target path), ...])`` → ``(index,
    [outcome, ...], matrix)``: an outcome per pair, each image's ``(4, C)`` int64 tp, fp, fn,
    tn or a problem (:func:`_count_pair`), and the sum of the pairs' confusion matrices
    (``None`` if no pair could be counted). Per image, ``32·C`` bytes travel back, not the
    ``8·C²`` of its matrix; the matrices are summed apart (:class:`~ioukit._run.LocalSum`,
    or a tree on a cluster)."""
    import numpy as np

    from ioukit.core.counts import Counts

    index, paths = task
    counted = [_count_pair(pred, target, config) for pred, target in paths]
    cms = [cm for cm, _, _ in counted if cm is not None]
    total = None
    if cms:
        stack = np.stack(cms)
        images = Counts.from_confusion_matrix(stack)  # the one definition of tp, fp, fn, tn
        rows = iter(np.stack([images.tp, images.fp, images.fn, images.tn], axis=1))
        total = stack.sum(axis=0)
    outcomes: list[Outcome] = [
        (next(rows), "", "") if cm is not None else (None, kind, message)
        for cm, kind, message in counted
    ]
    return index, outcomes, total


def warm_up(config: dict[str, Any]) -> None:
    """Load the counting kernel once in this process, so forked workers inherit it."""
    import numpy as np

    from ioukit import multiclass_confusion_matrix

    z = np.zeros(1, dtype=np.uint8)
    multiclass_confusion_matrix(
        z, z, num_classes=config["num_classes"], ignore_index=config["ignore_index"]
    )


def _shape(shape: tuple[int, ...]) -> str:
    if len(shape) == 2:
        return f"{shape[1]}x{shape[0]} (WxH)"
    return "x".join(map(str, shape))


def _label_words(message: str) -> str:
    """A counting error about one pair, in the words of a folder evaluation."""
    message = message.removeprefix("multiclass_confusion_matrix: ")
    return message.replace(
        "If these are class scores or probabilities, pass them with `class_axis=` (argmax) "
        "instead.",
        "Label maps must hold class ids.",
    )


# -- checkpoint --------------------------------------------------------------------------------


class Checkpoint:
    """The evaluator state (``SegmentationEvaluator.save``) in FILE, and the run's
    configuration beside it in ``FILE.meta.json``, written once at the start."""

    def __init__(self, path: str | os.PathLike[str], config: dict[str, Any]) -> None:
        self.path = Path(path)
        self.meta = self.path.with_name(self.path.name + ".meta.json")
        self.config = config
        self.last_save = time.monotonic()
        self.save_seconds = 0.0

    def load(self, make: Callable[[], SegmentationEvaluator]) -> SegmentationEvaluator:
        from ioukit.segmentation import SegmentationEvaluator

        where = f"evaluate_folder: `checkpoint` {self.path}"
        if not self.path.exists():
            self._write_meta()
            return make()
        try:
            meta = json.loads(self.meta.read_text())
        except (OSError, ValueError) as exc:
            raise ParameterError(
                f"{where}: its companion {self.meta.name} is missing or unreadable ({exc}); "
                f"remove {self.path} to start afresh."
            ) from None
        if not isinstance(meta, dict) or meta.get("format") != CHECKPOINT_FORMAT:
            raise ParameterError(f"{where}: not a checkpoint of a folder evaluation.")
        saved = meta.get("config", {})
        diff = [k for k in self.config if saved.get(k) != self.config[k]]
        if diff:
            details = "; ".join(f"{k}: {saved.get(k)!r} then, {self.config[k]!r} now" for k in diff)
            raise ParameterError(
                f"{where} was made with other options ({details}). Resume with the same "
                "options, or use another checkpoint file."
            )
        try:
            return SegmentationEvaluator.load(self.path)
        except Exception as exc:
            raise InputError(
                f"{where}: cannot load it ({type(exc).__name__}: {exc}); remove it to start afresh."
            ) from exc

    def _write_meta(self) -> None:
        tmp = self.meta.with_name(self.meta.name + ".tmp")
        tmp.write_text(json.dumps({"format": CHECKPOINT_FORMAT, "config": self.config}, indent=1))
        tmp.replace(self.meta)

    def due(self) -> bool:
        """Time for a save: every 5 s at most, and never more than ~10% of the time."""
        return time.monotonic() - self.last_save >= max(5.0, 10 * self.save_seconds)

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


# -- per-image CSV -----------------------------------------------------------------------------


class PerImageCsv:
    """Per-image rows (``SegmentationEvaluator.add_confusion_matrix``), written and flushed as
    they come."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        class_names: Sequence[str],
        *,
        bands: tuple[tuple[float, str], ...] | None = None,
    ) -> None:
        self.bands = bands
        self.fields = ["image", "miou", "pixel_accuracy", "quality"] + [
            f"iou_{n}" for n in class_names
        ]
        self.fh: IO[str] = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = csv.DictWriter(self.fh, fieldnames=self.fields)
        self.writer.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        if self.bands is not None:  # the quality under the run's bands
            from ioukit._quality_bands import quality_band

            miou = row["miou"]
            row = {
                **row,
                "quality": quality_band(math.nan if miou is None else miou, bands=self.bands),
            }
        self.writer.writerow({k: "" if v is None else v for k, v in row.items()})
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


# -- the run -----------------------------------------------------------------------------------


def count_all(
    todo: list[Pair],
    ev: SegmentationEvaluator,
    problems: list[Problem],
    *,
    config: dict[str, Any],
    executor: Executor | None,
    workers: int | None,
    rows: PerImageCsv | None,
    saver: Checkpoint | None,
    progress: Callable[[int], object] | None,
    sizes: Sequence[int] | None = None,
) -> None:
    """Count the pairs of ``todo`` with the executor and add them to ``ev`` in order.

    Each task's images are added together once the task is consumed, then its summed matrix
    (:func:`count_batch`) to the accumulator (here, or a tree on a cluster), so that ``ev`` and
    the accumulator always hold the same images: the checkpoint, saved between tasks, holds
    their counts and their matrix. The matrix is added to ``ev`` at the end.
    """
    import numpy as np

    from ioukit._run import LocalSum, run_ordered

    acc = executor.accumulator() if hasattr(executor, "accumulator") else LocalSum()  # type: ignore[union-attr]
    done = ev.num_images
    pending: list[tuple[str, Any]] = []
    good = list(ev._parts)  # the last state whose matrix is known: the start, or a checkpoint

    in_task = 0

    def consume(pair: Pair, outcome: Outcome) -> None:
        nonlocal in_task
        counts, kind, message = outcome
        if counts is None:
            problems.append(Problem(kind, pair.name, message))
        else:
            pending.append((pair.name, counts))
        in_task += 1

    def finish_task(partial: Any) -> None:
        nonlocal good, done, in_task
        if pending:
            names = [name for name, _ in pending]
            new_rows = ev._add_image_counts(np.stack([c for _, c in pending]), names)
            pending.clear()
            if rows is not None:
                for row in new_rows:
                    rows.write(row)
        acc.add(partial)
        if saver is not None and saver.due():
            snapshot = _with_matrix(ev, acc.value())
            saver.save(snapshot)
            good = snapshot._parts
        for _ in range(in_task):  # each pair is reported once it is in `ev`
            done += 1
            if progress is not None:
                progress(done)
        in_task = 0

    try:
        run_ordered(
            "evaluate_folder",
            todo,
            partial(count_batch, config),
            consume,
            executor=executor,
            workers=workers,
            send=lambda p: (str(p.pred), str(p.target)),
            warm_up=partial(warm_up, config),  # forked workers inherit the compiled kernel
            sizes=sizes,
            finish_task=finish_task,
        )
    except BaseException:
        _close(ev, acc, good, stopping=True)
        raise
    _close(ev, acc, good, stopping=False)


def _with_matrix(ev: SegmentationEvaluator, total: Any) -> SegmentationEvaluator:
    """A copy of ``ev`` with ``total`` added: the summed matrix of its images so far."""
    import copy

    out = copy.copy(ev)
    out._parts = list(ev._parts)
    if total is not None:
        out._add_matrix(total)
    return out


def _close(ev: SegmentationEvaluator, acc: Any, good: list[Any], *, stopping: bool) -> None:
    """Add the summed matrix to ``ev`` at the end of a run. If it cannot be had (the cluster
    is gone), ``ev`` goes back to its last state with a known matrix (the start, or the last
    checkpoint), so that what is saved is never counts without their matrix; the error is
    raised unless the run is already stopping on another."""
    try:  # stopping: never wait long for workers that may be gone
        total = acc.value(timeout=_STOP_SECONDS if stopping else None)
    except Exception:
        ev._parts = good
        if stopping:
            return
        raise
    if total is not None:
        ev._add_matrix(total)


def with_total(progress: Callable[[int, int], object], total: int) -> Callable[[int], object]:
    """``progress(done, total)`` as a function of ``done``."""
    return lambda done: progress(done, total)


def ordered_ignore(ignore_index: int | Sequence[int] | None) -> tuple[int, ...]:
    """The ignored values, distinct, in the order given (validated already)."""
    if ignore_index is None:
        return ()
    if isinstance(ignore_index, Integral):
        return (int(ignore_index),)
    if isinstance(ignore_index, (set, frozenset)):
        return tuple(sorted(int(v) for v in ignore_index))
    import numpy as np

    return tuple(dict.fromkeys(int(v) for v in np.asarray(ignore_index).ravel().tolist()))


def check_class_names(
    func: str, names: object, c: int, ignore: tuple[int, ...]
) -> dict[int, str] | None:
    if names is None:
        return None
    items: Iterable[tuple[object, object]]
    if isinstance(names, Mapping):
        items = names.items()
    elif isinstance(names, Sequence) and not isinstance(names, str):
        items = enumerate(names)
    else:
        raise ParameterError(
            f"{func}: `class_names` must be a sequence of names or a mapping id → name; got "
            f"{type(names).__name__}."
        )
    out: dict[int, str] = {}
    outside = []
    for key, name in items:
        if isinstance(key, bool) or not (
            isinstance(key, Integral) or (isinstance(key, str) and key.strip().isdigit())
        ):
            raise ParameterError(f"{func}: `class_names` keys must be class ids; got {key!r}.")
        k = int(key)
        if 0 <= k < c:
            out[k] = str(name)
        elif k not in ignore:
            outside.append(k)
    if outside:
        raise ParameterError(
            f"{func}: `class_names` names class id(s) {outside} outside 0..{c - 1} "
            f"(`num_classes` {c}); raise `num_classes` or add them to `ignore_index`."
        )
    return dict(sorted(out.items()))
