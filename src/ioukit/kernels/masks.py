"""Bit-packed instance-mask kernels on the CPU (numba): packing and exact overlap counts.

Masks ``(N, P)`` (spatial dimensions flattened) are packed into 64-bit words, 64 pixels per
word, and the intersection of two masks is ``Σ popcount(a & b)`` over the words where both may
be set (see :mod:`ioukit.kernels._numba_masks`). Used by :mod:`ioukit.geometry.masks` for NumPy
arrays and PyTorch CPU tensors.

numba is imported when a kernel first runs, never at ``import ioukit``; compiled code is cached
on disk (``cache=True``).
"""

from __future__ import annotations

import sys
from functools import cache
from typing import Any

import numpy as np

from ioukit.kernels import on_threads, parallel_threads

__all__ = ["aligned_counts", "pack", "pair_counts"]

_NDArray = np.ndarray[Any, Any]

#: Below this much work (pixels to pack, words of pair work) the kernels use one thread.
_PARALLEL_MIN = 1 << 20
#: Bytes of packed masks2 kept in a core's cache while rows of masks1 are compared with them.
_TILE_BYTES = 1 << 19


@cache
def _jit() -> Any:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_masks as k

    return k


def pack(flat: _NDArray) -> tuple[_NDArray, _NDArray, _NDArray]:
    """Bit-pack ``(N, P)`` masks (non-zero is a set pixel).

    Returns ``(N, ceil(P / 64))`` uint64 words, ``(N, 3)`` int64 ``(area, first non-zero
    word, last non-zero word + 1)`` and ``(N,)`` bool flags of the masks holding values other
    than 0 and 1. When any mask is flagged, the words and infos may be left unfilled: the
    caller raises.
    """
    n, p = flat.shape
    words = np.zeros((n, -(-p // 64)), dtype=np.uint64)
    info = np.zeros((n, 3), dtype=np.int64)
    bad = np.zeros(n, dtype=np.bool_)
    if n == 0 or p == 0:
        return words, info, bad
    k = _jit()
    threads = parallel_threads(n * p if n > 1 else 0, min_work=_PARALLEL_MIN)
    parallel = threads > 1
    if flat.dtype.itemsize == 1 and flat.dtype.kind in "biu" and sys.byteorder == "little":
        # bool, uint8, int8: check for bytes other than 0/1 (bool never has any), then NumPy's
        # SIMD packbits, then the areas and word ranges
        u8 = np.ascontiguousarray(flat).view(np.uint8)
        if flat.dtype != np.bool_:
            check = on_threads(k._check_bytes, threads) if parallel else k._check_bytes_serial
            if p % 8 == 0 and u8.flags.aligned:  # eight bytes per load
                check(u8.view(np.uint64), np.uint64(0xFEFEFEFEFEFEFEFE), bad)
            else:
                check(u8, np.uint8(0xFE), bad)
            if bool(bad.any()):
                return words, info, bad
        words.view(np.uint8)[:, : -(-p // 8)] = np.packbits(
            u8.view(np.bool_), axis=1, bitorder="little"
        )
        (on_threads(k._finish, threads) if parallel else k._finish_serial)(words, info)
        return words, info, bad
    src = flat.astype(np.float32) if flat.dtype == np.float16 else flat
    kernel = on_threads(k._pack_any, threads) if parallel else k._pack_any_serial
    kernel(np.ascontiguousarray(src), words, info, bad)
    return words, info, bad


def pair_counts(a: _NDArray, ia: _NDArray, b: _NDArray, ib: _NDArray) -> _NDArray:
    """``(N, M)`` int64 intersection counts of packed masks ``a`` (N, W) and ``b`` (M, W) with
    their infos ``ia``, ``ib`` (see :func:`pack`)."""
    n, m, w = a.shape[0], b.shape[0], a.shape[1]
    if n == 0 or m == 0:
        return np.zeros((n, m), dtype=np.int64)
    if n < m:  # parallelise over the longer side
        return np.ascontiguousarray(pair_counts(b, ib, a, ia).T)
    k = _jit()
    tile = max(1, _TILE_BYTES // max(1, 8 * w))
    threads = parallel_threads(n * m * w if n > 1 else 0, min_work=_PARALLEL_MIN)
    if threads > 1:
        return on_threads(k._pair_counts, threads)(a, ia, b, ib, 4 * threads, tile)  # type: ignore[no-any-return]
    return k._pair_counts_serial(a, ia, b, ib, tile)  # type: ignore[no-any-return]


def aligned_counts(a: _NDArray, ia: _NDArray, b: _NDArray, ib: _NDArray) -> _NDArray:
    """``(N,)`` int64 intersection counts of the packed masks ``a[i]`` and ``b[i]``."""
    n, w = a.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    k = _jit()
    threads = parallel_threads(n * w if n > 1 else 0, min_work=_PARALLEL_MIN)
    if threads > 1:
        return on_threads(k._aligned_counts, threads)(a, ia, b, ib, 4 * threads)  # type: ignore[no-any-return]
    return k._aligned_counts_serial(a, ia, b, ib)  # type: ignore[no-any-return]
