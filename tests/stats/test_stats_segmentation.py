"""Segmentation replicates equal the evaluation of explicitly resampled datasets, exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from stats_helpers import resampled_segmentation, segmentation_result

import ioukit
from ioukit import CONVENTIONS, ParameterError, mean_iou_from_counts
from ioukit.stats import bootstrap_weights, confidence_interval, confidence_intervals, source_of
from ioukit.stats._segmentation import HEADLINE


@pytest.fixture(scope="module")
def result() -> ioukit.SegmentationResult:
    # class 4 is void inside [0, C): dropped by most conventions, kept by some
    return segmentation_result(np.random.default_rng(0), 40, 6, ignored=(4,), absent=0.4)


def _weights(n: int, rows: int, seed: int) -> np.ndarray:
    w = np.concatenate(list(bootstrap_weights(n, rows, random_state=seed)))
    w[0] = 1.0  # the full dataset
    w[1] = 0.0  # one image only: most classes absent, some conventions undefined
    w[1, 3] = n
    return w


def test_headline_and_per_class_replicates_equal_the_resampled_results(result) -> None:
    s = source_of(result)
    per_class = [m for m in s.metric_names() if m.startswith(("iou:", "dice:"))]
    metrics = [*HEADLINE, *per_class]
    w = _weights(len(s.image_names), 6, seed=1)
    reps = s.replicates(metrics, w)
    for row, values in zip(w, reps, strict=True):
        r = resampled_segmentation(result, row)
        want = [getattr(r, m) for m in HEADLINE]
        want += [float(r.iou[int(m[-1])]) for m in per_class if m.startswith("iou:")]
        want += [float(r.dice[int(m[-1])]) for m in per_class if m.startswith("dice:")]
        # the same reduce functions on the same integer counts: identical, NaN included
        np.testing.assert_array_equal(values, np.asarray(want))


def test_every_convention_equals_mean_iou_from_counts_on_resampled_counts(result) -> None:
    s = source_of(result)
    names = [f"miou:{c}" for c in CONVENTIONS if f"miou:{c}" in s.metric_names()]
    # torchmetrics accepts one void class: with one it is computable, and must be listed
    assert len(names) == len(CONVENTIONS)
    w = _weights(len(s.image_names), 6, seed=2)
    reps = s.replicates(names, w)
    for row, values in zip(w, reps, strict=True):
        r = resampled_segmentation(result, row)
        for name, got in zip(names, values, strict=True):
            conv = name[5:]
            try:
                want = mean_iou_from_counts(r.counts, r.per_image_counts, convention=conv)
            except ParameterError:  # e.g. sklearn on a dataset without pixels
                want = math.nan
            if ioukit.needs_per_image(conv):  # a weighted mean instead of repeated images
                np.testing.assert_allclose(got, want, rtol=1e-13, atol=0, err_msg=name)
            else:
                np.testing.assert_array_equal(got, want, err_msg=name)


def test_a_row_of_ones_reproduces_the_estimates_bit_for_bit(result) -> None:
    s = source_of(result)
    metrics = [
        m for m in s.metric_names() if not (m.startswith("miou:") and ioukit.needs_per_image(m[5:]))
    ]
    assert len(metrics) == len(s.metric_names()) - 4  # 4 per-image conventions
    est = s.estimate(metrics)
    rep = s.replicates(metrics, np.ones((1, len(s.image_names))))[0]
    np.testing.assert_array_equal(rep, est)
    assert est[metrics.index("miou")] == result.miou
    assert est[metrics.index("miou:mmseg")] == result.mean_iou("mmseg")
    assert est[metrics.index("iou:class2")] == result.iou[2]


def test_estimates_are_the_results_own_numbers(result) -> None:
    cis = confidence_intervals(result, n_resamples=200, random_state=0, method="percentile")
    assert [ci.estimate for ci in cis.values()] == [getattr(result, m) for m in HEADLINE]
    ci = confidence_interval(result, "miou:monai", n_resamples=200, random_state=0)
    assert ci.estimate == result.mean_iou("monai")


def test_one_draw_for_all_metrics() -> None:
    r = segmentation_result(np.random.default_rng(3), 30, 4)
    many = confidence_intervals(r, ["mdice", "miou", "iou:class1"], random_state=7)
    for name, ci in many.items():
        assert confidence_interval(r, name, random_state=7) == ci


def test_hand_computed_two_images() -> None:
    # image a: class 0 tp 3, class 1 tp 1 and one class-1 pixel predicted 0
    # image b: class 1 tp 2 and one class-0 pixel predicted 1
    ev = ioukit.SegmentationEvaluator(2)
    ev.update(np.array([[0, 0, 0, 1, 0]]), np.array([[0, 0, 0, 1, 1]]), names=["a"])
    ev.update(np.array([[1, 1, 1]]), np.array([[1, 1, 0]]), names=["b"])
    s = source_of(ev.result())
    w = np.array([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0], [0.0, 1.0]])
    reps = s.replicates(["iou:0", "iou:1", "miou", "pixel_accuracy", "fw_iou"], w)
    # a twice: IoU0 6/8, IoU1 2/4, mean 5/8; accuracy 8/10; support 6, 4: (4.5 + 2)/10
    # b twice: IoU0 0/2, IoU1 4/6; accuracy 4/6; support 2, 4: (0 + 8/3)/6
    # a + b: IoU0 3/5 (tp 3, fp 1, fn 1), IoU1 3/5; accuracy 6/8; fwIoU 3/5
    want = [
        [6 / 8, 2 / 4, 5 / 8, 8 / 10, (6 * 6 / 8 + 4 * 2 / 4) / 10],
        [0 / 2, 4 / 6, (0 + 4 / 6) / 2, 4 / 6, (4 * 4 / 6) / 6],
        [3 / 5, 3 / 5, 3 / 5, 6 / 8, 3 / 5],
        [0.0, 2 / 3, 1 / 3, 2 / 3, 4 * (2 / 3) / 6],
    ]
    np.testing.assert_allclose(reps, want, rtol=1e-15)


def test_classes_absent_from_a_replicate_are_nan_and_counted() -> None:
    # class 2 is in one image of 30: about (29/30)^30 = 36% of replicates never draw it
    rng = np.random.default_rng(4)
    r = segmentation_result(rng, 30, 3, absent=0.0)
    k = r.per_image_counts
    assert k is not None
    cms = np.zeros((30, 3, 3), dtype=np.int64)
    cms[:, 0, 0], cms[:, 1, 1] = 50, 40
    cms[:, 0, 1] = rng.integers(0, 10, 30)
    cms[0, 2, 2], cms[0, 2, 0] = 30, 5
    ev = ioukit.SegmentationEvaluator(3)
    for i, cm in enumerate(cms):
        ev.add_confusion_matrix(cm, name=f"{i}")
    ci = confidence_interval(ev.result(), "iou:2", n_resamples=1000, random_state=0)
    assert math.isnan(ci.low)
    assert math.isnan(ci.high)
    assert "of 1000 replicates are NaN" in ci.note
    assert "not determined" in ci.note
    # mIoU skips the absent class in each replicate: always defined
    ci = confidence_interval(ev.result(), "miou", n_resamples=1000, random_state=0)
    assert ci.low < ci.estimate < ci.high
    assert ci.note == ""


def test_ignored_classes_have_no_per_class_metrics() -> None:
    r = segmentation_result(np.random.default_rng(5), 10, 4, ignored=(1,))
    s = source_of(r)
    assert "iou:class1" not in s.metric_names()
    assert [m for _, m in s.per_class_metrics("miou")] == ["iou:class0", "iou:class2", "iou:class3"]
    assert next(m for _, m in s.per_class_metrics("mdice")) == "dice:class0"
    assert s.per_class_metrics("pixel_accuracy") == ()


def test_torchmetrics_with_two_void_classes_is_not_offered() -> None:
    r = segmentation_result(np.random.default_rng(6), 10, 5, ignored=(1, 3))
    s = source_of(r)
    assert "miou:torchmetrics" not in s.metric_names()
    with pytest.raises(ParameterError, match=r"unknown metric 'miou:torchmetrics'.*'miou:mmseg'"):
        confidence_interval(r, "miou:torchmetrics")


def test_duplicate_class_names_get_distinct_metric_names() -> None:
    ev = ioukit.SegmentationEvaluator(3, class_names=["car", "road", "car"])
    ev.update(np.array([[0, 1, 2, 2]]), np.array([[0, 1, 2, 0]]))
    s = source_of(ev.result())
    assert [m for _, m in s.per_class_metrics("miou")] == ["iou:car#0", "iou:road", "iou:car#2"]
    assert s.estimate(["iou:car#2"])[0] == ev.result().iou[2]


def test_per_image_false_says_to_keep_per_image_counts() -> None:
    ev = ioukit.SegmentationEvaluator(2, per_image=False)
    ev.update(np.array([[0, 1]]), np.array([[0, 1]]))
    with pytest.raises(ParameterError, match=r"confidence_interval: .*per_image=True"):
        confidence_interval(ev.result())
    with pytest.raises(ParameterError, match=r"compare: .*per_image=True"):
        ioukit.stats.compare(ev.result(), ev.result())


def test_the_result_method_delegates() -> None:
    r = segmentation_result(np.random.default_rng(8), 20, 3)
    got = r.confidence_interval("mdice", level=0.9, n_resamples=300, random_state=1)
    assert got == confidence_interval(r, "mdice", level=0.9, n_resamples=300, random_state=1)
    assert r.confidence_interval(n_resamples=10, random_state=0).metric == "miou"


def test_huge_counts_stay_exact() -> None:
    # 2**52 pixels of one class in one image: N * max >= 2**53, so the product runs in int64
    big = 2**52
    cms = np.array([[[big, 1], [0, 3]], [[5, 0], [2, big - 7]]], dtype=np.int64)
    ev = ioukit.SegmentationEvaluator(2)
    for cm in cms:
        ev.add_confusion_matrix(cm)
    s = source_of(ev.result())
    w = np.array([[2.0, 0.0], [1.0, 1.0]])
    reps = s.replicates(["iou:0", "iou:1"], w)
    for row, got in zip(w, reps, strict=True):
        r = resampled_segmentation(ev.result(), row)
        np.testing.assert_array_equal(got, r.iou)
