"""Percentile and BCa intervals agree with ``scipy.stats.bootstrap``.

The statistic is the micro IoU over images, ``Σ tp / Σ (tp + fp + fn)`` summed over classes and
images: ioukit's ``"miou:smp-micro"``, and for scipy a paired, vectorised statistic of each
image's (tp, union). With the same seed both draw the same indices (``Generator.integers(0, N,
(B, N))``), so the intervals agree to rounding; with independent seeds they agree to within the
Monte Carlo error derived below.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from stats_helpers import segmentation_result

from ioukit.stats import confidence_interval

scipy_stats = pytest.importorskip("scipy.stats")

pytestmark = pytest.mark.reference

B = 10_000
PHI = 1 / math.sqrt(2 * math.pi) * math.exp(-(1.959963984540054**2) / 2)  # φ(z_0.975)


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    r = segmentation_result(np.random.default_rng(11), 120, 5, absent=0.5, scale=200)
    k = r.per_image_counts
    tp = np.asarray(k.tp).sum(axis=1)
    union = np.asarray(k.tp + k.fp + k.fn).sum(axis=1)
    return r, tp, union


def _micro(tp: np.ndarray, union: np.ndarray, axis: int = -1) -> np.ndarray:
    return tp.sum(axis=axis) / union.sum(axis=axis)


def _scipy(tp, union, method: str, seed: int):  # type: ignore[no-untyped-def]
    return scipy_stats.bootstrap(
        (tp, union),
        _micro,
        paired=True,
        vectorized=True,
        n_resamples=B,
        method=method,
        rng=np.random.default_rng(seed),
    )


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_same_draws_same_interval(data, method: str) -> None:
    r, tp, union = data
    ours = confidence_interval(r, "miou:smp-micro", method=method, n_resamples=B, random_state=3)
    theirs = _scipy(tp, union, method, 3).confidence_interval
    assert ours.method == method
    assert ours.note == ""
    assert ours.estimate == pytest.approx(_micro(tp, union), rel=1e-15)
    assert (ours.low, ours.high) == pytest.approx((theirs.low, theirs.high), rel=1e-12)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_independent_draws_agree_within_monte_carlo_error(data, method: str) -> None:
    r, tp, union = data
    ours = confidence_interval(r, "miou:smp-micro", method=method, n_resamples=B, random_state=4)
    res = _scipy(tp, union, method, 5)
    sigma = float(np.std(res.bootstrap_distribution))
    # An interval end is a sample quantile of B replicates at level p = 0.025 (or 0.975): its
    # standard error is sqrt(p (1 - p) / B) / f(q), and with a near-normal bootstrap
    # distribution f(q) = φ(z_p) / σ, so SE = 2.67 σ / sqrt(B). BCa also estimates z0 from the
    # share p0 ≈ 1/2 of replicates below the estimate: SE(z0) = sqrt(p0 (1 - p0) / B) / φ(z0)
    # = 1.25 / sqrt(B), which moves the end's level by about 2 φ(z_p) SE(z0) (the derivative
    # of Φ(z0 + (z0 + z) / (1 - a (z0 + z))) in z0 for a small a): 0.146 / sqrt(B) in level,
    # beside the quantile's own 0.156 / sqrt(B). The two tools draw independently, so the
    # difference has sqrt(2) times the SE; allow 4 standard errors.
    level_se = math.sqrt(0.025 * 0.975 / B)
    if method == "bca":
        level_se = math.hypot(level_se, 2 * PHI * 0.5 / math.sqrt(B) / 0.3989422804014327)
    tol = 4 * math.sqrt(2) * level_se / PHI * sigma
    width = res.confidence_interval.high - res.confidence_interval.low
    assert tol < 0.06 * width  # a meaningful check: a few percent of the interval's width
    assert ours.low == pytest.approx(res.confidence_interval.low, abs=tol)
    assert ours.high == pytest.approx(res.confidence_interval.high, abs=tol)
