"""Fused single-pass counting kernels for NumPy arrays on the CPU (numba).

Each kernel reads the two label arrays once, skips ignored target values in the same pass and
counts out-of-range values instead of failing, so the caller can build a precise error message
only when something is wrong. No temporary the size of the input is created.

numba is imported when a kernel first runs, never at ``import ioukit``; compiled code is cached
on disk (``cache=True``).
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

import numpy as np

from ioukit.kernels import parallel_threads
from ioukit.kernels._threads import run_chunks

__all__ = ["binary_rows", "confusion", "confusion_rows", "confusion_stack"]

# Below this many elements the threaded kernels cost more than they save (see _threads).
_PARALLEL_MIN = 1 << 20
# Row length used to split single-label data between threads.
_ROW = 1 << 14
# Most memory the threaded confusion kernel may spend on per-thread matrices.
_LOCAL_BYTES = 64 << 20


@cache
def _jit() -> Any:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_counting as k

    return k


def _threads(size: int) -> int:
    """Threads for an input of ``size`` elements (the policy of :mod:`ioukit.kernels._threads`);
    1 means: one call of the kernel on all its tasks, on the calling thread."""
    return parallel_threads(size, min_work=_PARALLEL_MIN)


def _run(name: str, threads: int, n_tasks: int, *args: Any) -> list[Any]:
    """Kernel ``name`` of :mod:`ioukit.kernels._numba_counting` over tasks ``0 .. n_tasks - 1``
    on ``threads`` threads (1: one call on all of them, on the calling thread); returns what
    the calls returned (:func:`ioukit.kernels._threads.run_chunks`)."""
    return run_chunks(getattr(_jit(), name), n_tasks, threads, *args, pieces=threads)


def _bads(results: list[tuple[int, int]]) -> tuple[int, int]:
    """Sums of the (bad pred, bad target) numbers the task ranges returned."""
    return sum(int(r[0]) for r in results), sum(int(r[1]) for r in results)


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
    ign = _ign(ignore)

    def run(p3: Any, t3: Any, threads: int) -> tuple[Any, int, int]:
        n_samples, labels = t3.shape[0], t3.shape[1]
        blocks = max(1, min(4 * threads, n_samples)) if threads > 1 else 1
        local = np.zeros((n_samples if per_sample else blocks, 4, labels), dtype=np.int64)
        bp, bt = _bads(
            _run("_binary_tasks", threads, blocks, p3, t3, ign, blocks, per_sample, local)
        )
        return (local if per_sample else local.sum(axis=0, keepdims=True)), bp, bt

    threads = _threads(t.size)
    if per_sample or n_labels > 1:
        shape = (t.shape[0], n_labels, t.size // (t.shape[0] * n_labels))
        out, bad_p, bad_t = run(p.reshape(shape), t.reshape(shape), threads)
    else:
        # one label over the whole array: any split of the flat data is valid, so cut it into
        # rows of _ROW elements for the threads, plus a remainder row
        flat_p, flat_t = p.reshape(-1), t.reshape(-1)
        main = t.size - t.size % _ROW
        out = np.zeros((1, 4, 1), dtype=np.int64)
        bad_p = bad_t = 0
        for lo, hi, rows, th in ((0, main, main // _ROW, threads), (main, t.size, 1, 1)):
            if hi > lo:
                shape3 = (rows, 1, (hi - lo) // rows)
                o, bp, bt = run(flat_p[lo:hi].reshape(shape3), flat_t[lo:hi].reshape(shape3), th)
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
    # one label map is a stack of one: the same kernels, threaded within the map when it is large
    cms, bad_p, bad_t = confusion_stack(
        np.reshape(pred, (1, -1)), np.reshape(target, (1, -1)), num_classes, ignore
    )
    return cms[0], bad_p, bad_t


def confusion_rows(
    pred: np.ndarray[Any, Any],
    target: np.ndarray[Any, Any],
    num_classes: int,
    ignore: tuple[int, ...],
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], int, int]:
    """Per-sample (tp, predicted, target) counts, each ``(N, C)``, of ``(N, K)`` label arrays."""
    p = _prepare(pred)
    t = _prepare(target)
    threads = _threads(t.size)
    n = t.shape[0]
    blocks = max(1, min(4 * threads, n)) if threads > 1 else 1
    tp, ps, ts = (np.zeros((n, num_classes), dtype=np.int64) for _ in range(3))
    ign = _ign(ignore)
    results = _run(
        "_confusion_rows_tasks", threads, blocks, p, t, num_classes, ign, blocks, tp, ps, ts
    )
    bad_p, bad_t = _bads(results)
    return tp, ps, ts, bad_p, bad_t


@lru_cache(maxsize=32)
def _tables(
    num_classes: int, ignore: tuple[int, ...]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], int] | None:
    """Lookup tables of the table-driven kernel, or None when it does not apply (negative
    ignore values). Bins: ``t * (C + 1) + p`` for valid labels, column ``C`` of a row for an
    out-of-range prediction, then a block for ignored targets and one for out-of-range ones.
    Cached per configuration (an evaluator calls this once per image); never written to."""
    if any(v < 0 for v in ignore):
        return None
    c = num_classes
    size = max([c, *(v + 1 for v in ignore)]) + 1  # the last entry: "anything else"
    if size > 1 << 16:
        return None
    stride = c + 1
    ignored_block, bad_block = c * stride, (c + 1) * stride
    row = np.full(size, bad_block, dtype=np.int64)
    row[:c] = np.arange(c) * stride
    for v in ignore:
        row[v] = ignored_block
    col = np.full(size, c, dtype=np.int64)
    col[:c] = np.arange(c)
    return row, col, (c + 2) * stride


@lru_cache(maxsize=32)
def _byte_pair_table(num_classes: int, ignore: tuple[int, ...]) -> np.ndarray[Any, Any]:
    """The bin of every (target byte, prediction byte) pair, ``(256 * 256,)`` uint32, for uint8
    label maps (built from :func:`_tables`, which applies). Cached: 65,536 entries cost more
    to build than counting a small image."""
    tables = _tables(num_classes, ignore)
    assert tables is not None  # callers check _tables first
    row, col, _ = tables
    byte = np.minimum(np.arange(256), row.size - 1)
    lut: np.ndarray[Any, Any] = (row[byte][:, None] + col[byte][None, :]).reshape(-1)
    return lut.astype(np.uint32)


def _chunks(n: int, threads: int, task_bytes: int) -> tuple[int, int]:
    """(pieces per sample, threads) for ``n`` samples on ``threads`` threads, where each piece
    has a buffer of ``task_bytes``: one piece on one thread for a serial run; else each sample
    cut into ``ceil(4 * threads / n)`` pieces, within ``_LOCAL_BYTES``, and one thread when even
    one piece per sample would not fit."""
    if threads <= 1:
        return 1, 1
    n_chunks = min(-(-4 * threads // n), _LOCAL_BYTES // (task_bytes * n))
    return (n_chunks, threads) if n_chunks >= 1 else (1, 1)


def confusion_stack(
    pred: np.ndarray[Any, Any],
    target: np.ndarray[Any, Any],
    num_classes: int,
    ignore: tuple[int, ...],
) -> tuple[np.ndarray[Any, Any], int, int]:
    """One ``(C, C)`` confusion matrix per sample of ``(N, K)`` label arrays: ``(N, C, C)``,
    plus the numbers of out-of-range pred and target labels at non-ignored positions."""
    p = _prepare(pred)
    t = _prepare(target)
    n = t.shape[0]
    c = num_classes
    threads = _threads(t.size)
    tables = _tables(c, ignore)
    if tables is not None and t.dtype.kind in "iub" and p.dtype.kind in "iub":
        row, col, n_bins = tables
        n_chunks, th = _chunks(n, threads, 32 * n_bins)
        k = t.shape[1]
        if t.dtype == p.dtype == np.uint8 and (k % 8 == 0 or n == 1):
            # one table over every (target byte, prediction byte) pair; one label map of any
            # length too (the words of its first k - k % 8 bytes, and its tail here): the
            # kernel that real label maps take is the one a tiny first call compiles
            lut = _byte_pair_table(c, ignore)
            main = k - k % 8
            p64, t64 = p[:, :main].view(np.uint64), t[:, :main].view(np.uint64)
            parts = _run("_u8_tasks", th, n * n_chunks, p64, t64, lut, n_bins, n_chunks)
            tail = lut[(t[0, main:].astype(np.intp) << 8) | p[0, main:]]
            parts[0][0, 0] += np.bincount(tail, minlength=n_bins)
        else:
            parts = _run("_lut_tasks", th, n * n_chunks, p, t, row, col, n_bins, n_chunks)
        local = parts[0] if len(parts) == 1 else np.concatenate(parts)
        hist = local.reshape(n, n_chunks * 4, n_bins).sum(axis=1)
        stride = c + 1
        grid = hist[:, : c * stride].reshape(n, c, stride)
        bad_t = int(hist[:, (c + 1) * stride :].sum())
        bad_p = int(grid[:, :, c].sum())
        return np.ascontiguousarray(grid[:, :, :c]), bad_p, bad_t
    # general path: floats cast to labels upstream, negative ignore values, huge label ranges
    n_chunks, th = _chunks(n, threads, 8 * c * c)
    results = _run("_confusion_tasks", th, n * n_chunks, p, t, c, _ign(ignore), n_chunks)
    bad_p, bad_t = _bads([r[1:] for r in results])
    local = np.concatenate([r[0] for r in results])
    cms = local if n_chunks == 1 else local.reshape(n, n_chunks, c, c).sum(axis=1)
    return cms, bad_p, bad_t
