"""The numba kernel behind :mod:`ioukit.detection.coco`: COCO's greedy matching of every
(image, category) cell at every area range and IoU threshold, in one call.

This module imports numba, so only :mod:`ioukit.detection.coco` imports it, lazily, when an
evaluation first runs. The kernel lives at module level so that numba's disk cache
(``cache=True``) finds it again in a new process.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def match_cells(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    iou,
    iou_off,
    gt_off,
    gt_ignore,
    gt_area,
    gt_crowd,
    gt_id_nonzero,
    dt_off,
    dt_area,
    thresholds,
    area_ranges,
    dt_matched,
    dt_ignored,
    dt_gt,
    regular_gt,
):
    """Fill ``dt_matched``, ``dt_ignored`` and ``dt_gt`` ``(A, T, D)`` and ``regular_gt``
    ``(A, cells)``; ``dt_gt`` (filled with -1 by the caller) receives the position (in the
    ground-truth order of the cells) of the ground truth each detection takes.

    Cell ``c`` holds the ground truths ``gt_off[c]:gt_off[c + 1]`` (in file order) and the
    detections ``dt_off[c]:dt_off[c + 1]`` (in decreasing score order, already cut to the
    largest max_dets); its IoU matrix ``(D_c, G_c)`` is ``iou[iou_off[c]:iou_off[c + 1]]``,
    row-major. ``thresholds`` are already lowered to ``min(t, 1 - 1e-10)``.

    The rule of ``COCOeval.evaluateImg``: ground truths are ignored when flagged (crowd) or
    when their area is outside the range (inclusive bounds); they are visited regular ones
    first, each group in file order. Each detection, in score order, takes the ground truth of
    highest IoU ``>=`` the threshold (the later one on ties), skipping non-crowd ground truths
    already taken, and stops at the first ignored ground truth once it holds a regular one. A
    detection matched to an ignored ground truth is ignored; an unmatched one (or one matched
    to a ground truth whose id is 0, which COCO stores as "unmatched") is ignored when its own
    area is outside the range.
    """
    n_cells = gt_off.size - 1
    n_t = thresholds.size
    n_a = area_ranges.shape[0]
    for c in range(n_cells):
        g0 = gt_off[c]
        n_g = gt_off[c + 1] - g0
        d0 = dt_off[c]
        n_d = dt_off[c + 1] - d0
        o = iou_off[c]
        order = np.empty(n_g, np.int64)
        ignored = np.empty(n_g, np.bool_)
        taken = np.empty(n_g, np.bool_)
        for a in range(n_a):
            lo = area_ranges[a, 0]
            hi = area_ranges[a, 1]
            for g in range(n_g):
                ar = gt_area[g0 + g]
                ignored[g] = gt_ignore[g0 + g] or ar < lo or ar > hi
            n = 0
            for g in range(n_g):
                if not ignored[g]:
                    order[n] = g
                    n += 1
            regular_gt[a, c] = n
            for g in range(n_g):
                if ignored[g]:
                    order[n] = g
                    n += 1
            for t in range(n_t):
                taken[:] = False
                for d in range(n_d):
                    best = thresholds[t]
                    m = -1
                    for j in range(n_g):
                        g = order[j]
                        if taken[g] and not gt_crowd[g0 + g]:
                            continue
                        if m > -1 and not ignored[m] and ignored[g]:
                            break
                        v = iou[o + d * n_g + g]
                        if v < best:
                            continue
                        best = v
                        m = g
                    k = d0 + d
                    matched = False
                    if m > -1:
                        taken[m] = True
                        dt_gt[a, t, k] = g0 + m
                        dt_ignored[a, t, k] = ignored[m]
                        matched = gt_id_nonzero[g0 + m]
                    dt_matched[a, t, k] = matched
                    if not matched and (dt_area[k] < lo or dt_area[k] > hi):
                        dt_ignored[a, t, k] = True
