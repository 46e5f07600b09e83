"""scikit-learn's target logic: ``type_of_target``, ``_check_targets``, ``unique_labels`` and the
label encoder, for the twins in :mod:`ioukit.sklearn`.

:class:`_Y` holds one target and answers, in ``type_of_target``'s order, what kind it is; numeric
labels with a small range are counted by value in one pass (:func:`_joint_hist`) instead of
being sorted, and the type checks read those counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ioukit.kernels import sklearn as kernels
from ioukit.sklearn._params import _is_sparse
from ioukit.sklearn._validation import (
    _as_array,
    _assert_finite,
    _check_lengths,
    _check_sample_weight,
    _column_or_1d,
    _integral_floats,
    _no_complex,
    _num_samples,
)

NDArray = npt.NDArray[Any]

# Numeric labels spanning at most this many values are counted by value (no sorting).
_SPAN_MAX = 1 << 20
# ... and at most this many with one fused confusion-matrix pass.
_SPAN_KERNEL = 256


def _all01(y: NDArray) -> bool:
    """Whether the numeric array ``y`` holds only 0 and 1 (one vectorised pass)."""
    if y.dtype == np.bool_ or y.size == 0:
        return True
    if y.dtype.kind in "iu":  # negative values are large once read as unsigned
        return int(y.view(f"u{y.dtype.itemsize}").max()) <= 1
    return bool(np.all((y == 0) | (y == 1)))


def _bincount_unique(a: NDArray) -> NDArray | None:
    """``np.unique(a)`` of a small-range integer or bool array by counting, else ``None``."""
    flat = a.reshape(-1)
    if flat.dtype == np.bool_:
        flat = flat.view(np.uint8)
    lo, hi = int(flat.min()), int(flat.max())
    span = hi - lo + 1
    if span > max(4096, flat.size) or span > _SPAN_MAX or hi >= 2**63:
        return None
    counts = np.bincount(_shifted(flat, lo), minlength=span)
    return (np.flatnonzero(counts) + lo).astype(a.dtype)


def _shifted(a: NDArray, lo: int) -> NDArray:
    """``a - lo`` as a non-negative integer array that bincount and the kernels take."""
    if lo == 0 and a.dtype in (np.uint8, np.int32, np.int64):
        return a
    return np.subtract(a, lo, dtype=np.int64, casting="unsafe")


class _Y:
    """One target (``y_true`` or ``y_pred``): the array, its scikit-learn type, its labels."""

    def __init__(self, raw: Any, name: str, array: Any = None) -> None:
        self.raw = raw
        self.name = name
        self.arr = _as_array(raw) if array is None else array
        self.sparse = _is_sparse(self.arr)
        self._unique: NDArray | None = None
        self._inverse: NDArray | None = None
        self._kind: str | None = None
        self.integral: bool | None = None  # floats: every value an integer (None: not checked)
        self.only01 = False  # known to hold only 0 and 1

    # The steps of scikit-learn's type_of_target, in its order.

    def unique(self) -> NDArray:
        """``np.unique`` of the values (counted, not sorted, for small-range integers)."""
        if self._unique is None:
            a = self.arr.toarray() if self.sparse else self.arr
            u = None
            if isinstance(a, np.ndarray) and a.dtype.kind in "biu" and a.size >= 1024:
                u = _bincount_unique(a)
            if u is not None:
                self._unique = u
            elif a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1):
                self._unique, inverse = np.unique(a.reshape(-1), return_inverse=True)
                self._inverse = inverse.reshape(-1)
            else:
                self._unique = np.unique(a)
        return self._unique

    def unique_inverse(self) -> tuple[NDArray, NDArray]:
        """The distinct values of a 1-d target and the index of each sample's value in them."""
        uniq = self.unique()
        if self._inverse is None:
            self._inverse = np.searchsorted(uniq, self.arr.reshape(-1))
        return uniq, self._inverse

    def set_unique(self, values: NDArray) -> None:
        self._unique = values

    def float_check(self) -> bool:
        """For floating arrays: whether all values are integers; raises on NaN/inf if not."""
        if self.integral is None:
            a = self.arr
            data = a.data if self.sparse else a
            self.integral = _integral_floats(data)
            if not self.integral:
                _assert_finite(data, self.name)
        return self.integral

    def is_multilabel(self) -> bool:
        y = self.arr
        if not (hasattr(y, "shape") and y.ndim == 2 and y.shape[1] > 1):
            return False
        if self.only01:
            return True
        if self.sparse:
            if y.format in ("dok", "lil"):
                y = y.tocsr()
            labels = np.unique(y.data)
            integral = labels.dtype.kind == "f" and _integral_floats(labels)
            return len(y.data) == 0 or (
                (labels.size == 1 or (labels.size == 2 and 0 in labels))
                and (y.dtype.kind in "biu" or integral)
            )
        labels = self.unique()
        return labels.shape[0] < 3 and (
            y.dtype.kind in "biu" or (labels.dtype.kind == "f" and _integral_floats(labels))
        )

    def kind(self) -> str:
        if self._kind is None:
            self._kind = self._type_of_target()
        return self._kind

    def _type_of_target(self) -> str:
        raw, y = self.raw, self.arr
        valid = (
            isinstance(raw, Sequence) or _is_sparse(raw) or hasattr(raw, "__array__")
        ) and not isinstance(raw, str)
        if not valid:
            raise ValueError(f"Expected array-like (array or non-string sequence), got {raw!r}")
        _no_complex(y)
        if self.is_multilabel():
            return "multilabel-indicator"
        first: Any = None
        try:
            first = y[[0], :] if self.sparse else y[0]
        except IndexError:
            pass
        else:
            if isinstance(first, bytes):
                raise TypeError(
                    "Support for labels represented as bytes is not supported. Convert the "
                    "labels to a string or integer format."
                )
            if (
                not hasattr(first, "__array__")
                and isinstance(first, Sequence)
                and not isinstance(first, str)
            ):
                raise ValueError(
                    "You appear to be using a legacy multi-label data representation. "
                    "Sequence of sequences are no longer supported; use a binary array or "
                    "sparse matrix instead - the MultiLabelBinarizer transformer can convert "
                    "to this format."
                )
        if y.ndim not in (1, 2):
            return "unknown"
        if not min(y.shape):
            return "binary" if y.ndim == 1 else "unknown"
        if not self.sparse and y.dtype == object and not isinstance(y.flat[0], str):
            return "unknown"
        suffix = "-multioutput" if y.ndim == 2 and y.shape[1] > 1 else ""
        if y.dtype.kind == "f" and not self.float_check():
            return "continuous" + suffix
        if self.sparse:
            # np.unique of a sparse matrix sees one object; the first row's stored values count
            several = first is not None and first.data.shape[0] > 1
            return "multiclass" + suffix if several else "binary"
        if self.unique().shape[0] > 2 or (y.ndim == 2 and y.shape[1] > 1):
            return "multiclass" + suffix
        return "binary"


