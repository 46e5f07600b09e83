"""Axis-aligned boxes: format conversion, area and the IoU family (IoU, GIoU, DIoU, CIoU).

Boxes are ``(..., N, 4)`` arrays; ``xyxy`` (``x1, y1, x2, y2`` with ``x1 <= x2``,
``y1 <= y2``) is the hub format. Every function works on any Array API library (NumPy,
PyTorch, array-api-strict, JAX, CuPy); results stay in the input's library and on its device.

Conventions shared by every function here:

* **Precision.** Integer and half-precision (float16, bfloat16) inputs are cast to float64
  (float32 on devices without float64) *before* any subtraction, so ``uint8`` boxes near 255 do
  not wrap around and products do not overflow; the result is float64. float64 stays float64.
  float32 inputs are computed in float64 too (no overflow of areas of large coordinates) and the
  result is returned as float32, so training code keeps its dtype. Mixed dtypes give float64.
* **Pixel convention.** ``pixel_inclusive=False`` (default): coordinates are continuous, a box
  ``[0, 0, 10, 10]`` is 10 wide. ``pixel_inclusive=True``: legacy VOC/Detectron "+1" widths and
  heights (``x2`` is the last pixel *inside* the box, so ``[0, 0, 9, 9]`` is 10 wide).
* **Invalid boxes** (``x2 < x1``, ``y2 < y1``, or a NaN/inf coordinate) follow ``on_invalid``:
  ``"raise"`` (default, an :class:`~ioukit.InputError` naming the first offending box),
  ``"nan"`` / ``"zero"`` (every score involving that box is NaN / 0), ``"sort_corners"`` (swap
  inverted corners first, as in Algorithm 2 of Rezatofighi et al.; NaN/inf still raise).
* **Degenerate pairs.** A pair whose union is 0 (e.g. two identical zero-area boxes) has IoU 0,
  never NaN. Likewise a penalty term whose denominator is 0 (enclosing area or enclosing diagonal
  of two identical points, CIoU's ``alpha`` for two identical boxes) is 0.

Speed and memory. NumPy inputs (and PyTorch CPU tensors that need no gradient) go through
threaded numba kernels that evaluate the same float64 formulas as the Array API path and write
each score straight into the output array of the final dtype: no temporary the size of the
output. Other libraries (and autograd) use the Array API path in row chunks, each chunk written
into the output of the final dtype. :func:`sparse_box_iou` returns only the overlapping pairs,
without building the ``N × M`` matrix.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import array_api_compat
import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit._xp import (
    Array,
    device_of,
    float_dtype,
    is_numpy,
    is_torch,
    namespace,
    safe_divide,
    to_numpy,
)
from ioukit.core._checks import check_choice

__all__ = [
    "box_area",
    "box_convert",
    "box_iou",
    "box_iou_aligned",
    "complete_box_iou",
    "complete_box_iou_aligned",
    "distance_box_iou",
    "distance_box_iou_aligned",
    "generalized_box_iou",
    "generalized_box_iou_aligned",
    "sparse_box_iou",
]

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")
ON_INVALID = ("raise", "nan", "zero", "sort_corners")

#: Number of output elements computed per row chunk of a pairwise function; each chunk builds a
#: handful of temporaries of this size, so peak extra memory stays a small multiple of it.
_CHUNK_ELEMENTS = 1 << 18

_Cols = tuple[Array, Array, Array, Array]

_KIND_CODE = {"iou": 0, "giou": 1, "diou": 2, "ciou": 3}


@functools.cache
def _kernels() -> Any:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_boxes

    return _numba_boxes


@functools.cache
def _np_namespace() -> Any:
    return array_api_compat.array_namespace(np.empty(0))


def _torch_on_cpu_without_grad(xp: Any, *arrays: Array) -> bool:
    """Whether torch ``arrays`` can go through the NumPy kernels: CPU, no autograd needed."""
    if not is_torch(xp):
        return False
    import torch

    for a in arrays:
        if a.device.type != "cpu":
            return False
        if a.requires_grad and torch.is_grad_enabled():
            return False
    return True


def _host(xp: Any, x: Array) -> np.ndarray[Any, Any]:
    """``x`` as a NumPy array in host memory (no copy for NumPy and CPU torch tensors)."""
    if is_numpy(xp):
        return np.asarray(x)
    if is_torch(xp) and str(x.dtype) == "torch.bfloat16":  # NumPy has no bfloat16
        x = xp.astype(x, xp.float64)
    return to_numpy(x)


# ----------------------------------------------------------------------------- validation


def _check_shape(func: str, xp: Any, boxes: Array, name: str, min_ndim: int) -> None:
    shape = tuple(boxes.shape)
    if len(shape) < min_ndim or shape[-1] != 4:
        expected = "(..., 4)" if min_ndim == 1 else "(..., N, 4)"
        raise InputError(
            f"{func}: `{name}` must have shape {expected} (4 coordinates per box in the last "
            f"dimension); got shape {shape}."
        )
    if not xp.isdtype(boxes.dtype, ("real floating", "integral")):
        raise InputError(f"{func}: `{name}` must hold real numbers; got dtype {boxes.dtype}.")


def _compute_dtype(xp: Any, *arrays: Array) -> tuple[Any, Any]:
    """(dtype to compute in, dtype to return): see the module docstring."""
    ct = float_dtype(xp, arrays[0])
    if all(a.dtype == xp.float32 for a in arrays):
        return ct, xp.float32
    return ct, ct


def _cols(xp: Any, boxes: Array) -> _Cols:
    return boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]


def _prepare(
    func: str,
    xp: Any,
    boxes: Array,
    name: str,
    ct: Any,
    pixel_inclusive: bool,
    on_invalid: str,
) -> tuple[_Cols, Array | None]:
    """Cast to ``ct``, apply ``on_invalid`` and the pixel convention.

    Returns the four coordinate columns and the boolean mask of invalid boxes (``None`` when
    there are none or ``on_invalid`` resolved them).
    """
    b = xp.astype(boxes, ct)
    x1, y1, x2, y2 = _cols(xp, b)
    finite = xp.all(xp.isfinite(b), axis=-1)
    invalid = xp.logical_not(finite) | (x2 < x1) | (y2 < y1)
    mask: Array | None = None
    if bool(xp.any(invalid)):
        if on_invalid == "raise" or (on_invalid == "sort_corners" and not bool(xp.all(finite))):
            bad_mask = to_numpy(invalid if on_invalid == "raise" else xp.logical_not(finite))
            count = int(bad_mask.sum())
            first = np.argwhere(bad_mask)[0]
            index = tuple(int(i) for i in first)
            shown = index[0] if len(index) == 1 else index
            values = [v.item() for v in np.asarray(to_numpy(boxes))[index]]
            what = (
                "finite coordinates"
                if on_invalid == "sort_corners"
                else "valid xyxy boxes (x1 <= x2, y1 <= y2, finite coordinates)"
            )
            hint = (
                "NaN/inf coordinates cannot be repaired by on_invalid='sort_corners'; use "
                "on_invalid='nan' or 'zero', or drop those boxes."
                if on_invalid == "sort_corners"
                else "Check the box format (in_fmt of box_convert), or pass "
                "on_invalid='sort_corners' to swap inverted corners, or on_invalid='nan' / "
                "'zero' to score those boxes as NaN / 0."
            )
            raise InputError(
                f"{func}: `{name}` must hold {what}; got {count} invalid box(es) of "
                f"{bad_mask.size}, the first at index {shown}: {values}. {hint}"
            )
        if on_invalid == "sort_corners":
            x1, x2 = xp.minimum(x1, x2), xp.maximum(x1, x2)
            y1, y2 = xp.minimum(y1, y2), xp.maximum(y1, y2)
        else:
            mask = invalid
            zero = xp.zeros_like(x1)
            x1, y1, x2, y2 = (xp.where(invalid, zero, c) for c in (x1, y1, x2, y2))
    if pixel_inclusive:
        x2 = x2 + 1
        y2 = y2 + 1
    return (x1, y1, x2, y2), mask


# ----------------------------------------------------------------------------- formulas


def _relu(xp: Any, d: Array) -> Array:
    return xp.where(d > 0, d, xp.zeros_like(d))


def _aspect_angle(xp: Any, w: Array, h: Array) -> Array:
    """``atan2(w, h)``: ``arctan(w / h)`` for ``w >= 0, h > 0`` and 0 (not NaN) for a 0 × 0 box.

    At ``(0, 0)`` the inputs are replaced by ``(0, 1)``: the same value, and a finite gradient
    in autograd libraries (PyTorch's atan2 gradient is NaN there).
    """
    both = (w == 0) & (h == 0)
    return xp.atan2(xp.where(both, xp.zeros_like(w), w), xp.where(both, xp.ones_like(h), h))


def _score(
    xp: Any,
    kind: str,
    a: _Cols,
    b: _Cols,
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


def _pairwise(
    func: str,
    kind: str,
    boxes1: Array,
    boxes2: Array,
    pixel_inclusive: bool,
    on_invalid: str,
) -> Array:
    check_choice(func, "on_invalid", on_invalid, ON_INVALID)
    xp, (b1, b2) = namespace(boxes1, boxes2, func=func)
    _check_shape(func, xp, b1, "boxes1", 2)
    _check_shape(func, xp, b2, "boxes2", 2)
    lead1, lead2 = tuple(b1.shape[:-2]), tuple(b2.shape[:-2])
    try:
        lead = tuple(np.broadcast_shapes(lead1, lead2))
    except ValueError:
        raise InputError(
            f"{func}: the leading (batch) dimensions of `boxes1` and `boxes2` must broadcast; "
            f"got shapes {tuple(b1.shape)} and {tuple(b2.shape)}."
        ) from None
    if _torch_on_cpu_without_grad(xp, b1, b2):
        out_np = _pairwise_numpy(
            func, kind, _host(xp, b1), _host(xp, b2), lead, pixel_inclusive, on_invalid
        )
        return xp.asarray(out_np)
    if is_numpy(xp):
        return _pairwise_numpy(func, kind, b1, b2, lead, pixel_inclusive, on_invalid)
    ct, out_dtype = _compute_dtype(xp, b1, b2)
    a, mask1 = _prepare(func, xp, b1, "boxes1", ct, pixel_inclusive, on_invalid)
    b, mask2 = _prepare(func, xp, b2, "boxes2", ct, pixel_inclusive, on_invalid)
    n, m = int(b1.shape[-2]), int(b2.shape[-2])
    bcols = tuple(c[..., None, :] for c in b)
    fill = math.nan if on_invalid == "nan" else 0.0

    def rows_of(start: int, stop: int) -> Array:
        """Scores of rows ``start:stop`` of ``boxes1`` against every box of ``boxes2``."""
        part = _score(xp, kind, tuple(c[..., start:stop, None] for c in a), bcols)
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


def _kernel_columns(
    xp: Any, cols: _Cols, lead: tuple[int, ...], n: int, kind: str
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(4, B, n) float64 columns, their areas and (for CIoU) aspect angles, B = prod(lead)."""
    stacked = np.stack([np.broadcast_to(np.asarray(c), (*lead, n)) for c in cols])
    c = np.ascontiguousarray(stacked.reshape(4, -1, n))
    with np.errstate(over="ignore", invalid="ignore"):  # coordinates near the float64 limit
        w, h = c[2] - c[0], c[3] - c[1]
        area = w * h
        # the same elementwise operations as _score, so both paths give the same numbers
        at = np.arctan2(w, h) if kind == "ciou" else area
    return c, area, at


def _kernel_mask(mask: Array | None, lead: tuple[int, ...], n: int) -> np.ndarray[Any, Any]:
    if mask is None:
        return np.zeros((math.prod(lead), n), dtype=np.bool_)
    return np.ascontiguousarray(np.broadcast_to(np.asarray(mask), (*lead, n)).reshape(-1, n))


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
    xp = _np_namespace()
    ct, out_dtype = _compute_dtype(xp, b1, b2)
    a, mask1 = _prepare(func, xp, b1, "boxes1", ct, pixel_inclusive, on_invalid)
    b, mask2 = _prepare(func, xp, b2, "boxes2", ct, pixel_inclusive, on_invalid)
    n, m = int(b1.shape[-2]), int(b2.shape[-2])
    out = np.empty((*lead, n, m), dtype=out_dtype)
    if out.size == 0:
        return out
    ca, area_a, at_a = _kernel_columns(xp, a, lead, n, kind)
    cb, area_b, at_b = _kernel_columns(xp, b, lead, m, kind)
    fill = math.nan if on_invalid == "nan" else 0.0
    _kernels().pairwise(
        _KIND_CODE[kind],
        ca,
        area_a,
        at_a,
        _kernel_mask(mask1, lead, n),
        cb,
        area_b,
        at_b,
        _kernel_mask(mask2, lead, m),
        mask2 is not None,
        fill,
        out.reshape(-1, m),
    )
    return out


def _aligned(
    func: str,
    kind: str,
    boxes1: Array,
    boxes2: Array,
    pixel_inclusive: bool,
    on_invalid: str,
) -> Array:
    check_choice(func, "on_invalid", on_invalid, ON_INVALID)
    xp, (b1, b2) = namespace(boxes1, boxes2, func=func)
    _check_shape(func, xp, b1, "boxes1", 1)
    _check_shape(func, xp, b2, "boxes2", 1)
    if tuple(b1.shape) != tuple(b2.shape):
        raise InputError(
            f"{func}: `boxes1` and `boxes2` must have the same shape (one pair per row); got "
            f"shapes {tuple(b1.shape)} and {tuple(b2.shape)}."
        )
    if _torch_on_cpu_without_grad(xp, b1, b2):
        out_np = _aligned_numpy(
            func, kind, _host(xp, b1), _host(xp, b2), pixel_inclusive, on_invalid
        )
        return xp.asarray(out_np)
    if is_numpy(xp):
        return _aligned_numpy(func, kind, b1, b2, pixel_inclusive, on_invalid)
    ct, out_dtype = _compute_dtype(xp, b1, b2)
    a, mask1 = _prepare(func, xp, b1, "boxes1", ct, pixel_inclusive, on_invalid)
    b, mask2 = _prepare(func, xp, b2, "boxes2", ct, pixel_inclusive, on_invalid)
    out = _score(xp, kind, a, b)
    if mask1 is not None or mask2 is not None:
        bad = xp.zeros(out.shape, dtype=xp.bool, device=device_of(out))
        for mk in (mask1, mask2):
            if mk is not None:
                bad = bad | mk
        fill = math.nan if on_invalid == "nan" else 0.0
        out = xp.where(bad, xp.full_like(out, fill), out)
    return xp.astype(out, out_dtype) if out.dtype != out_dtype else out


def _flat(cols: _Cols) -> _Cols:
    c1, c2, c3, c4 = (np.asarray(c).reshape(-1) for c in cols)
    return c1, c2, c3, c4


def _aligned_numpy(
    func: str,
    kind: str,
    b1: np.ndarray[Any, Any],
    b2: np.ndarray[Any, Any],
    pixel_inclusive: bool,
    on_invalid: str,
) -> np.ndarray[Any, Any]:
    """The NumPy path of the aligned functions: the threaded numba kernel."""
    xp = _np_namespace()
    ct, out_dtype = _compute_dtype(xp, b1, b2)
    a, mask1 = _prepare(func, xp, b1, "boxes1", ct, pixel_inclusive, on_invalid)
    b, mask2 = _prepare(func, xp, b2, "boxes2", ct, pixel_inclusive, on_invalid)
    shape = tuple(b1.shape[:-1])
    out = np.empty(shape, dtype=out_dtype)
    if out.size == 0:
        return out
    k = out.size
    ca, area_a, at_a = _kernel_columns(xp, _flat(a), (), k, kind)
    cb, area_b, at_b = _kernel_columns(xp, _flat(b), (), k, kind)
    bad = np.zeros(k, dtype=np.bool_)
    for mk in (mask1, mask2):
        if mk is not None:
            bad |= np.asarray(mk).reshape(-1)
    fill = math.nan if on_invalid == "nan" else 0.0
    _kernels().aligned(
        _KIND_CODE[kind],
        ca.reshape(4, k),
        area_a.reshape(k),
        at_a.reshape(k),
        cb.reshape(4, k),
        area_b.reshape(k),
        at_b.reshape(k),
        bad,
        fill,
        out.reshape(k),
    )
    return out


# ----------------------------------------------------------------------------- public API


def box_convert(boxes: Array, in_fmt: str, out_fmt: str) -> Array:
    """Convert boxes between the ``"xyxy"``, ``"xywh"`` and ``"cxcywh"`` formats.

    Parameters
    ----------
    boxes : array of shape (..., 4)
        ``xyxy``: corners ``(x1, y1, x2, y2)``; ``xywh``: top-left corner, width, height
        (COCO); ``cxcywh``: centre, width, height (DETR, YOLO).
    in_fmt, out_fmt : {"xyxy", "xywh", "cxcywh"}
        Formats of ``boxes`` and of the result. Conversion goes through ``xyxy``.

    Returns
    -------
    array of shape (..., 4)
        Integer and half-precision inputs are converted in float64 (no wrap-around of
        ``x + w``); float32 and float64 keep their dtype. No validation of the values is done.

    Examples
    --------
    >>> import numpy as np
    >>> box_convert(np.array([[10.0, 20.0, 30.0, 60.0]]), "xyxy", "cxcywh")
    array([[20., 40., 20., 40.]])
    """
    func = "box_convert"
    check_choice(func, "in_fmt", in_fmt, BOX_FORMATS)
    check_choice(func, "out_fmt", out_fmt, BOX_FORMATS)
    xp, (b,) = namespace(boxes, func=func)
    _check_shape(func, xp, b, "boxes", 1)
    if b.dtype not in (xp.float32, xp.float64):
        b = xp.astype(b, float_dtype(xp, b))
    c0, c1, c2, c3 = _cols(xp, b)
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


def box_area(boxes: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise") -> Array:
    """Area of ``xyxy`` boxes: ``(x2 - x1) * (y2 - y1)``.

    Parameters
    ----------
    boxes : array of shape (..., 4)
        Boxes in ``xyxy`` format.
    pixel_inclusive : bool, default False
        Legacy "+1" convention: area ``(x2 - x1 + 1) * (y2 - y1 + 1)``.
    on_invalid : {"raise", "nan", "zero", "sort_corners"}, default "raise"
        What an inverted box (``x2 < x1`` or ``y2 < y1``) or a NaN/inf coordinate does: raise
        an :class:`~ioukit.InputError`, give area NaN or 0, or swap the corners first.

    Returns
    -------
    array of shape (...)
        float64 (float32 for float32 input, see the module docstring). A zero-width box has
        area 0.

    Examples
    --------
    >>> import numpy as np
    >>> box_area(np.array([[0, 0, 10, 10], [5, 5, 15, 15]], dtype=np.uint8))
    array([100., 100.])
    >>> box_area(np.array([[0, 0, 9, 9]]), pixel_inclusive=True)
    array([100.])
    """
    func = "box_area"
    check_choice(func, "on_invalid", on_invalid, ON_INVALID)
    xp, (b,) = namespace(boxes, func=func)
    _check_shape(func, xp, b, "boxes", 1)
    ct, out_dtype = _compute_dtype(xp, b)
    (x1, y1, x2, y2), mask = _prepare(func, xp, b, "boxes", ct, pixel_inclusive, on_invalid)
    out = (x2 - x1) * (y2 - y1)
    if mask is not None:
        fill = math.nan if on_invalid == "nan" else 0.0
        out = xp.where(mask, xp.full_like(out, fill), out)
    return xp.astype(out, out_dtype) if out.dtype != out_dtype else out


_PAIR_DOC = """
    Parameters
    ----------
    boxes1 : array of shape (..., N, 4)
        Boxes in ``xyxy`` format (convert others with :func:`box_convert`).
    boxes2 : array of shape (..., M, 4)
        Boxes in ``xyxy`` format; leading dimensions broadcast with those of ``boxes1``.
    pixel_inclusive : bool, default False
        Legacy VOC "+1" convention: widths are ``x2 - x1 + 1`` and heights ``y2 - y1 + 1``
        (applied to the boxes, the intersection and the enclosing box alike).
    on_invalid : {"raise", "nan", "zero", "sort_corners"}, default "raise"
        Boxes with ``x2 < x1``, ``y2 < y1`` or NaN/inf coordinates: raise an
        :class:`~ioukit.InputError` naming the first one; make that box's row/column NaN or 0;
        or swap the corners first (NaN/inf still raise).

    Returns
    -------
    array of shape (..., N, M)
        ``out[..., i, j]`` scores ``boxes1[..., i, :]`` against ``boxes2[..., j, :]``. float64
        (float32 for float32 input; integers and float16 are computed in float64, so ``uint8``
        boxes do not wrap around). ``N = 0`` or ``M = 0`` gives an empty ``(..., N, M)`` array.
        NumPy input, and torch CPU tensors that need no gradient, go through a threaded numba
        kernel that writes each score straight into the output (peak extra memory: the output
        itself; torch tensors come back as tensors). Other libraries, GPU tensors and autograd
        use the Array API path, in row chunks written into the output of the final dtype, with
        the same float64 formulas. For large sparse problems see :func:`sparse_box_iou`.
"""

_ALIGNED_DOC = """
    Parameters
    ----------
    boxes1, boxes2 : arrays of shape (..., N, 4)
        Boxes in ``xyxy`` format, paired row by row; the shapes must be equal.
    pixel_inclusive, on_invalid
        As in the pairwise function.

    Returns
    -------
    array of shape (..., N)
        The diagonal of the pairwise matrix: ``out[..., i]`` scores ``boxes1[..., i, :]``
        against ``boxes2[..., i, :]``. Same dtype rule as the pairwise function.
"""


def box_iou(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    return _pairwise("box_iou", "iou", boxes1, boxes2, pixel_inclusive, on_invalid)


box_iou.__doc__ = (
    """Pairwise Intersection-over-Union (Jaccard index) of two sets of boxes.

    ``IoU(A, B) = |A ∩ B| / |A ∪ B|`` with ``|A ∪ B| = |A| + |B| - |A ∩ B|``. A pair whose union
    is 0 (two zero-area boxes) has IoU 0, never NaN.
"""
    + _PAIR_DOC
    + """
    Examples
    --------
    Two 10×10 boxes overlapping in a 5×5 square: 25 / (100 + 100 - 25) = 25/175.

    >>> import numpy as np
    >>> iou = box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> iou.shape, round(float(iou[0, 0]), 4)
    ((1, 1), 0.1429)
"""
)


def generalized_box_iou(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    return _pairwise("generalized_box_iou", "giou", boxes1, boxes2, pixel_inclusive, on_invalid)


generalized_box_iou.__doc__ = (
    """Pairwise Generalized IoU (Rezatofighi et al., CVPR 2019, arXiv:1902.09630).

    ``GIoU = IoU - |C \\ (A ∪ B)| / |C|`` where ``C`` is the smallest box enclosing ``A`` and
    ``B``; in ``(-1, 1]`` and negative for distant disjoint boxes. Equal to torchvision's
    ``generalized_box_iou`` for valid boxes. Unlike torchvision, an inverted box is rejected
    (or handled by ``on_invalid``) instead of scoring GIoU = 1. When ``|C| = 0`` (two identical
    points) the penalty is 0, and so is the IoU.
"""
    + _PAIR_DOC
    + """
    Examples
    --------
    The seed pair: IoU = 25/175, C = 15×15 = 225, so GIoU = 25/175 - (225 - 175)/225 ≈ -0.0794.

    >>> import numpy as np
    >>> g = generalized_box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> round(float(g[0, 0]), 4)
    -0.0794
"""
)


def distance_box_iou(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    return _pairwise("distance_box_iou", "diou", boxes1, boxes2, pixel_inclusive, on_invalid)


distance_box_iou.__doc__ = (
    """Pairwise Distance-IoU (Zheng et al., AAAI 2020, arXiv:1911.08287).

    ``DIoU = IoU - ρ² / c²`` where ``ρ`` is the distance between the box centres and ``c`` the
    diagonal of the smallest enclosing box; in ``(-1, 1]``. Matches torchvision's
    ``distance_box_iou`` for valid boxes up to its ``eps=1e-7`` (added to ``c²`` there; not
    here). When ``c = 0`` (two identical points) the penalty is 0.
"""
    + _PAIR_DOC
    + """
    Examples
    --------
    The seed pair: centres (5, 5) and (10, 10), ρ² = 50; C is 15×15, c² = 450;
    DIoU = 25/175 - 50/450 ≈ 0.0317.

    >>> import numpy as np
    >>> d = distance_box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> round(float(d[0, 0]), 4)
    0.0317
"""
)


def complete_box_iou(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    return _pairwise("complete_box_iou", "ciou", boxes1, boxes2, pixel_inclusive, on_invalid)


complete_box_iou.__doc__ = (
    """Pairwise Complete-IoU (Zheng et al., AAAI 2020, arXiv:1911.08287).

    ``CIoU = DIoU - α v`` with ``v = (4/π²) (arctan(w₂/h₂) - arctan(w₁/h₁))²`` and
    ``α = v / ((1 - IoU) + v)`` (the ungated form of the AAAI paper, as torchvision; α = 0 when
    its denominator is 0, i.e. identical boxes). ``arctan(w/h)`` is computed as
    ``atan2(w, h)``, so a 0×0 box has aspect angle 0 instead of NaN. Matches torchvision's
    ``complete_box_iou`` for valid boxes up to its ``eps=1e-7``.
"""
    + _PAIR_DOC
    + """
    Examples
    --------
    Same aspect ratio, so v = 0 and CIoU = DIoU for the seed pair.

    >>> import numpy as np
    >>> c = complete_box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> round(float(c[0, 0]), 4)
    0.0317
"""
)


def box_iou_aligned(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    return _aligned("box_iou_aligned", "iou", boxes1, boxes2, pixel_inclusive, on_invalid)


box_iou_aligned.__doc__ = (
    """Row-by-row IoU of matched pairs of boxes (see :func:`box_iou`).
"""
    + _ALIGNED_DOC
    + """
    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0, 0, 10, 10], [0, 0, 10, 10]])
    >>> b = np.array([[5, 5, 15, 15], [0, 0, 10, 10]])
    >>> np.round(box_iou_aligned(a, b), 4)
    array([0.1429, 1.    ])
"""
)


def generalized_box_iou_aligned(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    return _aligned(
        "generalized_box_iou_aligned", "giou", boxes1, boxes2, pixel_inclusive, on_invalid
    )


generalized_box_iou_aligned.__doc__ = (
    """Row-by-row Generalized IoU of matched pairs (see :func:`generalized_box_iou`).
"""
    + _ALIGNED_DOC
    + """
    Examples
    --------
    >>> import numpy as np
    >>> g = generalized_box_iou_aligned(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> np.round(g, 4)
    array([-0.0794])
"""
)


def distance_box_iou_aligned(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    return _aligned("distance_box_iou_aligned", "diou", boxes1, boxes2, pixel_inclusive, on_invalid)


distance_box_iou_aligned.__doc__ = (
    """Row-by-row Distance-IoU of matched pairs (see :func:`distance_box_iou`).
"""
    + _ALIGNED_DOC
    + """
    Examples
    --------
    >>> import numpy as np
    >>> d = distance_box_iou_aligned(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> np.round(d, 4)
    array([0.0317])
"""
)


def complete_box_iou_aligned(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    return _aligned("complete_box_iou_aligned", "ciou", boxes1, boxes2, pixel_inclusive, on_invalid)


complete_box_iou_aligned.__doc__ = (
    """Row-by-row Complete-IoU of matched pairs (see :func:`complete_box_iou`).
"""
    + _ALIGNED_DOC
    + """
    Examples
    --------
    >>> import numpy as np
    >>> c = complete_box_iou_aligned(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> np.round(c, 4)
    array([0.0317])
"""
)


# ----------------------------------------------------------------------------- sparse


def _check_min_iou(func: str, min_iou: object) -> float:
    if (
        isinstance(min_iou, bool)
        or not isinstance(min_iou, (int, float, np.integer, np.floating))
        or not 0.0 <= float(min_iou) <= 1.0
    ):
        raise ParameterError(
            f"{func}: `min_iou` must be a number in [0, 1]; got {min_iou!r}. Use 0 for every "
            "overlapping pair (IoU > 0), or the smallest IoU to keep (IoU >= min_iou)."
        )
    return float(min_iou)


def _sparse_boxes(
    func: str, xp: Any, boxes: Array, name: str, pixel_inclusive: bool, on_invalid: str
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(4, N) float64 columns, areas, and which boxes can overlap anything (positive area)."""
    _check_shape(func, xp, boxes, name, 2)
    if len(tuple(boxes.shape)) != 2:
        raise InputError(
            f"{func}: `{name}` must have shape (N, 4) (one set of boxes, no batch dimensions); "
            f"got shape {tuple(boxes.shape)}. Call it once per image for batches."
        )
    npx = _np_namespace()
    cols, mask = _prepare(
        func, npx, _host(xp, boxes), name, npx.float64, pixel_inclusive, on_invalid
    )
    c = np.ascontiguousarray(np.stack([np.asarray(v) for v in cols]))
    with np.errstate(over="ignore", invalid="ignore"):  # coordinates near the float64 limit
        w, h = c[2] - c[0], c[3] - c[1]
        area = w * h
    ok = (w > 0) & (h > 0)
    if mask is not None:
        ok &= ~np.asarray(mask)
    return c, area, ok


def _levels(extent: float, s0: float, finite: bool) -> tuple[np.ndarray[Any, Any], ...]:
    """Levels along one axis, cells ``s0 * 2**l`` wide: (1 / cell size, cell count, cell size).

    The last level is the first whose cell spans the whole extent (one or two cells).
    """
    if not finite or extent <= 0:
        return np.array([0.0]), np.array([1], dtype=np.int64), np.array([math.inf])
    top = max(0, math.ceil(math.log2(extent / s0)))  # first level whose cell spans the extent
    size = s0 * np.exp2(np.arange(top + 1, dtype=np.float64))
    g = np.floor(extent / size).astype(np.int64) + 1
    return 1.0 / size, g, size


@np.errstate(over="ignore", invalid="ignore", divide="ignore")  # extents may overflow: handled
def _sparse_numpy(
    a: np.ndarray[Any, Any],
    area_a: np.ndarray[Any, Any],
    ok_a: np.ndarray[Any, Any],
    b: np.ndarray[Any, Any],
    area_b: np.ndarray[Any, Any],
    ok_b: np.ndarray[Any, Any],
    self_pairs: bool,
    min_iou: float,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Grid ``b``, query it with ``a``; see :mod:`ioukit.kernels._numba_boxes`."""
    t = int(ok_b.sum())
    if t == 0 or not ok_a.any():
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), np.empty(0, dtype=np.float64)
    x0, y0 = float(b[0][ok_b].min()), float(b[1][ok_b].min())
    x1, y1 = float(b[2][ok_b].max()), float(b[3][ok_b].max())
    ex, ey = x1 - x0, y1 - y0
    finite = math.isfinite(ex) and math.isfinite(ey)
    # finest cells: about one per box of `b`, and at most t + 1 along either axis
    s0 = max(math.sqrt(ex) * math.sqrt(ey / t), max(ex, ey) / t) if finite else math.inf
    # subnormal extents: one cell (still exact, only slower)
    finite = finite and s0 > 0 and math.isfinite(1 / s0) and math.isfinite(max(ex, ey) / s0)
    inv_xl, gxl, sxl = _levels(ex, s0, finite)
    inv_yl, gyl, syl = _levels(ey, s0, finite)
    # each box of `b` goes to the level whose cells are as wide and as high as it is
    w, h = b[2] - b[0], b[3] - b[1]
    ny = len(gyl)
    key = np.clip(np.searchsorted(sxl, w), 0, len(gxl) - 1) * ny
    key += np.clip(np.searchsorted(syl, h), 0, ny - 1)
    key[~ok_b] = 0
    used = np.bincount(key[ok_b], minlength=len(gxl) * ny) > 0
    keys = np.flatnonzero(used)
    lut = np.cumsum(used) - 1
    level = lut[key]
    kx, ky = keys // ny, keys % ny
    gx, gy = gxl[kx], gyl[ky]
    inv_x, inv_y = inv_xl[kx], inv_yl[ky]
    cells = gx * gy
    cell_off = np.concatenate([[0], np.cumsum(cells)[:-1]])
    maxw = np.zeros(len(keys))
    maxh = np.zeros(len(keys))
    np.maximum.at(maxw, level[ok_b], w[ok_b])
    np.maximum.at(maxh, level[ok_b], h[ok_b])
    origin = np.ones(len(keys))
    columns = [origin * x0, origin * y0, inv_x, inv_y, gx, gy, cell_off, maxw, maxh]
    grid = np.stack(columns, axis=1).astype(np.float64)
    k = _kernels()
    starts, entries, eb = k.grid_build(
        b, area_b, level, ok_b, x0, y0, inv_x, inv_y, gx, gy, cell_off, int(cells.sum())
    )
    # boxes of `a` outside the extent of `b` overlap nothing
    ok_a = ok_a & (a[2] > x0) & (a[0] < x1) & (a[3] > y0) & (a[1] < y1)
    # query in the order of a coarse grid (about one cell per query box, at most 1024 x 1024),
    # so that the boxes handled one after the other read the same cells
    g = int(min(1024, max(1, math.isqrt(int(ok_a.sum())))))
    inv = g / max(ex, ey) if finite else 0.0
    inv = inv if math.isfinite(inv) else 0.0
    order = k.spatial_order(a, ok_a, x0, y0, inv, g if inv > 0 else 1)
    args = (a, area_a, order, self_pairs, min_iou, grid, starts, entries, eb)
    offsets = k.sparse_count(*args)
    i, j, v = k.sparse_fill(*args, offsets)
    return i, j, v


def sparse_box_iou(
    boxes1: Array,
    boxes2: Array | None = None,
    *,
    min_iou: float = 0.0,
    pixel_inclusive: bool = False,
    on_invalid: str = "raise",
) -> tuple[Array, Array, Array]:
    """Overlapping pairs of boxes and their IoU, without building the ``N × M`` matrix.

    Returns the pairs ``(i, j)`` whose IoU passes the threshold, in coordinate (COO) form:
    with ``min_iou == 0`` (default) every pair with ``IoU > 0`` (the boxes' interiors
    overlap; touching boxes have IoU 0 and are left out), with ``min_iou > 0`` every pair with
    ``IoU >= min_iou`` (inclusive, like COCO's matching thresholds). That is exactly
    ``iou = box_iou(boxes1, boxes2)`` followed by ``np.nonzero(iou > 0)`` or
    ``np.nonzero(iou >= min_iou)``, with the IoU compared in float64, but the time and memory
    grow with the number of boxes and of overlapping pairs, not with ``N × M``.

    Parameters
    ----------
    boxes1 : array of shape (N, 4)
        Boxes in ``xyxy`` format.
    boxes2 : array of shape (M, 4), optional
        Boxes in ``xyxy`` format. ``None`` (default): the pairs of ``boxes1`` with itself,
        each unordered pair once, with ``i < j`` (a box is not paired with itself), as the
        strict upper triangle of ``box_iou(boxes1, boxes1)``.
    min_iou : float in [0, 1], default 0
        0: keep every pair with ``IoU > 0``; otherwise keep pairs with ``IoU >= min_iou``.
    pixel_inclusive : bool, default False
        Legacy VOC "+1" convention, as in :func:`box_iou`.
    on_invalid : {"raise", "nan", "zero", "sort_corners"}, default "raise"
        As in :func:`box_iou`: raise, or swap inverted corners first (``"sort_corners"``). With
        ``"nan"`` and ``"zero"`` an invalid box scores NaN / 0 in :func:`box_iou`, which
        passes no threshold, so it appears in no pair here.

    Returns
    -------
    i, j : int64 arrays of shape (P,)
        Row indices into ``boxes1`` and column indices into ``boxes2`` (into ``boxes1`` when
        ``boxes2`` is None), sorted by ``(i, j)``.
    iou : float64 array of shape (P,)
        IoU of each pair, computed in float64 with the same formula as :func:`box_iou` (so
        ``iou`` equals the float64 ``box_iou(boxes1, boxes2)[i, j]``).

    Notes
    -----
    The boxes of ``boxes2`` are put in a multi-level uniform grid (cells of ``s · 2**k`` in x
    and ``s · 2**l`` in y, each box in the level that fits its width and height, so long thin
    boxes and one box covering everything cost no more than others); each box of ``boxes1``
    visits the cells it overlaps in a threaded numba kernel, in two passes (count, then
    fill), so the memory is the output plus O(N + M). The computation runs on the CPU with
    NumPy: other array libraries are copied to host memory, and the results are returned in
    the input's library and on its device (for a CUDA tensor, on that GPU). Zero-area boxes
    overlap nothing (IoU 0) and appear in no pair. Batched ``(..., N, 4)`` input is not
    accepted: call the function per image.

    Examples
    --------
    The seed pair overlaps (IoU 25/175); the third box only touches the first (IoU 0).

    >>> import numpy as np
    >>> a = np.array([[0, 0, 10, 10], [100, 100, 110, 110]])
    >>> b = np.array([[5, 5, 15, 15], [10, 0, 20, 10]])
    >>> i, j, iou = sparse_box_iou(a, b)
    >>> i, j, np.round(iou, 4)
    (array([0]), array([0]), array([0.1429]))
    >>> sparse_box_iou(np.concatenate([a, b]), min_iou=0.1)[:2]
    (array([0, 2]), array([2, 3]))
    """
    func = "sparse_box_iou"
    check_choice(func, "on_invalid", on_invalid, ON_INVALID)
    threshold = _check_min_iou(func, min_iou)
    xp, (b1, b2) = namespace(boxes1, boxes2, func=func)
    a, area_a, ok_a = _sparse_boxes(func, xp, b1, "boxes1", pixel_inclusive, on_invalid)
    if b2 is None:
        i, j, v = _sparse_numpy(a, area_a, ok_a, a, area_a, ok_a, True, threshold)
    else:
        b, area_b, ok_b = _sparse_boxes(func, xp, b2, "boxes2", pixel_inclusive, on_invalid)
        i, j, v = _sparse_numpy(a, area_a, ok_a, b, area_b, ok_b, False, threshold)
    if is_numpy(xp):
        return i, j, v
    dev = device_of(b1)
    return xp.asarray(i, device=dev), xp.asarray(j, device=dev), xp.asarray(v, device=dev)
