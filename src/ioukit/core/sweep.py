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

Data arguments are ``(scores, target)``. scikit-learn's ``precision_recall_curve`` and
``roc_curve`` twins, built on :func:`sort_sweep` and :func:`ioukit.kernels.sweep.exact`, are in
:mod:`ioukit.sklearn`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any, Literal

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit._xp import (
    Array,
    bincount,
    comparable_labels,
    describe_values,
    device_of,
    is_numpy,
    namespace,
    to_numpy,
)
from ioukit.core import reduce
from ioukit.core._checks import check_nonempty, check_sample_weight, is_floating, is_integer_like
from ioukit.core.counts import Counts
from ioukit.kernels import sweep as kernels

__all__ = ["Sweep", "best_threshold", "best_thresholds", "jaccard_curve", "threshold_sweep"]

Metric = Literal["jaccard", "dice", "f1", "precision", "recall"]
METRICS = ("jaccard", "dice", "f1", "precision", "recall")


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

    def __repr__(self) -> str:
        """One line, however many thresholds (the arrays are the attributes).

        >>> import numpy as np
        >>> threshold_sweep(np.array([0.9, 0.2, 0.6, 0.6]), np.array([1, 0, 1, 0]))
        Sweep(3 thresholds from 0.9 to 0.2; 2 positives of 4; int64 counts, numpy)
        """
        n = len(self)
        t = to_numpy(self.thresholds)
        span = f"from {t[0]:.4g} to {t[-1]:.4g}" if n else "none"
        c = self.counts
        if n:
            positives = to_numpy(c.tp[:1] + c.fn[:1])[0]
            total = positives + to_numpy(c.fp[:1] + c.tn[:1])[0]
            mass = f"; {positives:g} positives of {total:g}"
        else:
            mass = ""
        library = type(self.thresholds).__module__.split(".")[0]
        dtype = str(getattr(c.tp, "dtype", "")).replace("torch.", "")
        return f"Sweep({n} thresholds {span}{mass}; {dtype} counts, {library})"


# ------------------------------------------------------------------------------------ validation


def _check_same_shape(func: str, scores: Any, target: Any) -> None:
    if tuple(target.shape) != tuple(scores.shape):
        raise InputError(
            f"{func}: `target` and `scores` must have the same shape; got {tuple(target.shape)} "
            f"and {tuple(scores.shape)}."
        )


def _prepare(
    func: str, scores: Any, target: Any, sample_weight: Any
) -> tuple[Any, Array, Array, Array | None]:
    """(namespace, flat scores, flat target, per-element weights or None) after validation."""
    xp, (scores, target, sample_weight) = namespace(scores, target, sample_weight, func=func)
    _check_same_shape(func, scores, target)
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
    return xp, s, t, weights


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


def _check_counted(func: str, t: Array, n_nan: int, n_bad: int) -> None:
    """Raise for the bad values a NumPy kernel counted (target first, as the other paths)."""
    if n_bad:
        raise _bad_target(func, t)
    if n_nan:
        raise _nan_scores(func, n_nan)


def _check_xp_values(func: str, xp: Any, s: Array, t: Array) -> None:
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


def sort_sweep(
    xp: Any, s: Array, t: Array, w: Array | None, *, stable: bool = False
) -> tuple[Array, Array, Array]:
    """Sort-once sweep of flat scores ``s`` and 0/1 labels ``t`` in any namespace:
    (thresholds decreasing, tp, fp), int64 counts or float64 sums of the weights ``w``.

    ``stable=True`` keeps tied scores in data order, so that weighted sums are added in
    scikit-learn's order (used by the :mod:`ioukit.sklearn` curve twins).
    """
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
    func: str, xp: Any, s: Array, t: Array, w: Array | None, g: np.ndarray[Any, Any]
) -> tuple[Array, Array, Array, Array]:
    """(tp, fp, positives, negatives) at the ascending grid ``g``, from one bucketing pass."""
    size = int(g.size)
    if is_numpy(xp) and w is None:
        hist, n_nan, n_bad = kernels.grid_hist(s, t, g)
        _check_counted(func, t, n_nan, n_bad)
    else:
        _check_xp_values(func, xp, s, t)
        dev = device_of(s)
        gx = xp.asarray(g, dtype=xp.float64, device=dev)
        bucket = xp.searchsorted(gx, xp.astype(s, xp.float64), side="right")
        cells = xp.astype(bucket, xp.int64) + (size + 1) * xp.astype(t, xp.int64)
        hist = xp.reshape(bincount(xp, cells, 2 * (size + 1), weights=w), (2, size + 1))
    # prediction at g[k] is "bucket > k": the counts above k, i.e. a reversed cumulative sum
    above = xp.flip(xp.cumulative_sum(xp.flip(hist, axis=1), axis=1), axis=1)
    return above[1, 1:], above[0, 1:], above[1, 0], above[0, 0]


