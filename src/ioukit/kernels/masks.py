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

from ioukit.kernels import parallel_threads
from ioukit.kernels._threads import run_chunks

__all__ = ["aligned_counts", "pack", "pair_counts"]

_NDArray = np.ndarray[Any, Any]

# Below these amounts of work a kernel runs on one thread (``parallel_threads``' min_work).
# Threads pay off from ~0.2 ms of serial work: a ``run_chunks`` call on 2 threads costs 15 µs
# more than one call when its pool thread is awake, up to ~0.1 ms when the thread must be woken
# (numba's own parallel regions cost ~2 µs, but seconds of compile time in a fresh
# environment). Serial costs on one core: packing other dtypes ~0.8 ns per element, checking
# bytes ~35 ps per byte, finishing packed words ~0.7 ns per word, pair and aligned counts
# ≤ 60 ps per word before pruning. (With one threshold of 1 M pixels for everything, the
# threaded ``_finish`` made a 32 × 256² pack slower than the serial one.)
#: Elements packed one by one (``_pack_any``).
_PARALLEL_MIN = 1 << 20
#: Bytes checked for values other than 0/1 (``_check_bytes``).
_PARALLEL_BYTES = 1 << 23
#: Packed words whose areas and ranges are read (``_finish``).
_PARALLEL_WORDS = 1 << 18
#: Words of pair work, before pruning (``_pair_counts``, ``_aligned_counts``).
_PARALLEL_PAIR_WORDS = 1 << 22
#: The bits that a 0/1 byte never has, in every byte of a load (see ``_check_bytes``).
_HIGH_BITS_64 = np.uint64(0xFEFEFEFEFEFEFEFE)
_HIGH_BITS_8 = np.uint8(0xFE)
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
    work = n * p if n > 1 else 0
    if flat.dtype.itemsize == 1 and flat.dtype.kind in "biu" and sys.byteorder == "little":
        # bool, uint8, int8: check for bytes other than 0/1 (bool never has any), then NumPy's
        # SIMD packbits, then the areas and word ranges
        u8 = np.ascontiguousarray(flat).view(np.uint8)
        if flat.dtype != np.bool_:
            threads = parallel_threads(work, min_work=_PARALLEL_BYTES)
            if p % 8 == 0 and u8.flags.aligned:  # eight bytes per load
                run_chunks(k._check_bytes, n, threads, u8.view(np.uint64), _HIGH_BITS_64, bad)
            else:
                run_chunks(k._check_bytes, n, threads, u8, _HIGH_BITS_8, bad)
            if bool(bad.any()):
                return words, info, bad
        words.view(np.uint8)[:, : -(-p // 8)] = np.packbits(
            u8.view(np.bool_), axis=1, bitorder="little"
        )
        threads = parallel_threads(n * words.shape[1] if n > 1 else 0, min_work=_PARALLEL_WORDS)
        run_chunks(k._finish, n, threads, words, info)
        return words, info, bad
    src = flat.astype(np.float32) if flat.dtype == np.float16 else flat
    threads = parallel_threads(work, min_work=_PARALLEL_MIN)
    run_chunks(k._pack_any, n, threads, np.ascontiguousarray(src), words, info, bad)
    return words, info, bad


def pair_counts(a: _NDArray, ia: _NDArray, b: _NDArray, ib: _NDArray) -> _NDArray:
    """``(N, M)`` int64 intersection counts of packed masks ``a`` (N, W) and ``b`` (M, W) with
    their infos ``ia``, ``ib`` (see :func:`pack`)."""
    n, m, w = a.shape[0], b.shape[0], a.shape[1]
    if n == 0 or m == 0:
        return np.zeros((n, m), dtype=np.int64)
    if n < m:  # parallelise over the longer side
        return np.ascontiguousarray(pair_counts(b, ib, a, ia).T)
    tile = max(1, _TILE_BYTES // max(1, 8 * w))
    threads = parallel_threads(n * m * w if n > 1 else 0, min_work=_PARALLEL_PAIR_WORDS)
    out = np.empty((n, m), dtype=np.int64)
    run_chunks(_jit()._pair_counts, n, threads, a, ia, b, ib, tile, out)
    return out


def aligned_counts(a: _NDArray, ia: _NDArray, b: _NDArray, ib: _NDArray) -> _NDArray:
    """``(N,)`` int64 intersection counts of the packed masks ``a[i]`` and ``b[i]``."""
    n, w = a.shape
    out = np.empty(n, dtype=np.int64)
    if n == 0:
        return out
    threads = parallel_threads(n * w if n > 1 else 0, min_work=_PARALLEL_PAIR_WORDS)
    run_chunks(_jit()._aligned_counts, n, threads, a, ia, b, ib, out)
    return out
