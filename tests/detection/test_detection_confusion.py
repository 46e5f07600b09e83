"""ioukit.detection.confusion: hand-computed detection confusion matrices."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
from typing import Any

import numpy as np
import pytest
from coco_helpers import random_dataset
from test_tide import square

from ioukit._errors import InputError, ParameterError, UndefinedMetricWarning
from ioukit.detection.coco import coco_evaluate
from ioukit.detection.confusion import DetectionConfusion, detection_confusion_matrix

DOG, CAT, BIRD = 1, 2, 3


def coco(anns: list[tuple[Any, ...]], cats: tuple[int, ...] = (DOG, CAT)) -> dict[str, Any]:
    """One 100×100 image; annotations from ``(category, xywh[, crowd])``."""
    out = []
    for i, (cat, box, *crowd) in enumerate(anns):
        out.append({
            "id": i + 1, "image_id": 1, "category_id": cat, "bbox": box,
            "area": box[2] * box[3], "iscrowd": int(bool(crowd and crowd[0])),
        })  # fmt: skip
    names = {DOG: "dog", CAT: "cat", BIRD: "bird"}
    return {
        "images": [{"id": 1, "height": 100, "width": 100}],
        "categories": [{"id": c, "name": names[c]} for c in cats],
        "annotations": out,
    }


def dets(*rows: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Results on image 1 from ``(category, xywh, score)``."""
    return [{"image_id": 1, "category_id": c, "bbox": b, "score": s} for c, b, s in rows]


# a dog found as a dog, a cat found as a dog, a missed cat, a cat box on nothing
BASIC = coco([(DOG, [0, 0, 10, 10]), (CAT, [20, 0, 10, 10]), (CAT, [40, 0, 10, 10])])
BASIC_DT = dets((DOG, [0, 0, 10, 10], 0.9), (DOG, [20, 0, 10, 10], 0.8), (CAT, [80, 80, 5, 5], 0.7))


def test_swap_miss_background_and_orientation() -> None:
    cm = detection_confusion_matrix(BASIC, BASIC_DT)
    assert isinstance(cm, DetectionConfusion)
    assert cm.labels == ("dog", "cat", "background")
    assert cm.category_ids == (DOG, CAT)
    # rows = true category: the cat row holds the cat taken for a dog (column dog) and the
    # missed cat (column background); the background row the cat box on nothing
    expected = [[1, 0, 0], [1, 0, 1], [0, 1, 0]]
    assert cm.matrix.tolist() == expected
    assert cm.matrix.dtype == np.int64
    assert cm.n_ignored == 0
    # row sums: ground truths per category (+ false positives); column sums: detections
    assert cm.matrix.sum(axis=1)[:2].tolist() == [1, 2]
    assert cm.matrix.sum(axis=0)[:2].tolist() == [2, 1]


def test_crowd_regions() -> None:
    gt = coco([(DOG, [0, 0, 40, 40], True), (DOG, [50, 50, 10, 10])])
    dt = dets(
        (DOG, [0, 0, 10, 10], 0.9),  # inside the dog crowd (IoA 1): ignored
        (CAT, [0, 0, 10, 10], 0.8),  # inside it too, but a cat: a background detection
        (DOG, [50, 50, 10, 12], 0.7),  # the dog (IoU 100/120), also inside no crowd
    )
    cm = detection_confusion_matrix(gt, dt)
    assert cm.n_ignored == 1
    # the crowd region itself is never a missed object
    assert cm.matrix.tolist() == [[1, 0, 0], [0, 0, 0], [0, 1, 0]]
    # a regular match comes first, even when the crowd overlaps more
    gt = coco([(DOG, [0, 0, 40, 40], True), (DOG, [0, 0, 10, 12])])
    cm = detection_confusion_matrix(gt, dets((DOG, [0, 0, 10, 10], 0.9)))
    assert (cm.n_ignored, cm.matrix[0, 0]) == (0, 1)