def _sweep(
    func: str, scores: Any, target: Any, grid: object, sample_weight: Any
) -> tuple[Any, Sweep]:
    xp, s, t, w = _prepare(func, scores, target, sample_weight)
    if grid is not None:
        g = _check_grid(func, grid)
        tp, fp, n_pos, n_neg = _grid_counts(func, xp, s, t, w, g)
        thr = xp.asarray(g[::-1].copy(), dtype=xp.float64, device=device_of(s))
        tp, fp = xp.flip(tp), xp.flip(fp)
    else:
        if is_numpy(xp) and w is None:
            thr, tp, fp, n_nan, n_bad = kernels.exact(s, t)
            _check_counted(func, t, n_nan, n_bad)
        else:
            _check_xp_values(func, xp, s, t)
            thr, tp, fp = sort_sweep(xp, s, t, w)
        thr = xp.astype(thr, xp.float64)
        n_pos, n_neg = tp[-1], fp[-1]  # the lowest threshold predicts everything
    counts = Counts(tp, fp, n_pos - tp, n_neg - fp, task="binary")
    return xp, Sweep(thr, counts)


def threshold_sweep(
    scores: Array,
    target: Array,
    *,
    grid: int | Sequence[float] | Array | None = None,
    sample_weight: Array | None = None,
) -> Sweep:
    """Exact tp/fp/fn/tn at every threshold, from one sort of the scores.

    Parameters
    ----------
    scores : Array, any shape
        Real scores (probabilities, logits, …); NaN is an error. Flattened with ``target``.
    target : Array, same shape as ``scores``
        Binary labels: bool, or integers / floats holding only 0 and 1.
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
    >>> sw = threshold_sweep(np.array([0.1, 0.8, 0.4, 0.4, 0.9]), np.array([0, 1, 1, 0, 1]))
    >>> sw.thresholds.tolist()
    [0.9, 0.8, 0.4, 0.1]
    >>> sw.counts.tp.tolist(), sw.counts.fp.tolist()  # at 0.4: {0.9, 0.8, 0.4, 0.4} predicted
    ([1, 2, 3, 3], [0, 0, 1, 2])
    >>> sw.counts.fn.tolist(), sw.counts.tn.tolist()
    ([2, 1, 0, 0], [2, 2, 1, 0])
    """
    return _sweep("threshold_sweep", scores, target, grid, sample_weight)[1]


def jaccard_curve(
    scores: Array,
    target: Array,
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
    >>> thr, j = jaccard_curve(np.array([0.1, 0.8, 0.4, 0.4, 0.9]), np.array([0, 1, 1, 0, 1]))
    >>> j.round(4).tolist()  # 1/3, 2/3, 3/4, 3/5
    [0.3333, 0.6667, 0.75, 0.6]
    """
    sw = threshold_sweep(scores, target, grid=grid, sample_weight=sample_weight)
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
    scores: Array,
    target: Array,
    *,
    metric: Metric = "jaccard",
    grid: int | Sequence[float] | Array | None = None,
    sample_weight: Array | None = None,
) -> tuple[float, float]:
    """The threshold that maximises a score of ``scores >= threshold`` against ``target``.

    Parameters
    ----------
    scores, target, grid, sample_weight
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
    >>> best_threshold(np.array([0.1, 0.8, 0.4, 0.4, 0.9]), np.array([0, 1, 1, 0, 1]))
    (0.4, 0.75)
    """
    func = "best_threshold"
    xp, sw = _sweep(func, scores, target, grid, sample_weight)
    return _best(xp, sw.thresholds, _metric(func, metric, sw.counts))


def best_thresholds(
    scores: Array,
    target: Array,
    *,
    axis: int = 1,
    metric: Metric = "jaccard",
    grid: int | Sequence[float] | Array | None = None,
) -> tuple[Array, Array]:
    """One best threshold per label / channel: :func:`best_threshold` along ``axis``.

    Parameters
    ----------
    scores : Array
        Per-label / per-pixel scores (probabilities, logits), e.g. multilabel ``(N, L)`` or
        per-class maps ``(N, C, H, W)``.
    target : Array, same shape
        Binary (0/1 or bool) labels, e.g. multilabel indicators or one-hot / binary masks.
    axis : int, default 1
        The label / channel axis: each of its ``K`` entries gets its own threshold, computed
        over all the other axes together.
    metric, grid
        As in :func:`best_threshold` (same tie rule).

    Returns
    -------
    (thresholds, best) : tuple of Array
        The best threshold and its score per entry of ``axis``; both ``(K,)`` float64, in
        the namespace and on the device of the input.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([[1, 0], [1, 1], [0, 1]])
    >>> s = np.array([[0.9, 0.2], [0.6, 0.3], [0.5, 0.7]])
    >>> thr, best = best_thresholds(s, t, axis=1)
    >>> thr.tolist(), best.tolist()  # label 0: >= 0.6 gives {0.9, 0.6}; label 1: >= 0.3
    ([0.6, 0.3], [1.0, 1.0])
    """
    func = "best_thresholds"
    xp, (scores, target) = namespace(scores, target, func=func)
    _check_same_shape(func, scores, target)
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
        _, sw = _sweep(func, s2[:, c], t2[:, c], grid, None)
        thr[c], best[c] = _best(xp, sw.thresholds, _metric(func, metric, sw.counts))
    dev = device_of(target)
    return xp.asarray(thr, device=dev), xp.asarray(best, device=dev)
