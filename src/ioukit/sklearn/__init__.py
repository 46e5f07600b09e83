"""Drop-in twins of scikit-learn's ``jaccard_score``, ``confusion_matrix``,
``multilabel_confusion_matrix``, ``precision_recall_curve`` and ``roc_curve``.

Switch by changing one import::

    # from sklearn.metrics import jaccard_score
    from ioukit.sklearn import jaccard_score

The twins take the same arguments (same names, defaults and keyword-only parameters), accept
the same inputs and return the same types and **the same numbers, bit for bit,** as
scikit-learn 1.9.1: binary, multiclass and multilabel-indicator targets, string and mixed
int/float labels, lists, column vectors, ``labels``, ``pos_label``, integer, floating and
object ``sample_weight``, every ``zero_division``, ``average``, ``normalize`` and
``samplewise``. Where floating point sums are involved (floating ``sample_weight``), they are
added in scikit-learn's order, so even the last bit agrees. Invalid input raises the same
exception type with the same message; invalid options raise :class:`InvalidParameterError` (a
``ValueError`` and a ``TypeError``, like scikit-learn's class of that name). Four checks of
the curve twins raise ioukit's :class:`ioukit.InputError` (a ``ValueError``) with
scikit-learn's message after the function's name (unsupported target type, ``pos_label``
needed, inconsistent lengths, all-zero weights); where scikit-learn fails inside (empty input,
non-numeric scores), they raise an :class:`ioukit.InputError` that says what is wrong.

Warnings have scikit-learn's text and class. Where scikit-learn warns with
``sklearn.exceptions.UndefinedMetricWarning`` (an ill-defined Jaccard score, a ROC curve
without positive or negative samples), the twins warn with an
:class:`ioukit.UndefinedMetricWarning` (a ``UserWarning``); when scikit-learn is imported at
that moment, the class derives from scikit-learn's class too, so ``pytest.warns`` and warning
filters that name scikit-learn's class catch it. ``import ioukit.sklearn`` never imports
scikit-learn. scikit-learn's other warnings
(``pos_label`` ignored, single-label confusion matrix) are ``UserWarning`` with the same text;
a precision-recall curve without positive samples warns with ioukit's
:class:`ioukit.UndefinedMetricWarning` only (scikit-learn: a plain ``UserWarning``).

Two differences remain, both outside the numbers: the options listed in an
:class:`InvalidParameterError` message follow Python's set iteration order, as in
scikit-learn, where that order can change from one interpreter run to the next (string hash
randomisation), so the two lists may be permuted; and NumPy's ``RuntimeWarning`` about
casting NaN or infinite labels to integers, a side effect inside scikit-learn, is not emitted.

Inputs may be NumPy arrays, (nested) lists, PyTorch tensors or any Array API array; like
scikit-learn without ``array_api_dispatch``, they are converted to NumPy and NumPy results are
returned. scipy sparse matrices are accepted for multilabel targets (scipy is imported only
when such a matrix is passed).

Why it is faster: scikit-learn sorts the data several times (``np.unique`` in each type check,
a label encoder, a sparse matrix for multilabel data). Here numeric labels with a small range
are counted in one pass by ioukit's numba kernels (exact int64 counts), and the type checks
read those counts; strings and other objects take a general ``np.unique``-based path. The
curves sort the scores once (a value sort of the positives' and of the negatives' scores,
merged).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from ioukit.sklearn._confusion import _any_label_in, _cm_array, _confusion, _mcm
from ioukit.sklearn._curves import precision_recall_curve, roc_curve
from ioukit.sklearn._params import (
    _ARRAY,
    _AVERAGES,
    _BOOL,
    _NONE,
    _NORMALIZE,
    _REAL,
    _SPARSE,
    _STR,
    _WARN,
    _ZERO_DIVISION,
    InvalidParameterError,
    _validate_params,
)
from ioukit.sklearn._targets import _check_targets
from ioukit.sklearn._validation import _as_array, _check_lengths, _check_sample_weight, _num_samples
from ioukit.sklearn._warnings import undefined_metric_warning

__all__ = [
    "InvalidParameterError",
    "confusion_matrix",
    "jaccard_score",
    "multilabel_confusion_matrix",
    "precision_recall_curve",
    "roc_curve",
]

NDArray = npt.NDArray[Any]


# ------------------------------------------------------------------------------- jaccard


def _zero_division_value(zero_division: Any) -> float:
    if isinstance(zero_division, str) and zero_division == "warn":
        return 0.0
    if isinstance(zero_division, (int, float)) and zero_division in (0, 1):
        return float(zero_division)
    return math.nan  # e.g. np.int64(1): accepted by the parameter check, NaN here


def _divide(numerator: NDArray, denominator: NDArray, average: Any, zero_division: Any) -> NDArray:
    """``numerator / denominator`` with the ``zero_division`` value (and warning) for 0/0."""
    mask = denominator == 0
    den = np.array(denominator, dtype=np.float64, copy=True)
    den[mask] = 1
    result = np.asarray(numerator, dtype=np.float64) / den
    if not np.any(mask):
        return result
    result[mask] = _zero_division_value(zero_division)
    if not (isinstance(zero_division, str) and zero_division == "warn"):
        return result
    axis0, axis1 = ("label", "sample") if average == "samples" else ("sample", "label")
    where = "due to" if result.shape[0] == 1 else f"in {axis1}s with"
    warnings.warn(
        f"Jaccard is ill-defined and being set to 0.0 {where} no true or predicted {axis0}s. "
        "Use `zero_division` parameter to control this behavior.",
        undefined_metric_warning(),
        stacklevel=4,
    )
    return result


@_validate_params(
    {
        "y_true": (_ARRAY, _SPARSE),
        "y_pred": (_ARRAY, _SPARSE),
        "labels": (_ARRAY, _NONE),
        "pos_label": (_REAL, _STR, _BOOL, _NONE),
        "average": (_AVERAGES, _NONE),
        "sample_weight": (_ARRAY, _NONE),
        "zero_division": (_ZERO_DIVISION, _WARN),
    }
)
def jaccard_score(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Any = None,
    pos_label: Any = 1,
    average: str | None = "binary",
    sample_weight: Any = None,
    zero_division: Any = "warn",
) -> float | NDArray:
    """Jaccard similarity coefficient score; twin of ``sklearn.metrics.jaccard_score``.

    Per label, ``J = tp / (tp + fp + fn)``: the size of the intersection of the true and
    predicted sets divided by the size of their union.

    Parameters
    ----------
    y_true : 1d array-like, or label indicator array / sparse matrix
        Ground truth labels.
    y_pred : 1d array-like, or label indicator array / sparse matrix
        Predicted labels.
    labels : array-like of shape (n_classes,), default=None
        Labels to include when ``average != 'binary'``, and their order for ``average=None``.
        Labels absent from the data are scored with ``zero_division``. Column indices for
        multilabel targets. Default: the sorted labels present in either input.
    pos_label : int, float, bool or str, default=1
        The class to report with ``average='binary'`` on binary data; otherwise ignored (with
        a ``UserWarning`` when it is not 1 or None).
    average : {'binary', 'micro', 'macro', 'weighted', 'samples'} or None, default='binary'
        ``None``: one score per label. ``'micro'``: from the counts summed over labels.
        ``'macro'``: unweighted mean of the label scores. ``'weighted'``: mean weighted by
        support. ``'samples'``: mean of the per-sample scores (multilabel only).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    zero_division : {"warn", 0.0, 1.0}, default="warn"
        Score of a label (or sample) with no true and no predicted positives. "warn" gives
        0.0 and an :class:`ioukit.UndefinedMetricWarning` (which derives from
        ``sklearn.exceptions.UndefinedMetricWarning`` too while scikit-learn is imported).

    Returns
    -------
    score : float or ndarray of shape (n_unique_labels,), dtype=np.float64
        A Python float when ``average`` is not ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit.sklearn import jaccard_score
    >>> y_true = np.array([[0, 1, 1], [1, 1, 0]])
    >>> y_pred = np.array([[1, 1, 1], [1, 0, 0]])
    >>> round(jaccard_score(y_true[0], y_pred[0]), 4)
    0.6667
    >>> jaccard_score(y_true, y_pred, average="micro")
    0.6
    >>> round(jaccard_score(y_true, y_pred, average="samples"), 4)
    0.5833
    >>> jaccard_score(y_true, y_pred, average=None)
    array([0.5, 0.5, 1. ])
    >>> jaccard_score([0, 1, 2, 2], [0, 2, 1, 2], average=None).round(2)
    array([1.  , 0.  , 0.33])
    """
    tg, _ = _check_targets(
        y_true, y_pred, ml_columns=sample_weight is None and average != "samples"
    )
    if average == "binary":
        if tg.y_type != "binary":
            options: list[str | None] = [None, "micro", "macro", "weighted", "samples"]
            if tg.y_type == "multiclass":
                options.remove("samples")
            raise ValueError(
                f"Target is {tg.y_type} but average='binary'. Please choose another average "
                f"setting, one of {options!r}."
            )
        if pos_label not in tg.present and len(tg.present) >= 2:
            raise ValueError(
                f"pos_label={pos_label} is not a valid label. It should be one of {tg.present}"
            )
        labels = [pos_label]
    elif pos_label not in (None, 1):
        warnings.warn(
            f"Note that pos_label (set to {pos_label!r}) is ignored when average != 'binary' "
            f"(got {average!r}). You may use labels=[pos_label] to specify a single positive "
            "class.",
            UserWarning,
            stacklevel=3,
        )
    weights = None
    if sample_weight is not None:
        _check_lengths(y_true, y_pred, sample_weight)
        weights = _check_sample_weight(sample_weight, _num_samples(y_true))
    mcm = _mcm(tg, weights, labels, average == "samples")
    numerator = mcm[:, 1, 1]
    denominator = mcm[:, 1, 1] + mcm[:, 0, 1] + mcm[:, 1, 0]
    if average == "micro":
        numerator = np.asarray(np.sum(numerator, keepdims=True))
        denominator = np.asarray(np.sum(denominator, keepdims=True))
    scores = _divide(numerator, denominator, average, zero_division)
    if average is None:
        return scores
    mean_weights: Any = None
    if average == "weighted":
        mean_weights = mcm[:, 1, 0] + mcm[:, 1, 1]
        if not np.any(mean_weights):
            mean_weights = None
    elif average == "samples" and sample_weight is not None:
        mean_weights = _as_array(sample_weight, ragged=False)
    return float(np.average(scores, weights=mean_weights))


# ---------------------------------------------------------------------- confusion matrices


@_validate_params(
    {
        "y_true": (_ARRAY, _SPARSE),
        "y_pred": (_ARRAY, _SPARSE),
        "sample_weight": (_ARRAY, _NONE),
        "labels": (_ARRAY, _NONE),
        "samplewise": (_BOOL,),
    }
)
def multilabel_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    sample_weight: Any = None,
    labels: Any = None,
    samplewise: bool = False,
) -> NDArray:
    """A 2x2 confusion matrix per class or per sample; twin of
    ``sklearn.metrics.multilabel_confusion_matrix``.

    Entry ``[k]`` is ``[[tn, fp], [fn, tp]]`` of output ``k``. Multiclass targets are
    binarised one-vs-rest.

    Parameters
    ----------
    y_true : {array-like, sparse matrix} of shape (n_samples, n_outputs) or (n_samples,)
        Ground truth labels. Sparse matrices only for multilabel targets.
    y_pred : {array-like, sparse matrix} of shape (n_samples, n_outputs) or (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    labels : array-like of shape (n_classes,), default=None
        Classes (column indices for multilabel targets) to report, in this order. Default:
        the sorted labels present in either input.
    samplewise : bool, default=False
        One matrix per sample instead of per class (multilabel targets only).

    Returns
    -------
    multi_confusion : ndarray of shape (n_outputs, 2, 2)
        int64, or float64 with weights (and, as in scikit-learn, for 1-d targets without any
        true positive).

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit.sklearn import multilabel_confusion_matrix
    >>> y_true = np.array([[1, 0, 1], [0, 1, 0]])
    >>> y_pred = np.array([[1, 0, 0], [0, 1, 1]])
    >>> multilabel_confusion_matrix(y_true, y_pred).tolist()
    [[[1, 0], [0, 1]], [[1, 0], [0, 1]], [[0, 1], [1, 0]]]
    >>> y_true = ["cat", "ant", "cat", "cat", "ant", "bird"]
    >>> y_pred = ["ant", "ant", "cat", "cat", "ant", "cat"]
    >>> multilabel_confusion_matrix(y_true, y_pred, labels=["ant", "bird", "cat"]).tolist()
    [[[3, 1], [0, 2]], [[5, 0], [1, 0]], [[2, 1], [1, 2]]]
    """
    tg, weights = _check_targets(
        y_true, y_pred, sample_weight, ml_columns=sample_weight is None and not samplewise
    )
    return _mcm(tg, weights, labels, bool(samplewise))


@_validate_params(
    {
        "y_true": (_ARRAY,),
        "y_pred": (_ARRAY,),
        "labels": (_ARRAY, _NONE),
        "sample_weight": (_ARRAY, _NONE),
        "normalize": (_NORMALIZE, _NONE),
    }
)
def confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Any = None,
    sample_weight: Any = None,
    normalize: str | None = None,
) -> NDArray:
    """Confusion matrix; twin of ``sklearn.metrics.confusion_matrix``.

    ``C[i, j]`` is the number (total weight) of samples of true class ``labels[i]`` predicted
    as class ``labels[j]``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Ground truth labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    labels : array-like of shape (n_classes,), default=None
        Labels indexing the matrix (a subset, a new order, or labels absent from the data).
        Default: the sorted labels present in either input.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights: integer, boolean, floating, or objects that convert to float (as
        scikit-learn: an object array is summed as float64, ``None`` as NaN).
    normalize : {'true', 'pred', 'all'}, default=None
        Divide by the row sums, the column sums or the total (0/0 gives 0).

    Returns
    -------
    C : ndarray of shape (n_classes, n_classes)
        int64 for integer or boolean weights, float64 for floating or object weights or
        ``normalize``.

    Examples
    --------
    >>> from ioukit.sklearn import confusion_matrix
    >>> confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2]).tolist()
    [[2, 0, 0], [0, 0, 1], [1, 0, 2]]
    >>> y_true = ["cat", "ant", "cat", "cat", "ant", "bird"]
    >>> y_pred = ["ant", "ant", "cat", "cat", "ant", "cat"]
    >>> confusion_matrix(y_true, y_pred, labels=["ant", "bird", "cat"]).tolist()
    [[2, 0, 0], [0, 0, 1], [1, 0, 2]]
    >>> tn, fp, fn, tp = confusion_matrix([0, 1, 0, 1], [1, 1, 1, 0]).ravel().tolist()
    >>> (tn, fp, fn, tp)
    (0, 2, 1, 1)
    """
    t = _cm_array(y_true)
    p = _cm_array(y_pred)
    if t.ndim == 0:
        raise IndexError("tuple index out of range")
    weights_in = np.ones(t.shape[0], dtype=np.int64) if sample_weight is None else sample_weight
    if _num_samples(weights_in) > 0:
        tg, weights = _check_targets(t, p, weights_in, arrays=(t, p))
    else:
        tg, weights = _check_targets(t, p, arrays=(t, p))
        weights = _as_array(weights_in, ragged=False)
    if tg.y_type not in ("binary", "multiclass"):
        raise ValueError(f"{tg.y_type} is not supported")
    assert weights is not None
    if labels is None:
        lab = tg.present
    else:
        lab = _as_array(labels, ragged=False)
        if lab.size == 0:
            raise ValueError("'labels' should contain at least one label.")
        if tg.t1d.size == 0:
            return np.zeros((lab.size, lab.size), dtype=int)
        if not _any_label_in(tg, lab):
            raise ValueError("At least one label specified must be in y_true")
    integer = weights.dtype.kind in "iub"
    cm = _confusion(tg, weights, lab, integer)
    with np.errstate(all="ignore"):
        if normalize == "true":
            cm = cm / cm.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            cm = cm / cm.sum(axis=0, keepdims=True)
        elif normalize == "all":
            cm = cm / cm.sum()
        cm = np.nan_to_num(cm, nan=0.0)
    if cm.shape == (1, 1):
        warnings.warn(
            "A single label was found in 'y_true' and 'y_pred'. For the confusion matrix to have "
            "the correct shape, use the 'labels' parameter to pass all known labels.",
            UserWarning,
            stacklevel=3,
        )
    return cm