def test_score_threshold_is_inclusive() -> None:
    gt = coco([(DOG, [0, 0, 10, 10])])
    dt = dets((DOG, [0, 0, 10, 10], 0.5), (CAT, [50, 50, 10, 10], 0.3))
    assert detection_confusion_matrix(gt, dt).matrix.tolist() == [[1, 0, 0], [0, 0, 0], [0, 1, 0]]
    at = detection_confusion_matrix(gt, dt, score_threshold=0.5)
    assert at.matrix.tolist() == [[1, 0, 0], [0, 0, 0], [0, 0, 0]]
    above = detection_confusion_matrix(gt, dt, score_threshold=0.5000001)
    assert above.matrix.tolist() == [[0, 0, 1], [0, 0, 0], [0, 0, 0]]
    assert above.score_threshold == 0.5000001


def test_iou_threshold_is_inclusive() -> None:
    gt = coco([(DOG, [0, 0, 10, 20])])
    dt = dets((DOG, [0, 0, 10, 10], 0.9))  # IoU 100 / 200 = 0.5 exactly
    assert detection_confusion_matrix(gt, dt).matrix[0, 0] == 1
    assert detection_confusion_matrix(gt, dt, iou_threshold=0.51).matrix[0, 0] == 0


def test_same_category_first_or_class_agnostic() -> None:
    # dog [0,0,10,10] and cat [1,0,10,10]; a dog box on the cat: IoU 90/110 with the dog,
    # 1 with the cat
    gt = coco([(DOG, [0, 0, 10, 10]), (CAT, [1, 0, 10, 10])])
    dt = dets((DOG, [1, 0, 10, 10], 0.9))
    first = detection_confusion_matrix(gt, dt)
    assert first.matrix.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0]]
    agnostic = detection_confusion_matrix(gt, dt, class_agnostic=True)
    assert agnostic.matrix.tolist() == [[0, 0, 1], [1, 0, 0], [0, 0, 0]]
    assert agnostic.class_agnostic is True


def test_score_order_across_passes() -> None:
    # a cat box (0.9) and a dog box (0.8) on one dog. Same category first: the dog box takes
    # the dog, the cat box is left on the background. Class-agnostic: the cat box comes
    # first and takes the dog; the dog box is left over.
    gt = coco([(DOG, [0, 0, 10, 10])])
    dt = dets((CAT, [0, 0, 10, 10], 0.9), (DOG, [0, 0, 10, 9], 0.8))
    assert detection_confusion_matrix(gt, dt).matrix.tolist() == [
        [1, 0, 0], [0, 0, 0], [0, 1, 0],
    ]  # fmt: skip
    assert detection_confusion_matrix(gt, dt, class_agnostic=True).matrix.tolist() == [
        [0, 1, 0], [0, 0, 0], [1, 0, 0],
    ]  # fmt: skip


def test_equal_iou_goes_to_the_later_ground_truth() -> None:
    # a dog box [5,0,10,10] overlaps a cat [0,0,10,10] and a bird [10,0,10,10] equally
    # (IoU 50/150 each); as in COCO, the later ground truth (the bird) takes it
    gt = coco([(CAT, [0, 0, 10, 10]), (BIRD, [10, 0, 10, 10])], cats=(DOG, CAT, BIRD))
    cm = detection_confusion_matrix(gt, dets((DOG, [5, 0, 10, 10], 0.9)), iou_threshold=0.3)
    assert cm.matrix.tolist() == [[0, 0, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0]]


def test_categories_sorted_and_unknown_refused() -> None:
    gt = coco([(DOG, [0, 0, 10, 10]), (CAT, [20, 0, 10, 10])], cats=(CAT, DOG))
    dt = dets((DOG, [0, 0, 10, 10], 0.9), (CAT, [20, 0, 10, 10], 0.8))
    cm = detection_confusion_matrix(gt, dt)
    assert cm.category_ids == (DOG, CAT)
    assert cm.labels == ("dog", "cat", "background")
    assert cm.matrix.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 0]]
    # a category that gt does not list has no row or column: an error, not a silent drop
    bad = dets((7, [0, 0, 10, 10], 0.9), (CAT, [20, 0, 10, 10], 0.8))
    with pytest.raises(
        InputError, match=r"detection_confusion_matrix: `dt\[0\]` has category_id 7"
    ):
        detection_confusion_matrix(gt, bad)


