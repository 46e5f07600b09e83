"""Bootstrap replicates of COCO and LVIS results (ioukit.detection._bootstrap): weights of 1 give
the result's own numbers exactly; integer weights give the numbers of the data set with each
image repeated that many times (and 0: without it); the documented tie exception; the source's
protocol and its errors."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from boot_helpers import COCO_CONFIGS, coco_set, duplicate, lvis_set
from coco_helpers import random_dataset
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ioukit
from ioukit import InputError, ParameterError
from ioukit.detection._bootstrap import detection_source
from ioukit.detection.lvis import lvis_evaluate

EPS = np.spacing(1.0)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal values, NaN equal to NaN (exact: no tolerance)."""
    return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))


def _ones(source: Any, names: list[str]) -> np.ndarray:
    return source.replicates(names, np.ones((2, len(source.image_names))))


def _stats_nan(values: Any) -> np.ndarray:
    out = np.array(values, dtype=np.float64)
    out[out == -1] = np.nan
    return out


# -- weights of 1: the result's own numbers, exactly -----------------------------------------


@pytest.mark.parametrize(
    ("seed", "kwargs"),
    COCO_CONFIGS,
)
def test_weights_of_one_give_every_stat_and_category_ap(seed: int, kwargs: dict[str, Any]) -> None:
    gt, dt = random_dataset(seed, n_images=15)  # ties, crowds, id 0: any data
    r = ioukit.coco_evaluate(gt, dt, **kwargs)
    s = detection_source(r)
    names = list(s.metric_names())
    assert names[:12] == ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100",
                          "ARs", "ARm", "ARl"]  # fmt: skip
    rep = _ones(s, names)
    assert _same(rep[0], rep[1])
    assert _same(rep[0], s.estimate(names))
    assert _same(rep[0, : r.stats.size], _stats_nan(r.stats))
    rows = r.per_category()
    assert _same(rep[0, r.stats.size :], _stats_nan([row["AP"] for row in rows]))


def test_weights_of_one_on_masks() -> None:
    gt, dt = random_dataset(3, masks=True, n_images=10)
    r = ioukit.coco_evaluate(gt, dt, iou_type="segm")
    s = detection_source(r)
    names = list(s.metric_names())
    assert _same(_ones(s, names)[0], s.estimate(names))
    assert _same(s.estimate(names[:12]), _stats_nan(r.stats))


def test_weights_of_one_on_lvis() -> None:
    gt, dt = lvis_set(0)
    r = lvis_evaluate(gt, dt)
    s = detection_source(r)
    names = list(s.metric_names())
    assert names[:13] == list(r.results)
    assert _same(_ones(s, names)[0], s.estimate(names))
    assert _same(s.estimate(names[:13]), _stats_nan(list(r.results.values())))
    per_cat = [row["AP"] for row in r.per_category()]
    assert _same(s.estimate(names[13:]), _stats_nan(per_cat))


# -- integer weights: the data set with repeated images --------------------------------------


def _check_duplication(r: Any, evaluate: Any, gt: Any, dt: Any, weights: list[int]) -> None:
    """The weighted replicate of ``r`` equals ``evaluate`` on the data with image ``i``
    repeated ``weights[i]`` times, for every metric."""
    s = detection_source(r)
    names = list(s.metric_names())
    ids = r.params.img_ids
    rep = s.replicates(names, np.array([weights], dtype=np.float64))[0]
    g2, d2 = duplicate(gt, dt, dict(zip(ids, weights, strict=True)))
    ref = detection_source(evaluate(g2, d2))
    assert ref.metric_names() == s.metric_names()
    assert _same(rep, ref.estimate(names)), [
        (n, a, b) for n, a, b in zip(names, rep, ref.estimate(names), strict=True) if a != b
    ]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multiplicities_equal_repeated_images(seed: int) -> None:
    gt, dt = coco_set(seed)
    r = ioukit.coco_evaluate(gt, dt)
    rng = np.random.default_rng(seed)
    n = len(r.params.img_ids)
    for _ in range(3):
        weights = rng.multinomial(n, np.full(n, 1 / n)).tolist()
        _check_duplication(r, ioukit.coco_evaluate, gt, dt, weights)


def test_multiplicities_on_masks_and_pooled_categories() -> None:
    gt, dt = coco_set(4, masks=True, n_images=8)
    weights = [2, 0, 1, 3, 1, 0, 1, 0]

    def segm(g: Any, d: Any) -> Any:
        return ioukit.coco_evaluate(g, d, iou_type="segm")

    _check_duplication(segm(gt, dt), segm, gt, dt, weights)

    def pooled(g: Any, d: Any) -> Any:
        return ioukit.coco_evaluate(g, d, use_cats=False, per_image_cap=True)

    gt, dt = coco_set(5)
    _check_duplication(pooled(gt, dt), pooled, gt, dt, [1, 2, 0, 0, 3, 1, 1, 2, 0, 1, 1, 1])


