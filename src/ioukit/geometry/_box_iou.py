"""How the box IoU family is evaluated, behind the functions of :mod:`ioukit.geometry.boxes`.

:func:`score` holds the formulas (IoU, GIoU, DIoU, CIoU) for the Array API path, and the
differentiable box losses of :mod:`ioukit.losses` reuse it. :func:`pairwise` and
:func:`aligned` validate the boxes, then send NumPy arrays and PyTorch CPU tensors that need no
gradient to the numba kernels (:mod:`ioukit.kernels.boxes`, the same float64 formulas in the
same order) and everything else through :func:`score` in row chunks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import array_api_compat
import numpy as np

from ioukit._errors import InputError
from ioukit._xp import Array, device_of, is_numpy, namespace, safe_divide
from ioukit.core._checks import check_choice
from ioukit.geometry._box_checks import (
    ON_INVALID,
    Cols,
    check_shape,
    compute_dtype,
    host,
    np_namespace,
    prepare,
    torch_on_cpu_without_grad,
)
from ioukit.kernels import boxes as kernels

#: Number of output elements computed per row chunk of a pairwise function; each chunk builds a
#: handful of temporaries of this size, so peak extra memory stays a small multiple of it.
_CHUNK_ELEMENTS = 1 << 18


def _relu(xp: Any, d: Array) -> Array:
    return xp.where(d > 0, d, xp.zeros_like(d))


def _aspect_angle(xp: Any, w: Array, h: Array) -> Array:
    """``atan2(w, h)``: ``arctan(w / h)`` for ``w >= 0, h > 0`` and 0 (not NaN) for a 0 × 0 box.

    At ``(0, 0)`` the inputs are replaced by ``(0, 1)``: the same value, and a finite gradient
    in autograd libraries (PyTorch's atan2 gradient is NaN there).
    """
    both = (w == 0) & (h == 0)
    return xp.atan2(xp.where(both, xp.zeros_like(w), w), xp.where(both, xp.ones_like(h), h))


def score(
    xp: Any,
    kind: str,
    a: Cols,
    b: Cols,
    stop_gradient: Callable[[Array], Array] | None = None,
) -> Array:
    """The IoU variant ``kind`` of boxes ``a`` and ``b`` whose columns broadcast together.

    Pairwise callers pass ``(..., n, 1)`` and ``(..., 1, M)`` columns, so x and y overlaps are
    built separately and no ``(..., n, M, 2)`` temporary appears.
    """
    ax1, ay1, ax2, ay2 = a
    bx1, by1, bx2, by2 = b
    wa, ha = ax2 - ax1, ay2 - ay1
    wb, hb = bx2 - bx1, by2 - by1
    area_a, area_b = wa * ha, wb * hb
    inter = _relu(xp, xp.minimum(ax2, bx2) - xp.maximum(ax1, bx1)) * _relu(
        xp, xp.minimum(ay2, by2) - xp.maximum(ay1, by1)
    )
    union = (area_a + area_b) - inter
    iou = safe_divide(xp, inter, union, 0.0)
    if kind == "iou":
        return iou
    cw = xp.maximum(ax2, bx2) - xp.minimum(ax1, bx1)
    ch = xp.maximum(ay2, by2) - xp.minimum(ay1, by1)
    if kind == "giou":
        enclosing = cw * ch
        return iou - safe_divide(xp, enclosing - union, enclosing, 0.0)
    c2 = cw * cw + ch * ch
    dx = (ax1 + ax2) - (bx1 + bx2)
    dy = (ay1 + ay2) - (by1 + by2)
    rho2 = (dx * dx + dy * dy) / 4
    diou = iou - safe_divide(xp, rho2, c2, 0.0)
    if kind == "diou":
        return diou
    dv = _aspect_angle(xp, wb, hb) - _aspect_angle(xp, wa, ha)
    v = (4 / math.pi**2) * (dv * dv)
    if stop_gradient is None:
        alpha = safe_divide(xp, v, (1 - iou) + v, 0.0)
    else:  # losses: α is a trade-off weight, not differentiated (Zheng et al., AAAI 2020)
        v0, iou0 = stop_gradient(v), stop_gradient(iou)
        alpha = safe_divide(xp, v0, (1 - iou0) + v0, 0.0)
    return diou - alpha * v


def pairwise(
    func: str,
    kind: str,
    boxes1: Array,
    boxes2: Array,
    pixel_inclusive: bool,
    on_invalid: str,
) -> Array:
    """The score ``kind`` of every pair of ``boxes1`` (..., N, 4) and ``boxes2`` (..., M, 4)
    for the public function ``func``: validation, then the numba kernel or the Array API path."""
    check_choice(func, "on_invalid", on_invalid, ON_INVALID)
    xp, (b1, b2) = namespace(boxes1, boxes2, func=func)
    check_shape(func, xp, b1, "boxes1", 2)
    check_shape(func, xp, b2, "boxes2", 2)
    lead1, lead2 = tuple(b1.shape[:-2]), tuple(b2.shape[:-2])
    try:
        lead = tuple(np.broadcast_shapes(lead1, lead2))
    except ValueError:
        raise InputError(
            f"{func}: the leading (batch) dimensions of `boxes1` and `boxes2` must broadcast; "
            f"got shapes {tuple(b1.shape)} and {tuple(b2.shape)}."
        ) from None
    if torch_on_cpu_without_grad(xp, b1, b2):
        out_np = _pairwise_numpy(
            func, kind, host(xp, b1), host(xp, b2), lead, pixel_inclusive, on_invalid
        )
        return xp.asarray(out_np)
    if is_numpy(xp):
        return _pairwise_numpy(func, kind, b1, b2, lead, pixel_inclusive, on_invalid)
    ct, out_dtype = compute_dtype(xp, b1, b2)
    a, mask1 = prepare(func, xp, b1, "boxes1", ct, pixel_inclusive, on_invalid)
    b, mask2 = prepare(func, xp, b2, "boxes2", ct, pixel_inclusive, on_invalid)
    n, m = int(b1.shape[-2]), int(b2.shape[-2])
    bcols = tuple(c[..., None, :] for c in b)
    fill = math.nan if on_invalid == "nan" else 0.0

    def rows_of(start: int, stop: int) -> Array:
        """Scores of rows ``start:stop`` of ``boxes1`` against every box of ``boxes2``."""
        part = score(xp, kind, tuple(c[..., start:stop, None] for c in a), bcols)
        bad = None
        if mask1 is not None:
            bad = mask1[..., start:stop, None]
        if mask2 is not None:
            bad = mask2[..., None, :] if bad is None else bad | mask2[..., None, :]
        if bad is not None:
            part = xp.where(bad, xp.full_like(part, fill), part)
        if part.dtype != out_dtype:
            part = xp.astype(part, out_dtype)
        return xp.broadcast_to(part, (*lead, stop - start, m))

    rows = max(1, _CHUNK_ELEMENTS // max(1, m * math.prod(lead)))
    if n <= rows:
        return rows_of(0, n)
    if array_api_compat.is_jax_namespace(xp):  # immutable arrays: join the chunks
        return xp.concat([rows_of(i, min(n, i + rows)) for i in range(0, n, rows)], axis=-2)
    # write each chunk, already in the final dtype, into the output: peak extra memory is one
    # chunk's temporaries
    out = xp.empty((*lead, n, m), dtype=out_dtype, device=device_of(b1))
    for i in range(0, n, rows):
        out[..., i : min(n, i + rows), :] = rows_of(i, min(n, i + rows))
    return out


def _pairwise_numpy(
    func: str,
    kind: str,
    b1: np.ndarray[Any, Any],
    b2: np.ndarray[Any, Any],
    lead: tuple[int, ...],
    pixel_inclusive: bool,
    on_invalid: str,
) -> np.ndarray[Any, Any]:
    """The NumPy path of the pairwise functions: the threaded numba kernel."""
    xp = np_namespace()
    ct, out_dtype = compute_dtype(xp, b1, b2)
    a, mask1 = prepare(func, xp, b1, "boxes1", ct, pixel_inclusive, on_invalid)
    b, mask2 = prepare(func, xp, b2, "boxes2", ct, pixel_inclusive, on_invalid)
    n, m = int(b1.shape[-2]), int(b2.shape[-2])
    out = np.empty((*lead, n, m), dtype=out_dtype)
    if out.size == 0:
        return out
    fill = math.nan if on_invalid == "nan" else 0.0
    kernels.pairwise(kind, a, mask1, b, mask2, fill, out)
    return out


def aligned(
    func: str,
    kind: str,
    boxes1: Array,
    boxes2: Array,
    pixel_inclusive: bool,
    on_invalid: str,
) -> Array:
    """The score ``kind`` of each row-aligned pair of ``boxes1`` and ``boxes2`` (..., N, 4)
    for the public function ``func``: validation, then the numba kernel or the Array API path."""
    check_choice(func, "on_invalid", on_invalid, ON_INVALID)
    xp, (b1, b2) = namespace(boxes1, boxes2, func=func)
    check_shape(func, xp, b1, "boxes1", 1)
    check_shape(func, xp, b2, "boxes2", 1)
    if tuple(b1.shape) != tuple(b2.shape):
        raise InputError(
            f"{func}: `boxes1` and `boxes2` must have the same shape (one pair per row); got "
            f"shapes {tuple(b1.shape)} and {tuple(b2.shape)}."
        )
    if torch_on_cpu_without_grad(xp, b1, b2):
        out_np = _aligned_numpy(func, kind, host(xp, b1), host(xp, b2), pixel_inclusive, on_invalid)
        return xp.asarray(out_np)
    if is_numpy(xp):
        return _aligned_numpy(func, kind, b1, b2, pixel_inclusive, on_invalid)
    ct, out_dtype = compute_dtype(xp, b1, b2)
    a, mask1 = prepare(func, xp, b1, "boxes1", ct, pixel_inclusive, on_invalid)
    b, mask2 = prepare(func, xp, b2, "boxes2", ct, pixel_inclusive, on_invalid)
    out = score(xp, kind, a, b)
    if mask1 is not None or mask2 is not None:
        bad = xp.zeros(out.shape, dtype=xp.bool, device=device_of(out))
        for mk in (mask1, mask2):
            if mk is not None:
                bad = bad | mk
        fill = math.nan if on_invalid == "nan" else 0.0
        out = xp.where(bad, xp.full_like(out, fill), out)
    return xp.astype(out, out_dtype) if out.dtype != out_dtype else out


def _aligned_numpy(
    func: str,
    kind: str,
    b1: np.ndarray[Any, Any],
    b2: np.ndarray[Any, Any],
    pixel_inclusive: bool,
    on_invalid: str,
) -> np.ndarray[Any, Any]:
    """The NumPy path of the aligned functions: the threaded numba kernel."""
    xp = np_namespace()
    ct, out_dtype = compute_dtype(xp, b1, b2)
    a, mask1 = prepare(func, xp, b1, "boxes1", ct, pixel_inclusive, on_invalid)
    b, mask2 = prepare(func, xp, b2, "boxes2", ct, pixel_inclusive, on_invalid)
    out = np.empty(tuple(b1.shape[:-1]), dtype=out_dtype)
    if out.size == 0:
        return out
    fill = math.nan if on_invalid == "nan" else 0.0
    kernels.aligned(kind, a, mask1, b, mask2, fill, out)
    return out
