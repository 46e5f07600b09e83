"""The TIDE run of :func:`ioukit.tide`: matching, ignore regions, and the error type of every
detection and ground truth (``tidecv``'s ``TIDEExample`` and ``TIDERun._eval_image``), for all
images at once."""

from __future__ import annotations

from typing import Any

import numpy as np

from ioukit.detection._coco_load import GroundTruth, Results
from ioukit.detection._tide_ap import BKG, BOTH, CLS, DUPE, LOC, NO_ERROR, TIDEData
from ioukit.detection._tide_pairs import (
    by_image,
    codes,
    greedy,
    mask_rles,
    offsets,
    pair_ious,
    positions,
    segment_argmax,
)

_NDArray = np.ndarray[Any, Any]


def analyse(
    g: GroundTruth,
    d: Results,
    *,
    pos: float,
    bg: float,
    max_dets: int,
    segm: bool,
    fixed: bool,
) -> TIDEData:
    """Match, ignore and classify; ``fixed``: ignored detections get no error type."""
    n_img = len(g.img_ids)
    g_pos = positions(g.image_id, g.img_ids)
    crowd = np.asarray(g.crowd, bool)
    (g_code, d_code), cat_ids = codes(g.category_id, d.category_id)
    g_rows, g_img = by_image(np.flatnonzero((g_pos >= 0) & ~crowd), g_pos)
    c_rows, c_img = by_image(np.flatnonzero((g_pos >= 0) & crowd), g_pos)

    # detections: per image by decreasing score (stable), the first max_dets
    d_pos = positions(d.image_id, g.img_ids)
    score_all = np.asarray(d.score, np.float64)
    order = np.lexsort((np.arange(d_pos.size), -score_all, d_pos))
    rank = np.arange(order.size) - offsets(d_pos[order], n_img)[d_pos[order]]
    d_rows, d_rank = order[rank < max_dets], rank[rank < max_dets]
    d_img = d_pos[d_rows]
    n_det, n_gt = d_rows.size, g_rows.size
    d_cls, g_cls = d_code[d_rows], g_code[g_rows]
    score = score_all[d_rows]

    rles = mask_rles(g, d, d_rows) if segm and n_det else None
    pairs = pair_ious(g, d, d_rows, d_img, g_rows, g_img, n_img, segm=segm, crowd=False,
                      det_rles=rles)  # fmt: skip
    same = d_cls[pairs.det] == g_cls[pairs.gt]
    match = greedy(pairs, same & (pairs.iou >= pos), d_rank, n_gt, last=False)
    matched = match >= 0
    used = np.zeros(n_gt, bool)
    used[match[matched]] = True

    # crowd regions ignore the unmatched detections of their category (or of any, id -1)
    ignored = np.zeros(n_det, bool)
    free = np.flatnonzero(~matched)
    if c_rows.size and free.size:
        sub = [rles[i] for i in free.tolist()] if rles is not None else None
        cp = pair_ious(g, d, d_rows[free], d_img[free], c_rows, c_img, n_img, segm=segm,
                       crowd=True, det_rles=sub)  # fmt: skip
        wild = np.array([g.category_id[i] == -1 for i in c_rows.tolist()], bool)
        own = g_code[c_rows][cp.gt] == d_cls[free][cp.det]
        ignored[free[cp.det[(cp.iou > pos) & (own | wild[cp.gt])]]] = True

    # the error type of each unmatched detection, in tidecv's order of tests
    err = np.full(n_det, NO_ERROR, np.int8)
    err_gt = np.full(n_det, -1, np.int64)
    unmatched = ~matched & ~ignored if fixed else ~matched
    n_pairs = np.diff(pairs.start)
    err[unmatched & (n_pairs == 0)] = BKG
    sel = np.flatnonzero(unmatched & (n_pairs > 0))
    if sel.size:
        pi = np.flatnonzero(np.repeat(unmatched & (n_pairs > 0), n_pairs))
        lens = n_pairs[sel]
        iou, s = pairs.iou[pi], same[pi]
        m_same, a_same = segment_argmax(iou * s, lens)
        m_other, a_other = segment_argmax(iou * ~s, lens)
        m_dupe, _ = segment_argmax(iou * s * used[pairs.gt[pi]], lens)
        m_any, _ = segment_argmax(iou, lens)
        loc = (bg <= m_same) & (m_same <= pos)
        cls = ~loc & (m_other >= pos)
        dupe = ~loc & ~cls & (m_dupe >= pos)
        bkg = ~loc & ~cls & ~dupe & (m_any <= bg)
        kind = np.select([loc, cls, dupe, bkg], [LOC, CLS, DUPE, BKG], BOTH)
        err[sel] = kind
        err_gt[sel] = np.where(loc, pairs.gt[pi[a_same]], np.where(cls, pairs.gt[pi[a_other]], -1))

    # Loc and Cls errors on a free ground truth: the first (highest score) is fixable
    fixable = np.flatnonzero(((err == LOC) | (err == CLS)) & (err_gt >= 0))
    fixable = fixable[~used[err_gt[fixable]]]
    usable = np.zeros(n_gt, bool)
    usable[err_gt[fixable]] = True
    _, first = np.unique(err_gt[fixable], return_index=True)
    best = np.zeros(n_det, bool)
    winners = fixable[first]
    best[winners[score[winners] > -1]] = True

    err_gt_cls = np.full(n_det, -1, np.int64)
    has_gt = err_gt >= 0
    err_gt_cls[has_gt] = g_cls[err_gt[has_gt]]
    return TIDEData(
        n_images=n_img, n_codes=len(cat_ids),
        d_cls=d_cls, d_img=d_img, d_rank=d_rank, score=score,
        matched=matched, ignored=ignored, err=err,
        err_gt_cls=err_gt_cls, best=best,
        g_cls=g_cls, g_img=g_img, fn=~used, miss=~used & ~usable,
    )  # fmt: skip