def test_multiplicities_on_lvis() -> None:
    gt, dt = lvis_set(1)
    r = lvis_evaluate(gt, dt)
    rng = np.random.default_rng(1)
    for _ in range(3):
        weights = rng.multinomial(10, np.full(10, 0.1)).tolist()
        _check_duplication(r, lvis_evaluate, gt, dt, weights)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**6),
    n_images=st.integers(2, 9),
    weights=st.lists(st.integers(0, 3), min_size=9, max_size=9),
)
def test_multiplicities_hypothesis(seed: int, n_images: int, weights: list[int]) -> None:
    gt, dt = coco_set(seed, n_images=n_images)
    weights = weights[:n_images]
    ids = sorted(im["id"] for im in gt["images"])
    with_dets = {d["image_id"] for d in dt}
    assume(any(w and i in with_dets for w, i in zip(weights, ids, strict=True)))  # no empty dt
    _check_duplication(ioukit.coco_evaluate(gt, dt), ioukit.coco_evaluate, gt, dt, weights)


def test_zero_weight_is_the_evaluation_without_that_image() -> None:
    gt, dt = coco_set(6)
    r = ioukit.coco_evaluate(gt, dt)
    s = detection_source(r)
    names = list(s.metric_names())
    ids = list(r.params.img_ids)
    for i in (0, 3, len(ids) - 1):
        w = np.ones((1, len(ids)))
        w[0, i] = 0
        without = ioukit.coco_evaluate(gt, dt, img_ids=ids[:i] + ids[i + 1 :])
        assert _same(s.replicates(names, w)[0], detection_source(without).estimate(names))
    # an image drawn twice is not the same as two images: the source is not fooled by names
    assert not _same(s.replicates(["AP"], np.full((1, len(ids)), 2.0)), s.estimate(["AP"]))


def test_equal_scores_in_one_image_and_category_is_the_documented_exception() -> None:
    # one ground truth; two detections of its image and category with the same score, the
    # first (in file order) a hit, the second a miss. Image weight 2:
    # * weighted: each detection's copies together, hit hit miss miss: precision 2 / 2 at
    #   recall 1 (2 ground truths), AP50 = 1;
    # * the evaluation of the two copies of the image: ties in image order, hit miss hit miss:
    #   recall 1/2 at precision 1, recall 1 at precision 2 / 3: AP50 = (51 * 1 + 50 * 2/3) / 101
    gt = {"images": [{"id": 100}], "categories": [{"id": 1, "name": "a"}],
          "annotations": [{"id": 1, "image_id": 100, "category_id": 1, "bbox": [0, 0, 10, 10],
                           "area": 100, "iscrowd": 0}]}  # fmt: skip
    dt = [{"image_id": 100, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.5},
          {"image_id": 100, "category_id": 1, "bbox": [50, 50, 10, 10], "score": 0.5}]  # fmt: skip
    s = detection_source(ioukit.coco_evaluate(gt, dt))
    weighted = s.replicates(["AP50"], np.array([[2.0]]))[0, 0]
    twice = ioukit.coco_evaluate(*duplicate(gt, dt, {100: 2})).stats[1]
    assert weighted == 2 / (2 + EPS)
    assert twice == np.mean([1 / (1 + EPS)] * 51 + [2 / (3 + EPS)] * 50)
    assert weighted != twice
    # with distinct scores the two agree
    dt[1]["score"] = 0.4
    s = detection_source(ioukit.coco_evaluate(gt, dt))
    twice = ioukit.coco_evaluate(*duplicate(gt, dt, {100: 2})).stats[1]
    assert s.replicates(["AP50"], np.array([[2.0]]))[0, 0] == twice


# -- the protocol -------------------------------------------------------------------------


def _small() -> Any:
    # image 1: a hit (IoU 1) and a false positive of category 1; image 2: a missed ground
    # truth of category 2; image 3: nothing at all
    gt = {"images": [{"id": i} for i in (1, 2, 3)],
          "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10],
                           "area": 100, "iscrowd": 0},
                          {"id": 2, "image_id": 2, "category_id": 2, "bbox": [0, 0, 10, 10],
                           "area": 100, "iscrowd": 0}]}  # fmt: skip
    dt = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
          {"image_id": 1, "category_id": 1, "bbox": [50, 50, 10, 10], "score": 0.8}]  # fmt: skip
    return ioukit.coco_evaluate(gt, dt)


