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
# Most memory the threaded confusion kernel may spend on per-thread matrices.
_LOCAL_BYTES = 64 << 20


@cache
def _jit() -> Any:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_counting as k

    return {
        "binary_nlk": k._binary_nlk,
        "binary_nlk_serial": k._binary_nlk_serial,
        "confusion_parallel": k._confusion_parallel,
        "confusion_serial": k._confusion_serial,
        "confusion_rows": k._confusion_rows,
        "confusion_rows_serial": k._confusion_rows_serial,
    }


def _threads() -> int:
    import numba

    return int(numba.get_num_threads())


def _blocks(size: int) -> int:
    """Number of work blocks for an input of ``size`` elements; 1 means: run serially."""
    threads = _threads()
    return 4 * threads if size >= _PARALLEL_MIN and threads > 1 else 1


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
    kernels = _jit()
    ign = _ign(ignore)

    def run(p3: Any, t3: Any, blocks: int) -> tuple[Any, int, int]:
        if blocks > 1:
            return kernels["binary_nlk"](p3, t3, per_sample, ign, blocks)  # type: ignore[no-any-return]
        return kernels["binary_nlk_serial"](p3, t3, per_sample, ign)  # type: ignore[no-any-return]

    n_blocks = _blocks(t.size)
    if per_sample or n_labels > 1:
        shape = (t.shape[0], n_labels, t.size // (t.shape[0] * n_labels))
        out, bad_p, bad_t = run(p.reshape(shape), t.reshape(shape), n_blocks)
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
                o, bp, bt = run(
                    flat_p[lo:hi].reshape(shape3), flat_t[lo:hi].reshape(shape3), blocks
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
    # one C x C matrix per block: cap their memory (many classes → fewer blocks)
    n_chunks = min(_blocks(t.size), _LOCAL_BYTES // (8 * num_classes * num_classes))
    if n_chunks > 1:
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
    kernels = _jit()
    n_blocks = _blocks(t.size)
    if n_blocks > 1:
        tp, ps, ts, bad_p, bad_t = kernels["confusion_rows"](
            p, t, num_classes, _ign(ignore), n_blocks
        )
    else:
        tp, ps, ts, bad_p, bad_t = kernels["confusion_rows_serial"](p, t, num_classes, _ign(ignore))
    return tp, ps, ts, int(bad_p), int(bad_t)
