"""Masks of a COCO evaluation in columns: compressed strings indexed into intervals of ones in
one kernel call, without an RLE dict per annotation (:mod:`ioukit.kernels.rle`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ioukit.detection._coco_fast import RLE_STRING, MaskTable
from ioukit.geometry.rle import float_boxes
from ioukit.kernels import rle as kernels

_NDArray = np.ndarray[Any, Any]


def string_slices(table: MaskTable, rows: _NDArray) -> tuple[_NDArray, _NDArray]:
    """The compressed strings of the items ``rows`` (all RLE_STRING), concatenated:
    ``(bytes, offsets (len(rows) + 1,))``."""
    lo, hi = table.soff[rows], table.soff[rows + 1]
    offs = np.zeros(rows.size + 1, np.int64)
    np.cumsum(hi - lo, out=offs[1:])
    if rows.size == len(table) and (np.diff(table.soff) == hi - lo).all():
        return table.strings, offs
    idx = np.repeat(lo - offs[:-1], hi - lo) + np.arange(int(offs[-1]))
    return table.strings[idx], offs


def rle_boxes(table: MaskTable, rows: _NDArray) -> tuple[_NDArray | None, _NDArray]:
    """Areas (float64) and ``toBbox`` boxes (xywh float64) of the compressed RLEs ``rows``;
    ``(None, empty)`` when a string is malformed or its runs do not add up to its size (the
    general reader then says which)."""
    if not (table.kind[rows] == RLE_STRING).all():
        return None, np.zeros((0, 4))
    buf, offs = string_slices(table, rows)
    h, w = table.height[rows], table.width[rows]
    *_, area, bbox, totals, err = kernels.index_strings(buf, offs, h)
    if err.any() or (totals != h * w).any():
        return None, np.zeros((0, 4))
    return area.astype(np.float64), float_boxes(bbox)
