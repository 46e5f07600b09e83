"""Drop-in twins of scikit-learn's ``jaccard_score``, ``confusion_matrix`` and
``multilabel_confusion_matrix``.

Switch by changing one import::

    # from sklearn.metrics import jaccard_score
    from ioukit.sklearn import jaccard_score

The twins take the same arguments (same names, defaults and keyword-only parameters), accept
the same inputs and return the same types and **the same numbers, bit for bit,** as
scikit-learn 1.9.1: binary, multiclass and multilabel-indicator targets, string and mixed
int/float labels, lists, column vectors, ``labels``, ``pos_label``, integer and floating
``sample_weight``, every ``zero_division``, ``average``, ``normalize`` and ``samplewise``.
Where floating point sums are involved (floating ``sample_weight``), they are added in
scikit-learn's order, so even the last bit agrees. Invalid input raises the same exception
type with the same message; invalid options raise :class:`InvalidParameterError` (a
``ValueError`` and a ``TypeError``, like scikit-learn's class of that name).

Warnings have scikit-learn's text. The "ill-defined" warning is an
:class:`ioukit.UndefinedMetricWarning` (a ``UserWarning``) rather than
``sklearn.exceptions.UndefinedMetricWarning``, because scikit-learn is not a dependency of
ioukit: a filter such as ``warnings.filterwarnings("ignore", category=UndefinedMetricWarning)``
must name ioukit's class (or ``UserWarning``). scikit-learn's other warnings (``pos_label``
ignored, single-label confusion matrix) are ``UserWarning`` with the same text.

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
read those counts; strings and other objects take a general ``np.unique``-based path.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt

from ioukit._errors import UndefinedMetricWarning
from ioukit._xp import to_numpy
from ioukit.core.sweep import precision_recall_curve, roc_curve

__all__ = [
    "InvalidParameterError",
    "confusion_matrix",
    "jaccard_score",
    "multilabel_confusion_matrix",
    "precision_recall_curve",
    "roc_curve",
]

NDArray = npt.NDArray[Any]

_P = ParamSpec("_P")
_R = TypeVar("_R")

# Numeric labels spanning at most this many values are counted by value (no sorting).
_SPAN_MAX = 1 << 20
# ... and at most this many with one fused confusion-matrix pass.
_SPAN_KERNEL = 256
# Largest span whose dense (span x span) confusion matrix confusion_matrix builds directly.
_SPAN_CM = 1024


# ------------------------------------------------------------------------- parameter checks


class InvalidParameterError(ValueError, TypeError):
    """A parameter has a type or value outside its documented set.

    Mirrors ``sklearn.utils._param_validation.InvalidParameterError``: same message, and it can
    be caught as ``ValueError`` or ``TypeError``.
    """


def _is_sparse(x: object) -> bool:
    """Whether ``x`` is a scipy sparse matrix/array (scipy is imported only if it could be)."""
    if not type(x).__module__.startswith("scipy.sparse"):
        return False
    return bool(_scipy_sparse().issparse(x))


def _scipy_sparse() -> Any:
    """scipy.sparse, imported only once an input is a sparse matrix (scipy is optional)."""
    return importlib.import_module("scipy.sparse")


def _is_array_like(x: object) -> bool:
    if _is_sparse(x):
        return False
    has = hasattr(x, "__len__") or hasattr(x, "shape") or hasattr(x, "__array__")
    return has and not np.isscalar(x)


@dataclass(frozen=True)
class _Rule:
    """One accepted kind of value for a parameter, and how scikit-learn names it."""

    test: Callable[[Any], bool]
    text: str


def _among(kind: type, name: str, options: set[Any]) -> _Rule:
    # The text lists the set in its iteration order, as scikit-learn does.
    text = f"a {name} among {{{', '.join(repr(o) for o in options)}}}"
    return _Rule(lambda v: isinstance(v, kind) and v in options, text)


_ARRAY = _Rule(_is_array_like, "an array-like")
_SPARSE = _Rule(_is_sparse, "a sparse array or matrix")
_NONE = _Rule(lambda v: v is None, "None")
_REAL = _Rule(lambda v: isinstance(v, numbers.Real), "an instance of 'float'")
_STR = _Rule(lambda v: isinstance(v, str), "an instance of 'str'")
_BOOL = _Rule(
    lambda v: isinstance(v, (bool, np.bool_)),
    "an instance of 'bool' or an instance of 'numpy.bool'",
)
# Written as set displays in scikit-learn's order: the message lists them in set order.
_AVERAGES = _among(str, "str", {"micro", "macro", "samples", "weighted", "binary"})
_ZERO_DIVISION = _among(numbers.Real, "float", {0, 1})
_WARN = _among(str, "str", {"warn"})
_NORMALIZE = _among(str, "str", {"true", "pred", "all"})


def _validate_params(
    rules: dict[str, tuple[_Rule, ...]],
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Bind the arguments like scikit-learn's ``validate_params`` and check each one."""

    def decorate(func: Callable[_P, _R]) -> Callable[_P, _R]:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, value in bound.arguments.items():
                allowed = rules[name]
                if any(rule.test(value) for rule in allowed):
                    continue
                texts = [rule.text for rule in allowed]
                expected = texts[-1]
                if len(texts) > 1:
                    expected = f"{', '.join(texts[:-1])} or {expected}"
                raise InvalidParameterError(
                    f"The {name!r} parameter of {func.__qualname__} must be {expected}. "
                    f"Got {value!r} instead."
                )
            return func(*args, **kwargs)

        return wrapper

    return decorate


