"""Shared machinery of :func:`ioukit.tide` and :func:`ioukit.detection_confusion_matrix`.

Both read COCO ground truth and results into columns (:mod:`ioukit.detection._coco_load`),
pair every kept detection with every ground truth of its image (all categories: the errors
and confusions cross categories), compute the pairs' IoUs in one vectorised pass (boxes, with
COCO's formula) or one :func:`ioukit.rle.iou` call per image (masks), and match greedily in
score order. The greedy matching runs over *ranks* instead of detections: the detections of
rank ``r`` of all images are matched at once, since detections of different images never
compete for a ground truth.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit.detection._coco_load import (
    FUNC,
    GroundTruth,
    Results,
    load_gt,
    load_results,
    to_rles,
)
from ioukit.geometry import rle
from ioukit.kernels.coco import box_ious

_NDArray = np.ndarray[Any, Any]

IOU_TYPES = ("bbox", "segm")


def check_iou_type(func: str, iou_type: object) -> bool:
    """Whether ``iou_type`` is ``"segm"`` (masks); a :class:`ParameterError` unless it is one
    of :data:`IOU_TYPES`."""
    if not (isinstance(iou_type, str) and iou_type in IOU_TYPES):
        raise ParameterError(f"{func}: `iou_type` must be 'bbox' or 'segm'; got {iou_type!r}.")
    return iou_type == "segm"


def check_unit(func: str, name: str, value: object) -> float:
    """A threshold: a real number (not bool) in [0, 1]."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    t = float(value) if ok else float("nan")  # type: ignore[arg-type]
    if not 0.0 <= t <= 1.0:  # also NaN
        raise ParameterError(f"{func}: `{name}` must be a number in [0, 1]; got {value!r}.")
    return t


@contextmanager
def renamed(func: str) -> Iterator[None]:
    """Re-raise the loaders' :class:`InputError` (which name ``coco_evaluate``) naming
    ``func``."""
    try:
        yield
    except InputError as e:
        text = str(e)
        if not text.startswith(FUNC + ":"):
            raise
        raise type(e)(func + text[len(FUNC) :]) from e


def load(
    gt: Any, dt: Any, *, segm: bool, keep_unknown: bool = False
) -> tuple[GroundTruth, Results]:
    """The loaders' columns; an empty result list (or file) is allowed (no detection), and
    with ``keep_unknown`` so are results of categories that ``gt`` does not list."""
    g = load_gt(gt, need_boxes=not segm)
    unknown = "keep" if keep_unknown else "error"
    d = load_results(dt, g, need_masks=segm, allow_empty=True, unknown_categories=unknown)
    return g, d


def _int_column(values: Any) -> _NDArray | None:
    """``values`` as a 1-d integer array, or None when they are not all integers."""
    arr = np.asarray(values) if len(values) else np.zeros(0, np.int64)
    return arr if arr.ndim == 1 and arr.dtype.kind in "iu" else None


def positions(values: Any, keys: Sequence[Any]) -> _NDArray:
    """The position of each of ``values`` in ``keys`` (distinct), -1 when absent (int64)."""
    vals, ks = _int_column(values), _int_column(keys)
    if vals is not None and ks is not None and vals.size and ks.size:
        order = np.argsort(ks, kind="stable")
        sk = ks[order]
        at = np.minimum(np.searchsorted(sk, vals), sk.size - 1)
        return np.where(sk[at] == vals, order[at], -1).astype(np.int64)
    index = {v: i for i, v in enumerate(keys)}
    return np.fromiter((index.get(v, -1) for v in values), np.int64, len(values))


def codes(*columns: Any) -> tuple[list[_NDArray], list[Any]]:
    """Integer codes of the ids in ``columns`` (one code per distinct id over all of them),
    and the ids by code."""
    ints = [_int_column(c) for c in columns]
    if all(c is not None for c in ints):
        flat = np.concatenate([c for c in ints if c is not None])
        ids, inverse = np.unique(flat, return_inverse=True)
        cuts = np.cumsum([len(c) for c in columns])[:-1]
        return np.split(inverse.astype(np.int64), cuts), ids.tolist()
    table: dict[Any, int] = {}
    out = []
    for column in columns:
        for v in column:
            table.setdefault(v, len(table))
        out.append(np.fromiter((table[v] for v in column), np.int64, len(column)))
    return out, list(table)


def by_image(rows: _NDArray, img: _NDArray) -> tuple[_NDArray, _NDArray]:
    """``rows`` sorted by their image ``img[rows]`` (stable: file order within an image), and
    those images."""
    rows = rows[np.argsort(img[rows], kind="stable")]
    return rows, img[rows]


def offsets(group: _NDArray, n: int) -> _NDArray:
    """``(n + 1,)`` start offsets of the groups ``0..n-1`` of a sorted ``group`` column."""
    off = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(group, minlength=n), out=off[1:])
    return off


