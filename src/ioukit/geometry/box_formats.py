"""Box formats: conversion between ``xyxy`` (the hub), ``xywh`` and ``cxcywh``.

Every IoU function of :mod:`ioukit.geometry.boxes` takes ``xyxy`` boxes (``x1, y1, x2, y2``);
:func:`box_convert` turns boxes of the other formats into it and back, going through ``xyxy``.
Works on any Array API library; results stay in the input's library and on its device.
"""

from __future__ import annotations

from ioukit._xp import Array, float_dtype, namespace
from ioukit.core._checks import check_choice
from ioukit.geometry._box_checks import check_shape, columns

__all__ = ["box_convert"]

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


def box_convert(boxes: Array, *, in_fmt: str, out_fmt: str) -> Array:
    """Convert boxes between the ``"xyxy"``, ``"xywh"`` and ``"cxcywh"`` formats.

    Parameters
    ----------
    boxes : array of shape (..., 4)
        ``xyxy``: corners ``(x1, y1, x2, y2)``; ``xywh``: top-left corner, width, height
        (COCO); ``cxcywh``: centre, width, height (DETR, YOLO).
    in_fmt, out_fmt : {"xyxy", "xywh", "cxcywh"}
        Formats of ``boxes`` and of the result (keyword-only). Conversion goes through
        ``xyxy``.

    Returns
    -------
    array of shape (..., 4)
        Integer and half-precision inputs are converted in float64 (no wrap-around of
        ``x + w``); float32 and float64 keep their dtype. No validation of the values is done.

    Examples
    --------
    A box from x 10 to 30 and y 20 to 60 has its centre at (20, 40) and is 20 × 40:

    >>> import numpy as np
    >>> box_convert(np.array([[10.0, 20.0, 30.0, 60.0]]), in_fmt="xyxy", out_fmt="cxcywh")
    array([[20., 40., 20., 40.]])
    """
    func = "box_convert"
    check_choice(func, "in_fmt", in_fmt, BOX_FORMATS)
    check_choice(func, "out_fmt", out_fmt, BOX_FORMATS)
    xp, (b,) = namespace(boxes, func=func)
    check_shape(func, xp, b, "boxes", 1)
    if b.dtype not in (xp.float32, xp.float64):
        b = xp.astype(b, float_dtype(xp, b))
    c0, c1, c2, c3 = columns(b)
    if in_fmt == "xywh":
        c2, c3 = c0 + c2, c1 + c3
    elif in_fmt == "cxcywh":
        c0, c1, c2, c3 = c0 - c2 / 2, c1 - c3 / 2, c0 + c2 / 2, c1 + c3 / 2
    # now xyxy
    if out_fmt == "xywh":
        c2, c3 = c2 - c0, c3 - c1
    elif out_fmt == "cxcywh":
        c0, c1, c2, c3 = (c0 + c2) / 2, (c1 + c3) / 2, c2 - c0, c3 - c1
    return xp.stack([c0, c1, c2, c3], axis=-1)
