"""The IoU matrices of Boundary AP (``coco_evaluate(..., iou_type="boundary")``), from RLE masks.

The rule is boundary-iou-api's (``boundary_iou/coco_instance_api/cocoeval.py``,
``computeBoundaryIoU``), also faster-coco-eval's ``iouType="boundary"``:

* the band of a mask is ``mask_to_boundary`` of ``boundary_iou/utils/boundary_utils.py`` (see
  :mod:`ioukit.geometry.boundary`): the pixels of the mask within chessboard distance ``d`` of a
  pixel outside it, the image border counting as outside, with
  ``d = max(1, int(round(dilation_ratio * sqrt(H**2 + W**2))))`` from the **image** size
  ``(H, W)``;
* a non-crowd ground-truth column holds ``min(mask IoU, band IoU)``, both pycocotools'
  ``maskUtils.iou`` (a pair without a common pixel scores 0, two empty masks too);
* a crowd column holds the mask IoU alone, with pycocotools' crowd rule ``|d ∩ g| / |d|``: the
  reference computes the bands' IoU there too and then discards it.

Each band is computed once per evaluation, inside its mask's bounding box (every pixel outside
the box is zero, like every pixel outside the image, so the box with zeros around it erodes as
the padded image does), on the mask's runs, never on a full image; bands and masks are
intersected as intervals of column-major positions, over the columns the two boxes share
(:mod:`ioukit.kernels._numba_boundary`). The mask IoU is :func:`ioukit.rle.iou`'s, bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ioukit._errors import InputError
from ioukit.core._checks import check_flags
from ioukit.geometry import rle
from ioukit.geometry._rle_parse import parse
from ioukit.geometry.boundary import _check_ratio, _dilation
from ioukit.kernels import boundary as kernels
from ioukit.kernels import rle as rle_kernels

__all__ = ["boundary_cell_ious", "boundary_ious", "boundary_rles", "indexed_boundary_ious"]

_NDArray = np.ndarray[Any, Any]


def _offsets(func: str, name: str, value: Any, n_cells: int, total: int) -> _NDArray:
    arr = np.asarray(value)
    ok = (
        arr.shape == (n_cells + 1,)
        and arr.dtype.kind in "iu"
        and int(arr[0]) == 0
        and int(arr[-1]) == total
        and bool(np.all(np.diff(arr) >= 0))
    )
    if not ok:
        raise InputError(
            f"{func}: `{name}` must be non-decreasing ints of shape ({n_cells + 1},) from 0 to "
            f"{total} (one offset per cell of `cell_sizes`, and the end); got "
            f"{arr.dtype} of shape {arr.shape}: {arr.reshape(-1)[:8].tolist()}."
        )
    return arr.astype(np.int64)


def _sizes(func: str, cell_sizes: Any) -> _NDArray:
    arr = np.asarray(cell_sizes)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.dtype.kind not in "iu" or np.any(arr < 0):
        raise InputError(
            f"{func}: `cell_sizes` must be non-negative ints of shape (cells, 2), the (height, "
            f"width) of each cell's image; got {arr.dtype} of shape {arr.shape}."
        )
    return arr.astype(np.int64)


def _good_size(size: Any, expected: list[int]) -> bool:
    return (
        isinstance(size, (list, tuple))
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size)
        and list(size) == expected
    )


def _strings(func: str, name: str, rles: Any, sizes: _NDArray) -> list[bytes]:
    """The compressed counts of ``rles`` (each checked to have its cell's size), as bytes."""
    items = list(rles) if isinstance(rles, Sequence) and not isinstance(rles, str) else None
    if items is None or len(items) != sizes.shape[0]:
        got = f"{len(items)} items" if items is not None else type(rles).__name__
        raise InputError(
            f"{func}: `{name}` must be a list of {sizes.shape[0]} RLE dicts (one per mask of "
            f"the offsets); got {got}."
        )
    out: list[bytes] = []
    other: list[int] = []  # uncompressed counts (crowd annotations), or something to report
    for i, r in enumerate(items):
        if not isinstance(r, Mapping) or "size" not in r or "counts" not in r:
            parse(func, name, items)  # raises, naming the item
        expected = sizes[i].tolist()
        if not _good_size(r["size"], expected):
            parse(func, name, items)  # a malformed size: raises
            raise InputError(
                f"{func}: `{name}[{i}]` has size {list(r['size'])}, but its cell's image is "
                f"{expected} (height, width); an RLE must be encoded at its image's size."
            )
        counts = r["counts"]
        if isinstance(counts, str) and counts.isascii():
            out.append(counts.encode("ascii"))
        elif isinstance(counts, bytes):
            out.append(counts)
        else:
            out.append(b"")
            other.append(i)
    if other:
        parse(func, name, items)  # raises, naming the item, for anything but valid runs
        for i in other:
            out[i] = rle.compress(dict(items[i]))["counts"].encode("ascii")
    return out


def _index(func: str, named: list[tuple[str, Any]], sizes: _NDArray) -> tuple[_NDArray, ...]:
    """``(starts, ends, ioffs, icount, area, bbox)`` of the masks of the ``named`` lists, in
    order, after checking every RLE (``sizes``: the ``(h, w)`` of each)."""
    strings: list[bytes] = []
    start = 0
    for name, items in named:
        n = len(items) if isinstance(items, Sequence) else 0
        strings += _strings(func, name, items, sizes[start : start + n])
        start += n
    offs = np.zeros(len(strings) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, strings), np.int64, len(strings)), out=offs[1:])
    buf = np.frombuffer(b"".join(strings), dtype=np.uint8)
    *index, totals, err = rle_kernels.index_strings(buf, offs, sizes[:, 0].copy())
    if err.any() or np.any(totals != sizes[:, 0] * sizes[:, 1]):
        for name, items in named:
            parse(func, name, items)  # raises, naming the item and what is wrong
        raise InputError(f"{func}: an RLE does not add up to its image's size.")  # pragma: no cover
    return tuple(index)


