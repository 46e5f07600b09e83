"""sparse_box_iou: the overlapping pairs of two sets of boxes, checked against the dense matrix."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ioukit._errors import InputError, ParameterError
from ioukit.geometry.boxes import box_iou
from ioukit.geometry.sparse_boxes import sparse_box_iou


def dense_pairs(
    b1: np.ndarray,
    b2: np.ndarray | None = None,
    min_iou: float = 0.0,
    **kw: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The definition: the float64 dense matrix, then the pairs passing the threshold."""
    self_pairs = b2 is None
    iou = box_iou(
        np.asarray(b1, dtype=np.float64),
        np.asarray(b1 if self_pairs else b2, dtype=np.float64),
        **kw,
    )
    keep = iou > 0 if min_iou == 0 else iou >= min_iou
    if self_pairs:
        keep = np.triu(keep, k=1)
    i, j = np.nonzero(keep)
    return i, j, iou[i, j]


def assert_same(got: tuple[Any, ...], expected: tuple[np.ndarray, ...]) -> None:
    i, j, v = got
    assert i.dtype == np.int64
    assert j.dtype == np.int64
    assert v.dtype == np.float64
    np.testing.assert_array_equal(i, expected[0])
    np.testing.assert_array_equal(j, expected[1])
    np.testing.assert_array_equal(v, expected[2])  # same formula, same float64 values


def scene(
    rng: np.random.Generator, n: int, size: float, lo: float, hi: float, *, integer: bool = False
) -> np.ndarray:
    xy = rng.uniform(0, size, (n, 2))
    wh = rng.uniform(lo, hi, (n, 2))
    out = np.concatenate([xy, xy + wh], axis=1)
    return np.round(out) if integer else out


# ----------------------------------------------------------------------------- hand cases


def test_hand_case() -> None:
    a = np.array([[0, 0, 10, 10], [100, 100, 110, 110]])
    b = np.array([[5, 5, 15, 15], [10, 0, 20, 10], [0, 0, 10, 10]])
    i, j, v = sparse_box_iou(a, b)
    # a0 vs b0: 5x5 = 25 / (100 + 100 - 25); a0 vs b1 only touch along x = 10 (IoU 0, left
    # out); a0 vs b2 identical (IoU 1); a1 overlaps nothing
    np.testing.assert_array_equal(i, [0, 0])
    np.testing.assert_array_equal(j, [0, 2])
    np.testing.assert_allclose(v, [25 / 175, 1.0])
    # self pairs, threshold exactly hit (kept, >=): b0 vs b1 overlap in [10, 5, 15, 10] = 25,
    # b0 vs b2 in [5, 5, 10, 10] = 25, both 25/175; b1 and b2 touch along x = 10 (IoU 0)
    i, j, v = sparse_box_iou(b, min_iou=25 / 175)
    np.testing.assert_array_equal(i, [0, 0])
    np.testing.assert_array_equal(j, [1, 2])
    assert v.tolist() == [25 / 175, 25 / 175]


def test_threshold_exactly_hit_integer_boxes() -> None:
    # [0, 0, 10, 10] vs [0, 0, 5, 10]: 50 / 100 = 0.5 exactly; vs [0, 0, 6, 10]: 0.6 exactly
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[0, 0, 5, 10], [0, 0, 6, 10], [0, 0, 4, 10]])
    i, j, v = sparse_box_iou(a, b, min_iou=0.5)
    np.testing.assert_array_equal(j, [0, 1])
    assert v.tolist() == [0.5, 0.6]
    i, j, v = sparse_box_iou(a, b, min_iou=0.6)
    assert (i.tolist(), j.tolist(), v.tolist()) == ([0], [1], [0.6])
    assert sparse_box_iou(a, b, min_iou=1.0)[0].size == 0
    assert_same(sparse_box_iou(a, a, min_iou=1.0), (np.array([0]), np.array([0]), np.array([1.0])))


# ----------------------------------------------------------------------------- vs dense


@pytest.mark.parametrize(
    ("size", "lo", "hi"),
    [
        (1000.0, 5.0, 50.0),  # sparse scene
        (200.0, 5.0, 50.0),  # dense scene: many pairs per box
        (1000.0, 0.01, 400.0),  # wildly mixed sizes
        (1e6, 1.0, 3e5),  # huge scene, mixed
    ],
)
@pytest.mark.parametrize("min_iou", [0.0, 0.3, 0.7])
def test_random_vs_dense(size: float, lo: float, hi: float, min_iou: float) -> None:
    rng = np.random.default_rng(int(size + hi + 10 * min_iou))
    b1, b2 = scene(rng, 700, size, lo, hi), scene(rng, 500, size, lo, hi)
    assert_same(sparse_box_iou(b1, b2, min_iou=min_iou), dense_pairs(b1, b2, min_iou))
    assert_same(sparse_box_iou(b1, min_iou=min_iou), dense_pairs(b1, None, min_iou))


