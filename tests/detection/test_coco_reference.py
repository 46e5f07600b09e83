"""ioukit.coco_evaluate against pycocotools 2.0.11 on random datasets: precision, recall and
scores arrays equal element for element, the 12 stats and the summary text equal."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytest.importorskip("pycocotools")

from coco_helpers import random_dataset, reference

import ioukit

pytestmark = pytest.mark.reference


def _assert_same(gt: dict[str, Any], dt: list[dict[str, Any]], iou_type: str, **kw: Any) -> None:
    ref_params = {
        "maxDets": "max_dets",
        "iouThrs": "iou_thresholds",
        "recThrs": "recall_thresholds",
        "useCats": "use_cats",
        "imgIds": "img_ids",
        "catIds": "cat_ids",
    }
    ref_kw = {ref: kw[ours] for ref, ours in ref_params.items() if ours in kw}
    if "area_ranges" in kw:
        ref_kw["areaRng"] = [list(v) for v in kw["area_ranges"].values()]
        ref_kw["areaRngLbl"] = list(kw["area_ranges"])
    for name in ("maxDets", "iouThrs", "recThrs"):
        if name in ref_kw:
            ref_kw[name] = (np.asarray if name != "maxDets" else list)(ref_kw[name])
    ev, text = reference(gt, dt, iou_type, **ref_kw)
    r = ioukit.coco_evaluate(gt, dt, iou_type=iou_type, **kw)
    for name in ("precision", "recall", "scores"):
        np.testing.assert_array_equal(getattr(r, name), ev.eval[name], err_msg=name)
    if text is not None:  # pycocotools' summarize needs 3 max_dets
        np.testing.assert_array_equal(r.stats, ev.stats)
        assert r.summary() == text


@pytest.mark.parametrize("seed", range(4))
def test_bbox_defaults(seed: int) -> None:
    gt, dt = random_dataset(seed)
    _assert_same(gt, dt, "bbox")


@pytest.mark.parametrize("seed", range(3))
def test_segm_defaults(seed: int) -> None:
    """Polygons and uncompressed-RLE crowds in GT; RLE results, some also with a box (the
    first has none, so the segm branch of loadRes: mask areas)."""
    gt, dt = random_dataset(100 + seed, masks=True)
    _assert_same(gt, dt, "segm")


@pytest.mark.parametrize("seed", range(2))
def test_bbox_of_mask_results(seed: int) -> None:
    """bbox evaluation of RLE results: boxes from the masks where a result has none."""
    gt, dt = random_dataset(200 + seed, masks=True)
    _assert_same(gt, dt, "bbox")


@pytest.mark.parametrize("seed", range(2))
def test_segm_results_with_boxes(seed: int) -> None:
    """Every result has a box and a mask: the bbox branch (box areas) under segm; results
    without a mask get their box as a polygon."""
    gt, dt = random_dataset(300 + seed, masks=True)
    rng = np.random.default_rng(seed)
    for d in dt:
        if "bbox" not in d:
            d["bbox"] = ioukit.rle.to_bbox(d["segmentation"]).tolist()
        if rng.random() < 0.2:
            del d["segmentation"]
    _assert_same(gt, dt, "segm")


@pytest.mark.parametrize(
    "kw",
    [
        {"max_dets": (1, 10)},
        {"max_dets": (2, 1, 5)},
        {"max_dets": (1, 10, 50)},
        {"area_ranges": {"all": (0, 1e10), "small": (0, 500), "huge": (2000, 1e10)}},
        {
            "area_ranges": {
                "all": (0, 1e10),
                "small": (0, 1024),
                "medium": (1024, 9216),
                "large": (9216, 1e10),
                "tiny": (0, 200),
            }
        },
        {"iou_thresholds": (0.3, 0.5, 0.75, 0.9)},
        {"recall_thresholds": np.linspace(0, 1, 11)},
        {"use_cats": False},
        {"cat_ids": [9, 2, 11]},
    ],
    ids=lambda kw: next(iter(kw)),
)
@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_options(kw: dict[str, Any], iou_type: str) -> None:
    gt, dt = random_dataset(7, masks=iou_type == "segm")
    _assert_same(gt, dt, iou_type, **kw)


def test_image_subset() -> None:
    gt, dt = random_dataset(11)
    ids = [img["id"] for img in gt["images"]][::2]
    _assert_same(gt, dt, "bbox", img_ids=ids)


def test_many_detections_per_cell() -> None:
    """More than 100 detections in a cell: the cut to max_dets happens per category."""
    gt, _ = random_dataset(12, n_images=4)
    rng = np.random.default_rng(0)
    dt = []
    for ann in gt["annotations"]:
        for _ in range(40):
            box = np.asarray(ann["bbox"]) + rng.normal(0, 2, 4)
            box[2:] = np.abs(box[2:])
            dt.append(
                {
                    "image_id": ann["image_id"],
                    "category_id": ann["category_id"],
                    "bbox": box.tolist(),
                    "score": float(rng.integers(0, 50)) / 50,
                }
            )
    _assert_same(gt, dt, "bbox")


def test_per_category_equals_one_category_runs() -> None:
    """Each per-category row equals pycocotools' stats when it evaluates that category
    alone (``catIds=[c]``); a category without ground truth gives -1 throughout."""
    gt, dt = random_dataset(21)
    rows = ioukit.coco_evaluate(gt, dt).per_category()
    assert [row["category_id"] for row in rows] == [2, 4, 7, 9, 11]
    for row in rows:
        ev, _ = reference(gt, dt, "bbox", catIds=[row["category_id"]])
        got = [row[k] for k in ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR100")]
        assert got == [ev.stats[i] for i in (0, 1, 2, 3, 4, 5, 8)]
    assert rows[-1]["AP"] == rows[-1]["AR100"] == -1  # category 11 has no ground truth