# ----------------------------------------------------------------------- 1-d label counts


@dataclass
class _Hist:
    """Counts by value of two integer-valued label arrays whose values lie in [lo, lo+span)."""

    lo: int
    span: int
    t: NDArray  # y_true - lo
    p: NDArray  # y_pred - lo
    cm: NDArray | None  # (span, span) int64 counts, rows = y_true, when span is small
    true: NDArray  # int64 count of each value in y_true
    pred: NDArray
    _tp: NDArray | None = None

    @property
    def tp(self) -> NDArray:
        if self._tp is None:
            if self.cm is not None:
                self._tp = np.diagonal(self.cm).copy()
            else:
                same = self.t == self.p
                self._tp = np.bincount(self.t[same], minlength=self.span)
        return self._tp

    def bins(self, values: NDArray) -> tuple[NDArray, NDArray]:
        """Bin of each label value, and whether the value occurs in the data's range at all."""
        v = np.asarray(values)
        with np.errstate(invalid="ignore", over="ignore"):
            if v.dtype.kind == "f":
                ok = np.isfinite(v) & (np.floor(v) == v) & (np.abs(v) < 2.0**62)
                iv = np.where(ok, v, 0).astype(np.int64)
            elif v.dtype.kind == "u":
                ok = v < np.uint64(2**63)
                iv = np.where(ok, v, 0).astype(np.int64)
            else:
                ok = np.ones(v.shape, dtype=bool)
                iv = v.astype(np.int64)
        b = iv - self.lo
        ok &= (b >= 0) & (b < self.span)
        return np.where(ok, b, 0), ok


def _int_values(y: _Y) -> NDArray | None:
    """The labels of a 1-d numeric target as integers (no copy for integer arrays)."""
    a = y.arr
    if y.sparse or not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf":
        return None
    if a.ndim == 2 and a.shape[1] == 1:
        a = a.reshape(-1)
    if a.ndim != 1 or a.size == 0:
        return None
    if a.dtype.kind == "b":
        return a.view(np.uint8)
    if a.dtype.kind in "iu":
        return a
    if not y.float_check():
        return None
    lo, hi = float(a.min()), float(a.max())
    if not (lo > -(2.0**62) and hi < 2.0**62):
        return None
    if lo <= 0.0 <= hi and np.signbit(a[a == 0]).any():  # -0.0 would print as "-0."
        return None
    return a.astype(np.int64)


