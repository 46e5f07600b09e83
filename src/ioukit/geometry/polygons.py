"""Rotated boxes and polygons: exact, robust Intersection-over-Union in float64.

Rotated boxes are ``(N, 5)`` arrays ``(cx, cy, w, h, angle)``; polygons are ``(N, K, 2)``
arrays of ``K >= 3`` vertices ``(x, y)``. The IoU of two shapes is ``|A ∩ B| / |A ∪ B|`` with
``|A ∪ B| = |A| + |B| - |A ∩ B|``, the areas being exact polygon areas (no rasterisation, no
Gaussian approximation: ProbIoU is not IoU).

Angle convention of rotated boxes
---------------------------------
The same as torchvision (``box_iou(..., fmt="cxcywhr")``, ``box_convert`` to ``"xyxyxyxy"``)
and Detectron2 (``RotatedBoxes``, ``XYWHA_ABS``): ``angle`` is in **degrees**, and a box is the
rectangle centred on ``(cx, cy)`` whose width runs along ``u = (cos θ, -sin θ)`` and whose
height runs along ``v = (sin θ, cos θ)``. Its corners are ``c ± (w/2) u ± (h/2) v``.

* In **image coordinates** (x to the right, y *down*, as pixel rows), a positive angle turns the
  box **counter-clockwise as seen on the screen**: at ``θ = 90°`` the width axis points up the
  image (towards ``-y``). This is torchvision's "counter clock wise in the image plane".
* In **mathematical coordinates** (y *up*), the same numbers turn the box **clockwise**: the
  width axis is the x axis rotated by ``-θ``. (Use ``-angle`` for boxes whose angle is
  counter-clockwise in a y-up frame; mmcv's ``box_iou_rotated`` takes radians, clockwise by
  default; Ultralytics OBB uses radians.)
* ``angle`` may be any finite number; it is reduced exactly modulo 360° and multiples of 90°
  give exact sines and cosines (a box turned by 90° is exactly the box with ``w`` and ``h``
  swapped, IoU exactly 1).

Orientation of polygons
-----------------------
Input polygons may be given in either orientation; they are normalised internally to a positive
shoelace area ``½ Σ (x_k y_{k+1} - x_{k+1} y_k) > 0`` (counter-clockwise when y points up,
clockwise on screen when y points down). :func:`rotated_box_to_polygon` returns its corners in
that orientation. A vertex may repeat (e.g. to pad polygons with fewer vertices to a common
``K``: repeat the last vertex) and consecutive collinear vertices are allowed.

Numerics
--------
Everything is computed in float64 on the CPU (numba). Each pair is moved to a local origin (the
centre of the first box, the vertex mean of the first polygon) before clipping, so a scene at
``x ≈ 1e5`` is as accurate as one at the origin. Convex polygons are intersected by clipping
the first by each edge of the second (Sutherland–Hodgman) with a single sign test per vertex and
crossing points interpolated from the signed distances: there is no absolute tolerance (``EPS``)
and no sorting of intersection points, the two causes of the wrong values (0.33 instead of 1.0
for nearly identical boxes) of the Detectron2/torchvision/mmcv kernel. Results agree with
shapely (GEOS) to about 1e-12; identical shapes give exactly 1.0.

The limit is the float64 corners themselves: a box at an angle that is thinner than about
1e-8 of its length loses relative accuracy in its area (the rounding of the corners is relative
to the length), and one thinner than about 1e-15 of its length may score as zero area.

Non-convex polygons are detected (turning test; collinear vertices are allowed) and computed by
shapely when it is installed (``pip install shapely``); polygons that cross themselves raise an
:class:`~ioukit.InputError`.

Conventions shared with :mod:`ioukit.geometry.boxes`
------------------------------------------------
* **Dtype.** The result is float64, or float32 when every input is float32. It is returned in
  the input's array library and on its device (PyTorch tensors are computed on the CPU and the
  result is moved back to the input's device; it carries no gradient).
* **Invalid input** (NaN/inf values; for rotated boxes also ``w < 0`` or ``h < 0``) follows
  ``on_invalid``: ``"raise"`` (default, an :class:`~ioukit.InputError` naming the first
  offending row), ``"nan"`` or ``"zero"`` (every score involving that shape is NaN / 0).
* **Degenerate shapes.** A shape of zero area (``w == 0`` or ``h == 0``; a polygon whose
  vertices all lie on one line) has IoU 0 with everything, itself included: never NaN.
"""

