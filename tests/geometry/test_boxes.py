"""Box format conversion, area and the IoU family (ioukit.geometry.boxes)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ioukit._errors import BackendError, InputError, ParameterError
from ioukit.geometry import _box_iou
from ioukit.geometry.boxes import (
    box_area,
    box_iou,
    box_iou_aligned,
    complete_box_iou,
    complete_box_iou_aligned,
    distance_box_iou,
    distance_box_iou_aligned,
    generalized_box_iou,
    generalized_box_iou_aligned,
)

PAIRWISE: dict[str, Callable[..., Any]] = {
    "iou": box_iou,
    "giou": generalized_box_iou,
    "diou": distance_box_iou,
    "ciou": complete_box_iou,
}
ALIGNED: dict[str, Callable[..., Any]] = {
    "iou": box_iou_aligned,
    "giou": generalized_box_iou_aligned,
    "diou": distance_box_iou_aligned,
    "ciou": complete_box_iou_aligned,
}
KINDS = list(PAIRWISE)

A = [0, 0, 10, 10]
S = [5, 5, 15, 15]  # the seed pair: A and S overlap in the 5x5 square [5, 5, 10, 10]


# ----------------------------------------------------------------------------- oracle


def oracle(kind: str, a: list[float], b: list[float], inclusive: bool = False) -> float:
    """One pair, in plain Python, straight from the papers' formulas."""
    ax1, ay1, ax2, ay2 = (float(v) for v in a)
    bx1, by1, bx2, by2 = (float(v) for v in b)
    if inclusive:
        ax2, ay2, bx2, by2 = ax2 + 1, ay2 + 1, bx2 + 1, by2 + 1
    wa, ha, wb, hb = ax2 - ax1, ay2 - ay1, bx2 - bx1, by2 - by1
    iw = max(0.0, min(ax2, bx2) - max(ax1, bx1))
    ih = max(0.0, min(ay2, by2) - max(ay1, by1))
    inter = iw * ih
    union = wa * ha + wb * hb - inter
    iou = inter / union if union > 0 else 0.0
    if kind == "iou":
        return iou
    cw = max(ax2, bx2) - min(ax1, bx1)
    ch = max(ay2, by2) - min(ay1, by1)
    if kind == "giou":  # Rezatofighi et al. 2019: IoU - |C \ (A u B)| / |C|
        c = cw * ch
        return iou - ((c - union) / c if c > 0 else 0.0)
    # Zheng et al. 2020: DIoU = IoU - rho^2 / c^2
    rho2 = ((ax1 + ax2) / 2 - (bx1 + bx2) / 2) ** 2 + ((ay1 + ay2) / 2 - (by1 + by2) / 2) ** 2
    c2 = cw**2 + ch**2
    diou = iou - (rho2 / c2 if c2 > 0 else 0.0)
    if kind == "diou":
        return diou
    # CIoU = DIoU - alpha v, v = 4/pi^2 (atan(wb/hb) - atan(wa/ha))^2, alpha = v / (1 - IoU + v)
    at_a = math.atan(wa / ha) if ha > 0 else (math.pi / 2 if wa > 0 else 0.0)
    at_b = math.atan(wb / hb) if hb > 0 else (math.pi / 2 if wb > 0 else 0.0)
    v = 4 / math.pi**2 * (at_b - at_a) ** 2
    alpha = v / (1 - iou + v) if (1 - iou + v) > 0 else 0.0
    return diou - alpha * v


def loop_matrix(kind: str, b1: np.ndarray, b2: np.ndarray, inclusive: bool = False) -> np.ndarray:
    out = np.empty((len(b1), len(b2)))
    for i, a in enumerate(b1.tolist()):
        for j, b in enumerate(b2.tolist()):
            out[i, j] = oracle(kind, a, b, inclusive)
    return out


def random_boxes(rng: np.random.Generator, n: int, scale: float = 50.0) -> np.ndarray:
    xy = rng.uniform(0, scale, size=(n, 2))
    wh = rng.uniform(0, scale / 2, size=(n, 2))
    wh[rng.random(n) < 0.1] = 0.0  # some zero-area boxes
    return np.concatenate([xy, xy + wh], axis=1)


