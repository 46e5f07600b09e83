"""The numba kernels behind :mod:`ioukit.geometry.polygons`, compiled on first use.

This module imports numba, so only :func:`ioukit.geometry.polygons._jit` imports it, when a kernel
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

Row-aligned pairs also have fused kernels (:func:`box_iou_aligned`, :func:`polygon_iou_aligned`):
the same per-shape pass and the same clipping, run block by block on a few hundred pairs whose
shapes stay in the cache, so a call writes only its ``(N,)`` result. They give the same values
bit for bit; any pair that needs more (invalid input, a non-convex polygon, an overflow) makes
them report ``trouble`` and the caller runs the general path.
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


@nb.njit(cache=True, nogil=True, error_model="numpy")
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
    # bx/by hold two polygons (the subject at offset src, the clipped result at dst) in halves
    # of `half`: a pass writes at most two points per subject vertex (k_n <= cap)
    half = 2 * cap + 2
    bx = np.empty(2 * half)
    by = np.empty(2 * half)
    sd = np.empty(half)
    qx = np.empty(nb_ + 1)
    qy = np.empty(nb_ + 1)
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
def _box_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    boxes, start, stop, rel, area, lo, hi, bad
):
    """Rows ``start:stop`` of :func:`box_polygons`, written to rows ``0:stop - start`` of
    ``rel``, ``area``, ``lo``, ``hi``, ``bad``; returns the number of invalid boxes."""
    n_bad = 0
    for i in range(start, stop):
        r = i - start
        ok = True
        for c in range(5):
            if not np.isfinite(boxes[i, c]):
                ok = False
        w = boxes[i, 2]
        h = boxes[i, 3]
        if not ok or w < 0.0 or h < 0.0:
            bad[r] = True
            n_bad += 1
            for k in range(4):
                rel[r, k, 0] = 0.0
                rel[r, k, 1] = 0.0
            area[r] = 0.0
            lo[r, 0] = 0.0
            lo[r, 1] = 0.0
            hi[r, 0] = 0.0
            hi[r, 1] = 0.0
            continue
        bad[r] = False
        sin_t, cos_t = _sincosd(boxes[i, 4])
        ax = 0.5 * w * cos_t
        ay = -0.5 * w * sin_t
        bx = 0.5 * h * sin_t
        by = 0.5 * h * cos_t
        x0 = -ax - bx
        y0 = -ay - by
        x1 = ax - bx
        y1 = ay - by
        rel[r, 0, 0] = x0
        rel[r, 0, 1] = y0
        rel[r, 1, 0] = x1
        rel[r, 1, 1] = y1
        rel[r, 2, 0] = -x0
        rel[r, 2, 1] = -y0
        rel[r, 3, 0] = -x1
        rel[r, 3, 1] = -y1
        a = 0.0
        if w > 0.0 and h > 0.0:
            acc = 0.0  # shoelace, summed in the same order as in `_iou_range`
            prev = 3
            for k in range(4):
                acc += rel[r, prev, 0] * rel[r, k, 1] - rel[r, k, 0] * rel[r, prev, 1]
                prev = k
            a = 0.5 * acc
        area[r] = a
        ex = abs(ax) + abs(bx)
        ey = abs(ay) + abs(by)
        lo[r, 0] = -ex
        lo[r, 1] = -ey
        hi[r, 0] = ex
        hi[r, 1] = ey
    return n_bad


@nb.njit(cache=True, nogil=True)
def box_polygons(boxes):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Corner offsets ``(N, 4, 2)`` from the centre, shoelace areas, bounding boxes and the
    invalid flags (non-finite value, negative size) of rotated boxes ``(N, 5)`` in one pass.

    Width axis ``u = (cos θ, -sin θ)``, height axis ``v = (sin θ, cos θ)``; corners
    ``-a-b, a-b, a+b, -a+b`` with ``a = w/2 u``, ``b = h/2 v``: positive shoelace area. Invalid
    boxes get zeros (area 0: they score 0 and the caller applies ``on_invalid``)."""
    n = boxes.shape[0]
    rel = np.empty((n, 4, 2))
    area = np.empty(n)
    lo = np.empty((n, 2))
    hi = np.empty((n, 2))
    bad = np.empty(n, dtype=np.bool_)
    _box_range(boxes, 0, n, rel, area, lo, hi, bad)
    return rel, area, lo, hi, bad


#: pairs per block of the fused aligned kernels: the block's shapes stay in the L1/L2 cache
_BLOCK = 256


