"""The record types of :class:`ioukit.detection.result.COCOResult`'s methods: its PR curves,
per-detection matches and per-image counts (re-exported by :mod:`ioukit.detection.result`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

__all__ = ["COCOImageCounts", "COCOMatches", "PRCurve"]

_NDArray = np.ndarray[Any, Any]


class PRCurve(NamedTuple):
    """A precision-recall curve of :meth:`COCOResult.pr_curve`, read at the recall levels.

    Attributes
    ----------
    recall : ndarray of float64, shape (R,)
        The recall levels (``params.recall_thresholds``).
    precision : ndarray of float64, shape (R,)
        Interpolated precision at each level (0 where it is not reached; -1 everywhere when
        there is no ground truth).
    scores : ndarray of float64, shape (R,)
        The detection score at which each level is reached (0 where it is not): keeping the
        detections with ``score >= scores[r]`` reaches recall ``recall[r]``.
    """

    recall: _NDArray
    precision: _NDArray
    scores: _NDArray


@dataclass(frozen=True)
class COCOMatches:
    """Per-detection match records of :meth:`COCOResult.matches`, as columns (N,).

    Rows are the evaluated detections (each (image, category)'s first ``max_dets`` by score),
    by category, then image, then decreasing score, ties in file order (with pooled categories,
    ``use_cats=False``: by image, then decreasing score, ties by category then file order, as
    pycocotools lists them).

    Attributes
    ----------
    dt_index : ndarray of int64
        Position of the detection in the result list ``dt`` (pycocotools' id minus 1).
    image_id, category_id : ndarray
        Its image and category ids (int64, or object for non-integer ids).
    score : ndarray of float64
        Its confidence.
    status : ndarray of str
        ``"tp"``, ``"fp"`` or ``"ignored"`` (matched to a crowd or out-of-range ground truth,
        or unmatched and itself outside the area range: neither true nor false positive).
    gt_id : ndarray
        ``id`` of the ground-truth annotation it is matched to, -1 when none; a false positive
        always has -1 (also one that took a ground truth with id 0, which COCO leaves
        unmatched).
    iou : ndarray of float64
        IoU with that ground truth (for a crowd: intersection over the detection's area), 0
        when ``gt_id`` is -1.
    """

    dt_index: _NDArray
    image_id: _NDArray
    category_id: _NDArray
    score: _NDArray
    status: _NDArray
    gt_id: _NDArray
    iou: _NDArray

    def __len__(self) -> int:
        return int(self.score.size)


@dataclass(frozen=True)
class COCOImageCounts:
    """Per-image counts of :meth:`COCOResult.per_image`, as columns (I,), all categories
    together, in the order of ``params.img_ids``.

    Attributes
    ----------
    image_id : ndarray
        The image ids.
    tp, fp, fn, ignored : ndarray of int64
        True positives, false positives, missed ground truths (``n_gt - tp``) and ignored
        detections.
    n_gt : ndarray of int64
        Ground truths that count (not crowd, area in range).
    """

    image_id: _NDArray
    tp: _NDArray
    fp: _NDArray
    fn: _NDArray
    ignored: _NDArray
    n_gt: _NDArray
