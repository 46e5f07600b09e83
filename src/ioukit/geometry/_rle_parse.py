"""Reading and validating the input of :mod:`ioukit.rle`: RLE dicts, masks and polygons.

RLE dicts (one, or a list) become a :class:`Batch` of validated runs, and a batch an
:class:`Index` of intervals of ones (see :mod:`ioukit.kernels.rle`); masks to encode and polygon
vertices to rasterise are checked here too. Every error names the function, the argument (and
the item of a list), what was expected and what was got.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from ioukit._errors import InputError
from ioukit._xp import describe_values, to_numpy
from ioukit.kernels import rle as kernels

#: Largest polygon/box coordinate magnitude: the ×5 raster walks every upsampled boundary step
#: and COCO's raster works in 32-bit integers.
MAX_COORD = 1e8
_CODEC_ERRORS = {
    1: "holds a character outside '0'..'o' (not a COCO counts string)",
    2: "ends in the middle of a value (truncated string)",
    3: "decodes to a negative run length",
    4: "holds a value longer than 60 bits",
}


class Batch(NamedTuple):
    """Runs of a list of RLEs, validated."""

    sizes: np.ndarray[Any, Any]  # (N, 2) int64 (h, w)
    runs: np.ndarray[Any, Any]  # int64, concatenated
    roffs: np.ndarray[Any, Any]  # (N + 1,) int64


class Index(NamedTuple):
    """Intervals of ones, areas and bboxes of a batch (see ioukit.kernels.rle)."""

    starts: np.ndarray[Any, Any]
    ends: np.ndarray[Any, Any]
    ioffs: np.ndarray[Any, Any]
    icount: np.ndarray[Any, Any]
    area: np.ndarray[Any, Any]
    bbox: np.ndarray[Any, Any]  # (N, 4) int64 pixel-inclusive x0, y0, x1, y1; x1 = -1 if empty


def as_list(func: str, name: str, rles: Any) -> tuple[bool, list[Any]]:
    """(was a single dict, the RLEs as a list)."""
    if isinstance(rles, Mapping):
        return True, [rles]
    if isinstance(rles, (list, tuple)):
        return False, list(rles)
    raise InputError(
        f"{func}: `{name}` must be an RLE dict {{'size': [h, w], 'counts': ...}} or a list of "
        f"them; got {type(rles).__name__}."
    )


def item_label(name: str, single: bool, i: int) -> str:
    """How an error message names item ``i`` of the argument ``name``."""
    return f"`{name}`" if single else f"`{name}[{i}]`"


def _sizes(func: str, name: str, single: bool, items: list[Any]) -> np.ndarray[Any, Any]:
    """(N, 2) int64 sizes, after checking that every item is an RLE dict with a valid size."""
    try:
        raw = [r["size"] for r in items]
        for r in items:
            r["counts"]
    except (KeyError, TypeError, IndexError):
        for i, r in enumerate(items):
            if not isinstance(r, Mapping) or "size" not in r or "counts" not in r:
                got = f"keys {sorted(map(str, r))}" if isinstance(r, Mapping) else describe(r)
                raise InputError(
                    f"{func}: {item_label(name, single, i)} must be an RLE dict with keys "
                    f"'size' and 'counts'; got {got}. Polygons go through from_polygons(), boxes "
                    "through from_boxes()."
                ) from None
        raise
    if not raw:
        return np.zeros((0, 2), np.int64)
    try:
        out = np.array(raw)
    except (TypeError, ValueError):
        out = np.zeros(0)
    if out.shape == (len(raw), 2) and out.dtype.kind in "iu" and int(out.min()) >= 0:
        return out.astype(np.int64, copy=False)

    def good(s: Any) -> bool:
        return (
            isinstance(s, (list, tuple, np.ndarray))
            and len(s) == 2
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in s)
            and min(s) >= 0
        )

    i = next(j for j, s in enumerate(raw) if not good(s))  # the first bad one, for the message
    raise InputError(
        f"{func}: {item_label(name, single, i)}['size'] must be a pair of non-negative ints "
        f"[h, w]; got {raw[i]!r}."
    )


def parse(func: str, name: str, rles: Any) -> tuple[bool, Batch]:
    """Validated runs of one RLE dict or a list of them: (was a single dict, batch)."""
    single, items = as_list(func, name, rles)
    sizes = _sizes(func, name, single, items)
    counts = [r["counts"] for r in items]
    n = len(counts)
    if all(type(c) is str or type(c) is bytes for c in counts):
        runs, roffs, totals = _parse_compressed(func, name, single, counts, range(n))
    else:
        compressed = [i for i, c in enumerate(counts) if isinstance(c, (str, bytes))]
        by_item: dict[int, np.ndarray[Any, Any]] = {}
        if compressed:
            c_runs, c_roffs, _ = _parse_compressed(
                func, name, single, [counts[i] for i in compressed], compressed
            )
            for j, i in enumerate(compressed):
                by_item[i] = c_runs[c_roffs[j] : c_roffs[j + 1]]
        for i, c in enumerate(counts):
            if i not in by_item:
                by_item[i] = _uncompressed(func, item_label(name, single, i), c)
        pieces = [by_item[i] for i in range(n)]
        runs = np.concatenate(pieces)
        roffs = np.zeros(n + 1, np.int64)
        np.cumsum([p.size for p in pieces], out=roffs[1:])
        totals = np.array([int(p.sum()) for p in pieces], dtype=np.int64)
    expected = sizes[:, 0] * sizes[:, 1]
    wrong = np.flatnonzero(totals != expected)
    if wrong.size:
        i = int(wrong[0])
        h, w = (int(v) for v in sizes[i])
        raise InputError(
            f"{func}: the runs of {item_label(name, single, i)} must add up to h * w = {h * w} "
            f"(size [{h}, {w}]); they add up to {int(totals[i])}. The counts are truncated or "
            "belong to another image size."
        )
    return single, Batch(sizes, runs, roffs)


def _parse_compressed(
    func: str, name: str, single: bool, counts: list[Any], where: Sequence[int]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    try:
        raw = [c.encode("ascii") if isinstance(c, str) else c for c in counts]
    except UnicodeEncodeError:
        for j, c in enumerate(counts):
            if isinstance(c, str) and not c.isascii():
                raise InputError(
                    f"{func}: {item_label(name, single, where[j])}['counts'] must be a COCO counts "
                    f"string (characters '0'..'o'); got non-ASCII text {c[:40]!r}."
                ) from None
        raise
    offs = np.zeros(len(raw) + 1, np.int64)
    np.cumsum([len(c) for c in raw], out=offs[1:])
    buf = np.frombuffer(b"".join(raw), dtype=np.uint8)
    runs, roffs, err, totals = kernels.parse_strings(buf, offs)
    bad = np.flatnonzero(err)
    if bad.size:
        j = int(bad[0])
        text = raw[j][:40].decode("ascii", "replace")
        raise InputError(
            f"{func}: {item_label(name, single, where[j])}['counts'] must be a COCO counts string; "
            f"it {_CODEC_ERRORS[int(err[j])]}: {text!r}{'…' if len(raw[j]) > 40 else ''}."
        )
    return runs, roffs, totals


def _uncompressed(func: str, label: str, counts: Any) -> np.ndarray[Any, Any]:
    if isinstance(counts, (list, tuple, np.ndarray)):
        arr = np.asarray(counts)
        if arr.size == 0:
            return np.zeros(0, np.int64)
        if arr.ndim == 1 and arr.dtype.kind in "iu":
            if arr.dtype.kind == "i" and int(arr.min()) < 0:
                k = int(np.argmax(arr < 0))
                raise InputError(
                    f"{func}: {label}['counts'] must hold non-negative run lengths; got "
                    f"{int(arr[k])} at position {k}."
                )
            return arr.astype(np.int64)
    raise InputError(
        f"{func}: {label}['counts'] must be a COCO counts string (str or bytes) or a list of "
        f"non-negative int run lengths; got {describe(counts)}."
    )


def describe(x: Any) -> str:
    """A short description of a value of the wrong kind, for an error message."""
    if isinstance(x, (list, tuple)):
        head = ", ".join(repr(v) for v in x[:5])
        return f"{type(x).__name__} [{head}{', …' if len(x) > 5 else ''}]"
    if isinstance(x, np.ndarray):
        return f"array of dtype {x.dtype} and shape {x.shape}"
    return type(x).__name__


def index_batch(batch: Batch) -> Index:
    """The intervals of ones, areas and bounding boxes of a batch."""
    heights = batch.sizes[:, 0].copy() if batch.sizes.size else np.zeros(0, np.int64)
    return Index(*kernels.index_runs(batch.runs, batch.roffs, heights))


def one_size(func: str, name: str, single: bool, sizes: np.ndarray[Any, Any]) -> None:
    """Raise unless every mask of a list has the same size."""
    if sizes.shape[0] > 1:
        diff = np.flatnonzero(np.any(sizes != sizes[0], axis=1))
        if diff.size:
            i = int(diff[0])
            raise InputError(
                f"{func}: all masks in `{name}` must have the same size; `{name}[0]` is "
                f"{sizes[0].tolist()} but `{name}[{i}]` is {sizes[i].tolist()}."
            )


def mask_array(func: str, mask: Any) -> np.ndarray[Any, Any]:
    """Masks to encode as a NumPy array, after checking their number of dimensions and dtype."""
    arr = mask if isinstance(mask, np.ndarray) else to_numpy(mask)
    if arr.ndim not in (2, 3):
        raise InputError(
            f"{func}: `mask` must have shape (H, W) or (N, H, W) (masks stacked on the first "
            f"axis); got shape {tuple(arr.shape)}."
        )
    if arr.dtype != np.bool_ and arr.dtype.kind not in "iu":
        raise InputError(
            f"{func}: `mask` must be bool or hold integers 0 and 1; got dtype {arr.dtype}. "
            "Binarise it first, e.g. mask > 0.5."
        )
    return arr


def raise_values(func: str, single: bool, stack: np.ndarray[Any, Any], i: int) -> None:
    """Raise the error for mask ``i`` of ``stack``, which holds values other than 0 and 1."""
    values = stack[i].view(np.int8) if stack.dtype == np.uint8 else stack[i]
    where = "" if single else f" (mask {i} of the stack)"
    raise InputError(
        f"{func}: `mask` must hold only 0 and 1 (or be bool); got values "
        f"{describe_values(values)}{where}. Binarise it first, e.g. mask > 0."
    )


def image_size(func: str, h: Any, w: Any) -> tuple[int, int]:
    """The image size ``(h, w)``, after checking that both are non-negative ints."""
    for name, v in (("h", h), ("w", w)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
            raise InputError(f"{func}: `{name}` must be a non-negative int; got {v!r}.")
    return int(h), int(w)


def vertices(func: str, polygon: Any, label: str) -> np.ndarray[Any, Any]:
    """The ``(K, 2)`` float64 vertices of one COCO polygon, after checking them."""
    try:
        arr = np.asarray(polygon, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{func}: {label} must be a flat list of numbers [x1, y1, x2, y2, ...] or an array "
            f"of shape (K, 2); got {describe(polygon)} ({exc})."
        ) from None
    if arr.ndim == 2 and arr.shape[1] == 2:
        xy = arr
    elif arr.ndim == 1 and arr.size % 2 == 0:
        xy = arr.reshape(-1, 2)
    elif arr.ndim == 1:
        raise InputError(
            f"{func}: {label} must hold an even number of coordinates (x, y pairs); got "
            f"{arr.size}: {describe(list(polygon))}."
        )
    else:
        raise InputError(
            f"{func}: {label} must be a flat list of numbers [x1, y1, x2, y2, ...] or an array "
            f"of shape (K, 2); got shape {arr.shape}."
        )
    if xy.shape[0] < 3:
        raise InputError(
            f"{func}: {label} must have at least 3 vertices (6 numbers); got {xy.shape[0]}: "
            f"{xy.reshape(-1).tolist()}. A 4-number list is not read as a box here (pycocotools"
            " does that): use from_boxes() for boxes, or drop degenerate polygons."
        )
    if not np.all(np.isfinite(xy)) or np.abs(xy).max() > MAX_COORD:
        raise InputError(
            f"{func}: {label} must hold finite coordinates of magnitude at most "
            f"{MAX_COORD:.0e}; got {xy.reshape(-1).tolist()[:12]}."
        )
    return xy


def box_corners(func: str, boxes: Any, fmt: str) -> tuple[bool, list[np.ndarray[Any, Any]]]:
    """(was a single box, the ``(4, 2)`` float64 corners of each box) of ``(4,)`` or ``(N, 4)``
    boxes in format ``fmt``, after checking shape, finiteness and non-negative sizes."""
    arr = np.asarray(to_numpy(boxes) if not isinstance(boxes, (list, tuple)) else boxes)
    if arr.ndim not in (1, 2) or arr.shape[-1] != 4 or arr.dtype.kind not in "iufb":
        raise InputError(
            f"{func}: `boxes` must be numbers of shape (4,) or (N, 4); got shape "
            f"{arr.shape} of dtype {arr.dtype}."
        )
    single = arr.ndim == 1
    b = arr.reshape(-1, 4).astype(np.float64)
    if fmt == "xywh":
        x0, y0 = b[:, 0], b[:, 1]
        x1, y1 = x0 + b[:, 2], y0 + b[:, 3]  # as COCO: xe = x + w, in float64
    else:
        x0, y0, x1, y1 = b.T
    bad = ~np.isfinite(b).all(axis=1) | (x1 < x0) | (y1 < y0) | (np.abs(b).max(axis=1) > MAX_COORD)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(
            f"{func}: `boxes` must hold finite {fmt} boxes with non-negative width and height; "
            f"box {i} is {arr.reshape(-1, 4)[i].tolist()}."
        )
    corners = [
        np.array([[x0[i], y0[i]], [x0[i], y1[i]], [x1[i], y1[i]], [x1[i], y0[i]]], dtype=np.float64)
        for i in range(b.shape[0])
    ]
    return single, corners