# ---------------------------------------------------------------------------- numba kernels


@functools.cache
def _kernels() -> dict[str, Any]:
    """Multilabel kernels that ioukit's counting module has no equivalent for (imports numba)."""
    from ioukit.kernels import _numba_sklearn as k

    return {"rows01": k.rows01, "cols01_weighted": k.cols01_weighted}


def _kernel_view(y: NDArray) -> NDArray:
    """A 0/1 array as a C-contiguous uint8 or int64 array: the two dtypes the multilabel
    kernels are compiled for (bool is viewed as uint8, other dtypes are converted)."""
    y = np.ascontiguousarray(y)
    if y.dtype == np.bool_:
        return y.view(np.uint8)
    if y.dtype in (np.uint8, np.int64):
        return y
    return y.astype(np.uint8)


def _kernel_pair(t: NDArray, p: NDArray) -> tuple[NDArray, NDArray]:
    """Two arrays known to hold only 0 and 1, in one shared kernel dtype."""
    t, p = _kernel_view(t), _kernel_view(p)
    if t.dtype != p.dtype:
        t, p = t.astype(np.uint8), p.astype(np.uint8)
    return t, p


def _all01(y: NDArray) -> bool:
    """Whether the numeric array ``y`` holds only 0 and 1 (one vectorised pass)."""
    if y.dtype == np.bool_ or y.size == 0:
        return True
    if y.dtype.kind in "iu":  # negative values are large once read as unsigned
        return int(y.view(f"u{y.dtype.itemsize}").max()) <= 1
    return bool(np.all((y == 0) | (y == 1)))


# ---------------------------------------------------------------------- input inspection


def _num_samples(x: Any) -> int:
    """Number of samples of an array-like, with scikit-learn's errors."""
    message = f"Expected sequence or array-like, got {type(x)}"
    if hasattr(x, "fit") and callable(x.fit):
        raise TypeError(message)
    shape = getattr(x, "shape", None)
    if shape is not None:
        if len(shape) == 0:
            raise TypeError(
                "Input should have at least 1 dimension i.e. satisfy `len(x.shape) > 0`, got "
                f"scalar `{x!r}` instead."
            )
        if isinstance(shape[0], numbers.Integral):
            return int(shape[0])
    if not hasattr(x, "__len__") and not hasattr(x, "shape"):
        if not hasattr(x, "__array__"):
            raise TypeError(message)
        x = np.asarray(x)
    try:
        return len(x)
    except TypeError as exc:
        raise TypeError(message) from exc


