"""The numba kernel behind :mod:`ioukit.kernels.boundary`, compiled on first use.

``d`` iterations of a 3×3 erosion of a zero-padded mask keep a pixel iff the
``(2d + 1) × (2d + 1)`` square around it holds no zero (outside the image counts as zero). The
square is separable: a pixel passes along a row iff the runs of set pixels ending and starting at
it are both longer than ``d``, and it survives iff the same holds for the runs of row-passing
pixels in its column. Two sweeps over each image, whatever ``d``.

This module imports numba, so only :mod:`ioukit.kernels.boundary` imports it, when the kernel
first runs.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def _bands(masks, d, out):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # masks, out: (N, H, W) bool; out[i] = masks[i] minus its erosion
    n, h, w = masks.shape
    run = np.empty((h, w), dtype=np.int32)
    row_ok = np.empty((h, w), dtype=np.bool_)
    up = np.zeros(w, dtype=np.int32)
    for i in range(n):
        m = masks[i]
        for y in range(h):
            c = 0
            for x in range(w):
                c = c + 1 if m[y, x] else 0
                run[y, x] = c
            c = 0
            for x in range(w - 1, -1, -1):
                c = c + 1 if m[y, x] else 0
                row_ok[y, x] = run[y, x] > d and c > d
        for x in range(w):
            run[0, x] = 1 if row_ok[0, x] else 0
        for y in range(1, h):
            for x in range(w):
                run[y, x] = run[y - 1, x] + 1 if row_ok[y, x] else 0
        up[:] = 0
        for y in range(h - 1, -1, -1):
            for x in range(w):
                up[x] = up[x] + 1 if row_ok[y, x] else 0
                out[i, y, x] = m[y, x] and not (run[y, x] > d and up[x] > d)
