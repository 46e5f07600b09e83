"""Threshold-sweep kernels for NumPy arrays on the CPU (numba): the exact sweep and the grid pass.

The exact sweep never sorts an index array: the scores of positive elements go to the front of
one buffer and those of negative elements to the back (one pass that also counts NaN scores and
non-{0, 1} targets), NumPy value-sorts both parts in place and a merge walks them from the top,
emitting one (threshold, tp, fp) row per distinct score. The grid pass buckets every score into
a fixed ascending grid in one pass, with no sort.

Like :mod:`ioukit.kernels.counting`, the kernels count bad values instead of failing, so that
the caller builds the error message. numba is imported when a kernel first runs, never at
``import ioukit``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

__all__ = ["exact", "grid_hist"]


@cache
def _jit() -> Any:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_sweep as k

    return k


def exact(
    scores: np.ndarray[Any, Any], target: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], int, int]:
    """Counts at every distinct score of flat, C-contiguous ``scores`` and 0/1 ``target``.

    Returns ``(thresholds, tp, fp, n_nan, n_bad)``: thresholds strictly decreasing in the dtype
    of ``scores``, int64 ``tp`` / ``fp`` of the prediction ``scores >= thresholds[i]``, and the
    numbers of NaN scores and of target values other than 0 and 1. When either number is not
    zero, the three arrays are empty.
    """
    k = _jit()
    buf, n_pos, n_nan, n_bad = k.split(scores, target)
    if n_nan or n_bad:
        empty = np.empty(0, dtype=np.int64)
        return np.empty(0, dtype=scores.dtype), empty, empty, int(n_nan), int(n_bad)
    pos = buf[:n_pos]
    neg = buf[n_pos:]
    pos.sort()
    neg.sort()
    thr, tp, fp = k.merge(pos, neg)
    return thr, tp, fp, 0, 0


def grid_hist(
    scores: np.ndarray[Any, Any], target: np.ndarray[Any, Any], grid: np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], int, int]:
    """Histograms ``(2, G + 1)`` of "number of grid values <= score" over the ascending,
    distinct float64 ``grid``: row 0 for negatives, row 1 for positives; plus the numbers of
    NaN scores and of target values other than 0 and 1 (those elements are not counted)."""
    span = grid[-1] - grid[0]
    # evenly spaced grids use a linear guess corrected by a step instead of a binary search
    uniform = grid.size > 1 and bool(
        np.all(np.abs(np.diff(grid) - span / (grid.size - 1)) <= 1e-9 * span)
    )
    hist, n_nan, n_bad = _jit().grid_hist(scores, target, grid, uniform)
    return hist, int(n_nan), int(n_bad)
