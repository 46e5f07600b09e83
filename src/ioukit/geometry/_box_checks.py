"""Validation and preparation of axis-aligned box input, shared by the box modules.

:mod:`ioukit.geometry.boxes`, :mod:`ioukit.geometry.box_formats` and
:mod:`ioukit.geometry.sparse_boxes` check shapes and dtypes here, pick the dtype to compute in
and apply ``on_invalid`` and the pixel convention (the rules are in the docstring of
:mod:`ioukit.geometry.boxes`).
"""

from __future__ import annotations

import functools
from typing import Any

import array_api_compat
import numpy as np

from ioukit._errors import InputError
from ioukit._xp import Array, float_dtype, is_numpy, is_torch, to_numpy

ON_INVALID = ("raise", "nan", "zero", "sort_corners")

#: The four coordinate columns ``x1, y1, x2, y2`` of a set of boxes.
Cols = tuple[Array, Array, Array, Array]


@functools.cache
def np_namespace() -> Any:
    """The Array API namespace of NumPy arrays."""
    return array_api_compat.array_namespace(np.empty(0))


def torch_on_cpu_without_grad(xp: Any, *arrays: Array) -> bool:
    """Whether torch ``arrays`` can go through the NumPy kernels: CPU, no autograd needed."""
    if not is_torch(xp):
        return False
    import torch

    for a in arrays:
        if a.device.type != "cpu":
            return False
        if a.requires_grad and torch.is_grad_enabled():
            return False
    return True


def host(xp: Any, x: Array) -> np.ndarray[Any, Any]:
    """``x`` as a NumPy array in host memory (no copy for NumPy and CPU torch tensors)."""
    if is_numpy(xp):
        return np.asarray(x)
    if is_torch(xp) and str(x.dtype) == "torch.bfloat16":  # NumPy has no bfloat16
        x = xp.astype(x, xp.float64)
    return to_numpy(x)


def check_shape(func: str, xp: Any, boxes: Array, name: str, min_ndim: int) -> None:
    """Raise unless ``boxes`` is a real-valued ``(..., 4)`` array of at least ``min_ndim``
    dimensions."""
    shape = tuple(boxes.shape)
    if len(shape) < min_ndim or shape[-1] != 4:
        expected = "(..., 4)" if min_ndim == 1 else "(..., N, 4)"
        raise InputError(
            f"{func}: `{name}` must have shape {expected} (4 coordinates per box in the last "
            f"dimension); got shape {shape}."
        )
    if not xp.isdtype(boxes.dtype, ("real floating", "integral")):
        raise InputError(f"{func}: `{name}` must hold real numbers; got dtype {boxes.dtype}.")


def compute_dtype(xp: Any, *arrays: Array) -> tuple[Any, Any]:
    """(dtype to compute in, dtype to return): see :mod:`ioukit.geometry.boxes`."""
    ct = float_dtype(xp, arrays[0])
    if all(a.dtype == xp.float32 for a in arrays):
        return ct, xp.float32
    return ct, ct


def columns(boxes: Array) -> Cols:
    """The four coordinate columns of ``(..., 4)`` boxes."""
    return boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]


def prepare(
    func: str,
    xp: Any,
    boxes: Array,
    name: str,
    ct: Any,
    pixel_inclusive: bool,
    on_invalid: str,
) -> tuple[Cols, Array | None]:
    """Cast to ``ct``, apply ``on_invalid`` and the pixel convention.

    Returns the four coordinate columns and the boolean mask of invalid boxes (``None`` when
    there are none or ``on_invalid`` resolved them).
    """
    b = xp.astype(boxes, ct)
    x1, y1, x2, y2 = columns(b)
    finite = xp.all(xp.isfinite(b), axis=-1)
    invalid = xp.logical_not(finite) | (x2 < x1) | (y2 < y1)
    mask: Array | None = None
    if bool(xp.any(invalid)):
        if on_invalid == "raise" or (on_invalid == "sort_corners" and not bool(xp.all(finite))):
            bad_mask = to_numpy(invalid if on_invalid == "raise" else xp.logical_not(finite))
            count = int(bad_mask.sum())
            first = np.argwhere(bad_mask)[0]
            index = tuple(int(i) for i in first)
            shown = index[0] if len(index) == 1 else index
            values = [v.item() for v in np.asarray(to_numpy(boxes))[index]]
            what = (
                "finite coordinates"
                if on_invalid == "sort_corners"
                else "valid xyxy boxes (x1 <= x2, y1 <= y2, finite coordinates)"
            )
            hint = (
                "NaN/inf coordinates cannot be repaired by on_invalid='sort_corners'; use "
                "on_invalid='nan' or 'zero', or drop those boxes."
                if on_invalid == "sort_corners"
                else "Check the box format (in_fmt of box_convert), or pass "
                "on_invalid='sort_corners' to swap inverted corners, or on_invalid='nan' / "
                "'zero' to score those boxes as NaN / 0."
            )
            raise InputError(
                f"{func}: `{name}` must hold {what}; got {count} invalid box(es) of "
                f"{bad_mask.size}, the first at index {shown}: {values}. {hint}"
            )
        if on_invalid == "sort_corners":
            x1, x2 = xp.minimum(x1, x2), xp.maximum(x1, x2)
            y1, y2 = xp.minimum(y1, y2), xp.maximum(y1, y2)
        else:
            mask = invalid
            zero = xp.zeros_like(x1)
            x1, y1, x2, y2 = (xp.where(invalid, zero, c) for c in (x1, y1, x2, y2))
    if pixel_inclusive:
        x2 = x2 + 1
        y2 = y2 + 1
    return (x1, y1, x2, y2), mask
