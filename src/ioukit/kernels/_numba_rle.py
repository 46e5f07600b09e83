"""The numba kernels behind :mod:`ioukit.geometry.rle`, compiled on first use.

This module imports numba, so only :func:`ioukit.geometry.rle._kernels` imports it, when a kernel
first runs. Kernels live at module level so that numba's disk cache (``cache=True``) finds them
again in a new process.

Representations (all column-major, as COCO's RLE):

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
def _grow(a, n):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    if n < a.shape[0]:
        return a
    b = np.empty(2 * a.shape[0], a.dtype)
    b[:n] = a[:n]
    return b


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
def _row_words(m):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # the rows of the C-ordered (H, W) uint8 mask m as uint64 words, zero-padded to a multiple
    # of 8 bytes when needed
    h, w = m.shape
    if w % 8 == 0:
        return m.view(np.uint64)
    padded = np.zeros((h, 8 * ((w + 7) // 8)), np.uint8)
    padded[:, :w] = m
    return padded.view(np.uint64)


@nb.njit(cache=True, nogil=True)
def _row_changes(words, slot, pos, h, fill):  # type: ignore[no-untyped-def]  # pragma: no cover
    # Walk the changes between each row and the row above, eight pixels (one word) at a time,
    # looking byte by byte only into words that differ. fill=False: count them per column into
    # slot[x + 1]; fill=True: write x * h + y at pos[slot[x]] and advance slot[x]. Returns the
    # OR of all words (to find values other than 0/1).
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
    bad = _row_changes(words, slot, slot, h, False)
    for x in range(w):
        slot[x + 1] += slot[x]
    pos = np.empty(slot[w], np.int64)
    for x in range(w):
        if top[x]:
            pos[slot[x]] = x * h
            slot[x] += 1
    _row_changes(words, slot, pos, h, True)
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
    if total % 8 == 0:
        words = f.view(np.uint64)
    else:
        padded = np.zeros(8 * ((total + 7) // 8), np.uint8)
        padded[:total] = f
        words = padded.view(np.uint64)
    n, bad = _flat_changes(words, total, np.empty(0, np.int64), False)
    pos = np.empty(n, np.int64)
    _flat_changes(words, total, pos, True)
    return pos, (bad & _HIGH_BITS) != 0


@nb.njit(cache=True, nogil=True)
def _encode_one(masks, i, rows, cap, buf, lens, bad):  # type: ignore[no-untyped-def]  # pragma: no cover
    if rows:
        pos, b = _positions_rows(masks[i])
        total = masks.shape[1] * masks.shape[2]
    else:
        pos, b = _positions_flat(masks[i].reshape(-1))
        total = masks.shape[1] * masks.shape[2]
    bad[i] = b
    lens[i] = _positions_to_chars(pos, pos.shape[0], total, buf[i])


@nb.njit(cache=True, nogil=True, parallel=True)
def encode(masks, rows, cap):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Strings of ``(N, H, W)`` uint8 masks, C-contiguous.

    ``rows=True``: the masks are C-ordered ``(N, H, W)``. ``rows=False``: the array holds the
    transposed masks ``(N, W, H)`` (each mask column-major). Returns ``(buf (N, cap) uint8,
    lens (N,), bad (N,))``: mask ``i``'s string is ``buf[i, :lens[i]]`` when
    ``lens[i] <= cap`` (else encode it again with a larger cap); ``bad[i]`` says that it
    holds a value other than 0 or 1.
    """
    n = masks.shape[0]
    buf = np.empty((n, cap), np.uint8)
    lens = np.empty(n, np.int64)
    bad = np.zeros(n, np.bool_)
    for i in nb.prange(n):
        _encode_one(masks, i, rows, cap, buf, lens, bad)
    return buf, lens, bad