@nb.njit(cache=True, nogil=True)
def _box_aligned_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    boxes1, boxes2, cap, start, stop, out
):
    """Write the IoU of the aligned pairs ``start:stop`` of rotated boxes into ``out``, block
    by block; returns ``trouble`` (see :func:`box_iou_aligned`), stopping at the first."""
    blk = min(stop - start, _BLOCK)
    rel1 = np.empty((blk, 4, 2))
    rel2 = np.empty((blk, 4, 2))
    anc1 = np.empty((blk, 2))
    anc2 = np.empty((blk, 2))
    area1 = np.empty(blk)
    area2 = np.empty(blk)
    lo1 = np.empty((blk, 2))
    lo2 = np.empty((blk, 2))
    hi1 = np.empty((blk, 2))
    hi2 = np.empty((blk, 2))
    bad = np.empty(blk, dtype=np.bool_)
    trouble = 0
    for lo in range(start, stop, _BLOCK):
        hi = min(stop, lo + _BLOCK)
        m = hi - lo
        trouble += _box_range(boxes1, lo, hi, rel1, area1, lo1, hi1, bad)
        trouble += _box_range(boxes2, lo, hi, rel2, area2, lo2, hi2, bad)
        if trouble:
            break
        for r in range(m):
            anc1[r, 0] = boxes1[lo + r, 0]
            anc1[r, 1] = boxes1[lo + r, 1]
            anc2[r, 0] = boxes2[lo + r, 0]
            anc2[r, 1] = boxes2[lo + r, 1]
        view = out[lo:hi]
        _iou_range(rel1, anc1, area1, lo1, hi1, rel2, anc2, area2, lo2, hi2, cap, True, 0, m, view)
        for r in range(m):
            if view[r] < 0.0:
                trouble += 1
    return trouble


@nb.njit(cache=True, nogil=True)
def box_iou_aligned(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    boxes1, boxes2, cap
):
    """IoU of the row-aligned pairs of rotated boxes ``(N, 5)``: :func:`box_polygons` of both
    sets and :func:`iou_serial` fused block by block (the same arithmetic, bit for bit, without
    the ``(N, 4, 2)`` intermediate arrays).

    Returns ``(out, trouble)``: ``trouble`` counts the invalid boxes and the pairs whose
    clipping outgrew the ``cap``-vertex buffers; when it is not 0, ``out`` is incomplete and
    the caller takes the general path (``on_invalid``, exact recomputation)."""
    out = np.empty(boxes1.shape[0])
    trouble = _box_aligned_range(boxes1, boxes2, cap, 0, boxes1.shape[0], out)
    return out, trouble


@nb.njit(cache=True, nogil=True, parallel=True)
def box_iou_aligned_parallel(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    boxes1, boxes2, cap, n_chunks
):
    """As :func:`box_iou_aligned`, the pairs split into ``n_chunks`` contiguous chunks for
    the threads."""
    n = boxes1.shape[0]
    out = np.empty(n)
    step = (n + n_chunks - 1) // n_chunks
    trouble = np.zeros(n_chunks, dtype=np.int64)
    for c in nb.prange(n_chunks):
        start = min(n, c * step)
        stop = min(n, start + step)
        if stop > start:
            trouble[c] = _box_aligned_range(boxes1, boxes2, cap, start, stop, out)
    return out, trouble.sum()