def _check_lengths(*arrays: Any) -> None:
    lengths = [_num_samples(a) for a in arrays if a is not None]
    if len(set(lengths)) > 1:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: {lengths!r}")


def _as_array(y: Any, *, ragged: bool = True) -> Any:
    """What ``check_array(dtype=None)`` makes of ``y``: a NumPy array (sparse stays sparse)."""
    if _is_sparse(y):
        return y
    if isinstance(y, np.ndarray):
        return np.asarray(y)
    if not isinstance(y, (list, tuple)) and (hasattr(y, "__dlpack__") or hasattr(y, "detach")):
        return to_numpy(y)
    if not ragged:
        return np.asarray(y)
    try:
        return np.asarray(y)
    except ValueError:  # ragged nested sequences
        return np.asarray(y, dtype=object)


def _no_complex(a: Any) -> None:
    dtype = getattr(a, "dtype", None)
    if dtype is not None and getattr(dtype, "kind", "") == "c":
        raise ValueError(f"Complex data not supported\n{a}\n")


def _assert_finite(a: NDArray, name: str) -> None:
    """scikit-learn's error for NaN (reported first) or infinity in a floating array."""
    if a.dtype.kind not in "fc":
        return
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(a)):
            return
    prefix = f"Input {name} " if name else "Input "
    if np.isnan(a).any():
        raise ValueError(f"{prefix}contains NaN.")
    if np.isinf(a).any():
        raise ValueError(f"{prefix}contains infinity or a value too large for {a.dtype!r}.")


def _integral_floats(a: NDArray) -> bool:
    """Whether every value survives the round trip through int64 (scikit-learn's test)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.all(a.astype(np.int64).astype(a.dtype) == a))


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
            t, p = _kernel_pair(t, p)
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


def _column_or_1d(a: NDArray) -> NDArray:
    if a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1):
        return np.ascontiguousarray(a.reshape(-1))
    raise ValueError(f"y should be a 1d array, got an array of shape {a.shape} instead.")


def _check_sample_weight(sample_weight: Any, n_samples: int) -> NDArray:
    """scikit-learn's ``_check_sample_weight`` (dtype kept): 1-d, finite, not all zero."""
    w = _as_array(sample_weight, ragged=False)
    _no_complex(w)
    if w.ndim > 2:
        raise ValueError(f"Found array with dim {w.ndim}, while dim <= 2 is required.")
    _assert_finite(w, "sample_weight")
    if w.ndim == 2 and w.shape[1] < 1:
        raise ValueError(
            f"Found array with {w.shape[1]} feature(s) (shape={w.shape}) while a minimum of 1 "
            "is required."
        )
    w = np.ascontiguousarray(w)
    if w.ndim != 1:
        raise ValueError(
            f"Sample weights must be 1D array or scalar, got {w.ndim}D array. Expected either "
            f"a scalar value or a 1D array of length {n_samples}."
        )
    if w.shape != (n_samples,):
        raise ValueError(f"sample_weight.shape == {w.shape}, expected {(n_samples,)}!")
    if np.all(w == 0):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return w


# ------------------------------------------------------------- multilabel confusion counts


def _all_labels(present: NDArray, labels: Any) -> tuple[NDArray, int | None]:
    """The labels to count: ``labels`` first, then the present ones it leaves out."""
    if labels is None:
        return present, None
    lab = _as_array(labels, ragged=False)
    n_labels = int(lab.shape[0])
    rest = np.setdiff1d(present, lab, assume_unique=True)
    return np.concatenate([lab, rest], axis=-1), n_labels


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


