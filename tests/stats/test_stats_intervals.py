"""Weights, percentile and BCa intervals: hand-computed cases, degenerate cases, bad input."""

from __future__ import annotations

import json
import math
from statistics import NormalDist

import numpy as np
import pytest
from stats_helpers import segmentation_result

from ioukit import InputError, ParameterError
from ioukit.stats import (
    ConfidenceInterval,
    bootstrap_weights,
    confidence_interval,
    confidence_intervals,
    jackknife_weights,
)
from ioukit.stats._bootstrap import interval
from ioukit.stats._weights import WeightedSums

PHI = NormalDist()


# -- weights ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [7, 3000])  # one bincount per chunk, and one per row
def test_weights_count_the_indices_of_one_stream(n: int) -> None:
    # the same stream of indices as Generator.integers(0, N, (B, N)) in one call (the draw of
    # scipy.stats.bootstrap), whatever the chunking
    want = np.random.default_rng(5).integers(0, n, size=(23, n))
    for rows in (1, 4, 23, None):
        w = np.concatenate(list(bootstrap_weights(n, 23, random_state=5, rows=rows)))
        assert w.dtype == np.float64
        assert w.shape == (23, n)
        np.testing.assert_array_equal(w, [np.bincount(row, minlength=n) for row in want])
        assert (w.sum(axis=1) == n).all()


def test_a_generator_is_used_and_advanced() -> None:
    g = np.random.default_rng(1)
    a = np.concatenate(list(bootstrap_weights(5, 3, random_state=g)))
    b = np.concatenate(list(bootstrap_weights(5, 3, random_state=g)))
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, next(bootstrap_weights(5, 3, random_state=1)))


@pytest.mark.parametrize(
    ("top", "dtype"),
    [(2**23 - 1, np.float32), (2**23 + 1, np.float64), (2**52 + 1, np.int64)],
)
def test_weighted_sums_are_exact_in_the_dtype_they_pick(top: int, dtype: type) -> None:
    # 2 images: every sum is at most 2 * max; float32 holds integers up to 2**24 exactly
    values = np.array([[top, top - 1, 3], [top - 2, 1, top]], dtype=np.int64)
    s = WeightedSums(values)
    assert s._values.dtype == dtype
    w = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    got = s(w)
    assert got.dtype == np.float64
    want = w.astype(np.int64) @ values
    assert [[int(v) for v in row] for row in got] == want.tolist()


def test_jackknife_rows_leave_one_image_out() -> None:
    w = np.concatenate(list(jackknife_weights(5, rows=2)))
    np.testing.assert_array_equal(w, 1 - np.eye(5))


# -- intervals -------------------------------------------------------------------------------


def test_percentile_hand_computed() -> None:
    reps = np.arange(1.0, 101.0)  # 1..100: linear quantiles at 0.025 and 0.975
    low, high, method, note = interval(50.0, reps, None, 0.95, "percentile")
    # position 0.025 * 99 = 2.475 -> 3 + 0.475; 0.975 * 99 = 96.525 -> 97 + 0.525
    assert (low, high, method, note) == (
        pytest.approx(3.475),
        pytest.approx(97.525),
        "percentile",
        "",
    )


def test_bca_hand_computed() -> None:
    reps = np.arange(1.0, 11.0)
    jack = np.array([1.0, 2.0, 4.0])
    # 4 replicates below 5, one tie: p = (4 + 5) / 20 = 0.45
    z0 = PHI.inv_cdf(0.45)
    # d = mean - jack = (4/3, 1/3, -5/3): Σd² = 42/9, Σd³ = -60/27
    a = (-60 / 27) / (6 * (42 / 9) ** 1.5)
    levels = []
    for z in (PHI.inv_cdf(0.025), PHI.inv_cdf(0.975)):
        levels.append(PHI.cdf(z0 + (z0 + z) / (1 - a * (z0 + z))))
    low, high, method, note = interval(5.0, reps, jack, 0.95, "bca")
    assert method == "bca"
    assert note == ""
    assert (low, high) == pytest.approx(tuple(np.quantile(reps, levels)), rel=1e-15)
    # a < 0 and z0 < 0: both ends move down from the percentile interval
    assert low < 1.225
    assert high < 9.775


