"""Jaccard of label arrays in one call: counting (:mod:`.counts`) followed by reduction
(:mod:`.reduce`). Nothing is computed here that those two modules do not already do."""

from __future__ import annotations

from ioukit._typing import Array, Average, ZeroDivision
from ioukit._xp import namespace
from ioukit.core.counts import binary_counts, multiclass_counts, multilabel_counts
from ioukit.core.reduce import jaccard

__all__ = ["binary_jaccard", "multiclass_jaccard", "multilabel_jaccard"]


def binary_jaccard(
    pred: Array,
    target: Array,
    *,
    threshold: float | None = None,
    ignore_index: int | tuple[int, ...] | None = None,
    per_sample: bool = False,
    sample_weight: Array | None = None,
    zero_division: ZeroDivision = "nan",
) -> Array:
    """IoU of a binary prediction and target: ``|P ∩ T| / |P ∪ T| = tp / (tp + fp + fn)``.

    Parameters
    ----------
    pred, target : Array
        Same shape; 0/1 values (``pred`` may be scores with ``threshold``). See
        :func:`ioukit.binary_counts`.
    threshold : float, optional
        Binarise floating ``pred`` as ``pred >= threshold``.
    ignore_index : int or sequence of int, optional
        Target values whose elements are left out (e.g. 255).
    per_sample : bool, default False
        Return one IoU per sample (first axis), shape ``(N,)``, instead of one for all data.
    sample_weight : Array of shape (N,), optional
        Weight per sample (first axis).
    zero_division : "nan", "warn" or float, default "nan"
        IoU when both prediction and target are empty.

    Returns
    -------
    Array
        0-d, or ``(N,)`` with ``per_sample=True``; float64.

    Examples
    --------
    >>> import numpy as np
    >>> float(binary_jaccard(np.array([1, 0, 0, 0, 1, 1]), np.array([1, 1, 0, 0, 1, 0])))
    0.5
    >>> float(binary_jaccard(np.array([0.9, 0.2, 0.7]), np.array([1, 0, 0]), threshold=0.5))
    0.5
    """
    counts = binary_counts(
        pred,
        target,
        threshold=threshold,
        ignore_index=ignore_index,
        per_sample=per_sample,
        sample_weight=sample_weight,
    )
    if per_sample:
        xp, _ = namespace(counts.tp, func="binary_jaccard")
        return xp.reshape(jaccard(counts, average="none", zero_division=zero_division), (-1,))
    return jaccard(counts, average="micro", zero_division=zero_division)


def multiclass_jaccard(
    pred: Array,
    target: Array,
    *,
    num_classes: int,
    average: Average = "macro",
    ignore_index: int | tuple[int, ...] | None = None,
    class_axis: int | None = None,
    sample_weight: Array | None = None,
    zero_division: ZeroDivision = "nan",
) -> Array:
    """IoU of multiclass label arrays (e.g. segmentation label maps), per class or averaged.

    Per class ``c``: ``J_c = tp_c / (tp_c + fp_c + fn_c)`` (one-vs-rest), counted over all
    elements of all samples (dataset level). With the default ``zero_division="nan"``, a class
    absent from both target and prediction is NaN and left out of the mean.

    Parameters
    ----------
    pred, target, num_classes, ignore_index, class_axis, sample_weight
        See :func:`ioukit.multiclass_counts`.
    average : {"micro", "macro", "weighted", "samples", "none"}, default "macro"
        See :mod:`ioukit.core.reduce`. "samples" scores each sample (first axis) on its own.
    zero_division : "nan", "warn" or float, default "nan"

    Returns
    -------
    Array
        0-d, or ``(C,)`` for ``average="none"``.

    Examples
    --------
    >>> import numpy as np
    >>> pred, target = np.array([0, 2, 2, 1, 1, 0]), np.array([0, 1, 2, 2, 1, 0])
    >>> round(float(multiclass_jaccard(pred, target, num_classes=3)), 4)  # (1 + 1/3 + 1/3) / 3
    0.5556
    >>> float(multiclass_jaccard(pred, target, num_classes=3, average="micro"))  # 4 / 8
    0.5
    """
    counts = multiclass_counts(
        pred,
        target,
        num_classes=num_classes,
        ignore_index=ignore_index,
        class_axis=class_axis,
        per_sample=average == "samples",
        sample_weight=sample_weight,
    )
    return jaccard(counts, average=average, zero_division=zero_division)


def multilabel_jaccard(
    pred: Array,
    target: Array,
    *,
    average: Average = "macro",
    threshold: float | None = None,
    ignore_index: int | tuple[int, ...] | None = None,
    sample_weight: Array | None = None,
    zero_division: ZeroDivision = "nan",
) -> Array:
    """IoU of multilabel indicator arrays ``(N, L)`` or ``(N, L, ...)``, per label or averaged.

    Parameters
    ----------
    pred, target, threshold, ignore_index, sample_weight
        See :func:`ioukit.multilabel_counts`.
    average : {"micro", "macro", "weighted", "samples", "none"}, default "macro"
        "samples" is the IoU of each sample's label set, averaged over samples.
    zero_division : "nan", "warn" or float, default "nan"

    Returns
    -------
    Array
        0-d, or ``(L,)`` for ``average="none"``.

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.array([[1, 1, 1], [1, 0, 0]])
    >>> target = np.array([[0, 1, 1], [1, 1, 0]])
    >>> multilabel_jaccard(pred, target, average="none").tolist()  # 1/2, 1/2, 1/1
    [0.5, 0.5, 1.0]
    >>> round(float(multilabel_jaccard(pred, target, average="samples")), 4)  # (2/3 + 1/2) / 2
    0.5833
    """
    counts = multilabel_counts(
        pred,
        target,
        threshold=threshold,
        ignore_index=ignore_index,
        per_sample=average == "samples",
        sample_weight=sample_weight,
    )
    return jaccard(counts, average=average, zero_division=zero_division)
