"""The numba kernels behind :mod:`ioukit.kernels.boxes`, compiled on first use.

This module imports numba, so only :mod:`ioukit.kernels.boxes` imports it, lazily, when a kernel
first runs. Kernels live at module level (not in closures) so that numba's disk cache
(``cache=True``) finds them again in a new process.

Dense kernels (``pairwise``, ``aligned``) evaluate the same float64 formulas, in the same order,
as the Array API path of the box IoU family (:func:`ioukit.geometry._box_iou.score`), so both
paths give the same numbers; they write each score straight into the caller's output array of
the final dtype.

The sparse kernels index ``boxes2`` in a multi-level uniform grid. A box of width ``w`` and
height ``h`` goes to the level whose cells are at least ``w`` wide and ``h`` high (x and y levels
are chosen independently, so long thin boxes and huge boxes do not flood the fine cells), and is
filed once, in the cell of its lower-left corner. A query box ``a`` visits, in every non-empty
level, the cells that can hold the corner of a box overlapping it: x from ``a.x1 - W`` to
``a.x2`` and y from ``a.y1 - H`` to ``a.y2``, where ``W`` and ``H`` are the widest and highest
box of the level. Every pair is thus seen exactly once. Queries run in threads, in the order of
a coarse grid (sorted by NumPy in :mod:`ioukit.kernels.boxes`: neighbouring queries read
neighbouring cells), in two passes: count the pairs of each query box, then write them at their
offsets and sort each row by ``j``.
"""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np

# CIoU's constant 4 / π², frozen into the compiled code with the very value the Array API path
# uses.
_CIOU_K = 4 / math.pi**2

IOU, GIOU, DIOU, CIOU = 0, 1, 2, 3


# ----------------------------------------------------------------------------- dense


@nb.njit(cache=True, nogil=True, inline="always")
def _score(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    kind, ax1, ay1, ax2, ay2, area_a, at_a, bx1, by1, bx2, by2, area_b, at_b
):
    # mirrors ioukit.geometry._box_iou.score operation by operation
    iw = (ax2 if ax2 < bx2 else bx2) - (ax1 if ax1 > bx1 else bx1)
    ih = (ay2 if ay2 < by2 else by2) - (ay1 if ay1 > by1 else by1)
    iw = iw if iw > 0 else 0.0
    ih = ih if ih > 0 else 0.0
    inter = iw * ih
    union = (area_a + area_b) - inter
    iou = inter / union if union != 0 else 0.0
    if kind == IOU:
        return iou
    cw = (ax2 if ax2 > bx2 else bx2) - (ax1 if ax1 < bx1 else bx1)
    ch = (ay2 if ay2 > by2 else by2) - (ay1 if ay1 < by1 else by1)
    if kind == GIOU:
        enclosing = cw * ch
        return iou - ((enclosing - union) / enclosing if enclosing != 0 else 0.0)
    c2 = cw * cw + ch * ch
    dx = (ax1 + ax2) - (bx1 + bx2)
    dy = (ay1 + ay2) - (by1 + by2)
    rho2 = (dx * dx + dy * dy) / 4
    diou = iou - (rho2 / c2 if c2 != 0 else 0.0)
    if kind == DIOU:
        return diou
    dv = at_b - at_a
    v = _CIOU_K * (dv * dv)
    den = (1 - iou) + v
    alpha = v / den if den != 0 else 0.0
    return diou - alpha * v


def _pairwise(kind: int) -> Any:
    """The pairwise kernel of one ``kind``, a constant of its compiled code: a call compiles
    the formula it needs and no other."""

    @nb.njit(cache=True, nogil=True)
    def pairwise(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
        a, area_a, at_a, bad_a, b, area_b, at_b, bad_b, any_bad_b, fill, out, lo, hi
    ):
        """Scores of rows ``lo .. hi`` of ``a`` (batch by batch) against every row of ``b``.

        ``a``: (4, B, n) float64 columns x1, y1, x2, y2; ``area_a``, ``at_a`` (``atan2(w, h)``,
        for CIoU), ``bad_a``: (B, n). Same for ``b`` with m. ``out``: (B * n, m) of the final
        dtype. Rows of an invalid box of ``a`` and columns of one of ``b`` (when
        ``any_bad_b``) get ``fill``. Serial, without the GIL: threads run ranges of rows
        (:func:`ioukit.kernels._threads.run_chunks`).
        """
        n = area_a.shape[1]
        m = area_b.shape[1]
        for r in range(lo, hi):
            bb = r // n
            i = r - bb * n
            row = out[r]
            if bad_a[bb, i]:
                for j in range(m):
                    row[j] = fill
                continue
            ax1 = a[0, bb, i]
            ay1 = a[1, bb, i]
            ax2 = a[2, bb, i]
            ay2 = a[3, bb, i]
            ar = area_a[bb, i]
            at = at_a[bb, i]
            bx1 = b[0, bb]
            by1 = b[1, bb]
            bx2 = b[2, bb]
            by2 = b[3, bb]
            arb = area_b[bb]
            atb = at_b[bb]
            for j in range(m):
                row[j] = _score(
                    kind, ax1, ay1, ax2, ay2, ar, at, bx1[j], by1[j], bx2[j], by2[j], arb[j], atb[j]
                )
            if any_bad_b:
                badrow = bad_b[bb]
                for j in range(m):
                    if badrow[j]:
                        row[j] = fill

    return pairwise


