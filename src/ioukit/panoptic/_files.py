"""The file side of :func:`ioukit.panoptic_quality`: the COCO panoptic JSON files, reading the RGB
PNGs, the task a worker runs on a few images, and the run that hands tasks to an executor and
records the outcomes in image order (:func:`ioukit._run.run_ordered`). Only counts travel
between processes, never pixels."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ioukit._errors import InputError
from ioukit._folder import Problem
from ioukit.panoptic._boundary import boundary_map, to_ids
from ioukit.panoptic._match import BadImage, ImageStats, match_files

if TYPE_CHECKING:
    from ioukit._pool import Executor
    from ioukit.panoptic.evaluator import PanopticEvaluator

NDArray = np.ndarray[Any, Any]

PROBLEM_KINDS: dict[str, str] = {
    "missing_prediction": "target images without a prediction",
    "unreadable": "unreadable or corrupt PNG files",
    "bad_mode": "PNG files that are not RGB",
    "size_mismatch": "prediction and target sizes differ",
    "unknown_segment": "PNG ids missing from segments_info",
    "missing_segment": "segments_info ids missing from the PNG",
    "unknown_category": "segments of unknown categories",
    "bad_json": "malformed segments_info",
}
"""The kinds of problem of a panoptic evaluation, in the order listed: kind → heading."""

_MODE_HINTS = {
    "RGBA": "drop the alpha channel (panopticapi drops it silently)",
    "P": "convert the palette image to RGB first (its indices are not ids)",
    "L": "a single-channel PNG holds no RGB ids; save the id map as RGB",
}


def format_problems(problems: list[Problem] | tuple[Problem, ...]) -> str:
    """The problems as indented lines under the heading of their kind."""
    lines = []
    for kind, heading in PROBLEM_KINDS.items():
        texts = [str(p) for p in problems if p.kind == kind]
        if texts:
            lines.append(f"  {heading} ({len(texts)}):")
            lines.extend(f"    {t}" for t in texts)
    return "\n".join(lines)


class PanopticProblemsError(InputError):
    """:func:`ioukit.panoptic_quality` with ``on_bad="fail"`` found bad images (all listed,
    each naming its file). Attributes: ``problems``, ``num_evaluated``."""

    def __init__(self, problems: tuple[Problem, ...], num_evaluated: int) -> None:
        self.problems = problems
        self.num_evaluated = num_evaluated
        advice = (
            f'Fix the files, or pass on_bad="skip" to evaluate the {num_evaluated} good '
            "image(s) and record the problems."
            if num_evaluated
            else "No image could be evaluated."
        )
        super().__init__(
            f"panoptic_quality: {len(problems)} problem(s) with the input files:\n"
            f"{format_problems(problems)}\n{advice}"
        )


# -- JSON --------------------------------------------------------------------------------------


def load_json(func: str, doc: object, arg: str) -> tuple[dict[str, Any], str]:
    """A COCO panoptic document given as a path or as a dict: ``(dict, its name)``."""
    if isinstance(doc, Mapping):
        data, where = dict(doc), f"`{arg}`"
    elif isinstance(doc, (str, os.PathLike)):
        where = str(doc)
        try:
            with open(doc, "rb") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            raise InputError(f"{func}: `{arg}` {where}: no such file.") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"{func}: `{arg}` {where}: cannot read it as JSON ({exc}).") from None
    else:
        raise InputError(
            f"{func}: `{arg}` must be a path to a COCO panoptic JSON file or its dict; got "
            f"{type(doc).__name__}."
        )
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise InputError(
            f'{func}: `{arg}` {where}: expected a COCO panoptic document with an "annotations" '
            "list of {image_id, file_name, segments_info}."
        )
    for i, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict) or not {"image_id", "file_name"} <= ann.keys():
            raise InputError(
                f'{func}: `{arg}` {where}: annotations[{i}] must have "image_id", "file_name" '
                f'and "segments_info"; got keys {sorted(ann) if isinstance(ann, dict) else ann!r}.'
            )
    return data, where


# -- one image ---------------------------------------------------------------------------------


def read_rgb(path: str) -> tuple[NDArray, bool]:
    """An RGB id PNG: ``(H, W, 3)`` uint8 and whether it is in BGR order. Pillow reads the
    header (the mode check); the pixels come from the fastest decoder installed: pyspng
    (libspng, ``pip install pyspng``), then OpenCV, then Pillow. They give the same pixels
    (checked by ``benchmarks/panoptic.py`` and ``tests/panoptic``); a decoder that returns
    anything but 8-bit RGB hands the file to the next one."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            mode = im.mode
            if mode != "RGB":
                hint = _MODE_HINTS.get(mode, "save the id map as an 8-bit RGB PNG")
                raise BadImage(
                    "bad_mode",
                    f"{path}: a PNG of mode {mode}; panoptic id maps are RGB (mode RGB, id = "
                    f"R + 256 G + 256**2 B): {hint}.",
                )
            spng = _optional("pyspng")
            if spng is not None:
                with open(path, "rb") as fh:
                    arr = spng.load(fh.read())
                if arr.ndim == 3 and arr.shape[2] == 3 and arr.dtype == np.uint8:
                    return arr, False
            cv2 = _optional("cv2")
            if cv2 is not None:
                arr = cv2.imread(path, cv2.IMREAD_UNCHANGED)
                if (
                    arr is not None
                    and arr.ndim == 3
                    and arr.shape[2] == 3
                    and arr.dtype == np.uint8
                ):
                    return arr, True
            return np.asarray(im), False
    except BadImage:
        raise
    except FileNotFoundError:
        raise BadImage("unreadable", f"{path}: no such file.") from None
    except Exception as exc:  # any decoder failure: corrupt, truncated, not a PNG
        raise BadImage(
            "unreadable", f"{path}: cannot read it ({type(exc).__name__}: {exc})."
        ) from None


