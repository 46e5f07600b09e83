"""Runners for the COCO evaluators that ioukit is compared with besides pycocotools
(hotcoco, faster-coco-eval), and the data changes their comparisons need."""

from __future__ import annotations

import contextlib
import copy
import io
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

# ioukit's option -> (hotcoco's Params attribute, pycocotools' / faster-coco-eval's)
_PARAMS = {
    "max_dets": ("max_dets", "maxDets"),
    "iou_thresholds": ("iou_thrs", "iouThrs"),
    "recall_thresholds": ("rec_thrs", "recThrs"),
    "use_cats": ("use_cats", "useCats"),
    "img_ids": ("img_ids", "imgIds"),
    "cat_ids": ("cat_ids", "catIds"),
    "kpt_oks_sigmas": ("kpt_oks_sigmas", "kpt_oks_sigmas"),
}


def renumber_id0(gt: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``gt`` whose annotation with id 0 has a fresh id (hotcoco matches a ground
    truth with id 0, pycocotools cannot)."""
    gt = copy.deepcopy(gt)
    fresh = max(a["id"] for a in gt["annotations"]) + 1
    for ann in gt["annotations"]:
        if ann["id"] == 0:
            ann["id"] = fresh
    return gt


def with_keypoints(
    gt: dict[str, Any], dt: list[dict[str, Any]], seed: int, n_kpt: int = 17
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Keypoint versions of a bbox dataset: each ground truth and result gets ``n_kpt``
    points at the same relative places in its box, plus noise, so that results near a
    ground truth have a high OKS. Some ground truths have no labelled point
    (``num_keypoints == 0``), most have some unlabelled ones (v = 0); results lose their box
    (loadRes's keypoint branch: the box and area of the points' extent)."""
    rng = np.random.default_rng(seed)
    where = rng.uniform(0.1, 0.9, (n_kpt, 2))
    gt = copy.deepcopy(gt)

    def points(box: list[float], spread: float) -> Any:
        wh = np.asarray(box[2:4], float)
        return np.asarray(box[:2], float) + where * wh + rng.normal(0, spread, (n_kpt, 2)) * wh

    for ann in gt["annotations"]:
        v = rng.choice([0, 1, 2], n_kpt, p=[0.25, 0.25, 0.5])
        if rng.random() < 0.15:
            v[:] = 0
        xy = np.where(v[:, None] > 0, points(ann["bbox"], 0.02), 0.0)
        ann["keypoints"] = np.column_stack([xy, v]).reshape(-1).tolist()
        ann["num_keypoints"] = int((v > 0).sum())
    results = []
    for det in dt:
        xy = points(det["bbox"], rng.uniform(0.005, 0.08))
        kp = np.column_stack([xy, np.ones(n_kpt)]).reshape(-1).tolist()
        keep = {k: det[k] for k in ("image_id", "category_id", "score")}
        results.append({**keep, "keypoints": kp})
    return gt, results


def hotcoco_eval(
    gt: dict[str, Any], dt: list[dict[str, Any]], iou_type: str, **kw: Any
) -> tuple[Any, str]:
    """hotcoco's ``COCOeval`` after evaluate/accumulate/summarize, options named as ioukit's;
    and its summary text."""
    import hotcoco

    with _quiet():
        coco_gt = hotcoco.COCO(copy.deepcopy(gt))
        ev = hotcoco.COCOeval(coco_gt, coco_gt.loadRes(copy.deepcopy(dt)), iou_type)
        p = ev.params
        for name, value in kw.items():
            if name == "area_ranges":
                p.area_rng = [list(v) for v in value.values()]
                p.area_rng_lbl = list(value)
            else:
                setattr(p, _PARAMS[name][0], value if isinstance(value, bool) else list(value))
        return _run(ev)


def fce_eval(
    gt: dict[str, Any], dt: list[dict[str, Any]], iou_type: str, **kw: Any
) -> tuple[Any, str]:
    """faster-coco-eval's ``COCOeval_faster`` after evaluate/accumulate/summarize, options
    named as ioukit's, and its summary text."""
    from faster_coco_eval import COCO, COCOeval_faster

    with _quiet():
        coco_gt = COCO(copy.deepcopy(gt))
        coco_dt = coco_gt.loadRes(copy.deepcopy(dt))
        ev = COCOeval_faster(coco_gt, coco_dt, iou_type, print_function=print)
        p = ev.params
        for name, value in kw.items():
            if name == "area_ranges":
                p.areaRng = [list(v) for v in value.values()]
                p.areaRngLbl = list(value)
            elif name in ("iou_thresholds", "recall_thresholds", "kpt_oks_sigmas"):
                setattr(p, _PARAMS[name][1], np.asarray(value, dtype=float))
            else:
                setattr(p, _PARAMS[name][1], int(value) if isinstance(value, bool) else list(value))
        return _run(ev)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The peers warn about id 0 and about every non-default option, and print progress."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _run(ev: Any) -> tuple[Any, str]:
    ev.evaluate()
    ev.accumulate()
    with contextlib.redirect_stdout(io.StringIO()) as out:
        ev.summarize()
    return ev, out.getvalue()


def ulps(a: Any, b: Any) -> int:
    """The largest distance between ``a`` and ``b``, element for element, in units in the
    last place: 1 for neighbouring doubles, 0 for equal ones (for values in [-1, 1])."""
    ia = np.asarray(a, dtype=np.float64).view(np.int64)
    ib = np.asarray(b, dtype=np.float64).view(np.int64)
    # doubles of one sign are ordered as their bit patterns; map negatives below zero
    ia = np.where(ia < 0, np.int64(-(2**63)) - ia, ia)
    ib = np.where(ib < 0, np.int64(-(2**63)) - ib, ib)
    return int(np.abs(ia - ib).max(initial=0))
