"""Matching detections to ground truths, and detection counts."""

from __future__ import annotations

import contextlib
import io
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ioukit
from ioukit import InputError, ParameterError
from ioukit.detection.matching import (
    COCO_IOU_THRESHOLDS,
    Matches,
    _assignment,
    detection_counts,
    match_detections,
)


def _status(m: Matches, d: int) -> list[Any]:
    """Per detection: the matched ground truth, "ignored" or "fp"."""
    out: list[Any] = ["?"] * d
    for i, g in zip(m.detections.tolist(), m.ground_truths.tolist(), strict=True):
        out[i] = g
    for i in m.ignored_detections.tolist():
        out[i] = "ignored"
    for i in m.unmatched_detections.tolist():
        out[i] = "fp"
    assert "?" not in out  # every detection is accounted for exactly once
    return out


# ----------------------------------------------------------------------------- hand cases


def test_seed_example_two_boxes() -> None:
    # two 10x10 boxes overlapping 5x5: IoU = 25 / (100 + 100 - 25) = 25/175 = 0.142857...
    iou = ioukit.box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))
    assert float(iou[0, 0]) == pytest.approx(25 / 175, abs=1e-15)
    assert match_detections(iou, threshold=0.14).tp == 1
    assert match_detections(iou, threshold=0.15).tp == 0


def test_coco_greedy_takes_score_order_not_best_iou() -> None:
    # det 0 (score .6) and det 1 (score .9) both overlap gt 0; det 1 goes first and takes it,
    # although det 0 has the higher IoU; det 0 then takes gt 1.
    iou = np.array([[0.9, 0.55], [0.7, 0.0]])
    m = match_detections(iou, scores=[0.6, 0.9])
    assert _status(m, 2) == [1, 0]
    assert m.ious.tolist() == [0.7, 0.55]  # in matching order: det 1 first
    assert (m.tp, m.fp, m.fn) == (2, 0, 0)


def test_coco_threshold_is_inclusive_and_voc_strict() -> None:
    iou = np.array([[0.5]])
    assert match_detections(iou, threshold=0.5, method="coco").tp == 1
    assert match_detections(iou, threshold=0.5, method="hungarian").tp == 1
    assert match_detections(iou, threshold=0.5, method="voc").tp == 0


def test_exact_decimal_thresholds() -> None:
    # an IoU of exactly 0.9 matches at 0.9; COCO's linspace threshold 0.8999999999999999 would
    # also match 0.89999999999999991 -- ours does not
    iou = np.array([[0.9], [np.nextafter(0.9, 0)]])
    m = match_detections(iou, threshold="0.9")
    assert _status(m, 2) == [0, "fp"]
    assert np.linspace(0.5, 0.95, 10)[8] != COCO_IOU_THRESHOLDS[8] == 0.9
    assert match_detections(iou, threshold=Decimal("0.9")).tp == 1
    with pytest.raises(ParameterError, match="float32"):
        match_detections(iou, threshold=np.float32(0.9))
    with pytest.raises(ParameterError, match="float32 array"):
        detection_counts(iou, thresholds=np.linspace(0.5, 0.95, 10, dtype=np.float32))


def test_threshold_one_needs_iou_one() -> None:
    iou = np.array([[1.0], [1 - 1e-12]])
    assert _status(match_detections(iou, threshold=1), 2) == [0, "fp"]


def test_duplicates_are_false_positives() -> None:
    iou = np.array([[0.8], [0.9], [0.7]])
    for method in ("coco", "voc", "hungarian"):
        m = match_detections(iou, scores=[0.3, 0.2, 0.1], method=method)
        assert (m.tp, m.fp, m.fn) == (1, 2, 0), method
    # coco: the highest score (det 0) wins even with the lower IoU
    assert match_detections(iou, scores=[0.3, 0.2, 0.1]).detections.tolist() == [0]
    # hungarian: the best IoU wins
    assert match_detections(iou, method="hungarian").detections.tolist() == [1]


def test_voc_best_gt_taken_is_a_duplicate() -> None:
    # det 1's best ground truth (gt 0) is taken by det 0: VOC calls det 1 a false positive even
    # though gt 1 would match it; COCO moves on to gt 1.
    iou = np.array([[0.9, 0.0], [0.8, 0.6]])
    assert _status(match_detections(iou, method="voc"), 2) == [0, "fp"]
    assert _status(match_detections(iou, method="coco"), 2) == [0, 1]


