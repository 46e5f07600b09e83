"""Instance masks: pairwise and aligned IoU of binary masks, their exact overlap counts, and
the bounding boxes of masks.

Masks are ``(N, H, W)`` arrays (or ``(N, D, H, W)``: spatial dimensions are flattened) of
``bool``, or of integers or floats that are all 0 or 1. Every function works on any Array API
library (NumPy, PyTorch, array-api-strict, JAX, CuPy); results stay in the input's library and
on its device.

Conventions shared by every function here:

* **Counts are exact.** Intersections and areas are int64 pixel counts
  (:func:`mask_overlap_counts`); IoU divides them once, in float64 (float32 on devices without
  float64), with the same rule as :func:`ioukit.box_iou`: a pair whose union is 0 (two empty
  masks) has IoU 0, never NaN.
* **Bounded memory.** Nothing of size ``N × M × H × W`` is ever built.

  - NumPy arrays and PyTorch CPU tensors: the masks are checked for values other than 0/1
    (bool needs no check), bit-packed into 64-bit words (1/8 of the memory of a ``bool``
    mask), and a numba kernel counts ``popcount(a & b)`` over the words where both masks may
    be set (each packed mask remembers its first and last non-zero word, so far-apart objects
    cost nothing), in parallel over rows. In ``benchmarks/masks.py`` (300 × 300 masks of
    512², 2 CPU cores) this is 3 to 30 times faster than a float32 matrix product of the
    unpacked masks, which also needs 4 bytes per pixel, so there is no size rule: the bit
    kernel always runs on the CPU. Tensors are read without a copy and the result is returned
    as a CPU tensor.
  - Every other library and device (PyTorch on CUDA, CuPy, JAX, array-api-strict): a matrix
    product ``masks1 @ masks2.T`` on tiles of at most 4096 × 4096 masks and pixel chunks that
    keep each converted tile under 2**24 elements. PyTorch computes in float32 with chunks of at
    most 2**24 pixels, where sums of 0/1 products are exact whatever the summation order
    (also with TF32 or ``float32_matmul_precision("medium")``, which represent 0 and 1
    exactly); other libraries compute in float64. Chunk results are accumulated in int64.

* **Crowd regions** (COCO ``iscrowd``): ``masks1`` are detections and ``masks2`` ground truth;
  for a crowd column the union is the area of the detection, so the score is
  ``|D ∩ G| / |D|`` (a detection may match any part of a crowd region), as in pycocotools.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ioukit._errors import InputError
from ioukit._xp import (
    Array,
    describe_values,
    device_of,
    float_dtype,
    is_numpy,
    is_torch,
    namespace,
    safe_divide,
    to_numpy,
)
from ioukit.core._checks import check_flags
from ioukit.kernels import masks as kernels

__all__ = [
    "MaskOverlapCounts",
    "mask_iou",
    "mask_iou_aligned",
    "mask_overlap_counts",
    "masks_to_boxes",
]

#: Most elements of the temporaries built per chunk on the array-library (GEMM) path.
_TILE_ELEMENTS = 1 << 24
#: Most masks on each side of one matrix-product tile.
_BLOCK = 4096
#: float32 sums of 0/1 products are exact up to this many pixels per chunk.
_F32_EXACT = 1 << 24

# ----------------------------------------------------------------------------- validation


def _check_masks(func: str, xp: Any, masks: Array, name: str, ndim: int | None = None) -> None:
    shape = tuple(masks.shape)
    # a 2-D array is refused rather than read as N flattened masks: it is far more often one
    # (H, W) mask, and reading it as H one-row masks would give silently wrong numbers
    if (ndim is None and len(shape) < 3) or (ndim is not None and len(shape) != ndim):
        expected = "(N, H, W)" if ndim == 3 else "(N, H, W) or (N, D, H, W), one mask per row"
        hint = (
            " A single mask needs a leading axis: mask[None]; masks flattened to (N, P) "
            "need a spatial axis: masks[:, None, :]."
            if len(shape) == 2
            else ""
        )
        raise InputError(f"{func}: `{name}` must have shape {expected}; got shape {shape}.{hint}")
    if not xp.isdtype(masks.dtype, ("bool", "integral", "real floating")):
        raise InputError(
            f"{func}: `{name}` must be a boolean (or 0/1 numeric) array; got dtype {masks.dtype}."
        )


def _check_spatial(func: str, m1: Array, m2: Array) -> None:
    if tuple(m1.shape[1:]) != tuple(m2.shape[1:]):
        raise InputError(
            f"{func}: `masks1` and `masks2` must have the same spatial dimensions; got shapes "
            f"{tuple(m1.shape)} and {tuple(m2.shape)}. Resize or pad the masks to one image "
            "size first."
        )


def _raise_values(func: str, name: str, rows: np.ndarray[Any, Any], flat: Any) -> None:
    """Raise the error for non-binary masks; ``rows`` marks the masks holding bad values."""
    index = int(np.flatnonzero(rows)[0])
    row_x = flat[index, ...]
    try:
        row = to_numpy(row_x)
    except TypeError:  # bfloat16 tensors have no NumPy twin
        row = to_numpy(row_x.float())
    vals = row[(row != 0) & (row != 1)]
    raise InputError(
        f"{func}: `{name}` must hold binary masks (bool, or numbers equal to 0 or 1); got "
        f"values {describe_values(vals)} in {int(rows.sum())} mask(s), the first at index "
        f"{index}. Threshold soft masks or probabilities first, e.g. `masks > 0.5`."
    )


def _flat(xp: Any, masks: Array) -> Array:
    """``(N, ...)`` → ``(N, P)``; PyTorch's unsigned types without comparisons → int64."""
    n = int(masks.shape[0])
    flat = xp.reshape(masks, (n, math.prod(int(s) for s in masks.shape[1:])))
    if is_torch(xp) and str(flat.dtype) in ("torch.uint16", "torch.uint32", "torch.uint64"):
        flat = xp.astype(flat, xp.int64)
    return flat