def test_masks() -> None:
    gt = coco([(DOG, [0, 0, 10, 10]), (CAT, [40, 0, 10, 10])])
    for ann in gt["annotations"]:
        ann["segmentation"] = square(*ann["bbox"][:3])
    dt = [
        {"image_id": 1, "category_id": CAT, "segmentation": square(0, 0, 10), "score": 0.9},
        {"image_id": 1, "category_id": CAT, "segmentation": square(44, 0, 10), "score": 0.8},
    ]
    # the cat mask on the dog: confused; the other cat mask has IoU 60/140 with the cat
    cm = detection_confusion_matrix(gt, dt, iou_type="segm")
    assert cm.matrix.tolist() == [[0, 1, 0], [0, 0, 1], [0, 1, 0]]
    assert detection_confusion_matrix(gt, dt, iou_type="segm", iou_threshold=0.4).matrix[1, 1] == 1


def test_normalized() -> None:
    cm = detection_confusion_matrix(BASIC, BASIC_DT)  # [[1,0,0],[1,0,1],[0,1,0]]
    assert cm.normalized("true").tolist() == [[1, 0, 0], [0.5, 0, 0.5], [0, 1, 0]]
    assert cm.normalized("pred").tolist() == [[0.5, 0, 0], [0.5, 0, 1], [0, 1, 0]]
    assert cm.normalized("all").tolist() == [[0.25, 0, 0], [0.25, 0, 0.25], [0, 0.25, 0]]
    assert cm.normalized(None).tolist() == [[1, 0, 0], [1, 0, 1], [0, 1, 0]]
    # a bird category with no ground truth and no detection: a 0/0 row and column
    gt = dict(BASIC, categories=[*BASIC["categories"], {"id": BIRD, "name": "bird"}])
    cm = detection_confusion_matrix(gt, BASIC_DT)
    rows = cm.normalized("true")
    assert np.isnan(rows[2]).all()
    assert rows[1].tolist() == [0.5, 0, 0, 0.5]
    assert np.isnan(cm.normalized("pred")[:, 2]).all()
    assert cm.normalized("true", zero_division=0.0)[2].tolist() == [0, 0, 0, 0]
    with pytest.warns(UndefinedMetricWarning, match="some rows have no count"):
        assert cm.normalized("true", zero_division="warn")[2].tolist() == [0, 0, 0, 0]


def test_result_faces() -> None:
    cm = detection_confusion_matrix(BASIC, BASIC_DT)
    assert repr(cm) == (
        "DetectionConfusion(categories=2, iou_type='bbox', iou_threshold=0.5, "
        "score_threshold=0, matched=1, confused=1, background_fp=1, missed=1)"
    )
    d = json.loads(json.dumps(cm.to_dict()))
    assert d["matrix"] == cm.matrix.tolist()
    assert d["labels"] == ["dog", "cat", "background"]
    assert d["category_ids"] == [DOG, CAT]
    assert d["params"] == {
        "iou_type": "bbox", "iou_threshold": 0.5, "score_threshold": 0.0,
        "class_agnostic": False,
    }  # fmt: skip
    empty = detection_confusion_matrix(BASIC, [])
    assert empty.matrix.tolist() == [[0, 0, 1], [0, 0, 2], [0, 0, 0]]


