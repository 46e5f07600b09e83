"""Boundary IoU (Cheng, Girshick, Dollár, Berg and Kirillov, CVPR 2021): the inner boundary
band of a binary mask, and the IoU of two masks' bands.

The band is exactly the one of the reference implementation (``mask_to_boundary`` in
``bowenc0221/boundary-iou-api``, also used by detectron2's semantic ``BoundaryIoU``):

1. ``d = max(1, int(round(dilation_ratio * sqrt(H**2 + W**2))))``, a fraction of the image
   diagonal, rounded half-to-even (Python's ``round``);
2. the mask is padded with one pixel of zeros, so **the image border counts as boundary**;
3. it is eroded ``d`` times with a 3×3 square (OpenCV's ``cv2.erode``), then the padding is
   cropped;
4. ``band = mask - eroded``: the pixels of the mask within chessboard (Chebyshev) distance
   ``d`` of a pixel outside it.

Only the inner band is used; copies that erode once and then dilate the contour, or that use a
Euclidean distance transform, compute a different band and a different metric.

``d`` iterations of a 3×3 erosion equal one erosion by a ``(2d + 1) × (2d + 1)`` square, which
is separable: a pixel stays iff its row window and then its column window of half-width ``d``
hold no zero. A numba kernel (:mod:`ioukit.kernels.boundary`) tests the windows with running
lengths of set pixels, two sweeps over each mask's bounding box whatever ``d`` (the reference
makes ``d`` full-image passes); :func:`boundary_iou` counts the bands' pixels inside the boxes
without building whole-image bands, pairs in parallel. Other array libraries are copied to the
host and the result is returned in the input's library, on its device.
"""

from __future__ import annotations

import math
import warnings
from numbers import Real
from typing import Any

import numpy as np

from ioukit._errors import InputError, ParameterError, UndefinedMetricWarning
from ioukit._xp import Array, describe_values, device_of, is_numpy, namespace, to_numpy
from ioukit.core.reduce import _check_zero_division
from ioukit.kernels import boundary as kernels

__all__ = ["boundary_band", "boundary_iou"]

_NDArray = np.ndarray[Any, Any]


def _check_ratio(func: str, dilation_ratio: object) -> float:
    if (
        isinstance(dilation_ratio, Real)
        and not isinstance(dilation_ratio, bool)
        and math.isfinite(float(dilation_ratio))
        and float(dilation_ratio) > 0
    ):
        return float(dilation_ratio)
    raise ParameterError(
        f"{func}: `dilation_ratio` must be a finite number > 0 (a fraction of the image "
        f"diagonal, e.g. 0.02); got {dilation_ratio!r}."
    )


def _dilation(h: int, w: int, ratio: float) -> int:
    """The reference's band width: ``max(1, int(round(ratio * sqrt(h² + w²))))``."""
    return max(1, round(ratio * math.sqrt(h * h + w * w)))


def _as_masks(func: str, name: str, xp: Any, m: Array) -> tuple[_NDArray, bool]:
    """(validated bool ``(N, H, W)`` NumPy masks, whether the input was 2-D)."""
    shape = tuple(m.shape)
    if len(shape) not in (2, 3):
        raise InputError(
            f"{func}: `{name}` must have shape (H, W) or (N, H, W); got shape {shape}."
        )
    if not xp.isdtype(m.dtype, ("bool", "integral", "real floating")):
        raise InputError(
            f"{func}: `{name}` must be a boolean (or 0/1 numeric) array; got dtype {m.dtype}."
        )
    host = to_numpy(m)
    if host.dtype != np.bool_:
        bad = (host != 0) & (host != 1)
        if bool(bad.any()):
            raise InputError(
                f"{func}: `{name}` must hold binary masks (bool, or numbers equal to 0 or 1); "
                f"got values {describe_values(host[bad])}. Threshold soft masks or "
                "probabilities first, e.g. `mask > 0.5`."
            )
        host = host != 0
    two_d = len(shape) == 2
    return (host[None] if two_d else host), two_d


