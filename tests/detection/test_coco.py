"""coco_evaluate on hand-computed cases (each of COCO's quirks), its result object, and its
errors on bad input."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import ioukit
from ioukit import InputError, ParameterError, rle

EPS = np.spacing(1)  # COCO's precision is tp / (tp + fp + eps)


def _gt(boxes: list[list[float]], *, cats: list[int] | None = None, **extra: Any) -> dict[str, Any]:
    """One 200x200 image (id 1) with these boxes, area = w * h unless given."""
    cats = cats or [1] * len(boxes)
    anns = [
        {"id": i + 1, "image_id": 1, "category_id": c, "bbox": b, "area": b[2] * b[3],
         "iscrowd": 0}
        for i, (b, c) in enumerate(zip(boxes, cats, strict=True))
    ]  # fmt: skip
    for i, fields in extra.items():
        anns[int(i[1:])].update(fields)
    return {
        "images": [{"id": 1, "height": 200, "width": 200}, {"id": 2, "height": 200, "width": 200}],
        "annotations": anns,
        "categories": [{"id": c, "name": f"c{c}"} for c in sorted(set(cats))],
    }


def _det(box: list[float], score: float, *, image: int = 1, cat: int = 1) -> dict[str, Any]:
    return {"image_id": image, "category_id": cat, "bbox": box, "score": score}


def test_area_on_a_bound_is_small_and_medium() -> None:
    # GT area 1024 = 32²: inside [0, 1024] (small) and [1024, 9216] (medium), both inclusive
    gt = _gt([[10, 10, 32, 32]])
    r = ioukit.coco_evaluate(gt, [_det([10, 10, 32, 32], 0.9)])
    one = 1 / (1 + EPS)
    assert r.stats[3] == one  # APs
    assert r.stats[4] == one  # APm
    assert r.stats[5] == -1  # APl: no ground truth in range
    assert r.stats[9] == r.stats[10] == 1.0


def test_ignore_flag_is_overwritten_by_iscrowd() -> None:
    # the second GT says ignore=1 but is not a crowd: COCO counts it, so recall is 1/2
    gt = _gt([[0, 0, 10, 10], [50, 50, 10, 10]], g1={"ignore": 1})
    r = ioukit.coco_evaluate(gt, [_det([0, 0, 10, 10], 0.9)])
    assert r.stats[8] == 0.5


def _mask_case(with_boxes: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    gt = _gt([[0, 0, 30, 30]], g0={"segmentation": [[0, 0, 30, 0, 30, 30, 0, 30]], "area": 900})
    m1 = np.zeros((200, 200), bool)
    m1[:30, :30] = True  # the GT's mask
    m2 = np.zeros((200, 200), bool)
    m2[100:110, 100:110] = True  # 100 pixels far away: a false positive
    dt = [
        {"image_id": 1, "category_id": 1, "segmentation": rle.encode(m2), "score": 0.9},
        {"image_id": 1, "category_id": 1, "segmentation": rle.encode(m1), "score": 0.5},
    ]
    if with_boxes:
        dt[0]["bbox"] = [60, 60, 50, 50]  # area 2500: medium
        dt[1]["bbox"] = [0, 0, 30, 30]
    return gt, dt


def test_results_with_a_box_take_the_box_area() -> None:
    # segm branch: the false positive has its mask area 100 (small), ranks first: in "small",
    # precision is 1/2 when the GT is found -> APs = 0.5 (at every IoU threshold)
    r = ioukit.coco_evaluate(*_mask_case(False), iou_type="segm")
    assert r.stats[3] == 1 / (2 + EPS)
    # bbox branch: its area is the box's, 2500 (medium): unmatched and outside "small", it is
    # ignored there -> APs = 1; it still counts in "all"
    r = ioukit.coco_evaluate(*_mask_case(True), iou_type="segm")
    assert r.stats[3] == 1 / (1 + EPS)
    assert r.stats[0] == 1 / (2 + EPS)


def test_crowd_absorbs_any_number_of_detections() -> None:
    # 5 detections inside a crowd region (IoU = inter / det area = 1) rank above the true
    # positive; matched to an ignored (crowd) GT they are ignored: AP = 1
    gt = _gt([[0, 0, 10, 10], [50, 50, 60, 60]], g1={"iscrowd": 1})
    dt = [_det([55 + 5 * i, 60, 10, 10], 0.95) for i in range(5)] + [_det([0, 0, 10, 10], 0.5)]
    r = ioukit.coco_evaluate(gt, dt)
    assert r.stats[0] == 1 / (1 + EPS)
    # as a regular GT the region matches none of them (IoU 100/3600 < .5) and is missed:
    # 5 FPs, then the TP at recall 1/2 with precision 1/6, for the 51 levels 0..0.5
    gt["annotations"][1]["iscrowd"] = 0
    r = ioukit.coco_evaluate(gt, dt)
    assert r.stats[0] == pytest.approx(51 / 101 / 6)


@pytest.mark.parametrize(
    ("tp_first", "expected"),
    [(True, 51 / 101 / (1 + EPS)), (False, 51 * (1 / (2 + EPS)) / 101)],
)
@pytest.mark.parametrize("across_images", [True, False])
def test_tie_order(tp_first: bool, expected: float, across_images: bool) -> None:
    # two GTs; a TP and an FP of equal score. Recall 1/2 is reached at the TP: precision 1
    # there if the TP comes first (AP50 = 51/101 = 0.505: recall levels 0..0.5), 1/2 if the FP
    # comes first (0.2525). Ties keep image order (sorted ids), then file order.
    gt = _gt([[0, 0, 10, 10], [100, 100, 10, 10]])
    tp = _det([0, 0, 10, 10], 0.5)
    fp = _det([150, 150, 10, 10], 0.5)
    if across_images:
        gt["annotations"][1]["image_id"] = 2
        fp["image_id"] = 2
        if not tp_first:  # make the TP's image the later one
            for a in gt["annotations"]:
                a["image_id"] = 3 - a["image_id"]
            tp["image_id"], fp["image_id"] = 2, 1
        dt = [fp, tp]  # file order does not matter across images
    else:
        dt = [tp, fp] if tp_first else [fp, tp]
    r = ioukit.coco_evaluate(gt, dt)
    assert r.stats[1] == pytest.approx(expected, rel=0, abs=0)


def test_max_dets_is_per_category() -> None:
    # 60 GT + 60 perfect detections in each of 2 categories (120 in the image): all kept
    boxes = [[10.0 * (i % 15), 10.0 * (i // 15), 8, 8] for i in range(120)]
    cats = [1] * 60 + [2] * 60
    gt = _gt(boxes, cats=cats)
    dt = [_det(b, 0.5 + i / 1000, cat=c) for i, (b, c) in enumerate(zip(boxes, cats, strict=True))]
    r = ioukit.coco_evaluate(gt, dt)
    assert r.stats[0] == 1.0  # precision n / (n + eps) is exactly 1 for n >= 2
    assert r.stats[8] == 1.0


def test_stat_zero_needs_max_dets_100() -> None:
    gt = _gt([[0, 0, 10, 10]])
    r = ioukit.coco_evaluate(gt, [_det([0, 0, 10, 10], 0.9)], max_dets=(1, 10))
    assert r.stats[0] == -1  # read at maxDets=100, absent
    assert r.stats[6] == r.stats[7] == 1.0
    assert r.stats[8] == -1  # no third max_dets (pycocotools raises IndexError)
    assert "maxDets= -1 ] = -1.000" in r.summary()


def test_result_object() -> None:
    gt = _gt([[0, 0, 10, 10], [50, 50, 20, 20], [0, 100, 100, 100]], cats=[1, 1, 3])
    dt = [_det([0, 0, 10, 10], 0.9), _det([52, 50, 20, 20], 0.8), _det([0, 0, 9, 9], 0.7, cat=3)]
    r = ioukit.coco_evaluate(gt, dt)
    assert r.precision.shape == (10, 101, 2, 4, 3)
    assert r.scores.shape == (10, 101, 2, 4, 3)
    assert r.recall.shape == (10, 2, 4, 3)
    rows = r.per_category()
    assert [row["category_id"] for row in rows] == [1, 3]
    assert [row["name"] for row in rows] == ["c1", "c3"]
    assert rows[1]["AP"] == 0.0  # its detection misses
    assert rows[1]["AR100"] == 0.0
    # category 1: GT 2 found at IoU 18*20/(22*20) = 0.818.., i.e. at the 7 thresholds up to
    # 0.8: AP50 = AP75 = 1, AR100 = (7 * 1 + 3 * 1/2) / 10
    assert rows[0]["AP50"] == rows[0]["AP75"] == 1.0
    assert rows[0]["AR100"] == pytest.approx(0.85)
    # the overall stats are means over the categories' slices
    assert r.stats[1] == pytest.approx((rows[0]["AP50"] + rows[1]["AP50"]) / 2)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["stats"] == r.stats.tolist()
    assert d["params"]["max_dets"] == [1, 10, 100]
    assert d["params"]["area_ranges"]["medium"] == [1024.0, 9216.0]
    assert np.array_equal(np.array(d["precision"]), r.precision)
    assert r.params.iou_thresholds[8] == 0.8999999999999999
    assert "AP50=" in repr(r)


def test_paths(tmp_path: Any) -> None:
    gt = _gt([[0, 0, 10, 10]])
    dt = [_det([0, 0, 10, 10], 0.9)]
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    r = ioukit.coco_evaluate(str(tmp_path / "gt.json"), tmp_path / "dt.json")
    assert np.array_equal(r.stats, ioukit.coco_evaluate(gt, dt).stats)


def _raises(match: str, gt: Any, dt: Any, error: type = InputError, **kw: Any) -> None:
    with pytest.raises(error, match=match):
        ioukit.coco_evaluate(gt, dt, **kw)


def test_bad_input() -> None:
    gt = _gt([[0, 0, 10, 10]])
    ok = _det([0, 0, 10, 10], 0.9)
    _raises(r"coco_evaluate: `dt` \(the results\) is empty", gt, [])
    _raises(
        r"`dt\[1\]` has image_id 7, which is not an image of `gt`",
        gt,
        [ok, _det([0, 0, 1, 1], 0.5, image=7)],
    )
    no_score = {"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}
    _raises(r"`dt\[1\]` must have a 'score' field", gt, [ok, no_score])
    _raises(
        r"`dt\[1\]\['score'\]` must be a finite number; got nan",
        gt,
        [ok, _det([0, 0, 1, 1], float("nan"))],
    )
    _raises(
        r"`dt\[1\]\['bbox'\]` must be \[x, y, width, height\].*got \[0, 0, -1, 1\]",
        gt,
        [ok, _det([0, 0, -1, 1], 0.5)],
    )
    _raises(r"`dt\[0\]\['bbox'\]`.*got \[0, 0, nan, 1\]", gt, [_det([0, 0, float("nan"), 1], 0.5)])
    _raises(
        r"`iou_type` must be one of \['bbox', 'segm', 'boundary', 'keypoints'\]; got 'mask'",
        gt,
        [ok],
        ParameterError,
        iou_type="mask",
    )
    _raises(
        r"`max_dets` must be a non-empty sequence of positive ints",
        gt,
        [ok],
        ParameterError,
        max_dets=(0, 10),
    )
    _raises(
        r"`iou_thresholds` must be a non-empty sequence of numbers in \[0, 1\]",
        gt,
        [ok],
        ParameterError,
        iou_thresholds=[1.5],
    )
    _raises(
        r"`area_ranges` must be a non-empty dict",
        gt,
        [ok],
        ParameterError,
        area_ranges={"all": (5, 1)},
    )
    dup = _gt([[0, 0, 10, 10]])
    dup["images"].append({"id": 1, "height": 5, "width": 5})
    _raises(
        r"`gt\['images'\]` must have distinct ids; image id 1 appears again at "
        r"`gt\['images'\]\[2\]`",
        dup,
        [ok],
    )
    no_area = _gt([[0, 0, 10, 10]])
    del no_area["annotations"][0]["area"]
    _raises(r"`gt\['annotations'\]\[0\]` must have a 'area' field", no_area, [ok])
    _raises(r"`gt` must be a path or a dict", [gt], [ok])
    _raises(r"cannot read `dt` from", gt, "/nonexistent/dt.json")


def test_bad_masks() -> None:
    gt = _gt([[0, 0, 30, 30]], g0={"segmentation": [[0, 0, 30, 0, 30, 30, 0, 30]]})
    wrong = {
        "image_id": 1,
        "category_id": 1,
        "score": 0.5,
        "segmentation": rle.encode(np.ones((100, 200), bool)),
    }
    _raises(
        r"`dt\[0\]\['segmentation'\]` has size \[100, 200\], but its image 1 is \[200, 200\]",
        gt,
        [wrong],
        iou_type="segm",
    )
    no_mask = {"image_id": 1, "category_id": 1, "score": 0.5}
    _raises(
        r"`dt\[0\]` must have a 'bbox' or a 'segmentation' field", gt, [no_mask], iou_type="segm"
    )
