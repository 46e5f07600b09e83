"""Twins of scikit-learn's ``precision_recall_curve`` and ``roc_curve``, from one sort.

The counts at every distinct score come from ioukit's exact sweep
(:func:`ioukit.kernels.sweep.exact`: a value sort of the positives' and of the negatives'
scores, merged); with sample weights, from a stable descending sort
(:func:`ioukit.core.sweep.sort_sweep`), so that the weights are added in scikit-learn's order.
Inputs are checked in scikit-learn's order (parameters, target type, ``pos_label``, lengths,
shapes, values), with its messages.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from ioukit._errors import InputError, UndefinedMetricWarning
from ioukit._xp import safe_divide
from ioukit.core import reduce
from ioukit.core.counts import Counts
from ioukit.core.sweep import sort_sweep
from ioukit.kernels import sweep as kernels
from ioukit.sklearn._params import _ARRAY, _BOOL, _NONE, _REAL, _STR, _validate_params
from ioukit.sklearn._targets import _Y
from ioukit.sklearn._validation import _as_array, _assert_finite, _column_or_1d
from ioukit.sklearn._warnings import undefined_metric_warning

__all__ = ["precision_recall_curve", "roc_curve"]

NDArray = npt.NDArray[Any]

_RULES = {
    "y_true": (_ARRAY,),
    "y_score": (_ARRAY,),
    "pos_label": (_REAL, _STR, _BOOL, _NONE),
    "sample_weight": (_ARRAY, _NONE),
    "drop_intermediate": (_BOOL,),
}
# y_true's distinct values that need no pos_label (which is then 1)
_DEFAULT_CLASSES = ([0, 1], [-1, 1], [0], [-1], [1])


def _positive(func: str, y: _Y, pos_label: Any) -> NDArray:
    """``y_true == pos_label`` as int32 after scikit-learn's target checks (type, pos_label)."""
    y_type = y.kind()  # bytes labels, NaN, legacy sequences: scikit-learn's errors
    if not (y_type == "binary" or (y_type == "multiclass" and pos_label is not None)):
        raise InputError(f"{func}: {y_type} format is not supported")
    if pos_label is None:
        classes = y.unique()
        known = classes.dtype.kind not in "OUS" and any(
            classes.size == len(ref) and bool(np.all(classes == np.asarray(ref)))
            for ref in _DEFAULT_CLASSES
        )
        if not known:
            shown = ", ".join(repr(c) for c in classes.tolist())
            raise InputError(
                f"{func}: y_true takes value in {{{shown}}} and pos_label is not specified: "
                "either make y_true take value in {0, 1} or {-1, 1} or pass pos_label "
                "explicitly."
            )
        pos_label = 1
    return np.asarray(y.arr == pos_label, dtype=np.int32)


def _prepare(
    func: str, y_true: Any, y_score: Any, pos_label: Any, sample_weight: Any
) -> tuple[NDArray, NDArray, NDArray | None]:
    """scikit-learn's input rules: (y == pos_label as int32, scores, weights or None), 1-d,
    with the zero-weight samples dropped."""
    y = _positive(func, _Y(y_true, "y_true"), pos_label)
    ys = _as_array(y_score, ragged=False)
    arrays = [y, ys]
    sw = None
    if sample_weight is not None:
        sw = _as_array(sample_weight, ragged=False)
        arrays.append(sw)
    lengths = [int(a.shape[0]) if a.ndim else 1 for a in arrays]
    if len(set(lengths)) > 1:
        raise InputError(
            f"{func}: Found input variables with inconsistent numbers of samples: {lengths}."
        )
    y, ys = _column_or_1d(y), _column_or_1d(ys)
    if y.size == 0:
        raise InputError(f"{func}: `y_true` is empty; there is no curve to compute.")
    if ys.dtype.kind not in "biuf":
        raise InputError(f"{func}: `y_score` must be numeric; got dtype {ys.dtype}.")
    _assert_finite(ys, "")
    if sw is None:
        return y, ys, None
    w = sw.reshape(-1)
    if w.shape != y.shape:
        raise InputError(f"{func}: `sample_weight` must have shape ({y.size},); got {sw.shape}.")
    w = w.astype(w.dtype if w.dtype in (np.float32, np.float64) else np.float64)
    _assert_finite(w, "sample_weight")
    if not np.any(w != 0):
        raise InputError(
            f"{func}: Sample weights must contain at least one non-zero number; got all zero "
            "weights."
        )
    keep = w != 0  # zero-weight samples take no part, not even as thresholds
    return y[keep], ys[keep], w[keep]