from __future__ import annotations

import importlib
import math
from fractions import Fraction
from functools import cache
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from ioukit._errors import InputError, MissingDependencyError
from ioukit._xp import Array, device_of, namespace, to_numpy
from ioukit.core._checks import check_choice
from ioukit.kernels import num_threads

__all__ = [
    "polygon_area",
    "polygon_iou",
    "polygon_iou_aligned",
    "rotated_box_iou",
    "rotated_box_iou_aligned",
    "rotated_box_to_polygon",
]

ON_INVALID = ("raise", "nan", "zero")

# kernel status codes (mirrors ioukit.kernels._numba_polygons)
_CONVEX, _DEGENERATE, _NONCONVEX, _SELF_INTERSECTING = 0, 1, 2, 3

#: below this many pairs the single-threaded kernel is used. A pair costs ~0.3 µs, so 4096 pairs
#: are ~1 ms of work against tens of microseconds to wake the worker threads on an idle machine
#: (10k aligned 6-gon/8-gon pairs: 5.1 ms serial, 2.7 ms on 2 threads). On a busy machine a
#: descheduled worker can cost a scheduler slice instead.
_PARALLEL_MIN = 1 << 12
#: pairs per call of shapely's vectorised functions (bounds the memory of the slow path)
_SHAPELY_CHUNK = 1 << 15

_NDArray = np.ndarray[Any, Any]


@cache
def _jit() -> ModuleType:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_polygons

    return _numba_polygons


def _buffer_size(k1: int, k2: int) -> int:
    """Length of the clipping work buffers for polygons of ``k1`` and ``k2`` vertices.

    Clipping a convex ``n``-gon by a half-plane adds at most one vertex, so ``k1 + k2`` is
    enough in exact arithmetic; the margin absorbs near-duplicate points from rounding. A pair
    that still overflows is recomputed exactly (rational arithmetic), never dropped.
    """
    return 4 * (k1 + k2) + 16


class _Shapes(NamedTuple):
    """A set of convex-or-not shapes in the layout of the kernels (see the kernel module)."""

    rel: _NDArray  # (N, K, 2) vertices relative to `anchor`, counter-clockwise
    anchor: _NDArray  # (N, 2)
    area: _NDArray  # (N,) shoelace area; 0 for invalid and degenerate shapes
    lo: _NDArray  # (N, 2) bounding box relative to `anchor`
    hi: _NDArray  # (N, 2)
    status: _NDArray  # (N,) int8 kernel status
    bad: _NDArray  # (N,) bool: invalid input (on_invalid applies)
    #: numbers of invalid, degenerate (invalid included), non-convex, self-intersecting shapes
    counts: tuple[int, int, int, int]


# ----------------------------------------------------------------------------- validation


def _to_float64(func: str, xp: Any, x: Array, name: str, shape: str, ok: bool) -> _NDArray:
    if not ok:
        raise InputError(f"{func}: `{name}` must have shape {shape}; got shape {tuple(x.shape)}.")
    if not xp.isdtype(x.dtype, ("real floating", "integral")):
        raise InputError(f"{func}: `{name}` must hold real numbers; got dtype {x.dtype}.")
    return np.ascontiguousarray(to_numpy(x), dtype=np.float64)


def _boxes_np(func: str, xp: Any, x: Array, name: str) -> _NDArray:
    shape = tuple(x.shape)
    ok = len(shape) == 2 and shape[1] == 5
    return _to_float64(func, xp, x, name, "(N, 5) (cx, cy, w, h, angle in degrees)", ok)


def _polys_np(func: str, xp: Any, x: Array, name: str) -> _NDArray:
    shape = tuple(x.shape)
    ok = len(shape) == 3 and shape[2] == 2 and shape[1] >= 3
    what = "(N, K, 2) with K >= 3 vertices (x, y) per polygon"
    if len(shape) == 3 and shape[2] == 2 and shape[1] < 3:
        raise InputError(
            f"{func}: `{name}` must have shape {what}; got shape {shape}: a polygon needs at "
            "least 3 vertices."
        )
    return _to_float64(func, xp, x, name, what, ok)


def _out_dtype(xp: Any, *arrays: Array) -> Any:
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