# ----------------------------------------------------------------------------- hand cases


def test_seed_example(xp: Any) -> None:
    # |A| = |S| = 100, A n S = [5, 5, 10, 10] = 25, union = 100 + 100 - 25 = 175
    a, s = xp.asarray([A], dtype="float64"), xp.asarray([S], dtype="float64")
    out = box_iou(a, s)
    xp.check(out, like=a)
    assert tuple(out.shape) == (1, 1)
    assert xp.to_numpy(out)[0, 0] == pytest.approx(25 / 175)
    assert round(float(xp.to_numpy(out)[0, 0]), 4) == 0.1429


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("iou", 25 / 175),
        # enclosing C = [0, 0, 15, 15] = 225; GIoU = 25/175 - (225 - 175)/225
        ("giou", 25 / 175 - 50 / 225),
        # centres (5, 5), (10, 10): rho^2 = 25 + 25 = 50; c^2 = 15^2 + 15^2 = 450
        ("diou", 25 / 175 - 50 / 450),
        # both square: v = 0, so CIoU = DIoU
        ("ciou", 25 / 175 - 50 / 450),
    ],
)
def test_seed_variants(xp: Any, kind: str, expected: float) -> None:
    a, s = xp.asarray([A], dtype="float64"), xp.asarray([S], dtype="float64")
    assert xp.to_numpy(PAIRWISE[kind](a, s))[0, 0] == pytest.approx(expected)
    assert xp.to_numpy(ALIGNED[kind](a, s))[0] == pytest.approx(expected)


@pytest.mark.parametrize("kind", KINDS)
def test_identical_boxes_score_one(kind: str) -> None:
    # A == A: IoU 1, C == A (no GIoU penalty), rho = 0, v = 0
    assert box_iou_aligned(np.array([A]), np.array([A]))[0] == 1.0
    assert PAIRWISE[kind](np.array([A]), np.array([A]))[0, 0] == pytest.approx(1.0)


def test_disjoint_and_giou_negative() -> None:
    a, b = np.array([[0, 0, 10, 10]]), np.array([[20, 0, 30, 10]])
    # no overlap -> IoU 0
    assert box_iou(a, b)[0, 0] == 0.0
    # C = [0, 0, 30, 10] = 300, union = 200 -> GIoU = 0 - 100/300 = -1/3
    assert generalized_box_iou(a, b)[0, 0] == pytest.approx(-1 / 3)
    # centres (5, 5), (25, 5): rho^2 = 400; c^2 = 30^2 + 10^2 = 1000 -> DIoU = -0.4
    assert distance_box_iou(a, b)[0, 0] == pytest.approx(-0.4)
    # far apart: GIoU tends to -1
    far = generalized_box_iou(a, np.array([[1000, 1000, 1010, 1010]]))[0, 0]
    assert -1 < far < -0.99


def test_containment() -> None:
    outer, inner = np.array([[0, 0, 10, 10]]), np.array([[2, 2, 7, 7]])
    # inner 5x5 = 25 inside outer 100: IoU = 25/100; C = outer -> GIoU = IoU
    assert box_iou(outer, inner)[0, 0] == 0.25
    assert generalized_box_iou(outer, inner)[0, 0] == 0.25
    # centres (5, 5), (4.5, 4.5): rho^2 = 0.5; c^2 = 200 -> DIoU = 0.25 - 0.0025
    assert distance_box_iou(outer, inner)[0, 0] == pytest.approx(0.2475)


def test_ciou_hand_value() -> None:
    a, b = np.array([[0, 0, 10, 10]]), np.array([[0, 0, 20, 10]])
    # a (10x10) inside b (20x10): IoU = 100/200 = 0.5, C = b
    # centres (5, 5), (10, 5): rho^2 = 25, c^2 = 400 + 100 = 500 -> DIoU = 0.5 - 0.05 = 0.45
    # v = 4/pi^2 (atan(2) - atan(1))^2, alpha = v / (0.5 + v)
    v = 4 / math.pi**2 * (math.atan(2) - math.atan(1)) ** 2
    expected = 0.45 - v / (0.5 + v) * v
    assert distance_box_iou(a, b)[0, 0] == pytest.approx(0.45)
    assert complete_box_iou(a, b)[0, 0] == pytest.approx(expected)
    assert complete_box_iou(b, a)[0, 0] == pytest.approx(expected)  # symmetric


