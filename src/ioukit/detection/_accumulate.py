"""From COCO's precision/recall arrays to its stats and summary, and the match records.

The arrays come from :func:`ioukit.kernels.coco.accumulate` (``COCOeval.accumulate``'s rules:
for each (category, area range, max_dets), the detections of all images, each image's first
``max_dets`` by score, stable-sorted by decreasing score; precision made monotone from the right
and read at the first detection whose recall reaches each level, 0 when none does; cells
without a regular ground truth -1). The stats follow ``COCOeval.summarize``: means are
``np.mean`` over the entries > -1, as COCO computes them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ioukit.core.counts import Counts
from ioukit.core.reduce import fbeta, precision, recall
from ioukit.core.sweep import threshold_sweep

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
#: ``_summarizeKps``: every entry at ``maxDets=20``
_KPS_STATS: tuple[tuple[bool, float | None, str, int | None], ...] = tuple(
    (ap, iou, area, None)
    for ap in (True, False)
    for iou, area in ((None, "all"), (0.5, "all"), (0.75, "all"), (None, "medium"), (None, "large"))
)

#: the names of the numbers of :attr:`COCOResult.stats` (of ``_summarizeKps`` for keypoints)
STAT_NAMES = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm",
              "ARl")  # fmt: skip
KPS_STAT_NAMES = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")


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


def stat_specs(
    max_dets: tuple[int, ...], *, keypoints: bool = False, at_max: bool = False
) -> list[tuple[str, bool, float | None, str, int]]:
    """The numbers of ``COCOeval.summarize`` (``_summarizeKps`` when ``keypoints``) as
    ``(name, is AP, IoU threshold or None, area label, max_dets)``, in the order of
    :attr:`COCOResult.stats`; ``max_dets`` -1 where pycocotools would read a position that
    does not exist. ``at_max``: the ``"ioukit"`` convention (see :func:`summary_lines`)."""
    specs = []
    table = _KPS_STATS if keypoints else _STATS
    names = KPS_STAT_NAMES if keypoints else STAT_NAMES
    for name, (ap, iou, area, pos) in zip(names, table, strict=True):
        if at_max and (pos is None or pos == 2):
            max_det = max_dets[-1]
        elif pos is None:
            max_det = 20 if keypoints else 100
        else:
            max_det = max_dets[pos] if pos < len(max_dets) else -1
        specs.append((name, ap, iou, area, max_det))
    return specs


def summary_lines(
    precision: _NDArray,
    recall: _NDArray,
    iou_thresholds: _NDArray,
    area_labels: tuple[str, ...],
    max_dets: tuple[int, ...],
    *,
    keypoints: bool = False,
    at_max: bool = False,
) -> tuple[list[float], list[str]]:
    """The 12 stats and the 12 lines ``COCOeval.summarize`` prints (the 10 of
    ``_summarizeKps``, all read at ``maxDets=20``, when ``keypoints``).

    A position of ``max_dets`` that does not exist (fewer than 3 values; pycocotools raises
    IndexError there) is shown as ``maxDets= -1`` with the value -1. With ``at_max`` (the
    ``"ioukit"`` convention) the entries pycocotools reads at ``maxDets=100`` or at
    ``max_dets[2]`` are read at ``max(max_dets)``.
    """
    stats: list[float] = []
    lines: list[str] = []
    for _, ap, iou, area, max_det in stat_specs(max_dets, keypoints=keypoints, at_max=at_max):
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


#: status codes of :func:`detection_status` (index into :data:`STATUS_NAMES`)
FP, TP, IGNORED = 0, 1, 2
STATUS_NAMES = ("fp", "tp", "ignored")


@dataclass(frozen=True)
class MatchState:
    """What the accumulation reads from the matching: enough to accumulate again (under image
    weights too), to count per image and to find F1-optimal thresholds; what a result keeps
    in its JSON state.

    Detections (D, those evaluated: each (image, category) cell's first ``max_dets[-1]`` by
    score) are in cell order (category, then image, then decreasing score). ``dt_status`` is
    ``(A, T, D)`` int8 (FP, TP, IGNORED); ``regular`` ``(A, cells)`` counts the ground truths
    that are not ignored, cells category-major (``k * n_img + i``).
    """

    dt_image: _NDArray  # (D,) position in params.img_ids
    dt_score: _NDArray  # (D,)
    dt_rank: _NDArray  # (D,) rank within its cell (or its image, with a per-image cap)
    cat_start: _NDArray  # (K + 1,) detections of category k: cat_start[k]:cat_start[k + 1]
    dt_status: _NDArray
    regular: _NDArray  # (A, cells) ground truths that are not ignored
    n_img: int


@dataclass(frozen=True)
class MatchRecords(MatchState):
    """:class:`MatchState` and what the matching produced besides, kept for per-detection
    questions.

    Ground truths (G) are in cell order too. ``gt_positions(a, t)`` matches again at one area
    range and threshold to tell the position (in the G order) of the ground truth each
    detection took, or -1 (kept out of the main run, where it would cost 4 bytes per
    detection, area range and threshold). The cells' IoU matrices stay flat in ``iou`` (cell
    ``c`` at ``iou_off[c]``, row-major).
    """

    dt_index: _NDArray  # (D,) position in the result list
    dt_category: _NDArray  # (D,) category id
    dt_cell: _NDArray  # (D,)
    gt_positions: Callable[[int, int], _NDArray]
    iou: _NDArray
    iou_off: _NDArray
    gt_off: _NDArray
    dt_off: _NDArray
    gt_id: _NDArray  # (G,) annotation ids


def detection_status(rec: MatchState, a: int, t: int, max_det: int) -> tuple[_NDArray, _NDArray]:
    """The detections within ``max_det`` (indices into D) and their status code (FP, TP,
    IGNORED) at area range ``a`` and threshold ``t``."""
    keep = np.flatnonzero(rec.dt_rank < max_det)
    return keep, rec.dt_status[a, t, keep]


def matched_gt(rec: MatchRecords, a: int, t: int, keep: _NDArray, status: _NDArray) -> _NDArray:
    """The position of the ground truth each detection ``keep[i]`` holds (-1 for a false
    positive, so also for one that COCO leaves unmatched because its ground truth has id
    0)."""
    return np.where(status == FP, -1, rec.gt_positions(a, t)[keep]).astype(np.int64)


def matched_iou(rec: MatchRecords, keep: _NDArray, gt: _NDArray) -> _NDArray:
    """IoU of each detection ``keep[i]`` with the ground truth ``gt[i]`` (0 where -1)."""
    out = np.zeros(keep.size)
    has = gt >= 0
    det, pos = keep[has], gt[has]
    cell = rec.dt_cell[det]
    n_g = rec.gt_off[cell + 1] - rec.gt_off[cell]
    flat = rec.iou_off[cell] + (det - rec.dt_off[cell]) * n_g + (pos - rec.gt_off[cell])
    out[has] = rec.iou[flat]
    return out


def f1_point(score: _NDArray, is_tp: _NDArray, n_gt: int) -> tuple[float, ...]:
    """The score threshold that maximises F1 over ``score >= threshold``, and the precision,
    recall, F1 and the true and false positives there: ``(threshold, precision, recall, f1, tp,
    fp)``.

    ``score`` and ``is_tp`` are the counted detections (true and false positives). Only
    thresholds equal to a score are candidates (a threshold keeps all detections tied at it);
    the highest threshold wins a tie in F1. ``F1 = 2 tp / (kept + n_gt)``. Without ground truth
    precision, recall and F1 are -1 and the threshold NaN; without a true positive they are 0
    and the threshold NaN (nothing is kept).
    """
    if n_gt == 0:
        return math.nan, -1.0, -1.0, -1.0, 0, 0
    if score.size == 0 or not is_tp.any():
        return math.nan, 0.0, 0.0, 0.0, 0, 0
    # one sort, exact counts at every distinct score (the library's sweep); the ground truths
    # that no counted detection matched are false negatives at every threshold
    sw = threshold_sweep(score, is_tp)
    c = sw.counts
    counts = Counts(task="binary", tp=c.tp, fp=c.fp, fn=c.fn + (n_gt - int(is_tp.sum())), tn=c.tn)
    f1 = fbeta(counts, beta=1.0, average="none")
    i = int(np.argmax(f1))  # thresholds decrease: the first maximum is the highest threshold
    p = precision(counts, average="none")
    r = recall(counts, average="none")
    n_tp, n_fp = int(counts.tp[i]), int(counts.fp[i])
    return float(sw.thresholds[i]), float(p[i]), float(r[i]), float(f1[i]), n_tp, n_fp


def curve_at(prec: _NDArray, scores: _NDArray | None, k: int | None) -> tuple[_NDArray, _NDArray]:
    """One precision-recall curve from the ``(T, R, K)`` slices of an evaluation's precision
    and scores (``T`` the IoU thresholds asked for; ``scores`` None: NaN scores): category
    ``k``, or with ``k=None`` the mean over the categories with ground truth (those that
    ``summarize`` averages), then the mean over the T thresholds. Without ground truth the
    curve is -1 (as COCO marks it). The mean curve's own mean is the AP over those
    thresholds, as ``summarize`` computes it (the same categories have ground truth at every
    threshold)."""
    sc = np.full(prec.shape, np.nan) if scores is None else scores
    if k is not None:
        return prec[:, :, k].mean(axis=0), sc[:, :, k].mean(axis=0)
    ks = np.flatnonzero(prec[0, 0] > -1)
    if ks.size == 0:
        return -np.ones(prec.shape[1]), -np.ones(prec.shape[1])
    return prec[:, :, ks].mean(axis=2).mean(axis=0), sc[:, :, ks].mean(axis=2).mean(axis=0)


def accumulate_state(rec: MatchState, p: Any) -> tuple[_NDArray, _NDArray, _NDArray]:
    """Precision, recall and scores of COCO parameters ``p`` from match statuses: of one
    pass, of merged shards, or read back from a result's JSON state."""
    from ioukit.kernels.coco import accumulate

    n_k = rec.cat_start.size - 1
    regular_k = rec.regular.reshape(len(p.area_ranges), n_k, rec.n_img).sum(axis=2)
    return accumulate(rec.dt_status, rec.dt_score, rec.dt_rank, rec.cat_start, regular_k,
                      np.asarray(p.recall_thresholds), p.max_dets)  # fmt: skip
