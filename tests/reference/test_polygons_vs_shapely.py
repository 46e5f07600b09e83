"""Rotated-box and polygon IoU against shapely (GEOS), and against torchvision when installed.

shapely is fed each pair in the local frame of its first shape (the first box's centre
subtracted from the centres before the corners are built), so the reference is not blurred by
the rounding of absolute corners far from the origin. Every case counts failures at 1e-9 and
expects none.
"""

from __future__ import annotations

import numpy as np
import pytest

from geometry_helpers import rand_boxes, rand_convex
from ioukit.geometry.polygons import (
    polygon_iou,
    polygon_iou_aligned,
    rotated_box_iou,
    rotated_box_iou_aligned,
    rotated_box_to_polygon,
)

shapely = pytest.importorskip("shapely")
pytestmark = pytest.mark.reference

TOL = 1e-9


def shapely_iou_polys(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    g1, g2 = shapely.polygons(p1), shapely.polygons(p2)
    inter = shapely.area(shapely.intersection(g1, g2))
    union = shapely.area(g1) + shapely.area(g2) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def shapely_iou_boxes(b1: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """Row-aligned IoU of rotated boxes by shapely, in the frame of each first box."""
    origin = np.zeros_like(b1)
    origin[:, :2] = b1[:, :2]
    p1 = np.asarray(rotated_box_to_polygon(b1 - origin))
    p2 = np.asarray(rotated_box_to_polygon(b2 - origin))
    return shapely_iou_polys(p1, p2)


def failures(ours: np.ndarray, ref: np.ndarray) -> int:
    return int(np.sum(~(np.abs(ours - ref) <= TOL)))


def test_random_boxes() -> None:
    rng = np.random.default_rng(0)
    b1, b2 = rand_boxes(rng, 20000), rand_boxes(rng, 20000)
    ours = rotated_box_iou_aligned(b1, b2)
    ref = shapely_iou_boxes(b1, b2)
    assert (ref > 0).mean() > 0.15  # plenty of overlapping pairs
    assert failures(ours, ref) == 0, np.abs(ours - ref).max()


@pytest.mark.parametrize("sigma", [1e-6, 1e-9, 1e-3])
def test_nearly_identical_boxes(sigma: float) -> None:
    # relative perturbations of every parameter (angles by sigma * 180 degrees): the case the
    # Detectron2/torchvision kernel gets wrong in ~15% of pairs at sigma = 1e-6
    rng = np.random.default_rng(1)
    b1 = rand_boxes(rng, 10000)
    scale = np.array([10, 10, 5, 5, 180])
    b2 = b1 + rng.normal(0, sigma, b1.shape) * scale
    ours = rotated_box_iou_aligned(b1, b2)
    ref = shapely_iou_boxes(b1, b2)
    assert failures(ours, ref) == 0, np.abs(ours - ref).max()


def test_touching_disjoint_nested_thin() -> None:
    b1 = np.array(
        [
            [0, 0, 2, 2, 0],  # touching along an edge
            [0, 0, 2, 2, 0],  # touching at a corner
            [0, 0, 2, 2, 30],  # disjoint
            [0, 0, 10, 10, 0],  # nested
            [0, 0, 10, 10, 15],  # nested, both turned
            [0, 0, 100, 2, 0],  # thin crossing
            [0, 0, 100, 2, 33],  # thin crossing at an angle
            [0, 0, 100, 2, 0.001],  # thin, nearly parallel
        ],
        float,
    )
    b2 = np.array(
        [
            [2, 0, 2, 2, 0],
            [2, 2, 2, 2, 0],
            [5, 5, 2, 2, 30],
            [1, 1, 5, 5, 0],
            [1, 1, 5, 5, 15],
            [0, 0, 100, 2, 90],
            [3, 1, 100, 2, 101],
            [0.3, 0.1, 100, 2, 0],
        ],
        float,
    )
    ours = rotated_box_iou_aligned(b1, b2)
    ref = shapely_iou_boxes(b1, b2)
    assert failures(ours, ref) == 0, np.abs(ours - ref).max()
    np.testing.assert_array_equal(ours[:3], 0.0)


def test_far_from_origin() -> None:
    rng = np.random.default_rng(2)
    b1, b2 = rand_boxes(rng, 10000, 5), rand_boxes(rng, 10000, 5)
    shift = np.array([1e5, 2e5, 0, 0, 0])
    ours = rotated_box_iou_aligned(b1 + shift, b2 + shift)
    ref = shapely_iou_boxes(b1 + shift, b2 + shift)
    assert failures(ours, ref) == 0, np.abs(ours - ref).max()


def test_identical_boxes_exactly_one() -> None:
    rng = np.random.default_rng(3)
    b = rand_boxes(rng, 5000)
    assert np.all(rotated_box_iou_aligned(b, b.copy()) == 1.0)


def test_pairwise_boxes() -> None:
    rng = np.random.default_rng(4)
    b1, b2 = rand_boxes(rng, 150, 6), rand_boxes(rng, 170, 6)
    ours = rotated_box_iou(b1, b2)
    ii, jj = np.meshgrid(np.arange(150), np.arange(170), indexing="ij")
    ref = shapely_iou_boxes(b1[ii.ravel()], b2[jj.ravel()]).reshape(150, 170)
    assert failures(ours, ref) == 0, np.abs(ours - ref).max()


@pytest.mark.parametrize(("k1", "k2"), [(6, 8), (3, 12), (7, 7)])
def test_random_convex_polygons(k1: int, k2: int) -> None:
    rng = np.random.default_rng(5 + k1)
    p1, p2 = rand_convex(rng, 10000, k1, flip=False), rand_convex(rng, 10000, k2, flip=False)
    p2[::2] = p2[::2, ::-1]  # half of them clockwise
    ours = polygon_iou_aligned(p1, p2)
    o = p1.mean(axis=1, keepdims=True)
    ref = shapely_iou_polys(p1 - o, p2 - o)
    assert (ref > 0).mean() > 0.3
    assert failures(ours, ref) == 0, np.abs(ours - ref).max()


def test_nearly_identical_polygons() -> None:
    rng = np.random.default_rng(6)
    p1 = rand_convex(rng, 10000, 7, flip=False)
    p2 = p1 + rng.normal(0, 1e-6, p1.shape) * 5
    ours = polygon_iou_aligned(p1, p2)
    o = p1.mean(axis=1, keepdims=True)
    ref = shapely_iou_polys(p1 - o, p2 - o)
    assert failures(ours, ref) == 0, np.abs(ours - ref).max()
    assert ours.min() > 0.999


def test_non_convex_polygons() -> None:
    # random star-shaped polygons (non-convex) against convex ones and against each other
    rng = np.random.default_rng(7)
    n, k = 300, 10
    ang = np.linspace(0, 2 * np.pi, k, endpoint=False)[None] + rng.uniform(0, 1, (n, 1))
    r = np.where(np.arange(k) % 2 == 0, 3.0, 1.5)[None] * rng.uniform(0.8, 1.2, (n, k))
    stars = np.stack([r * np.cos(ang), r * np.sin(ang)], -1) + rng.uniform(-2, 2, (n, 1, 2))
    convex = rand_convex(rng, n, 6, 2, flip=False)
    ours = polygon_iou(stars[:40], np.concatenate([convex[:30], stars[40:70, :6]]))
    targets = np.concatenate([convex[:30], stars[40:70, :6]])
    ii, jj = np.meshgrid(np.arange(40), np.arange(60), indexing="ij")
    ref = shapely_iou_polys(stars[ii.ravel()], targets[jj.ravel()]).reshape(40, 60)
    assert failures(ours, ref) == 0, np.abs(ours - ref).max()
    aligned = polygon_iou_aligned(stars, convex)
    assert failures(aligned, shapely_iou_polys(stars, convex)) == 0


def test_convex_false_matches_kernel() -> None:
    rng = np.random.default_rng(8)
    p1, p2 = rand_convex(rng, 2000, 5, flip=False), rand_convex(rng, 2000, 8, flip=False)
    kernel = polygon_iou_aligned(p1, p2)
    through_shapely = polygon_iou_aligned(p1, p2, convex=False)
    assert failures(kernel, through_shapely) == 0


# ----------------------------------------------------------------------------- torchvision


def test_angle_convention_and_values_match_torchvision() -> None:
    torch = pytest.importorskip("torch")
    ops = pytest.importorskip("torchvision.ops")
    rng = np.random.default_rng(9)
    b1, b2 = rand_boxes(rng, 300, 5), rand_boxes(rng, 300, 5)
    tv = ops.box_iou(torch.from_numpy(b1), torch.from_numpy(b2), fmt="cxcywhr").numpy()
    ours = rotated_box_iou(b1, b2)
    # torchvision returns float32; its kernel's absolute tolerances only bite on nearly
    # identical boxes, which random boxes are not
    np.testing.assert_allclose(ours, tv, rtol=0, atol=1e-5)
    # the opposite angle convention would disagree by far more
    flipped = rotated_box_iou(b1 * [1, 1, 1, 1, -1], b2 * [1, 1, 1, 1, -1])
    assert np.abs(flipped - tv).max() > 0.1
    corners = ops.box_convert(torch.from_numpy(b1), "cxcywhr", "xyxyxyxy").numpy()
    np.testing.assert_allclose(
        np.asarray(rotated_box_to_polygon(b1)).reshape(-1, 8), corners, rtol=0, atol=1e-12
    )
