"""Dense instance-mask IoU, overlap counts and mask bounding boxes (ioukit.geometry.masks)."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ioukit._errors import BackendError, InputError
from ioukit.geometry import masks as M
from ioukit.geometry.boxes import box_iou
from ioukit.geometry.masks import (
    MaskOverlapCounts,
    mask_iou,
    mask_iou_aligned,
    mask_overlap_counts,
    masks_to_boxes,
)
from ioukit.kernels import masks as mask_kernels

# ----------------------------------------------------------------------------- helpers


def square(size: int, y: int, x: int, side: int) -> np.ndarray:
    m = np.zeros((size, size), dtype=bool)
    m[y : y + side, x : x + side] = True
    return m


def loop_iou(a: np.ndarray, b: np.ndarray, crowd: Any = None) -> np.ndarray:
    """One pair at a time, straight from the definition (pycocotools' crowd rule)."""
    a = a.astype(bool)
    b = b.astype(bool)
    out = np.zeros((len(a), len(b)))
    for i in range(len(a)):
        for j in range(len(b)):
            inter = (a[i] & b[j]).sum()
            union = a[i].sum() if crowd is not None and crowd[j] else (a[i] | b[j]).sum()
            out[i, j] = inter / union if union else 0.0
    return out


def random_masks(rng: np.random.Generator, n: int, spatial: tuple[int, ...]) -> np.ndarray:
    """Random masks of varied density, with an empty and a full one when n >= 2."""
    dens = rng.random((n,) + (1,) * len(spatial))
    m = rng.random((n, *spatial)) < dens
    if n >= 2:
        m[0] = False
        m[1] = True
    return m


def rectangles(rng: np.random.Generator, n: int, h: int, w: int) -> np.ndarray:
    m = np.zeros((n, h, w), dtype=bool)
    for k in range(n):
        y1, x1 = rng.integers(0, h), rng.integers(0, w)
        y2, x2 = rng.integers(y1 + 1, h + 1), rng.integers(x1 + 1, w + 1)
        m[k, y1:y2, x1:x2] = True
    return m


def rle(masks: np.ndarray) -> Any:
    mask_utils = pytest.importorskip("pycocotools.mask")
    return mask_utils.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))


# ----------------------------------------------------------------------------- hand cases


def test_seed_squares(xp: Any) -> None:
    # two 10x10 squares in a 20x20 image overlapping in a 5x5 square:
    # |A| = |B| = 100, |A n B| = 25, |A u B| = 100 + 100 - 25 = 175, IoU = 25/175
    a = xp.asarray(square(20, 0, 0, 10)[None])
    b = xp.asarray(square(20, 5, 5, 10)[None])
    out = mask_iou(a, b)
    xp.check(out, like=a)
    assert tuple(out.shape) == (1, 1)
    assert xp.to_numpy(out)[0, 0] == pytest.approx(25 / 175)
    counts = mask_overlap_counts(a, b)
    xp.check(counts.intersection, like=a)
    assert xp.to_numpy(counts.intersection).tolist() == [[25]]
    assert xp.to_numpy(counts.area1).tolist() == [100]
    assert xp.to_numpy(counts.area2).tolist() == [100]
    assert xp.to_numpy(counts.union()).tolist() == [[175]]
    assert xp.to_numpy(counts.intersection).dtype == np.int64
    al = mask_iou_aligned(a, b)
    xp.check(al, like=a)
    assert xp.to_numpy(al)[0] == pytest.approx(25 / 175)


