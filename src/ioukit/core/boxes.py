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
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat
import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit._xp import Array, device_of, float_dtype, namespace, safe_divide, to_numpy

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
]

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")
ON_INVALID = ("raise", "nan", "zero", "sort_corners")

#: Number of output elements computed per row chunk of a pairwise function; each chunk builds a
#: handful of temporaries of this size, so peak extra memory stays a small multiple of it.
_CHUNK_ELEMENTS = 1 << 18

_Cols = tuple[Array, Array, Array, Array]


# ----------------------------------------------------------------------------- validation


def _check_choice(func: str, name: str, value: object, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ParameterError(f"{func}: `{name}` must be one of {listed}; got {value!r}.")
    return value


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


def _score(xp: Any, kind: str, a: _Cols, b: _Cols) -> Array:
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
    # atan2(w, h) == atan(w / h) for w >= 0, h > 0, and is 0 (not NaN) for a 0 x 0 box
    dv = xp.atan2(wb, hb) - xp.atan2(wa, ha)
    v = (4 / math.pi**2) * (dv * dv)
    alpha = safe_divide(xp, v, (1 - iou) + v, 0.0)
    return diou - alpha * v


def _pairwise(
    func: str,
    kind: str,
    boxes1: Array,
    boxes2: Array,
    pixel_inclusive: bool,
    on_invalid: str,
) -> Array:
    _check_choice(func, "on_invalid", on_invalid, ON_INVALID)
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
        return xp.broadcast_to(part, (*lead, stop - start, m))

    rows = max(1, _CHUNK_ELEMENTS // max(1, m * math.prod(lead)))
    if n <= rows:
        out = rows_of(0, n)
    elif array_api_compat.is_jax_namespace(xp):  # immutable arrays: join the chunks
        out = xp.concat([rows_of(i, min(n, i + rows)) for i in range(0, n, rows)], axis=-2)
    else:  # write each chunk into the output: peak extra memory is one chunk's temporaries
        out = xp.empty((*lead, n, m), dtype=ct, device=device_of(b1))
        for i in range(0, n, rows):
            out[..., i : min(n, i + rows), :] = rows_of(i, min(n, i + rows))
    return xp.astype(out, out_dtype) if out.dtype != out_dtype else out


def _aligned(
    func: str,
    kind: str,
    boxes1: Array,
    boxes2: Array,
    pixel_inclusive: bool,
    on_invalid: str,
) -> Array:
    _check_choice(func, "on_invalid", on_invalid, ON_INVALID)
    xp, (b1, b2) = namespace(boxes1, boxes2, func=func)
    _check_shape(func, xp, b1, "boxes1", 1)
    _check_shape(func, xp, b2, "boxes2", 1)
    if tuple(b1.shape) != tuple(b2.shape):
        raise InputError(
            f"{func}: `boxes1` and `boxes2` must have the same shape (one pair per row); got "
            f"shapes {tuple(b1.shape)} and {tuple(b2.shape)}."
        )
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
    _check_choice(func, "in_fmt", in_fmt, BOX_FORMATS)
    _check_choice(func, "out_fmt", out_fmt, BOX_FORMATS)
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
    _check_choice(func, "on_invalid", on_invalid, ON_INVALID)
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
        Computed in row chunks, without ``(N, M, 2)`` temporaries.
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