@nb.njit(cache=True, nogil=True)
def encode_serial(masks, rows, cap):  # type: ignore[no-untyped-def]  # pragma: no cover
    """:func:`encode` on one thread."""
    n = masks.shape[0]
    buf = np.empty((n, cap), np.uint8)
    lens = np.empty(n, np.int64)
    bad = np.zeros(n, np.bool_)
    for i in range(n):
        _encode_one(masks, i, rows, cap, buf, lens, bad)
    return buf, lens, bad


# ---------------------------------------------------------------------------- runs → intervals


@nb.njit(cache=True, nogil=True)
def _index_one(runs, lo, hi, h, starts, ends, i0, bbox, s):  # type: ignore[no-untyped-def]  # pragma: no cover
    # intervals of the runs[lo:hi] (empty runs dropped, touching intervals joined) written
    # from starts/ends[i0]; the pixel-inclusive bbox (x0, y0, x1, y1) into bbox[s] ((0, 0, -1,
    # -1) when empty); returns (number of intervals, area)
    pos = np.int64(0)
    cnt = 0
    area = np.int64(0)
    for j in range(lo, hi):
        r = runs[j]
        if (j - lo) & 1 and r > 0:
            if cnt > 0 and ends[i0 + cnt - 1] == pos:
                ends[i0 + cnt - 1] = pos + r
            else:
                starts[i0 + cnt] = pos
                ends[i0 + cnt] = pos + r
                cnt += 1
            area += r
        pos += r
    x0 = np.int64(0)
    y0 = np.int64(0)
    x1 = np.int64(-1)
    y1 = np.int64(-1)
    for k in range(i0, i0 + cnt):
        a = starts[k]
        b = ends[k] - 1
        xa = a // h
        ya = a - xa * h
        xb = b // h
        yb = b - xb * h
        if xb > xa:  # the interval wraps from one column into the next: every row is covered
            ya = 0
            yb = h - 1
        if k == i0:
            x0, y0, x1, y1 = xa, ya, xb, yb
        else:
            x0 = min(x0, xa)
            x1 = max(x1, xb)
            y0 = min(y0, ya)
            y1 = max(y1, yb)
    bbox[s, 0] = x0
    bbox[s, 1] = y0
    bbox[s, 2] = x1
    bbox[s, 3] = y1
    return cnt, area


@nb.njit(cache=True, nogil=True)
def _index_layout(roffs):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    n = roffs.shape[0] - 1
    ioffs = np.zeros(n + 1, np.int64)
    for s in range(n):
        ioffs[s + 1] = ioffs[s] + (roffs[s + 1] - roffs[s]) // 2
    return (
        np.empty(ioffs[n], np.int64),
        np.empty(ioffs[n], np.int64),
        ioffs,
        np.empty(n, np.int64),
        np.empty(n, np.int64),
        np.empty((n, 4), np.int64),
    )


