"""COCO's greedy matching of (image, category) cells behind a plain function.

numba is imported when the kernel first runs, never at ``import ioukit``; the compiled kernel
(:mod:`ioukit.kernels._numba_coco`) is cached on disk.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

__all__ = ["match_cells"]

_NDArray = np.ndarray[Any, Any]


@cache
def _jit() -> Any:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_coco

    return _numba_coco.match_cells


def match_cells(
    iou: _NDArray,
    iou_off: _NDArray,
    gt_off: _NDArray,
    gt_ignore: _NDArray,
    gt_area: _NDArray,
    gt_crowd: _NDArray,
    gt_id_nonzero: _NDArray,
    dt_off: _NDArray,
    dt_area: _NDArray,
    thresholds: _NDArray,
    area_ranges: _NDArray,
    dt_matched: _NDArray,
    dt_ignored: _NDArray,
    dt_gt: _NDArray,
    regular_gt: _NDArray,
) -> None:
    """Match every cell at every area range and IoU threshold, writing ``dt_matched``,
    ``dt_ignored`` and ``dt_gt`` ``(A, T, D)`` and ``regular_gt`` ``(A, cells)`` in place (the
    arguments and the rule are those of :func:`ioukit.kernels._numba_coco.match_cells`)."""
    _jit()(
        iou,
        iou_off,
        gt_off,
        gt_ignore,
        gt_area,
        gt_crowd,
        gt_id_nonzero,
        dt_off,
        dt_area,
        thresholds,
        area_ranges,
        dt_matched,
        dt_ignored,
        dt_gt,
        regular_gt,
    )
