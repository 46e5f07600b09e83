"""PQ, SQ and RQ from counts: the one place of the panoptic evaluation that divides.

Per category ``c`` (panopticapi's ``PQStat.pq_average``, same operations in the same order, so
the numbers are bit-identical)::

    den_c = TP_c + 0.5 FP_c + 0.5 FN_c
    PQ_c  = ΣIoU_c / den_c              (directly, not SQ_c × RQ_c: they differ in the last bits)
    SQ_c  = ΣIoU_c / TP_c               (0 when TP_c = 0)
    RQ_c  = TP_c / den_c

A category with ``TP + FP + FN = 0`` has no segment: its scores are NaN and it is left out of
the means. All / Things / Stuff are unweighted means over the categories that count, summed in
category order; NaN when no category counts (panopticapi raises ``ZeroDivisionError``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

NDArray = np.ndarray[Any, Any]

GROUPS = ("All", "Things", "Stuff")


def category_scores(
    iou_sum: NDArray, tp: NDArray, fp: NDArray, fn: NDArray
) -> tuple[NDArray, NDArray, NDArray]:
    """``(pq, sq, rq)`` per category, each of the shape of the inputs (``(..., K)``)."""
    den = tp + 0.5 * fp + 0.5 * fn
    valid = (tp + fp + fn) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        pq = np.where(valid, iou_sum / den, np.nan)
        sq = np.where(valid, np.where(tp != 0, iou_sum / tp, 0.0), np.nan)
        rq = np.where(valid, tp / den, np.nan)
    return pq, sq, rq


def _sequential_mean(values: NDArray, keep: NDArray) -> tuple[NDArray, NDArray]:
    """Mean over the last axis of the kept values, summed left to right (as a Python loop);
    and how many were kept. NaN where none."""
    x = np.where(keep, values, 0.0)  # adding 0.0 leaves a float sum unchanged, bit for bit
    n = keep.sum(axis=-1)
    total = np.cumsum(x, axis=-1)[..., -1] if x.shape[-1] else np.zeros(x.shape[:-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1), np.nan), n


def group_scores(
    pq: NDArray, sq: NDArray, rq: NDArray, isthing: NDArray
) -> dict[str, dict[str, NDArray]]:
    """``{"All" | "Things" | "Stuff": {"pq", "sq", "rq", "n"}}``: the means over the categories
    of each group that count (``n`` of them), over the last axis."""
    valid = ~np.isnan(pq)
    out: dict[str, dict[str, NDArray]] = {}
    for group, member in zip(GROUPS, (np.ones_like(isthing), isthing, ~isthing), strict=True):
        keep = valid & member
        scores = {}
        for key, values in (("pq", pq), ("sq", sq), ("rq", rq)):
            scores[key], n = _sequential_mean(values, keep)
        scores["n"] = n
        out[group] = scores
    return out
