"""Panoptic replicates equal the evaluation of explicitly resampled datasets."""

from __future__ import annotations

import numpy as np
import pytest
from stats_helpers import panoptic_result, resampled_panoptic

import ioukit
from ioukit.stats import bootstrap_weights, confidence_interval, confidence_intervals, source_of
from ioukit.stats._panoptic import HEADLINE

GROUPS = {"": "All", "_th": "Things", "_st": "Stuff"}


def _expected(r: ioukit.PanopticResult, metrics: list[str]) -> list[float]:
    rows = r.per_category()
    out = []
    for m in metrics:
        if ":" in m:
            score, name = m.split(":")
            out.append(rows[int(name[3:])][score.lower()])
        else:
            out.append(r.scores[GROUPS[m[2:]]][m[:2].lower()])
    return out


@pytest.mark.parametrize("aggregation", ["dataset", "image"])
def test_replicates_equal_the_resampled_results(aggregation: str) -> None:
    r = panoptic_result(np.random.default_rng(0), 30, 5, aggregation=aggregation)
    s = source_of(r)
    metrics = list(s.metric_names())
    assert metrics[:9] == list(HEADLINE)
    assert len(metrics) == 9 + 3 * 5
    w = np.concatenate(list(bootstrap_weights(30, 8, random_state=1)))
    w[0] = 1.0
    w[1] = 0.0  # only image 2: some categories and groups undefined (NaN)
    w[1, 2] = 30
    reps = s.replicates(metrics, w)
    for row, got in zip(w, reps, strict=True):
        want = _expected(resampled_panoptic(r, row), metrics)
        # ΣIoU is summed in another order: equal to rounding; TP/FP/FN are exact
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)
        rq = [j for j, m in enumerate(metrics) if m.startswith("RQ:")]
        np.testing.assert_array_equal(got[rq], np.asarray(want)[rq])


def test_estimates_are_the_results_own_numbers() -> None:
    r = panoptic_result(np.random.default_rng(1), 25, 4)
    cis = confidence_intervals(r, n_resamples=100, random_state=0)
    assert list(cis) == list(HEADLINE)
    assert [ci.estimate for ci in cis.values()] == _expected(r, list(HEADLINE))
    assert cis["PQ"].estimate == r.pq
    ci = confidence_interval(r, "SQ:cat2", n_resamples=100, random_state=0)
    assert ci.estimate == r.per_category()[2]["sq"]
    assert r.confidence_interval(n_resamples=100, random_state=0) == cis["PQ"]


def test_an_evaluated_result() -> None:
    cats = [{"id": 1, "name": "person", "isthing": 1}, {"id": 2, "name": "sky", "isthing": 0}]
    ev = ioukit.PanopticEvaluator(categories=cats)
    rng = np.random.default_rng(2)
    for i in range(12):
        target = np.full((8, 8), 2)
        target[: 2 + i % 4, :4] = 1
        pred = target.copy()
        pred[rng.integers(0, 8, 6), rng.integers(0, 8, 6)] = 2
        ev.update(
            pred,
            target,
            [{"id": 1, "category_id": 1}, {"id": 2, "category_id": 2}],
            [
                {"id": 1, "category_id": 1, "area": int((target == 1).sum())},
                {"id": 2, "category_id": 2, "area": int((target == 2).sum())},
            ],
            name=f"im{i}",
        )
    r = ev.compute()
    ci = r.confidence_interval("PQ", n_resamples=500, random_state=0)
    assert ci.estimate == r.pq
    assert ci.low <= r.pq <= ci.high
    assert ci.n_images == 12
    per = source_of(r).per_class_metrics("PQ_st")
    assert per == (("sky", "PQ:sky"),)
