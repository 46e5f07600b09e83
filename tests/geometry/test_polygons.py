"""Polygon IoU and area (ioukit.geometry.polygons): hand cases, oracles, kernels, properties."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geometry_helpers import polygon_area_signed, rand_boxes, rand_convex
from ioukit._errors import InputError, MissingDependencyError, ParameterError
from ioukit.geometry import polygons as P
from ioukit.geometry._polygon_checks import prepare_boxes, prepare_polys
from ioukit.geometry._polygon_fallbacks import exact_intersection_area
from ioukit.geometry.polygons import (
    polygon_area,
    polygon_iou,
    polygon_iou_aligned,
    rotated_box_iou,
    rotated_box_iou_aligned,
    rotated_box_to_polygon,
)
from ioukit.kernels import polygons as poly_kernels

SQ = [0.0, 0.0, 2.0, 2.0, 0.0]  # 2x2 square centred on the origin
BIG = [[0, 0], [10, 0], [10, 10], [0, 10]]  # 10x10 square, counter-clockwise (y up)


def exact_iou(a: np.ndarray, b: np.ndarray) -> float:
    """One pair of convex polygons, clipped in exact rational arithmetic (loop oracle)."""
    a = a if polygon_area_signed(a) > 0 else a[::-1]
    b = b if polygon_area_signed(b) > 0 else b[::-1]
    inter = exact_intersection_area(a, b, 0.0, 0.0)
    union = abs(polygon_area_signed(a)) + abs(polygon_area_signed(b)) - inter
    return inter / union if inter > 0 else 0.0


# ----------------------------------------------------------------------------- hand cases


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


def test_empty_inputs() -> None:
    assert rotated_box_iou(np.zeros((0, 5)), np.zeros((3, 5))).shape == (0, 3)
    assert rotated_box_iou(np.zeros((2, 5)), np.zeros((0, 5))).shape == (2, 0)
    assert rotated_box_iou_aligned(np.zeros((0, 5)), np.zeros((0, 5))).shape == (0,)
    assert polygon_iou(np.zeros((0, 4, 2)), np.zeros((2, 3, 2))).shape == (0, 2)
    assert polygon_iou_aligned(np.zeros((0, 4, 2)), np.zeros((0, 5, 2))).shape == (0,)


def test_parallel_and_serial_kernels_agree(
    monkeypatch: pytest.MonkeyPatch, idle_machine: None
) -> None:
    rng = np.random.default_rng(6)
    b1, b2 = rand_boxes(rng, 70, 5), rand_boxes(rng, 90, 5)
    p1, p2 = rand_convex(rng, 600, 5), rand_convex(rng, 600, 7)  # several fused blocks
    monkeypatch.setattr(poly_kernels, "_PARALLEL_MIN", 1)
    par = (
        rotated_box_iou(b1, b2),
        rotated_box_iou_aligned(b1, b2[:70]),
        polygon_iou_aligned(p1, p2),
        rotated_box_iou_aligned(rand_boxes(rng, 600), rand_boxes(rng, 600)),
    )
    rng = np.random.default_rng(6)
    b1, b2 = rand_boxes(rng, 70, 5), rand_boxes(rng, 90, 5)
    monkeypatch.setattr(poly_kernels, "_PARALLEL_MIN", 1 << 62)
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
    s1 = prepare_polys("f", "polys1", p1, "raise")
    s2 = prepare_polys("f", "polys2", p2, "raise")
    none = np.zeros(p1.shape[0], dtype=bool)
    return P._run("f", s1, s2, False, none, none, "raise")


def test_fused_aligned_kernels_equal_the_general_path_bit_for_bit() -> None:
    # 700 pairs span three blocks of the fused kernels; degenerate shapes, padding, identical
    # pairs and disjoint pairs included
    rng = np.random.default_rng(17)
    b1, b2 = rand_boxes(rng, 700, 5), rand_boxes(rng, 700, 5)
    b1[::37, 2] = 0.0  # zero width
    b2[5::41] = b1[5::41]  # identical
    s1 = prepare_boxes("f", "boxes1", b1, "raise")
    s2 = prepare_boxes("f", "boxes2", b2, "raise")
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
    monkeypatch.setattr(poly_kernels, "_buffer_size", lambda k1, k2: 5)
    np.testing.assert_allclose(polygon_iou_aligned(p1, p2), expected, rtol=0, atol=1e-14)


def test_classify_counts_match_status() -> None:
    rng = np.random.default_rng(21)
    p = rand_convex(rng, 200, 6)
    p[::9, 2, 0] = np.inf  # invalid
    p[1::10] = p[1::10, :1]  # degenerate
    p[2::11] = [[0, 0], [4, 0], [4, 4], [2, 1], [0, 4], [0, 4]]  # non-convex
    p[3::12, :4] = [[0, 0], [2, 2], [2, 0], [0, 2]]  # self-intersecting
    p[3::12, 4:] = [0, 2]
    _, _, status, _, _, _, bad, counts = poly_kernels.classify(p)
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


def test_convex_kernel_skipped_when_no_pair_needs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # convex=False (or only non-convex and degenerate shapes on one side) leaves the convex
    # kernel nothing to compute: it is not run (nor compiled), and every pair is shapely's or 0
    pytest.importorskip("shapely")
    polys = np.array([L_SHAPE, [[0, 0], [4, 0], [8, 0], [0, 0], [0, 0], [0, 0]]], float)
    expected = polygon_iou(np.array([L_SHAPE], float), polys, convex=False)

    def no_kernel(*args: object, **kwargs: object) -> None:
        raise AssertionError("the convex kernel ran")

    monkeypatch.setattr(P.kernels, "iou", no_kernel)
    np.testing.assert_array_equal(
        polygon_iou(np.array([L_SHAPE], float), polys, convex=False), expected
    )
    np.testing.assert_array_equal(polygon_iou(np.array([L_SHAPE], float), polys), expected)
    np.testing.assert_array_equal(expected, [[1.0, 0.0]])
    with pytest.raises(AssertionError, match="convex kernel ran"):  # a convex pair needs it
        polygon_iou(np.array([BIG], float), np.array([BIG], float))


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


def test_import_does_not_load_numba_or_shapely() -> None:
    import subprocess

    code = (
        "import sys, ioukit.geometry.polygons; "
        "print(any(m in sys.modules for m in ('numba', 'shapely', 'torch')))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"
