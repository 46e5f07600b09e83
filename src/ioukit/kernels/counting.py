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

from ioukit.kernels import numba_threads, parallel_threads

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

    return {
        "binary_nlk": k._binary_nlk,
        "binary_nlk_serial": k._binary_nlk_serial,
        "confusion_rows": k._confusion_rows,
        "confusion_rows_serial": k._confusion_rows_serial,
        "confusion_stack": k._confusion_stack,
        "confusion_stack_serial": k._confusion_stack_serial,
        "lut_stack": k._lut_stack,
        "lut_stack_serial": k._lut_stack_serial,
        "u8_stack": k._u8_stack,
        "u8_stack_serial": k._u8_stack_serial,
    }


def _threads(size: int) -> int:
    """Threads for an input of ``size`` elements (the policy of :mod:`ioukit.kernels._threads`);
    1 means: run the serial kernel."""
    return parallel_threads(size, min_work=_PARALLEL_MIN)


def _run(name: str, threads: int, blocks: int, *args: Any) -> Any:
    """Kernel ``name`` on ``threads`` threads, its work cut into ``blocks`` pieces (the parallel
    kernels take it as their last argument), or its serial twin when ``threads`` is 1."""
    kernels = _jit()
    if threads > 1:
        with numba_threads(threads):
            return kernels[name](*args, blocks)
    return kernels[name + "_serial"](*args)


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
        return _run("binary_nlk", threads, 4 * threads, p3, t3, per_sample, ign)  # type: ignore[no-any-return]

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
    tp, ps, ts, bad_p, bad_t = _run(
        "confusion_rows", threads, 4 * threads, p, t, num_classes, _ign(ignore)
    )
    return tp, ps, ts, int(bad_p), int(bad_t)


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
    blocks = 4 * threads  # each sample cut into ceil(blocks / n) chunks, within _LOCAL_BYTES
    tables = _tables(c, ignore)
    if tables is not None and t.dtype.kind in "iub" and p.dtype.kind in "iub":
        row, col, n_bins = tables
        n_chunks = min(-(-blocks // n), _LOCAL_BYTES // (32 * n * n_bins))
        th = threads if n_chunks >= 1 else 1
        if t.dtype == p.dtype == np.uint8 and t.shape[1] % 8 == 0:
            # one table over every (target byte, prediction byte) pair
            lut = _byte_pair_table(c, ignore)
            p64, t64 = p.view(np.uint64), t.view(np.uint64)
            hist = _run("u8_stack", th, n_chunks, p64, t64, lut, n_bins)
        else:
            hist = _run("lut_stack", th, n_chunks, p, t, row, col, n_bins)
        stride = c + 1
        grid = hist[:, : c * stride].reshape(n, c, stride)
        bad_t = int(hist[:, (c + 1) * stride :].sum())
        bad_p = int(grid[:, :, c].sum())
        return np.ascontiguousarray(grid[:, :, :c]), bad_p, bad_t
    # general path: floats cast to labels upstream, negative ignore values, huge label ranges
    n_chunks = min(-(-blocks // n), _LOCAL_BYTES // (8 * n * c * c))
    th = threads if n_chunks >= 1 else 1
    cms, bad_p, bad_t = _run("confusion_stack", th, n_chunks, p, t, c, _ign(ignore))
    return cms, int(bad_p), int(bad_t)
