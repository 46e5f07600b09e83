"""Checks of array arguments with scikit-learn's errors: ``check_array``, ``_num_samples``,
``check_consistent_length``, ``column_or_1d`` and ``_check_sample_weight`` as the twins need them.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import numpy.typing as npt

from ioukit._xp import to_numpy
from ioukit.sklearn._params import _is_sparse

NDArray = npt.NDArray[Any]


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
    """scikit-learn's error for NaN (reported first) or infinity in a floating array, and for
    NaN in an object array (the only check scikit-learn makes of those)."""
    if a.dtype == object:
        if np.any(a != a):  # NaN is the one value not equal to itself
            raise ValueError("Input contains NaN")
        return
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
