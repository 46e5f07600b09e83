"""Validation at the public boundary: one helper per kind of mistake, one message template.

Messages read ``"{func}: `{name}` must be {expected}; got {actual}."`` followed, where it helps,
by how to fix it. Helpers return the normalised value so call sites stay one line each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit._xp import Array, describe_values, to_numpy

__all__ = [
    "check_choice",
    "check_class_axis",
    "check_finite",
    "check_flags",
    "check_ignore_index",
    "check_labels_integral",
    "check_nonempty",
    "check_num_classes",
    "check_same_shape",
    "check_sample_weight",
    "check_threshold",
    "is_floating",
    "is_integer_like",
]


def is_floating(xp: Any, x: Array) -> bool:
    """Whether ``x`` has a real floating dtype."""
    return bool(xp.isdtype(x.dtype, "real floating"))


def is_integer_like(xp: Any, x: Array) -> bool:
    """Whether ``x`` has an integer or boolean dtype."""
    return bool(xp.isdtype(x.dtype, ("integral", "bool")))


def check_num_classes(func: str, num_classes: object, name: str = "num_classes") -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, Integral) or num_classes < 1:
        raise ParameterError(f"{func}: `{name}` must be a positive integer; got {num_classes!r}.")
    return int(num_classes)


def check_ignore_index(func: str, ignore_index: object) -> tuple[int, ...]:
    """``None`` → ``()``; an int or a sequence of ints → a sorted tuple of distinct ints."""
    if ignore_index is None:
        return ()
    values: Sequence[object]
    if isinstance(ignore_index, Integral) and not isinstance(ignore_index, bool):
        values = (ignore_index,)
    elif isinstance(ignore_index, np.ndarray):  # any shape, 0-d included
        values = list(ignore_index.ravel().tolist())
    elif isinstance(ignore_index, (list, tuple, set, frozenset, range)):
        values = list(np.asarray(list(ignore_index)).ravel().tolist())
    else:
        values = (ignore_index,)
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, Integral):
            raise ParameterError(
                f"{func}: `ignore_index` must be None, an integer or a sequence of integers; "
                f"got {ignore_index!r}."
            )
        if not -(2**63) <= int(v) < 2**63:
            raise ParameterError(f"{func}: `ignore_index` values must fit in int64; got {int(v)}.")
        out.append(int(v))
    return tuple(sorted(set(out)))


def check_same_shape(func: str, pred: Array, target: Array) -> None:
    if tuple(pred.shape) != tuple(target.shape):
        raise InputError(
            f"{func}: `pred` and `target` must have the same shape; got {tuple(pred.shape)} "
            f"and {tuple(target.shape)}."
        )


def check_nonempty(func: str, x: Array, name: str = "target") -> None:
    if math.prod(x.shape) == 0:
        raise InputError(
            f"{func}: `{name}` is empty (shape {tuple(x.shape)}); there is nothing to count. "
            "Pass at least one element."
        )


def check_finite(func: str, xp: Any, x: Array, name: str) -> None:
    if is_floating(xp, x) and not bool(xp.all(xp.isfinite(x))):
        bad = to_numpy(x)
        n_nan = int(np.isnan(bad).sum())
        n_inf = int(np.isinf(bad).sum())
        raise InputError(
            f"{func}: `{name}` must be finite; got {n_nan} NaN and {n_inf} infinite value(s). "
            "Scores must be finite to be thresholded or compared; fix the model output."
        )


def check_threshold(func: str, threshold: object) -> float | None:
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, Real) or math.isnan(threshold):
        raise ParameterError(
            f"{func}: `threshold` must be a real number or None; got {threshold!r}."
        )
    return float(threshold)


def check_labels_integral(func: str, xp: Any, x: Array, name: str) -> Array:
    """Integer/bool arrays pass; float arrays pass when every value is an integer (returned as
    int64); anything else is an error naming the non-integer values."""
    if is_integer_like(xp, x):
        return x
    if is_floating(xp, x):
        check_finite(func, xp, x, name)
        if bool(xp.all(xp.floor(x) == x)):
            return xp.astype(x, xp.int64)
        values = to_numpy(x)
        frac = values[np.floor(values) != values]
        raise InputError(
            f"{func}: `{name}` must hold integer class labels; got non-integer values "
            f"{describe_values(frac)}. If these are class scores or probabilities, pass them "
            "with `class_axis=` (argmax) instead."
        )
    raise InputError(f"{func}: `{name}` must hold integer class labels; got dtype {x.dtype}.")


def check_class_axis(func: str, pred: Array, target: Array, class_axis: object) -> int:
    if isinstance(class_axis, bool) or not isinstance(class_axis, Integral):
        raise ParameterError(
            f"{func}: `class_axis` must be an integer or None; got {class_axis!r}."
        )
    if pred.ndim != target.ndim + 1:
        raise InputError(
            f"{func}: with `class_axis`, `pred` must have one more dimension than `target`; "
            f"got shapes {tuple(pred.shape)} and {tuple(target.shape)}."
        )
    axis = int(class_axis)
    if not -pred.ndim <= axis < pred.ndim:
        raise ParameterError(
            f"{func}: `class_axis`={axis} is out of range for `pred` with {pred.ndim} dimensions."
        )
    return axis % int(pred.ndim)


def check_sample_weight(func: str, xp: Any, sample_weight: Array, n: int) -> Array:
    """1-D, one weight per sample (first axis), finite and non-negative; returned as float64."""
    if tuple(sample_weight.shape) != (n,):
        raise InputError(
            f"{func}: `sample_weight` must have shape ({n},), one weight per sample along the "
            f"first axis; got shape {tuple(sample_weight.shape)}."
        )
    if not (is_floating(xp, sample_weight) or is_integer_like(xp, sample_weight)):
        raise InputError(
            f"{func}: `sample_weight` must be numeric; got dtype {sample_weight.dtype}."
        )
    w = xp.astype(sample_weight, xp.float64)
    if not bool(xp.all(xp.isfinite(w))):
        raise InputError(f"{func}: `sample_weight` must be finite; got NaN or infinite weights.")
    if bool(xp.any(w < 0)):
        values = to_numpy(w)
        raise InputError(
            f"{func}: `sample_weight` must be non-negative; got negative weights "
            f"{describe_values(values[values < 0])}."
        )
    return w


def check_choice(func: str, name: str, value: object, options: tuple[object, ...]) -> Any:
    """``value`` if it is one of ``options`` (strings compared by value, ``None`` and booleans
    by identity, so ``1`` is not taken for ``True``), else a :class:`ParameterError`."""
    ok = any(value is o or (isinstance(value, str) and value == o) for o in options)
    if not ok:
        listed = ", ".join(repr(o) for o in options)
        raise ParameterError(f"{func}: `{name}` must be one of {listed}; got {value!r}.")
    return value


def check_flags(func: str, name: str, value: object, n: int, expected: str) -> np.ndarray[Any, Any]:
    """A ``(n,)`` bool array from booleans or 0/1 numbers; ``None`` means all False.

    ``expected`` completes "`name` must ..." for a wrong shape, e.g. "have shape (3,), one flag
    per ground truth".
    """
    if value is None:
        return np.zeros(n, dtype=np.bool_)
    arr = np.asarray(value) if isinstance(value, (list, tuple)) else to_numpy(value)
    if arr.shape != (n,):
        raise InputError(f"{func}: `{name}` must {expected}; got shape {tuple(arr.shape)}.")
    if arr.dtype == np.bool_:
        return np.asarray(arr, dtype=np.bool_)
    numeric = arr.dtype.kind in "iuf"
    if not numeric or not bool(np.all((arr == 0) | (arr == 1))):
        bad = arr[(arr != 0) & (arr != 1)] if numeric else arr
        raise InputError(
            f"{func}: `{name}` must hold booleans or the ints 0 and 1; got values "
            f"{describe_values(arr)} of dtype {arr.dtype}: the values {describe_values(bad)} "
            "are neither 0 nor 1."
        )
    return np.asarray(arr != 0, dtype=np.bool_)
