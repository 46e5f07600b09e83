"""The per-shape kernels of rotated-box and polygon IoU.

Compiled on first use: only :mod:`ioukit.kernels.polygons` imports this module (it imports
numba), when a kernel first runs; it allocates the outputs and calls these range kernels (no
``parallel=True`` twins and no allocating wrappers: each would cost a compilation of its own at
the first call). :func:`box_range` turns rotated boxes, and :func:`classify_range` polygons,
into the layout of the clipping kernel (:mod:`ioukit.kernels._numba_polygon_clip`, which
describes it). Both release the GIL.

Row-aligned pairs are run block by block by the wrapper (a few thousand pairs whose shapes
stay in the cache: these kernels on the block of each side, then the clipping kernel), not by
a fused kernel here: a numba kernel that calls other compiled kernels links their code into its
own and optimises and compiles it all again, which cost about a second at the first call.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ioukit.kernels._polygon_codes import CONVEX, DEGENERATE, NONCONVEX, SELF_INTERSECTING

#: relative tolerance of the "collinear" test of consecutive edges (the sine of the angle)
_COLLINEAR = 1e-10


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
    quarter = np.int64(q) % 4  # Python's modulo: in 0..3 for negative q too
    if quarter == 0:
        return s, c
    if quarter == 1:
        return c, -s
    if quarter == 2:
        return -s, -c
    return -c, s


@nb.njit(cache=True, nogil=True)
def box_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    boxes, start, stop, rel, anchor, area, lo, hi, bad
):
    """Corner offsets from the centre ``rel`` ``(N, 4, 2)``, the centres ``anchor``, shoelace
    areas ``area``, bounding boxes ``lo``, ``hi`` ``(N, 2)`` and invalid flags ``bad``
    (non-finite value, negative size) of the rotated boxes ``boxes[start:stop]`` ``(N, 5)`` in
    one pass, written to rows ``0:stop - start`` of the outputs; returns the number of invalid
    boxes.

    Width axis ``u = (cos θ, -sin θ)``, height axis ``v = (sin θ, cos θ)``; corners
    ``-a-b, a-b, a+b, -a+b`` with ``a = w/2 u``, ``b = h/2 v``: positive shoelace area. Invalid
    boxes get zeros (area 0: they score 0 and the caller applies ``on_invalid``)."""
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
            anchor[r, 0] = 0.0
            anchor[r, 1] = 0.0
            area[r] = 0.0
            lo[r, 0] = 0.0
            lo[r, 1] = 0.0
            hi[r, 0] = 0.0
            hi[r, 1] = 0.0
            continue
        bad[r] = False
        anchor[r, 0] = boxes[i, 0]
        anchor[r, 1] = boxes[i, 1]
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
            acc = 0.0  # shoelace, summed in the same order as in `iou_range`
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
def classify_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    data, start, stop, rel, anchor, status, area, lo, hi, bad, counts
):
    """Move the polygons ``data[start:stop]`` (``data`` ``(N, K, 2)``) to their vertex mean,
    normalise their orientation (counter-clockwise: positive shoelace area) and classify each
    one, in one pass, written to rows ``0:stop - start`` of the outputs.

    Outputs: ``rel`` (vertices relative to ``anchor``), ``anchor`` ``(N, 2)``, ``status`` (int8:
    CONVEX, DEGENERATE, NONCONVEX, SELF_INTERSECTING), the absolute ``area`` (shoelace), the
    bounding boxes ``lo``, ``hi`` ``(N, 2)``, ``bad`` (a NaN/inf coordinate; such polygons
    get zeros and status DEGENERATE); adds to ``counts`` ``(4,)`` int64 the numbers of invalid,
    degenerate (invalid included), non-convex and self-intersecting polygons. Returns the number
    of invalid, non-convex and self-intersecting polygons of this range (those the clipping
    kernel cannot take).

    The turning test: over the non-zero edges, the sum of the turning angles is ``2π w`` with
    ``w`` the turning number; a simple polygon has ``w = ±1`` (``+1`` after normalisation). A
    convex polygon turns the same way at every vertex; consecutive edges whose angle has a sine
    below ``_COLLINEAR`` (relative) count as collinear and are allowed, unless they fold back (a
    zero-width spike). For such polygons ``w`` is counted exactly, as the number of times the
    edge direction passes the +x direction; otherwise it is the rounded sum of ``atan2`` turns.
    NaN/inf is looked for only where a polygon's coordinate sum is not finite.
    """
    k = data.shape[1]
    trouble = 0
    xs = np.empty(k, dtype=np.float64)
    ys = np.empty(k, dtype=np.float64)
    ex = np.empty(k, dtype=np.float64)
    ey = np.empty(k, dtype=np.float64)
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
                trouble += 1
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
        a = 0.0  # shoelace, summed in the same order as in `iou_range`
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
            trouble += 1
        elif not convex:
            status[r] = NONCONVEX
            counts[NONCONVEX] += 1
            trouble += 1
    return trouble
