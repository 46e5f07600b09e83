"""COCO's polygon raster as a numba kernel: polygons to a compressed RLE string.

Compiled on first use: only :mod:`ioukit.kernels.rle` imports this module (it imports numba).
The kernels here call the interval union of :mod:`ioukit.kernels._numba_rle_intervals` and the
string writer of :mod:`ioukit.kernels._numba_rle_codec`; numba's disk cache does not see changes
to those files, so clear the ``__pycache__`` folder after editing them.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ioukit.kernels._numba_rle_codec import intervals_to_string
from ioukit.kernels._numba_rle_intervals import _union


@nb.njit(cache=True, nogil=True)
def _row(v, h):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # the toggle row of an upsampled y: ceil((v + 0.5) / 5 - 0.5) clamped to [0, h]
    yd = (v + 0.5) / 5.0 - 0.5
    if yd < 0:
        yd = 0.0
    elif yd > h:
        yd = float(h)
    return np.int64(np.ceil(yd))


@nb.njit(cache=True, nogil=True)
def _column(p, h, scale):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # p // h for 0 <= p < 2**52, by a product and one correction instead of a division
    c = np.int64(p * scale)
    if c * h > p:
        c -= 1
    elif (c + 1) * h <= p:
        c += 1
    return c


@nb.njit(cache=True, nogil=True)
def _sort_toggles(pos, h):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # np.sort of the toggle positions (>= 0): a counting pass by column (position // h), then
    # an insertion sort, which only reorders within a column (a few toggles each)
    n = pos.size
    out = pos.copy()
    if n > 16:
        # any key monotone in the position will do: a float product is one, without a division
        scale = 1.0 / h if h > 0 else 0.0
        p_lo = out[0]  # min and max by a loop: np.min/np.max cost ~0.5 s each to compile
        p_hi = out[0]
        for i in range(1, n):
            p_lo = min(p_lo, out[i])
            p_hi = max(p_hi, out[i])
        c_lo = np.int64(p_lo * scale)
        count = np.empty(np.int64(p_hi * scale) - c_lo + 2, dtype=np.int64)
        count[:] = 0
        for i in range(n):
            count[np.int64(pos[i] * scale) - c_lo + 1] += 1
        for c in range(count.size - 1):
            count[c + 1] += count[c]
        for i in range(n):
            c = np.int64(pos[i] * scale) - c_lo
            out[count[c]] = pos[i]
            count[c] += 1
    for a in range(1, n):
        v = out[a]
        b = a - 1
        while b >= 0 and out[b] > v:
            out[b + 1] = out[b]
            b -= 1
        out[b + 1] = v
    return out


@nb.njit(cache=True, nogil=True)
def poly_intervals(xy, h, w):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # COCO's polygon raster. The vertices are scaled by 5 and rounded (C truncation of
    # v + 0.5), every edge is walked one upsampled step at a time along its longer axis
    # (always from the same end, so an edge and its reverse give the same points), and
    # wherever two consecutive points lie in different upsampled columns whose boundary is a
    # pixel centre column (upsampled x = 5 * X + 2), the column X toggles at row
    # ceil((min y + 0.5) / 5 - 0.5), clamped to [0, h]. A pixel is inside when an odd number of
    # toggles lie at or before its column-major position.
    k = xy.shape[0]
    total = h * w
    px = np.empty(k + 1, dtype=np.int64)
    py = np.empty(k + 1, dtype=np.int64)
    for j in range(k):
        px[j] = np.int64(5.0 * xy[j, 0] + 0.5)
        py[j] = np.int64(5.0 * xy[j, 1] + 0.5)
    px[k] = px[0]
    py[k] = py[0]
    # room for every toggle: an edge toggles at most once per 5 upsampled steps along its
    # longer axis, plus its junction (a bound, so the loop below never grows the array)
    cap = 1
    for j in range(k):
        cap += max(abs(px[j + 1] - px[j]), abs(py[j + 1] - py[j])) // 5 + 3
    pos = np.empty(cap, dtype=np.int64)
    n = 0
    first = True
    pu = np.int64(0)
    pv = np.int64(0)
    for j in range(k):
        xs, xe, ys, ye = px[j], px[j + 1], py[j], py[j + 1]
        dx = abs(xe - xs)
        dy = abs(ys - ye)
        flip = (dx >= dy and xs > xe) or (dx < dy and ys > ye)
        if flip:
            xs, xe = xe, xs
            ys, ye = ye, ys
        steps = dx if dx >= dy else dy
        slope = ((ye - ys) / dx if dx > 0 else 0.0) if dx >= dy else (xe - xs) / dy
        t_first = steps if flip else 0
        t_last = 0 if flip else steps
        shallow = dx >= dy
        # the edge's first point as it is walked
        if shallow:
            cu = t_first + xs
            cv = np.int64(ys + slope * t_first + 0.5)
        else:
            cu = np.int64(xs + slope * t_first + 0.5)
            cv = t_first + ys
        if not first and cu != pu:
            # the junction with the previous edge: the two points lie in different upsampled
            # columns; a toggle when the boundary between them is a pixel-centre column inside
            # the image
            xi = cu if cu < pu else cu - 1
            xd = (xi - 2) // 5
            if (xi - 2) % 5 == 0 and xd >= 0 and xd <= w - 1:
                pos[n] = xd * h + _row(min(cv, pv), h)
                n += 1
        first = False
        if shallow:
            # u = xs + t moves one upsampled column per step: only the steps that cross a
            # pixel-centre boundary (xi = min(u) = 5 X + 2) can toggle, so visit just those:
            # pairs (t - 1, t), t = 1..steps, with xi = xs + t - 1 = 2 (mod 5)
            t = 1 + ((2 - (xs + 0)) % 5)
            while t <= steps:
                xi = xs + t - 1
                xd = (xi - 2) // 5
                if xd >= 0 and xd <= w - 1:
                    v0 = np.int64(ys + slope * (t - 1) + 0.5)
                    v1 = np.int64(ys + slope * t + 0.5)
                    pos[n] = xd * h + _row(min(v0, v1), h)
                    n += 1
                t += 5
            pu = t_last + xs
            pv = np.int64(ys + slope * t_last + 0.5)
            continue
        # a steep edge: v = ys + t moves one upsampled row per step and u = round(xs + slope
        # * t) moves at most one column per step, monotonically; the pair of points (t, t + 1)
        # toggles when u changes between them across a pixel-centre boundary b = 5 X + 2 (at
        # row ys + t). Find the t of each such boundary from the line, not by walking
        c0 = np.int64(xs + slope * 0 + 0.5)
        c1 = np.int64(xs + slope * steps + 0.5)
        rising = c1 > c0
        # step t is past the boundary b when its column u(t) is above b (rising) or at most b
        # (falling): sign * u(t) > bound, with sign -1 and bound -b - 1 when falling
        sign = 1 if rising else -1
        b_lo = max(min(c0, c1), 2)
        b_hi = min(max(c0, c1) - 1, 5 * (w - 1) + 2)
        b = b_lo + (2 - b_lo) % 5
        while b <= b_hi:
            # the least t' in 1..steps past the boundary: estimated, then made exact by
            # the rounding itself (u(t) is monotone); the pair is (t' - 1, t')
            bound = b if rising else -b - 1
            est = (b + 0.5 - xs) / slope
            lo_t = np.int64(np.ceil(est)) if rising else np.int64(np.floor(est)) + 1
            lo_t = min(max(lo_t, 1), steps)
            while lo_t > 1 and sign * np.int64(xs + slope * (lo_t - 1) + 0.5) > bound:
                lo_t -= 1
            while lo_t < steps and sign * np.int64(xs + slope * lo_t + 0.5) <= bound:
                lo_t += 1
            pos[n] = ((b - 2) // 5) * h + _row(ys + lo_t - 1, h)
            n += 1
            b += 5
        pu = np.int64(xs + slope * t_last + 0.5)
        pv = t_last + ys
    pos = _sort_toggles(pos[:n], h)
    tog = np.empty(n + 1, dtype=np.int64)
    m = 0
    i = 0
    while i < n:
        j = i
        while j < n and pos[j] == pos[i]:
            j += 1
        if (j - i) & 1 and pos[i] < total:
            tog[m] = pos[i]
            m += 1
        i = j
    if m & 1:
        tog[m] = total
        m += 1
    starts = np.empty(m // 2, dtype=np.int64)  # loops, not strided slices (less code to compile)
    ends = np.empty(m // 2, dtype=np.int64)
    for q in range(m // 2):
        starts[q] = tog[2 * q]
        ends[q] = tog[2 * q + 1]
    return starts, ends


@nb.njit(cache=True, nogil=True)
def _copy(dst, d0, src, s0, n):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``dst[d0 : d0 + n] = src[s0 : s0 + n]`` as a loop. A slice assignment compiles numba's
    shape check with its formatted message (string formatting: seconds of compilation)."""
    for k in range(n):
        dst[d0 + k] = src[s0 + k]


