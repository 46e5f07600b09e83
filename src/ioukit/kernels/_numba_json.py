"""The numba kernels behind :mod:`ioukit.kernels.json_columns`: a one-pass JSON reader that
fills columns for chosen keys of an array of objects, without a Python object per item.

This module imports numba, so only :mod:`ioukit.kernels.json_columns` imports it, when a
kernel first runs.

Value kinds written to ``kind[j, i]`` (object ``i``, wanted key ``j``):

* ``MISSING`` (0): the object has no such key;
* ``INT`` (1): an integer literal of at most 15 digits (exact in ``fval``);
* ``FLOAT`` (2): a number whose decimal mantissa has at most 15 significant digits and whose
  decimal exponent is within ±22, so ``m * 10**e`` (or ``m / 10**-e``) is one correctly
  rounded operation on exact doubles (Clinger's fast path): ``fval`` is the nearest double,
  as Python's ``float`` gives;
* ``HARD`` (3): any other number; ``fval`` is left for the caller, who converts the bytes
  ``start:end`` exactly;
* ``STRING`` (4): a string, its raw bytes (escapes not undone) at ``start:end``, inside the
  quotes;
* ``NUMBERS`` (5): an array of numbers, one ring (see below);
* ``RINGS`` (6): an array of arrays of numbers (polygons);
* ``OTHER`` (7): anything else (object, null, true, false, other arrays), bytes
  ``start:end``.

Numbers inside arrays go to the flat ``nums`` (with their own kinds in ``nkind``); ring ``r``
is ``nums[ring_off[r]:ring_off[r + 1]]``; a NUMBERS/RINGS value's first ring is
``start[j, i]`` and its number of rings ``end[j, i]``. ``status`` is 0, or an error code with
``err_at`` the byte offset: 1 malformed JSON, 2 an unusual construct (an escaped key,
NaN/Infinity, a non-ASCII escape) that the caller hands to Python's ``json`` instead.
"""

from __future__ import annotations

import numba as nb
import numpy as np

MISSING, INT, FLOAT, HARD, STRING, NUMBERS, RINGS, OTHER = 0, 1, 2, 3, 4, 5, 6, 7

_POW10 = np.array([10.0**i for i in range(23)])


# _ws and _string_end are not inlined by numba (about 15 and 3 calls in _scan_range: each
# inlined copy is typed and lowered again, ~2 s of compilation); LLVM inlines them still, so
# the scan is as fast.
@nb.njit(cache=True, nogil=True)
def _ws(buf, p):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    n = buf.size
    while p < n:
        c = buf[p]
        if c != 32 and c != 10 and c != 13 and c != 9:
            break
        p += 1
    return p