@dataclass(frozen=True)
class Pairs:
    """Every (detection, ground truth) pair of an image, detection-major: the pairs of
    detection ``i`` are ``start[i]:start[i + 1]``, in ground-truth order."""

    det: _NDArray  # (P,) detection of each pair
    gt: _NDArray  # (P,) ground truth of each pair
    iou: _NDArray  # (P,) float64
    start: _NDArray  # (D + 1,)


def make_pairs(d_img: _NDArray, g_img: _NDArray, n_img: int) -> tuple[_NDArray, _NDArray, _NDArray]:
    """``(det, gt, start)`` of all pairs within images; ``d_img`` and ``g_img`` sorted."""
    g_off = offsets(g_img, n_img)
    n_per = (g_off[1:] - g_off[:-1])[d_img]
    start = np.zeros(d_img.size + 1, np.int64)
    np.cumsum(n_per, out=start[1:])
    det = np.repeat(np.arange(d_img.size), n_per)
    gt = g_off[d_img[det]] + (np.arange(det.size) - start[det])
    return det, gt, start


def pair_ious(
    g: GroundTruth,
    d: Results,
    d_rows: _NDArray,
    d_img: _NDArray,
    g_rows: _NDArray,
    g_img: _NDArray,
    n_img: int,
    *,
    segm: bool,
    crowd: bool,
    det_rles: list[Any] | None = None,
) -> Pairs:
    """The pairs of detections ``d_rows`` (rows of ``d``, sorted by image ``d_img``) and
    ground truths ``g_rows`` (sorted by image ``g_img``) and their IoUs; ``crowd``: the ground
    truths are crowd regions (intersection over the detection's area)."""
    det, gt, start = make_pairs(d_img, g_img, n_img)
    d_off, g_off = offsets(d_img, n_img), offsets(g_img, n_img)
    if not segm:
        # the images' IoU blocks are row-major (detections, ground truths): the pairs' order
        iou_off = np.zeros(n_img + 1, np.int64)
        np.cumsum(np.diff(d_off) * np.diff(g_off), out=iou_off[1:])
        flags = np.full(g_rows.size, crowd)
        iou = box_ious(d.bbox[d_rows], g.bbox[g_rows], flags, d_off, g_off, iou_off)
        return Pairs(det, gt, iou, start)
    iou = np.zeros(det.size)
    if det.size:
        dr = det_rles if det_rles is not None else mask_rles(g, d, d_rows)
        gr = to_rles("gt['annotations']", g.segmentation, g.image_id, g_rows, g)
        for i in np.flatnonzero((np.diff(d_off) > 0) & (np.diff(g_off) > 0)):
            d0, d1, g0, g1 = d_off[i], d_off[i + 1], g_off[i], g_off[i + 1]
            block = rle.iou(dr[d0:d1], gr[g0:g1], crowd=np.full(int(g1 - g0), crowd))
            iou[start[d0] : start[d1]] = block.reshape(-1)
    return Pairs(det, gt, iou, start)


def mask_rles(g: GroundTruth, d: Results, d_rows: _NDArray) -> list[Any]:
    """The detections' masks as RLEs of their image's size."""
    return to_rles("dt", d.segmentation, d.image_id, d_rows, g)


def greedy(pairs: Pairs, candidate: _NDArray, rank: _NDArray, n_gt: int, *, last: bool) -> _NDArray:
    """Greedy one-to-one matching: in increasing ``rank`` (the position of a detection among
    those of its image in the order they choose), each detection takes, among its
    ``candidate`` pairs whose ground truth is still free, the one of highest IoU; on equal
    IoU the first ground truth (``last``: the last). The matched ground truth of each
    detection, -1 when none. Two detections of one rank must be of different images."""
    n_det = pairs.start.size - 1
    match = np.full(n_det, -1, np.int64)
    cand = np.flatnonzero(candidate)
    if cand.size == 0:
        return match
    r = rank[pairs.det[cand]]
    order = np.argsort(r, kind="stable")
    cand, r = cand[order], r[order]
    bounds = np.flatnonzero(np.concatenate(([True], r[1:] != r[:-1], [True])))
    used = np.zeros(n_gt, bool)
    for s, e in itertools.pairwise(bounds.tolist()):
        c = cand[s:e]
        gg = pairs.gt[c]
        free = ~used[gg]
        c, gg = c[free], gg[free]
        if c.size == 0:
            continue
        dd = pairs.det[c]
        o = np.lexsort((-gg if last else gg, -pairs.iou[c], dd))
        dd, gg = dd[o], gg[o]
        first = np.concatenate(([True], dd[1:] != dd[:-1]))
        match[dd[first]] = gg[first]
        used[gg[first]] = True
    return match


def segment_argmax(values: _NDArray, lens: _NDArray) -> tuple[_NDArray, _NDArray]:
    """Per contiguous segment of ``values`` (lengths ``lens``, all > 0): the maximum and the
    position of its first occurrence, as ``np.argmax`` of each row."""
    first = np.zeros(lens.size, np.int64)
    np.cumsum(lens[:-1], out=first[1:])
    top = np.maximum.reduceat(values, first)
    hit = values == np.repeat(top, lens)
    where = np.where(hit, np.arange(values.size), values.size)
    return top, np.minimum.reduceat(where, first)