@nb.njit(cache=True, nogil=True)
def box_to_string(xa, ya, xb, yb, h, w):  # type: ignore[no-untyped-def]  # pragma: no cover
    """String of COCO's raster of the box with corners x ``xa``/``xb`` and y ``ya``/``yb``
    (``xa <= xb``, ``ya <= yb``): the raster of :func:`poly_intervals` for its four corners,
    in closed form. The upsampled corners are exact, so its vertical edges and the junctions
    toggle nothing, and its two horizontal edges toggle each pixel-centre column they cross
    at the rows of the two upsampled ys; equal rows cancel, and a column filled from row 0
    to row h joins the next (their toggles coincide and cancel too)."""
    x0 = np.int64(5.0 * xa + 0.5)  # the vertices as poly_intervals scales and rounds them
    x1 = np.int64(5.0 * xb + 0.5)
    # the row of a horizontal edge, from its point as the shallow walk rounds it
    r0 = _row(np.int64(np.int64(5.0 * ya + 0.5) + 0.5), h)
    r1 = _row(np.int64(np.int64(5.0 * yb + 0.5) + 0.5), h)
    lo = x0 if x0 < x1 else x1
    hi = x1 if x0 < x1 else x0
    # the pixel-centre boundaries xi = 5 X + 2 in [lo, hi - 1], X in [0, w - 1]
    c0 = (lo + (2 - lo) % 5 - 2) // 5
    c1 = (hi - 3) // 5
    if c0 < 0:
        c0 = np.int64(0)
    if c1 > w - 1:
        c1 = w - 1
    n = c1 - c0 + 1 if c1 >= c0 and r1 > r0 else np.int64(0)
    full = r0 == 0 and r1 == h  # full columns join into one interval
    if n > 0 and full:
        n = np.int64(1)
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    for q in range(n):
        starts[q] = (c0 + q) * h + r0
        ends[q] = (c1 + 1) * h if full else (c0 + q) * h + r1
    return intervals_to_string(starts, ends, h * w)