@nb.njit(cache=True, nogil=True)
def _classify_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    data, start, stop, rel, anchor, status, area, lo, hi, bad, counts
):
    """Polygons ``start:stop`` of :func:`classify`, written to rows ``0:stop - start`` of its
    outputs; adds to ``counts`` ``(4,)`` the invalid, degenerate (invalid included),
    non-convex and self-intersecting polygons."""
    k = data.shape[1]
    xs = np.empty(k)
    ys = np.empty(k)
    ex = np.empty(k)
    ey = np.empty(k)
    for i in range(start, stop):
        r = i - start
        bad[r] = False
        sx = 0.0
        sy = 0.0
        for q in range(k):
            sx += data[i, q, 0]
            sy += data[i, q, 1]
        if not (np.isfinite(sx) and np.isfinite(sy)):
            finite = True  # (a non-finite sum may also be the overflow of finite values)
            for q in range(k):
                if not (np.isfinite(data[i, q, 0]) and np.isfinite(data[i, q, 1])):
                    finite = False
            if not finite:
                bad[r] = True
                status[r] = DEGENERATE
                counts[0] += 1
                counts[DEGENERATE] += 1
                for q in range(k):
                    rel[r, q, 0] = 0.0
                    rel[r, q, 1] = 0.0
                anchor[r, 0] = 0.0
                anchor[r, 1] = 0.0
                area[r] = 0.0
                lo[r, 0] = 0.0
                lo[r, 1] = 0.0
                hi[r, 0] = 0.0
                hi[r, 1] = 0.0
                continue
        ox = sx / k
        oy = sy / k
        anchor[r, 0] = ox
        anchor[r, 1] = oy
        a = 0.0  # shoelace, summed in the same order as in `_iou_range`
        prx = data[i, k - 1, 0] - ox
        pry = data[i, k - 1, 1] - oy
        for q in range(k):
            x = data[i, q, 0] - ox
            y = data[i, q, 1] - oy
            xs[q] = x
            ys[q] = y
            a += prx * y - x * pry
            prx = x
            pry = y
        a *= 0.5
        if a < 0.0:
            for q in range(k // 2):
                t = xs[q]
                xs[q] = xs[k - 1 - q]
                xs[k - 1 - q] = t
                t = ys[q]
                ys[q] = ys[k - 1 - q]
                ys[k - 1 - q] = t
            a = -a
        lx = xs[0]
        hx = lx
        ly = ys[0]
        hy = ly
        for q in range(k):
            x = xs[q]
            y = ys[q]
            rel[r, q, 0] = x
            rel[r, q, 1] = y
            lx = min(lx, x)
            hx = max(hx, x)
            ly = min(ly, y)
            hy = max(hy, y)
        lo[r, 0] = lx
        lo[r, 1] = ly
        hi[r, 0] = hx
        hi[r, 1] = hy
        area[r] = a
        status[r] = CONVEX
        # non-zero edges, in order
        ne = 0
        for q in range(k):
            q2 = q + 1 if q + 1 < k else 0
            dx = xs[q2] - xs[q]
            dy = ys[q2] - ys[q]
            if dx != 0.0 or dy != 0.0:
                ex[ne] = dx
                ey[ne] = dy
                ne += 1
        if ne < 3:
            status[r] = DEGENERATE
            counts[DEGENERATE] += 1
            area[r] = 0.0
            continue
        # convexity: the same turn at every vertex, up to collinear vertices (the sine of the
        # angle between consecutive edges below _COLLINEAR, compared squared: no square roots)
        convex = True
        straight = True
        crossings = 0  # times the edge direction passes the +x direction, counter-clockwise
        x0 = ex[ne - 1]
        y0 = ey[ne - 1]
        n0 = x0 * x0 + y0 * y0
        for q in range(ne):
            x1 = ex[q]
            y1 = ey[q]
            n1 = x1 * x1 + y1 * y1
            cr = x0 * y1 - y0 * x1
            if cr * cr > _COLLINEAR * _COLLINEAR * (n0 * n1):
                straight = False
                if cr < 0.0:
                    convex = False
            elif x0 * x1 + y0 * y1 < 0.0:
                convex = False  # folds back on itself (a zero-width spike)
            # a turn of less than half a circle passes +x iff it goes from below the x axis to
            # on or above it (counter-clockwise), or back (clockwise)
            if y0 < 0.0 <= y1 and cr > 0.0:
                crossings += 1
            elif y1 < 0.0 <= y0 and cr < 0.0:
                crossings -= 1
            x0 = x1
            y0 = y1
            n0 = n1
        if straight:
            # every vertex lies on one line (up to the relative tolerance): a segment
            status[r] = DEGENERATE
            counts[DEGENERATE] += 1
            area[r] = 0.0
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
            status[r] = SELF_INTERSECTING
            counts[SELF_INTERSECTING] += 1
        elif not convex:
            status[r] = NONCONVEX
            counts[NONCONVEX] += 1


@nb.njit(cache=True, nogil=True)
def classify(data):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Move polygons ``data`` ``(N, K, 2)`` to their vertex mean, normalise their orientation
    (counter-clockwise: positive shoelace area) and classify each one, in one pass.

    Returns ``rel`` (vertices relative to ``anchor``), ``anchor`` ``(N, 2)``, ``status`` (int8:
    CONVEX, DEGENERATE, NONCONVEX, SELF_INTERSECTING), the absolute ``area`` (shoelace), the
    bounding boxes ``lo``, ``hi`` ``(N, 2)``, ``bad`` (a NaN/inf coordinate; such polygons
    get zeros and status DEGENERATE) and ``counts`` ``(4,)`` int64: the numbers of invalid,
    degenerate (invalid included), non-convex and self-intersecting polygons.

    The turning test: over the non-zero edges, the sum of the turning angles is ``2π w`` with
    ``w`` the turning number; a simple polygon has ``w = ±1`` (``+1`` after normalisation). A
    convex polygon turns the same way at every vertex; consecutive edges whose angle has a sine
    below ``_COLLINEAR`` (relative) count as collinear and are allowed, unless they fold back (a
    zero-width spike). For such polygons ``w`` is counted exactly, as the number of times the
    edge direction passes the +x direction; otherwise it is the rounded sum of ``atan2`` turns.
    NaN/inf is looked for only where a polygon's coordinate sum is not finite.
    """
    n = data.shape[0]
    k = data.shape[1]
    rel = np.empty((n, k, 2))
    anchor = np.empty((n, 2))
    status = np.empty(n, dtype=np.int8)
    area = np.empty(n)
    lo = np.empty((n, 2))
    hi = np.empty((n, 2))
    bad = np.empty(n, dtype=np.bool_)
    counts = np.zeros(4, dtype=np.int64)
    _classify_range(data, 0, n, rel, anchor, status, area, lo, hi, bad, counts)
    return rel, anchor, status, area, lo, hi, bad, counts


@nb.njit(cache=True, nogil=True)
def _polygon_aligned_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    data1, data2, cap, start, stop, out
):
    """Write the IoU of the aligned pairs ``start:stop`` of polygons into ``out``, block by
    block; returns ``trouble`` (see :func:`polygon_iou_aligned`), stopping at the first."""
    k1 = data1.shape[1]
    k2 = data2.shape[1]
    blk = min(stop - start, _BLOCK)
    rel1 = np.empty((blk, k1, 2))
    rel2 = np.empty((blk, k2, 2))
    anc1 = np.empty((blk, 2))
    anc2 = np.empty((blk, 2))
    st1 = np.empty(blk, dtype=np.int8)
    st2 = np.empty(blk, dtype=np.int8)
    area1 = np.empty(blk)
    area2 = np.empty(blk)
    lo1 = np.empty((blk, 2))
    lo2 = np.empty((blk, 2))
    hi1 = np.empty((blk, 2))
    hi2 = np.empty((blk, 2))
    bad = np.empty(blk, dtype=np.bool_)
    counts = np.zeros(4, dtype=np.int64)
    overflows = 0
    for lo in range(start, stop, _BLOCK):
        hi = min(stop, lo + _BLOCK)
        m = hi - lo
        _classify_range(data1, lo, hi, rel1, anc1, st1, area1, lo1, hi1, bad, counts)
        _classify_range(data2, lo, hi, rel2, anc2, st2, area2, lo2, hi2, bad, counts)
        if counts[0] + counts[NONCONVEX] + counts[SELF_INTERSECTING]:
            break
        view = out[lo:hi]
        _iou_range(rel1, anc1, area1, lo1, hi1, rel2, anc2, area2, lo2, hi2, cap, True, 0, m, view)
        for r in range(m):
            if view[r] < 0.0:
                overflows += 1
        if overflows:
            break
    return counts[0] + counts[NONCONVEX] + counts[SELF_INTERSECTING] + overflows


@nb.njit(cache=True, nogil=True)
def polygon_iou_aligned(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    data1, data2, cap
):
    """IoU of the row-aligned pairs of polygons ``(N, K1, 2)``, ``(N, K2, 2)``: :func:`classify`
    of both sets and :func:`iou_serial` fused block by block (the same arithmetic, bit for bit,
    without the ``(N, K, 2)`` intermediate arrays).

    Returns ``(out, trouble)``: ``trouble`` counts the invalid, non-convex and
    self-intersecting polygons and the pairs whose clipping outgrew the ``cap``-vertex
    buffers; when it is not 0, ``out`` is incomplete and the caller takes the general path
    (errors, ``on_invalid``, shapely, exact recomputation). Degenerate polygons score 0."""
    out = np.empty(data1.shape[0])
    trouble = _polygon_aligned_range(data1, data2, cap, 0, data1.shape[0], out)
    return out, trouble


@nb.njit(cache=True, nogil=True, parallel=True)
def polygon_iou_aligned_parallel(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    data1, data2, cap, n_chunks
):
    """As :func:`polygon_iou_aligned`, the pairs split into ``n_chunks`` contiguous chunks for
    the threads."""
    n = data1.shape[0]
    out = np.empty(n)
    step = (n + n_chunks - 1) // n_chunks
    trouble = np.zeros(n_chunks, dtype=np.int64)
    for c in nb.prange(n_chunks):
        start = min(n, c * step)
        stop = min(n, start + step)
        if stop > start:
            trouble[c] = _polygon_aligned_range(data1, data2, cap, start, stop, out)
    return out, trouble.sum()
