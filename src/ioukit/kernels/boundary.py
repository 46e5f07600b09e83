"""Boundary-band kernels on the CPU (numba), used by :mod:`ioukit.geometry.boundary` (bands of
dense masks) and :mod:`ioukit.detection._coco_boundary` (bands of RLE masks, Boundary AP).

numba is imported when a kernel first runs, never at ``import ioukit``; compiled code is cached
on disk (``cache=True``). The RLE kernels run threaded above the work sizes below (the policy
of :mod:`ioukit.kernels._threads`).
"""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

import numpy as np

from ioukit.kernels import numba_threads, parallel_threads

__all__ = ["Bands", "band_intervals", "band_min", "bands", "needed_bands"]

_NDArray = np.ndarray[Any, Any]

#: Work sizes from which a kernel runs on all threads: intervals of ones (bands), pairs of
#: masks (IoU).
_PARALLEL_INTERVALS = 1 << 13
_PARALLEL_PAIRS = 1 << 12


class Bands(NamedTuple):
    """Band intervals of masks: mask ``s`` has ``bcount[s]`` of them from ``boffs[s]``, and
    ``barea[s]`` pixels."""

    bs: _NDArray
    be: _NDArray
    boffs: _NDArray
    bcount: _NDArray
    barea: _NDArray


@cache
def _jit() -> Any:
    # imports numba: only here, when the kernel first runs
    from ioukit.kernels import _numba_boundary as k

    return k


def bands(masks: _NDArray, d: int) -> _NDArray:
    """Inner boundary bands ``mask - erode(mask, (2d + 1)² square, zeros outside)`` of bool
    ``(N, H, W)`` masks, bool ``(N, H, W)``."""
    out = np.zeros(masks.shape, dtype=np.bool_)
    if masks.size == 0:
        return out
    _jit()._bands(np.ascontiguousarray(masks, dtype=np.bool_), d, out)
    return out


def band_intervals(
    index: tuple[_NDArray, ...], heights: _NDArray, dil: _NDArray, need: _NDArray
) -> Bands:
    """The bands of the masks flagged in ``need`` (bool) as intervals of ones; ``index`` =
    ``(starts, ends, ioffs, icount, area, bbox)`` (:func:`ioukit.kernels.rle.index_strings`),
    ``heights`` and ``dil`` the image height and the band width ``d`` of each mask (int64).
    Other masks get no interval."""
    starts, ends, ioffs, icount, _, bbox = index
    threads = parallel_threads(int(starts.size), min_work=_PARALLEL_INTERVALS)
    with numba_threads(threads):
        out = _jit().band_intervals(
            starts, ends, ioffs, icount, bbox, heights, dil, need, 4 * threads if threads > 1 else 1
        )
    return Bands(*out)


def needed_bands(
    iou: _NDArray, crowd: _NDArray, dt_off: _NDArray, gt_off: _NDArray, iou_off: _NDArray
) -> _NDArray:
    """``(N,)`` bool: the masks (detections then ground truths, grouped by cell) with a
    positive mask IoU (flat ``iou``) against a non-crowd partner of their cell."""
    need: _NDArray = _jit().needed_bands(iou, crowd, dt_off, gt_off, iou_off)
    return need


def band_min(
    iou: _NDArray,
    bbox: _NDArray,
    heights: _NDArray,
    bands: Bands,
    crowd: _NDArray,
    dt_off: _NDArray,
    gt_off: _NDArray,
    iou_off: _NDArray,
) -> None:
    """Lower the flat mask IoUs ``iou`` of the cells in place to ``min(mask IoU, band IoU)``
    in non-crowd columns (see :func:`ioukit.kernels._numba_boundary.band_min`)."""
    threads = parallel_threads(int(iou_off[-1]), min_work=_PARALLEL_PAIRS)
    with numba_threads(threads):
        _jit().band_min(
            iou, bbox, heights, tuple(bands), crowd, dt_off, gt_off, iou_off,
            4 * threads if threads > 1 else 1,
        )  # fmt: skip
