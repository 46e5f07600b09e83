"""The bootstrap source of a :class:`~ioukit.SegmentationResult`: per-image counts.

A replicate's counts are ``w @ counts``: the ``(B, N)`` multiplicities times the per-image
tp, fp, fn and valid pixels, ``(N, 3C + 1)`` (tn is pixels − tp − fp − fn), one float64 matrix
product (exact: see :class:`ioukit.stats._weights.WeightedSums`). The scores of the ``B``
resampled datasets are then the reduce functions of :mod:`ioukit.core.reduce` (``jaccard``,
``dice``, ``accuracy``, ``nanmean``) applied to :class:`~ioukit.Counts` whose leading axis is
the replicate: the same divisions as the result's own numbers, so a row of ones reproduces
them bit for bit.

Every mIoU convention of :mod:`ioukit.core.conventions` is the convention applied to the
resampled dataset (an image drawn ``k`` times counts ``k`` times):

* dataset-level conventions (``macro``, ``micro``) reduce the replicate's summed counts;
* per-image conventions average per-image values, so their replicate is the weighted mean
  ``Σ_i w_i d_i v_i / Σ_i w_i d_i`` (``nanmean`` with weights): ``v_i`` is image ``i``'s value
  (its micro IoU for ``samples``; its mean over classes for ``images`` and ``pairs``) and
  ``d_i`` 1, or for ``pairs`` the number of its (image, class) pairs that count;
* the no-pixel rule applies to the resampled dataset's counts (NaN where the convention's
  library raises).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ioukit._errors import ParameterError
from ioukit._xp import to_numpy
from ioukit.core.conventions import _preset
from ioukit.core.counts import Counts
from ioukit.core.reduce import accuracy, dice, jaccard, nanmean
from ioukit.stats._source import metric_labels, reorder_index
from ioukit.stats._weights import WeightedSums

if TYPE_CHECKING:
    from ioukit._segmentation_result import SegmentationResult

__all__ = ["SegmentationSource"]

NDArray = np.ndarray[Any, Any]

HEADLINE = ("miou", "mdice", "pixel_accuracy", "mean_accuracy", "fw_iou")
_FIELDS = ("tp", "fp", "fn", "tn")


class SegmentationSource:
    """The per-image counts of a segmentation result, resampled (a ``BootstrapSource``).

    Examples
    --------
    >>> import numpy as np, ioukit
    >>> ev = ioukit.SegmentationEvaluator(2)
    >>> ev.update(np.array([[[0, 1]], [[1, 1]]]), np.array([[[0, 1]], [[0, 1]]]))
    >>> s = SegmentationSource(ev.result())
    >>> s.estimate(["iou:0", "iou:1"]).tolist()  # class 0: 1/2; class 1: 2/3
    [0.5, 0.6666666666666666]
    >>> s.replicates(["iou:0", "iou:1"], np.array([[2.0, 0.0], [0.0, 2.0]])).tolist()
    [[1.0, 1.0], [0.0, 0.5]]
    """

    kind = "segmentation"

    def __init__(
        self,
        result: SegmentationResult,
        *,
        func: str = "SegmentationSource",
        order: NDArray | None = None,
    ) -> None:
        images = result.per_image_counts
        if images is None:
            raise ParameterError(
                f"{func}: this SegmentationResult has no per-image counts, and the bootstrap "
                "resamples images; evaluate with SegmentationEvaluator(..., per_image=True) "
                "(the default)."
            )
        arrays = [to_numpy(getattr(images, f)) for f in _FIELDS]
        if images.sample_weight is not None or arrays[0].dtype.kind not in "iu":
            raise ParameterError(
                f"{func}: the bootstrap needs unweighted integer per-image counts; got "
                f"{'weighted' if images.sample_weight is not None else arrays[0].dtype} counts."
            )
        n = int(arrays[0].shape[0])
        self._order = np.arange(n) if order is None else order
        self._result = result
        self._c = int(result.num_classes)
        self._ignored = tuple(images.ignored_classes)
        self._counts = np.concatenate(arrays, axis=1)[self._order].astype(np.int64)
        # tn = pixels − tp − fp − fn: one column of valid pixels per image instead of C of tn
        # (unless the counts do not hold the same pixels for every class)
        pixels = arrays[0] + arrays[1] + arrays[2] + arrays[3]
        self._pixels = bool(np.all(pixels == pixels[:, :1]))
        last = pixels[:, :1] if self._pixels else arrays[3]
        self._sums = WeightedSums(np.concatenate([*arrays[:3], last], axis=1)[self._order])
        names = result.image_names if len(result.image_names) == n else map(str, range(n))
        names = tuple(names)
        self.image_names: tuple[str, ...] = tuple(names[i] for i in self._order)
        labels = metric_labels(result.class_names)
        kept = [c for c in range(self._c) if c not in self._ignored]
        self._family = {
            "iou": tuple((result.class_names[c], f"iou:{labels[c]}") for c in kept),
            "dice": tuple((result.class_names[c], f"dice:{labels[c]}") for c in kept),
        }
        self._class = {f"{kind}:{labels[c]}": c for kind in ("iou", "dice") for c in kept}
        self._image_values: dict[str, tuple[NDArray, NDArray]] = {}

    # -- the protocol ------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        r = self._result
        return {
            "num_classes": self._c,
            "class_names": list(r.class_names),
            "ignore_index": list(r.ignore_index),
            "ignored_classes": list(self._ignored),
        }

    def headline_metrics(self) -> tuple[str, ...]:
        return HEADLINE

    def metric_names(self) -> tuple[str, ...]:
        # the conventions this evaluation can compute (the result computes each once)
        usable = [k for k, v in self._result.conventions().items() if v is not None]
        return HEADLINE + tuple(f"miou:{c}" for c in usable) + tuple(self._class)

    def per_class_metrics(self, metric: str) -> tuple[tuple[str, str], ...]:
        if metric in ("miou", "fw_iou") or metric.startswith("miou:"):
            return self._family["iou"]
        return self._family["dice"] if metric == "mdice" else ()

    def per_image_scores(self) -> tuple[str, NDArray]:
        return "miou", np.asarray(self._result.per_image_miou, dtype=np.float64)[self._order]

    def reorder(self, names: Sequence[str]) -> SegmentationSource:
        index = reorder_index("SegmentationSource.reorder", self.image_names, names)
        return SegmentationSource(self._result, order=self._order[index])

    def estimate(self, metrics: Sequence[str]) -> NDArray:
        r = self._result
        out = []
        for m in metrics:
            if m in HEADLINE:
                out.append(float(getattr(r, m)))
            elif m.startswith("miou:"):
                out.append(r.mean_iou(m[5:]))
            else:
                scores = r.iou if m.startswith("iou:") else r.dice
                out.append(float(scores[self._class[m]]))
        return np.asarray(out, dtype=np.float64)

    def replicates(self, metrics: Sequence[str], weights: NDArray) -> NDArray:
        w = np.asarray(weights, dtype=np.float64)
        sums = self._sums(w)
        c = self._c
        tp, fp, fn, last = (sums[:, k * c : (k + 1) * c] for k in range(4))
        rep = Counts(
            tp,
            fp,
            fn,
            last - tp - fp - fn if self._pixels else last,
            task="multiclass",
            per_sample=True,
            ignored_classes=self._ignored,
        )
        chunk = _Chunk(self, rep, w)
        out = np.empty((w.shape[0], len(metrics)), dtype=np.float64)
        for j, m in enumerate(metrics):
            out[:, j] = chunk.value(m)
        return out

    # -- per-image conventions ---------------------------------------------------------------
    def image_values(self, convention: str) -> tuple[NDArray, NDArray]:
        """``(v, d)``, each ``(N,)``: image ``i``'s value under a per-image convention and its
        weight in the mean over images (see the module docstring)."""
        if convention not in self._image_values:
            preset = _preset("confidence_interval", convention)
            c = self._c
            tp, fp, fn, tn = (self._counts[:, j * c : (j + 1) * c] for j in range(4))
            k = Counts(
                tp,
                fp,
                fn,
                tn,
                task="multiclass",
                per_sample=True,
                ignored_classes=() if preset.void == "keep" else self._ignored,
            )
            zd = preset.zero_division
            ones = np.ones(k.tp.shape[0])
            if preset.reduction == "samples":
                values = (pooled(jaccard, k, zd), ones)
            else:
                if preset.empty_target_nan:  # false positives where the target lacks the class
                    k = replace(k, fp=np.where(k.tp + k.fn == 0, 0, k.fp))
                scores = np.asarray(jaccard(k, average="none", zero_division=zd))
                v = np.asarray(nanmean(scores, axis=1))
                pairs = preset.reduction == "pairs"
                values = (
                    v,
                    np.sum(~np.isnan(scores), axis=1).astype(np.float64) if pairs else ones,
                )
            self._image_values[convention] = values
        return self._image_values[convention]


def pooled(score: Callable[..., Any], k: Counts, zero_division: Any) -> NDArray:
    """``score`` of each row's counts summed over its active classes (not ignored): the micro
    average of each row, ``(rows,)``."""
    active = [c for c in range(k.num_classes) if c not in k.ignored_classes]
    tp, fp, fn, tn = (
        np.sum(np.asarray(getattr(k, f))[:, active], axis=1, keepdims=True) for f in _FIELDS
    )
    one = Counts(tp, fp, fn, tn, task="multiclass", per_sample=True)
    return np.asarray(score(one, average="none", zero_division=zero_division))[:, 0]


class _Chunk:
    """The metrics of one chunk of replicates, sharing per-class scores between metrics."""

    def __init__(self, source: SegmentationSource, rep: Counts, weights: NDArray) -> None:
        self.source, self.rep, self.weights = source, rep, weights
        self._cache: dict[str, NDArray] = {}

    def _scores(self, kind: str) -> NDArray:
        if kind not in self._cache:
            score = {"iou": jaccard, "dice": dice, "acc": accuracy}[kind]
            self._cache[kind] = np.asarray(score(self.rep, average="none"))
        return self._cache[kind]

    def value(self, metric: str) -> NDArray:
        rep = self.rep
        if metric in ("miou", "mdice", "mean_accuracy"):
            kind = {"miou": "iou", "mdice": "dice", "mean_accuracy": "acc"}[metric]
            return np.asarray(nanmean(self._scores(kind), axis=1))
        if metric == "fw_iou":
            support = np.asarray(rep.tp + rep.fn)
            return np.asarray(nanmean(self._scores("iou"), weights=support, axis=1))
        if metric == "pixel_accuracy":
            return pooled(accuracy, rep, "nan")
        if metric.startswith("miou:"):
            return self._convention(metric[5:])
        kind = "iou" if metric.startswith("iou:") else "dice"
        return self._scores(kind)[:, self.source._class[metric]]

    def _convention(self, name: str) -> NDArray:
        preset = _preset("confidence_interval", name)
        k = replace(self.rep, ignored_classes=()) if preset.void == "keep" else self.rep
        zd = preset.zero_division
        if preset.reduction == "macro":
            v = np.asarray(nanmean(jaccard(k, average="none", zero_division=zd), axis=1))
        elif preset.reduction == "micro":
            v = pooled(jaccard, k, zd)
        else:
            per, d = self.source.image_values(name)
            w = self.weights
            v = np.asarray(nanmean(np.broadcast_to(per, w.shape), weights=w * d, axis=1))
        if preset.no_pixels is not None:  # a resampled dataset without any target pixel
            fill = math.nan if preset.no_pixels == "error" else float(preset.no_pixels)
            v = np.where(np.any(k.tp + k.fn > 0, axis=1), v, fill)
        return v