def _prepare_boxes(func: str, name: str, data: _NDArray, on_invalid: str) -> _Shapes:
    rel, area, lo, hi, bad = _jit().box_polygons(data)
    if on_invalid == "raise" and bad.any():
        _raise_invalid(func, name, data, bad, "boxes")
    anchor = np.where(bad[:, None], 0.0, data[:, :2])
    status = np.zeros(data.shape[0], dtype=np.int8)
    n_bad = int(np.count_nonzero(bad))
    counts = (n_bad, n_bad, 0, 0)
    return _Shapes(rel, np.ascontiguousarray(anchor), area, lo, hi, status, bad, counts)


def _prepare_polys(func: str, name: str, data: _NDArray, on_invalid: str) -> _Shapes:
    rel, anchor, status, area, lo, hi, bad, n = _jit().classify(data)
    counts = (int(n[0]), int(n[1]), int(n[2]), int(n[3]))
    if on_invalid == "raise" and counts[0]:
        _raise_invalid(func, name, data, bad, "polygons")
    if counts[_SELF_INTERSECTING]:
        bad_status = np.flatnonzero(status == _SELF_INTERSECTING)
        first = int(bad_status[0])
        raise InputError(
            f"{func}: `{name}` must hold simple polygons (edges that do not cross); got "
            f"{bad_status.size} self-intersecting polygon(s), the first at index {first}: "
            f"{data[first].tolist()}. Fix the vertex order (vertices must follow the "
            "boundary), or split the polygon."
        )
    return _Shapes(rel, anchor, area, lo, hi, status, bad, counts)


def _check_convex(func: str, name: str, shapes: _Shapes, data: _NDArray) -> None:
    if shapes.counts[_NONCONVEX]:
        nonconvex = np.flatnonzero(shapes.status == _NONCONVEX)
        first = int(nonconvex[0])
        raise InputError(
            f"{func}: `{name}` must hold convex polygons (convex=True); got {nonconvex.size} "
            f"non-convex polygon(s), the first at index {first}: {data[first].tolist()}. "
            "Pass convex=None to compute non-convex polygons with shapely."
        )


# ----------------------------------------------------------------------------- computation


def _kernel_args(s: _Shapes, kernel_area: _NDArray) -> tuple[_NDArray, ...]:
    return (s.rel, s.anchor, kernel_area, s.lo, s.hi)


def _exact_intersection_area(a: _NDArray, b: _NDArray, offx: float, offy: float) -> float:
    """Area of ``a ∩ (b + off)`` for convex ``a``, ``b`` (``b`` counter-clockwise), by the same
    clipping as the kernel in exact rational arithmetic. The fallback for the (never observed)
    pairs whose rounding outgrows the kernel's buffers, and a test oracle."""
    poly = [(Fraction(float(x)), Fraction(float(y))) for x, y in a]
    fx, fy = Fraction(offx), Fraction(offy)
    clip = [(Fraction(float(x)) + fx, Fraction(float(y)) + fy) for x, y in b]
    for e, (px, py) in enumerate(clip):
        qx, qy = clip[(e + 1) % len(clip)]
        ex, ey = qx - px, qy - py
        if ex == 0 and ey == 0:
            continue
        out: list[tuple[Fraction, Fraction]] = []
        prx, pry = poly[-1]
        sp = ex * (pry - py) - ey * (prx - px)
        for cx, cy in poly:
            s = ex * (cy - py) - ey * (cx - px)
            if (sp > 0 > s) or (sp < 0 < s):
                t = sp / (sp - s)
                out.append((prx + t * (cx - prx), pry + t * (cy - pry)))
            if s >= 0:
                out.append((cx, cy))
            prx, pry, sp = cx, cy, s
        poly = out
        if len(poly) < 3:
            return 0.0
    twice = sum(
        (poly[k - 1][0] * poly[k][1] - poly[k][0] * poly[k - 1][1] for k in range(len(poly))),
        Fraction(0),
    )
    return float(twice / 2)


def _fix_overflow(out: _NDArray, s1: _Shapes, s2: _Shapes, a1: _NDArray, a2: _NDArray) -> None:
    """Recompute, exactly, the pairs the kernel flagged (-1.0) as overflowing its buffers."""
    flagged = np.argwhere(out < 0)
    for idx in flagged:
        i, j = (int(idx[0]), int(idx[1])) if out.ndim == 2 else (int(idx[0]), int(idx[0]))
        off = s2.anchor[j] - s1.anchor[i]
        inter = _exact_intersection_area(s1.rel[i], s2.rel[j], float(off[0]), float(off[1]))
        inter = min(max(inter, 0.0), float(a1[i]), float(a2[j]))
        value = inter / (a1[i] + a2[j] - inter) if inter > 0 else 0.0
        out[tuple(int(v) for v in idx)] = value


