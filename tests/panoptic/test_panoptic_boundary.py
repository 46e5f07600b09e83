"""Boundary PQ (option ``boundary``): equal, bit for bit, to the transcription of
boundary-iou-api's ``coco_panoptic_api`` (panoptic_helpers.reference_pq(..., boundary=ratio),
bands by OpenCV) on generated datasets; a hand-computed image; the pair IoU equal to
min(mask IoU, ioukit.boundary_iou) on images without VOID; the evaluator, worker processes and
the CLI agree; bad ratios are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from panoptic_helpers import CATEGORIES, check_equal, make_dataset, reference_pq

import ioukit
from ioukit import cli

pytest.importorskip("cv2")  # the reference's bands

INTERIOR = max(c["id"] for c in CATEGORIES) + 1  # the reference's interior id


def _no_interior_id(files) -> None:
    """The reference paints interiors with INTERIOR; a segment of that id is the documented
    difference, so the generated data must not hold one (else the comparison means nothing)."""
    for doc in (files[0], files[2]):
        for ann in json.loads(doc.read_text())["annotations"]:
            assert all(s["id"] != INTERIOR for s in ann["segments_info"])


@pytest.mark.reference
@pytest.mark.parametrize(
    ("seed", "ratio", "size"),
    [(s, 0.02, (24, 32)) for s in range(4)]
    + [(s, 0.05, (24, 32)) for s in range(4, 8)]
    + [(s, 0.06, (48, 64)) for s in range(8, 11)]
    + [(11, 0.005, (60, 40)), (12, 0.3, (20, 20))],
)
def test_equals_reference_on_random_datasets(tmp_path, seed, ratio, size):
    files = make_dataset(tmp_path, seed, n_images=8, size=size)
    _no_interior_id(files)
    result = ioukit.panoptic_quality(*files, workers=1, boundary=ratio)
    check_equal(result, reference_pq(*files, boundary=ratio))
    assert result.boundary == ratio


def test_boundary_changes_the_numbers(tmp_path):
    """The comparison above is not vacuous: the band term lowers IoUs and removes matches."""
    lower = fewer = 0
    for seed in range(8):
        files = make_dataset(tmp_path / str(seed), seed, n_images=8, size=(48, 64))
        mask = ioukit.panoptic_quality(*files, workers=1)
        band = ioukit.panoptic_quality(*files, workers=1, boundary=0.06)
        assert (band.tp <= mask.tp).all()
        lower += int((band.iou_sum < mask.iou_sum).any())
        fewer += int((band.tp < mask.tp).any())
    assert lower > 0
    assert fewer > 0


def _one_thing() -> list[dict]:
    return [{"id": 1, "name": "box", "isthing": 1}]


def test_hand_computed():
    """10×10 image, ratio 0.1: d = round(0.1 · √200) = round(1.41) = 1. Target segment 5 is
    rows 1–8 × cols 1–8, the prediction the same square one row lower (rows 2–9); the rest is
    VOID in both.

    mask IoU = 7·8 / (64 + 64 − 56 − 8 on target VOID) = 56 / 64 = 0.875: a TP.
    bands (d = 1): 8×8 rings of 64 − 36 = 28 pixels. They share 2 pixels in row 2, 2 in row 8
    and 2 in each of rows 3–7 (10): 14; the prediction's ring has row 9 (8 pixels) on VOID.
    boundary IoU = 14 / (28 + 28 − 14 − 8) = 14 / 34 = 0.4118 < 0.5: no match, so one FP
    (8/64 of it on VOID) and one FN, PQ 0.
    """
    target = np.zeros((10, 10), dtype=np.int64)
    target[1:9, 1:9] = 5
    pred = np.zeros((10, 10), dtype=np.int64)
    pred[2:10, 1:9] = 1
    t_segs = [{"id": 5, "category_id": 1, "area": 64}]
    p_segs = [{"id": 1, "category_id": 1}]
    results = {}
    for ratio in (None, 0.1):
        ev = ioukit.PanopticEvaluator(categories=_one_thing(), boundary=ratio)
        ev.update(pred, target, p_segs, t_segs)
        results[ratio] = ev.compute()
    assert results[None].match_iou.tolist() == [0.875]
    assert (results[None].tp[0], results[None].fp[0], results[None].fn[0]) == (1, 0, 0)
    band = results[0.1]
    assert band.match_iou.size == 0
    assert (band.tp[0], band.fp[0], band.fn[0]) == (0, 1, 1)
    assert band.pq == 0.0
    # a bigger square, same shift: 20×20 rings hold 76, share 2·2 + 17·2 = 38, 20 on VOID:
    # boundary IoU = 38 / (76 + 76 − 38 − 20) = 38/94 < mask IoU 380/400
    target = np.zeros((24, 24), dtype=np.int64)
    target[1:21, 1:21] = 5
    pred = np.zeros((24, 24), dtype=np.int64)
    pred[2:22, 1:21] = 1
    ev = ioukit.PanopticEvaluator(categories=_one_thing(), boundary=0.01)  # d = round(0.34) → 1
    ev.update(pred, target, p_segs, [{"id": 5, "category_id": 1, "area": 400}])
    assert ev.compute().match_iou.size == 0  # 38/94 = 0.404: no match either
    # the prediction rows 1–21: it covers the target and one row of VOID, mask IoU
    # 400 / (420 + 400 − 400 − 20) = 1. Its ring holds 420 − 19·18 = 78 pixels (rows 1 and 21,
    # cols 1 and 20); shared with the target's: row 1 (20), cols 1 and 20 in rows 2–19 (36),
    # row 20's two ends (2) = 58; row 21 (20) is on VOID: 58 / (78 + 76 − 58 − 20) = 58/76.
    pred[1:22, 1:21] = 1
    ev.reset()
    ev.update(pred, target, p_segs, [{"id": 5, "category_id": 1, "area": 400}])
    assert ev.compute().match_iou.tolist() == [58 / 76]


def _blob(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), dtype=bool)
    for _ in range(3):
        y0, x0 = rng.integers(0, h - 4), rng.integers(0, w - 4)
        m[y0 : y0 + rng.integers(4, h // 2 + 4), x0 : x0 + rng.integers(4, w // 2 + 4)] = True
    return m


@pytest.mark.parametrize("seed", range(6))
def test_pair_iou_is_min_of_mask_and_boundary_iou(seed):
    """Without VOID, a match's IoU is min(mask IoU, ioukit.boundary_iou of the two masks): an
    oracle that shares only the band kernel, not the panoptic code. Stuff fills the rest."""
    rng = np.random.default_rng(seed)
    h, w = 40, 56
    cats = [{"id": 1, "name": "thing", "isthing": 1}, {"id": 2, "name": "sky", "isthing": 0}]
    ev = ioukit.PanopticEvaluator(categories=cats, boundary=0.05, pq_dagger=bool(seed % 2))
    want = []
    for _ in range(10):
        g = _blob(rng, h, w)
        p = np.roll(g, (int(rng.integers(-2, 3)), int(rng.integers(-2, 3))), (0, 1))
        target = np.where(g, 9, 4)
        pred = np.where(p, 3, 8)
        t_segs = [
            {"id": 9, "category_id": 1, "area": int(g.sum())},
            {"id": 4, "category_id": 2, "area": int((~g).sum())},
        ]
        p_segs = [{"id": 3, "category_id": 1}, {"id": 8, "category_id": 2}]
        ev.update(pred, target, p_segs, t_segs)
        for a, b, stuff in ((~g, ~p, True), (g, p, False)):  # pairs in target id order: 4, 9
            iou = (a & b).sum() / (a | b).sum()
            pair = min(iou, float(ioukit.boundary_iou(b, a, dilation_ratio=0.05)))
            if pair > 0.5 or (stuff and ev.pq_dagger and pair > 0):
                want.append(pair)
    got = ev.compute().match_iou.tolist()
    assert got == want
    assert len(got) > 5


def test_evaluator_workers_and_rgb_agree(tmp_path):
    from PIL import Image

    files = make_dataset(tmp_path, 21, n_images=12, size=(40, 48))
    serial = ioukit.panoptic_quality(*files, workers=1, boundary=0.05)
    pooled = ioukit.panoptic_quality(*files, workers=2, boundary=0.05)
    assert pooled.to_dict() == serial.to_dict()
    gt = json.loads(files[0].read_text())
    pred = {a["image_id"]: a for a in json.loads(files[2].read_text())["annotations"]}
    ev_ids = ioukit.PanopticEvaluator(categories=gt["categories"], boundary=0.05)
    ev_rgb = ioukit.PanopticEvaluator(categories=gt["categories"], boundary=0.05)
    for ann in gt["annotations"]:
        other = pred[ann["image_id"]]
        t = np.asarray(Image.open(files[1] / ann["file_name"]))
        p = np.asarray(Image.open(files[3] / other["file_name"]))
        ev_rgb.update(p, t, other["segments_info"], ann["segments_info"], name=ann["file_name"])
        t_ids = t[..., 0] + 256 * t[..., 1].astype(np.int32) + 65536 * t[..., 2].astype(np.int32)
        ev_ids.update(p, t_ids, other["segments_info"], ann["segments_info"], name=ann["file_name"])
    for ev in (ev_ids, ev_rgb):
        assert ev.compute().to_dict() == serial.to_dict()


def test_cli(tmp_path, capsys):
    files = [str(p) for p in make_dataset(tmp_path / "data", 5, n_images=4, size=(40, 48))]
    out = tmp_path / "pq.json"
    assert (
        cli.main(["panoptic", *files, "--boundary", "0.05", "--workers", "1", "--json", str(out)])
        == 0
    )
    want = ioukit.panoptic_quality(*files, workers=1, boundary=0.05)
    doc = json.loads(out.read_text())
    assert doc["scores"] == want.to_dict()["scores"]
    assert doc["options"]["boundary"] == 0.05
    assert "Boundary PQ (ratio 0.05)" in capsys.readouterr().out
    assert cli.main(["panoptic", *files, "--boundary", "0"]) == 2
    assert "--boundary" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [0, -0.02, float("nan"), float("inf"), True, "0.02"])
def test_bad_ratio(tmp_path, bad):
    with pytest.raises(ioukit.ParameterError, match="PanopticEvaluator: `boundary`"):
        ioukit.PanopticEvaluator(categories=_one_thing(), boundary=bad)
    files = make_dataset(tmp_path, 0, n_images=1)
    with pytest.raises(ioukit.ParameterError, match="panoptic_quality: `boundary`"):
        ioukit.panoptic_quality(*files, workers=1, boundary=bad)


def test_segment_id_of_the_interior_id(tmp_path):
    """The documented difference: a segment whose id is the reference's interior id
    (max category id + 1 = 22) gets, in the reference, the interiors of the segments listed
    before it as its mask, and those listed after as its band. ioukit's bands are each
    segment's own: its numbers are those of the reference on the same data with the id renamed
    (ids carry no meaning), whatever the order."""
    from panoptic_helpers import write_png

    def run(gt_id: int) -> tuple[ioukit.PanopticResult, dict]:
        root = tmp_path / str(gt_id)
        for sub in ("gt", "pred"):
            (root / sub).mkdir(parents=True)
        gt = np.zeros((16, 16), dtype=np.int64)
        gt[1:7, 1:15] = 30  # a car, listed first
        gt[8:15, 2:14] = gt_id  # a person
        pred = np.zeros_like(gt)
        pred[1:7, 1:15] = 5
        pred[9:15, 2:14] = 6
        write_png(root / "gt" / "a.png", gt)
        write_png(root / "pred" / "a.png", pred)
        segs = [
            {"id": 30, "category_id": 3, "area": 84, "iscrowd": 0},
            {"id": gt_id, "category_id": 1, "area": 84, "iscrowd": 0},
        ]
        preds = [{"id": 5, "category_id": 3}, {"id": 6, "category_id": 1}]
        files = (root / "gt.json", root / "gt", root / "pred.json", root / "pred")
        files[0].write_text(
            json.dumps(
                {
                    "categories": CATEGORIES,
                    "annotations": [{"image_id": 1, "file_name": "a.png", "segments_info": segs}],
                }
            )
        )
        files[2].write_text(
            json.dumps(
                {"annotations": [{"image_id": 1, "file_name": "a.png", "segments_info": preds}]}
            )
        )
        return (
            ioukit.panoptic_quality(*files, workers=1, boundary=0.05),
            reference_pq(*files, boundary=0.05),
        )

    ours, ref_renamed = run(23)
    ours_22, ref_22 = run(INTERIOR)
    check_equal(ours, ref_renamed)
    check_equal(ours_22, ref_renamed)
    assert ref_22["per_class"][1] != ref_renamed["per_class"][1]  # the reference's quirk