def test_thin_boxes_and_offsets() -> None:
    rng = np.random.default_rng(1)
    # long horizontal and vertical strips (different levels in x and y), far from the origin
    h = scene(rng, 300, 1000, 0, 1, integer=False)
    h[:, 2] = h[:, 0] + rng.uniform(100, 900, 300)
    v = scene(rng, 300, 1000, 0, 1)
    v[:, 3] = v[:, 1] + rng.uniform(100, 900, 300)
    boxes = np.concatenate([h, v, scene(rng, 300, 1000, 1, 30)]) + 1e7
    assert_same(sparse_box_iou(boxes), dense_pairs(boxes))
    assert_same(sparse_box_iou(boxes[::2], boxes[1::2]), dense_pairs(boxes[::2], boxes[1::2]))
    # negative coordinates and a query set much larger than the indexed one
    neg = scene(rng, 400, 100, 1, 20) - 50
    assert_same(sparse_box_iou(neg, neg[:7]), dense_pairs(neg, neg[:7]))


def test_adversarial_cases() -> None:
    rng = np.random.default_rng(2)
    base = scene(rng, 200, 300, 2, 40, integer=True)
    # many duplicates of the same few boxes
    dup = np.repeat(base[:10], 30, axis=0)
    assert_same(sparse_box_iou(dup), dense_pairs(dup))
    assert_same(sparse_box_iou(dup, base), dense_pairs(dup, base))
    # one huge box covering everything, in both roles
    huge = np.concatenate([base, [[-1e4, -1e4, 1e4, 1e4]]])
    assert_same(sparse_box_iou(huge), dense_pairs(huge))
    assert_same(sparse_box_iou(base, huge), dense_pairs(base, huge))
    assert_same(sparse_box_iou(huge[-1:], base), dense_pairs(huge[-1:], base))
    # a tiling of touching unit squares: every IoU is 0 except each square with itself
    g = np.stack(np.meshgrid(np.arange(20.0), np.arange(20.0)), -1).reshape(-1, 2)
    tiles = np.concatenate([g, g + 1], axis=1)
    assert sparse_box_iou(tiles)[0].size == 0
    i, j, v = sparse_box_iou(tiles, tiles)
    np.testing.assert_array_equal(i, np.arange(400))
    np.testing.assert_array_equal(j, np.arange(400))
    np.testing.assert_array_equal(v, 1.0)
    # zero-area boxes (points, lines) overlap nothing, not even themselves
    flat = np.concatenate([base[:, :2], base[:, :2]], axis=1)
    line = base.copy()
    line[:, 3] = line[:, 1]
    mixed = np.concatenate([flat, line, base])
    assert_same(sparse_box_iou(mixed), dense_pairs(mixed))
    assert sparse_box_iou(flat, flat)[0].size == 0
    # all boxes identical
    same = np.tile([[3.0, 4.0, 5.0, 9.0]], (50, 1))
    i, j, v = sparse_box_iou(same)
    assert i.size == 50 * 49 // 2
    np.testing.assert_array_equal(v, 1.0)


@pytest.mark.parametrize("dtype", ["uint8", "int16", "int32", "float32", "float16"])
def test_dtypes(dtype: str) -> None:
    rng = np.random.default_rng(3)
    b = scene(rng, 300, 200, 1, 50, integer=True).clip(0, 255).astype(dtype)
    got = sparse_box_iou(b, b[:100])
    assert_same(got, dense_pairs(b.astype(np.float64), b[:100].astype(np.float64)))
    assert_same(sparse_box_iou(b, min_iou=0.25), dense_pairs(b.astype(np.float64), None, 0.25))


