"""Axis-aligned box kernels on the CPU (numba): the dense IoU family and sparse box IoU.

The dense functions take boxes already validated and prepared by :mod:`ioukit.geometry._box_iou`
(float64 ``xyxy`` columns, the pixel convention applied, invalid boxes masked) and write each
score straight into the caller's output array of the final dtype. :func:`sparse_pairs` finds
the overlapping pairs of two sets of boxes through a multi-level uniform grid (see
:mod:`ioukit.kernels._numba_boxes`).

numba is imported when a kernel first runs, never at ``import ioukit``; compiled code is cached
on disk (``cache=True``).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np

from ioukit.kernels import parallel_threads
from ioukit.kernels._threads import run_chunks

__all__ = ["aligned", "pairwise", "sparse_pairs"]

_NDArray = np.ndarray[Any, Any]
#: The four ``x1, y1, x2, y2`` columns of a set of boxes (NumPy arrays that broadcast).
Columns = tuple[Any, Any, Any, Any]

_KIND_CODE = {"iou": 0, "giou": 1, "diou": 2, "ciou": 3}
#: Below this many box pairs (dense) or query boxes (sparse) the kernels run on one thread.
_PARALLEL_PAIRS = 1 << 18
_PARALLEL_QUERIES = 1 << 12


@cache
def _jit() -> Any:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_boxes

    return _numba_boxes


def _columns(
    cols: Columns, lead: tuple[int, ...], n: int, kind: str
) -> tuple[_NDArray, _NDArray, _NDArray]:
    """(4, B, n) float64 columns, their areas and (for CIoU) aspect angles, B = prod(lead)."""
    stacked = np.stack([np.broadcast_to(np.asarray(c), (*lead, n)) for c in cols])
    c = np.ascontiguousarray(stacked.reshape(4, -1, n))
    with np.errstate(over="ignore", invalid="ignore"):  # coordinates near the float64 limit
        w, h = c[2] - c[0], c[3] - c[1]
        area = w * h
        # the same elementwise operations as the Array API path (ioukit.geometry._box_iou.score),
        # so both paths give the same numbers
        at = np.arctan2(w, h) if kind == "ciou" else area
    return c, area, at


def _mask(mask: Any, lead: tuple[int, ...], n: int) -> _NDArray:
    if mask is None:
        return np.zeros((math.prod(lead), n), dtype=np.bool_)
    return np.ascontiguousarray(np.broadcast_to(np.asarray(mask), (*lead, n)).reshape(-1, n))


def pairwise(
    kind: str,
    a: Columns,
    invalid_a: _NDArray | None,
    b: Columns,
    invalid_b: _NDArray | None,
    fill: float,
    out: _NDArray,
) -> None:
    """Write the score ``kind`` ("iou", "giou", "diou", "ciou") of every box of ``a`` against
    every box of ``b`` into ``out``, C-contiguous ``(*lead, n, m)``.

    ``a`` and ``b`` are coordinate columns that broadcast to ``(*lead, n)`` and ``(*lead, m)``;
    ``invalid_a`` / ``invalid_b`` mark boxes whose row / column get ``fill`` (``None``: none).
    """
    *lead_list, n, m = out.shape
    lead = tuple(lead_list)
    ca, area_a, at_a = _columns(a, lead, n, kind)
    cb, area_b, at_b = _columns(b, lead, m, kind)
    run_chunks(
        _jit().PAIRWISE[_KIND_CODE[kind]],
        math.prod(lead) * n,
        parallel_threads(out.size, min_work=_PARALLEL_PAIRS),
        ca,
        area_a,
        at_a,
        _mask(invalid_a, lead, n),
        cb,
        area_b,
        at_b,
        _mask(invalid_b, lead, m),
        invalid_b is not None,
        fill,
        out.reshape(-1, m),
    )


def _flat(cols: Columns) -> Columns:
    c1, c2, c3, c4 = (np.asarray(c).reshape(-1) for c in cols)
    return c1, c2, c3, c4


def aligned(
    kind: str,
    a: Columns,
    invalid_a: _NDArray | None,
    b: Columns,
    invalid_b: _NDArray | None,
    fill: float,
    out: _NDArray,
) -> None:
    """Write the score ``kind`` of each pair ``(a[..., i], b[..., i])`` into ``out``, whose
    shape is that of the columns; pairs with an invalid box get ``fill``."""
    k = out.size
    ca, area_a, at_a = _columns(_flat(a), (), k, kind)
    cb, area_b, at_b = _columns(_flat(b), (), k, kind)
    bad = np.zeros(k, dtype=np.bool_)
    for mk in (invalid_a, invalid_b):
        if mk is not None:
            bad |= np.asarray(mk).reshape(-1)
    run_chunks(
        _jit().ALIGNED[_KIND_CODE[kind]],
        k,
        parallel_threads(k, min_work=_PARALLEL_PAIRS),
        ca.reshape(4, k),
        area_a.reshape(k),
        at_a.reshape(k),
        cb.reshape(4, k),
        area_b.reshape(k),
        at_b.reshape(k),
        bad,
        fill,
        out.reshape(k),
    )


# ----------------------------------------------------------------------------- sparse


def _levels(extent: float, s0: float, finite: bool) -> tuple[_NDArray, ...]:
    """Levels along one axis, cells ``s0 * 2**l`` wide: (1 / cell size, cell count, cell size).

    The last level is the first whose cell spans the whole extent (one or two cells).
    """
    if not finite or extent <= 0:
        return np.array([0.0]), np.array([1], dtype=np.int64), np.array([math.inf])
    top = max(0, math.ceil(math.log2(extent / s0)))  # first level whose cell spans the extent
    size = s0 * np.exp2(np.arange(top + 1, dtype=np.float64))
    g = np.floor(extent / size).astype(np.int64) + 1
    return 1.0 / size, g, size


def _coarse_cells(v: _NDArray, origin: float, inv: float, g: int) -> _NDArray:
    """The cell ``0..g - 1`` (``g <= 256``) of each finite coordinate ``v`` in a grid of ``g``
    cells of width ``1 / inv`` from ``origin``, clamped, as uint16."""
    t = v - origin
    t *= inv
    np.clip(t, 0, g - 1, out=t)
    return t.astype(np.uint16)


@np.errstate(over="ignore", invalid="ignore", divide="ignore")  # extents may overflow: handled
def sparse_pairs(
    a: _NDArray,
    area_a: _NDArray,
    ok_a: _NDArray,
    b: _NDArray,
    area_b: _NDArray,
    ok_b: _NDArray,
    self_pairs: bool,
    min_iou: float,
) -> tuple[_NDArray, _NDArray, _NDArray]:
    """The pairs ``(i, j, iou)`` of boxes ``a`` (4, N) and ``b`` (4, M), float64 ``xyxy``
    columns with their areas, whose IoU is ``> 0`` (``min_iou == 0``) or ``>= min_iou``,
    sorted by ``(i, j)``. Only boxes flagged in ``ok_a`` / ``ok_b`` (valid, positive area) can
    pair; with ``self_pairs`` (``b`` is ``a``) only pairs with ``i < j`` are kept.

    ``b`` is put in a grid that ``a`` queries; see :mod:`ioukit.kernels._numba_boxes`.
    """
    t = int(ok_b.sum())
    if t == 0 or not ok_a.any():
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), np.empty(0, dtype=np.float64)
    x0, y0 = float(b[0][ok_b].min()), float(b[1][ok_b].min())
    x1, y1 = float(b[2][ok_b].max()), float(b[3][ok_b].max())
    ex, ey = x1 - x0, y1 - y0
    finite = math.isfinite(ex) and math.isfinite(ey)
    # finest cells: about one per box of `b`, and at most t + 1 along either axis
    s0 = max(math.sqrt(ex) * math.sqrt(ey / t), max(ex, ey) / t) if finite else math.inf
    # subnormal extents: one cell (still exact, only slower)
    finite = finite and s0 > 0 and math.isfinite(1 / s0) and math.isfinite(max(ex, ey) / s0)
    inv_xl, gxl, sxl = _levels(ex, s0, finite)
    inv_yl, gyl, syl = _levels(ey, s0, finite)
    # each box of `b` goes to the level whose cells are as wide and as high as it is
    w, h = b[2] - b[0], b[3] - b[1]
    ny = len(gyl)
    key = np.clip(np.searchsorted(sxl, w), 0, len(gxl) - 1) * ny
    key += np.clip(np.searchsorted(syl, h), 0, ny - 1)
    key[~ok_b] = 0
    used = np.bincount(key[ok_b], minlength=len(gxl) * ny) > 0
    keys = np.flatnonzero(used)
    lut = np.cumsum(used) - 1
    level = lut[key]
    kx, ky = keys // ny, keys % ny
    gx, gy = gxl[kx], gyl[ky]
    inv_x, inv_y = inv_xl[kx], inv_yl[ky]
    cells = gx * gy
    cell_off = np.concatenate([[0], np.cumsum(cells)[:-1]])
    maxw = np.zeros(len(keys))
    maxh = np.zeros(len(keys))
    np.maximum.at(maxw, level[ok_b], w[ok_b])
    np.maximum.at(maxh, level[ok_b], h[ok_b])
    origin = np.ones(len(keys))
    columns = [origin * x0, origin * y0, inv_x, inv_y, gx, gy, cell_off, maxw, maxh]
    grid = np.stack(columns, axis=1).astype(np.float64)
    k = _jit()
    starts, entries, eb = k.grid_build(
        b, area_b, level, ok_b, x0, y0, inv_x, inv_y, gx, gy, cell_off, int(cells.sum())
    )
    # boxes of `a` outside the extent of `b` overlap nothing
    ok_a = ok_a & (a[2] > x0) & (a[0] < x1) & (a[3] > y0) & (a[1] < y1)
    # query in the order of a coarse grid (about one cell per query box, at most 256 x 256:
    # 16-bit keys, which NumPy's stable sort orders by a radix sort), so that the boxes handled
    # one after the other read the same cells; the order changes nothing but the speed
    every = bool(ok_a.all())
    order = np.arange(a.shape[1]) if every else np.flatnonzero(ok_a)
    g = int(min(256, max(1, math.isqrt(order.size))))
    inv = g / max(ex, ey) if finite else 0.0
    if g > 1 and 0 < inv < math.inf:
        ax, ay = (a[0], a[1]) if every else (a[0, order], a[1, order])
        key = _coarse_cells(ay, y0, inv, g)
        key *= g
        key += _coarse_cells(ax, x0, inv, g)
        order = order[np.argsort(key, kind="stable")]
    args = (a, area_a, order, self_pairs, min_iou, grid, starts, entries, eb)
    threads = parallel_threads(order.shape[0], min_work=_PARALLEL_QUERIES)
    counts = np.zeros(a.shape[1] + 1, dtype=np.int64)
    none_j, none_v = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    run_chunks(k.sparse_rows, order.shape[0], threads, *args, counts, none_j, none_j, none_v, False)
    offsets = np.cumsum(counts)
    total = int(offsets[-1])
    i = np.empty(total, dtype=np.int64)
    j = np.empty(total, dtype=np.int64)
    v = np.empty(total, dtype=np.float64)
    run_chunks(k.sparse_rows, order.shape[0], threads, *args, offsets, i, j, v, True)
    return i, j, v
