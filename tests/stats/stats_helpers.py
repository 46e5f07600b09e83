"""Shared by the statistics tests: random results, and results of explicitly resampled images.

A bootstrap replicate with weights ``w`` must equal the evaluation of the dataset in which image
``i`` appears ``w[i]`` times; :func:`resampled_segmentation` and :func:`resampled_panoptic` build
that dataset's result the plain way (repeating images), for the tests to compare against.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

import ioukit
from ioukit.core.counts import Counts
from ioukit.panoptic._match import Categories


def segmentation_result(
    rng: np.random.Generator,
    n: int,
    c: int,
    *,
    ignored: tuple[int, ...] = (),
    absent: float = 0.3,
    scale: int = 50,
    names: bool = True,
) -> ioukit.SegmentationResult:
    """A result of ``n`` images from random per-image confusion matrices: each class is in an
    image's target with probability ``1 - absent``; predictions mostly right. Classes in
    ``ignored`` are void (no target pixels, but they can be predicted)."""
    present = rng.random((n, c)) >= absent
    cms = rng.integers(0, scale, size=(n, c, c)) * (rng.random((n, c, c)) < 0.3)
    idx = np.arange(c)
    cms[:, idx, idx] = rng.integers(0, 20 * scale, size=(n, c))
    cms *= present[:, :, None]  # a class absent from the target has an empty row
    for v in ignored:
        cms[:, v, :] = 0
    k = Counts.from_confusion_matrix(cms, ignored_classes=ignored, keep_matrix=True)
    image_names = tuple(f"img{i:04d}.png" for i in range(n))
    k = replace(k, sample_names=image_names if names else (None,) * n)
    return ioukit.SegmentationResult(
        num_classes=c,
        class_names=tuple(f"class{j}" for j in range(c)),
        ignore_index=ignored,
        counts=k.total(),
        per_image_counts=k,
        image_names=image_names if names else tuple(str(i) for i in range(n)),
    )


def repeat_index(weights: np.ndarray) -> np.ndarray:
    """Image ``i`` repeated ``weights[i]`` times (a row of integer multiplicities)."""
    return np.repeat(np.arange(weights.size), weights.astype(np.int64))


def resampled_segmentation(r: ioukit.SegmentationResult, weights: np.ndarray) -> Any:
    """The result of the dataset in which image ``i`` appears ``weights[i]`` times."""
    k = r.per_image_counts
    assert k is not None
    idx = repeat_index(weights)
    images = Counts(
        *(np.asarray(getattr(k, f))[idx] for f in ("tp", "fp", "fn", "tn")),
        task="multiclass",
        per_sample=True,
        ignored_classes=k.ignored_classes,
    )
    return ioukit.SegmentationResult(
        num_classes=r.num_classes,
        class_names=r.class_names,
        ignore_index=r.ignore_index,
        counts=images.total(),
        per_image_counts=images,
        image_names=tuple(str(i) for i in range(idx.size)),
    )


def panoptic_result(
    rng: np.random.Generator, n: int, k: int, *, aggregation: str = "dataset", things: int = 2
) -> ioukit.PanopticResult:
    """A result of ``n`` images and ``k`` categories (the first ``things`` are things) with
    random TP/FP/FN and one match record (IoU in (0.5, 1]) per TP."""
    tp = rng.integers(0, 3, size=(n, k)) * (rng.random((n, k)) < 0.6)
    fp = rng.integers(0, 2, size=(n, k))
    fn = rng.integers(0, 2, size=(n, k))
    image, cats = np.nonzero(tp)
    reps = tp[image, cats]
    match_image, match_cats = np.repeat(image, reps), np.repeat(cats, reps)
    return ioukit.PanopticResult(
        categories=Categories(
            tuple(range(1, k + 1)),
            tuple(f"cat{j}" for j in range(k)),
            tuple(j < things for j in range(k)),
        ),
        image_names=tuple(f"im{i}" for i in range(n)),
        image_tp=tp.astype(np.int64),
        image_fp=fp.astype(np.int64),
        image_fn=fn.astype(np.int64),
        match_image=match_image.astype(np.int64),
        match_cats=match_cats.astype(np.int64),
        match_iou=0.5 + 0.5 * rng.random(match_image.size) + 1e-9,
        aggregation=aggregation,
    )


def resampled_panoptic(r: ioukit.PanopticResult, weights: np.ndarray) -> Any:
    """The result of the dataset in which image ``i`` appears ``weights[i]`` times."""
    idx = repeat_index(weights)
    pick = [np.flatnonzero(r.match_image == i) for i in idx]
    where = np.concatenate([np.full(p.size, j) for j, p in enumerate(pick)] + [np.zeros(0)])
    order = np.concatenate([*pick, np.zeros(0, dtype=np.int64)]).astype(np.int64)
    return replace(
        r,
        image_names=tuple(str(i) for i in range(idx.size)),
        image_tp=r.image_tp[idx],
        image_fp=r.image_fp[idx],
        image_fn=r.image_fn[idx],
        match_image=where.astype(np.int64),
        match_cats=r.match_cats[order],
        match_iou=r.match_iou[order],
    )
