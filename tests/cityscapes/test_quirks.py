"""Hand-computed cases for each rule of the Cityscapes protocol, and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ioukit._errors import InputError
from ioukit.cityscapes import (
    CityscapesInstanceEvaluator,
    CityscapesPixelEvaluator,
    cityscapes_instance_level,
    cityscapes_pixel_level,
)
from ioukit.cityscapes._labels import AVG_CLASS_SIZE, INSTANCE_CATEGORIES
from ioukit.cityscapes.folders import read_instance_txt
from ioukit.cli import main

# -- pixel level -------------------------------------------------------------------------


def test_iiou_weights_instances_and_fp_is_unweighted() -> None:
    # two persons: A 10 px all right, B 30 px with 10 right; 5 road pixels predicted person
    gt = np.full((1, 60), 7, dtype=np.uint8)
    gt[0, :40] = 24
    inst = gt.astype(np.int32)
    inst[0, :10] = 24000
    inst[0, 10:40] = 24001
    pred = gt.copy()
    pred[0, 20:40] = 7
    pred[0, 40:45] = 24
    ev = CityscapesPixelEvaluator()
    ev.update(pred, gt, inst)
    r = ev.compute()
    a = AVG_CLASS_SIZE["person"]
    tp_w = 10 * (a / 10) + 10 * (a / 30)  # wA = a/10, wB = a/30
    fn_w = 0 * (a / 10) + 20 * (a / 30)
    assert r.class_iiou["person"] == pytest.approx(tp_w / (tp_w + 5 + fn_w), rel=1e-15)
    assert r.class_iou["person"] == 20 / (20 + 5 + 20)


def test_groups_ignored_classes_and_id_1000() -> None:
    gt = np.full((1, 40), 26, dtype=np.uint8)
    inst = np.zeros((1, 40), dtype=np.int32)
    inst[0, :10] = 26  # a car group: no instance
    inst[0, 10:20] = 1000  # id 1000 is not > 1000: no instance (label 1, ignored anyway)
    inst[0, 20:30] = 29000  # a caravan instance: ignored in evaluation
    inst[0, 30:40] = 26001
    pred = np.full((1, 40), 26, dtype=np.uint8)
    ev = CityscapesPixelEvaluator()
    ev.update(pred, gt, inst)
    assert ev._instances[0].tolist() == [[26, 10, 10, 10]]  # only 26001


def test_category_iiou_counts_caravan_predictions() -> None:
    # a car predicted as caravan: class TP 0, category (vehicle) TP all of it
    gt = np.full((1, 20), 26, dtype=np.uint8)
    inst = np.full((1, 20), 26000, dtype=np.int32)
    pred = np.full((1, 20), 29, dtype=np.uint8)
    ev = CityscapesPixelEvaluator()
    ev.update(pred, gt, inst)
    r = ev.compute()
    assert r.class_iiou["car"] == 0.0
    assert r.category_iiou["vehicle"] == 1.0
    assert r.category_iou["vehicle"] == 0.0  # caravan is no evaluated vehicle class
    assert set(INSTANCE_CATEGORIES) == {"human", "vehicle"}


def test_fp_on_ignored_gt_is_not_counted_and_absent_is_nan() -> None:
    gt = np.array([[0, 0, 7, 7]], dtype=np.uint8)  # two unlabeled (void) pixels
    pred = np.array([[26, 26, 7, 7]], dtype=np.uint8)
    ev = CityscapesPixelEvaluator()
    ev.update(pred, gt, gt.astype(np.int32))
    r = ev.compute()
    assert r.class_iou["road"] == 1.0
    assert math.isnan(r.class_iou["car"])  # no TP, FN, nor FP on evaluated GT
    assert r.mean_class_iou == 1.0
    assert math.isnan(r.mean_class_iiou)


def test_pixel_bad_input() -> None:
    ev = CityscapesPixelEvaluator()
    gt = np.zeros((2, 2), dtype=np.uint8)
    with pytest.raises(InputError, match=r"gt_label_ids.*shape"):
        ev.update(gt, np.zeros((2, 3), np.uint8), gt)
    with pytest.raises(InputError, match=r"pred_label_ids.*0\.\.33.*\[255\]"):
        ev.update(np.full((2, 2), 255, np.uint8), gt, gt)
    with pytest.raises(InputError, match=r"instance id\(s\) \[7001\]"):
        ev.update(gt, gt, np.full((2, 2), 7001, np.int32))
    with pytest.raises(InputError, match="integers"):
        ev.update(gt.astype(float), gt, gt)


# -- instance level ----------------------------------------------------------------------


def _inst() -> np.ndarray:
    inst = np.zeros((20, 40), dtype=np.int32)  # 0: unlabeled (void)
    inst[:, 30:] = 7  # road: not void
    inst[:10, :10] = 26000  # a car of 100 px
    inst[10:, :10] = 26001  # another of 100 px
    inst[:5, 10:20] = 26002  # a car of 50 px: under min_region_size
    inst[10:, 10:20] = 26  # a car group of 100 px
    return inst


def _ap(masks: list[np.ndarray], labels: list[int], scores: list[float]) -> np.ndarray:
    ev = CityscapesInstanceEvaluator()
    ev.update(np.stack(masks), labels, scores, _inst())
    return ev.compute().ap[2]  # car


def test_exact_match_and_strict_threshold() -> None:
    inst = _inst()
    m = inst == 26000
    assert _ap([m], [26], [0.5]).tolist() == [0.5] * 10  # recall 1/2 (two positives)
    # overlap exactly 0.5 (50 of 100 px, the prediction inside): not > 0.5, no match
    half = np.zeros_like(m)
    half[:5, :10] = True
    ap = _ap([half], [26], [0.5])
    assert ap[0] == 0.0


def test_duplicate_is_fp_with_the_lower_score() -> None:
    m = _inst() == 26000
    # scores 0.9 (TP) and 0.4 (FP): at 0.4 p = 1/2, r = 1/2; at 0.9 p = 1, r = 1/2
    # AP = 0.5 * (0.5 - 0.5) / 2 [first] + 1 * (0.5 - 0) / 2 + 1 * (0.5 - 0) / 2 [artificial]
    assert _ap([m, m], [26, 26], [0.4, 0.9])[0] == 0.5


def test_predictions_on_groups_small_and_void_are_ignored() -> None:
    inst = _inst()
    tp = inst == 26000
    on_group = inst == 26  # overlap 1 with a group: matched, neither TP nor FP
    on_small = inst == 26002  # overlap 1 with a small instance: ignored
    on_void = np.zeros_like(tp)
    on_void[15:, 22:28] = True  # all void
    ap = _ap([tp, on_group, on_small, on_void], [26] * 4, [0.1, 0.9, 0.9, 0.9])
    assert ap.tolist() == [0.5] * 10
    on_road = np.zeros_like(tp)
    on_road[:5, 30:40] = True  # a real FP, scored above the TP
    ap = _ap([tp, on_road], [26, 26], [0.1, 0.9])
    # at 0.1: p = 1/2, r = 1/2; at 0.9: p = 0, r = 0 → AP = 0.5 * (0.5 - 0) / 2
    assert ap[0] == 0.125


def test_ignored_fraction_against_threshold() -> None:
    inst = _inst()
    tp = inst == 26000
    half_void = np.zeros_like(tp)
    half_void[15:, 24:36] = True  # 30 px void, 30 px road: fraction 0.5 ≤ 0.5 → FP at 0.5
    ap = _ap([tp, half_void], [26, 26], [0.1, 0.9])
    assert ap[0] == 0.125  # an FP at th = 0.5
    assert ap[1] == 0.125  # and at 0.55 (0.5 ≤ 0.55)


def test_no_gt_is_nan_and_no_prediction_is_zero() -> None:
    ev = CityscapesInstanceEvaluator()
    ev.update(np.zeros((0, 20, 40), bool), [], [], _inst())
    r = ev.compute()
    assert r.class_ap["car"] == 0.0
    assert math.isnan(r.class_ap["person"])
    assert r.mean_ap == 0.0


def test_all_predictions_ignored_gives_zero() -> None:
    # the reference fails on an empty array here; ioukit gives 0
    inst = _inst()
    assert _ap([inst == 26], [26], [0.9]).tolist() == [0.0] * 10


def test_instance_bad_input() -> None:
    ev = CityscapesInstanceEvaluator()
    inst = _inst()
    with pytest.raises(InputError, match=r"pred_masks.*\(N, 20, 40\)"):
        ev.update(np.zeros((1, 20, 41), bool), [26], [0.5], inst)
    with pytest.raises(InputError, match="one entry per mask"):
        ev.update(np.zeros((1, 20, 40), bool), [26, 24], [0.5], inst)
    with pytest.raises(InputError, match="label ids"):
        ev.update(np.zeros((1, 20, 40), bool), [99], [0.5], inst)
    with pytest.raises(InputError, match=r"\[500\]"):
        ev.update(np.zeros((0, 20, 40), bool), [], [], np.full((20, 40), 500, np.int32))


# -- folders and the command line --------------------------------------------------------


def _write(root: Path) -> tuple[Path, Path]:
    gt, pred = root / "gt" / "city", root / "pred"
    gt.mkdir(parents=True)
    (pred / "m").mkdir(parents=True)
    inst = _inst().astype(np.uint16)
    label = np.where(inst >= 1000, inst // 1000, inst).astype(np.uint8)
    Image.fromarray(label).save(gt / "c_000000_000001_gtFine_labelIds.png")
    Image.fromarray(inst).save(gt / "c_000000_000001_gtFine_instanceIds.png")
    Image.fromarray(label).save(pred / "c_000000_000001_pred.png")
    Image.fromarray((inst == 26000).astype(np.uint8)).save(pred / "m" / "0.png")
    (pred / "c_000000_000001_pred.txt").write_text("m/0.png 26 0.7\n")
    return pred, root / "gt"


def test_folders_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pred, gt = _write(tmp_path)
    assert cityscapes_pixel_level(pred, gt).mean_class_iou == 1.0
    assert cityscapes_instance_level(pred, gt).class_ap["car"] == 0.5
    out = tmp_path / "s.json"
    assert main(["cityscapes", str(pred), str(gt), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "iIoU" in text
    assert "AP50" in text
    doc = json.loads(out.read_text())
    assert doc["instance_level"]["class_ap"]["car"] == 0.5
    assert doc["pixel_level"]["mean"]["class_iou"] == 1.0
    assert main(["cityscapes", str(pred), str(gt), "--only", "instance"]) == 0
    assert "iIoU" not in capsys.readouterr().out
    assert main(["cityscapes", str(tmp_path / "nope"), str(gt)]) == 2


def test_folder_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pred, gt = _write(tmp_path)
    Image.fromarray(np.zeros((20, 41), np.uint8)).save(pred / "m" / "0.png")
    with pytest.raises(InputError, match=r"0\.png.*size \(41, 20\)"):
        cityscapes_instance_level(pred, gt)
    (pred / "m" / "0.png").unlink()
    with pytest.raises(InputError, match=r"mask .*0\.png named in .*pred\.txt does not exist"):
        cityscapes_instance_level(pred, gt)
    (pred / "c_000000_000001_pred.txt").write_text("m/0.png 26\n")
    with pytest.raises(InputError, match=r"pred\.txt, line 1"):
        cityscapes_instance_level(pred, gt)
    (pred / "c_000000_000001_pred.txt").write_text("../x.png 26 0.5\n")
    with pytest.raises(InputError, match="outside the prediction folder"):
        cityscapes_instance_level(pred, gt)
    (pred / "c_000000_000001_pred.txt").unlink()
    Image.fromarray(np.zeros((20, 40, 3), np.uint8)).save(pred / "c_000000_000001_pred.png")
    with pytest.raises(InputError, match=r"pred\.png.*colour"):
        cityscapes_pixel_level(pred, gt)
    Image.fromarray(np.zeros((20, 30), np.uint8)).save(pred / "c_000000_000001_pred.png")
    with pytest.raises(InputError, match=r"pred\.png has size \(30, 20\)"):
        cityscapes_pixel_level(pred, gt)
    Image.fromarray(np.zeros((20, 40), np.uint8)).save(pred / "c_000000_000001_b.png")
    with pytest.raises(InputError, match="several predictions"):
        cityscapes_pixel_level(pred, gt)
    assert main(["cityscapes", str(pred), str(gt)]) == 1
    assert "several predictions" in capsys.readouterr().err
    for p in pred.glob("*.png"):
        p.unlink()
    with pytest.raises(InputError, match="no prediction c_000000_000001"):
        cityscapes_pixel_level(pred, gt)


def test_txt_mask_named_twice_keeps_first_position_and_last_values(tmp_path: Path) -> None:
    pred, gt = _write(tmp_path)
    Image.fromarray(np.full((20, 40), 255, np.uint8)).save(pred / "m" / "1.png")
    txt = pred / "c_000000_000001_pred.txt"
    txt.write_text("m/0.png 24 0.2\nm/1.png 33 0.3\nm/0.png 26 0.7\n")
    entries = read_instance_txt(txt, pred)
    assert [p.name for p in entries] == ["0.png", "1.png"]  # first position
    assert list(entries.values()) == [(26, 0.7), (33, 0.3)]  # last values
    # one car prediction (not a person, not two cars): car AP 0.5 as with the line once;
    # twice would add an FP tied at 0.7 (AP 0.375), the first values would leave none (AP 0)
    assert cityscapes_instance_level(pred, gt).class_ap["car"] == 0.5


def test_txt_mask_is_non_zero_after_pillow_l_conversion(tmp_path: Path) -> None:
    pred, gt = _write(tmp_path)
    car = _inst() == 26000
    rgb = np.zeros((20, 40, 3), np.uint8)
    # L = (19595 R + 38470 G + 7471 B + 2^15) >> 16: (1, 0, 0) and (0, 0, 4) give 0
    rgb[car] = (1, 0, 0)
    rgb[:2, :2] = (0, 0, 4)
    Image.fromarray(rgb).save(pred / "m" / "0.png")
    r = cityscapes_instance_level(pred, gt)
    assert r.class_ap["car"] == 0.0  # an empty mask: dropped, the car class has no prediction
    rgb[car] = (0, 0, 5)  # L = 1: the whole car
    Image.fromarray(rgb).save(pred / "m" / "0.png")
    assert cityscapes_instance_level(pred, gt).class_ap["car"] == 0.5


def test_txt_blank_lines_are_skipped(tmp_path: Path) -> None:
    pred, gt = _write(tmp_path)
    txt = pred / "c_000000_000001_pred.txt"
    txt.write_text("\n   \nm/0.png 26 0.7\n\n\t\n")
    assert len(read_instance_txt(txt, pred)) == 1
    assert cityscapes_instance_level(pred, gt).class_ap["car"] == 0.5
