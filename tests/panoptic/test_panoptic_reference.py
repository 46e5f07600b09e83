"""ioukit.panoptic_quality against the transcription of panopticapi's pq_compute_single_core
(panoptic_helpers.reference_pq) on generated datasets: the numbers must be equal, bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from panoptic_helpers import CATEGORIES, check_equal, make_dataset, reference_pq, write_png

import ioukit


@pytest.mark.reference
@pytest.mark.parametrize("seed", range(12))
def test_equals_reference_on_random_datasets(tmp_path, seed):
    files = make_dataset(tmp_path, seed, n_images=8)
    ref = reference_pq(*files)
    result = ioukit.panoptic_quality(*files, workers=1)
    check_equal(result, ref)
    assert len(result.image_names) == 8


def test_equals_reference_with_worker_processes(tmp_path):
    files = make_dataset(tmp_path, 99, n_images=40)
    ref = reference_pq(*files)
    result = ioukit.panoptic_quality(*files, workers=2)
    check_equal(result, ref)
    # the same numbers, bit for bit, for any number of workers
    serial = ioukit.panoptic_quality(*files, workers=1)
    assert serial.to_dict() == result.to_dict()


def test_generated_data_exercises_every_rule(tmp_path):
    """The random datasets above hold crowds, VOID, several crowd regions of one category,
    stuff, and predictions ignored for lying on VOID/crowd: the test is not vacuous."""
    crowd_cats_twice = ignored = 0
    for seed in range(12):
        files = make_dataset(tmp_path / str(seed), seed, n_images=8)
        gt = json.loads(files[0].read_text())
        for ann in gt["annotations"]:
            cats = [s["category_id"] for s in ann["segments_info"] if s["iscrowd"]]
            crowd_cats_twice += len(cats) != len(set(cats))
        strict = ioukit.panoptic_quality(*files, workers=1)
        fixed = ioukit.panoptic_quality(*files, workers=1, convention="ioukit")
        ignored += int((strict.fp != fixed.fp).any() or (strict.tp != fixed.tp).any())
    assert crowd_cats_twice > 0
    assert ignored > 0


def test_last_crowd_region_wins(tmp_path):
    """Two crowd regions of one category: panopticapi ignores an unmatched prediction that
    lies on the last one listed, not on the first; ioukit's convention uses both."""
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    gt = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 3, 3]])
    pred = np.array([[5, 5, 0, 0], [5, 5, 0, 0], [6, 6, 6, 6]])
    write_png(tmp_path / "gt" / "a.png", gt)
    write_png(tmp_path / "pred" / "a.png", pred)
    segs = [
        {"id": 1, "category_id": 1, "area": 4, "iscrowd": 1},
        {"id": 2, "category_id": 1, "area": 4, "iscrowd": 1},  # listed last: wins
        {"id": 3, "category_id": 20, "area": 4, "iscrowd": 0},
    ]
    gt_doc = {
        "categories": CATEGORIES,
        "annotations": [{"image_id": 1, "file_name": "a.png", "segments_info": segs}],
    }
    pred_doc = {
        "annotations": [
            {
                "image_id": 1,
                "file_name": "a.png",
                "segments_info": [{"id": 5, "category_id": 1}, {"id": 6, "category_id": 20}],
            }
        ]
    }
    (tmp_path / "gt.json").write_text(json.dumps(gt_doc))
    (tmp_path / "pred.json").write_text(json.dumps(pred_doc))
    files = (tmp_path / "gt.json", tmp_path / "gt", tmp_path / "pred.json", tmp_path / "pred")
    ref = reference_pq(*files)
    strict = ioukit.panoptic_quality(*files, workers=1)
    check_equal(strict, ref)
    person = strict.per_category()[0]
    assert (person["tp"], person["fp"], person["fn"]) == (0, 1, 0)  # pred 5 on crowd 1: FP
    fixed = ioukit.panoptic_quality(*files, workers=1, convention="ioukit")
    person = fixed.per_category()[0]
    assert (person["tp"], person["fp"], person["fn"]) == (0, 0, 0)  # on a crowd region: ignored
    # the segments listed the other way round: the prediction's crowd region wins, no FP
    segs[0], segs[1] = segs[1], segs[0]
    (tmp_path / "gt.json").write_text(json.dumps(gt_doc))
    again = ioukit.panoptic_quality(*files, workers=1)
    assert again.per_category()[0]["fp"] == 0
    check_equal(again, reference_pq(*files))