def _joint_hist(yt: _Y, yp: _Y) -> _Hist | None:
    """Count both 1-d numeric targets by value in one pass, when their range is small."""
    t = _int_values(yt)
    p = _int_values(yp) if t is not None else None
    if t is None or p is None or t.size != p.size:
        return None
    lo = min(int(t.min()), int(p.min()))
    hi = max(int(t.max()), int(p.max()))
    span = hi - lo + 1
    if span > _SPAN_MAX or span > 4 * t.size + 4096 or hi >= 2**63:
        return None
    if t.dtype != p.dtype or t.dtype not in (np.uint8, np.int32, np.int64):
        t, p = np.subtract(t, lo, dtype=np.int64), np.subtract(p, lo, dtype=np.int64)
    else:
        t, p = _shifted(t, lo), _shifted(p, lo)
    if span <= _SPAN_KERNEL:
        from ioukit.core.counts import multiclass_confusion_matrix

        cm = np.asarray(multiclass_confusion_matrix(p, t, num_classes=span))
        hist = _Hist(lo, span, t, p, cm, cm.sum(axis=1), cm.sum(axis=0))
    else:
        true = np.bincount(t, minlength=span)
        pred = np.bincount(p, minlength=span)
        hist = _Hist(lo, span, t, p, None, true, pred)
    for y, counts in ((yt, hist.true), (yp, hist.pred)):
        y.set_unique((np.flatnonzero(counts) + lo).astype(y.arr.dtype))
    return hist


# --------------------------------------------------------------------------- _check_targets


@dataclass
class _Targets:
    y_type: str
    present: NDArray  # sorted labels present in y_true or y_pred (column indices: multilabel)
    yt: _Y
    yp: _Y
    t1d: Any  # 1-d y_true / y_pred for binary and multiclass targets, else the 2-d arrays
    p1d: Any
    hist: _Hist | None = None
    ml_counts: tuple[NDArray, NDArray, NDArray] | None = None  # per column tp, pred, true


def _union_labels(yt: _Y, yp: _Y) -> NDArray:
    """scikit-learn's ``unique_labels`` of two 1-d targets (mix of strings and numbers: error)."""
    ut, up = yt.unique(), yp.unique()
    if ut.dtype.kind in "biuf" and up.dtype.kind in "biuf":
        extra = up[~np.isin(up, ut)]
        if extra.size == 0:
            return ut
        return np.sort(np.concatenate([ut, extra]), kind="stable")
    labels = set(ut) | set(up)
    if len({isinstance(v, str) for v in labels}) > 1:
        raise ValueError(
            f"Mix of label input types (string and number); Got {np.unique(ut)} and "
            f"{np.unique(up)}."
        )
    return np.asarray(sorted(labels))


def _multilabel_probe(yt: _Y, yp: _Y, columns: bool) -> tuple[NDArray, NDArray, NDArray] | None:
    """For two dense numeric (N, L) arrays: check they hold only 0 and 1 (then both are
    multilabel-indicator) and, with ``columns``, count tp / predicted / true per column."""
    t, p = yt.arr, yp.arr
    if yt.sparse or yp.sparse or not (isinstance(t, np.ndarray) and isinstance(p, np.ndarray)):
        return None
    if t.ndim != 2 or p.shape != t.shape or t.shape[1] < 2 or t.shape[0] == 0:
        return None
    if t.dtype.kind not in "biuf" or p.dtype.kind not in "biuf":
        return None
    counts = None
    if columns:
        from ioukit.core.counts import multilabel_counts

        native = t.dtype == p.dtype and t.dtype in (np.bool_, np.uint8, np.int64)
        if not native:
            # checked here, then counted as uint8 (keeps the kernels' compiled dtypes few)
            if not (_all01(t) and _all01(p)):
                return None
            t, p = kernels.pair01(t, p)
        try:
            c = multilabel_counts(p, t)
        except ValueError:  # a value other than 0 and 1: the general path decides
            return None
        tp = np.asarray(c.tp)
        counts = (tp, np.asarray(c.fp) + tp, np.asarray(c.fn) + tp)
    elif not (_all01(t) and _all01(p)):
        return None
    yt.only01 = yp.only01 = True
    return counts if counts is not None else (np.empty(0), np.empty(0), np.empty(0))