@nb.njit(cache=True, nogil=True)
def _string_end(buf, p):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``p`` just after the opening quote; returns (position of the closing quote or -1,
    whether the string holds a backslash)."""
    n = buf.size
    esc = False
    while p < n:
        c = buf[p]
        if c == 34:
            return p, esc
        if c == 92:
            esc = True
            p += 2
            continue
        if c < 32:
            return -1, esc
        p += 1
    return -1, esc


@nb.njit(cache=True, nogil=True)
def _number(buf, p, pow10):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Parse the number at ``p``: (end, kind, float value, int value); end -1 when there is
    none (kind 2 for NaN/Infinity, which only Python's json reads).

    Called, not inlined by numba (``inline="always"``): :func:`_scan_range` calls it twice,
    and numba's inlining compiled it twice over, about 1 s in a fresh environment. The call
    costs about 3% of the time of a scan (38 MB of detections: 160 → 165 ms)."""
    n = buf.size
    q = p
    neg = False
    if q < n and buf[q] == 45:
        neg = True
        q += 1
    if q >= n:
        return -1, 1, 0.0, 0
    c = buf[q]
    if c == 78 or c == 73:  # NaN, Infinity
        return -1, 2, 0.0, 0
    if c < 48 or c > 57:
        return -1, 1, 0.0, 0
    if c == 48 and q + 1 < n and 48 <= buf[q + 1] <= 57:
        return -1, 1, 0.0, 0  # a leading zero
    m = 0
    nd = 0  # digits read into m (leading zeros included)
    exp10 = 0
    while q < n:
        c = buf[q]
        if c < 48 or c > 57:
            break
        m = m * 10 + (c - 48)
        nd += 1
        q += 1
        if nd == 18:
            break
    while q < n and 48 <= buf[q] <= 57:  # digits beyond 18: only their count matters here
        nd += 1
        exp10 += 1
        q += 1
    is_int = True
    if q < n and buf[q] == 46:
        is_int = False
        q += 1
        if q >= n or buf[q] < 48 or buf[q] > 57:
            return -1, 1, 0.0, 0
        while q < n:
            c = buf[q]
            if c < 48 or c > 57:
                break
            if nd < 18:
                m = m * 10 + (c - 48)
                exp10 -= 1
            nd += 1
            q += 1
    if q < n and (buf[q] == 101 or buf[q] == 69):
        is_int = False
        q += 1
        eneg = False
        if q < n and (buf[q] == 43 or buf[q] == 45):
            eneg = buf[q] == 45
            q += 1
        if q >= n or buf[q] < 48 or buf[q] > 57:
            return -1, 1, 0.0, 0
        e = 0
        while q < n and 48 <= buf[q] <= 57:
            if e < 100000:
                e = e * 10 + (buf[q] - 48)
            q += 1
        exp10 += -e if eneg else e
    if nd > 18:
        return q, 3, 0.0, 0
    if is_int and m <= 9007199254740992:  # exact as a double
        return q, 1, float(-m if neg else m), -m if neg else m
    if m <= 9007199254740992 and -22 <= exp10 <= 22:
        v = float(m)
        v = v * pow10[exp10] if exp10 >= 0 else v / pow10[-exp10]
        return q, 2, -v if neg else v, 0
    return q, 3, 0.0, 0


@nb.njit(cache=True, nogil=True)
def _skip(buf, p):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """The end of the value at ``p`` (-1 when malformed): strings and brackets are followed
    (and must close), scalars are taken as the bytes up to the next delimiter. Not inlined:
    inlined at its three calls in :func:`_scan_range` it cost 1.4 s of compilation, and
    runs no faster."""
    n = buf.size
    depth = 0
    while p < n:
        c = buf[p]
        if c == 34:
            p += 1
            while p < n:
                c = buf[p]
                if c == 92:
                    p += 2
                    continue
                if c == 34:
                    break
                p += 1
            if p >= n:
                return -1
            p += 1
            if depth == 0:
                return p
            continue
        if c == 123 or c == 91:
            depth += 1
        elif c == 125 or c == 93:
            if depth == 0:
                return p  # a scalar just before its container closes
            depth -= 1
            if depth == 0:
                return p + 1
        elif depth == 0 and (c == 44 or c == 32 or c == 10 or c == 13 or c == 9):
            return p
        p += 1
    return -1 if depth else p


@nb.njit(cache=True, nogil=True, inline="always")
def _key(buf, s, e, keys, key_off):  # type: ignore[no-untyped-def]  # pragma: no cover
    for j in range(key_off.size - 1):
        k0 = key_off[j]
        if key_off[j + 1] - k0 != e - s:
            continue
        same = True
        for t in range(e - s):
            if buf[s + t] != keys[k0 + t]:
                same = False
                break
        if same:
            return j
    return -1


