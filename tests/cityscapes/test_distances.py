"""Hand-computed cases for AP100m / AP50m (positives by distance) and their bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ioukit._errors import InputError, ParameterError
from ioukit.cityscapes import CityscapesInstanceEvaluator, CityscapesInstanceResult


def _inst() -> np.ndarray:
    inst = np.zeros((20, 40), dtype=np.int32)  # 0: unlabeled (void)
    inst[:, 30:] = 7  # road
    inst[:10, :10] = 26000  # cars of 100 px each
    inst[10:, :10] = 26001
    inst[:10, 10:20] = 26002
    inst[10:, 10:20] = 26003
    return inst


def _run(
    distances: dict[int, tuple[float, float]], masks: list[np.ndarray], scores: list[float]
) -> CityscapesInstanceResult:
    ev = CityscapesInstanceEvaluator(distance_min_region_size=100)
    ev.update(np.stack(masks), [26] * len(masks), scores, _inst(), gt_distances=distances)
    return ev.compute()


def test_far_and_unsure_instances_are_no_positives_and_their_matches_are_ignored() -> None:
    inst = _inst()
    # 26000 at 50 m exactly, confidence 0.5 exactly: kept by both (≤ 50, ≥ 0.5);
    # 26001 at 80 m: only within 100 m; 26002: confidence 0.4; 26003: no entry (-1 m, conf 0)
    d = {26000: (50.0, 0.5), 26001: (80.0, 0.9), 26002: (10.0, 0.4)}
    # exact predictions; the one on 26001 scores highest, so as an FP it would cost precision
    r = _run(d, [inst == 26000, inst == 26001, inst == 26002], [0.9, 0.95, 0.8])
    assert r.ap100m is not None
    assert r.ap50m is not None
    # AP: 4 positives, TPs at 0.95, 0.9, 0.8 → p = 1 throughout, recall 3/4
    # AP = 1 * (3/4 - 2/4) / 2 + 1 * (3/4 - 1/4) / 2 + 1 * (2/4 - 0) / 2 + 1 * (1/4 - 0) / 2
    assert r.ap[2].tolist() == [0.75] * 10
    # AP100m: positives 26000, 26001 (2/2 found); 26002 (unsure) and 26003 (no entry) are out
    assert r.ap100m[2].tolist() == [1.0] * 10
    # AP50m: only 26000; the matches of 26001 and 26002 are neither TP nor FP
    assert r.ap50m[2].tolist() == [1.0] * 10
    assert r.class_ap100m is not None
    assert r.class_ap50_50m is not None
    assert r.class_ap100m["car"] == 1.0
    assert r.class_ap50_50m["car"] == 1.0
    assert math.isnan(r.class_ap100m["person"])
    assert r.mean_ap100m == r.mean_ap50m == r.mean_ap50_50m == 1.0
    # just past each limit: 50.1 m, confidence 0.49 → 26000 is no positive at 50 m
    r = _run({26000: (50.1, 0.9), 26001: (10.0, 0.49)}, [inst == 26000], [0.9])
    assert r.ap100m is not None
    assert r.ap50m is not None
    assert r.ap100m[2].tolist() == [1.0] * 10
    assert np.isnan(r.ap50m[2]).all()  # no positive within 50 m
    assert r.mean_ap50m is not None
    assert math.isnan(r.mean_ap50m)


def test_pixels_on_far_instances_count_as_ignored() -> None:
    inst = _inst()
    # 50 px on 26001 + 30 px road: overlap 50 / (100 + 80 - 50) ≈ 0.38 with 26001, unmatched
    pred = np.zeros_like(inst, dtype=bool)
    pred[10:20, :5] = True
    pred[:3, 30:40] = True
    d = {26000: (10.0, 0.9), 26001: (70.0, 0.9)}
    r = _run(d, [inst == 26000, pred], [0.5, 0.9])
    assert r.ap100m is not None
    assert r.ap50m is not None
    # within 100 m, 26001 is a positive: the prediction is an FP above the TP; recall 1/2
    # precision [1/2, 0, 1], recall [1/2, 0, 0] → AP = 1/2 * (1/2 - 0) / 2 = 0.125
    assert r.ap100m[2].tolist() == [0.125] * 10
    # within 50 m: ignored fraction 50/80 = 0.625 > th for th < 0.625 → ignored, AP 1;
    # th ≥ 0.65: an FP again, and the only positive 26000 found → p [1/2, 0, 1], r [1, 0, 0]
    # → AP = 1/2 * (1 - 0) / 2 = 0.25
    assert r.ap50m[2].tolist() == [1.0] * 3 + [0.25] * 7


def test_without_distances_nothing_changes_and_to_dict() -> None:
    inst = _inst()
    ev = CityscapesInstanceEvaluator()
    ev.update((inst == 26000)[None], [26], [0.9], inst)
    plain = ev.compute()
    assert plain.ap100m is None
    assert plain.class_ap50m is None
    assert plain.mean_ap50m is None
    assert "ap100m" not in plain.to_dict()["mean"]
    assert "class_ap50m" not in plain.to_dict()
    ev = CityscapesInstanceEvaluator()  # distance_min_region_size 1000: no positive at all
    ev.update((inst == 26000)[None], [26], [0.9], inst, gt_distances={26000: (5.0, 1.0)})
    r = ev.compute()
    np.testing.assert_array_equal(r.ap, plain.ap)
    doc = json.loads(json.dumps(r.to_dict()))
    assert doc["mean"]["ap100m"] is None
    assert doc["class_ap50_50m"]["car"] is None
    assert doc["ap50m"][2] == [None] * 10
    assert doc["mean"]["ap"] == plain.to_dict()["mean"]["ap"]


def test_distance_bad_input() -> None:
    inst = _inst()
    none = np.zeros((0, 20, 40), bool)
    ev = CityscapesInstanceEvaluator()
    with pytest.raises(InputError, match=r"gt_distances.*key 26009 is not a region id"):
        ev.update(none, [], [], inst, gt_distances={26009: (1.0, 1.0)})
    with pytest.raises(InputError, match=r"gt_distances\[26000\]. must be .*got 5\.0"):
        ev.update(none, [], [], inst, gt_distances={26000: 5.0})  # type: ignore[dict-item]
    with pytest.raises(InputError, match=r"gt_distances\[26000\]. is NaN"):
        ev.update(none, [], [], inst, gt_distances={26000: (math.nan, 1.0)})
    with pytest.raises(InputError, match="must be a mapping"):
        ev.update(none, [], [], inst, gt_distances=[(1.0, 1.0)])  # type: ignore[arg-type]
    assert ev.num_images == 0
    ev.update(none, [], [], inst, gt_distances={})
    with pytest.raises(InputError, match=r"`gt_distances` was given .*for none \(got None\)"):
        ev.update(none, [], [], inst)
    ev = CityscapesInstanceEvaluator()
    ev.update(none, [], [], inst)
    with pytest.raises(InputError, match=r"was not given .*got a mapping"):
        ev.update(none, [], [], inst, gt_distances={})
    with pytest.raises(ParameterError, match="`distance_min_region_size` must be an int"):
        CityscapesInstanceEvaluator(distance_min_region_size=1.5)  # type: ignore[arg-type]
