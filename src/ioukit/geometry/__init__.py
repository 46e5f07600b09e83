"""Geometry: IoU of boxes (axis-aligned, rotated), polygons, instance masks, COCO RLE and mask
boundaries.

Each module turns shapes into IoU matrices or aligned IoU vectors: :mod:`~.boxes` (the box IoU
family and area), :mod:`~.box_formats` (conversion, through ``xyxy``), :mod:`~.sparse_boxes`
(overlapping pairs only), :mod:`~.masks`, :mod:`~.polygons` (rotated boxes and polygons) and
:mod:`~.rle` (public as :mod:`ioukit.rle`) and :mod:`~.boundary` (boundary bands and
Boundary IoU).
"""
