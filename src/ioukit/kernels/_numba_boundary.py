"""The numba kernels behind :mod:`ioukit.kernels.boundary`, compiled on first use.

``d`` iterations of a 3×3 erosion of a zero-padded mask keep a pixel iff the
``(2d + 1) × (2d + 1)`` square around it holds no zero (outside the image counts as zero). The
square is separable: a pixel passes along a row iff the runs of set pixels ending and starting at
it are both longer than ``d``, and it survives iff the same holds for the runs of row-passing
pixels in its column. Two sweeps over each mask's bounding box, whatever ``d`` (pixels outside
the box are zero, like those outside the image): :func:`_bands` (dense masks) and
:func:`pair_band_counts` (the band counts of mask pairs, for Boundary IoU). The bands of every
class or segment of a label or id map at once are computed by
:mod:`ioukit.kernels._numba_label_bands`.

RLE masks have their bands computed inside their bounding boxes, from their intervals of ones
(:func:`band_intervals`), and Boundary AP's IoU matrices lower the masks' IoU to the bands' IoU
(:func:`band_min`); see the sections below.

This module imports numba, so only :mod:`ioukit.kernels.boundary` imports it, when the kernel
first runs.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ioukit.kernels._numba_rle_intervals import pair_intersection


@nb.njit(cache=True, nogil=True)
def _box(m):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # the bounding box (y0, y1, x0, x1), ends exclusive, of the set pixels of m (H, W) uint8
    # (0/1); (0, 0, 0, 0) when none is set. One pass of OR reductions (vectorised) over the
    # rows; only rows with a set pixel are ORed into the columns.
    h, w = m.shape
    col = np.empty(w, dtype=np.bool_)
    col[:] = False
    y0 = h
    y1 = 0
    for y in range(h):
        r = np.uint8(0)
        for x in range(w):
            r |= m[y, x]
        if r:
            y0 = min(y0, y)
            y1 = y + 1
            for x in range(w):
                col[x] |= m[y, x] != 0
    if y1 == 0:
        return 0, 0, 0, 0
    x0 = 0
    while col[x0] == 0:
        x0 += 1
    x1 = w
    while col[x1 - 1] == 0:
        x1 -= 1
    return y0, y1, x0, x1


@nb.njit(cache=True, nogil=True)
def _band_box(m, y0, y1, x0, x1, d, band):  # type: ignore[no-untyped-def]  # pragma: no cover
    # band[y - y0, x - x0] = the band of m (H, W) uint8 or bool at (y, x), for the box rows
    # [y0, y1), columns [x0, x1) that holds every set pixel (outside it all is zero, as outside
    # the image); every cell of band is written (callers pass it uninitialised)
    bh = y1 - y0
    bw = x1 - x0
    if bh <= 2 * d or bw <= 2 * d:  # no (2d + 1)-square fits: the whole mask is band
        for y in range(bh):
            for x in range(bw):
                band[y, x] = m[y0 + y, x0 + x] != 0
        return
    # the column counts "up" are run's extra row: each np.empty signature compiles apart
    run = np.empty((bh + 1, bw), dtype=np.int32)
    row_ok = np.empty((bh, bw), dtype=np.bool_)
    up = run[bh]
    up[:] = 0
    for y in range(bh):
        c = 0
        for x in range(bw):
            c = c + 1 if m[y0 + y, x0 + x] else 0
            run[y, x] = c
        c = 0
        for x in range(bw - 1, -1, -1):
            c = c + 1 if m[y0 + y, x0 + x] else 0
            row_ok[y, x] = run[y, x] > d and c > d
    for x in range(bw):
        run[0, x] = 1 if row_ok[0, x] else 0
    for y in range(1, bh):
        for x in range(bw):
            run[y, x] = run[y - 1, x] + 1 if row_ok[y, x] else 0
    for y in range(bh - 1, -1, -1):
        for x in range(bw):
            up[x] = up[x] + 1 if row_ok[y, x] else 0
            band[y, x] = m[y0 + y, x0 + x] != 0 and not (run[y, x] > d and up[x] > d)


@nb.njit(cache=True, nogil=True)
def _bands(masks, d, out):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # masks: (N, H, W) uint8 (0/1), out: (N, H, W) bool of zeros; out[i] = masks[i] minus its
    # erosion, computed inside the mask's bounding box
    for i in range(masks.shape[0]):
        y0, y1, x0, x1 = _box(masks[i])
        _band_box(masks[i], y0, y1, x0, x1, d, out[i, y0:y1, x0:x1])


@nb.njit(cache=True, nogil=True)
def pair_band_counts(pred, target, d, out, n_chunks, first, last):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``out[i] = (|B(pred[i]) ∩ B(target[i])|, |B(pred[i])|, |B(target[i])|)`` (int64), the
    bands ``B`` of ``(N, H, W)`` uint8 (0/1) masks computed inside each mask's box. The pairs
    of chunks ``[first, last)`` of ``n_chunks``."""
    # Both masks of a pair go through one loop, and the pair's counting is written here, not
    # in a helper: every call site of a kernel, and every level of calls, compiles its callees'
    # code again (numba links and optimises them into the caller).
    n = pred.shape[0]
    # y0, y1, x0, x1 of the pred mask, then of the target (1-D int64: a signature of np.empty
    # that other kernels share; each one compiles apart)
    box = np.empty(8, dtype=np.int64)
    for ch in range(first, last):
        for i in range(ch * n // n_chunks, (ch + 1) * n // n_chunks):
            for k in range(2):
                y0, y1, x0, x1 = _box(pred[i] if k == 0 else target[i])
                box[4 * k], box[4 * k + 1], box[4 * k + 2], box[4 * k + 3] = y0, y1, x0, x1
            # the two bands (_band_box writes every cell)
            bp = np.empty((box[1] - box[0], box[3] - box[2]), dtype=np.bool_)
            bt = np.empty((box[5] - box[4], box[7] - box[6]), dtype=np.bool_)
            for k in range(2):
                y0, y1, x0, x1 = box[4 * k], box[4 * k + 1], box[4 * k + 2], box[4 * k + 3]
                band = bp if k == 0 else bt
                _band_box(pred[i] if k == 0 else target[i], y0, y1, x0, x1, d, band)
                c = 0
                for y in range(y1 - y0):
                    for x in range(x1 - x0):
                        if band[y, x]:
                            c += 1
                out[i, k + 1] = c
            py0, px0, ty0, tx0 = box[0], box[2], box[4], box[6]
            c = 0
            for y in range(max(py0, ty0), min(box[1], box[5])):
                for x in range(max(px0, tx0), min(box[3], box[7])):
                    if bp[y - py0, x - px0] and bt[y - ty0, x - tx0]:
                        c += 1
            out[i, 0] = c


# ---------------------------------------------------------------------------- bands of RLE masks
#
# A mask given by its intervals of ones (column-major positions, see
# :mod:`ioukit.kernels._numba_rle_codec`) has its band computed inside its bounding box only:
# every pixel outside the box is zero, like every pixel outside the image, so the erosion of the
# box with zeros around it is the erosion of the whole zero-padded image restricted to the box
# (and the band lies inside the box). The erosion is separable: the vertical pass turns each run
# of ones of a column, rows [a, b), into the rows [a + d, b - d) ("V"), and a pixel survives the
# horizontal pass iff V holds it in the 2d + 1 columns around it. A mask whose columns hold one
# run each is done in O(columns) (_band_columns), any other in O(area) (_band_rows); neither
# looks at the pixels of the box outside the mask.


@nb.njit(cache=True, nogil=True)
def _column_runs(starts, ends, a0, cnt, h, x0, cw):  # type: ignore[no-untyped-def]  # pragma: no cover
    # rows [ry0[k], ry1[k]) of the k-th run of ones, split at column ends, and the CSR pointer
    # cptr of the columns x0..x0+cw-1 (an interval that spans k columns gives k runs, and no two
    # intervals cross the same column end: at most cnt + cw - 1 runs). Intervals that touch
    # (none in a canonical index) are joined.
    ry0 = np.empty(cnt + cw, dtype=np.int64)
    ry1 = np.empty(cnt + cw, dtype=np.int64)
    cptr = np.empty(cw + 1, dtype=np.int64)
    cptr[:] = 0
    k = 0
    last = np.int64(-1)  # the end (column-major position) of the last run
    for i in range(a0, a0 + cnt):
        s = starts[i]
        e = ends[i]
        x = s // h
        y = s - x * h
        while s < e:
            stop = min(e, (x + 1) * h)
            if s == last and y > 0:  # touches the last run, in the same column
                ry1[k - 1] = stop - x * h
            else:
                ry0[k] = y
                ry1[k] = stop - x * h
                cptr[x - x0 + 1] += 1
                k += 1
            last = stop
            s = stop
            x += 1
            y = 0
    for c in range(cw):
        cptr[c + 1] += cptr[c]
    return ry0, ry1, cptr


@nb.njit(cache=True, nogil=True, inline="always")
def _append(out_s, out_e, o0, n, ps, pe):  # type: ignore[no-untyped-def]  # pragma: no cover
    # append [ps, pe) to the n intervals at out[o0:], joined to the last one when they touch
    # (columns spanning the whole image height); returns the new count
    if n > 0 and out_e[o0 + n - 1] == ps:
        out_e[o0 + n - 1] = pe
        return n
    out_s[o0 + n] = ps
    out_e[o0 + n] = pe
    return n + 1


@nb.njit(cache=True, nogil=True, inline="always")
def _append_capped(out_s, out_e, o0, cap, n, last, ps, pe):  # type: ignore[no-untyped-def]  # pragma: no cover
    # _append into room for cap intervals, ``last`` the end of the last interval: intervals past
    # cap are counted, not written. Returns the new count.
    if n > 0 and last == ps:
        if n <= cap:
            out_e[o0 + n - 1] = pe
        return n
    if n < cap:
        out_s[o0 + n] = ps
        out_e[o0 + n] = pe
    return n + 1


@nb.njit(cache=True, nogil=True)
def _window_max(v, k):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # out[i] = max of v[i:i + k] for i in 0..len(v) - k (van Herk / Gil-Werman: the suffix
    # maximum of i's block of k and the prefix maximum of i + k - 1's, three steps each). A
    # window minimum is that of the values negated: one function, not one per literal flag.
    n = v.shape[0]
    pre = v.copy()
    suf = v.copy()
    for b in range(0, n, k):
        for i in range(b + 1, min(b + k, n)):
            pre[i] = max(pre[i], pre[i - 1])
        for i in range(min(b + k, n) - 2, b - 1, -1):
            suf[i] = max(suf[i], suf[i + 1])
    out = np.empty(n - k + 1, dtype=v.dtype)
    for i in range(n - k + 1):
        out[i] = max(suf[i], pre[i + k - 1])
    return out


@nb.njit(cache=True, nogil=True)
def _band_columns(ry0, ry1, x0, cw, h, d, out_s, out_e, o0):  # type: ignore[no-untyped-def]  # pragma: no cover
    # The band of a mask whose columns x0..x0+cw-1 hold one run of ones each, rows
    # [ry0[c], ry1[c]) (blobs, polygons: most masks), in O(columns), as at most 2 * cw
    # intervals written from out[o0]; returns (count, area). V of column c is
    # [ry0 + d, ry1 - d), and the eroded rows of column c are the intersection of V over the
    # columns c - d..c + d, [max of the starts, min of the ends): es/-nee[c - d].
    k = 2 * d + 1
    vs = np.empty(cw, dtype=np.int64)
    nve = np.empty(cw, dtype=np.int64)  # the ends negated: their window minimum is -max(nve)
    for c in range(cw):
        empty = ry1[c] - ry0[c] <= 2 * d
        vs[c] = h if empty else ry0[c] + d
        nve[c] = 0 if empty else d - ry1[c]
    inner = max(cw - 2 * d, 0)  # the columns c with c - d and c + d inside the box
    es = _window_max(vs, k) if inner else vs[:0]
    nee = _window_max(nve, k) if inner else nve[:0]
    n = 0
    area = np.int64(0)
    for c in range(cw):
        base = (x0 + c) * h
        a = ry0[c]
        b = ry1[c]
        i = c - d
        if 0 <= i < inner and es[i] < -nee[i]:
            n = _append(out_s, out_e, o0, n, base + a, base + es[i])
            n = _append(out_s, out_e, o0, n, base - nee[i], base + b)
            area += b - a - (-nee[i] - es[i])
        else:
            n = _append(out_s, out_e, o0, n, base + a, base + b)
            area += b - a
    return n, area


@nb.njit(cache=True, nogil=True)
def _one_run_each(cptr):  # type: ignore[no-untyped-def]  # pragma: no cover
    for c in range(cptr.shape[0] - 1):  # noqa: SIM110 - numba compiles loops, not generators
        if cptr[c + 1] - cptr[c] != 1:
            return False
    return True


@nb.njit(cache=True, nogil=True)
def _band_rows(ry0, ry1, cptr, x0, y0, ch, h, d, out_s, out_e, o0, cap):  # type: ignore[no-untyped-def]  # pragma: no cover
    # The band of any mask, column runs ry0/ry1/cptr in the columns from x0, rows y0..y0+ch-1,
    # in O(area), as intervals written from out[o0] (the first cap of them); returns (count,
    # area). Columns are swept left to right keeping, per row, the last column where V held it
    # and where that run of columns began; column xo is read once column xo + d has been fed.
    cw = cptr.shape[0] - 1
    x1 = x0 + cw - 1
    last = np.empty(ch, dtype=np.int64)
    last[:] = x0 - 2
    first = np.empty(ch, dtype=np.int64)
    n = 0
    end = np.int64(-1)  # the end of the last band interval
    area = np.int64(0)
    fed = x0 - 1
    for xo in range(x0, x1 + 1):
        xl = xo + d
        while fed < min(xl, x1):  # feed V of the columns up to xo + d
            fed += 1
            for k in range(cptr[fed - x0], cptr[fed - x0 + 1]):
                for j in range(ry0[k] + d - y0, ry1[k] - d - y0):
                    if last[j] != fed - 1:
                        first[j] = fed
                    last[j] = fed
        base = xo * h
        for k in range(cptr[xo - x0], cptr[xo - x0 + 1]):
            a = ry0[k]
            b = ry1[k]
            run = a  # the start of the band run being read, -1 inside eroded rows
            if xl <= x1:  # rows [a, a + d) and [b - d, b) are band; between them, those not eroded
                for y in range(a + d, b - d):
                    j = y - y0
                    if last[j] == xl and first[j] <= xo - d:  # V on columns xo - d..xo + d
                        if run >= 0:
                            n = _append_capped(out_s, out_e, o0, cap, n, end, base + run, base + y)
                            end = base + y
                            area += y - run
                            run = -1
                    elif run < 0:
                        run = y
                if run < 0:
                    run = b - d
            n = _append_capped(out_s, out_e, o0, cap, n, end, base + run, base + b)
            end = base + b
            area += b - run
    return n, area


@nb.njit(cache=True, nogil=True)
def _band_one(starts, ends, a0, cnt, h, box, d, out_s, out_e, o0, cap):  # type: ignore[no-untyped-def]  # pragma: no cover
    # The band of the mask with intervals starts/ends[a0:a0 + cnt] in an image of height h and
    # pixel-inclusive bounding box box = (x0, y0, x1, y1), as intervals written from out[o0]
    # (the first cap of them, cap >= 2 * (x1 - x0 + 1)). Returns (number of band intervals,
    # band area).
    if cnt == 0:
        return 0, 0
    x0 = box[0]
    cw = box[2] - x0 + 1
    ry0, ry1, cptr = _column_runs(starts, ends, a0, cnt, h, x0, cw)
    if _one_run_each(cptr):  # at most two band intervals per column
        return _band_columns(ry0, ry1, x0, cw, h, d, out_s, out_e, o0)
    ch = box[3] - box[1] + 1
    return _band_rows(ry0, ry1, cptr, x0, box[1], ch, h, d, out_s, out_e, o0, cap)


@nb.njit(cache=True, nogil=True)
def _bands_layout(icount, bbox, need):  # type: ignore[no-untyped-def]  # pragma: no cover
    # room for the band intervals of each needed mask: two per run of each column (a band run
    # ends where its run of ones ends or where eroded rows begin); a mask with more (holes in
    # the columns around) is computed again with room for all of them (_bands_refit)
    n = icount.shape[0]
    boffs = np.empty(n + 1, dtype=np.int64)
    boffs[:] = 0
    for s in range(n):
        room = 2 * (icount[s] + bbox[s, 2] - bbox[s, 0] + 1) if need[s] and icount[s] else 0
        boffs[s + 1] = boffs[s] + room
    return boffs, np.empty(boffs[n], dtype=np.int64), np.empty(boffs[n], dtype=np.int64)


@nb.njit(cache=True, nogil=True)
def _bands_refit(bs, be, boffs, bcount):  # type: ignore[no-untyped-def]  # pragma: no cover
    # a layout with room for exactly bcount[s] intervals of each mask, the intervals of the
    # masks that fitted moved there
    n = bcount.shape[0]
    offs = np.empty(n + 1, dtype=np.int64)
    offs[:] = 0
    for s in range(n):
        offs[s + 1] = offs[s] + bcount[s]
    out_s = np.empty(offs[n], dtype=np.int64)
    out_e = np.empty(offs[n], dtype=np.int64)
    for s in range(n):
        if bcount[s] <= boffs[s + 1] - boffs[s]:
            for q in range(bcount[s]):  # a loop compiles faster than a slice assignment
                out_s[offs[s] + q] = bs[boffs[s] + q]
                out_e[offs[s] + q] = be[boffs[s] + q]
    return out_s, out_e, offs


@nb.njit(cache=True, nogil=True)
def band_layout(icount, bbox, need):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``(boffs, bs, be)``: room for the band intervals of the masks flagged in ``need``."""
    return _bands_layout(icount, bbox, need)


@nb.njit(cache=True, nogil=True)
def band_refit(bs, be, boffs, bcount):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``(bs, be, boffs)`` with room for ``bcount[s]`` intervals of every mask ``s``."""
    return _bands_refit(bs, be, boffs, bcount)


@nb.njit(cache=True, nogil=True)
def band_chunks(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    starts, ends, ioffs, icount, bbox, heights, dil, flags, refit, bands, n_chunks, first, last,
):  # fmt: skip
    """Band intervals of the masks flagged in ``flags`` of chunks ``[first, last)`` of
    ``n_chunks``, mask ``s`` of image height ``heights[s]`` and band width ``dil[s]``, into
    ``bands = (bs, be, boffs, bcount, barea)`` (the ``bcount[s]`` intervals of mask ``s``
    from ``boffs[s]``). First pass (``refit`` false): within the room of :func:`band_layout`,
    setting ``bcount`` and ``barea``; second pass: again, in the room of :func:`band_refit`."""
    bs, be, boffs, bcount, barea = bands
    n = icount.shape[0]
    for ch in range(first, last):
        for s in range((n * ch) // n_chunks, (n * (ch + 1)) // n_chunks):
            if not flags[s]:
                continue
            if refit:
                _band_one(
                    starts, ends, ioffs[s], icount[s], heights[s], bbox[s], dil[s], bs, be,
                    boffs[s], bcount[s],
                )  # fmt: skip
            else:
                bcount[s], barea[s] = _band_one(
                    starts, ends, ioffs[s], icount[s], heights[s], bbox[s], dil[s], bs, be,
                    boffs[s], boffs[s + 1] - boffs[s],
                )  # fmt: skip


# ---------------------------------------------------------------------------- Boundary AP cells
#
# One index holds the detections (0:nd, cell c's at dt_off[c]:dt_off[c + 1]) then the ground
# truths (nd + gt_off[c]:...); the IoU matrix of cell c is iou[iou_off[c]:iou_off[c + 1]],
# row-major (a row per detection), as ioukit.kernels._numba_rle_intervals.cell_mask_ious
# computes the masks' IoU. Boundary AP then lowers each non-crowd entry to the bands' IoU
# where that is smaller; a pair whose masks do not meet has no band in common either.


@nb.njit(cache=True, nogil=True)
def needed_bands(iou, crowd, dt_off, gt_off, iou_off):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Which masks need a band: those with a positive mask IoU against a non-crowd partner
    (crowd columns keep the mask IoU)."""
    nd = dt_off[dt_off.shape[0] - 1]
    need = np.empty(nd + gt_off[gt_off.shape[0] - 1], dtype=np.bool_)
    need[:] = 0
    for c in range(dt_off.shape[0] - 1):
        o = iou_off[c]
        for i in range(dt_off[c], dt_off[c + 1]):
            for j in range(gt_off[c], gt_off[c + 1]):
                if iou[o] > 0 and not crowd[j]:
                    need[i] = True
                    need[nd + j] = True
                o += 1
    return need


@nb.njit(cache=True, nogil=True)
def _cell_band_min(c, iou, bbox, h, bands, crowd, dt_off, gt_off, iou_off, nd):  # type: ignore[no-untyped-def]  # pragma: no cover
    # cell c: min(mask IoU, band IoU) where the masks meet, outside crowd columns. A band's box
    # is its mask's (the extreme pixels of a mask are band), so the bands are walked over the
    # columns the masks' boxes share.
    bs, be, boffs, bcount, barea = bands
    o = iou_off[c]
    for i in range(dt_off[c], dt_off[c + 1]):
        for j in range(gt_off[c], gt_off[c + 1]):
            if iou[o] > 0 and not crowd[j]:
                g = nd + j
                bi = pair_intersection(bs, be, boffs, bcount, bbox, i, g, h)
                band = bi / (barea[i] + barea[g] - bi) if bi > 0 else 0.0
                iou[o] = min(iou[o], band)
            o += 1


@nb.njit(cache=True, nogil=True)
def band_min(iou, bbox, heights, bands, crowd, dt_off, gt_off, iou_off, n_chunks, first, last):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Lower the flat mask IoU matrices ``iou`` of the cells, in place, to Boundary AP's
    ``min(mask IoU, band IoU)`` in non-crowd columns: ``bbox`` the masks' boxes,
    ``heights[c]`` cell ``c``'s image height, ``bands`` the output of
    :func:`band_chunks`; the cells of chunks ``[first, last)`` of ``n_chunks``."""
    n_cells = heights.shape[0]
    nd = dt_off[n_cells]
    for ch in range(first, last):
        for c in range((n_cells * ch) // n_chunks, (n_cells * (ch + 1)) // n_chunks):
            _cell_band_min(c, iou, bbox, heights[c], bands, crowd, dt_off, gt_off, iou_off, nd)
