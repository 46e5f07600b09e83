"""The one module that knows array-library quirks.

Everything else in ioukit is written against the Array API standard through the namespace
returned by :func:`namespace`. What the standard lacks (``bincount``), what differs between
libraries (float64 support on some devices) and how to look at values for an error message
lives here.
"""

from __future__ import annotations

from typing import Any

import array_api_compat
import numpy as np

from ioukit._errors import BackendError
from ioukit._typing import Array

__all__ = [
    "Array",
    "bincount",
    "comparable_labels",
    "describe_values",
    "device_of",
    "float_dtype",
    "int_fits",
    "is_numpy",
    "is_torch",
    "namespace",
    "safe_divide",
    "to_numpy",
]


def namespace(*arrays: Any, func: str) -> tuple[Any, list[Any]]:
    """Return the common Array API namespace of ``arrays`` and the arrays in it.

    Python sequences and scalars become NumPy arrays; ``None`` entries pass through. Arrays
    from two different libraries are rejected: ioukit never moves data between libraries or
    devices behind the caller's back.
    """
    converted: list[Any] = []
    for a in arrays:
        if a is None or array_api_compat.is_array_api_obj(a):
            converted.append(a)
        else:
            try:
                converted.append(np.asarray(a))
            except (ValueError, TypeError) as exc:
                raise BackendError(
                    f"{func}: cannot convert an argument of type {type(a).__name__} to an "
                    f"array ({exc}); pass NumPy arrays, tensors or (nested) lists of numbers."
                ) from exc
    present = [a for a in converted if a is not None]
    try:
        xp = array_api_compat.array_namespace(*present)
    except TypeError as exc:
        libraries = sorted({type(a).__module__.split(".")[0] for a in present})
        raise BackendError(
            f"{func}: arguments come from different array libraries ({', '.join(libraries)}); "
            "convert them to one library first, e.g. torch.as_tensor(x) or x.cpu().numpy()."
        ) from exc
    if array_api_compat.is_jax_namespace(xp):
        import jax

        if not jax.config.read("jax_enable_x64"):
            raise BackendError(
                f"{func}: JAX arrays need 64-bit mode, because ioukit's counts are exact int64 "
                "(int32 overflows past 2**31 pixels); enable it with "
                "jax.config.update('jax_enable_x64', True) or JAX_ENABLE_X64=1."
            )
    return xp, converted


def is_numpy(xp: Any) -> bool:
    """Whether ``xp`` is NumPy's namespace (where the numba kernels apply)."""
    return bool(array_api_compat.is_numpy_namespace(xp))


def is_torch(xp: Any) -> bool:
    """Whether ``xp`` is PyTorch's namespace."""
    return bool(array_api_compat.is_torch_namespace(xp))


def device_of(x: Array) -> Any:
    """The device ``x`` lives on."""
    return array_api_compat.device(x)


def float_dtype(xp: Any, x: Array) -> Any:
    """float64, unless the device of ``x`` cannot hold it (Apple MPS), then float32."""
    if is_torch(xp) and str(device_of(x)).startswith("mps"):
        return xp.float32
    return xp.float64


def to_numpy(x: Array) -> np.ndarray[Any, Any]:
    """A NumPy copy of ``x`` (host memory). Used for error messages and the NumPy kernels."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach"):  # torch: leave autograd and the device
        return np.asarray(x.detach().cpu().numpy())
    try:
        return np.asarray(x)
    except (TypeError, ValueError, RuntimeError):
        return np.from_dlpack(x)


def comparable_labels(xp: Any, x: Array) -> Array:
    """``x`` in a dtype that every library compares with Python ints.

    bool becomes uint8 (array-api-strict refuses ``bool_array == 1``); PyTorch's uint16, uint32
    and uint64, which lack most operations (``<`` included), become int64. Other dtypes pass.
    """
    if x.dtype == xp.bool:
        return xp.astype(x, xp.uint8)
    if is_torch(xp) and str(x.dtype) in ("torch.uint16", "torch.uint32", "torch.uint64"):
        return xp.astype(x, xp.int64)
    return x


def int_fits(xp: Any, x: Array, value: int) -> bool:
    """Whether the Python int ``value`` is representable in the dtype of ``x``.

    Comparing an integer array with an int its dtype cannot hold fails in some libraries
    (array-api-strict) and silently wraps around in others (PyTorch compares a uint8 tensor
    ``!= -1`` with 255), so callers skip such comparisons: their outcome is known. Floating
    dtypes hold every label.
    """
    if not xp.isdtype(x.dtype, "integral"):
        return True
    info = xp.iinfo(x.dtype)
    return int(info.min) <= value <= int(info.max)


def describe_values(values: Array, limit: int = 8) -> str:
    """Render the distinct values of ``values`` for an error message, at most ``limit``."""
    uniq = np.unique(to_numpy(values).ravel())
    shown = ", ".join(repr(v.item()) for v in uniq[:limit])
    more = f", … ({uniq.size} distinct)" if uniq.size > limit else ""
    return f"[{shown}{more}]"


def bincount(xp: Any, x: Array, minlength: int, weights: Array | None = None) -> Array:
    """``bincount`` of the non-negative integer 1-D array ``x`` with exactly ``minlength`` bins.

    Uses the library's own ``bincount`` when it has one (NumPy, PyTorch, CuPy). Otherwise
    (array-api-strict, JAX through compat) falls back to an exact sort-and-search path in the
    same namespace: slower, same result. Every value of ``x`` must lie in ``[0, minlength)``.
    """
    if hasattr(xp, "bincount"):
        if weights is None:
            return xp.bincount(x, minlength=minlength)
        return xp.bincount(x, weights=weights, minlength=minlength)
    dev = device_of(x)
    order = xp.argsort(x)
    xs = xp.take(x, order)
    edges = xp.searchsorted(xs, xp.arange(minlength + 1, dtype=xs.dtype, device=dev))
    if weights is None:
        return xp.astype(edges[1:] - edges[:-1], xp.int64)
    ws = xp.take(weights, order)
    zero = xp.zeros((1,), dtype=ws.dtype, device=dev)
    csum = xp.concat([zero, xp.cumulative_sum(ws)])
    return xp.take(csum, edges[1:]) - xp.take(csum, edges[:-1])


def safe_divide(xp: Any, num: Array, den: Array, fill: float) -> Array:
    """``num / den`` with ``fill`` where ``den == 0``.

    The denominator is made safe *before* dividing, so no inf/NaN is ever produced (and no
    NaN gradient flows through the masked branch in autograd libraries).
    """
    zero = den == 0
    safe_den = xp.where(zero, xp.ones_like(den), den)
    out = num / safe_den
    return xp.where(zero, xp.full_like(out, fill), out)