def _counts(
    func: str, y_true: Any, y_score: Any, pos_label: Any, sample_weight: Any
) -> tuple[NDArray, NDArray, NDArray]:
    """(fps, tps, thresholds decreasing): scikit-learn's ``confusion_matrix_at_thresholds``."""
    y, ys, w = _prepare(func, y_true, y_score, pos_label, sample_weight)
    if w is None:
        s = ys.view(np.uint8) if ys.dtype == np.bool_ else np.ascontiguousarray(ys)
        thr, tp, fp, _, _ = kernels.exact(s, y)  # scores are finite and y is 0/1: nothing bad
        return fp.astype(np.float64), tp.astype(np.float64), thr.astype(ys.dtype, copy=False)
    import array_api_compat.numpy as cnp

    # weighted sums depend on the summation order: keep scikit-learn's (stable, descending)
    thr, tp, fp = sort_sweep(cnp, ys, y, w, stable=True)
    return np.asarray(fp), np.asarray(tp), np.asarray(thr)


def _ratio(num: NDArray, total: np.floating[Any]) -> NDArray:
    return np.asarray(safe_divide(np, num, np.full_like(num, total), math.nan))


@_validate_params(_RULES)
def precision_recall_curve(
    y_true: Any,
    y_score: Any,
    *,
    pos_label: Any = None,
    sample_weight: Any = None,
    drop_intermediate: bool = False,
) -> tuple[NDArray, NDArray, NDArray]:
    """Precision-recall pairs for different thresholds; twin of
    ``sklearn.metrics.precision_recall_curve``.

    Same signature, defaults, values, errors and warnings as scikit-learn 1.9, computed from one
    sort. At the threshold ``t`` the prediction is ``y_score >= t``; precision is
    ``tp / (tp + fp)`` (0 where nothing is predicted), recall ``tp / P``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels, in {0, 1} or {-1, 1} unless ``pos_label`` is given (then any two
        labels, or more: the others count as negative).
    y_score : array-like of shape (n_samples,)
        Target scores; higher means more positive.
    pos_label : int, float, bool or str, default=None
        The label of the positive class; ``None`` means 1.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; samples of weight zero are dropped first.
    drop_intermediate : bool, default=False
        Drop thresholds where tp does not change from the previous *and* to the next point
        (they make vertical segments of the curve).

    Returns
    -------
    precision : ndarray of shape (n_thresholds + 1,)
        float64, at increasing thresholds; the last entry is 1 (no threshold).
    recall : ndarray of shape (n_thresholds + 1,)
        float64, decreasing; the last entry is 0.
    thresholds : ndarray of shape (n_thresholds,)
        The increasing distinct scores, in the dtype of ``y_score``.

    Warns
    -----
    UndefinedMetricWarning
        When ``y_true`` has no positive sample (recall is then 1 at every threshold).
        scikit-learn warns with a plain ``UserWarning`` with the same text; ioukit's class
        derives from it.

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit.sklearn import precision_recall_curve
    >>> p, r, t = precision_recall_curve(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> p.round(4).tolist(), r.tolist(), t.tolist()
    ([0.5, 0.6667, 0.5, 1.0, 1.0], [1.0, 1.0, 0.5, 0.5, 0.0], [0.1, 0.35, 0.4, 0.8])
    """
    func = "precision_recall_curve"
    fps, tps, thr = _counts(func, y_true, y_score, pos_label, sample_weight)
    if drop_intermediate and fps.shape[0] > 2:
        keep = np.concatenate([[True], np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), [True]])
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    zeros = np.zeros_like(tps)
    counts = Counts(tps, fps, zeros, zeros, task="binary")
    precision = np.asarray(reduce.precision(counts, average="none", zero_division=0.0))
    if tps[-1] == 0:
        warnings.warn(
            "No positive class found in y_true, recall is set to one for all thresholds.",
            UndefinedMetricWarning,  # scikit-learn: a plain UserWarning, so never the bridge
            stacklevel=3,
        )
        recall = np.full(tps.shape, 1.0)
    else:
        recall = _ratio(tps, tps[-1])
    return (
        np.concatenate([precision[::-1], [1.0]]),
        np.concatenate([recall[::-1], [0.0]]),
        thr[::-1].copy(),
    )


