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

from ioukit.kernels import parallel_threads
from ioukit.kernels._threads import run_chunks

__all__ = [
    "Bands",
    "band_intervals",
    "band_min",
    "bands",
    "label_bands",
    "needed_bands",
    "pair_band_counts",
]

_NDArray = np.ndarray[Any, Any]

#: Work sizes from which a kernel runs on all threads: intervals of ones (bands), pairs of
#: masks (IoU).
_PARALLEL_INTERVALS = 1 << 13
_PARALLEL_PAIRS = 1 << 12
#: Pixels of dense mask pairs from which :func:`pair_band_counts` runs on all threads.
_PARALLEL_PIXELS = 1 << 20


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


def _chunks(threads: int) -> int:
    """Chunks of the work for ``threads`` threads: 4 per thread, or 1 (a serial run)."""
    return 4 * threads if threads > 1 else 1


def bands(masks: _NDArray, d: int) -> _NDArray:
    """Inner boundary bands ``mask - erode(mask, (2d + 1)² square, zeros outside)`` of bool
    ``(N, H, W)`` masks, bool ``(N, H, W)``."""
    out = np.zeros(masks.shape, dtype=np.bool_)
    if masks.size == 0:
        return out
    _jit()._bands(np.ascontiguousarray(masks, dtype=np.bool_).view(np.uint8), d, out)
    return out


def pair_band_counts(pred: _NDArray, target: _NDArray, d: int) -> _NDArray:
    """``(N, 3)`` int64: ``|B(p) ∩ B(t)|``, ``|B(p)|`` and ``|B(t)|`` of the bands ``B`` (as
    :func:`bands`) of the bool ``(N, H, W)`` masks ``pred`` and ``target``, paired row by row,
    without building the bands of the whole images."""
    n = pred.shape[0]
    out = np.zeros((n, 3), dtype=np.int64)
    if pred.size == 0:
        return out
    threads = parallel_threads(int(pred.size), min_work=_PARALLEL_PIXELS)
    chunks = _chunks(threads)
    run_chunks(
        _jit().pair_band_counts, chunks, threads,
        np.ascontiguousarray(pred, dtype=np.bool_).view(np.uint8),
        np.ascontiguousarray(target, dtype=np.bool_).view(np.uint8),
        d, out, chunks, pieces=threads,
    )  # fmt: skip
    return out


@cache
def _jit_labels() -> Any:
    from ioukit.kernels import _numba_label_bands as k

    return k


def label_bands(labels: _NDArray, d: int, wild: int | None = None) -> _NDArray:
    """Bool ``(H, W)``: whether each pixel of the integer label map ``labels`` ``(H, W)`` is in
    the band (as :func:`bands`) of the mask of its own value, for every value at once in four
    sweeps of the map. ``wild``: a value whose pixels belong to every value's mask (they never
    make a boundary) and to no band."""
    out = np.empty(labels.shape, dtype=np.bool_)
    if labels.size:
        _jit_labels().label_bands(
            np.ascontiguousarray(labels, dtype=np.int64),
            0 if wild is None else wild, wild is not None, d, out,
        )  # fmt: skip
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
    chunks = _chunks(threads)
    k = _jit()
    boffs, bs, be = k.band_layout(icount, bbox, need)
    bcount = np.zeros(icount.shape[0], np.int64)
    barea = np.zeros(icount.shape[0], np.int64)
    args = (starts, ends, ioffs, icount, bbox, heights, dil)

    def bands(masks: _NDArray, refit: bool) -> None:
        out = (bs, be, boffs, bcount, barea)
        run_chunks(k.band_chunks, chunks, threads, *args, masks, refit, out, chunks, pieces=threads)

    bands(need, False)
    over = bcount > boffs[1:] - boffs[:-1]
    if over.any():  # masks with more intervals than room: again, with room for all
        bs, be, boffs = k.band_refit(bs, be, boffs, bcount)
        bands(over, True)
    return Bands(bs, be, boffs, bcount, barea)


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
    chunks = _chunks(threads)
    run_chunks(
        _jit().band_min, chunks, threads,
        iou, bbox, heights, tuple(bands), crowd, dt_off, gt_off, iou_off, chunks, pieces=threads,
    )  # fmt: skip
