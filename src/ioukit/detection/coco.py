"""COCO detection and instance-segmentation evaluation, identical to pycocotools 2.0.11.

:func:`coco_evaluate` reads the ground truth and the results into columns
(:mod:`ioukit.detection._coco_load`), groups them into (image, category) cells, computes each
cell's IoU matrix (boxes here, masks with :func:`ioukit.rle.iou`), matches every cell at every
area range and IoU threshold in one compiled kernel (:mod:`ioukit.kernels.coco`), and
accumulates the precision/recall arrays (:mod:`ioukit.detection._accumulate`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ioukit._errors import ParameterError
from ioukit._pool import Executor
from ioukit.detection._accumulate import MatchRecords, MatchState, accumulate_state
from ioukit.detection._coco_boundary import boundary_ious, indexed_boundary_ious
from ioukit.detection._coco_fast import POLYGONS, MaskTable
from ioukit.detection._coco_keypoints import keypoints, oks_pairs, oks_sigmas, with_extent_boxes
from ioukit.detection._coco_load import (
    FUNC,
    _field,
    _read,
    checked_areas,
    id_column,
    load_gt,
    load_results,
    to_rles,
)
from ioukit.detection._coco_masks import (
    Index,
    concat_indexes,
    index_of_strings,
    mask_index,
    rings_ok,
    rle_boxes,
    spans,
)
from ioukit.detection._coco_params import (
    _EVAL_TYPES,
    _KEYPOINT_AREAS,
    CONVENTIONS,
    COCOParams,
    _area_ranges,
    _ids,
    _levels,
    _max_dets,
    decimal_levels,
)
from ioukit.detection._shards import (
    check_options,
    evaluate_shards,
    in_shards,
    join_lists,
    load_shards,
    result_shards,
)
from ioukit.detection._shards import positions as _positions
from ioukit.detection.result import COCOResult
from ioukit.geometry import rle
from ioukit.geometry.boundary import _check_ratio
from ioukit.kernels import rle as rle_kernels
from ioukit.kernels._memory import release_free_memory
from ioukit.kernels.coco import box_ious, match_cells, order_cells

__all__ = ["COCOParams", "coco_evaluate"]

_NDArray = np.ndarray[Any, Any]


def coco_evaluate(
    gt: Any,
    dt: Any,
    *,
    iou_type: str = "bbox",
    iou_thresholds: Sequence[float] | None = None,
    recall_thresholds: Sequence[float] | None = None,
    max_dets: Sequence[int] | None = None,
    area_ranges: Mapping[str, tuple[float, float]] | None = None,
    use_cats: bool = True,
    img_ids: Sequence[Any] | None = None,
    cat_ids: Sequence[Any] | None = None,
    kpt_oks_sigmas: Sequence[float] | None = None,
    boundary_dilation_ratio: float = 0.02,
    convention: str = "pycocotools",
    per_image_cap: bool = False,
    executor: Executor | None = None,
    shards: int | Sequence[int] | None = None,
) -> COCOResult:
    """COCO detection (``"bbox"``), instance-segmentation (``"segm"``), Boundary AP
    (``"boundary"``) or keypoint (``"keypoints"``, OKS) AP and AR.

    The numbers are those of pycocotools 2.0.11 (``COCOeval(gt, gt.loadRes(dt), iou_type)``
    then ``evaluate(); accumulate(); summarize()``), bit for bit, quirks included:

    * IoU thresholds are ``np.linspace(.5, .95, 10)`` (``0.8999999999999999``, not 0.9), and a
      threshold is lowered to ``min(t, 1 - 1e-10)``;
    * ``max_dets`` caps the detections per image **per category**; ``stats[0]`` is read at
      ``max_dets=100`` (-1 when 100 is not among ``max_dets``);
    * a ground truth's ``ignore`` flag is replaced by its ``iscrowd`` flag; a crowd ground
      truth takes any number of detections, with IoU = intersection / detection area; a
      detection matched to an ignored ground truth is neither true nor false positive;
    * area ranges are inclusive at both ends (area 1024 is both small and medium) and read the
      ground truth's JSON ``area``; a result with a box gets area ``w * h`` (the *bbox branch*
      of ``loadRes``, taken for the whole list when the first result has a box, also under
      ``"segm"``), one without gets its mask area;
    * ties in score keep image order (sorted ids), then file order;
    * precision at an unreachable recall level is 0; a category without ground truth is -1
      and left out of the means; a ground truth with id 0 cannot be matched (COCO stores
      matches as ids, 0 meaning none);
    * ``"boundary"`` (Boundary AP, Cheng et al. 2021, as ``boundary-iou-api``): a non-crowd
      pair scores ``min(mask IoU, boundary IoU)``, the band being the mask's pixels within
      ``d = round(boundary_dilation_ratio * image diagonal)`` (at least 1) of its outside, the
      image border counting as outside; a crowd pair scores the mask IoU;
    * ``"keypoints"``: the overlap is the OKS with ``kpt_oks_sigmas`` (COCO's 17 divided by
      10.0); a ground truth with ``num_keypoints == 0`` is ignored (as a crowd is); one without
      labelled keypoints (all ``v == 0``) is compared by the distance of each detected keypoint
      to its box enlarged by one width/height on each side; a result without a box gets the box
      of its keypoints' extent and area ``w * h``; with ``use_cats=False`` no detection matches
      (pycocotools' ``computeOks`` does not pool the categories).

    Where pycocotools would give a wrong number without a word, ioukit raises instead (in both
    conventions): a result whose ``category_id`` is not a category of ``gt`` (pycocotools
    drops it silently; a 0-based/1-based mix-up then scores as misses).

    ``convention="ioukit"`` fixes what users trip over, one change each:

    * IoU thresholds 0.5, 0.55, ..., 0.95 and recall levels 0, 0.01, ..., 1 as the nearest
      doubles to those decimals (``0.9``, not ``0.8999999999999999``), compared as given
      (IoU >= t, no ``1 - 1e-10``);
    * a ground truth's own ``ignore`` flag is honoured (besides ``iscrowd``);
    * an empty result list evaluates (AP and AR 0 where there is ground truth);
    * the stats pycocotools reads at ``maxDets=100`` (or at ``max_dets[2]``) are read at
      ``max(max_dets)``;
    * ids are never "unmatched" sentinels: a ground truth with id 0 is matched like any other.

    ``per_image_cap=True`` (either convention) applies ``max_dets`` to each image's
    detections across its categories, as the COCO challenge's rules word it ("at most 100
    detections per image"), instead of per (image, category).

    Parameters
    ----------
    gt : str, path or dict
        A COCO annotation file or its dict (``images`` with ``id``, and ``height``/``width``
        for ``"segm"``; ``annotations`` with ``image_id``, ``category_id``, ``area``,
        ``iscrowd``, and ``bbox`` or ``segmentation``; ``categories`` with ``id``, ``name``).
        ``"keypoints"`` also needs ``keypoints`` (3 K numbers ``x, y, v``) and
        ``num_keypoints``.
    dt : str, path, list of dict, or list of shards
        A COCO results file or its list: ``image_id``, ``category_id``, ``score``, and ``bbox``
        ``[x, y, w, h]`` and/or ``segmentation`` (an RLE of the image's size), or ``keypoints``
        (3 K numbers) under ``"keypoints"``. A list whose items are paths or lists (not dicts)
        is a list of *result shards* (the per-rank files of distributed inference), evaluated
        as their concatenation; they must hold disjoint images. Each shard file is read on its
        own (its first result picks pycocotools' bbox or segm branch for it).
    iou_type : {"bbox", "segm", "keypoints"}, default "bbox"
        Overlap of boxes, of masks, or keypoint similarity (OKS).
    iou_thresholds : sequence of float, optional
        IoU thresholds (T,); COCO's ten by default.
    recall_thresholds : sequence of float, optional
        Recall levels (R,); ``np.linspace(0, 1, 101)`` by default.
    max_dets : sequence of int, optional
        Detection caps (M,), sorted; (1, 10, 100), or (20,) for ``"keypoints"``. With fewer
        than 3 values, the stats that pycocotools reads at a missing position are -1
        (pycocotools raises IndexError there); the keypoint stats are all read at 20.
    area_ranges : dict str -> (float, float), optional
        Labelled area ranges (A,); by default ``all``, ``small`` [0, 32²], ``medium``
        [32², 96²], ``large`` [96², 1e10]. The stats look up the labels ``all``, ``small``,
        ``medium`` and ``large`` (-1 when absent). ``"keypoints"`` drops ``small``.
    use_cats : bool, default True
        False pools all categories into one (K = 1).
    img_ids, cat_ids : sequence, optional
        Evaluate these images / categories only (default: all of ``gt``).
    kpt_oks_sigmas : sequence of float, optional
        Per-keypoint OKS sigmas (K,) for ``"keypoints"``; COCO's 17 by default.
    boundary_dilation_ratio : float, default 0.02
        The band width of ``"boundary"`` as a fraction of the image diagonal.
    convention : {"pycocotools", "ioukit"}, default "pycocotools"
        Every quirk of pycocotools 2.0.11, or the fixes listed above.
    per_image_cap : bool, default False
        Cap detections per image across categories (see above).
    executor : Executor, optional
        Match the images shard by shard on this engine (:class:`ioukit.evaluate.ProcessPool`,
        :class:`~ioukit.evaluate.SerialExecutor`, a cluster's): a task gets the columns of a
        contiguous run of images (masks as compressed RLE or polygons, never dense) and sends
        back only its match statuses, which this process merges in the one-pass order and
        accumulates once: every number is that of one pass, bit for bit.
    shards : int or sequence of int, optional
        How the images (``params.img_ids`` order) are cut: that many contiguous shards,
        balanced by ground truths plus results (default with an executor: 4 per worker, at
        most one per image), or the image count of each shard (ints >= 0 summing to the
        number of images). Without an executor the shards run in this process.

    Returns
    -------
    COCOResult
        ``stats`` (12; 10 for ``"keypoints"``, as ``_summarizeKps``), ``precision``
        (T, R, K, A, M), ``recall`` (T, K, A, M), ``scores`` (T, R, K, A, M), ``summary()``,
        ``per_category()``, ``params``, ``to_dict()``; and, from the kept match flags,
        ``pr_curve()``, ``best_f1()``, ``matches()`` (per detection) and ``per_image()``.
        An evaluation in shards keeps the match flags only, as :meth:`COCOResult.from_dict`
        does: ``matches()`` (it needs the IoUs) is refused.

    Raises
    ------
    ParameterError
        For an unknown ``iou_type`` or malformed options (``kpt_oks_sigmas``, ``executor``,
        ``shards`` included).
    InputError
        For an empty result list (``"pycocotools"``; all the shards together), result shards
        that share an image, a result on an image or of a category not in ``gt``, a missing
        or non-finite
        score, a box with a negative or non-finite size, a mask whose size differs from its
        image's, duplicate image ids in ``gt``, keypoints that are not 3 K finite numbers, or a
        missing field; the message names the item.

    Examples
    --------
    One image with one object; a perfect detection and a poor one:

    >>> import ioukit
    >>> gt = {
    ...     "images": [{"id": 1, "height": 100, "width": 100}],
    ...     "categories": [{"id": 1, "name": "cat"}],
    ...     "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
    ...                      "bbox": [10, 10, 40, 40], "area": 1600, "iscrowd": 0}],
    ... }
    >>> dt = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 40, 40], "score": 0.9},
    ...       {"image_id": 1, "category_id": 1, "bbox": [60, 60, 20, 20], "score": 0.5}]
    >>> r = ioukit.coco_evaluate(gt, dt)
    >>> round(float(r.stats[0]), 6), float(r.stats[8])  # precision is tp / (tp + fp + eps)
    (1.0, 1.0)
    >>> print(r.summary().splitlines()[0])
     Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000

    The same, matched in shards of images on an executor and merged exactly:

    >>> from ioukit.evaluate import SerialExecutor
    >>> s = ioukit.coco_evaluate(gt, dt, executor=SerialExecutor(), shards=[1])
    >>> bool((s.precision == r.precision).all()), s.stats.tolist() == r.stats.tolist()
    (True, True)

    Keypoints (OKS), here two per person with their own sigmas:

    >>> gt["annotations"][0].update(keypoints=[20, 20, 2, 30, 40, 2], num_keypoints=2)
    >>> kp = [{"image_id": 1, "category_id": 1, "keypoints": [21, 20, 1, 30, 42, 1],
    ...        "score": 0.8}]
    >>> r = ioukit.coco_evaluate(gt, kp, iou_type="keypoints", kpt_oks_sigmas=[0.05, 0.05])
    >>> r.stats.shape, round(float(r.stats[0]), 3)  # OKS 0.926: matched at 0.50 to 0.90
    ((10,), 0.9)
    """
    if iou_type not in _EVAL_TYPES:
        raise ParameterError(
            f"{FUNC}: `iou_type` must be one of {list(_EVAL_TYPES)}; got {iou_type!r}."
        )
    if convention not in CONVENTIONS:
        raise ParameterError(
            f"{FUNC}: `convention` must be one of {list(CONVENTIONS)}; got {convention!r}."
        )
    check_options(FUNC, executor, shards)
    fixed = convention == "ioukit"
    masks, kps = iou_type in ("segm", "boundary"), iou_type == "keypoints"
    sigmas = oks_sigmas(kpt_oks_sigmas) if kps else ()
    parts, starts = result_shards(FUNC, dt), None
    if kps:  # keypoints are read from the list: shards are joined into one
        if parts is not None:
            (dt, starts), parts = join_lists(FUNC, parts), None
        with in_shards(starts):
            gt, dt = _read("gt", gt, dict), with_extent_boxes(_read("dt", dt, list), len(sigmas))
    g = load_gt(gt, need_boxes=not masks)
    load = functools.partial(load_results, gt=g, need_masks=masks, lazy_area=masks)
    if parts is None:
        with in_shards(starts):
            d = load(dt, allow_empty=fixed)
    else:
        d, starts = load_shards(FUNC, parts, functools.partial(load, allow_empty=True))
        if d.score.size == 0:
            load([], allow_empty=fixed)  # an empty result list is the whole evaluation's error
    iou_default = decimal_levels(0.5, 0.95, 10) if fixed else np.linspace(0.5, 0.95, 10)
    rec_default = decimal_levels(0.0, 1.0, 101) if fixed else np.linspace(0.0, 1.0, 101)
    params = COCOParams(
        iou_type=iou_type,
        iou_thresholds=_levels("iou_thresholds", iou_thresholds, iou_default),
        recall_thresholds=_levels("recall_thresholds", recall_thresholds, rec_default),
        max_dets=_max_dets(((20,) if kps else (1, 10, 100)) if max_dets is None else max_dets),
        area_ranges=_KEYPOINT_AREAS if kps and area_ranges is None else _area_ranges(area_ranges),
        use_cats=bool(use_cats),
        img_ids=_ids("img_ids", img_ids, g.img_ids),
        cat_ids=_ids("cat_ids", cat_ids, g.cat_ids),
        convention=convention,
        kpt_oks_sigmas=sigmas,
        per_image_cap=bool(per_image_cap),
        boundary_dilation_ratio=_check_ratio(FUNC, boundary_dilation_ratio),
    )
    kp = None
    with in_shards(starts):
        if kps:
            anns = gt["annotations"]
            arg = "gt['annotations']"
            n_kpt = _field(arg, anns, "num_keypoints", "the number of labelled keypoints")
            kp = (keypoints(arg, anns, len(sigmas)), keypoints("dt", dt, len(sigmas)),
                  np.array([v == 0 for v in n_kpt], dtype=bool))  # fmt: skip
        records: MatchState
        if executor is None and shards is None:
            *arrays, records = _evaluate(g, d, params, kp)
        else:

            def rows(_: Any, gr: _NDArray, dr: _NDArray) -> tuple[Any, ...]:
                return (None if kp is None else (kp[0][gr], kp[1][dr], kp[2][gr]),)

            records = evaluate_shards(
                FUNC, _match, g, d, params, rows, executor=executor, shards=shards
            )
            arrays = list(accumulate_state(records, params))
    names = tuple(g.cat_names.get(c, str(c)) for c in params.cat_ids) if use_cats else ("all",)
    del g, d, gt, dt
    release_free_memory()  # what the readers and kernels freed, not kept resident for good
    return COCOResult(*arrays, params=params, category_names=names, records=records)


def _evaluate(
    g: Any, d: Any, p: COCOParams, kp: tuple[_NDArray, _NDArray, _NDArray] | None = None
) -> tuple[_NDArray, _NDArray, _NDArray, MatchRecords]:
    """The per-cell matching, the accumulation, and the match records; ``kp`` holds the
    ground-truth keypoints, the result keypoints and the no-keypoint flags under
    ``"keypoints"``."""
    records = _match(g, d, p, kp)
    return (*accumulate_state(records, p), records)


def _match(
    g: Any, d: Any, p: COCOParams, kp: tuple[_NDArray, _NDArray, _NDArray] | None = None
) -> MatchRecords:
    """Cells, IoUs and matching: the match records of ``p.img_ids``."""
    n_img = len(p.img_ids)
    img_index = {v: i for i, v in enumerate(p.img_ids)}
    cat_index = {v: i for i, v in enumerate(p.cat_ids)}
    n_k = len(p.cat_ids) if p.use_cats else 1

    def cells(image_id: Any, category_id: Any) -> tuple[_NDArray, _NDArray, _NDArray]:
        i = _positions(image_id, img_index)
        k = _positions(category_id, cat_index)
        keep = (i >= 0) & (k >= 0)
        cell = (k * n_img + i) if p.use_cats else i
        return np.where(keep, cell, -1), k, i

    g_cell, g_cat, _ = cells(g.image_id, g.category_id)
    d_cell, d_cat, d_img = cells(d.image_id, d.category_id)
    n_cells = n_k * n_img
    # ground truths in file order within a cell; pooled categories (use_cats=False) in
    # category order first, as pycocotools lists them
    g_order, gt_off = order_cells(
        g_cell, np.zeros(g_cell.size), g_cat, n_cells, by_score=not p.use_cats
    )
    img_rank = None
    if p.per_image_cap:
        # the cap counts an image's detections across its categories (by decreasing score,
        # ties in file order); max_dets then applies to that rank
        in_img = np.where(d_cell >= 0, d_img, -1)
        by_img, img_off = order_cells(in_img, d.score, np.zeros(d_img.size), n_img, by_score=True)
        img_rank = np.zeros(d_img.size, np.int64)
        img_rank[by_img] = np.arange(by_img.size) - np.repeat(img_off[:-1], np.diff(img_off))
        d_cell = np.where(img_rank < p.max_dets[-1], d_cell, -1)
    d_order, d_all_off = order_cells(d_cell, d.score, d_cat, n_cells, by_score=True)
    rank = np.arange(d_order.size) - np.repeat(d_all_off[:-1], np.diff(d_all_off))
    if img_rank is not None:
        rank = img_rank[d_order]
    keep = rank < p.max_dets[-1]
    d_order, rank = d_order[keep], rank[keep]
    dt_off = np.zeros(n_cells + 1, np.int64)
    np.cumsum(np.bincount(d_cell[d_order], minlength=n_cells), out=dt_off[1:])

    n_g = np.diff(gt_off)
    n_d = np.diff(dt_off)
    iou_off = np.zeros(n_cells + 1, np.int64)
    np.cumsum(n_g * n_d, out=iou_off[1:])
    crowd = g.crowd[g_order]
    # pycocotools overwrites a ground truth's own ignore flag with iscrowd; "ioukit" keeps it
    ignore = crowd | g.ignore[g_order] if p.fixed else crowd
    if kp is not None:
        # every (detection, ground truth) pair of every cell, row-major within the cell
        cell_of_pair = np.repeat(np.arange(n_cells), n_g * n_d)
        local = np.arange(int(iou_off[-1])) - iou_off[cell_of_pair]
        gi = gt_off[cell_of_pair] + local % np.maximum(n_g[cell_of_pair], 1)
        di = dt_off[cell_of_pair] + local // np.maximum(n_g[cell_of_pair], 1)
        g_kp, d_kp, no_kp = kp
        ignore = ignore | no_kp[g_order]
        sig = np.asarray(p.kpt_oks_sigmas)
        gs = g_order[gi]
        iou = oks_pairs(d_kp[d_order][di], g_kp[gs], g.bbox[gs], g.area[gs], sig)
        if not p.use_cats:  # computeOks reads the cells of category -1: none, no match
            iou = np.full_like(iou, -1.0)
    elif p.iou_type in ("segm", "boundary"):
        dt_area = d.area[d_order]  # NaN where the reader left a mask's area to this pass
        iou = _mask_ious(g, d, g_order, d_order, gt_off, dt_off, iou_off, p, dt_area)
        _fill_areas(g, d, d_order, dt_area)
    else:
        iou = box_ious(d.bbox[d_order], g.bbox[g_order], crowd, dt_off, gt_off, iou_off)

    thresholds = p.matching_thresholds()
    areas = np.array([[lo, hi] for _, lo, hi in p.area_ranges], dtype=np.float64).reshape(-1, 2)
    if p.iou_type not in ("segm", "boundary"):
        dt_area = d.area[d_order]
    g_area = g.area[g_order]
    # pycocotools stores a match as the ground truth's id, 0 meaning none: a ground truth with
    # id 0 cannot be matched; "ioukit" matches it
    g_id_nonzero = np.ones(g_order.size, bool) if p.fixed else g.id_nonzero[g_order]
    match = (iou, iou_off, gt_off, ignore, g_area, crowd, g_id_nonzero, dt_off, dt_area)
    status, _, regular = match_cells(*match, thresholds, areas)

    def gt_positions(a: int, t: int) -> _NDArray:
        """The ground truth each detection takes at area range ``a`` and threshold ``t``."""
        one = match_cells(*match, thresholds[t : t + 1], areas[a : a + 1], keep_gt=True)
        positions: _NDArray = one[1][0, 0]
        return positions

    cat_start = dt_off[::n_img] if n_img else np.zeros(n_k + 1, np.int64)
    score = d.score[d_order]
    return MatchRecords(
        dt_index=d_order, dt_image=d_img[d_order].astype(np.int32),
        dt_category=id_column(d.category_id)[d_order], dt_score=score,
        dt_rank=rank.astype(np.int32), dt_cell=d_cell[d_order].astype(np.int32),
        cat_start=cat_start, dt_status=status,
        gt_positions=gt_positions, iou=iou, iou_off=iou_off, gt_off=gt_off,
        dt_off=dt_off, gt_id=id_column(g.ann_id)[g_order], regular=regular, n_img=n_img,
    )  # fmt: skip


#: masks indexed at a time (their intervals are the evaluation's largest memory)
_MASK_BATCH = 1 << 16


def _mask_ious(
    g: Any,
    d: Any,
    g_order: _NDArray,
    d_order: _NDArray,
    gt_off: _NDArray,
    dt_off: _NDArray,
    iou_off: _NDArray,
    p: Any,
    dt_area: _NDArray,
) -> _NDArray:
    """The flat IoU matrices of the cells, from masks: the evaluated masks of a batch of
    images (about ``_MASK_BATCH`` masks) become compressed strings
    (:mod:`ioukit.detection._coco_masks`), are indexed into intervals in one kernel call, and
    the IoUs of those images' cells are computed in another; then the next batch. A mask that
    needs checking (or a message) sends the whole evaluation through :func:`ioukit.rle.iou`'s
    general path."""
    n_img = len(p.img_ids)
    n_cells = gt_off.size - 1
    n_k = n_cells // max(n_img, 1)
    sizes = np.array([g.img_sizes[i] for i in p.img_ids], np.int64).reshape(n_img, 2)
    # masks per image (all categories), to cut the images into batches
    per_cell = (np.diff(gt_off) + np.diff(dt_off)).reshape(n_k, n_img)
    ends = np.cumsum(per_cell.sum(axis=0))
    cuts = np.searchsorted(ends, np.arange(_MASK_BATCH, int(ends[-1]) if n_img else 0, _MASK_BATCH))
    bounds = np.unique(np.concatenate([[0], cuts + 1, [n_img]])).clip(0, n_img)
    iou = np.zeros(int(iou_off[-1]))
    crowd = g.crowd[g_order]
    if isinstance(g.segmentation, MaskTable):
        # a malformed polygon anywhere is reported, as pycocotools converts every mask
        poly = g_order[g.segmentation.kind[g_order] == POLYGONS]
        img = np.repeat(np.arange(n_cells) % max(n_img, 1), np.diff(gt_off))
        no_size = (sizes[img][g.segmentation.kind[g_order] == POLYGONS] < 0).any()
        if no_size or not rings_ok(g.segmentation, poly):
            return _mask_ious_general(g, d, g_order, d_order, gt_off, dt_off, iou_off, p)
    pairs = iou_off[1:] > iou_off[:-1]
    for i0, i1 in itertools.pairwise(bounds):
        # the cells of images i0:i1 that hold pairs, category by category; masks in cells
        # without a pair are never compared (their IoU matrices are empty)
        cells = (np.arange(n_k)[:, None] * n_img + np.arange(i0, i1)).reshape(-1)
        cells = cells[pairs[cells]]
        if cells.size == 0:
            continue
        dt_rows = spans(dt_off[cells], dt_off[cells + 1])
        gt_rows = spans(gt_off[cells], gt_off[cells + 1])
        d_hw = sizes[np.repeat(cells % n_img, np.diff(dt_off)[cells])]
        g_hw = sizes[np.repeat(cells % n_img, np.diff(gt_off)[cells])]
        d_index = _index(d.segmentation, d_order[dt_rows], d_hw, "dt", d.image_id, g)
        g_index = _index(g.segmentation, g_order[gt_rows], g_hw, "gt['annotations']",
                         g.image_id, g)  # fmt: skip
        if d_index is None or g_index is None:
            return _mask_ious_general(g, d, g_order, d_order, gt_off, dt_off, iou_off, p)
        index = concat_indexes([d_index, g_index])
        # each mask is decoded once: the areas the reader left (NaN) come with it (a result
        # of the box branch keeps its box area)
        left = np.isnan(dt_area[dt_rows])
        dt_area[dt_rows[left]] = d_index[4][left]
        local = [np.zeros(cells.size + 1, np.int64) for _ in range(3)]
        np.cumsum(np.diff(dt_off)[cells], out=local[0][1:])
        np.cumsum(np.diff(gt_off)[cells], out=local[1][1:])
        np.cumsum(np.diff(iou_off)[cells], out=local[2][1:])
        if p.iou_type == "boundary":
            block = indexed_boundary_ious(
                tuple(index), sizes[cells % n_img], crowd[gt_rows], *local,
                dilation_ratio=p.boundary_dilation_ratio,
            )  # fmt: skip
        else:
            block = rle_kernels.cell_mask_ious(
                tuple(index), sizes[cells % n_img, 0], crowd[gt_rows], *local
            )
        iou[spans(iou_off[cells], iou_off[cells + 1])] = block
    return iou


def _index(
    segs: Any, rows: _NDArray, hw: _NDArray, arg: str, image_ids: Any, g: Any
) -> Index | None:
    """The index of the masks ``rows`` (a MaskTable's from its columns, a list's through its
    RLE dicts), or None when one needs the general path."""
    hs, ws = np.ascontiguousarray(hw[:, 0]), np.ascontiguousarray(hw[:, 1])
    if (hs < 0).any():
        return None
    if isinstance(segs, MaskTable):
        return mask_index(segs, rows, hs, ws)
    counts = [r["counts"] for r in to_rles(arg, segs, image_ids, rows, g)]
    raw = [c.encode("ascii", "replace") if isinstance(c, str) else c for c in counts]
    offs = np.zeros(len(raw) + 1, np.int64)
    np.cumsum([len(c) for c in raw], out=offs[1:])
    return index_of_strings(np.frombuffer(b"".join(raw), np.uint8), offs[:-1], offs[1:], hs, ws)


def _fill_areas(g: Any, d: Any, d_order: _NDArray, dt_area: _NDArray) -> None:
    """The areas of the evaluated results that the reader left (NaN) and no cell's IoU
    decoded: their masks decoded alone (a malformed one reported by the general path)."""
    missing = np.flatnonzero(np.isnan(dt_area))
    if missing.size == 0:
        return
    rows = d_order[missing]
    area = rle_boxes(d.segmentation, rows)[0] if isinstance(d.segmentation, MaskTable) else None
    if area is None:
        area = checked_areas("dt", to_rles("dt", d.segmentation, d.image_id, rows, g), rows)
    dt_area[missing] = area


def _mask_ious_general(
    g: Any,
    d: Any,
    g_order: _NDArray,
    d_order: _NDArray,
    gt_off: _NDArray,
    dt_off: _NDArray,
    iou_off: _NDArray,
    p: Any,
) -> _NDArray:
    """The flat IoU matrices of the cells, from RLE dicts (:func:`ioukit.rle.iou` cell by cell,
    or the boundary IoUs of :mod:`ioukit.detection._coco_boundary`), which report any
    malformed mask."""
    gt_rles = to_rles("gt['annotations']", g.segmentation, g.image_id, g_order, g)
    dt_rles = to_rles("dt", d.segmentation, d.image_id, d_order, g)
    checked_areas("gt['annotations']", gt_rles, g_order)  # a malformed mask, named by item
    checked_areas("dt", dt_rles, d_order)
    crowd = g.crowd[g_order]
    if p.iou_type == "boundary":
        n_img = len(p.img_ids)
        sizes = np.array([g.img_sizes[i] for i in p.img_ids], np.int64).reshape(n_img, 2)
        cell_sizes = sizes[np.arange(gt_off.size - 1) % max(n_img, 1)]
        return boundary_ious(
            dt_rles, gt_rles, crowd, dt_off, gt_off, iou_off, cell_sizes,
            dilation_ratio=p.boundary_dilation_ratio,
        )  # fmt: skip
    iou = np.zeros(int(iou_off[-1]))
    for c in np.flatnonzero(iou_off[1:] > iou_off[:-1]):
        g0, g1, d0, d1 = gt_off[c], gt_off[c + 1], dt_off[c], dt_off[c + 1]
        block = rle.iou(dt_rles[d0:d1], gt_rles[g0:g1], crowd=crowd[g0:g1])
        iou[iou_off[c] : iou_off[c + 1]] = block.reshape(-1)
    return iou