@pytest.mark.parametrize("masks", [False, True], ids=["bbox", "segm"])
@pytest.mark.parametrize("seed", range(3))
def test_diagonal_is_coco_matching(seed: int, masks: bool) -> None:
    """Step 1 is COCO's matching at one threshold: the diagonal holds its true positives,
    ``n_ignored`` its ignored detections, and each column its counted detections."""
    gt, dt = random_dataset(seed, masks=masks)
    for i, ann in enumerate(gt["annotations"]):
        ann["id"] = i + 1  # pycocotools cannot match a ground truth with id 0
    iou_type = "segm" if masks else "bbox"
    cm = detection_confusion_matrix(gt, dt, iou_type=iou_type)
    ref = coco_evaluate(gt, dt, iou_type=iou_type, iou_thresholds=[0.5], max_dets=[10**6])
    m = ref.matches(iou=0.5)
    cats = list(cm.category_ids)
    k = len(cats)
    tp = [int(np.sum((m.status == "tp") & (m.category_id == c))) for c in cats]
    counted = [int(np.sum((m.status != "ignored") & (m.category_id == c))) for c in cats]
    assert np.diag(cm.matrix)[:k].tolist() == tp
    assert cm.matrix.sum(axis=0)[:k].tolist() == counted
    assert cm.n_ignored == int(np.sum(m.status == "ignored"))
    regular = [
        sum(1 for a in gt["annotations"] if a["category_id"] == c and not a["iscrowd"])
        for c in cats
    ]
    assert cm.matrix.sum(axis=1)[:k].tolist() == regular
    assert cm.matrix[k, k] == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"iou_threshold": 0.0}, r"`iou_threshold` must be in \(0, 1\]; got 0.0"),
        ({"iou_threshold": 1.5}, r"`iou_threshold` must be a number in \[0, 1\]; got 1.5"),
        ({"iou_threshold": True}, "`iou_threshold`"),
        ({"iou_threshold": math.nan}, "`iou_threshold`"),
        ({"score_threshold": math.inf}, "`score_threshold` must be a finite number; got inf"),
        ({"score_threshold": "0.5"}, "`score_threshold`"),
        ({"score_threshold": False}, "`score_threshold`"),
        ({"class_agnostic": 1}, "`class_agnostic` must be True or False; got 1"),
        ({"iou_type": "keypoints"}, "`iou_type` must be 'bbox' or 'segm'"),
    ],
)
def test_bad_parameters(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=r"^detection_confusion_matrix: " + match):
        detection_confusion_matrix(BASIC, BASIC_DT, **kwargs)


def test_bad_normalize_and_inputs() -> None:
    cm = detection_confusion_matrix(BASIC, BASIC_DT)
    with pytest.raises(ParameterError, match=r"`normalize` must be one of None, 'true'"):
        cm.normalized("rows")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="`zero_division`"):
        cm.normalized("true", zero_division=2.0)
    with pytest.raises(InputError, match=r"^detection_confusion_matrix: `dt\[0\]` has image_id"):
        detection_confusion_matrix(BASIC, [dict(BASIC_DT[0], image_id=9)])
    with pytest.raises(InputError, match=r"^detection_confusion_matrix: `gt` must have a list"):
        detection_confusion_matrix({"images": []}, BASIC_DT)


@pytest.mark.reference
@pytest.mark.parametrize("seed", range(3))
def test_class_agnostic_is_hotcocos_without_crowds_or_ties(seed: int) -> None:
    """hotcoco's ``COCOeval.confusion_matrix`` matches across categories by score as
    ``class_agnostic=True`` does; it differs on crowd regions (it counts the detections in
    them as background) and on equal scores (it does not keep file order), so both are
    left out here."""
    hotcoco = pytest.importorskip("hotcoco")
    gt, dt = random_dataset(seed)
    gt["annotations"] = [dict(a, id=i + 1, iscrowd=0) for i, a in enumerate(gt["annotations"])]
    rng = np.random.default_rng(seed)
    dt = [dict(d, score=float(s)) for d, s in zip(dt, rng.permutation(len(dt)) + 1, strict=True)]
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = hotcoco.COCO(copy.deepcopy(gt))
        ev = hotcoco.COCOeval(coco_gt, coco_gt.loadRes(copy.deepcopy(dt)), "bbox")
        ref = ev.confusion_matrix(iou_thr=0.5, max_det=10**6)
    cm = detection_confusion_matrix(gt, dt, class_agnostic=True)
    assert list(ref["cat_ids"]) == list(cm.category_ids)
    assert cm.matrix.tolist() == np.asarray(ref["matrix"]).astype(np.int64).tolist()
