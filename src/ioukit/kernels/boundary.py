"""Boundary-band kernel on the CPU (numba), used by :mod:`ioukit.geometry.boundary`.

numba is imported when the kernel first runs, never at ``import ioukit``; compiled code is cached
on disk (``cache=True``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

__all__ = ["bands"]

_NDArray = np.ndarray[Any, Any]


@cache
def _jit() -> Any:
    # imports numba: only here, when the kernel first runs
    from ioukit.kernels import _numba_boundary as k

    return k


def bands(masks: _NDArray, d: int) -> _NDArray:
    """Inner boundary bands ``mask - erode(mask, (2d + 1)² square, zeros outside)`` of bool
    ``(N, H, W)`` masks, bool ``(N, H, W)``."""
    out = np.zeros(masks.shape, dtype=np.bool_)
    if masks.size == 0:
        return out
    _jit()._bands(np.ascontiguousarray(masks, dtype=np.bool_), d, out)
    return out