def _counts_1d(
    tg: _Targets, weights: NDArray | None, all_labels: NDArray, n_labels: int | None
) -> tuple[NDArray, NDArray, NDArray]:
    """tp / predicted / true sums of 1-d targets for ``all_labels[:n_labels]``, with
    scikit-learn's dtypes (int64, or float64 with weights or without any true positive)."""
    chosen = all_labels if n_labels is None else all_labels[:n_labels]
    hist = tg.hist
    if hist is not None and all_labels.dtype.kind in "biuf":
        bins, ok = hist.bins(chosen)
        if weights is None:
            tp_all = hist.tp
            true_all, pred_all = hist.true, hist.pred
            if not tp_all.any():
                tp_all = np.zeros(hist.span)
        else:
            same = hist.t == hist.p
            if same.any():
                tp_all = np.bincount(hist.t[same], weights=weights[same], minlength=hist.span)
            else:
                tp_all = np.zeros(hist.span)
            pred_all = np.bincount(hist.p, weights=weights, minlength=hist.span)
            true_all = np.bincount(hist.t, weights=weights, minlength=hist.span)

        def pick(a: NDArray) -> NDArray:
            return np.where(ok, a[bins], np.zeros((), dtype=a.dtype))

        return pick(tp_all), pick(pred_all), pick(true_all)
    classes = _encoder_classes(all_labels)
    t = _encode(tg.yt, classes)
    p = _encode(tg.yp, classes)
    n_bins = all_labels.shape[0]
    same = t == p
    if same.any():
        tp_all = np.bincount(
            t[same], weights=None if weights is None else weights[same], minlength=n_bins
        )
    else:
        tp_all = np.zeros(n_bins)
    pred_all = np.bincount(p, weights=weights, minlength=n_bins)
    true_all = np.bincount(t, weights=weights, minlength=n_bins)
    idx = np.searchsorted(classes, chosen)
    return tp_all[idx], pred_all[idx], true_all[idx]


def _index_dtype(n_rows: int, n_cols: int) -> type[np.signedinteger[Any]]:
    """Index dtype scipy gives a CSR matrix of this size (row counts are differences of it)."""
    return np.int32 if max(n_rows, n_cols, n_rows * n_cols) < 2**31 else np.int64


def _counts_multilabel(
    tg: _Targets,
    weights: NDArray | None,
    all_labels: NDArray,
    n_labels: int | None,
    samplewise: bool,
) -> tuple[NDArray, NDArray, NDArray, int]:
    """tp / predicted / true counts per chosen column (per row with ``samplewise``), and the
    number of chosen columns."""
    present = tg.present
    if all_labels.shape != present.shape or np.any(all_labels != present):
        if np.max(all_labels) > np.max(present):
            raise ValueError(
                "All labels must be in [0, n labels) for multilabel targets. Got %d > %d"  # noqa: UP031
                % (np.max(all_labels), np.max(present))
            )
        if np.min(all_labels) < 0:
            raise ValueError(
                "All labels must be in [0, n labels) for multilabel targets. Got %d < 0"  # noqa: UP031
                % np.min(all_labels)
            )
    cols = None if n_labels is None else np.asarray(all_labels[:n_labels]).astype(np.intp)
    if tg.yt.sparse or tg.yp.sparse:
        return _counts_sparse(tg, weights, cols, samplewise)
    t, p = tg.t1d, tg.p1d
    n_rows, n_all = t.shape
    n_cols = n_all if cols is None else int(cols.shape[0])
    if tg.yt.only01 and tg.yp.only01:
        if not samplewise and weights is None and tg.ml_counts is not None:
            tp, ps, ts = tg.ml_counts
            if cols is not None:
                tp, ps, ts = tp[cols], ps[cols], ts[cols]
            return tp, ps, ts, n_cols
        tk, pk = _kernel_pair(t, p)
        if samplewise:
            use = np.arange(n_all, dtype=np.intp) if cols is None else cols
            rows = _kernels()["rows01"](tk, pk, use)
            tp, ps, ts = rows[:, 0], rows[:, 1], rows[:, 2]
            if weights is not None:
                idx = _index_dtype(n_rows, n_cols)
                tp, ps, ts = (a.astype(idx) * weights for a in (tp, ps, ts))
            return tp, ps, ts, n_cols
        if weights is None:
            nz_t, nz_p = tk != 0, pk != 0
            tp, ps, ts = (nz_t & nz_p).sum(axis=0), nz_p.sum(axis=0), nz_t.sum(axis=0)
            tp, ps, ts = tp.astype(np.intp), ps.astype(np.intp), ts.astype(np.intp)
        else:
            out, nnz = _kernels()["cols01_weighted"](tk, pk, weights.astype(np.float64))
            if cols is not None:
                out, nnz = out[:, cols], nnz[:, cols]
            # like np.bincount, a sum over no entry at all is int64
            tp, ps, ts = (
                out[k] if nnz[k].any() else np.zeros(n_cols, dtype=np.intp) for k in range(3)
            )
            return tp, ps, ts, n_cols
        if cols is not None:
            tp, ps, ts = tp[cols], ps[cols], ts[cols]
        return tp, ps, ts, n_cols
    # any other values: "positive" means non-zero, and a true positive a non-zero product
    if cols is not None:
        t, p = t[:, cols], p[:, cols]
    nz_t = t != 0
    nz_p = p != 0
    nz_tp = np.multiply(t, p) != 0
    if samplewise:
        counts = [m.sum(axis=1).astype(np.intp) for m in (nz_tp, nz_p, nz_t)]
        if weights is not None:
            idx = _index_dtype(n_rows, n_cols)
            counts = [c.astype(idx) * weights for c in counts]
        return counts[0], counts[1], counts[2], n_cols
    if weights is None:
        counts = [m.sum(axis=0).astype(np.intp) for m in (nz_tp, nz_p, nz_t)]
    else:
        counts = []
        for m in (nz_tp, nz_p, nz_t):
            r, c = np.nonzero(m)
            counts.append(np.bincount(c, weights=weights[r], minlength=n_cols))
    return counts[0], counts[1], counts[2], n_cols


