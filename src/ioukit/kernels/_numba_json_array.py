"""The numba kernels that find the elements of a JSON array (behind
:func:`ioukit.kernels.json_columns.array_elements`): in one pass, or in parallel byte ranges
whose cuts are proven. They skip values with :mod:`ioukit.kernels._numba_json`'s scanner
(numba's disk cache does not see changes to that file: clear ``__pycache__`` after editing
it)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ioukit.kernels._numba_json import _skip, _ws


@nb.njit(cache=True, nogil=True)
def _guess_object(buf, p, stop):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """The first ``{`` in ``p:stop`` whose previous non-blank byte is a comma: perhaps the
    start of an element of an array of objects (or inside a string); ``stop`` when none."""
    while p < stop:
        if buf[p] == 123:
            q = p - 1
            while q >= 0 and (buf[q] == 32 or buf[q] == 10 or buf[q] == 13 or buf[q] == 9):
                q -= 1
            if q >= 0 and buf[q] == 44:
                return p
        p += 1
    return stop


@nb.njit(cache=True, nogil=True)
def _elements_from(buf, p, stop):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """The elements of an array from the element at ``p`` until the next element would
    start at or after ``stop``: (their starts, where the next one starts, or the array's end
    as ``-(end) - 2`` after its ``]``; -1 when malformed)."""
    out = np.empty(64, dtype=np.int64)
    k = 0
    while p < stop:
        if k == out.size:
            bigger = np.empty(2 * out.size, dtype=np.int64)
            for q in range(k):  # a loop: a slice assignment compiles its error message (1 s)
                bigger[q] = out[q]
            out = bigger
        out[k] = p
        k += 1
        p = _skip(buf, p)
        if p < 0:
            return out[:k], -1
        p = _ws(buf, p)
        if p < buf.size and buf[p] == 44:
            p = _ws(buf, p + 1)
        elif p < buf.size and buf[p] == 93:
            return out[:k], -(p + 1) - 2
        else:
            return out[:k], -1
    return out[:k], p


@nb.njit(cache=True, nogil=True)
def elements(buf, p):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """The start of each element of the array at ``p`` and the end of the array (-1 when
    malformed)."""
    nothing = np.empty(0, dtype=np.int64)
    p = _ws(buf, p)
    if p >= buf.size or buf[p] != 91:
        return nothing, -1
    p = _ws(buf, p + 1)
    if p < buf.size and buf[p] == 93:
        return nothing, p + 1
    starts, landed = _elements_from(buf, p, buf.size)
    if landed < -1:
        return starts, -landed - 2
    return nothing, -1  # malformed, or the file ends before the array does


@nb.njit(cache=True, nogil=True, parallel=True)
def elements_chunked(buf, p, n_chunks):  # type: ignore[no-untyped-def]  # pragma: no cover
    """:func:`elements` of an array of objects in ``n_chunks`` parallel byte ranges.

    Each range after the first starts at a guessed element (:func:`_guess_object`), and the
    range before it must land exactly there: its own elements are read from a true start, so
    landing on the guess proves it. Returns ``(starts, end, ok)``; ``ok`` False (a guess
    inside a string, or anything malformed) means: use :func:`elements`."""
    nothing = np.empty(0, dtype=np.int64)
    p = _ws(buf, p)
    if p >= buf.size or buf[p] != 91:
        return nothing, -1, False
    p = _ws(buf, p + 1)
    if p >= buf.size or buf[p] != 123:
        return nothing, -1, False
    guess = np.empty(n_chunks + 1, dtype=np.int64)
    guess[0] = p
    guess[n_chunks] = buf.size
    for c in range(1, n_chunks):
        at = p + ((buf.size - p) * c) // n_chunks
        guess[c] = _guess_object(buf, max(at, guess[c - 1] + 1), buf.size)
    parts = [nothing] * n_chunks
    landed = np.empty(n_chunks, dtype=np.int64)
    for c in nb.prange(n_chunks):
        if guess[c] < guess[c + 1]:
            parts[c], landed[c] = _elements_from(buf, guess[c], guess[c + 1])
        else:
            landed[c] = guess[c + 1]  # an empty range
    end = -1
    for c in range(n_chunks):
        if landed[c] == -1:
            return nothing, -1, False
        if landed[c] < -1:  # the array closed: in the last range that holds elements
            end = -landed[c] - 2
            for c2 in range(c + 1, n_chunks):
                if guess[c2] < buf.size:
                    return nothing, -1, False
            break
        if landed[c] != guess[c + 1] or guess[c + 1] == buf.size:
            return nothing, -1, False
    total = 0
    for c in range(n_chunks):
        total += parts[c].size
    out = np.empty(total, dtype=np.int64)
    k = 0
    for c in range(n_chunks):
        out[k : k + parts[c].size] = parts[c]
        k += parts[c].size
    return out, end, True
