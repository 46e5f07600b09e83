"""Columns from JSON bytes, without a Python object per item: the compiled reader
(:mod:`ioukit.kernels._numba_json`) behind plain functions.

numba is imported when a reader first runs, never at ``import ioukit``.

:func:`object_columns` reads chosen keys of a list of objects into a :class:`Columns`; every
number is the double Python's ``json`` gives (the reader's fast path is exact, the rest is
converted by NumPy's correctly rounded string-to-double). Anything the reader does not handle
itself (NaN/Infinity, escaped keys) raises :class:`Unusual`, and malformed JSON
:class:`Malformed`: callers then read the bytes with Python's ``json``, whose messages and
rules apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from ioukit.kernels._threads import numba_threads, parallel_threads, run_chunks

__all__ = [
    "FLOAT",
    "HARD",
    "INT",
    "MISSING",
    "NUMBERS",
    "OTHER",
    "RINGS",
    "STRING",
    "Columns",
    "Malformed",
    "Unusual",
    "array_elements",
    "fixed_rings",
    "object_columns",
    "strings",
]

_NDArray = np.ndarray[Any, Any]

#: below this many bytes the reader runs on one thread
_PARALLEL_MIN_BYTES = 1 << 20

MISSING, INT, FLOAT, HARD, STRING, NUMBERS, RINGS, OTHER = 0, 1, 2, 3, 4, 5, 6, 7


class Unusual(Exception):
    """The bytes hold JSON the compiled reader leaves to Python's ``json``."""


class Malformed(Exception):
    """The bytes are not valid JSON where the reader looked."""


@cache
def _jit() -> Any:
    # imports numba: only here, when a reader first runs
    from ioukit.kernels import _numba_json

    return _numba_json


@cache
def _jit_array() -> Any:
    # imports numba: only here, when an array is first read
    from ioukit.kernels import _numba_json_array

    return _numba_json_array


@dataclass(frozen=True)
class Columns:
    """Key ``j`` of object ``i`` (arrays ``(keys, objects)``, a key's column contiguous):
    ``kind[j, i]`` (the constants above), ``number[j, i]`` (INT, FLOAT: exact, an INT at most
    2**53 in magnitude), the bytes ``start[j, i]:end[j, i]`` (STRING: inside the quotes; OTHER:
    the whole value); a NUMBERS/RINGS value has ``end[j, i]`` rings from ``start[j, i]`` on
    (:meth:`rings`), ring ``r`` being ``nums[ring_off[r]:ring_off[r + 1]]``."""

    keys: tuple[str, ...]
    kind: _NDArray
    number: _NDArray
    start: _NDArray
    end: _NDArray
    nums: _NDArray
    ring_off: _NDArray

    def col(self, key: str) -> int:
        return self.keys.index(key)

    def rings(self, j: int, rows: Any = slice(None)) -> tuple[_NDArray, _NDArray]:
        """The first ring and the number of rings of key ``j`` of the objects ``rows``."""
        return self.start[j, rows].astype(np.int64), self.end[j, rows].astype(np.int64)


def _exact(buf: _NDArray, start: _NDArray, end: _NDArray) -> _NDArray:
    """The doubles of the number literals ``buf[start:end]``, correctly rounded."""
    if start.size == 0:
        return np.zeros(0)
    width = int((end - start).max())
    idx = start[:, None] + np.arange(width)
    chars = np.where(idx < end[:, None], buf[np.minimum(idx, buf.size - 1)], 0).astype(np.uint8)
    return np.ascontiguousarray(chars).view(f"S{width}").reshape(-1).astype(np.float64)


def array_elements(buf: _NDArray, pos: int) -> tuple[_NDArray, int]:
    """The start offsets of the elements of the JSON array at byte ``pos``, and its end. A
    large array of objects is cut into byte ranges read in parallel (the cuts checked, else
    read in one pass)."""
    threads = parallel_threads(int(buf.size) - pos, min_work=_PARALLEL_MIN_BYTES)
    if threads > 1:
        with numba_threads(threads):
            starts, end, ok = _jit_array().elements_chunked(buf, pos, 2 * threads)
        if ok:
            return starts, int(end)
    starts, end = _jit_array().elements(buf, pos)
    if end < 0:
        raise Malformed(f"malformed JSON array at byte {pos}")
    return starts, int(end)


