"""lvis_evaluate on hand-computed cases (each federated rule and each lvis-api quirk), the
fixed-AP cap, its result object, and its errors on bad input."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from ioukit import InputError, ParameterError, rle
from ioukit.detection.lvis import lvis_evaluate

EPS = np.spacing(1)  # precision is tp / (tp + fp + eps)
ONE = 1 / (1 + EPS)
HALF = 1 / (2 + EPS)
MASK = rle.encode(np.ones((100, 100), bool))
A, B, FAR = [0, 0, 10, 10], [50, 50, 10, 10], [80, 80, 5, 5]


def _mean(values: list[float]) -> float:
    """lvis-api's mean (np.mean: pairwise summation) of these entries."""
    return float(np.mean(np.array(values)))


def _img(i: int, neg: tuple[int, ...] = (), nel: tuple[int, ...] = ()) -> dict[str, Any]:
    return {"id": i, "height": 100, "width": 100, "neg_category_ids": list(neg),
            "not_exhaustive_category_ids": list(nel)}  # fmt: skip


def _ann(i: int, img: int, cat: int, box: list[float], **extra: Any) -> dict[str, Any]:
    ann = {"id": i, "image_id": img, "category_id": cat, "bbox": box, "area": box[2] * box[3]}
    return {**ann, **extra}


def _gt(images: list[dict[str, Any]], anns: list[dict[str, Any]]) -> dict[str, Any]:
    """Categories 1 (frequent), 2 (rare), 3 (common)."""
    cats = [{"id": 1, "name": "a", "frequency": "f"}, {"id": 2, "name": "b", "frequency": "r"},
            {"id": 3, "name": "c", "frequency": "c"}]  # fmt: skip
    return {"images": images, "annotations": anns, "categories": cats}


def _det(img: int, cat: int, box: list[float], score: float) -> dict[str, Any]:
    return {"image_id": img, "category_id": cat, "bbox": box, "score": score}


def _ap50(r: Any) -> float:
    return r.results["AP50"]  # type: ignore[no-any-return]


def test_federated_rules_drop_results_of_unverified_categories() -> None:
    gt = _gt([_img(1, neg=(2,)), _img(2)], [_ann(1, 1, 1, A)])
    dt = [
        _det(1, 1, A, 0.5),  # TP
        _det(1, 2, B, 0.9),  # category 2 is negative in image 1: an FP, but 2 has no GT: -1
        _det(1, 3, A, 0.9),  # category 3 neither positive nor negative in image 1: dropped
        _det(2, 1, A, 0.9),  # image 2 says nothing about category 1: dropped
    ]
    r = lvis_evaluate(gt, dt)
    assert r.results["AP50"] == _mean([ONE] * 101)  # only the TP counts
    assert r.results["APf"] == r.results["AP"] == _mean([ONE] * 1010)
    assert r.results["APr"] == r.results["APc"] == -1  # no GT: left out of every mean
    assert (r.precision[:, :, 1:] == -1).all()
    # now image 2 lists category 1 as negative: its result there (score 0.9) is an FP ahead
    # of the TP: precision 1/2 at every recall level
    gt["images"][1]["neg_category_ids"] = [1]
    assert _ap50(lvis_evaluate(gt, dt)) == _mean([HALF] * 101)


def test_unmatched_results_of_a_not_exhaustive_category_are_ignored() -> None:
    dt = [_det(1, 1, B, 0.9), _det(1, 1, A, 0.5)]  # an unmatched result first, then the TP
    full = lvis_evaluate(_gt([_img(1)], [_ann(1, 1, 1, A)]), dt)
    assert _ap50(full) == _mean([HALF] * 101)
    partial = lvis_evaluate(_gt([_img(1, nel=(1,))], [_ann(1, 1, 1, A)]), dt)
    assert _ap50(partial) == _mean([ONE] * 101)  # the unmatched one is neither TP nor FP
    assert partial.results["AR@300"] == 1.0  # the matched one still counts


def test_zero_area_is_not_evaluated() -> None:
    # image 1's only category-1 GT has area 0: not loaded, so category 1 is not positive
    # there and the result on it (which would be an FP) is dropped; image 2's GT is found
    gt = _gt([_img(1), _img(2)], [_ann(1, 1, 1, A, area=0), _ann(2, 2, 1, A)])
    r = lvis_evaluate(gt, [_det(1, 1, A, 0.9), _det(2, 1, A, 0.5)])
    assert _ap50(r) == _mean([ONE] * 101)
    # a result of area 0 (a box of width 0) is dropped, not a false positive
    gt = _gt([_img(1)], [_ann(1, 1, 1, A)])
    r = lvis_evaluate(gt, [_det(1, 1, [60, 60, 0, 5], 0.9), _det(1, 1, A, 0.5)])
    assert _ap50(r) == _mean([ONE] * 101)