@nb.njit(cache=True, nogil=True, parallel=True)
def index_runs(runs, roffs, heights):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Intervals, areas and bboxes of a batch of runs.

    Returns ``(starts, ends, ioffs, icount, area, bbox)`` with ``bbox`` int64 ``(N, 4)``
    pixel-inclusive ``(x0, y0, x1, y1)``.
    """
    starts, ends, ioffs, icount, area, bbox = _index_layout(roffs)
    for s in nb.prange(roffs.shape[0] - 1):
        c, a = _index_one(runs, roffs[s], roffs[s + 1], heights[s], starts, ends, ioffs[s], bbox, s)
        icount[s] = c
        area[s] = a
    return starts, ends, ioffs, icount, area, bbox


@nb.njit(cache=True, nogil=True)
def index_runs_serial(runs, roffs, heights):  # type: ignore[no-untyped-def]  # pragma: no cover
    """:func:`index_runs` on one thread."""
    starts, ends, ioffs, icount, area, bbox = _index_layout(roffs)
    for s in range(roffs.shape[0] - 1):
        c, a = _index_one(runs, roffs[s], roffs[s + 1], heights[s], starts, ends, ioffs[s], bbox, s)
        icount[s] = c
        area[s] = a
    return starts, ends, ioffs, icount, area, bbox


# ---------------------------------------------------------------------------- iou


@nb.njit(cache=True, nogil=True, inline="always")
def _first_ending_after(ends, lo, hi, v):  # type: ignore[no-untyped-def]  # pragma: no cover
    # first k in [lo, hi) with ends[k] > v (binary search; ends is increasing)
    while lo < hi:
        mid = (lo + hi) >> 1
        if ends[mid] > v:
            hi = mid
        else:
            lo = mid + 1
    return lo


@nb.njit(cache=True, nogil=True)
def _intersection(starts, ends, a0, a1, b0, b1, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
    # |A ∩ B| where both lie in [lo, hi): walk both interval lists from lo to hi
    ia = _first_ending_after(ends, a0, a1, lo)
    ib = _first_ending_after(ends, b0, b1, lo)
    inter = np.int64(0)
    while ia < a1 and ib < b1:
        sa = starts[ia]
        sb = starts[ib]
        if max(sa, sb) >= hi:  # one list has passed the overlap region: nothing more to meet
            break
        ea = ends[ia]
        eb = ends[ib]
        inter += max(min(ea, eb) - max(sa, sb), 0)
        # advance the interval that ends first (branch-free: the order is unpredictable)
        step = np.int64(ea < eb)
        ia += step
        ib += 1 - step
    return inter


@nb.njit(cache=True, nogil=True)
def _spans_layout(bbox):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    n = bbox.shape[0]
    soffs = np.zeros(n + 1, np.int64)
    for s in range(n):
        soffs[s + 1] = soffs[s] + max(bbox[s, 2] - bbox[s, 0] + 1, 0)
    return soffs, np.zeros(soffs[n], np.int32), np.zeros(soffs[n], np.int32), np.ones(n, np.bool_)


@nb.njit(cache=True, nogil=True)
def _partnered(bbox, nd):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # which masks have a bbox that meets the bbox of a mask of the other side
    n = bbox.shape[0]
    out = np.zeros(n, np.bool_)
    for d in range(nd):
        for gi in range(nd, n):
            if max(bbox[d, 0], bbox[gi, 0]) <= min(bbox[d, 2], bbox[gi, 2]) and max(
                bbox[d, 1], bbox[gi, 1]
            ) <= min(bbox[d, 3], bbox[gi, 3]):
                out[d] = True
                out[gi] = True
    return out


@nb.njit(cache=True, nogil=True)
def _spans_one(starts, ends, a0, cnt, h, x0, top, bot, o0):  # type: ignore[no-untyped-def]  # pragma: no cover
    # Rows [top, bot) of the ones of each column x (at top/bot[o0 + x - x0]), for a mask whose
    # columns hold at most one run of ones each (blobs, polygons: most masks); returns False
    # (and leaves partial spans) for any other mask
    col = np.int64(0)
    base = np.int64(0)
    for k in range(a0, a0 + cnt):
        s = starts[k]
        e = ends[k]
        col, base = _column_of(col, base, s, h)
        xa = col
        col, base = _column_of(col, base, e - 1, h)
        xb = col
        for x in range(xa, xb + 1):
            j = o0 + x - x0
            if bot[j] > 0:
                return False
            top[j] = s - x * h if x == xa else 0
            bot[j] = e - x * h if x == xb else h
    return True


@nb.njit(cache=True, nogil=True)
def _span_intersection(top, bot, ja, jb, n):  # type: ignore[no-untyped-def]  # pragma: no cover
    # sum over n columns of the overlap of two column spans (slices: LLVM vectorises this)
    ta = top[ja : ja + n]
    tb = top[jb : jb + n]
    ba = bot[ja : ja + n]
    bb = bot[jb : jb + n]
    inter = np.int64(0)
    for c in range(n):
        d = min(ba[c], bb[c]) - max(ta[c], tb[c])
        inter += d if d > 0 else 0
    return inter


@nb.njit(cache=True, nogil=True)
def _iou_row(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    d, out, starts, ends, ioffs, icount, area, bbox, h, nd, crowd, top, bot, soffs, simple
):
    ng = out.shape[1]
    dx0 = bbox[d, 0]
    dy0 = bbox[d, 1]
    dx1 = bbox[d, 2]
    dy1 = bbox[d, 3]
    a0 = ioffs[d]
    a1 = a0 + icount[d]
    for g in range(ng):
        out[d, g] = 0.0
    for g in range(ng):
        gi = nd + g
        # bbox prefilter: masks can only meet where their bboxes do
        x0 = max(dx0, bbox[gi, 0])
        x1 = min(dx1, bbox[gi, 2])
        if x1 < x0 or min(dy1, bbox[gi, 3]) < max(dy0, bbox[gi, 1]):
            continue
        if simple[d] and simple[gi]:
            ja = soffs[d] + x0 - dx0
            jb = soffs[gi] + x0 - bbox[gi, 0]
            inter = _span_intersection(top, bot, ja, jb, x1 - x0 + 1)
        else:
            b0 = ioffs[gi]
            inter = _intersection(starts, ends, a0, a1, b0, b0 + icount[gi], x0 * h, (x1 + 1) * h)
        if inter == 0:
            continue
        if crowd[g]:
            out[d, g] = inter / area[d]
        else:
            out[d, g] = inter / (area[d] + area[gi] - inter)


@nb.njit(cache=True, nogil=True, parallel=True)
def iou_matrix(starts, ends, ioffs, icount, area, bbox, h, nd, crowd):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``(nd, N - nd)`` IoU of items ``0..nd-1`` (dt) against ``nd..N-1`` (gt), one height.

    Masks whose columns hold one run of ones at most are first turned into per-column row
    spans, and a pair of such masks is intersected column by column over the columns their
    bboxes share; any other pair walks both interval lists over those columns.
    """
    soffs, top, bot, simple = _spans_layout(bbox)
    needed = _partnered(bbox, nd)
    for s in nb.prange(icount.shape[0]):
        if needed[s]:
            simple[s] = _spans_one(
                starts, ends, ioffs[s], icount[s], h, bbox[s, 0], top, bot, soffs[s]
            )
    out = np.empty((nd, icount.shape[0] - nd), np.float64)
    for d in nb.prange(nd):
        _iou_row(
            d, out, starts, ends, ioffs, icount, area, bbox, h, nd, crowd, top, bot, soffs, simple
        )
    return out


