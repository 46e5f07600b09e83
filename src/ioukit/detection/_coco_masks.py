"""Masks of a COCO evaluation in columns: compressed strings indexed into intervals of ones in
one kernel call, without an RLE dict per annotation (:mod:`ioukit.kernels.rle`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ioukit.detection._coco_fast import NO_MASK, POLYGONS, RLE_COUNTS, RLE_STRING, MaskTable
from ioukit.geometry._rle_parse import MAX_COORD
from ioukit.geometry.rle import float_boxes
from ioukit.kernels import rle as kernels

_NDArray = np.ndarray[Any, Any]


def spans(lo: _NDArray, hi: _NDArray) -> _NDArray:
    """The indices ``lo[0]:hi[0]``, then ``lo[1]:hi[1]``, ... in one array."""
    n = hi - lo
    return np.repeat(lo - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))


def string_bounds(table: MaskTable, rows: _NDArray) -> tuple[_NDArray, _NDArray]:
    """Where the compressed strings of the items ``rows`` (all RLE_STRING) lie in
    ``table.strings``: ``(lo, hi)``."""
    return table.soff[rows], table.soff[rows + 1]


def rle_boxes(table: MaskTable, rows: _NDArray) -> tuple[_NDArray | None, _NDArray]:
    """Areas (float64) and ``toBbox`` boxes (xywh float64) of the compressed RLEs ``rows``;
    ``(None, empty)`` when a string is malformed or its runs do not add up to its size (the
    general reader then says which)."""
    if not (table.kind[rows] == RLE_STRING).all():
        return None, np.zeros((0, 4))
    h, w = table.height[rows], table.width[rows]
    area, bbox, totals, err = kernels.string_areas_boxes(
        table.strings, *string_bounds(table, rows), h
    )
    if err.any() or (totals != h * w).any():
        return None, np.zeros((0, 4))
    return area.astype(np.float64), float_boxes(bbox)


def rings_ok(table: MaskTable, rows: _NDArray) -> bool:
    """Every ring of the polygon items ``rows``: an even number (>= 6) of finite coordinates
    of magnitude at most ``MAX_COORD`` (else the general reader says which is wrong)."""
    if rows.size == 0:
        return True
    first, count = table.ring[rows], table.n_rings[rows]
    rings = spans(first, first + count)
    lo, hi = table.ring_off[rings], table.ring_off[rings + 1]
    if not ((hi - lo >= 6) & ((hi - lo) % 2 == 0)).all():
        return False
    vals = table.nums[spans(lo, hi)]
    return bool(np.isfinite(vals).all()) and bool((np.abs(vals) <= MAX_COORD).all())


Index = tuple[_NDArray, _NDArray, _NDArray, _NDArray, _NDArray, _NDArray]


def index_of_strings(
    buf: _NDArray, lo: _NDArray, hi: _NDArray, hs: _NDArray, ws: _NDArray
) -> Index | None:
    """The index ``(starts, ends, ioffs, icount, area, bbox)`` of the compressed strings
    ``buf[lo[i]:hi[i]]`` of sizes ``hs``, ``ws``, or None when one is malformed or its runs do
    not add up to ``h * w``."""
    *index, totals, err = kernels.index_string_slices(buf, lo, hi, hs)
    if err.any() or (totals != hs * ws).any():
        return None
    return tuple(index)  # type: ignore[return-value]


def concat_indexes(parts: list[Index]) -> Index:
    """One index of the items of ``parts``, in order (the intervals stay where they are; only
    the offsets move)."""
    if len(parts) == 1:
        return parts[0]
    base = np.cumsum([0] + [p[0].size for p in parts])
    ioffs = np.concatenate([p[2][: p[3].size] + b for p, b in zip(parts, base, strict=False)])
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.append(ioffs, base[-1]),
        np.concatenate([p[3] for p in parts]),
        np.concatenate([p[4] for p in parts]),
        np.concatenate([p[5] for p in parts]),
    )


def mask_index(table: MaskTable, rows: _NDArray, hs: _NDArray, ws: _NDArray) -> Index | None:
    """The index of the items ``rows`` in images of sizes ``hs``, ``ws``: compressed strings
    indexed as they are, uncompressed counts compressed first, polygons rasterised as
    ``COCO.annToRLE`` does straight into intervals. None when an item needs the general path
    (to be reported)."""
    kind = table.kind[rows]
    if (kind == NO_MASK).any():
        return None
    if rows.size == 0:
        none = np.zeros(0, np.int64)
        return none, none, np.zeros(1, np.int64), none, none, np.zeros((0, 4), np.int64)
    parts: list[tuple[_NDArray, Index]] = []
    for code in (RLE_STRING, RLE_COUNTS, POLYGONS):
        where = np.flatnonzero(kind == code)
        if where.size == 0:
            continue
        sel, h, w = rows[where], hs[where], ws[where]
        if code == POLYGONS:
            if (h < 0).any() or not rings_ok(table, sel):
                return None
            index: Index | None = kernels.polygon_index(
                table.nums, table.ring_off, table.ring[sel], table.n_rings[sel], h, w
            )
        else:
            if code == RLE_STRING:
                index = index_of_strings(table.strings, *string_bounds(table, sel), h, w)
            else:
                r = table.ring[sel]
                lo, hi = table.ring_off[r], table.ring_off[r + 1]
                roffs = np.zeros(r.size + 1, np.int64)
                np.cumsum(hi - lo, out=roffs[1:])
                runs = table.nums[spans(lo, hi)].astype(np.int64)
                buf, offs = kernels.runs_to_strings(runs, roffs)
                index = index_of_strings(buf, offs[:-1], offs[1:], h, w)
        if index is None:
            return None
        parts.append((where, index))
    merged = concat_indexes([p[1] for p in parts])
    if len(parts) == 1:
        return merged
    # the items in row order: permute the per-item columns (the intervals do not move)
    order = np.argsort(np.concatenate([p[0] for p in parts]), kind="stable")
    return (merged[0], merged[1], np.append(merged[2][:-1][order], merged[2][-1]),
            merged[3][order], merged[4][order], merged[5][order])  # fmt: skip