def test_ignore_flag_is_read_and_crowds_are_not() -> None:
    # GT 1 has ignore=1: the result on it is ignored; recall 1/1 from GT 2
    gt = _gt([_img(1)], [_ann(1, 1, 1, A, ignore=1), _ann(2, 1, 1, B)])
    r = lvis_evaluate(gt, [_det(1, 1, A, 0.9), _det(1, 1, B, 0.5)])
    assert _ap50(r) == _mean([ONE] * 101)
    assert r.results["AR@300"] == 1.0
    # iscrowd is not read: a crowd GT takes one result (COCO's crowd would absorb both);
    # TP, FP, TP over 2 GT: precision 1 up to recall 1/2, then 2/3
    gt = _gt([_img(1)], [_ann(1, 1, 1, A, iscrowd=1), _ann(2, 1, 1, B)])
    r = lvis_evaluate(gt, [_det(1, 1, A, 0.9), _det(1, 1, A, 0.8), _det(1, 1, B, 0.7)])
    np.testing.assert_array_equal(r.precision[0, :, 0, 0], [ONE] * 51 + [2 / (3 + EPS)] * 50)
    assert _ap50(r) == _mean([ONE] * 51 + [2 / (3 + EPS)] * 50)


def test_a_ground_truth_with_id_0_cannot_be_matched() -> None:
    # lvis-api stores matches as GT ids (0 = none): the hit on GT id 0 is a false positive,
    # and the GT stays taken, so the second result is a false positive too
    gt = _gt([_img(1)], [_ann(0, 1, 1, A)])
    r = lvis_evaluate(gt, [_det(1, 1, A, 0.9), _det(1, 1, A, 0.8)])
    assert _ap50(r) == 0.0
    assert r.results["AR@300"] == 0.0
    gt["annotations"][0]["id"] = 7
    assert _ap50(lvis_evaluate(gt, [_det(1, 1, A, 0.9), _det(1, 1, A, 0.8)])) == _mean([ONE] * 101)


def test_unreachable_recall_levels_are_zero() -> None:
    gt = _gt([_img(1)], [_ann(1, 1, 1, A), _ann(2, 1, 1, B)])
    r = lvis_evaluate(gt, [_det(1, 1, FAR, 0.9), _det(1, 1, A, 0.5)])
    # FP then TP: recall 1/2 at precision 1/2; recall levels above 0.5 are not reached
    np.testing.assert_array_equal(r.precision[0, :, 0, 0], [HALF] * 51 + [0.0] * 50)
    assert r.recall[0, 0, 0] == 0.5


def test_cap_per_image_across_categories_keeps_the_earlier_of_equal_scores() -> None:
    # GT A and B; the result on B has IoU 0.8 (matched at thresholds 0.50 ... 0.80 only)
    gt = _gt([_img(1, neg=(2,))], [_ann(1, 1, 1, A), _ann(2, 1, 1, B)])
    on_b = [50, 50, 10, 8]
    dt = [_det(1, 1, A, 0.5), _det(1, 1, FAR, 0.9), _det(1, 1, on_b, 0.5)]
    # max_dets=2 keeps the 0.9 and the first 0.5 (on A): recall 1/2 at every threshold
    assert lvis_evaluate(gt, dt, max_dets=2).results["AR@2"] == 0.5
    # with the tie the other way round, the one on B is kept
    swapped = lvis_evaluate(gt, [dt[2], dt[1], dt[0]], max_dets=2)
    assert swapped.results["AR@2"] == _mean([0.5] * 7 + [0.0] * 3)
    assert lvis_evaluate(gt, dt, max_dets=3).results["AR@3"] == _mean([1.0] * 7 + [0.5] * 3)
    # the cap counts results that are dropped later: a result of category 3 (not verified in
    # image 1) and one of the negative category 2 take the two places
    more = [*dt, _det(1, 3, A, 0.95), _det(1, 2, B, 0.95)]
    assert lvis_evaluate(gt, more, max_dets=2).results["AR@2"] == 0.0
    r = lvis_evaluate(gt, more, max_dets=None)  # lvis-api's max_dets=-1: no cap
    assert r.results["AR@-1"] == _mean([1.0] * 7 + [0.5] * 3)
    assert "maxDets= -1" in r.summary()