@pytest.mark.parametrize(
    ("reps", "jack", "why"),
    [
        (np.full(50, 0.3), np.array([0.3, 0.2]), "all replicates are equal"),
        (np.linspace(0.6, 0.9, 50), np.array([0.3, 0.2]), "every replicate lies above"),
        (np.linspace(0.1, 0.4, 50), np.array([0.3, 0.2]), "every replicate lies below"),
        (np.linspace(0.2, 0.4, 50), np.array([0.3, np.nan]), "NaN for 1 image"),
        (np.linspace(0.2, 0.4, 50), np.array([0.3, 0.3, 0.3]), "all equal (no acceleration)"),
        (np.linspace(0.2, 0.4, 50), None, "fewer than 2 images"),
    ],
)
def test_bca_falls_back_to_percentile_and_says_why(reps, jack, why) -> None:
    low, high, method, note = interval(0.5 if "below" in why else 0.3, reps, jack, 0.9, "bca")
    assert method == "percentile"
    assert why in note
    assert note.startswith("BCa fell back")
    alpha = (1 - 0.9) / 2  # as scipy.stats.bootstrap: 0.04999999999999999
    assert (low, high) == tuple(np.quantile(reps, [alpha, 1 - alpha]))


def test_nan_replicates_are_left_out_up_to_the_tail() -> None:
    reps = np.linspace(0.0, 1.0, 1000)
    reps[:20] = np.nan  # 2% <= 2.5%: left out
    low, high, _, note = interval(0.5, reps, None, 0.95, "percentile")
    alpha = (1 - 0.95) / 2
    assert (low, high) == tuple(np.quantile(reps[20:], [alpha, 1 - alpha]))
    assert note.startswith("20 of 1000 replicates are NaN")
    assert "left out" in note
    reps[:26] = np.nan  # 2.6% > 2.5%: no interval
    low, high, _, note = interval(0.5, reps, None, 0.95, "percentile")
    assert math.isnan(low)
    assert math.isnan(high)
    assert "not determined" in note
    low, high, _, note = interval(math.nan, reps[30:], None, 0.95, "bca")
    assert math.isnan(low)
    assert math.isnan(high)
    assert "estimate is NaN" in note


def test_one_image() -> None:
    r = segmentation_result(np.random.default_rng(0), 1, 3, absent=0.0)
    ci = confidence_interval(r, n_resamples=50, random_state=0)
    assert ci.low == ci.high == ci.estimate
    assert ci.method == "percentile"
    assert "all replicates are equal" in ci.note or "fewer than 2 images" in ci.note


def test_str_and_to_dict() -> None:
    ci = ConfidenceInterval("iou:road", 0.5, math.nan, math.nan, 0.975, "percentile", 100, 3, "x")
    assert str(ci) == "iou:road 0.5000 [nan, nan] (97.5% percentile, 100 resamples of 3 images); x"
    d = json.loads(json.dumps(ci.to_dict(), allow_nan=False))
    assert d["low"] is None
    assert d["level"] == 0.975
    assert d["note"] == "x"


# -- bad input -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return segmentation_result(np.random.default_rng(1), 8, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": 0.0}, r"`level` must be a number strictly between 0 and 1.*got 0.0"),
        ({"level": 1}, r"`level` must be .*got 1\."),
        ({"level": True}, r"`level` must be"),
        ({"level": "0.9"}, r"`level` must be"),
        ({"n_resamples": 0}, r"`n_resamples` must be an integer >= 1.*got 0"),
        ({"n_resamples": 10.0}, r"`n_resamples` must be an integer"),
        ({"method": "basic"}, r"`method` must be one of 'bca', 'percentile'; got 'basic'"),
        ({"random_state": -1}, r"`random_state` must be None, a non-negative int"),
        ({"random_state": "seed"}, r"`random_state` must be"),
    ],
)
def test_bad_options(result, kwargs, message) -> None:
    with pytest.raises(ParameterError, match=r"confidence_interval: " + message):
        confidence_interval(result, **kwargs)


def test_unknown_metric_lists_the_valid_ones(result) -> None:
    with pytest.raises(
        ParameterError,
        match=r"unknown metric 'mIoU' for a segmentation result; valid metrics are 'miou', "
        r"'mdice', 'pixel_accuracy', 'mean_accuracy', 'fw_iou', 'miou:ioukit', .*'iou:class0'",
    ):
        confidence_interval(result, "mIoU")
    with pytest.raises(ParameterError, match="`metric` must be a str"):
        confidence_interval(result, ["miou"])  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="`metrics` is empty"):
        confidence_intervals(result, [])
    with pytest.raises(ParameterError, match="`metrics` must be a sequence of metric names"):
        confidence_intervals(result, "miou")


def test_not_a_result() -> None:
    with pytest.raises(InputError, match="confidence_interval: expected a SegmentationResult"):
        confidence_interval({"miou": 0.5})
