"""COCO's evaluation kernels behind plain functions: grouping detections into (image,
category) cells, the cells' box IoUs, the greedy matching, and the accumulation.

numba is imported when a kernel first runs, never at ``import ioukit``; the compiled kernels
(:mod:`ioukit.kernels._numba_coco`) are cached on disk. Each threaded kernel asks the thread
policy (:mod:`ioukit.kernels._threads`) how many threads to run on.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from ioukit.kernels._threads import parallel_threads, run_chunks

__all__ = ["accumulate", "box_ious", "by_score", "match_cells", "order_cells"]

_NDArray = np.ndarray[Any, Any]

#: threads pay off from this many (detection, ground truth) pairs / detections
_PARALLEL_MIN_PAIRS = 1 << 16
_PARALLEL_MIN_DETS = 1 << 15


@cache
def _jit() -> Any:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_coco

    return _numba_coco


def order_cells(
    cell: _NDArray, score: _NDArray, tie: _NDArray, n_cells: int, *, by_score: bool
) -> tuple[_NDArray, _NDArray]:
    """Items grouped by cell (``cell < 0`` dropped): ``(order, off)``, cell ``c`` holding
    ``order[off[c]:off[c + 1]]`` in file order, or with ``by_score`` by decreasing score, ties
    by increasing ``tie`` then file order."""
    return _jit().order_cells(  # type: ignore[no-any-return]
        cell.astype(np.int64), score.astype(np.float64), tie.astype(np.int64), n_cells, by_score
    )


def by_score(score: _NDArray) -> _NDArray:
    """``np.argsort(-score, kind="stable")`` for finite scores (-0.0 equal to 0.0), by a
    radix sort: positions by decreasing score, ties in position order."""
    return _jit().by_score(np.asarray(score, np.float64))  # type: ignore[no-any-return]


def box_ious(
    dbox: _NDArray, gbox: _NDArray, crowd: _NDArray, dt_off: _NDArray, gt_off: _NDArray,
    iou_off: _NDArray,
) -> _NDArray:  # fmt: skip
    """The flat IoU matrices of the cells from xywh boxes in cell order (COCO's ``bbIou``);
    cell ``c`` is ``out[iou_off[c]:iou_off[c + 1]]``, row-major (detections, ground truths)."""
    threads = parallel_threads(int(iou_off[-1]), min_work=_PARALLEL_MIN_PAIRS)
    chunks = 4 * threads if threads > 1 else 1
    out = np.empty(int(iou_off[-1]), np.float64)
    run_chunks(
        _jit().box_ious, chunks, threads, np.ascontiguousarray(dbox), np.ascontiguousarray(gbox),
        crowd, dt_off, gt_off, iou_off, out, chunks, pieces=threads,
    )  # fmt: skip
    return out


def match_cells(
    iou: _NDArray,
    iou_off: _NDArray,
    gt_off: _NDArray,
    gt_ignore: _NDArray,
    gt_area: _NDArray,
    gt_crowd: _NDArray,
    gt_id_nonzero: _NDArray,
    dt_off: _NDArray,
    dt_area: _NDArray,
    thresholds: _NDArray,
    area_ranges: _NDArray,
    *,
    keep_gt: bool = False,
) -> tuple[_NDArray, _NDArray, _NDArray]:
    """Match every cell at every area range and IoU threshold (the arguments and the rule are
    those of :func:`ioukit.kernels._numba_coco.match_cells`): ``(dt_status, dt_gt,
    regular_gt)``, ``dt_status`` int8 ``(A, T, D)`` (0 false positive, 1 true positive, 2
    ignored), ``dt_gt`` the position of the ground truth each detection takes (-1: none), or
    an empty ``(A, T, 0)`` array unless ``keep_gt``, and ``regular_gt`` ``(A, cells)``."""
    n_a, n_t, n_det = area_ranges.shape[0], thresholds.size, int(dt_off[-1])
    status = np.empty((n_a, n_t, n_det), np.int8)
    gt_dtype = np.int32 if gt_off[-1] < 2**31 else np.int64
    dt_gt = np.full((n_a, n_t, n_det if keep_gt else 0), -1, gt_dtype)
    regular = np.zeros((n_a, gt_off.size - 1), np.int32)  # counts per cell: small
    args = (iou, iou_off, gt_off, gt_ignore, gt_area, gt_crowd, gt_id_nonzero, dt_off, dt_area,
            thresholds, area_ranges, status, dt_gt, regular)  # fmt: skip
    threads = parallel_threads(n_det, min_work=_PARALLEL_MIN_DETS)
    chunks = 8 * threads if threads > 1 else 1
    run_chunks(_jit().match_cells, chunks, threads, *args, chunks, pieces=threads)
    return status, dt_gt, regular


def accumulate(
    dt_status: _NDArray,
    dt_score: _NDArray,
    dt_rank: _NDArray,
    cat_start: _NDArray,
    regular_gt: _NDArray,
    recall_thresholds: _NDArray,
    max_dets: Sequence[int] | _NDArray,
) -> tuple[_NDArray, _NDArray, _NDArray]:
    """COCO's (``COCOeval.accumulate``) precision ``(T, R, K, A, M)``, recall ``(T, K, A, M)``
    and scores ``(T, R, K, A, M)``, categories in parallel.

    ``dt_status`` is ``(A, T, D)`` int8 (0 false positive, 1 true positive, 2 ignored),
    detections grouped by category (category ``k`` holds ``cat_start[k]:cat_start[k + 1]``),
    images in order, each image's detections in score order with their rank ``dt_rank``;
    ``regular_gt`` ``(A, K)`` counts the ground truths that are not ignored."""
    threads = parallel_threads(int(dt_score.size), min_work=_PARALLEL_MIN_DETS)
    # each thread takes a contiguous share of the iterations: deal the categories out from
    # the largest down, so that one large category does not leave the other threads idle
    by_size = np.argsort(-np.diff(cat_start), kind="stable")
    schedule = np.concatenate([by_size[t::threads] for t in range(threads)])
    rec_thr = np.asarray(recall_thresholds, np.float64)
    dets = np.asarray(max_dets, np.int64)
    n_a, n_t, n_k = dt_status.shape[0], dt_status.shape[1], cat_start.size - 1
    precision = -np.ones((n_t, rec_thr.size, n_k, n_a, dets.size))
    recall = -np.ones((n_t, n_k, n_a, dets.size))
    scores = -np.ones((n_t, rec_thr.size, n_k, n_a, dets.size))
    chunks = min(n_k, 4 * threads) if threads > 1 else 1
    run_chunks(
        _jit().accumulate, chunks, threads,
        dt_status, dt_score.astype(np.float64), dt_rank.astype(np.int64),
        cat_start.astype(np.int64), regular_gt.astype(np.int64), rec_thr, dets,
        schedule.astype(np.int64), precision, recall, scores, max(chunks, 1), pieces=threads,
    )  # fmt: skip
    return precision, recall, scores
