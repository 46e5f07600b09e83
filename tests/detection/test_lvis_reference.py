"""lvis_evaluate against lvis-api 0.5.3 on random LVIS-style datasets: the precision and recall
arrays equal element for element, the 13 results and the printed summary equal.

lvis-api 0.5.3 calls ``np.float`` (gone from NumPy 2) and the deprecated ``Logger.warn``; the
reference run restores the first and silences the second.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("lvis")

from coco_helpers import _blob

from ioukit import rle
from ioukit.detection.lvis import lvis_evaluate

pytestmark = pytest.mark.reference

CATS = [5, 1, 12, 7, 3, 9, 20, 15, 2, 11]  # 2 and 11 never have ground truth


def random_lvis(
    seed: int, *, masks: bool = False, boxes_too: bool = False, crowded: int = 2
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An LVIS GT dict and a result list with every case LVIS treats specially.

    Unsorted image ids, 10 categories with r/c/f frequencies, two without any GT; images
    without GT; negative and not-exhaustive lists; GT areas of exactly 32², 96² and 0; user
    ``ignore`` flags; COCO crowd flags (not read); a GT with id 0; results on a coarse score
    grid (ties), of wrong, negative and unlisted categories, some of zero area; ``crowded``
    images with more than 300 results (the cap bites, with ties at the cut). With ``masks``:
    polygon GT and RLE results (with their box too when ``boxes_too``).
    """
    rng = np.random.default_rng(seed)
    img_ids = rng.permutation(np.arange(1, 30))[:9].tolist()
    freqs = ["r", "c", "f", *rng.choice(["r", "c", "f"], len(CATS) - 3).tolist()]
    images, anns, dets = [], [], []
    for n, img in enumerate(img_ids):
        h, w = int(rng.integers(60, 120)), int(rng.integers(60, 120))
        n_gt = 0 if n % 4 == 2 else int(rng.integers(1, 7))
        pos = set()
        for _ in range(n_gt):
            cat = int(rng.choice(CATS[:8]))
            pos.add(cat)
            bw, bh = float(rng.uniform(4, w / 2)), float(rng.uniform(4, h / 2))
            x, y = float(rng.uniform(0, w - bw)), float(rng.uniform(0, h - bh))
            box = [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)]
            ann: dict[str, Any] = {
                "id": len(anns) + 1, "image_id": img, "category_id": cat, "bbox": box,
                "area": box[2] * box[3],
            }  # fmt: skip
            if masks:
                x2, y2 = box[0] + box[2], box[1] + box[3]
                ann["segmentation"] = [[box[0], box[1], x2, box[1], x2, y2, box[0], y2]]
            r = rng.random()
            ann["area"] = 1024 if r < 0.1 else 9216.0 if r < 0.2 else 0 if r < 0.25 else ann["area"]
            if rng.random() < 0.08:
                ann["ignore"] = 1
            if rng.random() < 0.1:
                ann["iscrowd"] = 1  # not an LVIS field: lvis-api does not read it
            anns.append(ann)
            for _ in range(int(rng.integers(0, 4))):  # near-hits, sometimes the wrong category
                j = rng.normal(0, 0.12, 4) * [box[2], box[3], box[2], box[3]]
                dbox = [box[0] + j[0], box[1] + j[1], abs(box[2] + j[2]), abs(box[3] + j[3])]
                dcat = cat if rng.random() < 0.8 else int(rng.choice(CATS))
                dets.append(_det(rng, img, dcat, dbox, h, w, masks, boxes_too))
        others = [c for c in CATS if c not in pos]
        neg = rng.choice(others, int(rng.integers(0, 5)), replace=False).tolist()
        nel = rng.choice([*sorted(pos), 2], min(len(pos) + 1, int(rng.integers(0, 3))), False)
        images.append({
            "id": img, "height": h, "width": w, "neg_category_ids": neg,
            "not_exhaustive_category_ids": nel.tolist(),
        })  # fmt: skip
        n_random = 330 if n < crowded else int(rng.integers(0, 6))
        for _ in range(n_random):
            bw, bh = float(rng.uniform(2, w / 2)), float(rng.uniform(2, h / 2))
            if rng.random() < 0.03:
                bw = 0.0  # zero area: lvis-api drops it
            dbox = [float(rng.uniform(0, w - bw)), float(rng.uniform(0, h - bh)), bw, bh]
            if rng.random() < 0.05:
                dbox = [1.0, 1.0, 32.0, 32.0]  # area exactly 32²
            dets.append(_det(rng, img, int(rng.choice(CATS)), dbox, h, w, masks, boxes_too))
    anns[len(anns) // 2]["id"] = 0  # matched as "unmatched" (ids are the match records)
    order = rng.permutation(len(dets))
    gt = {
        "images": images,
        "annotations": anns,
        "categories": [
            {"id": c, "name": f"c{c}", "frequency": f} for c, f in zip(CATS, freqs, strict=True)
        ],
    }
    return gt, [dets[i] for i in order]


def _det(
    rng: np.random.Generator,
    img: int,
    cat: int,
    box: list[float],
    h: int,
    w: int,
    masks: bool,
    boxes_too: bool,
) -> dict[str, Any]:
    score = float(rng.integers(1, 10)) / 10  # a coarse grid: many ties
    det: dict[str, Any] = {"image_id": img, "category_id": cat, "score": score}
    if not masks or boxes_too:
        det["bbox"] = [float(v) for v in box]
    if masks:
        m = _blob(rng, h, w, box) if box[2] > 0 else np.zeros((h, w), bool)
        det["segmentation"] = rle.encode(m)
    return det


def _top_per_category(dets: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """Dave et al.'s per-category limit: each category's k best scores (stable)."""
    by_cat: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for d in dets:
        by_cat[d["category_id"]].append(d)
    return [d for ds in by_cat.values() for d in sorted(ds, key=lambda d: -d["score"])[:k]]


def reference(
    gt: dict[str, Any],
    dt: list[dict[str, Any]],
    iou_type: str,
    tmp_path: Path,
    *,
    max_dets: int = 300,
    per_category: int | None = None,
    **params: Any,
) -> tuple[Any, str]:
    """lvis-api's ``LVISEval`` after evaluate/accumulate/summarize, and the printed results."""
    from lvis import LVIS, LVISEval, LVISResults

    path = tmp_path / "gt.json"
    path.write_text(json.dumps(gt))
    dets = copy.deepcopy(dt)
    if per_category is not None:  # as evaluate_ap_fixed.py: no per-image cap, maxDets -1
        dets, max_dets = _top_per_category(dets, per_category), -1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Logger.warn
        lvis_gt = LVIS(str(path))
        ev = LVISEval(lvis_gt, LVISResults(lvis_gt, dets, max_dets=max_dets), iou_type)
        ev.params.max_dets = max_dets
        for name, value in params.items():
            setattr(ev.params, name, value)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ev.print_results()
    return ev, out.getvalue()


@pytest.fixture(autouse=True)
def _np_float(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(np, "float", float, raising=False)  # lvis-api 0.5.3 needs it


def _assert_same(
    gt: dict[str, Any], dt: list[dict[str, Any]], iou_type: str, tmp_path: Path, **kw: Any
) -> Any:
    names = {"iou_thresholds": "iou_thrs", "recall_thresholds": "rec_thrs",
             "img_ids": "img_ids", "cat_ids": "cat_ids"}  # fmt: skip
    ref_kw = {names[k]: v for k, v in kw.items() if k in names}
    for k in ("iou_thrs", "rec_thrs"):
        if k in ref_kw:
            ref_kw[k] = np.asarray(ref_kw[k])
    if "area_ranges" in kw:
        ref_kw["area_rng"] = [list(v) for v in kw["area_ranges"].values()]
        ref_kw["area_rng_lbl"] = list(kw["area_ranges"])
    if "max_dets" in kw:
        ref_kw["max_dets"] = -1 if kw["max_dets"] is None else kw["max_dets"]
    if "max_dets_per_category" in kw:
        ref_kw["per_category"] = kw["max_dets_per_category"]
    ev, text = reference(gt, dt, iou_type, tmp_path, **ref_kw)
    r = lvis_evaluate(copy.deepcopy(gt), copy.deepcopy(dt), iou_type=iou_type, **kw)
    np.testing.assert_array_equal(r.precision, ev.eval["precision"])
    np.testing.assert_array_equal(r.recall, ev.eval["recall"])
    assert list(r.results) == list(ev.results)
    np.testing.assert_array_equal(list(r.results.values()), list(ev.results.values()))
    assert r.summary() == text
    return r


@pytest.mark.parametrize("seed", range(3))
def test_bbox_defaults(seed: int, tmp_path: Path) -> None:
    gt, dt = random_lvis(seed)
    r = _assert_same(gt, dt, "bbox", tmp_path)
    # the set is not degenerate: the groups, the -1 categories and the cap all occur
    assert {r.results[k] > 0 for k in ("APr", "APc", "APf")} == {True}
    assert (r.precision[0, 0, :, 0] == -1).sum() >= 2
    assert sum(d["image_id"] == gt["images"][0]["id"] for d in dt) > 300


def test_bbox_from_a_file_and_custom_params(tmp_path: Path) -> None:
    gt, dt = random_lvis(7)
    path = tmp_path / "dt.json"
    path.write_text(json.dumps(dt))
    ev, text = reference(gt, dt, "bbox", tmp_path)
    r = lvis_evaluate(str(tmp_path / "gt.json"), path)
    np.testing.assert_array_equal(r.precision, ev.eval["precision"])
    assert r.summary() == text
    kw: dict[str, Any] = {
        "iou_thresholds": [0.5, 0.6, 0.75],
        "recall_thresholds": np.linspace(0, 1, 11),
        "area_ranges": {"all": (0, 1e10), "small": (0, 600), "large": (600, 1e10)},
        "img_ids": [gt["images"][i]["id"] for i in (0, 2, 3, 5)],
        "cat_ids": [5, 12, 7, 2, 20],
    }
    _assert_same(gt, dt, "bbox", tmp_path, **kw)


@pytest.mark.parametrize(("max_dets", "seed"), [(40, 3), (None, 4)])
def test_other_caps_per_image(max_dets: int | None, seed: int, tmp_path: Path) -> None:
    gt, dt = random_lvis(seed, crowded=1)
    r = _assert_same(gt, dt, "bbox", tmp_path, max_dets=max_dets)
    assert r.params.max_dets == (max_dets or -1)


@pytest.mark.parametrize("per_category", [25, 10000])
def test_fixed_ap_per_category_cap(per_category: int, tmp_path: Path) -> None:
    gt, dt = random_lvis(5)
    r = _assert_same(gt, dt, "bbox", tmp_path, max_dets_per_category=per_category)
    assert "AR@-1" in r.results
    if per_category == 10000:  # all results kept: more than under the per-image cap
        capped = lvis_evaluate(gt, dt)
        assert not np.array_equal(r.precision, capped.precision)


@pytest.mark.parametrize("seed", range(2))
def test_segm_polygon_gt_rle_results(seed: int, tmp_path: Path) -> None:
    gt, dt = random_lvis(100 + seed, masks=True, crowded=1)
    _assert_same(gt, dt, "segm", tmp_path)


def test_segm_results_with_boxes_take_box_areas(tmp_path: Path) -> None:
    gt, dt = random_lvis(200, masks=True, boxes_too=True, crowded=1)
    _assert_same(gt, dt, "segm", tmp_path)
    _assert_same(gt, dt, "bbox", tmp_path)
    # boxes only, evaluated as masks: each box becomes its polygon
    boxes_only = [{k: v for k, v in d.items() if k != "segmentation"} for d in dt]
    _assert_same(gt, boxes_only, "segm", tmp_path)