@_validate_params(_RULES)
def roc_curve(
    y_true: Any,
    y_score: Any,
    *,
    pos_label: Any = None,
    sample_weight: Any = None,
    drop_intermediate: bool = True,
) -> tuple[NDArray, NDArray, NDArray]:
    """Receiver operating characteristic (ROC); twin of ``sklearn.metrics.roc_curve``.

    Same signature, defaults, values, errors and warnings as scikit-learn 1.9, computed from one
    sort. At the threshold ``t`` the prediction is ``y_score >= t``; ``fpr = fp / N`` and
    ``tpr = tp / P``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels, in {0, 1} or {-1, 1} unless ``pos_label`` is given.
    y_score : array-like of shape (n_samples,)
        Target scores; higher means more positive.
    pos_label : int, float, bool or str, default=None
        The label of the positive class; ``None`` means 1.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; samples of weight zero are dropped first.
    drop_intermediate : bool, default=True
        Drop thresholds whose point is collinear with its neighbours (zero second difference of
        both fp and tp); the curve keeps its shape.

    Returns
    -------
    fpr : ndarray of shape (n_thresholds,)
        float64, increasing false positive rates, starting at 0. All NaN (with an
        ``UndefinedMetricWarning``) when ``y_true`` has no negative sample.
    tpr : ndarray of shape (n_thresholds,)
        float64, increasing true positive rates, starting at 0. All NaN (with an
        ``UndefinedMetricWarning``) when ``y_true`` has no positive sample.
    thresholds : ndarray of shape (n_thresholds,)
        float64, decreasing; the first is ``inf`` (nothing predicted positive).

    Warns
    -----
    UndefinedMetricWarning
        :class:`ioukit.UndefinedMetricWarning`; while scikit-learn is imported, also a subclass
        of ``sklearn.exceptions.UndefinedMetricWarning``.

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit.sklearn import roc_curve
    >>> fpr, tpr, t = roc_curve(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> fpr.tolist(), tpr.tolist(), t.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0], [inf, 0.8, 0.4, 0.35, 0.1])
    """
    func = "roc_curve"
    fps, tps, thr = _counts(func, y_true, y_score, pos_label, sample_weight)
    if drop_intermediate and fps.shape[0] > 2:
        keep = np.concatenate([[True], np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), [True]])
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    tps = np.concatenate([[0.0], tps])
    fps = np.concatenate([[0.0], fps])
    thr = np.concatenate([[np.inf], thr.astype(np.float64)])
    rates = []
    for counts, message in (
        (fps, "No negative samples in y_true, false positive value should be meaningless"),
        (tps, "No positive samples in y_true, true positive value should be meaningless"),
    ):
        if counts[-1] <= 0:
            warnings.warn(message, undefined_metric_warning(), stacklevel=3)
            rates.append(np.full(counts.shape, np.nan))
        else:
            rates.append(_ratio(counts, counts[-1]))
    return rates[0], rates[1], thr
