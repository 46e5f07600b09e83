"""numba kernels behind :mod:`ioukit.kernels.sklearn` (multilabel counts in scikit-learn's
summation order).

Module-level functions, so that numba's disk cache (``cache=True``) is reused across processes;
imported only by :mod:`ioukit.kernels.sklearn`, when a twin first needs them.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["cols01_weighted", "rows01"]


@nb.njit(cache=True, nogil=True)
def rows01(t, p, cols, n_blocks, out, first, last):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # t, p: (N, L) 0/1 arrays -> out (N, 3): tp, predicted, true over the columns `cols`, for
    # the rows of blocks [first, last) of n_blocks
    n = t.shape[0]
    for i in range(first * n // n_blocks, last * n // n_blocks):
        tp = 0
        ps = 0
        ts = 0
        for j in cols:
            t1 = np.int64(t[i, j] != 0)
            p1 = np.int64(p[i, j] != 0)
            tp += t1 & p1
            ps += p1
            ts += t1
        out[i, 0] = tp
        out[i, 1] = ps
        out[i, 2] = ts


@nb.njit(cache=True, nogil=True)
def cols01_weighted(t, p, w):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # t, p: (N, L) 0/1 arrays, w: (N,) float64 -> (3, L): weighted tp, predicted, true.
    # Serial on purpose: each column adds the weights of its rows in row order, which is
    # the order of scikit-learn's bincount over the CSR indices (same floating point sum).
    n, n_labels = t.shape
    out = np.empty((3, n_labels), dtype=np.float64)
    out[:] = 0
    nnz = np.empty((3, n_labels), dtype=np.int64)
    nnz[:] = 0
    for i in range(n):
        wi = w[i]
        for j in range(n_labels):
            tv = t[i, j] != 0
            pv = p[i, j] != 0
            if tv:
                out[2, j] += wi
                nnz[2, j] += 1
                if pv:
                    out[0, j] += wi
                    nnz[0, j] += 1
            if pv:
                out[1, j] += wi
                nnz[1, j] += 1
    return out, nnz
