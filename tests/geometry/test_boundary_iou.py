"""Boundary bands and Boundary IoU of small objects in large images: the box-cropped kernels
(:func:`ioukit.kernels.boundary.pair_band_counts`, behind :func:`ioukit.boundary_iou`, and the
cropped :func:`ioukit.boundary_band`) against boundary-iou-api's ``mask_to_boundary``.

The reference is transcribed from its definition with OpenCV: ``d = max(1, int(round(ratio *
sqrt(h**2 + w**2))))``, a 1-pixel zero border (``cv2.copyMakeBorder``), ``cv2.erode`` with a 3×3
ones kernel and ``iterations=d``, crop, ``mask - eroded``. tests/geometry/test_boundary.py holds
the dense-mask and hand-computed cases; this file places objects anywhere (at the image border,
in corners, one pixel wide, smaller and larger than the band) in non-square images.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from geometry_helpers import reference_band
from ioukit import InputError, ParameterError, boundary_band, boundary_iou
from ioukit.kernels.boundary import label_bands

cv2 = pytest.importorskip("cv2")


def _objects(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """One mask: a few boxes, discs or lines of any size anywhere, often at the image border."""
    m = np.zeros((h, w), dtype=bool)
    yy, xx = np.mgrid[:h, :w]
    for _ in range(int(rng.integers(0, 4))):
        kind = int(rng.integers(0, 4))
        y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
        if kind == 0:  # box, sometimes clipped by the border
            m[
                max(0, y - 5) : y + int(rng.integers(1, h + 1)),
                x : x + int(rng.integers(1, w // 2 + 2)),
            ] = 1
        elif kind == 1:  # disc
            r = int(rng.integers(1, max(2, min(h, w) // 3)))
            m |= (yy - y) ** 2 + (xx - x) ** 2 <= r * r
        elif kind == 2:  # one-pixel-wide line
            if rng.random() < 0.5:
                m[y, x:] = True
            else:
                m[:y, x] = True
        else:  # a single pixel in a corner
            m[-(y % 2), -(x % 2)] = True
    if rng.random() < 0.2:
        m = ~m  # mostly full, touching every border
    return m


SIZES = [(64, 96), (120, 45), (1, 30), (30, 1), (97, 211)]
RATIOS = [0.005, 0.02, 0.05, 0.13]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("ratio", RATIOS)
def test_bands_and_iou_match_reference(size: tuple[int, int], ratio: float) -> None:
    h, w = size
    rng = np.random.default_rng(h * 7919 + w + int(ratio * 1000))
    pred = np.stack([_objects(rng, h, w) for _ in range(24)])
    target = np.stack([_objects(rng, h, w) for _ in range(24)])
    pred[0] = target[0] = False  # empty vs empty
    pred[1] = True  # full vs anything
    target[2] = pred[2]  # identical
    target[3] = False  # something vs empty
    ref_p = np.stack([reference_band(m, ratio) for m in pred])
    ref_t = np.stack([reference_band(m, ratio) for m in target])
    np.testing.assert_array_equal(boundary_band(pred, dilation_ratio=ratio), ref_p)
    np.testing.assert_array_equal(boundary_band(target, dilation_ratio=ratio), ref_t)
    inter = (ref_p & ref_t).sum(axis=(1, 2))
    union = (ref_p | ref_t).sum(axis=(1, 2))
    expected = np.where(union == 0, np.nan, inter / np.maximum(union, 1))
    np.testing.assert_array_equal(boundary_iou(pred, target, dilation_ratio=ratio), expected)
    assert np.isnan(expected[0])
    assert expected[2] == 1.0 or union[2] == 0
    assert expected[3] == 0.0 or union[3] == 0


@pytest.mark.parametrize("seed", range(4))
def test_label_bands_are_each_class_mask_band(seed: int) -> None:
    # label_bands: every class's band at once, against the reference band of each class's mask;
    # with a wild value, the band of (labels == c) | wild, on the pixels of c only
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(5, 60, 2))
    labels = np.kron(rng.integers(0, 5, (h // 4 + 1, w // 4 + 1)), np.ones((4, 4), int))[:h, :w]
    labels[rng.random((h, w)) < 0.05] = 7
    labels[rng.random((h, w)) < 0.1] = -1
    d = int(rng.integers(1, 5))
    ratio = d / math.hypot(h, w)
    for wild in (None, -1):
        got = label_bands(labels, d, wild=wild)
        want = np.zeros((h, w), bool)
        for c in np.unique(labels):
            if c == wild:
                continue
            mask = (labels == c) | (labels == wild)
            want |= reference_band(mask, ratio) & (labels == c)
        np.testing.assert_array_equal(got, want)

def test_small_object_in_large_image() -> None:
    # a 3×4 box in a 400×300 image, d = round(0.02 * 500) = 10 > the box: all of it is band;
    # a 40×40 box next to the left border: band = 40² − 20² (the interior keeps 10 px to each side)
    m = np.zeros((2, 400, 300), dtype=bool)
    m[0, 200:203, 100:104] = True
    m[1, 0:40, 0:40] = True
    band = boundary_band(m)
    np.testing.assert_array_equal(band[0], m[0])
    assert int(band[1].sum()) == 40 * 40 - 20 * 20
    assert float(boundary_iou(m[0], m[0])) == 1.0
    assert float(boundary_iou(m[0], m[1])) == 0.0


def test_bad_input() -> None:
    with pytest.raises(InputError, match=r"boundary_iou: `pred` must hold binary.*3"):
        boundary_iou(np.full((5, 5), 3), np.zeros((5, 5)))
    with pytest.raises(InputError, match=r"boundary_iou: `pred` and `target` must have the same"):
        boundary_iou(np.zeros((2, 5, 5)), np.zeros((3, 5, 5)))
    with pytest.raises(ParameterError, match=r"boundary_iou: `dilation_ratio`.*got -0\.02"):
        boundary_iou(np.zeros((5, 5)), np.zeros((5, 5)), dilation_ratio=-0.02)
    with pytest.raises(ParameterError, match=r"boundary_band: `dilation_ratio`.*got 0"):
        boundary_band(np.zeros((5, 5)), dilation_ratio=0)