@nb.njit(cache=True, nogil=True)
def iou_matrix_serial(starts, ends, ioffs, icount, area, bbox, h, nd, crowd):  # type: ignore[no-untyped-def]  # pragma: no cover
    """:func:`iou_matrix` on one thread (small inputs, where starting threads costs more)."""
    soffs, top, bot, simple = _spans_layout(bbox)
    needed = _partnered(bbox, nd)
    for s in range(icount.shape[0]):
        if needed[s]:
            simple[s] = _spans_one(
                starts, ends, ioffs[s], icount[s], h, bbox[s, 0], top, bot, soffs[s]
            )
    out = np.empty((nd, icount.shape[0] - nd), np.float64)
    for d in range(nd):
        _iou_row(
            d, out, starts, ends, ioffs, icount, area, bbox, h, nd, crowd, top, bot, soffs, simple
        )
    return out


# ---------------------------------------------------------------------------- merge, decode


@nb.njit(cache=True, nogil=True)
def _union(as_, ae, bs, be):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    n = as_.shape[0] + bs.shape[0]
    os_ = np.empty(n, np.int64)
    oe = np.empty(n, np.int64)
    m = 0
    i = 0
    j = 0
    while i < as_.shape[0] or j < bs.shape[0]:
        if j >= bs.shape[0] or (i < as_.shape[0] and as_[i] <= bs[j]):
            s, e = as_[i], ae[i]
            i += 1
        else:
            s, e = bs[j], be[j]
            j += 1
        if m > 0 and s <= oe[m - 1]:  # overlaps or touches the last one: extend it
            oe[m - 1] = max(oe[m - 1], e)
        else:
            os_[m] = s
            oe[m] = e
            m += 1
    return os_[:m], oe[:m]


