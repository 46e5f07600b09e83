"""Validation of rotated-box and polygon input, and its preparation for the polygon kernels.

:mod:`ioukit.geometry.polygons` turns its input into float64 NumPy arrays here, checks shapes,
dtypes and values (``on_invalid``, self-intersecting and, on request, non-convex polygons) and
gets each set of shapes in the layout of the clipping kernel (:class:`Shapes`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ioukit._errors import InputError
from ioukit._xp import Array, to_numpy
from ioukit.kernels import polygons as kernels

ON_INVALID = ("raise", "nan", "zero")

_NDArray = np.ndarray[Any, Any]


class Shapes(NamedTuple):
    """A set of convex-or-not shapes in the layout of the kernels (see
    :mod:`ioukit.kernels._numba_polygon_clip`)."""

    rel: _NDArray  # (N, K, 2) vertices relative to `anchor`, counter-clockwise
    anchor: _NDArray  # (N, 2)
    area: _NDArray  # (N,) shoelace area; 0 for invalid and degenerate shapes
    lo: _NDArray  # (N, 2) bounding box relative to `anchor`
    hi: _NDArray  # (N, 2)
    status: _NDArray  # (N,) int8 kernel status
    bad: _NDArray  # (N,) bool: invalid input (on_invalid applies)
    #: numbers of invalid, degenerate (invalid included), non-convex, self-intersecting shapes
    counts: tuple[int, int, int, int]


def _to_float64(func: str, xp: Any, x: Array, name: str, shape: str, ok: bool) -> _NDArray:
    if not ok:
        raise InputError(f"{func}: `{name}` must have shape {shape}; got shape {tuple(x.shape)}.")
    if not xp.isdtype(x.dtype, ("real floating", "integral")):
        raise InputError(f"{func}: `{name}` must hold real numbers; got dtype {x.dtype}.")
    return np.ascontiguousarray(to_numpy(x), dtype=np.float64)


def boxes_np(func: str, xp: Any, x: Array, name: str) -> _NDArray:
    """Rotated boxes ``(N, 5)`` as float64 NumPy, after checking shape and dtype."""
    shape = tuple(x.shape)
    ok = len(shape) == 2 and shape[1] == 5
    return _to_float64(func, xp, x, name, "(N, 5) (cx, cy, w, h, angle in degrees)", ok)


def polys_np(func: str, xp: Any, x: Array, name: str) -> _NDArray:
    """Polygons ``(N, K, 2)`` as float64 NumPy, after checking shape and dtype."""
    shape = tuple(x.shape)
    ok = len(shape) == 3 and shape[2] == 2 and shape[1] >= 3
    what = "(N, K, 2) with K >= 3 vertices (x, y) per polygon"
    if len(shape) == 3 and shape[2] == 2 and shape[1] < 3:
        raise InputError(
            f"{func}: `{name}` must have shape {what}; got shape {shape}: a polygon needs at "
            "least 3 vertices."
        )
    return _to_float64(func, xp, x, name, what, ok)


def out_dtype(xp: Any, *arrays: Array) -> Any:
    """float32 when every input is float32, float64 otherwise."""
    return xp.float32 if all(a.dtype == xp.float32 for a in arrays) else xp.float64


def _raise_invalid(func: str, name: str, data: _NDArray, bad: _NDArray, kind: str) -> None:
    first = int(np.flatnonzero(bad)[0])
    values = data[first].tolist()
    if kind == "boxes":
        what = "valid rotated boxes (finite values, w >= 0, h >= 0)"
    else:
        what = "finite vertex coordinates"
    raise InputError(
        f"{func}: `{name}` must hold {what}; got {int(bad.sum())} invalid row(s) of "
        f"{bad.size}, the first at index {first}: {values}. Drop or fix them, or pass "
        "on_invalid='nan' / 'zero' to score them as NaN / 0."
    )


def prepare_boxes(func: str, name: str, data: _NDArray, on_invalid: str) -> Shapes:
    """The corners of rotated boxes ``(N, 5)``; raise on invalid ones with ``"raise"``."""
    rel, area, lo, hi, bad = kernels.box_polygons(data)
    if on_invalid == "raise" and bad.any():
        _raise_invalid(func, name, data, bad, "boxes")
    anchor = np.where(bad[:, None], 0.0, data[:, :2])
    status = np.zeros(data.shape[0], dtype=np.int8)
    n_bad = int(np.count_nonzero(bad))
    counts = (n_bad, n_bad, 0, 0)
    return Shapes(rel, np.ascontiguousarray(anchor), area, lo, hi, status, bad, counts)


def prepare_polys(func: str, name: str, data: _NDArray, on_invalid: str) -> Shapes:
    """Classified polygons ``(N, K, 2)``; raise on invalid ones with ``"raise"`` and on
    self-intersecting ones."""
    rel, anchor, status, area, lo, hi, bad, n = kernels.classify(data)
    counts = (int(n[0]), int(n[1]), int(n[2]), int(n[3]))
    if on_invalid == "raise" and counts[0]:
        _raise_invalid(func, name, data, bad, "polygons")
    if counts[kernels.SELF_INTERSECTING]:
        bad_status = np.flatnonzero(status == kernels.SELF_INTERSECTING)
        first = int(bad_status[0])
        raise InputError(
            f"{func}: `{name}` must hold simple polygons (edges that do not cross); got "
            f"{bad_status.size} self-intersecting polygon(s), the first at index {first}: "
            f"{data[first].tolist()}. Fix the vertex order (vertices must follow the "
            "boundary), or split the polygon."
        )
    return Shapes(rel, anchor, area, lo, hi, status, bad, counts)


def check_convex(func: str, name: str, shapes: Shapes, data: _NDArray) -> None:
    """Raise if a polygon is not convex (``convex=True``)."""
    if shapes.counts[kernels.NONCONVEX]:
        nonconvex = np.flatnonzero(shapes.status == kernels.NONCONVEX)
        first = int(nonconvex[0])
        raise InputError(
            f"{func}: `{name}` must hold convex polygons (convex=True); got {nonconvex.size} "
            f"non-convex polygon(s), the first at index {first}: {data[first].tolist()}. "
            "Pass convex=None to compute non-convex polygons with shapely."
        )