def _shapely(func: str, reason: str) -> ModuleType:
    try:
        return importlib.import_module("shapely")
    except ImportError:
        raise MissingDependencyError(
            f"{func}: {reason} needs shapely, which is not installed; install it with "
            "`pip install shapely` (2.0 or later), or pass only convex polygons."
        ) from None


def _check_valid(func: str, name: str, shp: ModuleType, s: _Shapes, idx: _NDArray) -> None:
    """shapely's validity check of the polygons ``idx`` of ``s`` (those it will compute)."""
    if idx.size == 0:
        return
    geoms = shp.polygons(s.rel[idx])
    valid = np.asarray(shp.is_valid(geoms), dtype=bool)
    if not valid.all():
        k = int(np.flatnonzero(~valid)[0])
        first = int(idx[k])
        reason = shp.is_valid_reason(geoms[k])
        corners = (s.rel[first] + s.anchor[first]).tolist()
        raise InputError(
            f"{func}: `{name}` must hold simple polygons; got an invalid polygon at index "
            f"{first} ({reason}): {corners}. Fix the vertex order, or drop polygons with "
            "repeated or crossing edges."
        )


def _shapely_iou(shp: ModuleType, s1: _Shapes, s2: _Shapes, ii: _NDArray, jj: _NDArray) -> _NDArray:
    """IoU of the pairs ``(ii[k], jj[k])`` through shapely, in the local frame of ``s1``."""
    out = np.empty(ii.size)
    for start in range(0, ii.size, _SHAPELY_CHUNK):
        i = ii[start : start + _SHAPELY_CHUNK]
        j = jj[start : start + _SHAPELY_CHUNK]
        off = s2.anchor[j] - s1.anchor[i]
        ga = shp.polygons(s1.rel[i])
        gb = shp.polygons(s2.rel[j] + off[:, None, :])
        inter = np.asarray(shp.area(shp.intersection(ga, gb)), dtype=np.float64)
        a1, a2 = s1.area[i], s2.area[j]
        inter = np.clip(inter, 0.0, np.minimum(a1, a2))
        union = a1 + a2 - inter
        out[start : start + i.size] = np.divide(
            inter, union, out=np.zeros_like(inter), where=(inter > 0) & (union > 0)
        )
    return out


def _run(
    func: str,
    s1: _Shapes,
    s2: _Shapes,
    pairwise: bool,
    use_shapely1: _NDArray,
    use_shapely2: _NDArray,
    on_invalid: str,
) -> _NDArray:
    """IoU of every pair (``pairwise``) or of row-aligned pairs; shapes flagged in
    ``use_shapely*`` go through shapely, the others through the convex kernel."""
    k = _jit()
    # the kernel sees area 0 for shapes it must skip: it writes 0 there
    a1 = np.where(use_shapely1, 0.0, s1.area)
    a2 = np.where(use_shapely2, 0.0, s2.area)
    cap = _buffer_size(s1.rel.shape[1], s2.rel.shape[1])
    args = (*_kernel_args(s1, a1), *_kernel_args(s2, a2), cap)
    n, m = s1.rel.shape[0], s2.rel.shape[0]
    total = n * m if pairwise else n
    out: _NDArray
    threads = num_threads()
    if total >= _PARALLEL_MIN and threads > 1:
        out = k.iou_parallel(*args, not pairwise, 4 * threads)
    else:
        out = k.iou_serial(*args, not pairwise)
    if pairwise:
        out = out.reshape(n, m)
    if out.size and out.min() < 0:
        _fix_overflow(out, s1, s2, s1.area, s2.area)
    if use_shapely1.any() or use_shapely2.any():
        if pairwise:
            mask = use_shapely1[:, None] | use_shapely2[None, :]
            ii, jj = np.nonzero(mask)
        else:
            ii = jj = np.flatnonzero(use_shapely1 | use_shapely2)
        keep = (s1.area[ii] > 0) & (s2.area[jj] > 0)
        ii, jj = ii[keep], jj[keep]
        if ii.size:
            shp = _shapely(func, "the IoU of non-convex polygons")
            values = _shapely_iou(shp, s1, s2, ii, jj)
            if pairwise:
                out[ii, jj] = values
            else:
                out[ii] = values
    if s1.bad.any() or s2.bad.any():
        fill = math.nan if on_invalid == "nan" else 0.0
        if pairwise:
            out[s1.bad, :] = fill
            out[:, s2.bad] = fill
        else:
            out[s1.bad | s2.bad] = fill
    return out


