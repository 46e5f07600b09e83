"""The numba kernels behind :mod:`ioukit.core.polygons`, compiled on first use.

This module imports numba, so only :func:`ioukit.core.polygons._jit` imports it, when a kernel
first runs. The kernels live at module level (numba's disk cache keys closures by their cells,
which differ in every process).

Data layout shared by every kernel: a set of polygons is ``rel`` ``(N, K, 2)`` float64, the
vertices *relative to an anchor point* of each polygon (the centre of a rotated box, the vertex
mean of a polygon), ``anchor`` ``(N, 2)``, ``area`` ``(N,)`` (0 for a polygon to skip) and the
anchor-relative bounding box ``lo``, ``hi`` ``(N, 2)``. A pair ``(i, j)`` is computed in the
local frame of polygon ``i``: ``A = rel1[i]``, ``B = rel2[j] + (anchor2[j] - anchor1[i])``, so
coordinates stay small whatever the distance of the scene from the origin.

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

import math

import numba as nb
import numpy as np

# status codes of `classify`
CONVEX = 0
DEGENERATE = 1  # zero area: scores 0
NONCONVEX = 2  # simple as far as the turning test can tell: computed elsewhere (shapely)
SELF_INTERSECTING = 3  # turning number other than +-1: certainly not a simple polygon

#: relative tolerance of the "collinear" test of consecutive edges (the sine of the angle)
_COLLINEAR = 1e-10


@nb.njit(cache=True, nogil=True)
def _iou_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    rel1, anc1, area1, lo1, hi1, rel2, anc2, area2, lo2, hi2, cap, aligned, start, stop, out
):
    """Write the IoU of pairs ``start:stop`` into ``out``: pair ``p`` is ``(p // M, p % M)``
    (row-major ``(N * M,)``), or ``(p, p)`` when ``aligned``. A pair whose clipping outgrew the
    ``cap``-vertex buffers gets -1.0 (the caller recomputes it).

    The per-pair work is written out in this loop on purpose: numba reference-counts every
    array passed to a function (atomic operations), which costs more than a rejected pair, so
    arrays cross a call boundary once per block of pairs, never once per pair.
    """
    m = rel2.shape[0]
    na = rel1.shape[1]
    nb_ = rel2.shape[1]
    bx = np.empty(2 * cap)
    by = np.empty(2 * cap)
    sd = np.empty(cap)
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
        # clip A = rel1[i] by each edge of B = rel2[j] + off. bx/by hold two polygons of
        # `cap` vertices: the subject (at offset src) and the clipped result (at dst)
        src = 0
        dst = cap
        k_n = na
        for k in range(na):
            bx[k] = rel1[i, k, 0]
            by[k] = rel1[i, k, 1]
        empty = False
        overflow = False
        for e in range(nb_):
            e2 = e + 1 if e + 1 < nb_ else 0
            px = rel2[j, e, 0] + offx
            py = rel2[j, e, 1] + offy
            ex = (rel2[j, e2, 0] + offx) - px
            ey = (rel2[j, e2, 1] + offy) - py
            if ex == 0.0 and ey == 0.0:
                continue  # a repeated vertex of B: no constraint
            # signed distances first: an edge that cuts nothing (the common case) costs no
            # copy, and one that leaves nothing ends the pair
            n_out = 0
            for k in range(k_n):
                sk = ex * (by[src + k] - py) - ey * (bx[src + k] - px)
                sd[k] = sk
                if sk < 0.0:
                    n_out += 1
            if n_out == 0:
                continue
            if n_out == k_n:
                empty = True
                break
            cnt = 0
            prx = bx[src + k_n - 1]
            pry = by[src + k_n - 1]
            sp = sd[k_n - 1]
            for k in range(k_n):
                cx = bx[src + k]
                cy = by[src + k]
                s = sd[k]
                if (sp > 0.0 and s < 0.0) or (sp < 0.0 and s > 0.0):
                    if cnt >= cap:
                        overflow = True
                        break
                    t = sp / (sp - s)
                    bx[dst + cnt] = prx + t * (cx - prx)
                    by[dst + cnt] = pry + t * (cy - pry)
                    cnt += 1
                if s >= 0.0:
                    if cnt >= cap:
                        overflow = True
                        break
                    bx[dst + cnt] = cx
                    by[dst + cnt] = cy
                    cnt += 1
                prx = cx
                pry = cy
                sp = s
            if overflow or cnt < 3:
                empty = True
                break
            src, dst = dst, src  # the clipped polygon is the next subject
            k_n = cnt
        if overflow:
            value = -1.0
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


@nb.njit(cache=True, nogil=True)
def iou_serial(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    rel1, anc1, area1, lo1, hi1, rel2, anc2, area2, lo2, hi2, cap, aligned
):
    """IoU of every pair ``(i, j)``, flat row-major ``(N * M,)``, or, when ``aligned``, of the
    pairs ``(i, i)``, ``(N,)``; one thread. See :func:`_iou_range`."""
    total = rel1.shape[0] if aligned else rel1.shape[0] * rel2.shape[0]
    out = np.empty(total, dtype=np.float64)
    _iou_range(
        rel1, anc1, area1, lo1, hi1, rel2, anc2, area2, lo2, hi2, cap, aligned, 0, total, out
    )
    return out


@nb.njit(cache=True, nogil=True, parallel=True)
def iou_parallel(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    rel1, anc1, area1, lo1, hi1, rel2, anc2, area2, lo2, hi2, cap, aligned, n_blocks
):
    """As :func:`iou_serial`, the pairs split into ``n_blocks`` contiguous blocks for the
    threads."""
    total = rel1.shape[0] if aligned else rel1.shape[0] * rel2.shape[0]
    out = np.empty(total, dtype=np.float64)
    step = (total + n_blocks - 1) // n_blocks
    for blk in nb.prange(n_blocks):
        start = blk * step
        stop = min(total, start + step)
        _iou_range(
            rel1, anc1, area1, lo1, hi1, rel2, anc2, area2, lo2, hi2, cap, aligned, start, stop,
            out,
        )  # fmt: skip
    return out


@nb.njit(cache=True, nogil=True)
def _sincosd(deg: float) -> tuple[float, float]:  # pragma: no cover - compiled
    """``(sin, cos)`` of an angle in degrees, exact at multiples of 90°: the angle is reduced
    exactly to ``[-45°, 45°]`` plus a quarter turn before converting to radians."""
    r = deg if -1e9 < deg < 1e9 else np.fmod(deg, 360.0)  # fmod is exact, and slow
    q = np.rint(r / 90.0)
    rem = r - 90.0 * q  # exact: 90 q is, and Sterbenz's lemma holds for |q| >= 1
    rad = rem * (math.pi / 180.0)
    s = math.sin(rad)
    c = math.cos(rad)
    quarter = int(q) % 4  # Python's modulo: in 0..3 for negative q too
    if quarter == 0:
        return s, c
    if quarter == 1:
        return c, -s
    if quarter == 2:
        return -s, -c
    return -c, s


@nb.njit(cache=True, nogil=True)
def box_polygons(boxes):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Corner offsets ``(N, 4, 2)`` from the centre, shoelace areas, bounding boxes and the
    invalid flags (non-finite value, negative size) of rotated boxes ``(N, 5)`` in one pass.

    Width axis ``u = (cos θ, -sin θ)``, height axis ``v = (sin θ, cos θ)``; corners
    ``-a-b, a-b, a+b, -a+b`` with ``a = w/2 u``, ``b = h/2 v``: positive shoelace area. Invalid
    boxes get zeros (area 0: they score 0 and the caller applies ``on_invalid``)."""
    n = boxes.shape[0]
    rel = np.zeros((n, 4, 2))
    area = np.zeros(n)
    lo = np.zeros((n, 2))
    hi = np.zeros((n, 2))
    bad = np.zeros(n, dtype=np.bool_)
    xs = np.empty(4)
    ys = np.empty(4)
    for i in range(n):
        ok = True
        for c in range(5):
            if not np.isfinite(boxes[i, c]):
                ok = False
        w = boxes[i, 2]
        h = boxes[i, 3]
        if not ok or w < 0.0 or h < 0.0:
            bad[i] = True
            continue
        sin_t, cos_t = _sincosd(boxes[i, 4])
        ax = 0.5 * w * cos_t
        ay = -0.5 * w * sin_t
        bx = 0.5 * h * sin_t
        by = 0.5 * h * cos_t
        xs[0] = -ax - bx
        ys[0] = -ay - by
        xs[1] = ax - bx
        ys[1] = ay - by
        xs[2] = -xs[0]
        ys[2] = -ys[0]
        xs[3] = -xs[1]
        ys[3] = -ys[1]
        for k in range(4):
            rel[i, k, 0] = xs[k]
            rel[i, k, 1] = ys[k]
        if w > 0.0 and h > 0.0:
            acc = 0.0  # shoelace, summed in the same order as in `iou`
            prev = 3
            for k in range(4):
                acc += xs[prev] * ys[k] - xs[k] * ys[prev]
                prev = k
            area[i] = 0.5 * acc
        ex = abs(ax) + abs(bx)
        ey = abs(ay) + abs(by)
        lo[i, 0] = -ex
        lo[i, 1] = -ey
        hi[i, 0] = ex
        hi[i, 1] = ey
    return rel, area, lo, hi, bad


@nb.njit(cache=True, nogil=True)
def classify(data):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Move polygons ``data`` ``(N, K, 2)`` to their vertex mean, normalise their orientation
    (counter-clockwise: positive shoelace area) and classify each one, in one pass.

    Returns ``rel`` (vertices relative to ``anchor``), ``anchor`` ``(N, 2)``, ``status`` (int8:
    CONVEX, DEGENERATE, NONCONVEX, SELF_INTERSECTING), the absolute ``area`` (shoelace), the
    bounding boxes ``lo``, ``hi`` ``(N, 2)`` and ``bad`` (a NaN/inf coordinate; such polygons
    get zeros and status DEGENERATE).

    The turning test: over the non-zero edges, the sum of the turning angles is ``2π w`` with
    ``w`` the turning number; a simple polygon has ``w = ±1`` (``+1`` after normalisation). A
    convex polygon turns the same way at every vertex; consecutive edges whose angle has a sine
    below ``_COLLINEAR`` (relative) count as collinear and are allowed, unless they fold back (a
    zero-width spike). For such polygons ``w`` is counted exactly, as the number of times the
    edge direction passes the +x direction; otherwise it is the rounded sum of ``atan2`` turns.
    """
    n = data.shape[0]
    k = data.shape[1]
    rel = np.zeros((n, k, 2))
    anchor = np.zeros((n, 2))
    bad = np.zeros(n, dtype=np.bool_)
    status = np.zeros(n, dtype=np.int8)
    area = np.zeros(n)
    lo = np.zeros((n, 2))
    hi = np.zeros((n, 2))
    ex = np.empty(k)
    ey = np.empty(k)
    for i in range(n):
        sx = 0.0
        sy = 0.0
        finite = True
        for q in range(k):
            vx = data[i, q, 0]
            vy = data[i, q, 1]
            if not (np.isfinite(vx) and np.isfinite(vy)):
                finite = False
            sx += vx
            sy += vy
        if not finite:
            bad[i] = True
            status[i] = DEGENERATE
            continue
        ox = sx / k
        oy = sy / k
        anchor[i, 0] = ox
        anchor[i, 1] = oy
        p = rel[i]
        for q in range(k):
            p[q, 0] = data[i, q, 0] - ox
            p[q, 1] = data[i, q, 1] - oy
        a = 0.0  # shoelace, summed in the same order as in `iou`
        prev = k - 1
        for q in range(k):
            a += p[prev, 0] * p[q, 1] - p[q, 0] * p[prev, 1]
            prev = q
        a *= 0.5
        if a < 0.0:
            for q in range(k // 2):
                for c in range(2):
                    t = p[q, c]
                    p[q, c] = p[k - 1 - q, c]
                    p[k - 1 - q, c] = t
            a = -a
        area[i] = a
        lx = p[0, 0]
        hx = lx
        ly = p[0, 1]
        hy = ly
        for q in range(1, k):
            lx = min(lx, p[q, 0])
            hx = max(hx, p[q, 0])
            ly = min(ly, p[q, 1])
            hy = max(hy, p[q, 1])
        lo[i, 0] = lx
        lo[i, 1] = ly
        hi[i, 0] = hx
        hi[i, 1] = hy
        # non-zero edges, in order
        ne = 0
        for q in range(k):
            q2 = q + 1 if q + 1 < k else 0
            dx = p[q2, 0] - p[q, 0]
            dy = p[q2, 1] - p[q, 1]
            if dx != 0.0 or dy != 0.0:
                ex[ne] = dx
                ey[ne] = dy
                ne += 1
        if ne < 3:
            status[i] = DEGENERATE
            area[i] = 0.0
            continue
        # convexity: the same turn at every vertex, up to collinear vertices (the sine of the
        # angle between consecutive edges below _COLLINEAR, compared squared: no square roots)
        convex = True
        straight = True
        crossings = 0  # times the edge direction passes the +x direction, counter-clockwise
        for q in range(ne):
            q0 = q - 1 if q > 0 else ne - 1
            cr = ex[q0] * ey[q] - ey[q0] * ex[q]
            dt = ex[q0] * ex[q] + ey[q0] * ey[q]
            scale2 = (ex[q0] * ex[q0] + ey[q0] * ey[q0]) * (ex[q] * ex[q] + ey[q] * ey[q])
            if cr * cr > _COLLINEAR * _COLLINEAR * scale2:
                straight = False
                if cr < 0.0:
                    convex = False
            elif dt < 0.0:
                convex = False  # folds back on itself (a zero-width spike)
            # a turn of less than half a circle passes +x iff it goes from below the x axis to
            # on or above it (counter-clockwise), or back (clockwise)
            if ey[q0] < 0.0 <= ey[q] and cr > 0.0:
                crossings += 1
            elif ey[q] < 0.0 <= ey[q0] and cr < 0.0:
                crossings -= 1
        if straight:
            # every vertex lies on one line (up to the relative tolerance): a segment
            status[i] = DEGENERATE
            area[i] = 0.0
            continue
        if convex:
            winding = crossings
        else:
            # turns both ways: the turning number is the sum of the signed turning angles
            turning = 0.0
            for q in range(ne):
                q0 = q - 1 if q > 0 else ne - 1
                cr = ex[q0] * ey[q] - ey[q0] * ex[q]
                dt = ex[q0] * ex[q] + ey[q0] * ey[q]
                turning += math.atan2(cr, dt)
            winding = round(turning / (2.0 * math.pi))
        if a == 0.0 or winding != 1:
            # after normalisation a simple polygon turns once counter-clockwise; a polygon
            # that is not a segment and has zero signed area crosses itself (a bow-tie)
            status[i] = SELF_INTERSECTING
        elif not convex:
            status[i] = NONCONVEX
    return rel, anchor, status, area, lo, hi, bad