def test_hand_cases(xp: Any) -> None:
    a = np.stack(
        [
            square(8, 0, 0, 4),  # 16 px
            np.zeros((8, 8), dtype=bool),  # empty
            square(8, 2, 2, 1),  # one pixel at (2, 2)
        ]
    )
    b = np.stack(
        [
            square(8, 0, 0, 4),  # == a[0]
            square(8, 4, 4, 4),  # disjoint from a[0], touches it at a corner only
            square(8, 2, 2, 2),  # 2x2 block holding a[2]
            np.zeros((8, 8), dtype=bool),  # empty
        ]
    )
    expected = [
        # a[0]: identical -> 1; disjoint -> 0; 2x2 block inside the 4x4 -> 4/16; empty -> 0/16
        [1.0, 0.0, 4 / 16, 0.0],
        # empty vs anything: union 16, 16, 4 and 0 -> 0, never NaN
        [0.0, 0.0, 0.0, 0.0],
        # one pixel: inside a[0]'s twin -> 1/16; disjoint; 1 / 4; vs empty: 0 / 1
        [1 / 16, 0.0, 1 / 4, 0.0],
    ]
    out = xp.to_numpy(mask_iou(xp.asarray(a), xp.asarray(b)))
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-15)
    assert not np.isnan(out).any()


def test_crowd_rule(xp: Any) -> None:
    # detection D = 10x10 at (0, 0); ground truth G = 10x10 at (5, 5): |D n G| = 25
    # crowd G: union = |D| = 100 -> 25/100; not crowd: 25/175
    d = xp.asarray(square(20, 0, 0, 10)[None])
    g = xp.asarray(np.stack([square(20, 5, 5, 10), square(20, 5, 5, 10), square(20, 0, 0, 20)]))
    out = xp.to_numpy(mask_iou(d, g, crowd=[True, False, True]))
    # third column: D lies inside a 20x20 crowd region: 100 / |D| = 1 (plain IoU would be 1/4)
    np.testing.assert_allclose(out, [[25 / 100, 25 / 175, 1.0]])
    # an empty detection scores 0 against a crowd region (0 / 0 -> 0)
    empty = xp.asarray(np.zeros((1, 20, 20), dtype=bool))
    assert xp.to_numpy(mask_iou(empty, g, crowd=[1, 1, 1])).tolist() == [[0.0, 0.0, 0.0]]
    # all-False crowd is plain IoU
    np.testing.assert_array_equal(
        xp.to_numpy(mask_iou(d, g, crowd=np.zeros(3, dtype=bool))), xp.to_numpy(mask_iou(d, g))
    )


def test_crowd_in_counts_object() -> None:
    d = square(20, 0, 0, 10)[None]
    g = square(20, 5, 5, 10)[None]
    counts = mask_overlap_counts(d, g)
    # crowd: union = |D| = 100
    assert counts.union(crowd=[True]).tolist() == [[100]]
    assert counts.iou(crowd=[True]).tolist() == [[0.25]]
    assert counts.iou().tolist() == [[25 / 175]]


def test_counts_add_over_pixel_strips() -> None:
    # counts of the top and bottom halves of the images add up to the counts of the whole
    rng = np.random.default_rng(0)
    a, b = random_masks(rng, 5, (24, 31)), random_masks(rng, 4, (24, 31))
    top = mask_overlap_counts(a[:, :11], b[:, :11])
    bottom = mask_overlap_counts(a[:, 11:], b[:, 11:])
    whole = mask_overlap_counts(a, b)
    total = top + bottom
    assert isinstance(total, MaskOverlapCounts)
    for name in ("intersection", "area1", "area2"):
        np.testing.assert_array_equal(getattr(total, name), getattr(whole, name))
    np.testing.assert_array_equal(total.iou(), mask_iou(a, b))
    with pytest.raises(InputError, match=r"same \(N, M\).*\(5, 4\) and \(4, 5\)"):
        _ = whole + mask_overlap_counts(b, a)


# ----------------------------------------------------------------------------- oracles