def _fused(kernel: str, d1: _NDArray, d2: _NDArray, cap: int) -> tuple[_NDArray, int]:
    """Run a fused aligned kernel (``kernel``, or its ``_parallel`` variant from
    ``_PARALLEL_MIN`` pairs on): ``(out, trouble)``, see the kernel module."""
    k = _jit()
    threads = num_threads()
    if d1.shape[0] >= _PARALLEL_MIN and threads > 1:
        out, trouble = getattr(k, kernel + "_parallel")(d1, d2, cap, 4 * threads)
    else:
        out, trouble = getattr(k, kernel)(d1, d2, cap)
    return out, int(trouble)


def _finish(xp: Any, out: _NDArray, like: Array, dtype: Any) -> Array:
    res = xp.asarray(out, device=device_of(like))
    return xp.astype(res, dtype) if res.dtype != dtype else res


def _rotated(func: str, boxes1: Array, boxes2: Array, on_invalid: str, pairwise: bool) -> Array:
    check_choice(func, "on_invalid", on_invalid, ON_INVALID)
    xp, (b1, b2) = namespace(boxes1, boxes2, func=func)
    d1 = _boxes_np(func, xp, b1, "boxes1")
    d2 = _boxes_np(func, xp, b2, "boxes2")
    if not pairwise and d1.shape != d2.shape:
        raise InputError(
            f"{func}: `boxes1` and `boxes2` must have the same shape (one pair per row); got "
            f"shapes {tuple(b1.shape)} and {tuple(b2.shape)}."
        )
    if not pairwise:
        # one fused pass (corners and clipping, no intermediate arrays); any invalid box or
        # overflowing pair sends the whole call down the general path below
        fast, trouble = _fused("box_iou_aligned", d1, d2, _buffer_size(4, 4))
        if not trouble:
            return _finish(xp, fast, b1, _out_dtype(xp, b1, b2))
    s1 = _prepare_boxes(func, "boxes1", d1, on_invalid)
    s2 = _prepare_boxes(func, "boxes2", d2, on_invalid)
    none1 = np.zeros(d1.shape[0], dtype=bool)
    none2 = np.zeros(d2.shape[0], dtype=bool)
    out = _run(func, s1, s2, pairwise, none1, none2, on_invalid)
    return _finish(xp, out, b1, _out_dtype(xp, b1, b2))


def _polygons(
    func: str,
    polys1: Array,
    polys2: Array,
    convex: bool | None,
    on_invalid: str,
    pairwise: bool,
) -> Array:
    check_choice(func, "on_invalid", on_invalid, ON_INVALID)
    check_choice(func, "convex", convex, (None, True, False))
    xp, (p1, p2) = namespace(polys1, polys2, func=func)
    d1 = _polys_np(func, xp, p1, "polys1")
    d2 = _polys_np(func, xp, p2, "polys2")
    if not pairwise and d1.shape[0] != d2.shape[0]:
        raise InputError(
            f"{func}: `polys1` and `polys2` must hold the same number of polygons (one pair "
            f"per row); got shapes {tuple(p1.shape)} and {tuple(p2.shape)}."
        )
    if not pairwise and convex is not False:
        # one fused pass (classification and clipping, no intermediate arrays); an invalid,
        # non-convex or self-intersecting polygon or an overflowing pair sends the whole call
        # down the general path below (errors, shapely, exact recomputation)
        cap = _buffer_size(d1.shape[1], d2.shape[1])
        fast, trouble = _fused("polygon_iou_aligned", d1, d2, cap)
        if not trouble:
            return _finish(xp, fast, p1, _out_dtype(xp, p1, p2))
    s1 = _prepare_polys(func, "polys1", d1, on_invalid)
    s2 = _prepare_polys(func, "polys2", d2, on_invalid)
    if convex is True:
        _check_convex(func, "polys1", s1, d1)
        _check_convex(func, "polys2", s2, d2)
    if convex is False:
        use1 = s1.status != _DEGENERATE
        use2 = s2.status != _DEGENERATE
    else:
        use1 = s1.status == _NONCONVEX
        use2 = s2.status == _NONCONVEX
    use1 &= ~s1.bad
    use2 &= ~s2.bad
    if use1.any() or use2.any():
        shp = _shapely(func, "the IoU of non-convex polygons (or convex=False)")
        _check_valid(func, "polys1", shp, s1, np.flatnonzero(s1.status == _NONCONVEX))
        _check_valid(func, "polys2", shp, s2, np.flatnonzero(s2.status == _NONCONVEX))
    out = _run(func, s1, s2, pairwise, use1, use2, on_invalid)
    return _finish(xp, out, p1, _out_dtype(xp, p1, p2))