def _band_widths(sizes: _NDArray, ratio: float) -> _NDArray:
    """``d`` of each ``(h, w)`` row, by :func:`ioukit.geometry.boundary._dilation`."""
    if sizes.shape[0] == 0:
        return np.zeros(0, np.int64)
    unique, inverse = np.unique(sizes, axis=0, return_inverse=True)
    widths = np.array([_dilation(int(h), int(w), ratio) for h, w in unique], np.int64)
    return widths[inverse.reshape(-1)]


def boundary_ious(
    dt_rles: Sequence[Mapping[str, Any]],
    gt_rles: Sequence[Mapping[str, Any]],
    gt_crowd: Any,
    dt_off: Any,
    gt_off: Any,
    iou_off: Any,
    cell_sizes: Any,
    *,
    dilation_ratio: float = 0.02,
) -> _NDArray:
    """Boundary AP IoU matrices of many cells at once, flat (the layout of ``coco._mask_ious``).

    Cell ``c`` holds the detections ``dt_rles[dt_off[c]:dt_off[c + 1]]`` (rows, in order) and the
    ground truths ``gt_rles[gt_off[c]:gt_off[c + 1]]`` (columns) of one image of size
    ``cell_sizes[c]``; its ``(D_c, G_c)`` matrix is ``out[iou_off[c]:iou_off[c + 1]]``,
    row-major. Entry ``(d, g)`` is ``min(mask IoU, band IoU)`` for a non-crowd ``g`` and the
    mask IoU ``|d ∩ g| / |d|`` for a crowd one, as boundary-iou-api's ``computeBoundaryIoU``
    (see the module docstring). Each mask's band is computed once, inside its bounding box.

    Parameters
    ----------
    dt_rles, gt_rles : list of dict
        RLEs ``{"size": [h, w], "counts": ...}`` of their cell's image size (``counts``
        compressed, ``str`` or ``bytes``; uncompressed lists are compressed first).
    gt_crowd : array of bool, shape (len(gt_rles),)
        COCO's ``iscrowd`` of each ground truth.
    dt_off, gt_off : array of int, shape (cells + 1,)
        Where each cell's detections and ground truths begin.
    iou_off : array of int, shape (cells + 1,)
        ``cumsum(D_c * G_c)`` from 0.
    cell_sizes : array of int, shape (cells, 2)
        The ``(height, width)`` of each cell's image; ``d`` is computed from it.
    dilation_ratio : float, default 0.02
        Band width as a fraction of the image diagonal (COCO and LVIS: 0.02).

    Returns
    -------
    ndarray of float64, shape (iou_off[-1],)

    Raises
    ------
    InputError
        For malformed RLEs, an RLE whose size is not its cell's, or offsets that do not fit.
    ParameterError
        If ``dilation_ratio`` is not a finite number > 0.

    Examples
    --------
    One cell: a 10×10 square against itself shifted by a column, and against a crowd region
    that holds it. ``d = round(0.05 * sqrt(20² + 20²)) = 1``: the bands are 36-pixel rings that
    share 18 pixels, 18 / 54 = 1/3 < mask IoU 90 / 110; the crowd column is 100 / 100.

    >>> import numpy as np
    >>> from ioukit import rle
    >>> a = np.zeros((20, 20), bool); a[5:15, 5:15] = True
    >>> b = np.roll(a, 1, axis=1)
    >>> c = np.zeros((20, 20), bool); c[:, :16] = True
    >>> boundary_ious(
    ...     [rle.encode(a)], [rle.encode(b), rle.encode(c)], [False, True],
    ...     [0, 1], [0, 2], [0, 2], [[20, 20]], dilation_ratio=0.05,
    ... ).round(4)
    array([0.3333, 1.    ])
    """
    func = "boundary_ious"
    ratio = _check_ratio(func, dilation_ratio)
    sizes = _sizes(func, cell_sizes)
    n_cells = sizes.shape[0]
    dt_o = _offsets(func, "dt_off", dt_off, n_cells, len(dt_rles))
    gt_o = _offsets(func, "gt_off", gt_off, n_cells, len(gt_rles))
    n_d, n_g = np.diff(dt_o), np.diff(gt_o)
    iou_o = _offsets(func, "iou_off", iou_off, n_cells, int(np.sum(n_d * n_g)))
    if np.any(np.diff(iou_o) != n_d * n_g):
        raise InputError(
            f"{func}: `iou_off` must be the running sum of (detections × ground truths) of the "
            f"cells, {np.concatenate([[0], np.cumsum(n_d * n_g)])[:8].tolist()}…; got "
            f"{iou_o[:8].tolist()}…."
        )
    crowd = check_flags(
        func, "gt_crowd", gt_crowd, len(gt_rles), f"hold one flag per ground truth (length "
        f"{len(gt_rles)})",
    )  # fmt: skip
    item_sizes = np.concatenate([np.repeat(sizes, n_d, axis=0), np.repeat(sizes, n_g, axis=0)])
    index = _index(func, [("dt_rles", dt_rles), ("gt_rles", gt_rles)], item_sizes)
    return indexed_boundary_ious(index, sizes, crowd, dt_o, gt_o, iou_o, dilation_ratio=ratio)