@pytest.mark.parametrize(
    "spatial",
    [(7, 9), (8, 8), (1, 1), (3, 5, 7), (5, 200)],
    ids=str,
)
def test_vs_loop(xp: Any, spatial: tuple[int, ...]) -> None:
    # pixel counts 63, 64, 1, 105, 1000: one partial word, one full word, several words
    rng = np.random.default_rng(sum(spatial))
    a, b = random_masks(rng, 6, spatial), random_masks(rng, 5, spatial)
    crowd = rng.random(5) < 0.5
    # JAX compiles every operation for every new shape: two dtypes there keep the test fast
    dtypes = ("bool", "uint8", "int32", "float32") if xp.name != "jax" else ("bool", "float32")
    for dtype in dtypes:
        xa, xb = xp.asarray(a, dtype=dtype), xp.asarray(b, dtype=dtype)
        out = mask_iou(xa, xb)
        xp.check(out, like=xa)
        np.testing.assert_array_equal(xp.to_numpy(out), loop_iou(a, b))
        np.testing.assert_array_equal(
            xp.to_numpy(mask_iou(xa, xb, crowd=crowd)), loop_iou(a, b, crowd)
        )
    aligned = xp.to_numpy(mask_iou_aligned(xp.asarray(a[:5]), xp.asarray(b)))
    np.testing.assert_array_equal(aligned, np.diag(loop_iou(a[:5], b)))


def test_counts_vs_matmul_large_parallel(idle_machine: None) -> None:
    # a larger case with speckled masks (the threaded ranges are tested, forced, in
    # tests/kernels/test_masks_threads.py)
    rng = np.random.default_rng(1)
    a = rectangles(rng, 70, 128, 130)
    b = rectangles(rng, 60, 128, 130)
    b[::7] = rng.random((9, 128, 130)) < 0.5  # some speckled masks too
    counts = mask_overlap_counts(a, b)
    fa, fb = a.reshape(70, -1).astype(np.int64), b.reshape(60, -1).astype(np.int64)
    np.testing.assert_array_equal(counts.intersection, fa @ fb.T)
    np.testing.assert_array_equal(counts.area1, fa.sum(1))
    np.testing.assert_array_equal(counts.area2, fb.sum(1))
    # N < M takes the transposed route
    np.testing.assert_array_equal(mask_overlap_counts(b[:5], a).intersection, fb[:5] @ fa.T)
    al = mask_iou_aligned(a[:60], b)
    np.testing.assert_allclose(al, np.diag(mask_iou(a[:60], b)), rtol=0, atol=0)


def test_numba_cache_tiles(monkeypatch: pytest.MonkeyPatch) -> None:
    # tiny cache tiles: every tile boundary of the pair kernel is crossed
    monkeypatch.setattr(mask_kernels, "_TILE_BYTES", 8)
    rng = np.random.default_rng(2)
    a, b = random_masks(rng, 9, (11, 13)), random_masks(rng, 7, (11, 13))
    np.testing.assert_array_equal(mask_iou(a, b), loop_iou(a, b))


def test_noncontiguous_and_odd_dtypes() -> None:
    rng = np.random.default_rng(3)
    a, b = random_masks(rng, 4, (12, 10)), random_masks(rng, 3, (12, 10))
    ref = loop_iou(a, b)
    # transposed views (non-contiguous) and offset slices
    at = np.ascontiguousarray(a.transpose(0, 2, 1)).transpose(0, 2, 1)
    np.testing.assert_array_equal(mask_iou(at, b), ref)
    big = np.zeros((5, 12, 10), dtype=np.uint8)
    big[1:] = a
    np.testing.assert_array_equal(mask_iou(big[1:], b), ref)
    for dtype in (np.int8, np.uint16, np.int64, np.float16, np.float64):
        np.testing.assert_array_equal(mask_iou(a.astype(dtype), b.astype(dtype)), ref)
    # mixed dtypes are fine
    np.testing.assert_array_equal(mask_iou(a, b.astype(np.float32)), ref)


