"""Boundary IoU per class for :class:`~ioukit.SegmentationEvaluator` (option ``boundary``).

Two conventions, both counted per image as ``(C, 3)`` int64 rows (intersection, prediction
band, target band) and summed over the dataset by the evaluator:

``"ioukit"``
    The metric's definition: for each class ``c``, boundary-iou-api's band
    (:func:`~ioukit.boundary_band`) of the binary masks ``pred == c`` and ``target == c``
    (:func:`ioukit.geometry.boundary.class_band_counts`).

``"detectron2"``
    What detectron2's ``SemSegEvaluator`` computes. Ignored target values become ``C``; each
    label map ``L`` is eroded as a grey-level image (``d`` iterations of a 3×3 minimum, one
    pixel of zeros around the image) and ``B = L - eroded`` holds each pixel's label *drop*
    across the band, not a class; the counts are those of detectron2's ``(C + 1) × (C + 1)``
    matrix of ``(B_pred, B_target)`` pairs, its last row and column left out. So its
    "class ``c``" gathers the pixels whose label drops by ``c``: equal to the definition only
    for class 1 of 0/1 maps. detectron2 computes each pair's cell ``(C + 1)·B_pred +
    B_target`` in the maps' uint8 arithmetic (NumPy 1 and 2 alike), so from ``C = 16`` on,
    a cell number of 256 or more wraps modulo 256 into another cell; this is reproduced:
    the pairs are counted by :func:`ioukit.kernels.counting.confusion_stack`, then the
    ``(C + 1)²`` cells of each image are folded modulo 256 (the same sums, per cell).

``d`` iterations of the 3×3 minimum equal one ``(2d + 1) × (2d + 1)`` minimum with zeros
outside the image (the zero ring of the padding stays zero, and OpenCV's own border never
lowers a minimum), and that square minimum is separable: here a minimum over each row window
and then each column window, each in ``O(log d)`` whole-array steps (the minimum of two
overlapping power-of-two windows).
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit._segmentation_state import parse_boundary
from ioukit._xp import describe_values
from ioukit.core.counts import Counts
from ioukit.geometry.boundary import _dilation, class_band_counts
from ioukit.kernels.counting import confusion_stack

__all__ = [
    "BOUNDARY_CONVENTIONS",
    "band_counts",
    "boundary_part",
    "check_boundary",
    "check_boundary_convention",
    "label_erosion",
]

BOUNDARY_CONVENTIONS = ("ioukit", "detectron2")
NDArray = np.ndarray[Any, Any]


def check_boundary(func: str, boundary: object, spatial_dims: int) -> float | None:
    """The option ``boundary``: ``None`` or a finite dilation ratio > 0, for 2-D maps."""
    if boundary is None:
        return None
    if (
        not isinstance(boundary, Real)
        or isinstance(boundary, bool)
        or not math.isfinite(float(boundary))
        or float(boundary) <= 0
    ):
        raise ParameterError(
            f"{func}: `boundary` must be None or a dilation ratio, a finite number > 0 (e.g. "
            f"0.02); got {boundary!r}."
        )
    if spatial_dims != 2:
        raise ParameterError(
            f"{func}: `boundary` needs 2-D label maps (spatial_dims=2); got spatial_dims="
            f"{spatial_dims}."
        )
    return float(boundary)


def check_boundary_convention(
    func: str, convention: object, boundary: float | None, num_classes: int
) -> str:
    """The option ``boundary_convention``, checked against ``boundary`` and ``num_classes``."""
    if not isinstance(convention, str) or convention not in BOUNDARY_CONVENTIONS:
        raise ParameterError(
            f"{func}: `boundary_convention` must be 'ioukit' (per-class bands) or 'detectron2' "
            f"(detectron2's SemSegEvaluator); got {convention!r}."
        )
    if convention == "detectron2" and boundary is None:
        raise ParameterError(
            f"{func}: `boundary_convention='detectron2'` applies to Boundary IoU, which is off; "
            "set `boundary` (e.g. 0.02, as detectron2) or leave the convention at 'ioukit'."
        )
    if convention == "detectron2" and num_classes > 254:
        raise ParameterError(
            f"{func}: `boundary_convention='detectron2'` needs num_classes <= 254 (detectron2 "
            "erodes uint8 label maps with ignored pixels set to num_classes, and turns Boundary "
            f"IoU off from 255 classes); got num_classes={num_classes}."
        )
    return convention


def boundary_part(where: str, state: object) -> Counts | None:
    """The boundary counts of a state that :func:`~ioukit._segmentation_state.parse_state`
    accepted."""
    return parse_boundary(where, state) if isinstance(state, dict) else None


def band_counts(
    func: str,
    convention: str,
    pred: NDArray,
    target: NDArray,
    ignore: tuple[int, ...],
    num_classes: int,
    ratio: float,
) -> NDArray:
    """``(N, C, 3)`` int64 band counts per image and class (intersection, prediction band,
    target band) of the label maps ``pred`` and ``target`` ``(N, H, W)`` (NumPy; non-ignored
    target labels checked to lie in ``[0, C)``) under ``convention``.

    Under ``"detectron2"``, detectron2's boundary ``b_tp``, ``b_pos_pred`` and ``b_pos_gt``
    (see the module docstring). Every prediction must then lie in ``[0, C)``, at ignored
    pixels too (detectron2's are argmaxes): a label drop is then at most ``C`` (target labels
    lie in ``[0, C]`` once ignored values are ``C``), so every ``(B_pred, B_target)`` pair has
    a cell in the ``(C + 1)²`` matrix, and the uint8 cell number (wrapped, as detectron2's)
    too. Any other prediction raises :class:`~ioukit.InputError` naming the values.
    """
    ignored = np.isin(target, np.asarray(ignore, dtype=np.int64))
    if convention == "ioukit":
        return class_band_counts(pred, target, ~ignored, num_classes, ratio)
    c = num_classes
    if pred.min() < 0 or pred.max() >= c:
        bad = (pred < 0) | (pred >= c)
        raise InputError(
            f"{func}: with boundary_convention='detectron2', `pred` must hold labels in "
            f"[0, {c}) at every pixel, ignored ones included (detectron2's are argmaxes, and "
            f"its boundary counts cover label drops up to num_classes={c}); got "
            f"{describe_values(pred[bad])}."
        )
    _, h, w = target.shape
    gt = target.astype(np.uint8)  # non-ignored labels fit; ignored ones are set next
    gt[ignored] = c
    return _detectron2_counts(pred.astype(np.uint8), gt, c, _dilation(h, w, ratio))


def _window_min(x: NDArray, d: int, axis: int) -> NDArray:
    """Minimum over the window ``[i - d, i + d]`` along ``axis``, zeros outside ``x``."""

    def cut(a: NDArray, lo: int, hi: int) -> NDArray:
        index = [slice(None)] * a.ndim
        index[axis] = slice(lo, hi)
        return a[tuple(index)]

    n, width = x.shape[axis], 2 * d + 1
    pad = [(0, 0)] * x.ndim
    pad[axis] = (d, d)
    m = np.pad(x, pad)  # zeros
    k = 1
    while 2 * k <= width:  # m[i] = min(padded[i : i + 2k])
        m = np.minimum(cut(m, 0, m.shape[axis] - k), cut(m, k, m.shape[axis]))
        k *= 2
    # a window of `width` is two overlapping windows of k: at i and at i + width - k
    out: NDArray = np.minimum(cut(m, 0, n), cut(m, width - k, width - k + n))
    return out


def label_erosion(labels: NDArray, d: int) -> NDArray:
    """Grey-level erosion of ``(N, H, W)`` label maps: each pixel becomes the minimum of its
    ``(2d + 1) × (2d + 1)`` square, pixels outside the image counting 0. Equal to
    ``cv2.erode(cv2.copyMakeBorder(L, 1, 1, 1, 1, BORDER_CONSTANT, 0), ones((3, 3)),
    iterations=d)[1:-1, 1:-1]`` for each map ``L``."""
    return _window_min(_window_min(labels, d, 1), d, 2)


def _detectron2_counts(pred: NDArray, target: NDArray, c: int, d: int) -> NDArray:
    """:func:`band_counts` under ``"detectron2"`` of uint8 ``(N, H, W)`` label maps, the
    ignored target pixels already ``c``, with the band width ``d``."""
    n, size = target.shape[0], (c + 1) ** 2
    b_gt = target - label_erosion(target, d)  # never negative: eroded <= labels
    b_pred = pred - label_erosion(pred, d)
    # (N, C + 1, C + 1) per image, rows = target drop, columns = prediction drop (no value
    # is out of range), flattened in detectron2's cell order (C + 1)·B_pred + B_target
    cms, _, _ = confusion_stack(b_pred.reshape(n, -1), b_gt.reshape(n, -1), c + 1, ())
    cells = cms.transpose(0, 2, 1).reshape(n, size)
    # detectron2 numbers the cells in uint8: a cell k lands in k mod 256 (from C = 16 on)
    padded = np.zeros((n, -(-size // 256) * 256), dtype=np.int64)
    padded[:, :size] = cells
    wrapped = np.zeros((n, max(size, 256)), dtype=np.int64)
    wrapped[:, :256] = padded.reshape(n, -1, 256).sum(axis=1)
    b_conf = wrapped[:, :size].reshape(n, c + 1, c + 1)[:, :c, :c]  # rows = prediction
    out = np.zeros((n, c, 3), dtype=np.int64)
    out[..., 0] = np.diagonal(b_conf, axis1=1, axis2=2)  # b_tp
    out[..., 1] = b_conf.sum(axis=2)  # b_pos_pred
    out[..., 2] = b_conf.sum(axis=1)  # b_pos_gt
    return out
