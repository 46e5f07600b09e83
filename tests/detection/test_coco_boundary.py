"""Boundary AP IoU matrices from RLE masks (ioukit.detection._coco_boundary).

The reference is boundary-iou-api (bowenc0221/boundary-iou-api): ``mask_to_boundary`` in
``boundary_iou/utils/boundary_utils.py`` (1-pixel zero border with ``cv2.copyMakeBorder``,
``cv2.erode`` with a 3×3 ones kernel ``d`` times, crop, ``mask - eroded``, ``d`` from the image
size) and ``computeBoundaryIoU`` in ``boundary_iou/coco_instance_api/cocoeval.py``
(``maskUtils.iou`` of the masks and of the bands with the crowd flags; non-crowd columns take
the minimum, crowd columns keep the mask IoU). Both are transcribed below; ``maskUtils.iou`` is
:func:`ioukit.rle.iou`, identical to pycocotools' (tests/geometry/test_rle.py).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ioukit import InputError, ParameterError, rle
from ioukit.detection._coco_boundary import boundary_cell_ious, boundary_ious, boundary_rles
from ioukit.geometry.boundary import _dilation, boundary_band

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ----------------------------------------------------------------------------- the reference


def _mask_to_boundary(mask: np.ndarray, ratio: float) -> np.ndarray:
    """boundary-iou-api's ``mask_to_boundary`` on one ``(H, W)`` 0/1 mask, as bool."""
    cv2 = pytest.importorskip("cv2")
    m = mask.astype(np.uint8)
    h, w = m.shape
    img_diag = np.sqrt(h**2 + w**2)
    dilation = int(round(ratio * img_diag))  # noqa: RUF046 - as in the reference
    if dilation < 1:
        dilation = 1
    new_mask = cv2.copyMakeBorder(m, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    kernel = np.ones((3, 3), dtype=np.uint8)
    new_mask_erode = cv2.erode(new_mask, kernel, iterations=dilation)
    mask_erode = new_mask_erode[1 : h + 1, 1 : w + 1]
    return (m - mask_erode).astype(bool)


def _compute_boundary_iou(dms: list, gms: list, crowd: np.ndarray, ratio: float) -> np.ndarray:
    """``computeBoundaryIoU`` of one cell of dense masks (the boundaries encoded as RLEs)."""
    d_m = [rle.encode(m) for m in dms]
    g_m = [rle.encode(m) for m in gms]
    d_b = [rle.encode(_mask_to_boundary(m, ratio)) for m in dms]
    g_b = [rle.encode(_mask_to_boundary(m, ratio)) for m in gms]
    mask_ious = rle.iou(d_m, g_m, crowd=crowd)
    boundary_ious = rle.iou(d_b, g_b, crowd=crowd)
    ious = mask_ious
    ious[:, ~crowd] = np.minimum(mask_ious[:, ~crowd], boundary_ious[:, ~crowd])
    return ious


def _random_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Empty, a few rectangles and discs (some touching the border), rings, noise."""
    m = np.zeros((h, w), dtype=bool)
    kind = rng.integers(0, 6)
    if kind == 0:
        return m
    yy, xx = np.mgrid[:h, :w]
    for _ in range(rng.integers(1, 4)):
        cy, cx = rng.uniform(-0.2, 1.2) * h, rng.uniform(-0.2, 1.2) * w
        ry, rx = rng.uniform(0.5, 0.6 * h + 1), rng.uniform(0.5, 0.6 * w + 1)
        if kind == 1:
            m[int(max(cy - ry, 0)) : int(cy + ry) + 1, int(max(cx - rx, 0)) : int(cx + rx) + 1] = 1
        else:
            r2 = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
            m |= (r2 <= 1) & ((r2 >= 0.3) if kind == 3 else True)
    if kind == 4:
        m ^= rng.random((h, w)) < 0.05
    if kind == 5:
        m |= rng.random((h, w)) < 0.3
    return m


def _cells(rng: np.random.Generator, n_cells: int, max_side: int, crowd_rate: float = 0.3):
    """Random cells: (dense dets, dense gts, crowd, (h, w)) each."""
    out = []
    for _ in range(n_cells):
        h, w = (int(v) for v in rng.integers(1, max_side, 2))
        nd, ng = int(rng.integers(0, 5)), int(rng.integers(0, 5))
        dms = [_random_mask(rng, h, w) for _ in range(nd)]
        gms = [_random_mask(rng, h, w) for _ in range(ng)]
        # detections that overlap the ground truths: shifted copies
        dms += [np.roll(g, tuple(rng.integers(-2, 3, 2)), axis=(0, 1)) for g in gms[:2]]
        out.append((dms, gms, rng.random(ng) < crowd_rate, (h, w)))
    return out


def _flatten(cells):
    """boundary_ious' arguments for cells from :func:`_cells`."""
    dts, gts, crowd, sizes = [], [], [], []
    dt_off, gt_off, iou_off = [0], [0], [0]
    for dms, gms, cr, size in cells:
        dts += [rle.encode(m) for m in dms]
        gts += [rle.encode(m) for m in gms]
        crowd += list(cr)
        sizes.append(list(size))
        dt_off.append(dt_off[-1] + len(dms))
        gt_off.append(gt_off[-1] + len(gms))
        iou_off.append(iou_off[-1] + len(dms) * len(gms))
    return dts, gts, np.array(crowd, bool), dt_off, gt_off, iou_off, np.array(sizes).reshape(-1, 2)


# ----------------------------------------------------------------------------- hand-computed


def test_hand_computed_cell() -> None:
    # 20×20 image, ratio 0.05: d = round(0.05 * sqrt(800)) = round(1.414) = 1.
    # a: the 10×10 square rows 5-14, cols 5-14; its band (d = 1) is the 36-pixel ring.
    # b: a shifted one column right. mask IoU = 90 / 110; the rings share the 9 + 9 pixels of
    # the top and bottom edges at cols 6-14 (the left/right edges do not meet), so band IoU =
    # 18 / (36 + 36 - 18) = 1/3 -> min = 1/3.
    # c (crowd): cols 0-15 of every row, 320 pixels, holds a: crowd IoU = |a ∩ c| / |a| = 1.
    # Its band (cols 0-15 of rows 0 and 19, col 15, col 0) misses a's ring entirely, band IoU
    # 0, which the reference computes and discards in crowd columns.
    # e: an empty ground truth: 0.
    a = np.zeros((20, 20), bool)
    a[5:15, 5:15] = True
    b = np.roll(a, 1, axis=1)
    c = np.zeros((20, 20), bool)
    c[:, :16] = True
    e = np.zeros((20, 20), bool)
    got = boundary_cell_ious(
        [rle.encode(a)],
        [rle.encode(b), rle.encode(c), rle.encode(e)],
        [False, True, False],
        20,
        20,
        dilation_ratio=0.05,
    )
    assert got.shape == (1, 3)
    assert got[0, 0] == 18 / 54
    assert got[0, 1] == 1.0
    assert got[0, 2] == 0.0


def test_band_wider_than_mask_is_the_mask() -> None:
    # d = round(0.3 * sqrt(2 * 30²)) = round(12.73) = 13: a 10×10 square is all band, so the
    # band IoU equals the mask IoU: squares overlapping in 10×5 pixels: 50 / 150
    a = np.zeros((30, 30), bool)
    a[10:20, 10:20] = True
    b = np.roll(a, 5, axis=1)
    (band,) = boundary_rles([rle.encode(a)], 30, 30, dilation_ratio=0.3)
    assert band["counts"] == rle.encode(a)["counts"]
    got = boundary_cell_ious([rle.encode(a)], [rle.encode(b)], [0], 30, 30, dilation_ratio=0.3)
    assert got[0, 0] == 50 / 150


def test_one_pixel_image_and_empty_cells() -> None:
    one = {"size": [1, 1], "counts": "01"}  # the single pixel set: its own band
    zero = {"size": [1, 1], "counts": "1"}
    assert boundary_rles([one, zero], 1, 1)[0]["counts"] == "01"
    assert boundary_rles([one, zero], 1, 1)[1]["counts"] == "1"
    np.testing.assert_array_equal(
        boundary_cell_ious([one, zero], [one, zero], [False, False], 1, 1),
        [[1.0, 0.0], [0.0, 0.0]],
    )
    assert boundary_cell_ious([], [one], [False], 1, 1).shape == (0, 1)
    assert boundary_cell_ious([one], [], [], 1, 1).shape == (1, 0)
    # no cells at all, and cells without pairs
    assert boundary_ious([], [], [], [0], [0], [0], np.zeros((0, 2), int)).shape == (0,)
    out = boundary_ious([one], [zero], [False], [0, 1, 1], [0, 0, 1], [0, 0, 0], [[1, 1]] * 2)
    assert out.shape == (0,)


def test_empty_image_size() -> None:
    empty = {"size": [0, 5], "counts": "0"}
    assert boundary_rles([empty], 0, 5)[0] == {"size": [0, 5], "counts": "0"}
    assert boundary_cell_ious([empty], [empty], [False], 0, 5)[0, 0] == 0.0


# ----------------------------------------------------------------------------- the bands


def test_bands_equal_mask_to_boundary() -> None:
    # the band RLEs are pycocotools' encoding of the reference's band, string for string
    rng = np.random.default_rng(0)
    for _ in range(300):
        h, w = (int(v) for v in rng.integers(1, 50, 2))
        ratio = float(rng.choice([0.005, 0.02, 0.05, 0.1, 0.3]))
        masks = [_random_mask(rng, h, w) for _ in range(3)]
        got = boundary_rles([rle.encode(m) for m in masks], h, w, dilation_ratio=ratio)
        for m, band in zip(masks, got, strict=True):
            assert band == rle.encode(_mask_to_boundary(m, ratio)), (h, w, ratio)


def test_crop_equals_full_image() -> None:
    # computed in each mask's box = computed on the whole image (ioukit.boundary_band, whose
    # own tests hold it to the reference); masks touching every border, and large d
    rng = np.random.default_rng(1)
    for _ in range(100):
        h, w = (int(v) for v in rng.integers(1, 90, 2))
        ratio = float(rng.choice([0.01, 0.02, 0.1]))
        masks = np.stack([_random_mask(rng, h, w) for _ in range(4)])
        masks[0, 0, :] = masks[0, -1, :] = masks[0, :, 0] = masks[0, :, -1] = True
        got = [rle.decode(r) for r in boundary_rles(rle.encode(masks), h, w, dilation_ratio=ratio)]
        np.testing.assert_array_equal(np.stack(got), boundary_band(masks, dilation_ratio=ratio))


def test_column_and_row_paths_agree() -> None:
    # a mask with one run per column takes the O(columns) path, any other the O(area) one;
    # masks of both kinds (an ellipse; the same ellipse with a hole) against the full image
    yy, xx = np.mgrid[:120, :150]
    ellipse = ((yy - 60) / 50) ** 2 + ((xx - 70) / 65) ** 2 <= 1
    holed = ellipse & (((yy - 60) / 15) ** 2 + ((xx - 70) / 20) ** 2 > 1)
    masks = np.stack([ellipse, holed, ellipse[::-1, ::-1]])
    for ratio in (0.005, 0.02, 0.08):
        got = [
            rle.decode(r) for r in boundary_rles(rle.encode(masks), 120, 150, dilation_ratio=ratio)
        ]
        np.testing.assert_array_equal(np.stack(got), boundary_band(masks, dilation_ratio=ratio))


def test_comb_mask_needs_more_room() -> None:
    # solid columns between combs of 3-on/1-off runs, d = 1: the eroded rows of every column
    # have a hole every 4 rows, so the band has more intervals than the room first laid out
    # (two per run of each column, plus two per column); such masks are computed again
    m = np.zeros((60, 40), bool)
    m[2:58, 5:25] = True
    m[2:58, 6:25:2] = (np.arange(2, 58) % 4 != 0)[:, None]
    ratio = 1 / math.hypot(60, 40)  # d = 1
    (band,) = boundary_rles([rle.encode(m)], 60, 40, dilation_ratio=ratio)
    assert band == rle.encode(_mask_to_boundary(m, ratio))

    def intervals(mask: np.ndarray) -> int:  # runs of ones, column-major
        return int(np.count_nonzero(np.diff(mask.T.reshape(-1).astype(np.int8), prepend=0) == 1))

    assert intervals(rle.decode(band)) > 2 * (intervals(m) + 20)


def test_touching_intervals_in_an_index() -> None:
    # an index whose intervals touch (each one cut in two) gives the canonical band: the
    # kernels take indexes from other producers (polygon rasters, concatenated indexes)
    from ioukit.kernels import boundary as kernels
    from ioukit.kernels.rle import index_strings

    rng = np.random.default_rng(7)
    for _ in range(40):
        h, w = (int(v) for v in rng.integers(1, 40, 2))
        m = _random_mask(rng, h, w)
        counts = rle.encode(m)["counts"].encode()
        buf = np.frombuffer(counts, np.uint8)
        starts, ends, _, icount, area, bbox, _, _ = index_strings(
            buf, np.array([0, len(counts)]), np.array([h])
        )
        s, e = starts[: icount[0]], ends[: icount[0]]
        cut = np.maximum((s + e) // 2, s + 1)
        split_s = np.stack([s, cut], axis=1).reshape(-1)
        split_e = np.stack([np.minimum(cut, e), e], axis=1).reshape(-1)
        keep = split_e > split_s
        split = (split_s[keep], split_e[keep], np.array([0, keep.sum()]), np.array([keep.sum()]))
        d = _dilation(h, w, 0.05)
        bands = kernels.band_intervals((*split, area, bbox), np.array([h]), np.array([d]),
                                       np.array([True]))  # fmt: skip
        got = np.zeros(h * w, bool)
        for a, b in zip(bands.bs[: bands.bcount[0]], bands.be[: bands.bcount[0]], strict=True):
            got[a:b] = True
        want = boundary_band(m, dilation_ratio=0.05)
        np.testing.assert_array_equal(got.reshape(w, h).T, want)
        assert bands.barea[0] == want.sum()


# ----------------------------------------------------------------------------- the matrices


def test_cells_equal_compute_boundary_iou() -> None:
    rng = np.random.default_rng(2)
    cells = _cells(rng, 120, 40)
    for ratio in (0.02, 0.1):
        got = boundary_ious(*_flatten(cells), dilation_ratio=ratio)
        want = [
            _compute_boundary_iou(dms, gms, crowd, ratio).reshape(-1)
            for dms, gms, crowd, _ in cells
        ]
        np.testing.assert_array_equal(got, np.concatenate(want))
        assert got.dtype == np.float64


def test_mask_iou_is_rle_iou_bit_for_bit() -> None:
    # crowd columns are rle.iou exactly; non-crowd ones are rle.iou or the band IoU, and never
    # above the mask IoU
    rng = np.random.default_rng(3)
    for dms, gms, crowd, (h, w) in _cells(rng, 60, 60, crowd_rate=0.5):
        if not (dms and gms):
            continue
        d_r, g_r = [rle.encode(m) for m in dms], [rle.encode(m) for m in gms]
        got = boundary_cell_ious(d_r, g_r, crowd, h, w)
        mask = rle.iou(d_r, g_r, crowd=crowd)
        np.testing.assert_array_equal(got[:, crowd], mask[:, crowd])
        assert np.all(got <= mask)


def test_batched_equals_per_cell() -> None:
    rng = np.random.default_rng(4)
    cells = _cells(rng, 40, 30)
    flat = boundary_ious(*_flatten(cells))
    per_cell = [
        boundary_cell_ious(
            [rle.encode(m) for m in dms], [rle.encode(m) for m in gms], crowd, h, w
        ).reshape(-1)
        for dms, gms, crowd, (h, w) in cells
    ]
    np.testing.assert_array_equal(flat, np.concatenate(per_cell))


def test_uncompressed_and_bytes_counts() -> None:
    # a crowd annotation with list counts, and bytes counts (pycocotools' encode)
    a = np.zeros((8, 9), bool)
    a[2:7, 1:8] = True
    # column-major runs: column 0's 8 zeros and 2 on top of column 1, then in each of columns
    # 1-7 five ones and three zeros (the last row and the first two of the next column), and
    # the last row of column 7 with column 8: 10 + 7 * 5 + 6 * 3 + 9 = 72 = 8 * 9
    crowd_rle = {"size": [8, 9], "counts": [10, *[5, 3] * 6, 5, 9]}
    assert rle.area(crowd_rle) == 35
    assert rle.compress(crowd_rle) == rle.encode(a)
    as_bytes = {"size": [8, 9], "counts": rle.encode(a)["counts"].encode()}
    got = boundary_cell_ious([as_bytes], [crowd_rle, rle.encode(a)], [True, False], 8, 9)
    np.testing.assert_array_equal(got, [[1.0, 1.0]])


@SETTINGS
@given(
    hnp.arrays(np.bool_, st.tuples(st.integers(2, 3), st.integers(1, 14), st.integers(1, 14))),
    st.sampled_from([0.01, 0.05, 0.2]),
)
def test_properties(masks: np.ndarray, ratio: float) -> None:
    _, h, w = masks.shape
    rles = rle.encode(masks)
    got = [rle.decode(r) for r in boundary_rles(rles, h, w, dilation_ratio=ratio)]
    np.testing.assert_array_equal(np.stack(got), boundary_band(masks, dilation_ratio=ratio))
    ious = boundary_cell_ious(rles, rles, [False] * len(rles), h, w, dilation_ratio=ratio)
    assert np.all((ious >= 0) & (ious <= 1))
    np.testing.assert_array_equal(ious, ious.T)  # symmetric without crowd
    nonempty = masks.reshape(len(masks), -1).any(axis=1)
    np.testing.assert_array_equal(np.diag(ious), nonempty.astype(float))  # J(A, A) = 1


# ----------------------------------------------------------------------------- bad input


def test_bad_input() -> None:
    a = rle.encode(np.ones((4, 5), bool))
    with pytest.raises(InputError, match=r"boundary_ious: `dt_rles\[0\]` has size \[4, 5\]"):
        boundary_cell_ious([a], [a], [False], 5, 4)
    with pytest.raises(InputError, match=r"`dt_rles\[1\]`\['counts'\] must be a COCO counts"):
        boundary_cell_ious([a, {"size": [4, 5], "counts": "0{"}], [a], [False], 4, 5)
    with pytest.raises(InputError, match=r"`gt_rles\[0\]` must add up to h \* w = 20"):
        boundary_cell_ious([a], [{"size": [4, 5], "counts": "05"}], [False], 4, 5)
    with pytest.raises(InputError, match=r"`dt_rles\[0\]` must be an RLE dict"):
        boundary_cell_ious([[0, 1]], [a], [False], 4, 5)
    with pytest.raises(InputError, match="`gt_crowd` must hold one flag per ground truth"):
        boundary_cell_ious([a], [a], [False, True], 4, 5)
    with pytest.raises(InputError, match=r"`iou_off` must be non-decreasing ints .* from 0 to 2"):
        boundary_ious([a], [a, a], [0, 0], [0, 1], [0, 2], [0, 1], [[4, 5]])
    with pytest.raises(InputError, match=r"`iou_off` must be the running sum .* \[0, 1, 1\]"):
        boundary_ious([a], [a, a], [0, 0], [0, 1, 1], [0, 1, 2], [0, 0, 1], [[4, 5]] * 2)
    with pytest.raises(InputError, match=r"`dt_off` must be non-decreasing ints of shape \(2,\)"):
        boundary_ious([a], [a], [0], [0, 2], [0, 1], [0, 1], [[4, 5]])
    with pytest.raises(InputError, match=r"`cell_sizes` must be non-negative ints"):
        boundary_ious([a], [a], [0], [0, 1], [0, 1], [0, 1], [[4.0, 5.0]])
    with pytest.raises(ParameterError, match="`dilation_ratio` must be a finite number > 0"):
        boundary_cell_ious([a], [a], [False], 4, 5, dilation_ratio=0)


# ----------------------------------------------------------------------------- faster-coco-eval


@pytest.mark.reference
def test_bands_equal_faster_coco_eval() -> None:
    fm = pytest.importorskip("faster_coco_eval.core.mask")
    rng = np.random.default_rng(5)
    for _ in range(60):
        h, w = (int(v) for v in rng.integers(40, 160, 2))
        masks = [_random_mask(rng, h, w) for _ in range(3)]
        rles = [rle.encode(m) for m in masks]
        for r, band in zip(rles, boundary_rles(rles, h, w), strict=True):
            peer = fm.rleToBoundary({"size": r["size"], "counts": r["counts"].encode()}, 0.02)
            assert band["counts"].encode() == peer["counts"]


@pytest.mark.reference
def test_faster_coco_eval_thin_image_differs() -> None:
    # faster-coco-eval 1.8's toBoundary misses band pixels in images no taller (or wider) than
    # about 2d: in a 1×8 image every pixel of the mask touches the top and bottom border, so
    # boundary-iou-api's band is the whole mask; faster-coco-eval keeps 4 of the 8 pixels.
    # ioukit follows boundary-iou-api.
    fm = pytest.importorskip("faster_coco_eval.core.mask")
    full = {"size": [1, 8], "counts": "08"}
    peer = fm.rleToBoundary({"size": [1, 8], "counts": b"08"}, 0.02)
    assert rle.area({"size": [1, 8], "counts": peer["counts"].decode()}) == 4
    assert boundary_rles([full], 1, 8)[0]["counts"] == "08"
    assert _mask_to_boundary(np.ones((1, 8), bool), 0.02).all()


@pytest.mark.reference
def test_ious_equal_faster_coco_eval_boundary() -> None:
    fce = pytest.importorskip("faster_coco_eval")
    rng = np.random.default_rng(6)
    cells = _cells(rng, 30, 120, crowd_rate=0.2)
    cells = [c for c in cells if min(c[3]) >= 40]  # see test_faster_coco_eval_thin_image_differs
    images, anns, res = [], [], []
    for i, (dms, gms, crowd, (h, w)) in enumerate(cells):
        images.append({"id": i + 1, "height": h, "width": w})
        for m, cr in zip(gms, crowd, strict=True):
            r = rle.encode(m)
            box = rle.to_bbox(r).tolist()
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": 1,
                         "segmentation": r, "area": float(rle.area(r)), "bbox": box,
                         "iscrowd": int(cr)})  # fmt: skip
        for k, m in enumerate(dms):  # scores in file order: the rows keep their order
            res.append({"image_id": i + 1, "category_id": 1, "segmentation": rle.encode(m),
                        "score": 1.0 - k / 100})  # fmt: skip
    gt = fce.COCO()
    gt.dataset = {"images": images, "annotations": copy.deepcopy(anns),
                  "categories": [{"id": 1, "name": "a"}]}  # fmt: skip
    gt.createIndex()
    ev = fce.COCOeval_faster(gt, gt.loadRes(copy.deepcopy(res)), iouType="boundary",
                             print_function=lambda *a: None)  # fmt: skip
    ev.evaluate()
    got = boundary_ious(*_flatten(cells))
    _, _, _, _, _, iou_off, _ = _flatten(cells)
    for i, (dms, gms, _, _) in enumerate(cells):
        want = np.asarray(ev.ious[(i + 1, 1)], dtype=np.float64).reshape(-1)
        if not (dms and gms):
            assert want.size == 0
            continue
        np.testing.assert_array_equal(got[iou_off[i] : iou_off[i + 1]], want)
