"""One image of a panoptic evaluation: segment tables, pixel counts of (target, prediction)
pairs, and the matching rules of panopticapi's ``pq_compute_single_core`` (and of
boundary-iou-api's Boundary PQ, whose band counts come from :mod:`ioukit.panoptic._boundary`).

Everything here works on counts (:func:`ioukit.kernels.panoptic.pair_counts`): the pixels of
each (target id, prediction id) pair, sorted by (target id, prediction id). An image's outcome is
an :class:`ImageStats`: TP, FP and FN per category, and the IoU of each match in the order
panopticapi adds them (so that dataset sums are bit-identical).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit.panoptic._boundary import band_counts

NDArray = np.ndarray[Any, Any]

VOID = 0
"""The id of unlabelled pixels, in targets and predictions."""

CONVENTIONS = ("panopticapi", "ioukit")


class BadImage(InputError):
    """One image cannot be evaluated: ``kind`` (a key of ``PROBLEM_KINDS``) and the message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Categories:
    """The categories of an evaluation, in the order given: ``ids`` (K,), ``names``,
    ``isthing`` (K,) bool, and ``index``: category id → position."""

    ids: tuple[int, ...]
    names: tuple[str, ...]
    isthing: tuple[bool, ...]

    @property
    def index(self) -> dict[int, int]:
        return {c: i for i, c in enumerate(self.ids)}


def parse_categories(func: str, categories: object, where: str = "`categories`") -> Categories:
    """COCO panoptic categories (``[{"id", "name", "isthing"}, ...]``) → :class:`Categories`
    (returned as is if it is one already)."""
    if isinstance(categories, Categories):
        return categories
    if not isinstance(categories, Sequence) or isinstance(categories, (str, bytes)):
        raise InputError(
            f'{func}: {where} must be a list of {{"id", "name", "isthing"}} objects; got '
            f"{type(categories).__name__}."
        )
    ids: list[int] = []
    names: list[str] = []
    things: list[bool] = []
    for i, cat in enumerate(categories):
        if not isinstance(cat, Mapping) or "id" not in cat:
            raise InputError(f'{func}: {where}[{i}] must be an object with an "id"; got {cat!r}.')
        cid = cat["id"]
        if isinstance(cid, bool) or not isinstance(cid, (int, np.integer)):
            raise InputError(f"{func}: {where}[{i}] has a non-integer id {cid!r}.")
        if int(cid) in ids:
            raise InputError(f"{func}: {where} lists category id {cid} twice.")
        ids.append(int(cid))
        names.append(str(cat.get("name", cid)))
        things.append(cat.get("isthing", 0) == 1)
    if not ids:
        raise InputError(f"{func}: {where} is empty; PQ needs at least one category.")
    return Categories(tuple(ids), tuple(names), tuple(things))


@dataclass(frozen=True)
class Segments:
    """The segments of one id map: ``ids`` (S,), ``cats`` (S,) category positions,
    ``crowd`` (S,) bool and ``area`` (S,) int64 (the JSON ``area``; -1 where not given)."""

    ids: NDArray
    cats: NDArray
    crowd: NDArray
    area: NDArray


def parse_segments(
    segments: object, categories: Categories, where: str, *, need_area: bool
) -> Segments:
    """``segments_info`` (``[{"id", "category_id", "iscrowd", "area"}, ...]``) →
    :class:`Segments`; a bad entry raises :class:`BadImage` naming ``where``."""
    if not isinstance(segments, Sequence) or isinstance(segments, (str, bytes)):
        raise BadImage("bad_json", f"{where}: segments_info must be a list; got {segments!r}.")
    index = categories.index
    n = len(segments)
    ids = np.empty(n, dtype=np.int64)
    cats = np.empty(n, dtype=np.int64)
    crowd = np.zeros(n, dtype=bool)
    area = np.full(n, -1, dtype=np.int64)
    seen: set[int] = set()
    for i, seg in enumerate(segments):
        if not isinstance(seg, Mapping) or "id" not in seg or "category_id" not in seg:
            raise BadImage(
                "bad_json",
                f'{where}: segment {i} must have "id" and "category_id"; got {seg!r}.',
            )
        sid, cid = seg["id"], seg["category_id"]
        if isinstance(sid, bool) or not isinstance(sid, (int, np.integer)) or not 0 < sid < 2**31:
            raise BadImage("bad_json", f"{where}: segment {i} has id {sid!r}; ids are 1 … 2**31-1.")
        if sid in seen:
            raise BadImage("bad_json", f"{where}: segment id {sid} is listed twice.")
        seen.add(int(sid))
        if cid not in index:
            raise BadImage(
                "unknown_category",
                f"{where}: segment {sid} has category_id {cid!r}, which is not one of the "
                f"{len(index)} categories of the ground truth.",
            )
        ids[i], cats[i] = sid, index[cid]
        crowd[i] = seg.get("iscrowd", 0) == 1
        if "area" in seg:
            area[i] = int(seg["area"])
        elif need_area:
            raise BadImage(
                "bad_json",
                f'{where}: segment {sid} has no "area" (convention="panopticapi" takes target '
                'areas from the JSON; convention="ioukit" counts them in the PNG).',
            )
    return Segments(ids, cats, crowd, area)