@nb.njit(cache=True, nogil=True)
def _intersect(as_, ae, bs, be):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    n = as_.shape[0] + bs.shape[0]
    os_ = np.empty(n, np.int64)
    oe = np.empty(n, np.int64)
    m = 0
    i = 0
    j = 0
    while i < as_.shape[0] and j < bs.shape[0]:
        s = max(as_[i], bs[j])
        e = min(ae[i], be[j])
        if e > s:
            if m > 0 and s == oe[m - 1]:
                oe[m - 1] = e
            else:
                os_[m] = s
                oe[m] = e
                m += 1
        if ae[i] < be[j]:
            i += 1
        else:
            j += 1
    return os_[:m], oe[:m]


@nb.njit(cache=True, nogil=True)
def merge_intervals(starts, ends, ioffs, icount, intersect):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Union (or intersection) of all items' intervals: ``(starts, ends)``."""
    cs = starts[ioffs[0] : ioffs[0] + icount[0]].copy()
    ce = ends[ioffs[0] : ioffs[0] + icount[0]].copy()
    for k in range(1, icount.shape[0]):
        bs = starts[ioffs[k] : ioffs[k] + icount[k]]
        be = ends[ioffs[k] : ioffs[k] + icount[k]]
        if intersect:
            cs, ce = _intersect(cs, ce, bs, be)
        else:
            cs, ce = _union(cs, ce, bs, be)
    return cs, ce


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


# ---------------------------------------------------------------------------- polygons


@nb.njit(cache=True, nogil=True)
def _poly_intervals(xy, h, w):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # COCO's polygon raster. The vertices are scaled by 5 and rounded (C truncation of
    # v + 0.5), every edge is walked one upsampled step at a time along its longer axis
    # (always from the same end, so an edge and its reverse give the same points), and
    # wherever two consecutive points lie in different upsampled columns whose boundary is a
    # pixel centre column (upsampled x = 5 * X + 2), the column X toggles at row
    # ceil((min y + 0.5) / 5 - 0.5), clamped to [0, h]. A pixel is inside when an odd number of
    # toggles lie at or before its column-major position.
    k = xy.shape[0]
    total = h * w
    px = np.empty(k + 1, np.int64)
    py = np.empty(k + 1, np.int64)
    for j in range(k):
        px[j] = np.int64(5.0 * xy[j, 0] + 0.5)
        py[j] = np.int64(5.0 * xy[j, 1] + 0.5)
    px[k] = px[0]
    py[k] = py[0]
    pos = np.empty(64, np.int64)
    n = 0
    first = True
    pu = np.int64(0)
    pv = np.int64(0)
    for j in range(k):
        xs, xe, ys, ye = px[j], px[j + 1], py[j], py[j + 1]
        dx = abs(xe - xs)
        dy = abs(ys - ye)
        flip = (dx >= dy and xs > xe) or (dx < dy and ys > ye)
        if flip:
            xs, xe = xe, xs
            ys, ye = ye, ys
        steps = dx if dx >= dy else dy
        slope = ((ye - ys) / dx if dx > 0 else 0.0) if dx >= dy else (xe - xs) / dy
        for d in range(steps + 1):
            t = steps - d if flip else d
            if dx >= dy:
                cu = t + xs
                cv = np.int64(ys + slope * t + 0.5)
            else:
                cv = t + ys
                cu = np.int64(xs + slope * t + 0.5)
            if not first and cu != pu:
                xi = cu if cu < pu else cu - 1
                xd = (xi + 0.5) / 5.0 - 0.5
                if np.floor(xd) == xd and xd >= 0 and xd <= w - 1:
                    yd = (min(cv, pv) + 0.5) / 5.0 - 0.5
                    if yd < 0:
                        yd = 0.0
                    elif yd > h:
                        yd = float(h)
                    yd = np.ceil(yd)
                    pos = _grow(pos, n)
                    pos[n] = np.int64(xd) * h + np.int64(yd)
                    n += 1
            first = False
            pu = cu
            pv = cv
    pos = np.sort(pos[:n])
    tog = np.empty(n + 1, np.int64)
    m = 0
    i = 0
    while i < n:
        j = i
        while j < n and pos[j] == pos[i]:
            j += 1
        if (j - i) & 1 and pos[i] < total:
            tog[m] = pos[i]
            m += 1
        i = j
    if m & 1:
        tog[m] = total
        m += 1
    return tog[0:m:2].copy(), tog[1:m:2].copy()


