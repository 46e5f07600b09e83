"""Status codes of the polygon classifier, shared by the numba kernels and their wrapper.

A module of its own (no numba, no numpy) so that both :mod:`ioukit.kernels.polygons` and
:mod:`ioukit.kernels._numba_polygons` import it without importing each other.
"""

from __future__ import annotations

__all__ = ["CONVEX", "DEGENERATE", "NONCONVEX", "SELF_INTERSECTING"]

CONVEX = 0
DEGENERATE = 1  # zero area: scores 0
NONCONVEX = 2  # simple as far as the turning test can tell: computed elsewhere (shapely)
SELF_INTERSECTING = 3  # turning number other than +-1: certainly not a simple polygon