@nb.njit(cache=True, nogil=True)
def _scan_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    buf, starts, i0, i1, keys, key_off, kind, fval, vs, ve, nums, nkind, ring_off,
    num0, ring0,
):  # fmt: skip
    """Read the objects ``i0:i1`` into the columns (rows ``i0:i1``) and into ``nums`` from
    ``num0`` and ``ring_off`` from ``ring0`` (where the caller has put ``num0``). Returns (end
    of the numbers used, rings used, status, byte offset of an error)."""
    n_nums = num0
    n_rings = ring0
    pow10 = _POW10
    size = buf.size
    for i in range(i0, i1):
        p = _ws(buf, starts[i])
        if p >= size or buf[p] != 123:
            return n_nums, n_rings - ring0, 1, p
        p = _ws(buf, p + 1)
        if p < size and buf[p] == 125:
            continue
        while True:
            p = _ws(buf, p)
            if p >= size or buf[p] != 34:
                return n_nums, n_rings - ring0, 1, p
            ke, kesc = _string_end(buf, p + 1)
            if ke < 0:
                return n_nums, n_rings - ring0, 1, p
            if kesc:
                return n_nums, n_rings - ring0, 2, p
            j = _key(buf, p + 1, ke, keys, key_off)
            p = _ws(buf, ke + 1)
            if p >= size or buf[p] != 58:
                return n_nums, n_rings - ring0, 1, p
            p = _ws(buf, p + 1)
            if p >= size:
                return n_nums, n_rings - ring0, 1, p
            c = buf[p]
            if j < 0:
                e = _skip(buf, p)
            elif c == 34:
                e, _ = _string_end(buf, p + 1)
                if e >= 0:
                    kind[j, i] = STRING
                    vs[j, i] = p + 1
                    ve[j, i] = e
                    e += 1
            elif c == 45 or 48 <= c <= 57 or c == 78 or c == 73:
                e, k, fv, _ = _number(buf, p, pow10)
                if e < 0 and k == 2:
                    return n_nums, n_rings - ring0, 2, p
                kind[j, i] = k
                fval[j, i] = fv
                vs[j, i] = p
                ve[j, i] = e
            elif c == 91:
                # an array: of numbers (one ring), of arrays of numbers (rings), or other
                first_ring = n_rings
                q = _ws(buf, p + 1)
                nested = q < size and buf[q] == 91
                depth_ok = True
                e = -1
                if not nested:
                    q = p
                # each ring: '[' numbers ']'
                while depth_ok:
                    q = _ws(buf, q)
                    if q >= size or buf[q] != 91:
                        depth_ok = False
                        break
                    q = _ws(buf, q + 1)
                    if q < size and buf[q] == 93:
                        q += 1
                    else:
                        while True:
                            q = _ws(buf, q)
                            qe, k, fv, _ = _number(buf, q, pow10)
                            if qe < 0:
                                if k == 2:
                                    return n_nums, n_rings - ring0, 2, q
                                depth_ok = False
                                break
                            nums[n_nums] = float(q) if k == 3 else fv
                            nkind[n_nums] = k
                            n_nums += 1
                            q = _ws(buf, qe)
                            if q < size and buf[q] == 44:
                                q += 1
                            elif q < size and buf[q] == 93:
                                q += 1
                                break
                            else:
                                depth_ok = False
                                break
                    if not depth_ok:
                        break
                    n_rings += 1
                    ring_off[n_rings] = n_nums
                    if not nested:
                        e = q
                        break
                    q = _ws(buf, q)
                    if q < size and buf[q] == 44:
                        q += 1
                    elif q < size and buf[q] == 93:
                        e = q + 1
                        break
                    else:
                        depth_ok = False
                        break
                if depth_ok and e >= 0:
                    kind[j, i] = RINGS if nested else NUMBERS
                    vs[j, i] = first_ring
                    ve[j, i] = n_rings - first_ring
                else:
                    # not numbers: roll back and keep the bytes
                    n_rings = first_ring
                    n_nums = ring_off[first_ring]
                    e = _skip(buf, p)
                    kind[j, i] = OTHER
                    vs[j, i] = p
                    ve[j, i] = e
            else:
                e = _skip(buf, p)
                kind[j, i] = OTHER
                vs[j, i] = p
                ve[j, i] = e
            if e < 0:
                return n_nums, n_rings - ring0, 1, p
            p = _ws(buf, e)
            if p < size and buf[p] == 44:
                p += 1
            elif p < size and buf[p] == 125:
                break
            else:
                return n_nums, n_rings - ring0, 1, p
    return n_nums, n_rings - ring0, 0, 0