@nb.njit(cache=True, nogil=True)
def polygons_to_string(coords, poffs, h, w):  # type: ignore[no-untyped-def]  # pragma: no cover
    """String of the union of polygons ``coords[poffs[i]:poffs[i + 1]]`` ((K, 2) vertices)."""
    cs = np.empty(0, np.int64)
    ce = np.empty(0, np.int64)
    for i in range(poffs.shape[0] - 1):
        s, e = _poly_intervals(coords[poffs[i] : poffs[i + 1]], h, w)
        cs, ce = _union(cs, ce, s, e)
    return intervals_to_string(cs, ce, h * w)


# ---------------------------------------------------------------------------- fused iou


@nb.njit(cache=True, nogil=True, inline="always")
def _column_of(col, base, p, h):  # type: ignore[no-untyped-def]  # pragma: no cover
    # (column, first position of the column) of position p >= base, from the column of base:
    # a step or two without dividing in the common case (a mask's runs move column by column)
    if p - base >= 4 * h:
        col = p // h
        return col, col * h
    while p - base >= h:
        col += 1
        base += h
    return col, base


@nb.njit(cache=True, nogil=True)
def _index_string(buf, lo, hi, h, starts, ends, i0, bbox, s):  # type: ignore[no-untyped-def]  # pragma: no cover
    # One pass over the string buf[lo:hi]: decode the runs and write the intervals of ones
    # from starts/ends[i0], the bbox into bbox[s] (as _index_one). Returns (number of
    # intervals, area, sum of runs, error) with the errors of _scan_chars/_decode_chars.
    m = 0
    x = np.int64(0)
    k = 0
    r1 = np.int64(0)
    r2 = np.int64(0)
    pos = np.int64(0)
    cnt = 0
    area = np.int64(0)
    col = np.int64(0)
    base = np.int64(0)
    x0 = np.int64(0)
    y0 = np.int64(0)
    x1 = np.int64(-1)
    y1 = np.int64(-1)
    for p in range(lo, hi):
        c = np.int64(buf[p]) - 48
        if c < 0 or c > 63:
            return cnt, area, pos, 1
        if k == 12:
            return cnt, area, pos, 4
        x |= (c & 0x1F) << (5 * k)
        k += 1
        if (c & 0x20) == 0:
            if (c & 0x10) != 0:
                x |= np.int64(-1) << (5 * k)
            if m > 2:
                x += r2
            if x < 0:
                return cnt, area, pos, 3
            r = x
            if (m & 1) and r > 0:
                if h == 0:
                    return cnt, area, pos + r, 0  # cannot fit any image: the total says so
                if cnt > 0 and ends[i0 + cnt - 1] == pos:
                    ends[i0 + cnt - 1] = pos + r
                else:
                    starts[i0 + cnt] = pos
                    ends[i0 + cnt] = pos + r
                    cnt += 1
                area += r
                col, base = _column_of(col, base, pos, h)
                xa = col
                ya = pos - base
                col, base = _column_of(col, base, pos + r - 1, h)
                xb = col
                yb = pos + r - 1 - base
                if xb > xa:  # the run wraps into the next column: every row is covered
                    ya = 0
                    yb = h - 1
                if x1 < 0:
                    x0, y0, x1, y1 = xa, ya, xb, yb
                else:
                    x1 = xb  # runs come in increasing position: xa >= x0
                    y0 = min(y0, ya)
                    y1 = max(y1, yb)
            pos += r
            r2 = r1
            r1 = r
            m += 1
            x = np.int64(0)
            k = 0
    bbox[s, 0] = x0
    bbox[s, 1] = y0
    bbox[s, 2] = x1
    bbox[s, 3] = y1
    if k != 0:
        return cnt, area, pos, 2
    return cnt, area, pos, 0


