"""Sparse box IoU: the overlapping pairs of two sets of boxes, without the ``N × M`` matrix.

:func:`sparse_box_iou` returns the pairs whose IoU passes a threshold, in coordinate (COO)
form, with the same float64 IoU as :func:`ioukit.geometry.boxes.box_iou`; time and memory grow
with the number of boxes and of overlapping pairs. The boxes follow the conventions of
:mod:`ioukit.geometry.boxes` (``xyxy``, ``pixel_inclusive``, ``on_invalid``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit._xp import Array, device_of, is_numpy, namespace
from ioukit.core._checks import check_choice
from ioukit.geometry._box_checks import ON_INVALID, check_shape, host, np_namespace, prepare
from ioukit.kernels import boxes as kernels

__all__ = ["sparse_box_iou"]


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
    check_shape(func, xp, boxes, name, 2)
    if len(tuple(boxes.shape)) != 2:
        raise InputError(
            f"{func}: `{name}` must have shape (N, 4) (one set of boxes, no batch dimensions); "
            f"got shape {tuple(boxes.shape)}. Call it once per image for batches."
        )
    npx = np_namespace()
    cols, mask = prepare(func, npx, host(xp, boxes), name, npx.float64, pixel_inclusive, on_invalid)
    c = np.ascontiguousarray(np.stack([np.asarray(v) for v in cols]))
    with np.errstate(over="ignore", invalid="ignore"):  # coordinates near the float64 limit
        w, h = c[2] - c[0], c[3] - c[1]
        area = w * h
    ok = (w > 0) & (h > 0)
    if mask is not None:
        ok &= ~np.asarray(mask)
    return c, area, ok


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
        i, j, v = kernels.sparse_pairs(a, area_a, ok_a, a, area_a, ok_a, True, threshold)
    else:
        b, area_b, ok_b = _sparse_boxes(func, xp, b2, "boxes2", pixel_inclusive, on_invalid)
        i, j, v = kernels.sparse_pairs(a, area_a, ok_a, b, area_b, ok_b, False, threshold)
    if is_numpy(xp):
        return i, j, v
    dev = device_of(b1)
    return xp.asarray(i, device=dev), xp.asarray(j, device=dev), xp.asarray(v, device=dev)