def test_fixed_ap_caps_per_category_over_the_dataset() -> None:
    gt = _gt([_img(1), _img(2)], [_ann(1, 1, 1, A), _ann(2, 2, 1, A)])
    dt = [_det(1, 1, A, 0.6), _det(2, 1, A, 0.7), _det(1, 1, B, 0.9)]
    # per image, 1 result: image 1 keeps its FP (0.9), image 2 its TP: recall 1/2
    assert lvis_evaluate(gt, dt, max_dets=1).results["AR@1"] == 0.5
    # fixed AP: no per-image cap, each category's 3 best: all results, recall 1; the FP
    # first, then two TPs: precision 2/3 at every recall level
    r = lvis_evaluate(gt, dt, max_dets=1, max_dets_per_category=3)
    assert r.results["AR@-1"] == 1.0
    np.testing.assert_array_equal(r.precision[0, :, 0, 0], [2 / (3 + EPS)] * 101)
    assert r.params.max_dets == -1
    assert r.params.max_dets_per_category == 3
    # the category's 2 best over both images: the 0.6 TP of image 1 goes
    r = lvis_evaluate(gt, dt, max_dets_per_category=2)
    assert r.results["AR@-1"] == 0.5
    assert r.summary().splitlines()[0].endswith("maxDets= -1 catIds=all] = 0.252")


def test_area_bounds_are_inclusive() -> None:
    gt = _gt([_img(1)], [_ann(1, 1, 1, [0, 0, 32, 32])])  # area 1024 = 32²
    r = lvis_evaluate(gt, [_det(1, 1, [0, 0, 32, 32], 0.9)])
    assert r.results["APs"] == r.results["APm"] == r.results["AP"]
    assert r.results["APl"] == -1
    assert r.results["ARl@300"] == -1


def test_results_without_any_ground_truth_give_minus_one_and_the_summary() -> None:
    gt = _gt([_img(1, neg=(1, 2, 3))], [])
    r = lvis_evaluate(gt, [_det(1, 1, A, 0.9)])
    assert set(r.results.values()) == {-1.0}
    iou = "IoU=0.50:0.95"
    line = " {:<18} {} @[ {:<13} | area={:>6s} | maxDets=300 catIds={:>3s}] = -1.000"
    expected = [
        line.format("Average Precision", "(AP)", iou, "all", "all"),
        line.format("Average Precision", "(AP)", "IoU=0.50", "all", "all"),
        line.format("Average Precision", "(AP)", "IoU=0.75", "all", "all"),
        *(line.format("Average Precision", "(AP)", iou, a, "all") for a in "sml"),
        *(line.format("Average Precision", "(AP)", iou, "all", f) for f in "rcf"),
        line.format("Average Recall", "(AR)", iou, "all", "all"),
        *(line.format("Average Recall", "(AR)", iou, a, "all") for a in "sml"),
    ]
    assert r.summary() == "\n".join(expected) + "\n"
    assert list(r.results) == ["AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf",
                               "AR@300", "ARs@300", "ARm@300", "ARl@300"]  # fmt: skip


def test_cat_ids_keep_the_given_order_and_results_per_category() -> None:
    gt = _gt([_img(1, neg=(3,))], [_ann(1, 1, 1, A), _ann(2, 1, 3, B)])
    dt = [_det(1, 1, A, 0.9), _det(1, 3, FAR, 0.9), _det(1, 3, B, 0.5)]
    r = lvis_evaluate(gt, dt, cat_ids=[3, 1])
    assert r.params.cat_ids == (3, 1)
    assert r.precision[0, 0, :, 0].tolist() == [HALF, ONE]
    rows = r.per_category()
    assert [(row["category_id"], row["name"], row["frequency"]) for row in rows] == [
        (3, "c", "c"), (1, "a", "f")]  # fmt: skip
    assert rows[0]["AP"] == r.results["APc"] == _mean([HALF] * 1010)
    assert rows[1]["AR@300"] == 1.0
    assert "APr" not in rows[0]
    assert repr(r).startswith("LVISResult(iou_type='bbox', AP=0.7500, AP50=0.7500, APr=-1.0000")
    back = json.loads(json.dumps(r.to_dict()))
    assert back["results"] == r.results
    assert back["params"]["cat_ids"] == [3, 1]
    assert np.array_equal(back["precision"], r.precision)


