"""COCO RLE kernels on intervals of ones: indexing, pairwise IoU and merging.

Runs (or compressed strings, in one fused pass) become intervals with areas and bounding boxes;
the IoU matrix and the union / intersection of masks are computed on those intervals. The
representations are described in :mod:`ioukit.kernels._numba_rle_codec`. Compiled on first use:
only :mod:`ioukit.kernels.rle` imports this module (it imports numba).
"""

from __future__ import annotations

import numba as nb
import numpy as np

# ---------------------------------------------------------------------------- runs → intervals


@nb.njit(cache=True, nogil=True, inline="always")
def _index_one(runs, lo, hi, h, starts, ends, i0, bbox, s):  # type: ignore[no-untyped-def]  # pragma: no cover
    # intervals of the runs[lo:hi] (empty runs dropped, touching intervals joined) written
    # from starts/ends[i0]; the pixel-inclusive bbox (x0, y0, x1, y1) into bbox[s] ((0, 0, -1,
    # -1) when empty); returns (number of intervals, area). Inlined into its one caller: a
    # separate helper is compiled once on its own and again inside every caller.
    pos = np.int64(0)
    cnt = 0
    area = np.int64(0)
    for j in range(lo, hi):
        r = runs[j]
        if (j - lo) & 1 and r > 0:
            if cnt > 0 and ends[i0 + cnt - 1] == pos:
                ends[i0 + cnt - 1] = pos + r
            else:
                starts[i0 + cnt] = pos
                ends[i0 + cnt] = pos + r
                cnt += 1
            area += r
        pos += r
    x0 = np.int64(0)
    y0 = np.int64(0)
    x1 = np.int64(-1)
    y1 = np.int64(-1)
    for k in range(i0, i0 + cnt):
        a = starts[k]
        b = ends[k] - 1
        xa = a // h
        ya = a - xa * h
        xb = b // h
        yb = b - xb * h
        if xb > xa:  # the interval wraps from one column into the next: every row is covered
            ya = 0
            yb = h - 1
        if k == i0:
            x0, y0, x1, y1 = xa, ya, xb, yb
        else:
            x0 = min(x0, xa)
            x1 = max(x1, xb)
            y0 = min(y0, ya)
            y1 = max(y1, yb)
    bbox[s, 0] = x0
    bbox[s, 1] = y0
    bbox[s, 2] = x1
    bbox[s, 3] = y1
    return cnt, area


@nb.njit(cache=True, nogil=True)
def index_runs_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    runs, roffs, heights, starts, ends, ioffs, icount, area, bbox, lo, hi
):
    """Intervals, areas and bboxes of the items ``lo:hi`` of a batch of runs, written into
    ``starts``, ``ends`` (from ``ioffs[s]``), ``icount``, ``area`` and ``bbox`` int64 ``(N, 4)``
    pixel-inclusive ``(x0, y0, x1, y1)``; the wrapper allocates them (``ioffs[s + 1] - ioffs[s]
    = (roffs[s + 1] - roffs[s]) // 2``, room for every interval) and runs ranges on threads."""
    for s in range(lo, hi):
        c, a = _index_one(runs, roffs[s], roffs[s + 1], heights[s], starts, ends, ioffs[s], bbox, s)
        icount[s] = c
        area[s] = a


# ---------------------------------------------------------------------------- iou


@nb.njit(cache=True, nogil=True)
def _first_ending_after(ends, lo, hi, v):  # type: ignore[no-untyped-def]  # pragma: no cover
    # first k in [lo, hi) with ends[k] > v (binary search; ends is increasing)
    while lo < hi:
        mid = (lo + hi) >> 1
        if ends[mid] > v:
            hi = mid
        else:
            lo = mid + 1
    return lo


