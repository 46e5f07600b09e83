"""Sums in NumPy's pairwise order, inside numba kernels: what ``np.add.reduce`` (so
``np.mean``) of a contiguous float64 array computes, bit for bit.

NumPy's order: below 8 values one by one from 0.0; up to 128, 8 running sums over the blocks
of 8 values, combined as ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))``, then the rest
one by one; above 128, the two halves (the first rounded down to a multiple of 8) summed apart
and added. :func:`pairwise_sum` follows it for ``lanes`` interleaved sequences at once, read
in place from an array laid out ``(T, inner, mid, lanes)`` in ``(t, mid, inner)`` order, the
recursion on an explicit stack (numba compiles recursive functions badly when another kernel
calls them).

This module imports numba; only numba kernels import it.
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: the leaf size of NumPy's pairwise summation (``PW_BLOCKSIZE``)
_BLOCK = 128
#: the deepest recursion: halving from 2**63 values down to 128
_DEPTH = 64

# One signature each, given explicitly: callers pass literal layouts (``lanes=1``, ``lo=0``),
# and numba would otherwise compile a specialisation for every literal combination (four of
# each, about 1 s apiece, in a fresh environment).
_F8 = nb.float64[::1]
_I8 = nb.int64[::1]
_WORK = nb.types.Tuple((_I8, nb.float64[:, ::1], _F8))  # type: ignore[no-untyped-call]
_LEAF_SIG = nb.void(_F8, nb.int64, nb.int64, nb.int64, nb.int64, nb.int64, _I8, _F8)
_SUM_SIG = nb.void(_F8, nb.int64, nb.int64, nb.int64, nb.int64, nb.int64, _WORK, _F8)


@nb.njit(_LEAF_SIG, cache=True, error_model="numpy", nogil=True)
def _leaf(a, lo, n, lanes, inner, mid, offs, res):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``res[:lanes]``: NumPy's sum of the values ``lo:lo + n`` (at most 128) of each lane
    (see :func:`pairwise_sum` for the layout); ``offs`` scratch for their positions."""
    block = inner * mid
    t = lo // block
    r = (lo - t * block) // inner
    k = lo - t * block - r * inner
    idx = ((t * inner + k) * mid + r) * lanes  # where value lo starts
    step = mid * lanes  # from k to k + 1
    for i in range(n):
        offs[i] = idx
        k += 1  # the next value: k, then r, then t
        idx += step
        if k == inner:
            k = 0
            r += 1
            idx += lanes - inner * step
            if r == mid:
                r = 0
                idx += (inner - 1) * step
    for ln in range(lanes):
        if n < 8:
            total = 0.0
            for i in range(n):
                total += a[offs[i] + ln]
            res[ln] = total
            continue
        r0 = a[offs[0] + ln]
        r1 = a[offs[1] + ln]
        r2 = a[offs[2] + ln]
        r3 = a[offs[3] + ln]
        r4 = a[offs[4] + ln]
        r5 = a[offs[5] + ln]
        r6 = a[offs[6] + ln]
        r7 = a[offs[7] + ln]
        i = 8
        end = n - n % 8
        while i < end:
            r0 += a[offs[i] + ln]
            r1 += a[offs[i + 1] + ln]
            r2 += a[offs[i + 2] + ln]
            r3 += a[offs[i + 3] + ln]
            r4 += a[offs[i + 4] + ln]
            r5 += a[offs[i + 5] + ln]
            r6 += a[offs[i + 6] + ln]
            r7 += a[offs[i + 7] + ln]
            i += 8
        total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            total += a[offs[i] + ln]
            i += 1
        res[ln] = total


@nb.njit(_SUM_SIG, cache=True, error_model="numpy", nogil=True)
def pairwise_sum(a, lo, n, lanes, inner, mid, work, out):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``out[:lanes]``: NumPy's sum of the values ``lo:lo + n`` of each of ``lanes``
    sequences in ``a``. Value ``j`` of lane ``l``, with ``j = (t * mid + r) * inner + k``
    (``k < inner``, ``r < mid``), is ``a[((t * inner + k) * mid + r) * lanes + l]``: the
    sequence runs over a ``(T, inner, mid, lanes)`` array in ``(t, r, k)`` order (``inner =
    1``: contiguous). ``work``: scratch from :func:`workspace`."""
    offs, vals, res = work
    if n <= _BLOCK:
        _leaf(a, lo, n, lanes, inner, mid, offs, out)
        return
    f_lo = np.empty(_DEPTH, dtype=np.int64)
    f_n = np.empty(_DEPTH, dtype=np.int64)
    f_phase = np.empty(_DEPTH, dtype=np.int64)
    f_phase[:] = 0
    n_v = 0
    f_lo[0] = lo
    f_n[0] = n
    depth = 1
    while depth > 0:
        top = depth - 1
        start = f_lo[top]
        m = f_n[top]
        if m <= _BLOCK:
            _leaf(a, start, m, lanes, inner, mid, offs, res)
            for ln in range(lanes):
                vals[n_v, ln] = res[ln]
            n_v += 1
            depth -= 1
            continue
        half = m // 2
        half -= half % 8
        phase = f_phase[top]
        f_phase[top] = phase + 1
        if phase < 2:  # the first half, then the second
            f_lo[depth] = start if phase == 0 else start + half
            f_n[depth] = half if phase == 0 else m - half
            f_phase[depth] = 0
            depth += 1
        else:  # both halves summed: add them
            n_v -= 1
            for ln in range(lanes):
                vals[n_v - 1, ln] = vals[n_v - 1, ln] + vals[n_v, ln]
            depth -= 1
    for ln in range(lanes):
        out[ln] = vals[0, ln]


@nb.njit(cache=True, error_model="numpy", nogil=True)
def workspace(lanes):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Scratch for :func:`pairwise_sum` of up to ``lanes`` sequences."""
    return (
        np.empty(_BLOCK, dtype=np.int64),
        np.empty((_DEPTH, lanes), dtype=np.float64),
        np.empty(lanes, dtype=np.float64),
    )