@nb.njit(cache=True, nogil=True)
def _strings_layout(offs):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    n = offs.shape[0] - 1
    ioffs = np.zeros(n + 1, np.int64)
    for s in range(n):  # a run takes one character at least, an interval two runs
        ioffs[s + 1] = ioffs[s] + (offs[s + 1] - offs[s]) // 2
    return (
        np.empty(ioffs[n], np.int64),
        np.empty(ioffs[n], np.int64),
        ioffs,
        np.empty(n, np.int64),
        np.empty(n, np.int64),
        np.empty((n, 4), np.int64),
        np.empty(n, np.int64),
        np.empty(n, np.int64),
    )


@nb.njit(cache=True, nogil=True, parallel=True)
def index_strings(buf, offs, heights):  # type: ignore[no-untyped-def]  # pragma: no cover
    """:func:`index_runs` straight from compressed strings, plus ``(totals, err)``."""
    starts, ends, ioffs, icount, area, bbox, totals, err = _strings_layout(offs)
    for s in nb.prange(offs.shape[0] - 1):
        c, a, t, e = _index_string(
            buf, offs[s], offs[s + 1], heights[s], starts, ends, ioffs[s], bbox, s
        )
        icount[s] = c
        area[s] = a
        totals[s] = t
        err[s] = e
    return starts, ends, ioffs, icount, area, bbox, totals, err


@nb.njit(cache=True, nogil=True)
def index_strings_serial(buf, offs, heights):  # type: ignore[no-untyped-def]  # pragma: no cover
    """:func:`index_strings` on one thread."""
    starts, ends, ioffs, icount, area, bbox, totals, err = _strings_layout(offs)
    for s in range(offs.shape[0] - 1):
        c, a, t, e = _index_string(
            buf, offs[s], offs[s + 1], heights[s], starts, ends, ioffs[s], bbox, s
        )
        icount[s] = c
        area[s] = a
        totals[s] = t
        err[s] = e
    return starts, ends, ioffs, icount, area, bbox, totals, err


@nb.njit(cache=True, nogil=True)
def _valid(err, totals, total):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    for s in range(err.shape[0]):  # noqa: SIM110 - numba compiles loops, not generators
        if err[s] != 0 or totals[s] != total:
            return False
    return True


@nb.njit(cache=True, nogil=True)
def iou_strings_serial(buf, offs, h, w, nd, crowd):  # type: ignore[no-untyped-def]  # pragma: no cover
    """IoU of compressed strings of one size ``(h, w)``, items ``0..nd-1`` against the rest.

    One call for the common case (index the strings, then the pairs). Returns ``(iou, ok)``;
    ``ok`` is False when a string is malformed or its runs do not add up to ``h * w`` (the
    caller then validates in detail to say which).
    """
    heights = np.full(offs.shape[0] - 1, h, np.int64)
    starts, ends, ioffs, icount, area, bbox, totals, err = index_strings_serial(buf, offs, heights)
    if not _valid(err, totals, h * w):
        return np.empty((0, 0), np.float64), False
    return iou_matrix_serial(starts, ends, ioffs, icount, area, bbox, h, nd, crowd), True


@nb.njit(cache=True, nogil=True)
def iou_strings(buf, offs, h, w, nd, crowd):  # type: ignore[no-untyped-def]  # pragma: no cover
    """:func:`iou_strings_serial` with the threaded kernels."""
    heights = np.full(offs.shape[0] - 1, h, np.int64)
    starts, ends, ioffs, icount, area, bbox, totals, err = index_strings(buf, offs, heights)
    if not _valid(err, totals, h * w):
        return np.empty((0, 0), np.float64), False
    return iou_matrix(starts, ends, ioffs, icount, area, bbox, h, nd, crowd), True