def _row_chunks(n: int, p: int) -> Iterator[tuple[int, int]]:
    rows = max(1, _TILE_ELEMENTS // max(1, p))
    for i in range(0, n, rows):
        yield i, min(n, i + rows)


def _check_crowd(func: str, crowd: object, m: int) -> np.ndarray[Any, Any]:
    return check_flags(func, "crowd", crowd, m, f"have shape ({m},), one flag per mask of `masks2`")


# ----------------------------------------------------------------------------- numba path


def _use_numba(xp: Any, *masks: Array) -> bool:
    """NumPy arrays, and PyTorch CPU tensors of dtypes NumPy can view without a copy."""
    if is_numpy(xp):
        return True
    if not is_torch(xp):
        return False
    return all(
        str(device_of(m)) == "cpu"
        and str(m.dtype).removeprefix("torch.")
        in ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
        for m in masks
    )


def _pack(func: str, name: str, flat: np.ndarray[Any, Any]) -> tuple[Any, Any]:
    """Bit-packed masks and their ``(area, first word, last word + 1)``; raise on non-binary
    values."""
    words, info, bad = kernels.pack(flat)
    if bool(bad.any()):
        _raise_values(func, name, bad, flat)
    return words, info


# ----------------------------------------------------------------------------- array path


def _validate(func: str, xp: Any, flat: Array, name: str) -> None:
    """Raise if a non-bool ``(N, P)`` array holds values other than 0 and 1 (row chunks)."""
    if flat.dtype == xp.bool:
        return
    n, p = int(flat.shape[0]), int(flat.shape[1])
    for i0, i1 in _row_chunks(n, p):
        c = flat[i0:i1, ...]
        rows = xp.any((c != 0) & (c != 1), axis=1)
        if bool(xp.any(rows)):
            flags = np.zeros(n, dtype=np.bool_)
            flags[i0:i1] = to_numpy(rows)
            _raise_values(func, name, flags, flat)


def _as_bool(xp: Any, c: Array) -> Array:
    return c if c.dtype == xp.bool else c != 0


def _count_rows(xp: Any, c: Array) -> Array:
    """Set pixels per row of a bool ``(n, P)`` array, int64."""
    if hasattr(xp, "count_nonzero"):
        return xp.astype(xp.count_nonzero(c, axis=1), xp.int64)
    return xp.sum(xp.astype(c, xp.int64), axis=1)


def _areas(xp: Any, flat: Array) -> Array:
    n, p = int(flat.shape[0]), int(flat.shape[1])
    dev = device_of(flat)
    if n == 0 or p == 0:
        return xp.zeros((n,), dtype=xp.int64, device=dev)
    parts = [_count_rows(xp, _as_bool(xp, flat[i0:i1, ...])) for i0, i1 in _row_chunks(n, p)]
    return parts[0] if len(parts) == 1 else xp.concat(parts)


def _gemm_counts(xp: Any, a: Array, b: Array) -> Array:
    """Exact ``(N, M)`` int64 intersection counts of validated ``(N, P)``, ``(M, P)`` masks by
    tiled matrix products (see the module docstring)."""
    n, p, m = int(a.shape[0]), int(a.shape[1]), int(b.shape[0])
    dev = device_of(a)
    if n == 0 or m == 0 or p == 0:
        return xp.zeros((n, m), dtype=xp.int64, device=dev)
    if is_torch(xp):
        ft, p_max = xp.float32, _F32_EXACT
    else:
        ft, p_max = xp.float64, p
    rb, cb = min(n, _BLOCK), min(m, _BLOCK)
    pc = max(1, min(p, p_max, _TILE_ELEMENTS // (rb + cb)))
    rows = []
    for i0 in range(0, n, rb):
        i1 = min(n, i0 + rb)
        tiles = []
        for j0 in range(0, m, cb):
            j1 = min(m, j0 + cb)
            acc = xp.zeros((i1 - i0, j1 - j0), dtype=xp.int64, device=dev)
            for p0 in range(0, p, pc):
                p1 = min(p, p0 + pc)
                fa = xp.astype(a[i0:i1, p0:p1], ft)
                fb = xp.astype(b[j0:j1, p0:p1], ft)
                acc = acc + xp.astype(xp.matmul(fa, xp.matrix_transpose(fb)), xp.int64)
            tiles.append(acc)
        rows.append(tiles[0] if len(tiles) == 1 else xp.concat(tiles, axis=1))
    return rows[0] if len(rows) == 1 else xp.concat(rows, axis=0)


def _aligned_array(xp: Any, a: Array, b: Array) -> Array:
    n, p = int(a.shape[0]), int(a.shape[1])
    if n == 0 or p == 0:
        return xp.zeros((n,), dtype=xp.int64, device=device_of(a))
    parts = [
        _count_rows(xp, xp.logical_and(_as_bool(xp, a[i0:i1, ...]), _as_bool(xp, b[i0:i1, ...])))
        for i0, i1 in _row_chunks(n, p)
    ]
    return parts[0] if len(parts) == 1 else xp.concat(parts)


# ----------------------------------------------------------------------------- counts


@dataclass(frozen=True, eq=False)
class MaskOverlapCounts:
    """Exact pixel counts of every pair of two sets of masks (:func:`mask_overlap_counts`).

    Attributes
    ----------
    intersection : Array of shape (N, M)
        int64; ``intersection[i, j] = |masks1[i] ∩ masks2[j]|``.
    area1 : Array of shape (N,)
        int64; pixels set in each mask of ``masks1``.
    area2 : Array of shape (M,)
        int64; pixels set in each mask of ``masks2``.

    Notes
    -----
    ``a + b`` adds the counts of the same masks over two disjoint sets of pixels (for example
    the two halves of a large image processed one at a time); the sum equals the counts of the
    whole masks exactly.
    """

    intersection: Array
    area1: Array
    area2: Array

    def union(self, *, crowd: Array | None = None) -> Array:
        """``(N, M)`` int64 ``|A| + |B| - |A ∩ B|``, or ``|A|`` in crowd columns (see
        :func:`mask_iou`)."""
        func = "MaskOverlapCounts.union"
        flags = None if crowd is None else _check_crowd(func, crowd, int(self.area2.shape[0]))
        return _union(self, flags)

    def iou(self, *, crowd: Array | None = None) -> Array:
        """``(N, M)`` IoU ``intersection / union`` (0 where the union is 0); see
        :func:`mask_iou`."""
        func = "MaskOverlapCounts.iou"
        flags = None if crowd is None else _check_crowd(func, crowd, int(self.area2.shape[0]))
        return _iou(self, flags)

    def __add__(self, other: object) -> MaskOverlapCounts:
        if not isinstance(other, MaskOverlapCounts):
            return NotImplemented
        shapes = [tuple(c.intersection.shape) for c in (self, other)]
        if shapes[0] != shapes[1]:
            raise InputError(
                "MaskOverlapCounts.__add__: both counts must be of the same masks (same (N, M)); "
                f"got intersection shapes {shapes[0]} and {shapes[1]}."
            )
        return MaskOverlapCounts(
            self.intersection + other.intersection,
            self.area1 + other.area1,
            self.area2 + other.area2,
        )


def _union(counts: MaskOverlapCounts, crowd: np.ndarray[Any, Any] | None) -> Array:
    xp, _ = namespace(counts.intersection, func="mask_iou")
    a1 = xp.reshape(counts.area1, (-1, 1))
    union = (a1 + xp.reshape(counts.area2, (1, -1))) - counts.intersection
    if crowd is None or not bool(crowd.any()):
        return union
    cols = xp.asarray(crowd.tolist(), dtype=xp.bool, device=device_of(union))
    return xp.where(xp.reshape(cols, (1, -1)), a1, union)


def _iou(counts: MaskOverlapCounts, crowd: np.ndarray[Any, Any] | None) -> Array:
    # the one division, with box_iou's rule: 0 where the union is 0
    xp, _ = namespace(counts.intersection, func="mask_iou")
    union = _union(counts, crowd)
    ft = float_dtype(xp, union)
    return safe_divide(xp, xp.astype(counts.intersection, ft), xp.astype(union, ft), 0.0)


def _overlap(
    func: str, masks1: Array, masks2: Array, crowd: object = None
) -> tuple[MaskOverlapCounts, np.ndarray[Any, Any] | None]:
    """Validated counts, and the validated ``crowd`` flags (checked before any counting)."""
    xp, (m1, m2) = namespace(masks1, masks2, func=func)
    _check_masks(func, xp, m1, "masks1")
    _check_masks(func, xp, m2, "masks2")
    _check_spatial(func, m1, m2)
    flags = None if crowd is None else _check_crowd(func, crowd, int(m2.shape[0]))
    a, b = _flat(xp, m1), _flat(xp, m2)
    if _use_numba(xp, a, b):
        wa, ia = _pack(func, "masks1", to_numpy(a))
        wb, ib = _pack(func, "masks2", to_numpy(b))
        inter = kernels.pair_counts(wa, ia, wb, ib)
        arrays = (inter, ia[:, 0].copy(), ib[:, 0].copy())
        if not is_numpy(xp):
            arrays = tuple(xp.asarray(x, device=device_of(m1)) for x in arrays)
        return MaskOverlapCounts(*arrays), flags
    _validate(func, xp, a, "masks1")
    _validate(func, xp, b, "masks2")
    return MaskOverlapCounts(_gemm_counts(xp, a, b), _areas(xp, a), _areas(xp, b)), flags


# ----------------------------------------------------------------------------- public API


def mask_overlap_counts(masks1: Array, masks2: Array) -> MaskOverlapCounts:
    """Exact intersection and area counts of every pair of two sets of binary masks.

    The counts every mask IoU is computed from: :func:`mask_iou` is
    ``mask_overlap_counts(masks1, masks2).iou(crowd=crowd)``.

    Parameters
    ----------
    masks1 : array of shape (N, H, W) or (N, D, H, W)
        Binary masks: ``bool``, or integers / floats that are all 0 or 1. Spatial dimensions
        are flattened.
    masks2 : array of shape (M, H, W) or (M, ...)
        Binary masks with the same spatial dimensions as ``masks1``.

    Returns
    -------
    MaskOverlapCounts
        ``intersection`` ``(N, M)``, ``area1`` ``(N,)`` and ``area2`` ``(M,)``, all int64, in the
        input's library and on its device. ``N = 0`` or ``M = 0`` gives empty arrays.

    Raises
    ------
    InputError
        If a mask holds values other than 0 and 1 (the error names them and the first such
        mask), or the spatial dimensions differ.

    Examples
    --------
    Two 10×10 squares in a 20×20 image, overlapping in a 5×5 square:

    >>> import numpy as np
    >>> a = np.zeros((1, 20, 20), dtype=bool); a[0, 0:10, 0:10] = True
    >>> b = np.zeros((1, 20, 20), dtype=bool); b[0, 5:15, 5:15] = True
    >>> c = mask_overlap_counts(a, b)
    >>> c.intersection, c.area1, c.area2
    (array([[25]]), array([100]), array([100]))
    >>> c.union()
    array([[175]])
    """
    return _overlap("mask_overlap_counts", masks1, masks2)[0]


def mask_iou(masks1: Array, masks2: Array, *, crowd: Array | None = None) -> Array:
    """Pairwise Intersection-over-Union (Jaccard index) of two sets of binary masks.

    ``IoU(A, B) = |A ∩ B| / |A ∪ B|`` with ``|A ∪ B| = |A| + |B| - |A ∩ B|``, computed from exact
    int64 pixel counts (:func:`mask_overlap_counts`). A pair whose union is 0 (two empty masks)
    has IoU 0, never NaN, as in :func:`ioukit.box_iou`.

    Parameters
    ----------
    masks1 : array of shape (N, H, W) or (N, D, H, W)
        Binary masks (``bool``, or integers / floats that are all 0 or 1): the detections when
        ``crowd`` is given. Spatial dimensions are flattened.
    masks2 : array of shape (M, H, W) or (M, ...)
        Binary masks with the same spatial dimensions: the ground truth when ``crowd`` is
        given.
    crowd : array-like of bool, shape (M,), optional
        COCO's ``iscrowd`` flags of ``masks2``. For a crowd column the union is the area of the
        detection, so ``out[i, j] = |masks1[i] ∩ masks2[j]| / |masks1[i]|`` (0 for an empty
        detection): a detection may cover any part of a crowd region, as in pycocotools'
        ``mask.iou``. Any array library or a list.

    Returns
    -------
    array of shape (N, M)
        float64 (float32 on devices without float64), in the input's library and on its device
        (PyTorch CPU tensors are computed by the NumPy kernel on the same memory). ``N = 0`` or
        ``M = 0`` gives an empty ``(N, M)`` array.

    Raises
    ------
    InputError
        If a mask holds values other than 0 and 1 (the error names them and the first such
        mask), the spatial dimensions differ, or ``crowd`` has the wrong shape or values.

    Notes
    -----
    Memory stays bounded whatever ``N``, ``M`` and the image size: see the module docstring
    for the bit-packed NumPy kernel and the tiled matrix product used elsewhere.

    Examples
    --------
    Two 10×10 squares in a 20×20 image overlapping in a 5×5 square: 25 / (100 + 100 - 25).

    >>> import numpy as np
    >>> a = np.zeros((1, 20, 20), dtype=bool); a[0, 0:10, 0:10] = True
    >>> b = np.zeros((2, 20, 20), dtype=bool); b[0, 5:15, 5:15] = True; b[1] = a[0]
    >>> np.round(mask_iou(a, b), 4)
    array([[0.1429, 1.    ]])

    With ``b[0]`` a crowd region the score is 25 / |a| = 25 / 100:

    >>> mask_iou(a, b, crowd=[True, False])
    array([[0.25, 1.  ]])
    """
    counts, flags = _overlap("mask_iou", masks1, masks2, crowd)
    return _iou(counts, flags)


def mask_iou_aligned(masks1: Array, masks2: Array) -> Array:
    """Row-by-row IoU of matched pairs of binary masks (the diagonal of :func:`mask_iou`).

    Parameters
    ----------
    masks1, masks2 : arrays of shape (N, H, W) or (N, D, H, W)
        Binary masks (``bool``, or integers / floats that are all 0 or 1), paired row by row;
        the shapes must be equal.

    Returns
    -------
    array of shape (N,)
        ``out[i] = |masks1[i] ∩ masks2[i]| / |masks1[i] ∪ masks2[i]|``, 0 where the union is 0.
        float64 (float32 on devices without float64), in the input's library and on its device.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((2, 20, 20), dtype=np.uint8); a[:, 0:10, 0:10] = 1
    >>> b = np.zeros((2, 20, 20), dtype=np.uint8); b[0, 5:15, 5:15] = 1
    >>> np.round(mask_iou_aligned(a, b), 4)
    array([0.1429, 0.    ])
    """
    func = "mask_iou_aligned"
    xp, (m1, m2) = namespace(masks1, masks2, func=func)
    _check_masks(func, xp, m1, "masks1")
    _check_masks(func, xp, m2, "masks2")
    if tuple(m1.shape) != tuple(m2.shape):
        raise InputError(
            f"{func}: `masks1` and `masks2` must have the same shape (one pair per row); got "
            f"shapes {tuple(m1.shape)} and {tuple(m2.shape)}."
        )
    a, b = _flat(xp, m1), _flat(xp, m2)
    if _use_numba(xp, a, b):
        wa, ia = _pack(func, "masks1", to_numpy(a))
        wb, ib = _pack(func, "masks2", to_numpy(b))
        inter_np = kernels.aligned_counts(wa, ia, wb, ib)
        union_np = ia[:, 0] + ib[:, 0] - inter_np
        inter, union = (xp.asarray(x, device=device_of(m1)) for x in (inter_np, union_np))
    else:
        _validate(func, xp, a, "masks1")
        _validate(func, xp, b, "masks2")
        inter = _aligned_array(xp, a, b)
        union = (_areas(xp, a) + _areas(xp, b)) - inter
    ft = float_dtype(xp, union)
    return safe_divide(xp, xp.astype(inter, ft), xp.astype(union, ft), 0.0)


def masks_to_boxes(masks: Array, *, pixel_inclusive: bool = False) -> Array:
    """Tight ``xyxy`` bounding boxes of binary masks.

    A mask whose set pixels span columns ``xs..xe`` and rows ``ys..ye`` (inclusive pixel
    indices) gives ``[xs, ys, xe + 1, ye + 1]``: pixel ``(y, x)`` is the unit square
    ``[x, x + 1) × [y, y + 1)``, so a one-pixel mask has a box of area 1. This is ioukit's
    continuous convention (:func:`ioukit.box_iou`) and agrees with pycocotools' ``toBbox``
    (width ``xe - xs + 1``); for a rectangular mask, ``box_iou`` of the boxes equals
    ``mask_iou`` of the masks.

    Parameters
    ----------
    masks : array of shape (N, H, W)
        Binary masks (``bool``, or integers / floats that are all 0 or 1).
    pixel_inclusive : bool, default False
        Return the indices of the last set column and row, ``[xs, ys, xe, ye]`` (torchvision's
        ``masks_to_boxes``); use these boxes with ``box_iou(..., pixel_inclusive=True)``.

    Returns
    -------
    array of shape (N, 4)
        float64 (float32 on devices without float64), in the input's library and on its
        device. **An empty mask gives a row of NaN**, which cannot be mistaken for a real box:
        ``box_iou`` rejects it by default, and scores it NaN or 0 with ``on_invalid="nan"`` /
        ``"zero"`` (torchvision returns ``[0, 0, 0, 0]``, a valid box at the image corner).

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((3, 8, 8), dtype=bool)
    >>> m[0, 2:5, 1:4] = True  # rows 2..4, columns 1..3
    >>> m[1, 6, 7] = True      # one pixel
    >>> masks_to_boxes(m)
    array([[ 1.,  2.,  4.,  5.],
           [ 7.,  6.,  8.,  7.],
           [nan, nan, nan, nan]])
    >>> masks_to_boxes(m[:2], pixel_inclusive=True)
    array([[1., 2., 3., 4.],
           [7., 6., 7., 6.]])
    """
    func = "masks_to_boxes"
    xp, (m,) = namespace(masks, func=func)
    _check_masks(func, xp, m, "masks", ndim=3)
    n, h, w = (int(s) for s in m.shape)
    dev = device_of(m)
    ft = float_dtype(xp, m)
    if n == 0 or h == 0 or w == 0:
        return xp.full((n, 4), math.nan, dtype=ft, device=dev)
    _validate(func, xp, _flat(xp, m), "masks")
    end = 0 if pixel_inclusive else 1
    parts = []
    for i0, i1 in _row_chunks(n, h * w):
        c = _as_bool(xp, m[i0:i1, ...])
        rows = xp.astype(xp.any(c, axis=2), xp.int32)  # (n, H): row y holds a pixel
        cols = xp.astype(xp.any(c, axis=1), xp.int32)  # (n, W)
        y1 = xp.argmax(rows, axis=1)
        x1 = xp.argmax(cols, axis=1)
        y2 = (h - 1 + end) - xp.argmax(xp.flip(rows, axis=1), axis=1)
        x2 = (w - 1 + end) - xp.argmax(xp.flip(cols, axis=1), axis=1)
        boxes = xp.astype(xp.stack([x1, y1, x2, y2], axis=1), ft)
        empty = xp.reshape(xp.logical_not(xp.any(rows != 0, axis=1)), (-1, 1))
        parts.append(xp.where(empty, xp.full_like(boxes, math.nan), boxes))
    return parts[0] if len(parts) == 1 else xp.concat(parts)
