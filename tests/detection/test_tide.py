"""ioukit.detection.tide: hand-built cases where every error type is known by construction."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from ioukit import rle
from ioukit._errors import InputError, ParameterError
from ioukit.detection.tide import TIDEResult, tide

DOG, CAT = 1, 2


def coco(anns: list[tuple[Any, ...]], images: tuple[Any, ...] = (1,)) -> dict[str, Any]:
    """A COCO dict from ``(image, category, xywh[, crowd])`` tuples."""
    out = []
    for i, (img, cat, box, *crowd) in enumerate(anns):
        out.append({
            "id": i + 1, "image_id": img, "category_id": cat, "bbox": box,
            "area": box[2] * box[3], "iscrowd": int(bool(crowd and crowd[0])),
        })  # fmt: skip
    return {
        "images": [{"id": i, "height": 100, "width": 100} for i in images],
        "categories": [{"id": DOG, "name": "dog"}, {"id": CAT, "name": "cat"}],
        "annotations": out,
    }


def dets(*rows: tuple[Any, ...]) -> list[dict[str, Any]]:
    """A result list from ``(image, category, xywh, score)`` tuples."""
    return [{"image_id": i, "category_id": c, "bbox": b, "score": s} for i, c, b, s in rows]


def square(x: int, y: int, s: int) -> dict[str, Any]:
    """The RLE (str counts) of an ``s``-pixel square at ``(x, y)`` in a 100×100 image."""
    m = np.zeros((100, 100), bool)
    m[y : y + s, x : x + s] = True
    out = dict(rle.encode(m))
    counts = out["counts"]
    return {**out, "counts": counts.decode() if isinstance(counts, bytes) else counts}


def ap(levels: float) -> float:
    """AP ×100 of one category whose envelope sums to ``levels`` over the 101 levels."""
    return levels / 101 * 100


# One image with one error of each kind:
#   GT dog A [0,0,10,10], cat B [20,0,10,10], cat C [40,0,10,10], dog D [60,60,10,10]
#   d1 dog on A (IoU 1)                  0.90  true positive
#   d2 dog [0,1,10,10]: IoU 90/110 with the matched A  0.85  Dupe
#   d3 cat [24,0,10,10]: IoU 60/140 = 0.43 with B      0.80  Loc
#   d4 dog on C (other category, IoU 1)               0.70  Cls
#   d5 cat [80,80,10,10]: no overlap                   0.60  Bkg
#   d6 dog [25,0,10,10]: IoU 50/150 with cat B only    0.50  Both
#   D is missed by everything: Miss. B and C are pointed at by Loc/Cls errors: not missed.
EVERY = coco([
    (1, DOG, [0, 0, 10, 10]), (1, CAT, [20, 0, 10, 10]), (1, CAT, [40, 0, 10, 10]),
    (1, DOG, [60, 60, 10, 10]),
])  # fmt: skip
EVERY_DT = dets(
    (1, DOG, [0, 0, 10, 10], 0.9), (1, DOG, [0, 1, 10, 10], 0.85),
    (1, CAT, [24, 0, 10, 10], 0.8), (1, DOG, [40, 0, 10, 10], 0.7),
    (1, CAT, [80, 80, 10, 10], 0.6), (1, DOG, [25, 0, 10, 10], 0.5),
)  # fmt: skip


@pytest.mark.parametrize("convention", ["tidecv", "ioukit"])
def test_every_error_type(convention: str) -> None:
    r = tide(EVERY, EVERY_DT, convention=convention)
    assert r.counts == {"Cls": 1, "Loc": 1, "Both": 1, "Dupe": 1, "Bkg": 1, "Miss": 1}
    assert (r.n_detections, r.n_tp, r.n_fp, r.n_fn, r.n_ignored, r.n_gt) == (6, 1, 5, 3, 0, 4)
    # dog: d1 TP then 3 FP, 2 GT: precision 1 up to recall 1/2 -> 51 levels of 1; cat: 0
    base = (ap(51.0) + 0.0) / 2
    assert r.base_ap == pytest.approx(base, abs=1e-12)
    m = r.main_errors
    # Cls: d4 becomes a cat TP behind the cat FP d3: [F 0.8, T 0.7, F 0.6] -> 51 levels of 1/2
    assert m["Cls"] == pytest.approx((ap(51.0) + ap(25.5)) / 2 - base, abs=1e-12)
    # Loc: d3 becomes a cat TP at 0.8: [T, F] -> 51 levels of 1, as the dog
    assert m["Loc"] == pytest.approx(ap(51.0) - base, abs=1e-12)
    # removing d6 (Both), d2 (Dupe) or d5 (Bkg) changes nothing: still P = 1 up to R = 1/2
    assert m["Both"] == m["Dupe"] == m["Bkg"] == 0.0
    # Miss: the dog has one positive left, found at precision 1: AP 100
    assert m["Miss"] == pytest.approx(50.0 - base, abs=1e-12)
    # FalsePos: the dog TP still reaches recall 1/2 only, the cat has no TP: no change
    assert r.special_errors["FalsePos"] == 0.0
    # FalseNeg: dog D, cats B and C removed: dog AP 100, cat 0 (detections, no positive)
    assert r.special_errors["FalseNeg"] == pytest.approx(50.0 - base, abs=1e-12)


def test_ties_reordered_by_the_fixes_tidecv_bug() -> None:
    # image 1: a dog and its TP at 0.5; image 2: no object, a dog FP at 0.5 (same score).
    # The base run lists image 1 first: [T, F] -> AP 100. tidecv's fixed runs list the errors
    # first: [F, T] -> precision 1/2 everywhere -> AP 50, so "fixing" the (absent) false
    # negatives loses 50 points; ioukit keeps the base order.
    gt = coco([(1, DOG, [0, 0, 10, 10])], images=(1, 2))
    dt = dets((1, DOG, [0, 0, 10, 10], 0.5), (2, DOG, [0, 0, 10, 10], 0.5))
    r = tide(gt, dt)
    assert r.base_ap == 100.0
    assert r.special_errors["FalseNeg"] == -50.0
    assert r.main_errors == dict.fromkeys(r.main_errors, 0.0)  # clipped at 0
    assert r.counts["Bkg"] == 1
    fixed = tide(gt, dt, convention="ioukit")
    assert fixed.base_ap == 100.0
    assert fixed.special_errors == {"FalsePos": 0.0, "FalseNeg": 0.0}


def test_ignored_detection_gets_an_error_tidecv_bug() -> None:
    # image 1: a dog [0,0,10,10] and a dog crowd region [0,0,40,40]; a dog box [0,0,20,20]
    # has IoU 100/400 = 0.25 with the dog (unmatched) and covers the crowd: IoA 1 > 0.5, so
    # it is ignored. Image 2: a cat found exactly (AP 100). Base AP = (0 + 100) / 2.
    gt = coco(
        [(1, DOG, [0, 0, 10, 10]), (1, DOG, [0, 0, 40, 40], True), (2, CAT, [0, 0, 10, 10])],
        images=(1, 2),
    )
    dt = dets((1, DOG, [0, 0, 20, 20], 0.9), (2, CAT, [0, 0, 10, 10], 0.8))
    r = tide(gt, dt)
    assert (r.n_ignored, r.n_fp, r.n_tp, r.base_ap) == (1, 0, 1, 50.0)
    # tidecv: the ignored box is a Loc error; its fix makes it a dog TP (AP 100)
    assert r.counts["Loc"] == 1
    assert r.counts["Miss"] == 0
    assert r.main_errors["Loc"] == 50.0
    assert r.main_errors["Miss"] == 0.0
    # ioukit: no error for an ignored detection, so the dog is a Miss; fixing it empties the
    # dog category, which leaves the mean (cat AP 100)
    f = tide(gt, dt, convention="ioukit")
    assert f.counts == {"Cls": 0, "Loc": 0, "Both": 0, "Dupe": 0, "Bkg": 0, "Miss": 1}
    assert f.main_errors["Loc"] == 0.0
    assert f.main_errors["Miss"] == 50.0
    assert r.special_errors["FalseNeg"] == f.special_errors["FalseNeg"] == 50.0


def test_crowd_only_image_counts_ignored_detections_as_background() -> None:
    gt = coco([(1, DOG, [0, 0, 40, 40], True), (2, DOG, [0, 0, 10, 10])], images=(1, 2))
    dt = dets((1, DOG, [0, 0, 10, 10], 0.9), (2, DOG, [0, 0, 10, 10], 0.8))
    r = tide(gt, dt)
    assert r.n_ignored == 1
    assert r.counts["Bkg"] == 1
    assert r.base_ap == 100.0
    assert tide(gt, dt, convention="ioukit").counts["Bkg"] == 0
    # another category's crowd region does not ignore the box; a category -1 region does
    gt["annotations"][0]["category_id"] = CAT
    assert tide(gt, dt).n_ignored == 0
    gt["annotations"][0]["category_id"] = -1
    assert tide(gt, dt).n_ignored == 1


@pytest.mark.parametrize(("loc_score", "cls_score"), [(0.9, 0.8), (0.8, 0.9)])
def test_loc_and_cls_errors_compete_for_one_ground_truth(
    loc_score: float, cls_score: float
) -> None:
    # a cat [0,0,10,10]; a cat box shifted by 4 (IoU 0.43: Loc) and a dog box on it (Cls).
    # Only the higher-scoring of the two is fixed; the other is removed by its own fix.
    gt = coco([(1, CAT, [0, 0, 10, 10])])
    dt = dets((1, CAT, [4, 0, 10, 10], loc_score), (1, DOG, [0, 0, 10, 10], cls_score))
    r = tide(gt, dt)
    assert r.base_ap == 0.0
    assert r.counts["Loc"] == r.counts["Cls"] == 1
    if loc_score > cls_score:
        # Loc: cat [T] -> 100, dog [F] -> 0: mean 50. Cls: the dog box is removed, the dog
        # category leaves the mean: cat [F] -> 0
        assert (r.main_errors["Loc"], r.main_errors["Cls"]) == (50.0, 0.0)
    else:
        # Cls: the dog box is a cat TP ahead of the cat FP: [T, F] -> 100; the dog category
        # is empty. Loc: the cat box is removed: cat AP 0, dog AP 0
        assert (r.main_errors["Loc"], r.main_errors["Cls"]) == (0.0, 100.0)


def test_max_dets_counts_across_categories() -> None:
    # two background boxes (a dog, a cat) outscore the true positive
    gt = coco([(1, DOG, [0, 0, 10, 10])])
    dt = dets(
        (1, DOG, [50, 50, 10, 10], 0.9), (1, CAT, [70, 70, 10, 10], 0.8),
        (1, DOG, [0, 0, 10, 10], 0.7),
    )  # fmt: skip
    two = tide(gt, dt, max_dets=2)
    assert (two.n_detections, two.n_tp, two.counts["Miss"], two.base_ap) == (2, 0, 1, 0.0)
    three = tide(gt, dt, max_dets=3)
    # dog: [F, T]: precision 1/2 at recall 1 on all 101 levels; cat: [F], no GT: AP 0
    half = sum([0.5] * 101) / 101 * 100
    assert three.n_tp == 1
    assert three.base_ap == pytest.approx(half / 2, abs=1e-12)


def test_no_ground_truth_in_image_is_background() -> None:
    gt = coco([(1, DOG, [0, 0, 10, 10])], images=(1, 2))
    dt = dets((1, DOG, [0, 0, 10, 10], 0.9), (2, DOG, [0, 0, 10, 10], 0.95))
    r = tide(gt, dt)
    assert r.counts["Bkg"] == 1
    # [F 0.95, T 0.9]: precision 1/2 at recall 1 -> AP 50; removing the FP gives 100
    assert r.base_ap == pytest.approx(sum([0.5] * 101) / 101 * 100, abs=1e-12)
    assert r.main_errors["Bkg"] == pytest.approx(100.0 - r.base_ap, abs=1e-12)
    assert r.special_errors["FalsePos"] == pytest.approx(100.0 - r.base_ap, abs=1e-12)


def test_empty_results_miss_everything() -> None:
    gt = coco([(1, DOG, [0, 0, 10, 10]), (1, CAT, [20, 0, 10, 10])])
    r = tide(gt, [])
    assert r.base_ap == 0.0
    assert r.counts["Miss"] == 2
    assert r.n_detections == 0
    # fixing every miss leaves no category at all: undefined (tidecv: ZeroDivisionError)
    assert math.isnan(r.main_errors["Miss"])
    assert math.isnan(r.special_errors["FalseNeg"])
    assert json.loads(json.dumps(r.to_dict()))["main_errors"]["Miss"] is None


def test_masks() -> None:
    gt = coco([(1, DOG, [0, 0, 10, 10]), (1, CAT, [40, 0, 10, 10])])
    for ann in gt["annotations"]:
        x, y, w, _ = ann["bbox"]
        ann["segmentation"] = square(x, y, w)
    dt = [
        {"image_id": 1, "category_id": DOG, "segmentation": square(0, 0, 10), "score": 0.9},
        # IoU 60/140 with the cat mask: Loc
        {"image_id": 1, "category_id": CAT, "segmentation": square(44, 0, 10), "score": 0.8},
    ]
    r = tide(gt, dt, iou_type="segm")
    assert (r.n_tp, r.counts["Loc"], r.iou_type) == (1, 1, "segm")
    assert r.base_ap == 50.0
    assert r.main_errors["Loc"] == 50.0
    assert "mask AP @ 50" in r.summary()


def test_string_ids_and_file_paths(tmp_path: Any) -> None:
    ref = tide(EVERY, EVERY_DT)
    gt = json.loads(json.dumps(EVERY))
    names = {DOG: "dog", CAT: "cat"}
    for a in gt["annotations"]:
        a["image_id"], a["category_id"] = "img", names[a["category_id"]]
    gt["images"][0]["id"] = "img"
    gt["categories"] = [{"id": "dog", "name": "dog"}, {"id": "cat", "name": "cat"}]
    dt = [dict(d, image_id="img", category_id=names[d["category_id"]]) for d in EVERY_DT]
    assert tide(gt, dt) == ref
    (tmp_path / "gt.json").write_text(json.dumps(EVERY))
    (tmp_path / "dt.json").write_text(json.dumps(EVERY_DT))
    assert tide(tmp_path / "gt.json", str(tmp_path / "dt.json")) == ref
    (tmp_path / "empty.json").write_text("[]")
    assert tide(tmp_path / "gt.json", tmp_path / "empty.json").counts["Miss"] == 4


def test_result_faces() -> None:
    r = tide(EVERY, EVERY_DT, pos_threshold=0.5, background_threshold=0.1)
    assert isinstance(r, TIDEResult)
    assert repr(r).startswith("TIDEResult(iou_type='bbox', AP50=25.25, Cls=12.62, Loc=25.25")
    lines = r.summary().splitlines()
    assert lines[0].startswith("TIDE bbox AP @ 50: 25.25")
    assert lines[1].split() == ["Main", "errors", "Cls", "Loc", "Both", "Dupe", "Bkg", "Miss"]
    assert lines[2].split() == ["dAP", "12.62", "25.25", "0.00", "0.00", "0.00", "24.75"]
    assert lines[3].split() == ["count", "1", "1", "1", "1", "1", "1"]
    d = json.loads(json.dumps(r.to_dict()))
    assert d["counts"] == r.counts
    assert d["base_ap"] == r.base_ap
    assert d["params"] == {
        "iou_type": "bbox", "pos_threshold": 0.5, "background_threshold": 0.1,
        "max_dets": 100, "convention": "tidecv",
    }  # fmt: skip
    assert list(r.main_errors) == ["Cls", "Loc", "Both", "Dupe", "Bkg", "Miss"]
    assert list(r.special_errors) == ["FalsePos", "FalseNeg"]


def test_thresholds_move_errors() -> None:
    # the Loc box d3 (IoU 0.43) is a true positive at t_f = 0.4, and the Both box d6
    # (IoU 1/3 with another category) becomes a Bkg error at t_b = 0.35
    r = tide(EVERY, EVERY_DT, pos_threshold=0.4, background_threshold=0.35)
    assert r.n_tp == 2
    assert r.counts["Loc"] == 0
    assert r.counts["Both"] == 0
    assert r.counts["Bkg"] == 2
    assert "AP @ 40" in r.summary()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"pos_threshold": 1.5}, "`pos_threshold` must be a number in \\[0, 1\\]; got 1.5"),
        ({"pos_threshold": float("nan")}, "`pos_threshold`"),
        ({"pos_threshold": True}, "`pos_threshold`"),
        ({"pos_threshold": "0.5"}, "`pos_threshold`"),
        ({"background_threshold": -0.1}, "`background_threshold`"),
        (
            {"pos_threshold": 0.3, "background_threshold": 0.3},
            "`background_threshold` must be below `pos_threshold`",
        ),
        (
            {"pos_threshold": 0.2, "background_threshold": 0.5},
            "`background_threshold` must be below `pos_threshold`",
        ),
        ({"iou_type": "keypoints"}, "`iou_type` must be 'bbox' or 'segm'"),
        ({"convention": "hotcoco"}, "`convention` must be one of 'tidecv', 'ioukit'"),
        ({"max_dets": 0}, "`max_dets` must be a positive int"),
        ({"max_dets": True}, "`max_dets`"),
        ({"max_dets": 2.5}, "`max_dets`"),
    ],
)
def test_bad_parameters(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=r"^tide: " + match):
        tide(EVERY, EVERY_DT, **kwargs)


def test_bad_inputs_name_tide() -> None:
    with pytest.raises(InputError, match=r"^tide: `gt` must have a list 'images'"):
        tide({"annotations": [], "categories": []}, EVERY_DT)
    with pytest.raises(InputError, match=r"^tide: `dt\[0\]` must have a 'score' field"):
        tide(EVERY, [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}])
    with pytest.raises(InputError, match=r"^tide: `dt\[0\]` has image_id 7"):
        tide(EVERY, dets((7, DOG, [0, 0, 1, 1], 0.5)))
    with pytest.raises(InputError, match=r"^tide: `dt` must be a path or a list"):
        tide(EVERY, {"image_id": 1})


def test_mask_errors_name_tide() -> None:
    gt = coco([(1, DOG, [0, 0, 10, 10])])
    gt["images"] = [{"id": 1}]  # no size: polygons cannot be rasterised
    gt["annotations"][0]["segmentation"] = [[0, 0, 10, 0, 10, 10, 0, 10]]
    dt = dets((1, DOG, [0, 0, 5, 5], 1.0))  # its box becomes a polygon
    with pytest.raises(InputError, match=r"^tide: image 1 of `gt` needs 'height' and 'width'"):
        tide(gt, dt, iou_type="segm")
