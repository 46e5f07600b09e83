"""Fused single-pass counting kernels for NumPy arrays on the CPU (numba).

Each kernel reads the two label arrays once, skips ignored target values in the same pass and
counts out-of-range values instead of failing, so the caller can build a precise error message
only when something is wrong. No temporary the size of the input is created.

numba is imported when a kernel first runs, never at ``import ioukit``; compiled code is cached
on disk (``cache=True``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

__all__ = ["binary_rows", "confusion", "confusion_rows"]

# Below this many elements the threaded kernel costs more than it saves.
_PARALLEL_MIN = 1 << 20
# Row length used to split single-label data between threads.
_ROW = 1 << 14


@cache
def _jit() -> Any:
    import numba as nb

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

    @nb.njit(cache=True, nogil=True, parallel=True)
    def _binary_nlk(p, t, per_sample, ign, n_blocks):  # type: ignore[no-untyped-def]  # pragma: no cover
        # p, t: (N, L, K) -> tp, predicted, target, valid: (N or 1, L) each; bad pred, bad target
        n_samples, n_labels, _ = t.shape
        n_out = n_samples if per_sample else 1
        n_blocks = n_samples if per_sample else max(1, min(n_blocks, n_samples))
        # per sample: one block per sample, written in place; else local sums per block
        local = np.zeros((n_out if per_sample else n_blocks, 4, n_labels), dtype=np.int64)
        bad_p = 0
        bad_t = 0
        for b in nb.prange(n_blocks):
            for n in range(b * n_samples // n_blocks, (b + 1) * n_samples // n_blocks):
                for lab in range(n_labels):
                    tp, ps, ts, nv, bp, bt = _binary_run(p, t, n, lab, ign)
                    local[b, 0, lab] += tp
                    local[b, 1, lab] += ps
                    local[b, 2, lab] += ts
                    local[b, 3, lab] += nv
                    bad_p += bp
                    bad_t += bt
        if per_sample:
            return local, bad_p, bad_t
        return local.sum(axis=0).reshape((1, 4, n_labels)), bad_p, bad_t

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

    @nb.njit(cache=True, nogil=True, parallel=True)
    def _confusion_parallel(p, t, c, ign, n_chunks):  # type: ignore[no-untyped-def]  # pragma: no cover
        n = t.size
        step = (n + n_chunks - 1) // n_chunks
        local = np.zeros((n_chunks, c, c), dtype=np.int64)
        bads = np.zeros((n_chunks, 2), dtype=np.int64)
        for j in nb.prange(n_chunks):
            lo = j * step
            hi = min(n, lo + step)
            bp, bt = _confusion_chunk(p, t, lo, hi, c, ign, local[j])
            bads[j, 0] = bp
            bads[j, 1] = bt
        return local.sum(axis=0), bads[:, 0].sum(), bads[:, 1].sum()

    @nb.njit(cache=True, nogil=True)
    def _confusion_serial(p, t, c, ign):  # type: ignore[no-untyped-def]  # pragma: no cover
        cm = np.zeros((c, c), dtype=np.int64)
        bp, bt = _confusion_chunk(p, t, 0, t.size, c, ign, cm)
        return cm, bp, bt

    @nb.njit(cache=True, nogil=True, parallel=True)
    def _confusion_rows(p, t, c, ign):  # type: ignore[no-untyped-def]  # pragma: no cover
        # p, t: (N, K). Per-sample tp / pred count / target count per class, (N, C) each.
        n, k = t.shape
        tp = np.zeros((n, c), dtype=np.int64)
        ps = np.zeros((n, c), dtype=np.int64)
        ts = np.zeros((n, c), dtype=np.int64)
        bads = np.zeros((n, 2), dtype=np.int64)
        for s in nb.prange(n):
            for i in range(k):
                tv = t[s, i]
                if _ignored(tv, ign):
                    continue
                pv = p[s, i]
                if tv < 0 or tv >= c:
                    bads[s, 1] += 1
                elif pv < 0 or pv >= c:
                    bads[s, 0] += 1
                else:
                    ts[s, tv] += 1
                    ps[s, pv] += 1
                    if tv == pv:
                        tp[s, tv] += 1
        return tp, ps, ts, bads[:, 0].sum(), bads[:, 1].sum()

    return {
        "binary_nlk": _binary_nlk,
        "confusion_parallel": _confusion_parallel,
        "confusion_serial": _confusion_serial,
        "confusion_rows": _confusion_rows,
    }


def _threads() -> int:
    import numba

    return int(numba.get_num_threads())


def _prepare(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    x = np.ascontiguousarray(x)
    return x.view(np.uint8) if x.dtype == np.bool_ else x


def _ign(values: tuple[int, ...]) -> np.ndarray[Any, Any]:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def binary_rows(
    pred: np.ndarray[Any, Any],
    target: np.ndarray[Any, Any],
    n_labels: int,
    per_sample: bool,
    ignore: tuple[int, ...],
) -> tuple[Any, Any, Any, Any, int, int]:
    """Binary counts of ``(N, L, ...)``-shaped data.

    Returns tp, predicted positives, target positives and valid elements, each of shape
    ``(N or 1, L)``, and the numbers of non-{0, 1} values in pred and target.
    """
    p = _prepare(pred)
    t = _prepare(target)
    kernel = _jit()["binary_nlk"]
    ign = _ign(ignore)
    n_blocks = 4 * _threads() if t.size >= _PARALLEL_MIN else 1
    if per_sample or n_labels > 1:
        shape = (t.shape[0], n_labels, t.size // (t.shape[0] * n_labels))
        out, bad_p, bad_t = kernel(p.reshape(shape), t.reshape(shape), per_sample, ign, n_blocks)
    else:
        # one label over the whole array: any split of the flat data is valid, so cut it into
        # rows of _ROW elements for the threads, plus a remainder row
        flat_p, flat_t = p.reshape(-1), t.reshape(-1)
        main = t.size - t.size % _ROW
        out = np.zeros((1, 4, 1), dtype=np.int64)
        bad_p = bad_t = 0
        for lo, hi, rows, blocks in ((0, main, main // _ROW, n_blocks), (main, t.size, 1, 1)):
            if hi > lo:
                shape3 = (rows, 1, (hi - lo) // rows)
                o, bp, bt = kernel(
                    flat_p[lo:hi].reshape(shape3), flat_t[lo:hi].reshape(shape3), False, ign, blocks
                )
                out += o
                bad_p += bp
                bad_t += bt
    return out[:, 0], out[:, 1], out[:, 2], out[:, 3], int(bad_p), int(bad_t)


def confusion(
    pred: np.ndarray[Any, Any],
    target: np.ndarray[Any, Any],
    num_classes: int,
    ignore: tuple[int, ...],
) -> tuple[np.ndarray[Any, Any], int, int]:
    """``(C, C)`` int64 confusion matrix (rows = target) of flat label arrays, plus the numbers
    of out-of-range pred and target labels at non-ignored positions."""
    p = _prepare(pred).reshape(-1)
    t = _prepare(target).reshape(-1)
    kernels = _jit()
    if t.size >= _PARALLEL_MIN and _threads() > 1:
        n_chunks = 4 * _threads()
        cm, bad_p, bad_t = kernels["confusion_parallel"](p, t, num_classes, _ign(ignore), n_chunks)
    else:
        cm, bad_p, bad_t = kernels["confusion_serial"](p, t, num_classes, _ign(ignore))
    return cm, int(bad_p), int(bad_t)


def confusion_rows(
    pred: np.ndarray[Any, Any],
    target: np.ndarray[Any, Any],
    num_classes: int,
    ignore: tuple[int, ...],
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], int, int]:
    """Per-sample (tp, predicted, target) counts, each ``(N, C)``, of ``(N, K)`` label arrays."""
    p = _prepare(pred)
    t = _prepare(target)
    tp, ps, ts, bad_p, bad_t = _jit()["confusion_rows"](p, t, num_classes, _ign(ignore))
    return tp, ps, ts, int(bad_p), int(bad_t)
