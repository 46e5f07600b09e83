"""Rotated-box and polygon IoU (ioukit.geometry.polygons): hand cases, oracles, properties."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geometry_helpers import rand_boxes, rand_convex
from ioukit._errors import BackendError, InputError, MissingDependencyError, ParameterError
from ioukit.geometry import polygons as P
from ioukit.geometry.polygons import (
    polygon_area,
    polygon_iou,
    polygon_iou_aligned,
    rotated_box_iou,
    rotated_box_iou_aligned,
    rotated_box_to_polygon,
)

SQ = [0.0, 0.0, 2.0, 2.0, 0.0]  # 2x2 square centred on the origin
BIG = [[0, 0], [10, 0], [10, 10], [0, 10]]  # 10x10 square, counter-clockwise (y up)


def one(boxes1: list[list[float]], boxes2: list[list[float]]) -> float:
    return float(rotated_box_iou(np.array(boxes1, float), np.array(boxes2, float))[0, 0])


def exact_iou(a: np.ndarray, b: np.ndarray) -> float:
    """One pair of convex polygons, clipped in exact rational arithmetic (loop oracle)."""
    a = a if polygon_area_signed(a) > 0 else a[::-1]
    b = b if polygon_area_signed(b) > 0 else b[::-1]
    inter = P._exact_intersection_area(a, b, 0.0, 0.0)
    union = abs(polygon_area_signed(a)) + abs(polygon_area_signed(b)) - inter
    return inter / union if inter > 0 else 0.0


def polygon_area_signed(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return float(0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


# ----------------------------------------------------------------------------- hand cases


def test_square_vs_square_turned_45_degrees() -> None:
    # The intersection is a regular octagon with apothem 1 (the half-side): area
    # 8 tan(pi/8) = 8 (sqrt2 - 1) = 3.3137; union 4 + 4 - 3.3137; IoU = 1/sqrt2 = 0.70711.
    assert one([SQ], [[0, 0, 2, 2, 45]]) == pytest.approx(1 / math.sqrt(2), abs=1e-15)


def test_half_shifted_square() -> None:
    # overlap 1x2 = 2, union 4 + 4 - 2 = 6: 1/3, at any common angle
    assert one([SQ], [[1, 0, 2, 2, 0]]) == pytest.approx(1 / 3, abs=1e-15)
    # the same pair turned by 30 degrees about the origin: centre (1, 0) goes to
    # (cos30, -sin30) in the width direction u = (cos, -sin)
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    assert one([[0, 0, 2, 2, 30]], [[c, -s, 2, 2, 30]]) == pytest.approx(1 / 3, abs=1e-14)


def test_nested_box() -> None:
    # 5x5 inside 10x10: 25 / 100
    assert one([[0, 0, 10, 10, 0]], [[1, -2, 5, 5, 0]]) == pytest.approx(0.25, abs=1e-15)
    # turned inside: still 25 / 100 (the 5x5 square turned by 45 fits: half-diagonal 3.54 < 5)
    assert one([[0, 0, 10, 10, 0]], [[0, 0, 5, 5, 45]]) == pytest.approx(0.25, abs=1e-15)


def test_touching_and_disjoint_boxes_score_zero() -> None:
    assert one([SQ], [[2, 0, 2, 2, 0]]) == 0.0  # shared edge x = 1
    assert one([SQ], [[2, 2, 2, 2, 0]]) == 0.0  # shared corner (1, 1)
    assert one([SQ], [[0, 1 + math.sqrt(2), 2, 2, 45]]) == 0.0  # diamond tip on the top edge
    assert one([SQ], [[50, 50, 2, 2, 10]]) == 0.0


def test_thin_boxes_crossing() -> None:
    # 100x2 and 2x100 crossing at the centre: intersection 2x2 = 4, union 200 + 200 - 4 = 396
    assert one([[0, 0, 100, 2, 0]], [[0, 0, 100, 2, 90]]) == pytest.approx(4 / 396, abs=1e-15)
    assert one([[0, 0, 100, 2, 17]], [[0, 0, 100, 2, 107]]) == pytest.approx(4 / 396, abs=1e-14)


def test_identical_boxes_are_exactly_one() -> None:
    rng = np.random.default_rng(0)
    b = rand_boxes(rng, 500)
    b[:100, :2] += 1e5  # far from the origin too
    assert np.all(rotated_box_iou_aligned(b, b.copy()) == 1.0)
    assert np.all(np.diag(rotated_box_iou(b, b)) == 1.0)


def test_quarter_turns_are_exact() -> None:
    # w x h at 90 degrees is exactly h x w at 0 (and at 270, -90, 450): IoU exactly 1
    for angle in (90, 270, -90, 450, 3690):
        assert one([[3, 4, 6, 2, angle]], [[3, 4, 2, 6, 0]]) == 1.0
    # a rectangle turned by 180 degrees is itself
    assert one([[3, 4, 6, 2, 12.5]], [[3, 4, 6, 2, 192.5]]) == pytest.approx(1.0, abs=1e-15)


def test_nearly_identical_boxes_are_nearly_one() -> None:
    # the Detectron2/torchvision failure (0.333 for ~15% of such pairs): offsets ~1e-6 relative
    rng = np.random.default_rng(1)
    b = rand_boxes(rng, 5000)
    b2 = b + rng.normal(0, 1e-6, b.shape) * np.array([10, 10, 5, 5, 180])
    b2[:, 4] = b[:, 4] + rng.choice([-1e-4, 1e-4], len(b))
    iou = rotated_box_iou_aligned(b, b2)
    assert iou.min() > 0.999  # (the failure mode is 0.333 or 0.6)


def test_zero_area_boxes_score_zero_never_nan() -> None:
    b = np.array([[0, 0, 0, 2, 30], [0, 0, 2, 0, 0], [0, 0, 0, 0, 0], SQ], float)
    out = rotated_box_iou(b, b)
    assert not np.isnan(out).any()
    np.testing.assert_array_equal(out[:3], 0.0)
    np.testing.assert_array_equal(out[:, :3], 0.0)
    assert out[3, 3] == 1.0


def test_angle_convention_matches_torchvision_corners() -> None:
    # width along u = (cos t, -sin t), height along v = (sin t, cos t), corners -a-b, a-b,
    # a+b, -a+b: at t = 30 a box 4x2 centred at (10, 20) has its first corner at
    # (10 - 2 cos30 - sin30, 20 + 2 sin30 - cos30) = (7.7679, 20.1340)
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    corners = rotated_box_to_polygon(np.array([[10.0, 20.0, 4.0, 2.0, 30.0]]))[0]
    expected = [
        [10 - 2 * c - s, 20 + 2 * s - c],
        [10 + 2 * c - s, 20 - 2 * s - c],
        [10 + 2 * c + s, 20 - 2 * s + c],
        [10 - 2 * c + s, 20 + 2 * s + c],
    ]
    np.testing.assert_allclose(corners, expected, atol=1e-14)
    # positive shoelace area (counter-clockwise with y up)
    assert polygon_area_signed(corners) == pytest.approx(8.0)


def test_rotated_box_to_polygon_axis_aligned() -> None:
    out = rotated_box_to_polygon(np.array([[5, 5, 4, 2, 0]]))
    np.testing.assert_array_equal(out[0], [[3, 4], [7, 4], [7, 6], [3, 6]])
    assert out.dtype == np.float64
    empty = rotated_box_to_polygon(np.zeros((0, 5)))
    assert empty.shape == (0, 4, 2)


def test_far_from_origin_equals_at_origin() -> None:
    rng = np.random.default_rng(2)
    b1, b2 = rand_boxes(rng, 2000, 5), rand_boxes(rng, 2000, 5)
    shift = np.array([1e5, -3e5, 0, 0, 0])
    near = rotated_box_iou_aligned(b1, b2)
    far = rotated_box_iou_aligned(b1 + shift, b2 + shift)
    np.testing.assert_allclose(far, near, rtol=0, atol=1e-9)


def test_polygon_hand_cases() -> None:
    # 5x5 nested in 10x10: 0.25; the triangle (0,0),(10,0),(0,10): 50 / 100
    small = [[0, 0], [5, 0], [5, 5], [0, 5]]
    tri = [[0, 0], [10, 0], [0, 10]]
    out = polygon_iou(np.array([BIG]), np.array([small, small[::-1]]))
    np.testing.assert_array_equal(out, [[0.25, 0.25]])
    assert float(polygon_iou(np.array([BIG]), np.array([tri]))[0, 0]) == 0.5
    # touching along x = 10: 0
    right = [[10, 0], [20, 0], [20, 10], [10, 10]]
    assert float(polygon_iou_aligned(np.array([BIG]), np.array([right]))[0]) == 0.0


def test_polygon_padding_and_collinear_vertices() -> None:
    # the 10x10 square with a repeated vertex and with midpoints on its edges (collinear)
    padded = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 10], [0, 10]]
    mids = [[0, 0], [5, 0], [10, 0], [10, 5], [10, 10], [5, 10], [0, 10], [0, 5]]
    tri = [[0, 0], [10, 0], [0, 10], [0, 10], [0, 10], [0, 10]]
    out = polygon_iou(
        np.array([padded, tri], float), np.array([mids, [*BIG] + [BIG[3]] * 4], float)
    )
    np.testing.assert_allclose(out, [[1.0, 1.0], [0.5, 0.5]], atol=1e-15)


def test_polygon_area() -> None:
    tri_cw = [[0, 0], [0, 3], [4, 0]]  # clockwise with y up: area 6
    flat = [[0, 0], [1, 1], [2, 2], [3, 3]]  # collinear: area 0
    out = polygon_area(np.array([BIG, [*tri_cw, [4, 0]], flat], float))
    np.testing.assert_array_equal(out, [100.0, 6.0, 0.0])
    assert polygon_area(np.array([BIG], np.float32)).dtype == np.float32


def test_rotated_boxes_agree_with_their_polygons() -> None:
    rng = np.random.default_rng(3)
    b1, b2 = rand_boxes(rng, 60), rand_boxes(rng, 70)
    via_poly = polygon_iou(rotated_box_to_polygon(b1), rotated_box_to_polygon(b2))
    np.testing.assert_allclose(rotated_box_iou(b1, b2), via_poly, rtol=0, atol=1e-13)


def test_empty_inputs() -> None:
    assert rotated_box_iou(np.zeros((0, 5)), np.zeros((3, 5))).shape == (0, 3)
    assert rotated_box_iou(np.zeros((2, 5)), np.zeros((0, 5))).shape == (2, 0)
    assert rotated_box_iou_aligned(np.zeros((0, 5)), np.zeros((0, 5))).shape == (0,)
    assert polygon_iou(np.zeros((0, 4, 2)), np.zeros((2, 3, 2))).shape == (0, 2)
    assert polygon_iou_aligned(np.zeros((0, 4, 2)), np.zeros((0, 5, 2))).shape == (0,)


def test_dtypes() -> None:
    b = np.array([SQ, [1, 0, 2, 2, 0]])
    assert rotated_box_iou(b.astype(np.float32), b.astype(np.float32)).dtype == np.float32
    assert rotated_box_iou(b.astype(np.float32), b).dtype == np.float64
    ints = rotated_box_iou(np.array([[0, 0, 2, 2, 0]]), np.array([[1, 0, 2, 2, 0]]))
    assert ints.dtype == np.float64
    assert float(ints[0, 0]) == pytest.approx(1 / 3)
    # lists are accepted
    assert rotated_box_iou([SQ], [SQ]).tolist() == [[1.0]]


def test_torch_input() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    b1, b2 = rand_boxes(rng, 30), rand_boxes(rng, 40)
    out = rotated_box_iou(torch.from_numpy(b1), torch.from_numpy(b2))
    assert isinstance(out, torch.Tensor)
    assert out.dtype == torch.float64
    assert out.device == torch.device("cpu")
    np.testing.assert_array_equal(out.numpy(), rotated_box_iou(b1, b2))
    out32 = rotated_box_iou_aligned(
        torch.from_numpy(b1[:30]).float().requires_grad_(), torch.from_numpy(b2[:30]).float()
    )
    assert out32.dtype == torch.float32
    assert not out32.requires_grad
    p = torch.tensor([BIG], dtype=torch.float32)
    assert polygon_iou(p, p).dtype == torch.float32


def test_array_api_strict_input() -> None:
    xps = pytest.importorskip("array_api_strict")
    a = xps.asarray(np.array([SQ]))
    b = xps.asarray(np.array([[1.0, 0, 2, 2, 0]]))
    out = rotated_box_iou(a, b)
    assert type(out) is type(a)
    assert float(out[0, 0]) == pytest.approx(1 / 3)


def test_overflowing_clip_buffers_are_recomputed_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    # a 4-vertex buffer overflows as soon as clipping adds a vertex: those pairs go through the
    # exact rational fallback, and the results match the normal path
    rng = np.random.default_rng(5)
    b1, b2 = rand_boxes(rng, 40, 3), rand_boxes(rng, 50, 3)
    expected = rotated_box_iou(b1, b2)
    monkeypatch.setattr(P, "_buffer_size", lambda k1, k2: 4)
    np.testing.assert_allclose(rotated_box_iou(b1, b2), expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(
        rotated_box_iou_aligned(b1[:40], b2[:40]), np.diag(expected[:, :40]), rtol=0, atol=1e-14
    )


def test_parallel_and_serial_kernels_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(6)
    b1, b2 = rand_boxes(rng, 70, 5), rand_boxes(rng, 90, 5)
    p1, p2 = rand_convex(rng, 600, 5), rand_convex(rng, 600, 7)  # several fused blocks
    monkeypatch.setattr(P, "_PARALLEL_MIN", 1)
    par = (
        rotated_box_iou(b1, b2),
        rotated_box_iou_aligned(b1, b2[:70]),
        polygon_iou_aligned(p1, p2),
        rotated_box_iou_aligned(rand_boxes(rng, 600), rand_boxes(rng, 600)),
    )
    rng = np.random.default_rng(6)
    b1, b2 = rand_boxes(rng, 70, 5), rand_boxes(rng, 90, 5)
    monkeypatch.setattr(P, "_PARALLEL_MIN", 1 << 62)
    p1, p2 = rand_convex(rng, 600, 5), rand_convex(rng, 600, 7)
    ser = (
        rotated_box_iou(b1, b2),
        rotated_box_iou_aligned(b1, b2[:70]),
        polygon_iou_aligned(p1, p2),
        rotated_box_iou_aligned(rand_boxes(rng, 600), rand_boxes(rng, 600)),
    )
    for a, b in zip(par, ser, strict=True):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- oracles


def test_pairwise_equals_aligned_over_all_pairs() -> None:
    rng = np.random.default_rng(7)
    b1, b2 = rand_boxes(rng, 40, 5), rand_boxes(rng, 55, 5)
    ii, jj = np.meshgrid(np.arange(40), np.arange(55), indexing="ij")
    aligned = rotated_box_iou_aligned(b1[ii.ravel()], b2[jj.ravel()]).reshape(40, 55)
    np.testing.assert_array_equal(rotated_box_iou(b1, b2), aligned)
    p1, p2 = rand_convex(rng, 30, 7), rand_convex(rng, 35, 5)
    ii, jj = np.meshgrid(np.arange(30), np.arange(35), indexing="ij")
    aligned = polygon_iou_aligned(p1[ii.ravel()], p2[jj.ravel()]).reshape(30, 35)
    np.testing.assert_array_equal(polygon_iou(p1, p2), aligned)


def _general_aligned(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """The unfused aligned path: classify both sets, then the clipping kernel."""
    s1 = P._prepare_polys("f", "polys1", p1, "raise")
    s2 = P._prepare_polys("f", "polys2", p2, "raise")
    none = np.zeros(p1.shape[0], dtype=bool)
    return P._run("f", s1, s2, False, none, none, "raise")


def test_fused_aligned_kernels_equal_the_general_path_bit_for_bit() -> None:
    # 700 pairs span three blocks of the fused kernels; degenerate shapes, padding, identical
    # pairs and disjoint pairs included
    rng = np.random.default_rng(17)
    b1, b2 = rand_boxes(rng, 700, 5), rand_boxes(rng, 700, 5)
    b1[::37, 2] = 0.0  # zero width
    b2[5::41] = b1[5::41]  # identical
    s1 = P._prepare_boxes("f", "boxes1", b1, "raise")
    s2 = P._prepare_boxes("f", "boxes2", b2, "raise")
    none = np.zeros(700, dtype=bool)
    general = P._run("f", s1, s2, False, none, none, "raise")
    np.testing.assert_array_equal(rotated_box_iou_aligned(b1, b2), general)
    assert np.all(rotated_box_iou_aligned(b1, b2)[5::41][b1[5::41, 2] > 0] == 1.0)
    p1, p2 = rand_convex(rng, 700, 6), rand_convex(rng, 700, 8)
    p1[::29, 4:] = p1[::29, 3:4]  # padded: the 4th vertex repeated
    p2[3::31] = p2[3::31, :1]  # all vertices equal: degenerate, scores 0
    for q1, q2 in ((p1, p2), (p1, p1.copy()), (p2, p1[:, ::-1])):
        out = polygon_iou_aligned(q1, q2)
        np.testing.assert_array_equal(out, _general_aligned(q1, q2))
        np.testing.assert_array_equal(polygon_iou_aligned(q1, q2, convex=True), out)
    np.testing.assert_array_equal(polygon_iou_aligned(p2[3::31], p2[3::31]), 0.0)


def test_fused_aligned_kernels_hand_over_trouble_in_a_later_block() -> None:
    # invalid, non-convex and self-intersecting shapes past the first block of 256 pairs go
    # through the general path: the error names the right index, on_invalid applies
    rng = np.random.default_rng(18)
    p1, p2 = rand_convex(rng, 600, 6), rand_convex(rng, 600, 6)
    clean = polygon_iou_aligned(p1, p2)
    bad = p2.copy()
    bad[530, 2, 1] = np.nan
    with pytest.raises(InputError, match="the first at index 530"):
        polygon_iou_aligned(p1, bad)
    out = polygon_iou_aligned(p1, bad, on_invalid="nan")
    assert math.isnan(out[530])
    np.testing.assert_array_equal(np.delete(out, 530), np.delete(clean, 530))
    bow = p1.copy()
    bow[300, :4] = [[0, 0], [2, 2], [2, 0], [0, 2]]  # crosses itself
    bow[300, 4:] = [0, 2]
    with pytest.raises(InputError, match=r"self-intersecting polygon.*first at index 300"):
        polygon_iou_aligned(bow, p2)
    dent = p1.copy()
    dent[400] = [[0, 0], [4, 0], [4, 4], [2, 1], [0, 4], [0, 4]]  # non-convex
    with pytest.raises(InputError, match=r"non-convex polygon.*first at index 400"):
        polygon_iou_aligned(dent, p2, convex=True)
    b1, b2 = rand_boxes(rng, 600), rand_boxes(rng, 600)
    clean = rotated_box_iou_aligned(b1, b2)
    b2[444, 3] = -1.0
    with pytest.raises(InputError, match="the first at index 444"):
        rotated_box_iou_aligned(b1, b2)
    out = rotated_box_iou_aligned(b1, b2, on_invalid="zero")
    assert out[444] == 0.0
    np.testing.assert_array_equal(np.delete(out, 444), np.delete(clean, 444))


def test_fused_non_convex_goes_to_shapely() -> None:
    pytest.importorskip("shapely")
    rng = np.random.default_rng(19)
    p1, p2 = rand_convex(rng, 300, 6), rand_convex(rng, 300, 6)
    p1[280] = [[0, 0], [4, 0], [4, 4], [2, 1], [0, 4], [0, 4]]  # non-convex: 16 - (4 * 3 / 2) = 10
    p2[280] = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 4], [0, 4]]  # the 4x4 square: IoU 10/16
    out = polygon_iou_aligned(p1, p2)
    assert out[280] == pytest.approx(0.625, abs=1e-12)
    keep = np.arange(300) != 280
    np.testing.assert_array_equal(out[keep], polygon_iou_aligned(p1[keep], p2[keep]))


def test_overflowing_clip_buffers_polygons_aligned(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(20)
    p1, p2 = rand_convex(rng, 300, 5), rand_convex(rng, 300, 7)
    expected = polygon_iou_aligned(p1, p2)
    monkeypatch.setattr(P, "_buffer_size", lambda k1, k2: 5)
    np.testing.assert_allclose(polygon_iou_aligned(p1, p2), expected, rtol=0, atol=1e-14)


def test_classify_counts_match_status() -> None:
    rng = np.random.default_rng(21)
    p = rand_convex(rng, 200, 6)
    p[::9, 2, 0] = np.inf  # invalid
    p[1::10] = p[1::10, :1]  # degenerate
    p[2::11] = [[0, 0], [4, 0], [4, 4], [2, 1], [0, 4], [0, 4]]  # non-convex
    p[3::12, :4] = [[0, 0], [2, 2], [2, 0], [0, 2]]  # self-intersecting
    p[3::12, 4:] = [0, 2]
    _, _, status, _, _, _, bad, counts = P._jit().classify(p)
    assert counts[0] == bad.sum()
    np.testing.assert_array_equal(counts[1:], np.bincount(status, minlength=4)[1:])
    assert counts[0] > 0
    assert np.all(counts[1:] > 0)


def test_pairwise_equals_exact_rational_loop() -> None:
    rng = np.random.default_rng(8)
    p1, p2 = rand_convex(rng, 12, 6), rand_convex(rng, 15, 8)
    out = polygon_iou(p1, p2)
    loop = np.array([[exact_iou(a, b) for b in p2] for a in p1])
    np.testing.assert_allclose(out, loop, rtol=0, atol=1e-13)
    assert (loop > 0).mean() > 0.3  # the case is not trivially disjoint


# ----------------------------------------------------------------------------- properties

finite = {"allow_nan": False, "allow_infinity": False}
# sizes: 0 (degenerate) or at least 1e-3. Far thinner boxes (aspect ratio below ~1e-12) cannot
# be represented by float64 corners at an angle, see the module docstring.
size_st = st.one_of(st.just(0.0), st.floats(1e-3, 15, **finite))
box_st = st.tuples(
    st.floats(-20, 20, **finite),
    st.floats(-20, 20, **finite),
    size_st,
    size_st,
    st.floats(-720, 720, **finite),
)
boxes_st = st.lists(box_st, min_size=1, max_size=6).map(lambda b: np.array(b, dtype=float))


@settings(max_examples=60, deadline=None)
@given(boxes_st, boxes_st)
def test_property_bounds_symmetry_and_permutation(b1: np.ndarray, b2: np.ndarray) -> None:
    out = rotated_box_iou(b1, b2)
    assert out.shape == (len(b1), len(b2))
    assert np.all((out >= 0) & (out <= 1))
    np.testing.assert_allclose(rotated_box_iou(b2, b1), out.T, rtol=0, atol=1e-12)
    perm1, perm2 = np.arange(len(b1))[::-1], np.roll(np.arange(len(b2)), 1)
    np.testing.assert_array_equal(rotated_box_iou(b1[perm1], b2[perm2]), out[perm1][:, perm2])
    # IoU(A, A) = 1 for every box of positive area
    self_iou = rotated_box_iou_aligned(b1, b1)
    np.testing.assert_array_equal(self_iou, np.where(b1[:, 2] * b1[:, 3] > 0, 1.0, 0.0))


@settings(max_examples=60, deadline=None)
@given(boxes_st, st.floats(-1e4, 1e4, **finite), st.floats(-1e4, 1e4, **finite))
def test_property_rigid_motion_invariance(b: np.ndarray, dx: float, dy: float) -> None:
    # translating everything, or turning everything about the origin, keeps the IoU
    other = np.roll(b, 1, axis=0)
    out = rotated_box_iou_aligned(b, other)
    shift = np.array([dx, dy, 0, 0, 0])
    moved = rotated_box_iou_aligned(b + shift, other + shift)
    np.testing.assert_allclose(moved, out, rtol=0, atol=1e-9)
    t = math.radians(37.0)
    # a turn by +37 degrees in the boxes' convention maps the point (x, y) to
    # (x cos t + y sin t, -x sin t + y cos t), the map that takes u(a) to u(a + 37)

    def turn(x: np.ndarray) -> np.ndarray:
        cx = x[:, 0] * math.cos(t) + x[:, 1] * math.sin(t)
        cy = -x[:, 0] * math.sin(t) + x[:, 1] * math.cos(t)
        return np.column_stack([cx, cy, x[:, 2], x[:, 3], x[:, 4] + 37.0])

    np.testing.assert_allclose(
        rotated_box_iou_aligned(turn(b), turn(other)), out, rtol=0, atol=1e-9
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 9), st.integers(3, 9))
def test_property_polygons_orientation_and_start_vertex(seed: int, k1: int, k2: int) -> None:
    rng = np.random.default_rng(seed)
    p1, p2 = rand_convex(rng, 4, k1), rand_convex(rng, 5, k2)
    out = polygon_iou(p1, p2)
    assert np.all((out >= 0) & (out <= 1))
    turned = np.roll(p1[:, ::-1], 2, axis=1)  # other orientation, other first vertex
    np.testing.assert_allclose(polygon_iou(turned, p2), out, rtol=0, atol=1e-13)
    np.testing.assert_allclose(polygon_iou(p2, p1), out.T, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(polygon_iou_aligned(p1, p1), 1.0)


# ----------------------------------------------------------------------------- non-convex

L_SHAPE = [[0, 0], [10, 0], [10, 5], [5, 5], [5, 10], [0, 10]]  # 10x10 minus a 5x5 corner: 75


def test_non_convex_through_shapely() -> None:
    pytest.importorskip("shapely")
    corner = [[5, 5], [10, 5], [10, 10], [5, 10], [5, 10], [5, 10]]  # the missing corner
    half = [[0, 0], [10, 0], [10, 5], [0, 5], [0, 5], [0, 5]]  # lower half: 50 inside the L
    polys = np.array([[*BIG, BIG[3], BIG[3]], corner, half], float)
    out = polygon_iou(np.array([L_SHAPE], float), polys)
    # L vs square: 75 / 100; L vs its missing corner: 0 (they share edges only);
    # L vs the lower half: the half lies inside the L, 50 / 75
    np.testing.assert_allclose(out, [[0.75, 0.0, 50 / 75]], atol=1e-15)
    # convex=False sends every pair through shapely: same numbers
    everything = polygon_iou(np.array([L_SHAPE], float), polys, convex=False)
    np.testing.assert_allclose(everything, out, atol=1e-15)
    aligned = polygon_iou_aligned(np.array([L_SHAPE] * 3, float), polys)
    np.testing.assert_allclose(aligned, out[0], atol=1e-15)
    # non-convex on the right-hand side, reversed orientation
    np.testing.assert_allclose(
        polygon_iou(polys, np.array([L_SHAPE[::-1]], float)), out.T, atol=1e-15
    )


def test_non_convex_without_shapely(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "shapely", None)  # `import shapely` now fails
    with pytest.raises(MissingDependencyError, match=r"pip install shapely"):
        polygon_iou(np.array([L_SHAPE], float), np.array([BIG], float))
    with pytest.raises(MissingDependencyError, match=r"polygon_iou_aligned: .*shapely"):
        polygon_iou_aligned(np.array([BIG], float), np.array([BIG], float), convex=False)
    # convex polygons never need shapely
    assert float(polygon_iou(np.array([BIG], float), np.array([BIG], float))[0, 0]) == 1.0


def test_convex_true_rejects_non_convex() -> None:
    with pytest.raises(InputError, match=r"`polys2` must hold convex polygons.*index 0"):
        polygon_iou(np.array([BIG], float), np.array([L_SHAPE], float), convex=True)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("boxes", "match"),
    [
        (np.zeros((3, 4)), r"`boxes1` must have shape \(N, 5\).*got shape \(3, 4\)"),
        (np.zeros((2, 3, 5)), r"got shape \(2, 3, 5\)"),
        (np.zeros(5), r"got shape \(5,\)"),
        (np.zeros((2, 5), dtype=bool), r"must hold real numbers; got dtype bool"),
        (
            np.array([SQ, [0, 0, -1, 2, 0]]),
            r"valid rotated boxes.*1 invalid row\(s\) of 2, the first at index 1: "
            r"\[0.0, 0.0, -1.0, 2.0, 0.0\]",
        ),
        (np.array([[0, 0, 1, 1, np.nan]]), r"index 0: \[0.0, 0.0, 1.0, 1.0, nan\]"),
        (np.array([[np.inf, 0, 1, 1, 0]]), r"index 0: \[inf"),
    ],
)
def test_bad_boxes(boxes: np.ndarray, match: str) -> None:
    with pytest.raises(InputError, match=r"rotated_box_iou: .*" + match):
        rotated_box_iou(boxes, np.array([SQ]))


def test_on_invalid_nan_and_zero() -> None:
    b1 = np.array([SQ, [0, 0, -1, 2, 0], [np.nan, 0, 1, 1, 0]])
    b2 = np.array([SQ, [1, 0, 2, 2, 0]])
    nan = rotated_box_iou(b1, b2, on_invalid="nan")
    np.testing.assert_array_equal(nan[0], [1.0, 1 / 3])
    assert np.isnan(nan[1:]).all()
    zero = rotated_box_iou(b1, b2, on_invalid="zero")
    np.testing.assert_array_equal(zero[1:], 0.0)
    aligned = rotated_box_iou_aligned(b2, b1[:2], on_invalid="nan")
    assert aligned[0] == 1.0
    assert np.isnan(aligned[1])
    p = np.array([BIG, [[0, 0], [1, 0], [np.nan, 1], [0, 1]]], float)
    np.testing.assert_array_equal(polygon_iou(p, p, on_invalid="zero"), [[1, 0], [0, 0]])
    assert np.isnan(polygon_area(p, on_invalid="nan")[1])
    with pytest.raises(InputError, match=r"polygon_area: `polys` must hold finite vertex"):
        polygon_area(p)


def test_bad_options() -> None:
    with pytest.raises(ParameterError, match=r"`on_invalid` must be one of 'raise'.*'clip'"):
        rotated_box_iou([SQ], [SQ], on_invalid="clip")
    with pytest.raises(ParameterError, match=r"`convex` must be one of None, True, False; got 1"):
        polygon_iou(np.array([BIG]), np.array([BIG]), convex=1)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"`on_invalid`"):
        polygon_iou(np.array([BIG]), np.array([BIG]), on_invalid="sort_corners")


def test_bad_shapes() -> None:
    with pytest.raises(InputError, match=r"rotated_box_iou_aligned: .*same shape.*\(2, 5\)"):
        rotated_box_iou_aligned(np.zeros((2, 5)), np.zeros((3, 5)))
    with pytest.raises(InputError, match=r"polygon_iou: `polys1` .*at least 3 vertices"):
        polygon_iou(np.zeros((1, 2, 2)), np.zeros((1, 3, 2)))
    with pytest.raises(InputError, match=r"`polys2` must have shape \(N, K, 2\).*\(1, 4, 3\)"):
        polygon_iou(np.zeros((1, 3, 2)), np.zeros((1, 4, 3)))
    with pytest.raises(InputError, match=r"polygon_iou_aligned: .*same number of polygons"):
        polygon_iou_aligned(np.zeros((2, 3, 2)), np.zeros((3, 3, 2)))
    with pytest.raises(InputError, match=r"rotated_box_to_polygon: `boxes` must have shape"):
        rotated_box_to_polygon(np.zeros((2, 4)))
    with pytest.raises(InputError, match=r"rotated_box_to_polygon: .*index 0"):
        rotated_box_to_polygon(np.array([[0, 0, 1, -1, 0]]))


@pytest.mark.parametrize(
    "poly",
    [
        [[0, 0], [1, 1], [1, 0], [0, 1]],  # bow-tie: turns 0 times, zero signed area
        # pentagram: every turn to the same side, but the boundary turns twice
        [[math.cos(t), math.sin(t)] for t in np.arange(5) * 4 * math.pi / 5],
    ],
)
def test_self_intersecting_polygons(poly: list[list[float]]) -> None:
    with pytest.raises(InputError, match=r"`polys1` must hold simple polygons.*index 0"):
        polygon_iou(np.array([poly], float), np.array([BIG], float))


def test_self_intersecting_polygon_found_by_shapely() -> None:
    pytest.importorskip("shapely")
    # turns once overall, but two edges cross: only shapely's validity check sees it
    # (a band through the left edge: edges (10,4)-(-2,4) and (-2,6)-(10,6) cross (0,10)-(0,0))
    loop = [[0, 0], [10, 0], [10, 4], [-2, 4], [-2, 6], [10, 6], [10, 10], [0, 10]]
    with pytest.raises(InputError, match=r"`polys2` must hold simple polygons.*index 0.*Self"):
        polygon_iou(np.array([BIG], float), np.array([loop], float))


def test_mixed_libraries() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(BackendError, match=r"rotated_box_iou: arguments come from different"):
        rotated_box_iou(np.array([SQ]), torch.tensor([SQ]))


def test_import_does_not_load_numba_or_shapely() -> None:
    import subprocess

    code = (
        "import sys, ioukit.geometry.polygons; "
        "print(any(m in sys.modules for m in ('numba', 'shapely', 'torch')))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"