def test_empty_sets(xp: Any) -> None:
    e1 = xp.asarray(np.zeros((0, 6, 7), dtype=bool))
    m3 = xp.asarray(np.ones((3, 6, 7), dtype=bool))
    out = mask_iou(e1, m3)
    xp.check(out, like=e1)
    assert tuple(out.shape) == (0, 3)
    assert tuple(mask_iou(m3, e1).shape) == (3, 0)
    assert tuple(mask_iou(m3, e1, crowd=[]).shape) == (3, 0)
    c = mask_overlap_counts(e1, m3)
    assert tuple(c.intersection.shape) == (0, 3)
    assert xp.to_numpy(c.area2).tolist() == [42, 42, 42]
    assert tuple(mask_iou_aligned(e1, e1).shape) == (0,)
    assert tuple(masks_to_boxes(e1).shape) == (0, 4)
    # zero pixels: every mask empty, IoU 0
    z = xp.asarray(np.zeros((2, 0, 5), dtype=bool))
    assert xp.to_numpy(mask_iou(z, z)).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert np.isnan(xp.to_numpy(masks_to_boxes(z))).all()


# ----------------------------------------------------------------------------- backends


def test_torch_matches_numpy_exactly() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    a, b = random_masks(rng, 8, (19, 23)), random_masks(rng, 6, (19, 23))
    crowd = np.array([0, 1, 0, 0, 1, 0], dtype=bool)
    ref = mask_iou(a, b, crowd=crowd)
    for dtype in (torch.bool, torch.uint8, torch.float32, torch.bfloat16):
        ta, tb = torch.from_numpy(a).to(dtype), torch.from_numpy(b).to(dtype)
        out = mask_iou(ta, tb, crowd=torch.from_numpy(crowd))
        assert isinstance(out, torch.Tensor)
        assert out.dtype == torch.float64
        assert out.device == ta.device
        np.testing.assert_array_equal(out.numpy(), ref)
    # float masks that require grad are read without autograd
    fa = torch.from_numpy(a).float().requires_grad_(True)
    np.testing.assert_array_equal(mask_iou(fa, torch.from_numpy(b)).numpy(), mask_iou(a, b))


def test_gemm_path_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    # the GEMM path (CUDA tensors, array-api-strict, ...) with tiny tiles, blocks and float32
    # chunks, so that every accumulation branch runs; checked on torch CPU and array-api-strict
    monkeypatch.setattr(M, "_TILE_ELEMENTS", 40)
    monkeypatch.setattr(M, "_BLOCK", 3)
    monkeypatch.setattr(M, "_F32_EXACT", 7)
    rng = np.random.default_rng(5)
    a, b = random_masks(rng, 7, (6, 5)), random_masks(rng, 8, (6, 5))
    expected = a.reshape(7, -1).astype(np.int64) @ b.reshape(8, -1).T.astype(np.int64)
    backends = []
    torch = pytest.importorskip("torch")
    import array_api_compat.torch as xt

    backends.append((xt, lambda x: torch.from_numpy(x.reshape(len(x), -1))))
    strict = pytest.importorskip("array_api_strict")
    backends.append((strict, lambda x: strict.asarray(x.reshape(len(x), -1))))
    for xp, make in backends:
        inter = M._gemm_counts(xp, make(a), make(b))
        assert inter.dtype == xp.int64
        np.testing.assert_array_equal(np.asarray(inter), expected)
    # and the whole public function on the array path
    out = mask_iou(strict.asarray(a), strict.asarray(b.astype(np.uint8)))
    np.testing.assert_array_equal(np.asarray(out), loop_iou(a, b))
    al = mask_iou_aligned(strict.asarray(a), strict.asarray(b[:7]))
    np.testing.assert_array_equal(np.asarray(al), np.diag(loop_iou(a, b[:7])))
    boxes = masks_to_boxes(strict.asarray(a))
    np.testing.assert_array_equal(np.asarray(boxes), masks_to_boxes(a))