# ----------------------------------------------------------------------------- public API


def rotated_box_to_polygon(boxes: Array) -> Array:
    """Corners of rotated boxes ``(cx, cy, w, h, angle)``, as polygons.

    Parameters
    ----------
    boxes : array of shape (N, 5)
        Centre, width, height and angle in degrees, in the torchvision / Detectron2
        convention (see the module docstring): the width runs along ``(cos θ, -sin θ)`` and
        the height along ``(sin θ, cos θ)``. Boxes must be finite with ``w, h >= 0``.

    Returns
    -------
    array of shape (N, 4, 2)
        Corners ``c - a - b, c + a - b, c + a + b, c - a + b`` with ``a = (w/2)(cos θ, -sin θ)``
        and ``b = (h/2)(sin θ, cos θ)``: for ``θ = 0`` the corners ``(x1, y1), (x2, y1),
        (x2, y2), (x1, y2)`` (top-left, top-right, bottom-right, bottom-left in image
        coordinates), the order of torchvision's ``"xyxyxyxy"``. The shoelace area is positive
        (counter-clockwise with y up). float64, or float32 for float32 input; same library and
        device as ``boxes``.

    Raises
    ------
    InputError
        Wrong shape, NaN/inf values or a negative width/height.

    Examples
    --------
    A 4×2 box turned by 90° becomes the 2×4 axis-aligned box (exactly: multiples of 90° are
    reduced exactly):

    >>> import numpy as np
    >>> rotated_box_to_polygon(np.array([[0.0, 0.0, 4.0, 2.0, 90.0]]))[0]
    array([[-1.,  2.],
           [-1., -2.],
           [ 1., -2.],
           [ 1.,  2.]])
    """
    func = "rotated_box_to_polygon"
    xp, (b,) = namespace(boxes, func=func)
    data = _boxes_np(func, xp, b, "boxes")
    s = _prepare_boxes(func, "boxes", data, "raise")
    out = s.rel + s.anchor[:, None, :]
    return _finish(xp, out, b, _out_dtype(xp, b))


def polygon_area(polys: Array, *, on_invalid: str = "raise") -> Array:
    """Area of simple polygons (either orientation), by the shoelace formula.

    ``|A| = |½ Σ_k (x_k y_{k+1} - x_{k+1} y_k)|``, computed around the vertex mean for
    accuracy far from the origin.

    Parameters
    ----------
    polys : array of shape (N, K, 2)
        ``K >= 3`` vertices per polygon, clockwise or counter-clockwise; vertices may repeat.
    on_invalid : {"raise", "nan", "zero"}, default "raise"
        What a polygon with a NaN/inf coordinate does: raise, give NaN, give 0.

    Returns
    -------
    array of shape (N,)
        float64 (float32 for float32 input), in the input's library and on its device. A
        polygon whose vertices lie on one line has area 0.

    Raises
    ------
    InputError
        Wrong shape, NaN/inf (with ``on_invalid="raise"``), or a polygon that certainly crosses
        itself (its boundary does not turn exactly once), whose shoelace sum is not an area.

    Examples
    --------
    >>> import numpy as np
    >>> square_cw = np.array([[[0, 0], [0, 2], [2, 2], [2, 0]]])  # clockwise with y up
    >>> polygon_area(square_cw)
    array([4.])
    """
    func = "polygon_area"
    check_choice(func, "on_invalid", on_invalid, ON_INVALID)
    xp, (p,) = namespace(polys, func=func)
    data = _polys_np(func, xp, p, "polys")
    s = _prepare_polys(func, "polys", data, on_invalid)
    out = s.area.copy()
    out[s.bad] = math.nan if on_invalid == "nan" else 0.0
    return _finish(xp, out, p, _out_dtype(xp, p))


