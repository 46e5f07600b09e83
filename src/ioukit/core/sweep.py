"""Exact threshold sweeps: counts at every threshold from one sort.

A binary target and real scores give, for every threshold ``t``, the prediction
``scores >= t`` (ioukit's ``threshold=`` convention) and its tp/fp/fn/tn. Sorting the scores once
and accumulating the labels in that order yields these counts at *every* distinct score value
at once; a fixed grid of thresholds needs no sort at all, only one bucketing pass. Scores are
computed from the counts by :mod:`ioukit.core.reduce`.

NumPy input on the CPU uses numba kernels (no index array is sorted: the scores of positives
and of negatives are value-sorted separately and merged); every other Array API library
(PyTorch on CPU or CUDA, …) uses its own ``argsort`` / ``cumulative_sum`` / ``searchsorted`` and
stays on its device.

:func:`precision_recall_curve` and :func:`roc_curve` are twins of scikit-learn's functions: same
signature, defaults, return values, numbers and warnings.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from numbers import Integral
from typing import Any, Literal

import numpy as np

from ioukit._errors import InputError, ParameterError, UndefinedMetricWarning
from ioukit._xp import (
    Array,
    bincount,
    comparable_labels,
    describe_values,
    device_of,
    is_numpy,
    namespace,
    safe_divide,
    to_numpy,
)
from ioukit.core import reduce
from ioukit.core._checks import check_nonempty, check_sample_weight, is_floating, is_integer_like
from ioukit.core.counts import Counts

__all__ = [
    "Sweep",
    "best_threshold",
    "best_thresholds",
    "jaccard_curve",
    "precision_recall_curve",
    "roc_curve",
    "threshold_sweep",
]

Metric = Literal["jaccard", "dice", "f1", "precision", "recall"]
METRICS = ("jaccard", "dice", "f1", "precision", "recall")


@cache
def _jit() -> Any:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_sweep as k

    return k


@dataclass(frozen=True, eq=False)
class Sweep:
    """Counts of a binary prediction at many thresholds.

    Attributes
    ----------
    thresholds : Array
        ``(T,)`` float64, strictly decreasing. At ``thresholds[i]`` the prediction is
        ``scores >= thresholds[i]``.
    counts : Counts
        ``task="binary"`` counts whose ``T`` "classes" are the thresholds: ``tp``, ``fp``,
        ``fn``, ``tn`` of shape ``(T,)`` (int64; float64 with ``sample_weight``). So
        ``reduce.jaccard(sweep.counts, average="none")`` is the Jaccard curve.
    """

    thresholds: Array
    counts: Counts

    def __len__(self) -> int:
        return int(self.thresholds.shape[0])


# ------------------------------------------------------------------------------------ validation


def _prepare(
    func: str, target: Any, scores: Any, sample_weight: Any
) -> tuple[Any, Array, Array, Array | None]:
    """Flattened (target, scores, per-element weights or None) after validation."""
    xp, (target, scores, sample_weight) = namespace(target, scores, sample_weight, func=func)
    if tuple(target.shape) != tuple(scores.shape):
        raise InputError(
            f"{func}: `target` and `scores` must have the same shape; got {tuple(target.shape)} "
            f"and {tuple(scores.shape)}."
        )
    check_nonempty(func, target)
    if not (is_integer_like(xp, target) or is_floating(xp, target)):
        raise InputError(
            f"{func}: `target` must hold 0/1 labels (bool, integer or floating dtype); got dtype "
            f"{target.dtype}."
        )
    if not (is_floating(xp, scores) or is_integer_like(xp, scores)):
        raise InputError(f"{func}: `scores` must be real numbers; got dtype {scores.dtype}.")
    weights = None
    if sample_weight is not None:
        shape = tuple(target.shape)
        n = shape[0] if shape else 1
        w = check_sample_weight(func, xp, sample_weight, n)
        w = xp.reshape(w, (n,) + (1,) * max(len(shape) - 1, 0))
        weights = xp.reshape(xp.broadcast_to(w, shape if shape else (1,)), (-1,))
    t = xp.reshape(target, (-1,))
    s = xp.reshape(scores, (-1,))
    if is_numpy(xp):
        t = np.ascontiguousarray(t)
        t = t.view(np.uint8) if t.dtype == np.bool_ else t
        s = np.ascontiguousarray(s)
        s = s.view(np.uint8) if s.dtype == np.bool_ else s
    else:
        t = comparable_labels(xp, t)
        if s.dtype == xp.bool:
            s = xp.astype(s, xp.uint8)
    return xp, t, s, weights


def _bad_target(func: str, t: Array) -> InputError:
    values = to_numpy(t)
    bad = values[(values != 0) & (values != 1)]
    return InputError(
        f"{func}: `target` must contain only 0 and 1; got {bad.size} element(s) with other values "
        f"{describe_values(bad)}. Binarise it first (e.g. target == positive_class)."
    )


def _nan_scores(func: str, n_nan: int) -> InputError:
    return InputError(
        f"{func}: `scores` must not contain NaN; got {n_nan} NaN value(s). A NaN score is "
        "neither above nor below any threshold; fix or drop those elements."
    )


def _check_xp_values(func: str, xp: Any, t: Array, s: Array) -> None:
    if bool(xp.any((t != 0) & (t != 1))):
        raise _bad_target(func, t)
    if is_floating(xp, s):
        n_nan = int(xp.sum(xp.astype(xp.isnan(s), xp.int64)))
        if n_nan:
            raise _nan_scores(func, n_nan)


def _check_grid(func: str, grid: object) -> np.ndarray[Any, Any]:
    """int >= 2 -> linspace(0, 1, grid); a 1-D sequence of finite numbers -> sorted unique."""
    if isinstance(grid, Integral) and not isinstance(grid, bool):
        if grid < 2:
            raise ParameterError(
                f"{func}: an integer `grid` is the number of thresholds in [0, 1] and must be at "
                f"least 2; got {grid!r}."
            )
        return np.linspace(0.0, 1.0, int(grid))
    try:
        g = np.asarray(to_numpy(grid) if hasattr(grid, "shape") else grid, dtype=np.float64)
    except (TypeError, ValueError):
        g = None
    if g is None or g.ndim != 1 or g.size == 0 or not np.all(np.isfinite(g)):
        raise ParameterError(
            f"{func}: `grid` must be None, an integer >= 2 or a non-empty 1-D sequence of finite "
            f"thresholds; got {grid!r}."
        )
    return np.unique(g)


# ----------------------------------------------------------------------------------------- sweeps


def _exact_numpy(func: str, t: Array, s: Array) -> tuple[Array, Array, Array]:
    """(thresholds decreasing in the dtype of ``s``, tp, fp) at every distinct score."""
    k = _jit()
    buf, n_pos, n_nan, n_bad = k.split(s, t)
    if n_bad:
        raise _bad_target(func, t)
    if n_nan:
        raise _nan_scores(func, int(n_nan))
    pos = buf[:n_pos]
    neg = buf[n_pos:]
    pos.sort()
    neg.sort()
    return k.merge(pos, neg)  # type: ignore[no-any-return]


def _exact_xp(
    xp: Any, t: Array, s: Array, w: Array | None, stable: bool = False
) -> tuple[Array, Array, Array]:
    """Sort-once sweep in any namespace: (thresholds decreasing, tp, fp)."""
    order = xp.argsort(s, descending=True, stable=stable)
    ss = xp.take(s, order)
    ts = xp.astype(xp.take(t, order), xp.float64 if w is not None else xp.int64)
    n = int(ss.shape[0])
    dev = device_of(ss)
    change = xp.nonzero(ss[1:] != ss[:-1])[0]
    idx = xp.concat([xp.astype(change, xp.int64), xp.asarray([n - 1], dtype=xp.int64, device=dev)])
    if w is None:
        tp = xp.take(xp.cumulative_sum(ts), idx)
        fp = idx + 1 - tp
    else:
        ws = xp.take(w, order)
        tp = xp.take(xp.cumulative_sum(ts * ws, dtype=xp.float64), idx)
        fp = xp.take(xp.cumulative_sum((1 - ts) * ws, dtype=xp.float64), idx)
    return xp.take(ss, idx), tp, fp


def _grid_counts(
    func: str, xp: Any, t: Array, s: Array, w: Array | None, g: np.ndarray[Any, Any]
) -> tuple[Array, Array, Array, Array]:
    """(tp, fp, positives, negatives) at the ascending grid ``g``, from one bucketing pass."""
    size = int(g.size)
    if is_numpy(xp) and w is None:
        span = g[-1] - g[0]
        uniform = g.size > 1 and bool(
            np.all(np.abs(np.diff(g) - span / (g.size - 1)) <= 1e-9 * span)
        )
        hist, n_nan, n_bad = _jit().grid_hist(s, t, g, uniform)
        if n_bad:
            raise _bad_target(func, t)
        if n_nan:
            raise _nan_scores(func, int(n_nan))
    else:
        _check_xp_values(func, xp, t, s)
        dev = device_of(s)
        gx = xp.asarray(g, dtype=xp.float64, device=dev)
        bucket = xp.searchsorted(gx, xp.astype(s, xp.float64), side="right")
        cells = xp.astype(bucket, xp.int64) + (size + 1) * xp.astype(t, xp.int64)
        hist = xp.reshape(bincount(xp, cells, 2 * (size + 1), weights=w), (2, size + 1))
    # prediction at g[k] is "bucket > k": the counts above k, i.e. a reversed cumulative sum
    above = xp.flip(xp.cumulative_sum(xp.flip(hist, axis=1), axis=1), axis=1)
    return above[1, 1:], above[0, 1:], above[1, 0], above[0, 0]


def _sweep(
    func: str, target: Any, scores: Any, grid: object, sample_weight: Any, stable: bool = False
) -> tuple[Any, Sweep]:
    xp, t, s, w = _prepare(func, target, scores, sample_weight)
    if grid is not None:
        g = _check_grid(func, grid)
        tp, fp, n_pos, n_neg = _grid_counts(func, xp, t, s, w, g)
        thr = xp.asarray(g[::-1].copy(), dtype=xp.float64, device=device_of(s))
        tp, fp = xp.flip(tp), xp.flip(fp)
    else:
        if is_numpy(xp) and w is None:
            thr, tp, fp = _exact_numpy(func, t, s)
        else:
            _check_xp_values(func, xp, t, s)
            thr, tp, fp = _exact_xp(xp, t, s, w, stable)
        thr = xp.astype(thr, xp.float64)
        n_pos, n_neg = tp[-1], fp[-1]  # the lowest threshold predicts everything
    counts = Counts(tp, fp, n_pos - tp, n_neg - fp, task="binary")
    return xp, Sweep(thr, counts)


def threshold_sweep(
    target: Array,
    scores: Array,
    *,
    grid: int | Sequence[float] | Array | None = None,
    sample_weight: Array | None = None,
) -> Sweep:
    """Exact tp/fp/fn/tn at every threshold, from one sort of the scores.

    Parameters
    ----------
    target : Array, any shape
        Binary labels: bool, or integers / floats holding only 0 and 1.
    scores : Array, same shape as ``target``
        Real scores (probabilities, logits, …); NaN is an error. Flattened with ``target``.
    grid : int or 1-D sequence of float, optional
        ``None`` (default): every distinct score value is a threshold (the exact curve).
        An integer ``G``: the ``G`` evenly spaced thresholds ``linspace(0, 1, G)`` (as
        torchmetrics' ``thresholds=G``). A sequence: those thresholds (sorted, duplicates
        removed). Grid counts come from one bucketing pass over the data (no loop over
        thresholds); scores are compared with the float64 thresholds exactly.
    sample_weight : Array of shape (N,), optional
        Non-negative weight of each sample (first axis), applied to all its elements; counts
        become float64 weighted sums.

    Returns
    -------
    Sweep
        ``thresholds`` ``(T,)`` float64 decreasing and ``counts`` with ``(T,)`` arrays: at
        ``thresholds[i]``, the counts of the prediction ``scores >= thresholds[i]``. Results
        are in the namespace and on the device of the input.

    Notes
    -----
    The counts at thresholds ``t`` are those of ``binary_counts(scores >= t, target)``. The
    exact sweep costs one value sort of the scores (NumPy) or one ``argsort`` (other libraries).

    Examples
    --------
    >>> import numpy as np
    >>> sw = threshold_sweep(np.array([0, 1, 1, 0, 1]), np.array([0.1, 0.8, 0.4, 0.4, 0.9]))
    >>> sw.thresholds.tolist()
    [0.9, 0.8, 0.4, 0.1]
    >>> sw.counts.tp.tolist(), sw.counts.fp.tolist()  # at 0.4: {0.9, 0.8, 0.4, 0.4} predicted
    ([1, 2, 3, 3], [0, 0, 1, 2])
    >>> sw.counts.fn.tolist(), sw.counts.tn.tolist()
    ([2, 1, 0, 0], [2, 2, 1, 0])
    """
    return _sweep("threshold_sweep", target, scores, grid, sample_weight)[1]


def jaccard_curve(
    target: Array,
    scores: Array,
    *,
    grid: int | Sequence[float] | Array | None = None,
    sample_weight: Array | None = None,
) -> tuple[Array, Array]:
    """Jaccard index of ``scores >= t`` against ``target`` at every threshold ``t``.

    Arguments as in :func:`threshold_sweep`. Returns ``(thresholds, jaccard)``, both ``(T,)``
    float64, thresholds decreasing; ``J = tp / (tp + fp + fn)``, NaN where 0/0 (no target
    positive and nothing predicted, possible only on a grid above every score).

    Examples
    --------
    >>> import numpy as np
    >>> thr, j = jaccard_curve(np.array([0, 1, 1, 0, 1]), np.array([0.1, 0.8, 0.4, 0.4, 0.9]))
    >>> j.round(4).tolist()  # 1/3, 2/3, 3/4, 3/5
    [0.3333, 0.6667, 0.75, 0.6]
    """
    sw = threshold_sweep(target, scores, grid=grid, sample_weight=sample_weight)
    return sw.thresholds, reduce.jaccard(sw.counts, average="none")


def _metric(func: str, metric: object, counts: Counts) -> Array:
    if metric == "jaccard":
        return reduce.jaccard(counts, average="none")
    if metric in ("dice", "f1"):
        return reduce.dice(counts, average="none")
    if metric == "precision":
        return reduce.precision(counts, average="none")
    if metric == "recall":
        return reduce.recall(counts, average="none")
    raise ParameterError(
        f"{func}: `metric` must be one of {', '.join(repr(m) for m in METRICS)}; got {metric!r}."
    )


def _best(xp: Any, thresholds: Array, values: Array) -> tuple[float, float]:
    v = to_numpy(values)
    if np.all(np.isnan(v)):
        return math.nan, math.nan
    i = int(np.nanargmax(v))  # first maximum = the highest threshold among ties
    return float(to_numpy(thresholds)[i]), float(v[i])


def best_threshold(
    target: Array,
    scores: Array,
    *,
    metric: Metric = "jaccard",
    grid: int | Sequence[float] | Array | None = None,
    sample_weight: Array | None = None,
) -> tuple[float, float]:
    """The threshold that maximises a score of ``scores >= threshold`` against ``target``.

    Parameters
    ----------
    target, scores, grid, sample_weight
        As in :func:`threshold_sweep`. Without ``grid`` every distinct score is a candidate,
        so the result is the exact optimum.
    metric : {"jaccard", "dice", "f1", "precision", "recall"}, default "jaccard"
        Score to maximise ("dice" and "f1" are the same score).

    Returns
    -------
    (threshold, score) : tuple of float
        Ties go to the **highest** threshold reaching the maximum (the fewest predicted
        positives). Undefined (0/0) scores never win; ``(nan, nan)`` if all are undefined.

    Examples
    --------
    >>> import numpy as np
    >>> best_threshold(np.array([0, 1, 1, 0, 1]), np.array([0.1, 0.8, 0.4, 0.4, 0.9]))
    (0.4, 0.75)
    """
    func = "best_threshold"
    xp, sw = _sweep(func, target, scores, grid, sample_weight)
    return _best(xp, sw.thresholds, _metric(func, metric, sw.counts))


def best_thresholds(
    target: Array,
    scores: Array,
    *,
    axis: int = 1,
    metric: Metric = "jaccard",
    grid: int | Sequence[float] | Array | None = None,
) -> tuple[Array, Array]:
    """One best threshold per label / channel: :func:`best_threshold` along ``axis``.

    Parameters
    ----------
    target : Array
        Binary (0/1 or bool) labels, e.g. multilabel ``(N, L)`` or one-hot / binary masks
        ``(N, C, H, W)``.
    scores : Array, same shape
        Per-label / per-pixel scores (probabilities, logits).
    axis : int, default 1
        The label / channel axis: each of its ``K`` entries gets its own threshold, computed
        over all the other axes together.
    metric, grid
        As in :func:`best_threshold` (same tie rule).

    Returns
    -------
    (thresholds, scores) : tuple of Array
        Both ``(K,)`` float64, in the namespace and on the device of the input.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([[1, 0], [1, 1], [0, 1]])
    >>> s = np.array([[0.9, 0.2], [0.6, 0.3], [0.5, 0.7]])
    >>> thr, best = best_thresholds(t, s, axis=1)
    >>> thr.tolist(), best.tolist()  # label 0: >= 0.6 gives {0.9, 0.6}; label 1: >= 0.3
    ([0.6, 0.3], [1.0, 1.0])
    """
    func = "best_thresholds"
    xp, (target, scores) = namespace(target, scores, func=func)
    if tuple(target.shape) != tuple(scores.shape):
        raise InputError(
            f"{func}: `target` and `scores` must have the same shape; got {tuple(target.shape)} "
            f"and {tuple(scores.shape)}."
        )
    ndim = int(target.ndim)
    if isinstance(axis, bool) or not isinstance(axis, Integral) or not -ndim <= axis < ndim:
        raise ParameterError(
            f"{func}: `axis` must be an axis of `target` (ndim {ndim}); got {axis!r}."
        )
    a = int(axis) % ndim
    k = int(target.shape[a])
    t2 = xp.reshape(xp.moveaxis(target, a, -1), (-1, k))
    s2 = xp.reshape(xp.moveaxis(scores, a, -1), (-1, k))
    thr = np.full(k, math.nan)
    best = np.full(k, math.nan)
    for c in range(k):
        _, sw = _sweep(func, t2[:, c], s2[:, c], grid, None)
        thr[c], best[c] = _best(xp, sw.thresholds, _metric(func, metric, sw.counts))
    dev = device_of(target)
    return xp.asarray(thr, device=dev), xp.asarray(best, device=dev)


# ------------------------------------------------------------------------ scikit-learn twins


def _twin_prepare(
    func: str, y_true: Any, y_score: Any, pos_label: Any, sample_weight: Any
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any] | None]:
    """scikit-learn's input rules: (y == pos_label as int32, scores, weights or None)."""
    yt = np.asarray(to_numpy(y_true) if hasattr(y_true, "shape") else y_true)
    ys = np.asarray(to_numpy(y_score) if hasattr(y_score, "shape") else y_score)
    arrays = [yt, ys]
    sw = None
    if sample_weight is not None:
        sw = np.asarray(
            to_numpy(sample_weight) if hasattr(sample_weight, "shape") else sample_weight
        )
        arrays.append(sw)
    lengths = [int(a.shape[0]) if a.ndim else 1 for a in arrays]
    if len(set(lengths)) > 1:
        raise InputError(
            f"{func}: Found input variables with inconsistent numbers of samples: {lengths}."
        )
    for name, a in (("y_true", yt), ("y_score", ys)):
        if not (a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1)):
            raise InputError(
                f"{func}: `{name}` must be 1-D of shape (n_samples,); got shape {a.shape}. "
                "(Multilabel and multiclass curves are computed one column at a time.)"
            )
    yt, ys = yt.reshape(-1), ys.reshape(-1)
    if yt.size == 0:
        raise InputError(f"{func}: `y_true` is empty; there is no curve to compute.")
    if ys.dtype.kind not in "biuf":
        raise InputError(f"{func}: `y_score` must be numeric; got dtype {ys.dtype}.")
    for name, a in (("y_true", yt), ("y_score", ys)):
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise InputError(
                f"{func}: Input {name} contains NaN or infinity; scikit-learn rejects "
                "non-finite values here too."
            )
    classes = np.unique(yt)
    if yt.dtype.kind == "f" and np.any(classes != np.floor(classes)):
        raise InputError(f"{func}: continuous format is not supported")
    if classes.size > 2 and pos_label is None:
        raise InputError(f"{func}: multiclass format is not supported")
    if pos_label is None:
        ok = yt.dtype.kind not in "OUS" and any(
            classes.size == len(ref) and np.all(classes == np.asarray(ref))
            for ref in ([0, 1], [-1, 1], [0], [-1], [1])
        )
        if not ok:
            shown = ", ".join(repr(c) for c in classes.tolist())
            raise InputError(
                f"{func}: y_true takes value in {{{shown}}} and pos_label is not specified: "
                "either make y_true take value in {0, 1} or {-1, 1} or pass pos_label "
                "explicitly."
            )
        pos_label = 1
    y = np.asarray(yt == pos_label, dtype=np.int32)
    w = None
    if sw is not None:
        w = sw.reshape(-1)
        if w.shape != yt.shape:
            raise InputError(
                f"{func}: `sample_weight` must have shape ({yt.size},); got {sw.shape}."
            )
        w = w.astype(w.dtype if w.dtype in (np.float32, np.float64) else np.float64)
        if not np.any(w != 0):
            raise InputError(
                f"{func}: Sample weights must contain at least one non-zero number; got all "
                "zero weights."
            )
        keep = w != 0  # zero-weight samples take no part, not even as thresholds
        y, ys, w = y[keep], ys[keep], w[keep]
    return y, ys, w


