"""Arrays inside a JSON document: the state that ``ioukit compare`` reads back.

A result's :meth:`to_dict` carries, beside its human-readable numbers, a ``"state"`` entry with
the exact per-image data it was computed from (per-image counts, match records). The arrays are
stored as one compressed ``.npz`` archive, base64-encoded, so that the JSON stays small and the
arrays come back bit for bit (dtype, shape and values).
"""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from ioukit._errors import InputError, StateError

__all__ = ["STATE_FORMAT", "decode_arrays", "encode_arrays", "state_of", "take"]

#: the value of ``state["format"]``; a reader refuses any other
STATE_FORMAT = "npz-base64-v1"

NDArray = np.ndarray[Any, Any]


def encode_arrays(arrays: Mapping[str, NDArray]) -> dict[str, str]:
    """``{"format": STATE_FORMAT, "arrays": <base64 of a compressed .npz>}``.

    Object arrays are refused (they would need pickle to come back).

    >>> doc = encode_arrays({"tp": np.arange(6, dtype=np.int64).reshape(2, 3)})
    >>> decode_arrays(doc)["tp"].tolist()
    [[0, 1, 2], [3, 4, 5]]
    >>> doc == encode_arrays({"tp": np.arange(6, dtype=np.int64).reshape(2, 3)})  # same text
    True
    """
    buf = io.BytesIO()
    # the archive np.load reads, written with a fixed time stamp so that the same arrays always
    # give the same text (np.savez_compressed stamps each entry with the clock)
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, value in arrays.items():
            a = np.asarray(value)
            if a.dtype == object:
                raise InputError(f"encode_arrays: array {name!r} has dtype object; use numbers.")
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(entry, "w") as f:
                np.lib.format.write_array(f, a, allow_pickle=False)
    return {"format": STATE_FORMAT, "arrays": base64.b64encode(buf.getvalue()).decode("ascii")}


def decode_arrays(state: Any, *, where: str = "state") -> dict[str, NDArray]:
    """The arrays of an :func:`encode_arrays` document (``where`` names it in errors)."""
    if not isinstance(state, Mapping) or state.get("format") != STATE_FORMAT:
        got = state.get("format") if isinstance(state, Mapping) else type(state).__name__
        raise InputError(
            f"{where}: expected a state written by ioukit (format {STATE_FORMAT!r}); got "
            f"{got!r}. Write the JSON again with this version of ioukit."
        )
    try:
        raw = base64.b64decode(state["arrays"], validate=True)
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{where}: the state's arrays are damaged ({exc}).") from None


def state_of(doc: Mapping[str, Any], where: str, what: str) -> dict[str, NDArray]:
    """The arrays of a result document's ``"state"``, for a ``from_dict``: a
    :class:`~ioukit.StateError` naming ``where`` when there is none (``what`` says what it
    would hold) or when it is damaged."""
    if "state" not in doc:
        raise StateError(
            f'{where}: the document has no "state" ({what}); it was written by an older '
            "ioukit: evaluate again, or write it again with this version."
        )
    try:
        return decode_arrays(doc["state"], where=f"{where}: `state`")
    except InputError as exc:  # a problem of a saved state, as every other one
        raise StateError(str(exc)) from None


def take(
    arrays: Mapping[str, NDArray],
    key: str,
    where: str,
    kinds: str,
    ndim: int,
    shape: tuple[int | None, ...] | None = None,
) -> NDArray:
    """``arrays[key]``, checked: present, of a dtype kind in ``kinds`` (``"i"`` also accepts
    unsigned), with ``ndim`` axes and, where given, those sizes (``None``: any); else a
    :class:`~ioukit.StateError` naming ``where``."""
    if key not in arrays:
        raise StateError(f"{where}: the state has no array {key!r}.")
    a = arrays[key]
    kinds = kinds + "u" if "i" in kinds else kinds
    ok = a.dtype.kind in kinds and a.ndim == ndim
    if ok and shape is not None:
        ok = all(s is None or s == t for s, t in zip(shape, a.shape, strict=True))
    if not ok:
        want = f"{ndim}-d" if shape is None else "(" + ", ".join(map(str, shape)) + ")"
        raise StateError(
            f"{where}: the state's array {key!r} must be {want} of dtype kind {kinds!r}; got "
            f"shape {a.shape} and dtype {a.dtype}."
        )
    return a