def test_segm_uses_masks_and_box_areas_of_box_results() -> None:
    gt = _gt([_img(1)], [_ann(1, 1, 1, A, segmentation=[[0, 0, 20, 0, 20, 20, 0, 20]], area=400)])
    hit, far = np.zeros((100, 100), bool), np.zeros((100, 100), bool)
    hit[:20, :20] = True
    far[60:70, 60:70] = True  # 100 pixels: a small false positive
    dt = [{"image_id": 1, "category_id": 1, "segmentation": rle.encode(m), "score": s}
          for m, s in ((far, 0.9), (hit, 0.5))]  # fmt: skip
    r = lvis_evaluate(gt, dt, iou_type="segm")
    assert r.results["APs"] == _mean([HALF] * 1010)  # GT area 400 and the FP are small
    dt[0]["bbox"], dt[1]["bbox"] = [50, 50, 50, 50], [0, 0, 20, 20]  # now the FP's area 2500
    r = lvis_evaluate(gt, dt, iou_type="segm")
    assert r.results["APs"] == _mean([ONE] * 1010)  # unmatched and not small: ignored there
    assert r.results["AP"] == _mean([HALF] * 1010)


def _lvis_ok() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    gt = _gt([_img(1)], [_ann(1, 1, 1, A, segmentation=[[0, 0, 10, 0, 10, 10, 0, 10]])])
    return gt, [_det(1, 1, A, 0.9)]


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda g, d: g["images"][0].pop("neg_category_ids"), r"'neg_category_ids'.*LVIS"),
        (lambda g, d: g["images"][0].pop("not_exhaustive_category_ids"), r"not_exhaustive.*LVIS"),
        (lambda g, d: g["categories"][1].pop("frequency"), r"categories'\]\[1\].*'frequency'"),
        (lambda g, d: g["categories"][0].update(frequency="x"), r"'r', 'c' or 'f'.*got 'x'"),
        (lambda g, d: g["annotations"][0].pop("id"), r"annotations'\]\[0\]` must have an 'id'"),
        (lambda g, d: g["annotations"].append(_ann(1, 1, 1, B)), r"distinct ids; id 1"),
        (lambda g, d: d.append(_det(9, 1, A, 0.5)), r"dt\[1\]` has image_id 9"),
        (lambda g, d: d.append(_det(1, 4, A, 0.5)), r"dt\[1\]` has category_id 4"),
        (lambda g, d: d.clear(), r"`dt` \(the results\) is empty"),
        (lambda g, d: d.append({**d[0], "bbox": []}), r"dt\[1\]\['bbox'\]` must be \[x, y, w"),
    ],
)
def test_bad_input(edit: Any, match: str) -> None:
    gt, dt = _lvis_ok()
    edit(gt, dt)
    with pytest.raises(InputError, match=f"^lvis_evaluate: .*{match}"):
        lvis_evaluate(gt, dt)


def test_a_list_mixing_box_and_mask_results_is_refused_when_the_cap_reorders_it() -> None:
    gt, _ = _lvis_ok()
    dt = [{"image_id": 1, "category_id": 1, "segmentation": MASK, "score": 0.5},
          {**_det(1, 1, A, 0.9), "segmentation": MASK}]  # fmt: skip
    lvis_evaluate(gt, dt, iou_type="segm")  # no cap reached: the first result decides
    with pytest.raises(InputError, match=r"lvis_evaluate: `dt\[0\]` and `dt\[1\]` differ"):
        lvis_evaluate(gt, dt, iou_type="segm", max_dets=1)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"max_dets_per_category": 0}, "`max_dets_per_category` must be a positive int"),
        ({"max_dets_per_category": True}, "`max_dets_per_category` must be a positive int"),
        ({"max_dets_per_category": 10.0}, "`max_dets_per_category` must be a positive int"),
        ({"max_dets": -1}, "`max_dets` must be a positive int"),
        ({"iou_type": "keypoints"}, "`iou_type` must be one of"),
        ({"img_ids": [1, 5]}, "`img_ids` must hold ids of `gt`; got 1 unknown, e.g. 5"),
        ({"cat_ids": [1, 1]}, "`cat_ids` must not repeat"),
        ({"cat_ids": [1, 9]}, "`cat_ids` must hold ids of `gt`"),
        ({"iou_thresholds": [1.5]}, "`iou_thresholds` must be"),
        ({"area_ranges": {"all": (5, 1)}}, "`area_ranges` must be"),
    ],
)
def test_bad_options(kw: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=f"^lvis_evaluate: {match}"):
        lvis_evaluate(*_lvis_ok(), **kw)