def _aligned(kind: int) -> Any:
    """The aligned kernel of one ``kind`` (see :func:`_pairwise`)."""

    @nb.njit(cache=True, nogil=True)
    def aligned(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
        a, area_a, at_a, b, area_b, at_b, bad, fill, out, lo, hi
    ):
        """Scores of ``a[:, k]`` against ``b[:, k]`` for k in ``lo .. hi``: ``a``, ``b``
        (4, K); the rest (K,)."""
        for k in range(lo, hi):
            if bad[k]:
                out[k] = fill
            else:
                out[k] = _score(
                    kind,
                    a[0, k],
                    a[1, k],
                    a[2, k],
                    a[3, k],
                    area_a[k],
                    at_a[k],
                    b[0, k],
                    b[1, k],
                    b[2, k],
                    b[3, k],
                    area_b[k],
                    at_b[k],
                )

    return aligned


#: the dense kernels by kind code (IOU, GIOU, DIOU, CIOU); each compiles at its first call
PAIRWISE = tuple(_pairwise(kind) for kind in (IOU, GIOU, DIOU, CIOU))
ALIGNED = tuple(_aligned(kind) for kind in (IOU, GIOU, DIOU, CIOU))


# ----------------------------------------------------------------------------- sparse


@nb.njit(cache=True, nogil=True)
def _cell(v, origin, inv, g):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # monotonic in v: v1 <= v2 gives _cell(v1) <= _cell(v2) (rounding is monotonic)
    if g == 1:
        return 0
    t = (v - origin) * inv
    if not t > 0:  # also NaN, which callers never produce: stay in bounds whatever happens
        return 0
    if t >= g - 1:
        return g - 1
    return np.int64(t)  # not int(): its implementation compiles apart


@nb.njit(cache=True, nogil=True)
def grid_build(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    b, area_b, level, ok, x0, y0, inv_x, inv_y, gx, gy, cell_off, n_cells
):
    """CSR grid of the boxes ``b`` (4, M) with ``ok``; ``level[j]`` is box j's level.

    Each box is filed once, in the cell of its lower-left corner. Returns ``starts``
    (n_cells + 1), ``entries`` (box indices, ascending within a cell) and ``eb`` (E, 5): x1, y1,
    x2, y2 and area of each entry's box, so that a query reads the candidates of a row of
    cells from one contiguous block of memory.
    """
    m = b.shape[1]
    # loops, not np.cumsum and .copy(): each compiles a function of its own in a fresh
    # environment (about 0.1 s apiece)
    starts = np.empty(n_cells + 1, dtype=np.int64)  # counts, then their cumulative sum
    starts[:] = 0
    cell = np.empty(m, dtype=np.int64)
    for j in range(m):
        if ok[j]:
            k = level[j]
            c = cell_off[k] + _cell(b[1, j], y0, inv_y[k], gy[k]) * gx[k]
            c += _cell(b[0, j], x0, inv_x[k], gx[k])
            cell[j] = c
            starts[c + 1] += 1
    fill = np.empty(n_cells, dtype=np.int64)
    for c in range(n_cells):
        fill[c] = starts[c]
        starts[c + 1] += starts[c]
    entries = np.empty(starts[-1], dtype=np.int64)
    eb = np.empty((starts[-1], 5), dtype=np.float64)
    for j in range(m):
        if ok[j]:
            e = fill[cell[j]]
            fill[cell[j]] = e + 1
            entries[e] = j
            eb[e, 0] = b[0, j]
            eb[e, 1] = b[1, j]
            eb[e, 2] = b[2, j]
            eb[e, 3] = b[3, j]
            eb[e, 4] = area_b[j]
    return starts, entries, eb