_BOX_DOC = """
    Parameters
    ----------
    boxes1 : array of shape ({n}, 5)
        Rotated boxes ``(cx, cy, w, h, angle)``, angle in degrees, torchvision / Detectron2
        convention: the width runs along ``(cos θ, -sin θ)``, i.e. a positive angle turns the
        box counter-clockwise *on screen* when y points down (clockwise when y points up).
        See the module docstring.
    boxes2 : array of shape ({m}, 5)
        Same format{paired}.
    on_invalid : {{"raise", "nan", "zero"}}, default "raise"
        A box with a NaN/inf value or ``w < 0`` / ``h < 0``: raise an
        :class:`~ioukit.InputError`, or score every pair involving it NaN / 0.

    Returns
    -------
    array of shape {shape}
        {what} float64, or float32 when both inputs are float32; same array library and
        device as ``boxes1`` (torch tensors are computed on the CPU, without gradient).
        Pairs involving a zero-area box (``w == 0`` or ``h == 0``) score 0, never NaN.

    Raises
    ------
    InputError
        Wrong shape or dtype, invalid boxes with ``on_invalid="raise"``{raise_extra}.
    ParameterError
        ``on_invalid`` outside its set.

    Notes
    -----
    Exact polygon intersection (convex clipping in float64 in a local frame, no tolerance), so
    nearly identical boxes give IoU ≈ 1, where the Detectron2 / torchvision kernel returns
    values such as 0.333 for about 15% of such pairs. Agrees with shapely to about 1e-12.
"""


def rotated_box_iou(boxes1: Array, boxes2: Array, *, on_invalid: str = "raise") -> Array:
    return _rotated("rotated_box_iou", boxes1, boxes2, on_invalid, pairwise=True)


rotated_box_iou.__doc__ = (
    """Pairwise Intersection-over-Union of two sets of rotated boxes.

    ``IoU(A, B) = |A ∩ B| / (|A| + |B| - |A ∩ B|)`` for every pair, with exact areas.
"""
    + _BOX_DOC.format(
        n="N",
        m="M",
        paired="",
        shape="(N, M)",
        what="``out[i, j]`` is the IoU of ``boxes1[i]`` and ``boxes2[j]``.",
        raise_extra="",
    )
    + """
    Examples
    --------
    A 2×2 square and the same square turned by 45°: the intersection is a regular octagon of
    apothem r = 1, area 8 r² tan(π/8) = 8(√2 - 1) ≈ 3.3137; the union is 4 + 4 - 3.3137, so
    IoU = (√2 - 1) / (2 - √2) = 1/√2 ≈ 0.7071. Shifting the square by half its width: 2 / 6.

    >>> import numpy as np
    >>> a = np.array([[0.0, 0.0, 2.0, 2.0, 0.0]])
    >>> b = np.array([[0.0, 0.0, 2.0, 2.0, 45.0], [1.0, 0.0, 2.0, 2.0, 0.0]])
    >>> np.round(rotated_box_iou(a, b), 4)
    array([[0.7071, 0.3333]])
"""
)


def rotated_box_iou_aligned(boxes1: Array, boxes2: Array, *, on_invalid: str = "raise") -> Array:
    return _rotated("rotated_box_iou_aligned", boxes1, boxes2, on_invalid, pairwise=False)


rotated_box_iou_aligned.__doc__ = (
    """Row-by-row IoU of matched pairs of rotated boxes (see :func:`rotated_box_iou`).
"""
    + _BOX_DOC.format(
        n="N",
        m="N",
        paired=", paired row by row with ``boxes1``",
        shape="(N,)",
        what="``out[i]`` is the IoU of ``boxes1[i]`` and ``boxes2[i]``.",
        raise_extra=", or shapes that differ",
    )
    + """
    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0.0, 0.0, 2.0, 2.0, 0.0], [5.0, 5.0, 4.0, 1.0, 30.0]])
    >>> b = np.array([[1.0, 0.0, 2.0, 2.0, 0.0], [5.0, 5.0, 4.0, 1.0, 30.0]])
    >>> rotated_box_iou_aligned(a, b)
    array([0.33333333, 1.        ])
"""
)


