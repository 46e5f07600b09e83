"""The leave-one-image-out values of the detection source (DetectionSource.jackknife): equal,
up to the order of the sums, to the replicates on the jackknife weights (the generic path) for
every metric kind, and used by confidence_interval and compare (BCa) through the stats hook."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from boot_helpers import COCO_CONFIGS, coco_set, lvis_set
from coco_helpers import random_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ioukit
from ioukit import ParameterError
from ioukit.detection._bootstrap import detection_source
from ioukit.detection.lvis import lvis_evaluate
from ioukit.stats import compare, confidence_intervals, jackknife_weights
from ioukit.stats._weights import jackknife_matrices


def _generic(source: Any, names: list[str]) -> np.ndarray:
    """The leave-one-out values through the replicates (what stats did before the hook)."""
    n = len(source.image_names)
    return np.concatenate([source.replicates(names, w) for w in jackknife_weights(n, rows=7)])


def _check(source: Any, names: list[str] | None = None) -> np.ndarray:
    """``source.jackknife`` equals the generic path for every metric (NaN where it is NaN),
    to 1e-12 relative. Returns the values."""
    names = list(source.metric_names()) if names is None else names
    fast = source.jackknife(names)
    slow = _generic(source, names)
    assert fast.shape == slow.shape == (len(source.image_names), len(names))
    assert np.array_equal(np.isnan(fast), np.isnan(slow)), [
        (n, i) for i, j in zip(*np.nonzero(np.isnan(fast) != np.isnan(slow)), strict=True)
        for n in [names[j]]
    ]  # fmt: skip
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-15)
    return fast


@pytest.mark.parametrize(
    ("seed", "kwargs"),
    [*COCO_CONFIGS, (8, {"use_cats": False, "max_dets": (1, 10, 100)})],
)
def test_equals_the_generic_path_on_coco(seed: int, kwargs: dict[str, Any]) -> None:
    gt, dt = random_dataset(seed, n_images=15)  # ties, crowds, images without GT or results
    s = detection_source(ioukit.coco_evaluate(gt, dt, **kwargs))
    names = list(s.metric_names())
    assert {"AP", "AP50", "APs", "AR100", "ARl"} <= set(names) or kwargs.get("max_dets")
    _check(s)


def test_equals_the_generic_path_on_masks_and_tie_free_sets() -> None:
    gt, dt = random_dataset(3, masks=True, n_images=10)
    _check(detection_source(ioukit.coco_evaluate(gt, dt, iou_type="segm")))
    for seed in (1, 2):
        _check(detection_source(ioukit.coco_evaluate(*coco_set(seed, n_images=14))))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_the_generic_path_on_lvis(seed: int) -> None:
    gt, dt = lvis_set(seed, n_images=12)
    s = detection_source(lvis_evaluate(gt, dt))
    assert {"APr", "APc", "APf", "AR@300", "ARs@300"} <= set(s.metric_names())
    _check(s)


def test_a_category_whose_only_ground_truth_leaves() -> None:
    # category of the first annotation: all its ground truths moved to one image, so leaving
    # that image out makes the category undefined (COCO's -1): its AP is NaN there and the
    # mean AP is taken over the other categories
    gt, dt = coco_set(4, n_images=12)
    gt = copy.deepcopy(gt)
    cat = gt["annotations"][0]["category_id"]
    home = gt["annotations"][0]["image_id"]
    for ann in gt["annotations"]:
        if ann["category_id"] == cat:
            ann["image_id"] = home
    r = ioukit.coco_evaluate(gt, dt)
    s = detection_source(r)
    label = dict(zip(r.params.cat_ids, r.category_names, strict=True))[cat]
    names = ["AP", "AP50", "AR100", f"AP:{label}"]
    fast = _check(s, names)
    row = list(r.params.img_ids).index(home)
    assert np.isnan(fast[row, 3])
    assert not np.isnan(fast[row, 0])
    assert np.count_nonzero(np.isnan(fast[:, 3])) == 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_images=st.integers(2, 12), pooled=st.booleans())
def test_equals_the_generic_path_hypothesis(seed: int, n_images: int, pooled: bool) -> None:
    gt, dt = random_dataset(seed, n_images=n_images)
    _check(detection_source(ioukit.coco_evaluate(gt, dt, use_cats=not pooled)))


def test_follows_the_order_of_the_images_and_checks_names() -> None:
    s = detection_source(ioukit.coco_evaluate(*random_dataset(8, n_images=10)))
    names = list(s.image_names)
    perm = np.random.default_rng(0).permutation(len(names))
    t = s.reorder([names[i] for i in perm])
    metrics = ["AP", "AR100", "AP:c7"]
    assert np.array_equal(t.jackknife(metrics), s.jackknife(metrics)[perm], equal_nan=True)
    with pytest.raises(ParameterError, match=r"DetectionSource\.jackknife: `metrics`.*got 'AP9'"):
        s.jackknife(["AP9"])


class _WithoutJackknife:
    """A source that delegates everything but ``jackknife`` (stats takes the generic path)."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self.kind = source.kind
        self.image_names = source.image_names

    def __getattr__(self, name: str) -> Any:
        if name == "jackknife":
            raise AttributeError(name)
        return getattr(self._source, name)

    def reorder(self, names: Any) -> _WithoutJackknife:
        return _WithoutJackknife(self._source.reorder(names))


class _Counting(_WithoutJackknife):
    """Counts the calls of its ``jackknife``."""

    calls = 0

    def jackknife(self, metrics: Any) -> np.ndarray:
        _Counting.calls += 1
        out: np.ndarray = self._source.jackknife(metrics)
        return out


def test_stats_use_the_hook_and_agree_with_the_generic_path() -> None:
    r = ioukit.coco_evaluate(*random_dataset(11, n_images=20))
    s = detection_source(r)
    names = ["AP", "AP50", "AR100"]
    generic, hooked = jackknife_matrices(
        [_WithoutJackknife(s), _Counting(s)], names, jackknife_weights(20)
    )
    assert _Counting.calls == 1
    np.testing.assert_allclose(hooked, generic, rtol=1e-12, atol=1e-15)
    fast = confidence_intervals(r, names, n_resamples=300, random_state=3)
    slow = confidence_intervals(_WithoutJackknife(s), names, n_resamples=300, random_state=3)
    for name in names:
        assert fast[name].method == slow[name].method == "bca"
        assert fast[name].low == pytest.approx(slow[name].low, rel=1e-9, abs=1e-12)
        assert fast[name].high == pytest.approx(slow[name].high, rel=1e-9, abs=1e-12)


def test_compare_uses_the_hook_on_both_sides() -> None:
    gt, dt = random_dataset(12, n_images=16)
    rng = np.random.default_rng(0)
    dt_b = [dict(d, score=float(rng.random())) for d in dt]
    a, b = ioukit.coco_evaluate(gt, dt), ioukit.coco_evaluate(gt, dt_b)
    sa, sb = detection_source(a), detection_source(b)
    before = _Counting.calls
    fast = compare(_Counting(sa), _Counting(sb), n_resamples=300, random_state=0)
    assert _Counting.calls == before + 2
    slow = compare(_WithoutJackknife(sa), _WithoutJackknife(sb), n_resamples=300, random_state=0)
    assert fast.difference.method == slow.difference.method
    assert fast.difference.low == pytest.approx(slow.difference.low, rel=1e-9, abs=1e-12)
    assert fast.difference.high == pytest.approx(slow.difference.high, rel=1e-9, abs=1e-12)
