"""The numba kernels behind :mod:`ioukit.kernels.counting`, compiled on first use.

This module imports numba, so only :func:`ioukit.kernels.counting._jit` imports it, when a kernel
first runs. The kernels live at module level, not in a function: numba's disk cache
(``cache=True``) keys a closure by its pickled cells, which differ in every process, so kernels
defined inside a function were compiled again in every new process.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def _ignored(t: Any, ign: Any) -> bool:  # pragma: no cover - compiled
    for v in ign:  # noqa: SIM110 - a plain loop compiles to the tightest code
        if t == v:
            return True
    return False


@nb.njit(cache=True, nogil=True, inline="always")
def _binary_run(p, t, n, lab, ign):  # type: ignore[no-untyped-def]  # pragma: no cover
    # (tp, predicted, target, valid, bad pred, bad target) of p[n, lab, :] vs t[n, lab, :]
    tp = 0
    ps = 0
    ts = 0
    nv = 0
    bp = 0
    bt = 0
    k = t.shape[2]
    if ign.size == 0:
        # branch-free so that LLVM vectorises it
        for i in range(k):
            tv = t[n, lab, i]
            pv = p[n, lab, i]
            t1 = np.int64(tv == 1)
            p1 = np.int64(pv == 1)
            tp += t1 & p1
            ps += p1
            ts += t1
            bt += np.int64(tv != 0) & (1 - t1)
            bp += np.int64(pv != 0) & (1 - p1)
        nv = k
    else:
        for i in range(k):
            tv = t[n, lab, i]
            if _ignored(tv, ign):
                continue
            pv = p[n, lab, i]
            t1 = np.int64(tv == 1)
            p1 = np.int64(pv == 1)
            tp += t1 & p1
            ps += p1
            ts += t1
            bt += np.int64(tv != 0) & (1 - t1)
            bp += np.int64(pv != 0) & (1 - p1)
            nv += 1
    return tp, ps, ts, nv, bp, bt


@nb.njit(cache=True, nogil=True)
def _binary_block(p, t, ign, first, last, out_row, local):  # type: ignore[no-untyped-def]  # pragma: no cover
    # samples [first, last) of (N, L, K) data into local[row, (tp, pred, target, valid), L], where
    # row = the sample (out_row < 0: per-sample output) or out_row. Returns (bad pred, bad target).
    bad_p = 0
    bad_t = 0
    for n in range(first, last):
        row = n if out_row < 0 else out_row
        for lab in range(t.shape[1]):
            tp, ps, ts, nv, bp, bt = _binary_run(p, t, n, lab, ign)
            local[row, 0, lab] += tp
            local[row, 1, lab] += ps
            local[row, 2, lab] += ts
            local[row, 3, lab] += nv
            bad_p += bp
            bad_t += bt
    return bad_p, bad_t


@nb.njit(cache=True, nogil=True)
def _binary_tasks(p, t, ign, n_blocks, per_sample, local, first, last):  # type: ignore[no-untyped-def]  # pragma: no cover
    # blocks [first, last) of the n_blocks slices of the N samples of (N, L, K) data into
    # local[(N or n_blocks), 4, L] (see _binary_block). Returns (bad pred, bad target).
    n_samples = t.shape[0]
    bad_p = 0
    bad_t = 0
    for b in range(first, last):
        out_row = np.int64(-1) if per_sample else np.int64(b)
        bp, bt = _binary_block(
            p, t, ign, b * n_samples // n_blocks, (b + 1) * n_samples // n_blocks, out_row, local
        )
        bad_p += bp
        bad_t += bt
    return bad_p, bad_t


@nb.njit(cache=True, nogil=True)
def _confusion_chunk(p, t, lo, hi, c, ign, cm):  # type: ignore[no-untyped-def]  # pragma: no cover
    bad_p = 0
    bad_t = 0
    for i in range(lo, hi):
        tv = t[i]
        if _ignored(tv, ign):
            continue
        pv = p[i]
        if tv < 0 or tv >= c:
            bad_t += 1
        elif pv < 0 or pv >= c:
            bad_p += 1
        else:
            cm[tv, pv] += 1
    return bad_p, bad_t


@nb.njit(cache=True, nogil=True)
def _confusion_rows_block(p, t, c, ign, first, last, tp, ps, ts):  # type: ignore[no-untyped-def]  # pragma: no cover
    # samples [first, last) of (N, K) labels: per-sample tp / predicted / target counts per class
    bad_p = 0
    bad_t = 0
    for s in range(first, last):
        for i in range(t.shape[1]):
            tv = t[s, i]
            if _ignored(tv, ign):
                continue
            pv = p[s, i]
            if tv < 0 or tv >= c:
                bad_t += 1
            elif pv < 0 or pv >= c:
                bad_p += 1
            else:
                ts[s, tv] += 1
                ps[s, pv] += 1
                if tv == pv:
                    tp[s, tv] += 1
    return bad_p, bad_t


@nb.njit(cache=True, nogil=True)
def _confusion_rows_tasks(p, t, c, ign, n_blocks, tp, ps, ts, first, last):  # type: ignore[no-untyped-def]  # pragma: no cover
    # blocks [first, last) of the n_blocks slices of the N samples of (N, K) labels
    n = t.shape[0]
    bad_p = 0
    bad_t = 0
    for b in range(first, last):
        bp, bt = _confusion_rows_block(
            p, t, c, ign, b * n // n_blocks, (b + 1) * n // n_blocks, tp, ps, ts
        )
        bad_p += bp
        bad_t += bt
    return bad_p, bad_t


@nb.njit(cache=True, nogil=True)
def _confusion_tasks(p, t, c, ign, n_chunks, first, last):  # type: ignore[no-untyped-def]  # pragma: no cover
    # p, t: (N, K); task = sample * n_chunks + piece -> one (C, C) matrix per task of
    # [first, last), so that a few large images still keep every thread busy; allocated here
    # (see _lut_tasks). Returns (matrices, bad pred, bad target).
    k = t.shape[1]
    local = np.empty((last - first, c, c), dtype=np.int64)
    local[:] = 0
    bad_p = 0
    bad_t = 0
    for task in range(first, last):
        s = task // n_chunks
        j = task % n_chunks
        lo = j * k // n_chunks
        hi = (j + 1) * k // n_chunks
        bp, bt = _confusion_chunk(p[s][lo:hi], t[s][lo:hi], 0, hi - lo, c, ign, local[task - first])
        bad_p += bp
        bad_t += bt
    return local, bad_p, bad_t


# --------------------------------------------------------------------------------------------
# Table-driven confusion counting. Each label value v in [0, size) maps through two small
# tables: ``row[v]`` (the target's block of bins, or the "ignored" / "bad target" block) and
# ``col[v]`` (the prediction's column, or the "bad prediction" column); values at or above
# ``size - 1`` share the last entry ("anything else"). One table lookup per array and one
# increment per pixel; four interleaved histograms break the store-to-load dependency between
# neighbouring pixels of the same class, which is the common case in segmentation maps.


@nb.njit(cache=True, nogil=True, inline="always")
def _clamp(v, last):  # type: ignore[no-untyped-def]  # pragma: no cover
    u = np.uint64(v)  # negative values wrap to huge ones and land in `last`
    return last if u >= last else u


@nb.njit(cache=True, nogil=True)
def _lut_chunk(p, t, lo, hi, row, col, hist):  # type: ignore[no-untyped-def]  # pragma: no cover
    last = np.uint64(row.size - 1)
    i = lo
    while i + 4 <= hi:
        hist[0, row[_clamp(t[i], last)] + col[_clamp(p[i], last)]] += 1
        hist[1, row[_clamp(t[i + 1], last)] + col[_clamp(p[i + 1], last)]] += 1
        hist[2, row[_clamp(t[i + 2], last)] + col[_clamp(p[i + 2], last)]] += 1
        hist[3, row[_clamp(t[i + 3], last)] + col[_clamp(p[i + 3], last)]] += 1
        i += 4
    while i < hi:
        hist[0, row[_clamp(t[i], last)] + col[_clamp(p[i], last)]] += 1
        i += 1


@nb.njit(cache=True, nogil=True)
def _lut_tasks(p, t, row, col, n_bins, n_chunks, first, last):  # type: ignore[no-untyped-def]  # pragma: no cover
    # p, t: (N, K); task = sample * n_chunks + piece -> 4 histograms per task of [first, last),
    # (last - first, 4, n_bins). Allocated here, not passed in: LLVM then knows that the
    # histograms alias no input, and keeps the four increments apart (measured: 25% faster).
    k = t.shape[1]
    local = np.empty((last - first, 4, n_bins), dtype=np.int64)
    local[:] = 0
    for task in range(first, last):
        s = task // n_chunks
        j = task % n_chunks
        lo = j * k // n_chunks
        hi = (j + 1) * k // n_chunks
        # the piece as its own array from 0 (a literal: measured 30% faster than from `lo`)
        _lut_chunk(p[s][lo:hi], t[s][lo:hi], 0, hi - lo, row, col, local[task - first])
    return local


# uint8 labels (PNG label maps): both arrays read as 64-bit words, 8 pixels at a time. A word
# pair whose 8 target and 8 prediction bytes are each all equal (the inside of a region) adds 8
# to one bin; other words go through one 65536-entry table indexed by (target << 8) | prediction.
_BYTES = np.uint64(0x0101010101010101)
_EVEN = np.uint64(0x00FF00FF00FF00FF)
_KEY = np.uint64(0xFFFF)


@nb.njit(cache=True, nogil=True)
def _u8_chunk(p64, t64, lo, hi, lut, hist):  # type: ignore[no-untyped-def]  # pragma: no cover
    for w in range(lo, hi):
        tw = t64[w]
        pw = p64[w]
        t0 = tw & np.uint64(0xFF)
        p0 = pw & np.uint64(0xFF)
        if tw == t0 * _BYTES and pw == p0 * _BYTES:
            hist[0, lut[(t0 << np.uint64(8)) | p0]] += 8
        else:
            # interleave the bytes into eight 16-bit (target << 8 | prediction) keys: even
            # bytes in one word, odd bytes in the other
            even = ((tw & _EVEN) << np.uint64(8)) | (pw & _EVEN)
            odd = (tw & (_EVEN << np.uint64(8))) | ((pw >> np.uint64(8)) & _EVEN)
            hist[0, lut[even & _KEY]] += 1
            hist[1, lut[odd & _KEY]] += 1
            hist[2, lut[(even >> np.uint64(16)) & _KEY]] += 1
            hist[3, lut[(odd >> np.uint64(16)) & _KEY]] += 1
            hist[0, lut[(even >> np.uint64(32)) & _KEY]] += 1
            hist[1, lut[(odd >> np.uint64(32)) & _KEY]] += 1
            hist[2, lut[even >> np.uint64(48)]] += 1
            hist[3, lut[odd >> np.uint64(48)]] += 1


@nb.njit(cache=True, nogil=True)
def _u8_tasks(p64, t64, lut, n_bins, n_chunks, first, last):  # type: ignore[no-untyped-def]  # pragma: no cover
    # p64, t64: (N, K / 8) uint64 views of uint8 label maps; as _lut_tasks
    k = t64.shape[1]
    local = np.empty((last - first, 4, n_bins), dtype=np.int64)
    local[:] = 0
    for task in range(first, last):
        s = task // n_chunks
        j = task % n_chunks
        lo = j * k // n_chunks
        hi = (j + 1) * k // n_chunks
        _u8_chunk(p64[s][lo:hi], t64[s][lo:hi], 0, hi - lo, lut, local[task - first])
    return local