def test_crowd_absorbs_many_detections() -> None:
    iou = np.array([[0.9, 0.0], [0.8, 0.0], [0.7, 0.6]])
    m = match_detections(iou, crowd=[True, False])
    # det 0 and det 1 fall in the crowd region (ignored); det 2 prefers the regular gt 1
    assert _status(m, 3) == ["ignored", "ignored", 1]
    assert (m.tp, m.fp, m.fn) == (1, 0, 0)
    # an unmatched crowd region is not a false negative
    m = match_detections(np.zeros((0, 2)), crowd=[True, False])
    assert m.unmatched_ground_truths.tolist() == [1]


def test_ignore_matches_once_and_is_not_fn() -> None:
    iou = np.array([[0.9], [0.8]])
    m = match_detections(iou, ignore=[True])
    assert _status(m, 2) == ["ignored", "fp"]
    assert m.fn == 0
    # VOC: every detection whose best match is a difficult box is ignored
    m = match_detections(iou, ignore=[True], method="voc")
    assert _status(m, 2) == ["ignored", "ignored"]


def test_coco_ties_go_to_the_later_ground_truth() -> None:
    iou = np.array([[0.6, 0.6]])
    assert match_detections(iou).ground_truths.tolist() == [1]
    assert match_detections(iou, method="voc").ground_truths.tolist() == [0]


def test_hungarian_maximises_matches() -> None:
    # greedy (coco): det 0 takes gt 0 (0.9), det 1 finds nothing -> 1 TP; optimal: 2 TPs
    iou = np.array([[0.9, 0.6], [0.7, 0.0]])
    assert match_detections(iou, scores=[1, 0]).tp == 1
    m = match_detections(iou, method="hungarian")
    assert _status(m, 2) == [1, 0]


def test_hungarian_leftovers_fall_into_crowd() -> None:
    iou = np.array([[0.9, 0.7], [0.8, 0.0], [0.0, 0.0]])
    m = match_detections(iou, method="hungarian", crowd=[False, True])
    assert _status(m, 3) == [0, "fp", "fp"]  # det 1 has nothing regular and no crowd overlap
    m = match_detections(iou, method="hungarian", crowd=[True, False])
    assert _status(m, 3) == [1, "ignored", "fp"]


def test_empty_inputs() -> None:
    for method in ("coco", "voc", "hungarian"):
        m = match_detections(np.zeros((0, 3)), method=method)
        assert (m.tp, m.fp, m.fn) == (0, 0, 3)
        m = match_detections(np.zeros((2, 0)), method=method)
        assert (m.tp, m.fp, m.fn) == (0, 2, 0)
        m = match_detections(np.zeros((0, 0)), method=method)
        assert (m.tp, m.fp, m.fn) == (0, 0, 0)
        assert m.detections.dtype == np.int64
        assert m.ious.dtype == np.float64


def test_detection_counts_and_reduce() -> None:
    iou = np.array([[0.92, 0.0], [0.55, 0.0], [0.0, 0.0]])
    c = detection_counts(iou, scores=[0.9, 0.8, 0.7])
    assert c.task == "detection"
    assert c.num_classes == 10
    # 0.92 matches at every threshold up to 0.9; 0.95 fails
    assert c.tp.tolist() == [1] * 9 + [0]
    assert c.fp.tolist() == [2] * 9 + [3]
    assert c.fn.tolist() == [1] * 9 + [2]
    total = c + c
    assert total.tp.tolist() == [2] * 9 + [0]
    f1 = ioukit.fbeta(total, beta=1, average="none")
    assert float(f1[0]) == pytest.approx(2 * 2 / (2 * 2 + 4 + 2))  # 2tp/(2tp+fp+fn)
    with pytest.raises(ParameterError, match="no true negatives"):
        ioukit.accuracy(c)
    with pytest.raises(ParameterError, match="no true negatives"):
        ioukit.specificity(c)


