"""The convex clipping kernel of rotated-box and polygon IoU, compiled on first use.

Only :mod:`ioukit.kernels.polygons` imports this module (it imports numba), when a kernel first
runs; it allocates the outputs and calls :func:`iou_range` (no ``parallel=True`` twin and no
allocating wrapper: each costs a compilation of its own at the first call). The kernels live
at module level (numba's disk cache keys closures by their cells, which differ in every
process).

Data layout shared by the polygon kernels: a set of polygons is ``rel`` ``(N, K, 2)`` float64,
the vertices *relative to an anchor point* of each polygon (the centre of a rotated box, the
vertex mean of a polygon), ``anchor`` ``(N, 2)``, ``area`` ``(N,)`` (0 for a polygon to skip)
and the anchor-relative bounding box ``lo``, ``hi`` ``(N, 2)``. A pair ``(i, j)`` is computed in
the local frame of polygon ``i``: ``A = rel1[i]``, ``B = rel2[j] + (anchor2[j] - anchor1[i])``,
so coordinates stay small whatever the distance of the scene from the origin.

The intersection of two convex polygons is the clip of A by the half-planes of B's edges
(Sutherland–Hodgman). The only predicate is the sign of
``s = cross(q - p, v - p)`` for an edge ``p -> q`` of B and a vertex ``v``; a crossing point is
``v_prev + s_prev / (s_prev - s) * (v - v_prev)``, which stays on the segment because
``s_prev`` and ``s`` have strictly opposite signs. No tolerance appears anywhere, so the result
does not depend on the scale of the coordinates. The area is the shoelace sum of the clipped
polygon. No sorting of points is needed (sorting near-duplicate points is what breaks the
Detectron2/torchvision kernel on nearly identical boxes).
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True, error_model="numpy")
def iou_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    rel1, anc1, area1, lo1, hi1, rel2, anc2, area2, lo2, hi2, cap, aligned, out, start, stop
):
    """Write the IoU of pairs ``start:stop`` into ``out``: pair ``p`` is ``(p // M, p % M)``
    (row-major ``(N * M,)``), or ``(p, p)`` when ``aligned``. A pair whose clipping outgrew the
    ``cap``-vertex buffers gets -1.0 (the caller recomputes it); returns the number of such
    pairs. Aligned pairs read rows ``start:stop`` of both sets (longer arrays are fine). One
    thread; the wrapper runs ranges of pairs on several (``run_chunks``: this kernel releases
    the GIL).

    The per-pair work is written out in this loop on purpose: numba reference-counts every
    array passed to a function (atomic operations), which costs more than a rejected pair, so
    arrays cross a call boundary once per block of pairs, never once per pair.
    """
    m = rel2.shape[0]
    na = rel1.shape[1]
    nb_ = rel2.shape[1]
    # bx/by hold two polygons (the subject at offset src, the clipped result at dst) in halves
    # of `half`: a pass writes at most two points per subject vertex (k_n <= cap)
    half = 2 * cap + 2
    bx = np.empty(2 * half, dtype=np.float64)
    by = np.empty(2 * half, dtype=np.float64)
    sd = np.empty(half, dtype=np.float64)
    qx = np.empty(nb_ + 1, dtype=np.float64)
    qy = np.empty(nb_ + 1, dtype=np.float64)
    overflows = 0
    i = start if aligned else start // max(m, 1)
    j = start if aligned else start - i * m
    for p in range(start, stop):
        if p > start:  # advance to pair p
            if aligned:
                i += 1
                j += 1
            else:
                j += 1
                if j == m:
                    j = 0
                    i += 1
        value = 0.0
        area_a = area1[i]
        area_b = area2[j]
        offx = anc2[j, 0] - anc1[i, 0]
        offy = anc2[j, 1] - anc1[i, 1]
        if (
            area_a <= 0.0
            or area_b <= 0.0
            # bounding boxes in A's frame: disjoint or touching pairs share no area
            or offx + lo2[j, 0] >= hi1[i, 0]
            or lo1[i, 0] >= offx + hi2[j, 0]
            or offy + lo2[j, 1] >= hi1[i, 1]
            or lo1[i, 1] >= offy + hi2[j, 1]
        ):
            out[p] = value
            continue
        if offx == 0.0 and offy == 0.0 and na == nb_:
            same = True  # A ∩ A = A exactly, even where rounding makes A slightly non-convex
            for k in range(na):
                if rel1[i, k, 0] != rel2[j, k, 0] or rel1[i, k, 1] != rel2[j, k, 1]:
                    same = False
                    break
            if same:
                out[p] = 1.0
                continue
        # clip A = rel1[i] by each edge of B = rel2[j] + off (closed: qx[nb_] = qx[0])
        for k in range(nb_):
            qx[k] = rel2[j, k, 0] + offx
            qy[k] = rel2[j, k, 1] + offy
        qx[nb_] = qx[0]
        qy[nb_] = qy[0]
        src = 0
        dst = half
        k_n = na
        for k in range(na):
            bx[k] = rel1[i, k, 0]
            by[k] = rel1[i, k, 1]
        empty = False
        overflow = False
        for e in range(nb_):
            px = qx[e]
            py = qy[e]
            ex = qx[e + 1] - px
            ey = qy[e + 1] - py
            if ex == 0.0 and ey == 0.0:
                continue  # a repeated vertex of B: no constraint
            # signed distances first: an edge that cuts nothing (the common case) costs no
            # copy, and one that leaves nothing ends the pair
            n_out = 0
            for k in range(k_n):
                sk = ex * (by[src + k] - py) - ey * (bx[src + k] - px)
                sd[k] = sk
                n_out += sk < 0.0
            if n_out == 0:
                continue
            if n_out == k_n:
                empty = True
                break
            cnt = 0
            prx = bx[src + k_n - 1]
            pry = by[src + k_n - 1]
            sp = sd[k_n - 1]
            # branch-free: the crossing point (where s and sp have strictly opposite signs)
            # and the vertex (where s >= 0) are always written and kept by advancing `cnt`;
            # elsewhere t may be inf or NaN (error_model="numpy": no exception) and the slot
            # is overwritten
            for k in range(k_n):
                cx = bx[src + k]
                cy = by[src + k]
                s = sd[k]
                t = sp / (sp - s)
                bx[dst + cnt] = prx + t * (cx - prx)
                by[dst + cnt] = pry + t * (cy - pry)
                cnt += ((sp > 0.0) & (s < 0.0)) | ((sp < 0.0) & (s > 0.0))
                bx[dst + cnt] = cx
                by[dst + cnt] = cy
                cnt += s >= 0.0
                prx = cx
                pry = cy
                sp = s
            if cnt > cap:
                overflow = True
                break
            if cnt < 3:
                empty = True
                break
            src, dst = dst, src  # the clipped polygon is the next subject
            k_n = cnt
        if overflow:
            value = -1.0
            overflows += 1
        elif not empty:
            acc = 0.0  # shoelace
            prx = bx[src + k_n - 1]
            pry = by[src + k_n - 1]
            for k in range(k_n):
                cx = bx[src + k]
                cy = by[src + k]
                acc += prx * cy - cx * pry
                prx = cx
                pry = cy
            inter = 0.5 * acc
            smaller = area_a if area_a < area_b else area_b
            if inter > smaller:
                inter = smaller
            if inter > 0.0:
                value = inter / ((area_a + area_b) - inter)
        out[p] = value
    return overflows
