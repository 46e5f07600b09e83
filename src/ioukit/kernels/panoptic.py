"""Pixel counts of (target id, prediction id) pairs of panoptic id maps (numba, CPU).

One pass over the two maps, no temporary the size of the input (see
:mod:`ioukit.kernels._numba_panoptic`): the pairs come back sorted by (target id, prediction
id), the order of ``np.unique`` over ``target * 2**24 + prediction`` that panopticapi uses.
Colour maps are read in place as overlapping little-endian 32-bit words, 3 bytes apart, whose
low 3 bytes are the pixel's id (one load per pixel and map instead of three).

numba is imported when a kernel first runs, never at ``import ioukit``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

__all__ = ["pair_counts", "pair_counts_rgb"]

NDArray = np.ndarray[Any, Any]
Pairs = tuple[NDArray, NDArray, NDArray]
_LOW24 = 0xFFFFFF
#: The hash table of pairs starts with 2**_BITS slots (and doubles when half full).
_BITS = 10


@cache
def _jit() -> Any:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_panoptic as k

    return k


@cache
def _scan32() -> Any:
    """The pixel scan compiled once, when first needed, for 32-bit ids in any memory layout:
    the colour maps' overlapping words (strided) and 32-bit id maps (contiguous) share it.
    Left to numba, each layout and each integer dtype would compile it again; 64-bit id maps
    take the scan itself."""
    import numba as nb

    ids = nb.types.Array(nb.uint32, 1, "A", readonly=True)  # any layout; writable or not
    table = nb.types.Array(nb.int64, 1, "C")
    sig = nb.boolean(ids, ids, nb.int64, table, table, nb.int64, table)
    return nb.njit(sig, cache=True, nogil=True)(_jit().scan.py_func)


def _pairs(scan: Any, t: NDArray, p: NDArray, mask: int) -> tuple[NDArray, NDArray, int]:
    """``(keys, counts)`` of the pairs of the flat id maps ``t``, ``p`` (unsorted), and the
    number of pixels whose ids are outside ``[0, 2**31)``: ``scan`` over a hash table of
    ``2**_BITS`` slots that doubles whenever it is half full."""
    bits = _BITS
    keys = np.full(1 << bits, -1, dtype=np.int64)
    counts = np.zeros(1 << bits, dtype=np.int64)
    st = np.array([0, 0, -1, 0, 0], dtype=np.int64)
    while not scan(t, p, mask, keys, counts, bits, st):
        new_keys = np.full(2 * keys.size, -1, dtype=np.int64)
        new_counts = np.zeros(2 * keys.size, dtype=np.int64)
        _jit().grow(keys, counts, bits, new_keys, new_counts)
        keys, counts, bits = new_keys, new_counts, bits + 1
    used = keys != -1
    return keys[used], counts[used], int(st[4])


def _as32(ids: NDArray) -> NDArray:
    """An id map of at most 32 bits as flat uint32, without a copy for int32/uint32: negative
    ids become ``>= 2**31``, outside the counted range either way."""
    flat = np.ascontiguousarray(ids).reshape(-1)
    if flat.dtype.itemsize == 4:
        return flat.view(np.uint32)
    return flat.astype(np.uint32)  # 8 and 16 bits: -1 → 2**32 - 1, as above


def _sorted(keys: NDArray, counts: NDArray) -> Pairs:
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    return keys >> 32, keys & 0xFFFFFFFF, counts[order]


def pair_counts(target: NDArray, pred: NDArray) -> tuple[NDArray, NDArray, NDArray, int]:
    """``(target ids, prediction ids, pixels)`` of every pair that occurs, each ``(P,)`` int64,
    sorted by (target id, prediction id), of two integer id maps of the same size; and the
    number of pixels whose ids are outside ``[0, 2**31)`` (not counted)."""
    if target.dtype.itemsize <= 4 and pred.dtype.itemsize <= 4:
        keys, counts, bad = _pairs(_scan32(), _as32(target), _as32(pred), -1)
    else:  # 64-bit ids (uint64 as int64: ids from 2**63 up turn negative, still not counted)
        t = np.ascontiguousarray(target).reshape(-1).astype(np.int64, copy=False)
        p = np.ascontiguousarray(pred).reshape(-1).astype(np.int64, copy=False)
        keys, counts, bad = _pairs(_jit().scan, t, p, -1)
    return (*_sorted(keys, counts), bad)


def _words(rgb: NDArray) -> NDArray:
    """The first N - 1 pixels of an ``(N * 3,)`` uint8 buffer as overlapping ``<u4`` words."""
    n = rgb.size // 3
    words: NDArray = np.ndarray((max(n - 1, 0),), dtype="<u4", buffer=rgb, strides=(3,))
    return words


def _swap(ids: NDArray) -> NDArray:
    """Ids read from BGR bytes → RGB ids (bytes 0 and 2 exchanged)."""
    out: NDArray = ((ids & 0xFF) << 16) | (ids & 0xFF00) | (ids >> 16)
    return out


def pair_counts_rgb(target: NDArray, pred: NDArray, *, bgr: bool = False) -> Pairs:
    """:func:`pair_counts` of two ``(H, W, 3)`` uint8 colour maps whose ids are
    ``R + 256 G + 256**2 B``; ``bgr=True`` for maps in OpenCV's channel order."""
    t = np.ascontiguousarray(target, dtype=np.uint8).reshape(-1)
    p = np.ascontiguousarray(pred, dtype=np.uint8).reshape(-1)
    keys, counts, _ = _pairs(_scan32(), _words(t), _words(p), _LOW24)
    if t.size:  # the last pixel: its word would read past the end
        last = [int(x[-3]) | int(x[-2]) << 8 | int(x[-1]) << 16 for x in (t, p)]
        key = last[0] << 32 | last[1]
        hit = np.flatnonzero(keys == key)
        if hit.size:
            counts[hit[0]] += 1
        else:
            keys = np.append(keys, np.int64(key))
            counts = np.append(counts, np.int64(1))
    if bgr:
        keys = _swap(keys >> 32) << 32 | _swap(keys & _LOW24)
    return _sorted(keys, counts)