def indexed_boundary_ious(
    index: tuple[_NDArray, ...],
    cell_sizes: _NDArray,
    gt_crowd: _NDArray,
    dt_off: _NDArray,
    gt_off: _NDArray,
    iou_off: _NDArray,
    *,
    dilation_ratio: float = 0.02,
) -> _NDArray:
    """:func:`boundary_ious` from masks already indexed and checked, as the ``segm`` path of
    :func:`ioukit.coco_evaluate` holds them: a drop-in for
    :func:`ioukit.kernels.rle.cell_mask_ious`.

    Parameters
    ----------
    index : tuple of ndarray
        ``(starts, ends, ioffs, icount, area, bbox)`` of the detections (cell ``c``'s at
        ``dt_off[c]:dt_off[c + 1]``) then the ground truths (``dt_off[-1] + gt_off[c]:...``),
        as :func:`ioukit.kernels.rle.index_strings` gives them (each mask of its cell's
        image height).
    cell_sizes : ndarray of int64, shape (cells, 2)
        The ``(height, width)`` of each cell's image.
    gt_crowd : ndarray of bool, shape (G,)
        The ground truths' ``iscrowd``.
    dt_off, gt_off, iou_off : ndarray of int64, shape (cells + 1,)
        As in :func:`boundary_ious` (not checked here).
    dilation_ratio : float, default 0.02
        Band width as a fraction of the image diagonal (not checked here).

    Returns
    -------
    ndarray of float64, shape (iou_off[-1],)

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit import rle
    >>> from ioukit.kernels.rle import index_strings
    >>> a = np.zeros((20, 20), bool); a[5:15, 5:15] = True
    >>> strings = [rle.encode(m)["counts"].encode() for m in (a, np.roll(a, 1, axis=1))]
    >>> offs = np.cumsum([0] + [len(t) for t in strings])
    >>> buf = np.frombuffer(b"".join(strings), np.uint8)
    >>> *index, totals, err = index_strings(buf, offs, np.array([20, 20]))
    >>> one = np.array([0, 1])
    >>> indexed_boundary_ious(
    ...     tuple(index), np.array([[20, 20]]), np.array([False]), one, one, one,
    ...     dilation_ratio=0.05,
    ... ).round(4)
    array([0.3333])
    """
    sizes = np.asarray(cell_sizes, np.int64).reshape(-1, 2)
    dt_off = np.asarray(dt_off, np.int64)
    gt_off = np.asarray(gt_off, np.int64)
    iou_off = np.asarray(iou_off, np.int64)
    crowd = np.asarray(gt_crowd, np.bool_)
    heights = sizes[:, 0].copy()
    iou = rle_kernels.cell_mask_ious(index, heights, crowd, dt_off, gt_off, iou_off)
    need = kernels.needed_bands(iou, crowd, dt_off, gt_off, iou_off)
    if need.any():
        per_item = np.concatenate([np.diff(dt_off), np.diff(gt_off)])
        cell_of = np.concatenate([np.arange(sizes.shape[0])] * 2)
        item_sizes = np.repeat(sizes[cell_of], per_item, axis=0)
        widths = _band_widths(item_sizes, float(dilation_ratio))
        bands = kernels.band_intervals(index, item_sizes[:, 0].copy(), widths, need)
        kernels.band_min(iou, index[5], heights, bands, crowd, dt_off, gt_off, iou_off)
    return iou


