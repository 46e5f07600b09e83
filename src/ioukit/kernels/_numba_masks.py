"""The numba kernels behind :mod:`ioukit.kernels.masks`, compiled on first use.

Masks are bit-packed into ``uint64`` words (bit ``k`` of word ``w`` is pixel ``64 w + k``); the
intersection of two masks is then ``Σ popcount(a[w] & b[w])``, 64 pixel pairs per instruction.
``popcount`` is LLVM's ``ctpop`` intrinsic, which compiles to ``popcnt`` (or, vectorised, to
``vpopcntq`` on AVX-512 VPOPCNTDQ machines). Each packed mask also records the range of words
that hold its pixels, so a pair only reads the words where both masks may be non-zero: two
small objects far apart cost nothing, as in pycocotools' bounding-box early exit, but exactly.

Every kernel is serial, ``nogil``, and works on a range ``lo .. hi`` of rows, writing only
those rows of outputs that the caller allocated: :func:`ioukit.kernels._threads.run_chunks`
runs it on a few threads, or once on every row. A ``parallel=True`` twin of each (the parfor
pass, a gufunc per ``prange``) cost more than a second of compile time in a fresh environment.

This module imports numba, so only :mod:`ioukit.kernels.masks` imports it, when a kernel first
runs. The kernels live at module level so that numba's disk cache (``cache=True``) works across
processes.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np
from numba.core import types
from numba.extending import intrinsic


def _ctpop_typer(typingctx, x):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # LLVM's population count of a uint64
    if x != types.uint64:
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


_ctpop: Any = intrinsic(_ctpop_typer)


@nb.njit(cache=True, nogil=True, inline="always")
def _finish_row(words, row, info):  # type: ignore[no-untyped-def]  # pragma: no cover
    # info[row] = (area, first non-zero word, last non-zero word + 1); (0, 0, 0) if empty
    area = 0
    lo = -1
    hi = 0
    for w in range(words.shape[1]):
        x = words[row, w]
        if x != 0:
            area += np.int64(_ctpop(x))
            if lo < 0:
                lo = w
            hi = w + 1
    info[row, 0] = area
    info[row, 1] = max(lo, 0)
    info[row, 2] = hi


@nb.njit(cache=True, nogil=True)
def _check_bytes(x, mask, bad, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
    # rows lo .. hi of x: (N, P) uint8 or (N, P / 8) uint64 view of uint8/int8 masks;
    # bad[row]: the row holds a value other than 0/1. The OR of the row's elements is a
    # reduction that LLVM vectorises; `mask` holds the bits that a 0/1 byte never has (0xFE in
    # every byte).
    for row in range(lo, hi):
        acc = x[row, 0]
        for i in range(1, x.shape[1]):
            acc |= x[row, i]
        bad[row] = (acc & mask) != 0


@nb.njit(cache=True, nogil=True)
def _finish(words, info, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
    # (area, lo, hi) of rows lo .. hi of masks packed elsewhere (np.packbits)
    for row in range(lo, hi):
        _finish_row(words, row, info)


@nb.njit(cache=True, nogil=True)
def _pack_any(m, words, info, bad, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
    # rows lo .. hi of m: (N, P) of any real dtype; non-zero is a set pixel, values other than
    # 0/1 flagged in bad
    p = m.shape[1]
    for row in range(lo, hi):
        flagged = False
        for w in range(words.shape[1]):
            acc = np.uint64(0)
            first = w * 64
            last = min(first + 64, p)
            for i in range(first, last):
                v = m[row, i]
                nz = v != 0
                flagged |= nz & (v != 1)
                acc |= np.uint64(nz) << np.uint64(i - first)
            words[row, w] = acc
        _finish_row(words, row, info)
        bad[row] = flagged


@nb.njit(cache=True, nogil=True, inline="always")
def _and_count(a, i, b, j, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
    s = np.uint64(0)
    for w in range(lo, hi):
        s += _ctpop(a[i, w] & b[j, w])
    return np.int64(s)


@nb.njit(cache=True, nogil=True)
def _pair_counts(a, ia, b, ib, tile, out, first, last):  # type: ignore[no-untyped-def]  # pragma: no cover
    # rows [first, last) of out (N, M), the intersection counts of packed masks a (N, W) and
    # b (M, W); ia, ib: (area, lo, hi) per mask. b is walked in tiles of `tile` masks that stay
    # in the core's cache while every row of the range is compared with them.
    m = b.shape[0]
    for j0 in range(0, m, tile):
        j1 = min(j0 + tile, m)
        for i in range(first, last):
            lo_i = ia[i, 1]
            hi_i = ia[i, 2]
            for j in range(j0, j1):
                lo = max(lo_i, ib[j, 1])
                hi = min(hi_i, ib[j, 2])
                out[i, j] = _and_count(a, i, b, j, lo, hi) if hi > lo else 0


@nb.njit(cache=True, nogil=True)
def _aligned_counts(a, ia, b, ib, out, first, last):  # type: ignore[no-untyped-def]  # pragma: no cover
    # out[i] for i in [first, last): the intersection count of packed masks a[i] and b[i]
    for i in range(first, last):
        lo = max(ia[i, 1], ib[i, 1])
        hi = min(ia[i, 2], ib[i, 2])
        out[i] = _and_count(a, i, b, i, lo, hi) if hi > lo else 0
