"""Boundary PQ's counts of one image (option ``boundary`` of :func:`ioukit.panoptic_quality`).

boundary-iou-api's ``coco_panoptic_api/evaluation.py`` (``iou_type="boundary"``) replaces each
id map by a *boundary map*: the band (:func:`ioukit.boundary_band`) of every segment, the mask
``ids == id`` in the whole image, painted with the segment's id, the rest of each segment with
one "interior" id and VOID left as 0; it then counts the (target, prediction) pairs of the two
boundary maps as it counts those of the id maps. Here the same maps are built from
:func:`ioukit.kernels.boundary.label_bands` (the bands of every segment of a map at once;
interiors are -1, pixels that :func:`ioukit.kernels.panoptic.pair_counts` does not count), then
counted by ``pair_counts``:

* ``|B(g) ∩ B(p)|``: the pixels of the pair ``(g, p)``;
* ``|VOID_target ∩ B(p)|``: the pixels of the pair ``(0, p)``;
* ``|B(s)|``: each segment's band area, counted in its map (also for targets, whose mask areas
  come from the JSON under ``convention="panopticapi"``).

:func:`ioukit.panoptic._match.match_image` divides them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ioukit.geometry.boundary import _dilation

if TYPE_CHECKING:
    from ioukit.panoptic._match import Segments

NDArray = np.ndarray[Any, Any]


@dataclass(frozen=True)
class BandCounts:
    """The band counts of one image: ``pairs`` (target id, prediction id) → band pixels (target
    id 0: the target's VOID pixels on the prediction's band); ``gt_area`` and ``pred_area``
    (S,) int64, each segment's band area in the order of its :class:`Segments`."""

    pairs: dict[tuple[int, int], int]
    gt_area: NDArray
    pred_area: NDArray


def boundary_map(ids: NDArray, d: int) -> NDArray:
    """boundary-iou-api's boundary map of an integer id map ``(H, W)``, int32: each segment's id
    on its band (that of the mask ``ids == id`` in the whole image, band width ``d``), 0 on VOID
    (id 0) and -1 elsewhere: the interiors, and ids outside ``[0, 2**31)``, which
    :func:`ioukit.kernels.panoptic.pair_counts` does not count in the id maps either."""
    from ioukit.kernels.boundary import label_bands

    ids = np.asarray(ids)
    out = np.full(ids.shape, -1, dtype=np.int32)
    painted = label_bands(ids, d) & (ids > 0) & (ids < 2**31)
    out[painted] = ids[painted]
    out[ids == 0] = 0
    return out


def to_ids(rgb: NDArray, *, bgr: bool = False) -> NDArray:
    """``(H, W)`` int64 ids ``R + 256 G + 256**2 B`` of an ``(H, W, 3)`` uint8 colour map
    (``bgr``: in OpenCV's channel order)."""
    c = rgb.astype(np.int64)
    r, b = (2, 0) if bgr else (0, 2)
    return np.asarray(c[..., r] + 256 * c[..., 1] + 65536 * c[..., b])


def band_counts(
    maps: tuple[NDArray, NDArray], gt: Segments, pred: Segments, ratio: float
) -> BandCounts:
    """:class:`BandCounts` of the integer id maps ``maps`` = (target, prediction) ``(H, W)``,
    with the band width ``d`` of boundary-iou-api's ``mask_to_boundary`` for the dilation
    ``ratio`` and the image size: the bands of every segment at once (the caller reads those of
    its candidate pairs)."""
    from ioukit.kernels.panoptic import pair_counts

    target, prediction = maps
    h, w = target.shape
    d = _dilation(h, w, ratio)
    areas = []
    band_maps = []
    for ids, segments in ((target, gt), (prediction, pred)):
        band_map = boundary_map(ids, d)
        # each id's band area: its pixels in the boundary map (paired with a map of zeros)
        seg, _, pix, _ = pair_counts(band_map, np.zeros_like(band_map))
        found = dict(zip(seg.tolist(), pix.tolist(), strict=True))
        areas.append(np.array([found.get(int(s), 0) for s in segments.ids.tolist()], np.int64))
        band_maps.append(band_map)
    bg, bp, pix, _ = pair_counts(band_maps[0], band_maps[1])  # interiors (-1) are not counted
    counted = dict(zip(zip(bg.tolist(), bp.tolist(), strict=True), pix.tolist(), strict=True))
    return BandCounts(counted, areas[0], areas[1])
