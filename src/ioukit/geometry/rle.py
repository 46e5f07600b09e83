"""COCO run-length encoding (RLE) of binary masks, byte-identical with pycocotools.

An RLE is a dict ``{"size": [h, w], "counts": ...}``. The mask is read **column by column**
(column-major, as COCO does: down the first column, then the second, …) and stored as the
lengths of its alternating runs of 0s and 1s, starting with a (possibly empty) run of 0s.
``counts`` is either *compressed* — COCO's string of 5-bit chunks, what pycocotools writes and
``annotations`` of detections hold — or *uncompressed* — the list of run lengths, as in the
``iscrowd`` annotations of COCO json files. Every function here accepts both (``str`` or
``bytes`` for compressed counts, a list of ints for uncompressed ones) and writes compressed
counts as ``str``, so results go straight into ``json.dumps``.

Differences from pycocotools, all deliberate:

* masks are ``(H, W)`` or ``(N, H, W)`` arrays in any memory order (pycocotools wants Fortran
  ordered ``(H, W, N)`` uint8); :func:`decode` returns C-ordered ``bool`` arrays;
* :func:`iou` always returns a 2-D float64 array (pycocotools returns ``[]`` when a side is
  empty) and refuses masks of different image sizes (pycocotools writes ``-1`` there);
* every input is validated: sizes, characters of the counts string, runs that do not add up to
  ``h * w``, values other than 0/1 in masks, odd or too short polygons, each with a clear error;
* polygons and boxes have their own functions (:func:`from_polygons`, :func:`from_boxes`)
  instead of pycocotools' ``frPyObjects``, which reads any 4-number list as a box.

The numba kernels are compiled on first use and cached on disk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple, overload

import numpy as np

from ioukit._errors import InputError
from ioukit._xp import describe_values, to_numpy
from ioukit.core._checks import check_choice, check_flags

__all__ = [
    "area",
    "compress",
    "decode",
    "encode",
    "from_boxes",
    "from_polygons",
    "iou",
    "merge",
    "to_bbox",
]

RLE = dict[str, Any]
"""One run-length encoded mask: ``{"size": [h, w], "counts": str | bytes | list[int]}``."""

#: Bytes reserved per mask for its counts string by the parallel encoder; longer strings (very
#: detailed masks) are encoded again on their own with an exact buffer.
_ENCODE_CAP = 8192
#: Work sizes (pixels, bytes or runs) from which a kernel runs on all threads; below them,
#: waking the threads costs more than it saves (and much more on a busy machine).
_PARALLEL_PIXELS = 1 << 22
_PARALLEL_RUNS = 1 << 17
_PARALLEL_PAIRS = 4096
_PARALLEL_INTERVALS = 1 << 14
#: the string IoU kernel spends ~18 ns per pair on its box test alone, so 4096 pairs are worth
#: threads even when the strings are short (100 x 100 small objects: 179 µs serial, 98 µs on 2
#: threads, idle machine)
_PARALLEL_BYTES = 1 << 10
#: Largest polygon/box coordinate magnitude: the ×5 raster walks every upsampled boundary step
#: and COCO's raster works in 32-bit integers.
_MAX_COORD = 1e8
_CODEC_ERRORS = {
    1: "holds a character outside '0'..'o' (not a COCO counts string)",
    2: "ends in the middle of a value (truncated string)",
    3: "decodes to a negative run length",
    4: "holds a value longer than 60 bits",
}


@cache
def _kernels() -> Any:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_rle

    return _numba_rle


def _kernel(name: str, parallel: bool) -> Any:
    """The threaded kernel ``name`` or its one-thread twin ``name_serial``."""
    return getattr(_kernels(), name if parallel else f"{name}_serial")


# ----------------------------------------------------------------------------- parsing


class _Batch(NamedTuple):
    """Runs of a list of RLEs, validated."""

    sizes: np.ndarray[Any, Any]  # (N, 2) int64 (h, w)
    runs: np.ndarray[Any, Any]  # int64, concatenated
    roffs: np.ndarray[Any, Any]  # (N + 1,) int64


class _Index(NamedTuple):
    """Intervals of ones, areas and bboxes of a batch (see ioukit.kernels._numba_rle)."""

    starts: np.ndarray[Any, Any]
    ends: np.ndarray[Any, Any]
    ioffs: np.ndarray[Any, Any]
    icount: np.ndarray[Any, Any]
    area: np.ndarray[Any, Any]
    bbox: np.ndarray[Any, Any]  # (N, 4) int64 pixel-inclusive x0, y0, x1, y1; x1 = -1 if empty


def _as_list(func: str, name: str, rles: Any) -> tuple[bool, list[Any]]:
    """(was a single dict, the RLEs as a list)."""
    if isinstance(rles, Mapping):
        return True, [rles]
    if isinstance(rles, (list, tuple)):
        return False, list(rles)
    raise InputError(
        f"{func}: `{name}` must be an RLE dict {{'size': [h, w], 'counts': ...}} or a list of "
        f"them; got {type(rles).__name__}."
    )


def _label(name: str, single: bool, i: int) -> str:
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
                got = f"keys {sorted(map(str, r))}" if isinstance(r, Mapping) else _describe(r)
                raise InputError(
                    f"{func}: {_label(name, single, i)} must be an RLE dict with keys 'size' and "
                    f"'counts'; got {got}. Polygons go through from_polygons(), boxes through "
                    "from_boxes()."
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
        f"{func}: {_label(name, single, i)}['size'] must be a pair of non-negative ints "
        f"[h, w]; got {raw[i]!r}."
    )


def _parse(func: str, name: str, rles: Any) -> tuple[bool, _Batch]:
    """Validated runs of one RLE dict or a list of them: (was a single dict, batch)."""
    single, items = _as_list(func, name, rles)
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
                by_item[i] = _uncompressed(func, _label(name, single, i), c)
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
            f"{func}: the runs of {_label(name, single, i)} must add up to h * w = {h * w} (size "
            f"[{h}, {w}]); they add up to {int(totals[i])}. The counts are truncated or belong to "
            "another image size."
        )
    return single, _Batch(sizes, runs, roffs)


def _parse_compressed(
    func: str, name: str, single: bool, counts: list[Any], where: Sequence[int]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    try:
        raw = [c.encode("ascii") if isinstance(c, str) else c for c in counts]
    except UnicodeEncodeError:
        for j, c in enumerate(counts):
            if isinstance(c, str) and not c.isascii():
                raise InputError(
                    f"{func}: {_label(name, single, where[j])}['counts'] must be a COCO counts "
                    f"string (characters '0'..'o'); got non-ASCII text {c[:40]!r}."
                ) from None
        raise
    offs = np.zeros(len(raw) + 1, np.int64)
    np.cumsum([len(c) for c in raw], out=offs[1:])
    buf = np.frombuffer(b"".join(raw), dtype=np.uint8)
    runs, roffs, err, totals = _kernel("parse_strings", buf.size >= 8 * _PARALLEL_RUNS)(buf, offs)
    bad = np.flatnonzero(err)
    if bad.size:
        j = int(bad[0])
        text = raw[j][:40].decode("ascii", "replace")
        raise InputError(
            f"{func}: {_label(name, single, where[j])}['counts'] must be a COCO counts string; "
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
        f"non-negative int run lengths; got {_describe(counts)}."
    )


def _describe(x: Any) -> str:
    if isinstance(x, (list, tuple)):
        head = ", ".join(repr(v) for v in x[:5])
        return f"{type(x).__name__} [{head}{', …' if len(x) > 5 else ''}]"
    if isinstance(x, np.ndarray):
        return f"array of dtype {x.dtype} and shape {x.shape}"
    return type(x).__name__


def _index(batch: _Batch) -> _Index:
    heights = batch.sizes[:, 0].copy() if batch.sizes.size else np.zeros(0, np.int64)
    parallel = batch.runs.size >= _PARALLEL_RUNS
    return _Index(*_kernel("index_runs", parallel)(batch.runs, batch.roffs, heights))


def _one_size(func: str, name: str, single: bool, sizes: np.ndarray[Any, Any]) -> None:
    if sizes.shape[0] > 1:
        diff = np.flatnonzero(np.any(sizes != sizes[0], axis=1))
        if diff.size:
            i = int(diff[0])
            raise InputError(
                f"{func}: all masks in `{name}` must have the same size; `{name}[0]` is "
                f"{sizes[0].tolist()} but `{name}[{i}]` is {sizes[i].tolist()}."
            )


def _rle(h: int, w: int, counts: bytes) -> RLE:
    return {"size": [h, w], "counts": counts.decode("ascii")}


# ----------------------------------------------------------------------------- encode / decode


@overload
def encode(mask: np.ndarray[Any, Any]) -> RLE | list[RLE]: ...
@overload
def encode(mask: Any) -> RLE | list[RLE]: ...
def encode(mask: Any) -> RLE | list[RLE]:
    """Run-length encode binary masks, as ``pycocotools.mask.encode`` does.

    Parameters
    ----------
    mask : array of shape (H, W) or (N, H, W)
        Binary masks: ``bool`` or an integer dtype holding only 0 and 1. NumPy arrays in any
        memory order (C or Fortran: no copy is made for either), torch tensors (copied to the
        CPU) or nested lists. Note the layout: masks are stacked on the **first** axis, not on
        the last as in pycocotools' ``(H, W, N)``.

    Returns
    -------
    dict or list of dict
        For ``(H, W)``: one RLE ``{"size": [H, W], "counts": str}``; for ``(N, H, W)``: a list
        of N of them. ``counts`` is the same string that
        ``pycocotools.mask.encode(np.asfortranarray(mask))`` returns (there as ``bytes``), so
        ``json.dumps`` takes the result as it is. An empty mask (``H * W == 0``) is encoded as
        one run of length 0 (``"0"``), as pycocotools does.

    Raises
    ------
    InputError
        If ``mask`` is not 2-D or 3-D, not of a bool/integer dtype, or holds values other than
        0 and 1 (the message names the mask and the values).

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit import rle
    >>> m = np.zeros((4, 5), dtype=bool)
    >>> m[1:3, 1:4] = True
    >>> rle.encode(m)  # runs down the columns: 5 zeros, 2 ones, 2 zeros, 2 ones, 2 zeros, ...
    {'size': [4, 5], 'counts': '5220003'}
    >>> rle.area(rle.encode(m))
    6
    """
    func = "encode"
    arr = _mask_array(func, mask)
    single = arr.ndim == 2
    stack = arr[None] if single else arr
    n, h, w = stack.shape
    if stack.dtype == np.bool_ or stack.dtype == np.int8:
        stack = stack.view(np.uint8)
    elif stack.dtype != np.uint8:
        bad = (stack != 0) & (stack != 1)
        if bad.any():
            _raise_values(func, single, stack, int(np.argmax(bad.reshape(n, -1).any(axis=1))))
        stack = stack.astype(np.uint8)
    cap = min(_ENCODE_CAP, 7 * (h * w + 1) + 8)
    transposed = stack.transpose(0, 2, 1)
    rows = not (transposed.flags.c_contiguous and not stack.flags.c_contiguous)
    # column-major masks (Fortran ordered) are scanned in memory order, others row by row
    data = np.ascontiguousarray(stack) if rows else transposed
    encoder = _kernel("encode", n > 1 and n * h * w >= _PARALLEL_PIXELS)
    buf, lens, bad_masks = encoder(data, rows, cap)
    if bad_masks.any():
        _raise_values(func, single, stack, int(np.argmax(bad_masks)))
    out: list[RLE] = []
    for i in range(n):
        length = int(lens[i])
        if length <= cap:
            counts = buf[i, :length].tobytes()
        else:  # a very detailed mask: encode it alone with an exact buffer
            b, ln, _ = encoder(data[i : i + 1], rows, length)
            counts = b[0, : int(ln[0])].tobytes()
        out.append(_rle(h, w, counts))
    return out[0] if single else out


def _mask_array(func: str, mask: Any) -> np.ndarray[Any, Any]:
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


def _raise_values(func: str, single: bool, stack: np.ndarray[Any, Any], i: int) -> None:
    values = stack[i].view(np.int8) if stack.dtype == np.uint8 else stack[i]
    where = "" if single else f" (mask {i} of the stack)"
    raise InputError(
        f"{func}: `mask` must hold only 0 and 1 (or be bool); got values "
        f"{describe_values(values)}{where}. Binarise it first, e.g. mask > 0."
    )


def decode(rle: RLE | Sequence[RLE]) -> np.ndarray[Any, Any]:
    """Decode RLEs into binary masks (``pycocotools.mask.decode``, C-ordered and ``bool``).

    Parameters
    ----------
    rle : dict or list of dict
        RLE(s) ``{"size": [h, w], "counts": ...}`` with compressed (``str``/``bytes``) or
        uncompressed (list of ints) counts. All masks of a list must have the same size.

    Returns
    -------
    ndarray of bool
        ``(h, w)`` for one dict, ``(N, h, w)`` for a list (``(0, 0, 0)`` for an empty list),
        C-ordered. pycocotools returns Fortran-ordered uint8 ``(h, w, N)`` instead.

    Raises
    ------
    InputError
        For a malformed RLE (size not a pair of non-negative ints, bad counts string, negative
        runs, runs that do not add up to ``h * w``) or, for a list, masks of different sizes.

    Examples
    --------
    >>> from ioukit import rle
    >>> rle.decode({"size": [2, 3], "counts": [1, 2, 3]}).astype(int)
    array([[0, 1, 0],
           [1, 0, 0]])
    """
    func = "decode"
    single, batch = _parse(func, "rle", rle)
    _one_size(func, "rle", single, batch.sizes)
    n = batch.sizes.shape[0]
    h, w = (int(v) for v in batch.sizes[0]) if n else (0, 0)
    idx = _index(batch)
    decoder = _kernel("decode_stack", n > 1 and n * h * w >= _PARALLEL_PIXELS)
    out = decoder(idx.starts, idx.ends, idx.ioffs, idx.icount, h, w)
    masks: np.ndarray[Any, Any] = out.view(np.bool_)
    return masks[0] if single else masks


# ----------------------------------------------------------------------------- measures


@overload
def area(rle: Mapping[str, Any]) -> int: ...
@overload
def area(rle: Sequence[RLE]) -> np.ndarray[Any, Any]: ...
def area(rle: Any) -> int | np.ndarray[Any, Any]:
    """Number of ones of RLE masks (``pycocotools.mask.area``).

    Parameters
    ----------
    rle : dict or list of dict
        RLE(s) with compressed or uncompressed counts; sizes may differ within a list.

    Returns
    -------
    int or ndarray of int64
        A Python ``int`` for one dict, an int64 array ``(N,)`` for a list.

    Examples
    --------
    >>> from ioukit import rle
    >>> rle.area([{"size": [2, 3], "counts": [1, 2, 3]}, {"size": [1, 1], "counts": "1"}])
    array([2, 0])
    """
    single, batch = _parse("area", "rle", rle)
    areas = _index(batch).area
    return int(areas[0]) if single else areas


def to_bbox(rle: RLE | Sequence[RLE], *, fmt: str = "xywh") -> np.ndarray[Any, Any]:
    """Bounding boxes of RLE masks (``pycocotools.mask.toBbox``), as float64.

    The box of a mask encloses its pixels, each pixel being a unit square (continuous
    coordinates: pixel ``(row y, column x)`` covers ``[x, x + 1] × [y, y + 1]``). An empty mask
    has the box ``[0, 0, 0, 0]`` (in both formats), as in pycocotools.

    Parameters
    ----------
    rle : dict or list of dict
        RLE(s) with compressed or uncompressed counts; sizes may differ within a list.
    fmt : {"xywh", "xyxy"}, default "xywh"
        ``"xywh"``: ``[x, y, w, h]``, COCO's format (pycocotools' ``toBbox``). ``"xyxy"``:
        ``[x, y, x + w, y + h]``, ready for :func:`ioukit.box_iou`.

    Returns
    -------
    ndarray of float64
        ``(4,)`` for one dict, ``(N, 4)`` for a list.

    Examples
    --------
    >>> from ioukit import rle
    >>> r = {"size": [4, 5], "counts": "5220003"}  # rows 1-2, columns 1-3
    >>> rle.to_bbox(r)
    array([1., 1., 3., 2.])
    >>> rle.to_bbox(r, fmt="xyxy")
    array([1., 1., 4., 3.])
    """
    check_choice("to_bbox", "fmt", fmt, ("xywh", "xyxy"))
    single, batch = _parse("to_bbox", "rle", rle)
    bb = _index(batch).bbox
    empty = bb[:, 2] < bb[:, 0]
    out = np.empty(bb.shape, np.float64)
    out[:, :2] = bb[:, :2]
    if fmt == "xywh":
        out[:, 2:] = bb[:, 2:] - bb[:, :2] + 1
    else:
        out[:, 2:] = bb[:, 2:] + 1
    out[empty] = 0.0
    return out[0] if single else out


# ----------------------------------------------------------------------------- iou, merge


def iou(
    dt: RLE | Sequence[RLE], gt: RLE | Sequence[RLE], iscrowd: Any = None
) -> np.ndarray[Any, Any]:
    """Pairwise IoU of RLE masks, with COCO's crowd rule (``pycocotools.mask.iou``).

    .. math::

        \\mathrm{IoU}(d, g) = \\frac{|d \\cap g|}{|d \\cup g|}, \\qquad
        \\text{or } \\frac{|d \\cap g|}{|d|} \\text{ if } g \\text{ is a crowd region.}

    A crowd ground truth (``iscrowd[g]`` true) is a region in which any detection counts as
    inside: the union is replaced by the detection's area. A pair that does not intersect
    (including empty masks) has IoU 0, never NaN. The numbers are identical to pycocotools'.

    Parameters
    ----------
    dt : dict or list of dict
        Detections: RLE(s) with compressed or uncompressed counts.
    gt : dict or list of dict
        Ground truths: RLE(s).
    iscrowd : sequence of bool or {0, 1} of length len(gt), optional
        Crowd flags of the ground truths; ``None`` (default) means no crowd.

    Returns
    -------
    ndarray of float64, shape (D, G)
        Always 2-D, also when ``dt`` or ``gt`` is empty (``(0, G)`` / ``(D, 0)``); pycocotools
        returns ``[]`` there. A single dict counts as a list of one.

    Raises
    ------
    InputError
        For malformed RLEs, for a detection and a ground truth of different image sizes (the
        message names the pair; pycocotools writes -1 into such pairs when their boxes
        overlap, and 0 otherwise), or for ``iscrowd`` of the wrong length or with values other
        than 0/1.

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit import rle
    >>> a = np.zeros((4, 4), bool); a[:2, :2] = True  # 4 pixels
    >>> b = np.zeros((4, 4), bool); b[:2, :] = True  # 8 pixels, 4 of them shared
    >>> rle.iou(rle.encode(a), [rle.encode(b), rle.encode(b)], iscrowd=[0, 1])
    array([[0.5, 1. ]])
    """
    func = "iou"
    dt_single, dt_items = _as_list(func, "dt", dt)
    gt_single, gt_items = _as_list(func, "gt", gt)
    nd, ng = len(dt_items), len(gt_items)
    crowd = _crowd(func, iscrowd, ng)
    if nd and ng:
        fast = _iou_fast(dt_items + gt_items, nd, crowd)
        if fast is not None:
            return fast
    # the general path: uncompressed counts, or something to report
    _, dtb = _parse(func, "dt", dt)
    _, gtb = _parse(func, "gt", gt)
    if nd == 0 or ng == 0:
        return np.zeros((nd, ng), np.float64)
    sizes = np.concatenate([dtb.sizes, gtb.sizes])
    if np.any(sizes != sizes[0]):
        d_idx = np.flatnonzero(np.any(dtb.sizes != sizes[0], axis=1))
        g_idx = np.flatnonzero(np.any(gtb.sizes != sizes[0], axis=1))
        # a pair of different sizes: the first differing gt against dt 0, or the first
        # differing dt against gt 0
        d, g = (0, int(g_idx[0])) if g_idx.size else (int(d_idx[0]), 0)
        dl = "`dt`" if dt_single else f"`dt[{d}]`"
        gl = "`gt`" if gt_single else f"`gt[{g}]`"
        raise InputError(
            f"{func}: {dl} and {gl} must have the same image size to be compared; got "
            f"{dtb.sizes[d].tolist()} and {gtb.sizes[g].tolist()} (pycocotools would give -1 "
            "for such a pair). Compare masks of the same image only."
        )
    runs = np.concatenate([dtb.runs, gtb.runs])
    roffs = np.concatenate([dtb.roffs, gtb.roffs[1:] + dtb.roffs[-1]])
    idx = _index(_Batch(sizes, runs, roffs))
    parallel = nd * ng >= _PARALLEL_PAIRS and idx.starts.size >= _PARALLEL_INTERVALS
    kernel = _kernel("iou_matrix", parallel)
    h = int(sizes[0, 0])
    return kernel(  # type: ignore[no-any-return]
        idx.starts, idx.ends, idx.ioffs, idx.icount, idx.area, idx.bbox, h, nd, crowd
    )


def _iou_fast(
    items: list[Any], nd: int, crowd: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any] | None:
    """:func:`iou` of compressed RLEs of one valid size in one kernel call, or None when the
    input needs the general path (or an error message)."""
    try:
        sizes = [r["size"] for r in items]
        first = sizes[0]
        if sizes.count(first) != len(sizes) or len(first) != 2:
            return None
        counts = [r["counts"] for r in items]
    except (KeyError, TypeError, ValueError):
        return None
    h, w = first
    if type(h) is not int or type(w) is not int or h < 0 or w < 0:
        return None
    kinds = set(map(type, counts))
    if kinds == {str}:
        try:
            data = "".join(counts).encode("ascii")
        except UnicodeEncodeError:
            return None
    elif kinds == {bytes}:
        data = b"".join(counts)
    else:
        return None
    offs = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, counts), np.int64, len(counts)), out=offs[1:])
    buf = np.frombuffer(data, dtype=np.uint8)
    parallel = nd * (len(items) - nd) >= _PARALLEL_PAIRS and buf.size >= _PARALLEL_BYTES
    out, ok = _kernel("iou_strings", parallel)(buf, offs, h, w, nd, crowd)
    result: np.ndarray[Any, Any] | None = out if ok else None
    return result


def _crowd(func: str, iscrowd: Any, ng: int) -> np.ndarray[Any, Any]:
    return check_flags(
        func, "iscrowd", iscrowd, ng, f"hold one flag per ground truth (length {ng})"
    )


def merge(rles: Sequence[RLE], *, intersect: bool = False) -> RLE:
    """Union (or intersection) of RLE masks of one image (``pycocotools.mask.merge``).

    Parameters
    ----------
    rles : list of dict
        One or more RLEs of the same size, compressed or uncompressed counts.
    intersect : bool, default False
        ``False``: pixels in any mask (union); ``True``: pixels in every mask.

    Returns
    -------
    dict
        One RLE with compressed ``str`` counts, the same string as pycocotools' (a single RLE
        comes back with its runs unchanged, as there).

    Raises
    ------
    InputError
        For an empty list (its size is unknown; pycocotools returns a 0×0 mask), masks of
        different sizes (pycocotools returns a 0×0 mask) or malformed RLEs.

    Examples
    --------
    >>> from ioukit import rle
    >>> a = {"size": [2, 2], "counts": [0, 1, 3]}  # pixel (0, 0)
    >>> b = {"size": [2, 2], "counts": [3, 1]}  # pixel (1, 1)
    >>> rle.merge([a, b])["counts"], rle.merge([a, b], intersect=True)["counts"]
    ('0120', '4')
    """
    func = "merge"
    single, batch = _parse(func, "rles", rles)
    if single:
        raise InputError(
            f"{func}: `rles` must be a list of RLE dicts; got a single dict. Wrap it: [rle]."
        )
    n = batch.sizes.shape[0]
    if n == 0:
        raise InputError(
            f"{func}: `rles` must hold at least one RLE (the size of the result is unknown); "
            "got an empty list."
        )
    _one_size(func, "rles", False, batch.sizes)
    h, w = (int(v) for v in batch.sizes[0])
    k = _kernels()
    if n == 1:
        buf, _offs = k.runs_to_strings(batch.runs, batch.roffs)
        return _rle(h, w, buf.tobytes())
    idx = _index(batch)
    starts, ends = k.merge_intervals(idx.starts, idx.ends, idx.ioffs, idx.icount, bool(intersect))
    return _rle(h, w, k.intervals_to_string(starts, ends, h * w).tobytes())


@overload
def compress(rle: Mapping[str, Any]) -> RLE: ...
@overload
def compress(rle: Sequence[RLE]) -> list[RLE]: ...
def compress(rle: Any) -> RLE | list[RLE]:
    """RLEs with compressed ``str`` counts (as pycocotools' ``frPyObjects`` on RLE dicts).

    COCO json stores crowd annotations with uncompressed counts (a list of run lengths); this
    turns them into the compressed string form (and ``bytes`` counts into ``str``) without
    changing the runs.

    Parameters
    ----------
    rle : dict or list of dict

    Returns
    -------
    dict or list of dict
        ``{"size": [h, w], "counts": str}``, one per input.

    Examples
    --------
    >>> from ioukit import rle
    >>> rle.compress({"size": [2, 3], "counts": [1, 2, 3]})
    {'size': [2, 3], 'counts': '123'}
    """
    single, batch = _parse("compress", "rle", rle)
    buf, offs = _kernels().runs_to_strings(batch.runs, batch.roffs)
    data = buf.tobytes()
    out = [
        _rle(int(h), int(w), data[offs[i] : offs[i + 1]])
        for i, (h, w) in enumerate(batch.sizes.tolist())
    ]
    return out[0] if single else out


# ----------------------------------------------------------------------------- polygons, boxes


def _image_size(func: str, h: Any, w: Any) -> tuple[int, int]:
    for name, v in (("h", h), ("w", w)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
            raise InputError(f"{func}: `{name}` must be a non-negative int; got {v!r}.")
    return int(h), int(w)


def _vertices(func: str, polygon: Any, label: str) -> np.ndarray[Any, Any]:
    try:
        arr = np.asarray(polygon, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{func}: {label} must be a flat list of numbers [x1, y1, x2, y2, ...] or an array "
            f"of shape (K, 2); got {_describe(polygon)} ({exc})."
        ) from None
    if arr.ndim == 2 and arr.shape[1] == 2:
        xy = arr
    elif arr.ndim == 1 and arr.size % 2 == 0:
        xy = arr.reshape(-1, 2)
    elif arr.ndim == 1:
        raise InputError(
            f"{func}: {label} must hold an even number of coordinates (x, y pairs); got "
            f"{arr.size}: {_describe(list(polygon))}."
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
    if not np.all(np.isfinite(xy)) or np.abs(xy).max() > _MAX_COORD:
        raise InputError(
            f"{func}: {label} must hold finite coordinates of magnitude at most "
            f"{_MAX_COORD:.0e}; got {xy.reshape(-1).tolist()[:12]}."
        )
    return xy


def from_polygons(polygons: Sequence[Any], h: int, w: int) -> RLE:
    """Rasterise one object's COCO polygons into an RLE, exactly as COCO does.

    The result is the same as ``pycocotools.mask.merge(pycocotools.mask.frPyObjects(polygons,
    h, w))``: every polygon is rasterised with COCO's rule (vertices scaled ×5 and rounded, the
    boundary walked on the upsampled grid, a pixel being inside when its centre column's
    boundary crossings above it are odd in number) and the polygons are united.

    Parameters
    ----------
    polygons : list of polygons
        COCO's ``segmentation`` field for ``iscrowd=0``: a list of polygons, each a flat list
        ``[x1, y1, x2, y2, ...]`` (or an array of shape (K, 2)) of at least 3 vertices, in
        pixel coordinates (pixel ``(row y, column x)`` covers ``[x, x + 1] × [y, y + 1]``).
        Vertices may lie outside the image; the mask is clipped to it. An empty list gives an
        empty mask.
    h, w : int
        Image height and width.

    Returns
    -------
    dict
        ``{"size": [h, w], "counts": str}``.

    Raises
    ------
    InputError
        If ``polygons`` is a flat list of numbers (wrap it: ``[polygon]``), a polygon has an
        odd number of coordinates, fewer than 3 vertices (pycocotools would read a 4-number
        list as a box: use :func:`from_boxes` for boxes), or non-finite coordinates.

    Examples
    --------
    >>> from ioukit import rle
    >>> r = rle.from_polygons([[1, 1, 4, 1, 4, 3, 1, 3]], 4, 5)  # the rectangle [1, 4] × [1, 3]
    >>> rle.decode(r).astype(int)
    array([[0, 0, 0, 0, 0],
           [0, 1, 1, 1, 0],
           [0, 1, 1, 1, 0],
           [0, 0, 0, 0, 0]])
    """
    func = "from_polygons"
    h, w = _image_size(func, h, w)
    if not isinstance(polygons, (list, tuple)) and not (
        isinstance(polygons, np.ndarray) and polygons.dtype == object
    ):
        raise InputError(
            f"{func}: `polygons` must be a list of polygons (COCO's segmentation format), e.g. "
            f"[[x1, y1, x2, y2, x3, y3]]; got {_describe(polygons)}."
        )
    if len(polygons) and isinstance(polygons[0], (int, float, np.number)):
        raise InputError(
            f"{func}: `polygons` must be a list of polygons, e.g. [[x1, y1, x2, y2, x3, y3]]; "
            f"got a flat list of numbers {_describe(list(polygons))}. Wrap one polygon in a "
            "list: [polygon]."
        )
    verts = [_vertices(func, p, f"`polygons[{i}]`") for i, p in enumerate(polygons)]
    return _polygons_rle(h, w, verts)


def _polygons_rle(h: int, w: int, verts: list[np.ndarray[Any, Any]]) -> RLE:
    if h * w == 0 or not verts:
        return _rle(h, w, b"0" if h * w == 0 else _runs_string([h * w]))
    coords = np.ascontiguousarray(np.concatenate(verts))
    poffs = np.zeros(len(verts) + 1, np.int64)
    np.cumsum([v.shape[0] for v in verts], out=poffs[1:])
    return _rle(h, w, _kernels().polygons_to_string(coords, poffs, h, w).tobytes())


def _runs_string(runs: list[int]) -> bytes:
    buf, _ = _kernels().runs_to_strings(
        np.asarray(runs, np.int64), np.asarray([0, len(runs)], np.int64)
    )
    return bytes(buf.tobytes())


def from_boxes(boxes: Any, h: int, w: int, *, fmt: str = "xywh") -> RLE | list[RLE]:
    """Rasterise boxes into RLEs, exactly as ``pycocotools.mask.frPyObjects`` does for boxes.

    Each box is rasterised as the polygon of its four corners by COCO's polygon rule (see
    :func:`from_polygons`), so a box with integer corners covers exactly its pixels.

    Parameters
    ----------
    boxes : array-like of shape (4,) or (N, 4)
        Boxes in pixel coordinates (continuous: ``[0, 0, 1, 1]`` in xywh is the first pixel).
    h, w : int
        Image height and width.
    fmt : {"xywh", "xyxy"}, default "xywh"
        ``"xywh"``: ``[x, y, w, h]`` (COCO, pycocotools); ``"xyxy"``: ``[x1, y1, x2, y2]``.

    Returns
    -------
    dict or list of dict
        One RLE for a ``(4,)`` box, a list of N for ``(N, 4)``.

    Raises
    ------
    InputError
        For a wrong shape, non-finite coordinates or negative widths/heights.

    Examples
    --------
    >>> from ioukit import rle
    >>> rle.area(rle.from_boxes([[1, 1, 3, 2], [0, 0, 10, 10]], 4, 5))  # clipped to the image
    array([ 6, 20])
    """
    func = "from_boxes"
    h, w = _image_size(func, h, w)
    check_choice(func, "fmt", fmt, ("xywh", "xyxy"))
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
    bad = ~np.isfinite(b).all(axis=1) | (x1 < x0) | (y1 < y0) | (np.abs(b).max(axis=1) > _MAX_COORD)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(
            f"{func}: `boxes` must hold finite {fmt} boxes with non-negative width and height; "
            f"box {i} is {arr.reshape(-1, 4)[i].tolist()}."
        )
    out = []
    for i in range(b.shape[0]):
        corners = np.array(
            [[x0[i], y0[i]], [x0[i], y1[i]], [x1[i], y1[i]], [x1[i], y0[i]]], dtype=np.float64
        )
        out.append(_polygons_rle(h, w, [corners]))
    return out[0] if single else out
