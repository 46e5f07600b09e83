"""Scores from counts: the one module that divides.

Every score is ``numerator / denominator`` of per-class counts, then averaged:

========== ======================================================================================
average    meaning
========== ======================================================================================
"none"     one score per class: ``(C,)``; ``(N, C)`` for per-sample counts
"micro"    sum numerators and denominators over classes (and samples) first, then divide once
"macro"    unweighted mean of the per-class scores (dataset-level counts)
"weighted" mean of the per-class scores weighted by support (``tp + fn``)
"samples"  score of each sample over all its classes (micro within the sample), then the
           mean over samples, weighted by ``sample_weight``; needs per-sample counts
========== ======================================================================================

Undefined scores (0/0, e.g. a class absent from both target and prediction) take the
``zero_division`` value: ``"nan"`` (default) gives NaN, and **averages skip NaN entries**, so
an absent class does not count; ``"warn"`` gives 0.0 and an :class:`UndefinedMetricWarning`
(scikit-learn's behaviour); a number gives that number, which then takes part in averages.
An average with no defined entry is NaN. Classes removed by ``ignore_index`` are NaN and never
averaged. The denominator is made safe before dividing, so no inf or NaN gradient can arise.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from numbers import Real
from typing import Any, get_args

from ioukit._errors import ParameterError, UndefinedMetricWarning
from ioukit._typing import Array, Average, ZeroDivision
from ioukit._xp import float_dtype, namespace, safe_divide
from ioukit.core.counts import Counts

__all__ = [
    "accuracy",
    "dice",
    "f1_to_jaccard",
    "fbeta",
    "jaccard",
    "jaccard_to_f1",
    "nanmean",
    "precision",
    "recall",
    "specificity",
]

AVERAGES: tuple[str, ...] = get_args(Average)

# A score is num(tp, fp, fn, tn) / den(tp, fp, fn, tn), both linear in the counts, so that
# "micro" (sum, then divide) is well defined.
Part = Callable[[Array, Array, Array, Array], Array]


def _check_average(func: str, average: object) -> str:
    if average is None:
        average = "none"
    if average not in AVERAGES:
        raise ParameterError(
            f"{func}: `average` must be one of {', '.join(repr(a) for a in AVERAGES)}; "
            f"got {average!r}."
        )
    return str(average)


def _check_zero_division(func: str, zero_division: object) -> tuple[float, bool]:
    """(fill value, whether to warn)."""
    if isinstance(zero_division, str):
        if zero_division == "nan":
            return math.nan, False
        if zero_division == "warn":
            return 0.0, True
    elif isinstance(zero_division, Real) and not isinstance(zero_division, bool):
        value = float(zero_division)
        if math.isnan(value) or 0.0 <= value <= 1.0:
            return value, False
    raise ParameterError(
        f"{func}: `zero_division` must be 'nan', 'warn' or a number in [0, 1]; got "
        f"{zero_division!r}."
    )


def _score(
    func: str,
    counts: Counts,
    num: Part,
    den: Part,
    average: object,
    zero_division: object,
) -> Array:
    if not isinstance(counts, Counts):
        raise ParameterError(
            f"{func}: expected a Counts object (from binary_counts, multiclass_counts or "
            f"multilabel_counts); got {type(counts).__name__}."
        )
    avg = _check_average(func, average)
    fill, warn = _check_zero_division(func, zero_division)
    xp, _ = namespace(counts.tp, func=func)
    fdt = float_dtype(xp, counts.tp)
    c = counts.num_classes
    dev = counts.tp.device if hasattr(counts.tp, "device") else None
    active = xp.ones((c,), dtype=xp.bool, device=dev)
    if counts.ignored_classes:
        idx = xp.asarray(list(counts.ignored_classes), dtype=xp.int64, device=dev)
        active = xp.where(
            xp.any(xp.reshape(xp.arange(c, dtype=xp.int64, device=dev), (-1, 1)) == idx, axis=1),
            xp.zeros_like(active),
            active,
        )
    nan = xp.asarray(math.nan, dtype=fdt, device=dev)

    def parts(k: Counts) -> tuple[Array, Array]:
        args = [xp.astype(a, fdt) for a in (k.tp, k.fp, k.fn, k.tn)]
        return num(*args), den(*args)

    def divide(n: Array, d: Array, where: str, only: Array | None = None) -> Array:
        # ``only``: the entries that are reported (ignored classes are NaN whatever the fill)
        zero = d == 0 if only is None else (d == 0) & only
        if warn and bool(xp.any(zero)):
            warnings.warn(
                f"{func}: the score is 0/0 for some {where}; it is set to 0.0. Pass "
                "zero_division='nan' to leave such entries out of averages, or a number to "
                "choose the value.",
                UndefinedMetricWarning,
                stacklevel=4,
            )
        return safe_divide(xp, n, d, fill)

    if avg == "samples":
        if not counts.per_sample:
            raise ParameterError(
                f"{func}: average='samples' needs per-sample counts; compute them with "
                "per_sample=True."
            )
        n, d = parts(counts)
        mask = xp.astype(active, fdt)
        per = divide(xp.sum(n * mask, axis=-1), xp.sum(d * mask, axis=-1), "samples")
        weights = counts.sample_weight
        if weights is None:
            weights = xp.ones(per.shape, dtype=fdt, device=dev)
        return _mean(xp, per, xp.astype(weights, fdt), nan)

    if avg == "none":
        n, d = parts(counts)
        per = divide(n, d, "classes", active)
        return xp.where(active, per, nan)

    n, d = parts(counts.total())
    if avg == "micro":
        mask = xp.astype(active, fdt)
        return divide(xp.sum(n * mask), xp.sum(d * mask), "the micro average")
    per = xp.where(active, divide(n, d, "classes", active), nan)
    if avg == "macro":
        return _mean(xp, per, xp.astype(active, fdt), nan)
    support = xp.astype(counts.total().tp + counts.total().fn, fdt)
    return _mean(xp, per, support, nan)


def _mean(xp: Any, values: Array, weights: Array, nan: Array, axis: int | None = None) -> Array:
    """Weighted mean of ``values`` skipping NaN entries (over all entries, or along ``axis``);
    NaN where no entry has positive weight."""
    defined = ~xp.isnan(values)
    w = xp.where(defined, weights, xp.zeros_like(weights))
    v = xp.where(defined, values, xp.zeros_like(values))
    total = xp.sum(w, axis=axis)
    safe = xp.where(total > 0, total, xp.ones_like(total))
    return xp.where(total > 0, xp.sum(v * w, axis=axis) / safe, nan)


def nanmean(values: Array, *, weights: Array | None = None, axis: int | None = None) -> Array:
    """Mean that skips NaN entries: ``Σ w·v / Σ w`` over the entries that are not NaN.

    This is how every average of this module treats undefined scores (see the module
    docstring); use it to average arrays of scores, e.g. the ``(N, C)`` per-image, per-class
    IoU of ``jaccard(per_sample_counts, average="none")``.

    Parameters
    ----------
    values : Array of any shape
        Scores; NaN entries are left out. Integer arrays are averaged in float64.
    weights : Array of the same shape, optional
        Non-negative weight of each entry; all 1 by default.
    axis : int, optional
        Average along this axis only; by default over all entries.

    Returns
    -------
    Array
        0-d, or ``values`` without ``axis``. NaN where no entry that is not NaN has a positive
        weight (e.g. all entries NaN). float64 (float32 on devices without float64), in the
        namespace and on the device of ``values``.

    Examples
    --------
    >>> import numpy as np
    >>> float(nanmean(np.array([0.5, np.nan, 1.0])))  # (0.5 + 1.0) / 2
    0.75
    >>> float(nanmean(np.array([0.5, 1.0]), weights=np.array([3.0, 1.0])))  # (1.5 + 1.0) / 4
    0.625
    >>> nanmean(np.array([[1.0, np.nan, 0.5], [np.nan, np.nan, np.nan]]), axis=1).tolist()
    [0.75, nan]
    """
    func = "nanmean"
    xp, (values, weights) = namespace(values, weights, func=func)
    fdt = float_dtype(xp, values)
    if weights is not None and tuple(weights.shape) != tuple(values.shape):
        raise ParameterError(
            f"{func}: `weights` must have the shape of `values`, {tuple(values.shape)}; got "
            f"{tuple(weights.shape)}."
        )
    if axis is not None and not -values.ndim <= axis < values.ndim:
        raise ParameterError(
            f"{func}: `axis` must be None or an axis of `values` (ndim {values.ndim}); got "
            f"{axis!r}."
        )
    dev = values.device if hasattr(values, "device") else None
    v = xp.astype(values, fdt)
    w = xp.ones_like(v) if weights is None else xp.astype(weights, fdt)
    return _mean(xp, v, w, xp.asarray(math.nan, dtype=fdt, device=dev), axis)


def _tp(tp: Array, fp: Array, fn: Array, tn: Array) -> Array:
    return tp


def jaccard(
    counts: Counts, *, average: Average = "macro", zero_division: ZeroDivision = "nan"
) -> Array:
    """Jaccard index (IoU) from counts: ``J = tp / (tp + fp + fn)``.

    Parameters
    ----------
    counts : Counts
    average : {"micro", "macro", "weighted", "samples", "none"}, default "macro"
        See the table in :mod:`ioukit.core.reduce`.
    zero_division : "nan", "warn" or float, default "nan"
        Value of 0/0 (a class absent from target and prediction). NaN entries are skipped by
        averages; an all-NaN average is NaN.

    Returns
    -------
    Array
        0-d for averages; ``(C,)`` or ``(N, C)`` for ``average="none"``. float64 (float32 on
        devices without float64), in the namespace and on the device of the counts.

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit import multiclass_counts
    >>> c = multiclass_counts(np.array([0, 2, 2, 1, 1, 0]), np.array([0, 1, 2, 2, 1, 0]),
    ...                       num_classes=3)
    >>> jaccard(c, average="none").round(4).tolist()  # 2/2, 1/3, 1/3
    [1.0, 0.3333, 0.3333]
    >>> float(jaccard(c, average="micro"))  # 4 / (4 + 2 + 2)
    0.5
    """
    return _score(
        "jaccard", counts, _tp, lambda tp, fp, fn, tn: tp + fp + fn, average, zero_division
    )


def dice(
    counts: Counts, *, average: Average = "macro", zero_division: ZeroDivision = "nan"
) -> Array:
    """Dice coefficient (= F1) from counts: ``D = 2 tp / (2 tp + fp + fn)``.

    Arguments and return value as in :func:`jaccard`. Per class, ``D = 2J / (1 + J)``.
    """
    return _fbeta("dice", counts, 1.0, average, zero_division)


def fbeta(
    counts: Counts,
    *,
    beta: float,
    average: Average = "macro",
    zero_division: ZeroDivision = "nan",
) -> Array:
    """F-beta score from counts: ``(1 + b²) tp / ((1 + b²) tp + b² fn + fp)``.

    ``beta > 1`` favours recall, ``beta < 1`` precision. Arguments as in :func:`jaccard`.
    """
    if isinstance(beta, bool) or not isinstance(beta, Real) or not beta > 0 or math.isinf(beta):
        raise ParameterError(f"fbeta: `beta` must be a positive finite number; got {beta!r}.")
    return _fbeta("fbeta", counts, float(beta), average, zero_division)


def _fbeta(func: str, counts: Counts, beta: float, average: object, zero_division: object) -> Array:
    b2 = beta**2
    return _score(
        func,
        counts,
        lambda tp, fp, fn, tn: (1 + b2) * tp,
        lambda tp, fp, fn, tn: (1 + b2) * tp + b2 * fn + fp,
        average,
        zero_division,
    )


def precision(
    counts: Counts, *, average: Average = "macro", zero_division: ZeroDivision = "nan"
) -> Array:
    """Precision from counts: ``tp / (tp + fp)``. Arguments as in :func:`jaccard`."""
    return _score("precision", counts, _tp, lambda tp, fp, fn, tn: tp + fp, average, zero_division)


def recall(
    counts: Counts, *, average: Average = "macro", zero_division: ZeroDivision = "nan"
) -> Array:
    """Recall (sensitivity) from counts: ``tp / (tp + fn)``. Arguments as in :func:`jaccard`."""
    return _score("recall", counts, _tp, lambda tp, fp, fn, tn: tp + fn, average, zero_division)


def specificity(
    counts: Counts, *, average: Average = "macro", zero_division: ZeroDivision = "nan"
) -> Array:
    """Specificity from counts: ``tn / (tn + fp)``. Arguments as in :func:`jaccard`."""
    _no_true_negatives("specificity", counts)
    return _score(
        "specificity",
        counts,
        lambda tp, fp, fn, tn: tn,
        lambda tp, fp, fn, tn: tn + fp,
        average,
        zero_division,
    )


def accuracy(
    counts: Counts, *, average: Average = "micro", zero_division: ZeroDivision = "nan"
) -> Array:
    """Accuracy from counts.

    For binary and multilabel counts, per class ``(tp + tn) / (tp + fp + fn + tn)``; "micro"
    is the fraction of correct elements (1 − Hamming loss for multilabel).

    For multiclass counts, per class it is the class accuracy ``tp / (tp + fn)`` (the fraction
    of the class's elements labelled correctly, MMSegmentation's "Acc"), so "micro" is the
    pixel accuracy ``Σ tp / Σ (tp + fn)`` ("aAcc") and "macro" the mean class accuracy ("mAcc").

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit import binary_counts
    >>> c = binary_counts(np.array([1, 0, 0, 0, 1, 1]), np.array([1, 1, 0, 0, 1, 0]))
    >>> float(accuracy(c)).__round__(4)  # (2 + 2) / 6
    0.6667
    """
    _no_true_negatives("accuracy", counts)
    if isinstance(counts, Counts) and counts.task == "multiclass":
        return _score(
            "accuracy", counts, _tp, lambda tp, fp, fn, tn: tp + fn, average, zero_division
        )
    return _score(
        "accuracy",
        counts,
        lambda tp, fp, fn, tn: tp + tn,
        lambda tp, fp, fn, tn: tp + fp + fn + tn,
        average,
        zero_division,
    )


def _no_true_negatives(func: str, counts: object) -> None:
    if isinstance(counts, Counts) and counts.task == "detection":
        raise ParameterError(
            f"{func}: detection counts have no true negatives (there is no countable set of "
            "correctly rejected boxes), so this score is undefined; use precision, recall, "
            "fbeta or jaccard."
        )


def f1_to_jaccard(f1: Any) -> Any:
    """Convert F1 (Dice) to Jaccard: ``J = F1 / (2 − F1)``. Works on floats and arrays.

    Exact for per-class scores; averages do not convert (the mean of J is not J of the mean F1).

    >>> f1_to_jaccard(0.5)  # 0.5 / 1.5
    0.3333333333333333
    """
    return f1 / (2 - f1)


def jaccard_to_f1(j: Any) -> Any:
    """Convert Jaccard to F1 (Dice): ``F1 = 2J / (1 + J)``. Works on floats and arrays.

    >>> jaccard_to_f1(0.5)  # 1 / 1.5
    0.6666666666666666
    """
    return 2 * j / (1 + j)