def test_array_path_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # 40 x 40 masks of 64x64 through array-api-strict (NumPy underneath): an (N, M, P) temporary
    # would take 40 * 40 * 4096 * 8 bytes = 52 MB; the chunked GEMM stays near its tile size
    strict = pytest.importorskip("array_api_strict")
    monkeypatch.setattr(M, "_TILE_ELEMENTS", 1 << 14)
    rng = np.random.default_rng(6)
    a = strict.asarray(random_masks(rng, 40, (64, 64)))
    b = strict.asarray(random_masks(rng, 40, (64, 64)))
    tracemalloc.start()
    try:
        mask_iou(a, b)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, peak


def test_import_does_not_load_numba() -> None:
    code = (
        "import sys, ioukit.geometry.masks; print('numba' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ----------------------------------------------------------------------------- boxes


def test_masks_to_boxes_hand(xp: Any) -> None:
    m = np.zeros((4, 6, 8), dtype=bool)
    m[0, 1:4, 2:7] = True  # rows 1..3, columns 2..6 -> [2, 1, 7, 4], 5 x 3
    m[1, 5, 0] = True  # one pixel at row 5, column 0 -> [0, 5, 1, 6], area 1
    m[3, 0, 0] = m[3, 5, 7] = True  # two corners -> the whole image [0, 0, 8, 6]
    out = xp.to_numpy(masks_to_boxes(xp.asarray(m)))
    np.testing.assert_array_equal(out[[0, 1, 3]], [[2, 1, 7, 4], [0, 5, 1, 6], [0, 0, 8, 6]])
    assert np.isnan(out[2]).all()  # empty mask -> NaN row
    inc = xp.to_numpy(masks_to_boxes(xp.asarray(m.astype(np.uint8)), pixel_inclusive=True))
    # torchvision's inclusive indices: x2 = last column, y2 = last row
    np.testing.assert_array_equal(inc[[0, 1, 3]], [[2, 1, 6, 3], [0, 5, 0, 5], [0, 0, 7, 5]])
    assert np.isnan(inc[2]).all()
    res = masks_to_boxes(xp.asarray(m))
    xp.check(res, like=xp.asarray(m))
    assert xp.to_numpy(res).dtype == np.float64


def test_empty_mask_box_and_on_invalid() -> None:
    m = np.zeros((2, 5, 5), dtype=bool)
    m[0, 1:3, 1:3] = True
    boxes = masks_to_boxes(m)
    with pytest.raises(InputError, match="index 1"):
        box_iou(boxes, boxes)
    np.testing.assert_array_equal(box_iou(boxes, boxes, on_invalid="zero"), [[1, 0], [0, 0]])


def test_masks_to_boxes_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(M, "_TILE_ELEMENTS", 50)  # one mask per chunk
    rng = np.random.default_rng(7)
    m = rectangles(rng, 5, 7, 9)
    m[2] = False
    ref = masks_to_boxes(m[:1])
    out = masks_to_boxes(m)
    np.testing.assert_array_equal(out[:1], ref)
    assert np.isnan(out[2]).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 6))
def test_rectangles_mask_iou_equals_box_iou(seed: int, n: int, m: int) -> None:
    # for rectangular masks, mask IoU = box IoU of their boxes, in both pixel conventions
    rng = np.random.default_rng(seed)
    a, b = rectangles(rng, n, 9, 11), rectangles(rng, m, 9, 11)
    expected = mask_iou(a, b)
    np.testing.assert_allclose(box_iou(masks_to_boxes(a), masks_to_boxes(b)), expected, atol=1e-12)
    inc_a = masks_to_boxes(a, pixel_inclusive=True)
    inc_b = masks_to_boxes(b, pixel_inclusive=True)
    np.testing.assert_allclose(box_iou(inc_a, inc_b, pixel_inclusive=True), expected, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.bool_, st.tuples(st.integers(1, 4), st.integers(1, 9), st.integers(1, 9))),
    st.data(),
)
def test_properties(a: np.ndarray, data: st.DataObject) -> None:
    b = data.draw(arrays(np.bool_, (data.draw(st.integers(1, 4)), *a.shape[1:])))
    ab = mask_iou(a, b)
    assert ((ab >= 0) & (ab <= 1)).all()
    np.testing.assert_array_equal(ab, mask_iou(b, a).T)  # symmetric
    np.testing.assert_array_equal(ab, loop_iou(a, b))
    diag = np.diag(mask_iou(a, a))
    np.testing.assert_array_equal(diag, a.reshape(len(a), -1).any(1).astype(float))  # J(A,A)=1


