"""ioukit.tide against tidecv 1.0.1 (``TIDE().evaluate``): every ΔAP and count, bit for bit."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest
from coco_helpers import random_dataset

from ioukit.detection.tide import tide

pytestmark = pytest.mark.reference

tidecv = pytest.importorskip("tidecv")
mask_utils = pytest.importorskip("pycocotools.mask")


def _gt_mask(seg: Any, h: int, w: int) -> Any:
    """The ground-truth mask as tidecv's ``datasets.COCO`` makes it (``functions.toRLE``)."""
    if isinstance(seg, list):
        return mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
    if isinstance(seg["counts"], list):
        return mask_utils.frPyObjects(seg, h, w)
    return seg


def to_tidecv(gt: dict[str, Any], dets: list[dict[str, Any]], masks: bool) -> tuple[Any, Any]:
    """tidecv ``Data`` objects filled as ``datasets.COCO`` / ``datasets.COCOResult`` fill
    them (crowds become ignore regions), without their file reading."""
    g = tidecv.Data("gt", max_dets=100)
    sizes = {}
    for im in gt["images"]:
        sizes[im["id"]] = (im.get("height"), im.get("width"))
        g.add_image(im["id"], im.get("file_name", ""))
    for c in gt["categories"]:
        g.add_class(c["id"], c["name"])
    for a in gt["annotations"]:
        mask = _gt_mask(a["segmentation"], *sizes[a["image_id"]]) if masks else None
        add = g.add_ignore_region if a.get("iscrowd") else g.add_ground_truth
        add(a["image_id"], a["category_id"], a.get("bbox"), mask)
    p = tidecv.Data("dt")
    for d in dets:
        p.add_detection(
            d["image_id"], d["category_id"], d["score"], d.get("bbox"), d.get("segmentation")
        )
    return g, p


def reference(g: Any, p: Any, masks: bool, pos: float, bg: float) -> tuple[Any, ...]:
    t = tidecv.TIDE(pos_threshold=pos, background_threshold=bg)
    mode = tidecv.TIDE.MASK if masks else tidecv.TIDE.BOX
    run = t.evaluate(g, p, mode=mode, name="run")
    counts = {e.short_name: n for e, n in run.count_errors().items()}
    return run.ap, t.get_main_errors()["run"], t.get_special_errors()["run"], counts


def check(gt: Any, dets: Any, *, masks: bool = False, pos: float = 0.5, bg: float = 0.1) -> None:
    ap, main, special, counts = reference(
        *to_tidecv(copy.deepcopy(gt), copy.deepcopy(dets), masks), masks, pos, bg
    )
    r = tide(gt, dets, iou_type="segm" if masks else "bbox", pos_threshold=pos,
             background_threshold=bg)  # fmt: skip
    assert r.base_ap == ap
    assert r.main_errors == main
    assert r.special_errors == special
    assert r.counts == counts


def synthetic(
    seed: int, *, per_image: tuple[int, int] = (0, 30), grid: bool = True, wild: bool = False
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Boxes with every kind of error: detections jittered from ground truths (small jitter:
    true positives and duplicates; larger: localisation errors), relabelled (class errors),
    placed at random (background), a category without ground truth (5), crowds (some of
    category -1 with ``wild``), images without detections, scores on a coarse grid (ties)."""
    rng = np.random.default_rng(seed)
    images, anns, dets = [], [], []
    cats = [1, 2, 3, 4]
    for i in range(12):
        img = 3 * i + 1
        images.append({"id": img, "height": 100, "width": 100, "file_name": f"{img}.jpg"})
        objects = []
        for _ in range(int(rng.integers(0, 8))):
            w, h = rng.uniform(5, 50, 2)
            box = [
                float(rng.uniform(0, 100 - w)),
                float(rng.uniform(0, 100 - h)),
                float(w),
                float(h),
            ]
            cat, crowd = int(rng.choice(cats)), int(rng.random() < 0.15)
            if crowd and wild and rng.random() < 0.5:
                cat = -1
            anns.append({"id": len(anns) + 1, "image_id": img, "category_id": cat, "bbox": box,
                         "area": box[2] * box[3], "iscrowd": crowd})  # fmt: skip
            objects.append((box, cat))
        for _ in range(int(rng.integers(*per_image)) if i % 5 else 0):
            if objects and rng.random() < 0.7:
                box, cat = objects[int(rng.integers(len(objects)))]
                j = rng.normal(0, rng.choice([0.05, 0.2, 0.5]), 4) * [*box[2:], *box[2:]]
                b = [box[0] + j[0], box[1] + j[1], abs(box[2] + j[2]), abs(box[3] + j[3])]
                if cat == -1 or rng.random() < 0.2:
                    cat = int(rng.choice(cats))
            else:
                w, h = rng.uniform(2, 50, 2)
                b = [rng.uniform(0, 100 - w), rng.uniform(0, 100 - h), w, h]
                cat = int(rng.choice([*cats, 5]))
            score = float(rng.integers(1, 6)) / 5 if grid else float(rng.random())
            dets.append({"image_id": img, "category_id": cat, "bbox": [float(v) for v in b],
                         "score": score})  # fmt: skip
    order = rng.permutation(len(dets))
    gt = {"images": images, "annotations": anns,
          "categories": [{"id": c, "name": f"c{c}"} for c in cats]}  # fmt: skip
    return gt, [dets[k] for k in order]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("pos", "bg"), [(0.5, 0.1), (0.75, 0.0), (0.3, 0.29)])
def test_boxes(seed: int, pos: float, bg: float) -> None:
    check(*synthetic(seed), pos=pos, bg=bg)


@pytest.mark.parametrize("seed", range(4))
def test_boxes_truncated_random_scores_wild_crowds(seed: int) -> None:
    check(*synthetic(100 + seed, per_image=(80, 140), grid=False, wild=True))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("masks", [False, True], ids=["bbox", "segm"])
def test_coco_helpers_datasets(seed: int, masks: bool) -> None:
    # unsorted image ids, crowds (uncompressed-RLE masks), ties, images without GT or
    # detections, a category without GT; masks: polygons and RLEs
    check(*random_dataset(seed, masks=masks), masks=masks)


def test_through_tidecv_files(tmp_path: Any) -> None:
    """tidecv's own readers (``datasets.COCO``, ``datasets.COCOResult``) on files."""
    gt, dets = synthetic(7)
    for a in gt["annotations"]:  # datasets.COCO reads every segmentation, also for boxes
        x, y, w, h = a["bbox"]
        a["segmentation"] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dets))
    for masks in (False, True):
        g = tidecv.datasets.COCO(str(tmp_path / "gt.json"))
        if masks:  # results as RLE masks of their boxes
            segm = []
            for d in dets:
                rle = mask_utils.frPyObjects([_box_polygon(d["bbox"])], 100, 100)[0]
                segm.append(dict(d, segmentation=dict(rle, counts=rle["counts"].decode())))
            (tmp_path / "dt.json").write_text(json.dumps(segm))
        p = tidecv.datasets.COCOResult(str(tmp_path / "dt.json"))
        ap, main, special, counts = reference(g, p, masks, 0.5, 0.1)
        r = tide(tmp_path / "gt.json", tmp_path / "dt.json", iou_type="segm" if masks else "bbox")
        assert (r.base_ap, r.main_errors, r.special_errors, r.counts) == (ap, main, special, counts)


def _box_polygon(box: list[float]) -> list[float]:
    x, y, w, h = box
    return [x, y, x + w, y, x + w, y + h, x, y + h]
