"""Every "mIoU": the mean IoU that each segmentation library reports, from ioukit's counts.

The same label maps get a different "mIoU" in every library, because each one hard-codes three
choices:

* **aggregation level**: add the counts of the whole dataset, then score each class
  (*dataset*); or score each image, then average the scores (*per image*);
* **absent-class rule**: what a class (or an image-class pair) scores when its union
  ``tp + fp + fn`` is 0: left out of the mean, or counted as 1;
* **void pixels**: every library can remove pixels whose target is a void value (``255``,
  ``-1``). A void value *inside* ``[0, C)`` is a class: some libraries drop it from the mean,
  others keep it as a class that scores 0 wherever it is predicted on the remaining pixels.

:func:`mean_iou_from_counts` computes each library's number as a reduction of exact counts, so
one evaluation can be compared with any paper or training log:

====================  =======  ==============================================  ============
convention            level    mean over (absent-class rule)                   void class
====================  =======  ==============================================  ============
ioukit                dataset  classes with a union (absent ones left out)     dropped
sklearn               dataset  classes with a union (the labels in the data)   kept
torchmetrics          dataset  classes with a union                            dropped [1]_
torchmetrics-meaniou  image    (image, class) pairs with a union               kept
mmseg                 dataset  classes with a union                            kept
smp-micro             dataset  none: Σ tp / Σ (tp + fp + fn) over classes      dropped [2]_
smp-macro             dataset  all classes; an absent class scores 1           dropped [2]_
smp-micro-imagewise   image    images, each Σ tp / Σ (tp + fp + fn); 1 for an  dropped [2]_
                               image without pixels
smp-macro-imagewise   image    all (image, class) pairs; absent ones score 1   dropped [2]_
monai                 image    images, each the mean over the classes in its   dropped
                               target [3]_; 0.0 when there is none
keras                 dataset  classes with a union; 0.0 when there is none    kept
====================  =======  ==============================================  ============

"Void class" is a class removed by ``ignore_index`` (``counts.ignored_classes``): *dropped*
leaves it out of every mean; *kept* scores it ``0 / fp`` = 0 when it is predicted on
non-void pixels (and leaves it out when it is not). The per-image conventions need per-image
counts, ``multiclass_counts(..., per_sample=True)`` (see :func:`needs_per_image`).

The library calls reproduced, where ``v`` is the void value and ``C`` the number of classes:

* ``sklearn``: ``jaccard_score(t[keep], p[keep], average="macro")`` on the flattened maps with
  the void pixels removed (``keep = t != v``; scikit-learn has no ``ignore_index``), labels
  inferred. scikit-learn rejects empty input, and so does this convention.
* ``torchmetrics``: ``MulticlassJaccardIndex(num_classes=C, ignore_index=v)`` (macro).
* ``torchmetrics-meaniou``: ``torchmetrics.segmentation.MeanIoU(num_classes=C)``, the
  accumulating class (its functional form returns one value per image). It has no
  ``ignore_index`` (a 255 raises), so void pixels are fed as all-zero one-hot rows.
* ``mmseg``: MMSegmentation 1.x ``IoUMetric(ignore_index=v)``, which reports
  ``round(100 * mIoU, 2)``; the convention returns the unrounded fraction.
* ``smp-*``: ``segmentation_models_pytorch.metrics``: ``get_stats(p, t, mode="multiclass",
  num_classes=C, ignore_index=v)`` then ``iou_score(..., reduction=R)`` with its default
  ``zero_division=1.0``.
* ``monai``: ``monai.metrics.MeanIoU()`` (``include_background=True``, ``reduction="mean"``,
  ``ignore_empty=True``) on one-hot tensors whose void voxels are zeroed in both; MONAI ≥ 1.6's
  ``MeanIoU(ignore_index=v)`` does the same for ``v`` outside ``[0, C)``.
* ``keras``: ``keras.metrics.MeanIoU(num_classes=C, ignore_class=v)``.

.. [1] ``ignore_index`` is one integer: counts with two or more void classes raise.
.. [2] smp rejects an ``ignore_index`` inside ``[0, C)`` and tells the user to renumber the
   labels so that the void value lies outside; this convention is what smp reports then.
.. [3] MONAI's ``ignore_empty``: an image whose target lacks a class does not score that class,
   so false positives of a class on images without it cost nothing.

What cannot be reproduced from counts, and is refused or documented rather than approximated:

* MONAI's ``ignore_index`` *inside* ``[0, C)`` only zeroes that channel: the void voxels stay,
  and their predictions count as false positives of the predicted class. That depends on the
  removed pixels; the ``monai`` convention is the zeroed-voxel evaluation above.
* Sample weights: none of the libraries weights images the way ioukit does; weighted counts are
  accepted by ``ioukit`` only.
* smp with a single class left once the void classes are dropped (``C = 2`` and one void
  class): its ``torch.histc(bins=1, min=0, max=0)`` falls back to the data's range and counts
  the void pixels too. The ``smp-*`` conventions give the value of smp's definition there.
* Floating point: the conventions divide exact int64 counts in float64. torchmetrics and Keras
  cast the confusion matrix to float32 before dividing (Keras also adds ``1e-7`` to its
  denominators), MONAI reduces in float32, and MMSegmentation and smp count the pixels of each
  image with float32 ``torch.histc``, exact up to 2**24 pixels of one class in one image
  only. Their numbers agree with these to about 1e-6; scikit-learn's, and smp's under torch's
  float64 default dtype, to 1e-12.

Checked against scikit-learn 1.9.1, torchmetrics 1.9.0, MMSegmentation 1.2.2 (its
``IoUMetric`` code), segmentation_models_pytorch 0.6.0, MONAI 1.6.1 and Keras 3.15.1.

Examples
--------
The anchors' example: two 4×4 images and 3 classes. Image 0 has a 2×2 block of class 1 in
class 0, predicted exactly; image 1 is all class 1, predicted 1 on its top half and 0 on its
bottom half; class 2 appears nowhere.

>>> import numpy as np
>>> from ioukit import multiclass_counts
>>> target = np.zeros((2, 4, 4), dtype=np.int64)
>>> pred = np.zeros_like(target)
>>> target[0, 1:3, 1:3] = pred[0, 1:3, 1:3] = 1
>>> target[1] = pred[1, :2] = 1
>>> per_image = multiclass_counts(pred, target, num_classes=3, per_sample=True)
>>> for name in CONVENTIONS:
...     value = mean_iou_from_counts(per_image.total(), per_image, convention=name)
...     print(f"{name:21} {value:.3f}")
ioukit                0.600
sklearn               0.600
torchmetrics          0.600
torchmetrics-meaniou  0.625
mmseg                 0.600
smp-micro             0.600
smp-macro             0.733
smp-micro-imagewise   0.667
smp-macro-imagewise   0.750
monai                 0.750
keras                 0.600
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from ioukit._errors import InputError, ParameterError
from ioukit._typing import Average, Reduction, ZeroDivision
from ioukit._xp import namespace
from ioukit.core.counts import Counts
from ioukit.core.reduce import jaccard, nanmean

__all__ = ["CONVENTIONS", "mean_iou_from_counts", "needs_per_image"]


@dataclass(frozen=True)
class _Preset:
    """One library's mean IoU as a reduction of counts.

    reduction: "macro" / "micro" of the dataset counts; per image: "samples" (micro in each
    image, then the mean over images), "pairs" (mean over all image-class scores), "images"
    (mean over classes in each image, then over images).
    void: "drop" leaves ignored classes out of means, "keep" scores them as classes, "one"
    drops them but accepts one at most.
    empty_target_nan: an image-class pair scores NaN when the image's target lacks the class.
    no_pixels: the value when no pixel is left (None: what the reduction gives), or "error".
    """

    description: str
    reduction: Reduction
    zero_division: ZeroDivision = "nan"
    void: Literal["drop", "keep", "one"] = "drop"
    empty_target_nan: bool = False
    no_pixels: float | Literal["error"] | None = None

    @property
    def per_image(self) -> bool:
        return self.reduction in ("samples", "pairs", "images")


_PRESETS: dict[str, _Preset] = {
    "ioukit": _Preset(
        "dataset-level IoU per class, mean over classes present in target or prediction; "
        "void classes dropped",
        "macro",
    ),
    "sklearn": _Preset(
        "jaccard_score(average='macro') of the flattened maps without void pixels, labels "
        "inferred: dataset-level, classes present; a void class predicted elsewhere scores 0",
        "macro",
        void="keep",
        no_pixels="error",
    ),
    "torchmetrics": _Preset(
        "MulticlassJaccardIndex(ignore_index=v), macro: dataset-level, classes present; "
        "the void class (one at most) dropped",
        "macro",
        void="one",
    ),
    "torchmetrics-meaniou": _Preset(
        "segmentation.MeanIoU with void pixels zeroed in the one-hot inputs: mean over "
        "(image, class) pairs present; a void class predicted elsewhere scores 0",
        "pairs",
        void="keep",
    ),
    "mmseg": _Preset(
        "IoUMetric(ignore_index=v) (reported x100, rounded to 2 decimals): dataset-level, "
        "classes present; a void class predicted elsewhere scores 0",
        "macro",
        void="keep",
    ),
    "smp-micro": _Preset(
        "iou_score(reduction='micro'): sum tp over classes and images / sum of unions; "
        "void classes dropped",
        "micro",
    ),
    "smp-macro": _Preset(
        "iou_score(reduction='macro'): dataset-level, mean over all classes, an absent class "
        "scores 1; void classes dropped",
        "macro",
        zero_division=1.0,
    ),
    "smp-micro-imagewise": _Preset(
        "iou_score(reduction='micro-imagewise'): micro IoU of each image (1 if it has no "
        "pixels), mean over images; void classes dropped",
        "samples",
        zero_division=1.0,
    ),
    "smp-macro-imagewise": _Preset(
        "iou_score(reduction='macro-imagewise'): mean over all (image, class) pairs, an absent "
        "pair scores 1; void classes dropped",
        "pairs",
        zero_division=1.0,
    ),
    "monai": _Preset(
        "MeanIoU() with void voxels zeroed: per image, mean over the classes in its target "
        "(false positives elsewhere ignored), then mean over images; 0.0 if none",
        "images",
        empty_target_nan=True,
        no_pixels=0.0,
    ),
    "keras": _Preset(
        "MeanIoU(ignore_class=v): dataset-level, classes present (0.0 if none); a void class "
        "predicted elsewhere scores 0",
        "macro",
        void="keep",
        no_pixels=0.0,
    ),
}

CONVENTIONS: dict[str, str] = {name: preset.description for name, preset in _PRESETS.items()}
"""Name of each convention → one line saying what it computes (see the module docstring)."""


def _preset(func: str, convention: object) -> _Preset:
    preset = _PRESETS.get(convention) if isinstance(convention, str) else None
    if preset is None:
        raise ParameterError(
            f"{func}: unknown `convention` {convention!r}; expected one of "
            f"{', '.join(repr(name) for name in _PRESETS)}."
        )
    return preset


def needs_per_image(convention: str) -> bool:
    """Whether ``convention`` aggregates per image, so that :func:`mean_iou_from_counts` needs
    per-image counts (``multiclass_counts(..., per_sample=True)``).

    >>> needs_per_image("mmseg"), needs_per_image("monai")
    (False, True)
    """
    return _preset("needs_per_image", convention).per_image


def _check(
    func: str, convention: str, preset: _Preset, counts: object, per_image: object
) -> tuple[Counts, Counts | None]:
    """(dataset counts, per-image counts or None), validated."""
    for name, k in (("counts", counts), ("per_image", per_image)):
        if not isinstance(k, Counts) and (k is not None or name == "counts"):
            raise ParameterError(
                f"{func}: `{name}` must be a Counts object (from multiclass_counts); got "
                f"{type(k).__name__}."
            )
        if isinstance(k, Counts) and k.task != "multiclass":
            raise InputError(
                f"{func}: `{name}` must be multiclass counts (from multiclass_counts); got "
                f"task {k.task!r}."
            )
    if not isinstance(counts, Counts):  # unreachable: checked above; narrows the type
        raise ParameterError(f"{func}: `counts` must be a Counts object.")
    if counts.per_sample:
        if per_image is not None:
            raise InputError(
                f"{func}: `counts` must be dataset-level when `per_image` is given; got "
                f"per-sample counts of shape {tuple(counts.tp.shape)}."
            )
        counts, per_image = counts.total(), counts
    images = per_image if isinstance(per_image, Counts) else None
    xp, _ = namespace(counts.tp, None if images is None else images.tp, func=func)
    weighted = bool(xp.isdtype(counts.tp.dtype, "real floating")) or (
        images is not None and images.sample_weight is not None
    )
    if weighted and convention != "ioukit":
        raise ParameterError(
            f"{func}: convention {convention!r} reproduces a library that does not weight "
            "samples; pass counts computed without `sample_weight` (only convention='ioukit' "
            "takes weighted counts)."
        )
    if images is not None:
        if not images.per_sample:
            raise InputError(
                f"{func}: `per_image` must be per-sample counts, shape (N, C), from "
                f"multiclass_counts(..., per_sample=True); got shape {tuple(images.tp.shape)}."
            )
        total = images.total()
        same = (
            images.num_classes == counts.num_classes
            and images.ignored_classes == counts.ignored_classes
            and (
                weighted
                or all(
                    bool(xp.all(getattr(total, a) == getattr(counts, a)))
                    for a in ("tp", "fp", "fn", "tn")
                )
            )
        )
        if not same:
            raise InputError(
                f"{func}: `per_image` must be the per-image counts of the same data as `counts` "
                "(their sum over images must equal `counts`, with the same classes and ignored "
                f"classes); got {images!r} for {counts!r}."
            )
    elif preset.per_image:
        raise ParameterError(
            f"{func}: convention {convention!r} averages per-image scores, so it needs "
            "per-image counts: keep them with multiclass_counts(..., per_sample=True) and pass "
            "them as `per_image` (or as `counts`)."
        )
    return counts, images


def mean_iou_from_counts(
    counts: Counts, per_image: Counts | None = None, *, convention: str = "ioukit"
) -> float:
    """The mean IoU that a library reports, computed from exact counts.

    Parameters
    ----------
    counts : Counts
        Dataset-level multiclass counts, shape ``(C,)``, from :func:`ioukit.multiclass_counts`;
        void pixels (``ignore_index``) already removed. Per-sample counts ``(N, C)`` are
        accepted too: they serve as ``per_image`` and their sum as ``counts``.
    per_image : Counts, optional
        Per-image counts ``(N, C)`` of the same data (``per_sample=True``); required by the
        conventions that average per image (:func:`needs_per_image`).
    convention : str, default "ioukit"
        One of :data:`CONVENTIONS`; the table in :mod:`ioukit.core.conventions` says what each
        computes. ``"ioukit"`` equals ``jaccard(counts, average="macro")``: dataset-level IoU
        per class, classes absent from target and prediction (0/0) and ignored classes left
        out of the mean.

    Returns
    -------
    float
        The mean IoU as a fraction (MMSegmentation prints it ×100). NaN where the convention
        has nothing to average and its library gives NaN.

    Raises
    ------
    ParameterError
        Unknown convention; a per-image convention without per-image counts; a combination the
        library cannot evaluate (two void classes for ``"torchmetrics"``, no pixel at all for
        ``"sklearn"``, weighted counts for any convention but ``"ioukit"``).
    InputError
        Counts that are not multiclass, or ``per_image`` that does not sum to ``counts``.

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit import multiclass_counts
    >>> # one image, classes 0..2; class 2 only predicted, 255 is void
    >>> target = np.array([[0, 0, 1, 1, 255]])
    >>> pred = np.array([[0, 1, 1, 2, 0]])
    >>> k = multiclass_counts(pred, target, num_classes=3, ignore_index=255, per_sample=True)
    >>> round(mean_iou_from_counts(k.total()), 4)  # IoU 1/2, 1/3, 0/1: 5/18
    0.2778
    >>> round(mean_iou_from_counts(k, convention="monai"), 4)  # class 2 not in target: 5/12
    0.4167
    """
    func = "mean_iou_from_counts"
    preset = _preset(func, convention)
    total, images = _check(func, convention, preset, counts, per_image)
    xp, _ = namespace(total.tp, func=func)
    if preset.void == "one" and len(total.ignored_classes) > 1:
        raise ParameterError(
            f"{func}: convention {convention!r} takes one ignore_index, but the counts ignore "
            f"the classes {total.ignored_classes}; its library cannot drop several classes."
        )
    if preset.void == "keep":
        total = replace(total, ignored_classes=())
        images = None if images is None else replace(images, ignored_classes=())
    if preset.no_pixels is not None and not bool(xp.any(total.tp + total.fn > 0)):
        if preset.no_pixels == "error":
            raise ParameterError(
                f"{func}: convention {convention!r}: the counts hold no pixel (every target "
                "pixel is void), and scikit-learn's jaccard_score rejects empty input."
            )
        return preset.no_pixels
    zd = preset.zero_division
    if preset.reduction in ("macro", "micro"):
        average: Average = "micro" if preset.reduction == "micro" else "macro"
        return float(jaccard(total, average=average, zero_division=zd))
    if images is None:  # unreachable: _check requires per-image counts for these conventions
        raise ParameterError(f"{func}: convention {convention!r} needs `per_image` counts.")
    if preset.reduction == "samples":
        return float(jaccard(images, average="samples", zero_division=zd))
    if preset.empty_target_nan:  # false positives where the target lacks the class don't count
        fp = xp.where(images.tp + images.fn == 0, xp.zeros_like(images.fp), images.fp)
        images = replace(images, fp=fp)
    scores = jaccard(images, average="none", zero_division=zd)
    if preset.reduction == "pairs":
        return float(nanmean(scores))
    return float(nanmean(nanmean(scores, axis=1)))