# ----------------------------------------------------------------------------- reference


@pytest.mark.reference
def test_vs_pycocotools_iou() -> None:
    mask_utils = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(8)
    dt = np.concatenate([random_masks(rng, 6, (37, 45)), rectangles(rng, 6, 37, 45)])
    gt = np.concatenate([random_masks(rng, 5, (37, 45)), rectangles(rng, 5, 37, 45)])
    crowd = rng.random(10) < 0.4
    crowd[:2] = [True, False]
    expected = np.asarray(mask_utils.iou(rle(dt), rle(gt), crowd.astype(np.uint8).tolist()))
    np.testing.assert_allclose(mask_iou(dt, gt, crowd=crowd), expected, rtol=0, atol=1e-15)
    plain = np.asarray(mask_utils.iou(rle(dt), rle(gt), [0] * 10))
    np.testing.assert_allclose(mask_iou(dt, gt), plain, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(mask_overlap_counts(dt, gt).area1, mask_utils.area(rle(dt)))


@pytest.mark.reference
def test_vs_pycocotools_to_bbox() -> None:
    mask_utils = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(9)
    m = np.concatenate([rectangles(rng, 8, 21, 30), random_masks(rng, 4, (21, 30))[2:]])
    m[3] = False
    m[4] = False
    m[4, 20, 29] = True  # one pixel in the last row and column
    xywh = mask_utils.toBbox(rle(m))
    boxes = masks_to_boxes(m)
    nonempty = m.reshape(len(m), -1).any(1)
    x1, y1, x2, y2 = boxes[nonempty].T
    np.testing.assert_array_equal(np.stack([x1, y1, x2 - x1, y2 - y1], 1), xywh[nonempty])
    np.testing.assert_array_equal(xywh[~nonempty], 0)  # pycocotools: [0, 0, 0, 0]
    assert np.isnan(boxes[~nonempty]).all()  # ioukit: NaN


@pytest.mark.reference
def test_vs_torchvision_masks_to_boxes() -> None:
    torch = pytest.importorskip("torch")
    ops = pytest.importorskip("torchvision.ops")
    rng = np.random.default_rng(10)
    m = rectangles(rng, 6, 15, 17)
    expected = ops.masks_to_boxes(torch.from_numpy(m)).numpy()
    np.testing.assert_array_equal(masks_to_boxes(m, pixel_inclusive=True), expected)


# ----------------------------------------------------------------------------- bad input


def test_non_binary_values(xp: Any) -> None:
    good = np.zeros((2, 3, 4), dtype=np.int32)
    bad = good.copy()
    bad[1, 0, 0] = 2
    bad[1, 2, 3] = -1
    with pytest.raises(InputError, match=r"mask_iou: `masks2` must hold binary masks.*\[-1, 2\]"):
        mask_iou(xp.asarray(good), xp.asarray(bad))
    with pytest.raises(InputError, match=r"in 1 mask\(s\), the first at index 1.*masks > 0.5"):
        mask_iou(xp.asarray(bad), xp.asarray(good))
    soft = np.full((1, 3, 4), 0.75, dtype=np.float32)
    with pytest.raises(InputError, match=r"mask_iou_aligned: `masks1`.*\[0\.75\]"):
        mask_iou_aligned(xp.asarray(soft), xp.asarray(soft))
    with pytest.raises(InputError, match=r"masks_to_boxes: `masks`.*\[-1, 2\]"):
        masks_to_boxes(xp.asarray(bad))
    with pytest.raises(InputError, match=r"mask_overlap_counts: `masks1`.*\[2\]"):
        mask_overlap_counts(
            xp.asarray(np.full((1, 1, 8), 2, dtype=np.uint8)),
            xp.asarray(good[:1].reshape(1, 1, -1)[:, :, :8]),
        )


@pytest.mark.parametrize("width", [8, 5], ids=["P%8==0", "P%8!=0"])
def test_byte_masks_validation(width: int) -> None:
    # uint8 / int8 masks are checked eight bytes at a time when the row length allows it
    good = np.zeros((3, 4, width), dtype=np.uint8)
    good[1, 1, 1] = 1
    for bad_value, dtype in ((2, np.uint8), (255, np.uint8), (-1, np.int8)):
        bad = good.astype(dtype)
        bad[2, 3, width - 1] = bad_value
        with pytest.raises(
            InputError, match=rf"\[{bad_value}\] in 1 mask\(s\), the first at index 2"
        ):
            mask_iou(good, bad)
    np.testing.assert_array_equal(mask_iou(good, good.view(np.int8)), loop_iou(good, good))


def test_nan_values_named() -> None:
    m = np.zeros((1, 2, 2))
    m[0, 0, 1] = np.nan
    with pytest.raises(InputError, match=r"\[nan\]"):
        mask_iou(m, m)


def test_shape_errors() -> None:
    a, b = np.zeros((2, 5, 6), dtype=bool), np.zeros((3, 6, 5), dtype=bool)
    with pytest.raises(InputError, match=r"same spatial dimensions; got shapes \(2, 5, 6\) and"):
        mask_iou(a, b)
    with pytest.raises(InputError, match=r"same shape \(one pair per row\).*\(2, 5, 6\)"):
        mask_iou_aligned(a, a[:1])
    with pytest.raises(InputError, match=r"must have shape \(N, H, W\) or \(N, D, H, W\)"):
        mask_iou(np.zeros(5, dtype=bool), np.zeros(5, dtype=bool))
    # a 2-D array is one (H, W) mask far more often than N flattened masks: refused, with hints
    with pytest.raises(
        InputError, match=r"got shape \(5, 6\)\. A single mask.*masks\[:, None, :\]"
    ):
        mask_iou(np.zeros((5, 6), dtype=bool), np.zeros((5, 6), dtype=bool))
    with pytest.raises(InputError, match=r"mask\[None\]"):
        masks_to_boxes(np.zeros((5, 6), dtype=bool))
    with pytest.raises(InputError, match=r"`masks` must have shape \(N, H, W\); got"):
        masks_to_boxes(np.zeros((1, 2, 5, 6), dtype=bool))
    with pytest.raises(InputError, match="got dtype complex128"):
        mask_iou(np.zeros((1, 1, 2), dtype=complex), np.zeros((1, 1, 2), dtype=complex))


def test_crowd_errors() -> None:
    a = np.zeros((2, 4, 4), dtype=bool)
    with pytest.raises(InputError, match=r"`crowd` must have shape \(2,\).*got shape \(3,\)"):
        mask_iou(a, a, crowd=[True, False, True])
    with pytest.raises(InputError, match=r"`crowd` must hold booleans.*\[2\]"):
        mask_iou(a, a, crowd=[0, 2])
    with pytest.raises(InputError, match=r"`crowd` must have shape"):
        mask_overlap_counts(a, a).iou(crowd=[True])


def test_mixed_libraries() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(BackendError, match="different array libraries"):
        mask_iou(np.zeros((1, 2, 2), dtype=bool), torch.zeros((1, 2, 2), dtype=torch.bool))