def test_pixel_inclusive() -> None:
    # [0, 0, 9, 9] and [9, 9, 18, 18] touch in continuous coordinates (IoU 0), but share the
    # pixel (9, 9) with the +1 convention: 1 / (100 + 100 - 1)
    a, b = np.array([[0, 0, 9, 9]]), np.array([[9, 9, 18, 18]])
    assert sparse_box_iou(a, b)[0].size == 0
    i, j, v = sparse_box_iou(a, b, pixel_inclusive=True)
    assert (i.tolist(), j.tolist()) == ([0], [0])
    assert v.tolist() == pytest.approx([1 / 199])
    # one-pixel boxes [3, 3, 3, 3] have area 1 with the +1 convention
    p = np.array([[3, 3, 3, 3], [3, 3, 3, 3]])
    assert sparse_box_iou(p)[0].size == 0
    assert sparse_box_iou(p, pixel_inclusive=True)[2].tolist() == [1.0]
    rng = np.random.default_rng(4)
    boxes = scene(rng, 300, 300, 0, 30, integer=True)
    assert_same(
        sparse_box_iou(boxes, pixel_inclusive=True),
        dense_pairs(boxes, None, pixel_inclusive=True),
    )


def test_empty_inputs(xp: Any) -> None:
    none = xp.asarray(np.zeros((0, 4)))
    one = xp.asarray(np.array([[0.0, 0.0, 1.0, 1.0]]))
    for got in (sparse_box_iou(none, one), sparse_box_iou(one, none), sparse_box_iou(none)):
        assert [tuple(x.shape) for x in got] == [(0,), (0,), (0,)]
        for x in got:
            xp.check(x, like=one)
    assert sparse_box_iou(one)[0].shape[0] == 0  # one box has no pair with itself


# ----------------------------------------------------------------------------- backends


def test_backends(xp: Any) -> None:
    rng = np.random.default_rng(5)
    b1, b2 = scene(rng, 60, 100, 5, 30), scene(rng, 40, 100, 5, 30)
    i, j, v = sparse_box_iou(xp.asarray(b1), xp.asarray(b2), min_iou=0.1)
    for x in (i, j, v):
        xp.check(x, like=xp.asarray(b1))
    assert xp.to_numpy(i).dtype == np.int64
    assert xp.to_numpy(v).dtype == np.float64
    expected = dense_pairs(b1, b2, 0.1)
    assert_same((xp.to_numpy(i), xp.to_numpy(j), xp.to_numpy(v)), expected)
    # float32 input: the pairs of the float32 coordinates, IoU in float64
    got32 = sparse_box_iou(xp.asarray(b1, dtype="float32"))
    b1_32 = b1.astype(np.float32).astype(np.float64)
    assert_same(tuple(xp.to_numpy(x) for x in got32), dense_pairs(b1_32))


def test_torch_bfloat16_and_grad() -> None:
    torch = pytest.importorskip("torch")
    b = torch.tensor([[0.0, 0.0, 10.0, 10.0], [5.0, 5.0, 15.0, 15.0]], requires_grad=True)
    i, j, v = sparse_box_iou(b)
    assert isinstance(v, torch.Tensor)
    assert (i.tolist(), j.tolist()) == ([0], [1])
    assert v.tolist() == pytest.approx([25 / 175])
    i, j, v = sparse_box_iou(b.detach().to(torch.bfloat16))
    assert v.dtype == torch.float64
    assert v.tolist() == pytest.approx([25 / 175])


# ----------------------------------------------------------------------------- on_invalid


def test_on_invalid() -> None:
    a = np.array([[0.0, 0.0, 10.0, 10.0], [10.0, 10.0, 0.0, 0.0], [0.0, 0.0, math.nan, 5.0]])
    b = np.array([[5.0, 5.0, 15.0, 15.0], [0.0, 0.0, 10.0, 10.0]])
    with pytest.raises(InputError, match=r"sparse_box_iou: `boxes1` .*2 invalid box\(es\) of 3"):
        sparse_box_iou(a, b)
    with pytest.raises(InputError, match=r"sparse_box_iou: `boxes2` .*index 1"):
        sparse_box_iou(b, a)
    for mode in ("nan", "zero"):
        # an invalid box scores NaN / 0 in box_iou: it is in no pair
        i, j, v = sparse_box_iou(a, b, on_invalid=mode)
        assert i.tolist() == [0, 0]
        assert j.tolist() == [0, 1]
        i, j, _ = sparse_box_iou(a, on_invalid=mode)
        assert i.size == 0
    with pytest.raises(InputError, match="finite coordinates"):
        sparse_box_iou(a, b, on_invalid="sort_corners")
    # sorted, the inverted box is [0, 0, 10, 10]: it pairs like box 0
    i, j, v = sparse_box_iou(a[:2], b, on_invalid="sort_corners")
    assert i.tolist() == [0, 0, 1, 1]
    assert v.tolist() == [25 / 175, 1.0, 25 / 175, 1.0]


