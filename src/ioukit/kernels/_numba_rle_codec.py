"""COCO RLE kernels: the compressed-string codec, mask encoding and decoding.

Compiled on first use: only :mod:`ioukit.kernels.rle` imports this module (it imports numba),
when a kernel first runs. Kernels live at module level so that numba's disk cache
(``cache=True``) finds them again in a new process.

Representations shared by the RLE kernels (all column-major, as COCO's RLE):

* **runs**: run lengths ``r0, r1, …`` (int64), zeros first; runs of a batch are concatenated, and
  ``roffs[i]:roffs[i + 1]`` are the runs of item ``i``.
* **intervals**: the ones of a mask as sorted, disjoint, non-touching half-open intervals
  ``[start, end)`` of column-major pixel positions; ``ioffs[i]`` is where item ``i``'s intervals
  begin and ``icount[i]`` how many it has.
* **strings**: COCO's compressed counts, one byte per 5-bit chunk (see :func:`_put`).
"""

from __future__ import annotations

import numba as nb
import numpy as np

# ---------------------------------------------------------------------------- string codec


@nb.njit(cache=True, nogil=True, inline="always")
def _put(out, p, end, x):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # Append the signed value x at out[p] as 5-bit chunks, least significant first: bit 0x20
    # of a chunk says "more chunks follow", the last chunk's bit 0x10 is the sign, and every
    # chunk is offset by 48 to land on a printable character. Writes at or past `end` are
    # counted but not made, so a caller can size its buffer from the returned end. Inlined
    # (a loop of a few instructions): each kernel calls it from one place only.
    more = True
    while more:
        c = x & 0x1F
        x >>= 5
        more = (x != -1) if (c & 0x10) else (x != 0)
        if more:
            c |= 0x20
        if p < end:
            out[p] = c + 48
        p += 1
    return p


