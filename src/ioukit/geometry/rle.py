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
  empty) and refuses masks of different image sizes (pycocotools writes ``-1`` there); it takes
  the crowd flags as the keyword ``crowd=`` (pycocotools: the third argument ``iscrowd``);
* every input is validated: sizes, characters of the counts string, runs that do not add up to
  ``h * w``, values other than 0/1 in masks, odd or too short polygons, each with a clear error;
* polygons and boxes have their own functions (:func:`from_polygons`, :func:`from_boxes`)
  instead of pycocotools' ``frPyObjects``, which reads any 4-number list as a box.

The numba kernels are compiled on first use and cached on disk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, overload

import numpy as np

from ioukit._errors import InputError
from ioukit.core._checks import check_choice, check_flags
from ioukit.geometry._rle_parse import (
    Batch,
    as_list,
    box_corners,
    describe,
    image_size,
    index_batch,
    mask_array,
    one_size,
    parse,
    raise_values,
    vertices,
)
from ioukit.kernels import rle as kernels

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
    arr = mask_array(func, mask)
    single = arr.ndim == 2
    stack = arr[None] if single else arr
    n, h, w = stack.shape
    if stack.dtype == np.bool_ or stack.dtype == np.int8:
        stack = stack.view(np.uint8)
    elif stack.dtype != np.uint8:
        bad = (stack != 0) & (stack != 1)
        if bad.any():
            raise_values(func, single, stack, int(np.argmax(bad.reshape(n, -1).any(axis=1))))
        stack = stack.astype(np.uint8)
    transposed = stack.transpose(0, 2, 1)
    rows = not (transposed.flags.c_contiguous and not stack.flags.c_contiguous)
    # column-major masks (Fortran ordered) are scanned in memory order, others row by row
    data = np.ascontiguousarray(stack) if rows else transposed
    strings, bad_masks = kernels.encode(data, rows)
    if bad_masks.any():
        raise_values(func, single, stack, int(np.argmax(bad_masks)))
    out = [_rle(h, w, counts) for counts in strings]
    return out[0] if single else out


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
    single, batch = parse(func, "rle", rle)
    one_size(func, "rle", single, batch.sizes)
    n = batch.sizes.shape[0]
    h, w = (int(v) for v in batch.sizes[0]) if n else (0, 0)
    idx = index_batch(batch)
    out = kernels.decode(idx.starts, idx.ends, idx.ioffs, idx.icount, h, w)
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
    single, batch = parse("area", "rle", rle)
    areas = index_batch(batch).area
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
    single, batch = parse("to_bbox", "rle", rle)
    out = float_boxes(index_batch(batch).bbox, fmt)
    return out[0] if single else out


def float_boxes(bb: np.ndarray[Any, Any], fmt: str = "xywh") -> np.ndarray[Any, Any]:
    """The float64 boxes of :func:`to_bbox` from the pixel-inclusive int64 boxes ``(N, 4)`` of
    an index (``x1 = -1`` for an empty mask, whose box is all zeros)."""
    empty = bb[:, 2] < bb[:, 0]
    out = np.empty(bb.shape, np.float64)
    out[:, :2] = bb[:, :2]
    if fmt == "xywh":
        out[:, 2:] = bb[:, 2:] - bb[:, :2] + 1
    else:
        out[:, 2:] = bb[:, 2:] + 1
    out[empty] = 0.0
    return out


# ----------------------------------------------------------------------------- iou, merge


