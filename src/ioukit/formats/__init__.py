"""Geometry formats: COCO run-length encoding (RLE), polygons and rotated boxes.

Box format conversion (xyxy is the hub) lives in :mod:`ioukit.core.boxes`.
"""
