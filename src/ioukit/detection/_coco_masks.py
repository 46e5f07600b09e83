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


def string_slices(table: MaskTable, rows: _NDArray) -> tuple[_NDArray, _NDArray]:
    """The compressed strings of the items ``rows`` (all RLE_STRING), concatenated:
    ``(bytes, offsets (len(rows) + 1,))``."""
    lo, hi = table.soff[rows], table.soff[rows + 1]
    if rows.size == len(table) and np.array_equal(rows, np.arange(rows.size)):
        return table.strings, table.soff
    return kernels.gather_slices(table.strings, lo, hi)


def rle_boxes(table: MaskTable, rows: _NDArray) -> tuple[_NDArray | None, _NDArray]:
    """Areas (float64) and ``toBbox`` boxes (xywh float64) of the compressed RLEs ``rows``;
    ``(None, empty)`` when a string is malformed or its runs do not add up to its size (the
    general reader then says which)."""
    if not (table.kind[rows] == RLE_STRING).all():
        return None, np.zeros((0, 4))
    buf, offs = string_slices(table, rows)
    h, w = table.height[rows], table.width[rows]
    area, bbox, totals, err = kernels.string_areas_boxes(buf, offs, h)
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


def mask_strings(
    table: MaskTable, rows: _NDArray, hs: _NDArray, ws: _NDArray
) -> tuple[_NDArray, _NDArray] | None:
    """The items ``rows`` as compressed strings of their images' sizes ``hs``, ``ws``
    (polygons rasterised as ``COCO.annToRLE`` does, uncompressed counts compressed):
    ``(buf, offs)``, or None when an item needs the general path (to be reported)."""
    kind = table.kind[rows]
    parts: list[tuple[_NDArray, tuple[_NDArray, _NDArray]]] = []
    is_str = kind == RLE_STRING
    if is_str.any():
        parts.append((np.flatnonzero(is_str), string_slices(table, rows[is_str])))
    is_cnt = kind == RLE_COUNTS
    if is_cnt.any():
        r = table.ring[rows[is_cnt]]
        lo, hi = table.ring_off[r], table.ring_off[r + 1]
        runs = table.nums[spans(lo, hi)]
        roffs = np.zeros(r.size + 1, np.int64)
        np.cumsum(hi - lo, out=roffs[1:])
        strings = kernels.runs_to_strings(runs.astype(np.int64), roffs)
        parts.append((np.flatnonzero(is_cnt), strings))
    is_poly = kind == POLYGONS
    if is_poly.any():
        sel = rows[is_poly]
        if (hs[is_poly] < 0).any() or not rings_ok(table, sel):
            return None
        strings = kernels.polygon_item_strings(
            table.nums, table.ring_off, table.ring[sel], table.n_rings[sel], hs[is_poly],
            ws[is_poly],
        )  # fmt: skip
        parts.append((np.flatnonzero(is_poly), strings))
    if (kind == NO_MASK).any():
        return None
    if len(parts) == 1:  # one kind: already in row order
        return parts[0][1]
    lengths = np.zeros(rows.size, np.int64)
    for where, (_, offs) in parts:
        lengths[where] = np.diff(offs)
    offs = np.zeros(rows.size + 1, np.int64)
    np.cumsum(lengths, out=offs[1:])
    buf = np.empty(int(offs[-1]), np.uint8)
    for where, (pbuf, _poffs) in parts:
        buf[spans(offs[where], offs[where + 1])] = pbuf
    return buf, offs