def test_protocol_members() -> None:
    r = _small()
    s = detection_source(r)
    assert s.kind == "detection"
    assert s.image_names == ("1", "2", "3")
    # boxes of area 100 are small: APm, APl, ARm and ARl are undefined, so not headline
    assert s.headline_metrics() == ("AP", "AP50", "AP75", "AR100", "APs", "ARs")
    assert s.per_class_metrics("AP") == (("cat", "AP:cat"), ("dog", "AP:dog"))
    assert s.per_class_metrics("AP50") == ()
    # per-image F1 at IoU 0.5: 2 tp / (2 tp + fp + fn); image 3 has nothing: NaN
    name, f1 = s.per_image_scores()
    assert name == "f1@0.5"
    assert f1[:2].tolist() == [2 / 3, 0.0]
    assert np.isnan(f1[2])
    config = s.config()
    assert json.loads(json.dumps(config)) == config
    assert config["protocol"] == "coco"
    assert "img_ids" not in config
    assert config["category_names"] == ["cat", "dog"]
    # dog has its ground truth in image 2 only: without it, AP:dog and AR are undefined there
    rep = s.replicates(["AP:dog", "AP:cat", "AP"], np.array([[2.0, 0.0, 1.0], [0, 3, 0]]))
    assert np.isnan(rep[0, 0])
    assert rep[0, 1] == rep[0, 2]
    assert rep[1, 0] == rep[1, 2] == 0.0
    assert np.isnan(rep[1, 1])
    assert s.replicates(["AP"], np.zeros((0, 3))).shape == (0, 1)


def test_reorder_follows_the_names() -> None:
    s = detection_source(random_dataset_result())
    names = list(s.image_names)
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(names))
    t = s.reorder([names[i] for i in perm])
    assert t.image_names == tuple(names[i] for i in perm)
    w = rng.multinomial(len(names), np.full(len(names), 1 / len(names)), size=4).astype(float)
    metrics = ["AP", "AR100", "AP:c7"]
    assert _same(t.replicates(metrics, w[:, perm]), s.replicates(metrics, w))
    assert _same(t.per_image_scores()[1], s.per_image_scores()[1][perm])
    back = t.reorder(names)
    assert _same(back.replicates(metrics, w), s.replicates(metrics, w))
    with pytest.raises(InputError, match="permutation"):
        s.reorder(names[:-1])


def random_dataset_result() -> Any:
    return ioukit.coco_evaluate(*random_dataset(8, n_images=10))


def test_confidence_interval_method_delegates_to_stats() -> None:
    from ioukit.stats import confidence_interval

    r = random_dataset_result()
    ci = r.confidence_interval("AP50", method="percentile", n_resamples=50, random_state=1)
    ref = confidence_interval(r, "AP50", method="percentile", n_resamples=50, random_state=1)
    assert ci == ref
    assert ci.estimate == r.stats[1]
    gt, dt = lvis_set(2)
    lr = lvis_evaluate(gt, dt)
    ci = lr.confidence_interval("APf", method="percentile", n_resamples=30, random_state=0)
    assert ci.estimate == lr.results["APf"]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda s: s.replicates(["AP9"], np.ones((1, 10))), ParameterError,
         r"DetectionSource\.replicates: `metrics`.*'AP'.*got 'AP9'"),
        (lambda s: s.estimate(["AP:nope"]), ParameterError, r"got 'AP:nope'"),
        (lambda s: s.replicates(["AP"], np.ones((2, 9))), InputError,
         r"`weights` must have shape \(B, 10\).*got \(2, 9\)"),
        (lambda s: s.replicates(["AP"], np.full((1, 10), 0.5)), InputError, "integer"),
        (lambda s: s.replicates(["AP"], -np.ones((1, 10))), InputError, "nonnegative"),
    ],
)  # fmt: skip
def test_bad_arguments(call: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call(detection_source(random_dataset_result()))


def test_results_that_cannot_be_resampled() -> None:
    r = random_dataset_result()
    arrays = ioukit.COCOResult(r.precision, r.recall, r.scores, params=r.params,
                               category_names=r.category_names)  # fmt: skip
    with pytest.raises(ParameterError, match="no match statuses"):
        detection_source(arrays)
    with pytest.raises(InputError, match="COCOResult or LVISResult; got dict"):
        detection_source({})
    gt, dt = lvis_set(3)
    fixed = lvis_evaluate(gt, dt, max_dets_per_category=20)
    with pytest.raises(ParameterError, match="max_dets_per_category=20"):
        detection_source(fixed)