_OPTIONAL: dict[str, Any] = {}


def _optional(name: str) -> Any:
    """The module ``name`` (a PNG decoder), or None when it is not installed; imported once."""
    if name not in _OPTIONAL:
        try:
            _OPTIONAL[name] = importlib.import_module(name)
        except ImportError:
            _OPTIONAL[name] = None
    return _OPTIONAL[name]


def evaluate_image(config: dict[str, Any], item: tuple[str, str, str, Any, Any]) -> Any:
    """One image: ``ImageStats`` or ``(kind, message)``."""
    from ioukit.kernels.panoptic import pair_counts_rgb

    _, gt_path, pred_path, gt_segs, pred_segs = item
    try:
        t, t_bgr = read_rgb(gt_path)
        p, p_bgr = read_rgb(pred_path)
        if t.shape != p.shape:
            raise BadImage(
                "size_mismatch",
                f"{pred_path} is {p.shape[1]}x{p.shape[0]} (WxH), its target {gt_path} "
                f"{t.shape[1]}x{t.shape[0]}.",
            )
        if t_bgr != p_bgr:  # one read by each reader (rare): both in RGB order
            t, p = (t[..., ::-1] if t_bgr else t), (p[..., ::-1] if p_bgr else p)
        bgr = t_bgr and p_bgr
        pairs = pair_counts_rgb(t, p, bgr=bgr)
        maps = None
        if config.get("boundary") is not None:  # Boundary PQ: the bands need the id maps
            maps = (to_ids(t, bgr=bgr), to_ids(p, bgr=bgr))
        where = (
            gt_path,
            pred_path,
            f"{gt_path} (target segments_info)",
            f"{pred_path} (prediction segments_info)",
        )
        return match_files(pairs, gt_segs, pred_segs, config, where, maps)
    except BadImage as exc:
        return exc.kind, str(exc)


def evaluate_batch(config: dict[str, Any], task: tuple[int, list[Any]]) -> tuple[int, list[Any]]:
    """The task of a worker: ``(index, [item, ...])`` → ``(index, [outcome, ...])``."""
    index, items = task
    return index, [evaluate_image(config, item) for item in items]


def warm_up(config: dict[str, Any]) -> None:
    """Compile the kernels and load the readers here, so forked workers inherit them."""
    from ioukit.kernels.panoptic import pair_counts_rgb

    z = np.zeros((1, 1, 3), dtype=np.uint8)
    pair_counts_rgb(z, z)
    pair_counts_rgb(z, z, bgr=True)
    if config.get("boundary") is not None:
        # label_bands; its int32 boundary maps are counted by pair_counts_rgb's kernel
        boundary_map(np.ones((1, 1), dtype=np.int64), 1)
    _optional("pyspng")
    _optional("cv2")


def run_all(
    items: list[tuple[str, str, str, Any, Any]],
    ev: PanopticEvaluator,
    problems: list[Problem],
    *,
    config: dict[str, Any],
    executor: Executor | None,
    workers: int | None,
    progress: Callable[[int, int], object] | None,
) -> None:
    """Evaluate ``items`` (name, target PNG, prediction PNG, target and prediction
    segments_info) with the executor; add the outcomes to ``ev`` in item order."""
    from ioukit._run import run_ordered

    done = 0

    def consume(item: tuple[str, str, str, Any, Any], outcome: Any) -> None:
        nonlocal done
        if isinstance(outcome, ImageStats):
            ev.add_stats(outcome, item[0])
        else:
            problems.append(Problem(outcome[0], item[0], outcome[1]))
        done += 1
        if progress is not None:
            progress(done, len(items))

    run_ordered(
        "panoptic_quality",
        items,
        partial(evaluate_batch, config),
        consume,
        executor=executor,
        workers=workers,
        warm_up=partial(warm_up, config),
    )


def plan(
    func: str, gt: dict[str, Any], gt_dir: Path, pred: dict[str, Any], pred_dir: Path
) -> tuple[list[tuple[str, str, str, Any, Any]], list[Problem]]:
    """The images to evaluate, in the order of the target annotations, and the targets without
    a prediction. Predictions of images not in the target are not evaluated (panopticapi)."""
    by_image: dict[Any, dict[str, Any]] = {}
    for ann in pred["annotations"]:
        by_image[ann["image_id"]] = ann  # the last one wins, as in panopticapi
    items = []
    problems = []
    for ann in gt["annotations"]:
        name = str(ann["file_name"])
        other = by_image.get(ann["image_id"])
        if other is None:
            problems.append(
                Problem(
                    "missing_prediction",
                    name,
                    f"image_id {ann['image_id']!r} ({gt_dir / name}) has no prediction in the "
                    "prediction JSON",
                )
            )
            continue
        items.append(
            (
                name,
                str(gt_dir / name),
                str(pred_dir / str(other["file_name"])),
                ann.get("segments_info", []),
                other.get("segments_info", []),
            )
        )
    return items, problems