def _to_input(xp: Any, like: Array, result: _NDArray) -> Array:
    """``result`` in the library and on the device of ``like``."""
    if is_numpy(xp):
        return result
    return xp.asarray(result, device=device_of(like))


def _bands(masks: _NDArray, ratio: float) -> _NDArray:
    """Boundary bands of validated bool ``(N, H, W)`` NumPy masks."""
    _, h, w = masks.shape
    return kernels.bands(masks, _dilation(h, w, ratio))


def boundary_band(mask: Array, *, dilation_ratio: float = 0.02) -> Array:
    """Inner boundary band of binary masks, exactly as boundary-iou-api's ``mask_to_boundary``.

    A pixel is in the band iff it is set in the mask and within chessboard distance ``d`` of a
    pixel that is not, where pixels outside the image count as not set (the image border is
    boundary) and ``d = max(1, int(round(dilation_ratio * sqrt(H**2 + W**2))))``, rounded
    half-to-even. Equivalently ``band = mask - erode(pad(mask, 1), 3×3 square, d times)``
    cropped back, as in the reference (see the module docstring).

    Parameters
    ----------
    mask : array of shape (H, W) or (N, H, W)
        Binary masks: ``bool``, or integers / floats that are all 0 or 1. ``d`` is computed from
        the image size ``(H, W)``.
    dilation_ratio : float, default 0.02
        Width of the band as a fraction of the image diagonal. The reference uses 0.02 for
        COCO and LVIS and 0.005 for Cityscapes.

    Returns
    -------
    array of bool, same shape as ``mask``
        The band, in the input's library and on its device. An empty mask has an empty band; a
        mask no wider than ``2d`` in any direction is all band.

    Raises
    ------
    InputError
        If ``mask`` is not 2-D or 3-D, or holds values other than 0 and 1.
    ParameterError
        If ``dilation_ratio`` is not a finite number > 0.

    Examples
    --------
    A 5×5 square in a 7×7 image, ``d = round(0.1 * sqrt(98)) = 1``: the band is the 16-pixel
    ring around the 3×3 interior.

    >>> import numpy as np
    >>> m = np.zeros((7, 7), dtype=bool); m[1:6, 1:6] = True
    >>> band = boundary_band(m, dilation_ratio=0.1)
    >>> int(band.sum()), bool(band[3, 3]), bool(band[1, 3])
    (16, False, True)
    """
    func = "boundary_band"
    ratio = _check_ratio(func, dilation_ratio)
    xp, (m,) = namespace(mask, func=func)
    masks, two_d = _as_masks(func, "mask", xp, m)
    band = _bands(masks, ratio)
    return _to_input(xp, m, band[0] if two_d else band)