def test_torch_input_stays_torch() -> None:
    torch = pytest.importorskip("torch")
    iou = torch.tensor([[0.9, 0.1], [0.2, 0.8]], dtype=torch.float32)
    m = match_detections(iou, scores=torch.tensor([0.5, 0.6]))
    assert isinstance(m.detections, torch.Tensor)
    assert m.detections.tolist() == [1, 0]
    c = detection_counts(iou, thresholds=0.5)
    assert isinstance(c.tp, torch.Tensor)
    assert c.tp.tolist() == [2]


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"iou_matrix": np.zeros(3)}, InputError, r"shape \(D, G\).*got shape \(3,\)"),
        ({"iou_matrix": np.array([[1.5]])}, InputError, r"\[0, 1\].*\(0, 0\): 1.5"),
        ({"iou_matrix": np.array([[-0.2]])}, InputError, "GIoU"),
        ({"iou_matrix": np.array([[np.nan]])}, InputError, "outside"),
        ({"scores": [1, 2, 3]}, InputError, r"one score per detection.*\(2,\); got shape \(3,\)"),
        ({"scores": [1, np.nan]}, InputError, "NaN"),
        ({"crowd": [1, 0, 0]}, InputError, r"crowd.*\(2,\); got shape \(3,\)"),
        ({"ignore": [2, 0]}, InputError, r"ignore.*values \[2\]"),
        ({"threshold": 1.5}, ParameterError, r"\[0, 1\]; got 1.5"),
        ({"threshold": "half"}, ParameterError, "not a decimal"),
        ({"threshold": True}, ParameterError, "threshold"),
        ({"method": "best"}, ParameterError, "'coco', 'voc', 'hungarian'"),
        ({"method": "voc", "crowd": [0, 1]}, ParameterError, "difficult"),
    ],
)
def test_bad_input(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    args = {"iou_matrix": np.array([[0.9, 0.1], [0.2, 0.8]])} | kwargs
    with pytest.raises(error, match=match):
        match_detections(args.pop("iou_matrix"), **args)


def test_bad_thresholds() -> None:
    with pytest.raises(ParameterError, match="must not be empty"):
        detection_counts(np.zeros((1, 1)), thresholds=[])
    with pytest.raises(ParameterError, match=r"\[0, 1\]"):
        detection_counts(np.zeros((1, 1)), thresholds=[0.5, 2])


# ----------------------------------------------------------------------------- oracles


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 7),
    st.integers(1, 7),
    st.integers(0, 2**32 - 1),
)
def test_assignment_is_optimal(n: int, m: int, seed: int) -> None:
    scipy_opt = pytest.importorskip("scipy.optimize")
    w = np.random.default_rng(seed).integers(0, 5, size=(n, m)).astype(float)
    if n <= m:
        cols = _assignment(w)
        ours = w[np.arange(n), cols].sum()
        assert len(set(cols.tolist())) == n
    else:
        rows = _assignment(w.T)
        ours = w.T[np.arange(m), rows].sum()
    r, c = scipy_opt.linear_sum_assignment(w, maximize=True)
    assert ours == w[r, c].sum()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 8), st.integers(0, 8), st.integers(0, 2**32 - 1))
def test_voc_matches_devkit_loop(d: int, g: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    iou = rng.choice([0.0, 0.3, 0.5, 0.7, 0.9], size=(d, g))
    scores = rng.integers(0, 4, size=d).astype(float)
    difficult = rng.random(g) < 0.3
    # VOCevalDet, transcribed: sort by confidence, best overlap, strict threshold
    order = np.argsort(-scores, kind="stable")
    detected = np.zeros(g, dtype=bool)
    tp = fp = 0
    for i in order:
        ovmax = iou[i].max() if g else -np.inf
        j = int(iou[i].argmax()) if g else -1
        if ovmax > 0.5:
            if not difficult[j]:
                if not detected[j]:
                    tp += 1
                    detected[j] = True
                else:
                    fp += 1
        else:
            fp += 1
    m = match_detections(iou, scores=scores, method="voc", ignore=difficult)
    assert (m.tp, m.fp, m.fn) == (tp, fp, int((~difficult).sum()) - tp)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 6), st.integers(0, 6), st.integers(0, 2**32 - 1))
