"""ioukit.rle against pycocotools (and faster-coco-eval): the same strings byte for byte, the
same IoU matrices bit for bit, the same areas, boxes, merges and polygon/box rasters."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

pm = pytest.importorskip("pycocotools.mask")

from ioukit import rle  # noqa: E402

pytestmark = pytest.mark.reference


def _ref_encode(masks: np.ndarray) -> list[dict[str, Any]]:
    """pycocotools' encode of an (N, H, W) stack, counts as str."""
    out = pm.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))
    return [{"size": r["size"], "counts": r["counts"].decode()} for r in out]


def _as_bytes(rles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"size": r["size"], "counts": r["counts"].encode()} for r in rles]


def _blobs(rng: np.random.Generator, n: int, h: int, w: int, noise: float) -> np.ndarray:
    """(n, h, w) masks of a few random rectangles, plus i.i.d. noise."""
    m = np.zeros((n, h, w), dtype=bool)
    for i in range(n):
        for _ in range(rng.integers(0, 4)):
            y, x = rng.integers(0, [h, w])
            dy, dx = rng.integers(1, [h // 2 + 2, w // 2 + 2])
            m[i, y : y + dy, x : x + dx] = True
        if noise:
            m[i] |= rng.random((h, w)) < noise
    return m


SHAPES = [(1, 1), (1, 7), (7, 1), (2, 3), (13, 17), (64, 48), (100, 101)]


@pytest.mark.parametrize(("h", "w"), SHAPES)
@pytest.mark.parametrize("p", [0.0, 0.03, 0.5, 0.97, 1.0])
def test_encode_identical_random(h: int, w: int, p: float) -> None:
    rng = np.random.default_rng(h * 1000 + w + int(p * 100))
    masks = rng.random((4, h, w)) < p
    masks[1] |= _blobs(rng, 1, h, w, 0.0)[0]
    ref = _ref_encode(masks)
    assert rle.encode(masks) == ref
    assert rle.encode(np.asfortranarray(masks[0])) == ref[0]
    np.testing.assert_array_equal(pm.area(_as_bytes(ref)), rle.area(ref))
    np.testing.assert_array_equal(pm.toBbox(_as_bytes(ref)), rle.to_bbox(ref))
    with warnings.catch_warnings():  # pycocotools' decode warns under NumPy 2 (__array__ copy)
        warnings.simplefilter("ignore", DeprecationWarning)
        ref_masks = pm.decode(_as_bytes(ref))
    np.testing.assert_array_equal(ref_masks.transpose(2, 0, 1).astype(bool), rle.decode(ref))


def test_encode_identical_empty_and_long_runs() -> None:
    # 0x0 and 0xW images; runs longer than 2**16 and 2**20 (several chunks, sign bits)
    for shape in [(0, 0), (0, 5), (5, 0)]:
        m = np.zeros((1, *shape), dtype=bool)
        assert rle.encode(m) == _ref_encode(m)
    m = np.zeros((2, 1100, 1000), dtype=bool)
    m[0, 5, 3] = True
    m[0, 1000:, 900:] = True
    m[1, :, 1:999] = True  # one run of ~1.1M ones, first pixel 0
    ref = _ref_encode(m)
    assert rle.encode(m) == ref
    np.testing.assert_array_equal(rle.area(ref), pm.area(_as_bytes(ref)))


def test_uncompressed_counts_as_pycocotools() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        runs = rng.integers(0, 40, rng.integers(1, 12)).tolist()
        runs[1:] = [r + 1 for r in runs[1:]]  # no empty run after the first
        h = int(rng.integers(1, 5))
        total = sum(runs)
        runs[-1] += (-total) % h
        size = [h, sum(runs) // h]
        obj = {"size": size, "counts": runs}
        ref = pm.frPyObjects(obj, *size)
        assert rle.compress(obj) == {"size": size, "counts": ref["counts"].decode()}
        assert rle.area(obj) == pm.area(ref)
        np.testing.assert_array_equal(rle.to_bbox(obj), pm.toBbox(ref))


@pytest.mark.parametrize("seed", range(12))
def test_iou_identical(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(1, 40, 2))
    nd, ng = (int(v) for v in rng.integers(1, 9, 2))
    noise = [0.0, 0.05, 0.4][seed % 3]
    dm, gm = _blobs(rng, nd, h, w, noise), _blobs(rng, ng, h, w, noise)
    if seed % 4 == 0:
        dm[0] = gm[0]  # an identical pair
    crowd = rng.integers(0, 2, ng)
    dt, gt = _ref_encode(dm), _ref_encode(gm)
    ref = pm.iou(_as_bytes(dt), _as_bytes(gt), crowd.tolist())
    np.testing.assert_array_equal(rle.iou(dt, gt, crowd=crowd), ref)
    np.testing.assert_array_equal(rle.iou(dt, gt, crowd=crowd.astype(bool)), ref)
    # uncompressed and bytes counts give the same numbers
    unc = [{"size": r["size"], "counts": _runs(m)} for r, m in zip(gt, gm, strict=True)]
    np.testing.assert_array_equal(rle.iou(_as_bytes(dt), unc, crowd=crowd), ref)


def _runs(m: np.ndarray) -> list[int]:
    flat = m.T.reshape(-1).astype(np.int8)
    change = np.flatnonzero(
        np.diff(np.concatenate([[0], flat, [1 - flat[-1] if flat.size else 0]]))
    )
    return np.diff(np.concatenate([[0], change])).tolist() if flat.size else [0]


def test_iou_identical_large_masks() -> None:
    # 1024-wide masks: blobs (the column-span path) and noisy masks (the interval walk)
    rng = np.random.default_rng(11)
    dm = _blobs(rng, 6, 300, 1024, 0.0)
    gm = _blobs(rng, 7, 300, 1024, 0.0)
    gm[3] |= rng.random((300, 1024)) < 0.02
    dm[2] |= rng.random((300, 1024)) < 0.3
    dt, gt = _ref_encode(dm), _ref_encode(gm)
    crowd = [0, 1, 0, 1, 0, 0, 1]
    ref = pm.iou(_as_bytes(dt), _as_bytes(gt), crowd)
    np.testing.assert_array_equal(rle.iou(dt, gt, crowd=crowd), ref)


def test_iou_empty_sides_are_2d_where_pycocotools_gives_a_list() -> None:
    r = _ref_encode(np.ones((1, 3, 3), bool))
    assert pm.iou([], _as_bytes(r), [0]) == []
    assert rle.iou([], r, crowd=[0]).shape == (0, 1)


@pytest.mark.parametrize("seed", range(8))
def test_merge_identical(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    h, w = (int(v) for v in rng.integers(1, 30, 2))
    masks = _blobs(rng, int(rng.integers(1, 6)), h, w, [0.0, 0.1][seed % 2])
    rles = _ref_encode(masks)
    for intersect in (False, True):
        ref = pm.merge(_as_bytes(rles), intersect=int(intersect))
        got = rle.merge(rles, intersect=intersect)
        assert got == {"size": ref["size"], "counts": ref["counts"].decode()}


def _random_polygons(rng: np.random.Generator, h: int, w: int, mode: int) -> list[list[float]]:
    polys = []
    for _ in range(int(rng.integers(1, 4))):
        k = int(rng.integers(3, 12))
        if mode == 0:  # anywhere, partly outside the image
            xy = rng.uniform(-10, [w + 10, h + 10], (k, 2))
        elif mode == 1:  # integer vertices
            xy = rng.integers(-3, [w + 3, h + 3], (k, 2)).astype(float)
        elif mode == 2:  # tiny (a few pixels or less)
            xy = rng.uniform(0, 3, (k, 2)) + rng.uniform(0, [w, h])
        elif mode == 3:  # on the ×5 grid, with half-pixel offsets (rounding ties)
            xy = np.round(rng.uniform(-5, [w + 5, h + 5], (k, 2)) * 5) / 5
            xy += rng.choice([0.0, 0.1, 0.5, -0.5], (k, 2))
        elif mode == 5:  # steep and shallow edges: nearly vertical or horizontal, long
            xy = rng.uniform(-20, [w + 20, h + 20], (k, 2))
            axis = int(rng.integers(0, 2))
            xy[1::2, axis] = xy[0:-1:2, axis] + rng.uniform(-1.5, 1.5, xy[1::2].shape[0])
        elif mode == 6:  # coordinates far outside the image on either side
            xy = rng.uniform(-5 * max(h, w), 6 * max(h, w), (k, 2))
        else:  # degenerate: repeated vertices, collinear points, zero area
            xy = rng.uniform(0, [w, h], (k, 2))
            xy[1] = xy[0]
            if k > 3:
                xy[3] = (xy[2] + xy[0]) / 2
        polys.append(xy.reshape(-1).tolist())
    return polys


@pytest.mark.parametrize("mode", range(7))
def test_from_polygons_identical(mode: int) -> None:
    rng = np.random.default_rng(200 + mode)
    for _ in range(300):
        h, w = (int(v) for v in rng.integers(1, 60, 2))
        polys = _random_polygons(rng, h, w, mode)
        ref = pm.merge(pm.frPyObjects(polys, h, w))
        assert rle.from_polygons(polys, h, w) == {
            "size": [h, w],
            "counts": ref["counts"].decode(),
        }, (h, w, polys)


def test_from_polygons_identical_coco_like() -> None:
    # larger images with many-vertex polygons (as COCO annotations)
    rng = np.random.default_rng(7)
    for _ in range(20):
        h, w = (int(v) for v in rng.integers(200, 700, 2))
        t = np.sort(rng.uniform(0, 2 * np.pi, 60))
        r = rng.uniform(20, 150, 60)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        poly = np.c_[cx + r * np.cos(t), cy + r * np.sin(t)].reshape(-1).tolist()
        ref = pm.merge(pm.frPyObjects([poly], h, w))
        assert rle.from_polygons([poly], h, w)["counts"] == ref["counts"].decode()


def test_from_boxes_identical() -> None:
    rng = np.random.default_rng(9)
    for i in range(200):
        h, w = (int(v) for v in rng.integers(1, 50, 2))
        boxes = np.c_[
            rng.uniform(-5, [w, h], (4, 2)), rng.uniform(0, [w / 2 + 1, h / 2 + 1], (4, 2))
        ]
        if i % 2:
            boxes = np.round(boxes)
        ref = [r["counts"].decode() for r in pm.frPyObjects(boxes, h, w)]
        assert [r["counts"] for r in rle.from_boxes(boxes, h, w)] == ref


def test_faster_coco_eval_agrees() -> None:
    fm = pytest.importorskip("faster_coco_eval.core.mask")
    rng = np.random.default_rng(3)
    dm, gm = _blobs(rng, 5, 40, 50, 0.05), _blobs(rng, 4, 40, 50, 0.0)
    dt, gt = rle.encode(dm), rle.encode(gm)
    fdt = fm.encode(np.asfortranarray(dm.transpose(1, 2, 0).astype(np.uint8)))
    assert [r["counts"].decode() for r in fdt] == [r["counts"] for r in dt]
    crowd = [0, 1, 0, 1]
    np.testing.assert_array_equal(
        rle.iou(dt, gt, crowd=crowd), fm.iou(_as_bytes(dt), _as_bytes(gt), crowd)
    )
