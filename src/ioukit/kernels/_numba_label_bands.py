"""The numba kernel behind :func:`ioukit.kernels.boundary.label_bands`: the bands of every class
of a label map at once, in four sweeps over the map whatever the number of classes.

A pixel of class ``c`` is in the band of ``c`` unless the ``(2d + 1) × (2d + 1)`` square around
it lies inside the image and holds only class ``c`` (the erosion of :mod:`ioukit.kernels.
_numba_boundary`, with the mask ``labels == c``). Pixels of the *wild* value, when there is one,
belong to the mask of every class: they never break a square, and are never in a band.

The square is separable, as for one mask, but here the class is that of the centre pixel. A
*uniform segment* of a row (or column) is a stretch in which every pixel that is not wild
holds the same value; it is found in one sweep each way by remembering the last value seen and
where the value before it ended. The row sweeps give each pixel the value its row window holds
(its class, "any" when the window is all wild, "mixed" when it holds two values or leaves the
image); the column sweeps then ask the same of the windows' values down each column, with
"any" wild and "mixed" a barrier. A pixel survives iff its column window is uniform in its own
class.
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: kinds of a row window's value: one class (in ``value``), all wild, or not uniform
_CLASS = 0
_ANY = 1
_MIXED = 2


@nb.njit(cache=True, nogil=True)
def label_bands(labels, wild, has_wild, d, band):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Into ``band`` (H, W) bool: whether each pixel of the int64 label map ``labels`` (H, W) is
    in the band of its class (see the module docstring); with ``has_wild``, pixels of value
    ``wild`` are in every class's mask and in no band."""
    h, w = labels.shape
    far = np.int64(-(1 << 62))  # "no value seen yet": further than any window reaches
    value = np.empty((h, w), dtype=np.int64)  # a row window's class, where kind is _CLASS
    kind = np.empty((h, w), dtype=np.uint8)
    start = np.empty(w, dtype=np.int64)  # per row: where the uniform segment up to x starts
    seen = np.empty(w, dtype=np.int64)  # per row: the last non-wild pixel up to x
    last = np.empty(w, dtype=np.int64)  # per row: its value
    for y in range(h):
        s = np.int64(0)
        p = far
        cur = np.int64(0)
        for x in range(w):
            v = labels[y, x]
            if not (has_wild and v == wild):
                if p != far and v != cur:
                    s = p + 1
                cur = v
                p = np.int64(x)
            start[x] = s
            seen[x] = p
            last[x] = cur
        e = np.int64(w - 1)  # where the uniform segment from x ends
        q = -far  # the next non-wild pixel from x
        cur = np.int64(0)
        for x in range(w - 1, -1, -1):
            v = labels[y, x]
            if not (has_wild and v == wild):
                if q != -far and v != cur:
                    e = q - 1
                cur = v
                q = np.int64(x)
            if x - d < start[x] or x + d > e:
                kind[y, x] = _MIXED
                continue
            left = seen[x] >= x - d
            right = q <= x + d
            if left and right and last[x] != cur:
                kind[y, x] = _MIXED
            elif left or right:
                kind[y, x] = _CLASS
                value[y, x] = last[x] if left else cur
            else:
                kind[y, x] = _ANY
    # the columns, all at once row by row: the same sweeps over the row windows' values,
    # "any" wild and "mixed" a barrier; down first, keeping whether each window's upper half
    # is uniform, then up
    c_start = np.empty(w, dtype=np.int64)
    c_seen = np.empty(w, dtype=np.int64)
    c_cur = np.empty(w, dtype=np.int64)
    c_start[:] = 0
    c_seen[:] = far
    c_cur[:] = 0
    for y in range(h):
        for x in range(w):
            k = kind[y, x]
            if k == _MIXED:
                c_start[x] = y + 1
                c_seen[x] = far
            elif k == _CLASS:
                v = value[y, x]
                if c_seen[x] != far and v != c_cur[x]:
                    c_start[x] = c_seen[x] + 1
                c_cur[x] = v
                c_seen[x] = y
            band[y, x] = y - d >= c_start[x]  # for now: the upper half is uniform
    c_seen[:] = -far
    c_start[:] = h - 1  # here: where the uniform segment from y ends
    for y in range(h - 1, -1, -1):
        for x in range(w):
            k = kind[y, x]
            if k == _MIXED:
                c_start[x] = y - 1
                c_seen[x] = -far
            elif k == _CLASS:
                v = value[y, x]
                if c_seen[x] != -far and v != c_cur[x]:
                    c_start[x] = c_seen[x] - 1
                c_cur[x] = v
                c_seen[x] = y
            if has_wild and labels[y, x] == wild:
                band[y, x] = False
            else:  # a class pixel: in the band unless both halves of its window are uniform
                band[y, x] = not (band[y, x] and y + d <= c_start[x])
