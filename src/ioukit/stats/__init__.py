"""Bootstrap confidence intervals and paired comparison of evaluations, images resampled.

* :func:`confidence_interval` / :func:`confidence_intervals`: how precisely the test set
  measures a metric (mIoU, every mIoU convention, Dice, accuracies, per-class IoU; PQ, SQ, RQ;
  AP, AR);
* :func:`compare`: whether model B beats model A on the same images, by how much (an interval
  of the difference), per class, and on which images they differ most.

The resampling unit is the image, drawn whole with replacement (Everingham et al., PASCAL VOC):
the pixels, segments or detections of one image are not independent, so resampling them would
understate the uncertainty. Every replicate recomputes the metric exactly as the evaluation
does, on the resampled dataset, from each image's exact state (counts or match records):
segmentation replicates are one matrix product of multiplicities ``(B, N)`` and per-image counts
``(N, 4C)`` followed by the same reduce functions as the result's own numbers. Intervals are
BCa (default) or percentile; degenerate cases fall back and say why in ``note``.

Examples
--------
>>> import numpy as np, ioukit
>>> from ioukit import stats
>>> ev = ioukit.SegmentationEvaluator(2)
>>> rng = np.random.default_rng(0)
>>> for _ in range(25):
...     t = rng.integers(0, 2, (8, 8)); ev.update(np.where(rng.random((8, 8)) < 0.8, t, 1 - t), t)
>>> ci = stats.confidence_interval(ev.result(), "miou", n_resamples=1000, random_state=0)
>>> ci.method, ci.n_images, ci.low < ci.estimate < ci.high
('bca', 25, True)
"""

from __future__ import annotations

from ioukit.stats._bootstrap import ConfidenceInterval, confidence_interval, confidence_intervals
from ioukit.stats._compare import Comparison, compare
from ioukit.stats._source import BootstrapSource, source_of
from ioukit.stats._weights import bootstrap_weights, jackknife_weights

__all__ = [
    "BootstrapSource",
    "Comparison",
    "ConfidenceInterval",
    "bootstrap_weights",
    "compare",
    "confidence_interval",
    "confidence_intervals",
    "jackknife_weights",
    "source_of",
]