def _scan_objects(
    buf: _NDArray, starts: _NDArray, keys: _NDArray, key_off: _NDArray, threads: int
) -> tuple[Any, ...]:
    """:func:`ioukit.kernels._numba_json.scan_chunks` over ``4 * threads`` chunks of
    consecutive objects (1 on one thread): ``(kind, fval, vs, ve, nums, hard, ring_off,
    status, at)``. Each chunk writes its numbers and rings in its own region, sized for the
    worst case (a number takes at least 2 bytes, a digit and a delimiter; a ring too), never
    cleared, so that untouched pages cost no memory; the regions stay where they are (ring
    offsets are absolute, the gaps between them never read) and the arrays are cut after the
    last chunk, so that ``ring_off[-1] == nums.size``. ``hard``: the positions in ``nums``
    of HARD numbers (their byte offsets, for the caller to convert). Byte offsets and ring
    numbers are int32 for files under 2 GiB (half the memory)."""
    n, nk, chunks = starts.size, key_off.size - 1, 4 * threads if threads > 1 else 1
    index = np.int32 if buf.size < 2**31 - 1 else np.int64
    kind, fval = np.zeros((nk, n), np.int8), np.zeros((nk, n), np.float64)
    vs, ve = np.zeros((nk, n), index), np.zeros((nk, n), index)
    bounds = (n * np.arange(chunks + 1, dtype=np.int64)) // chunks
    at = np.append(np.asarray(starts, np.int64), buf.size)[bounds]  # a chunk's first byte
    base = np.zeros(chunks + 1, np.int64)
    np.cumsum((at[1:] - at[:-1]) // 2 + 2, out=base[1:])
    nums, nkind = np.empty(base[-1], np.float64), np.empty(base[-1], np.int8)
    ring_off = np.empty(base[-1] + chunks, np.int64)
    used = np.zeros((chunks, 4), np.int64)
    run_chunks(
        _jit().scan_chunks, chunks, threads,
        buf, starts, keys, key_off, kind, fval, vs, ve, nums, nkind, ring_off, bounds, base, used,
        pieces=threads,
    )  # fmt: skip
    for c in range(chunks):
        if used[c, 2] != 0:
            return kind, fval, vs, ve, nums[:0], np.zeros(0, np.int64), ring_off[:1], *used[c, 2:]
    hard = [base[c] + np.flatnonzero(nkind[base[c] : used[c, 0]] == HARD) for c in range(chunks)]
    end, r_end = used[-1, 0], base[-2] + chunks - 1 + used[-1, 1]  # the last chunk's rings
    return kind, fval, vs, ve, nums[:end], np.concatenate(hard), ring_off[: r_end + 1], 0, 0


def object_columns(buf: _NDArray, starts: _NDArray, keys: tuple[str, ...]) -> Columns:
    """Read ``keys`` of the JSON objects starting at ``starts`` (byte offsets into ``buf``)."""
    encoded = [k.encode() for k in keys]
    key_bytes = np.frombuffer(b"".join(encoded), np.uint8) if keys else np.zeros(0, np.uint8)
    key_off = np.zeros(len(keys) + 1, np.int64)
    np.cumsum([len(k) for k in encoded], out=key_off[1:])
    jit = _jit()
    threads = parallel_threads(int(buf.size), min_work=_PARALLEL_MIN_BYTES)
    out = _scan_objects(buf, starts, key_bytes, key_off, threads)
    kind, fval, vs, ve, nums, hard_n, ring_off, status, at = out
    if status == 2:
        raise Unusual(f"JSON the fast reader leaves to Python at byte {at}")
    if status != 0:
        raise Malformed(f"malformed JSON at byte {at}")
    hard = kind == HARD
    if hard.any():
        fval[hard] = _exact(buf, vs[hard].astype(np.int64), ve[hard].astype(np.int64))
        kind[hard] = FLOAT
    if hard_n.size:
        at = nums[hard_n].astype(np.int64)
        nums[hard_n] = _exact(buf, at, jit.number_ends(buf, at))
    # nums and ring_off are views of larger buffers whose untouched pages cost no memory
    return Columns(keys, kind, fval, vs, ve, nums, ring_off)


def fixed_rings(c: Columns, key: str, rows: _NDArray, width: int) -> _NDArray | None:
    """``(len(rows), width)`` float64: the numbers of column ``key`` of the objects ``rows``,
    or None unless each is an array of exactly ``width`` numbers. One compiled pass, no
    temporary the size of the column."""
    j = c.col(key)
    out, ok = _jit().fixed_rings(
        c.kind[j], c.start[j], c.end[j], c.ring_off, c.nums, rows.astype(np.int64), width
    )
    return out if ok else None


def strings(buf: _NDArray, start: _NDArray, end: _NDArray) -> tuple[_NDArray, _NDArray]:
    """The JSON strings ``buf[start[i]:end[i]]`` (raw, inside the quotes) with escapes undone,
    concatenated: (bytes, offsets (N + 1,)). Raises :class:`Unusual` for non-ASCII escapes."""
    out, offs, ok = _jit().unescape(buf, start.astype(np.int64), end.astype(np.int64))
    if not ok:
        raise Unusual("a JSON string with an escape the fast reader leaves to Python")
    return out, offs
