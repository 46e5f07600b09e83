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
def _grow(a, n):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    if n < a.shape[0]:
        return a
    b = np.empty(2 * a.shape[0], a.dtype)
    b[:n] = a[:n]
    return b


@nb.njit(cache=True, nogil=True)
def _poly_intervals(xy, h, w):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # COCO's polygon raster. The vertices are scaled by 5 and rounded (C truncation of
    # v + 0.5), every edge is walked one upsampled step at a time along its longer axis
    # (always from the same end, so an edge and its reverse give the same points), and
    # wherever two consecutive points lie in different upsampled columns whose boundary is a
    # pixel centre column (upsampled x = 5 * X + 2), the column X toggles at row
    # ceil((min y + 0.5) / 5 - 0.5), clamped to [0, h]. A pixel is inside when an odd number of
    # toggles lie at or before its column-major position.
    k = xy.shape[0]
    total = h * w
    px = np.empty(k + 1, np.int64)
    py = np.empty(k + 1, np.int64)
    for j in range(k):
        px[j] = np.int64(5.0 * xy[j, 0] + 0.5)
        py[j] = np.int64(5.0 * xy[j, 1] + 0.5)
    px[k] = px[0]
    py[k] = py[0]
    pos = np.empty(64, np.int64)
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
        for d in range(steps + 1):
            t = steps - d if flip else d
            if dx >= dy:
                cu = t + xs
                cv = np.int64(ys + slope * t + 0.5)
            else:
                cv = t + ys
                cu = np.int64(xs + slope * t + 0.5)
            if not first and cu != pu:
                xi = cu if cu < pu else cu - 1
                xd = (xi + 0.5) / 5.0 - 0.5
                if np.floor(xd) == xd and xd >= 0 and xd <= w - 1:
                    yd = (min(cv, pv) + 0.5) / 5.0 - 0.5
                    if yd < 0:
                        yd = 0.0
                    elif yd > h:
                        yd = float(h)
                    yd = np.ceil(yd)
                    pos = _grow(pos, n)
                    pos[n] = np.int64(xd) * h + np.int64(yd)
                    n += 1
            first = False
            pu = cu
            pv = cv
    pos = np.sort(pos[:n])
    tog = np.empty(n + 1, np.int64)
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
    return tog[0:m:2].copy(), tog[1:m:2].copy()


@nb.njit(cache=True, nogil=True)
def polygons_to_string(coords, poffs, h, w):  # type: ignore[no-untyped-def]  # pragma: no cover
    """String of the union of polygons ``coords[poffs[i]:poffs[i + 1]]`` ((K, 2) vertices)."""
    cs = np.empty(0, np.int64)
    ce = np.empty(0, np.int64)
    for i in range(poffs.shape[0] - 1):
        s, e = _poly_intervals(coords[poffs[i] : poffs[i + 1]], h, w)
        cs, ce = _union(cs, ce, s, e)
    return intervals_to_string(cs, ce, h * w)


@nb.njit(cache=True, nogil=True)
def polygon_item_strings(nums, ring_off, first, count, hs, ws):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The strings of many objects' polygons at once: object ``i`` is the union of the rings
    ``first[i]:first[i] + count[i]`` (ring ``r``: the flat x, y pairs
    ``nums[ring_off[r]:ring_off[r + 1]]``) in an ``hs[i] × ws[i]`` image. Returns the strings
    concatenated and their offsets."""
    n = first.size
    offs = np.zeros(n + 1, np.int64)
    buf = np.empty(1024, np.uint8)
    for i in range(n):
        h = hs[i]
        w = ws[i]
        cs = np.empty(0, np.int64)
        ce = np.empty(0, np.int64)
        for r in range(first[i], first[i] + count[i]):
            coords = nums[ring_off[r] : ring_off[r + 1]].reshape(-1, 2)
            s, e = _poly_intervals(coords, h, w)
            cs, ce = _union(cs, ce, s, e)
        one = intervals_to_string(cs, ce, h * w)
        k = offs[i]
        if k + one.size > buf.size:
            bigger = np.empty(2 * (k + one.size), np.uint8)
            bigger[:k] = buf[:k]
            buf = bigger
        buf[k : k + one.size] = one
        offs[i + 1] = k + one.size
    return buf[: offs[n]].copy(), offs