@nb.njit(cache=True, nogil=True)
def _intersection(starts, ends, a0, a1, b0, b1, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover
    # |A ∩ B| where both lie in [lo, hi): walk both interval lists from lo to hi
    ia = _first_ending_after(ends, a0, a1, lo)
    ib = _first_ending_after(ends, b0, b1, lo)
    inter = np.int64(0)
    while ia < a1 and ib < b1:
        sa = starts[ia]
        sb = starts[ib]
        if max(sa, sb) >= hi:  # one list has passed the overlap region: nothing more to meet
            break
        ea = ends[ia]
        eb = ends[ib]
        inter += max(min(ea, eb) - max(sa, sb), 0)
        # advance the interval that ends first (branch-free: the order is unpredictable)
        step = np.int64(ea < eb)
        ia += step
        ib += 1 - step
    return inter


@nb.njit(cache=True, nogil=True)
def partnered(bbox, nd, out):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Set ``out[s]`` (all False on entry) for the masks whose bbox meets the bbox of a mask
    of the other side (items ``0..nd-1`` against ``nd..N-1``)."""
    n = bbox.shape[0]
    for d in range(nd):
        for gi in range(nd, n):
            if max(bbox[d, 0], bbox[gi, 0]) <= min(bbox[d, 2], bbox[gi, 2]) and max(
                bbox[d, 1], bbox[gi, 1]
            ) <= min(bbox[d, 3], bbox[gi, 3]):
                out[d] = True
                out[gi] = True


@nb.njit(cache=True, nogil=True, inline="always")
def _spans_one(starts, ends, a0, cnt, h, x0, top, bot, o0):  # type: ignore[no-untyped-def]  # pragma: no cover
    # Rows [top, bot) of the ones of each column x (at top/bot[o0 + x - x0]), for a mask whose
    # columns hold at most one run of ones each (blobs, polygons: most masks); returns False
    # (and leaves partial spans) for any other mask
    col = np.int64(0)
    base = np.int64(0)
    for k in range(a0, a0 + cnt):
        s = starts[k]
        e = ends[k]
        col, base = _column_of(col, base, s, h)
        xa = col
        col, base = _column_of(col, base, e - 1, h)
        xb = col
        for x in range(xa, xb + 1):
            j = o0 + x - x0
            if bot[j] > 0:
                return False
            top[j] = s - x * h if x == xa else 0
            bot[j] = e - x * h if x == xb else h
    return True


@nb.njit(cache=True, nogil=True, inline="always")
def _span_intersection(top, bot, ja, jb, n):  # type: ignore[no-untyped-def]  # pragma: no cover
    # sum over n columns of the overlap of two column spans (slices: LLVM vectorises this)
    ta = top[ja : ja + n]
    tb = top[jb : jb + n]
    ba = bot[ja : ja + n]
    bb = bot[jb : jb + n]
    inter = np.int64(0)
    for c in range(n):
        d = min(ba[c], bb[c]) - max(ta[c], tb[c])
        inter += d if d > 0 else 0
    return inter


@nb.njit(cache=True, nogil=True, inline="always")
def _iou_row(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    d, out, starts, ends, ioffs, icount, area, bbox, h, nd, crowd, top, bot, soffs, simple
):
    ng = out.shape[1]
    dx0 = bbox[d, 0]
    dy0 = bbox[d, 1]
    dx1 = bbox[d, 2]
    dy1 = bbox[d, 3]
    a0 = ioffs[d]
    a1 = a0 + icount[d]
    for g in range(ng):
        out[d, g] = 0.0
    for g in range(ng):
        gi = nd + g
        # bbox prefilter: masks can only meet where their bboxes do
        x0 = max(dx0, bbox[gi, 0])
        x1 = min(dx1, bbox[gi, 2])
        if x1 < x0 or min(dy1, bbox[gi, 3]) < max(dy0, bbox[gi, 1]):
            continue
        if simple[d] and simple[gi]:
            ja = soffs[d] + x0 - dx0
            jb = soffs[gi] + x0 - bbox[gi, 0]
            inter = _span_intersection(top, bot, ja, jb, x1 - x0 + 1)
        else:
            b0 = ioffs[gi]
            inter = _intersection(starts, ends, a0, a1, b0, b0 + icount[gi], x0 * h, (x1 + 1) * h)
        if inter == 0:
            continue
        if crowd[g]:
            out[d, g] = inter / area[d]
        else:
            out[d, g] = inter / (area[d] + area[gi] - inter)


@nb.njit(cache=True, nogil=True)
def spans_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    starts, ends, ioffs, icount, bbox, h, needed, top, bot, soffs, simple, lo, hi
):
    """Per-column row spans (``top``, ``bot`` int32 from ``soffs[s]``, zeros on entry) of the
    ``needed`` items ``lo:hi``; ``simple[s]`` (True on entry) becomes False for a mask with a
    column of two runs of ones or more. First step of the IoU matrix (see :func:`iou_rows`)."""
    for s in range(lo, hi):
        if needed[s]:
            simple[s] = _spans_one(
                starts, ends, ioffs[s], icount[s], h, bbox[s, 0], top, bot, soffs[s]
            )


@nb.njit(cache=True, nogil=True)
def iou_rows(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    out, starts, ends, ioffs, icount, area, bbox, h, nd, crowd, top, bot, soffs, simple, lo, hi
):
    """Rows ``lo:hi`` of the ``(nd, N - nd)`` IoU of items ``0..nd-1`` (dt) against
    ``nd..N-1`` (gt), one height ``h``, into ``out``.

    Masks whose columns hold one run of ones at most are first turned into per-column row
    spans (:func:`spans_range`, for the masks that :func:`partnered` marks), and a pair of such
    masks is intersected column by column over the columns their bboxes share; any other pair
    walks both interval lists over those columns.
    """
    for d in range(lo, hi):
        _iou_row(
            d, out, starts, ends, ioffs, icount, area, bbox, h, nd, crowd, top, bot, soffs, simple
        )


# ---------------------------------------------------------------------------- merge


@nb.njit(cache=True, nogil=True)
def _union(as_, ae, bs, be):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    n = as_.shape[0] + bs.shape[0]
    os_ = np.empty(n, dtype=np.int64)
    oe = np.empty(n, dtype=np.int64)
    m = 0
    i = 0
    j = 0
    while i < as_.shape[0] or j < bs.shape[0]:
        if j >= bs.shape[0] or (i < as_.shape[0] and as_[i] <= bs[j]):
            s, e = as_[i], ae[i]
            i += 1
        else:
            s, e = bs[j], be[j]
            j += 1
        if m > 0 and s <= oe[m - 1]:  # overlaps or touches the last one: extend it
            oe[m - 1] = max(oe[m - 1], e)
        else:
            os_[m] = s
            oe[m] = e
            m += 1
    return os_[:m], oe[:m]


@nb.njit(cache=True, nogil=True)
def _intersect(as_, ae, bs, be):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    n = as_.shape[0] + bs.shape[0]
    os_ = np.empty(n, dtype=np.int64)
    oe = np.empty(n, dtype=np.int64)
    m = 0
    i = 0
    j = 0
    while i < as_.shape[0] and j < bs.shape[0]:
        s = max(as_[i], bs[j])
        e = min(ae[i], be[j])
        if e > s:
            if m > 0 and s == oe[m - 1]:
                oe[m - 1] = e
            else:
                os_[m] = s
                oe[m] = e
                m += 1
        if ae[i] < be[j]:
            i += 1
        else:
            j += 1
    return os_[:m], oe[:m]


@nb.njit(cache=True, nogil=True)
def merge_union(starts, ends, ioffs, icount):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Union of all items' intervals: ``(starts, ends)``. A kernel each for the union and
    the intersection: a call compiles only the merge it makes."""
    cs = starts[ioffs[0] : ioffs[0] + icount[0]].copy()
    ce = ends[ioffs[0] : ioffs[0] + icount[0]].copy()
    for k in range(1, icount.shape[0]):
        a = ioffs[k]
        cs, ce = _union(cs, ce, starts[a : a + icount[k]], ends[a : a + icount[k]])
    return cs, ce


@nb.njit(cache=True, nogil=True)
def merge_intersection(starts, ends, ioffs, icount):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Intersection of all items' intervals: ``(starts, ends)`` (as :func:`merge_union`)."""
    cs = starts[ioffs[0] : ioffs[0] + icount[0]].copy()
    ce = ends[ioffs[0] : ioffs[0] + icount[0]].copy()
    for k in range(1, icount.shape[0]):
        a = ioffs[k]
        cs, ce = _intersect(cs, ce, starts[a : a + icount[k]], ends[a : a + icount[k]])
    return cs, ce


# ---------------------------------------------------------------------------- fused iou


@nb.njit(cache=True, nogil=True)
def _column_of(col, base, p, h):  # type: ignore[no-untyped-def]  # pragma: no cover
    # (column, first position of the column) of position p >= base, from the column of base:
    # a step or two without dividing in the common case (a mask's runs move column by column)
    if p - base >= 4 * h:
        col = p // h
        return col, col * h
    while p - base >= h:
        col += 1
        base += h
    return col, base


@nb.njit(cache=True, nogil=True, inline="always")
def _index_string(buf, lo, hi, h, starts, ends, i0, bbox, s):  # type: ignore[no-untyped-def]  # pragma: no cover
    # One pass over the string buf[lo:hi]: decode the runs and write the intervals of ones
    # from starts/ends[i0], the bbox into bbox[s] (as _index_one). Returns (number of
    # intervals, area, sum of runs, error) with the errors of
    # ioukit.kernels._numba_rle_codec.parse_range. Inlined: each of its two callers is the
    # kernel of another call, which would otherwise compile it twice (alone and inside).
    m = 0
    x = np.int64(0)
    k = 0
    r1 = np.int64(0)
    r2 = np.int64(0)
    pos = np.int64(0)
    cnt = 0
    area = np.int64(0)
    col = np.int64(0)
    base = np.int64(0)
    x0 = np.int64(0)
    y0 = np.int64(0)
    x1 = np.int64(-1)
    y1 = np.int64(-1)
    for p in range(lo, hi):
        c = np.int64(buf[p]) - 48
        if c < 0 or c > 63:
            return cnt, area, pos, 1
        if k == 12:
            return cnt, area, pos, 4
        x |= (c & 0x1F) << (5 * k)
        k += 1
        if (c & 0x20) == 0:
            if (c & 0x10) != 0:
                x |= np.int64(-1) << (5 * k)
            if m > 2:
                x += r2
            if x < 0:
                return cnt, area, pos, 3
            r = x
            if (m & 1) and r > 0:
                if h == 0:
                    return cnt, area, pos + r, 0  # cannot fit any image: the total says so
                if cnt > 0 and ends[i0 + cnt - 1] == pos:
                    ends[i0 + cnt - 1] = pos + r
                else:
                    starts[i0 + cnt] = pos
                    ends[i0 + cnt] = pos + r
                    cnt += 1
                area += r
                col, base = _column_of(col, base, pos, h)
                xa = col
                ya = pos - base
                col, base = _column_of(col, base, pos + r - 1, h)
                xb = col
                yb = pos + r - 1 - base
                if xb > xa:  # the run wraps into the next column: every row is covered
                    ya = 0
                    yb = h - 1
                if x1 < 0:
                    x0, y0, x1, y1 = xa, ya, xb, yb
                else:
                    x1 = xb  # runs come in increasing position: xa >= x0
                    y0 = min(y0, ya)
                    y1 = max(y1, yb)
            pos += r
            r2 = r1
            r1 = r
            m += 1
            x = np.int64(0)
            k = 0
    bbox[s, 0] = x0
    bbox[s, 1] = y0
    bbox[s, 2] = x1
    bbox[s, 3] = y1
    if k != 0:
        return cnt, area, pos, 2
    return cnt, area, pos, 0


@nb.njit(cache=True, nogil=True)
def index_strings_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    buf, slo, shi, heights, starts, ends, ioffs, icount, area, bbox, totals, err, lo, hi
):
    """:func:`index_runs_range` straight from compressed strings ``buf[slo[s]:shi[s]]``, plus
    ``totals`` (sums of the runs) and ``err`` (codec errors); ``ioffs[s + 1] - ioffs[s] =
    (shi[s] - slo[s]) // 2`` (a run takes one character at least, an interval two runs)."""
    for s in range(lo, hi):
        c, a, t, e = _index_string(buf, slo[s], shi[s], heights[s], starts, ends, ioffs[s], bbox, s)
        icount[s] = c
        area[s] = a
        totals[s] = t
        err[s] = e