def boundary_iou(
    pred: Array,
    target: Array,
    *,
    dilation_ratio: float = 0.02,
    zero_division: float | str = "nan",
) -> Array:
    """Boundary IoU of binary masks, paired one to one.

    ``BIoU(P, G) = |band(P) ∩ band(G)| / |band(P) ∪ band(G)|``, where ``band`` is
    :func:`boundary_band` (``(G_d ∩ G)`` and ``(P_d ∩ P)`` in the paper), computed from exact
    pixel counts with the same ``d`` for both masks.

    Parameters
    ----------
    pred : array of shape (H, W) or (N, H, W)
        Predicted binary masks (``bool``, or integers / floats that are all 0 or 1).
    target : array of the same shape
        Ground-truth binary masks, paired with ``pred`` row by row.
    dilation_ratio : float, default 0.02
        Width of the band as a fraction of the image diagonal (see :func:`boundary_band`).
    zero_division : {"nan", "warn"} or float in [0, 1], default "nan"
        The score when both bands are empty (both masks empty): NaN by default, which is what
        the reference's ``boundary_iou`` gives (0/0); ``"warn"`` gives 0.0 with an
        :class:`~ioukit.UndefinedMetricWarning`. Pass ``zero_division=0`` for the reference's
        Boundary AP, where an empty pair scores 0.

    Returns
    -------
    float or array of shape (N,)
        float64. For ``(H, W)`` input a 0-d value (a ``numpy.float64`` for NumPy input), for
        ``(N, H, W)`` input one score per pair; in the input's library and on its device.

    Raises
    ------
    InputError
        If the masks are not 2-D or 3-D, hold values other than 0 and 1, or their shapes
        differ.
    ParameterError
        If ``dilation_ratio`` is not a finite number > 0, or ``zero_division`` is not one of
        the values above.

    Examples
    --------
    Two 10×10 squares in a 20×20 image, the second shifted by one column; ``d = 1``, so each
    band is a 36-pixel ring, and the rings share 9 pixels of each horizontal edge and nothing
    else: 18 / (36 + 36 - 18) = 1/3.

    >>> import numpy as np
    >>> a = np.zeros((20, 20), dtype=bool); a[5:15, 5:15] = True
    >>> b = np.zeros((20, 20), dtype=bool); b[5:15, 6:16] = True
    >>> round(float(boundary_iou(a, b)), 4)
    0.3333
    >>> float(boundary_iou(a, a))
    1.0
    >>> boundary_iou(np.zeros((2, 20, 20)), np.stack([a, a]))
    array([0., 0.])
    """
    func = "boundary_iou"
    ratio = _check_ratio(func, dilation_ratio)
    fill, warn = _check_zero_division(func, zero_division)
    xp, (p, t) = namespace(pred, target, func=func)
    if tuple(p.shape) != tuple(t.shape):
        raise InputError(
            f"{func}: `pred` and `target` must have the same shape (one pair per mask); got "
            f"shapes {tuple(p.shape)} and {tuple(t.shape)}."
        )
    mp, two_d = _as_masks(func, "pred", xp, p)
    mt, _ = _as_masks(func, "target", xp, t)
    _, h, w = mp.shape
    counts = kernels.pair_band_counts(mp, mt, _dilation(h, w, ratio))
    inter = counts[:, 0]
    union = counts[:, 1] + counts[:, 2] - inter
    zero = union == 0
    if warn and bool(zero.any()):
        warnings.warn(
            f"{func}: both boundary bands are empty for {int(zero.sum())} pair(s), so the score "
            "is 0/0; it is set to 0.0. Pass zero_division='nan' to mark such pairs, or a "
            "number to choose the value.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
    scores = np.where(zero, fill, inter / np.where(zero, 1, union))
    out = _to_input(xp, p, scores)
    return out[0] if two_d else out


def class_band_counts(
    pred: _NDArray, target: _NDArray, valid: _NDArray, num_classes: int, dilation_ratio: float
) -> _NDArray:
    """``(N, C, 3)`` int64 band counts per image and class of integer label maps ``pred`` and
    ``target`` ``(N, H, W)`` (NumPy, checked): ``|B(pred == c) ∩ B(target == c)|``,
    ``|B(pred == c)|`` and ``|B(target == c | ~valid)|``, counting only the pixels where
    ``valid`` (bool ``(N, H, W)``) is set: an ignored target region is no boundary of the class
    beside it (as in detectron2, where ignored pixels get the largest label and so never lower
    the erosion) and its pixels are not counted. ``B`` is :func:`boundary_band`'s band, with
    ``d`` from ``(H, W)``; classes in neither map of an image count zero. Used by
    :class:`~ioukit.SegmentationEvaluator` (option ``boundary``)."""
    n, h, w = target.shape
    out = np.zeros((n, num_classes, 3), dtype=np.int64)
    d = _dilation(h, w, dilation_ratio)
    c = num_classes
    for i in range(n):
        p, t, v = pred[i], target[i], valid[i]
        # the bands of every class at once; the ignored target pixels are the wildcard -1
        # (valid target labels lie in [0, C)), in every class's mask and in no band
        bp = kernels.label_bands(p, d) & v
        wild = t.astype(np.int64)  # -1 would wrap in a uint8 map
        wild[~v] = -1
        bt = kernels.label_bands(wild, d, wild=-1)
        ours = bp & (p >= 0) & (p < c)
        out[i, :, 0] = np.bincount(t[ours & bt & (p == t)], minlength=c)
        out[i, :, 1] = np.bincount(p[ours], minlength=c)
        out[i, :, 2] = np.bincount(t[bt], minlength=c)
    return out
