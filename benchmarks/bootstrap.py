"""Bootstrap confidence intervals over images: ioukit against scipy.stats.bootstrap, same process.

Workloads (synthetic, seeded):

* segmentation: 5,000 images, 19 classes (Cityscapes-sized), per-image confusion matrices;
  mIoU (dataset-level, the ``ioukit`` convention), B = 10,000 replicates;
* panoptic: 5,000 images, 133 categories (COCO panoptic), per-image TP/FP/FN and IoU sums;
  PQ, B = 10,000.

ioukit draws multinomial image multiplicities ``W`` (B, N) in chunks and computes every
replicate's counts as one float64 product ``W @ counts`` (exact for integer counts below
2**53), then the same reduce functions as the result's own numbers. scipy's
``bootstrap(paired=True, vectorized=True)`` computes the same statistic from fancy-indexed
per-image arrays (checked below: the same intervals from the same seed); it is timed at
B = 1,000 (``batch=100``) beside ioukit at the same B, to keep the run short (its time grows
linearly with B; its BCa adds N = 5,000 jackknife evaluations).

Run: ``python benchmarks/bootstrap.py`` (scipy is an optional peer). Times are medians of
several runs (``_timing.median_time``) on whatever machine runs it. On a busy machine, also
run it with ``OPENBLAS_NUM_THREADS=1``: BLAS threads that wait for a descheduled partner can
make the matrix products several times slower than one thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import ioukit
from _timing import median_time, no_options
from ioukit.core.counts import Counts
from ioukit.panoptic._match import Categories
from ioukit.stats import compare, confidence_interval, confidence_intervals

N, C, K = 5000, 19, 133


def segmentation(seed: int) -> ioukit.SegmentationResult:
    rng = np.random.default_rng(seed)
    cms = rng.integers(0, 2000, size=(N, C, C)) * (rng.random((N, C, C)) < 0.2)
    cms[:, np.arange(C), np.arange(C)] = rng.integers(0, 200_000, size=(N, C))
    cms *= rng.random((N, C, 1)) < 0.7  # a class is in 70% of the images
    k = Counts.from_confusion_matrix(cms, keep_matrix=True)
    return ioukit.SegmentationResult(
        num_classes=C,
        class_names=tuple(f"class{c}" for c in range(C)),
        ignore_index=(),
        counts=k.total(),
        per_image_counts=k,
        image_names=tuple(f"{i}.png" for i in range(N)),
    )


def panoptic() -> ioukit.PanopticResult:
    rng = np.random.default_rng(1)
    tp = rng.integers(0, 3, size=(N, K)) * (rng.random((N, K)) < 0.05)
    image, cats = np.nonzero(tp)
    reps = tp[image, cats]
    return ioukit.PanopticResult(
        categories=Categories(
            tuple(range(K)), tuple(f"c{k}" for k in range(K)), tuple(k < 80 for k in range(K))
        ),
        image_names=tuple(f"{i}.png" for i in range(N)),
        image_tp=tp,
        image_fp=rng.integers(0, 2, size=(N, K)) * (rng.random((N, K)) < 0.05),
        image_fn=rng.integers(0, 2, size=(N, K)) * (rng.random((N, K)) < 0.05),
        match_image=np.repeat(image, reps),
        match_cats=np.repeat(cats, reps),
        match_iou=0.5 + 0.5 * rng.random(int(reps.sum())),
    )


def scipy_miou(r: ioukit.SegmentationResult, b: int, method: str) -> Callable[[], Any]:
    """scipy.stats.bootstrap of the same mIoU: per-image tp, fp, fn of shape (C, N), paired."""
    from scipy.stats import bootstrap

    k = r.per_image_counts
    assert k is not None
    data = tuple(np.ascontiguousarray(np.asarray(a).T) for a in (k.tp, k.fp, k.fn))

    def miou(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, axis: int = -1) -> np.ndarray:
        t, u = tp.sum(axis=axis), (tp + fp + fn).sum(axis=axis)  # (C, ...)
        with np.errstate(invalid="ignore"):
            return np.nanmean(t / u, axis=0)

    return lambda: bootstrap(
        data,
        miou,
        paired=True,
        vectorized=True,
        n_resamples=b,
        batch=100,
        method=method,
        axis=-1,
        rng=0,
    )


def main() -> None:
    seg, seg_b, pan = segmentation(0), segmentation(1), panoptic()
    ci = confidence_interval(seg, "miou", random_state=0)
    print(f"segmentation: {ci}")
    print(f"panoptic:     {confidence_interval(pan, 'PQ', random_state=0)}")
    rows: list[tuple[str, str, int, Callable[[], Any]]] = []
    for method in ("percentile", "bca"):
        rows.append(
            (
                "segmentation mIoU",
                method,
                10_000,
                lambda m=method: confidence_interval(seg, "miou", method=m, random_state=0),
            )
        )
    rows += [
        ("segmentation, 5 headline metrics", "bca", 10_000,
         lambda: confidence_intervals(seg, random_state=0)),
        ("segmentation compare (mIoU + 19 classes)", "bca", 10_000,
         lambda: compare(seg, seg_b, random_state=0)),
    ]  # fmt: skip
    for method in ("percentile", "bca"):
        rows.append(
            (
                "panoptic PQ",
                method,
                10_000,
                lambda m=method: confidence_interval(pan, "PQ", method=m, random_state=0),
            )
        )
    rows.append(
        ("panoptic, 9 headline metrics", "bca", 10_000,
         lambda: confidence_intervals(pan, random_state=0))
    )  # fmt: skip
    peer = []
    try:
        import scipy  # noqa: F401
    except ImportError:
        print("scipy is not installed: no peer rows")
    else:
        for method in ("percentile", "bca"):
            peer.append(
                (
                    "segmentation mIoU, ioukit",
                    method,
                    1000,
                    lambda m=method: confidence_interval(
                        seg, "miou", method=m, n_resamples=1000, random_state=0
                    ),
                )
            )
            peer.append(("segmentation mIoU, scipy", method, 1000, scipy_miou(seg, 1000, method)))
        for method in ("percentile", "bca"):  # the same seed draws the same images
            ours = confidence_interval(seg, "miou", method=method, n_resamples=1000, random_state=0)
            theirs = scipy_miou(seg, 1000, method)().confidence_interval
            gap = max(abs(ours.low - theirs.low), abs(ours.high - theirs.high))
            print(f"scipy agrees ({method}, B = 1000, same seed): largest end difference {gap:.1e}")
    print(f"\n{N} images, {C} classes (segmentation), {K} categories (panoptic)\n")
    head = f"{'workload':<42} {'method':<10} {'B':>6}  {'median s':>9}"
    print(head)
    print("-" * len(head))
    for name, method, b, fn in rows + peer:
        t = median_time(fn, 5 if "scipy" not in name else 3)
        print(f"{name:<42} {method:<10} {b:>6}  {t:>9.3f}")


if __name__ == "__main__":
    no_options(__doc__)
    main()
