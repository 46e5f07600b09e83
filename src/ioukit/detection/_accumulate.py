"""From per-detection match flags to COCO's precision/recall/scores arrays, stats and summary.

The rules of ``COCOeval.accumulate`` and ``COCOeval.summarize`` (pycocotools 2.0.11): for each
(category, area range, max_dets), the detections of all images (each image's first ``max_dets``
by score) are stable-sorted by decreasing score, so ties keep image order then file order;
precision is made monotone from the right and read at the first detection whose recall reaches
each recall threshold (0 when none does); recall is the final recall. Cells without a regular
ground truth stay -1. Means are ``np.mean`` over the entries > -1, as COCO computes them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_NDArray = np.ndarray[Any, Any]

#: (is AP, IoU threshold or None, area label, position in max_dets or None for 100)
_STATS: tuple[tuple[bool, float | None, str, int | None], ...] = (
    (True, None, "all", None),
    (True, 0.5, "all", 2),
    (True, 0.75, "all", 2),
    (True, None, "small", 2),
    (True, None, "medium", 2),
    (True, None, "large", 2),
    (False, None, "all", 0),
    (False, None, "all", 1),
    (False, None, "all", 2),
    (False, None, "small", 2),
    (False, None, "medium", 2),
    (False, None, "large", 2),
)


def accumulate(
    dt_matched: _NDArray,
    dt_ignored: _NDArray,
    dt_score: _NDArray,
    dt_rank: _NDArray,
    cat_start: _NDArray,
    regular_gt: _NDArray,
    recall_thresholds: _NDArray,
    max_dets: tuple[int, ...],
) -> tuple[_NDArray, _NDArray, _NDArray]:
    """precision ``(T, R, K, A, M)``, recall ``(T, K, A, M)``, scores ``(T, R, K, A, M)``.

    ``dt_matched``/``dt_ignored`` are ``(A, T, D)``, detections grouped by category (category
    ``k`` holds ``cat_start[k]:cat_start[k + 1]``), images in order, each image's detections in
    score order with their rank ``dt_rank``; ``regular_gt`` ``(A, K)`` counts the ground
    truths that are not ignored.
    """
    n_a, n_t, _ = dt_matched.shape
    n_k = cat_start.size - 1
    n_r = recall_thresholds.size
    n_m = len(max_dets)
    precision = -np.ones((n_t, n_r, n_k, n_a, n_m))
    recall = -np.ones((n_t, n_k, n_a, n_m))
    scores = -np.ones((n_t, n_r, n_k, n_a, n_m))
    for k in range(n_k):
        lo, hi = int(cat_start[k]), int(cat_start[k + 1])
        for m, max_det in enumerate(max_dets):
            keep = lo + np.flatnonzero(dt_rank[lo:hi] < max_det)
            order = np.argsort(-dt_score[keep], kind="mergesort")
            sel = keep[order]
            sorted_scores = dt_score[sel]
            nd = sel.size
            for a in range(n_a):
                npig = int(regular_gt[a, k])
                if npig == 0:
                    continue
                matched = dt_matched[a][:, sel]
                counted = ~dt_ignored[a][:, sel]
                tp = np.cumsum(matched & counted, axis=1).astype(float)
                fp = np.cumsum(~matched & counted, axis=1).astype(float)
                rc = tp / npig
                pr = tp / (fp + tp + np.spacing(1))
                recall[:, k, a, m] = rc[:, -1] if nd else 0
                if nd:
                    pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
                for t in range(n_t):
                    q = np.zeros(n_r)
                    ss = np.zeros(n_r)
                    idx = np.searchsorted(rc[t], recall_thresholds, side="left")
                    ok = idx < nd
                    # once one recall level is out of reach, so are all after it (COCO's
                    # try/except stops at the first miss)
                    reach = np.flatnonzero(ok) if ok.all() else np.arange(np.argmin(ok))
                    q[reach] = pr[t, idx[reach]]
                    ss[reach] = sorted_scores[idx[reach]]
                    precision[t, :, k, a, m] = q
                    scores[t, :, k, a, m] = ss
    return precision, recall, scores


def mean_of(values: _NDArray) -> float:
    """COCO's mean: ``np.mean`` over the entries > -1, or -1 when there is none."""
    kept = values[values > -1]
    return -1.0 if kept.size == 0 else float(np.mean(kept))


def stat(
    precision: _NDArray,
    recall: _NDArray,
    iou_thresholds: _NDArray,
    area_labels: tuple[str, ...],
    max_dets: tuple[int, ...],
    ap: bool,
    iou: float | None,
    area: str,
    max_det: int,
) -> float:
    """One number of ``COCOeval.summarize``: the mean over the chosen slice (all categories,
    or the category slice the caller passes)."""
    aind = [i for i, lbl in enumerate(area_labels) if lbl == area]
    mind = [i for i, m in enumerate(max_dets) if m == max_det]
    s = precision if ap else recall
    if iou is not None:
        s = s[np.where(iou == iou_thresholds)[0]]
    s = s[:, :, :, aind, mind] if ap else s[:, :, aind, mind]
    return mean_of(s)


def summary_lines(
    precision: _NDArray,
    recall: _NDArray,
    iou_thresholds: _NDArray,
    area_labels: tuple[str, ...],
    max_dets: tuple[int, ...],
) -> tuple[list[float], list[str]]:
    """The 12 stats and the 12 lines ``COCOeval.summarize`` prints.

    A position of ``max_dets`` that does not exist (fewer than 3 values; pycocotools raises
    IndexError there) is shown as ``maxDets= -1`` with the value -1.
    """
    stats: list[float] = []
    lines: list[str] = []
    for ap, iou, area, pos in _STATS:
        max_det = 100 if pos is None else (max_dets[pos] if pos < len(max_dets) else -1)
        value = stat(precision, recall, iou_thresholds, area_labels, max_dets, ap, iou, area,
                     max_det)  # fmt: skip
        stats.append(value)
        title = "Average Precision" if ap else "Average Recall"
        kind = "(AP)" if ap else "(AR)"
        iou_text = (
            f"{iou_thresholds[0]:0.2f}:{iou_thresholds[-1]:0.2f}" if iou is None else f"{iou:0.2f}"
        )
        lines.append(
            f" {title:<18} {kind} @[ IoU={iou_text:<9} | area={area:>6s} | "
            f"maxDets={max_det:>3d} ] = {value:0.3f}"
        )
    return stats, lines