def _counts_sparse(
    tg: _Targets, weights: NDArray | None, cols: NDArray | None, samplewise: bool
) -> tuple[NDArray, NDArray, NDArray, int]:
    """The multilabel counts of scipy sparse input, computed as scikit-learn does."""
    sp = _scipy_sparse()
    t = sp.csr_array(tg.yt.arr)
    p = sp.csr_array(tg.yp.arr)
    if cols is not None:
        t, p = t[:, cols], p[:, cols]
    both = t.multiply(p)
    both = sp.csr_array(both)
    n_cols = int(t.shape[1])

    def count(m: Any) -> NDArray:
        if samplewise:
            per_row: NDArray = np.diff(m.indptr)
            return per_row.astype(np.intp) if weights is None else per_row * weights
        if weights is None:
            return np.bincount(m.indices, minlength=m.shape[1])
        return np.bincount(
            m.indices, minlength=m.shape[1], weights=np.repeat(weights, np.diff(m.indptr))
        )

    return count(both), count(p), count(t), n_cols


def _mcm(
    tg: _Targets,
    weights: NDArray | None,
    labels: Any,
    samplewise: bool,
) -> NDArray:
    """The (n_outputs, 2, 2) multilabel confusion matrix [[tn, fp], [fn, tp]]."""
    all_labels, n_labels = _all_labels(tg.present, labels)
    if tg.y_type == "multilabel-indicator":
        tp_sum, pred_sum, true_sum, n_cols = _counts_multilabel(
            tg, weights, all_labels, n_labels, samplewise
        )
        n_rows = int(tg.t1d.shape[0])
    else:
        if samplewise:
            raise ValueError(
                "Samplewise metrics are not available outside of multilabel classification."
            )
        tp_sum, pred_sum, true_sum = _counts_1d(tg, weights, all_labels, n_labels)
        n_rows = int(tg.t1d.shape[0])
        n_cols = 0
    fp = pred_sum - tp_sum
    fn = true_sum - tp_sum
    tp = tp_sum
    if weights is not None and samplewise:
        tn = weights * n_cols - tp - fp - fn
    elif weights is not None:
        tn = np.sum(weights) - tp - fp - fn
    elif samplewise:
        tn = n_cols - tp - fp - fn
    else:
        tn = n_rows - tp - fp - fn
    return np.reshape(np.stack([tn, fp, fn, tp]).T, (-1, 2, 2))


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
        UndefinedMetricWarning,
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
        0.0 and an :class:`ioukit.UndefinedMetricWarning`.

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
        Sample weights.
    normalize : {'true', 'pred', 'all'}, default=None
        Divide by the row sums, the column sums or the total (0/0 gives 0).

    Returns
    -------
    C : ndarray of shape (n_classes, n_classes)
        int64 for integer or boolean weights, float64 for floating weights or ``normalize``.

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


