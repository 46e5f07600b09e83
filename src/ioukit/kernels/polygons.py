"""Rotated-box and polygon kernels on the CPU (numba): per-shape preparation and exact IoU.

:func:`box_polygons` and :func:`classify` turn rotated boxes and polygons into the layout of the
clipping kernel (vertices relative to an anchor, areas, bounding boxes; see
:mod:`ioukit.kernels._numba_polygon_clip`); :func:`iou` clips every pair (or every row-aligned
pair) of two prepared sets; :func:`box_iou_aligned` and :func:`polygon_iou_aligned` run both
steps block by block for row-aligned pairs. Used by :mod:`ioukit.geometry.polygons`.

numba is imported when a kernel first runs, never at ``import ioukit``; compiled code is cached
on disk (``cache=True``).
"""

from __future__ import annotations

import threading
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
    rel, anchor, area = np.empty((n, 4, 2)), np.empty((n, 2)), np.empty(n)
    lo, hi = np.empty((n, 2)), np.empty((n, 2))
    bad = np.empty(n, dtype=np.bool_)
    _jit()[0].box_range(boxes, 0, n, rel, anchor, area, lo, hi, bad)
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


#: pairs per block of the aligned path: a block's prepared shapes (~0.75 MB for 6-gons against
#: 8-gons) stay in the cache from their preparation to their clipping, and the three kernel
#: calls of a block (~1 µs each) are a negligible part of its work
_BLOCK = 2048

#: each thread's work buffers of the aligned path are kept for its next call when the polygons
#: have at most this many vertices (~1.3 MB per thread at most): allocating them costs a few
#: µs, a noticeable part of a call on a few hundred pairs
_KEEP_VERTICES = 16

_scratch = threading.local()


def _buffers(rows: int, k1: int, k2: int) -> tuple[_NDArray, ...]:
    """This thread's work buffers of the aligned path for ``rows`` pairs of ``k1``- and
    ``k2``-gons, as :func:`_aligned` unpacks them: one set of shapes per side (``rel``,
    ``anchor``, ``area``, ``lo``, ``hi``), then ``bad``, ``status`` and ``counts`` (whose
    values the aligned path does not use). They may be longer: the kernels use the first rows
    only."""
    held = getattr(_scratch, "held", None)
    if held is not None and held[0] == (k1, k2) and held[1] >= rows:
        return held[2]  # type: ignore[no-any-return]
    keep = max(k1, k2) <= _KEEP_VERTICES
    if keep:
        rows = _BLOCK  # what any later call needs
    bufs = (
        *(a for k in (k1, k2) for a in (np.empty((rows, k, 2)), np.empty((rows, 2)),
          np.empty(rows), np.empty((rows, 2)), np.empty((rows, 2)))),
        np.empty(rows, dtype=np.bool_), np.empty(rows, dtype=np.int8), np.zeros(4, np.int64),
    )  # fmt: skip
    if keep:
        _scratch.held = ((k1, k2), rows, bufs)
    return bufs


def _aligned(d1: _NDArray, d2: _NDArray, boxes: bool) -> tuple[_NDArray, int]:
    """IoU of the row-aligned pairs of rotated boxes (``boxes``) or polygons ``d1``, ``d2``:
    ``(out, trouble)``, see :func:`box_iou_aligned` and :func:`polygon_iou_aligned`.

    Ranges of pairs on threads; each runs block by block: the per-shape kernel on the block of
    each side (into the thread's work buffers), then the clipping kernel on the block's pairs.
    The same kernels and arithmetic as :func:`box_polygons` / :func:`classify` then
    :func:`iou`, bit for bit, without whole-size intermediate arrays; and no fused numba kernel
    calling them (it would compile their code a second time, see
    :mod:`ioukit.kernels._numba_polygons`).
    """
    shapes, clip = _jit()
    n = d1.shape[0]
    k1, k2 = (4, 4) if boxes else (d1.shape[1], d2.shape[1])
    cap = _buffer_size(k1, k2)
    out = np.empty(n, dtype=np.float64)

    def chunk(start: int, stop: int) -> int:
        bufs = _buffers(min(stop - start, _BLOCK), k1, k2)
        rel1, anc1, area1, lo1, hi1, rel2, anc2, area2, lo2, hi2, bad, status, counts = bufs
        trouble = 0
        for lo in range(start, stop, _BLOCK):
            hi = min(stop, lo + _BLOCK)
            if boxes:
                trouble += shapes.box_range(d1, lo, hi, rel1, anc1, area1, lo1, hi1, bad)
                trouble += shapes.box_range(d2, lo, hi, rel2, anc2, area2, lo2, hi2, bad)
            else:
                run = shapes.classify_range
                trouble += run(d1, lo, hi, rel1, anc1, status, area1, lo1, hi1, bad, counts)
                trouble += run(d2, lo, hi, rel2, anc2, status, area2, lo2, hi2, bad, counts)
            if trouble:
                break
            trouble = clip.iou_range(rel1, anc1, area1, lo1, hi1, rel2, anc2, area2, lo2, hi2,
                                     cap, True, out[lo:hi], 0, hi - lo)  # fmt: skip
            if trouble:  # pairs that overflowed the buffers
                break
        return trouble

    threads = parallel_threads(n, min_work=_PARALLEL_MIN)
    return out, sum(run_chunks(chunk, n, threads))


def box_iou_aligned(boxes1: _NDArray, boxes2: _NDArray) -> tuple[_NDArray, int]:
    """IoU of the row-aligned pairs of rotated boxes ``(N, 5)`` float64, block by block (no
    whole-size intermediate arrays): ``(out, trouble)``. ``trouble`` counts invalid boxes and
    pairs that overflowed the work buffers; when it is not 0, ``out`` is incomplete and the
    caller takes the general path."""
    return _aligned(boxes1, boxes2, boxes=True)


def polygon_iou_aligned(polys1: _NDArray, polys2: _NDArray) -> tuple[_NDArray, int]:
    """IoU of the row-aligned pairs of polygons ``(N, K1, 2)``, ``(N, K2, 2)`` float64, block
    by block (no whole-size intermediate arrays): ``(out, trouble)``. ``trouble`` counts
    invalid, non-convex and self-intersecting polygons and overflowing pairs; when it is not 0,
    ``out`` is incomplete and the caller takes the general path."""
    return _aligned(polys1, polys2, boxes=False)
