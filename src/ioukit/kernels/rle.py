"""COCO run-length encoding kernels on the CPU (numba), behind plain functions.

The representations (runs, intervals of ones, compressed strings) are described in
:mod:`ioukit.kernels._numba_rle_codec`. Each kernel is serial and releases the GIL; a function
runs it on ranges of its items on the threads of the one policy
(:func:`ioukit.kernels._threads.run_chunks`), or once on everything below the thresholds here,
where waking the threads costs more than it saves (and much more on a busy machine). Outputs
are allocated here, so that the kernels compile little besides their loops. Used by
:mod:`ioukit.geometry.rle`.

numba is imported when a kernel first runs, never at ``import ioukit``; compiled code is cached
on disk (``cache=True``).
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import numpy as np

from ioukit.kernels import num_threads
from ioukit.kernels._threads import parallel_threads, run_chunks

__all__ = [
    "decode",
    "encode",
    "index_runs",
    "intervals_to_string",
    "iou_matrix",
    "iou_strings",
    "merge_intervals",
    "parse_strings",
    "polygons_to_string",
    "runs_to_strings",
]

_NDArray = np.ndarray[Any, Any]

#: Bytes reserved per mask for its counts string by the parallel encoder; longer strings (very
#: detailed masks) are encoded again on their own with an exact buffer.
_ENCODE_CAP = 8192
#: Work sizes (pixels, bytes or runs) from which a kernel runs on all threads.
_PARALLEL_PIXELS = 1 << 22
_PARALLEL_RUNS = 1 << 17
_PARALLEL_PAIRS = 4096
_PARALLEL_INTERVALS = 1 << 14
#: the string IoU kernel spends ~18 ns per pair on its box test alone, so 4096 pairs are worth
#: threads even when the strings are short (100 x 100 small objects: 179 µs serial, 98 µs on 2
#: threads, idle machine)
_PARALLEL_BYTES = 1 << 10
_PARALLEL_POLYGONS = 512


@cache
def _jit() -> dict[str, Any]:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_rle_codec as c
    from ioukit.kernels import _numba_rle_intervals as i
    from ioukit.kernels import _numba_rle_raster as r

    return {
        "parse_range": c.parse_range,
        "runs_to_strings": c.runs_to_strings,
        "intervals_to_string": c.intervals_to_string,
        "encode_rows": c.encode_rows,
        "encode_flat": c.encode_flat,
        "decode_range": c.decode_range,
        "merge_union": i.merge_union,
        "merge_intersection": i.merge_intersection,
        "index_runs_range": i.index_runs_range,
        "index_strings_range": i.index_strings_range,
        "partnered": i.partnered,
        "spans_range": i.spans_range,
        "iou_rows": i.iou_rows,
        "cell_mask_ious_range": i.cell_mask_ious_range,
        "string_areas_boxes_range": i.string_areas_boxes_range,
        "poly_intervals": r.poly_intervals,
        "union": i._union,
        "box_to_string": r.box_to_string,
        "polygon_index": r.polygon_index,
    }


def _threads(parallel: bool) -> int:
    """Threads for a kernel whose work is at a threshold of this module (``parallel``) or not:
    the one policy (:func:`ioukit.kernels.num_threads`) or 1."""
    return num_threads() if parallel else 1


def parse_strings(buf: _NDArray, offs: _NDArray) -> tuple[_NDArray, _NDArray, _NDArray, _NDArray]:
    """Runs of the compressed strings ``buf[offs[i]:offs[i + 1]]`` (uint8):
    ``(runs, roffs, err, totals)``; ``err[i]`` is 0 when string ``i`` is valid, otherwise 1 (a
    character outside '0'..'o'), 2 (truncated), 3 (a negative run) or 4 (a value over 60 bits);
    ``totals[i]`` is the sum of its runs. Ranges of strings on threads, their runs joined."""
    threads = _threads(buf.size >= 8 * _PARALLEL_RUNS)
    parts = run_chunks(_jit()["parse_range"], offs.shape[0] - 1, threads, buf, offs)
    if len(parts) == 1:
        return parts[0]  # type: ignore[no-any-return]
    base = np.cumsum([0] + [int(q[1][-1]) for q in parts])
    roffs = np.concatenate([q[1][:-1] + b for q, b in zip(parts, base, strict=False)])
    return (
        np.concatenate([q[0] for q in parts]), np.append(roffs, base[-1]),
        np.concatenate([q[2] for q in parts]), np.concatenate([q[3] for q in parts]),
    )  # fmt: skip


def runs_to_strings(runs: _NDArray, roffs: _NDArray) -> tuple[_NDArray, _NDArray]:
    """Compressed strings of the runs of each item: ``(buf, offs)``, uint8 and int64."""
    return _jit()["runs_to_strings"](runs, roffs)  # type: ignore[no-any-return]


def intervals_to_string(starts: _NDArray, ends: _NDArray, total: int) -> _NDArray:
    """The compressed string (uint8) of one mask of ``total`` pixels given by its intervals."""
    return _jit()["intervals_to_string"](starts, ends, total)  # type: ignore[no-any-return]


def _views(masks: _NDArray, rows: bool) -> tuple[_NDArray, _NDArray]:
    """The arguments of the encoders: the masks (``(N, H, W)`` rows, or each mask flat) and
    their uint64 words when a row (a flat mask) is a whole number of 8-byte words, else an
    empty ``(0, 0)`` array (the kernel then packs each mask into padded words)."""
    if not rows:
        masks = masks.reshape(masks.shape[0], masks.shape[1] * masks.shape[2])
    if masks.shape[-1] % 8:
        return masks, np.empty((0,) * masks.ndim, np.uint64)
    return masks, masks.view(np.uint64)


def encode(masks: _NDArray, rows: bool) -> tuple[list[bytes], _NDArray]:
    """Compressed strings of uint8 masks, C-contiguous: ``(N, H, W)`` when ``rows``, else the
    transposed masks ``(N, W, H)`` (each mask column-major).

    Returns the strings and the ``(N,)`` flags of masks holding a value other than 0 or 1; when
    any mask is flagged, no string is returned (the caller raises).
    """
    n = masks.shape[0]
    h = masks.shape[1] if rows else masks.shape[2]
    size = masks.shape[1] * masks.shape[2]
    cap = min(_ENCODE_CAP, 7 * (size + 1) + 8)
    kernel = _jit()["encode_rows" if rows else "encode_flat"]
    threads = _threads(n > 1 and n * size >= _PARALLEL_PIXELS)
    extra = () if rows else (h,)

    def encoder(masks: _NDArray, cap: int, threads: int) -> tuple[_NDArray, _NDArray, _NDArray]:
        k = masks.shape[0]
        buf = np.empty((k, cap), np.uint8)
        lens = np.empty(k, np.int64)
        bad = np.zeros(k, np.bool_)
        run_chunks(kernel, k, threads, *_views(masks, rows), *extra, buf, lens, bad)
        return buf, lens, bad

    buf, lens, bad = encoder(masks, cap, threads)
    if bad.any():
        return [], bad
    out: list[bytes] = []
    for i in range(n):
        length = int(lens[i])
        if length <= cap:
            out.append(buf[i, :length].tobytes())
        else:  # a very detailed mask: encode it alone with an exact buffer
            b, ln, _ = encoder(masks[i : i + 1], length, 1)
            out.append(b[0, : int(ln[0])].tobytes())
    return out, bad


def decode(
    starts: _NDArray, ends: _NDArray, ioffs: _NDArray, icount: _NDArray, h: int, w: int
) -> _NDArray:
    """C-ordered ``(N, h, w)`` uint8 masks of a batch of intervals (ranges of masks on
    threads)."""
    n = icount.shape[0]
    out = np.zeros((n, h, w), np.uint8)
    threads = _threads(n > 1 and n * h * w >= _PARALLEL_PIXELS)
    run_chunks(_jit()["decode_range"], n, threads, starts, ends, ioffs, icount, h, w, out)
    return out


def _index_layout(n: int, ioffs: _NDArray, extra: int) -> tuple[_NDArray, ...]:
    """``(starts, ends, ioffs, icount, area, bbox, *extra)``: the outputs of an index of ``n``
    items with room for ``ioffs[s]:ioffs[s + 1]`` intervals each, ``extra`` more ``(n,)``."""
    total = int(ioffs[-1])
    starts, ends = np.empty(total, np.int64), np.empty(total, np.int64)
    rest = tuple(np.empty(n, np.int64) for _ in range(2 + extra))
    return (starts, ends, ioffs, *rest[:2], np.empty((n, 4), np.int64), *rest[2:])


def _room(lo: _NDArray, hi: _NDArray) -> _NDArray:
    """``ioffs``: ``(hi[s] - lo[s]) // 2`` intervals at most for item ``s``, cumulated."""
    ioffs = np.zeros(lo.shape[0] + 1, np.int64)
    np.cumsum((hi - lo) // 2, out=ioffs[1:])
    return ioffs


def index_runs(runs: _NDArray, roffs: _NDArray, heights: _NDArray) -> tuple[_NDArray, ...]:
    """Intervals of ones, areas and bounding boxes of a batch of runs: ``(starts, ends, ioffs,
    icount, area, bbox)``, ``bbox`` int64 ``(N, 4)`` pixel-inclusive ``(x0, y0, x1, y1)``
    (``x1 = -1`` for an empty mask)."""
    n = roffs.shape[0] - 1
    out = _index_layout(n, _room(roffs[:-1], roffs[1:]), 0)
    threads = _threads(runs.size >= _PARALLEL_RUNS)
    run_chunks(_jit()["index_runs_range"], n, threads, runs, roffs, heights, *out)
    return out


def index_strings(buf: _NDArray, offs: _NDArray, heights: _NDArray) -> tuple[_NDArray, ...]:
    """:func:`index_runs` straight from compressed strings ``buf[offs[i]:offs[i + 1]]`` of
    heights ``heights``: ``(starts, ends, ioffs, icount, area, bbox, totals, err)``, with the
    sums of the runs and the codec errors of :func:`parse_strings`."""
    return index_string_slices(buf, offs[:-1], offs[1:], heights)


def index_string_slices(
    buf: _NDArray, lo: _NDArray, hi: _NDArray, heights: _NDArray, *, threads: int | None = None
) -> tuple[_NDArray, ...]:
    """:func:`index_strings` of the strings ``buf[lo[i]:hi[i]]``, read where they lie (in any
    order, without gathering them first)."""
    lo, hi = lo.astype(np.int64), hi.astype(np.int64)
    if threads is None:
        threads = _threads(int((hi - lo).sum()) >= 8 * _PARALLEL_RUNS)
    out = _index_layout(lo.shape[0], _room(lo, hi), 2)
    run_chunks(_jit()["index_strings_range"], lo.shape[0], threads, buf, lo, hi, heights, *out)
    return out


def _iou_matrix(
    index: tuple[_NDArray, ...], h: int, nd: int, crowd: _NDArray, threads: int
) -> _NDArray:
    starts, ends, ioffs, icount, _, bbox = index
    n = icount.shape[0]
    soffs = np.zeros(n + 1, np.int64)
    np.cumsum(np.maximum(bbox[:, 2] - bbox[:, 0] + 1, 0), out=soffs[1:])
    top, bot = np.zeros(int(soffs[-1]), np.int32), np.zeros(int(soffs[-1]), np.int32)
    simple, needed = np.ones(n, np.bool_), np.zeros(n, np.bool_)
    k = _jit()
    k["partnered"](bbox, nd, needed)
    run_chunks(k["spans_range"], n, threads, starts, ends, ioffs, icount, bbox, h, needed, top,
               bot, soffs, simple)  # fmt: skip
    out = np.empty((nd, n - nd), np.float64)
    run_chunks(k["iou_rows"], nd, threads, out, *index, h, nd, crowd, top, bot, soffs, simple)
    return out


def iou_matrix(
    starts: _NDArray,
    ends: _NDArray,
    ioffs: _NDArray,
    icount: _NDArray,
    area: _NDArray,
    bbox: _NDArray,
    h: int,
    nd: int,
    crowd: _NDArray,
) -> _NDArray:
    """``(nd, N - nd)`` float64 IoU of indexed items ``0..nd-1`` (detections) against the
    others (ground truths, whose ``crowd`` flags make the union the detection's area)."""
    ng = icount.shape[0] - nd
    threads = _threads(nd * ng >= _PARALLEL_PAIRS and starts.size >= _PARALLEL_INTERVALS)
    return _iou_matrix((starts, ends, ioffs, icount, area, bbox), h, nd, crowd, threads)


def iou_strings(
    buf: _NDArray, offs: _NDArray, h: int, w: int, nd: int, crowd: _NDArray
) -> tuple[_NDArray, bool]:
    """:func:`iou_matrix` straight from compressed strings of one size ``(h, w)``, in one call:
    ``(iou, ok)``. ``ok`` is False when a string is malformed or its runs do not add up to
    ``h * w`` (the caller then validates in detail to say which)."""
    ng = offs.shape[0] - 1 - nd
    threads = _threads(nd * ng >= _PARALLEL_PAIRS and buf.size >= _PARALLEL_BYTES)
    heights = np.full(offs.shape[0] - 1, h, np.int64)
    *index, totals, err = index_string_slices(buf, offs[:-1], offs[1:], heights, threads=threads)
    if err.any() or (totals != h * w).any():
        return np.empty((0, 0), np.float64), False
    return _iou_matrix(tuple(index), h, nd, crowd, threads), True


def merge_intervals(
    starts: _NDArray, ends: _NDArray, ioffs: _NDArray, icount: _NDArray, intersect: bool
) -> tuple[_NDArray, _NDArray]:
    """Union (or intersection) of the intervals of all items: ``(starts, ends)``."""
    kernel = _jit()["merge_intersection" if intersect else "merge_union"]
    return kernel(starts, ends, ioffs, icount)  # type: ignore[no-any-return]


def polygons_to_string(coords: _NDArray, poffs: _NDArray, h: int, w: int) -> _NDArray:
    """COCO's raster of the union of polygons ``coords[poffs[i]:poffs[i + 1]]`` ((K, 2)
    float64 vertices) in an ``h × w`` image, as a compressed string (uint8).

    Each polygon is one kernel call, their union another and the string a third, all from
    here: a kernel calling the three would compile their code a second time inside itself
    (0.3 s of a first call on a fresh install); the calls from Python cost 2-6 µs more warm."""
    k = _jit()
    cs: _NDArray | None = None
    ce: _NDArray | None = None
    for i in range(poffs.shape[0] - 1):
        s, e = k["poly_intervals"](coords[poffs[i] : poffs[i + 1]], h, w)
        cs, ce = (s, e) if cs is None else k["union"](cs, ce, s, e)
    if cs is None or ce is None:
        cs = ce = np.zeros(0, dtype=np.int64)
    return k["intervals_to_string"](cs, ce, h * w)  # type: ignore[no-any-return]


def box_to_string(xa: float, ya: float, xb: float, yb: float, h: int, w: int) -> _NDArray:
    """COCO's raster of the box ``[xa, xb] × [ya, yb]`` (``xa <= xb``, ``ya <= yb``) in an
    ``h × w`` image, as a compressed string (uint8): the raster of its four corners as a
    polygon (:func:`polygons_to_string`), computed in closed form."""
    return _jit()["box_to_string"](xa, ya, xb, yb, h, w)  # type: ignore[no-any-return]


def polygon_index(
    nums: _NDArray, ring_off: _NDArray, first: _NDArray, count: _NDArray, hs: _NDArray,
    ws: _NDArray,
) -> tuple[_NDArray, _NDArray, _NDArray, _NDArray, _NDArray, _NDArray]:  # fmt: skip
    """COCO's raster of many objects' polygons straight into an index ``(starts, ends, ioffs,
    icount, area, bbox)`` (as :func:`index_strings`): object ``i`` unites the rings
    ``first[i]:first[i] + count[i]`` (ring ``r``: x, y pairs
    ``nums[ring_off[r]:ring_off[r + 1]]``, already checked) in an ``hs[i] × ws[i]`` image.
    Chunks of objects run on threads (the kernel releases the GIL)."""
    kernel = _jit()["polygon_index"]
    n = first.size
    threads = parallel_threads(n, min_work=_PARALLEL_POLYGONS)
    if threads == 1:
        return kernel(nums, ring_off, first, count, hs, ws)  # type: ignore[no-any-return]
    cuts = np.linspace(0, n, 2 * threads + 1).astype(np.int64)
    with ThreadPoolExecutor(threads) as pool:
        parts = list(pool.map(
            lambda c: kernel(nums, ring_off, first[c[0]:c[1]], count[c[0]:c[1]], hs[c[0]:c[1]],
                             ws[c[0]:c[1]]),
            itertools.pairwise(cuts),
        ))  # fmt: skip
    base = np.cumsum([0] + [q[0].size for q in parts])
    ioffs = np.concatenate([q[2][:-1] + b for q, b in zip(parts, base, strict=False)])
    return (
        np.concatenate([q[0] for q in parts]), np.concatenate([q[1] for q in parts]),
        np.append(ioffs, base[-1]), np.concatenate([q[3] for q in parts]),
        np.concatenate([q[4] for q in parts]), np.concatenate([q[5] for q in parts]),
    )  # fmt: skip


def cell_mask_ious(
    index: tuple[_NDArray, ...], heights: _NDArray, crowd: _NDArray, dt_off: _NDArray,
    gt_off: _NDArray, iou_off: _NDArray,
) -> _NDArray:  # fmt: skip
    """The flat mask IoU matrices of (image, category) cells (see
    :func:`ioukit.kernels._numba_rle_intervals.cell_mask_ious_range`); ``index`` = ``(starts,
    ends, ioffs, icount, area, bbox)`` of the detections then the ground truths. Ranges of cells
    on threads."""
    threads = parallel_threads(int(iou_off[-1]), min_work=_PARALLEL_PAIRS)
    out = np.empty(int(iou_off[-1]), np.float64)
    run_chunks(_jit()["cell_mask_ious_range"], heights.shape[0], threads, out, *index, heights,
               crowd, dt_off, gt_off, iou_off)  # fmt: skip
    return out


def string_areas_boxes(
    buf: _NDArray, lo: _NDArray, hi: _NDArray, heights: _NDArray
) -> tuple[_NDArray, _NDArray, _NDArray, _NDArray]:
    """``(area, bbox, totals, err)`` of the compressed strings ``buf[lo[i]:hi[i]]`` (read
    where they lie) as :func:`index_strings` gives them, without their intervals (memory
    independent of the number of masks). Ranges of strings on threads."""
    threads = parallel_threads(int((hi - lo).sum()), min_work=8 * _PARALLEL_RUNS)
    n = lo.shape[0]
    out = (np.empty(n, np.int64), np.empty((n, 4), np.int64), np.empty(n, np.int64),
           np.empty(n, np.int64))  # fmt: skip
    run_chunks(_jit()["string_areas_boxes_range"], n, threads, buf, lo.astype(np.int64),
               hi.astype(np.int64), heights, *out)  # fmt: skip
    return out