# ---------------------------------------------------------------------------- cells


@nb.njit(cache=True, nogil=True, inline="always")
def pair_intersection(starts, ends, ioffs, icount, bbox, i, j, h):  # type: ignore[no-untyped-def]  # pragma: no cover
    """|item i ∩ item j| of one index, both masks of height ``h``: 0 when their boxes do not
    meet, else their intervals walked over the columns the boxes share."""
    x0 = max(bbox[i, 0], bbox[j, 0])
    x1 = min(bbox[i, 2], bbox[j, 2])
    if x0 > x1 or max(bbox[i, 1], bbox[j, 1]) > min(bbox[i, 3], bbox[j, 3]):
        return np.int64(0)
    a0 = ioffs[i]
    b0 = ioffs[j]
    return _intersection(starts, ends, a0, a0 + icount[i], b0, b0 + icount[j], x0 * h, (x1 + 1) * h)


@nb.njit(cache=True, nogil=True)
def cell_mask_ious_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    out, starts, ends, ioffs, icount, area, bbox, heights, crowd, dt_off, gt_off, iou_off, lo, hi
):
    """The flat mask IoU matrices of the (image, category) cells ``lo .. hi``, pycocotools'
    ``maskUtils.iou`` bit for bit: one index holds the detections (``0:nd``, cell ``c``'s at
    ``dt_off[c]:dt_off[c + 1]``) then the ground truths (``nd + gt_off[c]:...``), cell ``c``'s
    image height is ``heights[c]``, a crowd ground truth divides by the detection's area. Cell
    ``c`` is ``out[iou_off[c]:iou_off[c + 1]]``, row-major (``out`` allocated by the wrapper).
    Serial, without the GIL: threads run ranges of cells
    (:func:`ioukit.kernels._threads.run_chunks`)."""
    nd = dt_off[heights.shape[0]]
    for c in range(lo, hi):
        h = heights[c]
        o = iou_off[c]
        for i in range(dt_off[c], dt_off[c + 1]):
            for j in range(gt_off[c], gt_off[c + 1]):
                inter = pair_intersection(starts, ends, ioffs, icount, bbox, i, nd + j, h)
                if inter == 0:
                    out[o] = 0.0
                elif crowd[j]:
                    out[o] = inter / area[i]
                else:
                    out[o] = inter / (area[i] + area[nd + j] - inter)
                o += 1


@nb.njit(cache=True, nogil=True)
def string_areas_boxes_range(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    buf, lo, hi, heights, area, bbox, totals, err, first, last
):
    """Areas, pixel-inclusive boxes ``(N, 4)``, sums of runs and errors of the compressed
    strings ``buf[lo[i]:hi[i]]``, ``i`` in ``first .. last`` (as :func:`index_strings_range`),
    written into the wrapper's arrays, without keeping their intervals: a range reuses one
    scratch buffer, so memory does not grow with the number of masks. Serial, without the GIL:
    threads run ranges of strings (:func:`ioukit.kernels._threads.run_chunks`)."""
    longest = 0
    for s in range(first, last):
        longest = max(longest, hi[s] - lo[s])
    starts = np.empty(longest // 2 + 1, dtype=np.int64)
    ends = np.empty(longest // 2 + 1, dtype=np.int64)
    for s in range(first, last):
        _, a, t, e = _index_string(buf, lo[s], hi[s], heights[s], starts, ends, 0, bbox, s)
        area[s] = a
        totals[s] = t
        err[s] = e
