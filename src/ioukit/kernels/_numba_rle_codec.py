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

from typing import Any

import numba as nb
import numpy as np

# ---------------------------------------------------------------------------- string codec


@nb.njit(cache=True, nogil=True, inline="always")
def _put(out, p, x):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # Append the signed value x as 5-bit chunks, least significant first: bit 0x20 of a chunk
    # says "more chunks follow", the last chunk's bit 0x10 is the sign, and every chunk is
    # offset by 48 to land on a printable character. Writes past the end of `out` are
    # counted but not made, so a caller can size its buffer from the returned end.
    more = True
    while more:
        c = x & 0x1F
        x >>= 5
        more = (x != -1) if (c & 0x10) else (x != 0)
        if more:
            c |= 0x20
        if p < out.shape[0]:
            out[p] = c + 48
        p += 1
    return p


@nb.njit(cache=True, nogil=True, inline="always")
def _put_run(out, p, i, r, r2):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # run i is stored as the difference to run i - 2 from the fourth run on (COCO's rule)
    return _put(out, p, r - r2 if i > 2 else r)


@nb.njit(cache=True, nogil=True)
def _scan_chars(buf, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # (number of runs, error) of the string buf[lo:hi]; error 1: a byte outside '0'..'o',
    # 2: the last chunk says that more follow
    k = 0
    last = 0
    for p in range(lo, hi):
        c = np.int64(buf[p]) - 48
        if c < 0 or c > 63:
            return k, 1
        last = c
        if (c & 0x20) == 0:
            k += 1
    if hi > lo and (last & 0x20) != 0:
        return k, 2
    return k, 0


@nb.njit(cache=True, nogil=True)
def _decode_chars(buf, lo, hi, runs, r0):  # type: ignore[no-untyped-def]  # pragma: no cover
    # decode buf[lo:hi] into runs[r0:]; returns (error, sum of runs); error 3: a negative run,
    # 4: a value of more than 12 chunks (60 bits)
    m = 0
    x = np.int64(0)
    k = 0
    total = np.int64(0)
    for p in range(lo, hi):
        c = np.int64(buf[p]) - 48
        if k == 12:
            return 4, total
        x |= (c & 0x1F) << (5 * k)
        k += 1
        if (c & 0x20) == 0:
            if (c & 0x10) != 0:
                x |= np.int64(-1) << (5 * k)
            if m > 2:
                x += runs[r0 + m - 2]
            if x < 0:
                return 3, total
            runs[r0 + m] = x
            total += x
            m += 1
            x = np.int64(0)
            k = 0
    return 0, total


@nb.njit(cache=True, nogil=True)
def _parse_layout(nruns):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    n = nruns.shape[0]
    roffs = np.zeros(n + 1, np.int64)
    for s in range(n):
        roffs[s + 1] = roffs[s] + nruns[s]
    return roffs, np.empty(roffs[n], np.int64)


@nb.njit(cache=True, nogil=True, parallel=True)
def parse_strings(buf, offs):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Runs of the compressed strings ``buf[offs[i]:offs[i + 1]]``.

    Returns ``(runs, roffs, err, totals)``; ``err[i]`` is 0 when string ``i`` is valid.
    """
    n = offs.shape[0] - 1
    nruns = np.empty(n, np.int64)
    err = np.zeros(n, np.int64)
    totals = np.zeros(n, np.int64)
    for s in nb.prange(n):
        k, e = _scan_chars(buf, offs[s], offs[s + 1])
        nruns[s] = k
        err[s] = e
    roffs, runs = _parse_layout(nruns)
    for s in nb.prange(n):
        if err[s] == 0:
            e, t = _decode_chars(buf, offs[s], offs[s + 1], runs, roffs[s])
            err[s] = e
            totals[s] = t
    return runs, roffs, err, totals


@nb.njit(cache=True, nogil=True)
def parse_strings_serial(buf, offs):  # type: ignore[no-untyped-def]  # pragma: no cover
    """:func:`parse_strings` on one thread."""
    n = offs.shape[0] - 1
    nruns = np.empty(n, np.int64)
    err = np.zeros(n, np.int64)
    totals = np.zeros(n, np.int64)
    for s in range(n):
        k, e = _scan_chars(buf, offs[s], offs[s + 1])
        nruns[s] = k
        err[s] = e
    roffs, runs = _parse_layout(nruns)
    for s in range(n):
        if err[s] == 0:
            e, t = _decode_chars(buf, offs[s], offs[s + 1], runs, roffs[s])
            err[s] = e
            totals[s] = t
    return runs, roffs, err, totals


@nb.njit(cache=True, nogil=True)
def runs_to_strings(runs, roffs):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Compressed strings of the runs of each item: ``(buf, offs)``."""
    n = roffs.shape[0] - 1
    offs = np.zeros(n + 1, np.int64)
    empty = np.empty(0, np.uint8)
    for s in range(n):  # sizes first
        p = 0
        for j in range(roffs[s], roffs[s + 1]):
            i = j - roffs[s]
            p = _put_run(empty, p, i, runs[j], runs[j - 2] if i > 2 else 0)
        offs[s + 1] = offs[s] + p
    buf = np.empty(offs[n], np.uint8)
    for s in range(n):
        out = buf[offs[s] : offs[s + 1]]
        p = 0
        for j in range(roffs[s], roffs[s + 1]):
            i = j - roffs[s]
            p = _put_run(out, p, i, runs[j], runs[j - 2] if i > 2 else 0)
    return buf, offs


@nb.njit(cache=True, nogil=True)
def _intervals_to_chars(starts, ends, lo, hi, total, out):  # type: ignore[no-untyped-def]  # pragma: no cover
    # the canonical runs of the intervals [lo, hi) written as a string to out; returns its end
    p = 0
    i = 0
    r1 = np.int64(0)
    r2 = np.int64(0)
    pos = np.int64(0)
    for k in range(lo, hi):
        for r in (starts[k] - pos, ends[k] - starts[k]):
            p = _put_run(out, p, i, r, r2)
            r2 = r1
            r1 = r
            i += 1
        pos = ends[k]
    if pos < total or i == 0:
        p = _put_run(out, p, i, total - pos, r2)
    return p


@nb.njit(cache=True, nogil=True)
def intervals_to_string(starts, ends, total):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The compressed string (uint8 array) of one mask's intervals."""
    n = _intervals_to_chars(starts, ends, 0, starts.shape[0], total, np.empty(0, np.uint8))
    out = np.empty(n, np.uint8)
    _intervals_to_chars(starts, ends, 0, starts.shape[0], total, out)
    return out


# ---------------------------------------------------------------------------- encode


@nb.njit(cache=True, nogil=True)
def _positions_to_chars(pos, n, total, out):  # type: ignore[no-untyped-def]  # pragma: no cover
    # string of the runs between the sorted value-change positions pos[:n] (the value before
    # position 0 is 0); returns its length
    p = 0
    prev = np.int64(0)
    r1 = np.int64(0)
    r2 = np.int64(0)
    for i in range(n):
        r = pos[i] - prev
        prev = pos[i]
        p = _put_run(out, p, i, r, r2)
        r2 = r1
        r1 = r
    return _put_run(out, p, n, total - prev, r2)


_HIGH_BITS = np.uint64(0xFEFEFEFEFEFEFEFE)
_BYTE = np.uint64(0xFF)


@nb.njit(cache=True, nogil=True)
def _copy(dst, d0, src, s0, n):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``dst[d0 : d0 + n] = src[s0 : s0 + n]`` as a loop. A slice assignment compiles numba's
    shape check with its formatted message (string formatting: seconds of compilation)."""
    for k in range(n):
        dst[d0 + k] = src[s0 + k]


@nb.njit(cache=True, nogil=True)
def _row_words(m):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # the rows of the C-ordered (H, W) uint8 mask m as uint64 words, zero-padded to a multiple
    # of 8 bytes when needed
    h, w = m.shape
    a = m
    if w % 8 != 0:
        a = np.zeros((h, 8 * ((w + 7) // 8)), np.uint8)
        for y in range(h):  # loops, not a slice assignment: its shape check compiles for seconds
            _copy(a[y], 0, m[y], 0, w)
    return a.view(np.uint64)  # one view: each costs its own compilation


@nb.njit(cache=True, nogil=True)
def _row_changes(words, slot, pos, h):  # type: ignore[no-untyped-def]  # pragma: no cover
    # Walk the changes between each row and the row above, eight pixels (one word) at a time,
    # looking byte by byte only into words that differ. An empty pos: count them per column
    # into slot[x + 1]; else write x * h + y at pos[slot[x]] and advance slot[x] (an empty
    # pos that is to be filled has no change to write). Returns the OR of all words (to find
    # values other than 0/1). Not a literal flag argument: each literal is a compilation.
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
def _positions_rows(m):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # Column-major value-change positions of the C-ordered (H, W) uint8 mask m, sorted, and
    # whether a value other than 0/1 was seen. Two passes over the rows: count the changes
    # per column, then write each at its place (the rows come in increasing y, so each
    # column's positions come out sorted). The top pixel of a column is compared with the
    # bottom pixel of the previous column.
    h, w = m.shape
    if h == 0 or w == 0:
        return np.empty(0, np.int64), False
    words = _row_words(m)
    slot = np.zeros(words.shape[1] * 8 + 1, np.int64)
    top = np.zeros(w, np.bool_)
    for x in range(w):
        top[x] = m[0, x] != (m[h - 1, x - 1] if x > 0 else np.uint8(0))
        slot[x + 1] += top[x]
    bad = _row_changes(words, slot, np.empty(0, np.int64), h)
    for x in range(w):
        slot[x + 1] += slot[x]
    pos = np.empty(slot[w], np.int64)
    for x in range(w):
        if top[x]:
            pos[slot[x]] = x * h
            slot[x] += 1
    _row_changes(words, slot, pos, h)
    return pos, (bad & _HIGH_BITS) != 0


@nb.njit(cache=True, nogil=True)
def _flat_changes(words, total, pos, fill):  # type: ignore[no-untyped-def]  # pragma: no cover
    # value changes of the flat column-major mask (as words): each word is compared with
    # itself shifted by one byte, the top byte of the previous word coming in (the value
    # before position 0 is 0). Returns (number of changes, OR of all words).
    n = 0
    bad = np.uint64(0)
    prev = np.uint64(0)
    for k in range(words.shape[0]):
        v = words[k]
        bad |= v
        d = v ^ ((v << np.uint64(8)) | (prev >> np.uint64(56)))
        prev = v
        if d != 0:
            for b in range(8):
                p = 8 * k + b
                if (d >> np.uint64(8 * b)) & _BYTE and p < total:
                    if fill:
                        pos[n] = p
                    n += 1
    return n, bad


@nb.njit(cache=True, nogil=True)
def _positions_flat(f):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # value-change positions of the column-major flat uint8 mask f, and whether a value other
    # than 0/1 was seen (count, then fill)
    total = f.shape[0]
    a = f
    if total % 8 != 0:
        a = np.zeros(8 * ((total + 7) // 8), np.uint8)
        _copy(a, 0, f, 0, total)
    words = a.view(np.uint64)  # one view: each costs its own compilation
    n, bad = _flat_changes(words, total, np.empty(0, np.int64), False)
    pos = np.empty(n, np.int64)
    _flat_changes(words, total, pos, True)
    return pos, (bad & _HIGH_BITS) != 0


def _encoder(rows: bool) -> Any:
    """The encoder of C-ordered masks (``rows``) or of transposed ones, each compiled only
    when used."""

    @nb.njit(cache=True, nogil=True)
    def encode(masks, cap, buf, lens, bad, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
        """Strings of the masks ``lo .. hi`` of ``(N, H, W)`` uint8 masks, C-contiguous.

        ``rows=True``: the masks are C-ordered ``(N, H, W)``. ``rows=False``: the array holds
        the transposed masks ``(N, W, H)`` (each mask column-major). Writes ``buf (N, cap)
        uint8``, ``lens (N,)``, ``bad (N,)``: mask ``i``'s string is ``buf[i, :lens[i]]``
        when ``lens[i] <= cap`` (else encode it again with a larger cap); ``bad[i]`` says that
        it holds a value other than 0 or 1. Serial, without the GIL: threads run ranges of
        masks (:func:`ioukit.kernels._threads.run_chunks`).
        """
        total = masks.shape[1] * masks.shape[2]
        for i in range(lo, hi):
            if rows:
                pos, b = _positions_rows(masks[i])
            else:
                pos, b = _positions_flat(masks[i].reshape(-1))
            bad[i] = b
            lens[i] = _positions_to_chars(pos, pos.shape[0], total, buf[i])

    return encode


#: the encoders of C-ordered (``rows``) and of transposed masks
ENCODE_ROWS = _encoder(True)
ENCODE_FLAT = _encoder(False)


# ---------------------------------------------------------------------------- decode


@nb.njit(cache=True, nogil=True)
def _decode_one(starts, ends, a0, cnt, h, w, o):  # type: ignore[no-untyped-def]  # pragma: no cover
    # Paint the intervals into the C-ordered (h, w) array o (zeros on entry) row by row: row 0
    # holds the value at the top of each column; every other row is the row above with the
    # columns flipped where an interval starts or ends at that row.
    if cnt == 0:
        return
    per_row = np.zeros(h + 1, np.int64)
    for k in range(a0, a0 + cnt):
        s = starts[k]
        e = ends[k]
        for x in range((s + h - 1) // h, (e - 1) // h + 1):
            o[0, x] = 1
        if s % h != 0:
            per_row[s % h + 1] += 1
        if e % h != 0:
            per_row[e % h + 1] += 1
    for y in range(h):
        per_row[y + 1] += per_row[y]
    cols = np.empty(per_row[h], np.int64)
    for k in range(a0, a0 + cnt):
        for p in (starts[k], ends[k]):
            y = p % h
            if y != 0:
                cols[per_row[y]] = p // h
                per_row[y] += 1
    # per_row[y] is now the end of row y's flips, i.e. the start of row y + 1's
    for y in range(1, h):
        for x in range(w):
            o[y, x] = o[y - 1, x]
        for k in range(per_row[y - 1], per_row[y]):
            o[y, cols[k]] ^= 1


@nb.njit(cache=True, nogil=True, parallel=True)
def decode_stack(starts, ends, ioffs, icount, h, w):  # type: ignore[no-untyped-def]  # pragma: no cover
    """C-ordered ``(N, h, w)`` uint8 masks of a batch of intervals."""
    n = icount.shape[0]
    out = np.zeros((n, h, w), np.uint8)
    if h == 0 or w == 0:
        return out
    for i in nb.prange(n):
        _decode_one(starts, ends, ioffs[i], icount[i], h, w, out[i])
    return out


@nb.njit(cache=True, nogil=True)
def decode_stack_serial(starts, ends, ioffs, icount, h, w):  # type: ignore[no-untyped-def]  # pragma: no cover
    """:func:`decode_stack` on one thread."""
    n = icount.shape[0]
    out = np.zeros((n, h, w), np.uint8)
    if h == 0 or w == 0:
        return out
    for i in range(n):
        _decode_one(starts, ends, ioffs[i], icount[i], h, w, out[i])
    return out