@dataclass(frozen=True)
class ImageStats:
    """The outcome of one image: ``tp``, ``fp``, ``fn`` (K,) int64, and the matches, in the
    order their IoUs are added: ``match_cats`` (M,) category positions, ``match_iou`` (M,)."""

    tp: NDArray
    fp: NDArray
    fn: NDArray
    match_cats: NDArray
    match_iou: NDArray


def _check_ids(found: NDArray, segs: Segments, file: str, what: str) -> None:
    """Every non-VOID id of the PNG is a segment of the JSON, and the reverse."""
    ids = found[found != VOID]
    extra = np.setdiff1d(ids, segs.ids)
    if extra.size:
        raise BadImage(
            "unknown_segment",
            f"{file}: the {what} PNG holds segment id(s) {extra[:8].tolist()} that its "
            "segments_info does not list.",
        )
    missing = np.setdiff1d(segs.ids, ids)
    if missing.size:
        raise BadImage(
            "missing_segment",
            f"{file}: the {what} segments_info lists segment id(s) {missing[:8].tolist()} "
            "that are not in its PNG.",
        )


def match_image(
    gt_ids: NDArray,
    pred_ids: NDArray,
    pixels: NDArray,
    gt: Segments,
    pred: Segments,
    *,
    isthing: NDArray,
    convention: str,
    pq_dagger: bool,
    names: tuple[str, str] = ("target", "prediction"),
    boundary: float | None = None,
    maps: tuple[NDArray, NDArray] | None = None,
) -> ImageStats:
    """The TP/FP/FN and matched IoUs of one image from its pair counts (sorted by target id,
    then prediction id). The rules are those of :func:`ioukit.panoptic_quality`; with
    ``boundary`` (a dilation ratio), the IoU of a pair is ``min(mask IoU, boundary IoU)``, the
    bands counted in ``maps``, the (target, prediction) integer id maps."""
    _check_ids(np.unique(gt_ids), gt, names[0], "target")
    _check_ids(np.unique(pred_ids), pred, names[1], "prediction")
    bands = None
    if boundary is not None:
        if maps is None:
            raise ParameterError("match_image: `boundary` needs the id maps `maps`.")
        bands = band_counts(maps, gt, pred, boundary)
    k = isthing.shape[0]
    tp = np.zeros(k, dtype=np.int64)
    fp = np.zeros(k, dtype=np.int64)
    fn = np.zeros(k, dtype=np.int64)
    gi = {int(s): i for i, s in enumerate(gt.ids.tolist())}
    pi = {int(s): i for i, s in enumerate(pred.ids.tolist())}
    # areas: predictions always from the PNG; targets from the JSON (panopticapi) or the PNG
    pred_area = np.zeros(len(pi), dtype=np.int64)
    gt_png_area = np.zeros(len(gi), dtype=np.int64)
    void_of_pred = np.zeros(len(pi), dtype=np.int64)  # prediction pixels on target VOID
    g_list, p_list, n_list = gt_ids.tolist(), pred_ids.tolist(), pixels.tolist()
    for g, p, n in zip(g_list, p_list, n_list, strict=True):
        if p != VOID:
            pred_area[pi[p]] += n
            if g == VOID:
                void_of_pred[pi[p]] = n
        if g != VOID:
            gt_png_area[gi[g]] += n
    gt_area = gt.area if convention == "panopticapi" else gt_png_area
    gt_cats, gt_crowd, pred_cats = gt.cats.tolist(), gt.crowd.tolist(), pred.cats.tolist()
    stuff_dagger = pq_dagger
    thing = isthing.tolist()
    cats_out: list[int] = []
    ious: list[float] = []
    gt_matched = np.zeros(len(gi), dtype=bool)
    pred_matched = np.zeros(len(pi), dtype=bool)
    for g, p, n in zip(g_list, p_list, n_list, strict=True):
        if g == VOID or p == VOID:
            continue
        a, b = gi[g], pi[p]
        c = gt_cats[a]
        if gt_crowd[a] or c != pred_cats[b]:
            continue
        union = int(pred_area[b]) + int(gt_area[a]) - n - int(void_of_pred[b])
        if union <= 0:
            raise BadImage(
                "bad_json",
                f"{names[0]}: segment {g} has area {int(gt_area[a])} in the JSON, but "
                f"{n} of its pixels are in prediction segment {p}; fix the area, or pass "
                'convention="ioukit" (areas counted in the PNG).',
            )
        iou = n / union
        if bands is not None:  # boundary-iou-api: min(mask IoU, boundary IoU)
            inter = bands.pairs.get((g, p), 0)
            on_void = bands.pairs.get((VOID, p), 0)  # the prediction's band on target VOID
            b_union = int(bands.pred_area[b]) + int(bands.gt_area[a]) - inter - on_void
            iou = min(iou, inter / b_union)
        if stuff_dagger and not thing[c]:
            if iou > 0.0:  # PQ†: every overlap of a stuff category counts, no threshold
                cats_out.append(c)
                ious.append(iou)
            continue
        if iou > 0.5:
            tp[c] += 1
            cats_out.append(c)
            ious.append(iou)
            gt_matched[a] = True
            pred_matched[b] = True
    # unmatched targets: FN, except crowd regions, which are remembered per category
    crowd_of: dict[int, list[int]] = {}
    for a in range(len(gi)):
        c = gt_cats[a]
        if gt_matched[a]:
            continue
        if gt_crowd[a]:
            if convention == "panopticapi":
                crowd_of[c] = [a]  # one crowd region per category: the last one listed wins
            else:
                crowd_of.setdefault(c, []).append(a)
            continue
        if stuff_dagger and not thing[c]:
            tp[c] += 1  # PQ†: the "TP" of a stuff category counts its target segments
            continue
        fn[c] += 1
    # unmatched predictions: FP unless mostly on VOID plus a crowd region of their category
    on_crowd: dict[tuple[int, int], int] = {}
    for g, p, n in zip(g_list, p_list, n_list, strict=True):
        if g != VOID and p != VOID and gt_crowd[gi[g]]:
            on_crowd[(gi[g], pi[p])] = n
    for b in range(len(pi)):
        c = pred_cats[b]
        if pred_matched[b] or (stuff_dagger and not thing[c]):
            continue
        ignored = int(void_of_pred[b])
        for a in crowd_of.get(c, ()):
            ignored += on_crowd.get((a, b), 0)
        if ignored / int(pred_area[b]) > 0.5:
            continue
        fp[c] += 1
    return ImageStats(
        tp, fp, fn, np.asarray(cats_out, dtype=np.int64), np.asarray(ious, dtype=np.float64)
    )