@nb.njit(cache=True, nogil=True)
def parse_range(buf, offs, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Runs of the compressed strings ``buf[offs[s]:offs[s + 1]]``, ``s`` in ``lo .. hi``.

    Returns ``(runs, roffs, err, totals)`` of those strings (``roffs`` from 0); ``err[s - lo]``
    is 0 when string ``s`` is valid, 1 for a byte outside '0'..'o', 2 when the last chunk says
    that more follow, 3 for a negative run, 4 for a value of more than 12 chunks (60 bits).
    Serial, without the GIL: threads run ranges of strings
    (:func:`ioukit.kernels._threads.run_chunks`) and the wrapper joins their runs. One function
    (the scan and the decoding written out, not called): each separate helper is compiled
    again inside every caller.
    """
    n = hi - lo
    roffs = np.empty(n + 1, dtype=np.int64)
    err = np.empty(n, dtype=np.int64)
    totals = np.empty(n, dtype=np.int64)
    roffs[0] = 0
    for s in range(n):  # the number of runs of each string (a chunk without bit 0x20 ends one)
        k = 0
        last = 0
        e = 0
        for p in range(offs[lo + s], offs[lo + s + 1]):
            c = np.int64(buf[p]) - 48
            if c < 0 or c > 63:
                e = 1
                break
            last = c
            if (c & 0x20) == 0:
                k += 1
        if e == 0 and (last & 0x20) != 0:
            e = 2
        roffs[s + 1] = roffs[s] + k
        err[s] = e
        totals[s] = 0
    runs = np.empty(roffs[n], dtype=np.int64)
    for s in range(n):  # decode the valid strings into their runs
        if err[s] != 0:
            continue
        r0 = roffs[s]
        m = 0
        x = np.int64(0)
        k = 0
        total = np.int64(0)
        for p in range(offs[lo + s], offs[lo + s + 1]):
            c = np.int64(buf[p]) - 48
            if k == 12:
                err[s] = 4
                break
            x |= (c & 0x1F) << (5 * k)
            k += 1
            if (c & 0x20) == 0:
                if (c & 0x10) != 0:
                    x |= np.int64(-1) << (5 * k)
                if m > 2:
                    x += runs[r0 + m - 2]
                if x < 0:
                    err[s] = 3
                    break
                runs[r0 + m] = x
                total += x
                m += 1
                x = np.int64(0)
                k = 0
        totals[s] = total
    return runs, roffs, err, totals


@nb.njit(cache=True, nogil=True)
def runs_to_strings(runs, roffs):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Compressed strings of the runs of each item: ``(buf, offs)``. Run ``i`` of an item is
    stored as the difference to run ``i - 2`` from the fourth run on (COCO's rule); a first
    pass sizes the strings, a second writes them (one call of :func:`_put`)."""
    n = roffs.shape[0] - 1
    offs = np.empty(n + 1, dtype=np.int64)
    offs[0] = 0
    buf = np.empty(0, dtype=np.uint8)
    for fill in range(2):
        if fill:
            buf = np.empty(offs[n], dtype=np.uint8)
        for s in range(n):
            p = offs[s] if fill else 0
            end = offs[s + 1] if fill else 0
            for j in range(roffs[s], roffs[s + 1]):
                i = j - roffs[s]
                p = _put(buf, p, end, runs[j] - runs[j - 2] if i > 2 else runs[j])
            if not fill:
                offs[s + 1] = offs[s] + p
    return buf, offs


@nb.njit(cache=True, nogil=True)
def intervals_to_string(starts, ends, total):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The compressed string (uint8 array) of one mask of ``total`` pixels given by its
    intervals: their canonical runs (zeros first, a last run of zeros when the ones stop
    before the end), sized in a first pass and written in a second (one call of
    :func:`_put`)."""
    n = 2 * starts.shape[0]
    last = n + 1 if (n == 0 or ends[starts.shape[0] - 1] < total) else n
    out = np.empty(0, dtype=np.uint8)
    end = 0
    p = 0
    for fill in range(2):
        if fill:
            end = p
            out = np.empty(end, dtype=np.uint8)
        p = 0
        pos = np.int64(0)
        r1 = np.int64(0)
        r2 = np.int64(0)
        for i in range(last):  # run i: zeros before interval i // 2, its ones, last zeros
            if i == n:
                r = total - pos
            elif i & 1:
                r = ends[i >> 1] - starts[i >> 1]
                pos = ends[i >> 1]
            else:
                r = starts[i >> 1] - pos
            p = _put(out, p, end, r - r2 if i > 2 else r)
            r2 = r1
            r1 = r
    return out


# ---------------------------------------------------------------------------- encode
#
# Each encoder is one kernel with its loops written out (but for the row walk, see
# _row_changes): a separate helper is compiled once on its own and again (optimised and
# emitted) inside every caller, and an array allocated with another dtype or shape, a view or a
# reshape each compile their own code. So the masks come as uint64 words viewed by the wrapper
# when each row (or flat mask) is a whole number of words, else they are packed into words
# here, one mask at a time; scratch arrays are int64 or uint64, and the string is written
# where it goes.

_HIGH_BITS = np.uint64(0xFEFEFEFEFEFEFEFE)
_BYTE = np.uint64(0xFF)


@nb.njit(cache=True, nogil=True, inline="always")
def _pack(src, n, dst, d0):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # the n bytes of src as little-endian uint64 words at dst[d0:], the last zero-padded
    for k in range(n >> 3):
        v = np.uint64(0)
        for b in range(8):
            v |= np.uint64(src[8 * k + b]) << np.uint64(8 * b)
        dst[d0 + k] = v
    if n & 7:
        v = np.uint64(0)
        for b in range(n & 7):
            v |= np.uint64(src[(n & ~7) + b]) << np.uint64(8 * b)
        dst[d0 + (n >> 3)] = v


@nb.njit(cache=True, nogil=True, inline="always")
def _write_chars(pos, n, total, buf, i):  # type: ignore[no-untyped-def]  # pragma: no cover
    # The string of the runs between the sorted value-change positions pos[:n] (the value
    # before position 0 is 0) into buf[i] (COCO's rule of _put_run, each value written by
    # _put; chunks past the end of the row are counted, not written); returns its length.
    # Inlined: one call site per encoder.
    row = buf[i]
    cap = row.shape[0]
    p = 0
    prev = np.int64(0)
    r1 = np.int64(0)
    r2 = np.int64(0)
    for j in range(n + 1):
        v = pos[j] if j < n else total
        r = v - prev
        prev = v
        x = r - r2 if j > 2 else r
        r2 = r1
        r1 = r
        p = _put(row, p, cap, x)
    return p


@nb.njit(cache=True, nogil=True)
def _row_changes(words, slot, pos, h):  # type: ignore[no-untyped-def]  # pragma: no cover
    # Walk the changes between each row of the (h, nw) words and the row above, eight pixels
    # (one word) at a time, looking byte by byte only into words that differ. An empty pos:
    # count them per column into slot[x + 1]; else write x * h + y at pos[slot[x]] and advance
    # slot[x] (an empty pos that is to be filled has no change to write). Returns the OR of
    # all words. A function of its own, shaped as it was before the encoder was one kernel:
    # written out inside it, or with a flag argument, this loop ran 10% slower.
    fill = pos.shape[0] > 0
    nw = words.shape[1]
    bad = np.uint64(0)
    for k in range(nw):
        bad |= words[0, k]
    for y in range(1, h):
        for k in range(nw):
            v = words[y, k]
            bad |= v
            d = v ^ words[y - 1, k]
            if d != 0:
                for b in range(8):
                    if (d >> np.uint64(8 * b)) & _BYTE:
                        x = 8 * k + b
                        if fill:
                            pos[slot[x]] = x * h + y
                            slot[x] += 1
                        else:
                            slot[x + 1] += 1
    return bad


@nb.njit(cache=True, nogil=True)
def encode_rows(masks, words, buf, lens, bad, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Strings of the masks ``lo .. hi`` of C-ordered ``(N, h, w)`` uint8 ``masks``;
    ``words`` is their ``(N, h * w / 8)`` uint64 view when ``w`` is a multiple of 8, else
    ``(0, 0)`` (each mask's rows are then packed into zero-padded words here).

    Writes ``buf (N, cap) uint8``, ``lens (N,)``, ``bad (N,)``: mask ``i``'s string is
    ``buf[i, :lens[i]]`` when ``lens[i] <= cap`` (else encode it again with a larger cap);
    ``bad[i]`` says that it holds a value other than 0 or 1. Serial, without the GIL: threads
    run ranges of masks (:func:`ioukit.kernels._threads.run_chunks`).

    Column-major value-change positions, in two passes over the rows: count the changes per
    column, then write each at its place (the rows come in increasing y, so each column's
    positions come out sorted). Each row is compared with the row above eight pixels (one
    word) at a time, looking byte by byte only into words that differ. The top pixel of a
    column is compared with the bottom pixel of the previous column.
    """
    h = masks.shape[1]
    w = masks.shape[2]
    nw = (w + 7) >> 3
    packed = words.shape[0] == 0
    # the words read: the wrapper's view (row i of it for mask i), or one mask packed here
    src = np.empty((1, h, nw), dtype=np.uint64) if packed else words
    slot = np.empty(8 * nw + 1, dtype=np.int64)
    pos = np.empty(0, dtype=np.int64)
    empty = pos
    for i in range(lo, hi):
        n = 0
        acc = np.uint64(0)
        if h > 0 and w > 0:
            r = 0 if packed else i
            if packed:
                for y in range(h):
                    _pack(masks[i, y], w, src[0, y], 0)
            for x in range(w + 1):
                slot[x] = 0
            for fill in range(2):  # 0: count into slot[x + 1]; 1: write at pos[slot[x]]
                if fill:
                    for x in range(w):
                        slot[x + 1] += slot[x]
                    pos = np.empty(slot[w], dtype=np.int64)
                for x in range(w):  # the top pixel against the bottom of the previous column
                    top = masks[i, 0, x] != (masks[i, h - 1, x - 1] if x > 0 else np.uint8(0))
                    if top:
                        if fill:
                            pos[slot[x]] = x * h
                            slot[x] += 1
                        else:
                            slot[x + 1] += 1
                acc |= _row_changes(src[r], slot, pos if fill else empty, h)
            n = pos.shape[0]
        bad[i] = (acc & _HIGH_BITS) != 0
        lens[i] = _write_chars(pos, n, h * w, buf, i)


@nb.njit(cache=True, nogil=True)
def encode_flat(masks, words, h, buf, lens, bad, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
    """:func:`encode_rows` of column-major masks: ``masks`` ``(N, h * w)`` uint8 holds each
    mask's pixels in column-major order (``h`` rows); ``words`` is its uint64 view when
    ``h * w`` is a multiple of 8, else ``(0, 0)`` (each mask is then packed here).

    Each word is compared with itself shifted by one byte, the top byte of the previous word
    coming in (the value before position 0 is 0): count the changes, then write them.
    """
    total = masks.shape[1]
    nw = (total + 7) >> 3
    packed = words.shape[0] == 0
    wd = np.empty(nw if packed else 0, dtype=np.uint64)
    pos = np.empty(0, dtype=np.int64)
    for i in range(lo, hi):
        if packed:
            _pack(masks[i], total, wd, 0)
        else:
            wd = words[i]
        n = 0
        acc = np.uint64(0)
        for fill in range(2):
            if fill:
                pos = np.empty(n, dtype=np.int64)
                n = 0
            prev = np.uint64(0)
            for k in range(nw):
                v = wd[k]
                acc |= v
                d = v ^ ((v << np.uint64(8)) | (prev >> np.uint64(56)))
                prev = v
                if d != 0:
                    for b in range(8):
                        p = 8 * k + b
                        if (d >> np.uint64(8 * b)) & _BYTE and p < total:
                            if fill:
                                pos[n] = p
                            n += 1
        bad[i] = (acc & _HIGH_BITS) != 0
        lens[i] = _write_chars(pos, n, total, buf, i)


# ---------------------------------------------------------------------------- decode


@nb.njit(cache=True, nogil=True)
def decode_range(starts, ends, ioffs, icount, h, w, out, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Paint the intervals of items ``lo .. hi`` into the C-ordered ``(N, h, w)`` uint8
    ``out`` (zeros on entry, allocated by the wrapper), row by row: row 0 holds the value at
    the top of each column; every other row is the row above with the columns flipped where an
    interval starts or ends at that row. Serial, without the GIL: threads run ranges of items
    (:func:`ioukit.kernels._threads.run_chunks`)."""
    if h == 0 or w == 0:
        return
    per_row = np.empty(h + 1, dtype=np.int64)
    for i in range(lo, hi):
        a0 = ioffs[i]
        cnt = icount[i]
        if cnt == 0:
            continue
        for y in range(h + 1):
            per_row[y] = 0
        for k in range(a0, a0 + cnt):
            s = starts[k]
            e = ends[k]
            for x in range((s + h - 1) // h, (e - 1) // h + 1):
                out[i, 0, x] = 1
            if s % h != 0:
                per_row[s % h + 1] += 1
            if e % h != 0:
                per_row[e % h + 1] += 1
        for y in range(h):
            per_row[y + 1] += per_row[y]
        cols = np.empty(per_row[h], dtype=np.int64)
        for k in range(2 * a0, 2 * (a0 + cnt)):  # each start, then its end
            p = ends[k >> 1] if k & 1 else starts[k >> 1]
            y = p % h
            if y != 0:
                cols[per_row[y]] = p // h
                per_row[y] += 1
        # per_row[y] is now the end of row y's flips, i.e. the start of row y + 1's
        for y in range(1, h):
            for x in range(w):
                out[i, y, x] = out[i, y - 1, x]
            for k in range(per_row[y - 1], per_row[y]):
                out[i, y, cols[k]] ^= 1
