"""Rotated-box IoU (ioukit.geometry.polygons): hand cases, the angle convention, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geometry_helpers import polygon_area_signed, rand_boxes
from ioukit._errors import BackendError, InputError
from ioukit.geometry.polygons import (
    polygon_iou,
    rotated_box_iou,
    rotated_box_iou_aligned,
    rotated_box_to_polygon,
)
from ioukit.kernels import polygons as poly_kernels

SQ = [0.0, 0.0, 2.0, 2.0, 0.0]  # 2x2 square centred on the origin
BIG = [[0, 0], [10, 0], [10, 10], [0, 10]]  # 10x10 square, counter-clockwise (y up)


def one(boxes1: list[list[float]], boxes2: list[list[float]]) -> float:
    return float(rotated_box_iou(np.array(boxes1, float), np.array(boxes2, float))[0, 0])


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


def test_rotated_boxes_agree_with_their_polygons() -> None:
    rng = np.random.default_rng(3)
    b1, b2 = rand_boxes(rng, 60), rand_boxes(rng, 70)
    via_poly = polygon_iou(rotated_box_to_polygon(b1), rotated_box_to_polygon(b2))
    np.testing.assert_allclose(rotated_box_iou(b1, b2), via_poly, rtol=0, atol=1e-13)


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
    monkeypatch.setattr(poly_kernels, "_buffer_size", lambda k1, k2: 4)
    np.testing.assert_allclose(rotated_box_iou(b1, b2), expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(
        rotated_box_iou_aligned(b1[:40], b2[:40]), np.diag(expected[:, :40]), rtol=0, atol=1e-14
    )


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


def test_mixed_libraries() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(BackendError, match=r"rotated_box_iou: arguments come from different"):
        rotated_box_iou(np.array([SQ]), torch.tensor([SQ]))
