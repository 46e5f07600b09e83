"""LVIS detection and instance-segmentation evaluation, identical to lvis-api 0.5.3.

:func:`lvis_evaluate` reads the ground truth and the results into columns with COCO's readers
(:mod:`ioukit.detection._coco_load`), applies LVIS's result cap (per image, or per category for
the "fixed AP" of Dave et al. 2021) and its federated rules, computes each (image, category)
cell's IoU matrix, matches every cell at every area range and IoU threshold with COCO's kernel
(:func:`ioukit.kernels.coco.match_cells`; LVIS's greedy rule is COCO's without crowds), ignores
the unmatched detections of categories that are not exhaustively annotated, and accumulates with
COCO's accumulation at a single ``max_dets`` (:mod:`ioukit.detection._accumulate`), which is
LVIS's rule too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit._pool import Executor
from ioukit.detection._accumulate import MatchState
from ioukit.detection._coco_load import FUNC as _COCO_FUNC
from ioukit.detection._coco_load import _read, load_gt, load_results
from ioukit.detection._coco_params import _area_ranges, _ids, _levels
from ioukit.detection._lvis_result import FREQUENCIES, LVISParams, LVISResult, accumulate_records
from ioukit.detection._shards import (
    check_options,
    evaluate_shards,
    in_shards,
    join_lists,
    result_shards,
)
from ioukit.detection._shards import positions as _positions
from ioukit.detection.coco import _mask_ious
from ioukit.kernels._memory import release_free_memory
from ioukit.kernels.coco import box_ious, match_cells, order_cells

__all__ = ["LVISParams", "LVISResult", "lvis_evaluate"]

_NDArray = np.ndarray[Any, Any]

FUNC = "lvis_evaluate"
_LVIS_HINT = "a field of the LVIS format (a COCO file is not LVIS: use coco_evaluate)"


def lvis_evaluate(
    gt: Any,
    dt: Any,
    *,
    iou_type: str = "bbox",
    max_dets: int | None = 300,
    max_dets_per_category: int | None = None,
    iou_thresholds: Sequence[float] | None = None,
    recall_thresholds: Sequence[float] | None = None,
    area_ranges: Mapping[str, tuple[float, float]] | None = None,
    img_ids: Sequence[Any] | None = None,
    cat_ids: Sequence[Any] | None = None,
    executor: Executor | None = None,
    shards: int | Sequence[int] | None = None,
) -> LVISResult:
    """LVIS detection (``"bbox"``) or instance-segmentation (``"segm"``) AP and AR, with the
    federated rules and the rare / common / frequent groups.

    The numbers are those of lvis-api 0.5.3 (``LVISEval(gt, dt, iou_type)`` then
    ``evaluate(); accumulate(); summarize()``), bit for bit: ``precision``, ``recall``,
    ``results`` and the printed summary. Its rules and quirks:

    * **the result cap** (``LVISResults.limit_dets_per_image``) is applied to the whole result
      list before anything else: an image with more than ``max_dets`` results keeps its
      ``max_dets`` highest scores across categories (a stable sort, so among equal scores the
      earlier in the list), including results that the later rules drop (other images,
      unknown categories of ``cat_ids``, zero area, not federated). The cap reorders the list
      (grouped by image), which changes nothing but the next point;
    * the result list takes COCO's *bbox branch* (area ``w * h``, a box polygon as mask when
      there is none) when the first result **after the cap** has a ``bbox`` key, else the
      *segm branch* (area and box from the RLE); ioukit raises when that first result is not
      the list's first and they disagree (a list mixing both kinds);
    * **zero area is not evaluated**: lvis-api loads annotations with ``0 < area < inf``
      (``get_ann_ids``), so a ground truth with ``area`` 0 and a result of area 0 (a box of
      width or height 0, an empty mask) are dropped, not counted; such a ground truth does not
      make its category positive in its image;
    * **federated**: a result is evaluated only when its category has a ground truth in its
      image or is in the image's ``neg_category_ids``; otherwise it is dropped. A result of a
      category in the image's ``not_exhaustive_category_ids`` that matches nothing (also one
      that takes a ground truth with id 0, see below) is ignored, neither true nor false
      positive;
    * **no crowds**: ``iscrowd`` is not read (every IoU is intersection over union); a ground
      truth's own ``ignore`` field, when true, ignores it (unlike COCO, which overwrites it);
    * matching is COCO's greedy rule per (image, category): results in decreasing score
      (ties in list order), thresholds lowered to ``min(t, 1 - 1e-10)``, the ground truth of
      highest IoU ``>=`` the threshold wins (the later one on ties), regular ground truths
      first, and a result matched to an ignored ground truth is ignored. There is **no
      per-category cap** in an image; a result matched to a ground truth whose ``id`` is 0 is
      stored as unmatched (lvis-api keeps matches as ids, 0 meaning none): a false positive,
      and the ground truth stays taken;
    * area ranges are inclusive at both ends and read the ground truth's JSON ``area`` (32² is
      both small and medium); an unmatched result is ignored when its own area (``w * h`` or
      the mask area, by the branch above) is outside the range;
    * accumulation is COCO's: per (category, area), all images' results stable-sorted by
      decreasing score (ties by image id order, then list order), precision made monotone from
      the right and read at the first result whose recall reaches each level (0 when none
      does: lvis-api's ``try/except`` stops at the first miss), ``tp / (tp + fp +
      np.spacing(1))``; recall is the final recall (0 without results);
    * a category without ground truth in the evaluated images (area range) stays -1, even with
      false positives on images that list it as negative, and is left out of every mean; the
      means are ``np.mean`` over the entries > -1 in (T, R, K) order (pairwise summation), -1
      when there is none; AP50 and AP75 look up 0.5 and 0.75 by exact float equality (-1 when
      not among ``iou_thresholds``); APr/APc/APf average the categories whose ``frequency`` is
      ``"r"``, ``"c"``, ``"f"``; a missing area label gives -1 (lvis-api may raise there);
    * images without ground truth are evaluated: only their negative categories count there.
      Image ids are sorted (``img_ids`` too, deduplicated); categories are sorted, but
      ``cat_ids`` keeps the order given (the K axis follows it, and the means sum in that
      order), as lvis-api does.

    lvis-api's ``use_cats=0`` is not offered (lvis-api reads only the cells of category -1
    there: it evaluates nothing, every number is -1). lvis-api 0.5.3 itself needs NumPy
    < 1.24 (its ``accumulate`` calls ``np.float``).

    Where ioukit refuses what lvis-api accepts: a result whose category is not a category of
    ``gt`` (lvis-api drops it silently), and a ground truth whose ``id`` is repeated (lvis-api
    then evaluates the last annotation with that id once per occurrence). A compressed RLE must
    have its image's size.

    Parameters
    ----------
    gt : str, path or dict
        An LVIS annotation file or its dict: ``images`` with ``id``, ``neg_category_ids``,
        ``not_exhaustive_category_ids`` (and ``height``/``width`` for ``"segm"``);
        ``categories`` with ``id``, ``frequency`` (``"r"``, ``"c"`` or ``"f"``) and ``name``;
        ``annotations`` with ``id``, ``image_id``, ``category_id``, ``area`` and ``bbox`` or
        ``segmentation`` (polygons or RLE), optionally ``ignore``.
    dt : str, path, list of dict, or list of shards
        An LVIS results file or its list: ``image_id``, ``category_id``, ``score``, and
        ``bbox`` ``[x, y, w, h]`` and/or ``segmentation`` (an RLE of the image's size). A list
        whose items are paths or lists (not dicts) is a list of *result shards* (the per-rank
        files of distributed inference), evaluated as their concatenation (the caps and the
        format branch see it whole); they must hold disjoint images.
    iou_type : {"bbox", "segm"}, default "bbox"
        Overlap of boxes or of masks.
    max_dets : int or None, default 300
        Results kept per image, across categories (LVIS's official 300); None keeps all
        (lvis-api's ``max_dets=-1``; ``maxDets= -1`` in the summary, keys ``AR@-1``...).
    max_dets_per_category : int, optional
        The "fixed AP" of Dave et al. 2021 ("Evaluating Large-Vocabulary Object Detectors: The
        Devil is in the Details"; 10000 for LVIS): the per-image cap is replaced by a cap per
        category over the whole dataset. Each category keeps its ``max_dets_per_category``
        highest-scoring results over all images (a stable sort: among equal scores the earlier
        in the list), counted over the whole result list before the other rules, as the
        paper's ``evaluate_ap_fixed.py`` does; there is then no per-image cap, and
        ``params.max_dets`` is -1 (keys ``AR@-1``...), as that script sets it. The first
        result after this cap (the best of the first listed result's category) decides the
        branch.
    iou_thresholds : sequence of float, optional
        IoU thresholds (T,); ``np.linspace(0.5, 0.95, 10)`` by default.
    recall_thresholds : sequence of float, optional
        Recall levels (R,); ``np.linspace(0, 1, 101)`` by default.
    area_ranges : dict str -> (float, float), optional
        Labelled area ranges (A,); by default ``all`` [0, 1e10], ``small`` [0, 32²],
        ``medium`` [32², 96²], ``large`` [96², 1e10] (lvis-api's ``1e5 ** 2`` is 1e10).
    img_ids, cat_ids : sequence, optional
        Evaluate these images / categories only (default: all of ``gt``); each must be in
        ``gt``.
    executor : Executor, optional
        Match the images shard by shard on this engine, as :func:`ioukit.coco_evaluate` does
        (only the match statuses come back; merged in the one-pass order, accumulated once:
        the numbers of one pass, bit for bit). The caps (``max_dets``, and
        ``max_dets_per_category``, global over the dataset) are applied here first.
    shards : int or sequence of int, optional
        How the images are cut, as in :func:`ioukit.coco_evaluate`: a number of balanced
        contiguous shards (default with an executor: 4 per worker) or each shard's image
        count. Without an executor the shards run in this process.

    Returns
    -------
    LVISResult
        ``results`` (AP, AP50, AP75, APs, APm, APl, APr, APc, APf, AR@300, ARs@300, ARm@300,
        ARl@300), ``precision`` (T, R, K, A), ``recall`` (T, K, A), ``summary()``,
        ``per_category()`` (with frequencies), ``params``, ``to_dict()``.

    Raises
    ------
    ParameterError
        For an unknown ``iou_type``, a ``max_dets`` or ``max_dets_per_category`` that is not a
        positive int, ids in ``img_ids``/``cat_ids`` that are not in ``gt``, a repeated id in
        ``cat_ids``, or other malformed options (``executor``, ``shards`` included).
    InputError
        For a ``gt`` without the LVIS fields (``neg_category_ids``,
        ``not_exhaustive_category_ids``, ``frequency``) or with a frequency other than r/c/f, an
        annotation without ``id`` or with a repeated one, an empty result list (all the shards
        together), result shards that share an image, a result on an
        image or of a category not in ``gt``, a missing or non-finite score, a malformed box or
        mask, or a missing field; the message names the item.

    Examples
    --------
    Two images; on image 2, category 2 is verified absent (negative) and category 3 is not
    exhaustively annotated:

    >>> from ioukit.detection.lvis import lvis_evaluate
    >>> gt = {
    ...     "images": [
    ...         {"id": 1, "neg_category_ids": [], "not_exhaustive_category_ids": []},
    ...         {"id": 2, "neg_category_ids": [2], "not_exhaustive_category_ids": [3]}],
    ...     "categories": [{"id": 1, "name": "cat", "frequency": "f"},
    ...                    {"id": 2, "name": "dog", "frequency": "r"},
    ...                    {"id": 3, "name": "emu", "frequency": "c"}],
    ...     "annotations": [
    ...         {"id": 1, "image_id": 1, "category_id": 2, "bbox": [0, 0, 40, 40], "area": 1600},
    ...         {"id": 2, "image_id": 2, "category_id": 3, "bbox": [0, 0, 20, 20], "area": 400}],
    ... }
    >>> dt = [
    ...     {"image_id": 1, "category_id": 2, "bbox": [0, 0, 40, 40], "score": 0.5},
    ...     {"image_id": 2, "category_id": 2, "bbox": [50, 50, 9, 9], "score": 0.9},  # FP
    ...     {"image_id": 2, "category_id": 3, "bbox": [0, 0, 20, 20], "score": 0.8},  # TP
    ...     {"image_id": 2, "category_id": 3, "bbox": [60, 0, 9, 9], "score": 0.9},  # ignored
    ...     {"image_id": 2, "category_id": 1, "bbox": [0, 0, 9, 9], "score": 0.9},  # dropped
    ... ]
    >>> r = lvis_evaluate(gt, dt)
    >>> [round(r.results[k], 6) for k in ("APr", "APc", "APf")]  # dog: FP first, then hit
    [0.5, 1.0, -1.0]
    >>> print(r.summary().splitlines()[6])
     Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=300 catIds=  r] = 0.500

    The results in two shards (one per image), matched in two shards of images:

    >>> lvis_evaluate(gt, [dt[:1], dt[1:]], shards=[1, 1]).results == r.results
    True
    """
    try:
        return _lvis_evaluate(
            gt, dt, iou_type, max_dets, max_dets_per_category, iou_thresholds,
            recall_thresholds, area_ranges, img_ids, cat_ids, executor, shards,
        )  # fmt: skip
    except (InputError, ParameterError) as e:
        # the shared readers and option checks name coco_evaluate: name this function
        msg = str(e)
        if not msg.startswith(f"{_COCO_FUNC}:"):
            raise
        raise type(e)(FUNC + msg[len(_COCO_FUNC) :]) from e.__cause__


def _lvis_evaluate(
    gt: Any,
    dt: Any,
    iou_type: str,
    max_dets: Any,
    max_dets_per_category: Any,
    iou_thresholds: Any,
    recall_thresholds: Any,
    area_ranges: Any,
    img_ids: Any,
    cat_ids: Any,
    executor: Any,
    shards: Any,
) -> LVISResult:
    check_options(FUNC, executor, shards)
    if iou_type not in ("bbox", "segm"):
        raise ParameterError(
            f"{FUNC}: `iou_type` must be one of ['bbox', 'segm']; got {iou_type!r}."
        )
    per_image = None if max_dets is None else _positive("max_dets", max_dets)
    per_cat = None
    if max_dets_per_category is not None:
        per_cat = _positive("max_dets_per_category", max_dets_per_category)
        per_image = None
    segm = iou_type == "segm"
    data = _read("gt", gt, dict)
    g = load_gt(data, need_boxes=not segm)
    neg, nel, freq, ignore = _lvis_fields(data)
    parts, starts = result_shards(FUNC, dt), None
    if parts is not None:  # one list: the cap and the format branch see all the results
        dt, starts = join_lists(FUNC, parts)
    with in_shards(starts):
        anns = _read("dt", dt, list)
        d = load_results(anns, g, need_masks=segm)
        params = LVISParams(
            iou_type=iou_type,
            iou_thresholds=_levels("iou_thresholds", iou_thresholds, np.linspace(0.5, 0.95, 10)),
            recall_thresholds=_levels(
                "recall_thresholds", recall_thresholds, np.linspace(0.0, 1.0, 101)
            ),
            max_dets=-1 if per_image is None else per_image,
            max_dets_per_category=per_cat,
            area_ranges=_area_ranges(area_ranges),
            img_ids=_known("img_ids", _ids("img_ids", img_ids, list(g.img_ids)), g.img_sizes),
            cat_ids=_known("cat_ids", _cat_ids(cat_ids, list(g.cat_ids)), freq),
        )
        # the caps are global (per image, or per category over the dataset): applied here,
        # before the images are cut into shards
        capped = _cap(anns, g, d, per_image, per_cat)
        if executor is None and shards is None:
            records = _match(g, d, params, capped, neg, nel, ignore)
        else:

            def rows(ids: Sequence[Any], gr: _NDArray, dr: _NDArray) -> tuple[Any, ...]:
                return (capped[dr], {i: neg[i] for i in ids}, {i: nel[i] for i in ids},
                        ignore[gr])  # fmt: skip

            records = evaluate_shards(
                FUNC, _match, g, d, params, rows, executor=executor, shards=shards
            )
    precision, recall = accumulate_records(records, params.recall_thresholds)
    names = tuple(str(g.cat_names.get(c, c)) for c in params.cat_ids)
    del g, d
    release_free_memory()  # what the readers and kernels freed, not kept resident for good
    return LVISResult(
        precision, recall, params=params, category_names=names,
        category_frequencies=tuple(freq[c] for c in params.cat_ids), records=records,
    )  # fmt: skip


def _positive(name: str, value: Any) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0:
        return int(value)
    raise ParameterError(
        f"{FUNC}: `{name}` must be a positive int (e.g. 300 per image, 10000 per category for "
        f"the fixed AP) or None; got {value!r}."
    )


def _cat_ids(value: Any, default: list[Any]) -> tuple[Any, ...]:
    """The categories in the order given (lvis-api keeps it: it sorts only its default)."""
    if value is None:
        return _ids("cat_ids", None, list(dict.fromkeys(default)))
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        raise ParameterError(f"{FUNC}: `cat_ids` must be a sequence of ids; got {value!r}.")
    out = tuple(v.item() if isinstance(v, np.generic) else v for v in value)
    if len(set(out)) != len(out):
        raise ParameterError(f"{FUNC}: `cat_ids` must not repeat an id; got {value!r}.")
    return out


def _known(name: str, ids: tuple[Any, ...], known: Mapping[Any, Any]) -> tuple[Any, ...]:
    unknown = [v for v in ids if v not in known]
    if unknown:
        raise ParameterError(
            f"{FUNC}: `{name}` must hold ids of `gt`; got {len(unknown)} unknown, e.g. "
            f"{unknown[0]!r}."
        )
    return ids


def _lvis_fields(
    data: dict[str, Any],
) -> tuple[dict[Any, Any], dict[Any, Any], dict[Any, str], _NDArray]:
    """The LVIS parts of a ground truth that :func:`load_gt` has read: per image its negative
    and not-exhaustive category lists, per category its frequency, and the annotations'
    ``ignore`` flags. Annotation ids must be present and distinct (lvis-api indexes by them)."""
    neg: dict[Any, Any] = {}
    nel: dict[Any, Any] = {}
    for i, img in enumerate(data["images"]):
        for key, out in (("neg_category_ids", neg), ("not_exhaustive_category_ids", nel)):
            value = img.get(key)
            if not isinstance(value, (list, tuple)):
                raise InputError(
                    f"{FUNC}: `gt['images'][{i}]` must have a list {key!r} ({_LVIS_HINT}); got "
                    f"{'no such field' if value is None else repr(value)} for image "
                    f"{img['id']!r}."
                )
            out[img["id"]] = value
    freq: dict[Any, str] = {}
    for i, cat in enumerate(data["categories"]):
        f = cat.get("frequency")
        if f not in FREQUENCIES:
            raise InputError(
                f"{FUNC}: `gt['categories'][{i}]` must have a 'frequency' of 'r', 'c' or 'f' "
                f"(rare, common, frequent: {_LVIS_HINT}); got "
                f"{'no such field' if f is None else repr(f)} for category {cat['id']!r}."
            )
        freq[cat["id"]] = f
    anns = data["annotations"]
    seen: dict[Any, int] = {}
    for i, ann in enumerate(anns):
        if "id" not in ann:
            raise InputError(
                f"{FUNC}: `gt['annotations'][{i}]` must have an 'id' (lvis-api indexes the "
                "annotations by id); got none."
            )
        j = seen.setdefault(ann["id"], i)
        if j != i:
            raise InputError(
                f"{FUNC}: `gt['annotations']` must have distinct ids; id {ann['id']!r} is at "
                f"[{j}] and [{i}] (lvis-api would evaluate the last of them twice)."
            )
    ignore = np.fromiter((bool(a.get("ignore", 0)) for a in anns), bool, len(anns))
    return neg, nel, freq, ignore


def _cap(anns: list[Any], g: Any, d: Any, per_image: int | None, per_cat: int | None) -> _NDArray:
    """Which results survive lvis-api's cap (a bool mask over the list), after checking the
    results' categories and the format branch that the first result after the cap selects."""
    cat_index = {c: k for k, c in enumerate(g.cat_ids)}
    cat_pos = _positions(d.category_id, cat_index)
    if (cat_pos < 0).any():
        i = int(np.argmax(cat_pos < 0))
        raise InputError(
            f"{FUNC}: `dt[{i}]` has category_id {anns[i]['category_id']!r}, which is not a "
            f"category of `gt` ({int((cat_pos < 0).sum())} result(s) have unknown category ids)."
        )
    n = len(anns)
    keep = np.ones(n, bool)
    first = 0  # the first result after the cap
    if per_image is not None or per_cat is not None:
        if per_image is not None:
            group = _positions(d.image_id, {v: i for i, v in enumerate(g.img_ids)})
        else:
            group = cat_pos
        cap = per_image if per_image is not None else per_cat
        # by decreasing score within the group, ties in list order (Python's stable sort)
        order, start = order_cells(
            group, np.asarray(d.score), np.zeros(n, np.int64), int(group.max()) + 1, by_score=True
        )
        rank = np.arange(n) - np.repeat(start[:-1], np.diff(start))
        keep[order[rank >= cap]] = False
        g0 = group[0]
        # limit_dets_per_image reorders an image's results only when it has too many;
        # limit_dets_per_cat sorts every category
        if per_image is None or start[g0 + 1] - start[g0] > cap:
            first = int(order[start[g0]])
    # load_results took the bbox branch when dt[0] has a box (an empty one is refused there)
    if ("bbox" in anns[first]) != ("bbox" in anns[0]):
        raise InputError(
            f"{FUNC}: `dt[0]` and `dt[{first}]` differ in having a 'bbox': lvis-api decides the "
            f"format of all results by `dt[{first}]` (the first after its cap), so a list that "
            "mixes results with and without boxes gets areas that depend on the cap; give "
            "every result a box, or none."
        )
    return keep


def _match(
    g: Any,
    d: Any,
    p: LVISParams,
    capped: _NDArray,
    neg: dict[Any, Any],
    nel: dict[Any, Any],
    ignore: _NDArray,
) -> MatchState:
    """Cells, federated filtering, IoUs and matching: the match statuses of ``p.img_ids``
    (every detection at rank 0: LVIS accumulates at a single max_dets, after its own
    cap)."""
    n_img, n_k = len(p.img_ids), len(p.cat_ids)
    img_index = {v: i for i, v in enumerate(p.img_ids)}
    cat_index = {v: k for k, v in enumerate(p.cat_ids)}
    n_cells = n_k * n_img

    def cells(image_id: Any, category_id: Any, keep: _NDArray) -> _NDArray:
        i = _positions(image_id, img_index)
        k = _positions(category_id, cat_index)
        return np.where(keep & (i >= 0) & (k >= 0), k * n_img + i, -1)

    def listed(lists: dict[Any, Any]) -> _NDArray:
        out = np.zeros(n_cells, bool)
        for img, i in img_index.items():
            ks = [cat_index[c] for c in lists[img] if c in cat_index]
            out[np.asarray(ks, np.int64) * n_img + i] = True
        return out

    g_area = np.asarray(g.area, dtype=np.float64)
    g_cell = cells(g.image_id, g.category_id, (g_area > 0) & (g_area < np.inf))
    d_area = np.asarray(d.area, dtype=np.float64)
    d_cell = cells(d.image_id, d.category_id, capped & (d_area > 0) & (d_area < np.inf))
    # federated: a result counts where its category is positive (has ground truth) or negative
    allowed = listed(neg)
    allowed[g_cell[g_cell >= 0]] = True
    d_cell[d_cell >= 0] = np.where(allowed[d_cell[d_cell >= 0]], d_cell[d_cell >= 0], -1)

    # ground truths in list order within a cell; results by decreasing score, ties in list order
    no_tie = np.zeros(max(g_cell.size, d_cell.size), np.int64)
    g_order, gt_off = order_cells(
        g_cell, np.zeros(g_cell.size), no_tie[: g_cell.size], n_cells, by_score=False
    )
    score_all = np.asarray(d.score, dtype=np.float64)
    d_order, dt_off = order_cells(d_cell, score_all, no_tie[: d_cell.size], n_cells, by_score=True)
    n_pairs = np.diff(gt_off) * np.diff(dt_off)
    iou_off = np.zeros(n_cells + 1, np.int64)
    np.cumsum(n_pairs, out=iou_off[1:])

    no_crowd = np.zeros(np.asarray(g.crowd).size, bool)
    if p.iou_type == "segm":
        no_crowd_g = replace(g, crowd=no_crowd)
        known_area = d_area[d_order].copy()  # (read by the general reader: none missing)
        iou = _mask_ious(no_crowd_g, d, g_order, d_order, gt_off, dt_off, iou_off, p, known_area)
    else:
        boxes = np.asarray(d.bbox)[d_order], np.asarray(g.bbox)[g_order]
        iou = box_ious(*boxes, no_crowd[g_order], dt_off, gt_off, iou_off)

    thresholds = np.minimum(np.asarray(p.iou_thresholds), 1 - 1e-10)
    areas = np.array([[lo, hi] for _, lo, hi in p.area_ranges], dtype=np.float64).reshape(-1, 2)
    n_det = d_order.size
    status, _, regular = match_cells(
        iou, iou_off, gt_off, ignore[g_order], g_area[g_order], no_crowd[g_order],
        np.asarray(g.id_nonzero, dtype=bool)[g_order], dt_off, d_area[d_order], thresholds, areas,
    )  # fmt: skip
    # not exhaustively annotated: a result matched to nothing (a false positive) is ignored,
    # at every area range and threshold
    status[(status == 0) & listed(nel)[d_cell[d_order]]] = 2
    cat_start = dt_off[::n_img] if n_img else np.zeros(n_k + 1, np.int64)
    return MatchState(
        dt_image=(d_cell[d_order] % max(n_img, 1)).astype(np.int32),
        dt_score=score_all[d_order], dt_rank=np.zeros(n_det, np.int32), cat_start=cat_start,
        dt_status=status, regular=regular, n_img=n_img,
    )  # fmt: skip