@nb.njit(cache=True, nogil=True)
def polygon_index(nums, ring_off, first, count, hs, ws):  # type: ignore[no-untyped-def]  # pragma: no cover
    """COCO's raster of many objects' polygons straight into an index (the layout of
    :func:`ioukit.kernels._numba_rle_intervals.index_strings`, without the string in between):
    object ``i`` unites the rings ``first[i]:first[i] + count[i]`` (ring ``r``: x, y pairs
    ``nums[ring_off[r]:ring_off[r + 1]]``) in an ``hs[i] × ws[i]`` image. Returns ``(starts,
    ends, ioffs, icount, area, bbox)``, ``bbox`` pixel-inclusive ``(x0, y0, x1, y1)``
    (``x1 = -1`` when empty)."""
    n = first.size
    starts = np.empty(1024, dtype=np.int64)
    ends = np.empty(1024, dtype=np.int64)
    ioffs = np.empty(n + 1, dtype=np.int64)
    ioffs[:] = 0
    icount = np.empty(n, dtype=np.int64)
    icount[:] = 0
    area = np.empty(n, dtype=np.int64)
    area[:] = 0
    bbox = np.empty((n, 4), dtype=np.int64)
    zero = np.int64(0)  # not a literal 0: that would compile _copy once more
    for i in range(n):
        h = hs[i]
        w = ws[i]
        cs = np.empty(0, dtype=np.int64)
        ce = np.empty(0, dtype=np.int64)
        for r in range(first[i], first[i] + count[i]):
            s, e = poly_intervals(nums[ring_off[r] : ring_off[r + 1]].reshape(-1, 2), h, w)
            if r == first[i]:
                cs, ce = s, e  # one ring: already a union (sorted, apart)
            else:
                cs, ce = _union(cs, ce, s, e)
        k = ioffs[i]
        m = cs.size
        if k + m > starts.size:
            cap = 2 * (k + m)
            bigger = np.empty(cap, dtype=np.int64)
            _copy(bigger, zero, starts, zero, k)
            starts = bigger
            bigger = np.empty(cap, dtype=np.int64)
            _copy(bigger, zero, ends, zero, k)
            ends = bigger
        _copy(starts, k, cs, zero, m)
        _copy(ends, k, ce, zero, m)
        ioffs[i + 1] = k + m
        icount[i] = m
        x0, y0, x1, y1 = np.int64(0), np.int64(0), np.int64(-1), np.int64(-1)
        scale = 1.0 / h if h > 0 else 0.0
        a = np.int64(0)
        for q in range(m):
            s0 = cs[q]
            e0 = ce[q]
            a += e0 - s0
            xa = _column(s0, h, scale)
            ya = s0 - xa * h
            xb = _column(e0 - 1, h, scale)
            yb = e0 - 1 - xb * h
            if xb > xa:  # the interval wraps into the next column: every row is covered
                ya = 0
                yb = h - 1
            if q == 0:
                x0, y0, x1, y1 = xa, ya, xb, yb
            else:
                x1 = xb
                y0 = min(y0, ya)
                y1 = max(y1, yb)
        area[i] = a
        bbox[i, 0] = x0
        bbox[i, 1] = y0
        bbox[i, 2] = x1
        bbox[i, 3] = y1
    return starts[: ioffs[n]].copy(), ends[: ioffs[n]].copy(), ioffs, icount, area, bbox
