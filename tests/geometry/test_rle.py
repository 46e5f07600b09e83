"""ioukit.rle: hand cases, round-trip properties and bad input (no peer needed)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ioukit import InputError, ParameterError, rle
from ioukit.kernels import rle as rle_kernels

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _mask(h: int, w: int, pixels: list[tuple[int, int]]) -> np.ndarray:
    m = np.zeros((h, w), dtype=bool)
    for y, x in pixels:
        m[y, x] = True
    return m


# ------------------------------------------------------------------------------ hand cases


def test_encode_hand_column_major() -> None:
    # 3x2 mask, ones at (row 1, col 0) and (row 0, col 1). Column-major order reads
    # col 0 = [0, 1, 0], col 1 = [1, 0, 0] -> 0 1 0 1 0 0 -> runs [1, 1, 1, 1, 2]
    # characters: 1, 1, 1 (runs 0..2 as they are), then run 3 as 1 - run 1 = 0, run 4 as
    # 2 - run 2 = 1 -> '11101'
    r = rle.encode(_mask(3, 2, [(1, 0), (0, 1)]))
    assert r == {"size": [3, 2], "counts": "11101"}
    assert rle.compress({"size": [3, 2], "counts": [1, 1, 1, 1, 2]}) == r


def test_encode_first_pixel_one_and_special_masks() -> None:
    # first run is zeros and may be empty: all-ones 2x2 -> runs [0, 4] -> '04'
    assert rle.encode(np.ones((2, 2), bool))["counts"] == "04"
    assert rle.encode(np.zeros((2, 2), bool))["counts"] == "4"
    # an empty image is one run of length 0
    assert rle.encode(np.zeros((0, 0), bool)) == {"size": [0, 0], "counts": "0"}
    assert rle.encode(np.zeros((1, 1), np.uint8))["counts"] == "1"
    assert rle.encode(np.ones((1, 1), np.uint8))["counts"] == "01"


def test_large_values_use_several_chunks() -> None:
    # a run of 2**20 zeros then 5 ones: 2**20 needs 5 chunks of 5 bits (bit 20 is the sign bit
    # of the fifth chunk otherwise), so the string is longer than one char per run
    runs = [2**20, 5]
    r = rle.compress({"size": [1, 2**20 + 5], "counts": runs})
    assert len(r["counts"]) > 2
    assert rle.area(r) == 5
    np.testing.assert_array_equal(rle.to_bbox(r), [2**20, 0, 5, 1])


def test_area_bbox_hand() -> None:
    # ones at rows 1..2 of columns 1..3 of a 4x5 image: area 6, bbox x=1, y=1, w=3, h=2
    m = np.zeros((4, 5), bool)
    m[1:3, 1:4] = True
    r = rle.encode(m)
    assert rle.area(r) == 6
    np.testing.assert_array_equal(rle.to_bbox(r), [1.0, 1.0, 3.0, 2.0])
    np.testing.assert_array_equal(rle.to_bbox([r], fmt="xyxy"), [[1.0, 1.0, 4.0, 3.0]])
    empty = rle.encode(np.zeros((4, 5), bool))
    np.testing.assert_array_equal(rle.to_bbox(empty), [0.0, 0.0, 0.0, 0.0])
    assert rle.to_bbox(empty).dtype == np.float64


def test_bbox_of_run_wrapping_columns() -> None:
    # a run from (row 3, col 0) to (row 0, col 1) of a 4-row image covers rows 3 and 0: the box
    # spans every row
    r = {"size": [4, 2], "counts": [3, 2, 3]}
    np.testing.assert_array_equal(rle.to_bbox(r), [0.0, 0.0, 2.0, 4.0])


def test_iou_hand_and_crowd() -> None:
    # a: 2x2 block (4 px); b: top two rows (8 px); a is inside b. IoU = 4 / 8; crowd: 4 / 4
    a = np.zeros((4, 4), bool)
    a[:2, :2] = True
    b = np.zeros((4, 4), bool)
    b[:2, :] = True
    out = rle.iou(rle.encode(a), [rle.encode(b), rle.encode(b)], crowd=[False, True])
    np.testing.assert_array_equal(out, [[0.5, 1.0]])
    # crowd the other way round: dt = b, gt = a crowd -> |a ∩ b| / |b| = 4 / 8
    np.testing.assert_array_equal(rle.iou(rle.encode(b), rle.encode(a), crowd=[1]), [[0.5]])
    assert out.dtype == np.float64


def test_iou_always_2d() -> None:
    r = rle.encode(np.ones((3, 3), bool))
    assert rle.iou([], [r]).shape == (0, 1)
    assert rle.iou([r, r], []).shape == (2, 0)
    assert rle.iou([], []).shape == (0, 0)
    assert rle.iou(r, r).shape == (1, 1)


def test_iou_empty_and_disjoint_are_zero() -> None:
    z = rle.encode(np.zeros((3, 3), bool))
    one = rle.encode(_mask(3, 3, [(0, 0)]))
    other = rle.encode(_mask(3, 3, [(2, 2)]))
    np.testing.assert_array_equal(rle.iou([z, one], [z, other], crowd=[0, 1]), np.zeros((2, 2)))


def test_merge_hand() -> None:
    a = {"size": [2, 2], "counts": [0, 1, 3]}  # pixel (0, 0)
    b = {"size": [2, 2], "counts": [3, 1]}  # pixel (1, 1)
    # union: runs [0, 1, 2, 1]; the fourth is written as 1 - 1 = 0 -> '0120'
    assert rle.merge([a, b]) == {"size": [2, 2], "counts": "0120"}
    assert rle.merge([a, b], intersect=True) == {"size": [2, 2], "counts": "4"}
    # one RLE comes back with its runs unchanged (even a non-canonical zero-length run)
    assert rle.merge([{"size": [1, 3], "counts": [1, 0, 2]}])["counts"] == "102"


def test_decode_hand_and_dtype() -> None:
    out = rle.decode({"size": [2, 3], "counts": [1, 2, 3]})
    # column-major: col 0 = [0, 1], col 1 = [1, 0], col 2 = [0, 0]
    np.testing.assert_array_equal(out, [[0, 1, 0], [1, 0, 0]])
    assert out.dtype == np.bool_
    assert out.flags.c_contiguous
    assert rle.decode([]).shape == (0, 0, 0)
    assert rle.decode({"size": [0, 4], "counts": "0"}).shape == (0, 4)


def test_from_polygons_square() -> None:
    # the rectangle [1, 4] x [1, 3] covers the pixels of columns 1..3, rows 1..2
    r = rle.from_polygons([[1, 1, 4, 1, 4, 3, 1, 3]], 4, 5)
    expected = np.zeros((4, 5), bool)
    expected[1:3, 1:4] = True
    np.testing.assert_array_equal(rle.decode(r), expected)
    # same with (K, 2) vertices, and as a box
    assert rle.from_polygons([np.array([[1, 1], [4, 1], [4, 3], [1, 3]])], 4, 5) == r
    assert rle.from_boxes([1, 1, 3, 2], 4, 5) == r
    assert rle.from_boxes([[1, 1, 4, 3]], 4, 5, fmt="xyxy") == [r]
    assert rle.from_polygons([], 4, 5) == rle.encode(np.zeros((4, 5), bool))


def test_from_boxes_is_the_raster_of_the_corners_as_a_polygon() -> None:
    # from_boxes computes COCO's polygon raster of the four corners in closed form; it must
    # equal the polygon path on every box: fractional, negative, past the image, empty after
    # rounding, and at the values where the upsampled grid (steps of 0.2) and the pixel-centre
    # columns (x = X + 0.5) change
    edges = [-7.3, -1.0, -0.5, -0.3, -0.1, 0.0, 0.1, 0.29, 0.3, 0.31, 0.5, 0.7, 0.9, 1.0, 1.3,
             1.5, 2.5, 4.0, 4.3, 5.5, 9.7, 12.0]  # fmt: skip
    rng = np.random.default_rng(5)
    ys = [(0.0, 3.0), (0.3, 0.7), (-2.0, 2.5), (1.0, 1.0), (-1.0, 20.0)]
    pairs = itertools.combinations_with_replacement(edges, 2)
    boxes = [(xa, ya, xb, yb) for xa, xb in pairs for ya, yb in ys]
    boxes += [(ya, xa, yb, xb) for xa, ya, xb, yb in boxes]
    lo = rng.uniform(-10, 40, (2000, 2))
    scale = 10.0 ** rng.uniform(-1, 6, (2000, 1))
    boxes += [tuple(v) for v in np.c_[lo, lo + rng.uniform(0, 1, (2000, 2)) * scale]]
    for i, (xa, ya, xb, yb) in enumerate(boxes):
        h, w = (3, 5) if i % 3 == 0 else (12, 12) if i % 3 == 1 else (31, 17)
        corners = [xa, ya, xa, yb, xb, yb, xb, ya]
        assert rle.from_boxes([xa, ya, xb, yb], h, w, fmt="xyxy") == rle.from_polygons(
            [corners], h, w
        ), (xa, ya, xb, yb, h, w)


def test_json_round_trip() -> None:
    rng = np.random.default_rng(0)
    masks = rng.random((3, 7, 5)) < 0.4
    rles = rle.encode(masks)
    back = json.loads(json.dumps(rles))
    assert back == rles
    np.testing.assert_array_equal(rle.decode(back), masks)


def test_bytes_and_uncompressed_counts_accepted() -> None:
    m = _mask(3, 4, [(0, 1), (2, 3), (1, 1)])
    r = rle.encode(m)
    as_bytes = {"size": r["size"], "counts": r["counts"].encode()}
    uncompressed = {"size": [3, 4], "counts": [3, 2, 6, 1]}
    np.testing.assert_array_equal(rle.decode(as_bytes), m)
    np.testing.assert_array_equal(rle.decode(uncompressed), m)
    np.testing.assert_array_equal(rle.iou([r, as_bytes], [uncompressed]), [[1.0], [1.0]])


def test_encode_layouts_and_dtypes() -> None:
    rng = np.random.default_rng(1)
    m = rng.random((4, 9, 13)) < 0.5
    ref = rle.encode(m)
    assert rle.encode(np.asfortranarray(m[0])) == ref[0]
    stack_f = np.ascontiguousarray(m.transpose(0, 2, 1)).transpose(0, 2, 1)  # masks Fortran
    assert rle.encode(stack_f) == ref
    assert rle.encode(m[:, ::-1][:, ::-1]) == ref  # a non-contiguous view
    for dtype in (np.uint8, np.int8, np.int32, np.uint64):
        assert rle.encode(m.astype(dtype)) == ref
    assert rle.encode(m.tolist()) == ref


def test_encode_torch_tensor() -> None:
    torch = pytest.importorskip("torch")
    m = np.random.default_rng(2).random((2, 6, 5)) < 0.5
    assert rle.encode(torch.from_numpy(m)) == rle.encode(m)


def test_long_strings_beyond_the_parallel_buffer() -> None:
    # a checkerboard has a run per pixel: its string exceeds the per-mask buffer and is
    # encoded again on its own
    m = (np.indices((120, 130)).sum(axis=0) % 2).astype(bool)
    r = rle.encode(np.stack([m, m]))
    assert len(r[0]["counts"]) > 8192
    assert r[0] == r[1]
    np.testing.assert_array_equal(rle.decode(r[1]), m)


def _runs(m: np.ndarray) -> list[int]:
    """Uncompressed COCO counts of a mask: run lengths down the columns, zeros first."""
    flat = m.T.reshape(-1).astype(np.int8)
    edges = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]])
    runs = np.diff(edges).tolist()
    return [0, *runs] if flat[0] else runs


def _all_functions(masks: np.ndarray, crowd: np.ndarray) -> list[object]:
    r = rle.encode(masks)
    unc = [{"size": list(m.shape), "counts": _runs(m)} for m in masks]
    return [
        r,
        rle.decode(r),
        rle.area(r),
        rle.to_bbox(r),
        rle.iou(r[:7], r[7:], crowd=crowd),  # compressed strings: the fused kernel
        rle.iou(unc[:7], unc[7:], crowd=crowd),  # uncompressed runs: index, then IoU
        rle.merge(r),
        rle.merge(r, intersect=True),
    ]


@pytest.mark.parametrize("thin", [False, True])
def test_threaded_and_serial_kernels_agree(
    thin: bool, monkeypatch: pytest.MonkeyPatch, idle_machine: None
) -> None:
    # every threshold of ioukit.kernels.rle at 0 (threaded twins) or out of reach (serial)
    rng = np.random.default_rng(7)
    masks = rng.random((12, 31, 17)) < (0.03 if thin else 0.5)
    masks[3] = np.indices((31, 17)).sum(axis=0) % 2  # a long string: encoded a second time
    monkeypatch.setattr(rle_kernels, "_ENCODE_CAP", 64)
    crowd = np.arange(5) % 2 == 1
    results = []
    for limit in (0, 1 << 62):
        for name in ("_PARALLEL_PIXELS", "_PARALLEL_RUNS", "_PARALLEL_PAIRS", "_PARALLEL_BYTES"):
            monkeypatch.setattr(rle_kernels, name, limit)
        monkeypatch.setattr(rle_kernels, "_PARALLEL_INTERVALS", limit)
        results.append(_all_functions(masks, crowd))
    for threaded, serial in zip(*results, strict=True):
        if isinstance(threaded, np.ndarray):
            np.testing.assert_array_equal(threaded, serial)
        else:
            assert threaded == serial
    np.testing.assert_array_equal(results[0][1], masks)


def test_import_does_not_load_numba() -> None:
    code = "import sys, ioukit.geometry.rle; print('numba' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ------------------------------------------------------------------------------ properties

masks_2d = hnp.arrays(np.bool_, hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=24))


@SETTINGS
@given(masks_2d)
def test_roundtrip_encode_decode(m: np.ndarray) -> None:
    r = rle.encode(m)
    np.testing.assert_array_equal(rle.decode(r), m)
    assert rle.area(r) == int(m.sum())
    # compress is the identity on compressed counts, and json keeps them
    assert rle.compress(r) == r == json.loads(json.dumps(r))


@SETTINGS
@given(masks_2d)
def test_bbox_matches_pixels(m: np.ndarray) -> None:
    box = rle.to_bbox(rle.encode(m))
    ys, xs = np.nonzero(m)
    if ys.size == 0:
        np.testing.assert_array_equal(box, np.zeros(4))
    else:
        expected = [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
        np.testing.assert_array_equal(box, expected)


@SETTINGS
@given(st.data())
def test_iou_merge_match_dense_oracle(data: st.DataObject) -> None:
    h = data.draw(st.integers(1, 12))
    w = data.draw(st.integers(1, 12))
    nd = data.draw(st.integers(0, 4))
    ng = data.draw(st.integers(0, 4))
    dm = data.draw(hnp.arrays(np.bool_, (nd, h, w)))
    gm = data.draw(hnp.arrays(np.bool_, (ng, h, w)))
    crowd = data.draw(hnp.arrays(np.bool_, (ng,)))
    out = rle.iou(rle.encode(dm), rle.encode(gm), crowd=crowd)
    expected = np.zeros((nd, ng))
    for i in range(nd):
        for j in range(ng):
            inter = int((dm[i] & gm[j]).sum())
            union = int(dm[i].sum()) if crowd[j] else int((dm[i] | gm[j]).sum())
            expected[i, j] = inter / union if inter else 0.0
    np.testing.assert_array_equal(out, expected)
    if nd:
        both = rle.encode(dm)
        np.testing.assert_array_equal(rle.decode(rle.merge(both)), dm.any(axis=0))
        np.testing.assert_array_equal(rle.decode(rle.merge(both, intersect=True)), dm.all(axis=0))
        # symmetric without crowd, and 1 on the diagonal of non-empty masks
        sym = rle.iou(both, both)
        np.testing.assert_array_equal(sym, sym.T)
        nonempty = dm.reshape(nd, -1).any(axis=1)
        np.testing.assert_array_equal(np.diag(sym)[nonempty], 1.0)


# ------------------------------------------------------------------------------ bad input


def test_encode_bad_input() -> None:
    with pytest.raises(InputError, match=r"encode: `mask` must hold only 0 and 1.*\[0, 1, 2\]"):
        rle.encode(np.array([[0, 1], [2, 1]], dtype=np.uint8))
    with pytest.raises(InputError, match=r"mask 1 of the stack"):
        rle.encode(np.array([[[0]], [[3]]], dtype=np.int64))
    with pytest.raises(InputError, match=r"\[-1, 0\]"):
        rle.encode(np.array([[0, -1]], dtype=np.int8))
    with pytest.raises(InputError, match=r"shape \(H, W\) or \(N, H, W\).*got shape \(5,\)"):
        rle.encode(np.zeros(5, bool))
    with pytest.raises(InputError, match=r"dtype float64"):
        rle.encode(np.zeros((2, 2)))


def test_rle_bad_input() -> None:
    with pytest.raises(InputError, match=r"add up to h \* w = 6 .*they add up to 5"):
        rle.decode({"size": [2, 3], "counts": [1, 2, 2]})
    with pytest.raises(InputError, match=r"`rle\[1\]`.*add up to h \* w = 4"):
        rle.area([{"size": [2, 2], "counts": "4"}, {"size": [2, 2], "counts": "3"}])
    with pytest.raises(InputError, match=r"character outside"):
        rle.area({"size": [2, 2], "counts": "4 "})
    with pytest.raises(InputError, match=r"truncated string"):
        rle.area({"size": [2, 2], "counts": "P"})
    with pytest.raises(InputError, match=r"non-ASCII"):
        rle.area({"size": [2, 2], "counts": "é"})
    with pytest.raises(InputError, match=r"negative run length"):
        rle.area({"size": [2, 2], "counts": "111K"})  # run 3 = 1 - 5
    with pytest.raises(InputError, match=r"non-negative run lengths; got -1 at position 1"):
        rle.area({"size": [2, 2], "counts": [5, -1]})
    with pytest.raises(InputError, match=r"\['size'\] must be a pair of non-negative ints"):
        rle.area({"size": [2, -2], "counts": "0"})
    with pytest.raises(InputError, match=r"\['size'\] must be a pair"):
        rle.area({"size": [2.0, 2], "counts": "4"})
    with pytest.raises(InputError, match=r"keys 'size' and 'counts'.*from_polygons"):
        rle.area([[1, 2, 3, 4, 5, 6]])
    with pytest.raises(InputError, match=r"list of non-negative int run lengths; got float"):
        rle.area({"size": [1, 1], "counts": 1.5})
    with pytest.raises(InputError, match=r"must be an RLE dict"):
        rle.area("4")
    with pytest.raises(InputError, match=r"same size; `rle\[0\]` is \[1, 2\]"):
        rle.decode([{"size": [1, 2], "counts": "2"}, {"size": [2, 1], "counts": "2"}])
    with pytest.raises(ParameterError, match=r"`fmt` must be one of"):
        rle.to_bbox({"size": [1, 1], "counts": "1"}, fmt="cxcywh")


def test_iou_bad_input() -> None:
    a = {"size": [2, 2], "counts": "4"}
    b = {"size": [2, 3], "counts": "6"}
    with pytest.raises(InputError, match=r"`dt\[0\]` and `gt\[1\]` must have the same image size"):
        rle.iou([a], [a, b])
    with pytest.raises(InputError, match=r"`dt\[1\]` and `gt\[0\]`.*\[2, 3\] and \[2, 2\]"):
        rle.iou([a, b], [a])
    with pytest.raises(
        InputError, match=r"one flag per ground truth \(length 2\); got shape \(1,\)"
    ):
        rle.iou([a], [a, a], crowd=[1])
    with pytest.raises(InputError, match=r"ints 0 and 1; got values \[0, 2\]"):
        rle.iou([a], [a, a], crowd=[0, 2])
    with pytest.raises(InputError, match=r"dtype float64"):
        rle.iou([a], [a], crowd=[0.5])
    with pytest.raises(InputError, match=r"`gt\[0\]`.*add up to h \* w = 4"):
        rle.iou([a], [{"size": [2, 2], "counts": "5"}])


def test_merge_bad_input() -> None:
    a = {"size": [2, 2], "counts": "4"}
    with pytest.raises(InputError, match=r"at least one RLE"):
        rle.merge([])
    with pytest.raises(InputError, match=r"same size"):
        rle.merge([a, {"size": [4, 1], "counts": "4"}])
    with pytest.raises(InputError, match=r"got a single dict"):
        rle.merge(a)  # type: ignore[arg-type]


def test_polygon_bad_input() -> None:
    with pytest.raises(InputError, match=r"flat list of numbers.*Wrap one polygon"):
        rle.from_polygons([1, 1, 4, 1, 4, 3], 4, 5)
    with pytest.raises(InputError, match=r"`polygons\[0\]` must hold an even number"):
        rle.from_polygons([[1, 1, 4, 1, 4]], 4, 5)
    with pytest.raises(InputError, match=r"at least 3 vertices.*from_boxes"):
        rle.from_polygons([[1, 1, 4, 3]], 4, 5)
    with pytest.raises(InputError, match=r"`polygons\[1\]` must hold finite"):
        rle.from_polygons([[0, 0, 1, 0, 1, 1], [0, 0, np.nan, 0, 1, 1]], 4, 5)
    with pytest.raises(InputError, match=r"`h` must be a non-negative int"):
        rle.from_polygons([], -1, 5)
    with pytest.raises(InputError, match=r"`w` must be a non-negative int"):
        rle.from_boxes([0, 0, 1, 1], 4, 2.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"non-negative width and height; box 1"):
        rle.from_boxes([[0, 0, 1, 1], [0, 0, -1, 1]], 4, 5)
    with pytest.raises(InputError, match=r"shape \(4,\) or \(N, 4\)"):
        rle.from_boxes([[0, 0, 1]], 4, 5)