@nb.njit(cache=True, nogil=True, inline="always")
def _query_row(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    i, a, area_a, self_pairs, min_iou, grid, starts, entries, eb, out_j, out_v, pos, write
):
    """Count (``write`` False) or write at ``pos`` the kept pairs of box ``i`` of ``a``.

    ``grid`` (K, 9): per level x0, y0, 1/cell width, 1/cell height, cells along x and y,
    index of its first cell, and the widest and the highest box of the level.
    """
    ax1 = a[0, i]
    ay1 = a[1, i]
    ax2 = a[2, i]
    ay2 = a[3, i]
    ar = area_a[i]
    count = 0
    strict = min_iou == 0.0
    for k in range(grid.shape[0]):
        x0 = grid[k, 0]
        y0 = grid[k, 1]
        ix = grid[k, 2]
        iy = grid[k, 3]
        gxk = np.int64(grid[k, 4])
        gyk = np.int64(grid[k, 5])
        off = np.int64(grid[k, 6])
        mw = grid[k, 7]
        mh = grid[k, 8]
        # a box b of this level overlaps a only if b.x1 lies in (a.x1 - b.w, a.x2); the slack
        # covers the rounding of b.w = b.x2 - b.x1 and of the subtraction
        lo_x = (ax1 - mw) - 2e-15 * (abs(ax1) + mw) - 1e-300
        lo_y = (ay1 - mh) - 2e-15 * (abs(ay1) + mh) - 1e-300
        cx0 = _cell(lo_x, x0, ix, gxk)
        cx1 = _cell(ax2, x0, ix, gxk)
        cy0 = _cell(lo_y, y0, iy, gyk)
        cy1 = _cell(ay2, y0, iy, gyk)
        for cy in range(cy0, cy1 + 1):
            base = off + cy * gxk
            for e in range(starts[base + cx0], starts[base + cx1 + 1]):
                bx1 = eb[e, 0]
                bx2 = eb[e, 2]
                by1 = eb[e, 1]
                by2 = eb[e, 3]
                iw = (ax2 if ax2 < bx2 else bx2) - (ax1 if ax1 > bx1 else bx1)
                ih = (ay2 if ay2 < by2 else by2) - (ay1 if ay1 > by1 else by1)
                if iw > 0 and ih > 0:
                    inter = iw * ih
                    union = (ar + eb[e, 4]) - inter
                    iou = inter / union if union != 0 else 0.0
                    if (iou > 0.0) if strict else (iou >= min_iou):
                        j = entries[e]
                        if not (self_pairs and j <= i):
                            if write:
                                out_j[pos + count] = j
                                out_v[pos + count] = iou
                            count += 1
    return count


@nb.njit(cache=True, nogil=True)
def _sort_segment(js, vs, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
    # js[lo:hi] sorted ascending, vs[lo:hi] carried along. The js of a row are distinct, so any
    # sort gives the same order (and these compile in a fraction of the time of np.argsort).
    n = hi - lo
    if n <= 32:  # insertion sort
        for p in range(lo + 1, hi):
            j = js[p]
            v = vs[p]
            q = p - 1
            while q >= lo and js[q] > j:
                js[q + 1] = js[q]
                vs[q + 1] = vs[q]
                q -= 1
            js[q + 1] = j
            vs[q + 1] = v
        return
    # heapsort, with one sift-down loop for both phases (one copy of it to compile): first
    # build the max-heap js[lo : lo + n] from the last parent up, then move its top to the end
    start = n // 2
    end = n
    while end > 1:
        if start > 0:
            start -= 1
            root = start
        else:
            end -= 1
            j = js[lo]
            v = vs[lo]
            js[lo] = js[lo + end]
            vs[lo] = vs[lo + end]
            js[lo + end] = j
            vs[lo + end] = v
            root = 0
        j = js[lo + root]
        v = vs[lo + root]
        child = 2 * root + 1
        while child < end:
            if child + 1 < end and js[lo + child + 1] > js[lo + child]:
                child += 1
            if js[lo + child] <= j:
                break
            js[lo + root] = js[lo + child]
            vs[lo + root] = vs[lo + child]
            root = child
            child = 2 * root + 1
        js[lo + root] = j
        vs[lo + root] = v


@nb.njit(cache=True, nogil=True)
def sparse_rows(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    a, area_a, order, self_pairs, min_iou, grid, starts, entries, eb, offsets, out_i, out_j,
    out_v, write, lo, hi
):  # fmt: skip
    """The query boxes ``order[lo:hi]`` of ``a`` (4, N), in one of two passes (one compiled
    kernel serves both; threads run ranges of queries).

    Pass 1 (``write`` false): ``offsets[i + 1]`` = the number of kept pairs of box ``i``
    (``out_*`` unused). Pass 2 (``write`` true, ``offsets`` the cumulative sum of pass 1):
    every kept pair (i, j, iou) written at the row offsets, each row sorted by ``j``.
    """
    for t in range(lo, hi):
        i = order[t]
        pos = offsets[i] if write else 0
        if write and offsets[i + 1] == pos:
            continue
        count = _query_row(
            i, a, area_a, self_pairs, min_iou, grid, starts, entries, eb, out_j, out_v, pos, write
        )
        if write:
            for p in range(pos, pos + count):
                out_i[p] = i
            _sort_segment(out_j, out_v, pos, pos + count)
        else:
            offsets[i + 1] = count