def test_pixel_inclusive() -> None:
    # [0, 0, 9, 9] covers pixels 0..9: 10x10 = 100; [5, 5, 14, 14] likewise, overlap 5..9 = 5x5
    a, s = np.array([[0, 0, 9, 9]]), np.array([[5, 5, 14, 14]])
    assert box_area(a, pixel_inclusive=True)[0] == 100.0
    assert box_area(a)[0] == 81.0
    assert box_iou(a, s, pixel_inclusive=True)[0, 0] == pytest.approx(25 / 175)
    # continuous: 9x9 boxes overlapping 4x4 -> 16 / (81 + 81 - 16)
    assert box_iou(a, s)[0, 0] == pytest.approx(16 / 146)
    # a one-pixel box [3, 3, 3, 3] has area 1, IoU 1 with itself
    p = np.array([[3, 3, 3, 3]])
    assert box_area(p, pixel_inclusive=True)[0] == 1.0
    for kind in KINDS:
        assert PAIRWISE[kind](p, p, pixel_inclusive=True)[0, 0] == pytest.approx(1.0)
        got = PAIRWISE[kind](a, s, pixel_inclusive=True)[0, 0]
        assert got == pytest.approx(oracle(kind, [0, 0, 10, 10], [5, 5, 15, 15]))
        assert ALIGNED[kind](a, s, pixel_inclusive=True)[0] == pytest.approx(got)


def test_zero_area_pairs_are_zero_not_nan() -> None:
    z = np.array([[5.0, 5.0, 5.0, 5.0]])
    line = np.array([[0.0, 5.0, 10.0, 5.0]])
    # union 0 -> IoU 0 (documented); enclosing area / diagonal 0 -> penalty 0
    for kind in KINDS:
        assert PAIRWISE[kind](z, z)[0, 0] == 0.0
        assert ALIGNED[kind](z, z)[0] == 0.0
        assert not np.isnan(PAIRWISE[kind](line, line)[0, 0])
    # point vs a box containing it: IoU 0, GIoU = 0 - (100 - 100)/100 = 0
    assert generalized_box_iou(z, np.array([A]))[0, 0] == 0.0
    assert box_area(z)[0] == 0.0


# ----------------------------------------------------------------------------- oracles


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("inclusive", [False, True])
def test_vectorised_matches_loop(kind: str, inclusive: bool) -> None:
    rng = np.random.default_rng(7 + KINDS.index(kind))
    b1, b2 = random_boxes(rng, 23), random_boxes(rng, 17)
    b1[3] = b2[5]  # an identical pair
    expected = loop_matrix(kind, b1, b2, inclusive)
    got = PAIRWISE[kind](b1, b2, pixel_inclusive=inclusive)
    assert got.shape == (23, 17)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    # aligned = diagonal of pairwise
    aligned = ALIGNED[kind](b1[:17], b2, pixel_inclusive=inclusive)
    np.testing.assert_allclose(aligned, np.diagonal(got[:17]), rtol=1e-12, atol=1e-15)
    # range: IoU in [0, 1], GIoU and DIoU in (-1, 1]; CIoU in (-1.5, 1] (alpha v <= v^2/(1+v)
    # <= 1/2 when IoU = 0)
    lo = {"iou": 0.0, "giou": -1.0, "diou": -1.0, "ciou": -1.5}[kind]
    assert np.all((got >= lo) & (got <= 1 + 1e-12))


