"""Exact counts: the currency every score is computed from.

Each ``*_counts`` function validates its input once, then turns it into int64 true positives,
false positives, false negatives and true negatives per class (and per sample when asked).
Scores are reductions of these counts (:mod:`ioukit.core.reduce`); because counts are integers,
summing the counts of batches gives exactly the counts of all the data at once.

NumPy inputs on the CPU go through fused numba kernels (one pass, no input-sized temporaries);
every other Array API library (PyTorch on CPU or CUDA, CuPy, array-api-strict, JAX) uses its
own array operations and stays on its device.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ioukit._errors import InputError
from ioukit._typing import Task
from ioukit._xp import (
    Array,
    bincount,
    comparable_labels,
    describe_values,
    device_of,
    int_fits,
    is_numpy,
    namespace,
    to_numpy,
)
from ioukit.core._checks import (
    check_class_axis,
    check_finite,
    check_ignore_index,
    check_labels_integral,
    check_nonempty,
    check_num_classes,
    check_same_shape,
    check_sample_weight,
    check_threshold,
    is_floating,
    is_integer_like,
)
from ioukit.core._counts import Counts

__all__ = [
    "Counts",
    "binary_counts",
    "multiclass_confusion_matrix",
    "multiclass_counts",
    "multilabel_counts",
]

# --------------------------------------------------------------------------------------- binary


def _binary_values(func: str, xp: Any, x: Array, name: str, ignore: tuple[int, ...]) -> Array:
    """Message for values outside {0, 1} (and not ignored) in a binary/multilabel array."""
    values = to_numpy(x).ravel()
    bad = values[(values != 0) & (values != 1) & ~np.isin(values, ignore)]
    hint = (
        "Probabilities or logits must be binarised explicitly: pass `threshold=` "
        "(e.g. threshold=0.5 for probabilities, 0.0 for logits)."
        if name == "pred"
        else "Targets must be 0/1 masks; use `ignore_index=` for void labels such as 255."
    )
    raise InputError(
        f"{func}: `{name}` must contain only 0 and 1; got {bad.size} element(s) with other "
        f"values {describe_values(bad)}. {hint}"
    )


def _binary_prepare(
    func: str, xp: Any, pred: Array, target: Array, threshold: object
) -> tuple[Array, Array]:
    thr = check_threshold(func, threshold)
    check_same_shape(func, pred, target)
    check_nonempty(func, target)
    for x, name in ((pred, "pred"), (target, "target")):
        if not (is_integer_like(xp, x) or is_floating(xp, x)):
            raise InputError(
                f"{func}: `{name}` must hold 0/1 labels (bool, integer or floating dtype); got "
                f"dtype {x.dtype}."
            )
    check_finite(func, xp, pred, "pred")
    check_finite(func, xp, target, "target")
    if thr is not None:
        if not is_floating(xp, pred):
            raise InputError(
                f"{func}: `threshold` applies to floating-point scores, but `pred` has dtype "
                f"{pred.dtype}; drop `threshold` for 0/1 labels."
            )
        pred = pred >= thr
    return pred, target


def _group_counts(
    func: str,
    xp: Any,
    pred: Array,
    target: Array,
    n_labels: int,
    per_sample: bool,
    ignore: tuple[int, ...],
) -> tuple[Array, Array, Array, Array]:
    """(tp, predicted, target, valid) of ``(N, L, ...)`` binary data; each ``(N or 1, L)``."""
    n = int(target.shape[0])
    k = math.prod(target.shape) // (n * n_labels)
    if is_numpy(xp):
        from ioukit.kernels.counting import binary_rows

        tp, ps, ts, nv, bad_p, bad_t = binary_rows(pred, target, n_labels, per_sample, ignore)
        if bad_t:
            _binary_values(func, xp, target, "target", ignore)
        if bad_p:
            # only values at non-ignored positions are reported
            t = np.reshape(target, -1)
            keep = ~np.isin(t, ignore)
            _binary_values(func, xp, np.reshape(pred, -1)[keep], "pred", ())
        return tp, ps, ts, nv
    t = comparable_labels(xp, xp.reshape(target, (n, n_labels, k)))
    p = comparable_labels(xp, xp.reshape(pred, (n, n_labels, k)))
    valid = _valid_mask(xp, t, ignore)
    t_bad = valid & (t != 0) & (t != 1)
    if bool(xp.any(t_bad)):
        _binary_values(func, xp, t, "target", ignore)
    p_bad = valid & (p != 0) & (p != 1)
    if bool(xp.any(p_bad)):
        _binary_values(func, xp, p[valid], "pred", ())
    t1 = valid & (t == 1)
    p1 = valid & (p == 1)
    axes = (0, 2) if not per_sample else (2,)

    def count(mask: Array) -> Array:
        c = xp.sum(xp.astype(mask, xp.int64), axis=axes)
        return c if per_sample else xp.reshape(c, (1, n_labels))

    return count(t1 & p1), count(p1), count(t1), count(valid)


def _assemble(
    tp: Array,
    ps: Array,
    ts: Array,
    nv: Array,
    *,
    task: Task,
    per_sample: bool,
    weights: Array | None,
    ignored_classes: tuple[int, ...] = (),
) -> Counts:
    """Counts from per-(sample, class) tp / predicted / target / valid totals, shape (N, C)."""
    fp = ps - tp
    fn = ts - tp
    tn = nv - tp - fp - fn
    counts = Counts(
        tp,
        fp,
        fn,
        tn,
        task=task,
        per_sample=True,
        sample_weight=weights,
        ignored_classes=ignored_classes,
    )
    return counts if per_sample else counts.total()


def binary_counts(
    pred: Array,
    target: Array,
    *,
    threshold: float | None = None,
    ignore_index: int | tuple[int, ...] | None = None,
    per_sample: bool = False,
    sample_weight: Array | None = None,
) -> Counts:
    """Count tp/fp/fn/tn of a binary prediction against a binary target.

    Parameters
    ----------
    pred : Array, any shape
        0/1 labels (bool, integer, or float holding only 0 and 1), or scores/probabilities
        together with ``threshold``.
    target : Array, same shape as ``pred``
        0/1 labels. Values listed in ``ignore_index`` (e.g. 255) mark elements to leave out.
    threshold : float, optional
        Binarise floating ``pred`` as ``pred >= threshold``. Required for soft scores: values
        other than 0 and 1 without a threshold are an error, never silently rounded.
    ignore_index : int or sequence of int, optional
        Target values whose elements are removed before counting.
    per_sample : bool, default False
        Keep the first axis: counts of shape ``(N, 1)`` instead of ``(1,)``.
    sample_weight : Array of shape (N,), optional
        Non-negative weight per sample (first axis). Dataset-level counts become float64.

    Returns
    -------
    Counts
        ``task="binary"``, one class (the positive one).

    Examples
    --------
    >>> import numpy as np
    >>> c = binary_counts(np.array([1, 0, 0, 0, 1, 1]), np.array([1, 1, 0, 0, 1, 0]))
    >>> [int(c.tp[0]), int(c.fp[0]), int(c.fn[0]), int(c.tn[0])]
    [2, 1, 1, 2]
    """
    func = "binary_counts"
    xp, (pred, target, sample_weight) = namespace(pred, target, sample_weight, func=func)
    ignore = check_ignore_index(func, ignore_index)
    pred, target = _binary_prepare(func, xp, pred, target, threshold)
    if target.ndim == 0:
        pred, target = xp.reshape(pred, (1,)), xp.reshape(target, (1,))
    weights = None
    if sample_weight is not None:
        weights = check_sample_weight(func, xp, sample_weight, int(target.shape[0]))
    per_group = per_sample or weights is not None
    tp, ps, ts, nv = _group_counts(func, xp, pred, target, 1, per_group, ignore)
    return _assemble(tp, ps, ts, nv, task="binary", per_sample=per_sample, weights=weights)


# ------------------------------------------------------------------------------------ multilabel


def multilabel_counts(
    pred: Array,
    target: Array,
    *,
    threshold: float | None = None,
    ignore_index: int | tuple[int, ...] | None = None,
    per_sample: bool = False,
    sample_weight: Array | None = None,
) -> Counts:
    """Count tp/fp/fn/tn per label of multilabel indicator arrays.

    Parameters
    ----------
    pred : Array of shape (N, L) or (N, L, ...)
        0/1 indicators, or scores with ``threshold`` (``pred >= threshold``).
    target : Array, same shape as ``pred``
        0/1 indicators; values in ``ignore_index`` are left out.
    threshold, ignore_index, per_sample, sample_weight
        As in :func:`binary_counts`. Per-sample counts have shape ``(N, L)``.

    Returns
    -------
    Counts
        ``task="multilabel"``, one class per label (axis 1).

    Examples
    --------
    >>> import numpy as np
    >>> c = multilabel_counts(np.array([[1, 1, 1], [1, 0, 0]]), np.array([[0, 1, 1], [1, 1, 0]]))
    >>> c.tp.tolist(), c.fp.tolist(), c.fn.tolist()
    ([1, 1, 1], [1, 0, 0], [0, 1, 0])
    """
    func = "multilabel_counts"
    xp, (pred, target, sample_weight) = namespace(pred, target, sample_weight, func=func)
    ignore = check_ignore_index(func, ignore_index)
    pred, target = _binary_prepare(func, xp, pred, target, threshold)
    if target.ndim < 2:
        raise InputError(
            f"{func}: `pred` and `target` must have shape (N, L) or (N, L, ...) with labels on "
            f"axis 1; got shape {tuple(target.shape)}. For a single mask use binary_counts."
        )
    weights = None
    if sample_weight is not None:
        weights = check_sample_weight(func, xp, sample_weight, int(target.shape[0]))
    per_group = per_sample or weights is not None
    n_labels = int(target.shape[1])
    tp, ps, ts, nv = _group_counts(func, xp, pred, target, n_labels, per_group, ignore)
    return _assemble(tp, ps, ts, nv, task="multilabel", per_sample=per_sample, weights=weights)


# ------------------------------------------------------------------------------------ multiclass


def _range_error(
    func: str, xp: Any, pred: Array, target: Array, num_classes: int, ignore: tuple[int, ...]
) -> None:
    t = to_numpy(target).ravel()
    p = to_numpy(pred).ravel()
    keep = ~np.isin(t, ignore)
    bad_t = t[keep & ((t < 0) | (t >= num_classes))]
    if bad_t.size:
        raise InputError(
            f"{func}: `target` has {bad_t.size} label(s) outside [0, {num_classes}) that are not "
            f"ignored: {describe_values(bad_t)}. Pass them as `ignore_index=` to leave those "
            "elements out, or raise `num_classes`."
        )
    bad_p = p[keep & ((p < 0) | (p >= num_classes))]
    if bad_p.size:
        raise InputError(
            f"{func}: `pred` has {bad_p.size} label(s) outside [0, {num_classes}) where the "
            f"target is not ignored: {describe_values(bad_p)}. A prediction must be a class "
            "index; raise `num_classes` if the model has more classes."
        )


def _multiclass_prepare(
    func: str,
    pred: Array,
    target: Array,
    sample_weight: Array | None,
    num_classes: object,
    ignore_index: object,
    class_axis: object,
) -> tuple[Any, Array, Array, Array | None, int, tuple[int, ...]]:
    xp, (pred, target, sample_weight) = namespace(pred, target, sample_weight, func=func)
    c = check_num_classes(func, num_classes)
    ignore = check_ignore_index(func, ignore_index)
    pred, target, weights = _multiclass_data(func, xp, pred, target, sample_weight, c, class_axis)
    return xp, pred, target, weights, c, ignore


def _multiclass_data(
    func: str,
    xp: Any,
    pred: Array,
    target: Array,
    sample_weight: Array | None,
    c: int,
    class_axis: object,
) -> tuple[Array, Array, Array | None]:
    """The checks of the data (the options are checked already): labels, or scores to argmax
    along ``class_axis``; returns label arrays of equal shape, at least 1-D, and weights."""
    if class_axis is not None:
        axis = check_class_axis(func, pred, target, class_axis)
        check_finite(func, xp, pred, "pred")
        if pred.shape[axis] != c:
            raise InputError(
                f"{func}: `pred` has {pred.shape[axis]} class scores along axis {axis}, but "
                f"`num_classes` is {c}."
            )
        pred = xp.argmax(pred, axis=axis)
    elif pred.ndim == target.ndim + 1:
        raise InputError(
            f"{func}: `pred` has one more dimension than `target` ({tuple(pred.shape)} vs "
            f"{tuple(target.shape)}); if it holds class scores, pass `class_axis=` (e.g. 1) to "
            "take the argmax."
        )
    check_same_shape(func, pred, target)
    check_nonempty(func, target)
    pred = check_labels_integral(func, xp, pred, "pred")
    target = check_labels_integral(func, xp, target, "target")
    if not is_numpy(xp):  # the numba kernels read bool and every integer dtype as they are
        pred, target = comparable_labels(xp, pred), comparable_labels(xp, target)
    if target.ndim == 0:
        pred, target = xp.reshape(pred, (1,)), xp.reshape(target, (1,))
    weights = None
    if sample_weight is not None:
        weights = check_sample_weight(func, xp, sample_weight, int(target.shape[0]))
    return pred, target, weights


def confusion_per_sample(
    func: str,
    xp: Any,
    pred: Array,
    target: Array,
    *,
    num_classes: int,
    ignore: tuple[int, ...],
    class_axis: int | None,
) -> Array:
    """``(N, C, C)`` confusion matrices, one per sample (first axis), for a caller that checked
    its options once (``num_classes`` a positive int, ``ignore`` from ``check_ignore_index``)
    and converted the data with :func:`ioukit._xp.namespace`: only the data is checked here.
    Not public: the segmentation evaluator's path to the kernels behind
    :func:`multiclass_confusion_matrix`."""
    pred, target, _ = _multiclass_data(func, xp, pred, target, None, num_classes, class_axis)
    return _confusion(func, xp, pred, target, None, num_classes, ignore, per_sample=True)


def _valid_mask(xp: Any, target: Array, ignore: tuple[int, ...]) -> Array:
    valid = xp.ones(target.shape, dtype=xp.bool, device=device_of(target))
    for v in ignore:
        if int_fits(xp, target, v):  # a value the dtype cannot hold matches nothing
            valid = valid & (target != v)
    return valid


def _xp_check_range(
    func: str, xp: Any, pred: Array, target: Array, c: int, ignore: tuple[int, ...]
) -> Array:
    """Array-API path: the valid mask, after checking every non-ignored label is in range."""
    valid = _valid_mask(xp, target, ignore)
    out_t = (target < 0) | (target >= c) if int_fits(xp, target, c) else target < 0
    out_p = (pred < 0) | (pred >= c) if int_fits(xp, pred, c) else pred < 0
    if bool(xp.any(valid & (out_t | out_p))):
        _range_error(func, xp, pred, target, c, ignore)
    return valid


def _confusion(
    func: str,
    xp: Any,
    pred: Array,
    target: Array,
    weights: Array | None,
    c: int,
    ignore: tuple[int, ...],
    per_sample: bool = False,
) -> Array:
    """``(C, C)`` confusion matrix, or ``(N, C, C)`` (one per sample) with ``per_sample``."""
    n = int(target.shape[0])
    if is_numpy(xp) and (weights is None or per_sample):
        from ioukit.kernels.counting import confusion, confusion_stack

        if per_sample:
            cm, bad_p, bad_t = confusion_stack(
                np.reshape(pred, (n, -1)), np.reshape(target, (n, -1)), c, ignore
            )
        else:
            cm, bad_p, bad_t = confusion(pred, target, c, ignore)
        if bad_p or bad_t:
            _range_error(func, xp, pred, target, c, ignore)
    else:
        valid = _xp_check_range(func, xp, pred, target, c, ignore)
        t = xp.astype(target, xp.int64)
        p = xp.astype(pred, xp.int64)
        size = c * c
        bins = t * c + p
        if per_sample:  # offset each sample's bins
            dims = (n,) + (1,) * (target.ndim - 1)
            bins = bins + xp.reshape(xp.arange(n, dtype=xp.int64, device=device_of(t)), dims) * size
            size = n * c * c
        idx = xp.reshape(xp.where(valid, bins, xp.full_like(t, size)), (-1,))
        if weights is None or per_sample:
            cm = bincount(xp, idx, size + 1)
        else:
            w = xp.reshape(weights, (-1,) + (1,) * (target.ndim - 1))
            w_elem = xp.reshape(xp.broadcast_to(w, target.shape), (-1,))
            cm = bincount(xp, idx, size + 1, weights=w_elem)
        cm = xp.reshape(cm[:size], (n, c, c) if per_sample else (c, c))
    if per_sample and weights is not None:
        return xp.astype(cm, xp.float64) * xp.reshape(weights, (-1, 1, 1))
    return cm


def multiclass_confusion_matrix(
    pred: Array,
    target: Array,
    *,
    num_classes: int,
    ignore_index: int | tuple[int, ...] | None = None,
    class_axis: int | None = None,
    per_sample: bool = False,
    sample_weight: Array | None = None,
) -> Array:
    """The ``(C, C)`` confusion matrix of multiclass labels: rows = target, columns = prediction.

    int64, or float64 with ``sample_weight``. With ``per_sample=True``, one matrix per sample
    (first axis): ``(N, C, C)``, in one pass over the data (memory ``N·C²``; each matrix is
    scaled by its sample's weight when ``sample_weight`` is given). Other arguments as in
    :func:`multiclass_counts`.

    Examples
    --------
    >>> import numpy as np
    >>> multiclass_confusion_matrix(np.array([0, 2, 2, 1, 1, 0]), np.array([0, 1, 2, 2, 1, 0]),
    ...                             num_classes=3).tolist()
    [[2, 0, 0], [0, 1, 1], [0, 1, 1]]
    """
    func = "multiclass_confusion_matrix"
    xp, pred, target, weights, c, ignore = _multiclass_prepare(
        func, pred, target, sample_weight, num_classes, ignore_index, class_axis
    )
    return _confusion(func, xp, pred, target, weights, c, ignore, per_sample)


def multiclass_counts(
    pred: Array,
    target: Array,
    *,
    num_classes: int,
    ignore_index: int | tuple[int, ...] | None = None,
    class_axis: int | None = None,
    per_sample: bool = False,
    sample_weight: Array | None = None,
) -> Counts:
    """Count one-vs-rest tp/fp/fn/tn per class of multiclass label arrays.

    Parameters
    ----------
    pred : Array
        Integer class labels with the shape of ``target``; or class scores (probabilities,
        logits) with one extra axis named by ``class_axis``, reduced by argmax (ties go to the
        lowest class index). Floating labels are accepted when every value is an integer.
    target : Array of any shape, e.g. (N,), (H, W), (N, H, W), (N, D, H, W)
        Integer class labels in ``[0, num_classes)`` or in ``ignore_index``.
    num_classes : int
        Number of classes ``C``. Labels outside ``[0, C)`` that are not ignored are an error.
    ignore_index : int or sequence of int, optional
        Target values whose elements are removed before counting (e.g. 255, or ``(0, 255)``).
        A value inside ``[0, C)`` also removes that class from every average (its scores are
        NaN); predictions *of* it on other elements still count as errors of the true class.
    class_axis : int, optional
        Axis of ``pred`` holding class scores.
    per_sample : bool, default False
        Keep the first axis: counts ``(N, C)`` instead of ``(C,)``.
    sample_weight : Array of shape (N,), optional
        Non-negative weight per sample (first axis).

    Returns
    -------
    Counts
        ``task="multiclass"``.

    Examples
    --------
    >>> import numpy as np
    >>> c = multiclass_counts(np.array([0, 2, 2, 1, 1, 0]), np.array([0, 1, 2, 2, 1, 0]),
    ...                       num_classes=3)
    >>> c.tp.tolist(), c.fp.tolist(), c.fn.tolist(), c.tn.tolist()
    ([2, 1, 1], [0, 1, 1], [0, 1, 1], [4, 3, 3])
    """
    func = "multiclass_counts"
    xp, pred, target, weights, c, ignore = _multiclass_prepare(
        func, pred, target, sample_weight, num_classes, ignore_index, class_axis
    )
    ignored_classes = tuple(v for v in ignore if 0 <= v < c)
    if not per_sample:
        cm = _confusion(func, xp, pred, target, weights, c, ignore)
        return Counts.from_confusion_matrix(cm, ignored_classes=ignored_classes)
    n = int(target.shape[0])
    if is_numpy(xp):
        from ioukit.kernels.counting import confusion_rows

        tp, ps, ts, bad_p, bad_t = confusion_rows(
            np.reshape(pred, (n, -1)), np.reshape(target, (n, -1)), c, ignore
        )
        if bad_p or bad_t:
            _range_error(func, xp, pred, target, c, ignore)
    else:
        valid = _xp_check_range(func, xp, pred, target, c, ignore)
        t = xp.reshape(xp.astype(target, xp.int64), (n, -1))
        p = xp.reshape(xp.astype(pred, xp.int64), (n, -1))
        valid = xp.reshape(valid, (n, -1))
        row = xp.reshape(xp.arange(n, dtype=xp.int64, device=device_of(t)), (n, 1)) * c
        sink = xp.full_like(t, n * c)

        def per_row(bins: Array, mask: Array) -> Array:
            flat = xp.reshape(xp.where(mask, row + bins, sink), (-1,))
            return xp.reshape(bincount(xp, flat, n * c + 1)[: n * c], (n, c))

        tp = per_row(t, valid & (t == p))
        ps = per_row(p, valid)
        ts = per_row(t, valid)
    nv = xp.sum(ts, axis=1, keepdims=True)
    return _assemble(
        tp,
        ps,
        ts,
        nv,
        task="multiclass",
        per_sample=True,
        weights=weights,
        ignored_classes=ignored_classes,
    )