def boundary_cell_ious(
    dt_rles: Sequence[Mapping[str, Any]],
    gt_rles: Sequence[Mapping[str, Any]],
    gt_crowd: Any,
    height: int,
    width: int,
    *,
    dilation_ratio: float = 0.02,
) -> _NDArray:
    """The Boundary AP IoU matrix of one cell (one image, one category).

    :func:`boundary_ious` for a single cell: ``(D, G)`` float64, ``min(mask IoU, band IoU)``
    in non-crowd columns and the mask IoU (crowd rule) in crowd columns.

    Parameters
    ----------
    dt_rles, gt_rles : list of dict
        RLEs of the image's size ``[height, width]``.
    gt_crowd : array of bool, shape (G,)
        COCO's ``iscrowd`` of each ground truth.
    height, width : int
        The image size, from which ``d`` is computed.
    dilation_ratio : float, default 0.02
        Band width as a fraction of the image diagonal.

    Returns
    -------
    ndarray of float64, shape (D, G)

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit import rle
    >>> a = np.zeros((20, 20), bool); a[5:15, 5:15] = True
    >>> boundary_cell_ious([rle.encode(a)], [rle.encode(a)], [False], 20, 20)
    array([[1.]])
    """
    nd, ng = len(dt_rles), len(gt_rles)
    flat = boundary_ious(
        dt_rles, gt_rles, gt_crowd, [0, nd], [0, ng], [0, nd * ng], [[height, width]],
        dilation_ratio=dilation_ratio,
    )  # fmt: skip
    return flat.reshape(nd, ng)


def boundary_rles(
    rles: Sequence[Mapping[str, Any]], height: int, width: int, *, dilation_ratio: float = 0.02
) -> list[dict[str, Any]]:
    """The boundary bands of RLE masks of one image, as compressed RLEs.

    The band of boundary-iou-api's ``mask_to_boundary`` (see :func:`ioukit.boundary_band`),
    computed inside each mask's bounding box; the counts string equals
    ``pycocotools.mask.encode`` of the reference's band.

    Parameters
    ----------
    rles : list of dict
        RLEs of size ``[height, width]``.
    height, width : int
        The image size (``d`` depends on it).
    dilation_ratio : float, default 0.02
        As in :func:`boundary_ious`.

    Returns
    -------
    list of dict
        One ``{"size": [height, width], "counts": str}`` per mask.

    Examples
    --------
    A 5×5 square in a 7×7 image, ``d = 1``: the 16-pixel ring around its 3×3 interior.

    >>> import numpy as np
    >>> from ioukit import rle
    >>> m = np.zeros((7, 7), bool); m[1:6, 1:6] = True
    >>> band = boundary_rles([rle.encode(m)], 7, 7, dilation_ratio=0.1)[0]
    >>> int(rle.area(band)), bool(rle.decode(band)[3, 3])
    (16, False)
    """
    func = "boundary_rles"
    ratio = _check_ratio(func, dilation_ratio)
    sizes = _sizes(func, [[height, width]])
    item_sizes = np.repeat(sizes, len(rles), axis=0)
    index = _index(func, [("rles", rles)], item_sizes)
    heights = item_sizes[:, 0].copy()
    need = np.ones(len(rles), np.bool_)
    b = kernels.band_intervals(index, heights, _band_widths(item_sizes, ratio), need)
    out: list[dict[str, Any]] = []
    for i in range(len(rles)):
        lo, hi = int(b.boffs[i]), int(b.boffs[i]) + int(b.bcount[i])
        counts = rle_kernels.intervals_to_string(b.bs[lo:hi], b.be[lo:hi], height * width)
        out.append({"size": [height, width], "counts": counts.tobytes().decode("ascii")})
    return out
