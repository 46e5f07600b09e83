"""Fused single-pass counting kernels for NumPy arrays on the CPU (numba).

Each kernel reads the two label arrays once, skips ignored target values in the same pass and
counts out-of-range values instead of failing, so the caller can build a precise error message
only when something is wrong. No temporary the size of the input is created.

numba is imported when a kernel first runs, never at ``import ioukit``; compiled code is cached
on disk (``cache=True``).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import numpy as np

__all__ = ["binary_rows", "confusion", "confusion_rows"]

# Below this many elements the threaded kernel costs more than it saves.
_PARALLEL_MIN = 1 << 20


@cache
def _jit() -> Any:
    import numba as nb

    @nb.njit(cache=True, nogil=True)
    def _ignored(t: Any, ign: Any) -> bool:  # pragma: no cover - compiled
        for v in ign:
            if t == v:
                return True
        return False

    @nb.njit(cache=True, nogil=True)
    def _binary_rows(p, t, n_labels, per_sample, ign):  # type: ignore[no-untyped-def]  # pragma: no cover
        # p, t: (R, K) with R = N * L rows of K elements. out[row_out, l, :] = tp, pred, target, valid
        rows, k = t.shape
        n_out = rows // n_labels if per_sample else 1
        out = np.zeros((n_out, n_labels, 4), dtype=np.int64)
        bad_p = 0
        bad_t = 0
        for r in range(rows):
            n = r // n_labels if per_sample else 0
            lab = r % n_labels
            tp = 0
            ps = 0
            ts = 0
            nv = 0
            for i in range(k):
                tv = t[r, i]
                if _ignored(tv, ign):
                    continue
                pv = p[r, i]
                if tv == 1:
                    ts += 1
                elif tv != 0:
                    bad_t += 1
                if pv == 1:
                    ps += 1
                    if tv == 1:
                        tp += 1
                elif pv != 0:
                    bad_p += 1
                nv += 1
            out[n, lab, 0] += tp
            out[n, lab, 1] += ps
            out[n, lab, 2] += ts
            out[n, lab, 3] += nv
        return out, bad_p, bad_t

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
        "binary_rows": _binary_rows,
        "confusion_parallel": _confusion_parallel,
        "confusion_serial": _confusion_serial,
        "confusion_rows": _confusion_rows,
    }


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
) -> tuple[np.ndarray[Any, Any], int, int]:
    """Binary counts of ``(N, L, K)``-shaped data given as ``(N*L, K)`` arrays.

    Returns ``out`` of shape ``(N or 1, L, 4)`` holding (tp, predicted positives, target
    positives, valid elements), and the numbers of non-{0, 1} values in pred and target.
    """
    p = _prepare(pred)
    t = _prepare(target)
    out, bad_p, bad_t = _jit()["binary_rows"](p, t, n_labels, per_sample, _ign(ignore))
    return out, int(bad_p), int(bad_t)


def confusion(
    pred: np.ndarray[Any, Any], target: np.ndarray[Any, Any], num_classes: int, ignore: tuple[int, ...]
) -> tuple[np.ndarray[Any, Any], int, int]:
    """``(C, C)`` int64 confusion matrix (rows = target) of flat label arrays, plus the numbers
    of out-of-range pred and target labels at non-ignored positions."""
    p = _prepare(pred).reshape(-1)
    t = _prepare(target).reshape(-1)
    kernels = _jit()
    if t.size >= _PARALLEL_MIN and (os.cpu_count() or 1) > 1:
        import numba

        n_chunks = 4 * numba.get_num_threads()
        cm, bad_p, bad_t = kernels["confusion_parallel"](p, t, num_classes, _ign(ignore), n_chunks)
    else:
        cm, bad_p, bad_t = kernels["confusion_serial"](p, t, num_classes, _ign(ignore))
    return cm, int(bad_p), int(bad_t)


def confusion_rows(
    pred: np.ndarray[Any, Any], target: np.ndarray[Any, Any], num_classes: int, ignore: tuple[int, ...]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], int, int]:
    """Per-sample (tp, predicted, target) counts, each ``(N, C)``, of ``(N, K)`` label arrays."""
    p = _prepare(pred)
    t = _prepare(target)
    tp, ps, ts, bad_p, bad_t = _jit()["confusion_rows"](p, t, num_classes, _ign(ignore))
    return tp, ps, ts, int(bad_p), int(bad_t)
