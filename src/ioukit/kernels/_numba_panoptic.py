"""The numba kernels behind :mod:`ioukit.kernels.panoptic`, compiled on first use.

This module imports numba, so only :func:`ioukit.kernels.panoptic._jit` imports it, when a kernel
first runs. Kernels live at module level so that numba's disk cache (``cache=True``) finds them
in every process.

One pass over the two id maps counts the pixels of every (target id, prediction id) pair. Runs
of equal pairs (segments are runs along a row) are counted in registers and added to an
open-addressing hash table when the pair changes, so the table is touched once per run, not
once per pixel. The key of a pair is ``target id * 2**32 + prediction id``; ids are in
``[0, 2**31)``. The same kernel reads id maps and RGB colour maps (as overlapping 32-bit
words whose low 3 bytes are the id, see :func:`ioukit.kernels.panoptic.pair_counts_rgb`).
"""

from __future__ import annotations

import numba as nb
import numpy as np

_EMPTY = -1
_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: key * 2**64 / golden ratio


@nb.njit(cache=True, nogil=True, inline="always")
def _slot(key, bits):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    return np.int64((np.uint64(key) * _MIX) >> np.uint64(64 - bits))


@nb.njit(cache=True, nogil=True)
def _insert(keys, counts, bits, key, n):  # type: ignore[no-untyped-def]  # pragma: no cover
    # adds n to the count of key; returns 1 if key is new
    mask = (1 << bits) - 1
    i = _slot(key, bits)
    while True:
        k = keys[i]
        if k == key:
            counts[i] += n
            return 0
        if k == _EMPTY:
            keys[i] = key
            counts[i] = n
            return 1
        i = (i + 1) & mask


@nb.njit(cache=True, nogil=True)
def grow(keys, counts, bits, new_keys, new_counts):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Every entry of the table ``keys``, ``counts`` (``2**bits`` slots) into the empty table
    ``new_keys``, ``new_counts`` of twice the size (compiled only when a table fills)."""
    for i in range(keys.size):
        if keys[i] != _EMPTY:
            _insert(new_keys, new_counts, bits + 1, keys[i], counts[i])


@nb.njit(cache=True, nogil=True)
def scan(t, p, mask, keys, counts, bits, st):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Count the runs of pairs of the flat id maps ``t``, ``p`` into the table ``keys``,
    ``counts`` (``2**bits`` slots, empty ones ``-1``) from pixel ``st[0]`` until the end, or
    until the table is half full (the caller then grows it and calls again). ``st`` = (next
    pixel, entries used, current run's key, its length, bad pixels), updated; returns True
    when every pixel is counted, the last run included. Pixels whose ids are outside ``[0,
    2**31)`` are only counted as bad.

    The id of a pixel is ``t[i] & mask`` (mask -1 for id maps; 0xFFFFFF for colour maps read
    as overlapping little-endian uint32 words, 3 bytes apart). The table is made, grown and
    read by the caller: each of those as a kernel of its own would compile in every fresh
    environment, and its caller would compile it again inside itself. The arrays are never
    reassigned in the pixel loop, and nothing is called per pixel: a loop that may replace
    them, or calls a function for each pixel, runs several times slower."""
    limit = np.int64(1) << 31
    used, run_key, run, bad = st[1], st[2], st[3], st[4]
    i = st[0]
    while i < t.size and 2 * used <= keys.size:
        tv = np.int64(t[i]) & mask
        pv = np.int64(p[i]) & mask
        i += 1
        if tv < 0 or tv >= limit or pv < 0 or pv >= limit:
            bad += 1
            continue
        key = (tv << 32) | pv
        if key == run_key:
            run += 1
            continue
        if run > 0:
            used += _insert(keys, counts, bits, run_key, run)
        run_key = key
        run = 1
    done = i == t.size and 2 * used <= keys.size
    if done and run > 0:  # the last run: the table is at most half full, so there is room
        used += _insert(keys, counts, bits, run_key, run)
        run = 0
    st[0], st[1], st[2], st[3], st[4] = i, used, run_key, run, bad
    return done
