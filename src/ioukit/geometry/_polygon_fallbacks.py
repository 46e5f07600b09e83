"""The paths of polygon IoU beyond the convex kernel: exact rational arithmetic and shapely.

:func:`fix_overflow` recomputes exactly, in rational arithmetic, the (never observed) pairs
whose rounding outgrew the kernel's work buffers; :func:`shapely_iou` computes the pairs that
involve a non-convex polygon (or every pair, with ``convex=False``) through shapely, imported
only then.
"""

from __future__ import annotations

import importlib
from fractions import Fraction
from types import ModuleType
from typing import Any

import numpy as np

from ioukit._errors import InputError, MissingDependencyError
from ioukit.geometry._polygon_checks import Shapes

#: pairs per call of shapely's vectorised functions (bounds the memory of the slow path)
_SHAPELY_CHUNK = 1 << 15

_NDArray = np.ndarray[Any, Any]


def exact_intersection_area(a: _NDArray, b: _NDArray, offx: float, offy: float) -> float:
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


def fix_overflow(out: _NDArray, s1: Shapes, s2: Shapes, a1: _NDArray, a2: _NDArray) -> None:
    """Recompute, exactly, the pairs the kernel flagged (-1.0) as overflowing its buffers."""
    flagged = np.argwhere(out < 0)
    for idx in flagged:
        i, j = (int(idx[0]), int(idx[1])) if out.ndim == 2 else (int(idx[0]), int(idx[0]))
        off = s2.anchor[j] - s1.anchor[i]
        inter = exact_intersection_area(s1.rel[i], s2.rel[j], float(off[0]), float(off[1]))
        inter = min(max(inter, 0.0), float(a1[i]), float(a2[j]))
        value = inter / (a1[i] + a2[j] - inter) if inter > 0 else 0.0
        out[tuple(int(v) for v in idx)] = value


def import_shapely(func: str, reason: str) -> ModuleType:
    """The shapely module, or a :class:`~ioukit.MissingDependencyError` naming ``func`` and
    ``reason``."""
    try:
        return importlib.import_module("shapely")
    except ImportError:
        raise MissingDependencyError(
            f"{func}: {reason} needs shapely, which is not installed; install it with "
            "`pip install shapely` (2.0 or later), or pass only convex polygons."
        ) from None


def check_valid(func: str, name: str, shp: ModuleType, s: Shapes, idx: _NDArray) -> None:
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


def shapely_iou(shp: ModuleType, s1: Shapes, s2: Shapes, ii: _NDArray, jj: _NDArray) -> _NDArray:
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
