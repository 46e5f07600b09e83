"""Geometry: IoU of boxes (axis-aligned, rotated), polygons, instance masks and COCO RLE.

Each module turns shapes into IoU matrices or aligned IoU vectors; format conversion goes
through ``xyxy`` (:mod:`ioukit.geometry.boxes`).
"""
