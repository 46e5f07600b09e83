"""The evaluation engine: a folder of predicted label maps against a folder of targets.

:func:`evaluate_folder` pairs the files (:func:`ioukit.io.pair_files`), counts each pair into a
small ``(C, C)`` confusion matrix in worker processes (:class:`Executor`), adds the matrices to
a :class:`~ioukit.segmentation.SegmentationEvaluator` in pair order, and returns a
:class:`FolderEvaluation`: the result, every problem with the files by name, the configuration
and :meth:`FolderEvaluation.to_dict`, the summary that ``ioukit segment --json`` writes. Only
counts travel between processes, never pixels. A checkpoint file makes a long run resumable;
Ctrl-C stops the workers at once and leaves a checkpoint that resumes exactly.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ioukit._errors import InputError, ParameterError
from ioukit._folder import PROBLEM_KINDS, Problem, label_ids_note, need_pillow, swap_note
from ioukit._folder_problems import (
    MESSAGE_LIMIT,
    FolderProblemsError,
    PairingError,
    check_pairing,
    format_problems,
    hex_palette,
    problems_by_kind,
    skipped_rows,
)
from ioukit._pair_hints import SkippedFile, jpeg_notes
from ioukit._pool import Executor, ProcessPool, SerialExecutor

if TYPE_CHECKING:
    import os

    from ioukit._dask import DaskExecutor
    from ioukit._quality_bands import Bands
    from ioukit.segmentation import SegmentationEvaluator, SegmentationResult

__all__ = [
    "PROBLEM_KINDS",
    "DaskExecutor",
    "Executor",
    "FolderEvaluation",
    "FolderProblemsError",
    "PairingError",
    "Problem",
    "ProcessPool",
    "SerialExecutor",
    "evaluate_folder",
    "format_problems",
]


def __getattr__(name: str) -> Any:
    if name == "DaskExecutor":  # dask is imported when an executor is made, not before
        from ioukit._dask import DaskExecutor

        return DaskExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True, eq=False)
class FolderEvaluation:
    """What :func:`evaluate_folder` found.

    Attributes
    ----------
    result : SegmentationResult
        The scores of the evaluated pairs (dataset-level, per class, per image, every
        convention's mIoU), images in name order.
    problems : tuple of Problem
        Missing and extra files, then the pairs that could not be counted, in pair order
        (empty unless ``on_bad="skip"``).
    config : dict
        The configuration, JSON-safe: ``pred_dir`` and ``target_dir`` (absolute),
        ``target_suffix``, ``pred_suffix``, ``num_classes``, ``ignore_index`` (list),
        ``class_names`` (``{"id": name}`` or None), ``reduce_zero_label``.
    on_bad : {"fail", "skip"}
        The policy the run used.
    num_pairs : int
        Pairs of files found (evaluated or not).

    See Also
    --------
    evaluate_folder : makes one (with a runnable example).
    """

    result: SegmentationResult
    problems: tuple[Problem, ...]
    config: dict[str, Any]
    on_bad: str
    num_pairs: int
    skipped: tuple[SkippedFile, ...] = ()
    """The files that are not label maps (:attr:`ioukit.io.Pairing.skipped`)."""

    @property
    def num_evaluated(self) -> int:
        """Pairs counted into :attr:`result`."""
        return len(self.result.image_names)

    @property
    def problems_by_kind(self) -> dict[str, list[str]]:
        """Every kind of :data:`PROBLEM_KINDS` → the lines of its problems (maybe none)."""
        return problems_by_kind(self.problems)

    @property
    def pairs(self) -> dict[str, tuple[str, str]]:
        """Each evaluated image's name → its (prediction, target) label-map paths, paired
        again from :attr:`config` (the folders and suffixes of the run)."""
        from ioukit.io import pair_files

        cfg = self.config
        found = pair_files(
            cfg["pred_dir"],
            cfg["target_dir"],
            target_suffix=cfg["target_suffix"],
            pred_suffix=cfg["pred_suffix"],
        )
        by_name = {p.name: (str(p.pred), str(p.target)) for p in found.pairs}
        return {n: by_name[n] for n in self.result.image_names if n in by_name}

    def to_html(
        self,
        path: str | os.PathLike[str],
        *,
        images: str | os.PathLike[str] | None = None,
        **options: Any,
    ) -> Path:
        """Write the offline HTML report of this run (:func:`ioukit.report.write_html`), with
        the worst images drawn from their label maps (:attr:`pairs`), or over the original
        images found in ``images`` by name. ``options`` are those of ``write_html``."""
        from ioukit.report import write_html

        return write_html(
            self.result,
            path,
            pairs=self.pairs,
            images=images,
            reduce_zero_label=bool(self.config["reduce_zero_label"]),
            **options,
        )

    def to_dict(self, *, convention: str = "ioukit") -> dict[str, Any]:
        """The summary as JSON-safe data: what ``ioukit segment --json`` writes.

        Keys: ``ioukit_version``, ``command``, ``options`` (:attr:`config`, the headline
        ``convention`` and ``skip_bad``), ``mean_iou`` (``{"convention", "value"}``), then
        :meth:`SegmentationResult.to_dict` without its per-image rows (``config``,
        ``summary``, ``conventions``, ``per_class``, ``confusion_matrix``), and ``files``
        (counts of pairs, evaluated, missing, extra and failed pairs, the problems by kind,
        and, when there are any, the image files skipped: JPEG and other types that are not
        read). NaN becomes ``None``.

        Parameters
        ----------
        convention : str, default "ioukit"
            The convention of the headline ``mean_iou`` (a key of
            :data:`ioukit.CONVENTIONS`).
        """
        from ioukit import __version__

        summary = self.result.to_dict()
        summary.pop("per_image", None)  # one row per image: that is the per-image CSV
        by_kind = self.problems_by_kind
        headline = self.result.mean_iou(convention)
        return {
            "ioukit_version": __version__,
            "command": "segment",
            "options": {
                **copy.deepcopy(self.config),
                "convention": convention,
                "skip_bad": self.on_bad == "skip",
            },
            "mean_iou": {
                "convention": convention,
                "value": None if math.isnan(headline) else float(headline),
            },
            **summary,
            "files": {
                "pairs": self.num_pairs,
                "evaluated": self.num_evaluated,
                "missing_predictions": len(by_kind["missing_prediction"]),
                "extra_predictions": len(by_kind["extra_prediction"]),
                "failed": sum(len(v) for k, v in by_kind.items() if not k.endswith("_prediction")),
                "problems": by_kind,
                # only when image files were skipped: the keys of a clean run stay as they were
                **({"skipped": rows} if (rows := skipped_rows(self.skipped)) else {}),
            },
        }


def _sizes(todo: list[Any], executor: Executor | None) -> list[int] | None:
    """The bytes of each pair's files, for an executor that sizes its tasks by bytes."""
    if getattr(executor, "partition_bytes", False) is False:
        return None
    from ioukit.io import pair_file_sizes

    return pair_file_sizes(todo)


def _where(folder: str | os.PathLike[str]) -> str:
    """A folder as the configuration records it: a URL as given, a path made absolute."""
    from ioukit._fs import is_url

    return str(folder) if is_url(folder) else str(Path(folder).resolve())


def evaluate_folder(
    pred_dir: str | os.PathLike[str],
    target_dir: str | os.PathLike[str],
    *,
    num_classes: int,
    ignore_index: int | Sequence[int] | None = None,
    class_names: Sequence[str] | Mapping[int, str] | None = None,
    target_suffix: str = "",
    pred_suffix: str = "",
    reduce_zero_label: bool = False,
    label_map: Mapping[int, int] | str | os.PathLike[str] | None = None,
    label_map_on: Literal["target", "pred", "both"] = "target",
    palette: Mapping[int, Sequence[int]] | str | os.PathLike[str] | None = None,
    quality_bands: Bands | str | None = None,
    workers: int | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    per_image_csv: str | os.PathLike[str] | None = None,
    on_bad: Literal["fail", "skip"] = "fail",
    progress: Callable[[int, int], object] | None = None,
    executor: Executor | None = None,
) -> FolderEvaluation:
    """Evaluate a folder of predicted label maps against a folder of target label maps.

    Files are paired by relative path and name without extension (:func:`ioukit.io.pair_files`:
    ``a.png`` ↔ ``a.tif``, sub-folders too) and read by :func:`ioukit.io.read_label_map`
    (PNG modes L, P: palette indices, I;16; TIFF; ``.npy``). Each pair becomes a ``(C, C)``
    confusion matrix (rows = target), in worker processes; the matrices are added in name
    order, so the numbers are the same for any ``workers`` and after a resume, bit for bit.
    Scores are dataset-level (summed counts); classes with no target and no prediction pixels
    are left out of the means (their IoU is NaN).

    Every problem is found, not just the first: targets without a prediction, predictions
    without a target, unreadable files, size mismatches, labels outside ``0..C-1`` that are
    not ignored. With ``on_bad="fail"`` (the default) any of them raises
    :class:`FolderProblemsError` listing them all, after every pair was read; with ``"skip"``
    the good pairs are evaluated and the problems recorded in the result.

    Parameters
    ----------
    pred_dir, target_dir : str or path-like
        The folders of predictions and targets; or fsspec URLs (``s3://bucket/gt``,
        ``gs://...``, ``file://...``: :func:`ioukit.io.pair_files`), read where the tasks run.
    num_classes : int
        ``C``: labels are ``0 … C-1``.
    ignore_index : int or sequence of int, optional
        Target values whose pixels are left out (e.g. 255); a value in ``0 … C-1`` also
        removes that class from the means.
    class_names : sequence of str or mapping id → name, optional
        Names of the classes; ids in ``ignore_index`` outside ``0 … C-1`` (``{255: "void"}``)
        are dropped.
    target_suffix, pred_suffix : str, default ""
        The end of the file names removed before pairing (``"_gt"``: ``a.png`` ↔
        ``a_gt.png``).
    reduce_zero_label : bool, default False
        MMSegmentation's ``reduce_zero_label`` on targets: 0 becomes 255 and ``v`` becomes
        ``v - 1`` (needs 255 in ``ignore_index``). After ``label_map``.
    label_map : mapping from id to id, str or path-like, optional
        Relabel the files' values (:func:`ioukit.io.load_label_map`: a mapping, a JSON file,
        or ``"cityscapes"``: labelIds → trainIds, 255 for ignored ids); values not in it stay
        as they are.
    label_map_on : {"target", "pred", "both"}, default "target"
        Which files ``label_map`` relabels. Targets by default: a dataset's files are in its
        own ids (Cityscapes' labelIds) while a model predicts the ids it was trained on
        (trainIds); ``"both"`` for a model that writes the dataset's ids too.
    palette : mapping from id to (r, g, b), str or path-like, optional
        Class colours (:func:`ioukit.io.load_palette`): colour-coded (RGB) files on either side
        become class ids, exactly (a colour not in it is a problem of the pair); single-channel
        files are read as usual. Before ``label_map``.
    quality_bands : tuple of (float, str) or str, optional
        The bands that name each image's and class's quality (``quality`` of the per-image CSV
        and of the result): ``(threshold, name)`` pairs or a text such as ``"0.95,0.7,0.5"``
        (:func:`ioukit.segmentation.parse_quality_bands`). Default: the result's own.
    workers : int, optional
        Worker processes of the default executor (:class:`ProcessPool`); default: every core
        this process may use; 1 runs in this process (:class:`SerialExecutor`). Not with
        ``executor``.
    checkpoint : str or path-like, optional
        A file that holds the progress (saved every few seconds, on Ctrl-C, on errors and at
        the end; ``.json``, or NumPy's ``.npz`` otherwise), with the configuration in
        ``<checkpoint>.meta.json``. If it exists, the run resumes from it: the pairs it holds
        are not read again. It must come from the same configuration and folders.
    per_image_csv : str or path-like, optional
        Write one CSV row per image (``image, miou, pixel_accuracy, quality, iou_<class>…``),
        flushed as it goes; a resumed run writes the rows of the checkpoint first.
    on_bad : {"fail", "skip"}, default "fail"
        What problems with the files do: raise, or get recorded while the good pairs count.
    progress : callable, optional
        ``progress(done, total)`` after each pair (``done`` counts the pairs of a resumed
        checkpoint too).
    executor : Executor, optional
        Where the pairs are counted (see :class:`Executor`): a :class:`ProcessPool`, or a
        :class:`DaskExecutor` (a Dask cluster: tasks sized by bytes, per image only its
        tp, fp, fn and tn come back, the matrices are summed in a tree on the workers; the
        numbers are the local ones, bit for bit). The caller keeps it open and closes it.
        Default: a :class:`ProcessPool` of ``workers`` for this call.

    Returns
    -------
    FolderEvaluation
        ``result`` (a :class:`~ioukit.segmentation.SegmentationResult`), ``problems``,
        ``config`` and ``to_dict()``, the JSON summary of ``ioukit segment``.

    Raises
    ------
    FolderProblemsError
        ``on_bad="fail"`` and some files are missing, extra or bad (all listed by name).
    PairingError
        The options pair under half of the files while others (the folders swapped, other
        suffixes) would pair nearly all: the error says which (``hint``).
    InputError
        No label maps in ``target_dir`` (the message says why when it holds JPEG files: they
        are lossy, so never read as labels); a folder does not exist; two files of a folder
        differ only by extension; no pair could be evaluated; the checkpoint holds pairs that
        are no longer there, or cannot be loaded; a bad ``label_map`` or ``palette``.
    MissingDependencyError
        Some files are PNG or TIFF and Pillow is not installed (said once, before reading).
    ParameterError
        A bad option, or a checkpoint made with other options.
    IoUKitError
        A worker process died (out of memory?); the checkpoint is saved first.
    KeyboardInterrupt
        Ctrl-C: the workers are stopped at once and the checkpoint holds every pair counted
        so far, in order, so that the same call resumes to exactly the uninterrupted result.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for folder, name, labels in [
    ...     ("gt", "a", [[0, 0, 1], [1, 1, 255]]), ("pred", "a", [[0, 1, 1], [1, 1, 0]]),
    ...     ("gt", "b", [[2, 2], [0, 1]]), ("pred", "b", [[2, 2], [0, 1]]),
    ...     ("gt", "c", [[0, 1]]),  # no prediction for this one
    ... ]:
    ...     (root / folder).mkdir(exist_ok=True)
    ...     np.save(root / folder / f"{name}.npy", np.array(labels, dtype=np.uint8))
    >>> ev = evaluate_folder(root / "pred", root / "gt", num_classes=3, ignore_index=255,
    ...                      on_bad="skip", workers=1)
    >>> ev.result.iou.round(4).tolist()  # class 0: 2/3, class 1: 4/5, class 2: 2/2
    [0.6667, 0.8, 1.0]
    >>> round(ev.result.miou, 4), ev.num_evaluated, [str(p) for p in ev.problems]
    (0.8222, 2, ['c.npy'])
    >>> ev.to_dict()["files"]["missing_predictions"]
    1
    """
    from ioukit._folder import check_class_names, ordered_ignore
    from ioukit._label_remap import as_label_map, as_palette, label_map_class_names
    from ioukit._pairing import pair_with_hint
    from ioukit._pool import check_run_options
    from ioukit._quality_bands import check_quality_bands, parse_quality_bands
    from ioukit.core._checks import check_ignore_index, check_num_classes
    from ioukit.segmentation import SegmentationEvaluator

    func = "evaluate_folder"
    c = check_num_classes(func, num_classes)
    check_ignore_index(func, ignore_index)  # validation; the order given is kept
    ignore = ordered_ignore(ignore_index)
    names = check_class_names(func, class_names, c, ignore)
    if on_bad not in ("fail", "skip"):
        raise ParameterError(f'{func}: `on_bad` must be "fail" or "skip"; got {on_bad!r}.')
    check_run_options(func, workers, executor, progress)
    for arg, value in (("target_suffix", target_suffix), ("pred_suffix", pred_suffix)):
        if not isinstance(value, str):
            raise ParameterError(f"{func}: `{arg}` must be a string; got {value!r}.")
    if reduce_zero_label and 255 not in ignore:
        raise ParameterError(
            f"{func}: `reduce_zero_label=True` turns label 0 into 255 (void): add 255 to "
            "`ignore_index`."
        )
    if label_map_on not in ("target", "pred", "both"):
        raise ParameterError(
            f'{func}: `label_map_on` must be "target", "pred" or "both"; got {label_map_on!r}.'
        )
    relabel = as_label_map(func, label_map)
    names = names if names is not None else label_map_class_names(label_map, c)
    colours = as_palette(func, palette)
    bands = None
    if quality_bands is not None:
        where = f"{func}: `quality_bands`"
        bands = (
            parse_quality_bands(quality_bands)
            if isinstance(quality_bands, str)
            else check_quality_bands(quality_bands, where=where)
        )
    config: dict[str, Any] = {
        "pred_dir": _where(pred_dir),
        "target_dir": _where(target_dir),
        "target_suffix": target_suffix,
        "pred_suffix": pred_suffix,
        "num_classes": c,
        "ignore_index": list(ignore),
        "class_names": None if names is None else {str(k): v for k, v in names.items()},
        "reduce_zero_label": bool(reduce_zero_label),
        # None unless given: a checkpoint made before these options resumes
        "label_map": None if relabel is None else {str(k): v for k, v in relabel.items()},
        "label_map_on": None if relabel is None else label_map_on,
        "palette": None if colours is None else hex_palette(colours),
    }

    pairing, hint = pair_with_hint(
        pred_dir, target_dir, target_suffix=target_suffix, pred_suffix=pred_suffix, func=func
    )
    check_pairing(pairing, hint, pred_dir, target_dir, target_suffix, pred_suffix)
    notes = jpeg_notes(pairing, target_suffix=target_suffix, pred_suffix=pred_suffix)
    problems = [
        Problem("missing_prediction", n, notes.get(n, "")) for n in pairing.missing_predictions
    ]
    problems += [Problem("extra_prediction", n, "") for n in pairing.extra_predictions]

    def make() -> SegmentationEvaluator:
        return SegmentationEvaluator(c, ignore_index=ignore, class_names=names)

    from ioukit._folder import Checkpoint, PerImageCsv, count_all, reading, with_total

    saver = None if checkpoint is None else Checkpoint(checkpoint, config)
    ev = make() if saver is None else saver.load(make)
    done = set(ev.result().image_names) if ev.num_images else set()
    gone = sorted(done - {p.name for p in pairing.pairs})
    if gone:
        raise InputError(
            f"{func}: `checkpoint` {checkpoint} holds {len(gone)} image(s) that are no longer "
            f"paired, e.g. {gone[:3]}; the folders changed. Use a new checkpoint file."
        )
    todo = [p for p in pairing.pairs if p.name not in done]
    need_pillow(func, todo)
    worker_config = {
        "num_classes": c,
        "ignore_index": ignore,
        "reduce_zero_label": bool(reduce_zero_label),
        **reading(relabel, label_map_on, colours),
    }
    rows = None
    try:
        if per_image_csv is not None:
            rows = PerImageCsv(
                per_image_csv, [(names or {}).get(i, str(i)) for i in range(c)], bands=bands
            )
            if ev.num_images:  # resumed: the rows of the images already counted, then the rest
                for row in ev.result().per_image_rows():
                    rows.write(row)
        count_all(
            todo,
            ev,
            problems,
            config=worker_config,
            executor=executor,
            workers=workers,
            rows=rows,
            saver=saver,
            progress=None if progress is None else with_total(progress, len(pairing.pairs)),
            sizes=_sizes(todo, executor),
        )
    finally:
        if rows is not None:
            rows.close()
        if saver is not None:
            saver.save(ev)
    swapped = swap_note(problems, len(pairing.pairs)) + label_ids_note(
        problems, pairing.pairs, config
    )
    if problems and on_bad == "fail":
        raise FolderProblemsError(
            tuple(problems),
            num_evaluated=ev.num_images,
            num_pairs=len(pairing.pairs),
            note=swapped,
            skipped=pairing.skipped,
        )
    if ev.num_images == 0:
        raise InputError(
            f"{func}: no pair could be evaluated:\n"
            f"{format_problems(problems, limit=MESSAGE_LIMIT)}{swapped}"
        )
    result = ev.result()
    return FolderEvaluation(
        result=result if bands is None else result.with_quality_bands(bands),
        problems=tuple(problems),
        config=config,
        on_bad=on_bad,
        num_pairs=len(pairing.pairs),
        skipped=pairing.skipped,
    )
