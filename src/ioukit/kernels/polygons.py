"""Rotated-box and polygon kernels on the CPU (numba): per-shape preparation and exact IoU.

:func:`box_polygons` and :func:`classify` turn rotated boxes and polygons into the layout of the
clipping kernel (vertices relative to an anchor, areas, bounding boxes; see
:mod:`ioukit.kernels._numba_polygon_clip`); :func:`iou` clips every pair (or every row-aligned
pair) of two prepared sets; :func:`box_iou_aligned` and :func:`polygon_iou_aligned` fuse both
steps for row-aligned pairs. Used by :mod:`ioukit.geometry.polygons`.

numba is imported when a kernel first runs, never at ``import ioukit``; compiled code is cached
on disk (``cache=True``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from ioukit.kernels._polygon_codes import CONVEX, DEGENERATE, NONCONVEX, SELF_INTERSECTING
from ioukit.kernels._threads import parallel_threads, run_chunks

__all__ = [
    "CONVEX",
    "DEGENERATE",
    "NONCONVEX",
    "SELF_INTERSECTING",
    "box_iou_aligned",
    "box_polygons",
    "classify",
    "iou",
    "polygon_iou_aligned",
]

_NDArray = np.ndarray[Any, Any]


#: below this many pairs the single-threaded kernel is used. A pair costs ~0.3 µs, so 4096 pairs
#: are ~1 ms of work against tens of microseconds to wake the worker threads on an idle machine
#: (10k aligned 6-gon/8-gon pairs: 5.1 ms serial, 2.7 ms on 2 threads). On a busy machine a
#: descheduled worker can cost a scheduler slice instead.
_PARALLEL_MIN = 1 << 12


@cache
def _jit() -> tuple[Any, Any]:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_polygon_clip, _numba_polygons

    return _numba_polygons, _numba_polygon_clip


def _buffer_size(k1: int, k2: int) -> int:
    """Length of the clipping work buffers for polygons of ``k1`` and ``k2`` vertices.

    Clipping a convex ``n``-gon by a half-plane adds at most one vertex, so ``k1 + k2`` is
    enough in exact arithmetic; the margin absorbs near-duplicate points from rounding. A pair
    that still overflows is flagged (-1.0) for the caller to recompute exactly, never dropped.
    """
    return 4 * (k1 + k2) + 16


def box_polygons(boxes: _NDArray) -> tuple[_NDArray, ...]:
    """Corners of rotated boxes ``(N, 5)`` float64 relative to their centres ``(N, 4, 2)``,
    shoelace areas ``(N,)``, bounding boxes ``lo``, ``hi`` ``(N, 2)`` and the invalid flags
    ``(N,)`` (non-finite value, negative size; such boxes get zeros)."""
    n = boxes.shape[0]
    rel, area = np.empty((n, 4, 2)), np.empty(n)
    lo, hi = np.empty((n, 2)), np.empty((n, 2))
    bad = np.empty(n, dtype=np.bool_)
    _jit()[0].box_range(boxes, 0, n, rel, area, lo, hi, bad)
    return rel, area, lo, hi, bad


def classify(polys: _NDArray) -> tuple[_NDArray, ...]:
    """Polygons ``(N, K, 2)`` float64 moved to their vertex mean, turned counter-clockwise and
    classified: ``(rel, anchor, status, area, lo, hi, bad, counts)``, ``status`` one of
    :data:`CONVEX`, :data:`DEGENERATE`, :data:`NONCONVEX`, :data:`SELF_INTERSECTING` and
    ``counts`` the numbers of invalid, degenerate, non-convex and self-intersecting polygons
    (see :func:`ioukit.kernels._numba_polygons.classify_range`)."""
    n, k = polys.shape[0], polys.shape[1]
    rel, anchor = np.empty((n, k, 2)), np.empty((n, 2))
    status, area = np.empty(n, dtype=np.int8), np.empty(n)
    lo, hi = np.empty((n, 2)), np.empty((n, 2))
    bad, counts = np.empty(n, dtype=np.bool_), np.zeros(4, dtype=np.int64)
    _jit()[0].classify_range(polys, 0, n, rel, anchor, status, area, lo, hi, bad, counts)
    return rel, anchor, status, area, lo, hi, bad, counts


def iou(shapes1: tuple[_NDArray, ...], shapes2: tuple[_NDArray, ...], aligned: bool) -> _NDArray:
    """IoU of every pair of two prepared sets of convex shapes, flat row-major ``(N * M,)``,
    or of the row-aligned pairs ``(N,)`` when ``aligned``.

    ``shapesX`` is ``(rel, anchor, area, lo, hi)``; a shape of area 0 scores 0 with everything.
    A pair whose clipping outgrew the work buffers gets -1.0: the caller recomputes it.
    """
    cap = _buffer_size(shapes1[0].shape[1], shapes2[0].shape[1])
    n, m = shapes1[0].shape[0], shapes2[0].shape[0]
    total = n if aligned else n * m
    out = np.empty(total, dtype=np.float64)
    threads = parallel_threads(total, min_work=_PARALLEL_MIN)
    run_chunks(_jit()[1].iou_range, total, threads, *shapes1, *shapes2, cap, aligned, out)
    return out


def _fused(kernel: str, d1: _NDArray, d2: _NDArray, cap: int) -> tuple[_NDArray, int]:
    """Run the fused aligned ``kernel`` (``(d1, d2, cap, out, lo, hi) -> trouble``) over
    ranges of the pairs; ``trouble`` summed over the ranges."""
    run = getattr(_jit()[0], kernel)
    n = d1.shape[0]
    out = np.empty(n, dtype=np.float64)
    troubles: list[int] = []  # list.append is atomic: one entry per range

    def chunk(lo: int, hi: int) -> None:
        troubles.append(int(run(d1, d2, cap, out, lo, hi)))

    run_chunks(chunk, n, parallel_threads(n, min_work=_PARALLEL_MIN))
    return out, sum(troubles)


def box_iou_aligned(boxes1: _NDArray, boxes2: _NDArray) -> tuple[_NDArray, int]:
    """IoU of the row-aligned pairs of rotated boxes ``(N, 5)`` float64 in one fused pass:
    ``(out, trouble)``. ``trouble`` counts invalid boxes and pairs that overflowed the work
    buffers; when it is not 0, ``out`` is incomplete and the caller takes the general path."""
    return _fused("box_aligned_range", boxes1, boxes2, _buffer_size(4, 4))


def polygon_iou_aligned(polys1: _NDArray, polys2: _NDArray) -> tuple[_NDArray, int]:
    """IoU of the row-aligned pairs of polygons ``(N, K1, 2)``, ``(N, K2, 2)`` float64 in one
    fused pass: ``(out, trouble)``. ``trouble`` counts invalid, non-convex and
    self-intersecting polygons and overflowing pairs; when it is not 0, ``out`` is incomplete
    and the caller takes the general path."""
    cap = _buffer_size(polys1.shape[1], polys2.shape[1])
    return _fused("polygon_aligned_range", polys1, polys2, cap)