@pytest.mark.parametrize("kind", KINDS)
def test_backend_matrix(xp: Any, kind: str) -> None:
    rng = np.random.default_rng(3)
    b1, b2 = random_boxes(rng, 6), random_boxes(rng, 5)
    expected = loop_matrix(kind, b1, b2)
    x1, x2 = xp.asarray(b1), xp.asarray(b2)
    got = PAIRWISE[kind](x1, x2)
    xp.check(got, like=x1)
    np.testing.assert_allclose(xp.to_numpy(got), expected, rtol=1e-12, atol=1e-12)
    al = ALIGNED[kind](x1[:5, ...], x2)
    xp.check(al, like=x1)
    np.testing.assert_allclose(xp.to_numpy(al), np.diagonal(expected[:5]), atol=1e-12)
    # float32 in -> float32 out, same values to float32 precision
    got32 = PAIRWISE[kind](xp.asarray(b1, dtype="float32"), xp.asarray(b2, dtype="float32"))
    assert xp.to_numpy(got32).dtype == np.float32
    expected32 = loop_matrix(kind, b1.astype(np.float32), b2.astype(np.float32))
    np.testing.assert_allclose(xp.to_numpy(got32), expected32, rtol=1e-6, atol=1e-6)


def test_chunked_rows_match(xp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(11)
    b1, b2 = random_boxes(rng, 40), random_boxes(rng, 9)
    full = {k: f(b1, b2) for k, f in PAIRWISE.items()}
    monkeypatch.setattr(_box_iou, "_CHUNK_ELEMENTS", 20)  # 2 rows per chunk, 20 chunks
    x1, x2 = xp.asarray(b1), xp.asarray(b2)
    for k, f in PAIRWISE.items():
        got = f(x1, x2)
        xp.check(got, like=x1)
        np.testing.assert_allclose(xp.to_numpy(got), full[k], rtol=1e-14, atol=1e-15)
    b1[4] = [5, 5, 1, 1]
    chunked = xp.to_numpy(box_iou(xp.asarray(b1), x2, on_invalid="nan"))
    assert np.isnan(chunked[4]).all()
    assert not np.isnan(np.delete(chunked, 4, axis=0)).any()


# ----------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("dtype", ["uint8", "int16", "int32", "int64"])
def test_integer_inputs_no_wraparound(xp: Any, dtype: str) -> None:
    b1 = np.array([[0, 0, 100, 100], [200, 200, 255, 255], [250, 0, 255, 5]])
    b2 = np.array([[150, 150, 250, 250], [0, 0, 255, 255], [250, 0, 255, 5]])
    x1, x2 = xp.asarray(b1, dtype=dtype), xp.asarray(b2, dtype=dtype)
    for kind in KINDS:
        got = PAIRWISE[kind](x1, x2)
        xp.check(got, like=x1)
        assert xp.to_numpy(got).dtype == np.float64
        ref = PAIRWISE[kind](b1.astype(np.float64), b2.astype(np.float64))
        np.testing.assert_array_equal(xp.to_numpy(got), ref)
        al = xp.to_numpy(ALIGNED[kind](x1, x2))
        np.testing.assert_array_equal(al, np.diagonal(ref))
    # the disjoint uint8 pair from the anchors (torchvision gives IoU -1.89): IoU 0
    iou = xp.to_numpy(box_iou(x1, x2))
    assert iou[0, 0] == 0.0
    assert np.all((iou >= 0) & (iou <= 1))
    np.testing.assert_array_equal(xp.to_numpy(box_area(x1)), [100 * 100, 55 * 55, 5 * 5])


def test_large_int32_coordinates_do_not_overflow() -> None:
    # 50000^2 = 2.5e9 overflows int32 products
    b = np.array([[0, 0, 50000, 50000]], dtype=np.int32)
    assert box_area(b)[0] == 2.5e9
    assert box_iou(b, b)[0, 0] == 1.0


def test_float16_and_float32() -> None:
    b1 = np.array([[0, 0, 10, 10]], dtype=np.float16)
    b2 = np.array([[5, 5, 15, 15]], dtype=np.float16)
    out = box_iou(b1, b2)
    assert out.dtype == np.float64
    assert out[0, 0] == pytest.approx(25 / 175)
    # float16 areas above 65504 would be inf in float16: computed in float64 instead
    big = np.array([[0, 0, 60000, 60000]], dtype=np.float16)
    assert np.isfinite(box_area(big)[0])
    assert box_iou(big, big)[0, 0] == 1.0
    # float32 with coordinates whose area overflows float32 (1e20^2 = 1e40 > 3.4e38)
    f32 = np.array([[0, 0, 1e20, 1e20]], dtype=np.float32)
    assert box_iou(f32, f32).dtype == np.float32
    assert box_iou(f32, f32)[0, 0] == 1.0
    # mixed float32 / float64 -> float64
    assert box_iou(f32, np.array([A], dtype=np.float64)).dtype == np.float64


def test_torch_half_and_autograd() -> None:
    torch = pytest.importorskip("torch")
    b1 = torch.tensor([A], dtype=torch.float16)
    b2 = torch.tensor([S], dtype=torch.bfloat16)
    assert box_iou(b1, b1.float()).dtype == torch.float64
    assert box_iou(b2, b2).dtype == torch.float64
    x = torch.tensor([[0.0, 0.0, 10.0, 10.0]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([[5.0, 5.0, 15.0, 15.0]], dtype=torch.float64)
    for f in PAIRWISE.values():
        g = torch.autograd.grad(f(x, y).sum(), x)[0]
        assert torch.isfinite(g).all()
    # through the chunked path too (rows written into a preallocated output)
    xs = torch.tensor(random_boxes(np.random.default_rng(1), 30), requires_grad=True)
    old = _box_iou._CHUNK_ELEMENTS
    try:
        _box_iou._CHUNK_ELEMENTS = 8
        g = torch.autograd.grad(complete_box_iou(xs, y).sum(), xs)[0]
    finally:
        _box_iou._CHUNK_ELEMENTS = old
    g_full = torch.autograd.grad(complete_box_iou(xs, y).sum(), xs)[0]
    assert torch.allclose(g, g_full)


# ----------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("kind", KINDS)
def test_batched_leading_dims(xp: Any, kind: str) -> None:
    rng = np.random.default_rng(5)
    b1 = np.stack([random_boxes(rng, 4) for _ in range(6)]).reshape(2, 3, 4, 4)
    b2 = np.stack([random_boxes(rng, 3) for _ in range(6)]).reshape(2, 3, 3, 4)
    got = xp.to_numpy(PAIRWISE[kind](xp.asarray(b1), xp.asarray(b2)))
    assert got.shape == (2, 3, 4, 3)
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(got[i, j], loop_matrix(kind, b1[i, j], b2[i, j]), atol=1e-12)
    al = xp.to_numpy(ALIGNED[kind](xp.asarray(b1[..., :3, :]), xp.asarray(b2)))
    assert al.shape == (2, 3, 3)
    np.testing.assert_allclose(al, np.diagonal(got[..., :3, :], axis1=-2, axis2=-1), atol=1e-12)
    # leading dims broadcast in the pairwise functions: (2, 3, 4, 4) vs (3, 3, 4)
    bc = PAIRWISE[kind](b1, b2[0])
    assert bc.shape == (2, 3, 4, 3)
    np.testing.assert_allclose(bc[1], PAIRWISE[kind](b1[1], b2[0]))


@pytest.mark.parametrize("kind", KINDS)
def test_empty_inputs(xp: Any, kind: str) -> None:
    none = xp.asarray(np.zeros((0, 4)))
    three = xp.asarray(np.array([A, S, A], dtype=np.float64))
    f = PAIRWISE[kind]
    assert tuple(f(none, three).shape) == (0, 3)
    assert tuple(f(three, none).shape) == (3, 0)
    assert tuple(f(none, none).shape) == (0, 0)
    xp.check(f(none, three), like=three)
    assert tuple(ALIGNED[kind](none, none).shape) == (0,)
    assert tuple(box_area(none).shape) == (0,)
    assert tuple(f(none, three, on_invalid="nan").shape) == (0, 3)


# ----------------------------------------------------------------------------- on_invalid


INV = [10.0, 10.0, 0.0, 0.0]  # x2 < x1 and y2 < y1


def test_on_invalid_raise_message() -> None:
    b1 = np.array([A, S, INV, INV])
    with pytest.raises(InputError) as info:
        box_iou(np.array([A]), b1)
    msg = str(info.value)
    assert msg.startswith("box_iou: `boxes2`")
    assert "2 invalid box(es) of 4" in msg
    assert "index 2" in msg
    assert "[10.0, 10.0, 0.0, 0.0]" in msg
    assert "sort_corners" in msg
    # batched: the index is a tuple over the leading dims
    with pytest.raises(InputError, match=r"generalized_box_iou: `boxes1`.*index \(1, 0\)"):
        generalized_box_iou(np.array([[A], [INV]]), np.array([[S], [S]]))
    with pytest.raises(InputError, match="1 invalid box"):
        box_iou(np.array([[0.0, 0.0, math.nan, 1.0]]), np.array([A]))
    with pytest.raises(InputError, match="box_area: `boxes`"):
        box_area(np.array([INV]))


@pytest.mark.parametrize("kind", KINDS)
def test_on_invalid_modes(xp: Any, kind: str) -> None:
    b1 = xp.asarray(np.array([A, INV, [0.0, 0.0, math.inf, 1.0]]))
    b2 = xp.asarray(np.array([S, A]))
    f = PAIRWISE[kind]
    nan = xp.to_numpy(f(b1, b2, on_invalid="nan"))
    assert np.isnan(nan[1:]).all()
    assert not np.isnan(nan[0]).any()
    np.testing.assert_allclose(nan[0], [oracle(kind, A, S), oracle(kind, A, A)])
    zero = xp.to_numpy(f(b1, b2, on_invalid="zero"))
    np.testing.assert_array_equal(zero[1:], 0.0)
    np.testing.assert_array_equal(zero[0], nan[0])
    # columns too: invalid boxes in boxes2
    col = xp.to_numpy(f(b2, b1, on_invalid="nan"))
    assert np.isnan(col[:, 1:]).all()
    # aligned: the element of a pair with an invalid box
    al = xp.to_numpy(ALIGNED[kind](b1[:2, ...], b2, on_invalid="nan"))
    assert not np.isnan(al[0])
    assert np.isnan(al[1])
    # sort_corners: INV becomes [0, 0, 10, 10] == A; inf still raises
    fixed = xp.to_numpy(f(b1[:2, ...], b2, on_invalid="sort_corners"))
    np.testing.assert_allclose(fixed[1], fixed[0])
    with pytest.raises(InputError, match="finite coordinates"):
        f(b1, b2, on_invalid="sort_corners")


def test_sort_corners_avoids_giou_one() -> None:
    # torchvision scores the inverted box [10, 10, 0, 0] against [0, 0, 10, 10] as GIoU = 1
    inv, a = np.array([INV]), np.array([A])
    assert generalized_box_iou(inv, a, on_invalid="sort_corners")[0, 0] == 1.0  # really A vs A
    assert generalized_box_iou(inv, a, on_invalid="zero")[0, 0] == 0.0
    inv2 = np.array([[10.0, 10.0, 5.0, 5.0]])  # sorted: [5, 5, 10, 10], 25 inside A
    assert generalized_box_iou(inv2, a, on_invalid="sort_corners")[0, 0] == 0.25
    assert box_area(inv2, on_invalid="sort_corners")[0] == 25.0
    assert np.isnan(box_area(inv2, on_invalid="nan")[0])
    assert box_area(inv2, on_invalid="zero")[0] == 0.0


@settings(max_examples=40, deadline=None)
@given(
    b1=arrays(np.int64, st.tuples(st.integers(1, 4), st.just(4)), elements=st.integers(0, 255)),
    b2=arrays(np.int64, st.tuples(st.integers(1, 4), st.just(4)), elements=st.integers(0, 255)),
)
def test_properties_uint8(b1: np.ndarray, b2: np.ndarray) -> None:
    # any uint8 boxes: the same values as float64, IoU in [0, 1], symmetric, GIoU <= IoU
    b1 = np.concatenate([np.minimum(b1[:, :2], b1[:, 2:]), np.maximum(b1[:, :2], b1[:, 2:])], 1)
    b2 = np.concatenate([np.minimum(b2[:, :2], b2[:, 2:]), np.maximum(b2[:, :2], b2[:, 2:])], 1)
    for kind, f in PAIRWISE.items():
        ref = f(b1.astype(np.float64), b2.astype(np.float64))
        np.testing.assert_array_equal(f(b1.astype(np.uint8), b2.astype(np.uint8)), ref)
        np.testing.assert_allclose(f(b2, b1), ref.T, atol=1e-12)
        np.testing.assert_allclose(ref, loop_matrix(kind, b1, b2), atol=1e-12)
    iou = box_iou(b1, b2)
    assert np.all((iou >= 0) & (iou <= 1))
    assert np.all(generalized_box_iou(b1, b2) <= iou + 1e-12)


# ----------------------------------------------------------------------------- bad input


def test_bad_shapes() -> None:
    good = np.array([A])
    with pytest.raises(
        InputError, match=r"box_iou: `boxes1` must have shape \(\.\.\., N, 4\).*\(2, 3\)"
    ):
        box_iou(np.zeros((2, 3)), good)
    with pytest.raises(InputError, match=r"`boxes2` .*got shape \(4,\)"):
        box_iou(good, np.array(A))
    with pytest.raises(InputError, match=r"must broadcast; got shapes \(2, 1, 4\) and \(3, 1, 4\)"):
        box_iou(np.zeros((2, 1, 4)), np.zeros((3, 1, 4)))
    with pytest.raises(
        InputError, match=r"box_iou_aligned: .*same shape.*got shapes \(2, 4\) and \(3, 4\)"
    ):
        box_iou_aligned(np.zeros((2, 4)), np.zeros((3, 4)))
    with pytest.raises(InputError, match=r"box_area: `boxes` must have shape \(\.\.\., 4\)"):
        box_area(np.zeros((2, 5)))
    with pytest.raises(InputError, match="real numbers; got dtype bool"):
        box_iou(np.zeros((1, 4), dtype=bool), good)


def test_bad_parameters() -> None:
    good = np.array([A])
    with pytest.raises(
        ParameterError,
        match=r"box_iou: `on_invalid` must be one of 'raise', 'nan', 'zero', 'sort_corners'; "
        r"got 'clip'",
    ):
        box_iou(good, good, on_invalid="clip")
    with pytest.raises(ParameterError, match="complete_box_iou_aligned: `on_invalid`"):
        complete_box_iou_aligned(good, good, on_invalid=None)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="box_area: `on_invalid`"):
        box_area(good, on_invalid="ignore")


def test_mixed_libraries() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(BackendError, match="box_iou: arguments come from different"):
        box_iou(np.array([A], dtype=np.float64), torch.tensor([A], dtype=torch.float64))


# ----------------------------------------------------------------------------- fast paths


def _ulps(a: np.ndarray, b: np.ndarray) -> None:
    """Equal NaN positions, and the other values within 1 unit in the last place."""
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    np.testing.assert_array_max_ulp(a[ok], b[ok], maxulp=1)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_kernel_equals_array_api_path(kind: str, dtype: str) -> None:
    # NumPy runs the numba kernel, array-api-strict the Array API path: same formulas, same
    # float64 operations, so the results agree to the last bit (1 ulp allowed for atan2)
    strict = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(17 + KINDS.index(kind))
    b1 = random_boxes(rng, 2 * 3 * 37, scale=300).reshape(2, 3, 37, 4)
    b2 = random_boxes(rng, 3 * 29, scale=300).reshape(3, 29, 4)
    b1[0, 0, :5] = b2[0, :5]  # identical pairs
    b1[1, 2, 7] = [9.0, 9.0, 1.0, 1.0]  # inverted: on_invalid
    b2[2, 3] = [1.0, 1.0, math.nan if dtype != "int32" else 0.0, 4.0]  # NaN or inverted
    b1, b2 = b1.astype(dtype), b2.astype(dtype)
    for inclusive in (False, True):
        for mode in ("nan", "zero"):
            kw: dict[str, Any] = {"pixel_inclusive": inclusive, "on_invalid": mode}
            fast = PAIRWISE[kind](b1, b2, **kw)
            slow = np.asarray(PAIRWISE[kind](strict.asarray(b1), strict.asarray(b2), **kw))
            assert fast.dtype == slow.dtype == (np.float32 if dtype == "float32" else np.float64)
            assert fast.shape == (2, 3, 37, 29)
            _ulps(fast, slow)
            assert np.isnan(fast[1, 2, 7]).all() == (mode == "nan")
            a1, a2 = b1[..., :29, :], np.broadcast_to(b2, (2, 3, 29, 4)).copy()
            fast_al = ALIGNED[kind](a1, a2, **kw)
            slow_al = ALIGNED[kind](strict.asarray(a1), strict.asarray(a2), **kw)
            assert fast_al.shape == (2, 3, 29)
            _ulps(fast_al, np.asarray(slow_al))
    fixed = PAIRWISE[kind](b1[0], b2[:, :3], on_invalid="sort_corners")
    _ulps(fixed, np.asarray(PAIRWISE[kind](strict.asarray(b1[0]), strict.asarray(b2[:, :3]))))


@pytest.mark.parametrize("kind", KINDS)
def test_torch_cpu_kernel_and_autograd_paths_agree(kind: str) -> None:
    # torch CPU without autograd goes through the numba kernel; with requires_grad through the
    # Array API path (differentiable); both give the same numbers
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(23)
    b1, b2 = random_boxes(rng, 40), random_boxes(rng, 31)
    for dtype in (torch.float32, torch.float64, torch.bfloat16):
        x1, x2 = torch.tensor(b1, dtype=dtype), torch.tensor(b2, dtype=dtype)
        fast = PAIRWISE[kind](x1, x2)
        assert isinstance(fast, torch.Tensor)
        slow = PAIRWISE[kind](x1.double().requires_grad_(True), x2.double())
        assert slow.requires_grad
        assert fast.dtype == (torch.float32 if dtype == torch.float32 else torch.float64)
        torch.testing.assert_close(fast.double(), slow.detach(), rtol=2e-7, atol=2e-7)
        with torch.no_grad():
            nograd = PAIRWISE[kind](x1.double().requires_grad_(True), x2.double())
        assert not nograd.requires_grad
        # (torch's atan2 may differ from NumPy's in the last bits: CIoU to 1e-13)
        np.testing.assert_allclose(nograd.numpy(), slow.detach().numpy(), rtol=1e-13, atol=1e-15)
        al = ALIGNED[kind](x1[:31], x2)
        torch.testing.assert_close(al.double(), torch.diagonal(fast[:31]).double())


def _peak_extra(fn: Callable[[], Any]) -> tuple[int, int]:
    import tracemalloc

    tracemalloc.start()
    try:
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, int(np.asarray(out).nbytes)


@pytest.mark.parametrize("kind", ["iou", "ciou"])
def test_peak_memory_is_the_output(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # float32 boxes: the float32 output is the only large allocation, no float64 copy of it
    rng = np.random.default_rng(29)
    b1 = random_boxes(rng, 1500).astype(np.float32)
    b2 = random_boxes(rng, 1200).astype(np.float32)
    PAIRWISE[kind](b1[:2], b2[:2])  # compile / load outside the measurement
    peak, out = _peak_extra(lambda: PAIRWISE[kind](b1, b2))
    assert peak <= 1.1 * out
    # the Array API path writes float32 chunks into a float32 output as well
    strict = pytest.importorskip("array_api_strict")
    monkeypatch.setattr(_box_iou, "_CHUNK_ELEMENTS", 1 << 14)
    s1, s2 = strict.asarray(b1), strict.asarray(b2)
    peak, out = _peak_extra(lambda: PAIRWISE[kind](s1, s2))
    assert peak <= 1.4 * out  # before: a float64 output, then a float32 copy (3x)


def test_import_does_not_load_numba() -> None:
    import subprocess
    import sys

    code = (
        "import sys, ioukit.geometry.boxes, ioukit.geometry.box_formats, "
        "ioukit.geometry.sparse_boxes; print('numba' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
