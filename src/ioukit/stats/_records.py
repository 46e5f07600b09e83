"""The ``"state"`` of a result's JSON document, written and read back exactly.

A result's ``to_dict()`` carries its exact per-image data as :func:`ioukit._state.encode_arrays`
arrays, and ``from_dict`` rebuilds the result from them alone. Besides the number arrays, the
state holds one array ``"meta"``: the UTF-8 bytes of a JSON object with everything that is not
an array (names, options, the metadata of each :class:`~ioukit.Counts`). JSON keeps every Python
string and float exactly (floats as their shortest repr), so the round trip is exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from ioukit._errors import StateError
from ioukit._state import encode_arrays, state_of, take
from ioukit.core.counts import Counts

__all__ = ["counts_from_state", "counts_to_state", "pack", "reading", "unpack"]

NDArray = np.ndarray[Any, Any]


def pack(meta: Mapping[str, Any], arrays: Mapping[str, NDArray]) -> dict[str, str]:
    """``encode_arrays`` of ``arrays`` plus ``meta`` as the JSON bytes of the array ``"meta"``.

    >>> meta, arrays = unpack({"kind": "x", "state": pack({"a": [1, None]}, {})}, "x", "here")
    >>> meta
    {'a': [1, None]}
    """
    text = json.dumps(meta, allow_nan=False, sort_keys=True).encode("ascii")
    return encode_arrays({**arrays, "meta": np.frombuffer(text, dtype=np.uint8)})


def unpack(doc: object, kind: str, where: str) -> tuple[dict[str, Any], dict[str, NDArray]]:
    """``(meta, arrays)`` of ``doc["state"]``, after checking that ``doc`` is the ``to_dict()``
    document of a ``kind`` result."""
    if not isinstance(doc, Mapping):
        raise StateError(f"{where}: expected the dict of to_dict(); got {type(doc).__name__}.")
    if doc.get("kind") != kind:
        raise StateError(
            f'{where}: expected the document of a {kind} result ("kind": {kind!r}); got kind '
            f"{doc.get('kind')!r}."
        )
    arrays = state_of(doc, where, "the exact per-image data")
    raw = take(arrays, "meta", where, "u", 1)
    try:
        meta = json.loads(raw.tobytes().decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        meta = None
    if not isinstance(meta, dict):
        raise StateError(f"{where}: the state's metadata is damaged.")
    return meta, arrays


@contextmanager
def reading(where: str) -> Iterator[None]:
    """Turn a missing key or a wrong type or value met while rebuilding a result from its
    metadata into a :class:`~ioukit.StateError` naming ``where``."""
    try:
        yield
    except StateError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError(f"{where}: the state's metadata is damaged ({exc!r}).") from None


def counts_to_state(name: str, counts: Counts) -> tuple[dict[str, Any], dict[str, NDArray]]:
    """``Counts.to_dict()`` split into its JSON part and its arrays (keys ``<name>.<field>``)."""
    d = counts.to_dict(as_lists=False)
    arrays = {f"{name}.{k}": v for k, v in d.items() if isinstance(v, np.ndarray)}
    return {k: v for k, v in d.items() if not isinstance(v, np.ndarray)}, arrays


def counts_from_state(
    name: str, meta: Mapping[str, Any], arrays: Mapping[str, NDArray], where: str
) -> Counts:
    """The :class:`~ioukit.Counts` of :func:`counts_to_state`, validated by
    :meth:`Counts.from_dict`."""
    part = meta.get(name)
    if not isinstance(part, dict):
        raise StateError(f"{where}: the state has no counts {name!r}.")
    fields = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith(f"{name}.")}
    try:
        return Counts.from_dict({**part, **fields})
    except StateError as exc:
        raise StateError(f"{where}: the state's counts {name!r}: {exc}") from None
