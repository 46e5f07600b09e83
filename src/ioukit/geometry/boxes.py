"""Axis-aligned boxes: area and the IoU family (IoU, GIoU, DIoU, CIoU), pairwise and aligned.

Boxes are ``(..., N, 4)`` arrays in ``xyxy`` format (``x1, y1, x2, y2`` with ``x1 <= x2``,
``y1 <= y2``), the hub format: :func:`ioukit.box_convert` converts the others. Every function
works on any Array API library (NumPy, PyTorch, array-api-strict, JAX, CuPy); results stay in
the input's library and on its device.

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
into the output of the final dtype. :func:`ioukit.sparse_box_iou` returns only the overlapping
pairs, without building the ``N × M`` matrix.
"""

from __future__ import annotations

import math

from ioukit._xp import Array, namespace
from ioukit.core._checks import check_choice
from ioukit.geometry._box_checks import ON_INVALID, check_shape, compute_dtype, prepare
from ioukit.geometry._box_iou import aligned, pairwise

__all__ = [
    "box_area",
    "box_iou",
    "box_iou_aligned",
    "complete_box_iou",
    "complete_box_iou_aligned",
    "distance_box_iou",
    "distance_box_iou_aligned",
    "generalized_box_iou",
    "generalized_box_iou_aligned",
]


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
    check_shape(func, xp, b, "boxes", 1)
    ct, out_dtype = compute_dtype(xp, b)
    (x1, y1, x2, y2), mask = prepare(func, xp, b, "boxes", ct, pixel_inclusive, on_invalid)
    out = (x2 - x1) * (y2 - y1)
    if mask is not None:
        fill = math.nan if on_invalid == "nan" else 0.0
        out = xp.where(mask, xp.full_like(out, fill), out)
    return xp.astype(out, out_dtype) if out.dtype != out_dtype else out