def test_json_area_is_used_and_ioukit_counts_pixels(tmp_path):
    """GT area from the JSON (panopticapi) vs from the PNG (convention="ioukit")."""
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    write_png(tmp_path / "gt" / "a.png", np.array([[1, 1, 1, 1]]))
    write_png(tmp_path / "pred" / "a.png", np.array([[2, 2, 2, 0]]))
    gt_doc = {
        "categories": CATEGORIES,
        "annotations": [
            {
                "image_id": 1,
                "file_name": "a.png",
                "segments_info": [{"id": 1, "category_id": 1, "area": 7, "iscrowd": 0}],
            }
        ],
    }
    pred_doc = {
        "annotations": [
            {"image_id": 1, "file_name": "a.png", "segments_info": [{"id": 2, "category_id": 1}]}
        ]
    }
    args = (gt_doc, tmp_path / "gt", pred_doc, tmp_path / "pred")
    # JSON area 7: IoU = 3 / (3 + 7 - 3) = 3/7, not a match; PNG area 4: IoU 3/4
    assert ioukit.panoptic_quality(*args, workers=1).pq == 0.0
    assert ioukit.panoptic_quality(*args, workers=1, convention="ioukit").pq == 0.75


def test_pq_dagger_stuff_without_threshold(tmp_path):
    """PQ†: a stuff segment matched at IoU 2/5 adds its IoU over |S_c| = 1; things unchanged."""
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    write_png(tmp_path / "gt" / "a.png", np.array([[1, 1, 1, 1, 2]]))
    write_png(tmp_path / "pred" / "a.png", np.array([[3, 3, 4, 4, 4]]))
    gt_doc = {
        "categories": CATEGORIES,
        "annotations": [
            {
                "image_id": 1,
                "file_name": "a.png",
                "segments_info": [
                    {"id": 1, "category_id": 20, "area": 4, "iscrowd": 0},
                    {"id": 2, "category_id": 1, "area": 1, "iscrowd": 0},
                ],
            }
        ],
    }
    pred_doc = {
        "annotations": [
            {
                "image_id": 1,
                "file_name": "a.png",
                "segments_info": [{"id": 3, "category_id": 20}, {"id": 4, "category_id": 20}],
            }
        ]
    }
    args = (gt_doc, tmp_path / "gt", pred_doc, tmp_path / "pred")
    plain = ioukit.panoptic_quality(*args, workers=1)
    assert plain.scores["Stuff"]["pq"] == 0.0  # IoUs 2/4 and 2/5: none > 0.5; 2 FP, 1 FN
    dagger = ioukit.panoptic_quality(*args, workers=1, pq_dagger=True)
    sky = dagger.per_category()[3]
    assert (sky["tp"], sky["fp"], sky["fn"]) == (1, 0, 0)
    assert sky["pq"] == 2 / 4 + 2 / 5  # pred 3: 2/(2+4-2); pred 4: 2/(3+4-2)
    assert dagger.scores["Things"] == plain.scores["Things"]


def test_image_aggregation(tmp_path):
    files = make_dataset(tmp_path, 5, n_images=6)
    r = ioukit.panoptic_quality(*files, workers=1, aggregation="image")
    per = r.per_image_pq
    assert per.shape == (6,)
    assert r.pq == pytest.approx(float(np.nanmean(per)), abs=0, rel=1e-15)
    assert r.to_dict()["options"]["aggregation"] == "image"
