"""The numba kernels behind :mod:`ioukit.kernels.sweep`, compiled on first use.

This module imports numba, so only :mod:`ioukit.kernels.sweep` imports it, when a sweep on
NumPy data first runs. Kernels live at module level so that numba's disk cache
(``cache=True``) finds them again in a new process.

The exact sweep never sorts an index array: :func:`split` puts the scores of positive elements
at the front of one buffer and those of negative elements at the back (one pass, validating the
target and counting NaN scores on the way), NumPy sorts both parts in place (a SIMD value sort,
several times faster than ``argsort``), and :func:`merge` walks both sorted runs from the top,
emitting one (threshold, tp, fp) row per distinct score value.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def split(s, t):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # (buffer, n_pos, n_nan, n_bad): positives' scores in buffer[:n_pos], negatives' after
    n = s.size
    buf = np.empty(n, dtype=s.dtype)
    front = 0
    back = n
    nan = 0
    bad = 0
    for i in range(n):
        x = s[i]
        v = t[i]
        if x != x:
            nan += 1
        if v == 1:
            buf[front] = x
            front += 1
        else:
            if v != 0:
                bad += 1
            back -= 1
            buf[back] = x
    return buf, front, nan, bad


@nb.njit(cache=True, nogil=True)
def merge(pos, neg):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # ascending runs -> (thresholds decreasing, tp, fp) at every distinct value
    i = pos.size - 1
    j = neg.size - 1
    m = pos.size + neg.size
    thr = np.empty(m, dtype=pos.dtype)
    tp = np.empty(m, dtype=np.int64)
    fp = np.empty(m, dtype=np.int64)
    k = 0
    while i >= 0 and j >= 0:
        a = pos[i]
        b = neg[j]
        v = max(a, b)
        i -= 1 if a == v else 0
        j -= 1 if b == v else 0
        while i >= 0 and pos[i] == v:
            i -= 1
        while j >= 0 and neg[j] == v:
            j -= 1
        thr[k] = v
        tp[k] = pos.size - 1 - i
        fp[k] = neg.size - 1 - j
        k += 1
    while i >= 0:  # only positives left
        v = pos[i]
        i -= 1
        while i >= 0 and pos[i] == v:
            i -= 1
        thr[k] = v
        tp[k] = pos.size - 1 - i
        fp[k] = neg.size
        k += 1
    while j >= 0:  # only negatives left
        v = neg[j]
        j -= 1
        while j >= 0 and neg[j] == v:
            j -= 1
        thr[k] = v
        tp[k] = pos.size
        fp[k] = neg.size - 1 - j
        k += 1
    return thr[:k], tp[:k], fp[:k]


@nb.njit(cache=True, nogil=True)
def grid_hist(s, t, g, uniform):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # histograms (2, G + 1) of "number of grid values <= score" for negatives (row 0) and
    # positives (row 1); g ascending float64, distinct. ``uniform``: g is evenly spaced, so a
    # linear guess corrected by a step or two replaces the binary search.
    size = g.size
    hist = np.empty((2, size + 1), dtype=np.int64)
    hist[:] = 0
    nan = 0
    bad = 0
    lo_g = g[0]
    hi_g = g[size - 1]
    scale = (size - 1) / (hi_g - lo_g) if size > 1 else 0.0
    for i in range(s.size):
        x = np.float64(s[i])
        if x != x:
            nan += 1
            continue
        if x < lo_g:
            c = 0
        elif x >= hi_g:
            c = size
        elif uniform:
            c = np.int64((x - lo_g) * scale) + 1  # guess of the count of grid values <= x
            c = min(max(c, 1), size - 1)
            while c < size and g[c] <= x:
                c += 1
            while c > 1 and g[c - 1] > x:
                c -= 1
        else:
            base = 0
            n = size
            while n > 1:
                half = n >> 1
                base = base + half if g[base + half] <= x else base
                n -= half
            c = base + (1 if g[base] <= x else 0)
        v = t[i]
        if v == 1:
            hist[1, c] += 1
        elif v == 0:
            hist[0, c] += 1
        else:
            bad += 1
    return hist, nan, bad