def match_files(
    pairs: tuple[NDArray, NDArray, NDArray],
    target_segments: object,
    pred_segments: object,
    config: dict[str, Any],
    where: tuple[str, str, str, str],
    maps: tuple[NDArray, NDArray] | None = None,
) -> ImageStats:
    """Parse one image's ``segments_info`` and match it (:func:`match_image`). ``config``:
    ``categories``, ``convention``, ``pq_dagger``, ``boundary``; ``where``: the names of the
    target map, the prediction map, and of their segments, for messages; ``maps``: the
    (target, prediction) integer id maps, needed with ``boundary``."""
    cats: Categories = config["categories"]
    convention = config["convention"]
    gt = parse_segments(target_segments, cats, where[2], need_area=convention == "panopticapi")
    pr = parse_segments(pred_segments, cats, where[3], need_area=False)
    return match_image(
        *pairs,
        gt,
        pr,
        isthing=np.asarray(cats.isthing, dtype=bool),
        convention=convention,
        pq_dagger=config["pq_dagger"],
        names=(where[0], where[1]),
        boundary=config.get("boundary"),
        maps=maps,
    )


def check_options(func: str, convention: object, aggregation: object, on_bad: object) -> None:
    for name, value, options in (
        ("convention", convention, CONVENTIONS),
        ("aggregation", aggregation, ("dataset", "image")),
        ("on_bad", on_bad, ("fail", "skip")),
    ):
        if value not in options:
            raise ParameterError(f"{func}: `{name}` must be one of {list(options)}; got {value!r}.")