def _cm_array(y: Any) -> NDArray:
    """``check_array`` of confusion_matrix's targets: no complex data, at most 2-d."""
    a = _as_array(y, ragged=False)
    _no_complex(a)
    if a.ndim >= 3:
        raise ValueError(f"Found array with dim {a.ndim}, while dim <= 2 is required.")
    if a.ndim == 2 and a.shape[1] < 1:
        raise ValueError(
            f"Found array with {a.shape[1]} feature(s) (shape={a.shape}) while a minimum of 1 "
            "is required."
        )
    return np.asarray(a)


def _any_label_in(tg: _Targets, labels: NDArray) -> bool:
    hist = tg.hist
    if hist is not None and labels.dtype.kind in "biuf" and labels.ndim == 1:
        bins, ok = hist.bins(labels)
        return bool(np.any(ok & (hist.true[bins] > 0)))
    return len(np.intersect1d(tg.t1d, labels)) > 0


def _label_positions(labels: NDArray, values: NDArray) -> NDArray:
    """Position in ``labels`` of each value (the last one for repeated labels), else -1."""
    table = {label: index for index, label in enumerate(labels)}
    return np.array([table.get(v, -1) for v in values], dtype=np.int64).reshape(-1)


def _confusion(tg: _Targets, weights: NDArray, labels: NDArray, integer: bool) -> NDArray:
    """The (n_labels, n_labels) matrix, int64 (integer weights) or float64."""
    n = int(labels.size)
    dtype = np.int64 if integer else np.float64
    hist = tg.hist
    unit = integer and bool(np.all(weights == 1))
    if (
        hist is not None
        and labels.dtype.kind in "biuf"
        and labels.ndim == 1
        and (hist.span <= max(_SPAN_CM, 2 * n) or (unit and hist.cm is not None))
    ):
        span = hist.span
        if unit and hist.cm is not None:
            full = hist.cm
        else:
            full = _weighted_cells(hist.t * span + hist.p, weights, span * span, integer)
            full = full.reshape(span, span)
        bins, ok = hist.bins(labels)
        keep = ok.copy()
        # a label repeated in `labels` counts only at its last position
        seen: set[int] = set()
        for j in range(n - 1, -1, -1):
            if keep[j]:
                if int(bins[j]) in seen:
                    keep[j] = False
                seen.add(int(bins[j]))
        rows = np.where(keep, bins, 0)
        cm: NDArray = np.asarray(full)[np.ix_(rows, rows)].astype(dtype)
        cm[~keep, :] = 0
        cm[:, ~keep] = 0
        return cm
    # general path: map labels to positions, drop the samples whose labels are not listed
    ut, inv_t = tg.yt.unique_inverse()
    up, inv_p = tg.yp.unique_inverse()
    t = _label_positions(labels, ut)[inv_t]
    p = _label_positions(labels, up)[inv_p]
    keep = (t >= 0) & (p >= 0)
    if not keep.all():
        t, p, weights = t[keep], p[keep], weights[keep]
    return _weighted_cells(t * n + p, weights, n * n, integer).reshape(n, n).astype(dtype)


def _weighted_cells(cells: NDArray, weights: NDArray, size: int, integer: bool) -> NDArray:
    """Sum of the weights per cell: int64 (wrapping like scipy's accumulator) for integer
    weights, else float64 added in data order (scipy's order)."""
    if not integer:
        return np.bincount(cells, weights=weights, minlength=size)
    w = weights.astype(np.int64)
    if w.size == 0 or int(np.abs(w).max()) * w.size < 2**53:
        return np.bincount(cells, weights=w, minlength=size).astype(np.int64)
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, cells, w)
    return out
