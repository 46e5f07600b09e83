"""Multilabel counting kernels of :mod:`ioukit.sklearn`, in scikit-learn's summation order.

``(N, L)`` arrays known to hold only 0 and 1 are counted per row (``average="samples"``,
``samplewise=True``) or, with floating sample weights, per column in row order, so that the
floating point sums are those of scikit-learn's sparse-matrix path, bit for bit. numba is
imported when a kernel first runs, never at ``import ioukit``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from ioukit.kernels import parallel_threads
from ioukit.kernels._threads import run_chunks

__all__ = ["pair01", "rows01", "weighted_cols01"]


@cache
def _jit() -> Any:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_sklearn as k

    return k


def _view01(y: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    y = np.ascontiguousarray(y)
    if y.dtype == np.bool_:
        return y.view(np.uint8)
    if y.dtype in (np.uint8, np.int64):
        return y
    return y.astype(np.uint8)


def pair01(
    t: np.ndarray[Any, Any], p: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Two arrays known to hold only 0 and 1 as C-contiguous arrays of one shared dtype,
    uint8 or int64 (the dtypes the kernels are compiled for; bool is viewed, not copied)."""
    t, p = _view01(t), _view01(p)
    if t.dtype != p.dtype:
        t, p = t.astype(np.uint8), p.astype(np.uint8)
    return t, p


def rows01(
    t: np.ndarray[Any, Any], p: np.ndarray[Any, Any], cols: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """``(N, 3)`` int64: per row of the 0/1 ``(N, L)`` arrays (a :func:`pair01` pair), the
    numbers of true positives, predicted and true positives over the columns ``cols``."""
    threads = parallel_threads(t.shape[0] * cols.shape[0], min_work=1 << 16)
    out = np.zeros((t.shape[0], 3), dtype=np.int64)
    blocks = 4 * threads if threads > 1 else 1
    run_chunks(_jit().rows01, blocks, threads, t, p, cols, blocks, out, pieces=threads)
    return out


def weighted_cols01(
    t: np.ndarray[Any, Any], p: np.ndarray[Any, Any], w: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``(3, L)`` float64 sums of the row weights ``w`` per column (true positives, predicted,
    true), each added in row order, and ``(3, L)`` int64 numbers of rows in each sum."""
    return _jit().cols01_weighted(t, p, np.asarray(w, dtype=np.float64))  # type: ignore[no-any-return]