def iou(
    dt: RLE | Sequence[RLE], gt: RLE | Sequence[RLE], *, crowd: Any = None
) -> np.ndarray[Any, Any]:
    """Pairwise IoU of RLE masks, with COCO's crowd rule (``pycocotools.mask.iou``).

    ``IoU(d, g) = |d ∩ g| / |d ∪ g|``, or ``|d ∩ g| / |d|`` when ``g`` is a crowd region.

    A crowd ground truth (``crowd[g]`` true, COCO's ``iscrowd``) is a region in which any
    detection counts as inside: the union is replaced by the detection's area. A pair that does
    not intersect (including empty masks) has IoU 0, never NaN. The numbers are identical to
    pycocotools'.

    Parameters
    ----------
    dt : dict or list of dict
        Detections: RLE(s) with compressed or uncompressed counts.
    gt : dict or list of dict
        Ground truths: RLE(s).
    crowd : sequence of bool or {0, 1} of length len(gt), optional
        Crowd flags (COCO's ``iscrowd``) of the ground truths, keyword-only; ``None``
        (default) means no crowd. Any array library or a list.

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
        overlap, and 0 otherwise), or for ``crowd`` of the wrong length or with values other
        than 0/1.

    Examples
    --------
    ``a`` (4 pixels) lies inside ``b`` (8 pixels): IoU = 4 / 8; with ``b`` a crowd region the
    union is ``a`` itself: 4 / 4.

    >>> import numpy as np
    >>> from ioukit import rle
    >>> a = np.zeros((4, 4), bool); a[:2, :2] = True  # 4 pixels
    >>> b = np.zeros((4, 4), bool); b[:2, :] = True  # 8 pixels, 4 of them shared
    >>> rle.iou(rle.encode(a), [rle.encode(b), rle.encode(b)], crowd=[0, 1])
    array([[0.5, 1. ]])
    """
    func = "iou"
    dt_single, dt_items = as_list(func, "dt", dt)
    gt_single, gt_items = as_list(func, "gt", gt)
    nd, ng = len(dt_items), len(gt_items)
    flags = _crowd(func, crowd, ng)
    if nd and ng:
        fast = _iou_fast(dt_items + gt_items, nd, flags)
        if fast is not None:
            return fast
    # the general path: uncompressed counts, or something to report
    _, dtb = parse(func, "dt", dt)
    _, gtb = parse(func, "gt", gt)
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
    idx = index_batch(Batch(sizes, runs, roffs))
    h = int(sizes[0, 0])
    return kernels.iou_matrix(
        idx.starts, idx.ends, idx.ioffs, idx.icount, idx.area, idx.bbox, h, nd, flags
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
    out, ok = kernels.iou_strings(buf, offs, h, w, nd, crowd)
    return out if ok else None


def _crowd(func: str, crowd: Any, ng: int) -> np.ndarray[Any, Any]:
    return check_flags(func, "crowd", crowd, ng, f"hold one flag per ground truth (length {ng})")


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
    single, batch = parse(func, "rles", rles)
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
    one_size(func, "rles", False, batch.sizes)
    h, w = (int(v) for v in batch.sizes[0])
    if n == 1:
        buf, _offs = kernels.runs_to_strings(batch.runs, batch.roffs)
        return _rle(h, w, buf.tobytes())
    idx = index_batch(batch)
    starts, ends = kernels.merge_intervals(
        idx.starts, idx.ends, idx.ioffs, idx.icount, bool(intersect)
    )
    return _rle(h, w, kernels.intervals_to_string(starts, ends, h * w).tobytes())


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
    single, batch = parse("compress", "rle", rle)
    buf, offs = kernels.runs_to_strings(batch.runs, batch.roffs)
    data = buf.tobytes()
    out = [
        _rle(int(h), int(w), data[offs[i] : offs[i + 1]])
        for i, (h, w) in enumerate(batch.sizes.tolist())
    ]
    return out[0] if single else out


# ----------------------------------------------------------------------------- polygons, boxes


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
    h, w = image_size(func, h, w)
    if not isinstance(polygons, (list, tuple)) and not (
        isinstance(polygons, np.ndarray) and polygons.dtype == object
    ):
        raise InputError(
            f"{func}: `polygons` must be a list of polygons (COCO's segmentation format), e.g. "
            f"[[x1, y1, x2, y2, x3, y3]]; got {describe(polygons)}."
        )
    if len(polygons) and isinstance(polygons[0], (int, float, np.number)):
        raise InputError(
            f"{func}: `polygons` must be a list of polygons, e.g. [[x1, y1, x2, y2, x3, y3]]; "
            f"got a flat list of numbers {describe(list(polygons))}. Wrap one polygon in a "
            "list: [polygon]."
        )
    verts = [vertices(func, p, f"`polygons[{i}]`") for i, p in enumerate(polygons)]
    return _polygons_rle(h, w, verts)


def _polygons_rle(h: int, w: int, verts: list[np.ndarray[Any, Any]]) -> RLE:
    if h * w == 0 or not verts:
        return _rle(h, w, b"0" if h * w == 0 else _runs_string([h * w]))
    coords = np.ascontiguousarray(np.concatenate(verts))
    poffs = np.zeros(len(verts) + 1, np.int64)
    np.cumsum([v.shape[0] for v in verts], out=poffs[1:])
    return _rle(h, w, kernels.polygons_to_string(coords, poffs, h, w).tobytes())


def _runs_string(runs: list[int]) -> bytes:
    buf, _ = kernels.runs_to_strings(
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
    h, w = image_size(func, h, w)
    check_choice(func, "fmt", fmt, ("xywh", "xyxy"))
    single, corners = box_corners(func, boxes, fmt)
    # the raster of the corners as a polygon, in closed form
    out = [
        _rle(h, w, kernels.box_to_string(c[0, 0], c[0, 1], c[2, 0], c[1, 1], h, w).tobytes())
        for c in corners
    ]
    return out[0] if single else out