def box_iou(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    """Pairwise Intersection-over-Union (Jaccard index) of two sets of boxes.

    ``IoU(A, B) = |A ∩ B| / |A ∪ B|`` with ``|A ∪ B| = |A| + |B| - |A ∩ B|``, in ``[0, 1]``. A
    pair whose union is 0 (two zero-area boxes) has IoU 0, never NaN.

    Parameters
    ----------
    boxes1 : array of shape (..., N, 4)
        Boxes in ``xyxy`` format (convert others with :func:`ioukit.box_convert`).
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
        the same float64 formulas. For large sparse problems see :func:`ioukit.sparse_box_iou`.

    Examples
    --------
    Two 10×10 boxes overlapping in a 5×5 square: 25 / (100 + 100 - 25) = 25/175.

    >>> import numpy as np
    >>> iou = box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> iou.shape, round(float(iou[0, 0]), 4)
    ((1, 1), 0.1429)
    """
    return pairwise("box_iou", "iou", boxes1, boxes2, pixel_inclusive, on_invalid)


def generalized_box_iou(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    """Pairwise Generalized IoU (Rezatofighi et al., CVPR 2019, arXiv:1902.09630).

    ``GIoU = IoU - |C \\ (A ∪ B)| / |C|`` where ``C`` is the smallest box enclosing ``A`` and
    ``B``; in ``(-1, 1]`` and negative for distant disjoint boxes. Equal to torchvision's
    ``generalized_box_iou`` for valid boxes. Unlike torchvision, an inverted box is rejected
    (or handled by ``on_invalid``) instead of scoring GIoU = 1. A pair whose union is 0 has
    IoU 0; when ``|C| = 0`` (two identical points) the penalty is 0 too, so GIoU is 0.

    Parameters
    ----------
    boxes1 : array of shape (..., N, 4)
        Boxes in ``xyxy`` format (convert others with :func:`ioukit.box_convert`).
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
        the same float64 formulas. For large sparse problems see :func:`ioukit.sparse_box_iou`.

    Examples
    --------
    The 10×10 boxes of :func:`box_iou`'s example: IoU = 25/175, C = 15×15 = 225, so
    GIoU = 25/175 - (225 - 175)/225 ≈ -0.0794.

    >>> import numpy as np
    >>> g = generalized_box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> round(float(g[0, 0]), 4)
    -0.0794
    """
    return pairwise("generalized_box_iou", "giou", boxes1, boxes2, pixel_inclusive, on_invalid)


def distance_box_iou(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    """Pairwise Distance-IoU (Zheng et al., AAAI 2020, arXiv:1911.08287).

    ``DIoU = IoU - ρ² / c²`` where ``ρ`` is the distance between the box centres and ``c`` the
    diagonal of the smallest enclosing box; in ``(-1, 1]``. Matches torchvision's
    ``distance_box_iou`` for valid boxes up to its ``eps=1e-7`` (added to ``c²`` there; not
    here). A pair whose union is 0 has IoU 0; when ``c = 0`` (two identical points) the
    penalty is 0 too, so DIoU is 0.

    Parameters
    ----------
    boxes1 : array of shape (..., N, 4)
        Boxes in ``xyxy`` format (convert others with :func:`ioukit.box_convert`).
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
        the same float64 formulas. For large sparse problems see :func:`ioukit.sparse_box_iou`.

    Examples
    --------
    The 10×10 boxes of :func:`box_iou`'s example: centres (5, 5) and (10, 10), ρ² = 50; the
    enclosing box is 15×15, c² = 450; DIoU = 25/175 - 50/450 ≈ 0.0317.

    >>> import numpy as np
    >>> d = distance_box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> round(float(d[0, 0]), 4)
    0.0317
    """
    return pairwise("distance_box_iou", "diou", boxes1, boxes2, pixel_inclusive, on_invalid)


def complete_box_iou(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    """Pairwise Complete-IoU (Zheng et al., AAAI 2020, arXiv:1911.08287).

    ``CIoU = DIoU - α v`` with ``v = (4/π²) (arctan(w₂/h₂) - arctan(w₁/h₁))²`` and
    ``α = v / ((1 - IoU) + v)`` (the ungated form of the AAAI paper, as torchvision); in
    ``(-1.5, 1]``. Matches torchvision's ``complete_box_iou`` for valid boxes up to its
    ``eps=1e-7``. Degenerate pairs: IoU 0 when the union is 0, no distance penalty when the
    enclosing diagonal is 0, ``α = 0`` when its denominator is 0 (identical boxes), and
    ``arctan(w/h)`` is computed as ``atan2(w, h)``, so a 0×0 box has aspect angle 0, not NaN.

    Parameters
    ----------
    boxes1 : array of shape (..., N, 4)
        Boxes in ``xyxy`` format (convert others with :func:`ioukit.box_convert`).
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
        the same float64 formulas. For large sparse problems see :func:`ioukit.sparse_box_iou`.

    Examples
    --------
    Both boxes of :func:`box_iou`'s example are square, so v = 0 and CIoU = DIoU ≈ 0.0317.

    >>> import numpy as np
    >>> c = complete_box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> round(float(c[0, 0]), 4)
    0.0317
    """
    return pairwise("complete_box_iou", "ciou", boxes1, boxes2, pixel_inclusive, on_invalid)


def box_iou_aligned(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    """Row-by-row IoU of matched pairs of boxes (the diagonal of :func:`box_iou`).

    ``out[..., i] = |A ∩ B| / |A ∪ B|`` for ``A = boxes1[..., i, :]`` and
    ``B = boxes2[..., i, :]``, with ``|A ∪ B| = |A| + |B| - |A ∩ B|``, in ``[0, 1]``. A pair
    whose union is 0 (two zero-area boxes) has IoU 0, never NaN.

    Parameters
    ----------
    boxes1 : array of shape (..., N, 4)
        Boxes in ``xyxy`` format (convert others with :func:`ioukit.box_convert`).
    boxes2 : array of shape (..., N, 4)
        Boxes in ``xyxy`` format, paired row by row with ``boxes1``; the shapes must be equal.
    pixel_inclusive : bool, default False
        Legacy VOC "+1" convention: widths are ``x2 - x1 + 1`` and heights ``y2 - y1 + 1``.
    on_invalid : {"raise", "nan", "zero", "sort_corners"}, default "raise"
        Boxes with ``x2 < x1``, ``y2 < y1`` or NaN/inf coordinates: raise an
        :class:`~ioukit.InputError` naming the first one; make that box's pair NaN or 0; or
        swap the corners first (NaN/inf still raise).

    Returns
    -------
    array of shape (..., N)
        The diagonal of the pairwise matrix: ``out[..., i]`` scores ``boxes1[..., i, :]``
        against ``boxes2[..., i, :]``. float64 (float32 for float32 input; integers and float16
        are computed in float64). ``N = 0`` gives an empty array. NumPy input and torch CPU
        tensors that need no gradient go through a threaded numba kernel; other libraries, GPU
        tensors and autograd through the Array API path, with the same float64 formulas.

    Examples
    --------
    A 5×5 overlap of two 10×10 boxes (25/175), then a box paired with itself (1):

    >>> import numpy as np
    >>> a = np.array([[0, 0, 10, 10], [0, 0, 10, 10]])
    >>> b = np.array([[5, 5, 15, 15], [0, 0, 10, 10]])
    >>> np.round(box_iou_aligned(a, b), 4)
    array([0.1429, 1.    ])
    """
    return aligned("box_iou_aligned", "iou", boxes1, boxes2, pixel_inclusive, on_invalid)


def generalized_box_iou_aligned(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    """Row-by-row Generalized IoU of matched pairs (the diagonal of :func:`generalized_box_iou`).

    ``GIoU = IoU - |C \\ (A ∪ B)| / |C|`` for each pair ``A = boxes1[..., i, :]``,
    ``B = boxes2[..., i, :]``, ``C`` the smallest box enclosing both; in ``(-1, 1]``. A pair
    whose union is 0 has IoU 0; when ``|C| = 0`` (two identical points) the penalty is 0 too.

    Parameters
    ----------
    boxes1 : array of shape (..., N, 4)
        Boxes in ``xyxy`` format (convert others with :func:`ioukit.box_convert`).
    boxes2 : array of shape (..., N, 4)
        Boxes in ``xyxy`` format, paired row by row with ``boxes1``; the shapes must be equal.
    pixel_inclusive : bool, default False
        Legacy VOC "+1" convention: widths are ``x2 - x1 + 1`` and heights ``y2 - y1 + 1``.
    on_invalid : {"raise", "nan", "zero", "sort_corners"}, default "raise"
        Boxes with ``x2 < x1``, ``y2 < y1`` or NaN/inf coordinates: raise an
        :class:`~ioukit.InputError` naming the first one; make that box's pair NaN or 0; or
        swap the corners first (NaN/inf still raise).

    Returns
    -------
    array of shape (..., N)
        The diagonal of the pairwise matrix: ``out[..., i]`` scores ``boxes1[..., i, :]``
        against ``boxes2[..., i, :]``. float64 (float32 for float32 input; integers and float16
        are computed in float64). ``N = 0`` gives an empty array. NumPy input and torch CPU
        tensors that need no gradient go through a threaded numba kernel; other libraries, GPU
        tensors and autograd through the Array API path, with the same float64 formulas.

    Examples
    --------
    IoU = 25/175 and C = 15×15 = 225: GIoU = 25/175 - (225 - 175)/225 ≈ -0.0794.

    >>> import numpy as np
    >>> g = generalized_box_iou_aligned(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> np.round(g, 4)
    array([-0.0794])
    """
    return aligned(
        "generalized_box_iou_aligned", "giou", boxes1, boxes2, pixel_inclusive, on_invalid
    )


def distance_box_iou_aligned(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    """Row-by-row Distance-IoU of matched pairs (the diagonal of :func:`distance_box_iou`).

    ``DIoU = IoU - ρ² / c²`` for each pair, ``ρ`` the distance between the box centres and
    ``c`` the diagonal of the smallest enclosing box; in ``(-1, 1]``. A pair whose union is 0
    has IoU 0; when ``c = 0`` (two identical points) the penalty is 0 too.

    Parameters
    ----------
    boxes1 : array of shape (..., N, 4)
        Boxes in ``xyxy`` format (convert others with :func:`ioukit.box_convert`).
    boxes2 : array of shape (..., N, 4)
        Boxes in ``xyxy`` format, paired row by row with ``boxes1``; the shapes must be equal.
    pixel_inclusive : bool, default False
        Legacy VOC "+1" convention: widths are ``x2 - x1 + 1`` and heights ``y2 - y1 + 1``.
    on_invalid : {"raise", "nan", "zero", "sort_corners"}, default "raise"
        Boxes with ``x2 < x1``, ``y2 < y1`` or NaN/inf coordinates: raise an
        :class:`~ioukit.InputError` naming the first one; make that box's pair NaN or 0; or
        swap the corners first (NaN/inf still raise).

    Returns
    -------
    array of shape (..., N)
        The diagonal of the pairwise matrix: ``out[..., i]`` scores ``boxes1[..., i, :]``
        against ``boxes2[..., i, :]``. float64 (float32 for float32 input; integers and float16
        are computed in float64). ``N = 0`` gives an empty array. NumPy input and torch CPU
        tensors that need no gradient go through a threaded numba kernel; other libraries, GPU
        tensors and autograd through the Array API path, with the same float64 formulas.

    Examples
    --------
    Centres (5, 5) and (10, 10): ρ² = 50; enclosing box 15×15: c² = 450;
    DIoU = 25/175 - 50/450 ≈ 0.0317.

    >>> import numpy as np
    >>> d = distance_box_iou_aligned(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> np.round(d, 4)
    array([0.0317])
    """
    return aligned("distance_box_iou_aligned", "diou", boxes1, boxes2, pixel_inclusive, on_invalid)


def complete_box_iou_aligned(
    boxes1: Array, boxes2: Array, *, pixel_inclusive: bool = False, on_invalid: str = "raise"
) -> Array:
    """Row-by-row Complete-IoU of matched pairs (the diagonal of :func:`complete_box_iou`).

    ``CIoU = DIoU - α v`` for each pair, with ``v = (4/π²) (arctan(w₂/h₂) - arctan(w₁/h₁))²``
    and ``α = v / ((1 - IoU) + v)``; in ``(-1.5, 1]``. Degenerate pairs: IoU 0 when the union
    is 0, no distance penalty when the enclosing diagonal is 0, ``α = 0`` when its denominator
    is 0, and ``arctan(w/h)`` is ``atan2(w, h)`` (a 0×0 box has aspect angle 0, not NaN).

    Parameters
    ----------
    boxes1 : array of shape (..., N, 4)
        Boxes in ``xyxy`` format (convert others with :func:`ioukit.box_convert`).
    boxes2 : array of shape (..., N, 4)
        Boxes in ``xyxy`` format, paired row by row with ``boxes1``; the shapes must be equal.
    pixel_inclusive : bool, default False
        Legacy VOC "+1" convention: widths are ``x2 - x1 + 1`` and heights ``y2 - y1 + 1``.
    on_invalid : {"raise", "nan", "zero", "sort_corners"}, default "raise"
        Boxes with ``x2 < x1``, ``y2 < y1`` or NaN/inf coordinates: raise an
        :class:`~ioukit.InputError` naming the first one; make that box's pair NaN or 0; or
        swap the corners first (NaN/inf still raise).

    Returns
    -------
    array of shape (..., N)
        The diagonal of the pairwise matrix: ``out[..., i]`` scores ``boxes1[..., i, :]``
        against ``boxes2[..., i, :]``. float64 (float32 for float32 input; integers and float16
        are computed in float64). ``N = 0`` gives an empty array. NumPy input and torch CPU
        tensors that need no gradient go through a threaded numba kernel; other libraries, GPU
        tensors and autograd through the Array API path, with the same float64 formulas.

    Examples
    --------
    Two squares: v = 0, so CIoU = DIoU = 25/175 - 50/450 ≈ 0.0317.

    >>> import numpy as np
    >>> c = complete_box_iou_aligned(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    >>> np.round(c, 4)
    array([0.0317])
    """
    return aligned("complete_box_iou_aligned", "ciou", boxes1, boxes2, pixel_inclusive, on_invalid)