# ----------------------------------------------------------------------------- bad input


def test_bad_input() -> None:
    good = np.array([[0.0, 0.0, 1.0, 1.0]])
    for bad in (-0.1, 1.5, math.nan, True, "0.5", None):
        with pytest.raises(ParameterError, match=r"sparse_box_iou: `min_iou` must be a number"):
            sparse_box_iou(good, good, min_iou=bad)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="sparse_box_iou: `on_invalid`"):
        sparse_box_iou(good, on_invalid="drop")
    with pytest.raises(InputError, match=r"sparse_box_iou: `boxes1` must have shape \(N, 4\)"):
        sparse_box_iou(np.zeros((2, 3, 4)), good)
    with pytest.raises(InputError, match=r"`boxes2` must have shape \(\.\.\., N, 4\).*\(4,\)"):
        sparse_box_iou(good, np.zeros(4))
    with pytest.raises(InputError, match="real numbers; got dtype bool"):
        sparse_box_iou(np.zeros((1, 4), dtype=bool))


# ----------------------------------------------------------------------------- properties


coords = st.one_of(
    st.integers(-5, 30).map(float),  # many exact ties, touching and identical boxes
    st.floats(-1e3, 1e3, allow_nan=False),
    st.floats(1e8, 1e8 + 64, allow_nan=False),  # far from the origin: rounding of widths
)


def _sorted(b: np.ndarray) -> np.ndarray:
    return np.concatenate([np.minimum(b[:, :2], b[:, 2:]), np.maximum(b[:, :2], b[:, 2:])], 1)


@settings(max_examples=80, deadline=None)
@given(
    b1=arrays(np.float64, st.tuples(st.integers(0, 40), st.just(4)), elements=coords),
    b2=arrays(np.float64, st.tuples(st.integers(0, 40), st.just(4)), elements=coords),
    min_iou=st.sampled_from([0.0, 1e-9, 0.25, 0.5, 1.0]),
)
def test_property_equals_dense(b1: np.ndarray, b2: np.ndarray, min_iou: float) -> None:
    b1, b2 = _sorted(b1), _sorted(b2)
    assert_same(sparse_box_iou(b1, b2, min_iou=min_iou), dense_pairs(b1, b2, min_iou))
    assert_same(sparse_box_iou(b1, min_iou=min_iou), dense_pairs(b1, None, min_iou))
    # symmetry: the pairs of (b2, b1) are the transposed pairs of (b1, b2)
    i, j, v = sparse_box_iou(b1, b2, min_iou=min_iou)
    ti, tj, tv = sparse_box_iou(b2, b1, min_iou=min_iou)
    order = np.lexsort((i, j))
    np.testing.assert_array_equal(ti, j[order])
    np.testing.assert_array_equal(tj, i[order])
    np.testing.assert_array_equal(tv, v[order])


def test_larger_scene_vs_dense() -> None:
    # 3000 x 3000 with dense scenes and mixed sizes; also the threaded kernels' ordering
    rng = np.random.default_rng(6)
    b1 = np.concatenate([scene(rng, 2500, 2000, 5, 40), scene(rng, 500, 2000, 1, 900)])
    b2 = scene(rng, 3000, 2000, 5, 60)
    assert_same(sparse_box_iou(b1, b2), dense_pairs(b1, b2))
    assert_same(sparse_box_iou(b1, b2, min_iou=0.5), dense_pairs(b1, b2, 0.5))


@pytest.mark.parametrize("scale", [1e-320, 1e-310, 1e-300, 1e150, 1e300])
def test_extreme_magnitudes(scale: float) -> None:
    # subnormal extents (one grid cell) and extents that overflow float64 (x2 - x1 = inf): the
    # same pairs as the dense matrix, and no warning
    rng = np.random.default_rng(8)
    b = _sorted(rng.uniform(-1, 1, (150, 4)))
    for boxes in (b * scale, np.concatenate([b * scale, b])):
        assert_same(sparse_box_iou(boxes), dense_pairs(boxes))
        assert_same(sparse_box_iou(b, boxes), dense_pairs(b, boxes))
    huge = np.concatenate([[[-1e308, -1e308, 1e308, 1e308]], b])
    assert_same(sparse_box_iou(huge), dense_pairs(huge))