@nb.njit(cache=True, nogil=True)
def scan_chunks(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    buf, starts, keys, key_off, kind, fval, vs, ve, nums, nkind, ring_off, bounds, base, used,
    first, last,
):  # fmt: skip
    """Columns for the wanted keys of the objects starting at ``starts`` (see the module),
    chunk ``c`` of ``[first, last)`` reading the objects ``bounds[c]:bounds[c + 1]`` into the
    rows of ``kind``, ``fval``, ``vs``, ``ve`` and into its own region of the numbers
    ``nums`` / ``nkind`` (from ``base[c]``) and rings ``ring_off`` (from ``base[c] + c``);
    ``used[c]`` gets (end of its numbers, rings used, status, byte offset of an error), as
    :func:`_scan_range` returns. A HARD number in ``nums`` holds its byte offset, as a float
    (``nkind`` says which)."""
    for c in range(first, last):
        r0 = base[c] + c
        ring_off[r0] = base[c]
        res = _scan_range(buf, starts, bounds[c], bounds[c + 1], keys, key_off, kind, fval,
                          vs, ve, nums, nkind, ring_off, base[c], r0)  # fmt: skip
        used[c, 0] = res[0]
        used[c, 1] = res[1]
        used[c, 2] = res[2]
        used[c, 3] = res[3]


@nb.njit(cache=True, nogil=True)
def fixed_rings(kind, first, count, ring_off, nums, rows, width):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``(len(rows), width)`` numbers: the one ring of each object ``rows`` of a NUMBERS
    column (``kind``, ``first``, ``count``: the column's rows), and whether every one is a
    NUMBERS value of exactly ``width`` numbers (else the numbers are not all filled)."""
    out = np.empty((rows.size, width), dtype=np.float64)
    for q in range(rows.size):
        i = rows[q]
        if kind[i] != NUMBERS or count[i] != 1:
            return out, False
        lo = ring_off[first[i]]
        if ring_off[first[i] + 1] - lo != width:
            return out, False
        for t in range(width):
            out[q, t] = nums[lo + t]
    return out, True


@nb.njit(cache=True, nogil=True)
def number_ends(buf, starts):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """The end of each number literal starting at ``starts``."""
    out = np.empty(starts.size, dtype=np.int64)
    for i in range(starts.size):
        p = starts[i]
        while p < buf.size:
            c = buf[p]
            if not (48 <= c <= 57 or c == 45 or c == 43 or c == 46 or c == 101 or c == 69):
                break
            p += 1
        out[i] = p
    return out


@nb.njit(cache=True, nogil=True)
def unescape(buf, vs, ve):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """The strings ``buf[vs[i]:ve[i]]`` with JSON escapes undone, concatenated, with their
    offsets; ok False for a non-ASCII ``\\u`` escape or a malformed one."""
    n = vs.size
    total = 0
    for i in range(n):
        total += ve[i] - vs[i]
    out = np.empty(total, dtype=np.uint8)
    offs = np.empty(n + 1, dtype=np.int64)
    offs[:] = 0
    k = 0
    for i in range(n):
        p = vs[i]
        while p < ve[i]:
            c = buf[p]
            if c != 92:
                out[k] = c
                k += 1
                p += 1
                continue
            if p + 1 >= ve[i]:
                return out, offs, False
            c = buf[p + 1]
            if c == 117:  # \uXXXX
                if p + 6 > ve[i]:
                    return out, offs, False
                v = 0
                for t in range(p + 2, p + 6):
                    h = buf[t]
                    if 48 <= h <= 57:
                        v = v * 16 + h - 48
                    elif 97 <= h <= 102:
                        v = v * 16 + h - 87
                    elif 65 <= h <= 70:
                        v = v * 16 + h - 55
                    else:
                        return out, offs, False
                if v >= 128:
                    return out, offs, False
                out[k] = v
                p += 6
            else:
                if c == 98:
                    out[k] = 8
                elif c == 102:
                    out[k] = 12
                elif c == 110:
                    out[k] = 10
                elif c == 114:
                    out[k] = 13
                elif c == 116:
                    out[k] = 9
                elif c == 34 or c == 92 or c == 47:
                    out[k] = c
                else:
                    return out, offs, False
                p += 2
            k += 1
        offs[i + 1] = k
    return out[:k], offs, True
