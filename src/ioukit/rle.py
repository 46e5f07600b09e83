"""COCO run-length encoding (RLE) of binary masks: encode, decode, area, boxes, IoU, merge and
polygon/box rasterisation, byte-identical with pycocotools (compressed counts as ``str``).

See :mod:`ioukit.formats.rle` for the conventions and the deliberate differences from
pycocotools (validated input, 2-D IoU results, ``(N, H, W)`` C-ordered masks).
"""

from __future__ import annotations

from ioukit.formats.rle import (
    area,
    compress,
    decode,
    encode,
    from_boxes,
    from_polygons,
    iou,
    merge,
    to_bbox,
)

__all__ = [
    "area",
    "compress",
    "decode",
    "encode",
    "from_boxes",
    "from_polygons",
    "iou",
    "merge",
    "to_bbox",
]