_POLY_DOC = """
    Parameters
    ----------
    polys1 : array of shape ({n}, K1, 2)
        Polygons of ``K1 >= 3`` vertices ``(x, y)``, clockwise or counter-clockwise (both are
        normalised). To mix vertex counts, pad a polygon by repeating its last vertex; repeated
        and collinear vertices are allowed.
    polys2 : array of shape ({m}, K2, 2)
        Same format{paired}; ``K2`` may differ from ``K1``.
    convex : {{None, True, False}}, default None
        ``None``: detect convexity per polygon; pairs of convex polygons are computed by
        ioukit's kernel, pairs involving a non-convex polygon by shapely (imported only then;
        :class:`~ioukit.MissingDependencyError` naming ``pip install shapely`` when missing).
        ``True``: require convex polygons (an :class:`~ioukit.InputError` otherwise; shapely is
        never used). ``False``: compute every pair with shapely (a reference path).
    on_invalid : {{"raise", "nan", "zero"}}, default "raise"
        A polygon with a NaN/inf coordinate: raise, or score every pair involving it NaN / 0.

    Returns
    -------
    array of shape {shape}
        {what} float64, or float32 when both inputs are float32; same array library and
        device as ``polys1`` (torch tensors are computed on the CPU, without gradient). A
        polygon whose vertices lie on one line has area 0 and scores 0 with everything.

    Raises
    ------
    InputError
        Wrong shape or dtype, NaN/inf with ``on_invalid="raise"``, a self-intersecting polygon,
        a non-convex polygon with ``convex=True``{raise_extra}.
    MissingDependencyError
        A non-convex polygon (or ``convex=False``) while shapely is not installed.
    ParameterError
        ``convex`` or ``on_invalid`` outside its set.

    Notes
    -----
    A polygon counts as convex when it turns the same way at every vertex, consecutive edges
    whose angle has a relative sine below 1e-10 counting as collinear (allowed), and its
    boundary turns exactly once; a boundary that turns 0 or 2+ times crosses itself. Convex
    pairs: exact clipping in float64 in a local frame, no tolerance; agrees with shapely to
    about 1e-12.
"""


def polygon_iou(
    polys1: Array, polys2: Array, *, convex: bool | None = None, on_invalid: str = "raise"
) -> Array:
    return _polygons("polygon_iou", polys1, polys2, convex, on_invalid, pairwise=True)


polygon_iou.__doc__ = (
    """Pairwise Intersection-over-Union of two sets of polygons.

    ``IoU(A, B) = |A ∩ B| / (|A| + |B| - |A ∩ B|)`` for every pair, with exact areas.
"""
    + _POLY_DOC.format(
        n="N",
        m="M",
        paired="",
        shape="(N, M)",
        what="``out[i, j]`` is the IoU of ``polys1[i]`` and ``polys2[j]``.",
        raise_extra="",
    )
    + """
    Examples
    --------
    A 5×5 square nested in a 10×10 one: 25 / 100 = 0.25; a triangle covering half of the
    10×10 square: 50 / 100 = 0.5.

    >>> import numpy as np
    >>> big = np.array([[[0, 0], [10, 0], [10, 10], [0, 10]]])
    >>> small = np.array([[[0, 0], [5, 0], [5, 5], [0, 5]], [[0, 0], [10, 0], [0, 10], [0, 10]]])
    >>> polygon_iou(big, small)
    array([[0.25, 0.5 ]])
"""
)


def polygon_iou_aligned(
    polys1: Array, polys2: Array, *, convex: bool | None = None, on_invalid: str = "raise"
) -> Array:
    return _polygons("polygon_iou_aligned", polys1, polys2, convex, on_invalid, pairwise=False)


polygon_iou_aligned.__doc__ = (
    """Row-by-row IoU of matched pairs of polygons (see :func:`polygon_iou`).
"""
    + _POLY_DOC.format(
        n="N",
        m="N",
        paired=", paired row by row with ``polys1``",
        shape="(N,)",
        what="``out[i]`` is the IoU of ``polys1[i]`` and ``polys2[i]``.",
        raise_extra=", or different numbers of polygons",
    )
    + """
    Examples
    --------
    >>> import numpy as np
    >>> sq = np.array([[[0, 0], [2, 0], [2, 2], [0, 2]]] * 2)
    >>> shifted = sq + np.array([1, 0])
    >>> polygon_iou_aligned(sq, shifted[::-1, ::-1])  # orientation does not matter
    array([0.33333333, 0.33333333])
"""
)
