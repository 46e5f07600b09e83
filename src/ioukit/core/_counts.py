"""The :class:`Counts` type: exact counts, how they merge and how they are saved.

:class:`Counts` is re-exported by :mod:`ioukit.core.counts` (where the counting functions that
make it live) and by :mod:`ioukit`; this module holds the type on its own, so that its fields,
its merge and its dictionary form sit in one place.

A streaming evaluation keeps one :class:`Counts` as its whole state: dataset-level counts, or
per-sample counts, plus (for multiclass counts) the ``(C, C)`` confusion matrix summed over
every sample and, per sample, an optional name. Merging is integer addition; ``to_dict`` /
``from_dict`` are exact inverses.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

import numpy as np

from ioukit._errors import InputError, StateError
from ioukit._typing import Task
from ioukit._xp import Array, namespace, to_numpy

__all__ = ["Counts"]

NDArray = np.ndarray[Any, Any]
_COUNT_FIELDS = ("tp", "fp", "fn", "tn")


@dataclass(frozen=True, eq=False)
class Counts:
    """True/false positives/negatives per class, optionally per sample.

    Attributes
    ----------
    tp, fp, fn, tn : Array
        Shape ``(C,)``, or ``(N, C)`` when ``per_sample``. int64, or float64 for dataset-level
        counts computed with ``sample_weight``. ``C`` is 1 for binary tasks, the number of labels
        for multilabel tasks, the number of classes for multiclass tasks and the number of IoU
        thresholds for detection counts (:func:`ioukit.detection_counts`).
    task : {"binary", "multiclass", "multilabel", "detection"}
        How the counts were made. Decides what "accuracy" means (see
        :func:`ioukit.accuracy`); detection counts have no true negatives.
    per_sample : bool
        Whether the first axis indexes samples.
    sample_weight : Array or None
        ``(N,)`` float64 weights of per-sample counts (the counts themselves stay unweighted
        integers; weights apply when samples are aggregated). ``None`` for dataset-level counts.
    ignored_classes : tuple of int
        Classes whose target pixels were removed by ``ignore_index``. Their scores are NaN and
        they take no part in any average.
    confusion_matrix : Array or None
        ``(C, C)`` confusion matrix of all the data the counts describe (summed over samples
        for per-sample counts), rows = target, columns = prediction, with the counts' dtype.
        Multiclass counts carry it when asked
        (``Counts.from_confusion_matrix(..., keep_matrix=True)``); ``None`` otherwise.
    sample_names : tuple of (str or None)
        One name per sample of per-sample counts (``None``: unnamed), or ``()`` when no sample
        is named. Always ``()`` for dataset-level counts.
    num_samples : int or None
        ``N`` for per-sample counts (filled in from the arrays). For dataset-level counts, the
        number of samples summed into them when the caller recorded it (the segmentation
        evaluator does), else ``None``.

    Notes
    -----
    ``a + b`` combines the counts of two disjoint pieces of data: dataset-level counts add,
    per-sample counts are concatenated along the sample axis, confusion matrices add.
    :meth:`combine` does the same for many parts at once. Every count is an integer (unless
    weighted), so merging is exact, associative and commutative (up to sample order).
    """

    tp: Array
    fp: Array
    fn: Array
    tn: Array
    task: Task
    per_sample: bool = False
    sample_weight: Array | None = None
    ignored_classes: tuple[int, ...] = field(default=())
    confusion_matrix: Array | None = None
    sample_names: tuple[str | None, ...] = ()
    num_samples: int | None = None

    def __post_init__(self) -> None:
        if self.per_sample:
            n = int(self.tp.shape[0])
            if self.num_samples is None:
                object.__setattr__(self, "num_samples", n)
            elif self.num_samples != n:
                raise InputError(
                    f"Counts: `num_samples` is {self.num_samples} but the per-sample counts have "
                    f"{n} rows."
                )
            if self.sample_names and len(self.sample_names) != n:
                raise InputError(
                    f"Counts: `sample_names` must hold one name per sample ({n}); got "
                    f"{len(self.sample_names)}."
                )
        elif self.sample_names:
            raise InputError("Counts: `sample_names` belong to per-sample counts only.")

    @property
    def num_classes(self) -> int:
        """Number of classes (labels); 1 for binary counts."""
        return int(self.tp.shape[-1])

    @property
    def support(self) -> Array:
        """Number of target positives per class, ``tp + fn``."""
        return self.tp + self.fn

    def total(self) -> Counts:
        """Dataset-level counts: per-sample counts summed over samples (weighted when weights
        are set; the confusion matrix, which is unweighted, is kept only without weights).
        Dataset-level counts are returned unchanged."""
        if not self.per_sample:
            return self
        xp, _ = namespace(self.tp, func="Counts.total")
        if self.sample_weight is None:
            arrays = [xp.sum(a, axis=0) for a in (self.tp, self.fp, self.fn, self.tn)]
        else:
            w = xp.reshape(self.sample_weight, (-1, 1))
            arrays = [
                xp.sum(xp.astype(a, xp.float64) * w, axis=0)
                for a in (self.tp, self.fp, self.fn, self.tn)
            ]
        tp, fp, fn, tn = arrays
        return Counts(
            tp,
            fp,
            fn,
            tn,
            task=self.task,
            ignored_classes=self.ignored_classes,
            confusion_matrix=self.confusion_matrix if self.sample_weight is None else None,
        )

    def __add__(self, other: object) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        return _combine("Counts.__add__", [self, other])

    @classmethod
    def combine(cls, parts: Sequence[Counts]) -> Counts:
        """The counts of all ``parts`` together, in one pass: ``combine([a, b, c])`` equals
        ``a + b + c`` (per-sample arrays are concatenated once, not pairwise).

        Examples
        --------
        >>> import numpy as np
        >>> cms = np.array([[[2, 0], [1, 1]], [[0, 1], [0, 3]]])  # two images
        >>> a = Counts.from_confusion_matrix(cms[:1], keep_matrix=True)
        >>> b = Counts.from_confusion_matrix(cms[1:], keep_matrix=True)
        >>> both = Counts.combine([a, b])
        >>> both.num_samples, both.tp.tolist(), both.confusion_matrix.tolist()
        (2, [[2, 1], [0, 3]], [[2, 1], [1, 4]])
        """
        return _combine("Counts.combine", list(parts))

    @classmethod
    def from_confusion_matrix(
        cls,
        confusion_matrix: Array,
        *,
        ignored_classes: tuple[int, ...] = (),
        keep_matrix: bool = False,
    ) -> Counts:
        """Multiclass counts from a ``(C, C)`` confusion matrix (rows = target, columns =
        prediction) or a stack ``(N, C, C)`` of per-sample matrices.

        With ``keep_matrix=True`` the counts carry the matrix as ``confusion_matrix`` (for a
        stack, its sum over samples: ``(C, C)``, never the ``N·C²`` stack).
        """
        xp, (cm,) = namespace(confusion_matrix, func="Counts.from_confusion_matrix")
        if cm.ndim not in (2, 3) or cm.shape[-1] != cm.shape[-2]:
            raise InputError(
                "Counts.from_confusion_matrix: `confusion_matrix` must have shape (C, C) or "
                f"(N, C, C); got {tuple(cm.shape)}."
            )
        tp = xp.linalg.diagonal(cm) if hasattr(xp, "linalg") else xp.diagonal(cm)
        target_total = xp.sum(cm, axis=-1)
        pred_total = xp.sum(cm, axis=-2)
        total = xp.sum(target_total, axis=-1, keepdims=True)
        fp = pred_total - tp
        fn = target_total - tp
        kept = None
        if keep_matrix:
            kept = xp.sum(cm, axis=0) if cm.ndim == 3 else cm
        return cls(
            tp,
            fp,
            fn,
            total - tp - fp - fn,
            task="multiclass",
            per_sample=cm.ndim == 3,
            ignored_classes=ignored_classes,
            confusion_matrix=kept,
        )

    def to_dict(self, *, as_lists: bool = True) -> dict[str, Any]:
        """A JSON-safe dictionary of the counts and their metadata; :meth:`from_dict` inverts it.

        Always: ``task``, ``per_sample``, ``ignored_classes`` and the arrays ``tp``, ``fp``,
        ``fn``, ``tn`` (as nested lists). Only when they carry something: ``num_classes``
        (per-sample counts, whose ``(0, C)`` arrays would lose ``C`` as lists), ``dtype`` (when
        the counts are not int64), ``sample_weight``, ``confusion_matrix``, ``sample_names``
        and, for dataset-level counts, ``num_samples``. With ``as_lists=False`` the arrays stay
        NumPy arrays (for binary formats such as ``.npz``).

        Examples
        --------
        >>> import numpy as np
        >>> c = Counts.from_confusion_matrix(np.array([[2, 0], [1, 1]]))
        >>> d = c.to_dict()
        >>> sorted(d)
        ['fn', 'fp', 'ignored_classes', 'per_sample', 'task', 'tn', 'tp']
        >>> d["tp"], d["fp"], d["fn"], d["tn"]  # class 0: tp 2, fp 1 (the target-1 pixel)
        ([2, 1], [1, 0], [0, 1], [1, 2])
        >>> Counts.from_dict(d).to_dict() == d
        True
        """
        out: dict[str, Any] = {
            "task": self.task,
            "per_sample": self.per_sample,
            "ignored_classes": list(self.ignored_classes),
        }
        if self.per_sample:
            out["num_classes"] = self.num_classes
        arrays = {name: to_numpy(getattr(self, name)) for name in _COUNT_FIELDS}
        if arrays["tp"].dtype != np.int64:
            out["dtype"] = arrays["tp"].dtype.name
        for name in ("sample_weight", "confusion_matrix"):
            if getattr(self, name) is not None:
                arrays[name] = to_numpy(getattr(self, name))
        for name, a in arrays.items():
            out[name] = a.tolist() if as_lists else a
        if self.sample_names:
            out["sample_names"] = list(self.sample_names)
        if not self.per_sample and self.num_samples is not None:
            out["num_samples"] = self.num_samples
        return out

    @classmethod
    def from_dict(cls, data: object) -> Counts:
        """Counts from :meth:`to_dict`'s dictionary (arrays as nested lists or NumPy arrays).

        The exact inverse of :meth:`to_dict`: the same fields, values, shapes and dtypes (the
        arrays come back as NumPy arrays). Everything is checked: a missing or unknown key, a
        wrong type, shape or dtype, a negative integer count or a confusion matrix that
        disagrees with the counts raises :class:`ioukit._errors.StateError` (an
        :class:`ioukit.InputError`) naming the key.
        """
        return _from_dict("Counts.from_dict", data)

    def __repr__(self) -> str:
        shape = tuple(self.tp.shape)
        return (
            f"Counts(task={self.task!r}, shape={shape}, per_sample={self.per_sample}, "
            f"tp={_short(self.tp)}, fp={_short(self.fp)}, fn={_short(self.fn)}, "
            f"tn={_short(self.tn)})"
        )


def _short(a: Array) -> str:
    values = to_numpy(a).ravel()
    shown = ", ".join(str(v) for v in values[:6].tolist())
    return f"[{shown}{', …' if values.size > 6 else ''}]"


# ------------------------------------------------------------------------------------ merging


def _combine(func: str, parts: list[Counts]) -> Counts:
    """``parts[0] + parts[1] + …`` after checking they come from the same kind of evaluation."""
    bad = [type(p).__name__ for p in parts if not isinstance(p, Counts)]
    if bad or not parts:
        raise InputError(
            f"{func}: expected a non-empty sequence of Counts; got {len(parts)} part(s)"
            + (f", including {', '.join(sorted(set(bad)))}." if bad else ".")
        )
    xp, _ = namespace(*(p.tp for p in parts), func=func)

    def kind(k: Counts) -> tuple[tuple[str, object], ...]:
        return (
            ("task", k.task),
            ("num_classes", k.num_classes),
            ("per_sample", k.per_sample),
            ("ignored_classes", k.ignored_classes),
            ("weighted", k.sample_weight is None),
            ("count dtype (weighted or not)", bool(xp.isdtype(k.tp.dtype, "real floating"))),
            ("confusion_matrix (kept or not)", k.confusion_matrix is None),
        )

    first = kind(parts[0])
    mismatch = {
        name for p in parts[1:] for (name, a), (_, b) in zip(first, kind(p), strict=True) if a != b
    }
    if mismatch:
        listed = ", ".join(name for name, _ in first if name in mismatch)
        raise InputError(
            f"{func}: the counts must come from the same kind of evaluation; they differ in "
            f"{listed}."
        )
    head = parts[0]
    if len(parts) == 1:
        return head

    def join(arrays: list[Array]) -> Array:
        if head.per_sample:
            return xp.concat(arrays)
        return functools.reduce(operator.add, arrays)

    tp, fp, fn, tn = (join([getattr(p, name) for p in parts]) for name in _COUNT_FIELDS)
    matrix = None
    if head.confusion_matrix is not None:
        matrix = functools.reduce(operator.add, [p.confusion_matrix for p in parts])
    extra: dict[str, Any] = {}
    if head.per_sample:  # weights and names follow their samples
        if head.sample_weight is not None:
            extra["sample_weight"] = xp.concat([p.sample_weight for p in parts])
        if any(p.sample_names for p in parts):
            extra["sample_names"] = tuple(
                n for p in parts for n in (p.sample_names or (None,) * int(p.tp.shape[0]))
            )
    elif None not in (sizes := [p.num_samples for p in parts]):  # recorded numbers add
        extra["num_samples"] = sum(int(s or 0) for s in sizes)
    return Counts(
        tp,
        fp,
        fn,
        tn,
        task=head.task,
        per_sample=head.per_sample,
        ignored_classes=head.ignored_classes,
        confusion_matrix=matrix,
        **extra,
    )


# ---------------------------------------------------------------------------- the dict form

_REQUIRED = ("task", "per_sample", "ignored_classes", *_COUNT_FIELDS)
_OPTIONAL = (
    "num_classes",
    "dtype",
    "sample_weight",
    "confusion_matrix",
    "sample_names",
    "num_samples",
)


def _from_dict(func: str, data: object) -> Counts:
    if not isinstance(data, dict):
        raise StateError(f"{func}: expected a dict from Counts.to_dict; got {type(data).__name__}.")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise StateError(f"{func}: the dict has no {', '.join(map(repr, missing))}.")
    unknown = sorted(str(k) for k in data if k not in _REQUIRED + _OPTIONAL)
    if unknown:
        raise StateError(
            f"{func}: unknown key(s) {', '.join(map(repr, unknown))}; Counts.to_dict writes "
            f"{', '.join(_REQUIRED + _OPTIONAL)}."
        )
    task = data["task"]
    if task not in get_args(Task):
        raise StateError(f"{func}: `task` must be one of {get_args(Task)}; got {task!r}.")
    per_sample = data["per_sample"]
    if not isinstance(per_sample, bool):
        raise StateError(f"{func}: `per_sample` must be true or false; got {per_sample!r}.")
    dtype = _dtype(func, data.get("dtype", "int64"))
    tp = _array(func, "tp", data["tp"], dtype, None)
    if per_sample:
        c = _count(func, "num_classes", data.get("num_classes"))
        if tp.size == 0 and tp.ndim == 1:  # [] holds no C: (0, C) counts
            tp = tp.reshape(0, c)
        if tp.ndim != 2 or tp.shape[1] != c:
            raise StateError(f"{func}: `tp` must have shape (N, {c}); got {tp.shape}.")
        n: int | None = int(tp.shape[0])
        _same(func, data, "num_samples", int(tp.shape[0]))
    else:
        if tp.ndim != 1:
            raise StateError(f"{func}: dataset-level `tp` must have shape (C,); got {tp.shape}.")
        c, n = int(tp.shape[0]), None
        _same(func, data, "num_classes", c)
    fp, fn, tn = (_array(func, k, data[k], dtype, tp.shape) for k in _COUNT_FIELDS[1:])
    ignored = data["ignored_classes"]
    if not isinstance(ignored, list) or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 0 <= v < c for v in ignored
    ):
        raise StateError(
            f"{func}: `ignored_classes` must be a list of class ids in [0, {c}); got {ignored!r}."
        )
    weights = None
    if data.get("sample_weight") is not None:
        if not per_sample:
            raise StateError(f"{func}: `sample_weight` belongs to per-sample counts only.")
        shape = (int(tp.shape[0]),)
        weights = _array(func, "sample_weight", data["sample_weight"], np.dtype(np.float64), shape)
    matrix = None
    if data.get("confusion_matrix") is not None:
        matrix = _array(func, "confusion_matrix", data["confusion_matrix"], dtype, (c, c))
        _check_matrix(func, task, matrix, [tp, fp, fn, tn])
    num_samples = None
    if not per_sample and data.get("num_samples") is not None:
        num_samples = _count(func, "num_samples", data["num_samples"])
    return Counts(
        tp,
        fp,
        fn,
        tn,
        task=task,
        per_sample=per_sample,
        sample_weight=weights,
        ignored_classes=tuple(int(v) for v in ignored),
        confusion_matrix=matrix,
        sample_names=_names(func, data.get("sample_names", []), n),
        num_samples=num_samples,
    )


def _same(func: str, data: dict[Any, Any], key: str, value: int) -> None:
    """An optional key that the arrays already say must agree with them."""
    if key in data and data[key] != value:
        raise StateError(f"{func}: `{key}` is {data[key]!r}, but the arrays say {value}.")


def _dtype(func: str, name: object) -> np.dtype[Any]:
    try:
        dtype = np.dtype(str(name))
    except TypeError:
        dtype = np.dtype(object)
    if not isinstance(name, str) or dtype.kind not in "iuf":
        raise StateError(
            f"{func}: `dtype` must name a NumPy integer or floating dtype; got {name!r}."
        )
    return dtype


def _count(func: str, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise StateError(f"{func}: `{key}` must be a non-negative integer; got {value!r}.")
    return int(value)


def _array(
    func: str, key: str, value: object, dtype: np.dtype[Any], shape: tuple[int, ...] | None
) -> NDArray:
    """``value`` as a ``dtype`` array of ``shape`` (any shape when None); an empty list takes
    ``shape``. Integer counts must be non-negative and fit ``dtype``; floating ones (weighted
    sums, whose derived tn may round a hair below 0) finite."""
    try:
        a = np.asarray(value)
    except ValueError:  # ragged nested lists
        raise StateError(f"{func}: `{key}` must be rectangular; got ragged lists.") from None
    if shape is not None and a.size == 0 and math.prod(shape) == 0:
        a = a.reshape(shape)
    if shape is not None and a.shape != shape:
        raise StateError(f"{func}: `{key}` must have shape {shape}; got {a.shape}.")
    allowed = "iu" if dtype.kind in "iu" else "iuf"
    if a.size and a.dtype.kind not in allowed:
        raise StateError(
            f"{func}: `{key}` must hold {dtype.name} numbers; got values of dtype {a.dtype}."
        )
    if a.size and not np.all(np.isfinite(a)):
        raise StateError(f"{func}: `{key}` must hold finite numbers.")
    if dtype.kind in "iu" and a.size and a.min() < 0:
        raise StateError(f"{func}: `{key}` must hold non-negative counts.")
    if dtype.kind in "iu" and a.size and a.max() > np.iinfo(dtype).max:
        raise StateError(f"{func}: `{key}` has values too large for {dtype.name}.")
    return a.astype(dtype)


def _check_matrix(func: str, task: object, matrix: NDArray, counts: list[NDArray]) -> None:
    """The counts summed over samples must be the ones the confusion matrix gives."""
    if task != "multiclass":
        raise StateError(f"{func}: only multiclass counts carry a `confusion_matrix`.")
    tp = np.diagonal(matrix)
    fp = matrix.sum(axis=0) - tp
    fn = matrix.sum(axis=1) - tp
    want = (tp, fp, fn, matrix.sum(axis=1).sum() - tp - fp - fn)  # as from_confusion_matrix
    got = [a.sum(axis=0) if a.ndim == 2 else a for a in counts]
    if not all(np.array_equal(g, w) for g, w in zip(got, want, strict=True)):
        raise StateError(
            f"{func}: `confusion_matrix` does not agree with tp, fp, fn and tn (summed over "
            "samples); the state is corrupt."
        )


def _names(func: str, value: object, n: int | None) -> tuple[str | None, ...]:
    names = isinstance(value, list) and all(v is None or isinstance(v, str) for v in value)
    if names and (not value or len(value) == n):  # type: ignore[arg-type]
        return tuple(value)  # type: ignore[arg-type]
    where = "dataset-level counts have none" if n is None else f"one per sample ({n})"
    raise StateError(
        f"{func}: `sample_names` must be a list of strings or nulls, {where}; got {value!r:.80}."
    )