def _twin_counts(
    func: str, y_true: Any, y_score: Any, pos_label: Any, sample_weight: Any
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(fps, tps, thresholds decreasing): scikit-learn's confusion_matrix_at_thresholds."""
    y, ys, w = _twin_prepare(func, y_true, y_score, pos_label, sample_weight)
    if w is None:
        s = ys.view(np.uint8) if ys.dtype == np.bool_ else np.ascontiguousarray(ys)
        thr, tp, fp = _exact_numpy(func, y, s)
        thr = thr.astype(ys.dtype, copy=False)
        return fp.astype(np.float64), tp.astype(np.float64), thr
    import array_api_compat.numpy as cnp

    # weighted sums depend on the summation order: keep scikit-learn's (stable, descending)
    thr, tp, fp = _exact_xp(cnp, y, ys, w, stable=True)
    return np.asarray(fp), np.asarray(tp), np.asarray(thr)


def _ratio(num: np.ndarray[Any, Any], total: np.floating[Any]) -> np.ndarray[Any, Any]:
    return np.asarray(safe_divide(np, num, np.full_like(num, total), math.nan))


def precision_recall_curve(
    y_true: Any,
    y_score: Any,
    *,
    pos_label: Any = None,
    sample_weight: Any = None,
    drop_intermediate: bool = False,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Precision-recall pairs at every threshold; twin of scikit-learn's function.

    Same signature, defaults, values and warnings as
    ``sklearn.metrics.precision_recall_curve`` (1.9), computed from one sort.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, in {0, 1} or {-1, 1} unless ``pos_label`` is given.
    y_score : array-like of shape (n_samples,)
        Scores; higher means more positive.
    pos_label : int, float, bool or str, optional
        The positive class; 1 by default.
    sample_weight : array-like of shape (n_samples,), optional
        Sample weights; zero-weight samples are dropped first.
    drop_intermediate : bool, default False
        Drop thresholds where tp does not change from the previous *and* to the next point.

    Returns
    -------
    precision, recall : ndarray of shape (n_thresholds + 1,)
        At ``thresholds[i]``, of the prediction ``y_score >= thresholds[i]``; the last entries
        are 1 and 0 (no threshold). Precision ``tp / (tp + fp)``; recall ``tp / P``.
    thresholds : ndarray of shape (n_thresholds,)
        Increasing distinct scores, in the dtype of ``y_score``.

    Warns
    -----
    UndefinedMetricWarning
        When ``y_true`` has no positive sample (recall is then 1 everywhere); scikit-learn
        raises a plain ``UserWarning`` with the same message (ours subclasses it).

    Examples
    --------
    >>> import numpy as np
    >>> p, r, t = precision_recall_curve(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> p.round(4).tolist(), r.tolist(), t.tolist()
    ([0.5, 0.6667, 0.5, 1.0, 1.0], [1.0, 1.0, 0.5, 0.5, 0.0], [0.1, 0.35, 0.4, 0.8])
    """
    func = "precision_recall_curve"
    fps, tps, thr = _twin_counts(func, y_true, y_score, pos_label, sample_weight)
    if drop_intermediate and fps.shape[0] > 2:
        keep = np.concatenate([[True], np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), [True]])
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    zeros = np.zeros_like(tps)
    counts = Counts(tps, fps, zeros, zeros, task="binary")
    precision = np.asarray(reduce.precision(counts, average="none", zero_division=0.0))
    if tps[-1] == 0:
        warnings.warn(
            "No positive class found in y_true, recall is set to one for all thresholds.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        recall = np.full(tps.shape, 1.0)
    else:
        recall = _ratio(tps, tps[-1])
    return (
        np.concatenate([precision[::-1], [1.0]]),
        np.concatenate([recall[::-1], [0.0]]),
        thr[::-1].copy(),
    )


def roc_curve(
    y_true: Any,
    y_score: Any,
    *,
    pos_label: Any = None,
    sample_weight: Any = None,
    drop_intermediate: bool = True,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Receiver operating characteristic; twin of scikit-learn's ``roc_curve``.

    Same signature, defaults, values and warnings as ``sklearn.metrics.roc_curve`` (1.9),
    computed from one sort. Arguments as in :func:`precision_recall_curve`;
    ``drop_intermediate`` (default True) drops points collinear with their neighbours (zero
    second difference of both fp and tp).

    Returns
    -------
    fpr, tpr : ndarray
        Increasing false / true positive rates ``fp / N``, ``tp / P`` of
        ``y_score >= thresholds[i]``, starting at (0, 0). NaN (with an
        :class:`UndefinedMetricWarning`) when there is no negative / positive sample.
    thresholds : ndarray of float64
        Decreasing; the first is ``inf`` (nothing predicted positive).

    Examples
    --------
    >>> import numpy as np
    >>> fpr, tpr, t = roc_curve(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> fpr.tolist(), tpr.tolist(), t.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0], [inf, 0.8, 0.4, 0.35, 0.1])
    """
    func = "roc_curve"
    fps, tps, thr = _twin_counts(func, y_true, y_score, pos_label, sample_weight)
    if drop_intermediate and fps.shape[0] > 2:
        keep = np.concatenate([[True], np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), [True]])
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    tps = np.concatenate([[0.0], tps])
    fps = np.concatenate([[0.0], fps])
    thr = np.concatenate([[np.inf], thr.astype(np.float64)])
    if fps[-1] <= 0:
        warnings.warn(
            "No negative samples in y_true, false positive value should be meaningless",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        fpr = np.full(fps.shape, np.nan)
    else:
        fpr = _ratio(fps, fps[-1])
    if tps[-1] <= 0:
        warnings.warn(
            "No positive samples in y_true, true positive value should be meaningless",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        tpr = np.full(tps.shape, np.nan)
    else:
        tpr = _ratio(tps, tps[-1])
    return fpr, tpr, thr