def _check_targets(
    y_true: Any,
    y_pred: Any,
    sample_weight: Any = None,
    *,
    arrays: tuple[Any, Any] | None = None,
    ml_columns: bool = False,
) -> tuple[_Targets, NDArray | None]:
    """scikit-learn's ``_check_targets``: the task type, the labels present, and the checked
    sample weights; same checks in the same order, same errors."""
    _check_lengths(y_true, y_pred, sample_weight)
    a_t, a_p = arrays if arrays is not None else (None, None)
    yt, yp = _Y(y_true, "y_true", a_t), _Y(y_pred, "y_pred", a_p)
    hist = None
    ml = None
    if not (yt.sparse or yp.sparse) and yt.arr.ndim == 2 and yt.arr.shape[1] > 1:
        ml = _multilabel_probe(yt, yp, ml_columns)
    else:
        _no_complex(yt.arr)
        a = yt.arr
        column = a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1)
        if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size and column:
            yt.float_check()  # scikit-learn checks y_true's values before y_pred's
        _no_complex(yp.arr)
        hist = _joint_hist(yt, yp)
    type_true = yt.kind()
    type_pred = yp.kind()
    for raw in (y_true, y_pred):
        if _num_samples(raw) < 1:
            raise ValueError(
                "Found empty input array (e.g., `y_true` or `y_pred`) while a minimum of 1 "
                "sample is required."
            )
    weights = None
    if sample_weight is not None:
        weights = _check_sample_weight(sample_weight, _num_samples(y_true))
    y_types = {type_true, type_pred}
    if y_types == {"binary", "multiclass"}:
        y_types = {"multiclass"}
    if len(y_types) > 1:
        raise ValueError(
            f"Classification metrics can't handle a mix of {type_true} and {type_pred} targets"
        )
    y_type = y_types.pop()
    if y_type not in ("binary", "multiclass", "multilabel-indicator"):
        raise ValueError(f"{y_type} is not supported")
    if y_type in ("binary", "multiclass"):
        if yt.sparse or yp.sparse:
            raise TypeError("Sparse input is only supported when targets are of multilabel type")
        t1d, p1d = _column_or_1d(yt.arr), _column_or_1d(yp.arr)
        present = _union_labels(yt, yp)
        if y_type == "binary" and present.shape[0] > 2:
            y_type = "multiclass"
        targets = _Targets(y_type, present, yt, yp, t1d, p1d, hist=hist)
    else:
        n_t = yt.arr.shape[1]
        if n_t != yp.arr.shape[1]:
            raise ValueError("Multi-label binary indicator input with different numbers of labels")
        counts = ml if ml is not None and ml[0].size else None
        targets = _Targets(y_type, np.arange(n_t), yt, yp, yt.arr, yp.arr, ml_counts=counts)
    return targets, weights


def _encoder_classes(values: NDArray) -> NDArray:
    """The sorted distinct labels, as scikit-learn's label encoder keeps them."""
    if values.dtype != object:
        uniques = np.unique(values)
        if uniques.size and _is_nan(uniques[-1]):
            uniques = uniques[: int(np.searchsorted(uniques, np.nan)) + 1]
        return uniques
    try:
        found = set(values)
        missing = [v for v in (None,) if v in found]
        nans = [v for v in found if _is_nan(v)]
        found -= set(missing) | set(nans)
        ordered: list[Any] = sorted(found) + missing + ([math.nan] if nans else [])
    except TypeError:
        types = sorted(t.__qualname__ for t in {type(v) for v in values})
        raise TypeError(
            "Encoders require their input argument must be uniformly strings or numbers. "
            f"Got {types}"
        ) from None
    return np.array(ordered, dtype=values.dtype)


def _is_nan(v: Any) -> bool:
    return isinstance(v, (float, np.floating)) and math.isnan(v)


def _encode(y: _Y, classes: NDArray) -> NDArray:
    """Index of each label of the 1-d target ``y`` in ``classes`` (the label encoder's
    transform: values cast to the classes' dtype; an unknown value is an error). Works on the
    distinct values, then spreads them to the samples."""
    uniq, inverse = y.unique_inverse()
    cast = np.asarray(uniq, dtype=classes.dtype)
    if classes.dtype.kind not in "iufc":
        table = {v: i for i, v in enumerate(classes)}
        unknown = [k for k, v in enumerate(cast) if v not in table]
        if unknown:  # reported as a KeyError of the first one in data order
            first = int(np.flatnonzero(np.isin(inverse, unknown))[0])
            value = np.asarray(y.arr.reshape(-1)[first : first + 1], dtype=classes.dtype)[0]
            raise ValueError(f"y contains previously unseen labels: {KeyError(value)}")
        codes = np.array([table[v] for v in cast], dtype=np.intp)
    else:
        unseen = np.setdiff1d(np.unique(cast), classes, assume_unique=True)
        if np.isnan(classes).any():
            unseen = unseen[~np.isnan(unseen)]
        if unseen.size:
            raise ValueError(f"y contains previously unseen labels: {list(unseen)}")
        codes = np.searchsorted(classes, cast)
    return codes[inverse]
