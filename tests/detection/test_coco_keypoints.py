"""``coco_evaluate(..., iou_type="keypoints")`` against pycocotools 2.0.11, cell for cell."""

from __future__ import annotations

import contextlib
import copy
import io
import math
from typing import Any

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

import ioukit
from ioukit._errors import InputError, ParameterError

K = 17


def _dataset(
    seed: int, *, n_kpt: int = K, boxed_results: bool = False
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Several people per image; unlabelled keypoints (v=0); GTs with no keypoint at all;
    crowds; GT areas of exactly 32² and 96²; scores on a coarse grid (ties); images without
    GT (5) and without results (6, 7); two categories."""
    rng = np.random.default_rng(seed)
    images = [{"id": i, "height": 400, "width": 400} for i in (3, 1, 2, 5, 4, 6, 7)]
    anns: list[dict[str, Any]] = []
    dets: list[dict[str, Any]] = []
    for img in (3, 1, 2, 4, 7):
        for _ in range(int(rng.integers(1, 6))):
            cat = int(rng.choice([1, 2], p=[0.8, 0.2]))
            x, y = (float(v) for v in rng.uniform(0, 250, 2))
            w, h = (float(v) for v in rng.uniform(4, 150, 2))
            kx, ky = rng.uniform(x, x + w, n_kpt), rng.uniform(y, y + h, n_kpt)
            v = rng.choice([0, 1, 2], n_kpt, p=[0.3, 0.2, 0.5])
            if rng.random() < 0.2:
                v[:] = 0
            kp = np.stack([np.where(v > 0, kx, 0), np.where(v > 0, ky, 0), v], 1)
            area = float(rng.choice([w * h, 1024.0, 9216.0, 0.6 * w * h]))
            anns.append({
                "id": len(anns) + 1, "image_id": img, "category_id": cat,
                "bbox": [x, y, w, h], "area": area, "iscrowd": int(rng.random() < 0.1),
                "keypoints": kp.reshape(-1).tolist(), "num_keypoints": int((v > 0).sum()),
            })  # fmt: skip
            if img == 7:
                continue
            for _ in range(int(rng.integers(0, 3))):
                jx = kx + rng.normal(0, rng.uniform(0.5, 15), n_kpt)
                jy = ky + rng.normal(0, rng.uniform(0.5, 15), n_kpt)
                dets.append(_det(rng, img, cat, jx, jy))
    for img in (3, 5, 2):
        for _ in range(int(rng.integers(1, 4))):
            x, y = rng.uniform(0, 300, 2)
            dets.append(
                _det(rng, img, 1, rng.uniform(x, x + 60, n_kpt), rng.uniform(y, y + 90, n_kpt))
            )
    if boxed_results:
        for d in dets:
            d["bbox"] = [float(v) for v in rng.uniform(0, 100, 4)]
    cats = [{"id": 1, "name": "person"}, {"id": 2, "name": "doll"}]
    return {"images": images, "categories": cats, "annotations": anns}, dets


def _det(rng: np.random.Generator, img: int, cat: int, x: Any, y: Any) -> dict[str, Any]:
    kp = np.stack([x, y, np.ones_like(x)], 1).reshape(-1)
    score = float(rng.integers(0, 6)) / 5
    return {"image_id": img, "category_id": cat, "score": score, "keypoints": kp.tolist()}


def _reference(gt: dict[str, Any], dt: list[dict[str, Any]], **params: Any) -> tuple[Any, str]:
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(copy.deepcopy(dt)), "keypoints")
        for key, value in params.items():
            setattr(ev.params, key, value)
        ev.evaluate()
        ev.accumulate()
    with contextlib.redirect_stdout(io.StringIO()) as out:
        ev.summarize()
    return ev, out.getvalue()


def _assert_same(r: Any, ev: Any, text: str) -> None:
    for key in ("precision", "recall", "scores"):
        np.testing.assert_array_equal(getattr(r, key), ev.eval[key])
    np.testing.assert_array_equal(r.stats, ev.stats)
    assert r.stats.shape == (10,)
    assert r.summary() == text


@pytest.mark.parametrize("seed", range(6))
def test_reference_random(seed: int) -> None:
    gt, dt = _dataset(seed)
    ev, text = _reference(gt, dt)
    r = ioukit.coco_evaluate(gt, dt, iou_type="keypoints")
    _assert_same(r, ev, text)
    assert r.params.max_dets == (20,)
    assert repr(r).endswith(f"AR20={r.stats[5]:.4f})")
    assert [a[0] for a in r.params.area_ranges] == ["all", "medium", "large"]


@pytest.mark.parametrize("seed", [11, 21, 31])
def test_reference_oks_values_bit_exact(seed: int) -> None:
    gt, dt = _dataset(seed)
    ev, _ = _reference(gt, dt)
    ours = ioukit.coco_evaluate(gt, dt, iou_type="keypoints")
    assert ours._records is not None
    got = np.sort(ours._records.iou)
    want = np.sort(np.concatenate([np.asarray(b).reshape(-1) for b in ev.ious.values()]))
    assert got.size > 30
    np.testing.assert_array_equal(got, want)


def test_reference_use_cats_false() -> None:
    # pycocotools' computeOks does not pool the categories (it reads category -1): no matches
    gt, dt = _dataset(12)
    ev, text = _reference(gt, dt, useCats=0)
    r = ioukit.coco_evaluate(gt, dt, iou_type="keypoints", use_cats=False)
    _assert_same(r, ev, text)
    assert r.stats[0] == 0.0


def test_reference_custom_params() -> None:
    gt, dt = _dataset(3)
    ev, text = _reference(gt, dt, maxDets=[2, 20], iouThrs=np.array([0.3, 0.5, 0.75]))
    r = ioukit.coco_evaluate(
        gt, dt, iou_type="keypoints", max_dets=(20, 2), iou_thresholds=(0.3, 0.5, 0.75)
    )
    _assert_same(r, ev, text)
    ev, text = _reference(gt, dt, maxDets=[1, 5])
    r = ioukit.coco_evaluate(gt, dt, iou_type="keypoints", max_dets=(1, 5))
    _assert_same(r, ev, text)  # maxDets=20 absent: every stat is -1
    assert (r.stats == -1).all()


def test_reference_custom_sigmas_and_keypoint_count() -> None:
    gt, dt = _dataset(4, n_kpt=5)
    sig = np.array([0.5, 0.3, 0.7, 0.2, 1.1]) / 10.0
    ev, text = _reference(gt, dt, kpt_oks_sigmas=sig)
    r = ioukit.coco_evaluate(gt, dt, iou_type="keypoints", kpt_oks_sigmas=sig.tolist())
    _assert_same(r, ev, text)
    assert r.params.kpt_oks_sigmas == tuple(sig.tolist())


def test_reference_results_with_boxes() -> None:
    # loadRes takes the bbox branch: the detection area is the given box's w * h
    gt, dt = _dataset(5, boxed_results=True)
    ev, text = _reference(gt, dt)
    _assert_same(ioukit.coco_evaluate(gt, dt, iou_type="keypoints"), ev, text)


def test_reference_area_ranges_override() -> None:
    gt, dt = _dataset(2)
    rng = {"all": (0, 1e10), "medium": (0, 5000), "large": (5000, 1e10)}
    ev, text = _reference(gt, dt, areaRng=[list(v) for v in rng.values()], areaRngLbl=list(rng))
    _assert_same(ioukit.coco_evaluate(gt, dt, iou_type="keypoints", area_ranges=rng), ev, text)


def _one_pair() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    gt = {
        "images": [{"id": 1}],
        "categories": [{"id": 1, "name": "p"}],
        "annotations": [{
            "id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 50.0,
            "iscrowd": 0, "keypoints": [0, 0, 2, 4, 0, 1, 0, 0, 0], "num_keypoints": 2,
        }],
    }  # fmt: skip
    dt = [{"image_id": 1, "category_id": 1, "score": 1.0, "keypoints": [1, 0, 1, 4, 2, 1, 9, 9, 1]}]
    return gt, dt


def test_hand_computed_oks() -> None:
    # keypoint 3 is unlabelled: OKS = (exp(-1 / (4 s0²) / 50 / 2) + exp(-4 / (4 s1²) / 50 / 2)) / 2
    gt, dt = _one_pair()
    s = [0.1, 0.2, 0.3]
    r = ioukit.coco_evaluate(gt, dt, iou_type="keypoints", kpt_oks_sigmas=s)
    e0 = 1 / (2 * s[0]) ** 2 / 50 / 2
    e1 = 4 / (2 * s[1]) ** 2 / 50 / 2
    want = (math.exp(-e0) + math.exp(-e1)) / 2
    assert r._records is not None
    assert r._records.iou.tolist() == pytest.approx([want], rel=1e-12)
    assert want == pytest.approx(math.exp(-0.25), rel=1e-12)  # matched up to IoU 0.75
    assert r.recall[5, 0, 0, 0] == 1.0
    assert r.recall[6, 0, 0, 0] == 0.0
    ev, text = _reference(gt, dt, kpt_oks_sigmas=np.array(s))
    _assert_same(r, ev, text)


def test_no_labelled_keypoints_uses_enlarged_box() -> None:
    # all v = 0: distance to the box enlarged to [-10, 20]²; inside -> OKS 1; the GT is ignored
    gt, dt = _one_pair()
    ann = gt["annotations"][0]
    ann["keypoints"], ann["num_keypoints"] = [0, 0, 0] * 3, 0
    dt[0]["keypoints"] = [-5, 15, 1, 19, -9, 1, 25, 0, 1]
    r = ioukit.coco_evaluate(gt, dt, iou_type="keypoints", kpt_oks_sigmas=[0.1, 0.2, 0.3])
    e2 = 25 / (2 * 0.3) ** 2 / 50 / 2
    assert r._records is not None
    assert r._records.iou.tolist() == pytest.approx([(2 + math.exp(-e2)) / 3], rel=1e-12)
    assert (r.recall == -1).all()  # num_keypoints == 0: ignored, no regular GT
    ev, text = _reference(gt, dt, kpt_oks_sigmas=np.array([0.1, 0.2, 0.3]))
    _assert_same(r, ev, text)


def test_bad_input() -> None:
    gt, dt = _dataset(0)
    with pytest.raises(InputError, match=r"dt\[1\]\['keypoints'\]` must be 51 finite"):
        ioukit.coco_evaluate(gt, [dt[0], {**dt[1], "keypoints": [1, 2, 3]}], iou_type="keypoints")
    bad = copy.deepcopy(gt)
    bad["annotations"][2]["keypoints"] = bad["annotations"][2]["keypoints"][:-3]
    with pytest.raises(InputError, match=r"gt\['annotations'\]\[2\]\['keypoints'\]"):
        ioukit.coco_evaluate(bad, dt, iou_type="keypoints")
    del bad["annotations"][1]["num_keypoints"]
    with pytest.raises(InputError, match="num_keypoints"):
        ioukit.coco_evaluate(bad, dt, iou_type="keypoints")
    missing = [dict(d) for d in dt]
    del missing[1]["keypoints"]
    with pytest.raises(InputError, match=r"`dt\[1\]` must have a 'keypoints' field"):
        ioukit.coco_evaluate(gt, missing, iou_type="keypoints")
    with pytest.raises(InputError, match=r"dt\[0\]\[.keypoints.\]` must be 15 finite"):
        ioukit.coco_evaluate(gt, dt, iou_type="keypoints", kpt_oks_sigmas=[0.1] * 5)
    for sig in ([], [0.1, -1.0], "abc", [[0.1]]):
        with pytest.raises(ParameterError, match="kpt_oks_sigmas"):
            ioukit.coco_evaluate(gt, dt, iou_type="keypoints", kpt_oks_sigmas=sig)


def test_bbox_defaults_unchanged() -> None:
    gt, dt = _dataset(1, boxed_results=True)
    r = ioukit.coco_evaluate(gt, dt)
    assert r.params.max_dets == (1, 10, 100)
    assert r.params.kpt_oks_sigmas == ()
    assert r.stats.shape == (12,)
