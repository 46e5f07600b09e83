"""COCOResult beyond the 12 numbers, on a hand-computed case: pr_curve, best_f1, matches,
per_image; and their errors."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

import ioukit
from ioukit import ParameterError
from ioukit.detection.result import COCOResult

EPS = np.spacing(1)  # COCO's precision is tp / (tp + fp + eps)

# Image 1: category 1 has GT A, B, C (ids 11, 12, 13), category 2 has GT D (id 14); image 2:
# a crowd of category 1 (id 15). Category 3 is listed but has no GT. All areas are small.
_BOXES = {11: [0, 0, 10, 10], 12: [50, 50, 10, 10], 13: [100, 100, 10, 10], 14: [0, 100, 20, 20]}
GT: dict[str, Any] = {
    "images": [{"id": 2, "height": 200, "width": 200}, {"id": 1, "height": 200, "width": 200}],
    "categories": [{"id": c, "name": f"c{c}"} for c in (1, 2, 3)],
    "annotations": [
        {"id": i, "image_id": 1, "category_id": 2 if i == 14 else 1, "bbox": b,
         "area": b[2] * b[3], "iscrowd": 0}
        for i, b in _BOXES.items()
    ]
    + [{"id": 15, "image_id": 2, "category_id": 1, "bbox": [0, 0, 50, 50], "area": 2500,
        "iscrowd": 1}],
}  # fmt: skip


def _det(img: int, cat: int, box: list[float], score: float) -> dict[str, Any]:
    return {"image_id": img, "category_id": cat, "bbox": box, "score": score}


# in a scrambled file order; the comment gives the outcome at IoU 0.5
DT = [
    _det(1, 1, [150, 150, 10, 10], 0.8),  # 0: fp
    _det(1, 2, [0, 100, 20, 20], 0.6),  # 1: tp on D (first of the 0.6 tie in file order)
    _det(1, 3, [0, 0, 10, 10], 0.95),  # 2: fp (category without GT)
    _det(1, 1, [0, 0, 10, 10], 0.9),  # 3: tp on A
    _det(1, 1, [170, 170, 5, 5], 0.6),  # 4: fp
    _det(2, 1, [0, 0, 10, 10], 0.65),  # 5: ignored (inside the crowd: IoU = 100/100)
    _det(1, 1, [50, 50, 10, 10], 0.7),  # 6: tp on B
    _det(1, 2, [100, 0, 10, 10], 0.6),  # 7: fp
    _det(1, 1, [180, 0, 5, 5], 0.5),  # 8: fp
]


@pytest.fixture(scope="module")
def result() -> COCOResult:
    return ioukit.coco_evaluate(GT, DT)


def test_matches_hand_computed(result: COCOResult) -> None:
    m = result.matches(iou=0.5)
    assert len(m) == 9
    # category, then image, then decreasing score
    assert m.dt_index.tolist() == [3, 0, 6, 4, 8, 5, 1, 7, 2]
    assert m.image_id.tolist() == [1, 1, 1, 1, 1, 2, 1, 1, 1]
    assert m.category_id.tolist() == [1, 1, 1, 1, 1, 1, 2, 2, 3]
    assert m.score.tolist() == [DT[i]["score"] for i in m.dt_index]
    assert m.status.tolist() == ["tp", "fp", "tp", "fp", "fp", "ignored", "tp", "fp", "fp"]
    assert m.gt_id.tolist() == [11, -1, 12, -1, -1, 15, 14, -1, -1]
    assert m.iou.tolist() == [1.0, 0, 1.0, 0, 0, 1.0, 1.0, 0, 0]
    assert m.gt_id.dtype == np.int64
    assert m.image_id.dtype == np.int64
    # max_dets=1: only each (image, category)'s best detection
    m1 = result.matches(iou=0.5, max_dets=1)
    assert m1.dt_index.tolist() == [3, 5, 1, 2]
    # "large": every GT is out of range (ignored) and still taken by its detection, which is
    # then ignored; the unmatched detections are small, so ignored too
    large = result.matches(area="large")
    assert set(large.status.tolist()) == {"ignored"}
    assert large.gt_id.tolist() == m.gt_id.tolist()


def test_matches_iou_of_partial_overlap() -> None:
    # detection [0, 0, 10, 8] on A: IoU 80/100; at 0.8 a match, at 0.85 not
    r = ioukit.coco_evaluate(GT, [_det(1, 1, [0, 0, 10, 8], 0.9)])
    m = r.matches(iou=0.8)
    assert (m.status.tolist(), m.gt_id.tolist()) == (["tp"], [11])
    assert m.iou.tolist() == [0.8]
    m = r.matches(iou=0.85)
    assert (m.status.tolist(), m.gt_id.tolist(), m.iou.tolist()) == (["fp"], [-1], [0])


def test_gt_with_id_zero_is_a_false_positive() -> None:
    gt = json.loads(json.dumps(GT))
    gt["annotations"][0]["id"] = 0  # A: COCO stores matches as ids, 0 meaning none
    r = ioukit.coco_evaluate(gt, [_det(1, 1, [0, 0, 10, 10], 0.9)])
    m = r.matches()
    assert (m.status.tolist(), m.gt_id.tolist()) == (["fp"], [-1])
    assert r.per_image().fn.tolist() == [4, 0]  # A, B, C and D missed in image 1


def test_per_image_hand_computed(result: COCOResult) -> None:
    c = result.per_image(iou=0.5)
    assert c.image_id.tolist() == [1, 2]  # sorted ids
    assert c.tp.tolist() == [3, 0]  # A, B, D
    assert c.fp.tolist() == [5, 0]  # #0, #4, #8, #7, #2
    assert c.n_gt.tolist() == [4, 0]  # the crowd does not count
    assert c.fn.tolist() == [1, 0]  # C
    assert c.ignored.tolist() == [0, 1]
    # max_dets=1: category 1 keeps A's detection, category 2 keeps #1, category 3 keeps #2
    c1 = result.per_image(max_dets=1)
    assert (c1.tp.tolist(), c1.fp.tolist(), c1.fn.tolist()) == ([2, 0], [1, 0], [2, 0])


def test_best_f1_hand_computed(result: COCOResult) -> None:
    out = result.best_f1(iou=0.5)
    assert json.loads(json.dumps(out, allow_nan=True))["overall"]["n_gt"] == 4
    c1, c2, c3 = out["per_category"]
    # category 1, counted detections T F T F F (0.9 .. 0.5), 3 GT: F1 = 2tp / (kept + 3)
    # = 2/4, 2/5, 4/6, 4/7, 4/8 -> best at 0.7 with P = R = 2/3
    assert c1 == {"category_id": 1, "name": "c1", "threshold": 0.7, "precision": 2 / 3,
                  "recall": 2 / 3, "f1": 4 / 6, "tp": 2, "fp": 1, "n_gt": 3}  # fmt: skip
    # category 2: both at 0.6 (one tp): the only threshold, P = 1/2, R = 1, F1 = 2/3
    assert (c2["threshold"], c2["precision"], c2["recall"], c2["f1"]) == (0.6, 0.5, 1.0, 2 / 3)
    # category 3 has no GT: undefined
    assert math.isnan(c3["threshold"])
    assert (c3["f1"], c3["n_gt"]) == (-1.0, 0)
    # overall: 0.95 F, 0.9 T, 0.8 F, 0.7 T, 0.6 F T F, 0.5 F; 4 GT
    # F1 = 0/5, 2/6, 2/7, 4/8, 6/11, 6/12 -> best at 0.6: tp 3, fp 4
    ov = out["overall"]
    assert (ov["threshold"], ov["tp"], ov["fp"]) == (0.6, 3, 4)
    assert (ov["precision"], ov["recall"], ov["f1"]) == (3 / 7, 3 / 4, 6 / 11)


def test_best_f1_without_true_positive() -> None:
    r = ioukit.coco_evaluate(GT, [_det(1, 1, [150, 150, 10, 10], 0.8)])
    c1 = r.best_f1()["per_category"][0]
    assert math.isnan(c1["threshold"])
    assert (c1["precision"], c1["recall"], c1["f1"], c1["tp"], c1["fp"]) == (0, 0, 0, 0, 0)


def test_pr_curve_hand_computed(result: COCOResult) -> None:
    # category 1 at IoU 0.5, counted in score order: T F T F F, 3 GT
    # recall 1/3 1/3 2/3 2/3 2/3; precision 1, 1/2, 2/3, 1/2, 2/5 -> envelope 1, 2/3, 2/3, ...
    curve = result.pr_curve(1, iou=0.5)
    rec = np.linspace(0, 1, 101)
    np.testing.assert_array_equal(curve.recall, rec)
    expected = np.zeros(101)
    expected[rec <= 1 / 3] = 1 / (1 + EPS)  # levels 0.00 .. 0.33
    expected[(rec > 1 / 3) & (rec <= 2 / 3)] = 2 / (3 + EPS)  # 0.34 .. 0.66
    np.testing.assert_array_equal(curve.precision, expected)
    scores = np.select([rec <= 1 / 3, rec <= 2 / 3], [0.9, 0.7], 0.0)
    np.testing.assert_array_equal(curve.scores, scores)
    # category 2: T F at 0.6, 1 GT: every level reached at the first detection
    c2 = result.pr_curve(2)
    np.testing.assert_array_equal(c2.precision, np.full(101, 1 / (1 + EPS)))
    np.testing.assert_array_equal(c2.scores, np.full(101, 0.6))
    # None: the mean over categories 1 and 2 (3 has no GT and is left out, as in summarize)
    mean = result.pr_curve(iou=0.5)
    np.testing.assert_array_equal(mean.precision, (curve.precision + c2.precision) / 2)
    np.testing.assert_array_equal(mean.scores, (curve.scores + c2.scores) / 2)
    assert result.pr_curve(3).precision.tolist() == [-1.0] * 101
    assert result.pr_curve(area="large").precision.tolist() == [-1.0] * 101
    # the slices of the arrays
    t, k, a, m = 5, 0, 1, 1  # IoU 0.75, category 1, small, max_dets 10
    c = result.pr_curve(1, iou=result.params.iou_thresholds[t], area="small", max_dets=10)
    np.testing.assert_array_equal(c.precision, result.precision[t, :, k, a, m])
    np.testing.assert_array_equal(c.scores, result.scores[t, :, k, a, m])


def test_to_dict_unchanged_and_json(result: COCOResult) -> None:
    d = json.loads(json.dumps(result.to_dict()))
    assert set(d) == {"stats", "precision", "recall", "scores", "per_category", "summary",
                      "params", "kind", "protocol", "state"}  # fmt: skip


@pytest.mark.parametrize(
    ("method", "kwargs", "match"),
    [
        ("pr_curve", {"iou": 0.9}, r"`iou` must equal .*0\.8999999999999999.*got 0\.9"),
        ("matches", {"iou": "half"}, r"COCOResult\.matches: `iou`.*got 'half'"),
        ("per_image", {"area": "tiny"}, r"COCOResult\.per_image: `area`.*'medium'.*got 'tiny'"),
        ("best_f1", {"max_dets": 5}, r"COCOResult\.best_f1: `max_dets`.*\[1, 10, 100\]; got 5"),
        ("best_f1", {"max_dets": True}, r"`max_dets`.*got True"),
        ("pr_curve", {"category_id": 99}, r"`category_id`.*\[1, 2, 3\]\); got 99"),
    ],
)
def test_bad_options(result: COCOResult, method: str, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        getattr(result, method)(**kwargs)


def test_pooled_categories() -> None:
    r = ioukit.coco_evaluate(GT, DT, use_cats=False)
    with pytest.raises(ParameterError, match="categories are pooled"):
        r.pr_curve(1)
    out = r.best_f1()
    assert [row["category_id"] for row in out["per_category"]] == ["all"]
    assert out["per_category"][0] == {**out["overall"], "category_id": "all"}
    # pooled, detections of any category may match: #2 (category 3) now takes A first; ties
    # keep category order, then file order (pycocotools lists a cell's detections by category)
    m = r.matches()
    assert m.dt_index.tolist() == [2, 3, 0, 6, 4, 1, 7, 8, 5]
    assert m.category_id.tolist() == [3, 1, 1, 1, 1, 2, 2, 1, 1]
    assert m.status[:7].tolist() == ["tp", "fp", "fp", "tp", "fp", "tp", "fp"]


def test_result_without_records() -> None:
    r = ioukit.coco_evaluate(GT, DT)
    bare = COCOResult(r.precision, r.recall, r.scores, params=r.params,
                      category_names=r.category_names)  # fmt: skip
    assert bare.pr_curve(1).precision.tolist() == r.pr_curve(1).precision.tolist()
    with pytest.raises(ParameterError, match=r"COCOResult\.matches: this result has no match"):
        bare.matches()