def test_properties(d: int, g: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    iou = rng.random((d, g)) * (rng.random((d, g)) < 0.5)
    scores = rng.random(d)
    crowd = rng.random(g) < 0.2
    for method in ("coco", "hungarian"):
        m = match_detections(iou, scores=scores, method=method, crowd=crowd)
        assert m.tp + m.fp + int(m.ignored_detections.shape[0]) == d
        assert m.tp + m.fn == int((~crowd).sum())
        assert len(set(m.ground_truths.tolist())) == m.tp  # one detection per ground truth
        assert (m.ious >= 0.5).all()
    # the optimal assignment never has fewer true positives than greedy
    coco = match_detections(iou, scores=scores, crowd=crowd)
    hung = match_detections(iou, method="hungarian", crowd=crowd)
    assert hung.tp >= coco.tp
    # counts at a threshold equal the matches at that threshold
    c = detection_counts(iou, scores=scores, thresholds=[0.3, "0.7"], crowd=crowd)
    m7 = match_detections(iou, scores=scores, threshold=0.7, crowd=crowd)
    assert (int(c.tp[1]), int(c.fp[1]), int(c.fn[1])) == (m7.tp, m7.fp, m7.fn)


# ----------------------------------------------------------------------------- pycocotools


def _random_image(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    g, d = int(rng.integers(0, 7)), int(rng.integers(0, 12))

    def boxes(n: int) -> np.ndarray:
        xy = rng.integers(0, 40, size=(n, 2))
        wh = rng.integers(4, 20, size=(n, 2))
        return np.concatenate([xy, wh], axis=1).astype(float)  # xywh

    # detections are jittered copies of ground truths (many overlaps), plus noise
    gts = boxes(g)
    dts = boxes(d)
    for i in range(min(d, g)):
        dts[i] = gts[i] + rng.integers(-3, 4, size=4) * [1, 1, 1, 1]
        dts[i, 2:] = np.maximum(dts[i, 2:], 1)
    crowd = rng.random(g) < 0.25
    scores = rng.integers(0, 5, size=d) / 4  # many ties
    return gts, dts, crowd, scores


@pytest.mark.reference
def test_coco_matching_equals_cocoeval() -> None:
    pytest.importorskip("pycocotools")
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    rng = np.random.default_rng(7)
    images = [_random_image(rng) for _ in range(40)]
    gt_json: dict[str, Any] = {"images": [], "annotations": [], "categories": [{"id": 1}]}
    results: list[dict[str, Any]] = []
    for img_id, (gts, dts, crowd, scores) in enumerate(images, start=1):
        gt_json["images"].append({"id": img_id, "width": 64, "height": 64})
        for box, c in zip(gts, crowd, strict=True):
            gt_json["annotations"].append(
                {
                    "id": len(gt_json["annotations"]) + 1,
                    "image_id": img_id,
                    "category_id": 1,
                    "bbox": box.tolist(),
                    "area": float(box[2] * box[3]),
                    "iscrowd": int(c),
                }
            )
        for box, s in zip(dts, scores, strict=True):
            results.append(
                {"image_id": img_id, "category_id": 1, "bbox": box.tolist(), "score": float(s)}
            )
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = gt_json
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(results) if results else COCO()
        ev = COCOeval(coco_gt, coco_dt, "bbox")
        ev.params.areaRng = [[0, 1e10]]
        ev.params.areaRngLbl = ["all"]
        ev.params.maxDets = [100]
        ev.evaluate()
    thresholds = ev.params.iouThrs
    checked = 0
    for e in ev.evalImgs:
        if e is None:
            continue
        gts, dts, crowd, scores = images[e["image_id"] - 1]
        iou = mask_utils.iou(dts.tolist(), gts.tolist(), crowd.astype(np.uint8).tolist())
        iou = np.zeros((len(dts), len(gts))) if isinstance(iou, list) else np.asarray(iou)
        # COCO's dt ids follow loadRes order; its gt ids are 1-based annotation ids
        dt_pos = {did: i for i, did in enumerate(sorted(e["dtIds"]))}
        gt_pos = {gid: j for j, gid in enumerate(sorted(e["gtIds"]))}
        for k, t in enumerate(thresholds):
            ours = _status(match_detections(iou, scores=scores, threshold=t, crowd=crowd), len(dts))
            theirs: list[Any] = ["?"] * len(dts)
            for col, did in enumerate(e["dtIds"]):
                gid = int(e["dtMatches"][k, col])
                if e["dtIgnore"][k, col]:
                    theirs[dt_pos[did]] = "ignored"
                else:
                    theirs[dt_pos[did]] = gt_pos[gid] if gid else "fp"
            assert ours == theirs, (e["image_id"], t)
            checked += 1
    assert checked >= 300
